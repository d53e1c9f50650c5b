package mcusim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"

	"mcusim/engine/codegen"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/engine/ref"
	"mcusim/mem"
	"mcusim/models"
	"mcusim/sim"
	"mcusim/sim/wasmrun"
)

// RunOptions configure one execution of a model's generated kernels.
type RunOptions struct {
	// Style is the kernel style: tinyengine (the zero value), cmsis-nn or
	// tflm-ref.
	Style Style
	// Plan selects the planner and the schedule; with Auto, only plans without
	// conflicts are considered (they must run).
	Plan PlanOptions
	// Verify adds the shadow-ownership check on every activation access.
	Verify bool
	// Inputs are the raw input tensors, one per model input in order (each
	// in its input's element type, NHWC); empty draws them from Seed.
	Inputs [][]byte
	Seed   uint64
	// WeightSeed seeds the synthetic weights of models that have none (zoo, JSON).
	WeightSeed int64
	// CacheDir keeps wazero's compiled code across processes ("" = in memory
	// only; see CompilationCacheDir). Unused when Runner is set.
	CacheDir string
	// Runner is reused across runs when set (its compilation cache too).
	Runner *wasmrun.Runner
	// DumpWasm, if set, receives the generated module's bytes.
	DumpWasm func([]byte) error
}

// RunReport is the result of `mcusim run`.
type RunReport struct {
	Model    string     `json:"model"`
	Style    Style      `json:"engine"`
	Planner  string     `json:"planner"`
	Schedule string     `json:"schedule"`
	PlanNote string     `json:"plan_note,omitempty"`
	Patch    *PatchInfo `json:"patch,omitempty"`
	PeakSRAM int        `json:"peak_sram_bytes"`
	InputUse
	Arena       int               `json:"arena_bytes"`
	Verify      bool              `json:"verify"`
	BitExact    bool              `json:"bit_exact"`
	Clobbers    []string          `json:"clobbers"`
	Blocks      int               `json:"blocks"`
	BlocksExec  uint64            `json:"blocks_executed"`
	Bytes       mem.RegionTraffic `json:"bytes"`
	OutputDType string            `json:"output_dtype"`
	Output      []int64           `json:"output"`
	Argmax      int               `json:"argmax"`
	// Outputs are every model output in the model's own element type (a
	// float output of a final DEQUANTIZE as floats, with the integer tensor
	// it was computed from); Output, OutputDType and Argmax above are the
	// integer tensor of the first output.
	Outputs       []TensorOutput `json:"outputs"`
	MACs          int64          `json:"macs"`
	WallMS        float64        `json:"wall_ms"` // host (simulator) wall time of the run
	CompileMS     float64        `json:"compile_ms"`
	MMACPerSecond float64        `json:"mmac_per_s"` // host (simulator) speed
	WasmBytes     int            `json:"wasm_bytes"`
}

// Run generates the kernels of a model for a plan, runs them under wazero, and
// compares the output with the reference executor, which runs at the same time
// on another goroutine (it needs no plan).
func Run(ctx context.Context, g *Graph, opt RunOptions) (*RunReport, error) {
	style := opt.Style
	if err := style.Valid(); err != nil {
		return nil, err
	}
	if opt.Plan.Planner == "" {
		opt.Plan.Planner = plan.PlannerTinyEngine
	}
	g, err := models.Synthesize(g, opt.WeightSeed)
	if err != nil {
		return nil, err
	}
	pl, note, err := plan.PlanExecution(g, opt.Plan)
	if err != nil {
		return nil, err
	}
	inputs, err := models.Inputs(g, opt.Inputs, opt.Seed)
	if err != nil {
		return nil, err
	}
	// The reference executor needs neither the plan nor the code. It starts
	// once the plan exists (bad options fail first) and runs beside code
	// generation, compilation and the kernels; on a failure after this point
	// it finishes in the background and its result is dropped.
	type refResult struct {
		out [][]byte
		err error
	}
	refc := make(chan refResult, 1)
	go func() {
		out, err := ref.Reference(g, inputs)
		refc <- refResult{out, err}
	}()
	comp, err := codegen.Compile(g, pl, codegen.CompileOptions{Style: style, Verify: opt.Verify})
	if err != nil {
		return nil, err
	}
	if opt.DumpWasm != nil {
		if err := opt.DumpWasm(comp.Wasm); err != nil {
			return nil, err
		}
	}
	rep := &RunReport{Model: g.Name, Style: style, Planner: pl.Planner, Schedule: pl.Schedule, PlanNote: note,
		Patch: pl.Patch, PeakSRAM: pl.PeakSRAM, InputUse: pl.InputUse, Arena: pl.Arena, Verify: opt.Verify,
		Clobbers: []string{}, Blocks: len(comp.Blocks), MACs: pl.MACs, WasmBytes: len(comp.Wasm)}
	if pl.Patch != nil {
		rep.MACs = pl.Patch.TotalMACs
	}
	res, err := runCompiled(ctx, comp, inputs, opt.Runner, opt.CacheDir)
	var clob *wasmrun.ClobberError
	if errors.As(err, &clob) {
		rep.Clobbers = append(rep.Clobbers, clob.Error())
		return rep, clob
	}
	if err != nil {
		return nil, err
	}
	rep.BlocksExec, rep.Bytes = res.BlocksExecuted, res.Bytes
	rep.WallMS = float64(res.Wall.Microseconds()) / 1000
	rep.CompileMS = float64(res.Compile.Microseconds()) / 1000
	if res.Wall > 0 {
		rep.MMACPerSecond = float64(rep.MACs) / res.Wall.Seconds() / 1e6
	}
	want := <-refc
	if want.err != nil {
		return nil, want.err
	}
	rep.BitExact = true
	for i, s := range comp.Outputs {
		out, err := codegen.FromKernelOutput(g, s, res.Outputs[i])
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(out, want.out[i]) {
			rep.BitExact = false
		}
		rep.Outputs = append(rep.Outputs, tensorOutput(g, s.Boundary, out))
		if s.Tensor != s.Boundary {
			q := tensorOutput(g, s.Tensor, res.Outputs[i])
			rep.Outputs[i].Quantized = &q
		}
	}
	t := g.Tensors[comp.Outputs[0].Tensor]
	rep.OutputDType = t.DType.String()
	rep.Output, rep.Argmax = models.DecodeInts(t.DType, res.Outputs[0])
	return rep, nil
}

// TensorOutput is one output tensor of a run in its own element type.
type TensorOutput struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	// Ints holds an integer tensor's values, Floats a float32 tensor's.
	Ints   []int64   `json:"ints,omitempty"`
	Floats []float64 `json:"floats,omitempty"`
	Argmax int       `json:"argmax"`
	// Quantized is the integer tensor that a folded DEQUANTIZE turned into
	// this float output (what the kernels computed), or nil.
	Quantized *TensorOutput `json:"quantized,omitempty"`
	// Raw is the tensor's bytes (little-endian, its element type).
	Raw []byte `json:"-"`
}

func tensorOutput(g *Graph, ti int, b []byte) TensorOutput {
	t := g.Tensors[ti]
	o := TensorOutput{Name: t.Name, DType: t.DType.String(), Shape: t.Shape, Raw: b}
	if t.DType == models.Float32 {
		o.Floats, o.Argmax = models.DecodeFloats(b)
	} else {
		o.Ints, o.Argmax = models.DecodeInts(t.DType, b)
	}
	return o
}

// ReadInput reads a raw input tensor file (run's --input): a regular file of at
// most models.MaxActivationBytes, the largest tensor a model may have.
func ReadInput(path string) ([]byte, error) {
	b, err := models.ReadFile(path, "input tensor", models.MaxActivationBytes, "models.MaxActivationBytes", nil)
	var pe *fs.PathError
	if err != nil && !errors.As(err, &pe) {
		return nil, fmt.Errorf("--input %s: %w", path, err)
	}
	return b, err
}

// runCompiled runs a compiled module on r, or on a runner of its own with the
// compilation cache in cacheDir.
func runCompiled(ctx context.Context, comp *codegen.Compiled, inputs [][]byte, r *wasmrun.Runner, cacheDir string) (*wasmrun.Result, error) {
	if r == nil {
		var err error
		if r, err = wasmrun.NewRunner(ctx, cacheDir); err != nil {
			return nil, err
		}
		defer r.Close(ctx)
	}
	return r.Run(ctx, comp, inputs)
}

// countByExecution runs the kernels of a plan (no reference executor: only
// the block counts are wanted, which do not depend on the input values) and
// returns their executions for pricing.
func countByExecution(ctx context.Context, g *Graph, pl *Plan, style Style, r *wasmrun.Runner) ([]kernels.BlockCount, error) {
	comp, err := codegen.Compile(g, pl, codegen.CompileOptions{Style: style})
	if err != nil {
		return nil, err
	}
	inputs, err := models.Inputs(g, nil, 1)
	if err != nil {
		return nil, err
	}
	res, err := runCompiled(ctx, comp, inputs, r, "")
	if err != nil {
		return nil, err
	}
	return sim.ExecsOf(comp, res), nil
}
