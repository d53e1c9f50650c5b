package bench

import (
	"context"
	"syscall"
	"testing"
	"time"

	"mcusim"
)

// cpuTime is the process's user + system CPU time. The benchmarks report it per
// operation beside the wall time: on a machine shared with other work the wall
// time of one goroutine measures the neighbours too, the CPU time much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEstimator measures the estimator session, the path of every
// estimate (CLI, validation, NAS labels), on mcunet-in3 / STM32F746 through the
// public facade only: plan for execution (strict fallback included), closed-form
// count and pricing with a pooled pricer; the lowering is cached by the session.
// Modes: "layers" builds the per-layer tables, "nolayers" (NAS labels) leaves
// them out. "batch" is EstimateBatch over 64 estimates, fanned out over
// GOMAXPROCS workers: compare -cpu 1,2. cpu-ns/op is the process CPU time
// per operation (all goroutines and the GC), robust to a busy machine. Targets (issue 7): ≥ 25,000
// estimates/s on one core, ≤ 30 allocations per estimate, batch on 2 cores
// ≥ 1.8× one core.
func BenchmarkEstimator(b *testing.B) {
	ctx := context.Background()
	g, err := mcusim.LoadModel("mcunet-in3")
	if err != nil {
		b.Fatal(err)
	}
	board, err := mcusim.FindBoard("stm32f746", "")
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []struct {
		name     string
		noLayers bool
	}{{"layers", false}, {"nolayers", true}} {
		e, err := mcusim.NewEstimator(board, mcusim.StyleTinyEngine, mcusim.EstimatorOptions{NoLayers: mode.noLayers})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(mode.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := e.Estimate(ctx, g); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "estimates/s")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
		b.Run(mode.name+"/batch", func(b *testing.B) {
			gs := make([]*mcusim.Graph, 64)
			for i := range gs {
				gs[i] = g
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				for _, r := range e.EstimateBatch(ctx, gs) {
					if r.Err != nil {
						b.Fatal(r.Err)
					}
				}
			}
			b.ReportMetric(float64(b.N*len(gs))/b.Elapsed().Seconds(), "estimates/s")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N*len(gs)), "cpu-ns/estimate")
		})
	}
}
