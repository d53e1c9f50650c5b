package bench

import (
	"testing"

	"mcusim/engine/plan"
	"mcusim/models/zoo"
)

// BenchmarkPlan measures one memory plan of mcunet-in3 (the NAS label hot path:
// the graph is lowered once, then planned per candidate schedule). Target: under
// 200 µs per plan on one core.
func BenchmarkPlan(b *testing.B) {
	g, err := zoo.Load("mcunet-in3")
	if err != nil {
		b.Fatal(err)
	}
	prog, err := plan.Lower(g)
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		opt  plan.Options
	}{
		{"tinyengine/layer", plan.Options{Planner: plan.PlannerTinyEngine}},
		{"tinyengine/patch", plan.Options{Planner: plan.PlannerTinyEngine, Patches: 2, SplitBlock: 5}},
		{"analytic/layer", plan.Options{Planner: plan.PlannerAnalytic}},
		{"analytic/patch", plan.Options{Planner: plan.PlannerAnalytic, Patches: 2, SplitBlock: 5}},
		// The --auto search: every patch schedule planned (across GOMAXPROCS
		// workers; compare -cpu 1,2), the winner's per-layer table only.
		{"tinyengine/auto", plan.Options{Planner: plan.PlannerTinyEngine, Auto: true, Sound: true}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := prog.Plan(c.opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// With lowering included (a fresh graph per label).
	b.Run("tinyengine/layer+lower", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := plan.PlanMemory(g, plan.Options{Planner: plan.PlannerTinyEngine}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
