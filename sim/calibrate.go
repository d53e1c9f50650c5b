package sim

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"mcusim/engine"
	"mcusim/mem"
	"mcusim/models/zoo"
)

// Calibration is the one global parameter of the cycle model per (core, kernel
// style): Factor multiplies the priced cycles (mixes on the isa table plus
// memory stalls) to absorb what the mixes leave out — call and loop-nest
// overhead, compiler scheduling, stalls not modelled. It is fitted on measured
// rows (FitCalibration, `make calibrate`), never per model.
type Calibration struct {
	Core        string  `json:"core"`
	Style       string  `json:"style"`
	Factor      float64 `json:"factor"`
	PerOperator float64 `json:"per_operator_cycles"`
	Rows        int     `json:"rows"`
	MAPE        float64 `json:"fit_mape"`
	Source      string  `json:"source"`
}

// CalibrationFor returns the calibration of (core, style). A core without
// measured rows borrows the Cortex-M7 factor of the same style and says so: the
// factor covers overheads of the kernel library, which cortex-m.md §7.4 finds
// nearly board-invariant; the core's own timing is in its isa table.
func CalibrationFor(core, style string) Calibration {
	for _, c := range calibrationTable {
		if c.Core == core && c.Style == style {
			return c
		}
	}
	for _, c := range calibrationTable {
		if c.Core == "cortex-m7" && c.Style == style {
			c.Core = core
			c.Source = fmt.Sprintf("no measured rows for %s; borrows the cortex-m7 factor (%s)", core, c.Source)
			return c
		}
	}
	return Calibration{Core: core, Style: style, Factor: 1, Source: "uncalibrated"}
}

// MeasuredRow is one published latency we can compare with.
type MeasuredRow struct {
	Source, Board, Engine, Model string
	LatencyMS                    float64
	// Style is the kernel style the row is compared with ("" when the row is
	// not simulated; Skip says why).
	Style, Skip string
	BoardID     string
	// Fit marks the rows the calibration is fitted on (TinyEngine's 2022
	// release and the single CMSIS-NN and reference-TFLM columns); the others
	// are compared only.
	Fit bool
}

// engineStyles maps the engine columns of reported_results.csv to kernel styles.
// TFLM@713b6ed runs TFLM's portable reference kernels (≈44 cycles/MAC,
// cortex-m.md §7.1) and the "CMSIS-NN v2.0.0" column is CMSIS-NN kernels under
// the TFLM interpreter. TFLM v2.1.0 (≈12 cycles/MAC) and the 2021 TF-Lite column
// used an undocumented optimised build, and TinyEngine's 2021 release was 30–50%
// slower than its 2022 one on the same board (cortex-m.md §7.2): those rows are
// listed but not fitted.
var engineStyles = map[string]string{
	"TinyEngine(2022-08)": engine.StyleTinyEngine,
	"TinyEngine (2021)":   engine.StyleTinyEngine,
	"CMSIS-NN-v2.0.0":     engine.StyleCMSISNN,
	"TFLM@713b6ed":        engine.StyleTFLMRef,
}

// fitEngines are the columns the factors are fitted on. The 2021 TinyEngine
// rows are an earlier release (30–50% more cycles per MAC on the same board,
// cortex-m.md §7.2) and the only rows on the F412 and H743: they are compared,
// as an out-of-sample check across releases and boards, not fitted.
var fitEngines = map[string]bool{"TinyEngine(2022-08)": true, "CMSIS-NN-v2.0.0": true, "TFLM@713b6ed": true}

// modelName maps a README model label to a zoo name: "mcunet-5fps (in1)" →
// "mcunet-in1"; Fig. 4's models have no published layer list (claims.md §2.2).
func modelName(s string) string {
	if i := strings.Index(s, "(in"); i >= 0 && strings.HasSuffix(s, ")") {
		return "mcunet-" + s[i+1:len(s)-1]
	}
	return s
}

var boardIDs = map[string]string{"STM32F746": "stm32f746", "STM32F412": "stm32f412", "STM32H743": "stm32h743"}

// ReadMeasured reads the latency rows of shared/data/mcunet/reported_results.csv.
func ReadMeasured(path string) ([]MeasuredRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, c := range []string{"source", "board", "engine", "model", "metric", "value", "unit"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s: no column %q", path, c)
		}
	}
	var rows []MeasuredRow
	seen := map[string]bool{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if rec[col["metric"]] != "latency" || rec[col["unit"]] != "ms" {
			continue
		}
		v, err := strconv.ParseFloat(rec[col["value"]], 64)
		if err != nil {
			continue // OOM
		}
		row := MeasuredRow{Source: rec[col["source"]], Board: rec[col["board"]], Engine: rec[col["engine"]],
			Model: modelName(rec[col["model"]]), LatencyMS: v}
		key := row.Board + "|" + row.Engine + "|" + row.Model + "|" + rec[col["value"]]
		if seen[key] {
			continue // the README table is transcribed twice in places
		}
		seen[key] = true
		row.BoardID = boardIDs[row.Board]
		row.Style = engineStyles[row.Engine]
		row.Fit = fitEngines[row.Engine]
		_, merr := zoo.Load(row.Model)
		switch {
		case row.BoardID == "":
			row.Skip = "board not in the database"
		case merr != nil:
			row.Skip = "no layer list for " + row.Model + " (not published)"
		case row.Style == "":
			row.Skip = "engine not modelled (" + row.Engine + ")"
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// Validation is one simulated row.
type Validation struct {
	MeasuredRow
	EstimatedMS float64 `json:"estimated_ms"`
	ErrorPct    float64 `json:"error_pct"`
}

// RawCycles prices a row without calibration (Factor 1): the input of the fit.
func RawCycles(ctx context.Context, board *mem.Board, model, style string) (float64, error) {
	g, err := zoo.Load(model)
	if err != nil {
		return 0, err
	}
	pl, _, err := engine.PlanExecution(g, engine.Options{Planner: engine.PlannerTinyEngine})
	if err != nil {
		return 0, err
	}
	counts, err := engine.Count(pl, style)
	if err != nil {
		return 0, err
	}
	est, err := priceWith(pl, ExecsOfCounts(counts), PriceOptions{Board: board, Style: style},
		Calibration{Factor: 1, Source: "raw"})
	if err != nil {
		return 0, err
	}
	return est.Cycles, nil
}

// FitCalibration fits Factor per (core, style) on the simulated rows by
// relative least squares, minimising Σ ((F·raw_i − meas_i)/meas_i)², whose
// solution is F = Σ(raw/meas) / Σ(raw/meas)². It returns the table and the
// per-row raw cycles.
func FitCalibration(ctx context.Context, rows []MeasuredRow, boards []mem.Board) ([]Calibration, error) {
	type acc struct {
		sx, sxx float64
		n       int
		errs    []float64
		xs      []float64
	}
	groups := map[[2]string]*acc{}
	for _, r := range rows {
		if r.Skip != "" || !r.Fit {
			continue
		}
		b, err := mem.Find(boards, r.BoardID)
		if err != nil {
			return nil, err
		}
		raw, err := RawCycles(ctx, b, r.Model, r.Style)
		if err != nil {
			return nil, fmt.Errorf("%s %s %s: %v", r.Board, r.Engine, r.Model, err)
		}
		meas := r.LatencyMS * 1e3 * float64(b.ClockMHz)
		x := raw / meas
		k := [2]string{string(b.Core), r.Style}
		a := groups[k]
		if a == nil {
			a = &acc{}
			groups[k] = a
		}
		a.sx += x
		a.sxx += x * x
		a.n++
		a.xs = append(a.xs, x)
	}
	var out []Calibration
	for k, a := range groups {
		f := a.sx / a.sxx
		mape := 0.0
		for _, x := range a.xs {
			mape += math.Abs(f*x-1) * 100
		}
		mape /= float64(a.n)
		out = append(out, Calibration{Core: k[0], Style: k[1], Factor: f, Rows: a.n, MAPE: mape,
			Source: fmt.Sprintf("fitted on %d measured STM32F746 row(s) of reported_results.csv (TinyEngine README, Aug 2022)", a.n)})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Core+out[i].Style < out[j].Core+out[j].Style
	})
	return out, nil
}

// WriteCalibrationTable writes the Go source of the calibration table.
func WriteCalibrationTable(w io.Writer, cals []Calibration) error {
	var b strings.Builder
	b.WriteString("// Code generated by `make calibrate` (mcusim calibrate --write); DO NOT EDIT.\n\n")
	b.WriteString("package sim\n\n")
	b.WriteString("// calibrationTable holds the fitted factor per (core, style) with its\n")
	b.WriteString("// provenance: the measured rows of shared/data/mcunet/reported_results.csv that\n")
	b.WriteString("// mcusim can build (see FitCalibration and RATIONALE.md).\n")
	b.WriteString("var calibrationTable = []Calibration{\n")
	for _, c := range cals {
		fmt.Fprintf(&b, "\t{Core: %q, Style: %q, Factor: %.6f, Rows: %d, MAPE: %.2f, Source: %q},\n",
			c.Core, c.Style, c.Factor, c.Rows, c.MAPE, c.Source)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
