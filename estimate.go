package mcusim

import (
	"context"
	"fmt"
	"path/filepath"

	"mcusim/engine"
	"mcusim/mem"
	"mcusim/models"
	"mcusim/sim"
)

// EstimateOptions configure a latency and energy estimate.
type EstimateOptions struct {
	Board    *mem.Board
	Engine   string // kernel style, default tinyengine
	Plan     engine.Options
	ClockMHz int // 0 = the board's maximum
	// Exec runs the generated kernels and prices the measured block counts
	// instead of the closed form; the cycles are identical (tests prove it).
	Exec       bool
	WeightSeed int64
	Runner     *sim.Runner
}

// EstimateReport is the result of `mcusim estimate`.
type EstimateReport struct {
	Model    string `json:"model"`
	Board    string `json:"board"`
	Engine   string `json:"engine"`
	Planner  string `json:"planner"`
	Schedule string `json:"schedule"`
	*sim.Estimate
	PeakSRAM int    `json:"peak_sram_bytes"`
	Flash    int    `json:"flash_bytes"`
	MACs     int64  `json:"macs"`
	Fits     bool   `json:"fits"`
	Fit      Fit    `json:"fit"`
	Source   string `json:"counts"` // "closed form" or "execution"
	PlanNote string `json:"plan_note,omitempty"`
}

// Estimate plans a model, counts its blocks (closed form, or by running the
// kernels with Exec) and prices them on a board. A model that does not fit is
// reported as OOM, as the papers print it, without a latency.
func Estimate(ctx context.Context, g *models.Graph, opt EstimateOptions) (*EstimateReport, error) {
	if opt.Board == nil {
		return nil, fmt.Errorf("a board is required (see mcusim boards)")
	}
	if opt.Engine == "" {
		opt.Engine = engine.StyleTinyEngine
	}
	if !validStyle(opt.Engine) {
		return nil, fmt.Errorf("unknown engine %q; known: tinyengine, cmsis-nn, tflm-ref", opt.Engine)
	}
	if opt.Plan.Planner == "" {
		opt.Plan.Planner = engine.PlannerTinyEngine
	}
	if opt.Plan.Planner != engine.PlannerTinyEngine {
		return nil, fmt.Errorf("estimates price the executed TinyEngine placement; use --planner tinyengine (memory reports other conventions)")
	}
	plan, note, err := engine.PlanExecution(g, opt.Plan)
	if err != nil {
		return nil, err
	}
	rep := &EstimateReport{Model: g.Name, Board: opt.Board.ID, Engine: opt.Engine, Planner: plan.Planner,
		Schedule: plan.Schedule, PeakSRAM: plan.PeakSRAM, Flash: plan.Flash, MACs: plan.MACs,
		Source: "closed form", PlanNote: note}
	rep.Fit = CheckFit(plan, opt.Board)
	rep.Fits = rep.Fit.Fits
	if !rep.Fits {
		return rep, nil
	}
	var execs []sim.BlockExec
	if opt.Exec {
		rr, err := Run(ctx, g, RunOptions{Engine: opt.Engine, Plan: opt.Plan, WeightSeed: opt.WeightSeed, Runner: opt.Runner})
		if err != nil {
			return nil, err
		}
		execs = rr.execs
		rep.Source = "execution"
	} else {
		counts, err := engine.Count(plan, opt.Engine)
		if err != nil {
			return nil, err
		}
		execs = sim.ExecsOfCounts(counts)
	}
	est, err := sim.Price(plan, execs, sim.PriceOptions{Board: opt.Board, ClockMHz: opt.ClockMHz, Style: opt.Engine})
	if err != nil {
		return nil, err
	}
	rep.Estimate = est
	return rep, nil
}

func validStyle(s string) bool {
	for _, x := range engine.Styles() {
		if x == s {
			return true
		}
	}
	return false
}

// ValidationReport compares every measured latency mcusim can build with its
// estimate.
type ValidationReport struct {
	Rows    []sim.Validation  `json:"rows"`
	Skipped []sim.MeasuredRow `json:"skipped"`
	MAPE    []GroupError      `json:"mape"`
	Ratios  []SpeedupRatio    `json:"speedup_ratios"`
}

// GroupError is the mean absolute percentage error of one (board, engine).
type GroupError struct {
	Board  string  `json:"board"`
	Engine string  `json:"engine"`
	Rows   int     `json:"rows"`
	MAPE   float64 `json:"mape_pct"`
}

// SpeedupRatio compares TinyEngine's measured and estimated speed-up over
// another engine on one model.
type SpeedupRatio struct {
	Board, Model, Over string
	Measured           float64 `json:"measured"`
	Estimated          float64 `json:"estimated"`
	ErrorPct           float64 `json:"error_pct"`
}

// Validate estimates every measured row of dataDir/mcunet/reported_results.csv
// that mcusim can build.
func Validate(ctx context.Context, dataDir string) (*ValidationReport, error) {
	rows, err := sim.ReadMeasured(filepath.Join(dataDir, "mcunet", "reported_results.csv"))
	if err != nil {
		return nil, err
	}
	boards, err := DefaultBoards()
	if err != nil {
		return nil, err
	}
	rep := &ValidationReport{}
	type key struct{ board, engine string }
	sums := map[key]*GroupError{}
	var order []key
	est := map[[3]string]float64{}
	meas := map[[3]string]float64{}
	for _, r := range rows {
		if r.Skip != "" {
			rep.Skipped = append(rep.Skipped, r)
			continue
		}
		b, err := mem.Find(boards, r.BoardID)
		if err != nil {
			return nil, err
		}
		g, err := LoadModel(r.Model)
		if err != nil {
			return nil, err
		}
		e, err := Estimate(ctx, g, EstimateOptions{Board: b, Engine: r.Style})
		if err != nil {
			return nil, fmt.Errorf("%s %s %s: %v", r.Board, r.Engine, r.Model, err)
		}
		if e.Estimate == nil {
			r.Skip = "does not fit (" + e.Fit.Verdict + ")"
			rep.Skipped = append(rep.Skipped, r)
			continue
		}
		v := sim.Validation{MeasuredRow: r, EstimatedMS: e.LatencyMS, ErrorPct: 100 * (e.LatencyMS - r.LatencyMS) / r.LatencyMS}
		rep.Rows = append(rep.Rows, v)
		k := key{r.Board, r.Engine}
		if sums[k] == nil {
			sums[k] = &GroupError{Board: r.Board, Engine: r.Engine}
			order = append(order, k)
		}
		g2 := sums[k]
		g2.Rows++
		g2.MAPE += abs(v.ErrorPct)
		est[[3]string{r.Board, r.Style, r.Model}] = e.LatencyMS
		meas[[3]string{r.Board, r.Style, r.Model}] = r.LatencyMS
	}
	for _, k := range order {
		g := sums[k]
		g.MAPE /= float64(g.Rows)
		rep.MAPE = append(rep.MAPE, *g)
	}
	for k, te := range meas {
		if k[1] != engine.StyleTinyEngine {
			continue
		}
		for _, other := range []string{engine.StyleCMSISNN, engine.StyleTFLMRef} {
			ko := [3]string{k[0], other, k[2]}
			if m, ok := meas[ko]; ok {
				mr, er := m/te, est[ko]/est[k]
				rep.Ratios = append(rep.Ratios, SpeedupRatio{Board: k[0], Model: k[2], Over: other,
					Measured: mr, Estimated: er, ErrorPct: 100 * (er - mr) / mr})
			}
		}
	}
	return rep, nil
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
