package calib

import (
	"math"
	"strings"
	"testing"

	"mcusim/sim"
)

// obs builds an observation whose raw/measured ratio is x (clock 100 MHz,
// measured 10 ms = 1e6 cycles).
func obs(board, eng, core, style string, fit bool, x float64) Observation {
	return Observation{Row: Row{Board: board, Engine: eng, Model: "m", LatencyMS: 10, Style: style, Fit: fit},
		Core: core, ClockMHz: 100, RawCycles: x * 1e6, MeasuredCycles: 1e6}
}

// TestFitRelativeLeastSquares: F = Σx/Σx² minimises the squared relative
// error; the in-sample MAPE is mean |F·x − 1|; held-out rows do not enter.
func TestFitRelativeLeastSquares(t *testing.T) {
	o := []Observation{
		obs("A", "E1", "cortex-m7", "tinyengine", true, 0.5),
		obs("A", "E1", "cortex-m7", "tinyengine", true, 0.8),
		obs("A", "E2", "cortex-m7", "tinyengine", false, 5), // held out: must not move the factor
	}
	cals := Fit(o)
	if len(cals) != 1 {
		t.Fatalf("want 1 group, got %+v", cals)
	}
	want := (0.5 + 0.8) / (0.25 + 0.64)
	if c := cals[0]; math.Abs(c.Factor-want) > 1e-12 || c.Rows != 2 {
		t.Errorf("factor %.6f over %d rows, want %.6f over 2", c.Factor, c.Rows, want)
	}
	mape := (math.Abs(want*0.5-1) + math.Abs(want*0.8-1)) / 2 * 100
	if math.Abs(cals[0].MAPE-mape) > 1e-9 {
		t.Errorf("MAPE %.4f, want %.4f", cals[0].MAPE, mape)
	}
	// Any other factor has a larger squared relative error.
	sq := func(f float64) float64 { return math.Pow(f*0.5-1, 2) + math.Pow(f*0.8-1, 2) }
	for _, d := range []float64{-1e-3, 1e-3} {
		if sq(want+d) <= sq(want) {
			t.Errorf("F%+g has no larger error than the fit", d)
		}
	}
}

// TestPredictionSchemes: a 1-row factor has no leave-one-out error; fitted
// rows get no held-out error and held-out rows no in-sample one; leaving out
// a row changes its factor exactly as a refit without it; a core without rows
// borrows the Cortex-M7 factor.
func TestPredictionSchemes(t *testing.T) {
	o := []Observation{
		obs("F746", "TE22", "cortex-m7", "tinyengine", true, 0.5),
		obs("F746", "TE22", "cortex-m7", "tinyengine", true, 0.6),
		obs("F746", "TE22", "cortex-m7", "tinyengine", true, 0.7),
		obs("F746", "CM", "cortex-m7", "cmsis-nn", true, 0.3),
		obs("H743", "TE21", "cortex-m7", "tinyengine", false, 0.4),
		obs("F412", "TE21", "cortex-m4", "tinyengine", false, 0.9),
	}
	table := Fit(o)
	rows := make([]RowResult, len(o))
	for i := range o {
		rows[i] = predict(o, i, table)
	}
	// Row 0: LOO factor from rows 1 and 2 only.
	f := (0.6 + 0.7) / (0.36 + 0.49)
	p := rows[0].Prediction(LeaveOneOut)
	if p.ErrorPct == nil || math.Abs(*p.ErrorPct-100*(f*0.5-1)) > 1e-9 || p.FitRows != 2 {
		t.Errorf("leave-one-out of row 0: %+v, want factor %.4f on 2 rows", p, f)
	}
	if p := rows[3].Prediction(LeaveOneOut); p.ErrorPct != nil || p.NA != "1 row, fitted" {
		t.Errorf("1-row factor: leave-one-out %+v, want n/a (1 row, fitted)", p)
	}
	if p := rows[3].InSample(); p.ErrorPct == nil || math.Abs(*p.ErrorPct) > 1e-9 {
		t.Errorf("1-row in-sample error must be 0 (and labelled in-sample): %+v", p)
	}
	for i, r := range rows {
		if r.Fitted == r.HeldOut {
			t.Errorf("row %d: fitted %v, held out %v", i, r.Fitted, r.HeldOut)
		}
		if r.Fitted && r.Prediction(HeldOut).ErrorPct != nil || r.HeldOut && r.InSample().ErrorPct != nil ||
			r.HeldOut && r.Prediction(LeaveOneOut).ErrorPct != nil {
			t.Errorf("row %d: a scheme predicted a row it does not apply to: %+v", i, r.Predictions)
		}
	}
	// Held-out H743 row: committed factor; leave-one-board-out is the same (no H743 rows fitted).
	ho, lobo := rows[4].Prediction(HeldOut), rows[4].BoardOut()
	if ho.ErrorPct == nil || lobo.ErrorPct == nil || *ho.ErrorPct != *lobo.ErrorPct {
		t.Errorf("H743 held-out %+v vs leave-one-board-out %+v", ho, lobo)
	}
	// Fitted F746 rows: leaving the only fitted board out leaves nothing.
	if p := rows[0].BoardOut(); p.ErrorPct != nil || !strings.Contains(p.NA, "no fitted rows left") {
		t.Errorf("F746 leave-one-board-out: %+v", p)
	}
	// F412 (cortex-m4) borrows the M7 tinyengine factor.
	m7, _ := sim.LookupCalibration(table, "cortex-m7", "tinyengine")
	if p := rows[5].Prediction(HeldOut); p.Factor != m7.Factor {
		t.Errorf("cortex-m4 row: factor %.4f, want the borrowed M7 %.4f", p.Factor, m7.Factor)
	}

	// Bias per (board, engine column), and the distance between boards of one column.
	bias := boardBias(rows)
	var h743, f412 BoardBias
	for _, b := range bias {
		switch b.Board {
		case "H743":
			h743 = b
		case "F412":
			f412 = b
		}
	}
	if h743.Rows != 1 || h743.MainBoard != "H743" || h743.FromMainPts != 0 ||
		f412.MainBoard != "H743" || math.Abs(f412.FromMainPts-(f412.BiasPct-h743.BiasPct)) > 1e-12 ||
		math.Abs(f412.BiasPct-*rows[5].Prediction(HeldOut).ErrorPct) > 1e-12 {
		t.Errorf("board bias: %+v", bias)
	}

	stats := groupStats(rows)
	var te GroupStats
	for _, g := range stats {
		if g.Core == "cortex-m7" && g.Style == "tinyengine" && g.Scheme == InSample {
			te = g
		}
		if g.Scheme == LeaveOneOut && g.Style == "cmsis-nn" && (g.Rows != 0 || g.NA != 1 || g.NAReason != "1 row, fitted") {
			t.Errorf("cmsis-nn leave-one-out stats: %+v", g)
		}
		if g.Scheme == InSample && g.Style == "cmsis-nn" && (g.Rows != 0 || g.MAPE != 0 || !strings.Contains(g.NAReason, "reproduced by construction")) {
			t.Errorf("a 1-row in-sample group must not report an error: %+v", g)
		}
	}
	var sum, abs float64
	w10 := 0
	for _, x := range []float64{0.5, 0.6, 0.7} {
		e := 100 * (table[1].Factor*x - 1)
		sum += e
		abs += math.Abs(e)
		if math.Abs(e) <= 10 {
			w10++
		}
	}
	if te.Rows != 3 || math.Abs(te.BiasPct-sum/3) > 1e-9 || math.Abs(te.MAPE-abs/3) > 1e-9 || math.Abs(te.Within10-100*float64(w10)/3) > 1e-9 {
		t.Errorf("tinyengine in-sample stats %+v; want bias %.3f MAPE %.3f within10 %d/3", te, sum/3, abs/3, w10)
	}
}

func TestReadReported(t *testing.T) {
	csv := `source,board,engine,model,metric,value,unit,note
s,STM32F746,TinyEngine(2022-08),mcunet-vww1,latency,128,ms,
s,STM32F746,TinyEngine(2022-08),mcunet-vww1,latency,128,ms,twice
s,STM32F746,TinyEngine(2022-08),mcunet-vww1,peak_sram,88,kB,
s,STM32F746,TFLM-v2.1.0,mcunet-in1,latency,OOM,ms,
s,STM32F412,TinyEngine (2021),mcunet-256kb-1mb (in2),latency,3535,ms,
s,ESP32,TinyEngine (2021),mcunet-in0,latency,1,ms,
`
	rows, err := readReported(strings.NewReader(csv), "x.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("want 3 latency rows (duplicate, OOM and other metrics dropped), got %+v", rows)
	}
	if r := rows[1]; r.Model != "mcunet-in2" || r.BoardID != "stm32f412" || r.Style != "tinyengine" || r.Fit {
		t.Errorf("2021 F412 row: %+v", r)
	}
	if !rows[0].Fit || rows[2].BoardID != "" {
		t.Errorf("fit column / unknown board: %+v", rows)
	}
	if _, err := readReported(strings.NewReader("a,b\n1,2\n"), "bad.csv"); err == nil || !strings.Contains(err.Error(), "bad.csv") {
		t.Errorf("missing columns: %v", err)
	}
}

func TestReadMLPerf(t *testing.T) {
	csv := `results_version,submitter,board,clock_mhz,stack,reference_tflite,benchmark,cycles_per_inference
v1.1,bosch,DISCO-F746NG,216,HALE,YES,vww,12345
v1.1,bosch,NUCLEO-G0B1RE,64,HALE,YES,vww,99
v1.1,bosch,DISCO-F746NG,216,HALE,no,kws,10
v1.1,bosch,DISCO-F746NG,216,HALE,YES,sww,10
v1.1,bosch,DISCO-F746NG,216,HALE,YES,ic,
`
	rows, err := readMLPerf(strings.NewReader(csv), "m.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "board not in the database", "not the reference .tflite", "benchmark without a reference model", "no cycles or clock"}
	if len(rows) != len(want) {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	for i, w := range want {
		if rows[i].Skip != w {
			t.Errorf("row %d: skip %q, want %q", i, rows[i].Skip, w)
		}
	}
	if r := rows[0]; r.BoardID != "stm32f746" || r.Model != "mlperf-tiny/vww_96_int8.tflite" || r.Cycles != 12345 || r.ClockMHz != 216 {
		t.Errorf("row 0: %+v", r)
	}
	if _, err := readMLPerf(strings.NewReader("a,b\n"), "bad.csv"); err == nil || !strings.Contains(err.Error(), "bad.csv") {
		t.Errorf("missing columns: %v", err)
	}
}
