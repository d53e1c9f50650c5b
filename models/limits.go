package models

import (
	"fmt"
	"math"
)

// MaxActivationBytes caps the size of one activation tensor (any tensor that is
// not a constant). The largest Cortex-M SRAM is a few MiB, so 64 MiB is far
// beyond any network mcusim can say fits a board; the cap exists so that a file's
// shape fields cannot make the simulator allocate gigabytes (a 1,000,000-image
// batch, a 2⁴⁰-element tensor) before it reports anything.
const MaxActivationBytes = 64 << 20

// MaxMultiplierShift is the largest exponent TFLite's QuantizeMultiplier
// represents exactly (tensorflow/lite/kernels/internal/quantization_util.cc:
// "Single-rounding MultiplyByQuantizedMultiplier doesn't support a shift > 30,
// saturate it"): a real multiplier of 2^30 or more is out of range.
const MaxMultiplierShift = 30

// validateLimits checks what a model file's numbers control before anything is
// allocated from them: the batch (mcusim simulates one inference, batch 1), the
// size of each activation tensor (MaxActivationBytes), and the quantization
// parameters (see validateQuant).
func (g *Graph) validateLimits() error {
	for i, t := range g.Tensors {
		if t.Const {
			continue
		}
		if r := len(t.Shape); r >= 2 && r <= 4 && t.Shape[0] != 1 {
			return fmt.Errorf("graph %s: tensor %d (%s) has batch %d (shape %s); mcusim simulates one inference at a time: re-export the model with batch size 1",
				g.Name, i, t.Name, t.Shape[0], ShapeString(t.Shape))
		}
		if e := t.Elements(); e > MaxActivationBytes || e < 0 || t.Bytes() > MaxActivationBytes || t.Bytes() < 0 {
			return fmt.Errorf("graph %s: tensor %d (%s) %s %s needs %d bytes, over mcusim's limit of %d MiB per activation tensor (models.MaxActivationBytes; no MCU has that much SRAM)",
				g.Name, i, t.Name, t.DType, ShapeString(t.Shape), int64(e)*int64(t.DType.Bits())/8, MaxActivationBytes>>20)
		}
	}
	for i, t := range g.Tensors {
		if err := validateQuantParams(t); err != nil {
			return fmt.Errorf("graph %s: tensor %d (%s): %v", g.Name, i, t.Name, err)
		}
	}
	for oi, op := range g.Ops {
		if err := g.validateMultipliers(op); err != nil {
			return fmt.Errorf("graph %s: operator %d (%s): %v", g.Name, oi, op.Kind, err)
		}
	}
	return nil
}

// zeroPointRange is the range of zero points TFLite accepts per element type
// (a zero point is a value of the quantized type itself).
func zeroPointRange(d DType) (lo, hi int64, ok bool) {
	switch d {
	case Int8:
		return math.MinInt8, math.MaxInt8, true
	case UInt8:
		return 0, math.MaxUint8, true
	case Int16:
		return math.MinInt16, math.MaxInt16, true
	case Int32:
		return math.MinInt32, math.MaxInt32, true
	case Int4:
		return -8, 7, true
	}
	return 0, 0, false
}

// validateQuantParams checks one tensor's quantization: every scale finite and
// representable as the float32 TFLite stores, positive for activations
// (constants may carry any finite scale: converters write negative and zero
// per-channel weight and bias scales, which TFLite accepts — the
// mcunet-320kb-1mb .tflite has some), and every zero point a value of the
// tensor's type.
func validateQuantParams(t *Tensor) error {
	q := t.Quant
	if q == nil {
		return nil
	}
	if len(q.ZeroPoint) != 0 && len(q.ZeroPoint) != len(q.Scale) {
		return fmt.Errorf("%d scales but %d zero points", len(q.Scale), len(q.ZeroPoint))
	}
	for c, s := range q.Scale {
		if math.IsNaN(s) || math.IsInf(s, 0) || math.IsInf(float64(float32(s)), 0) {
			return fmt.Errorf("quantization scale %g (channel %d) is not a finite float32", s, c)
		}
		if !t.Const && !(s > 0) {
			return fmt.Errorf("activation quantization scale %g must be positive", s)
		}
	}
	lo, hi, ok := zeroPointRange(t.DType)
	if !ok {
		return nil
	}
	for c, z := range q.ZeroPoint {
		if z < lo || z > hi {
			return fmt.Errorf("zero point %d (channel %d) is outside the %s range [%d, %d]", z, c, t.DType, lo, hi)
		}
	}
	return nil
}

// validateMultipliers checks that every rescale an operator needs — the ratio
// of its input scale (times the weight or second-input scale where the kernel
// multiplies them: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, MUL) to its
// output scale, as TFLite's Prepare computes it in double — is finite and below
// 2^MaxMultiplierShift, the range of TFLite's QuantizeMultiplier. Multipliers
// below 2⁻³¹ are legal: TFLite flushes them to zero.
func (g *Graph) validateMultipliers(op *Op) error {
	out := g.Out(op, 0)
	if !quantized(out) {
		return nil
	}
	so := out.Quant.Scale[0]
	check := func(real float64, what string) error {
		if math.IsNaN(real) || math.IsInf(real, 0) {
			return fmt.Errorf("%s rescale %g/%g is not finite: the model's quantization scales are corrupt", what, real*so, so)
		}
		if _, shift := QuantizeMultiplier(math.Abs(real)); shift > MaxMultiplierShift {
			return fmt.Errorf("%s rescale %g (to output scale %g) is 2^%d or more, outside the range of TFLite's QuantizeMultiplier: the model's quantization scales are corrupt",
				what, real, so, MaxMultiplierShift)
		}
		return nil
	}
	var acts []*Tensor
	for _, ti := range op.Inputs {
		if ti >= 0 && !g.Tensors[ti].Const && quantized(g.Tensors[ti]) {
			acts = append(acts, g.Tensors[ti])
		}
	}
	if len(acts) == 0 {
		return nil
	}
	si := float64(float32(acts[0].Quant.Scale[0]))
	switch op.Kind {
	case Conv2D, DepthwiseConv2D, FullyConnected:
		w := g.In(op, 1)
		if !quantized(w) {
			return nil
		}
		for c, sw := range w.Quant.Scale {
			if err := check(si*float64(float32(sw))/so, fmt.Sprintf("channel %d", c)); err != nil {
				return err
			}
		}
		return nil
	case Mul:
		if len(acts) == 2 {
			return check(si*float64(float32(acts[1].Quant.Scale[0]))/so, "product")
		}
	}
	for k, a := range acts {
		if err := check(float64(float32(a.Quant.Scale[0]))/so, fmt.Sprintf("input %d", k)); err != nil {
			return err
		}
	}
	return nil
}

// quantized reports whether t carries at least one quantization scale.
func quantized(t *Tensor) bool { return t != nil && t.Quant != nil && len(t.Quant.Scale) > 0 }
