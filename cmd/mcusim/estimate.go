package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"mcusim"
)

func cmdEstimate(args []string, out, errw io.Writer) error {
	var f planFlags
	var bf boardFlags
	fs := newFlags("estimate", "--model M --board B [--engine E] [--patches P (--split-op K | --split-block N) | --auto] [--clock MHz] [--exec [--cache-dir DIR | --no-cache]] [--json]", errw)
	f.register(fs.FlagSet)
	var cf cacheFlags
	cf.register(fs.FlagSet)
	bf.register(fs.FlagSet, "board id (see mcusim boards)")
	eng := fs.String("engine", mcusim.StyleTinyEngine.String(), "kernel style: "+strings.Join(mcusim.StyleNames(), ", "))
	clock := fs.Int("clock", 0, "core clock in MHz (default: the board's maximum); cycles change only through the flash wait states, power follows the datasheet's run current")
	exec := fs.Bool("exec", false, "run the generated kernels and price the measured block counts (same cycles as the closed form)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := bf.check(true); err != nil {
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
	b, err := mcusim.FindBoard(bf.board, bf.boards)
	if err != nil {
		return err
	}
	mcusim.AutoFor(&opt, b, false) // the same default objective as memory --board: one answer
	eo := mcusim.EstimateOptions{Board: b, Style: style, Plan: opt, ClockMHz: *clock, CountByExecution: *exec}
	if *exec {
		if eo.CacheDir, err = cf.resolve(); err != nil {
			return err
		}
	}
	rep, err := mcusim.Estimate(context.Background(), g, eo)
	if err != nil {
		return err
	}
	if f.json {
		return writeJSON(out, rep)
	}
	fmt.Fprintf(out, "model     %s  (%.2fM MACs), %s kernels, %s-based\n", rep.Model, float64(rep.MACs)/1e6, rep.Style, rep.Schedule)
	fmt.Fprint(out, f.bitsLine)
	fmt.Fprintf(out, "memory    peak SRAM %s, Flash %s -> %s on %s\n", kib(rep.PeakSRAM), kib(rep.Flash), rep.Fit.Verdict, rep.Board)
	fmt.Fprintln(out, inputLine("input     ", rep.PeakSRAM, rep.InputUse))
	if rep.Estimate == nil {
		fmt.Fprintln(out, "latency   OOM (the model does not fit this board)")
		return nil
	}
	e := rep.Estimate
	fmt.Fprintf(out, "board     %s, %s @ %d MHz, flash %d wait states\n", e.Board, e.Core, e.ClockMHz, e.FlashWS)
	fmt.Fprintf(out, "kernels   %s: %s\n", e.Engine, e.EngineVersion)
	fmt.Fprintf(out, "placement arena in %s", spans(e.ArenaSpans))
	if len(e.ScratchSpans) > 0 {
		fmt.Fprintf(out, ", scratch in %s", spans(e.ScratchSpans))
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "latency   %.2f ms = %.0f cycles (%.0f%% memory stalls; counts from the %s)\n", e.LatencyMS, e.Cycles, 100*e.StallCycles/e.Cycles, rep.Source)
	if e.PowerMW > 0 {
		fmt.Fprintf(out, "energy    %.3f mJ at %.1f mW (%s)\n", e.EnergyMJ, e.PowerMW, e.PowerNote)
	} else {
		fmt.Fprintf(out, "energy    unknown (%s)\n", e.EnergyUnknown)
	}
	fmt.Fprintf(out, "calibr.   factor %.3f for %s/%s: %s\n", e.Calibration.Factor, e.Core, e.Engine, e.Calibration.Source)
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 2, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "#\tname\top\tout shape\tMACs\tcycles\tms\tstalls\t")
	for _, l := range e.Layers {
		mark := ""
		if rep.Patch != nil && l.Index < rep.Patch.SplitOp {
			mark = "*"
		}
		fmt.Fprintf(tw, "%d%s\t%s\t%s\t%v\t%d\t%.0f\t%.3f\t%.0f%%\t\n", l.Index, mark, shortName(l.Name), l.Op, l.Shape, l.MACs, l.Cycles, l.MS, 100*l.StallShare)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if pi := rep.Patch; pi != nil {
		fmt.Fprintf(out, "(* = patch stage, run %dx%d times: out shape per patch; MACs, cycles and ms over all patches)\n", pi.Patches, pi.Patches)
	}
	return nil
}

// spans prints where a region lies: "DTCM 64.0 KiB + SRAM1 196.1 KiB".
func spans(ss []mcusim.Span) string {
	if len(ss) == 0 {
		return "-"
	}
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.Bank + " " + kib(s.Bytes)
	}
	return strings.Join(parts, " + ")
}

func dataFlag(fs interface {
	StringVar(*string, string, string, string)
}) *string {
	var d string
	fs.StringVar(&d, "data", "", "shared data folder (default: ../shared/data beside the checkout, or $MCUSIM_DATA)")
	return &d
}

func findData(d string) (string, error) { return mcusim.DataDir(d) }

func cmdValidate(args []string, out, errw io.Writer) error {
	fs := newFlags("validate", "[--data DIR] [--json]", errw)
	data := dataFlag(fs.FlagSet)
	asJSON := fs.Bool("json", false, "print one JSON object (every row with its fitted/held-out flags and all predictions)")
	if err := fs.parse(args); err != nil {
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
	fmt.Fprintln(out, "Each row is fitted (the committed factor of its core and style was fitted on it) or held out.")
	fmt.Fprintln(out, "in-sample = the fit's own error, not a prediction; predicted = leave-one-out for a fitted row,")
	fmt.Fprintln(out, "the committed factor for a held-out one; -board / -version = refitted without the row's board / engine column.")
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 2, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "board\tengine\tmodel\tmeasured ms\testimated ms\tfitted\tin-sample\tpredicted\t-board\t-version")
	for i := range rep.Rows {
		r := &rep.Rows[i]
		fitted := "held out"
		if r.Fitted {
			fitted = "fitted"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%.1f\t%s\t%s\t%s\t%s\t%s\n", r.Board, r.Engine, r.Model, r.LatencyMS, r.EstimatedMS, fitted,
			errCell(r.InSample().ErrorPct, "", false), errCell(r.Best().ErrorPct, r.Best().NA, true),
			errCell(r.BoardOut().ErrorPct, "", false), errCell(r.VersionOut().ErrorPct, "", false))
	}
	tw.Flush()
	fmt.Fprintln(out, "\nErrors per (core, style): MAPE, bias (signed mean error), share of rows within ±10% and ±20%:")
	tw = tabwriter.NewWriter(out, 2, 0, 2, ' ', 0)
	for _, g := range rep.Groups {
		line := fmt.Sprintf("  %s\t%s\t%s\t%s", g.Core, g.Style, g.Scheme, plural(g.Rows, "row"))
		if g.Rows > 0 {
			line += fmt.Sprintf("\tMAPE %.1f%%\tbias %+.1f%%\t±10%%: %.0f%%\t±20%%: %.0f%%", g.MAPE, g.BiasPct, g.Within10, g.Within20)
		} else {
			line += "\tn/a\t\t\t"
		}
		if g.NA > 0 {
			why := g.NAReason
			if why == "" {
				why = "several reasons, see --json"
			}
			line += fmt.Sprintf("\t(%d n/a: %s)", g.NA, why)
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	fmt.Fprintln(out, "\nBias of the predicted errors per (board, engine column); a release effect is one bias, a board effect a distance:")
	tw = tabwriter.NewWriter(out, 2, 0, 2, ' ', 0)
	for _, b := range rep.Bias {
		dist := ""
		if b.Board != b.MainBoard {
			dist = fmt.Sprintf("\t%+.1f points from %s", b.FromMainPts, b.MainBoard)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\tbias %+.1f%%\tMAPE %.1f%%%s\n", b.Board, b.Engine, plural(b.Rows, "row"), b.BiasPct, b.MAPE, dist)
	}
	tw.Flush()
	if len(rep.Ratios) > 0 {
		fmt.Fprintln(out, "\nTinyEngine speed-up, measured vs estimated:")
		for _, r := range rep.Ratios {
			note := ""
			if r.InSample {
				note = " — both rows fitted: checks the fit, not a prediction"
			}
			fmt.Fprintf(out, "  %s %s, %s over %s: %.2fx vs %.2fx (%+.1f%%)%s\n", r.Board, r.Model, r.Engine, r.Over, r.Measured, r.Estimated, r.ErrorPct, note)
		}
	}
	if len(rep.CrossBoardSummary) > 0 {
		fmt.Fprintln(out, "\nCross-board cycle ratios, MLPerf Tiny vendor engines (same engine version and benchmark on two boards),")
		fmt.Fprintln(out, "measured vs estimated with cmsis-nn kernels (committed factor per core on core cycles, stalls unscaled;")
		fmt.Fprintln(out, "the cortex-m4 and cortex-m33 factors are derived from the pairs against Cortex-M7 boards: in-sample there):")
		tw = tabwriter.NewWriter(out, 2, 0, 2, ' ', 0)
		for _, s := range rep.CrossBoardSummary {
			fmt.Fprintf(tw, "  %s / %s\t%d pairs\tMAPE %.1f%%\tbias %+.1f%%\t±10%%: %.0f%%\n", s.Board, s.Base, s.Pairs, s.MAPE, s.BiasPct, s.Within10)
		}
		tw.Flush()
	}
	fmt.Fprintf(out, "\n%d measured rows not simulated:\n", len(rep.Skipped))
	reasons := map[string]int{}
	var order []string
	for _, s := range rep.Skipped {
		if reasons[s.Skip] == 0 {
			order = append(order, s.Skip)
		}
		reasons[s.Skip]++
	}
	sort.Strings(order)
	for _, r := range order {
		fmt.Fprintf(out, "  %3d  %s\n", reasons[r], r)
	}
	return nil
}

// plural prints "1 row", "2 rows".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// errCell prints a prediction's signed error, or n/a (with the reason when
// withReason is set).
func errCell(errPct *float64, na string, withReason bool) string {
	switch {
	case errPct != nil:
		return fmt.Sprintf("%+.1f%%", *errPct)
	case withReason:
		return "n/a (" + na + ")"
	}
	return "n/a"
}

func cmdCalibrate(args []string, out, errw io.Writer) error {
	fs := newFlags("calibrate", "[--data DIR] [--write FILE] [--json]", errw)
	data := dataFlag(fs.FlagSet)
	write := fs.String("write", "", "write the fitted table as Go source (sim/calibration_table.go)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.parse(args); err != nil {
		return err
	}
	dir, err := findData(*data)
	if err != nil {
		return err
	}
	cals, err := mcusim.Calibrate(context.Background(), dir)
	if err != nil {
		return err
	}
	if *write != "" {
		f, err := os.Create(*write)
		if err != nil {
			return err
		}
		if err := mcusim.WriteCalibrationTable(f, cals); err != nil {
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
		if c.Rows == 0 {
			fmt.Fprintf(out, "%-10s %-10s factor %.4f  (%s)\n", c.Core, c.Style, c.Factor, c.Source)
			continue
		}
		fmt.Fprintf(out, "%-10s %-10s factor %.4f  (%d rows, in-sample MAPE %.1f%%)\n", c.Core, c.Style, c.Factor, c.Rows, c.MAPE)
	}
	return nil
}
