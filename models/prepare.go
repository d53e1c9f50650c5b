package models

import (
	"fmt"
	"math"
)

// The "prepare" step of TFLite's int8 kernels: what a kernel reads from its
// tensors' quantization parameters before it runs. The reference executor
// (engine/ref) and the code generator (engine/codegen) both derive their
// fixed-point parameters through these, so they cannot disagree.

// TensorQuant is a per-tensor quantization as TFLite's kernels see it: the
// float32 scale of TfLiteQuantizationParams and an int32 zero point.
type TensorQuant struct {
	Scale float32
	ZP    int32
}

// Same reports whether two tensors have identical per-tensor quantization
// (TFLite compares the float32 scales and the zero points).
func (q TensorQuant) Same(o TensorQuant) bool { return q.Scale == o.Scale && q.ZP == o.ZP }

// PerTensorQuant returns the quantization of a quantized activation tensor: it
// must have exactly one positive, finite scale.
func PerTensorQuant(t *Tensor) (TensorQuant, error) {
	if t.Quant == nil || len(t.Quant.Scale) == 0 {
		return TensorQuant{}, fmt.Errorf("tensor %s (%s) has no quantization parameters", t.Name, t.DType)
	}
	if len(t.Quant.Scale) != 1 {
		return TensorQuant{}, fmt.Errorf("tensor %s has %d per-channel scales; a per-tensor scale is needed here", t.Name, len(t.Quant.Scale))
	}
	s := float32(t.Quant.Scale[0])
	if !(s > 0) || math.IsInf(float64(s), 0) {
		return TensorQuant{}, fmt.Errorf("tensor %s has scale %g; it must be positive and finite", t.Name, t.Quant.Scale[0])
	}
	var zp int64
	if len(t.Quant.ZeroPoint) > 0 {
		zp = t.Quant.ZeroPoint[0]
	}
	if zp < math.MinInt32 || zp > math.MaxInt32 {
		return TensorQuant{}, fmt.Errorf("tensor %s has zero point %d outside int32", t.Name, zp)
	}
	return TensorQuant{Scale: s, ZP: int32(zp)}, nil
}

// ChannelScales returns n weight scales as float32: the per-channel scales
// along axis, or one per-tensor scale repeated (TFLite's
// PopulateConvolutionQuantizationParams broadcasts it). Weight zero points must
// be 0, as TFLite's int8 kernels require. Negative scales are accepted: TFLite
// does not check their sign, QuantizeMultiplier turns them into negative
// multipliers, and TinyEngine's mcunet-320kb-1mb_imagenet.tflite has some.
func ChannelScales(t *Tensor, n, axis int) ([]float32, error) {
	if t.Quant == nil || len(t.Quant.Scale) == 0 {
		return nil, fmt.Errorf("weights %s have no quantization parameters", t.Name)
	}
	q := t.Quant
	if len(q.Scale) != 1 && len(q.Scale) != n {
		return nil, fmt.Errorf("weights %s have %d scales for %d channels", t.Name, len(q.Scale), n)
	}
	if len(q.Scale) > 1 && q.Axis != axis {
		return nil, fmt.Errorf("weights %s are quantized along dimension %d, want %d", t.Name, q.Axis, axis)
	}
	for _, zp := range q.ZeroPoint {
		if zp != 0 {
			return nil, fmt.Errorf("weights %s have zero point %d; int8 weights must be symmetric (zero point 0)", t.Name, zp)
		}
	}
	out := make([]float32, n)
	for c := range out {
		s := q.Scale[0]
		if len(q.Scale) > 1 {
			s = q.Scale[c]
		}
		out[c] = float32(s)
		if math.IsNaN(float64(out[c])) || math.IsInf(float64(out[c]), 0) {
			return nil, fmt.Errorf("weights %s have scale %g; it must be finite", t.Name, s)
		}
	}
	return out, nil
}

// TensorRange is the storage range of an integer tensor (QuantizedRange of its
// element type), or an error naming the tensor for other types.
func TensorRange(t *Tensor) (qmin, qmax int32, err error) {
	lo, hi, ok := QuantizedRange(t.DType)
	if !ok {
		return 0, 0, fmt.Errorf("tensor %s has non-integer element type %s", t.Name, t.DType)
	}
	return lo, hi, nil
}

// OutputActivationRange is TFLite's CalculateActivationRangeQuantized for the
// fused activation of an operator and its output tensor out, quantized as q.
func OutputActivationRange(act Activation, out *Tensor, q TensorQuant) (lo, hi int32, err error) {
	qmin, qmax, err := TensorRange(out)
	if err != nil {
		return 0, 0, err
	}
	return ActivationRange(act, q.Scale, q.ZP, qmin, qmax)
}
