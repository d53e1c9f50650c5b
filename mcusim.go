// Package mcusim is the facade of the mcusim simulator and estimator for tiny deep
// learning on Cortex-M microcontrollers: load a model and a board, plan its memory
// (layer-based or patch-based) and check whether it fits. The algorithms live in
// the sub-packages: models (graph IR and model sources), engine (planners and patch
// scheduling), mem (boards and memory banks). See README.md and RATIONALE.md.
package mcusim

import (
	"path/filepath"
	"strings"

	"mcusim/engine/plan"
	"mcusim/mem"
	"mcusim/models"
	"mcusim/models/mcunetjson"
	"mcusim/models/tflite"
	"mcusim/models/zoo"
)

// LoadModel resolves a model: a path ending in .tflite or .json, otherwise a
// built-in zoo name (mcunet-in3, mbv2-w0.35-r144, ...).
func LoadModel(spec string) (*models.Graph, error) {
	switch strings.ToLower(filepath.Ext(spec)) {
	case ".tflite":
		return tflite.Load(spec)
	case ".json":
		return mcunetjson.Load(spec)
	}
	return zoo.Load(spec)
}

// Memory plans the memory of a graph (see plan.Options).
func Memory(g *models.Graph, opt plan.Options) (*plan.Plan, error) {
	return plan.PlanMemory(g, opt)
}

// Fit says whether a plan fits a board. SRAM is compared with the board's largest
// address-contiguous SRAM region, which is where a single arena can live (the
// MCUNet papers' budgets: F412 256 kB, F746 320 kB, H743 512 kB of AXI-SRAM).
// Flash is compared with the weights, biases and scales only: code and runtime
// (≈ 59 kB for TinyEngine's vww1, claims.md §8) come on top.
type Fit struct {
	Board      string `json:"board"`
	SRAMBytes  int    `json:"sram_bytes"`
	FlashBytes int    `json:"flash_bytes"`
	SRAMFits   bool   `json:"sram_fits"`
	FlashFits  bool   `json:"flash_fits"`
	Fits       bool   `json:"fits"`
	// Verdict is "fits" or names what runs out, as the papers print OOM.
	Verdict string `json:"verdict"`
}

// CheckFit compares a plan with a board.
func CheckFit(p *plan.Plan, b *mem.Board) Fit {
	_, sram := b.ArenaRegion()
	f := Fit{Board: b.ID, SRAMBytes: sram, FlashBytes: b.Flash.Size}
	f.SRAMFits = p.PeakSRAM <= sram
	f.FlashFits = p.Flash <= b.Flash.Size
	f.Fits = f.SRAMFits && f.FlashFits
	switch {
	case f.Fits:
		f.Verdict = "fits"
	case !f.SRAMFits && !f.FlashFits:
		f.Verdict = "OOM (SRAM and Flash)"
	case !f.SRAMFits:
		f.Verdict = "OOM (SRAM)"
	default:
		f.Verdict = "OOM (Flash)"
	}
	return f
}

// FindBoard looks a board up by id in the built-in database, or in a user file
// when path is not empty.
func FindBoard(id, path string) (*mem.Board, error) {
	var boards []mem.Board
	var err error
	if path != "" {
		boards, err = LoadBoards(path)
	} else {
		boards, err = DefaultBoards()
	}
	if err != nil {
		return nil, err
	}
	return mem.Find(boards, id)
}
