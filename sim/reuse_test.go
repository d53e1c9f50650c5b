package sim_test

import (
	"math"
	"testing"

	"mcusim"
	"mcusim/engine/count"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/mem"
	"mcusim/models/zoo"
	"mcusim/sim"
)

// Estimated cycles depend on the clock only through the flash wait states
// (and the fixed bus divider): on the F746 200 and 210 MHz both need 6 WS and
// give the same cycles; 216 MHz (7 WS) gives more. With a D-cache larger than
// every working set the Flash stall of each step is its distinct bytes' misses
// only, less than with the 4 KiB cache, which is less than with none.
func TestEstimateCacheAndClock(t *testing.T) {
	board, err := mcusim.FindBoard("stm32f746", "")
	if err != nil {
		t.Fatal(err)
	}
	g, err := zoo.Load("mcunet-vww1")
	if err != nil {
		t.Fatal(err)
	}
	pl, _, err := plan.PlanExecution(g, plan.Options{Planner: plan.PlannerTinyEngine})
	if err != nil {
		t.Fatal(err)
	}
	cycles := func(clock, dcacheKiB int) *sim.Estimate {
		b := *board
		b.DCacheKiB = dcacheKiB
		p, err := sim.NewPricer(sim.PriceOptions{Board: &b, ClockMHz: clock, Style: kernels.StyleTinyEngine})
		if err != nil {
			t.Fatal(err)
		}
		est, err := p.PriceEach(pl)
		if err != nil {
			t.Fatal(err)
		}
		return est
	}
	a, b, c := cycles(200, 4), cycles(210, 4), cycles(216, 4)
	if a.Cycles != b.Cycles || a.StallCycles != b.StallCycles {
		t.Errorf("6 WS at 200 and 210 MHz: %v vs %v cycles", a.Cycles, b.Cycles)
	}
	if !(c.Cycles > b.Cycles) {
		t.Errorf("7 WS at 216 MHz: %v cycles, not more than 6 WS's %v", c.Cycles, b.Cycles)
	}
	huge, small, none := cycles(0, 1<<20), cycles(0, 4), cycles(0, 0)
	if !(huge.StallCycles < small.StallCycles && small.StallCycles < none.StallCycles) {
		t.Errorf("stall with a huge / 4 KiB / no D-cache: %v / %v / %v, want strictly decreasing with size", huge.StallCycles, small.StallCycles, none.StallCycles)
	}
	// With the huge cache every step's Flash stall is its distinct bytes'
	// misses; with none, every Flash byte read pays (the other regions' stalls
	// do not depend on the D-cache size).
	cm, err := board.CostModel(0, pl.Arena, pl.SBuf+pl.KBuf, 0, mem.Placement{})
	if err != nil {
		t.Fatal(err)
	}
	per := cm.ReadStall[mem.RegionFlash]
	cnt, err := count.Count(pl, kernels.StyleTinyEngine)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sim.NewPricer(sim.PriceOptions{Board: board, Style: kernels.StyleTinyEngine})
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.DemandEach(pl)
	if err != nil {
		t.Fatal(err)
	}
	var unique float64
	for i := range pl.Exec.Steps {
		if u, _, ok := kernels.Reuse(kernels.StyleTinyEngine, pl.Exec, i); ok {
			read := float64(d.Region[i*int(mem.NumRegions)+int(mem.RegionFlash)].Read)
			unique += math.Min(float64(u), read)
		}
	}
	nonFlash := none.StallCycles - float64(cnt.Bytes.Traffic[mem.RegionFlash].Read)*per
	if got, want := huge.StallCycles-nonFlash, unique*per; math.Abs(got-want) > 1e-6*want {
		t.Errorf("huge D-cache: Flash stall %v, the distinct bytes' misses give %v", got, want)
	}
}
