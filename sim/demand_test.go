package sim_test

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"mcusim"
	"mcusim/engine/count"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/mem"
	"mcusim/models/zoo"
	"mcusim/sim"
)

// The demand and the estimate agree: the estimate is the demand timed with no
// contention (per layer: core cycles × factor + stalls + the per-operator
// cycles); the demand's bytes per region add up to the closed-form count's
// traffic; its stalls are those bytes at the cost model's stall per byte, the
// Flash reads through its cache-reuse closed form; its bytes per
// bank add up, step by step, to its bytes per region. Board stm32f746 puts
// the larger arenas over DTCM and SRAM1, stm32h743 in one bank, and
// stm32f412 has one SRAM; layer- and patch-based plans.
func TestDemand(t *testing.T) {
	split := false
	for _, boardID := range []string{"stm32f746", "stm32h743", "stm32f412"} {
		board, err := mcusim.FindBoard(boardID, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"mcunet-vww1", "mcunet-in3", "mbv2-w0.35-r144"} {
			g, err := zoo.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, opt := range []plan.Options{{Planner: plan.PlannerTinyEngine}, {Planner: plan.PlannerTinyEngine, Auto: true}} {
				pl, _, err := plan.PlanExecution(g, opt)
				if err != nil {
					t.Fatal(err)
				}
				for _, style := range kernels.Styles() {
					split = checkDemand(t, board, pl, style) || split
				}
			}
		}
	}
	if !split {
		t.Error("no plan put a region over two banks: the per-bank split went untested")
	}
}

// checkDemand reports whether some region of the plan spans two banks.
func checkDemand(t *testing.T, board *mem.Board, pl *plan.Plan, style kernels.Style) (split bool) {
	t.Helper()
	what := board.ID + " " + pl.Model + " " + pl.Schedule + " " + style.String()
	p, err := sim.NewPricer(sim.PriceOptions{Board: board, Style: style})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := board.CostModel(0, pl.Arena, pl.SBuf+pl.KBuf, inputBytes(pl), mem.Placement{})
	if errors.Is(err, mem.ErrNoFit) {
		return false // the plan does not fit this board: no demand to check
	}
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.DemandEach(pl)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	cnt, err := count.Count(pl, style)
	if err != nil {
		t.Fatal(err)
	}
	if d2, err := p.Demand(pl, cnt.Blocks); err != nil || !reflect.DeepEqual(d, d2) {
		t.Errorf("%s: DemandEach and Demand of Count's executions differ (%v)", what, err)
	}
	est, err := p.Price(pl, cnt.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	if d.Steps != len(pl.Exec.Steps) || len(est.Layers) != d.Steps {
		t.Fatalf("%s: %d demand steps, %d layers, %d plan steps", what, d.Steps, len(est.Layers), len(pl.Exec.Steps))
	}
	if !reflect.DeepEqual(d.Banks, cm.Banks) {
		t.Errorf("%s: banks %v, cost model %v", what, d.Banks, cm.Banks)
	}
	cal := est.Calibration
	nc := d.NoContention()
	var regions [mem.NumRegions]mem.Traffic
	for s := range d.Steps {
		calls := 1.0
		if pl.Patch != nil && s < pl.Patch.SplitOp {
			calls = float64(pl.Patch.Patches * pl.Patch.Patches)
		}
		if want := (nc.Cycles[s]-nc.Stall[s])*cal.Factor + nc.Stall[s] + cal.PerOperator*calls; est.Layers[s].Cycles != want {
			t.Errorf("%s step %d: layer %v cycles, no-contention demand gives %v", what, s, est.Layers[s].Cycles, want)
		}
		if d.Cycles[s]-d.Stall[s] < 0 || d.Stall[s] < 0 {
			t.Errorf("%s step %d: core %v, stall %v", what, s, d.Cycles[s]-d.Stall[s], d.Stall[s])
		}
		var stall float64
		var byRegion, byBank mem.Traffic
		for r := range mem.NumRegions {
			tr := d.Region[s*int(mem.NumRegions)+int(r)]
			regions[r].Read += tr.Read
			regions[r].Write += tr.Write
			byRegion.Read += tr.Read
			byRegion.Write += tr.Write
			if r == mem.RegionFlash {
				// Flash reads go through the cache-reuse closed form with the
				// kernel's distinct bytes and working set.
				u, ws, ok := kernels.Reuse(style, pl.Exec, s)
				if !ok {
					u, ws = int(tr.Read), int(tr.Read)
				}
				stall += cm.ReadStallReuse(r, float64(tr.Read), float64(u), float64(ws))
				continue
			}
			stall += float64(tr.Read)*cm.ReadStall[r] + float64(tr.Write)*cm.WriteStall[r]
		}
		if math.Abs(stall-d.Stall[s]) > 1e-9*max(stall, 1) {
			t.Errorf("%s step %d: stall %v, its bytes at the stall per byte give %v", what, s, d.Stall[s], stall)
		}
		for k := range d.Banks {
			tr := d.Bank[s*len(d.Banks)+k]
			byBank.Read += tr.Read
			byBank.Write += tr.Write
		}
		if byBank != byRegion {
			t.Errorf("%s step %d: banks move %v, regions %v", what, s, byBank, byRegion)
		}
		if d.Bank[s*len(d.Banks)] != d.Region[s*int(mem.NumRegions)+int(mem.RegionFlash)] {
			t.Errorf("%s step %d: flash bank %v, flash region %v", what, s, d.Bank[s*len(d.Banks)], d.Region[s*int(mem.NumRegions)+int(mem.RegionFlash)])
		}
	}
	for r := range mem.NumRegions {
		if got, want := regions[r], cnt.Bytes.Traffic[r]; got != want {
			t.Errorf("%s: %s traffic %v over the steps, closed form %v", what, r, got, want)
		}
		split = split || len(cm.Spans[r]) > 1
	}
	return split
}

// inputBytes is the patch-based input image that the pricer places (the full
// input outside the arena), 0 for a layer-based plan.
func inputBytes(pl *plan.Plan) int {
	if pl.Patch == nil {
		return 0
	}
	return pl.Exec.Full[0].Ins[0].Bytes()
}
