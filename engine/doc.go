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
//   - ref: the reference executor, TFLite's int8 kernels in plain Go.
//
// This package itself has no code. See RATIONALE.md for why WASM, why block
// counting and why these planners.
package engine
