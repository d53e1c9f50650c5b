// Package sim is the machine: it prices block executions on a board (core
// cycles from isa × the kernels' instruction mixes, memory stalls from mem) and
// turns them into latency and energy, with the calibration per (core, kernel
// style). The wazero runner that produces executed counts is sim/wasmrun;
// measured-row ingest and calibration fitting are sim/calib.
package sim
