package mcusim

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"

	"mcusim/models"
	"mcusim/models/zoo"
	"mcusim/sim"
	"mcusim/sim/calib"
	"mcusim/sim/wasmrun"
)

// EstimateOptions configure a one-shot latency and energy estimate (Estimate).
// Many estimates on one board and style share an Estimator instead.
type EstimateOptions struct {
	Board *Board
	// Style is the kernel style; the zero value is tinyengine.
	Style    Style
	Plan     PlanOptions
	ClockMHz int // 0 = the board's maximum
	// CountByExecution runs the generated kernels and prices the measured
	// block counts instead of the closed form; the cycles are identical (tests
	// prove it).
	CountByExecution bool
	WeightSeed       int64
	// CacheDir keeps compiled modules across processes (CompilationCacheDir).
	CacheDir string
	Runner   *wasmrun.Runner
}

// EstimateReport is the result of `mcusim estimate`.
type EstimateReport struct {
	Model    string `json:"model"`
	Board    string `json:"board"`
	Style    Style  `json:"engine"`
	Planner  string `json:"planner"`
	Schedule string `json:"schedule"`
	// Patch describes the patch-based schedule, nil when layer-based.
	Patch *PatchInfo `json:"patch,omitempty"`
	*sim.Estimate
	PeakSRAM int `json:"peak_sram_bytes"`
	InputUse
	Flash    int       `json:"flash_bytes"`
	MACs     int64     `json:"macs"`
	Fits     bool      `json:"fits"`
	Fit      FitReport `json:"fit"`
	Source   string    `json:"counts"` // "closed form" or "execution"
	PlanNote string    `json:"plan_note,omitempty"`
}

// Estimate is a one-shot Estimator.Estimate: it opens a session for one model.
func Estimate(ctx context.Context, g *Graph, opt EstimateOptions) (*EstimateReport, error) {
	e, err := NewEstimator(opt.Board, opt.Style, EstimatorOptions{Plan: opt.Plan, ClockMHz: opt.ClockMHz,
		CountByExecution: opt.CountByExecution, WeightSeed: opt.WeightSeed, CacheDir: opt.CacheDir, Runner: opt.Runner})
	if err != nil {
		return nil, err
	}
	defer e.Close(ctx)
	return e.Estimate(ctx, g)
}

// ValidationReport is the validation of the cycle model against the measured
// rows (package sim/calib): every row marked fitted or held out, with its
// in-sample, leave-one-out, held-out, leave-one-board-out and
// leave-one-engine-version-out errors, summarised per (core, style).
type ValidationReport = calib.Report

// measured reads dataDir/mcunet/reported_results.csv and the built-in boards
// its rows name.
func measured(dataDir string) ([]calib.Row, []Board, error) {
	rows, err := calib.ReadReported(filepath.Join(dataDir, "mcunet", "reported_results.csv"))
	if err != nil {
		return nil, nil, err
	}
	boards, err := DefaultBoards()
	return rows, boards, err
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
	rows, boards, err := measured(dataDir)
	if err != nil {
		return nil, err
	}
	rep, err := calib.Validate(ctx, rows, boards, resolveMeasured, sim.CalibrationTable())
	if err != nil {
		return nil, err
	}
	vendor, err := calib.ReadMLPerf(filepath.Join(dataDir, "mlperf-tiny", "mlperf_tiny_arm_cortex_m_latency.csv"))
	if errors.Is(err, fs.ErrNotExist) {
		return rep, nil // a data folder without the MLPerf Tiny rows: no cross-board section
	}
	if err != nil {
		return nil, err
	}
	rep.CrossBoard, rep.CrossBoardSummary, err = calib.CrossBoardRatios(ctx, vendor, boards, func(name string) (*models.Graph, error) {
		return LoadModel(filepath.Join(dataDir, name))
	})
	return rep, err
}

// Calibrate refits the factor per (core, style) on the measured rows of
// dataDir/mcunet/reported_results.csv marked for fitting, and derives the
// factors of cores without such rows from the MLPerf Tiny cross-core ratios
// (dataDir/mlperf-tiny; calib.DeriveCoreFactors): what `make calibrate` commits.
func Calibrate(ctx context.Context, dataDir string) ([]sim.Calibration, error) {
	rows, boards, err := measured(dataDir)
	if err != nil {
		return nil, err
	}
	obs, _, err := calib.Observe(ctx, rows, boards, resolveMeasured)
	if err != nil {
		return nil, err
	}
	fitted := calib.Fit(obs)
	// Cores without fitted rows get the M7 factor scaled by the cross-core
	// cycle ratios of the MLPerf Tiny vendor engines (calib.DeriveCoreFactors).
	vendor, err := calib.ReadMLPerf(filepath.Join(dataDir, "mlperf-tiny", "mlperf_tiny_arm_cortex_m_latency.csv"))
	if errors.Is(err, fs.ErrNotExist) {
		return fitted, nil
	}
	if err != nil {
		return nil, err
	}
	res := func(name string) (*models.Graph, error) { return LoadModel(filepath.Join(dataDir, name)) }
	pairs, _, err := calib.CrossBoardRatios(ctx, vendor, boards, res)
	if err != nil {
		return nil, err
	}
	return calib.DeriveCoreFactors(ctx, fitted, pairs, boards, res)
}

// WriteCalibrationTable writes a fitted table as the Go source of
// sim/calibration_table.go.
func WriteCalibrationTable(w io.Writer, cals []sim.Calibration) error {
	return calib.WriteTable(w, cals)
}
