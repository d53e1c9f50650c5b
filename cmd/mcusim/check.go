package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"mcusim"
)

// checkFailed is the error of a check that ran and found failures: exit code 1
// (a broken configuration is a usage error, exit 2).
type checkFailed struct{ failed, total int }

func (e *checkFailed) Error() string {
	return fmt.Sprintf("%d of %d entries failed", e.failed, e.total)
}

func cmdCheck(args []string, out, errw io.Writer) error {
	fs := newFlags("check", "--config mcusim.toml [--update] [--junit FILE] [--markdown FILE] [--json]", errw)
	config := fs.String("config", "mcusim.toml", "check configuration: [[model]] entries with budgets, baseline and tolerance")
	update := fs.Bool("update", false, "rewrite the baseline with the current figures (and pass)")
	junit := fs.String("junit", "", "write a JUnit XML report to FILE (one testcase per entry)")
	markdown := fs.String("markdown", "", "write a Markdown summary for a pull-request comment to FILE")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.parse(args); err != nil {
		return err
	}
	cfg, err := mcusim.LoadCheckConfig(*config)
	if err != nil {
		return err
	}
	base, err := mcusim.ReadCheckBaseline(cfg.Baseline)
	if err != nil {
		return err
	}
	rep, err := mcusim.Check(context.Background(), cfg, base)
	if err != nil {
		return err
	}
	if *update {
		if err := mcusim.WriteCheckBaseline(cfg.Baseline, rep.CurrentBaseline()); err != nil {
			return err
		}
		// The baseline now holds every figure; what is left to fail is a
		// budget or a board the model does not fit.
		if rep, err = mcusim.Check(context.Background(), cfg, rep.CurrentBaseline()); err != nil {
			return err
		}
		fmt.Fprintf(errw, "mcusim check: wrote %s (%d entries)\n", cfg.Baseline, len(rep.Entries))
	}
	for _, w := range []struct {
		path  string
		write func(io.Writer) error
	}{{*junit, rep.WriteJUnit}, {*markdown, rep.WriteMarkdown}} {
		if w.path == "" {
			continue
		}
		if err := writeFile(w.path, w.write); err != nil {
			return err
		}
	}
	if *asJSON {
		if err := writeJSON(out, rep); err != nil {
			return err
		}
	} else {
		printCheck(out, rep)
	}
	if !rep.Passed {
		return &checkFailed{rep.Failed, len(rep.Entries)}
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func printCheck(out io.Writer, rep *mcusim.CheckReport) {
	savings := ""
	if rep.FailOnSavings {
		savings = ", savings beyond tolerance fail too"
	}
	fmt.Fprintf(out, "baseline %s, tolerance %s%s\n\n", rep.Baseline, rep.Tolerance, savings)
	tw := tabwriter.NewWriter(out, 2, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "entry\tfigure\tbefore\tafter\tdelta\tbudget\tverdict")
	for _, r := range rep.CheckRows() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r[0], r[1], r[2], r[3], r[4], r[5], r[6])
	}
	tw.Flush()
	fmt.Fprintln(out)
	for _, e := range rep.Entries {
		for _, f := range e.Failures {
			fmt.Fprintf(out, "FAIL %s: %s\n", e.ID, f)
		}
	}
	if len(rep.Stale) > 0 {
		fmt.Fprintf(out, "baseline entries no longer in the configuration: %v\n", rep.Stale)
	}
	if rep.Passed {
		fmt.Fprintf(out, "PASS: %d entries\n", len(rep.Entries))
	} else {
		fmt.Fprintf(out, "FAIL: %d of %d entries\n", rep.Failed, len(rep.Entries))
	}
}
