package kernels_test

import (
	"testing"

	"mcusim/engine/codegen"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/models"
	"mcusim/models/zoo"
)

// TestEveryBlockHasAMix: every basic block the generator emits, in every style,
// has an instruction mix (the cycle model prices every block).
func TestEveryBlockHasAMix(t *testing.T) {
	for _, name := range []string{"mcunet-vww1", "mcunet-in1", "proxyless-w0.3-r176"} {
		g, err := zoo.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if g, err = models.Synthesize(g, 0); err != nil {
			t.Fatal(err)
		}
		for _, opt := range []plan.Options{{Planner: plan.PlannerTinyEngine}, {Planner: plan.PlannerTinyEngine, Auto: true, Sound: true}} {
			pl, err := plan.PlanMemory(g, opt)
			if err != nil {
				t.Fatal(err)
			}
			for _, style := range kernels.Styles() {
				c, err := codegen.Compile(g, pl, codegen.CompileOptions{Style: style})
				if err != nil {
					t.Fatal(err)
				}
				for i := range c.Blocks {
					m, pm, err := kernels.StyleMix(style, c.Blocks[i].Kind)
					if err != nil {
						t.Errorf("block %s: %v", c.Blocks[i].Name(), err)
						continue
					}
					m.Add(&pm, float64(c.Blocks[i].Per))
					if m.Instructions() <= 0 {
						t.Errorf("%s %s: block %s has an empty mix", name, style, c.Blocks[i].Name())
					}
				}
			}
		}
	}
}
