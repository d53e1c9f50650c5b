// Package isa prices the basic blocks of generated int8 kernels on the
// Cortex-M4, Cortex-M7 and Cortex-M33 (DESIGN.md "Cycle model").
//
// A block is described by a Mix — how many instructions of each Class one
// execution issues, plus the interlock events its dependency chains force.
// A Table — one per core, built by NewCortexM4, NewCortexM7, NewCortexM33 or
// ByName — turns a Mix and the memory stalls the caller computed (MemCost)
// into cycles. Every number of every table names its source row in
// shared/reference/cortex-m.md (Table.Cost returns it), and a table with an
// unpriced class does not build.
//
// # The formula
//
// Each class occupies one resource ("pipe") for its table cycles c. With n
// the mix counts:
//
//	cycles = W + max(S/w, B_mac+store, B_dsp, B_shift, B_load·(1 − f/2), B_branch, B_fp) + stalls
//
// where W = Σ n·c over the classes that hold the whole core (everything on the
// single-issue M4 and M33; LDRD/LDM/STM, SDIV, a mispredicted branch and the
// interlock events on the M7), S = Σ n·c over the other classes, w = 2 is the
// M7 issue width (LLVM-M7), B_p = Σ n·c over the classes on pipe p, f is the
// fraction of loads that can pair with another load, and stalls =
// MemCost.LoadStall + StoreStall + FetchStall. On the M4 and M33 the formula
// is the plain sum Σ n·c + stalls.
//
// # Why this M7 model
//
// The M7 terms are the pairing rules of cortex-m.md §2, each turned into a
// per-cycle capacity:
//
//   - two instructions per cycle (LLVM-M7 issue width 2): S/2;
//   - one MAC pipe, and neither MAC + MAC, store + store nor MAC + store pair
//     (LLVM-M7, JNK): MUL, MulLong, MAC and Store share one pipe;
//   - DSP/bitfield ops (SXTB16, SXTAB16, PKHBT, UXTB, …) do not pair with each
//     other and must be the older instruction (LLVM-M7 BeginGroup, JNK): one
//     per cycle, and SMLAD + SXTB16 pairs either way (JNK);
//   - one early shifter: one shifted-operand op per cycle (JNK, LLVM-M7);
//   - two load pipes, but load + load pairs only across DTCM/D-cache banks
//     (JNK): a fraction f of loads takes half a cycle, the rest one;
//   - one branch unit; one FP pipe, FP + FP does not pair (JNK).
//
// Each term is a lower bound on the cycles of any in-order schedule. Without
// dependences the largest bound is also reached: write the instructions pipe
// by pipe into a two-column grid of T = max(bounds) rows, filling the first
// column top to bottom and then the second; since no pipe has more than T
// instructions, no row receives two from the same single-capacity pipe, and
// the DSP op of a row can be placed in the older slot. So the closed form is
// the length of the best schedule, and a scheduler simulation would add
// nothing for a mix that carries no order. What a schedule cannot hide —
// a result needed in the next cycle inside a serial chain — is priced by
// the interlock classes LoadUse, MulUse and FPUse, which the mix author counts
// from the code. The model has no fitted "pairing efficiency" factor: the §4
// analytic M7 figures (9–11 cycles for the 20 instructions of the CMSIS-NN
// s8×s16 tile) sit at the issue-width bound themselves.
//
// Branches: the M4 has no predictor, a taken branch costs 1+P with P = 2
// (M4TRM, LLVM-M4). On the M7 a predicted branch takes one issue slot and
// pairs with its neighbour (JNK); a loop back-edge that falls through on the
// last iteration (LoopExit) is a misprediction, 8 cycles (JNK). The M33 takes
// 2 cycles per taken branch (JNK).
//
// Memory stalls are the caller's: the tables assume zero-wait-state memory
// (TCM, or a cache hit, which cortex-m.md §2 treats like DTCM [ESTIMATE]),
// and package mem adds the wait states of the banks a block touches. The core
// is in order, so a stall stops both M7 issue slots and simply adds.
package isa
