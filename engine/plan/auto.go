package plan

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

// autoPlan searches every patch schedule — p×p patches for p in 2..4 and
// every split — and the layer-based one, and keeps the lowest peak SRAM; ties
// go to the lower whole-network MAC overhead, then to the earlier schedule
// (the layer-based one first, then by p and split). With opt.Sound it skips
// plans that have Conflicts or whose patch windows cannot be executed.
//
// The candidates are planned across GOMAXPROCS workers without per-layer
// tables; the result does not depend on the number of workers, and the
// winner alone is planned again with its table (unless opt.NoLayers).
func (prog *Program) autoPlan(pr Planner, opt Options) (*Plan, error) {
	if !pr.Capabilities().Patches {
		return nil, fmt.Errorf("--auto searches patch schedules, which planner %s does not model; use %s", pr.Name(), patchPlanners())
	}
	search := opt
	search.NoLayers, search.search = true, true
	layer, err := prog.plan(pr, search, 0, 0)
	if err != nil {
		return nil, err
	}
	type schedule struct{ patches, split int }
	var todo []schedule
	for p := 2; p <= 4; p++ { // p = 1 only adds MACs (patchSchedule)
		for k := 1; k < len(prog.Steps); k++ {
			todo = append(todo, schedule{p, k})
		}
	}
	objective, err := objectiveOf(opt.Objective)
	if err != nil {
		return nil, err
	}
	if objective == ObjectiveLatency && opt.Latency == nil {
		return nil, fmt.Errorf("--objective latency prices every candidate on a board: use estimate --board B (memory, fit and run offer peak or macs)")
	}
	// cands[0] is the layer-based schedule, cands[1+t] schedule todo[t].
	cands := make([]Candidate, 1+len(todo))
	cands[0] = Candidate{Schedule: "layer", SplitBlock: -1, PeakSRAM: layer.PeakSRAM}
	layerFlash := layer.Flash
	cands[0].MACs = prog.MACs
	if objective == ObjectiveLatency {
		if layer.Exec == nil {
			return nil, fmt.Errorf("--objective latency needs a planner whose plans execute")
		}
		if cands[0].LatencyMS, err = opt.Latency.LatencyMS(layer); err != nil {
			cands[0].Error = "not priced: " + err.Error()
		}
	}
	eligible := make([]bool, len(cands))

	eligible[0] = cands[0].Error == ""
	workers := min(runtime.GOMAXPROCS(0), max(len(todo), 1))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				t := int(next.Add(1)) - 1
				if t >= len(todo) {
					break
				}
				sc := todo[t]
				c := Candidate{Schedule: "patch", Patches: sc.patches, SplitOp: sc.split, SplitBlock: prog.splitBlockOf(sc.split)}
				pl, err := prog.plan(pr, search, sc.patches, sc.split)
				if err != nil {
					// A failing split stays failing for larger p only when the
					// stage is unsupported; keep trying, the table shows why.
					c.Error = err.Error()
					cands[1+t] = c
					continue
				}
				c.PeakSRAM = pl.PeakSRAM
				c.MACs = pl.Patch.TotalMACs
				c.MACsOverhead = pl.Patch.MACsOverheadTotal
				c.PatchInputHW = pl.Patch.PatchInputHW
				c.Conflicts = len(pl.Conflicts)
				if opt.Sound {
					if len(pl.Conflicts) > 0 {
						cf := pl.Conflicts[0]
						c.Error = fmt.Sprintf("not executable: TinyEngine's allocation puts buffers %d and %d on the same bytes while both are live (step %d)", cf.A, cf.B, cf.Step)
						cands[1+t] = c
						continue
					}
					if _, err := PatchRegions(pl); err != nil {
						c.Error = err.Error()
						cands[1+t] = c
						continue
					}
				}
				if objective == ObjectiveLatency {
					if c.LatencyMS, err = opt.Latency.LatencyMS(pl); err != nil {
						c.Error = "not priced: " + err.Error()
						cands[1+t] = c
						continue
					}
				}
				cands[1+t] = c
				eligible[1+t] = true
			}
		}()
	}
	wg.Wait()
	// Fit against the budgets; when nothing fits, every eligible schedule
	// stays in the running and the lowest peak wins.
	anyFits := false
	for i := range cands {
		c := &cands[i]
		c.Fits = (opt.SRAMBudget <= 0 || c.PeakSRAM <= opt.SRAMBudget) && (opt.FlashBudget <= 0 || layerFlash <= opt.FlashBudget)
		anyFits = anyFits || eligible[i] && c.Fits
	}
	if !anyFits {
		objective = ObjectivePeak
	}
	winIdx := -1
	for i := range cands {
		if !eligible[i] || anyFits && !cands[i].Fits {
			continue
		}
		if winIdx < 0 || beats(&cands[i], &cands[winIdx], objective) {
			winIdx = i
		}
	}
	if winIdx < 0 {
		return nil, fmt.Errorf("--auto found no schedule of %s to keep: %s", prog.Graph.Name, cands[0].Error)
	}
	for i := range cands {
		if !eligible[i] {
			continue
		}
		cands[i].Pareto = true
		for j := range cands {
			a, b := &cands[j], &cands[i]
			if eligible[j] && a.PeakSRAM <= b.PeakSRAM && a.MACs <= b.MACs && a.LatencyMS <= b.LatencyMS &&
				(a.PeakSRAM < b.PeakSRAM || a.MACs < b.MACs || a.LatencyMS < b.LatencyMS) {
				cands[i].Pareto = false
				break
			}
		}
	}
	win := struct {
		pl  *Plan
		idx int
	}{layer, winIdx}
	best := win.pl
	{
		// The winner again, with its per-layer table (unless opt.NoLayers)
		// and its peak without the input.
		patches, split := 0, 0
		if win.idx > 0 {
			patches, split = todo[win.idx-1].patches, todo[win.idx-1].split
		}
		if best, err = prog.plan(pr, opt, patches, split); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if (a.Error == "") != (b.Error == "") {
			return a.Error == ""
		}
		if a.PeakSRAM != b.PeakSRAM {
			return a.PeakSRAM < b.PeakSRAM
		}
		return a.MACsOverhead < b.MACsOverhead
	})
	best.Candidates = cands
	best.Objective = objective
	return best, nil
}

// Objectives of the --auto search (Options.Objective).
const (
	ObjectivePeak    = "peak"
	ObjectiveMACs    = "macs"
	ObjectiveLatency = "latency"
)

func objectiveOf(o string) (string, error) {
	switch o {
	case "", ObjectivePeak:
		return ObjectivePeak, nil
	case ObjectiveMACs:
		return ObjectiveMACs, nil
	case ObjectiveLatency:
		return ObjectiveLatency, nil
	}
	return "", fmt.Errorf("unknown --objective %q; use %s (lowest peak SRAM), %s (fewest MACs among the schedules that fit) or %s (lowest estimated latency among them)", o, ObjectivePeak, ObjectiveMACs, ObjectiveLatency)
}

// beats orders candidates for an objective: peak — lowest peak, then MAC
// overhead; macs — fewest MACs, then lowest peak. Equal keys keep the
// earlier candidate (the layer-based one first, then by p and split).
func beats(a, b *Candidate, objective string) bool {
	if objective == ObjectiveLatency && a.LatencyMS != b.LatencyMS {
		return a.LatencyMS < b.LatencyMS
	}
	if objective == ObjectiveMACs {
		if a.MACs != b.MACs {
			return a.MACs < b.MACs
		}
		return a.PeakSRAM < b.PeakSRAM
	}
	if a.PeakSRAM != b.PeakSRAM {
		return a.PeakSRAM < b.PeakSRAM
	}
	return a.MACsOverhead < b.MACsOverhead
}
