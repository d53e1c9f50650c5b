package mcusim

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// This file renders a CheckReport for CI systems: JUnit XML (one testcase per
// entry, the figures as properties; the format GitHub, GitLab and Jenkins read)
// and a Markdown summary for a pull-request comment.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name       string          `xml:"name,attr"`
	Classname  string          `xml:"classname,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Failure    *junitFailure   `xml:"failure,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: a testsuite "mcusim check" with
// one testcase per entry (classname = the board), its figures, baselines,
// deltas and budgets as properties and, when it failed, a failure listing why.
func (r *CheckReport) WriteJUnit(w io.Writer) error {
	s := junitSuite{Name: "mcusim check", Tests: len(r.Entries), Failures: r.Failed}
	for _, e := range r.Entries {
		tc := junitCase{Name: e.ID, Classname: "mcusim.check." + e.Board}
		prop := func(name, value string) { tc.Properties = append(tc.Properties, junitProperty{name, value}) }
		prop("model", e.Model)
		prop("board", e.Board)
		prop("engine", e.Engine.String())
		prop("schedule", e.Schedule)
		prop("input_source", e.Input)
		prop("fit", e.Fit)
		for _, f := range e.Figures {
			if f.After != nil {
				prop(f.Name, num(*f.After))
			}
			if f.Before != nil {
				prop(f.Name+".baseline", num(*f.Before))
			}
			if f.Delta != nil {
				prop(f.Name+".delta", Signed(*f.Delta))
			}
			if f.Budget != nil {
				prop(f.Name+".budget", num(*f.Budget))
			}
			prop(f.Name+".verdict", f.Verdict)
		}
		if e.Failed() {
			tc.Failure = &junitFailure{Message: e.Failures[0], Type: "mcusim.check",
				Text: strings.Join(e.Failures, "\n")}
		}
		s.Cases = append(s.Cases, tc)
	}
	doc := junitSuites{Tests: s.Tests, Failures: s.Failures, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// CheckRows is the diff table of a report: one row per entry and figure
// (entry, figure, before, after, delta, budget, verdict), "-" where a value is
// absent. The CLI's table and the Markdown summary print it.
func (r *CheckReport) CheckRows() [][7]string {
	var rows [][7]string
	cell := func(v *float64, signed bool) string {
		switch {
		case v == nil:
			return "-"
		case signed:
			return Signed(*v)
		}
		return num(*v)
	}
	for _, e := range r.Entries {
		for _, f := range e.Figures {
			rows = append(rows, [7]string{e.ID, f.Name, cell(f.Before, false), cell(f.After, false),
				cell(f.Delta, true), cell(f.Budget, false), f.Verdict})
		}
	}
	return rows
}

// WriteMarkdown writes a summary for a pull-request comment: the verdict, the
// figures that failed or moved first, then every entry in a collapsed table.
func (r *CheckReport) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	verdict := "✅ passed"
	if !r.Passed {
		verdict = fmt.Sprintf("❌ %d of %d entries failed", r.Failed, len(r.Entries))
	}
	fmt.Fprintf(&b, "### mcusim check: %s\n\n", verdict)
	fmt.Fprintf(&b, "Baseline `%s`, tolerance %s", r.Baseline, r.Tolerance)
	if r.FailOnSavings {
		b.WriteString(", savings beyond tolerance fail too")
	}
	b.WriteString(".\n\n")
	header := "| entry | figure | before | after | delta | budget | verdict |\n|---|---|--:|--:|--:|--:|---|\n"
	rows := r.CheckRows()
	var moved []string
	for _, row := range rows {
		line := "| " + strings.Join(mdEscape(row[:]), " | ") + " |\n"
		if row[6] != "ok" || (row[4] != "-" && row[4] != "+0") {
			moved = append(moved, line)
		}
	}
	if len(moved) > 0 {
		b.WriteString("Changed or failing figures:\n\n" + header + strings.Join(moved, "") + "\n")
	} else {
		b.WriteString("No figure moved.\n\n")
	}
	for _, e := range r.Entries {
		for _, f := range e.Failures {
			fmt.Fprintf(&b, "* `%s`: %s\n", e.ID, f)
		}
	}
	if len(r.Stale) > 0 {
		fmt.Fprintf(&b, "\nBaseline entries no longer in the configuration: %s.\n", strings.Join(r.Stale, ", "))
	}
	fmt.Fprintf(&b, "\n<details><summary>All %d entries</summary>\n\n%s", len(r.Entries), header)
	for _, row := range rows {
		b.WriteString("| " + strings.Join(mdEscape(row[:]), " | ") + " |\n")
	}
	b.WriteString("\n</details>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	return out
}
