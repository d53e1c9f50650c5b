package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"mcusim"
	"mcusim/engine"
	"mcusim/models/datadir"
	"mcusim/sim"
)

func cmdEstimate(args []string, out io.Writer) error {
	var f scheduleFlags
	fs := newFlags("estimate", "--model M --board B [--engine E] [--patches P (--split-op K | --split-block N) | --auto] [--clock MHz] [--exec] [--json]", out)
	f.register(fs)
	eng := fs.String("engine", engine.StyleTinyEngine, "kernel style: "+strings.Join(engine.Styles(), ", "))
	clock := fs.Int("clock", 0, "core clock in MHz (default: the board's maximum); only flash wait states depend on it")
	exec := fs.Bool("exec", false, "run the generated kernels and price the measured block counts (same cycles as the closed form)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if f.board == "" {
		return usagef("--board is required (see mcusim boards)")
	}
	g, opt, err := f.load()
	if err != nil {
		return err
	}
	b, err := mcusim.FindBoard(f.board, f.boards)
	if err != nil {
		return err
	}
	if *clock < 0 || *clock > b.ClockMHz {
		return usagef("--clock %d is outside 1..%d MHz for %s", *clock, b.ClockMHz, b.ID)
	}
	rep, err := mcusim.Estimate(context.Background(), g, mcusim.EstimateOptions{Board: b, Engine: *eng, Plan: opt, ClockMHz: *clock, Exec: *exec})
	if err != nil {
		return err
	}
	if f.json {
		return writeJSON(out, rep)
	}
	fmt.Fprintf(out, "model     %s  (%.2fM MACs), %s kernels, %s-based\n", rep.Model, float64(rep.MACs)/1e6, rep.Engine, rep.Schedule)
	fmt.Fprintf(out, "memory    peak SRAM %s, Flash %s -> %s on %s\n", kib(rep.PeakSRAM), kib(rep.Flash), rep.Fit.Verdict, rep.Board)
	if rep.Estimate == nil {
		fmt.Fprintln(out, "latency   OOM (the model does not fit this board)")
		return nil
	}
	e := rep.Estimate
	fmt.Fprintf(out, "board     %s, %s @ %d MHz, flash %d wait states, arena in %s\n", e.Board, e.Core, e.ClockMHz, e.FlashWS, e.Placement.Arena)
	fmt.Fprintf(out, "latency   %.2f ms = %.0f cycles (%.0f%% memory stalls; counts from the %s)\n", e.LatencyMS, e.Cycles, 100*e.StallCycles/e.Cycles, rep.Source)
	if e.PowerMW > 0 {
		fmt.Fprintf(out, "energy    %.3f mJ at %.0f mW\n", e.EnergyMJ, e.PowerMW)
	} else {
		fmt.Fprintln(out, "energy    unknown (no power figure for this board)")
	}
	fmt.Fprintf(out, "calibr.   factor %.3f for %s/%s: %s\n", e.Calibration.Factor, e.Core, e.Engine, e.Calibration.Source)
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 2, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "#\tname\top\tout shape\tMACs\tcycles\tms\tstalls\t")
	for _, l := range e.Layers {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%v\t%d\t%.0f\t%.3f\t%.0f%%\t\n", l.Index, l.Name, l.Op, l.Shape, l.MACs, l.Cycles, l.MS, 100*l.StallShare)
	}
	return tw.Flush()
}

func dataFlag(fs interface {
	StringVar(*string, string, string, string)
}) *string {
	var d string
	fs.StringVar(&d, "data", "", "shared data folder (default: ../shared/data beside the checkout, or $MCUSIM_DATA)")
	return &d
}

func findData(d string) (string, error) {
	if d != "" {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return "", fmt.Errorf("--data %s is not a directory", d)
		}
		return d, nil
	}
	return datadir.Find()
}

func cmdValidate(args []string, out io.Writer) error {
	fs := newFlags("validate", "[--data DIR] [--json]", out)
	data := dataFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parse(fs, args); err != nil {
		return err
	}
	dir, err := findData(*data)
	if err != nil {
		return err
	}
	rep, err := mcusim.Validate(context.Background(), dir)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(out, rep)
	}
	tw := tabwriter.NewWriter(out, 2, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "board\tengine\tmodel\tmeasured ms\testimated ms\terror")
	for _, r := range rep.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%.1f\t%+.1f%%\n", r.Board, r.Engine, r.Model, r.LatencyMS, r.EstimatedMS, r.ErrorPct)
	}
	tw.Flush()
	fmt.Fprintln(out, "\nMAPE per (board, engine):")
	for _, m := range rep.MAPE {
		fmt.Fprintf(out, "  %-10s %-22s %2d rows  %.1f%%\n", m.Board, m.Engine, m.Rows, m.MAPE)
	}
	if len(rep.Ratios) > 0 {
		fmt.Fprintln(out, "\nTinyEngine speed-up, measured vs estimated:")
		for _, r := range rep.Ratios {
			fmt.Fprintf(out, "  %s %s over %s: %.2fx vs %.2fx (%+.1f%%)\n", r.Board, r.Model, r.Over, r.Measured, r.Estimated, r.ErrorPct)
		}
	}
	fmt.Fprintf(out, "\n%d measured rows not simulated:\n", len(rep.Skipped))
	reasons := map[string]int{}
	for _, s := range rep.Skipped {
		reasons[s.Skip]++
	}
	for r, n := range reasons {
		fmt.Fprintf(out, "  %3d  %s\n", n, r)
	}
	return nil
}

func cmdCalibrate(args []string, out io.Writer) error {
	fs := newFlags("calibrate", "[--data DIR] [--write FILE] [--json]", out)
	data := dataFlag(fs)
	write := fs.String("write", "", "write the fitted table as Go source (sim/calibration_table.go)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parse(fs, args); err != nil {
		return err
	}
	dir, err := findData(*data)
	if err != nil {
		return err
	}
	rows, err := sim.ReadMeasured(dir + "/mcunet/reported_results.csv")
	if err != nil {
		return err
	}
	boards, err := mcusim.DefaultBoards()
	if err != nil {
		return err
	}
	cals, err := sim.FitCalibration(context.Background(), rows, boards)
	if err != nil {
		return err
	}
	if *write != "" {
		f, err := os.Create(*write)
		if err != nil {
			return err
		}
		if err := sim.WriteCalibrationTable(f, cals); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(out, map[string]any{"calibration": cals})
	}
	for _, c := range cals {
		fmt.Fprintf(out, "%-10s %-10s factor %.4f  (%d rows, fit MAPE %.1f%%)\n", c.Core, c.Style, c.Factor, c.Rows, c.MAPE)
	}
	return nil
}
