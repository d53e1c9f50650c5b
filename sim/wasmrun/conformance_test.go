package wasmrun_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"mcusim/engine/codegen"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/engine/ref"
	"mcusim/models"
	"mcusim/models/zoo"
	"mcusim/sim/wasmrun"
)

// The kernel conformance suite (the gonum testblas pattern, STYLE.md): one grid
// of single-operator graphs, run against every kernel style with and without
// the verify instrumentation, each compared byte for byte with the pure-Go
// reference executor ref.Reference, the arithmetic oracle.

// kernelCase is one graph of the grid: graph input(s) → operator → graph output
// (a 1×1 convolution in front where the operator must read an intermediate).
type kernelCase struct {
	name  string
	build func(b *graphBuilder) *models.Graph
}

func convCase(s convSpec) kernelCase {
	return kernelCase{s.name(), func(b *graphBuilder) *models.Graph {
		return b.output(b.conv(b.input([]int{1, s.h, s.w, s.cin}, s.inZP), s))
	}}
}

// chainedDepthwise puts a linear 1×1 CONV_2D (3 → s.cin channels) in front of
// the depthwise, so that the in-place depthwise overwrites an intermediate. The
// convolution's output scale is halved so its values spread over most of the
// int8 range, as the depthwise's scales assume.
func chainedDepthwise(s convSpec) kernelCase {
	return kernelCase{"conv1x1+" + s.name(), func(b *graphBuilder) *models.Graph {
		x := b.input([]int{1, s.h, s.w, 3}, -128)
		x = b.conv(x, convSpec{cout: s.cin, kh: 1, kw: 1, stride: 1, outZP: s.inZP, outScaleBump: 0.5})
		return b.output(b.conv(x, s))
	}}
}

func fcCase(name string, in []int, outs int, perChannel bool, act models.Activation, inZP, outZP int64) kernelCase {
	return kernelCase{name, func(b *graphBuilder) *models.Graph {
		return b.output(b.fc(b.input(in, inZP), outs, perChannel, act, outZP))
	}}
}

// binaryCase builds ADD or MUL of two graph inputs (both activations) of
// shapes a and bs; either may be a 1×1×C operand broadcast over the other.
func binaryCase(name string, kind models.OpKind, a, bs []int, act models.Activation, zp1, zp2, outZP int64) kernelCase {
	return kernelCase{name, func(b *graphBuilder) *models.Graph {
		x := b.input(a, zp1)
		y := b.input(bs, zp2)
		return b.output(b.binary(kind, x, y, act, outZP))
	}}
}

// constOperandCase builds ADD or MUL of a graph input and an int8 constant of
// shape k (1×1×C or a scalar), which the generator keeps in Flash.
func constOperandCase(name string, kind models.OpKind, a, k []int, zp1, zp2, outZP int64) kernelCase {
	return kernelCase{name, func(b *graphBuilder) *models.Graph {
		x := b.input(a, zp1)
		return b.output(b.binary(kind, x, b.constant(k, zp2), models.ActNone, outZP))
	}}
}

func poolCase(name string, kind models.OpKind, shape []int, k, stride int, same bool, act models.Activation, zp int64) kernelCase {
	return kernelCase{name, func(b *graphBuilder) *models.Graph {
		return b.output(b.pool(kind, b.input(shape, zp), k, stride, same, act))
	}}
}

func meanCase(name string, shape []int, keepDims, sameQuant bool, inZP, outZP int64) kernelCase {
	return kernelCase{name, func(b *graphBuilder) *models.Graph {
		return b.output(b.mean(b.input(shape, inZP), keepDims, sameQuant, outZP))
	}}
}

func concatCase(name string, h, w int, zp int64, channels ...int) kernelCase {
	return kernelCase{name, func(b *graphBuilder) *models.Graph {
		first := b.input([]int{1, h, w, channels[0]}, zp)
		xs := []int{first}
		for _, c := range channels[1:] {
			xs = append(xs, b.inputWithQuant([]int{1, h, w, c}, first))
		}
		return b.output(b.concat(xs...))
	}}
}

// kernelCases is the grid. Sizes are small (the suite runs 6 configurations of
// each) but cover odd and even spatial sizes, channel counts 1, 3, 8 and 17
// (odd counts exercise the 1-channel and 1-pixel tails of the 2×2 tiles),
// asymmetric TFLite SAME padding (stride 2 on an even input: top 0, bottom 1
// for 3×3), zero points −128, 0 and others on both sides, and every fused
// activation.
func kernelCases() []kernelCase {
	relu, relu6 := models.ActReLU, models.ActReLU6
	conv := func(h, w, cin, cout, k, s int, same bool, act models.Activation, inZP, outZP int64) convSpec {
		return convSpec{h: h, w: w, cin: cin, cout: cout, kh: k, kw: k, stride: s, dil: 1, same: same, act: act, inZP: inZP, outZP: outZP}
	}
	dw := func(h, w, c, mult, k, s int, same bool, act models.Activation, inZP, outZP int64) convSpec {
		return convSpec{depthwise: true, h: h, w: w, cin: c, mult: mult, kh: k, kw: k, stride: s, dil: 1, same: same, act: act, inZP: inZP, outZP: outZP}
	}
	conv3x1 := conv(7, 6, 8, 3, 3, 1, true, relu, 21, -128)
	conv3x1.kw = 1
	dilated := conv(9, 9, 8, 8, 3, 1, true, relu, -128, -100)
	dilated.dil = 2
	dilatedDW := dw(9, 9, 8, 1, 3, 1, true, relu, -128, -128)
	dilatedDW.dil = 2
	noBias := conv(7, 7, 3, 8, 1, 1, false, models.ActNone, 0, 5)
	noBias.noBias = true
	relu6Top := conv(9, 9, 8, 17, 3, 1, true, relu6, -128, -128)
	relu6Top.outScaleBump = 2 // coarser output: q(6) = zp + 24, most positives clamp at 6

	cases := []kernelCase{
		convCase(noBias),
		convCase(conv(8, 6, 17, 17, 1, 1, false, relu, -128, -128)),
		convCase(conv(9, 9, 8, 3, 1, 2, false, relu6, 3, -128)),
		convCase(conv(8, 8, 1, 8, 1, 2, false, models.ActNone, -1, 0)),
		convCase(relu6Top),
		convCase(conv(8, 8, 17, 8, 3, 2, true, models.ActNone, -7, 11)),
		convCase(conv(9, 9, 3, 8, 3, 2, true, relu, 0, -128)),
		convCase(conv(6, 7, 1, 8, 3, 1, false, models.ActNone, 100, -3)),
		convCase(conv3x1),
		convCase(conv(7, 7, 3, 8, 5, 1, true, relu6, -128, -128)),
		convCase(conv(10, 10, 8, 17, 5, 2, true, models.ActNone, 17, -9)),
		convCase(conv(8, 9, 1, 3, 5, 1, false, relu, -128, -50)),
		convCase(conv(12, 12, 3, 8, 7, 2, true, relu6, 0, -128)),
		convCase(conv(9, 9, 17, 1, 7, 1, false, models.ActNone, -128, 2)),
		convCase(dilated),

		convCase(dw(9, 9, 8, 1, 3, 1, true, relu6, -128, -128)),
		convCase(dw(8, 8, 17, 1, 3, 2, true, models.ActNone, 5, -4)),
		convCase(dw(7, 9, 3, 1, 5, 1, true, relu, -128, -128)),
		convCase(dw(9, 9, 8, 1, 5, 2, true, relu6, 0, -128)),
		convCase(dw(7, 7, 1, 1, 7, 1, true, models.ActNone, -33, 0)),
		convCase(dw(11, 11, 3, 1, 7, 2, true, relu, -128, -90)),
		convCase(dw(7, 7, 3, 2, 3, 1, false, models.ActNone, -128, 7)),
		convCase(dw(9, 9, 1, 8, 3, 2, true, relu6, 12, -128)),
		convCase(dw(8, 8, 3, 2, 5, 2, true, relu, 0, -128)),
		convCase(dilatedDW),
		chainedDepthwise(dw(9, 9, 8, 1, 3, 2, true, relu6, 0, -128)),
		chainedDepthwise(dw(8, 8, 17, 1, 5, 1, true, models.ActNone, 0, 3)),

		fcCase("fc_40-10_pertensor_relu", []int{1, 40}, 10, false, relu, -3, -128),
		fcCase("fc_33-7_pertensor", []int{1, 33}, 7, false, models.ActNone, -128, 4),
		{"fc_24-6_pertensor_multiplier_edge", func(b *graphBuilder) *models.Graph {
			return b.output(b.fcRoundingEdge(b.input([]int{1, 24}, -9), 6, 2))
		}},
		fcCase("fc_17-9_perchannel", []int{1, 17}, 9, true, models.ActNone, 0, -1),
		fcCase("fc_2x2x10-16_perchannel_relu6", []int{1, 2, 2, 10}, 16, true, relu6, -128, -128),

		binaryCase("add_8x8x8", models.Add, []int{1, 8, 8, 8}, []int{1, 8, 8, 8}, models.ActNone, 0, -128, 3),
		binaryCase("add_7x5x17_relu", models.Add, []int{1, 7, 5, 17}, []int{1, 7, 5, 17}, relu, -128, 9, -128),
		binaryCase("add_5x5x3_relu6", models.Add, []int{1, 5, 5, 3}, []int{1, 5, 5, 3}, relu6, 40, -7, -128),
		binaryCase("add_bcast_5x5x8+1x1x8", models.Add, []int{1, 5, 5, 8}, []int{1, 1, 1, 8}, models.ActNone, -5, 20, 0),
		binaryCase("add_bcast_1x1x17+4x3x17", models.Add, []int{1, 1, 1, 17}, []int{1, 4, 3, 17}, relu, 0, -128, -128),
		constOperandCase("add_const_1x1x8", models.Add, []int{1, 5, 6, 8}, []int{1, 1, 1, 8}, -128, 3, -2),
		constOperandCase("add_const_scalar", models.Add, []int{1, 3, 5, 3}, []int{1}, 7, -20, 0),
		binaryCase("mul_6x6x8", models.Mul, []int{1, 6, 6, 8}, []int{1, 6, 6, 8}, models.ActNone, 0, 0, 0),
		binaryCase("mul_5x7x3_relu", models.Mul, []int{1, 5, 7, 3}, []int{1, 5, 7, 3}, relu, -128, 11, -128),
		binaryCase("mul_bcast_6x5x17+1x1x17", models.Mul, []int{1, 6, 5, 17}, []int{1, 1, 1, 17}, models.ActNone, 3, -128, 1),

		poolCase("avgpool3x3_s2_same_9x9_c8", models.AveragePool, []int{1, 9, 9, 8}, 3, 2, true, models.ActNone, -3),
		poolCase("avgpool3x3_s1_same_8x8_c17_relu", models.AveragePool, []int{1, 8, 8, 17}, 3, 1, true, relu, 10),
		poolCase("avgpool2x2_s2_valid_8x8_c3", models.AveragePool, []int{1, 8, 8, 3}, 2, 2, false, models.ActNone, -128),
		poolCase("avgpool5x5_s1_valid_5x5_c17", models.AveragePool, []int{1, 5, 5, 17}, 5, 1, false, models.ActNone, 0),
		poolCase("maxpool3x3_s2_same_8x8_c8", models.MaxPool, []int{1, 8, 8, 8}, 3, 2, true, models.ActNone, 0),
		poolCase("maxpool3x3_s1_same_7x7_c3_relu6", models.MaxPool, []int{1, 7, 7, 3}, 3, 1, true, relu6, -128),
		poolCase("maxpool2x2_s2_valid_9x9_c1", models.MaxPool, []int{1, 9, 9, 1}, 2, 2, false, models.ActNone, 6),

		meanCase("mean_hw_keepdims_5x7x8", []int{1, 5, 7, 8}, true, true, -128, 0),
		meanCase("mean_hw_keepdims_requant_6x6x17", []int{1, 6, 6, 17}, true, false, 13, -20),
		meanCase("mean_hw_samequant_5x7x8", []int{1, 5, 7, 8}, false, true, -128, 0),
		meanCase("mean_hw_samequant_negzp_4x4x3", []int{1, 4, 4, 3}, false, true, 37, 0),
		meanCase("mean_hw_requant_6x5x17", []int{1, 6, 5, 17}, false, false, -7, 5),

		concatCase("concat_5x5_c3+c8", 5, 5, -128, 3, 8),
		concatCase("concat_4x7_c1+c17+c8", 4, 7, 9, 1, 17, 8),
	}
	return cases
}

// seedOf derives a case's seed from its name, so adding a case leaves the
// others unchanged.
func seedOf(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// randomInputs draws n sets of graph inputs, uniform over the int8 range.
func randomInputs(g *models.Graph, seed uint64, n int) [][][]byte {
	rng := rand.New(rand.NewPCG(seed, 0x696e70757473))
	sets := make([][][]byte, n)
	for k := range sets {
		for _, ti := range g.Inputs {
			b := make([]byte, g.Tensors[ti].Bytes())
			for i := range b {
				b[i] = byte(rng.UintN(256))
			}
			sets[k] = append(sets[k], b)
		}
	}
	return sets
}

// firstDiff describes where got and want (int8 tensors of shape) differ.
func firstDiff(got, want []byte, shape []int) string {
	if len(got) != len(want) {
		return fmt.Sprintf("got %d bytes, want %d", len(got), len(want))
	}
	n, first := 0, -1
	for i := range got {
		if got[i] != want[i] {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	if first < 0 {
		return "equal"
	}
	idx := make([]int, len(shape))
	for d, r := len(shape)-1, first; d >= 0; d-- {
		idx[d] = r % shape[d]
		r /= shape[d]
	}
	return fmt.Sprintf("%d of %d elements differ; first at element %d, index %v of %v: got %d, want %d",
		n, len(got), first, idx, shape, int8(got[first]), int8(want[first]))
}

// planKernels plans g with the tinyengine planner. Every buffer of a
// one-step graph lives over steps [0, 1), and TinyEngine's first-fit treats
// identical lifetimes as not overlapping (a quirk of the released allocator
// that the planner keeps for bit-exact addresses, claims.md §7.5): it puts the
// input and the output of a lone operator on the same bytes, and
// Plan.Conflicts reports the pair. The suite tests kernels, not that quirk, so
// such a plan is replaced by the planner's Strict variant, which differs only
// in counting identical lifetimes as overlapping (the execution — steps,
// operand buffers, in-place depthwise — is the same).
func planKernels(t *testing.T, g *models.Graph) *plan.Plan {
	t.Helper()
	pl, _, err := plan.PlanExecution(g, plan.Options{Planner: plan.PlannerTinyEngine})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if pl.Exec == nil || len(pl.Conflicts) > 0 {
		t.Fatalf("the tinyengine plan is not executable: conflicts %v", pl.Conflicts)
	}
	return pl
}

// checkInPlace asserts that the tinyengine plan runs a depthwise with depth
// multiplier 1 in place and one with a larger multiplier out of place, so that
// the grid exercises both depthwise kernels.
func checkInPlace(t *testing.T, pl *plan.Plan) {
	t.Helper()
	ex := pl.Exec
	for i, s := range ex.Steps {
		if s.Kind != models.DepthwiseConv2D {
			continue
		}
		inPlace := ex.In[i][0] == ex.Out[i]
		if want := s.Cin == s.Cout; inPlace != want {
			t.Errorf("step %d (%s %dx%dx%d → %d channels): in place = %v, want %v", i, s.Kind, s.Ins[0].H, s.Ins[0].W, s.Cin, s.Cout, inPlace, want)
		}
	}
}

func verifyName(v bool) string {
	if v {
		return "verify"
	}
	return "noverify"
}

// runAndCompare compiles plan in one style, runs it on every input set and
// compares each output with want, byte for byte.
func runAndCompare(t *testing.T, ctx context.Context, r *wasmrun.Runner, g *models.Graph, pl *plan.Plan, style kernels.Style, verify bool, inputs, want [][][]byte) {
	t.Helper()
	comp, err := codegen.Compile(g, pl, codegen.CompileOptions{Style: style, Verify: verify})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	for k, in := range inputs {
		res, err := r.Run(ctx, comp, in)
		if err != nil {
			t.Fatalf("input %d: run: %v", k, err)
		}
		for i, s := range comp.Outputs {
			got, err := codegen.FromKernelOutput(g, s, res.Outputs[i])
			if err != nil {
				t.Fatalf("input %d: output %d: %v", k, i, err)
			}
			if !bytes.Equal(got, want[k][i]) {
				t.Errorf("input %d: output %d differs from the reference: %s", k, i, firstDiff(got, want[k][i], g.Tensors[g.Outputs[i]].Shape))
			}
		}
	}
}

// TestKernelConformance runs the grid against every kernel style, with and
// without verify, under the tinyengine plan (the planner whose placement
// executes), and compares every output with ref.Reference.
func TestKernelConformance(t *testing.T) {
	ctx := context.Background()
	r, err := wasmrun.NewRunner(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	seen := map[string]bool{}
	for _, kc := range kernelCases() {
		if seen[kc.name] {
			t.Fatalf("duplicate case name %s", kc.name)
		}
		seen[kc.name] = true
		t.Run(kc.name, func(t *testing.T) {
			seed := seedOf(kc.name)
			g := kc.build(newGraphBuilder(kc.name, seed))
			if err := g.Validate(); err != nil {
				t.Fatalf("the case builds an invalid graph: %v", err)
			}
			pl := planKernels(t, g)
			checkInPlace(t, pl)
			inputs := randomInputs(g, seed, 2)
			want := make([][][]byte, len(inputs))
			for k, in := range inputs {
				if want[k], err = ref.Reference(g, in); err != nil {
					t.Fatalf("reference: %v", err)
				}
			}
			for _, style := range kernels.Styles() {
				t.Run(style.String(), func(t *testing.T) {
					for _, verify := range []bool{false, true} {
						t.Run(verifyName(verify), func(t *testing.T) {
							runAndCompare(t, ctx, r, g, pl, style, verify, inputs, want)
						})
					}
				})
			}
		})
	}
}

// vww1 is mcunet-vww1 from the zoo with synthetic weights, its tinyengine plan,
// one input and the reference output.
func vww1(t *testing.T) (*models.Graph, *plan.Plan, [][]byte, [][]byte) {
	t.Helper()
	g, err := zoo.Load("mcunet-vww1")
	if err != nil {
		t.Fatal(err)
	}
	if g, err = models.Synthesize(g, 1); err != nil {
		t.Fatal(err)
	}
	pl, err := plan.PlanMemory(g, plan.Options{Planner: plan.PlannerTinyEngine})
	if err != nil {
		t.Fatal(err)
	}
	if pl.Exec == nil || len(pl.Conflicts) > 0 {
		t.Fatalf("the tinyengine plan of %s is not executable (conflicts %v)", g.Name, pl.Conflicts)
	}
	in := randomInputs(g, 7, 1)[0]
	want, err := ref.Reference(g, in)
	if err != nil {
		t.Fatal(err)
	}
	return g, pl, in, want
}

// clonePlan copies a plan deeply enough to break it: the buffers are copied,
// the execution (read only) is shared.
func clonePlan(p *plan.Plan) *plan.Plan {
	c := *p
	c.Buffers = slices.Clone(p.Buffers)
	return &c
}

// bufferName is how a ClobberError names plan buffer b.
func bufferName(c *codegen.Compiled, b int) string {
	return fmt.Sprintf("buffer %d (%s)", b, c.Buffers[b])
}

// overlapPair finds a step whose output buffer fits onto its (different) input
// buffer, both live at the step; moving the output there puts two live tensors
// on the same bytes. It returns the step and the two buffers.
func overlapPair(t *testing.T, pl *plan.Plan) (step, in, out int) {
	t.Helper()
	ex := pl.Exec
	for i := range ex.Steps {
		a, o := ex.In[i][0], ex.Out[i]
		A, O := pl.Buffers[a], pl.Buffers[o]
		live := max(A.Start, O.Start) < min(A.End, O.End)
		if a != o && live && O.Size <= A.Size {
			return i, a, o
		}
	}
	t.Fatal("no step whose output fits onto its input")
	return
}

// TestBrokenPlansCaught breaks a real plan in the two ways a planner can be
// wrong — an arena too small, two live tensors on the same bytes — and checks
// that verify mode catches each with an error naming the operator and the
// buffers, and that without verify the broken plan silently computes a wrong
// answer (which is why the check exists).
func TestBrokenPlansCaught(t *testing.T) {
	ctx := context.Background()
	r, err := wasmrun.NewRunner(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	g, pl, in, want := vww1(t)

	t.Run("arena_4_bytes_short", func(t *testing.T) {
		bad := clonePlan(pl)
		bad.Arena -= 4 // one alignment unit
		var top []int
		for b, buf := range bad.Buffers {
			if buf.Offset+buf.Size > bad.Arena {
				top = append(top, b)
			}
		}
		if len(top) == 0 {
			t.Fatalf("no buffer sticks out of the %d-byte arena", bad.Arena)
		}
		for _, style := range kernels.Styles() {
			t.Run(style.String(), func(t *testing.T) {
				comp, err := codegen.Compile(g, bad, codegen.CompileOptions{Style: style, Verify: true})
				if err != nil {
					t.Fatalf("compile refused the short arena (%v); want a module whose verify check catches it", err)
				}
				_, err = r.Run(ctx, comp, in)
				var clob *wasmrun.ClobberError
				if !errors.As(err, &clob) {
					t.Fatalf("run with verify: error %v, want a *wasmrun.ClobberError", err)
				}
				t.Logf("caught: %v", clob)
				if clob.Found != "nothing (outside the arena)" {
					t.Errorf("the failed access found %q, want the byte outside the arena", clob.Found)
				}
				if clob.Address < bad.Arena {
					t.Errorf("the failed access is at arena offset %d, inside the %d-byte arena", clob.Address, bad.Arena)
				}
				var names []string
				for _, b := range top {
					names = append(names, bufferName(comp, b))
				}
				if !slices.Contains(names, clob.Want) {
					t.Errorf("the failed access was to %s, want one of the buffers that stick out: %v", clob.Want, names)
				}
				if !strings.HasPrefix(clob.Operator, "operator ") || !slices.Contains(comp.StepName, clob.Operator) {
					t.Errorf("the error names %q, not an operator of the model", clob.Operator)
				}
			})
		}
	})

	step, a, o := overlapPair(t, pl)
	bad := clonePlan(pl)
	bad.Buffers[o].Offset = bad.Buffers[a].Offset
	t.Logf("overlap: operator %d (%s) writes buffer %d [%d,%d) onto its input buffer %d [%d,%d) at offset %d",
		step, pl.Exec.Steps[step].Kind, o, pl.Buffers[o].Start, pl.Buffers[o].End,
		a, pl.Buffers[a].Start, pl.Buffers[a].End, bad.Buffers[a].Offset)

	t.Run("live_tensors_overlap", func(t *testing.T) {
		for _, style := range kernels.Styles() {
			t.Run(style.String(), func(t *testing.T) {
				comp, err := codegen.Compile(g, bad, codegen.CompileOptions{Style: style, Verify: true})
				if err != nil {
					t.Fatalf("compile: %v", err)
				}
				_, err = r.Run(ctx, comp, in)
				var clob *wasmrun.ClobberError
				if !errors.As(err, &clob) {
					t.Fatalf("run with verify: error %v, want a *wasmrun.ClobberError", err)
				}
				t.Logf("caught: %v", clob)
				if clob.Operator != comp.StepName[step] {
					t.Errorf("the error names %q, want %q", clob.Operator, comp.StepName[step])
				}
				got := []string{clob.Want, clob.Found}
				slices.Sort(got)
				wantNames := []string{bufferName(comp, a), bufferName(comp, o)}
				slices.Sort(wantNames)
				if !slices.Equal(got, wantNames) {
					t.Errorf("the error names %v, want the two overlapped buffers %v", got, wantNames)
				}
				if msg := err.Error(); !strings.Contains(msg, comp.StepName[step]) || !strings.Contains(msg, bufferName(comp, o)) {
					t.Errorf("message %q does not name the operator and the moved buffer", msg)
				}
			})
		}
	})

	t.Run("live_tensors_overlap_noverify", func(t *testing.T) {
		for _, style := range kernels.Styles() {
			t.Run(style.String(), func(t *testing.T) {
				comp, err := codegen.Compile(g, bad, codegen.CompileOptions{Style: style})
				if err != nil {
					t.Fatalf("compile: %v", err)
				}
				res, err := r.Run(ctx, comp, in)
				if err != nil {
					t.Fatalf("run without verify: %v (the broken plan should run to the end)", err)
				}
				got, err := codegen.FromKernelOutput(g, comp.Outputs[0], res.Outputs[0])
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Equal(got, want[0]) {
					t.Logf("by chance the clobbered run still matches the reference output %v", int8s(got))
					return
				}
				t.Logf("without verify the clobbered run is silently wrong: output %v, reference %v", int8s(got), int8s(want[0]))
			})
		}
	})
}

func int8s(b []byte) []int8 {
	out := make([]int8, len(b))
	for i, v := range b {
		out[i] = int8(v)
	}
	return out
}

// TestTrapNamesOperator makes a module trap without verify — a buffer placed
// past the end of linear memory, so the operator that writes it stores out of
// bounds — and checks that the error names that operator, both as mcusim's
// step name and as the function name from the module's name section
// (op<i>_<KIND>, shown in wazero's stack trace). Shrinking the whole arena does
// not make a clean trap: at half of vww1's arena the run finishes (silently
// wrong), at a quarter the host can no longer write the input.
func TestTrapNamesOperator(t *testing.T) {
	ctx := context.Background()
	r, err := wasmrun.NewRunner(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	g, pl, in, _ := vww1(t)
	ex := pl.Exec
	// Pick a step in the middle whose output is an intermediate tensor with its
	// own buffer (not an in-place depthwise, not the graph output).
	step := -1
	for i := len(ex.Steps) / 2; i < len(ex.Steps)-1; i++ {
		if ex.Out[i] != ex.In[i][0] && ex.Steps[i].Kind == models.Conv2D {
			step = i
			break
		}
	}
	if step < 0 {
		t.Fatal("no convolution with its own output buffer")
	}
	for _, style := range kernels.Styles() {
		t.Run(style.String(), func(t *testing.T) {
			good, err := codegen.Compile(g, pl, codegen.CompileOptions{Style: style})
			if err != nil {
				t.Fatal(err)
			}
			bad := clonePlan(pl)
			// Linear memory ends at Pages·64 KiB; its size does not depend on the
			// buffer offsets, so this buffer now lies entirely beyond it.
			bad.Buffers[ex.Out[step]].Offset = int(good.Layout.Pages)*65536 - int(good.Layout.Arena)
			comp, err := codegen.Compile(g, bad, codegen.CompileOptions{Style: style})
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Run(ctx, comp, in)
			if err == nil {
				t.Fatal("a store past the end of memory did not trap")
			}
			var clob *wasmrun.ClobberError
			if errors.As(err, &clob) {
				t.Fatalf("without verify the trap is not an ownership check: %v", err)
			}
			msg := err.Error()
			fn := fmt.Sprintf("op%d_%s", step, ex.Steps[step].Kind)
			if !strings.Contains(msg, fn) {
				t.Errorf("the trap does not name the operator function %s:\n%s", fn, msg)
			}
			if !strings.HasPrefix(msg, comp.StepName[step]+" trapped") {
				t.Errorf("the trap is not attributed to %q:\n%s", comp.StepName[step], msg)
			}
			if !strings.Contains(msg, "out of bounds memory access") {
				t.Errorf("the trap does not say why:\n%s", msg)
			}
		})
	}
}
