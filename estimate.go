package mcusim

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"mcusim/engine/count"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/mem"
	"mcusim/models"
	"mcusim/models/zoo"
	"mcusim/sim"
	"mcusim/sim/calib"
)

// EstimateOptions configure a latency and energy estimate.
type EstimateOptions struct {
	Board    *mem.Board
	Engine   string // kernel style, default tinyengine
	Plan     plan.Options
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
		opt.Engine = kernels.StyleTinyEngine.String()
	}
	style, err := kernels.ParseStyle(opt.Engine)
	if err != nil {
		return nil, err
	}
	if opt.Plan.Planner == "" {
		opt.Plan.Planner = plan.PlannerTinyEngine
	}
	if opt.Plan.Planner != plan.PlannerTinyEngine {
		return nil, fmt.Errorf("estimates price the executed TinyEngine placement; use --planner tinyengine (memory reports other conventions)")
	}
	pl, note, err := plan.PlanExecution(g, opt.Plan)
	if err != nil {
		return nil, err
	}
	rep := &EstimateReport{Model: g.Name, Board: opt.Board.ID, Engine: opt.Engine, Planner: pl.Planner,
		Schedule: pl.Schedule, PeakSRAM: pl.PeakSRAM, Flash: pl.Flash, MACs: pl.MACs,
		Source: "closed form", PlanNote: note}
	rep.Fit = CheckFit(pl, opt.Board)
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
		counts, err := count.Count(pl, style)
		if err != nil {
			return nil, err
		}
		execs = sim.ExecsOfCounts(counts)
	}
	est, err := sim.Price(pl, execs, sim.PriceOptions{Board: opt.Board, ClockMHz: opt.ClockMHz, Style: style})
	if err != nil {
		return nil, err
	}
	rep.Estimate = est
	return rep, nil
}

// ValidationReport is the validation of the cycle model against the measured
// rows (package sim/calib): every row marked fitted or held out, with its
// in-sample, leave-one-out, held-out, leave-one-board-out and
// leave-one-engine-version-out errors, summarised per (core, style).
type ValidationReport = calib.Report

// measuredRows reads dataDir/mcunet/reported_results.csv.
func measuredRows(dataDir string) ([]calib.Row, error) {
	return calib.ReadReported(filepath.Join(dataDir, "mcunet", "reported_results.csv"))
}

// resolveMeasured gives calib the graph of a model named in a measured row; a
// name the zoo does not know has no published layer list.
func resolveMeasured(name string) (*models.Graph, error) {
	if _, err := zoo.Spec(name); err != nil {
		return nil, nil
	}
	return LoadModel(name)
}

// Validate estimates every measured row of dataDir/mcunet/reported_results.csv
// that mcusim can build, with the committed calibration.
func Validate(ctx context.Context, dataDir string) (*ValidationReport, error) {
	rows, err := measuredRows(dataDir)
	if err != nil {
		return nil, err
	}
	boards, err := DefaultBoards()
	if err != nil {
		return nil, err
	}
	return calib.Validate(ctx, rows, boards, resolveMeasured, sim.CalibrationTable())
}

// Calibrate refits the factor per (core, style) on the measured rows of
// dataDir/mcunet/reported_results.csv marked for fitting (what `make
// calibrate` commits).
func Calibrate(ctx context.Context, dataDir string) ([]sim.Calibration, error) {
	rows, err := measuredRows(dataDir)
	if err != nil {
		return nil, err
	}
	boards, err := DefaultBoards()
	if err != nil {
		return nil, err
	}
	obs, _, err := calib.Observe(ctx, rows, boards, resolveMeasured)
	if err != nil {
		return nil, err
	}
	return calib.Fit(obs), nil
}

// WriteCalibrationTable writes a fitted table as the Go source of
// sim/calibration_table.go.
func WriteCalibrationTable(w io.Writer, cals []sim.Calibration) error {
	return calib.WriteTable(w, cals)
}
