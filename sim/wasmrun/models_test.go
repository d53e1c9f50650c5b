package wasmrun_test

import (
	"context"
	"errors"
	"testing"

	"mcusim"
	"mcusim/engine/plan"
	"mcusim/internal/corpus"
	"mcusim/models"
	"mcusim/sim/wasmrun"
)

// allModels is every model the foundation loads: the zoo and every .tflite under
// the shared data folder that loads (the others fail cleanly at load time).
func allModels(t *testing.T) []*models.Graph { return corpus.All(t) }

// TestRunAllModels runs every model end to end, layer-based and with the --auto
// patch schedule, in verify mode: outputs bit-identical to the reference
// executor, no clobbers, in an arena of exactly the plan's size (DESIGN.md "A
// plan is checked by running it").
func TestRunAllModels(t *testing.T) {
	ctx := context.Background()
	r, err := wasmrun.NewRunner(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	for _, g := range allModels(t) {
		for _, auto := range []bool{false, true} {
			name := g.Name + "/layer"
			if auto {
				name = g.Name + "/auto"
			}
			t.Run(name, func(t *testing.T) {
				if (raceEnabled || testing.Short()) && g.MACs() > 30e6 {
					t.Skipf("%.0fM MACs: run without -race/-short (make test does)", float64(g.MACs())/1e6)
				}
				rep, err := mcusim.Run(ctx, g, mcusim.RunOptions{Plan: plan.Options{Planner: plan.PlannerTinyEngine, Auto: auto},
					Verify: true, Seed: 7, Runner: r})
				var clob *wasmrun.ClobberError
				if errors.As(err, &clob) {
					t.Fatalf("clobber: %v", err)
				}
				if err != nil {
					t.Fatal(err)
				}
				if !rep.BitExact {
					t.Fatalf("output differs from the reference executor")
				}
				t.Logf("%s peak %d arena %d, %d blocks run, %.0f MMAC/s", rep.Schedule, rep.PeakSRAM, rep.Arena, rep.BlocksExec, rep.MMACPerSecond)
			})
		}
	}
}
