package isa

// The three cost tables. Every row names its source in its last field; the
// keys (M4TRM, LLVM-M4, LLVM-M7, JNK) and the § numbers refer to
// shared/reference/cortex-m.md, which quotes the rows. [ESTIMATE] marks a
// modelling choice where the sources give a range or nothing; the reason is
// stated in the row.

// NewCortexM4 returns the Cortex-M4 table: a single-issue, three-stage
// pipeline timed by the M4TRM instruction tables (cortex-m.md §1).
//
// Branch refill: the TRM gives taken branches 1+P cycles with P = 1–3. The
// table uses P = 2, LLVM-M4's mispredict penalty and the middle of the TRM
// range.
func NewCortexM4() *Table {
	return build("cortex-m4", 1 /* single issue, M4TRM */, 0 /* no load pairing */, []entry{
		{ALU, 1, whole, "M4TRM Table 3-1 (§1 row MOV … ADR): 1"},
		{ALUShifted, 1, whole, "M4TRM Table 3-1 (§1 row MOV … ADR): 1, shifted operand is free"},
		{MUL, 1, whole, "M4TRM Table 3-1 (§1 row MUL, MLA, MLS): 1"},
		{MulLong, 1, whole, "M4TRM Table 3-1 (§1 row SMULL/UMULL/SMLAL/UMLAL/UMAAL): 1 (early termination: minor uncertainty)"},
		{DSP, 1, whole, "M4TRM Tables 3-1, 3-2 (§1 rows SSAT … USADA8, SXTB … UXTA*, PKHBT/PKHTB; CLZ, REV, BFI, UBFX in row MOV … ADR): 1"},
		{MAC, 1, whole, "M4TRM Table 3-2 (§1 row SMLAD … SMMUL(R)): 1"},
		{Div, 7, whole, "M4TRM (§1 row SDIV/UDIV): 2–12, data dependent; 7 = middle of the range [ESTIMATE] (LLVM-M4 uses 2)"},
		{Load, 2, whole, "M4TRM §3.3.2 (§1 row LDR/LDRH/LDRB/LDRSH/LDRSB): 2"},
		{LoadPipelined, 1, whole, "M4TRM §3.3.2, JNK (§1 load/store pairing rule 1): N back-to-back loads ≈ N+1, so each after the first costs 1"},
		{LoadDouble, 3, whole, "M4TRM (§1 row LDRD/STRD): 3 (1+N), not pipelined with neighbours"},
		{LoadMultiple, 1, whole, "M4TRM (§1 row LDM/POP, STM/PUSH): 1+N, the 1"},
		{Store, 1, whole, "M4TRM (§1 row STR/STRH/STRB): STR Rx,[Ry,#imm] effectively 1 (write buffer)"},
		{StoreDouble, 3, whole, "M4TRM (§1 row LDRD/STRD): 3 (1+N)"},
		{StoreMultiple, 1, whole, "M4TRM (§1 row LDM/POP, STM/PUSH): 1+N, the 1"},
		{MultipleReg, 1, whole, "M4TRM (§1 row LDM/POP, STM/PUSH): 1+N, the N (\"eight-element STM = 9\"; the row's \"three-element LDM = 5\" does not fit 1+N)"},
		{Branch, 3, whole, "M4TRM (§1 row B, BL, BX, BLX): 1+P, P = 2 (LLVM-M4 mispredict penalty 2 in §1 row B<cond>; middle of the TRM's 1–3)"},
		{BranchTaken, 3, whole, "M4TRM (§1 row B<cond>, CBZ/CBNZ): 1+P taken, P = 2 as for Branch"},
		{BranchNotTaken, 1, whole, "M4TRM (§1 row B<cond>, CBZ/CBNZ): 1 not taken"},
		{LoopExit, 1, whole, "M4TRM (§1 row B<cond>, CBZ/CBNZ): 1 not taken; no branch predictor to miss"},
		{FPALU, 1, whole, "M4TRM Table 7-1 (§1 FPv4-SP): VADD/VSUB/VMUL/VNMUL/VABS/VNEG/VCMP/VCVT 1"},
		{FPMAC, 3, whole, "M4TRM Table 7-1 (§1 FPv4-SP): VMLA … VFNMS 3"},
		{FPLoad, 2, whole, "M4TRM Table 7-1 (§1 FPv4-SP): VLDR.32 2"},
		{FPMove, 1, whole, "M4TRM Table 7-1 (§1 FPv4-SP): VMOV core↔FP 1, VMRS/VMSR 1"},
		{LoadUse, 0, whole, "M4TRM (§1 row LDR …): the 2 cycles deliver the result; §1 lists no load-to-use interlock (pairing rule 2 is about ALU results used as addresses)"},
		{MulUse, 1, whole, "LLVM-M4 (§1 row SMLAD …, note): MAC result latency 2, a dependent non-accumulate use stalls 1"},
		{FPUse, 1, whole, "M4TRM Table 7-1 (§1 FPv4-SP): +1 if the next instruction consumes the result"},
		{Nop, 1, whole, "M4TRM (§1 row NOP …): 1"},
	})
}

// NewCortexM7 returns the Cortex-M7 table: an in-order, dual-issue, six-stage
// pipeline (LLVM-M7: issue width 2; cortex-m.md §2). Arm publishes no cycle
// table for the M7; the rows come from Arm's LLVM scheduling model (LLVM-M7)
// and jnk0le's STM32H743 measurements (JNK). The cycles of a dual-issue row
// are the cycles it holds its pipe; "whole" rows hold the entire core (they
// single-issue, or are stalls). The package documentation gives the formula
// that combines them.
//
// Pairable loads: two loads issue together only when they hit different
// 32-bit banks (even/odd word) of the DTCM or D-cache (JNK, §2 pair table).
// The table assumes half of the loads find such a partner [ESTIMATE]: a
// single sequential stream alternates banks, two independent streams land on
// different banks half of the time.
func NewCortexM7() *Table {
	return build("cortex-m7", 2 /* LLVM-M7 issue width */, 0.5 /* pairable loads [ESTIMATE], above */, []entry{
		{ALU, 1, anySlot, "LLVM-M7, JNK (§2 pair ALU + ALU: yes; 2 ALUs)"},
		{ALUShifted, 1, shifter, "JNK, LLVM-M7 (§2 pair shifted + shifted operand: no, one early shifter)"},
		{MUL, 1, macStore, "LLVM-M7, JNK (§2 pair MUL/MAC + MUL/MAC: no, one MAC pipe; MUL/MAC + store: no)"},
		{MulLong, 1, macStore, "LLVM-M7 (§2: one MAC pipe); issue 1 [ESTIMATE: §2 gives only its result latency, 2]"},
		{DSP, 1, dspSlot0, "LLVM-M7 BeginGroup, JNK (§2 pair DSP/bitfield + DSP/bitfield: no, older slot only; SMLAD + DSP: yes)"},
		{MAC, 1, macStore, "LLVM-M7, JNK (§2 pair MUL/MAC + MUL/MAC: at most 1 SMLAD per cycle; SMLAD → SMLAD accumulator 1)"},
		{Div, 7, whole, "LLVM-M7 (§2 row SDIV/UDIV): single-issue, latency 7; also the middle of the M4's 2–12 that §2 says to use [ESTIMATE]"},
		{Load, 1, loadPipe, "LLVM-M7 (§2 resources: 2 load pipes; pair ALU + load, load + MAC, load + DSP: yes)"},
		{LoadPipelined, 1, loadPipe, "LLVM-M7 (§2 resources: 2 load pipes); adjacency to another load matters on the M4 only"},
		{LoadDouble, 1, whole, "LLVM-M7, JNK (§2 row LDRD/STRD …: single-issue; the 64-bit path moves 2 registers per cycle)"},
		{LoadMultiple, 0, whole, "LLVM-M7, JNK (§2 row LDM/STM …: ⌈N/2⌉ cycles, charged in MultipleReg)"},
		{Store, 1, macStore, "LLVM-M7, JNK (§2: 1 store pipe; store + store, MUL/MAC + store: no; load + store: yes)"},
		{StoreDouble, 1, whole, "LLVM-M7, JNK (§2 row LDRD/STRD …: single-issue; 2 registers per cycle on the 64-bit path)"},
		{StoreMultiple, 0, whole, "LLVM-M7, JNK (§2 row LDM/STM …: ⌈N/2⌉ cycles, charged in MultipleReg)"},
		{MultipleReg, 0.5, whole, "LLVM-M7, JNK (§2 row LDM/STM …: ⌈N/2⌉ cycles; N/2 is exact for the even counts of an AAPCS-aligned PUSH/POP)"},
		{Branch, 1, branchUnit, "JNK (§2 pair predicted-taken branch + target: yes), one branch unit (LLVM-M7); assumes the BTAC predicts it (§2 Branches [UNVERIFIED]) [ESTIMATE]"},
		{BranchTaken, 1, branchUnit, "JNK (§2 pair predicted-taken branch + target: yes); §2 model: predicted loop back-edge ≈ 0–1, here its issue slot"},
		{BranchNotTaken, 1, branchUnit, "JNK (§2 pair not-taken branch + next: yes)"},
		{LoopExit, 8, whole, "JNK (§2 Branches): mispredict measured 8 (6 when the flags are set ≥ 3 cycles earlier; LLVM-M7 uses 4)"},
		{FPALU, 1, fpPipe, "JNK (§2 pair FP + FP: no); 1 FP pipe (LLVM-M7)"},
		{FPMAC, 1, fpPipe, "JNK (§2 pair FP + FP: no); issue 1 [ESTIMATE: §2 gives latencies 5/3 only]"},
		{FPLoad, 1, loadPipe, "LLVM-M7 (§2 resources: load pipes); VLDR.32 is not in the single-issue row (VLDR.64 is); its no-pair with VFMA/VMLA (JNK) is not modelled [ESTIMATE]"},
		{FPMove, 1, fpPipe, "JNK (§2 pair VFMA/VMLA + VLDR/VSTR/VMOV: no); put on the FP pipe, so it pairs with no FP op [ESTIMATE: §2 names only VFMA/VMLA]"},
		{LoadUse, 1, whole, "LLVM-M7 (§2 latency word LDR → ALU: 2): one bubble"},
		{MulUse, 1, whole, "LLVM-M7, JNK (§2 latency SMLAD/MLA/MUL/SMULL → other use: 2): one bubble"},
		{FPUse, 2, whole, "LLVM-M7, JNK (§2 latency VADD.F32/VMUL.F32 → FP use: 3): two bubbles"},
		{Nop, 1, anySlot, "[ESTIMATE] issues like a simple ALU op (not in §2)"},
	})
}

// NewCortexM33 returns the Cortex-M33 table: cortex-m.md §3 says to use the
// M4 issue costs with single-cycle LDR issue and 2-cycle load-use, from JNK's
// RP2350 measurements. Its "limited dual issue" pairs only two 16-bit
// instructions and never arithmetic with arithmetic or load/store with
// arithmetic (§3), so the int8 kernels — 32-bit DSP instructions — are
// modelled single-issue.
func NewCortexM33() *Table {
	return build("cortex-m33", 1 /* single issue for 32-bit code, §3 */, 0 /* no load pairing */, []entry{
		{ALU, 1, whole, "§3: M4 issue costs (M4TRM row MOV … ADR: 1)"},
		{ALUShifted, 1, whole, "§3: M4 issue costs (M4TRM row MOV … ADR: 1, shifted operand free)"},
		{MUL, 1, whole, "§3: M4 issue costs (M4TRM row MUL, MLA, MLS: 1)"},
		{MulLong, 1, whole, "§3: M4 issue costs (M4TRM row SMULL …: 1)"},
		{DSP, 1, whole, "§3: M4 issue costs (M4TRM Table 3-2 rows SXTB16, PKHBT, SSAT …: 1)"},
		{MAC, 1, whole, "JNK (§3): accumulator chaining every cycle; M4 issue cost 1"},
		{Div, 7, whole, "§3: M4 issue costs (M4TRM row SDIV/UDIV: 2–12, middle 7 [ESTIMATE])"},
		{Load, 1, whole, "JNK (§3): single-cycle LDR issue"},
		{LoadPipelined, 1, whole, "JNK (§3): single-cycle LDR issue"},
		{LoadDouble, 2, whole, "JNK (§3): LDRD 2 cycles"},
		{LoadMultiple, 0, whole, "JNK (§3): LDM of x registers = x cycles, charged in MultipleReg"},
		{Store, 1, whole, "§3: M4 issue costs (M4TRM row STR: immediate offset effectively 1)"},
		{StoreDouble, 2, whole, "[ESTIMATE] as LDRD (JNK §3: 2); §3 gives no STRD timing"},
		{StoreMultiple, 0, whole, "[ESTIMATE] as LDM (JNK §3: x cycles, charged in MultipleReg)"},
		{MultipleReg, 1, whole, "JNK (§3): LDM of x registers = x cycles"},
		{Branch, 2, whole, "JNK (§3): taken branch 2 (1 when paired with a preceding non-flag-setting 16-bit instruction, not modelled)"},
		{BranchTaken, 2, whole, "JNK (§3): taken branch 2"},
		{BranchNotTaken, 1, whole, "§3: M4 issue cost 1 (JNK: a not-taken branch can be free when paired, not modelled)"},
		{LoopExit, 1, whole, "as BranchNotTaken (§3 names no branch predictor to miss) [ESTIMATE]"},
		{FPALU, 1, whole, "§3: M4 issue costs (M4TRM Table 7-1: 1)"},
		{FPMAC, 1, whole, "JNK (§3): FP FMA issue 1"},
		{FPLoad, 1, whole, "[ESTIMATE] single-cycle issue like LDR (JNK §3)"},
		{FPMove, 1, whole, "§3: M4 issue costs (M4TRM Table 7-1: VMOV 1)"},
		{LoadUse, 1, whole, "JNK (§3): load-to-use 2 at issue 1, one stall"},
		{MulUse, 1, whole, "JNK (§3): MAC result latency 2, one stall"},
		{FPUse, 2, whole, "JNK (§3): FP FMA latency 3, two stalls (applied to every FP result [ESTIMATE])"},
		{Nop, 1, whole, "§3: M4 issue costs (M4TRM row NOP: 1)"},
	})
}
