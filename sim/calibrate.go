package sim

import (
	"fmt"
	"slices"
)

// Calibration is the one global parameter of the cycle model per (core, kernel
// style): Factor multiplies the priced cycles (mixes on the isa table plus
// memory stalls) to absorb what the mixes leave out — call and loop-nest
// overhead, compiler scheduling, stalls not modelled. It is fitted on measured
// rows (package sim/calib, `make calibrate`), never per model.
type Calibration struct {
	Core        string  `json:"core"`
	Style       string  `json:"style"`
	Factor      float64 `json:"factor"`
	PerOperator float64 `json:"per_operator_cycles"`
	Rows        int     `json:"rows"`
	MAPE        float64 `json:"fit_mape"`
	Source      string  `json:"source"`
}

// CalibrationFor returns the committed calibration of (core, style) (see
// LookupCalibration); with no row for the style at all it returns factor 1,
// marked uncalibrated.
func CalibrationFor(core, style string) Calibration {
	if c, ok := LookupCalibration(calibrationTable, core, style); ok {
		return c
	}
	return Calibration{Core: core, Style: style, Factor: 1, Source: "uncalibrated"}
}

// CalibrationTable returns a copy of the committed table
// (sim/calibration_table.go, written by `make calibrate`).
func CalibrationTable() []Calibration { return slices.Clone(calibrationTable) }

// LookupCalibration finds the calibration of (core, style) in a table. A core
// without measured rows borrows the Cortex-M7 factor of the same style and says
// so: the factor covers overheads of the kernel library, which cortex-m.md §7.4
// finds nearly board-invariant; the core's own timing is in its isa table. It
// reports false when the table has no row for the style on either core.
func LookupCalibration(table []Calibration, core, style string) (Calibration, bool) {
	for _, c := range table {
		if c.Core == core && c.Style == style {
			return c, true
		}
	}
	for _, c := range table {
		if c.Core == "cortex-m7" && c.Style == style {
			c.Core = core
			c.Source = fmt.Sprintf("no measured rows for %s; borrows the cortex-m7 factor (%s)", core, c.Source)
			return c, true
		}
	}
	return Calibration{}, false
}
