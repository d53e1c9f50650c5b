package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"mcusim"
)

func cmdRun(args []string, out, errw io.Writer) error {
	var f planFlags
	fs := newFlags("run", "--model M [--engine E] [--planner P] [--patches P (--split-op K | --split-block N) | --auto] [--verify] [--input FILE[,FILE...] | --seed N] [--dump-wasm FILE] [--cache-dir DIR | --no-cache] [--json]", errw)
	f.register(fs.FlagSet)
	var cf cacheFlags
	cf.register(fs.FlagSet)
	eng := fs.String("engine", mcusim.StyleTinyEngine.String(), "kernel style: "+strings.Join(mcusim.StyleNames(), ", "))
	verify := fs.Bool("verify", false, "check shadow ownership on every activation load and store (a clobber fails the run)")
	var inputs inputFiles
	fs.Var(&inputs, "input", "raw input tensor file (NHWC, the input's element type); one per model input, in order: repeat the flag or give a comma list")
	seed := fs.Uint64("seed", 1, "seed of the random input when --input is not given")
	wseed := fs.Int64("weight-seed", 0, "seed of the synthetic weights of models without weights (zoo, JSON)")
	dump := fs.String("dump-wasm", "", "write the generated WebAssembly module to FILE")
	if err := fs.parse(args); err != nil {
		return err
	}
	style, err := mcusim.ParseStyle(*eng)
	if err != nil {
		return err
	}
	g, opt, err := f.load()
	if err != nil {
		return err
	}
	ro := mcusim.RunOptions{Style: style, Plan: opt, Verify: *verify, Seed: *seed, WeightSeed: *wseed}
	if ro.CacheDir, err = cf.resolve(); err != nil {
		return err
	}
	for _, p := range inputs {
		b, err := mcusim.ReadInput(p)
		if err != nil {
			return err
		}
		ro.Inputs = append(ro.Inputs, b)
	}
	if *dump != "" {
		ro.DumpWasm = func(b []byte) error { return os.WriteFile(*dump, b, 0o644) }
	}
	rep, err := mcusim.Run(context.Background(), g, ro)
	if err != nil {
		if rep != nil && f.json {
			_ = writeJSON(out, rep)
		}
		return err
	}
	if f.json {
		if err := writeJSON(out, rep); err != nil {
			return err
		}
	} else {
		printRun(out, rep)
	}
	if !rep.BitExact {
		return fmt.Errorf("output differs from the reference executor (a code generation bug; please report it with --dump-wasm)")
	}
	return nil
}

func printRun(out io.Writer, r *mcusim.RunReport) {
	fmt.Fprintf(out, "model      %s  (%.2fM MACs executed)\n", r.Model, float64(r.MACs)/1e6)
	fmt.Fprintf(out, "engine     %s kernels, %s planner, %s-based\n", r.Style, r.Planner, r.Schedule)
	if p := r.Patch; p != nil {
		fmt.Fprintf(out, "patches    %dx%d over the first %d operators; patch input %dx%d\n", p.Patches, p.Patches, p.SplitOp, p.PatchInputHW[0], p.PatchInputHW[1])
	}
	fmt.Fprintf(out, "arena      %d B (peak SRAM %d B), run in exactly the planned arena\n", r.Arena, r.PeakSRAM)
	fmt.Fprintln(out, inputLine("input      ", r.PeakSRAM, r.InputUse))
	if r.PlanNote != "" {
		fmt.Fprintf(out, "note       %s\n", r.PlanNote)
	}
	check := "counting"
	if r.Verify {
		check = "verify (shadow ownership checked on every activation access): no clobbers"
	}
	fmt.Fprintf(out, "mode       %s\n", check)
	fmt.Fprintf(out, "bit-exact  %v (vs the reference executor)\n", r.BitExact)
	fmt.Fprintf(out, "blocks     %d blocks, %d executions\n", r.Blocks, r.BlocksExec)
	for reg, t := range r.Bytes.Traffic {
		if r.Bytes.Accessed[reg] {
			fmt.Fprintf(out, "  %-8s read %d B, written %d B\n", mcusim.Region(reg), t.Read, t.Write)
		}
	}
	for i, o := range r.Outputs {
		label := "output"
		if len(r.Outputs) > 1 {
			label = fmt.Sprintf("output %d", i)
		}
		fmt.Fprintf(out, "%-10s %s\n", label, outputLine(o))
		if o.Quantized != nil {
			fmt.Fprintf(out, "%-10s %s (the integer tensor the final DEQUANTIZE reads)\n", "  from", outputLine(*o.Quantized))
		}
	}
	// Host figures: how fast mcusim simulated, not how fast the MCU runs
	// (that is mcusim estimate).
	fmt.Fprintf(out, "simulator  %.1f ms host wall time (%.0f MMAC/s on this machine), compile %.1f ms, module %d B; MCU latency: mcusim estimate\n", r.WallMS, r.MMACPerSecond, r.CompileMS, r.WasmBytes)
}

// outputLine prints a tensor's type, shape, leading values and argmax.
func outputLine(o mcusim.TensorOutput) string {
	vals := abbreviate(o.Ints, 16)
	if o.Floats != nil {
		vals = abbreviate(o.Floats, 16)
	}
	return fmt.Sprintf("%s %s %q %s, argmax %d", o.DType, shapeString(o.Shape), o.Name, vals, o.Argmax)
}

func shapeString(s []int) string {
	p := make([]string, len(s))
	for i, d := range s {
		p[i] = fmt.Sprint(d)
	}
	return strings.Join(p, "x")
}

// inputFiles is run's --input: repeatable, each value a comma list of files.
type inputFiles []string

func (f *inputFiles) String() string { return strings.Join(*f, ",") }

func (f *inputFiles) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p == "" {
			return fmt.Errorf("empty file name in %q", v)
		}
		*f = append(*f, p)
	}
	return nil
}

func abbreviate[T int64 | float64](v []T, n int) string {
	if len(v) <= n {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%v … (%d values)", v[:n], len(v))
}
