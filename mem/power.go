package mem

import "fmt"

// Power bases (boards.toml power_basis, Board.PowerBasis).
const (
	PowerMeasured  = "measured"  // board level, at clock_mhz (MLPerf Tiny energy ÷ latency, cortex-m.md §8)
	PowerDatasheet = "datasheet" // the MCU alone: supply_v × the datasheet's run-mode current
	PowerEstimate  = "estimate"  // a modelling guess, method in the boards.toml comment
)

// runCurrentMA is the datasheet's run-mode current at f MHz: a static part
// plus a slope per MHz, I(f) = I_static + k·f (the form of the STM32
// datasheets' "Typical and maximum current consumption in Run mode" tables,
// which list I at several f).
func (b *Board) runCurrentMA(f int) float64 {
	return b.RunStaticMA + b.RunUAPerMHz*float64(f)/1000
}

// PowerAt returns the power during inference at a core clock in MHz (0 = the
// board's maximum), as P(f) = V·(I_static + k·f) (cortex-m.md §8: power is
// nearly constant per board across models, so E = P(f) × cycles / f):
//
//   - with a measured (or estimated) power_mw at clock_mhz and the datasheet's
//     run-mode current, the figure at clock_mhz is scaled along the current:
//     P(f) = power_mw × I(f) / I(f_max). The board-level figure keeps its
//     level (board overheads, the energy monitor's supply) and takes the
//     datasheet's shape; with no static current recorded this is P ∝ f, which
//     under-estimates the power at low clocks by the unrecorded static part;
//   - with only the datasheet's current, P(f) = supply_v × I(f): the MCU alone,
//     below a board-level figure (on the STM32U575 the datasheet's 19.5 µA/MHz
//     gives 10 mW at 160 MHz and 3.3 V, the board measures 23–27 mW);
//   - with power_mw but no datasheet current, the power is known at clock_mhz
//     only.
//
// An unknown power is an error that says why.
func (b *Board) PowerAt(clockMHz int) (float64, error) {
	f := clockMHz
	if f <= 0 {
		f = b.ClockMHz
	}
	switch {
	case b.PowerMW > 0 && f == b.ClockMHz:
		return b.PowerMW, nil
	case b.PowerMW > 0 && b.RunUAPerMHz > 0:
		// PowerMW is supply_v·I(f_max) when it came from the datasheet, so this
		// is supply_v·I(f) then.
		return b.PowerMW * b.runCurrentMA(f) / b.runCurrentMA(b.ClockMHz), nil
	case b.PowerMW > 0:
		return 0, fmt.Errorf("%s: power known at %d MHz only (%g mW); no datasheet run-mode current (run_ua_per_mhz) to scale it to %d MHz", b.ID, b.ClockMHz, b.PowerMW, f)
	case b.PowerUnknown != "":
		return 0, fmt.Errorf("%s: %s", b.ID, b.PowerUnknown)
	}
	return 0, fmt.Errorf("%s: no power figure for this board", b.ID)
}

// PowerNote explains the power figure at a clock, with its basis, for the
// notes of an estimate; "" when the power is unknown.
func (b *Board) PowerNote(clockMHz int) string {
	f := clockMHz
	if f <= 0 {
		f = b.ClockMHz
	}
	if _, err := b.PowerAt(f); err != nil {
		return ""
	}
	shape := fmt.Sprintf("I(f) = %g mA + %g µA/MHz·f", b.RunStaticMA, b.RunUAPerMHz)
	if b.RunStaticMA == 0 && f < b.ClockMHz {
		shape += "; no static current recorded, so P ∝ f and low clocks are under-estimated"
	}
	basis := "estimate, MCU only"
	switch b.PowerBasis {
	case PowerMeasured:
		basis = "measured, board level"
	case PowerDatasheet:
		basis = "datasheet, MCU only"
	}
	switch {
	case b.SupplyV > 0:
		return fmt.Sprintf("%s: %g V × run current %s", basis, b.SupplyV, shape)
	case f == b.ClockMHz:
		return fmt.Sprintf("%s at %d MHz", basis, f)
	}
	return fmt.Sprintf("%s: %g mW at %d MHz × I(%d)/I(%d), datasheet run current %s", basis, b.PowerMW, b.ClockMHz, f, b.ClockMHz, shape)
}
