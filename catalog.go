package mcusim

import (
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
	Model     string     `json:"model"`
	Board     string     `json:"board"`
	Planner   string     `json:"planner"`
	LayerPeak int        `json:"layer_peak_sram_bytes"`
	PatchPeak int        `json:"patch_peak_sram_bytes"`
	Patch     *PatchInfo `json:"patch,omitempty"`
	Flash     int        `json:"flash_bytes"`
	LayerFit  FitReport  `json:"layer_fit"`
	PatchFit  FitReport  `json:"patch_fit"`
}

// FitTableOptions configure FitTable.
type FitTableOptions struct {
	// Planner is analytic or tinyengine (default): the planners that model
	// patch schedules.
	Planner string
	// Progress, if set, is called after each model with the number done.
	Progress func(done, total int)
}

// FitTable plans every model layer-based and with the best patch schedule
// (--auto, per-layer tables left out) and checks both plans against every
// board; rows come model by model, boards in the given order.
func FitTable(graphs []*Graph, boards []*Board, opt FitTableOptions) ([]FitRow, error) {
	if opt.Planner == "" {
		opt.Planner = plan.PlannerTinyEngine
	}
	var rows []FitRow
	for i, g := range graphs {
		prog, err := plan.Lower(g)
		if err != nil {
			return nil, err
		}
		layer, err := prog.Plan(plan.Options{Planner: opt.Planner, NoLayers: true})
		if err != nil {
			return nil, err
		}
		patch, err := prog.Plan(plan.Options{Planner: opt.Planner, Auto: true, NoLayers: true})
		if err != nil {
			return nil, err
		}
		for _, b := range boards {
			rows = append(rows, FitRow{Model: g.Name, Board: b.ID, Planner: opt.Planner,
				LayerPeak: layer.PeakSRAM, PatchPeak: patch.PeakSRAM, Patch: patch.Patch, Flash: layer.Flash,
				LayerFit: CheckFit(layer, b), PatchFit: CheckFit(patch, b)})
		}
		if opt.Progress != nil {
			opt.Progress(i+1, len(graphs))
		}
	}
	return rows, nil
}
