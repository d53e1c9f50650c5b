// Package sim is the machine that runs a plan on a board. It owns:
//
//   - the per-step demand of a plan (Pricer.Demand, Pricer.DemandEach): the
//     core cycles of each block's instruction mix on the board's core (isa ×
//     the kernels' mixes), the memory stalls of the bytes it moves at mem's
//     stall per byte, and those bytes per memory region and per bank;
//   - its timing: today the explicit no-contention sum (Demand.NoContention),
//     the place where bus contention will go;
//   - the estimate (Price, Pricer): cycles scaled by the calibration per
//     (core, kernel style), latency at the clock, and energy as the board's
//     power at that clock × latency (cortex-m.md §8).
//
// Sub-packages: sim/wasmrun executes the generated WebAssembly under wazero
// and returns the executed block counts; sim/calib reads the measured rows,
// fits the calibration and validates the model. sim holds no kernel math (that
// is engine's) and does not know where graphs come from.
package sim
