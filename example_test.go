package mcusim_test

import (
	"context"
	"fmt"

	"mcusim"
	"mcusim/engine/plan"
)

// Plan the memory of a built-in model with TinyEngine's scheduler, layer by layer
// and with MCUNetV2 patches, and check it against a board.
func ExampleMemory() {
	g, err := mcusim.LoadModel("mcunet-vww1")
	if err != nil {
		panic(err)
	}
	board, err := mcusim.FindBoard("stm32f412", "")
	if err != nil {
		panic(err)
	}
	for _, opt := range []plan.Options{
		{Planner: plan.PlannerTinyEngine},
		// TinyEngine's patch-based code reads the frame from outside its arena.
		{Planner: plan.PlannerTinyEngine, Patches: 2, SplitOp: 5, InputSource: plan.InputStream},
	} {
		pl, err := mcusim.Memory(g, opt)
		if err != nil {
			panic(err)
		}
		fit := mcusim.CheckFit(pl, board)
		fmt.Printf("%s: peak %d B, Flash %d B, %s on %s\n", pl.Schedule, pl.PeakSRAM, pl.Flash, fit.Verdict, fit.Board)
	}
	// Output:
	// layer: peak 93992 B, Flash 469432 B, fits on stm32f412
	// patch: peak 62352 B, Flash 469432 B, fits on stm32f412
}

// The analytic convention of MCUNetV2 Table 1: MobileNetV2 at 224², 4×4 patches
// over the first five blocks.
func ExampleMemory_analyticPatches() {
	g, _ := mcusim.LoadModel("mbv2-w1.0-r224")
	layer, _ := mcusim.Memory(g, plan.Options{Planner: plan.PlannerAnalytic})
	patch, _ := mcusim.Memory(g, plan.Options{Planner: plan.PlannerAnalytic, Patches: 4, SplitBlock: 5, InputSource: plan.InputStream})
	fmt.Printf("per-layer %.1f KiB, per-patch %.1f KiB, patch %dx%d, patch-stage MACs %+.1f%%, network %+.1f%%\n",
		float64(layer.PeakSRAM)/1024, float64(patch.PeakSRAM)/1024,
		patch.Patch.PatchInputHW[0], patch.Patch.PatchInputHW[1],
		100*patch.Patch.MACsOverheadPatchStage, 100*patch.Patch.MACsOverheadTotal)
	// Output:
	// per-layer 1372.0 KiB, per-patch 171.5 KiB, patch 75x75, patch-stage MACs +41.9%, network +12.7%
}

// An estimate session prices many models on one board: each model is lowered
// once, and EstimateBatch spreads the work over the cores, results in input
// order. NoLayers leaves out the per-layer tables, as a NAS loop would.
func ExampleEstimator() {
	board, err := mcusim.FindBoard("stm32f746", "")
	if err != nil {
		panic(err)
	}
	e, err := mcusim.NewEstimator(board, mcusim.StyleTinyEngine, mcusim.EstimatorOptions{NoLayers: true})
	if err != nil {
		panic(err)
	}
	var graphs []*mcusim.Graph
	for _, name := range []string{"mcunet-in0", "mcunet-vww1", "mcunet-in4"} {
		g, err := mcusim.LoadModel(name)
		if err != nil {
			panic(err)
		}
		graphs = append(graphs, g)
	}
	for _, r := range e.EstimateBatch(context.Background(), graphs) {
		if r.Err != nil {
			panic(r.Err)
		}
		fmt.Printf("%s: peak SRAM %d B, %s, priced: %v\n", r.Report.Model, r.Report.PeakSRAM, r.Report.Fit.Verdict, r.Report.Estimate != nil)
	}
	// Output:
	// mcunet-in0: peak SRAM 50064 B, fits, priced: true
	// mcunet-vww1: peak SRAM 93992 B, fits, priced: true
	// mcunet-in4: peak SRAM 426120 B, OOM (SRAM and Flash), priced: false
}
