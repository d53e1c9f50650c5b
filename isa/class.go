package isa

import (
	"fmt"
	"strconv"
	"strings"
)

// Class is a group of Thumb-2 instructions (or a pipeline event) that every
// modelled core prices alike. The classes cover what int8 NN kernels execute:
// the CMSIS-NN and TinyEngine inner loops, their requantization epilogues
// (integer or TinyEngine's float variant) and their loop control
// (cortex-m.md §4, §5).
type Class int

// The instruction classes. A Mix counts them per block execution.
const (
	// ALU is simple data processing with a register or immediate operand: MOV,
	// MOVW/MOVT, ADD/SUB/ADC/SBC/RSB, AND/ORR/EOR/BIC/MVN, CMP/CMN/TST,
	// shifts by an immediate, ADR, and the IT instruction.
	ALU Class = iota
	// ALUShifted is data processing with a shifted register operand
	// (ADD r0, r1, r2, LSL #2) or a "shifted 8-bit immediate" constant.
	ALUShifted
	// MUL is a 32-bit multiply: MUL, MLA, MLS.
	MUL
	// MulLong is a 64-bit multiply: SMULL, UMULL, SMLAL, UMLAL, UMAAL.
	MulLong
	// DSP is the bitfield / SIMD-data group: SXTB16, SXTAB16, SXTB/SXTH,
	// UXTB/UXTH, UXTB16, PKHBT/PKHTB, SSAT/USAT, QADD/QSUB, parallel add/sub,
	// SEL, USAD8, BFI/BFC, UBFX/SBFX, CLZ, REV, RBIT.
	DSP
	// MAC is a DSP multiply: SMLAD(X), SMUAD(X), SMLSD, SMUSD, SMLA<xy>,
	// SMUL<xy>, SMLAW/SMULW, SMLAL<xy>, SMLALD, SMMLA/SMMUL.
	MAC
	// Div is SDIV or UDIV.
	Div
	// Load is a single load — LDR, LDRH, LDRB, LDRSH, LDRSB — that starts a run
	// of loads (or stands alone).
	Load
	// LoadPipelined is a single load that directly follows another load, from
	// the same memory, with an address that does not depend on it. The
	// Cortex-M4 overlaps it with its predecessor (M4TRM §3.3.2: N loads ≈ N+1
	// cycles). Count the first load of each back-to-back run as Load and the
	// others as LoadPipelined.
	LoadPipelined
	// LoadDouble is LDRD.
	LoadDouble
	// LoadMultiple is one LDM or POP instruction, without its registers: count
	// the registers it transfers in MultipleReg.
	LoadMultiple
	// Store is STR, STRH or STRB with an immediate offset. A register-offset
	// store counts as Store plus ALU (the M4 charges it 2 cycles, M4TRM §3.3.2).
	Store
	// StoreDouble is STRD.
	StoreDouble
	// StoreMultiple is one STM or PUSH instruction, without its registers:
	// count the registers it transfers in MultipleReg.
	StoreMultiple
	// MultipleReg is one register moved by an LDM, STM, PUSH or POP. It is not
	// an instruction; LDM {r4-r7} is LoadMultiple 1 plus MultipleReg 4.
	MultipleReg
	// Branch is an unconditional taken branch: B, BL, BX, BLX (calls, returns).
	Branch
	// BranchTaken is a conditional branch (B<cond>, CBZ/CBNZ) that is taken
	// and goes the way it usually goes: a loop back-edge.
	BranchTaken
	// BranchNotTaken is a conditional branch that falls through and usually
	// does: a guard that does not fire (a padding check inside the image).
	BranchNotTaken
	// LoopExit is a loop back-edge that falls through on the last iteration,
	// against its usual direction; the Cortex-M7 predictor misses it.
	LoopExit
	// FPALU is a single-precision FP operation: VADD, VSUB, VMUL, VNMUL, VABS,
	// VNEG, VCMP, VCVT.
	FPALU
	// FPMAC is a single-precision multiply-accumulate: VFMA/VFMS/VFNMA/VFNMS,
	// VMLA/VMLS/VNMLA/VNMLS.
	FPMAC
	// FPLoad is VLDR.32 (or VSTR.32).
	FPLoad
	// FPMove is a VMOV between a core and an FP register, or VMRS/VMSR.
	FPMove
	// LoadUse is an event, not an instruction: an instruction that needs a
	// load's result in the cycle right after the load. Count it only where no
	// independent work can fill the gap (a serial dependency chain); compilers
	// schedule the other cases away.
	LoadUse
	// MulUse is an event: a non-accumulating use of a MUL/MulLong/MAC result
	// in the next cycle (an SMULL feeding the shift of a requantization).
	// Accumulator chains of SMLAD into SMLAD are not MulUse.
	MulUse
	// FPUse is an event: an FP result consumed by the next instruction (the
	// VCVT → VMUL → VCVT chain of a float requantization).
	FPUse
	// Nop is NOP (alignment padding).
	Nop

	// NumClasses is the number of classes; a Mix has one count per class.
	NumClasses int = iota
)

// classNames are the names Class.String prints and ParseClass and
// Table.WithOverrides accept — the keys of [boards.<id>.cost_overrides] in
// boards.toml.
var classNames = [NumClasses]string{
	ALU:            "alu",
	ALUShifted:     "alu_shifted",
	MUL:            "mul",
	MulLong:        "mul_long",
	DSP:            "dsp",
	MAC:            "mac",
	Div:            "div",
	Load:           "load",
	LoadPipelined:  "load_pipelined",
	LoadDouble:     "load_double",
	LoadMultiple:   "load_multiple",
	Store:          "store",
	StoreDouble:    "store_double",
	StoreMultiple:  "store_multiple",
	MultipleReg:    "multiple_reg",
	Branch:         "branch",
	BranchTaken:    "branch_taken",
	BranchNotTaken: "branch_not_taken",
	LoopExit:       "loop_exit",
	FPALU:          "fp_alu",
	FPMAC:          "fp_mac",
	FPLoad:         "fp_load",
	FPMove:         "fp_move",
	LoadUse:        "load_use",
	MulUse:         "mul_use",
	FPUse:          "fp_use",
	Nop:            "nop",
}

// String returns the class name used in boards.toml ("mac", "load_pipelined").
func (c Class) String() string {
	if c < 0 || int(c) >= NumClasses {
		return "Class(" + strconv.Itoa(int(c)) + ")"
	}
	return classNames[c]
}

// IsInstruction reports whether the class counts instructions. MultipleReg
// (registers of an LDM/STM) and the interlock events LoadUse, MulUse and FPUse
// do not.
func (c Class) IsInstruction() bool {
	switch c {
	case MultipleReg, LoadUse, MulUse, FPUse:
		return false
	}
	return c >= 0 && int(c) < NumClasses
}

// Classes returns every class in declaration order.
func Classes() []Class {
	cs := make([]Class, NumClasses)
	for i := range cs {
		cs[i] = Class(i)
	}
	return cs
}

// ParseClass returns the class with the given name (as printed by String).
func ParseClass(name string) (Class, error) {
	for i, n := range classNames {
		if n == name {
			return Class(i), nil
		}
	}
	return 0, fmt.Errorf("isa: unknown instruction class %q; classes: %s", name, strings.Join(classNames[:], ", "))
}

// Mix counts, per class, what one execution of a basic block issues. Counts
// are float64 so that a block can carry amortized work (loop control of a
// ×4-unrolled loop is 0.25 per step). Build one with an array literal keyed
// by class:
//
//	isa.Mix{isa.Load: 2, isa.LoadPipelined: 4, isa.DSP: 4, isa.MAC: 8, isa.ALU: 1, isa.BranchTaken: 1}
type Mix [NumClasses]float64

// Add adds times × o to m (a block executed times per execution of m's block).
func (m *Mix) Add(o *Mix, times float64) {
	for i := range m {
		m[i] += times * o[i]
	}
}

// Instructions returns the number of instructions in the mix (events and
// LDM/STM registers excluded, see Class.IsInstruction).
func (m *Mix) Instructions() float64 {
	var n float64
	for i, c := range m {
		if Class(i).IsInstruction() {
			n += c
		}
	}
	return n
}

// String lists the non-zero counts in class order: "load 2, dsp 4, mac 8".
func (m Mix) String() string {
	var b strings.Builder
	for i, n := range m {
		if n == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(classNames[i])
		b.WriteByte(' ')
		b.WriteString(strconv.FormatFloat(n, 'g', -1, 64))
	}
	if b.Len() == 0 {
		return "empty"
	}
	return b.String()
}
