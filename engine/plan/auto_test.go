package plan_test

import (
	"reflect"
	"runtime"
	"testing"

	"mcusim/engine/plan"
	"mcusim/models/zoo"
)

// TestAutoWorkers: the parallel --auto search gives the same plan, candidate
// table included, on one worker and on several.
func TestAutoWorkers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, name := range []string{"mcunet-in3", "mcunet-vww1", "mbv2-w0.35-r144"} {
		g, err := zoo.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := plan.Lower(g)
		if err != nil {
			t.Fatal(err)
		}
		for _, opt := range []plan.Options{
			{Planner: plan.PlannerTinyEngine, Auto: true},
			{Planner: plan.PlannerTinyEngine, Auto: true, Sound: true, NoLayers: true},
			{Planner: plan.PlannerAnalytic, Auto: true},
		} {
			runtime.GOMAXPROCS(1)
			one, err := prog.Plan(opt)
			if err != nil {
				t.Fatal(err)
			}
			runtime.GOMAXPROCS(4)
			four, err := prog.Plan(opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(one, four) {
				t.Errorf("%s %+v: 1 and 4 workers plan differently", name, opt)
			}
			if (len(one.Layers) > 0) == opt.NoLayers {
				t.Errorf("%s %+v: %d layers", name, opt, len(one.Layers))
			}
		}
	}
}
