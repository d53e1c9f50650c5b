package models

import (
	"fmt"
	"math"
	"math/bits"
)

// This file holds TFLite's integer requantization arithmetic, transcribed from
// TensorFlow Lite (tensorflow/lite/kernels/internal/common.h,
// tensorflow/lite/kernels/internal/quantization_util.cc,
// tensorflow/lite/kernels/kernel_util.cc) and from gemmlowp's fixed-point
// library (gemmlowp/fixedpoint/fixedpoint.h), which TFLite's reference kernels
// call. The pure-Go reference executor (ref.Reference) and the generated
// kernels use these functions; they must stay bit-exact with TFLite.
//
// TFLite builds without TFLITE_SINGLE_ROUNDING by default, so
// MultiplyByQuantizedMultiplier is the "double rounding" definition (a rounding
// doubling high multiply followed by a rounding right shift); that is the one
// transcribed here.
//
// TFLite keeps quantization scales as float32 (TfLiteQuantizationParams.scale)
// and widens them to double only where the kernel says so. The helpers below that
// take scales therefore take float32: callers convert Quant.Scale with
// float32(...) first, exactly as TFLite's flatbuffer loader does.

// QuantizeMultiplier splits a real multiplier into a Q0.31 fixed-point
// significand and a power-of-two exponent, real ≈ mult·2^(shift−31), as
// TFLite's QuantizeMultiplier (tensorflow/lite/kernels/internal/
// quantization_util.cc): frexp gives q in [0.5, 1) and the exponent, the
// significand is round(q·2³¹) (TfLiteRound: half away from zero), a significand
// that rounds up to 2³¹ is halved with the exponent incremented, and exponents
// below −31 flush the multiplier to (0, 0). Zero, NaN and ±Inf give (0, 0).
func QuantizeMultiplier(real float64) (mult int32, shift int) {
	if real == 0 || math.IsNaN(real) || math.IsInf(real, 0) {
		return 0, 0
	}
	q, shift := math.Frexp(real)
	qFixed := int64(math.Round(q * (1 << 31)))
	if qFixed == 1<<31 {
		qFixed /= 2
		shift++
	}
	if shift < -31 {
		return 0, 0
	}
	return int32(qFixed), shift
}

// SaturatingRoundingDoublingHighMul returns the high 32 bits of 2·a·b with
// rounding, saturating the single overflow case a = b = −2³¹ to 2³¹−1
// (gemmlowp/fixedpoint/fixedpoint.h SaturatingRoundingDoublingHighMul, used by
// tensorflow/lite/kernels/internal/common.h). The nudge is 2³⁰ for a
// non-negative product and 1−2³⁰ otherwise, and the division truncates, so ties
// round towards +∞ (SRDHM(3, 2³⁰) = 2, SRDHM(−3, 2³⁰) = −1).
func SaturatingRoundingDoublingHighMul(a, b int32) int32 {
	if a == b && a == math.MinInt32 {
		return math.MaxInt32
	}
	ab := int64(a) * int64(b)
	nudge := int64(1 << 30)
	if ab < 0 {
		nudge = 1 - (1 << 30)
	}
	return int32((ab + nudge) / (1 << 31))
}

// RoundingDivideByPOT returns x / 2^exp rounded to nearest, ties away from zero
// (gemmlowp/fixedpoint/fixedpoint.h RoundingDivideByPOT, used by
// tensorflow/lite/kernels/internal/common.h): the arithmetic shift plus one when
// the remainder exceeds half the divisor (half minus one for negative x).
// TFLite calls it with 0 ≤ exp ≤ 31; a negative exp is treated as 0, and larger
// exponents (up to 62) keep the same rounding rule.
func RoundingDivideByPOT(x int32, exp int) int32 {
	exp = min(max(exp, 0), 62)
	mask := int64(1)<<exp - 1
	remainder := int64(x) & mask
	threshold := mask >> 1
	if x < 0 {
		threshold++
	}
	result := int64(x) >> exp
	if remainder > threshold {
		result++
	}
	return int32(result)
}

// MultiplyByQuantizedMultiplier returns round(x·mult·2^(shift−31)) as TFLite's
// reference MultiplyByQuantizedMultiplier (tensorflow/lite/kernels/internal/
// common.h, the default build without TFLITE_SINGLE_ROUNDING): a positive
// shift is applied as a left shift of x first (wrapping like TFLite's int32
// multiply by 1<<shift), then SaturatingRoundingDoublingHighMul by mult, then
// RoundingDivideByPOT by −shift when shift is negative.
func MultiplyByQuantizedMultiplier(x int32, mult int32, shift int) int32 {
	leftShift, rightShift := 0, 0
	if shift > 0 {
		leftShift = shift
	} else {
		rightShift = -shift
	}
	return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(shiftLeft(x, leftShift), mult), rightShift)
}

// MultiplyByQuantizedMultiplierSmallerThanOneExp is TFLite's variant for
// multipliers below one (tensorflow/lite/kernels/internal/common.h), used by the
// quantized ADD: SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT by
// −leftShift (leftShift ≤ 0). For leftShift ≤ 0 it equals
// MultiplyByQuantizedMultiplier.
func MultiplyByQuantizedMultiplierSmallerThanOneExp(x int32, mult int32, leftShift int) int32 {
	return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x, mult), -leftShift)
}

// MultiplyByQuantizedMultiplierGreaterThanOne is TFLite's variant for
// multipliers above one (tensorflow/lite/kernels/internal/common.h), used by the
// quantized softmax: x·2^leftShift (wrapping), then
// SaturatingRoundingDoublingHighMul by mult.
func MultiplyByQuantizedMultiplierGreaterThanOne(x int32, mult int32, leftShift int) int32 {
	return SaturatingRoundingDoublingHighMul(shiftLeft(x, leftShift), mult)
}

// shiftLeft is x·2^n in wrapping int32 arithmetic (C++'s x * (1 << n) on the
// two's-complement targets TFLite runs on); n ≤ 0 returns x.
func shiftLeft(x int32, n int) int32 {
	if n <= 0 {
		return x
	}
	return int32(uint32(x) << uint(min(n, 32)))
}

// QuantizeFloat quantizes one real value the way TFLite's kernel_util.cc
// Quantize helper does when it derives activation clamps: q = zeroPoint +
// round(f/scale), the division and the rounding (TfLiteRound, half away from
// zero) in float32. It fails when round(f/scale) is outside the int32 range.
func QuantizeFloat(f, scale float32, zeroPoint int32) (int32, error) {
	tmp := float32(math.Round(float64(f / scale)))
	if !(tmp >= math.MinInt32 && tmp <= math.MaxInt32) {
		return 0, fmt.Errorf("quantizing %g with scale %g overflows int32", f, scale)
	}
	return zeroPoint + int32(tmp), nil
}

// ActivationRange returns the clamp [lo, hi] that a fused activation imposes on a
// quantized output with the given scale and zero point, within the storage range
// [qmin, qmax] of the output type, as TFLite's CalculateActivationRangeQuantized
// (tensorflow/lite/kernels/kernel_util.cc, CalculateActivationRangeQuantizedImpl):
// ReLU clamps below at Quantize(0), ReLU6 at Quantize(0) and Quantize(6), none
// leaves [qmin, qmax].
func ActivationRange(act Activation, scale float32, zeroPoint, qmin, qmax int32) (lo, hi int32, err error) {
	lo, hi = qmin, qmax
	if act == ActNone {
		return lo, hi, nil
	}
	q0, err := QuantizeFloat(0, scale, zeroPoint)
	if err != nil {
		return 0, 0, err
	}
	lo = max(qmin, q0)
	if act == ActReLU6 {
		q6, err := QuantizeFloat(6, scale, zeroPoint)
		if err != nil {
			return 0, 0, err
		}
		hi = min(qmax, q6)
	}
	return lo, hi, nil
}

// QuantizedRange is the storage range of an integer element type: [−128, 127]
// for Int8, [0, 255] for UInt8, [−32768, 32767] for Int16, the int32 range for
// Int32. ok is false for other types.
func QuantizedRange(dt DType) (qmin, qmax int32, ok bool) {
	switch dt {
	case Int8:
		return math.MinInt8, math.MaxInt8, true
	case UInt8:
		return 0, math.MaxUint8, true
	case Int16:
		return math.MinInt16, math.MaxInt16, true
	case Int32:
		return math.MinInt32, math.MaxInt32, true
	}
	return 0, 0, false
}

// AddParams are the fixed-point parameters of TFLite's quantized ADD
// (tensorflow/lite/kernels/add.cc, Prepare for 8-bit outputs; the same in
// tflite-micro's add_common.cc CalculateOpDataAdd): both inputs are shifted left
// by LeftShift = 20 bits, each is scaled by its own multiplier below one so that
// both end up in units of twice the larger input scale, the sum is scaled to
// the output.
type AddParams struct {
	LeftShift        int
	Input1Multiplier int32
	Input1Shift      int
	Input2Multiplier int32
	Input2Shift      int
	OutputMultiplier int32
	OutputShift      int
}

// addLeftShift is TFLite's left_shift for 8-bit ADD (16-bit outputs use 15).
const addLeftShift = 20

// NewAddParams derives the ADD parameters from the input and output scales
// (tensorflow/lite/kernels/add.cc):
//
//	twice_max_input_scale  = 2·max(s1, s2)
//	real_input1_multiplier = s1 / twice_max_input_scale
//	real_input2_multiplier = s2 / twice_max_input_scale
//	real_output_multiplier = twice_max_input_scale / (2^20 · s_out)
//
// each quantized with QuantizeMultiplierSmallerThanOneExp, which TFLite checks
// to lie in (0, 1); the same checks fail here with an error.
func NewAddParams(in1Scale, in2Scale, outScale float32) (AddParams, error) {
	twiceMax := float64(2 * max(in1Scale, in2Scale))
	p := AddParams{LeftShift: addLeftShift}
	var err error
	if p.Input1Multiplier, p.Input1Shift, err = quantizeSmallerThanOne(float64(in1Scale) / twiceMax); err != nil {
		return AddParams{}, fmt.Errorf("input 1 multiplier: %v", err)
	}
	if p.Input2Multiplier, p.Input2Shift, err = quantizeSmallerThanOne(float64(in2Scale) / twiceMax); err != nil {
		return AddParams{}, fmt.Errorf("input 2 multiplier: %v", err)
	}
	outDenom := float64(float32(1<<addLeftShift) * outScale)
	if p.OutputMultiplier, p.OutputShift, err = quantizeSmallerThanOne(twiceMax / outDenom); err != nil {
		return AddParams{}, fmt.Errorf("output multiplier: %v", err)
	}
	return p, nil
}

// quantizeSmallerThanOne is TFLite's QuantizeMultiplierSmallerThanOneExp
// (quantization_util.cc): QuantizeMultiplier of a real in (0, 1).
func quantizeSmallerThanOne(real float64) (int32, int, error) {
	if !(real > 0 && real < 1) {
		return 0, 0, fmt.Errorf("real multiplier %g is not in (0, 1)", real)
	}
	m, s := QuantizeMultiplier(real)
	return m, s, nil
}

// Add returns TFLite's raw quantized sum of two centred inputs (q − zero point)
// before the output zero point is added and the result clamped
// (tensorflow/lite/kernels/internal/reference/integer_ops/add.h, AddFunc /
// AddElementwise).
func (p AddParams) Add(x1, x2 int32) int32 {
	s1 := MultiplyByQuantizedMultiplierSmallerThanOneExp(shiftLeft(x1, p.LeftShift), p.Input1Multiplier, p.Input1Shift)
	s2 := MultiplyByQuantizedMultiplierSmallerThanOneExp(shiftLeft(x2, p.LeftShift), p.Input2Multiplier, p.Input2Shift)
	return MultiplyByQuantizedMultiplierSmallerThanOneExp(s1+s2, p.OutputMultiplier, p.OutputShift)
}

// RoundedDivide is the rounding integer division of TFLite's quantized average
// pooling and 4-D MEAN (tensorflow/lite/kernels/internal/reference/integer_ops/
// pooling.h AveragePool, integer_ops/mean.h Mean): (x + n/2)/n for x > 0 and
// (x − n/2)/n otherwise, with C's truncating division, i.e. halves rounded away
// from zero. n must be positive.
func RoundedDivide(x, n int32) int32 {
	if x > 0 {
		return (x + n/2) / n
	}
	return (x - n/2) / n
}

// MeanMultiplier folds the 1/n of a mean into a quantized multiplier as TFLite's
// integer QuantizedMeanOrSum does (tensorflow/lite/kernels/internal/reference/
// reduce.h): with s = floor(log2 n) clamped to at most 32 and to at most
// 31 + shift, the multiplier becomes (mult·2^s)/n (truncating) and the shift
// shift − s. n must be positive.
func MeanMultiplier(mult int32, shift int, n int64) (int32, int) {
	s := 63 - bits.LeadingZeros64(uint64(n))
	s = min(s, 32, 31+shift)
	if s < 0 {
		// TFLite would shift by a negative amount here (undefined in C++); it
		// cannot happen for the shifts QuantizeMultiplier returns (≥ −31).
		s = 0
	}
	return int32((int64(mult) << s) / n), shift - s
}

// Softmax helpers. TFLite's reference quantized softmax
// (tensorflow/lite/kernels/internal/reference/softmax.h, Softmax for
// int8/uint8 inputs; tflite-micro's reference softmax kernel calls the same
// function) works in gemmlowp fixed point: input differences are rescaled to
// Q5.26, exponentiated with exp_on_negative_values into Q0.31, summed in Q12.19
// and normalised with a Newton–Raphson reciprocal. The functions below are the
// gemmlowp pieces on raw int32 values; the number of integer bits of each
// operand is stated in each doc comment.

// SoftmaxScaledDiffIntegerBits and SoftmaxAccumulationIntegerBits are the
// kScaledDiffIntegerBits (5) and kAccumulationIntegerBits (12) of TFLite's
// reference softmax.
const (
	SoftmaxScaledDiffIntegerBits   = 5
	SoftmaxAccumulationIntegerBits = 12
)

// PreprocessSoftmaxScaling returns the multiplier and left shift that rescale an
// input difference to Q(inputIntegerBits).(31−inputIntegerBits), as TFLite's
// PreprocessSoftmaxScaling (tensorflow/lite/kernels/internal/
// quantization_util.cc, default build): real = min(beta·inputScale·2^(31−bits),
// 2³¹−1), then QuantizeMultiplierGreaterThanOne. TFLite checks real > 1 and a
// non-negative shift; this returns an error instead.
func PreprocessSoftmaxScaling(beta, inputScale float64, inputIntegerBits int) (mult int32, leftShift int, err error) {
	const maxReal = float64(1<<31 - 1)
	real := math.Min(beta*inputScale*float64(int64(1)<<(31-inputIntegerBits)), maxReal)
	if !(real > 1) {
		return 0, 0, fmt.Errorf("softmax input multiplier %g is not above 1 (input scale %g too small)", real, inputScale)
	}
	mult, leftShift = QuantizeMultiplier(real)
	return mult, leftShift, nil
}

// CalculateInputRadius is TFLite's CalculateInputRadius
// (tensorflow/lite/kernels/internal/quantization_util.cc): the largest input
// difference, in input units, that the rescaling cannot overflow,
// floor((2^bits − 1)·2^(totalSignedBits−bits) / 2^leftShift). TFLite's softmax
// calls it with totalSignedBits = 31 and skips differences below −radius.
func CalculateInputRadius(inputIntegerBits, inputLeftShift, totalSignedBits int) int {
	maxInputRescaled := 1.0 * float64(int64(1)<<inputIntegerBits-1) *
		float64(int64(1)<<(totalSignedBits-inputIntegerBits)) / float64(int64(1)<<inputLeftShift)
	return int(math.Floor(maxInputRescaled))
}

// SaturatingRoundingMultiplyByPOT multiplies a fixed-point raw value by 2^exp
// (gemmlowp/fixedpoint/fixedpoint.h SaturatingRoundingMultiplyByPOT): a
// RoundingDivideByPOT for exp < 0, a left shift that saturates above
// 2^(31−exp)−1 and below −(2^(31−exp)−1) for exp > 0. Exponents above 31
// (which gemmlowp cannot express) are treated as 31.
func SaturatingRoundingMultiplyByPOT(x int32, exp int) int32 {
	switch {
	case exp == 0:
		return x
	case exp < 0:
		return RoundingDivideByPOT(x, -exp)
	}
	exp = min(exp, 31)
	threshold := int32(1)<<(31-exp) - 1
	if x > threshold {
		return math.MaxInt32
	}
	if x < -threshold {
		return math.MinInt32
	}
	return x << exp
}

// RescaleFixedPoint converts a raw fixed-point value with srcIntegerBits integer
// bits to dstIntegerBits (gemmlowp/fixedpoint/fixedpoint.h Rescale):
// SaturatingRoundingMultiplyByPOT by srcIntegerBits − dstIntegerBits.
func RescaleFixedPoint(x int32, srcIntegerBits, dstIntegerBits int) int32 {
	return SaturatingRoundingMultiplyByPOT(x, srcIntegerBits-dstIntegerBits)
}

// RoundingHalfSum is (a + b)/2 rounded half away from zero, computed in 64 bits
// (gemmlowp/fixedpoint/fixedpoint.h RoundingHalfSum for int32).
func RoundingHalfSum(a, b int32) int32 {
	sum := int64(a) + int64(b)
	sign := int64(1)
	if sum < 0 {
		sign = -1
	}
	return int32((sum + sign) / 2)
}

// ExpOnIntervalBetweenNegativeOneQuarterAnd0Excl returns exp(a) for a in
// [−1/4, 0), both Q0.31 (gemmlowp/fixedpoint/fixedpoint.h
// exp_on_interval_between_negative_one_quarter_and_0_excl): a fourth-order
// Taylor expansion around −1/8.
func ExpOnIntervalBetweenNegativeOneQuarterAnd0Excl(a int32) int32 {
	const (
		expMinusOneEighth = 1895147668 // exp(−1/8) in Q0.31
		oneThird          = 715827883  // 1/3 in Q0.31
	)
	mul := SaturatingRoundingDoublingHighMul
	x := a + 1<<28 // a + 1/8
	x2 := mul(x, x)
	x3 := mul(x2, x)
	x4 := mul(x2, x2)
	x4Over4 := SaturatingRoundingMultiplyByPOT(x4, -2)
	x4Over24PlusX3Over6PlusX2Over2 := SaturatingRoundingMultiplyByPOT(mul(x4Over4+x3, oneThird)+x2, -1)
	return expMinusOneEighth + mul(expMinusOneEighth, x+x4Over24PlusX3Over6PlusX2Over2)
}

// expBarrel are the multipliers exp(−2^k) in Q0.31 of gemmlowp's
// exp_on_negative_values barrel shifter, for k = −2 … 4.
var expBarrel = [...]struct {
	exponent   int
	multiplier int32
}{
	{-2, 1672461947}, {-1, 1302514674}, {0, 790015084}, {1, 290630308},
	{2, 39332535}, {3, 720401}, {4, 242},
}

// ExpOnNegativeValues returns exp(a) in Q0.31 for a ≤ 0 given with integerBits
// integer bits (gemmlowp/fixedpoint/fixedpoint.h exp_on_negative_values):
// exp of a mod 1/4 on the interval [−1/4, 0), times exp(−2^k) for every bit k
// of the remainder, clamped to 0 below −32 (only for integerBits > 5) and
// exactly one (2³¹−1) at a = 0. integerBits must be in [0, 29] (gemmlowp's
// template parameter; TFLite's softmax uses 5).
func ExpOnNegativeValues(a int32, integerBits int) int32 {
	fractionalBits := 31 - integerBits
	oneQuarter := int32(1) << (fractionalBits - 2)
	mask := oneQuarter - 1
	aModQuarterMinusOneQuarter := (a & mask) - oneQuarter
	result := ExpOnIntervalBetweenNegativeOneQuarterAnd0Excl(RescaleFixedPoint(aModQuarterMinusOneQuarter, integerBits, 0))
	remainder := aModQuarterMinusOneQuarter - a
	for _, b := range expBarrel {
		if integerBits > b.exponent {
			if remainder&(int32(1)<<(fractionalBits+b.exponent)) != 0 {
				result = SaturatingRoundingDoublingHighMul(result, b.multiplier)
			}
		}
	}
	if integerBits > 5 {
		clamp := -(int32(1) << (36 - integerBits)) // −32
		if a < clamp {
			result = 0
		}
	}
	if a == 0 {
		result = math.MaxInt32
	}
	return result
}

// OneOverOnePlusXForXIn01 returns 1/(1+a) for a in [0, 1), both Q0.31
// (gemmlowp/fixedpoint/fixedpoint.h one_over_one_plus_x_for_x_in_0_1): three
// Newton–Raphson steps on the half denominator in Q2.29, starting from
// 48/17 − 32/17·d.
func OneOverOnePlusXForXIn01(a int32) int32 {
	const (
		constant48Over17    = 1515870810  // 48/17 in Q2.29
		constantNeg32Over17 = -1010580540 // −32/17 in Q2.29
		oneQ2               = 1 << 29     // 1 in Q2.29
	)
	mul := SaturatingRoundingDoublingHighMul
	halfDenominator := RoundingHalfSum(a, math.MaxInt32) // Q0.31
	x := constant48Over17 + mul(halfDenominator, constantNeg32Over17)
	for range 3 {
		halfDenominatorTimesX := mul(halfDenominator, x)               // Q2.29
		oneMinusHalfDenominatorTimesX := oneQ2 - halfDenominatorTimesX // Q2.29
		x += RescaleFixedPoint(mul(x, oneMinusHalfDenominatorTimesX), 4, 2)
	}
	// ExactMulByPot<−1> reinterprets x as Q1.30; Rescale<0> takes it to Q0.31.
	return RescaleFixedPoint(x, 1, 0)
}

// GetReciprocal returns 1/x in Q0.31 scaled by 2^numBitsOverUnit, for a
// positive x with xIntegerDigits integer bits (tensorflow/lite/kernels/
// internal/common.h GetReciprocal): x is normalised to [1, 2) by its leading
// zeros and OneOverOnePlusXForXIn01 does the rest.
func GetReciprocal(x int32, xIntegerDigits int) (recip int32, numBitsOverUnit int) {
	headroomPlusOne := bits.LeadingZeros32(uint32(x))
	numBitsOverUnit = xIntegerDigits - headroomPlusOne
	shiftedSumMinusOne := int32(uint32(x)<<uint(headroomPlusOne) - 1<<31)
	return OneOverOnePlusXForXIn01(shiftedSumMinusOne), numBitsOverUnit
}
