package wasmrun_test

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"mcusim/engine/codegen"
	"mcusim/engine/count"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/mem"
	"mcusim/models"
	"mcusim/sim/wasmrun"
)

// TestCountMatchesRun proves the closed form equal to execution (DESIGN.md
// "Execution is the ground truth, the closed form is the fast path"): for every
// model, the layer-based and the --auto (sound) schedule, and every kernel style,
// count.Count gives exactly the per-block execution counts, the per-region
// bytes and the total that running the generated module measures.
func TestCountMatchesRun(t *testing.T) {
	ctx := context.Background()
	r, err := wasmrun.NewRunner(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	schedules := []struct {
		name string
		opt  plan.Options
	}{
		{"layer", plan.Options{Planner: plan.PlannerTinyEngine}},
		{"auto", plan.Options{Planner: plan.PlannerTinyEngine, Auto: true, Sound: true}},
	}
	var compared, patch int
	for _, g0 := range allModels(t) {
		g, err := models.Synthesize(g0, 0)
		if err != nil {
			t.Fatalf("%s: %v", g0.Name, err)
		}
		for _, sc := range schedules {
			t.Run(g.Name+"/"+sc.name, func(t *testing.T) {
				if (raceEnabled || testing.Short()) && g.MACs() > 30e6 {
					t.Skipf("%.0fM MACs: run without -race/-short (make test does)", float64(g.MACs())/1e6)
				}
				pl, err := countPlan(g, sc.opt)
				if err != nil {
					t.Fatal(err)
				}
				inputs := countInputs(t, g)
				for _, style := range kernels.Styles() {
					if runAndCount(ctx, t, r, g, pl, style, inputs) {
						compared++
						if pl.Schedule == "patch" {
							patch++
						}
					}
				}
			})
		}
	}
	t.Logf("compared %d runs (%d patch-based)", compared, patch)
}

// TestCountMatchesRunKernels checks Count against execution on the kernel
// conformance grid (conformance_test.go kernelCases), which reaches what the
// models do not: dilation, depth multipliers (the out-of-place depthwise), odd
// channel and pixel tails of the 2×2 tiles, clipped pooling windows,
// broadcasts, constant operands, concatenation.
func TestCountMatchesRunKernels(t *testing.T) {
	ctx := context.Background()
	r, err := wasmrun.NewRunner(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	for _, kc := range kernelCases() {
		t.Run(kc.name, func(t *testing.T) {
			seed := seedOf(kc.name)
			g := kc.build(newGraphBuilder(kc.name, seed))
			for _, opt := range []plan.Options{{Planner: plan.PlannerTinyEngine}, {Planner: plan.PlannerTinyEngine, Auto: true, Sound: true}} {
				pl, err := countPlan(g, opt)
				if err != nil {
					t.Fatal(err)
				}
				inputs := randomInputs(g, seed, 1)[0]
				for _, style := range kernels.Styles() {
					runAndCount(ctx, t, r, g, pl, style, inputs)
				}
			}
		})
	}
}

// runAndCount compiles and runs plan in style and checks Count against the run.
// When the generator refuses the plan, Count must refuse it too. It reports
// whether a run was compared.
func runAndCount(ctx context.Context, t *testing.T, r *wasmrun.Runner, g *models.Graph, pl *plan.Plan, style kernels.Style, inputs [][]byte) bool {
	t.Helper()
	comp, err := codegen.Compile(g, pl, codegen.CompileOptions{Style: style})
	if err != nil {
		if _, cerr := count.Count(pl, style); cerr == nil {
			t.Errorf("%s: Compile refuses (%v) but Count accepts", style, err)
		}
		return false
	}
	res, err := r.Run(ctx, comp, inputs)
	if err != nil {
		t.Fatalf("%s: %v", style, err)
	}
	cnt, err := count.Count(pl, style)
	if err != nil {
		t.Fatalf("%s: Count: %v", style, err)
	}
	compareCounts(t, style.String()+"/"+pl.Schedule, comp, res, cnt)
	return true
}

// countPlan plans as mcusim.Run does (plan.PlanExecution).
func countPlan(g *models.Graph, opt plan.Options) (*plan.Plan, error) {
	pl, _, err := plan.PlanExecution(g, opt)
	return pl, err
}

// countInputs is a deterministic input per graph input: uniform int8/uint8
// bytes, or for a float input values on the 1/128 grid (the counts do not
// depend on the data; the input only has to convert cleanly).
func countInputs(t *testing.T, g *models.Graph) [][]byte {
	rng := rand.New(rand.NewPCG(7, 0x636f756e74))
	var ins [][]byte
	for _, ti := range g.Inputs {
		tt := g.Tensors[ti]
		b := make([]byte, tt.Bytes())
		switch tt.DType {
		case models.Int8, models.UInt8:
			for i := range b {
				b[i] = byte(rng.UintN(256))
			}
		case models.Float32:
			for i := 0; i+4 <= len(b); i += 4 {
				f := float32(rng.IntN(256)-128) / 128
				binary.LittleEndian.PutUint32(b[i:], math.Float32bits(f))
			}
		default:
			t.Skipf("input %s has element type %s", tt.Name, tt.DType)
		}
		ins = append(ins, b)
	}
	return ins
}

// compareCounts asserts Count equal to the run block for block (matched by
// name, and in the same order), region by region and in total.
func compareCounts(t *testing.T, style string, comp *codegen.Compiled, res *wasmrun.Result, cnt *count.Counts) {
	t.Helper()
	byName := make(map[string]int, len(cnt.Blocks))
	for i, b := range cnt.Blocks {
		if _, dup := byName[b.Name()]; dup {
			t.Errorf("%s: Count lists block %s twice", style, b.Name())
		}
		byName[b.Name()] = i
	}
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 10 {
			t.Errorf(style+": "+format, args...)
		}
	}
	for i, b := range comp.Blocks {
		j, ok := byName[b.Name()]
		if !ok {
			report("block %s (ran %d times) is missing from Count", b.Name(), res.Counts[i])
			continue
		}
		cb := cnt.Blocks[j]
		if cb.Count != res.Counts[i] {
			report("block %s: Count says %d executions, the run measured %d", b.Name(), cb.Count, res.Counts[i])
		}
		if cb.Step != b.Step || cb.Per != b.Per {
			report("block %s: step %d per %d, generated step %d per %d", b.Name(), cb.Step, cb.Per, b.Step, b.Per)
		}
		if !sameAccess(cb.Access, b.Access) {
			report("block %s: access %v, generated %v", b.Name(), cb.Access, b.Access)
		}
		if j != i {
			report("block %s is Count's block %d, the generator's %d (the orders differ)", b.Name(), j, i)
		}
	}
	if len(cnt.Blocks) != len(comp.Blocks) {
		report("Count lists %d blocks, the module has %d", len(cnt.Blocks), len(comp.Blocks))
	}
	if cnt.Bytes.Accessed != res.Bytes.Accessed {
		report("Count has traffic for regions %v, the run for %v (%v vs %v)", cnt.Bytes.Accessed, res.Bytes.Accessed, cnt.Bytes.Traffic, res.Bytes.Traffic)
	}
	for region, tr := range res.Bytes.Traffic {
		if c := cnt.Bytes.Traffic[region]; c.Read != tr.Read || c.Write != tr.Write {
			report("region %s: Count says %+v bytes, the run measured %+v", mem.Region(region), c, tr)
		}
	}
	if cnt.Total != res.BlocksExecuted {
		report("Count says %d block executions in total, the run measured %d", cnt.Total, res.BlocksExecuted)
	}
}

func sameAccess(a, b []kernels.Access) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
