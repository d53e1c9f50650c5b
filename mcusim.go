// Package mcusim is the facade of the mcusim simulator and estimator for tiny deep
// learning on Cortex-M microcontrollers: load a model and a board, plan its memory
// (layer-based or patch-based), check whether it fits, run its generated kernels
// and estimate its latency and energy through an estimator session. The
// algorithms live in the sub-packages: models (graph IR and model sources),
// engine (planners, patch scheduling, code generation, the closed-form count),
// sim (the wazero runner and pricing), mem (boards and memory banks). The facade
// only composes them; see DESIGN.md and RATIONALE.md.
package mcusim

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/mem"
	"mcusim/models"
	"mcusim/models/datadir"
	"mcusim/models/mcunetjson"
	"mcusim/models/tflite"
	"mcusim/models/zoo"
)

// Names of the sub-packages' types that the facade's callers (the CLI, the
// service) use, so that they need no import beyond mcusim.
type (
	// Graph is a model: int8 operators on NHWC tensors (models.Graph).
	Graph = models.Graph
	// Board is one board of the database (mem.Board).
	Board = mem.Board
	// PlanOptions select a planner and a schedule (plan.Options).
	PlanOptions = plan.Options
	// InputUse is how a plan holds the network input (plan.InputUse): the
	// convention, the frame's bytes and the peak with and without it.
	InputUse = plan.InputUse
	// Plan is a memory plan (plan.Plan).
	Plan = plan.Plan
	// PatchInfo describes a patch-based schedule (plan.PatchInfo).
	PatchInfo = plan.PatchInfo
	// Span is the part of a placed memory region in one bank (mem.Span).
	Span = mem.Span
	// Region is a part of a module's memory map: flash, arena, scratch or
	// input (mem.Region); RunReport.Bytes is indexed by it.
	Region = mem.Region
	// Style is a kernel style: tinyengine (the zero value), cmsis-nn or
	// tflm-ref (kernels.Style).
	Style = kernels.Style
)

// Planner names and the default kernel style.
const (
	PlannerTinyEngine = plan.PlannerTinyEngine
	PlannerAnalytic   = plan.PlannerAnalytic
	PlannerTFLM       = plan.PlannerTFLM
	StyleTinyEngine   = kernels.StyleTinyEngine
)

// Input conventions of PlanOptions.InputSource (plan.InputSRAM, the default,
// and plan.InputStream).
const (
	InputSRAM   = plan.InputSRAM
	InputStream = plan.InputStream
	// Objectives of the --auto search (PlanOptions.Objective).
	ObjectivePeak    = plan.ObjectivePeak
	ObjectiveMACs    = plan.ObjectiveMACs
	ObjectiveLatency = plan.ObjectiveLatency
)

// Planners lists the memory planners.
func Planners() []string { return plan.PlannerNames() }

// Styles lists the kernel styles.
func Styles() []Style { return kernels.Styles() }

// StyleNames lists the kernel styles' names, for flag help.
func StyleNames() []string { return kernels.StyleNames() }

// ParseStyle returns the kernel style named name (the CLI's --engine).
func ParseStyle(name string) (Style, error) { return kernels.ParseStyle(name) }

// LoadModel resolves a model: a path ending in .tflite or .json, otherwise a
// built-in zoo name (mcunet-in3, mbv2-w0.35-r144, ...).
func LoadModel(spec string) (*Graph, error) { return LoadModelWith(spec, LoadOptions{}) }

// LoadOptions qualify how a model source is read.
type LoadOptions struct {
	// Bits is the bit width of an MCUNet JSON config, 8 or 4. The JSON has no
	// bit-width field; 0 keeps the documented default: 4 when the file name
	// contains "int4" (the MCUNet model server's naming), else 8. Other sources
	// refuse a non-zero Bits: their bit width is in the model.
	Bits int
}

// BitWidth says, for an MCUNet JSON config, the bit width LoadModelWith builds
// it with and why ("--bits" or the file-name rule); ok is false for the other
// model sources, whose files carry their element types.
func BitWidth(spec string, opt LoadOptions) (bits int, why string, ok bool) {
	if strings.ToLower(filepath.Ext(spec)) != ".json" {
		return 0, "", false
	}
	if opt.Bits != 0 {
		return opt.Bits, "set with --bits", true
	}
	bits = mcunetjson.DefaultBits(spec)
	if bits == 4 {
		return 4, `the file name contains "int4"; --bits 8 overrides`, true
	}
	return 8, `the default for a name without "int4"; --bits 4 overrides`, true
}

// LoadModelWith is LoadModel with options.
func LoadModelWith(spec string, opt LoadOptions) (*Graph, error) {
	ext := strings.ToLower(filepath.Ext(spec))
	if opt.Bits != 0 {
		if ext != ".json" {
			return nil, fmt.Errorf("--bits applies to MCUNet .json configs only; %s carries its own bit width", spec)
		}
		if opt.Bits != 4 && opt.Bits != 8 {
			return nil, fmt.Errorf("--bits must be 8 or 4, got %d", opt.Bits)
		}
	}
	switch ext {
	case ".tflite":
		return tflite.Load(spec)
	case ".json":
		return mcunetjson.LoadWith(spec, mcunetjson.Options{Bits: opt.Bits})
	}
	return zoo.Load(spec)
}

// Memory plans the memory of a graph (see PlanOptions).
func Memory(g *Graph, opt PlanOptions) (*Plan, error) {
	return plan.PlanMemory(g, opt)
}

// FitReport says whether a plan fits a board. SRAM is compared with the board's
// largest address-contiguous SRAM region, which is where a single arena can live
// (the MCUNet papers' budgets: F412 256 kB, F746 320 kB, H743 512 kB of
// AXI-SRAM). Flash is compared with the weights, biases and scales only: code
// and runtime (≈ 59 kB for TinyEngine's vww1, claims.md §8) come on top.
type FitReport struct {
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
func CheckFit(p *Plan, b *Board) FitReport {
	_, sram := b.ArenaRegion()
	f := FitReport{Board: b.ID, SRAMBytes: sram, FlashBytes: b.Flash.Size}
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

// Boards returns the board database: the built-in one when path is empty,
// otherwise the user's file (which replaces it, see LoadBoards).
func Boards(path string) ([]Board, error) {
	if path != "" {
		return LoadBoards(path)
	}
	return DefaultBoards()
}

// FindBoard looks a board up by id in the built-in database, or in a user file
// when path is not empty.
func FindBoard(id, path string) (*Board, error) {
	boards, err := Boards(path)
	if err != nil {
		return nil, err
	}
	return mem.Find(boards, id)
}

// DataDir resolves the shared data folder that holds the measured tables and
// real models: dir when given (it must be a directory), otherwise
// $MCUSIM_DATA or ../shared/data beside the checkout.
func DataDir(dir string) (string, error) {
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return "", fmt.Errorf("--data %s is not a directory", dir)
		}
		return dir, nil
	}
	return datadir.Find()
}

// FindBoardIn looks a board up by id in a database returned by Boards.
func FindBoardIn(boards []Board, id string) (*Board, error) { return mem.Find(boards, id) }

// AutoFor sets opt's --auto budgets to board b: the SRAM CheckFit compares
// with (the largest contiguous SRAM region) and the Flash. With no objective
// given, --auto keeps the lowest estimated latency among schedules that fit
// when the caller prices candidates (priced: an Estimator does), else the
// fewest MACs among them.
func AutoFor(opt *PlanOptions, b *Board, priced bool) {
	_, opt.SRAMBudget = b.ArenaRegion()
	opt.FlashBudget = b.Flash.Size
	if opt.Objective == "" {
		opt.Objective = plan.ObjectiveMACs
		if priced {
			opt.Objective = plan.ObjectiveLatency
		}
	}
}
