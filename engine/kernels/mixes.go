// Package kernels describes the Cortex-M kernels mcusim generates and prices:
// the kernel styles (TinyEngine, CMSIS-NN, TF Lite Micro reference), the
// memory accesses of their basic blocks, the kernel choice per step that code
// generation and the closed-form count share, and the instruction mix of every
// block per style. See engine/doc.go for how to add a kernel.
package kernels

import (
	"fmt"

	"mcusim/isa"
)

// Instruction mixes of the generated basic blocks: for each kernel style, what the
// corresponding Cortex-M code executes once per block execution. They are data
// with sources (shared/reference/cortex-m.md §4 CMSIS-NN inner loops, §5
// TinyEngine kernels; the TF Lite Micro reference kernels read from
// tensorflow/lite/kernels/internal/reference/integer_ops/*.h), priced later by an
// isa.Table. A block that loops over Per elements inside (an im2col tap, a channel
// copy) scales its per-element part by Per.
//
// Conventions: one "k" of a 2×2 tile is one input element for two pixels × two
// output channels (4 MACs); loop control is charged to the block that iterates
// (a counted loop costs an ADD/SUB, a CMP folded into SUBS where the source uses
// it, and a taken back-edge, with the exit charged once per loop as LoopExit).

// mixEntry is a per-execution base plus a per-element part.
type mixEntry struct {
	base, per isa.Mix
	source    string
}

// loop is the control of one iteration of a counted loop (SUBS + BNE taken).
var loop = isa.Mix{isa.ALU: 1, isa.BranchTaken: 1}

func add(ms ...isa.Mix) isa.Mix {
	var out isa.Mix
	for _, m := range ms {
		out.Add(&m, 1)
	}
	return out
}

func scale(m isa.Mix, f float64) isa.Mix {
	var out isa.Mix
	out.Add(&m, f)
	return out
}

// requantize is one output of the fixed-point requantization of CMSIS-NN and
// TinyEngine (arm_nn_requantize: SMULL/SMLAL doubling-high multiply, rounding
// shift, add offset, clamp with SSAT-free MIN/MAX, STRB — "≈ 10–14 instructions",
// cortex-m.md §4 first row), plus the bias and per-channel multiplier/shift loads.
var requantize = isa.Mix{isa.Load: 3, isa.MulLong: 2, isa.ALU: 6, isa.ALUShifted: 2, isa.Store: 1, isa.MulUse: 1}

// mixes[style][kind].
var mixes = [NumStyles]map[BlockKind]mixEntry{
	StyleTinyEngine: {
		// TinyEngine 1×1 / k×k convolution, `mat_mult_kernels.c` 2×2 SMLAD tile:
		// per 16 MACs 2 weight LDR + 4 SXTB16 + 4 im2col LDR + 8 SMLAD, loops
		// unrolled ×8 (cortex-m.md §5 first row); per k (4 MACs) a quarter.
		ConvMAC2x2: {base: add(isa.Mix{isa.Load: 0.5, isa.LoadPipelined: 1, isa.DSP: 1, isa.MAC: 2}, scale(loop, 1.0/8)), source: "cortex-m.md §5 row 1"},
		ConvMAC1x2: {base: add(isa.Mix{isa.Load: 0.5, isa.LoadPipelined: 0.5, isa.DSP: 1, isa.MAC: 1}, scale(loop, 1.0/8)), source: "cortex-m.md §5 row 1 (odd pixel path)"},
		ConvMAC2x1: {base: add(isa.Mix{isa.Load: 0.25, isa.LoadPipelined: 1, isa.DSP: 0.5, isa.MAC: 1}, scale(loop, 1.0/8)), source: "cortex-m.md §5 row 1 (`_oddch` path)"},
		ConvMAC1x1: {base: add(isa.Mix{isa.Load: 0.25, isa.LoadPipelined: 0.5, isa.DSP: 0.5, isa.MAC: 0.5}, scale(loop, 1.0/8)), source: "cortex-m.md §5 row 1"},
		// `q7_q15_offset_reordered_ele`: per 4 input bytes 1 LDR + 2 SXTAB16 + 2 STR
		// (cortex-m.md §4 im2col row), per tap the address computation.
		ConvIm2col:    {base: add(isa.Mix{isa.ALU: 4, isa.MUL: 1, isa.BranchNotTaken: 2}, loop), per: isa.Mix{isa.Load: 0.25, isa.DSP: 0.5, isa.Store: 0.5}, source: "cortex-m.md §4 im2col row"},
		ConvIm2colPad: {base: add(isa.Mix{isa.ALU: 2, isa.BranchTaken: 1}, loop), per: isa.Mix{isa.Store: 0.5}, source: "memset of the padded column, word stores"},
		ConvOut:       {base: requantize, source: "cortex-m.md §4 requantize epilogue"},
		// Generated in-place depthwise (`depthwiseTemplate.py`): gather one channel
		// into the sbuf plane (LDRB + SXTAB-free add of the offset + STRH), then
		// fully unrolled scalar k² MLA per output (2 outputs per step share loads:
		// "per 2 outputs of a 3×3: 18 MACs from 12 byte loads", cortex-m.md §5).
		DWPlane:     {base: isa.Mix{isa.Store: 1, isa.ALU: 1, isa.BranchTaken: 0.1}, source: "cortex-m.md §5 depthwise row (plane gather)"},
		DWPlaneLoad: {base: isa.Mix{isa.Load: 1, isa.ALU: 1}, source: "cortex-m.md §5 depthwise row (plane gather)"},
		DWTap:       {base: isa.Mix{isa.LoadPipelined: 12.0 / 18, isa.MUL: 1}, source: "cortex-m.md §5 depthwise row: 18 MACs from 12 loads, weights in registers"},
		DWPixel:     {base: add(requantize, isa.Mix{isa.ALU: 1, isa.BranchTaken: 1}), source: "cortex-m.md §4 requantize epilogue + output loop"},
		DWMAC:       {base: isa.Mix{isa.Load: 1, isa.LoadPipelined: 1, isa.ALU: 3, isa.MUL: 1, isa.BranchNotTaken: 2, isa.BranchTaken: 1}, source: "plain depthwise, multiplier > 1 (not in place)"},
	},
	StyleCMSISNN: {
		// `arm_nn_mat_mult_kernel_s8_s16.c`: per 4 input elements (16 MACs) 2 LDR
		// weights + 4 SXTB16 + 4 LDR im2col + 8 SMLAD + SUBS/BNE, not unrolled
		// beyond 4 (cortex-m.md §4 row 1); 1×1 via `arm_nn_mat_mult_nt_t_s8.c`: 4
		// LDR + 8 SXTB16 + 8 SMLAD per 16 MACs, unrolled ×4 (§4 row 3).
		ConvMAC2x2:    {base: add(isa.Mix{isa.Load: 0.5, isa.LoadPipelined: 1, isa.DSP: 1, isa.MAC: 2}, scale(loop, 1.0/4)), source: "cortex-m.md §4 row 1"},
		ConvMAC1x2:    {base: add(isa.Mix{isa.Load: 0.5, isa.LoadPipelined: 0.5, isa.DSP: 1, isa.MAC: 1}, scale(loop, 1.0/4)), source: "cortex-m.md §4 row 1 (odd column)"},
		ConvMAC2x1:    {base: add(isa.Mix{isa.Load: 0.25, isa.LoadPipelined: 1, isa.DSP: 0.5, isa.MAC: 1}, scale(loop, 1.0/4)), source: "cortex-m.md §4 row 1 (odd channel)"},
		ConvMAC1x1:    {base: add(isa.Mix{isa.Load: 0.25, isa.LoadPipelined: 0.5, isa.DSP: 0.5, isa.MAC: 0.5}, scale(loop, 1.0/4)), source: "cortex-m.md §4 row 1"},
		ConvIm2col:    {base: add(isa.Mix{isa.ALU: 6, isa.MUL: 1, isa.BranchNotTaken: 2, isa.Branch: 1}, loop), per: isa.Mix{isa.Load: 0.25, isa.DSP: 0.5, isa.Store: 0.5}, source: "cortex-m.md §4 im2col row (arm_s8_to_s16_unordered_with_offset + arm_memcpy_s8 per tap)"},
		ConvIm2colPad: {base: add(isa.Mix{isa.ALU: 2, isa.Branch: 1}, loop), per: isa.Mix{isa.Store: 0.5}, source: "arm_memset_s8 of the padded column"},
		ConvOut:       {base: requantize, source: "cortex-m.md §4 requantize epilogue"},
		// `arm_depthwise_conv_s8_opt.c` has no in-place variant; when the plan puts
		// the depthwise in place the generator copies channel planes as TinyEngine
		// does, priced with CMSIS-NN's per-tap cost: per 8 MACs 2 LDR weights + 4
		// LDR im2col + 4 SXTB16 + 8 PKHBT + 4 SMLAD (§4 row 5).
		DWPlane:     {base: isa.Mix{isa.Store: 1, isa.ALU: 1, isa.BranchTaken: 0.25}, source: "plane gather"},
		DWPlaneLoad: {base: isa.Mix{isa.Load: 1, isa.DSP: 1}, source: "arm_depthwise_conv_s8_opt im2col with offset (§4 row 5)"},
		DWTap:       {base: isa.Mix{isa.Load: 0.25, isa.LoadPipelined: 0.5, isa.DSP: 1.5, isa.MAC: 0.5}, source: "cortex-m.md §4 row 5 (22 instructions per 8 MACs)"},
		DWPixel:     {base: add(requantize, isa.Mix{isa.ALU: 2, isa.BranchTaken: 1}), source: "requantize epilogue + output loop"},
		DWMAC:       {base: isa.Mix{isa.Load: 0.5, isa.LoadPipelined: 0.5, isa.DSP: 1, isa.MAC: 0.5, isa.ALU: 1, isa.BranchNotTaken: 1}, source: "cortex-m.md §4 row 5"},
	},
	StyleTFLMRef: {
		// TF Lite Micro reference convolution (integer_ops/conv.h ConvPerChannel):
		// per MAC two Offset() computations (3 MUL + 3 ADD each, for NHWC and OHWI
		// indexing), two LDRSB, the offset add, MLA, loop control.
		ConvMAC:   {base: add(isa.Mix{isa.MUL: 6, isa.ALU: 7, isa.Load: 1, isa.LoadPipelined: 1, isa.LoadUse: 1}, loop), source: "reference/integer_ops/conv.h inner loop"},
		ConvTap:   {base: add(isa.Mix{isa.ALU: 4, isa.BranchNotTaken: 2}, loop), source: "reference/integer_ops/conv.h is_point_inside_image"},
		ConvPixel: {base: add(requantize, isa.Mix{isa.MUL: 6, isa.ALU: 8, isa.Store: 1}, loop), source: "reference/integer_ops/conv.h output Offset() + MultiplyByQuantizedMultiplier"},
		// Reference depthwise (integer_ops/depthwise_conv.h DepthwiseConvPerChannel).
		DWMAC:       {base: add(isa.Mix{isa.MUL: 6, isa.ALU: 9, isa.Load: 1, isa.LoadPipelined: 1, isa.BranchNotTaken: 2, isa.LoadUse: 1}, loop), source: "reference/integer_ops/depthwise_conv.h inner loop"},
		DWPixel:     {base: add(requantize, isa.Mix{isa.MUL: 6, isa.ALU: 8}, loop), source: "reference/integer_ops/depthwise_conv.h output"},
		DWPlane:     {base: add(isa.Mix{isa.MUL: 3, isa.ALU: 4, isa.Store: 1}, loop), source: "plane gather (in-place plans only)"},
		DWPlaneLoad: {base: isa.Mix{isa.Load: 1, isa.ALU: 1}, source: "plane gather (in-place plans only)"},
		DWTap:       {base: add(isa.Mix{isa.MUL: 3, isa.ALU: 4, isa.Load: 1, isa.LoadPipelined: 1}, loop), source: "reference loop over the plane"},
	},
}

// common are the mixes shared by all styles: element-wise, pooling, MEAN, concat
// and host operators are plain loops in every library (CMSIS-NN's
// arm_elementwise_add_s8 and TFLM's reference add both do per element: two
// loads, two offset adds, three doubling-high multiplies with rounding shifts,
// add, clamp, store).
var common = map[BlockKind]mixEntry{
	EWElem:            {base: add(isa.Mix{isa.Load: 1, isa.LoadPipelined: 1, isa.ALU: 10, isa.ALUShifted: 4, isa.MulLong: 3, isa.Store: 1, isa.MulUse: 1}, loop), source: "arm_elementwise_add_s8 / reference add.h per element"},
	PoolTap:           {base: add(isa.Mix{isa.Load: 1, isa.ALU: 2, isa.BranchNotTaken: 2}, loop), source: "reference pooling.h inner loop"},
	PoolOut:           {base: add(isa.Mix{isa.ALU: 6, isa.Div: 1, isa.Store: 1}, loop), source: "reference pooling.h rounded division + clamp + store"},
	MeanElem:          {base: add(isa.Mix{isa.Load: 1, isa.ALU: 2}, loop), source: "reference reduce.h sum"},
	MeanOut:           {base: add(requantize, isa.Mix{isa.Div: 1}, loop), source: "reference mean.h requantize + rounded division"},
	ConcatCopy:        {base: add(isa.Mix{isa.ALU: 3, isa.Branch: 1}, loop), per: isa.Mix{isa.Load: 0.25, isa.Store: 0.25}, source: "memcpy of one pixel's channels (word copies)"},
	HostSoftmax:       hostMix,
	HostResizeNearest: hostMix,
	HostPad:           hostMix,
}

// hostMix is a host operator's call: softmax / resize / pad run a handful of
// instructions per element, charged coarsely per call.
var hostMix = mixEntry{base: isa.Mix{isa.ALU: 50}, source: "softmax / resize / pad: a handful of instructions per element, charged coarsely per call"}

// StyleMix returns the per-execution base mix and the per-element mix of a block
// kind in style.
func StyleMix(style Style, kind BlockKind) (base, per isa.Mix, err error) {
	if err := style.Valid(); err != nil {
		return isa.Mix{}, isa.Mix{}, err
	}
	e, ok := mixes[style][kind]
	if !ok {
		if e, ok = common[kind]; !ok {
			return isa.Mix{}, isa.Mix{}, fmt.Errorf("block kind %s has no instruction mix for style %s", kind, style)
		}
	}
	return e.base, e.per, nil
}
