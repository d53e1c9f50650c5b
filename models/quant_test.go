package models

import (
	"fmt"
	"math"
	"testing"
)

// The expected values below are worked out by hand from the TFLite / gemmlowp
// definitions cited in quant.go, except where a comment says they were
// computed with gemmlowp's own fixedpoint.h (Debian package libgemmlowp-dev).

func TestQuantizeMultiplier(t *testing.T) {
	cases := []struct {
		real  float64
		mult  int32
		shift int
	}{
		{0.5, 1 << 30, 0},
		{1.0, 1 << 30, 1},
		{0.25, 1 << 30, -1},
		{2.0, 1 << 30, 2},
		{0.75, 1610612736, 0}, // 0.75·2³¹
		{3.0, 1610612736, 2},  // 0.75·2²
		{0.1, 1717986918, -3}, // 0.8·2³¹ = 1717986918.4
		{-0.5, -(1 << 30), 0},
		{1 - math.Pow(2, -40), 1 << 30, 1}, // significand rounds up to 2³¹ and is halved
		{math.Pow(2, -40), 0, 0},           // exponent below −31 flushes to zero
		{0, 0, 0},
		{math.Inf(1), 0, 0},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.real), func(t *testing.T) {
			m, s := QuantizeMultiplier(c.real)
			if m != c.mult || s != c.shift {
				t.Errorf("QuantizeMultiplier(%g) = (%d, %d), want (%d, %d)", c.real, m, s, c.mult, c.shift)
			}
		})
	}
}

func TestSaturatingRoundingDoublingHighMul(t *testing.T) {
	cases := []struct{ a, b, want int32 }{
		{math.MinInt32, math.MinInt32, math.MaxInt32}, // the one overflow case saturates
		{1 << 30, 1 << 30, 1 << 29},
		{100, 1 << 30, 50},
		{3, 1 << 30, 2},   // 1.5 rounds up
		{-3, 1 << 30, -1}, // −1.5 rounds up too (nudge 1−2³⁰, truncating division)
		{-5, 1 << 30, -2}, // −2.5 → −2
		{math.MaxInt32, math.MaxInt32, 2147483646},
		{math.MinInt32, math.MaxInt32, -2147483647},
		{1000, 1717986918, 800}, // 799.99999963 rounds to 800
		{0, 12345, 0},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d*%d", c.a, c.b), func(t *testing.T) {
			if got := SaturatingRoundingDoublingHighMul(c.a, c.b); got != c.want {
				t.Errorf("SRDHM(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
			}
		})
	}
}

func TestRoundingDivideByPOT(t *testing.T) {
	cases := []struct {
		x    int32
		exp  int
		want int32
	}{
		{5, 1, 3}, {-5, 1, -3}, // halves away from zero
		{4, 1, 2}, {6, 2, 2}, {-6, 2, -2}, {-5, 2, -1}, {5, 2, 1},
		{7, 0, 7},
		{math.MaxInt32, 31, 1}, {math.MinInt32, 31, -1},
		{1 << 30, 31, 1}, {-(1 << 30), 31, -1}, {(1 << 30) - 1, 31, 0},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d>>%d", c.x, c.exp), func(t *testing.T) {
			if got := RoundingDivideByPOT(c.x, c.exp); got != c.want {
				t.Errorf("RoundingDivideByPOT(%d, %d) = %d, want %d", c.x, c.exp, got, c.want)
			}
		})
	}
}

func TestMultiplyByQuantizedMultiplier(t *testing.T) {
	cases := []struct {
		x, mult int32
		shift   int
		want    int32
	}{
		{100, 1 << 30, 0, 50},
		{100, 1 << 30, -2, 13},   // 50 / 4 = 12.5 → 13
		{-100, 1 << 30, -2, -13}, // −12.5 → −13
		{3, 1 << 30, 2, 6},       // left shift first: SRDHM(12, 2³⁰)
		{-3, 1 << 30, 0, -1},     // SRDHM's tie rule: −1.5 → −1
		{1000, 1717986918, -3, 100},
		{1 << 30, 1 << 30, 2, 0}, // x·4 wraps to 0 in int32, as in TFLite
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d*%d<<%d", c.x, c.mult, c.shift), func(t *testing.T) {
			if got := MultiplyByQuantizedMultiplier(c.x, c.mult, c.shift); got != c.want {
				t.Errorf("MultiplyByQuantizedMultiplier(%d, %d, %d) = %d, want %d", c.x, c.mult, c.shift, got, c.want)
			}
		})
	}
	// The variants agree with the general definition in their domains.
	for _, x := range []int32{-1 << 20, -12345, -1, 0, 1, 777, 1 << 24} {
		if a, b := MultiplyByQuantizedMultiplierSmallerThanOneExp(x, 1717986918, -3), MultiplyByQuantizedMultiplier(x, 1717986918, -3); a != b {
			t.Errorf("smaller-than-one variant of %d = %d, general %d", x, a, b)
		}
		if a, b := MultiplyByQuantizedMultiplierGreaterThanOne(x, 1717986918, 3), MultiplyByQuantizedMultiplier(x, 1717986918, 3); a != b {
			t.Errorf("greater-than-one variant of %d = %d, general %d", x, a, b)
		}
	}
}

func TestActivationRange(t *testing.T) {
	cases := []struct {
		act      Activation
		scale    float32
		zp       int32
		qmin     int32
		qmax     int32
		lo, hi   int32
		failures bool
	}{
		{ActNone, 0.1, 5, -128, 127, -128, 127, false},
		{ActReLU, 0.5, 3, -128, 127, 3, 127, false},
		{ActReLU6, 6.0 / 255, -128, -128, 127, -128, 127, false}, // 6/(6/255) = 255
		{ActReLU6, 0.1, -10, -128, 127, -10, 50, false},          // 6/0.1f rounds to 60 in float32
		{ActReLU6, 0.01, 0, -128, 127, 0, 127, false},            // 600 clipped to qmax
		{ActReLU6, 1, 0, 0, 255, 0, 6, false},
		{ActReLU, 1e-30, 0, -128, 127, 0, 127, false},
		{ActReLU6, 1e-30, 0, -128, 127, 0, 0, true}, // 6/1e-30 overflows int32
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%g/%d", c.act, c.scale, c.zp), func(t *testing.T) {
			lo, hi, err := ActivationRange(c.act, c.scale, c.zp, c.qmin, c.qmax)
			if c.failures {
				if err == nil {
					t.Errorf("ActivationRange succeeded with (%d, %d), want an overflow error", lo, hi)
				}
				return
			}
			if err != nil || lo != c.lo || hi != c.hi {
				t.Errorf("ActivationRange = (%d, %d, %v), want (%d, %d)", lo, hi, err, c.lo, c.hi)
			}
		})
	}
}

func TestAddParams(t *testing.T) {
	// s1 = 0.5, s2 = 0.25, s_out = 1: twice_max = 1, so the input multipliers are
	// 0.5 = (2³⁰, 0) and 0.25 = (2³⁰, −1), the output multiplier 2⁻²⁰ = (2³⁰, −19).
	p, err := NewAddParams(0.5, 0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := AddParams{LeftShift: 20, Input1Multiplier: 1 << 30, Input1Shift: 0,
		Input2Multiplier: 1 << 30, Input2Shift: -1, OutputMultiplier: 1 << 30, OutputShift: -19}
	if p != want {
		t.Fatalf("NewAddParams = %+v, want %+v", p, want)
	}
	cases := []struct{ x1, x2, want int32 }{
		{3, 5, 3},    // 1.5 + 1.25 = 2.75 → 3
		{1, 1, 1},    // 0.75 → 1
		{-1, -1, -1}, // −0.75 → −1
		{1, -2, 0},   // 0
		{2, 1, 1},    // 1.25 → 1
		{-3, -5, -3}, // −2.75 → −3
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d+%d", c.x1, c.x2), func(t *testing.T) {
			if got := p.Add(c.x1, c.x2); got != c.want {
				t.Errorf("Add(%d, %d) = %d, want %d", c.x1, c.x2, got, c.want)
			}
		})
	}
	if _, err := NewAddParams(1, 1, 1e-7); err == nil {
		t.Error("NewAddParams accepted an output multiplier above one")
	}
}

func TestRoundedDivide(t *testing.T) {
	cases := []struct{ x, n, want int32 }{
		{7, 2, 4}, {-7, 2, -4}, {5, 4, 1}, {-6, 4, -2}, {6, 4, 2}, {0, 3, 0}, {-1, 3, 0}, {-2, 3, -1}, {-1280, 9, -142},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d/%d", c.x, c.n), func(t *testing.T) {
			if got := RoundedDivide(c.x, c.n); got != c.want {
				t.Errorf("RoundedDivide(%d, %d) = %d, want %d", c.x, c.n, got, c.want)
			}
		})
	}
}

func TestMeanMultiplier(t *testing.T) {
	cases := []struct {
		mult      int32
		shift     int
		n         int64
		wantMult  int32
		wantShift int
	}{
		{1 << 30, 0, 9, 954437176, -3},      // s = 3: 2³³/9 truncated
		{1 << 30, 0, 1, 1 << 30, 0},         // s = 0
		{1 << 30, -30, 1 << 20, 2048, -31},  // s clamped to 31 + shift = 1
		{1 << 30, 5, 1 << 40, 1 << 22, -27}, // s clamped to 32: 2⁶²/2⁴⁰
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d/%d/%d", c.mult, c.shift, c.n), func(t *testing.T) {
			m, s := MeanMultiplier(c.mult, c.shift, c.n)
			if m != c.wantMult || s != c.wantShift {
				t.Errorf("MeanMultiplier = (%d, %d), want (%d, %d)", m, s, c.wantMult, c.wantShift)
			}
		})
	}
}

func TestSoftmaxScaling(t *testing.T) {
	// Scale 1: real = 2²⁶ = 0.5·2²⁷; radius = floor(31·2²⁶/2²⁷) = 15.
	m, s, err := PreprocessSoftmaxScaling(1, 1, SoftmaxScaledDiffIntegerBits)
	if err != nil || m != 1<<30 || s != 27 {
		t.Errorf("PreprocessSoftmaxScaling(1, 1, 5) = (%d, %d, %v), want (2^30, 27)", m, s, err)
	}
	if r := CalculateInputRadius(5, 27, 31); r != 15 {
		t.Errorf("CalculateInputRadius(5, 27, 31) = %d, want 15", r)
	}
	// Scale 1/8: real = 2²³, shift 24, radius 31·2²⁶/2²⁴ = 124.
	if _, s, _ := PreprocessSoftmaxScaling(1, 0.125, 5); s != 24 {
		t.Errorf("shift for scale 1/8 = %d, want 24", s)
	}
	if r := CalculateInputRadius(5, 24, 31); r != 124 {
		t.Errorf("CalculateInputRadius(5, 24, 31) = %d, want 124", r)
	}
	// A huge scale is capped at 2³¹−1.
	if m, s, _ := PreprocessSoftmaxScaling(1, 1e6, 5); m != math.MaxInt32 || s != 31 {
		t.Errorf("capped multiplier = (%d, %d), want (2^31-1, 31)", m, s)
	}
	if _, _, err := PreprocessSoftmaxScaling(1, 1e-9, 5); err == nil {
		t.Error("PreprocessSoftmaxScaling accepted a multiplier below one")
	}
}

// TestGemmlowpFixedPoint checks the fixed-point transcendental helpers against
// values computed with gemmlowp's fixedpoint.h itself.
func TestGemmlowpFixedPoint(t *testing.T) {
	exps := []struct{ a, want int32 }{ // Q5.26 → Q0.31
		{0, math.MaxInt32},
		{-(1 << 26), 790015308},  // exp(−1)
		{-(1 << 24), 1672462419}, // exp(−1/4)
		{-(3 << 25), 479168506},  // exp(−1.5)
		{-(1 << 29), 720401},     // exp(−8)
		{-(1 << 30), 242},        // exp(−16)
		{-2147483647, 0},
		{-1, 2147483124},
		{-12345678, 1786631188},
	}
	for _, c := range exps {
		t.Run(fmt.Sprintf("exp(%d)", c.a), func(t *testing.T) {
			if got := ExpOnNegativeValues(c.a, 5); got != c.want {
				t.Errorf("ExpOnNegativeValues(%d, 5) = %d, want %d", c.a, got, c.want)
			}
		})
	}
	recips := []struct{ x, want int32 }{ // Q0.31 → Q0.31
		{0, math.MaxInt32},
		{1 << 30, 1431655762},       // 1/1.5
		{math.MaxInt32, 1073741820}, // 1/2
		{1 << 29, 1717986914},       // 1/1.25
		{123456789, 2030738432},
	}
	for _, c := range recips {
		t.Run(fmt.Sprintf("1/(1+%d)", c.x), func(t *testing.T) {
			if got := OneOverOnePlusXForXIn01(c.x); got != c.want {
				t.Errorf("OneOverOnePlusXForXIn01(%d) = %d, want %d", c.x, got, c.want)
			}
		})
	}
	if got := ExpOnIntervalBetweenNegativeOneQuarterAnd0Excl(-1); got != 2147483155 {
		t.Errorf("exp on [−1/4, 0) of −2⁻³¹ = %d, want 2147483155", got)
	}
	// GetReciprocal of 2.0 in Q12.19: normalised to 1 + 0, one bit over unit.
	if r, n := GetReciprocal(1<<20, 12); r != math.MaxInt32 || n != 1 {
		t.Errorf("GetReciprocal(2^20, 12) = (%d, %d), want (2^31-1, 1)", r, n)
	}
	if got := SaturatingRoundingMultiplyByPOT(1<<29, 2); got != math.MaxInt32 {
		t.Errorf("SaturatingRoundingMultiplyByPOT(2^29, 2) = %d, want saturation", got)
	}
	if got := SaturatingRoundingMultiplyByPOT(-(1 << 29), 1); got != -(1 << 30) {
		t.Errorf("SaturatingRoundingMultiplyByPOT(−2^29, 1) = %d, want −2^30", got)
	}
	if got := RoundingHalfSum(3, 4); got != 4 {
		t.Errorf("RoundingHalfSum(3, 4) = %d, want 4", got)
	}
	if got := RoundingHalfSum(-3, -4); got != -4 {
		t.Errorf("RoundingHalfSum(−3, −4) = %d, want −4", got)
	}
}
