package calib

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"mcusim/engine/plan"
	"mcusim/mem"
	"mcusim/sim"
)

// DeriveCoreFactors gives every core that has no fitted rows of a style a
// factor derived from the Cortex-M7 one instead of lending it unscaled
// (issue 9): the same vendor engines (Bosch HALE, Plumerai, X-CUBE-AI) ran the
// same MLPerf Tiny models on M7 boards and on this core's boards, so their
// measured cycle ratios say how the core's cycles compare. For each such pair
// (CrossBoard with a Cortex-M7 base) mcusim prices the model in CrossBoardStyle
// on both boards, the base with the fitted M7 factor; the core's scale g
// multiplies the M7 factor on the core cycles and is fitted by relative least
// squares on the ratio, min Σ((g·F·c + s)/(R·E_base) − 1)², so
// g = Σu(1−σ)/Σu² with u = F·c/(R·E_base), σ = s/(R·E_base) (c, s: the
// core's board's core and stall cycles; R the measured ratio). The derived
// factor of (core, style) is g × the fitted M7 factor of the style: g says
// how far the core's real cycles are from its isa table relative to the M7's,
// which the library-specific factor then carries to every style.
func DeriveCoreFactors(ctx context.Context, fitted []sim.Calibration, pairs []CrossBoard, boards []mem.Board, res Resolver) ([]sim.Calibration, error) {
	const m7 = string(mem.CortexM7)
	m7f, ok := sim.LookupCalibration(fitted, m7, CrossBoardStyle)
	if !ok || m7f.Core != m7 {
		return fitted, nil // no M7 factor of the pair style to scale from
	}
	plans := map[string]*plan.Plan{}
	price := func(model, boardID string, cal sim.Calibration) (*sim.Estimate, error) {
		pl := plans[model]
		if pl == nil {
			g, err := res(model)
			if err != nil || g == nil {
				return nil, fmt.Errorf("%s: no graph (%v)", model, err)
			}
			if pl, err = planOf(g); err != nil {
				return nil, fmt.Errorf("%s: %v", model, err)
			}
			plans[model] = pl
		}
		b, err := mem.Find(boards, boardID)
		if err != nil {
			return nil, err
		}
		est, skip, err := priced(pl, b, CrossBoardStyle, cal)
		if err == nil && skip != "" {
			err = fmt.Errorf("%s on %s: %s", model, boardID, skip)
		}
		return est, err
	}
	type acc struct {
		sur, suu float64
		n        int
		boards   []string
		engines  []string
	}
	scales := map[string]*acc{}
	for _, p := range pairs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		bb, err := mem.Find(boards, p.Base)
		if err != nil {
			return nil, err
		}
		ob, err := mem.Find(boards, p.Board)
		if err != nil {
			return nil, err
		}
		if string(bb.Core) != m7 || string(ob.Core) == m7 {
			continue
		}
		model := mlperfModels[p.Benchmark]
		base, err := price(model, p.Base, m7f)
		if err != nil {
			return nil, err
		}
		raw, err := price(model, p.Board, sim.Calibration{Factor: 1, Source: "raw"})
		if err != nil {
			return nil, err
		}
		den := p.Measured * base.Cycles
		u := m7f.Factor * (raw.Cycles - raw.StallCycles) / den
		s := raw.StallCycles / den
		core := string(ob.Core)
		a := scales[core]
		if a == nil {
			a = &acc{}
			scales[core] = a
		}
		a.sur += u * (1 - s)
		a.suu += u * u
		a.n++
		if !contains(a.boards, ob.ID) {
			a.boards = append(a.boards, ob.ID)
		}
		if !contains(a.engines, p.Submitter) {
			a.engines = append(a.engines, p.Submitter)
		}
	}
	out := append([]sim.Calibration(nil), fitted...)
	for core, a := range scales {
		g := a.sur / a.suu
		sort.Strings(a.boards)
		sort.Strings(a.engines)
		for _, c := range fitted {
			if c.Core != m7 {
				continue
			}
			if _, has := findCal(fitted, core, c.Style); has {
				continue
			}
			out = append(out, sim.Calibration{Core: core, Style: c.Style, Factor: g * c.Factor,
				Source: fmt.Sprintf("derived: cortex-m7 factor %.4f × core scale %.4f, fitted on %d MLPerf Tiny cross-core cycle ratios (%s on %s vs Cortex-M7 boards); scales core cycles, stalls unscaled",
					c.Factor, g, a.n, strings.Join(a.engines, ", "), strings.Join(a.boards, ", "))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Core+out[i].Style < out[j].Core+out[j].Style })
	return out, nil
}

func findCal(table []sim.Calibration, core, style string) (sim.Calibration, bool) {
	for _, c := range table {
		if c.Core == core && c.Style == style {
			return c, true
		}
	}
	return sim.Calibration{}, false
}
