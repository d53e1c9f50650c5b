package calib

import (
	"context"
	"math"
	"sort"

	"mcusim/engine/kernels"
	"mcusim/mem"
	"mcusim/sim"
)

// Scheme names how a row's latency is predicted. Only the in-sample scheme
// uses a factor fitted on the row itself; its error describes the fit, not a
// prediction.
type Scheme string

// The schemes, in report order. The pool a factor is refitted on is always the
// rows marked Fit (the procedure `make calibrate` follows) minus what the
// scheme leaves out; a core without rows borrows the Cortex-M7 factor of the
// style, as sim.LookupCalibration does.
const (
	// InSample: fitted rows, predicted by the committed factor they were fitted on.
	InSample Scheme = "in-sample"
	// LeaveOneOut: fitted rows, each predicted by a factor refitted without it.
	LeaveOneOut Scheme = "leave-one-out"
	// HeldOut: rows not fitted (other releases, boards, engines), predicted by
	// the committed factor.
	HeldOut Scheme = "held-out"
	// LeaveOneBoardOut: every row, predicted by a factor refitted without the
	// rows of its board.
	LeaveOneBoardOut Scheme = "leave-one-board-out"
	// LeaveOneVersionOut: every row, predicted by a factor refitted without the
	// rows of its engine column (an engine at one version).
	LeaveOneVersionOut Scheme = "leave-one-engine-version-out"
)

// Schemes lists the schemes in report order.
var Schemes = []Scheme{InSample, LeaveOneOut, HeldOut, LeaveOneBoardOut, LeaveOneVersionOut}

// Prediction is one scheme's estimate of a row. ErrorPct is nil when the
// scheme gives no prediction for the row; NA then says why.
type Prediction struct {
	Scheme      Scheme   `json:"scheme"`
	Factor      float64  `json:"factor,omitempty"`
	FitRows     int      `json:"fit_rows"` // rows the factor was fitted on
	EstimatedMS float64  `json:"estimated_ms,omitempty"`
	ErrorPct    *float64 `json:"error_pct"` // signed: 100·(estimated − measured)/measured
	NA          string   `json:"na,omitempty"`
}

// RowResult is one simulated row.
type RowResult struct {
	Observation
	// Fitted is true when the committed factor of the row's (core, style) was
	// fitted on this row; HeldOut is its negation.
	Fitted  bool `json:"fitted"`
	HeldOut bool `json:"held_out"`
	// EstimatedMS is the committed model's latency (what `mcusim estimate`
	// prints). For a fitted row it is not a prediction: see Predictions.
	EstimatedMS float64 `json:"estimated_ms"`
	// Predictions holds one entry per scheme, in Schemes order.
	Predictions []Prediction `json:"predictions"`
}

// Prediction returns the row's entry for scheme s.
func (r *RowResult) Prediction(s Scheme) Prediction {
	for _, p := range r.Predictions {
		if p.Scheme == s {
			return p
		}
	}
	return Prediction{Scheme: s, NA: "not applicable"}
}

// InSample returns the row's in-sample entry (n/a for a held-out row).
func (r *RowResult) InSample() Prediction { return r.Prediction(InSample) }

// BoardOut returns the row's leave-one-board-out entry.
func (r *RowResult) BoardOut() Prediction { return r.Prediction(LeaveOneBoardOut) }

// VersionOut returns the row's leave-one-engine-version-out entry.
func (r *RowResult) VersionOut() Prediction { return r.Prediction(LeaveOneVersionOut) }

// Best returns the row's honest out-of-sample prediction: leave-one-out for a
// fitted row, held-out otherwise.
func (r *RowResult) Best() Prediction {
	if r.Fitted {
		return r.Prediction(LeaveOneOut)
	}
	return r.Prediction(HeldOut)
}

// GroupStats summarises one scheme over the rows of one (core, style).
type GroupStats struct {
	Core   string `json:"core"`
	Style  string `json:"style"`
	Scheme Scheme `json:"scheme"`
	// Rows have a prediction under the scheme; NA rows the scheme applies to
	// but cannot predict (NAReason says why, when all share one reason).
	Rows     int    `json:"rows"`
	NA       int    `json:"na_rows"`
	NAReason string `json:"na_reason,omitempty"`
	// MAPE is the mean absolute error, BiasPct the signed mean error, Within10
	// and Within20 the share (%) of rows within ±10% and ±20% — the metric
	// nn-Meter reports for mobile CPUs.
	MAPE     float64 `json:"mape_pct"`
	BiasPct  float64 `json:"bias_pct"`
	Within10 float64 `json:"within_10_pct"`
	Within20 float64 `json:"within_20_pct"`
}

// BoardBias is the signed mean of the out-of-sample errors (RowResult.Best) of
// one engine column on one board: with an engine's rows on several boards, a
// release effect shows as one common bias and a board effect as a difference.
// FromMainPts is that difference: this board's bias minus the bias of the
// board with the most rows of the same engine column (0 for that board).
type BoardBias struct {
	Board       string  `json:"board"`
	Engine      string  `json:"engine"`
	Rows        int     `json:"rows"`
	BiasPct     float64 `json:"bias_pct"`
	MAPE        float64 `json:"mape_pct"`
	MainBoard   string  `json:"main_board"`
	FromMainPts float64 `json:"from_main_board_pts"`
}

// SpeedupRatio compares TinyEngine's measured and estimated speed-up over
// another engine on one model and board, with the committed factors.
type SpeedupRatio struct {
	Board     string  `json:"board"`
	Model     string  `json:"model"`
	Engine    string  `json:"engine"` // the TinyEngine column
	Over      string  `json:"over"`   // the other engine column
	Measured  float64 `json:"measured"`
	Estimated float64 `json:"estimated"`
	ErrorPct  float64 `json:"error_pct"`
	// InSample is true when both rows were fitted: the ratio then checks the
	// fit, not a prediction (a 1-row factor reproduces its row exactly).
	InSample bool `json:"in_sample"`
}

// Report is the validation of the cycle model against the measured rows.
type Report struct {
	Calibration []sim.Calibration `json:"calibration"` // the committed table that was validated
	Rows        []RowResult       `json:"rows"`
	Skipped     []Row             `json:"skipped"`
	Groups      []GroupStats      `json:"groups"`
	Bias        []BoardBias       `json:"bias_by_board_and_engine"`
	Ratios      []SpeedupRatio    `json:"speedup_ratios"`
	// CrossBoard compares measured and estimated cycle ratios between boards
	// for the vendor engines of MLPerf Tiny (CrossBoardRatios); empty when
	// the caller has no such rows.
	CrossBoard        []CrossBoard        `json:"cross_board,omitempty"`
	CrossBoardSummary []CrossBoardSummary `json:"cross_board_summary,omitempty"`
}

// Validate simulates every row it can (Observe) and predicts each under every
// scheme. table is the committed calibration (sim.CalibrationTable()).
func Validate(ctx context.Context, rows []Row, boards []mem.Board, res Resolver, table []sim.Calibration) (*Report, error) {
	obs, skipped, err := Observe(ctx, rows, boards, res)
	if err != nil {
		return nil, err
	}
	rep := &Report{Calibration: table, Skipped: skipped}
	for i := range obs {
		rep.Rows = append(rep.Rows, predict(obs, i, table))
	}
	rep.Groups = groupStats(rep.Rows)
	rep.Bias = boardBias(rep.Rows)
	rep.Ratios = speedups(rep.Rows)
	return rep, nil
}

// predict evaluates row i under every scheme.
func predict(obs []Observation, i int, table []sim.Calibration) RowResult {
	o := obs[i]
	r := RowResult{Observation: o, Fitted: o.Fit, HeldOut: !o.Fit}
	committed, ok := sim.LookupCalibration(table, o.Core, o.Style)
	if ok {
		r.EstimatedMS = estimateMS(&o, committed.Factor)
	}
	fromTable := func(s Scheme) Prediction {
		if !ok {
			return Prediction{Scheme: s, NA: "no committed factor for " + o.Style}
		}
		return newPrediction(s, &o, committed)
	}
	refit := func(s Scheme, leave func(*Observation) bool, what string) Prediction {
		cal, ok := sim.LookupCalibration(fitWhere(obs, func(p *Observation) bool { return p.Fit && !leave(p) }), o.Core, o.Style)
		if !ok {
			return Prediction{Scheme: s, NA: "no fitted rows left for " + o.Style + " without " + what}
		}
		return newPrediction(s, &o, cal)
	}
	for _, s := range Schemes {
		var p Prediction
		switch s {
		case InSample:
			p = Prediction{Scheme: s, NA: "held out"}
			if o.Fit {
				p = fromTable(s)
			}
		case LeaveOneOut:
			p = Prediction{Scheme: s, NA: "held out (see held-out)"}
			if o.Fit {
				p = refit(s, func(q *Observation) bool { return q == &obs[i] }, "this row")
				if p.ErrorPct == nil {
					if cal, ok := sim.LookupCalibration(table, o.Core, o.Style); ok && cal.Rows == 1 {
						p.NA = "1 row, fitted"
					}
				}
			}
		case HeldOut:
			p = Prediction{Scheme: s, NA: "fitted (see leave-one-out)"}
			if !o.Fit {
				p = fromTable(s)
			}
		case LeaveOneBoardOut:
			p = refit(s, func(q *Observation) bool { return q.Board == o.Board }, o.Board)
		case LeaveOneVersionOut:
			p = refit(s, func(q *Observation) bool { return q.Engine == o.Engine }, o.Engine)
		}
		r.Predictions = append(r.Predictions, p)
	}
	return r
}

func estimateMS(o *Observation, factor float64) float64 {
	return (factor*(o.RawCycles-o.StallCycles) + o.StallCycles) / float64(o.ClockMHz) / 1e3
}

func newPrediction(s Scheme, o *Observation, cal sim.Calibration) Prediction {
	est := estimateMS(o, cal.Factor)
	e := 100 * (est - o.LatencyMS) / o.LatencyMS
	return Prediction{Scheme: s, Factor: cal.Factor, FitRows: cal.Rows, EstimatedMS: est, ErrorPct: &e}
}

// applies reports whether a scheme is meant for a row at all (in-sample and
// leave-one-out for fitted rows, held-out for the others, the rest for all).
func applies(s Scheme, r *RowResult) bool {
	switch s {
	case InSample, LeaveOneOut:
		return r.Fitted
	case HeldOut:
		return !r.Fitted
	}
	return true
}

func groupStats(rows []RowResult) []GroupStats {
	type key struct {
		core, style string
		scheme      Scheme
	}
	acc := map[key]*GroupStats{}
	reasons := map[key]map[string]bool{}
	var order []key
	for i := range rows {
		r := &rows[i]
		for _, p := range r.Predictions {
			if !applies(p.Scheme, r) {
				continue
			}
			k := key{r.Core, r.Style, p.Scheme}
			g := acc[k]
			if g == nil {
				g = &GroupStats{Core: r.Core, Style: r.Style, Scheme: p.Scheme}
				acc[k] = g
				reasons[k] = map[string]bool{}
				order = append(order, k)
			}
			if p.ErrorPct == nil {
				g.NA++
				reasons[k][p.NA] = true
				continue
			}
			e := *p.ErrorPct
			g.Rows++
			g.MAPE += math.Abs(e)
			g.BiasPct += e
			if math.Abs(e) <= 10 {
				g.Within10++
			}
			if math.Abs(e) <= 20 {
				g.Within20++
			}
		}
	}
	schemeRank := map[Scheme]int{}
	for i, s := range Schemes {
		schemeRank[s] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.core != b.core {
			return a.core < b.core
		}
		if a.style != b.style {
			return a.style < b.style
		}
		return schemeRank[a.scheme] < schemeRank[b.scheme]
	})
	out := make([]GroupStats, 0, len(order))
	for _, k := range order {
		g := acc[k]
		if g.Scheme == InSample && g.Rows == 1 && g.NA == 0 {
			// A factor fitted on one row reproduces it: no error to report.
			*g = GroupStats{Core: g.Core, Style: g.Style, Scheme: g.Scheme, NA: 1, NAReason: "1 row, fitted: reproduced by construction"}
		}
		if n := float64(g.Rows); n > 0 {
			g.MAPE /= n
			g.BiasPct /= n
			g.Within10 *= 100 / n
			g.Within20 *= 100 / n
		}
		if len(reasons[k]) == 1 {
			for why := range reasons[k] {
				g.NAReason = why
			}
		}
		out = append(out, *g)
	}
	return out
}

func boardBias(rows []RowResult) []BoardBias {
	type key struct{ board, engine string }
	acc := map[key]*BoardBias{}
	var order []key
	for i := range rows {
		r := &rows[i]
		p := r.Best()
		if p.ErrorPct == nil {
			continue
		}
		k := key{r.Board, r.Engine}
		b := acc[k]
		if b == nil {
			b = &BoardBias{Board: r.Board, Engine: r.Engine}
			acc[k] = b
			order = append(order, k)
		}
		b.Rows++
		b.BiasPct += *p.ErrorPct
		b.MAPE += math.Abs(*p.ErrorPct)
	}
	main := map[string]*BoardBias{} // engine column → its board with the most rows
	for _, k := range order {
		b := acc[k]
		b.BiasPct /= float64(b.Rows)
		b.MAPE /= float64(b.Rows)
		if m := main[k.engine]; m == nil || b.Rows > m.Rows {
			main[k.engine] = b
		}
	}
	out := make([]BoardBias, 0, len(order))
	for _, k := range order {
		b, m := acc[k], main[k.engine]
		b.MainBoard, b.FromMainPts = m.Board, b.BiasPct-m.BiasPct
		out = append(out, *b)
	}
	return out
}

func speedups(rows []RowResult) []SpeedupRatio {
	var out []SpeedupRatio
	for i := range rows {
		te := &rows[i]
		if te.Style != kernels.StyleTinyEngine.String() || te.EstimatedMS == 0 {
			continue
		}
		for j := range rows {
			o := &rows[j]
			if o.Style == kernels.StyleTinyEngine.String() || o.Board != te.Board || o.Model != te.Model || o.EstimatedMS == 0 {
				continue
			}
			mr, er := o.LatencyMS/te.LatencyMS, o.EstimatedMS/te.EstimatedMS
			out = append(out, SpeedupRatio{Board: te.Board, Model: te.Model, Engine: te.Engine, Over: o.Engine,
				Measured: mr, Estimated: er, ErrorPct: 100 * (er - mr) / mr, InSample: te.Fitted && o.Fitted})
		}
	}
	return out
}
