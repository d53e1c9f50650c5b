package mcusim

import (
	"sync"

	"mcusim/engine/plan"
	"mcusim/models"
	"mcusim/models/zoo"
)

// ModelInfo is one built-in model as `mcusim models` lists it.
type ModelInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Input       string `json:"input"`
	Classes     int    `json:"classes"`
	MACs        int64  `json:"macs"`
	Params      int64  `json:"params"`
}

// ParametricModels are the zoo's name patterns beside the fixed models.
var ParametricModels = []string{"mbv2-w<W>-r<R>", "proxyless-w<W>-r<R>"}

// Models lists the built-in zoo with each model's input shape, MACs and
// parameters.
func Models() ([]ModelInfo, error) {
	var out []ModelInfo
	for _, e := range zoo.Entries() {
		g, err := zoo.Load(e.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, ModelInfo{Name: e.Name, Description: e.Description,
			Input: models.ShapeString(g.Input().Shape), Classes: e.Classes, MACs: g.MACs(), Params: g.Params()})
	}
	return out, nil
}

// FitRow is one model × board line of `mcusim fit`: the layer-based plan and
// the best patch-based one (--auto) under one planner, each checked against
// the board.
type FitRow struct {
	Model   string `json:"model"`
	Board   string `json:"board"`
	Planner string `json:"planner"`
	// InputSource is the input convention both peaks are planned under
	// (plan.InputSRAM or plan.InputStream): the two compare like with like.
	InputSource string     `json:"input_source"`
	InputBytes  int        `json:"input_bytes"`
	LayerPeak   int        `json:"layer_peak_sram_bytes"`
	PatchPeak   int        `json:"patch_peak_sram_bytes"`
	Patch       *PatchInfo `json:"patch,omitempty"`
	Flash       int        `json:"flash_bytes"`
	LayerFit    FitReport  `json:"layer_fit"`
	PatchFit    FitReport  `json:"patch_fit"`
}

// FitTableOptions configure FitTable.
type FitTableOptions struct {
	// Planner is analytic or tinyengine (default): the planners that model
	// patch schedules.
	Planner string
	// InputSource is the input convention of both schedules (plan.Options).
	InputSource string
	// Progress, if set, is called after each model with the number done.
	Progress func(done, total int)
}

// FitTable plans every model layer-based and with the best patch schedule
// (--auto, per-layer tables left out) and checks both plans against every
// board; rows come model by model, boards in the given order. Models are
// planned in parallel (GOMAXPROCS workers); the first error in model order
// is returned.
func FitTable(graphs []*Graph, boards []*Board, opt FitTableOptions) ([]FitRow, error) {
	if opt.Planner == "" {
		opt.Planner = plan.PlannerTinyEngine
	}
	perModel := make([][]FitRow, len(graphs))
	errs := make([]error, len(graphs))
	var mu sync.Mutex
	done := 0
	fanOut(len(graphs), func(i int) {
		perModel[i], errs[i] = fitRows(graphs[i], boards, opt.Planner, opt.InputSource)
		if opt.Progress != nil {
			mu.Lock()
			done++
			opt.Progress(done, len(graphs))
			mu.Unlock()
		}
	})
	var rows []FitRow
	for i := range graphs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		rows = append(rows, perModel[i]...)
	}
	return rows, nil
}

// fitRows is one model's rows of FitTable.
func fitRows(g *Graph, boards []*Board, planner, input string) ([]FitRow, error) {
	prog, err := plan.Lower(g)
	if err != nil {
		return nil, err
	}
	layer, err := prog.Plan(plan.Options{Planner: planner, NoLayers: true, InputSource: input})
	if err != nil {
		return nil, err
	}
	patch, err := prog.Plan(plan.Options{Planner: planner, Auto: true, NoLayers: true, InputSource: input})
	if err != nil {
		return nil, err
	}
	rows := make([]FitRow, len(boards))
	for j, b := range boards {
		rows[j] = FitRow{Model: g.Name, Board: b.ID, Planner: planner, InputSource: layer.InputSource, InputBytes: layer.InputBytes,
			LayerPeak: layer.PeakSRAM, PatchPeak: patch.PeakSRAM, Patch: patch.Patch, Flash: layer.Flash,
			LayerFit: CheckFit(layer, b), PatchFit: CheckFit(patch, b)}
	}
	return rows, nil
}
