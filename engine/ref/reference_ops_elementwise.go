package ref

import (
	"fmt"
	"math"

	"mcusim/models"
)

// broadcastIndex maps every element of the output shape out to the flat index
// of the operand element it reads under TFLite's broadcasting rule (shapes
// aligned at the last dimension, an operand dimension of 1 repeated; TFLite's
// NdArrayDescsForElementwiseBroadcast / BroadcastAdd6DSlow). An operand of the
// output's own shape maps to itself; a [1] scalar or a 1×1×C vector broadcasts.
func broadcastIndex(in, out []int) ([]int, error) {
	off := len(out) - len(in)
	if off < 0 {
		return nil, fmt.Errorf("operand shape %v has a higher rank than the output %v", in, out)
	}
	strides := make([]int, len(out))
	stride := 1
	for i := len(out) - 1; i >= 0; i-- {
		d := 1
		if i >= off {
			d = in[i-off]
		}
		switch {
		case d == out[i]:
			strides[i] = stride
		case d == 1:
			strides[i] = 0
		default:
			return nil, fmt.Errorf("operand shape %v does not broadcast to the output %v", in, out)
		}
		stride *= d
	}
	n := 1
	for _, d := range out {
		n *= d
	}
	idx := make([]int, n)
	pos := make([]int, len(out))
	cur := 0
	for k := range idx {
		idx[k] = cur
		for i := len(out) - 1; i >= 0; i-- {
			pos[i]++
			cur += strides[i]
			if pos[i] < out[i] {
				break
			}
			cur -= strides[i] * out[i]
			pos[i] = 0
		}
	}
	return idx, nil
}

// binaryOperands are the decoded operands of ADD and MUL.
type binaryOperands struct {
	x1, x2     []int32 // operand values
	i1, i2     []int   // output element → operand element
	q1, q2, qo models.TensorQuant
	lo, hi     int32 // activation clamp
	out        *models.Tensor
	outBuf     []byte
}

// loadBinary decodes the two int8 (or uint8) operands of ADD or MUL, which
// must have the output's element type and broadcast to its shape.
func loadBinary(r *opRun) (*binaryOperands, error) {
	if len(r.op.Inputs) != 2 {
		return nil, fmt.Errorf("needs 2 inputs, has %d", len(r.op.Inputs))
	}
	a, ab := r.in(0)
	b, bb := r.in(1)
	out, ob := r.out()
	if err := needType(out, "output", models.Int8, models.UInt8); err != nil {
		return nil, err
	}
	for _, t := range []*models.Tensor{a, b} {
		if t == nil || t.DType != out.DType {
			return nil, fmt.Errorf("operands must have the output's element type %s", out.DType)
		}
	}
	p := &binaryOperands{out: out, outBuf: ob}
	var err error
	if p.q1, err = models.PerTensorQuant(a); err != nil {
		return nil, err
	}
	if p.q2, err = models.PerTensorQuant(b); err != nil {
		return nil, err
	}
	if p.qo, err = models.PerTensorQuant(out); err != nil {
		return nil, err
	}
	if p.lo, p.hi, err = models.OutputActivationRange(r.op.Act, out, p.qo); err != nil {
		return nil, err
	}
	if p.i1, err = broadcastIndex(a.Shape, out.Shape); err != nil {
		return nil, err
	}
	if p.i2, err = broadcastIndex(b.Shape, out.Shape); err != nil {
		return nil, err
	}
	if p.x1, err = loadInts(a, ab); err != nil {
		return nil, err
	}
	if p.x2, err = loadInts(b, bb); err != nil {
		return nil, err
	}
	return p, nil
}

// refAdd is TFLite's quantized ADD (tensorflow/lite/kernels/internal/
// reference/integer_ops/add.h AddElementwise, BroadcastAdd6DSlow for
// broadcasting operands; parameters from tensorflow/lite/kernels/add.cc, see
// models.NewAddParams): both centred inputs are shifted left by 20 bits,
// rescaled to twice the larger input scale, summed, rescaled to the output,
// offset by the output zero point and clamped to the fused activation.
func refAdd(r *opRun) error {
	p, err := loadBinary(r)
	if err != nil {
		return err
	}
	params, err := models.NewAddParams(p.q1.Scale, p.q2.Scale, p.qo.Scale)
	if err != nil {
		return err
	}
	res := make([]int32, len(p.i1))
	for k := range res {
		x1 := p.x1[p.i1[k]] - p.q1.ZP
		x2 := p.x2[p.i2[k]] - p.q2.ZP
		res[k] = clamp(params.Add(x1, x2)+p.qo.ZP, p.lo, p.hi)
	}
	storeInts(p.out, p.outBuf, res)
	return nil
}

// refMul is TFLite's quantized MUL (tensorflow/lite/kernels/internal/
// reference/integer_ops/mul.h MulElementwise, BroadcastMul6DSlow): the product
// of the centred inputs, MultiplyByQuantizedMultiplier with the multiplier of
// double(s1)·double(s2)/double(s_out) (tensorflow/lite/kernels/mul.cc Prepare),
// plus the output zero point, clamped to the fused activation.
func refMul(r *opRun) error {
	p, err := loadBinary(r)
	if err != nil {
		return err
	}
	mult, shift := models.QuantizeMultiplier(float64(p.q1.Scale) * float64(p.q2.Scale) / float64(p.qo.Scale))
	res := make([]int32, len(p.i1))
	for k := range res {
		x1 := p.x1[p.i1[k]] - p.q1.ZP
		x2 := p.x2[p.i2[k]] - p.q2.ZP
		res[k] = clamp(models.MultiplyByQuantizedMultiplier(x1*x2, mult, shift)+p.qo.ZP, p.lo, p.hi)
	}
	storeInts(p.out, p.outBuf, res)
	return nil
}

// refQuantize is TFLite's QUANTIZE (tensorflow/lite/kernels/quantize.cc):
//
//   - float32 → int8/uint8/int16: AffineQuantize (reference/quantize.h),
//     q = round(x / scale) + zero_point, the division in float32, rounding half
//     away from zero, clamped to the output type. Values whose rounded quotient
//     lies outside int32 (±Inf included) saturate and NaN becomes 0 before the
//     zero point is added: the float-to-int conversion of Arm targets; x86's
//     conversion differs only for such values.
//   - int8/uint8/int16 → int8/uint8/int16: Requantize (reference/requantize.h)
//     with QuantizeMultiplier(double(s_in)/double(s_out)):
//     MultiplyByQuantizedMultiplier(q − zp_in) + zp_out, clamped. This covers the
//     uint8 → int8 conversion at the input of the STM32 model-zoo models.
func refQuantize(r *opRun) error {
	in, ib := r.in(0)
	out, ob := r.out()
	if err := needType(out, "output", models.Int8, models.UInt8, models.Int16); err != nil {
		return err
	}
	if in.Elements() != out.Elements() {
		return fmt.Errorf("input %v and output %v differ in size", in.Shape, out.Shape)
	}
	oq, err := models.PerTensorQuant(out)
	if err != nil {
		return err
	}
	qmin, qmax, _ := models.TensorRange(out)
	res := make([]int32, out.Elements())
	switch in.DType {
	case models.Float32:
		for i, v := range loadFloats(ib) {
			q := saturateInt32(math.Round(float64(v / oq.Scale)))
			res[i] = int32(min(max(q+int64(oq.ZP), int64(qmin)), int64(qmax)))
		}
	case models.Int8, models.UInt8, models.Int16:
		iq, err := models.PerTensorQuant(in)
		if err != nil {
			return err
		}
		x, err := loadInts(in, ib)
		if err != nil {
			return err
		}
		mult, shift := models.QuantizeMultiplier(float64(iq.Scale) / float64(oq.Scale))
		for i, v := range x {
			res[i] = clamp(models.MultiplyByQuantizedMultiplier(v-iq.ZP, mult, shift)+oq.ZP, qmin, qmax)
		}
	default:
		return needType(in, "input", models.Float32, models.Int8, models.UInt8, models.Int16)
	}
	storeInts(out, ob, res)
	return nil
}

// saturateInt32 converts an integral float64 to int64 within the int32 range,
// saturating out-of-range values and mapping NaN to 0 (Arm's FCVTZS).
func saturateInt32(v float64) int64 {
	switch {
	case math.IsNaN(v):
		return 0
	case v >= math.MaxInt32:
		return math.MaxInt32
	case v <= math.MinInt32:
		return math.MinInt32
	}
	return int64(v)
}

// refDequantize is TFLite's DEQUANTIZE (tensorflow/lite/kernels/internal/
// reference/dequantize.h Dequantize): x = float(double(scale)·(q − zp)).
func refDequantize(r *opRun) error {
	in, ib := r.in(0)
	out, ob := r.out()
	if err := needType(in, "input", models.Int8, models.UInt8, models.Int16); err != nil {
		return err
	}
	if err := needType(out, "output", models.Float32); err != nil {
		return err
	}
	if in.Elements() != out.Elements() {
		return fmt.Errorf("input %v and output %v differ in size", in.Shape, out.Shape)
	}
	iq, err := models.PerTensorQuant(in)
	if err != nil {
		return err
	}
	x, err := loadInts(in, ib)
	if err != nil {
		return err
	}
	res := make([]float32, len(x))
	for i, v := range x {
		res[i] = float32(float64(iq.Scale) * float64(v-iq.ZP))
	}
	storeFloats(ob, res)
	return nil
}
