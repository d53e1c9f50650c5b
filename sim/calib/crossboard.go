package calib

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"

	"mcusim/engine/plan"
	"mcusim/mem"
	"mcusim/models"
	"mcusim/sim"
)

// VendorRow is one MLPerf Tiny performance result (shared/data/mlperf-tiny/
// mlperf_tiny_arm_cortex_m_latency.csv): a vendor engine's cycles per
// inference of a reference model on one board. mcusim does not model the
// vendor engines; the rows test whether mcusim's cycles move between boards
// as the measured ones do (cortex-m.md §7.4: at a fixed engine version the
// kernel library, not the board, dominates).
type VendorRow struct {
	Version   string  `json:"version"`
	Submitter string  `json:"submitter"`
	Stack     string  `json:"stack"`
	Benchmark string  `json:"benchmark"`
	Board     string  `json:"board"`
	BoardID   string  `json:"board_id,omitempty"`
	ClockMHz  int     `json:"clock_mhz"`
	Cycles    float64 `json:"cycles"`
	Model     string  `json:"model"` // the reference .tflite, relative to the data folder
	Skip      string  `json:"skip,omitempty"`
}

// mlperfBoards maps the CSV's board labels to boards.toml ids.
var mlperfBoards = map[string]string{
	"DISCO-F746NG": "stm32f746", "NUCLEO-H7A3ZI-Q": "stm32h7a3", "NUCLEO-L4R5ZI": "stm32l4r5",
	"NUCLEO-U575ZI-Q": "stm32u575", "CY8CPROTO-062-4343W": "psoc62",
}

// mlperfModels maps the benchmarks to their reference models
// (shared/data/mlperf-tiny/INDEX.md).
var mlperfModels = map[string]string{
	"vww": "mlperf-tiny/vww_96_int8.tflite", "kws": "mlperf-tiny/kws_ref_model.tflite",
	"ic": "mlperf-tiny/pretrainedResnet_quant.tflite", "ad": "mlperf-tiny/ad01_int8.tflite",
}

// ReadMLPerf reads the performance rows of an MLPerf Tiny latency CSV. Rows on
// boards not in the database, of other benchmarks or on a model other than the
// reference one (reference_tflite = "no") carry a Skip reason.
func ReadMLPerf(path string) ([]VendorRow, error) { return readFile(path, readMLPerf) }

func readMLPerf(in io.Reader, path string) ([]VendorRow, error) {
	var rows []VendorRow
	err := eachRecord(in, path, []string{"results_version", "submitter", "board", "clock_mhz", "stack", "reference_tflite", "benchmark", "cycles_per_inference"}, func(cell func(string) string) {
		cyc, cerr := strconv.ParseFloat(cell("cycles_per_inference"), 64)
		mhz, merr := strconv.Atoi(cell("clock_mhz"))
		v := VendorRow{Version: cell("results_version"), Submitter: cell("submitter"), Stack: cell("stack"),
			Benchmark: cell("benchmark"), Board: cell("board"), ClockMHz: mhz, Cycles: cyc}
		v.BoardID = mlperfBoards[v.Board]
		v.Model = mlperfModels[v.Benchmark]
		switch {
		case cerr != nil || merr != nil || cyc <= 0 || mhz <= 0:
			v.Skip = "no cycles or clock"
		case v.BoardID == "":
			v.Skip = "board not in the database"
		case v.Model == "":
			v.Skip = "benchmark without a reference model"
		case cell("reference_tflite") == "no":
			v.Skip = "not the reference .tflite"
		}
		rows = append(rows, v)
	})
	return rows, err
}

// CrossBoard compares one engine's cycles on a board with its cycles on a base
// board (the STM32F746, where the cycle model is calibrated, when the engine
// ran there) for one benchmark: the measured ratio against mcusim's ratio of
// estimated cycles (the committed factor of each board's core on the core
// cycles, memory stalls unscaled).
type CrossBoard struct {
	Version   string  `json:"version"`
	Submitter string  `json:"submitter"`
	Stack     string  `json:"stack"`
	Benchmark string  `json:"benchmark"`
	Board     string  `json:"board"`
	Base      string  `json:"base"`
	Measured  float64 `json:"measured_ratio"`
	Estimated float64 `json:"estimated_ratio"`
	ErrorPct  float64 `json:"error_pct"`
}

// CrossBoardSummary aggregates the ratios of one board against one base.
type CrossBoardSummary struct {
	Board    string  `json:"board"`
	Base     string  `json:"base"`
	Pairs    int     `json:"pairs"`
	MAPE     float64 `json:"mape_pct"`
	BiasPct  float64 `json:"bias_pct"`
	Within10 float64 `json:"within_10_pct"`
}

// CrossBoardStyle is the kernel style whose cycles are compared: the vendor
// engines are optimised im2col + SIMD-MAC libraries, closest to CMSIS-NN.
const CrossBoardStyle = "cmsis-nn"

// baseOrder is the preference for the base board of a ratio.
var baseOrder = []string{"stm32f746", "stm32h7a3", "stm32l4r5", "stm32u575", "psoc62"}

// CrossBoardRatios prices every reference model on every board its rows name
// (CrossBoardStyle, committed calibration, at the board's maximum clock, which must be the
// row's clock) and compares the ratios. Several systems of one stack on one
// board are represented by their median cycles.
func CrossBoardRatios(ctx context.Context, rows []VendorRow, boards []mem.Board, res Resolver) ([]CrossBoard, []CrossBoardSummary, error) {
	type key struct{ version, submitter, stack, bench string }
	cycles := map[key]map[string][]float64{}
	var keys []key
	for _, r := range rows {
		if r.Skip != "" {
			continue
		}
		b, err := mem.Find(boards, r.BoardID)
		if err != nil {
			return nil, nil, err
		}
		if r.ClockMHz != b.ClockMHz {
			continue // not comparable at the board's maximum clock
		}
		k := key{r.Version, r.Submitter, r.Stack, r.Benchmark}
		if cycles[k] == nil {
			cycles[k] = map[string][]float64{}
			keys = append(keys, k)
		}
		cycles[k][r.BoardID] = append(cycles[k][r.BoardID], r.Cycles)
	}
	raw := map[[2]string]float64{} // (model, board) → raw cycles
	plans := map[string]*plan.Plan{}
	estimate := func(model, boardID string) (float64, error) {
		if c, ok := raw[[2]string{model, boardID}]; ok {
			return c, nil
		}
		pl := plans[model]
		if pl == nil {
			g, err := res(model)
			if err != nil || g == nil {
				return 0, fmt.Errorf("%s: no graph (%v)", model, err)
			}
			if pl, err = planOf(g); err != nil {
				return 0, fmt.Errorf("%s: %v", model, err)
			}
			plans[model] = pl
		}
		b, err := mem.Find(boards, boardID)
		if err != nil {
			return 0, err
		}
		// The committed factor of the board's core scales core cycles only,
		// so it no longer cancels between boards with different stalls.
		var c float64
		est, skip, err := priced(pl, b, CrossBoardStyle, sim.CalibrationFor(string(b.Core), CrossBoardStyle))
		if err == nil && skip != "" {
			err = fmt.Errorf("%s on %s: %s", model, boardID, skip)
		}
		if est != nil {
			c = est.Cycles
		}
		raw[[2]string{model, boardID}] = c
		return c, err
	}
	var out []CrossBoard
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		byBoard := cycles[k]
		base := ""
		for _, id := range baseOrder {
			if _, ok := byBoard[id]; ok && base == "" {
				base = id
			}
		}
		model := mlperfModels[k.bench]
		for _, id := range baseOrder {
			if _, ok := byBoard[id]; !ok || id == base {
				continue
			}
			eb, err := estimate(model, base)
			if err != nil {
				return nil, nil, err
			}
			ei, err := estimate(model, id)
			if err != nil {
				return nil, nil, err
			}
			mr, er := median(byBoard[id])/median(byBoard[base]), ei/eb
			out = append(out, CrossBoard{Version: k.version, Submitter: k.submitter, Stack: k.stack, Benchmark: k.bench, Board: id, Base: base,
				Measured: mr, Estimated: er, ErrorPct: 100 * (er - mr) / mr})
		}
	}
	return out, summarise(out), nil
}

// planOf plans a graph as `mcusim estimate` does.
func planOf(g *models.Graph) (*plan.Plan, error) {
	pl, _, err := plan.PlanExecution(g, plan.Options{Planner: plan.PlannerTinyEngine})
	return pl, err
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func summarise(cb []CrossBoard) []CrossBoardSummary {
	acc := map[[2]string]*CrossBoardSummary{}
	var order [][2]string
	for _, c := range cb {
		k := [2]string{c.Board, c.Base}
		s := acc[k]
		if s == nil {
			s = &CrossBoardSummary{Board: c.Board, Base: c.Base}
			acc[k] = s
			order = append(order, k)
		}
		s.Pairs++
		s.MAPE += math.Abs(c.ErrorPct)
		s.BiasPct += c.ErrorPct
		if math.Abs(c.ErrorPct) <= 10 {
			s.Within10++
		}
	}
	out := make([]CrossBoardSummary, 0, len(order))
	for _, k := range order {
		s := acc[k]
		n := float64(s.Pairs)
		s.MAPE, s.BiasPct, s.Within10 = s.MAPE/n, s.BiasPct/n, 100*s.Within10/n
		out = append(out, *s)
	}
	return out
}
