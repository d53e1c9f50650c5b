package bench

import (
	"testing"

	"mcusim"
	"mcusim/engine/count"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/models/zoo"
	"mcusim/sim"
)

// BenchmarkEstimate measures one closed-form estimate of mcunet-in3 on the
// STM32F746 (plan + count + price), the NAS label path. Target: at least 20,000
// estimates per second on one core, i.e. under 50 µs each. The sub-benchmarks
// give the cost breakdown.
func BenchmarkEstimate(b *testing.B) {
	g, err := zoo.Load("mcunet-in3")
	if err != nil {
		b.Fatal(err)
	}
	board, err := mcusim.FindBoard("stm32f746", "")
	if err != nil {
		b.Fatal(err)
	}
	prog, err := plan.Lower(g)
	if err != nil {
		b.Fatal(err)
	}
	opt := plan.Options{Planner: plan.PlannerTinyEngine, NoLayers: true}
	po := sim.PriceOptions{Board: board, Style: kernels.StyleTinyEngine}
	pricer, err := sim.NewPricer(po)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("total", func(b *testing.B) {
		for b.Loop() {
			pl, err := prog.Plan(opt)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := pricer.PriceEach(pl); err != nil {
				b.Fatal(err)
			}
		}
	})
	pl, _ := prog.Plan(opt)
	c, _ := count.Count(pl, po.Style)
	execs := c.Blocks
	b.Run("plan", func(b *testing.B) {
		for b.Loop() {
			prog.Plan(opt)
		}
	})
	b.Run("count", func(b *testing.B) {
		for b.Loop() {
			count.Count(pl, po.Style)
		}
	})
	b.Run("price", func(b *testing.B) {
		for b.Loop() {
			pricer.Price(pl, execs)
		}
	})
	b.Run("price-cold", func(b *testing.B) {
		for b.Loop() {
			sim.Price(pl, execs, po)
		}
	})
}
