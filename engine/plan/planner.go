package plan

import (
	"fmt"
	"strings"
)

// Planner names accepted by Options.Planner.
const (
	PlannerAnalytic   = "analytic"
	PlannerAct        = "act"
	PlannerTinyEngine = "tinyengine"
	PlannerTFLM       = "tflm"
)

// Capabilities say what a planner's plans support; callers ask them instead
// of testing planner names.
type Capabilities struct {
	// PlacesBuffers: the plan lists its placed buffers (Plan.Buffers);
	// otherwise it charges a closed-form peak.
	PlacesBuffers bool
	// Executable: the plan says where every operand of every lowered step lives
	// (Plan.Exec), so code generation can run it and the closed form count it.
	Executable bool
	// Patches: the planner models patch-based schedules and the --auto search.
	Patches bool
}

// Planner is one memory-planning convention. The planners are the registry's
// (Planners, PlannerByName); the planner conformance suite runs every one.
type Planner interface {
	Name() string
	Capabilities() Capabilities
	// place plans the schedule steps (split > 0: steps 0..split−1 are the
	// patch stage), fills pl's arena, scratch and buffers and returns the
	// activation bytes live at each row of the per-layer table.
	// in is what the input convention charges for the network input.
	place(prog *Program, steps []Step, split int, opt Options, in inputCharge, pl *Plan) ([]int, error)
	// layers is the per-layer table of a placement.
	layers(prog *Program, steps []Step, split int, live []int) []Layer
}

// planners is the registry, in the order the CLI lists them.
var planners = []Planner{analyticPlanner{}, actPlanner{}, tinyEnginePlanner{}, tflmPlanner{}}

// Planners lists the planners.
func Planners() []Planner { return append([]Planner(nil), planners...) }

// PlannerNames lists the planners' names, for flag help.
func PlannerNames() []string {
	names := make([]string, len(planners))
	for i, p := range planners {
		names[i] = p.Name()
	}
	return names
}

// PlannerByName returns the planner called name; it is the one place a
// planner name is validated.
func PlannerByName(name string) (Planner, error) {
	for _, p := range planners {
		if p.Name() == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("unknown planner %q; known: %s", name, strings.Join(PlannerNames(), ", "))
}

// patchPlanners names the planners that model patch-based schedules, for
// error messages ("analytic or tinyengine").
func patchPlanners() string {
	var names []string
	for _, p := range planners {
		if p.Capabilities().Patches {
			names = append(names, p.Name())
		}
	}
	return strings.Join(names, " or ")
}

// analyticPlanner is MCUNetV2's convention (planner_analytic.go).
type analyticPlanner struct{}

func (analyticPlanner) Name() string               { return PlannerAnalytic }
func (analyticPlanner) Capabilities() Capabilities { return Capabilities{Patches: true} }
func (analyticPlanner) place(_ *Program, steps []Step, split int, _ Options, in inputCharge, pl *Plan) ([]int, error) {
	live := analyticLive(steps, split, true, false, in)
	pl.Arena = maxOf(live)
	return live, nil
}
func (analyticPlanner) layers(_ *Program, steps []Step, split int, live []int) []Layer {
	return stepLayers(steps, live, split)
}

// actPlanner is the MCUNet model zoo's "Act" column (planner_analytic.go).
type actPlanner struct{}

func (actPlanner) Name() string               { return PlannerAct }
func (actPlanner) Capabilities() Capabilities { return Capabilities{} }
func (actPlanner) place(_ *Program, steps []Step, _ int, _ Options, in inputCharge, pl *Plan) ([]int, error) {
	live := analyticLive(steps, 0, false, true, in)
	pl.Arena = maxOf(live)
	return live, nil
}
func (actPlanner) layers(_ *Program, steps []Step, split int, live []int) []Layer {
	return stepLayers(steps, live, split)
}

// tinyEnginePlanner is TinyEngine's code-generator scheduler
// (planner_tinyengine.go): the one executable placement.
type tinyEnginePlanner struct{}

func (tinyEnginePlanner) Name() string { return PlannerTinyEngine }
func (tinyEnginePlanner) Capabilities() Capabilities {
	return Capabilities{PlacesBuffers: true, Executable: true, Patches: true}
}
func (tinyEnginePlanner) place(prog *Program, steps []Step, split int, opt Options, in inputCharge, pl *Plan) ([]int, error) {
	live, err := tinyEnginePlace(prog, steps, split, opt.Strict, opt.ArenaLimit, in, pl)
	if err != nil {
		return nil, err
	}
	pl.SBuf, pl.KBuf = tinyEngineScratch(steps)
	return live, nil
}
func (tinyEnginePlanner) layers(_ *Program, steps []Step, split int, live []int) []Layer {
	return stepLayers(steps, live, split)
}

// tflmPlanner is TF Lite Micro's greedy planner over the graph's own tensors
// (planner_tflm.go): it places buffers, but not those of the lowered steps.
type tflmPlanner struct{}

func (tflmPlanner) Name() string               { return PlannerTFLM }
func (tflmPlanner) Capabilities() Capabilities { return Capabilities{PlacesBuffers: true} }
func (tflmPlanner) place(prog *Program, _ []Step, _ int, _ Options, in inputCharge, pl *Plan) ([]int, error) {
	if in.rows > 0 {
		return nil, fmt.Errorf("planner tflm keeps the whole input tensor in its arena (TFLM has no row streaming); use --input-source sram")
	}
	return tflmPlace(prog.Graph, in.bytes == 0, pl)
}
func (tflmPlanner) layers(prog *Program, _ []Step, _ int, live []int) []Layer {
	return graphLayers(prog.Graph, live)
}
