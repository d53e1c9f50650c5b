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

// BenchmarkEstimate breaks one closed-form estimate of mcunet-in3 on the
// STM32F746 into its stages: plan for execution (PlanExecution, with its strict
// fallback, as the session plans), count, price (warm and cold pricer). The
// whole estimate, through the public session, is BenchmarkEstimator.
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
	pl, _, err := prog.PlanExecution(opt)
	if err != nil {
		b.Fatal(err)
	}
	c, _ := count.Count(pl, po.Style)
	execs := c.Blocks
	b.Run("plan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			prog.PlanExecution(opt)
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
			p, _ := sim.NewPricer(po)
			p.Price(pl, execs)
		}
	})
}
