package mcusim

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"mcusim/engine/codegen"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/engine/ref"
	"mcusim/mem"
	"mcusim/models"
	"mcusim/sim"
)

// RunOptions configure one execution of a model's generated kernels.
type RunOptions struct {
	// Engine is the kernel style: tinyengine (default), cmsis-nn or tflm-ref.
	Engine string
	// Plan selects the planner and the schedule; with Auto, only plans without
	// conflicts are considered (they must run).
	Plan plan.Options
	// Verify adds the shadow-ownership check on every activation access.
	Verify bool
	// Input is the raw input tensor (the model's input element type, NHWC);
	// nil draws one from Seed.
	Input []byte
	Seed  uint64
	// WeightSeed seeds the synthetic weights of models that have none (zoo, JSON).
	WeightSeed int64
	// Runner is reused across runs when set (its compilation cache too).
	Runner *sim.Runner
	// DumpWasm, if set, receives the generated module's bytes.
	DumpWasm func([]byte) error
}

// RunReport is the result of `mcusim run`.
type RunReport struct {
	Model         string                 `json:"model"`
	Engine        string                 `json:"engine"`
	Planner       string                 `json:"planner"`
	Schedule      string                 `json:"schedule"`
	PlanNote      string                 `json:"plan_note,omitempty"`
	Patch         *plan.PatchInfo        `json:"patch,omitempty"`
	PeakSRAM      int                    `json:"peak_sram_bytes"`
	Arena         int                    `json:"arena_bytes"`
	Verify        bool                   `json:"verify"`
	BitExact      bool                   `json:"bit_exact"`
	Clobbers      []string               `json:"clobbers"`
	Blocks        int                    `json:"blocks"`
	BlocksExec    uint64                 `json:"blocks_executed"`
	Bytes         map[string]mem.Traffic `json:"bytes"`
	OutputDType   string                 `json:"output_dtype"`
	Output        []int64                `json:"output"`
	Argmax        int                    `json:"argmax"`
	MACs          int64                  `json:"macs"`
	WallMS        float64                `json:"wall_ms"`
	CompileMS     float64                `json:"compile_ms"`
	MMACPerSecond float64                `json:"mmac_per_s"`
	WasmBytes     int                    `json:"wasm_bytes"`

	execs []sim.BlockExec // block counts of the run, for pricing
}

// Run generates the kernels of a model for a plan, runs them under wazero, and
// compares the output with the reference executor.
func Run(ctx context.Context, g *models.Graph, opt RunOptions) (*RunReport, error) {
	if opt.Engine == "" {
		opt.Engine = kernels.StyleTinyEngine.String()
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
	style, err := kernels.ParseStyle(opt.Engine)
	if err != nil {
		return nil, err
	}
	comp, err := codegen.Compile(g, pl, codegen.CompileOptions{Style: style, Verify: opt.Verify})
	if err != nil {
		return nil, err
	}
	if opt.DumpWasm != nil {
		if err := opt.DumpWasm(comp.Wasm); err != nil {
			return nil, err
		}
	}
	inputs, err := modelInputs(g, opt)
	if err != nil {
		return nil, err
	}
	r := opt.Runner
	if r == nil {
		if r, err = sim.NewRunner(ctx, ""); err != nil {
			return nil, err
		}
		defer r.Close(ctx)
	}
	rep := &RunReport{Model: g.Name, Engine: opt.Engine, Planner: pl.Planner, Schedule: pl.Schedule, PlanNote: note,
		Patch: pl.Patch, PeakSRAM: pl.PeakSRAM, Arena: pl.Arena, Verify: opt.Verify,
		Clobbers: []string{}, Blocks: len(comp.Blocks), MACs: pl.MACs, WasmBytes: len(comp.Wasm)}
	if pl.Patch != nil {
		rep.MACs = pl.Patch.TotalMACs
	}
	res, err := r.Run(ctx, comp, inputs)
	var clob *sim.ClobberError
	if errors.As(err, &clob) {
		rep.Clobbers = append(rep.Clobbers, clob.Error())
		return rep, clob
	}
	if err != nil {
		return nil, err
	}
	rep.BlocksExec, rep.Bytes = res.BlocksExecuted, res.Bytes
	rep.execs = sim.ExecsOf(comp, res)
	rep.WallMS = float64(res.Wall.Microseconds()) / 1000
	rep.CompileMS = float64(res.Compile.Microseconds()) / 1000
	if res.Wall > 0 {
		rep.MMACPerSecond = float64(rep.MACs) / res.Wall.Seconds() / 1e6
	}
	ref, err := ref.Reference(g, inputs)
	if err != nil {
		return nil, err
	}
	rep.BitExact = true
	for i, s := range comp.Outputs {
		out, err := codegen.FromKernelOutput(g, s, res.Outputs[i])
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(out, ref[i]) {
			rep.BitExact = false
		}
	}
	t := g.Tensors[comp.Outputs[0].Tensor]
	rep.OutputDType = t.DType.String()
	rep.Output, rep.Argmax = decodeInts(t.DType, res.Outputs[0])
	return rep, nil
}

// modelInputs returns the input bytes: the given ones, or random ones from the
// seed — uniform over the quantized range, mapped back to float for a float
// input (so the folded QUANTIZE sees exactly representable values).
func modelInputs(g *models.Graph, opt RunOptions) ([][]byte, error) {
	if len(g.Inputs) != 1 {
		if opt.Input != nil {
			return nil, fmt.Errorf("--input takes one tensor; model %s has %d inputs", g.Name, len(g.Inputs))
		}
	}
	var ins [][]byte
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6d637573696d))
	for k, ti := range g.Inputs {
		t := g.Tensors[ti]
		if k == 0 && opt.Input != nil {
			if len(opt.Input) != t.Bytes() {
				return nil, fmt.Errorf("--input has %d bytes; model %s takes %s %s = %d bytes", len(opt.Input), g.Name, t.DType, models.ShapeString(t.Shape), t.Bytes())
			}
			ins = append(ins, opt.Input)
			continue
		}
		b := make([]byte, t.Bytes())
		switch t.DType {
		case models.Int8, models.UInt8:
			for i := range b {
				b[i] = byte(rng.UintN(256))
			}
		case models.Float32:
			scale, zp := 1.0/128, int64(0)
			if t.Quant != nil && len(t.Quant.Scale) > 0 {
				scale = t.Quant.Scale[0]
			} else if q := quantOfConsumer(g, ti); q != nil {
				scale, zp = q.Scale[0], q.ZeroPoint[0]
			}
			for i := 0; i < len(b); i += 4 {
				q := int64(rng.IntN(256)) - 128
				f := float32(float64(q-zp) * scale)
				binary.LittleEndian.PutUint32(b[i:], math.Float32bits(f))
			}
		default:
			return nil, fmt.Errorf("input %s has element type %s; inputs must be int8, uint8 or float32", t.Name, t.DType)
		}
		ins = append(ins, b)
	}
	return ins, nil
}

// quantOfConsumer is the quantization of the QUANTIZE output that reads a float
// graph input.
func quantOfConsumer(g *models.Graph, t int) *models.Quant {
	for _, op := range g.Ops {
		if op.Kind == models.Quantize && op.Inputs[0] == t {
			if q := g.Out(op, 0).Quant; q != nil && len(q.Scale) > 0 && len(q.ZeroPoint) > 0 {
				return q
			}
		}
	}
	return nil
}

// decodeInts reads a tensor as integers in its own type and its argmax.
func decodeInts(dt models.DType, b []byte) ([]int64, int) {
	var out []int64
	switch dt {
	case models.UInt8:
		for _, v := range b {
			out = append(out, int64(v))
		}
	case models.Int16:
		for i := 0; i+1 < len(b); i += 2 {
			out = append(out, int64(int16(binary.LittleEndian.Uint16(b[i:]))))
		}
	case models.Int32:
		for i := 0; i+3 < len(b); i += 4 {
			out = append(out, int64(int32(binary.LittleEndian.Uint32(b[i:]))))
		}
	default:
		for _, v := range b {
			out = append(out, int64(int8(v)))
		}
	}
	best := 0
	for i, v := range out {
		if v > out[best] {
			best = i
		}
	}
	return out, best
}
