package ref

import (
	"fmt"
	"math"

	"mcusim/models"
)

// softmaxBeta is SoftmaxOptions.beta. The IR does not carry it; every model
// mcusim imports uses TFLite's default of 1.
const softmaxBeta = 1.0

// refSoftmax is TFLite's quantized softmax over the last dimension
// (tensorflow/lite/kernels/internal/reference/softmax.h, Softmax for int8/uint8
// inputs; tflite-micro's reference kernel calls the same function, and TFLite's
// own reference kernel uses it when built with the reference op resolver —
// the optimized TFLite kernel uses a lookup table and differs in the last bit).
//
// Parameters as tensorflow/lite/kernels/activations.cc SoftmaxPrepare (and
// tflite-micro softmax_common.cc CalculateSoftmaxParams) derive them:
// PreprocessSoftmaxScaling(beta, s_in, 5) gives the multiplier and left shift
// that rescale input differences to Q5.26, and diff_min =
// −CalculateInputRadius(5, left_shift, 31). Per row, with max the largest input:
// every difference d = q − max ≥ diff_min is rescaled, exponentiated
// (gemmlowp exp_on_negative_values, Q0.31), summed in Q12.19; the sum's
// reciprocal (GetReciprocal) times each exponential, divided by
// 2^(num_bits_over_unit + 31 − bits) with rounding, plus the type's minimum,
// is the output; differences below diff_min give the minimum.
//
// The output must be quantized with scale 1/2^bits and zero point equal to the
// type's minimum (−128 for int8, 0 for uint8, −32768 for int16), which TFLite
// checks and the arithmetic assumes.
func refSoftmax(r *opRun) error {
	in, ib := r.in(0)
	out, ob := r.out()
	if err := needType(in, "input", models.Int8, models.UInt8); err != nil {
		return err
	}
	if err := needType(out, "output", models.Int8, models.UInt8, models.Int16); err != nil {
		return err
	}
	if in.Elements() != out.Elements() || len(in.Shape) == 0 || in.Dim(-1) != out.Dim(-1) {
		return fmt.Errorf("input %v and output %v differ", in.Shape, out.Shape)
	}
	iq, err := models.PerTensorQuant(in)
	if err != nil {
		return err
	}
	oq, err := models.PerTensorQuant(out)
	if err != nil {
		return err
	}
	qmin, qmax, _ := models.TensorRange(out)
	outBits := out.DType.Bits()
	wantScale := 1 / float32(int64(1)<<outBits)
	if oq.ZP != qmin || math.Abs(float64(oq.Scale-wantScale)) > 0.001*float64(wantScale) {
		return fmt.Errorf("output quantization (scale %g, zero point %d) must be scale 1/%d, zero point %d",
			oq.Scale, oq.ZP, int64(1)<<outBits, qmin)
	}
	mult, leftShift, err := models.PreprocessSoftmaxScaling(softmaxBeta, float64(iq.Scale), models.SoftmaxScaledDiffIntegerBits)
	if err != nil {
		return err
	}
	diffMin := -int32(models.CalculateInputRadius(models.SoftmaxScaledDiffIntegerBits, leftShift, 31))
	x, err := loadInts(in, ib)
	if err != nil {
		return err
	}
	depth := in.Dim(-1)
	res := make([]int32, len(x))
	for row := 0; row < len(x); row += depth {
		softmaxRow(x[row:row+depth], res[row:row+depth], mult, leftShift, diffMin, outBits, qmin, qmax)
	}
	storeInts(out, ob, res)
	return nil
}

// softmaxRow is the per-row body of TFLite's reference quantized Softmax.
func softmaxRow(x, res []int32, mult int32, leftShift int, diffMin int32, outBits int, qmin, qmax int32) {
	const (
		diffBits  = models.SoftmaxScaledDiffIntegerBits
		accumBits = models.SoftmaxAccumulationIntegerBits
	)
	maxInRow := x[0]
	for _, v := range x {
		maxInRow = max(maxInRow, v)
	}
	expOf := func(v int32) (int32, bool) {
		diff := v - maxInRow
		if diff < diffMin {
			return 0, false
		}
		scaled := models.MultiplyByQuantizedMultiplierGreaterThanOne(diff, mult, leftShift)
		return models.ExpOnNegativeValues(scaled, diffBits), true
	}
	var sumOfExps int32 // Q12.19
	for _, v := range x {
		if e, ok := expOf(v); ok {
			sumOfExps += models.RescaleFixedPoint(e, 0, accumBits)
		}
	}
	shiftedScale, numBitsOverUnit := models.GetReciprocal(sumOfExps, accumBits)
	for i, v := range x {
		e, ok := expOf(v)
		if !ok {
			res[i] = qmin
			continue
		}
		unsat := models.RoundingDivideByPOT(models.SaturatingRoundingDoublingHighMul(shiftedScale, e), numBitsOverUnit+31-outBits)
		res[i] = clamp(unsat+qmin, qmin, qmax)
	}
}
