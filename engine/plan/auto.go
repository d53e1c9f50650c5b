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
	// cands[0] is the layer-based schedule, cands[1+t] schedule todo[t].
	cands := make([]Candidate, 1+len(todo))
	cands[0] = Candidate{Schedule: "layer", SplitBlock: -1, PeakSRAM: layer.PeakSRAM}
	// Each worker keeps the best plan it saw with its candidate index; the
	// minimum of (peak, overhead, index) over the workers is the sequential
	// search's winner.
	type pick struct {
		pl  *Plan
		idx int
	}
	workers := min(runtime.GOMAXPROCS(0), max(len(todo), 1))
	picks := make([]pick, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			best := pick{pl: layer, idx: 0}
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
				c.MACsOverhead = pl.Patch.MACsOverheadTotal
				c.PatchInputHW = pl.Patch.PatchInputHW
				c.Conflicts = len(pl.Conflicts)
				if opt.Sound {
					if len(pl.Conflicts) > 0 {
						cands[1+t] = c
						continue
					}
					if _, err := PatchRegions(pl); err != nil {
						c.Error = err.Error()
						cands[1+t] = c
						continue
					}
				}
				cands[1+t] = c
				if better(pl, best.pl) { // t ascends within a worker: ties keep the earlier
					best = pick{pl: pl, idx: 1 + t}
				}
			}
			picks[w] = best
		}()
	}
	wg.Wait()
	win := pick{pl: layer, idx: 0}
	for _, p := range picks {
		if better(p.pl, win.pl) || !better(win.pl, p.pl) && p.idx < win.idx {
			win = p
		}
	}
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
	return best, nil
}
