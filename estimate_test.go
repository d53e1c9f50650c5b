package mcusim_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"mcusim"
	"mcusim/engine"
	"mcusim/mem"
	"mcusim/models/datadir"
	"mcusim/sim"
)

func board(t *testing.T, id string) *mem.Board {
	t.Helper()
	b, err := mcusim.FindBoard(id, "")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestValidateF746 is the must-show of the cycle model: on the STM32F746 rows of
// reported_results.csv that mcusim can build, MAPE ≤ 10% for TinyEngine and
// ≤ 20% for CMSIS-NN and TF Lite Micro (reference kernels), and TinyEngine's
// speed-ups over them within 20% of the measured ones.
func TestValidateF746(t *testing.T) {
	dir := filepath.Dir(filepath.Dir(datadir.Require(t, "mcunet", "reported_results.csv")))
	rep, err := mcusim.Validate(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	limits := map[string]float64{"TinyEngine(2022-08)": 10, "CMSIS-NN-v2.0.0": 20, "TFLM@713b6ed": 20}
	found := 0
	for _, m := range rep.MAPE {
		t.Logf("%s %s: %d rows, MAPE %.1f%%", m.Board, m.Engine, m.Rows, m.MAPE)
		if lim, ok := limits[m.Engine]; ok && m.Board == "STM32F746" {
			found++
			if m.MAPE > lim {
				t.Errorf("%s %s: MAPE %.1f%% > %.0f%%", m.Board, m.Engine, m.MAPE, lim)
			}
		}
	}
	if found != 3 {
		t.Errorf("found %d of the 3 F746 engine groups", found)
	}
	if len(rep.Ratios) < 2 {
		t.Errorf("expected the TinyEngine speed-ups over CMSIS-NN and TFLM, got %d", len(rep.Ratios))
	}
	for _, r := range rep.Ratios {
		if math.Abs(r.ErrorPct) > 20 {
			t.Errorf("%s over %s: estimated %.2fx, measured %.2fx", r.Model, r.Over, r.Estimated, r.Measured)
		}
	}
}

// TestCalibrationReproducible refits the calibration from the measured rows
// (what `make calibrate` does) and checks the committed table, and reports the
// leave-one-out error of the TinyEngine factor: each row predicted by a factor
// fitted without it (an out-of-sample check the in-sample MAPE is not).
func TestCalibrationReproducible(t *testing.T) {
	path := datadir.Require(t, "mcunet", "reported_results.csv")
	rows, err := sim.ReadMeasured(path)
	if err != nil {
		t.Fatal(err)
	}
	boards, err := mcusim.DefaultBoards()
	if err != nil {
		t.Fatal(err)
	}
	cals, err := sim.FitCalibration(context.Background(), rows, boards)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cals {
		have := sim.CalibrationFor(c.Core, c.Style)
		if math.Abs(have.Factor-c.Factor) > 1e-5 || have.Rows != c.Rows {
			t.Errorf("%s/%s: committed factor %.6f (%d rows), refit %.6f (%d rows): run make calibrate", c.Core, c.Style, have.Factor, have.Rows, c.Factor, c.Rows)
		}
	}
	// Leave one out, TinyEngine 2022 rows on the F746.
	f746 := board(t, "stm32f746")
	var xs []float64
	for _, r := range rows {
		if r.Skip != "" || r.Engine != "TinyEngine(2022-08)" {
			continue
		}
		raw, err := sim.RawCycles(context.Background(), f746, r.Model, r.Style)
		if err != nil {
			t.Fatal(err)
		}
		xs = append(xs, raw/(r.LatencyMS*1e3*float64(f746.ClockMHz)))
	}
	if len(xs) < 5 {
		t.Fatalf("only %d TinyEngine rows", len(xs))
	}
	loo := 0.0
	for i := range xs {
		var sx, sxx float64
		for j, x := range xs {
			if j != i {
				sx += x
				sxx += x * x
			}
		}
		loo += math.Abs(sx/sxx*xs[i]-1) * 100
	}
	loo /= float64(len(xs))
	t.Logf("TinyEngine F746 leave-one-out MAPE over %d rows: %.1f%%", len(xs), loo)
	if loo > 10 {
		t.Errorf("leave-one-out MAPE %.1f%% > 10%%", loo)
	}
}

// TestEstimateExecEqualsClosedForm: --exec prices the executed block counts and
// must print exactly the closed form's cycles; per-layer cycles sum to the total.
func TestEstimateExecEqualsClosedForm(t *testing.T) {
	ctx := context.Background()
	r, err := sim.NewRunner(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	for _, name := range []string{"mcunet-vww1", "mcunet-in0", "proxyless-w0.25-r112"} {
		g, err := mcusim.LoadModel(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, style := range engine.Styles() {
			for _, auto := range []bool{false, true} {
				opt := mcusim.EstimateOptions{Board: board(t, "stm32f746"), Engine: style,
					Plan: engine.Options{Planner: engine.PlannerTinyEngine, Auto: auto}, Runner: r}
				closed, err := mcusim.Estimate(ctx, g, opt)
				if err != nil {
					t.Fatal(err)
				}
				opt.Exec = true
				exec, err := mcusim.Estimate(ctx, g, opt)
				if err != nil {
					t.Fatal(err)
				}
				if closed.Cycles != exec.Cycles || exec.Source != "execution" {
					t.Errorf("%s %s auto=%v: closed form %.0f cycles, execution %.0f (%s)", name, style, auto, closed.Cycles, exec.Cycles, exec.Source)
				}
				sum := 0.0
				for _, l := range closed.Layers {
					sum += l.Cycles
				}
				if math.Abs(sum-closed.Cycles) > 1e-6*closed.Cycles {
					t.Errorf("%s %s: layers sum to %.0f, total %.0f", name, style, sum, closed.Cycles)
				}
			}
		}
	}
}

// TestClockOnlyThroughWaitStates: cycles depend on the clock only through the
// flash wait states (mem.CostModel); latency is cycles / f.
func TestClockOnlyThroughWaitStates(t *testing.T) {
	ctx := context.Background()
	g, err := mcusim.LoadModel("mcunet-in1")
	if err != nil {
		t.Fatal(err)
	}
	b := board(t, "stm32f746")
	est := func(mhz int) *mcusim.EstimateReport {
		e, err := mcusim.Estimate(ctx, g, mcusim.EstimateOptions{Board: b, ClockMHz: mhz})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e200, e210, e216 := est(200), est(210), est(216)
	if e200.FlashWS != e210.FlashWS || e200.Cycles != e210.Cycles {
		t.Errorf("200 and 210 MHz: %d/%d wait states, %.0f/%.0f cycles; same wait states must give the same cycles", e200.FlashWS, e210.FlashWS, e200.Cycles, e210.Cycles)
	}
	if e216.FlashWS <= e210.FlashWS || e216.Cycles <= e210.Cycles {
		t.Errorf("216 MHz: %d wait states, %.0f cycles; more wait states must cost cycles", e216.FlashWS, e216.Cycles)
	}
	if math.Abs(e210.LatencyMS-e210.Cycles/210e3) > 1e-9 {
		t.Errorf("latency %.4f ms is not cycles / clock", e210.LatencyMS)
	}
}

// TestEstimateReports: energy = power × latency; OOM and bad input are reports
// or clear errors, not crashes.
func TestEstimateReports(t *testing.T) {
	ctx := context.Background()
	g, err := mcusim.LoadModel("mcunet-vww1")
	if err != nil {
		t.Fatal(err)
	}
	l4 := board(t, "stm32l4r5")
	e, err := mcusim.Estimate(ctx, g, mcusim.EstimateOptions{Board: l4})
	if err != nil {
		t.Fatal(err)
	}
	if l4.PowerMW <= 0 || math.Abs(e.EnergyMJ-l4.PowerMW*e.LatencyMS/1e3) > 1e-9 {
		t.Errorf("energy %.4f mJ, power %.1f mW, latency %.2f ms", e.EnergyMJ, l4.PowerMW, e.LatencyMS)
	}
	if e.Calibration.Rows != 0 || e.Calibration.Source == "" {
		t.Logf("calibration of an uncalibrated core: %+v", e.Calibration)
	}
	in4, err := mcusim.LoadModel("mcunet-in4")
	if err != nil {
		t.Fatal(err)
	}
	oom, err := mcusim.Estimate(ctx, in4, mcusim.EstimateOptions{Board: board(t, "stm32f412")})
	if err != nil {
		t.Fatal(err)
	}
	if oom.Fits || oom.Estimate != nil || oom.Fit.Verdict == "fits" {
		t.Errorf("mcunet-in4 on the F412 should be OOM, got %+v", oom.Fit)
	}
	if _, err := mcusim.Estimate(ctx, g, mcusim.EstimateOptions{Board: l4, Engine: "magic"}); err == nil {
		t.Error("unknown engine accepted")
	}
	if _, err := mcusim.Estimate(ctx, g, mcusim.EstimateOptions{Board: l4, Plan: engine.Options{Planner: engine.PlannerAnalytic}}); err == nil {
		t.Error("analytic planner accepted for an estimate")
	}
}

// TestPriceEachEqualsCountThenPrice: the allocation-free labelling path prices
// exactly what Count followed by Price does.
func TestPriceEachEqualsCountThenPrice(t *testing.T) {
	b := board(t, "stm32h743")
	for _, name := range []string{"mcunet-in3", "mcunet-vww1", "mbv2-w0.35-r144"} {
		g, err := mcusim.LoadModel(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, style := range engine.Styles() {
			for _, opt := range []engine.Options{{Planner: engine.PlannerTinyEngine, NoLayers: true},
				{Planner: engine.PlannerTinyEngine, Auto: true, Sound: true}} {
				pl, err := engine.PlanMemory(g, opt)
				if err != nil {
					t.Fatal(err)
				}
				p, err := sim.NewPricer(sim.PriceOptions{Board: b, Style: style})
				if err != nil {
					t.Fatal(err)
				}
				each, err := p.PriceEach(pl)
				if err != nil {
					t.Fatal(err)
				}
				c, err := engine.Count(pl, style)
				if err != nil {
					t.Fatal(err)
				}
				two, err := sim.Price(pl, sim.ExecsOfCounts(c), sim.PriceOptions{Board: b, Style: style})
				if err != nil {
					t.Fatal(err)
				}
				if each.Cycles != two.Cycles {
					t.Errorf("%s %s %s: PriceEach %.0f, Count+Price %.0f", name, style, pl.Schedule, each.Cycles, two.Cycles)
				}
			}
		}
	}
}
