package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"mcusim/bench/claims"
)

func cmdClaims(args []string, out, errw io.Writer) error {
	fs := newFlags("claims", "[--json | --md]", errw)
	asJSON := fs.Bool("json", false, "print one JSON object")
	md := fs.Bool("md", false, "print a Markdown table (the README's)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *asJSON && *md {
		return usagef("--json and --md exclude each other")
	}
	rows, err := claims.Evaluate()
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(out, map[string]any{"tolerance": claims.Tolerance, "claims": rows})
	}
	header := [6]string{"source", "claim", "published", "mcusim", "difference", "verdict"}
	if *md {
		fmt.Fprintln(out, "| "+strings.Join(header[:], " | ")+" |")
		fmt.Fprintln(out, "|---|---|--:|--:|--:|---|")
		for i := range rows {
			r := rows[i].Row()
			fmt.Fprintln(out, "| "+strings.Join(r[:], " | ")+" |")
		}
		return nil
	}
	tw := tabwriter.NewWriter(out, 2, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header[:], "\t"))
	for i := range rows {
		r := rows[i].Row()
		fmt.Fprintln(tw, strings.Join(r[:], "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nreproduced = equal at the published precision (its printed digits, or the reading error of a figure); within tolerance = within %.0f%%.\n", 100*claims.Tolerance)
	return nil
}
