// Package engine is the directory of mcusim's compiler, split by concern into
// sub-packages whose imports run one way (models → plan → kernels → codegen,
// count):
//
//   - plan: lowering a models.Graph into TinyEngine's step list, the four
//     memory planners, patch-based schedules and the windows each patch
//     computes, the automatic schedule search, PlanExecution (what runs).
//   - kernels: kernel styles, the memory accesses of their basic blocks, the
//     kernel choice per step and the instruction mix of every block.
//   - codegen: the WebAssembly module that runs a plan in a style, with its
//     encoder in codegen/wasm.
//   - count: the closed-form block counts and traffic, equal to a run's.
//   - ref: the reference executor, TFLite's int8 kernels in plain Go; codegen
//     runs host operators and boundary conversions through it.
//
// Adding a kernel takes one block table, one generator and one set of trip
// counts:
//
//  1. kernels: a Kernel constant, its BlockSpec table in specs (kind, the
//     bytes each execution moves per region as Sizes of the step, elements
//     per execution), new BlockKinds with their names, their instruction mix
//     per style in mixes (with sources), and the case in Choose (and
//     ScratchNeed if it writes sbuf).
//  2. codegen: the generator, which registers its blocks with addBlocks and
//     counts them (kfn.count) inside the loops it emits, and its case in
//     genStep.
//  3. count: the closed-form trip count of each block, in table order, passed
//     to emit, and its case in step.
//
// sim/wasmrun/count_test.go then proves the trip counts equal the executed
// ones, and kernels' tests that every block has a mix.
//
// This package itself has no code. See RATIONALE.md for why WASM, why block
// counting and why these planners.
package engine
