package bench

import (
	"testing"

	"mcusim/engine/count"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
)

// BenchmarkCount measures count.Count, the closed-form block counts and
// traffic of mcunet-in3 (no code generation, no execution), for the layer-based
// plan and the --auto patch-based plan, per kernel style. It is the NAS fast
// path; target: well under 50 µs layer-based.
func BenchmarkCount(b *testing.B) {
	g, layer, _ := in3(b)
	patch, err := plan.PlanMemory(g, plan.Options{Planner: plan.PlannerTinyEngine, Auto: true, Sound: true})
	if err != nil {
		b.Fatal(err)
	}
	if patch.Schedule != "patch" {
		b.Fatalf("the --auto plan of mcunet-in3 is %s-based, want patch-based", patch.Schedule)
	}
	for _, sc := range []struct {
		name string
		plan *plan.Plan
	}{{"layer", layer}, {"patch", patch}} {
		for _, style := range kernels.Styles() {
			b.Run(sc.name+"/"+style.String(), func(b *testing.B) {
				var blocks int
				for b.Loop() {
					c, err := count.Count(sc.plan, style)
					if err != nil {
						b.Fatal(err)
					}
					blocks = len(c.Blocks)
				}
				b.ReportMetric(float64(blocks), "blocks")
			})
		}
	}
}
