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
	// StallCycles is the memory-stall part of RawCycles, which the factor does
	// not scale (DESIGN.md "Cycle model").
	StallCycles float64 `json:"stall_cycles"`
}

// coreRatio is u = core cycles / measured, the quantity the factor scales,
// and stallRatio s = stall cycles / measured: estimate / measured = F·u + s.
func (o *Observation) coreRatio() float64  { return (o.RawCycles - o.StallCycles) / o.MeasuredCycles }
func (o *Observation) stallRatio() float64 { return o.StallCycles / o.MeasuredCycles }

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
		raw, stall, skip, err := rawCycles(pl, b, r.Style)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s %s: %v", r.Board, r.Engine, r.Model, err)
		}
		if skip != "" {
			r.Skip = skip
			skipped = append(skipped, r)
			continue
		}
		obs = append(obs, Observation{Row: r, Core: string(b.Core), ClockMHz: b.ClockMHz,
			RawCycles: raw, StallCycles: stall, MeasuredCycles: r.LatencyMS * 1e3 * float64(b.ClockMHz)})
	}
	return obs, skipped, nil
}

// rawCycles prices a plan with factor 1 and returns its cycles and their
// memory-stall part. A plan that does not fit the board (SRAM placement or
// flash) is a skip reason, not an error.
func rawCycles(pl *plan.Plan, b *mem.Board, style string) (raw, stall float64, skip string, err error) {
	est, skip, err := priced(pl, b, style, sim.Calibration{Factor: 1, Source: "raw"})
	if est == nil {
		return 0, 0, skip, err
	}
	return est.Cycles, est.StallCycles, "", nil
}

// priced prices a plan on b in style with cal (nil estimate with a skip
// reason when it does not fit).
func priced(pl *plan.Plan, b *mem.Board, style string, cal sim.Calibration) (*sim.Estimate, string, error) {
	if pl.Flash > b.Flash.Size {
		return nil, fmt.Sprintf("does not fit (%d bytes of weights, %d of flash)", pl.Flash, b.Flash.Size), nil
	}
	st, err := kernels.ParseStyle(style)
	if err != nil {
		return nil, "", err
	}
	p, err := sim.NewPricerWith(sim.PriceOptions{Board: b, Style: st}, cal)
	if err != nil {
		return nil, "", err
	}
	est, err := p.PriceEach(pl)
	if errors.Is(err, mem.ErrNoFit) {
		return nil, "does not fit (" + err.Error() + ")", nil
	}
	if err != nil {
		return nil, "", err
	}
	return est, "", nil
}

// Fit fits the factor of every (core, style) that has observations marked Fit,
// by relative least squares on the core cycles (the factor scales them only;
// stalls stay as the memory model prices them): it minimises
// Σ ((F·core_i + stall_i − meas_i)/meas_i)², whose solution is
// F = Σ u_i·(1 − s_i) / Σ u_i² with u = core/meas and s = stall/meas (with no
// stall, F = Σx/Σx² over x = raw/meas). MAPE is the in-sample mean
// |F·u + s − 1|. The table is sorted by core, then style.
func Fit(obs []Observation) []sim.Calibration {
	return fitWhere(obs, func(o *Observation) bool { return o.Fit })
}

// fitWhere fits on the observations that pass use.
func fitWhere(obs []Observation, use func(*Observation) bool) []sim.Calibration {
	type acc struct {
		sur, suu float64
		us, ss   []float64
		boards   []string
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
		u, st := o.coreRatio(), o.stallRatio()
		a.sur += u * (1 - st)
		a.suu += u * u
		a.us, a.ss = append(a.us, u), append(a.ss, st)
		if !contains(a.boards, o.Board) {
			a.boards = append(a.boards, o.Board)
		}
	}
	out := make([]sim.Calibration, 0, len(groups))
	for k, a := range groups {
		f := a.sur / a.suu
		mape := 0.0
		for i, u := range a.us {
			mape += math.Abs(f*u+a.ss[i]-1) * 100
		}
		mape /= float64(len(a.us))
		sort.Strings(a.boards)
		out = append(out, sim.Calibration{Core: k[0], Style: k[1], Factor: f, Rows: len(a.us), MAPE: mape,
			Source: fmt.Sprintf("fitted on %d measured %s row(s) of reported_results.csv (TinyEngine README, Aug 2022); scales core cycles, stalls unscaled", len(a.us), strings.Join(a.boards, ", "))})
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
