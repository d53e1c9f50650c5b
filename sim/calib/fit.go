package calib

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/mem"
	"mcusim/sim"
)

// Observation is a simulated row: the cycles mcusim prices for it with factor
// 1 (the input of the fit) beside the measured cycles.
type Observation struct {
	Row
	Core     string `json:"core"`
	ClockMHz int    `json:"clock_mhz"`
	// RawCycles is the priced cycles with factor 1 (isa mixes plus memory
	// stalls); MeasuredCycles = latency × clock.
	RawCycles      float64 `json:"raw_cycles"`
	MeasuredCycles float64 `json:"measured_cycles"`
}

// ratio is x = raw / measured, the quantity the factor is fitted on.
func (o *Observation) ratio() float64 { return o.RawCycles / o.MeasuredCycles }

// Observe simulates every row it can: it resolves the graphs, plans each model
// as `mcusim estimate` does (plan.PlanExecution with the TinyEngine planner),
// counts its blocks in closed form and prices them on the row's board at its
// maximum clock (the measurements' clock, cortex-m.md §7.1, §7.2) with factor 1.
// Rows that cannot be simulated come back in skipped with a reason.
func Observe(ctx context.Context, rows []Row, boards []mem.Board, res Resolver) (obs []Observation, skipped []Row, err error) {
	rows = append([]Row(nil), rows...)
	graphs, err := resolve(rows, res)
	if err != nil {
		return nil, nil, err
	}
	plans := map[string]*plan.Plan{}
	for _, r := range rows {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if r.Skip != "" {
			skipped = append(skipped, r)
			continue
		}
		b, err := mem.Find(boards, r.BoardID)
		if err != nil {
			return nil, nil, err
		}
		pl := plans[r.Model]
		if pl == nil {
			if pl, err = planOf(graphs[r.Model]); err != nil {
				return nil, nil, fmt.Errorf("%s %s %s: %v", r.Board, r.Engine, r.Model, err)
			}
			plans[r.Model] = pl
		}
		raw, skip, err := rawCycles(pl, b, r.Style)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s %s: %v", r.Board, r.Engine, r.Model, err)
		}
		if skip != "" {
			r.Skip = skip
			skipped = append(skipped, r)
			continue
		}
		obs = append(obs, Observation{Row: r, Core: string(b.Core), ClockMHz: b.ClockMHz,
			RawCycles: raw, MeasuredCycles: r.LatencyMS * 1e3 * float64(b.ClockMHz)})
	}
	return obs, skipped, nil
}

// rawCycles prices a plan with factor 1. A plan that does not fit the board
// (SRAM placement or flash) is a skip reason, not an error.
func rawCycles(pl *plan.Plan, b *mem.Board, style string) (float64, string, error) {
	if pl.Flash > b.Flash.Size {
		return 0, fmt.Sprintf("does not fit (%d bytes of weights, %d of flash)", pl.Flash, b.Flash.Size), nil
	}
	st, err := kernels.ParseStyle(style)
	if err != nil {
		return 0, "", err
	}
	p, err := sim.NewPricerWith(sim.PriceOptions{Board: b, Style: st}, sim.Calibration{Factor: 1, Source: "raw"})
	if err != nil {
		return 0, "", err
	}
	est, err := p.PriceEach(pl)
	if errors.Is(err, mem.ErrNoFit) {
		return 0, "does not fit (" + err.Error() + ")", nil
	}
	if err != nil {
		return 0, "", err
	}
	return est.Cycles, "", nil
}

// Fit fits the factor of every (core, style) that has observations marked Fit,
// by relative least squares: it minimises Σ ((F·raw_i − meas_i)/meas_i)², whose
// solution is F = Σ x_i / Σ x_i² with x = raw/meas. MAPE is the in-sample mean
// |F·x − 1|. The table is sorted by core, then style.
func Fit(obs []Observation) []sim.Calibration {
	return fitWhere(obs, func(o *Observation) bool { return o.Fit })
}

// fitWhere fits on the observations that pass use.
func fitWhere(obs []Observation, use func(*Observation) bool) []sim.Calibration {
	type acc struct {
		sx, sxx float64
		xs      []float64
		boards  []string
	}
	groups := map[[2]string]*acc{}
	for i := range obs {
		o := &obs[i]
		if !use(o) {
			continue
		}
		k := [2]string{o.Core, o.Style}
		a := groups[k]
		if a == nil {
			a = &acc{}
			groups[k] = a
		}
		x := o.ratio()
		a.sx += x
		a.sxx += x * x
		a.xs = append(a.xs, x)
		if !contains(a.boards, o.Board) {
			a.boards = append(a.boards, o.Board)
		}
	}
	out := make([]sim.Calibration, 0, len(groups))
	for k, a := range groups {
		f := a.sx / a.sxx
		mape := 0.0
		for _, x := range a.xs {
			mape += math.Abs(f*x-1) * 100
		}
		mape /= float64(len(a.xs))
		sort.Strings(a.boards)
		out = append(out, sim.Calibration{Core: k[0], Style: k[1], Factor: f, Rows: len(a.xs), MAPE: mape,
			Source: fmt.Sprintf("fitted on %d measured %s row(s) of reported_results.csv (TinyEngine README, Aug 2022)", len(a.xs), strings.Join(a.boards, ", "))})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Core+out[i].Style < out[j].Core+out[j].Style
	})
	return out
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// WriteTable writes the Go source of sim's calibration table
// (sim/calibration_table.go).
func WriteTable(w io.Writer, cals []sim.Calibration) error {
	var b strings.Builder
	b.WriteString("// Code generated by `make calibrate` (mcusim calibrate --write); DO NOT EDIT.\n\n")
	b.WriteString("package sim\n\n")
	b.WriteString("// calibrationTable holds the fitted factor per (core, style) with its\n")
	b.WriteString("// provenance: the measured rows of shared/data/mcunet/reported_results.csv that\n")
	b.WriteString("// mcusim can build (see package sim/calib and RATIONALE.md).\n")
	b.WriteString("var calibrationTable = []Calibration{\n")
	for _, c := range cals {
		fmt.Fprintf(&b, "\t{Core: %q, Style: %q, Factor: %.6f, Rows: %d, MAPE: %.2f, Source: %q},\n",
			c.Core, c.Style, c.Factor, c.Rows, c.MAPE, c.Source)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
