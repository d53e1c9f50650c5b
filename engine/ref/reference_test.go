package ref_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mcusim/engine/ref"
	"mcusim/internal/datatest"
	"mcusim/models"
	"mcusim/models/tflite"
	"mcusim/models/zoo"
)

// refBuilder assembles tiny hand-made graphs for the per-operator tests.
type refBuilder struct{ g *models.Graph }

func newRefBuilder() *refBuilder { return &refBuilder{g: &models.Graph{Name: "tiny"}} }

func (b *refBuilder) add(t *models.Tensor) int {
	b.g.Tensors = append(b.g.Tensors, t)
	return len(b.g.Tensors) - 1
}

func q(scale float64, zp int64) *models.Quant {
	return &models.Quant{Scale: []float64{scale}, ZeroPoint: []int64{zp}}
}

// act adds an activation tensor.
func (b *refBuilder) act(dt models.DType, shape []int, quant *models.Quant) int {
	return b.add(&models.Tensor{Name: "t" + string(rune('a'+len(b.g.Tensors))), Shape: shape, DType: dt, Quant: quant})
}

// input adds a graph input.
func (b *refBuilder) input(dt models.DType, shape []int, quant *models.Quant) int {
	i := b.act(dt, shape, quant)
	b.g.Inputs = append(b.g.Inputs, i)
	return i
}

// weights adds an int8 constant with per-channel scales along axis (one scale
// means per tensor).
func (b *refBuilder) weights(shape []int, axis int, scales []float64, v ...int) int {
	return b.add(&models.Tensor{Name: "w", Shape: shape, DType: models.Int8, Const: true, Data: i8s(v...),
		Quant: &models.Quant{Scale: scales, ZeroPoint: make([]int64, len(scales)), Axis: axis}})
}

// bias adds an int32 constant.
func (b *refBuilder) bias(v ...int32) int {
	data := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(data[4*i:], uint32(x))
	}
	return b.add(&models.Tensor{Name: "b", Shape: []int{len(v)}, DType: models.Int32, Const: true, Data: data})
}

// op appends an operator and marks its output as a graph output.
func (b *refBuilder) op(op *models.Op) *models.Graph {
	b.g.Ops = append(b.g.Ops, op)
	b.g.Outputs = []int{op.Outputs[0]}
	return b.g
}

func i8s(v ...int) []byte {
	out := make([]byte, len(v))
	for i, x := range v {
		out[i] = byte(int8(x))
	}
	return out
}

func u8s(v ...int) []byte {
	out := make([]byte, len(v))
	for i, x := range v {
		out[i] = byte(x)
	}
	return out
}

func f32s(v ...float32) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
	}
	return out
}

func ints(dt models.DType, b []byte) []int {
	var out []int
	switch dt {
	case models.Int8:
		for _, x := range b {
			out = append(out, int(int8(x)))
		}
	case models.UInt8:
		for _, x := range b {
			out = append(out, int(x))
		}
	}
	return out
}

// refCase is one hand-computed operator test.
type refCase struct {
	name   string
	build  func() *models.Graph
	inputs [][]byte
	want   any // []int for integer outputs, []float32 for float32 outputs
}

func runRefCases(t *testing.T, cases []refCase) {
	t.Helper()
	runRefCasesWith(t, ref.Semantics{}, cases)
}

// runRefCasesWith runs cases under the given semantics.
func runRefCasesWith(t *testing.T, sem ref.Semantics, cases []refCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := c.build()
			outs, err := ref.ReferenceWith(g, c.inputs, sem)
			if err != nil {
				t.Fatal(err)
			}
			out := g.Tensors[g.Outputs[0]]
			switch want := c.want.(type) {
			case []float32:
				got := make([]float32, len(outs[0])/4)
				for i := range got {
					got[i] = math.Float32frombits(binary.LittleEndian.Uint32(outs[0][4*i:]))
				}
				if !slices.Equal(got, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			case []int:
				if got := ints(out.DType, outs[0]); !slices.Equal(got, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			}
		})
	}
}

// The expected outputs below are worked out by hand from the TFLite kernels
// cited in reference*.go; "SRDHM" is SaturatingRoundingDoublingHighMul, whose
// ties round towards +∞, "RDBPOT" RoundingDivideByPOT, whose ties round away
// from zero.

func TestReferenceConv(t *testing.T) {
	// 1×1 conv, input scale 0.5 zp 1, weight scales [0.25, 0.5], output scale 1
	// zp −3: multipliers 0.125 = (2³⁰, −2) and 0.25 = (2³⁰, −1).
	// Pixel 0 centred [2, −2]: c0 = 2−4+4 = 2 → 0.25 → 0; c1 = −6−8+3 = −11 →
	// SRDHM −5.5 → −5, RDBPOT(−5, 1) → −3. Pixel 1 centred [4, 0]: c0 = 8 → 1;
	// c1 = −12+3 = −9 → SRDHM −4.5 → −4 → −2.
	conv1x1 := func(act models.Activation) func() *models.Graph {
		return func() *models.Graph {
			b := newRefBuilder()
			x := b.input(models.Int8, []int{1, 1, 2, 2}, q(0.5, 1))
			w := b.weights([]int{2, 1, 1, 2}, 0, []float64{0.25, 0.5}, 1, 2, -3, 4)
			bias := b.bias(4, 3)
			y := b.act(models.Int8, []int{1, 1, 2, 2}, q(1, -3))
			return b.op(&models.Op{Kind: models.Conv2D, Inputs: []int{x, w, bias}, Outputs: []int{y},
				KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1, Act: act})
		}
	}
	// 3×3 stride-2 conv with padding 1 on a 4×4 input x = 0..15, zero point 2
	// (centred x−2), weights all 1 at scale 0.5, bias 1, output scale 1 zp −5:
	// multiplier 0.5 = (2³⁰, 0). Window sums 2, 12, 39, 72 (padding taps
	// skipped), +1 → 3, 13, 40, 73, halved by SRDHM → 2, 7, 20, 37, −5.
	conv3x3 := func() *models.Graph {
		b := newRefBuilder()
		x := b.input(models.Int8, []int{1, 4, 4, 1}, q(1, 2))
		w := b.weights([]int{1, 3, 3, 1}, 0, []float64{0.5}, 1, 1, 1, 1, 1, 1, 1, 1, 1)
		bias := b.bias(1)
		y := b.act(models.Int8, []int{1, 2, 2, 1}, q(1, -5))
		return b.op(&models.Op{Kind: models.Conv2D, Inputs: []int{x, w, bias}, Outputs: []int{y},
			KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, Pad: models.Padding{Top: 1, Bottom: 1, Left: 1, Right: 1}})
	}
	// 3×3 conv with dilation 2 on 5×5 x = 0..24: taps rows and columns {0, 2, 4},
	// sum 108; scale 1·1/4 → 27.
	dilated := func() *models.Graph {
		b := newRefBuilder()
		x := b.input(models.Int8, []int{1, 5, 5, 1}, q(1, 0))
		w := b.weights([]int{1, 3, 3, 1}, 0, []float64{1}, 1, 1, 1, 1, 1, 1, 1, 1, 1)
		y := b.act(models.Int8, []int{1, 1, 1, 1}, q(4, 0))
		return b.op(&models.Op{Kind: models.Conv2D, Inputs: []int{x, w, -1}, Outputs: []int{y},
			KernelH: 3, KernelW: 3, StrideH: 1, StrideW: 1, DilationH: 2, DilationW: 2})
	}
	seq := func(n int) []byte {
		v := make([]int, n)
		for i := range v {
			v[i] = i
		}
		return i8s(v...)
	}
	runRefCases(t, []refCase{
		{"1x1", conv1x1(models.ActNone), [][]byte{i8s(3, -1, 5, 1)}, []int{-3, -6, -2, -5}},
		{"1x1-relu", conv1x1(models.ActReLU), [][]byte{i8s(3, -1, 5, 1)}, []int{-3, -3, -2, -3}},
		{"3x3-stride2-pad1", conv3x3, [][]byte{seq(16)}, []int{-3, 2, 15, 32}},
		{"3x3-dilation2", dilated, [][]byte{seq(25)}, []int{27}},
	})
}

func TestReferenceDepthwise(t *testing.T) {
	// Depth multiplier 2 on a 2×2×2 input, 2×2 kernel: output channel ic·2+m
	// reads input channel ic. Channel 0 values 1,3,5,7, channel 1 2,4,6,8.
	// Weights per tap [oc0..oc3]: oc0 all 1, oc1 all 2, oc2 1,−1,1,−1, oc3
	// 1,2,3,4; scales [1, 0.5, 1, 0.25]:
	// oc0 16·1 = 16, oc1 32·0.5 = 16, oc2 (2−4+6−8)·1 = −4, oc3 60·0.25 = 15.
	build := func() *models.Graph {
		b := newRefBuilder()
		x := b.input(models.Int8, []int{1, 2, 2, 2}, q(1, 0))
		w := b.weights([]int{1, 2, 2, 4}, 3, []float64{1, 0.5, 1, 0.25},
			1, 2, 1, 1, 1, 2, -1, 2, 1, 2, 1, 3, 1, 2, -1, 4)
		y := b.act(models.Int8, []int{1, 1, 1, 4}, q(1, 0))
		return b.op(&models.Op{Kind: models.DepthwiseConv2D, Inputs: []int{x, w}, Outputs: []int{y},
			KernelH: 2, KernelW: 2, StrideH: 1, StrideW: 1, DepthMultiplier: 2})
	}
	runRefCases(t, []refCase{{"multiplier2", build, [][]byte{i8s(1, 2, 3, 4, 5, 6, 7, 8)}, []int{16, 16, -4, 15}}})
}

func TestReferenceFullyConnected(t *testing.T) {
	// Input scale 0.5 zp −1, [1, 3, −1] centred [2, 4, 0]; weights [[1,2,3],
	// [−1,0,1]]; output scale 0.5 zp 10.
	// Per tensor (scale 0.25, multiplier 0.25, bias [2, −1]): o0 = 10+2 = 12 →
	// 3 → 13; o1 = −2−1 = −3 → SRDHM −1.5 → −1, RDBPOT(−1, 1) → −1 → 9.
	// Per channel (scales [0.25, 0.5], no bias): o0 = 10·0.25: SRDHM 5, RDBPOT
	// (5, 1) → 3 → 13; o1 = −2·0.5 = −1 → 9.
	build := func(perChannel bool) func() *models.Graph {
		return func() *models.Graph {
			b := newRefBuilder()
			x := b.input(models.Int8, []int{1, 3}, q(0.5, -1))
			bias := -1
			var w int
			if perChannel {
				w = b.weights([]int{2, 3}, 0, []float64{0.25, 0.5}, 1, 2, 3, -1, 0, 1)
			} else {
				w = b.weights([]int{2, 3}, 0, []float64{0.25}, 1, 2, 3, -1, 0, 1)
				bias = b.bias(2, -1)
			}
			y := b.act(models.Int8, []int{1, 2}, q(0.5, 10))
			return b.op(&models.Op{Kind: models.FullyConnected, Inputs: []int{x, w, bias}, Outputs: []int{y}})
		}
	}
	runRefCases(t, []refCase{
		{"per-tensor", build(false), [][]byte{i8s(1, 3, -1)}, []int{13, 9}},
		{"per-channel", build(true), [][]byte{i8s(1, 3, -1)}, []int{13, 9}},
	})
}

func TestReferenceAddMul(t *testing.T) {
	// ADD with scales 0.5 (zp 1), 0.25 (zp −2), output 1 (zp 3): the multipliers
	// of models.TestAddParams. (3, 5) → 1.5+1.25 = 2.75 → 3 → 6; (−1, −5) →
	// −0.5−1.25 = −1.75 → −2 → 1.
	add := func(act models.Activation) func() *models.Graph {
		return func() *models.Graph {
			b := newRefBuilder()
			x1 := b.input(models.Int8, []int{1, 1, 1, 2}, q(0.5, 1))
			x2 := b.input(models.Int8, []int{1, 1, 1, 2}, q(0.25, -2))
			y := b.act(models.Int8, []int{1, 1, 1, 2}, q(1, 3))
			return b.op(&models.Op{Kind: models.Add, Inputs: []int{x1, x2}, Outputs: []int{y}, Act: act})
		}
	}
	// The same with a constant scalar second operand 3 (centred 5): (3, 5) → 6,
	// (−1, 5) → 0.75 → 4, (1, 5) → 1.75 → 5, (5, 5) → 3.75 → 7.
	addScalar := func() *models.Graph {
		b := newRefBuilder()
		x1 := b.input(models.Int8, []int{1, 1, 2, 2}, q(0.5, 1))
		x2 := b.add(&models.Tensor{Name: "k", Shape: []int{1}, DType: models.Int8, Const: true, Data: i8s(3), Quant: q(0.25, -2)})
		y := b.act(models.Int8, []int{1, 1, 2, 2}, q(1, 3))
		return b.op(&models.Op{Kind: models.Add, Inputs: []int{x1, x2}, Outputs: []int{y}})
	}
	// MUL of scales 0.5·0.5 into 0.25 (multiplier 1, zp −1): 3·5 = 15 → 14,
	// −4·7 = −28 → −29; 127·127 saturates.
	mul := func() *models.Graph {
		b := newRefBuilder()
		x1 := b.input(models.Int8, []int{1, 3}, q(0.5, 0))
		x2 := b.input(models.Int8, []int{1, 3}, q(0.5, 0))
		y := b.act(models.Int8, []int{1, 3}, q(0.25, -1))
		return b.op(&models.Op{Kind: models.Mul, Inputs: []int{x1, x2}, Outputs: []int{y}})
	}
	// MUL broadcasting a 1×1×C gate over 1×2×C (the SE pattern), output scale
	// 0.5 (multiplier 0.5): [1,2,3,4]·[2,−3] = [2,−6,6,−12] → [1,−3,3,−6].
	mulGate := func() *models.Graph {
		b := newRefBuilder()
		x1 := b.input(models.Int8, []int{1, 1, 2, 2}, q(1, 0))
		x2 := b.input(models.Int8, []int{1, 1, 1, 2}, q(1, 0))
		y := b.act(models.Int8, []int{1, 1, 2, 2}, q(2, 0))
		return b.op(&models.Op{Kind: models.Mul, Inputs: []int{x1, x2}, Outputs: []int{y}})
	}
	runRefCases(t, []refCase{
		{"add", add(models.ActNone), [][]byte{i8s(4, 0), i8s(3, -7)}, []int{6, 1}},
		{"add-relu", add(models.ActReLU), [][]byte{i8s(4, 0), i8s(3, -7)}, []int{6, 3}},
		{"add-scalar", addScalar, [][]byte{i8s(4, 0, 2, 6)}, []int{6, 4, 5, 7}},
		{"mul", mul, [][]byte{i8s(3, -4, 127), i8s(5, 7, 127)}, []int{14, -29, 127}},
		{"mul-gate", mulGate, [][]byte{i8s(1, 2, 3, 4), i8s(2, -3)}, []int{1, -3, 3, -6}},
	})
}

func TestReferencePools(t *testing.T) {
	// Average pool 2×2 over 2×2×3: channel sums −7, 6, −6 over 4 values round
	// half away from zero: −1.75 → −2, 1.5 → 2, −1.5 → −2.
	avg := func() *models.Graph {
		b := newRefBuilder()
		x := b.input(models.Int8, []int{1, 2, 2, 3}, q(1, 0))
		y := b.act(models.Int8, []int{1, 1, 1, 3}, q(1, 0))
		return b.op(&models.Op{Kind: models.AveragePool, Inputs: []int{x}, Outputs: []int{y},
			KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2})
	}
	// Average pool 2×1 with one row of top padding on [−5, 0, 4]: windows
	// {−5} (padding not counted), {−5, 0} → −2.5 → −3, {0, 4} → 2.
	avgPad := func() *models.Graph {
		b := newRefBuilder()
		x := b.input(models.Int8, []int{1, 3, 1, 1}, q(1, 0))
		y := b.act(models.Int8, []int{1, 3, 1, 1}, q(1, 0))
		return b.op(&models.Op{Kind: models.AveragePool, Inputs: []int{x}, Outputs: []int{y},
			KernelH: 2, KernelW: 1, StrideH: 1, StrideW: 1, Pad: models.Padding{Top: 1}})
	}
	// Max pool 2×2 stride 2 with SAME padding (bottom/right 1) on 3×3 −4..4.
	maxPool := func(act models.Activation, zp int64) func() *models.Graph {
		return func() *models.Graph {
			b := newRefBuilder()
			x := b.input(models.Int8, []int{1, 3, 3, 1}, q(1, zp))
			y := b.act(models.Int8, []int{1, 2, 2, 1}, q(1, zp))
			return b.op(&models.Op{Kind: models.MaxPool, Inputs: []int{x}, Outputs: []int{y}, Act: act,
				KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, Pad: models.Padding{Bottom: 1, Right: 1}})
		}
	}
	runRefCases(t, []refCase{
		{"avg", avg, [][]byte{i8s(-1, 1, -1, -2, 2, -2, -2, 2, -1, -2, 1, -2)}, []int{-2, 2, -2}},
		{"avg-pad", avgPad, [][]byte{i8s(-5, 0, 4)}, []int{-5, -3, 2}},
		{"max", maxPool(models.ActNone, 0), [][]byte{i8s(-4, -3, -2, -1, 0, 1, 2, 3, 4)}, []int{0, 1, 3, 4}},
		{"max-relu", maxPool(models.ActReLU, 2), [][]byte{i8s(-4, -3, -2, -1, 0, 1, 2, 3, 4)}, []int{2, 2, 3, 4}},
	})
}

func TestReferenceMean(t *testing.T) {
	mean := func(shape, outShape []int, axes []int, keep bool, in, out *models.Quant) func() *models.Graph {
		return func() *models.Graph {
			b := newRefBuilder()
			x := b.input(models.Int8, shape, in)
			y := b.act(models.Int8, outShape, out)
			return b.op(&models.Op{Kind: models.Mean, Inputs: []int{x}, Outputs: []int{y}, Axes: axes, KeepDims: keep})
		}
	}
	runRefCases(t, []refCase{
		// integer_ops/mean.h: sum 11, ×0.5 by SRDHM → 6 (5.5 rounds up), then
		// (6 + 2)/4 = 2, + zp 1 → 3 (a float mean would give 1.375 → 1 → 2).
		{"4d-keepdims", mean([]int{1, 2, 2, 1}, []int{1, 1, 1, 1}, []int{1, 2}, true, q(1, 0), q(2, 1)),
			[][]byte{i8s(1, 2, 3, 5)}, []int{3}},
		// Current TFLM, same quantization, QuantizedMeanOrSum: centred sums 11
		// and 505; multiplier 1 = (2³⁰, 1) rescaled by 1/4 → (2³⁰, −1); SRDHM 6
		// and 253, RDBPOT by 1 → 3 and 127 (126.5 away from zero), − 128 → −125, −1.
		{"same-quant TFLM", mean([]int{1, 2, 2, 2}, []int{1, 2}, []int{1, 2}, false, q(0.1, -128), q(0.1, -128)),
			[][]byte{i8s(-128, -1, -127, -2, -126, -2, -120, -2)}, []int{-125, -1}},
		// Where TFLM and TFLite 2.9 differ: −1, −2, −2, −2 with zero point 0
		// sum to −7: SRDHM(−7, 2³⁰) = −3 (the nudge 1−2³⁰ rounds −3.5 up),
		// RDBPOT(−3, 1) = −2 (−1.5 away from zero); TFLite 2.9 gives −1 below.
		{"same-quant rounds (TFLM)", mean([]int{1, 2, 2, 1}, []int{1, 1}, []int{1, 2}, false, q(0.1, 0), q(0.1, 0)),
			[][]byte{i8s(-1, -2, -2, -2)}, []int{-2}},
		// reduce.h QuantizedMeanOrSum: sum −477 − 4·(−128) = 35; multiplier 0.5
		// = (2³⁰, 0) rescaled by 1/4: (2³⁰, −2); SRDHM 17.5 → 18, RDBPOT(18, 2)
		// = 4.5 → 5, + zp −128 → −123.
		{"requantized", mean([]int{1, 2, 2, 1}, []int{1, 1}, []int{1, 2}, false, q(1, -128), q(2, -128)),
			[][]byte{i8s(-128, -126, -124, -99)}, []int{-123}},
		// One axis, keep_dims, same quantization, TFLM: multiplier (2³⁰, 1)
		// rescaled by 1/3 → (⌊2³¹/3⌋, 0); SRDHM gives 2 (5/3 ≈ 1.67) and −1
		// (−4/3 ≈ −1.33).
		{"one-axis TFLM", mean([]int{1, 1, 3, 2}, []int{1, 1, 1, 2}, []int{2}, true, q(1, 0), q(1, 0)),
			[][]byte{i8s(1, -1, 2, -1, 2, -2)}, []int{2, -1}},
	})
	// Desktop TFLite 2.9 (and TFLM before April 2023), which the TFLite
	// oracle test reproduces.
	runRefCasesWith(t, ref.Semantics{MeanTFLite29: true}, []refCase{
		// reduce.h Mean, same quantization: raw sums −501 and −7 over 4 truncate
		// to −125 and −1 (average pooling would give −2 for the latter).
		{"same-quant", mean([]int{1, 2, 2, 2}, []int{1, 2}, []int{1, 2}, false, q(0.1, -128), q(0.1, -128)),
			[][]byte{i8s(-128, -1, -127, -2, -126, -2, -120, -2)}, []int{-125, -1}},
		{"same-quant truncates (TFLite 2.9)", mean([]int{1, 2, 2, 1}, []int{1, 1}, []int{1, 2}, false, q(0.1, 0), q(0.1, 0)),
			[][]byte{i8s(-1, -2, -2, -2)}, []int{-1}},
		// One axis, keep_dims, same quantization (the TinyEngine exports).
		{"one-axis", mean([]int{1, 1, 3, 2}, []int{1, 1, 1, 2}, []int{2}, true, q(1, 0), q(1, 0)),
			[][]byte{i8s(1, -1, 2, -1, 2, -2)}, []int{1, -1}},
		// The float QuantizedMeanOrSum of TFLite 2.9: sum −477, mean −119.25,
		// scale 0.5, bias 64: −59.625 + 64 = 4.375 → 4, − 128 → −124 (the
		// integer path gives −123 above).
		{"requantized float (TFLite 2.9)", mean([]int{1, 2, 2, 1}, []int{1, 1}, []int{1, 2}, false, q(1, -128), q(2, -128)),
			[][]byte{i8s(-128, -126, -124, -99)}, []int{-124}},
	})
}

func TestReferenceSoftmax(t *testing.T) {
	softmax := func(scale float64, n int) func() *models.Graph {
		return func() *models.Graph {
			b := newRefBuilder()
			x := b.input(models.Int8, []int{1, n}, q(scale, 0))
			y := b.act(models.Int8, []int{1, n}, q(1.0/256, -128))
			return b.op(&models.Op{Kind: models.Softmax, Inputs: []int{x}, Outputs: []int{y}})
		}
	}
	runRefCases(t, []refCase{
		// Two equal inputs: each exp is one, the sum 2 (Q12.19 2²⁰), the
		// reciprocal one half: 128 − 128 = 0.
		{"equal", softmax(0.1, 2), [][]byte{i8s(5, 5)}, []int{0, 0}},
		// Scale 1: diff_min = −15, so the −255 difference is skipped (−128)
		// and the maximum gets 256 − 128, clamped to 127.
		{"dominant", softmax(1, 2), [][]byte{i8s(127, -128)}, []int{127, -128}},
		// Rows computed with TFLite's reference Softmax on gemmlowp's
		// fixedpoint.h (Debian libgemmlowp-dev), at the input scales of
		// kws_ref_model (0.1447) and vww_96_int8 (0.01464).
		{"kws-scale", softmax(0.1447, 11), [][]byte{i8s(38, 87, 127, -83, -56, 21, -17, 127, 9, 127, 54)},
			[]int{-128, -128, -43, -128, -128, -128, -128, -43, -128, -43, -128}},
		{"vww-scale", softmax(0.01464, 10), [][]byte{i8s(-100, -98, -52, -121, -59, -111, -75, 12, -91, -99)},
			[]int{-112, -112, -96, -116, -99, -115, -105, -47, -110, -112}},
		{"small-scale", softmax(0.0016302953, 3), [][]byte{i8s(16, -101, 11)}, []int{-37, -53, -38}},
		{"mid-scale", softmax(0.411760449, 5), [][]byte{i8s(-13, 101, -80, 97, -20)}, []int{-128, 87, -128, -87, -128}},
	})
}

func TestReferenceDataMovement(t *testing.T) {
	concat := func(requant bool) func() *models.Graph {
		return func() *models.Graph {
			b := newRefBuilder()
			x1 := b.input(models.Int8, []int{1, 1, 1, 2}, q(1, 0))
			qb := q(1, 0)
			if requant {
				qb = q(0.5, 1)
			}
			x2 := b.input(models.Int8, []int{1, 1, 1, 3}, qb)
			y := b.act(models.Int8, []int{1, 1, 1, 5}, q(1, 0))
			return b.op(&models.Op{Kind: models.Concat, Inputs: []int{x1, x2}, Outputs: []int{y}, Axis: 3})
		}
	}
	concatRows := func() *models.Graph {
		b := newRefBuilder()
		x1 := b.input(models.Int8, []int{1, 1, 2, 1}, q(1, 0))
		x2 := b.input(models.Int8, []int{1, 2, 2, 1}, q(1, 0))
		y := b.act(models.Int8, []int{1, 3, 2, 1}, q(1, 0))
		return b.op(&models.Op{Kind: models.Concat, Inputs: []int{x1, x2}, Outputs: []int{y}, Axis: 1})
	}
	// 2×3 → 4×5: rows floor(y·0.5) = 0,0,1,1; columns floor(x·0.6) = 0,0,1,1,2.
	resize := func() *models.Graph {
		b := newRefBuilder()
		x := b.input(models.Int8, []int{1, 2, 3, 1}, q(1, 0))
		y := b.act(models.Int8, []int{1, 4, 5, 1}, q(1, 0))
		return b.op(&models.Op{Kind: models.ResizeNearest, Inputs: []int{x}, Outputs: []int{y}})
	}
	transpose := func() *models.Graph {
		b := newRefBuilder()
		x := b.input(models.Int8, []int{1, 2, 3, 2}, q(1, 0))
		y := b.act(models.Int8, []int{1, 2, 2, 3}, q(1, 0))
		return b.op(&models.Op{Kind: models.Transpose, Inputs: []int{x}, Outputs: []int{y}, Axes: []int{0, 3, 1, 2}})
	}
	pad := func() *models.Graph {
		b := newRefBuilder()
		x := b.input(models.Int8, []int{1, 1, 2, 1}, q(1, -3))
		y := b.act(models.Int8, []int{1, 2, 5, 1}, q(1, -3))
		return b.op(&models.Op{Kind: models.Pad, Inputs: []int{x}, Outputs: []int{y}, Pad: models.Padding{Top: 1, Left: 1, Right: 2}})
	}
	reshape := func() *models.Graph {
		b := newRefBuilder()
		x := b.input(models.Int8, []int{1, 1, 1, 3}, q(1, 0))
		y := b.act(models.Int8, []int{1, 3}, q(2, 5)) // RESHAPE copies bytes whatever the quantization
		return b.op(&models.Op{Kind: models.Reshape, Inputs: []int{x}, Outputs: []int{y}})
	}
	runRefCases(t, []refCase{
		{"concat", concat(false), [][]byte{i8s(1, 2), i8s(3, 4, 5)}, []int{1, 2, 3, 4, 5}},
		// Requantized second input (scale 0.5, zp 1): q·0.5 − 0.5 for 3, 4, −2 is
		// 1, 1.5 → 2, −1.5 → −2.
		{"concat-requantize", concat(true), [][]byte{i8s(1, 2), i8s(3, 4, -2)}, []int{1, 2, 1, 2, -2}},
		{"concat-axis1", concatRows, [][]byte{i8s(1, 2), i8s(3, 4, 5, 6)}, []int{1, 2, 3, 4, 5, 6}},
		{"resize", resize, [][]byte{i8s(1, 2, 3, 4, 5, 6)},
			[]int{1, 1, 2, 2, 3, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6, 4, 4, 5, 5, 6}},
		{"transpose", transpose, [][]byte{i8s(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)},
			[]int{0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11}},
		{"pad", pad, [][]byte{i8s(5, 6)}, []int{-3, -3, -3, -3, -3, -3, 5, 6, -3, -3}},
		{"reshape", reshape, [][]byte{i8s(-7, 0, 9)}, []int{-7, 0, 9}},
	})
}

func TestReferenceQuantize(t *testing.T) {
	quantize := func(in, out models.DType, qin, qout *models.Quant) func() *models.Graph {
		return func() *models.Graph {
			b := newRefBuilder()
			x := b.input(in, []int{1, 4}, qin)
			y := b.act(out, []int{1, 4}, qout)
			kind := models.Quantize
			if out == models.Float32 {
				kind = models.Dequantize
			}
			return b.op(&models.Op{Kind: kind, Inputs: []int{x}, Outputs: []int{y}})
		}
	}
	runRefCases(t, []refCase{
		// x/0.5 = 0, 0.5, 1.5, −0.5 round half away from zero, + zp −1.
		{"float-int8", quantize(models.Float32, models.Int8, nil, q(0.5, -1)),
			[][]byte{f32s(0, 0.25, 0.75, -0.25)}, []int{-1, 0, 1, -2}},
		// −1.5 → −3; 1000 and −1000 clamp.
		{"float-int8-clamp", quantize(models.Float32, models.Int8, nil, q(0.5, -1)),
			[][]byte{f32s(-0.75, 1000, -1000, float32(math.Inf(1)))}, []int{-3, 127, -128, 127}},
		// The STM32 model-zoo input conversion: same scale, zero point 128 → 0.
		{"uint8-int8", quantize(models.UInt8, models.Int8, q(1.0/128, 128), q(1.0/128, 0)),
			[][]byte{u8s(0, 128, 255, 1)}, []int{-128, 0, 127, -127}},
		{"int8-uint8", quantize(models.Int8, models.UInt8, q(1.0/128, 0), q(1.0/128, 128)),
			[][]byte{i8s(-128, 0, 127, -127)}, []int{0, 128, 255, 1}},
		// Requantize by 0.5 = (2³⁰, 0): SRDHM's ties round up: 1.5 → 2, −1.5 → −1.
		{"int8-int8", quantize(models.Int8, models.Int8, q(1, 0), q(2, 0)),
			[][]byte{i8s(3, -3, 5, -5)}, []int{2, -1, 3, -2}},
		// float(double(0.5)·(q + 1)).
		{"dequantize", quantize(models.Int8, models.Float32, q(0.5, -1), nil),
			[][]byte{i8s(-1, 0, 127, -128)}, []float32{0, 0.5, 64, -63.5}},
	})
}

func TestReferenceErrors(t *testing.T) {
	conv := func() *models.Graph {
		b := newRefBuilder()
		x := b.input(models.Int8, []int{1, 1, 1, 1}, q(1, 0))
		w := b.weights([]int{1, 1, 1, 1}, 0, []float64{1}, 1)
		y := b.act(models.Int8, []int{1, 1, 1, 1}, q(1, 0))
		return b.op(&models.Op{Kind: models.Conv2D, Name: "c", Inputs: []int{x, w}, Outputs: []int{y},
			KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1})
	}
	cases := []struct {
		name   string
		mutate func(g *models.Graph) [][]byte
		want   string
	}{
		{"too-few-inputs", func(g *models.Graph) [][]byte { return nil }, "has 1 inputs, got 0"},
		{"input-size", func(g *models.Graph) [][]byte { return [][]byte{{1, 2}} }, "needs 1 bytes, got 2"},
		{"no-weights", func(g *models.Graph) [][]byte {
			g.Tensors[1].Data = nil
			return [][]byte{{1}}
		}, `operator 0 (CONV_2D "c"): constant input 1`},
		{"int4", func(g *models.Graph) [][]byte {
			g.Tensors[1].DType = models.Int4
			return [][]byte{{1}}
		}, "int4 execution is not supported"},
		{"no-quant", func(g *models.Graph) [][]byte {
			g.Tensors[2].Quant = nil
			return [][]byte{{1}}
		}, "no quantization parameters"},
		{"float-conv", func(g *models.Graph) [][]byte {
			g.Tensors[0].DType = models.Float32
			return [][]byte{{0, 0, 0, 0}}
		}, "element type float32"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := conv()
			_, err := ref.Reference(g, c.mutate(g))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// refInputs returns deterministic random inputs for g: random bytes for
// integer inputs, floats uniform in [0, 1) for float32 inputs.
func refInputs(g *models.Graph, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 0x7265666572656e63))
	var ins [][]byte
	for _, ti := range g.Inputs {
		t := g.Tensors[ti]
		b := make([]byte, t.Bytes())
		if t.DType == models.Float32 {
			for i := 0; i < len(b); i += 4 {
				binary.LittleEndian.PutUint32(b[i:], math.Float32bits(rng.Float32()))
			}
		} else {
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
		}
		ins = append(ins, b)
	}
	return ins
}

// refMaxShortMACs is the MAC count above which end-to-end runs are skipped
// under -short.
const refMaxShortMACs = 300_000_000

// TestReferenceTFLiteModels runs every .tflite of the shared data folder that
// the importer accepts on a fixed random input and checks the outputs' sizes,
// determinism and, for models that end in an int8 softmax (optionally
// dequantized), that the probabilities add up to about one.
func TestReferenceTFLiteModels(t *testing.T) {
	root := datatest.Require(t)
	var files []string
	for _, pat := range []string{"*/*.tflite", "*/*/*.tflite"} {
		m, err := filepath.Glob(filepath.Join(root, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no .tflite files under %s", root)
	}
	ran := 0
	for _, path := range files {
		rel, _ := filepath.Rel(root, path)
		t.Run(rel, func(t *testing.T) {
			g, err := tflite.Load(path)
			if err != nil {
				t.Skipf("not importable: %v", err)
			}
			if testing.Short() && g.MACs() > refMaxShortMACs {
				t.Skipf("%d MACs; skipped under -short", g.MACs())
			}
			ran++
			in := refInputs(g, 1)
			outs, err := ref.Reference(g, in)
			if err != nil {
				t.Fatal(err)
			}
			again, err := ref.Reference(g, in)
			if err != nil {
				t.Fatal(err)
			}
			for i, ti := range g.Outputs {
				out := g.Tensors[ti]
				if len(outs[i]) != out.Bytes() {
					t.Errorf("output %d (%s %s) has %d bytes, want %d", i, out.DType, models.ShapeString(out.Shape), len(outs[i]), out.Bytes())
				}
				if !bytes.Equal(outs[i], again[i]) {
					t.Errorf("output %d differs between two runs", i)
				}
			}
			checkSoftmaxSum(t, g, outs)
		})
	}
	t.Logf("ran %d of %d models", ran, len(files))
}

// checkSoftmaxSum checks that an output produced by SOFTMAX (or by DEQUANTIZE of
// a SOFTMAX) sums to about one: 256 steps of 1/256, give or take one per class.
func checkSoftmaxSum(t *testing.T, g *models.Graph, outs [][]byte) {
	producer := map[int]*models.Op{}
	for _, op := range g.Ops {
		producer[op.Outputs[0]] = op
	}
	for i, ti := range g.Outputs {
		op := producer[ti]
		if op != nil && op.Kind == models.Dequantize {
			op = producer[op.Inputs[0]]
		}
		if op == nil || op.Kind != models.Softmax {
			continue
		}
		out := g.Tensors[ti]
		classes := out.Dim(-1)
		var sum float64
		switch out.DType {
		case models.Int8:
			for _, b := range outs[i] {
				sum += float64(int(int8(b))+128) / 256
			}
		case models.Float32:
			for k := 0; k < len(outs[i]); k += 4 {
				sum += float64(math.Float32frombits(binary.LittleEndian.Uint32(outs[i][k:])))
			}
		default:
			continue
		}
		rows := float64(out.Elements() / classes)
		if tol := rows * float64(classes) / 256; math.Abs(sum-rows) > tol {
			t.Errorf("softmax output %d sums to %.4f over %g rows (tolerance %.4f)", i, sum, rows, tol)
		}
	}
}

// TestReferenceZoo runs every zoo model through Synthesize and Reference with a
// fixed seed and checks that the synthetic quantization keeps the signal alive:
// the logits are not all equal, and no activation tensor is mostly saturated,
// stuck at its zero point or reduced to a handful of values.
func TestReferenceZoo(t *testing.T) {
	for _, e := range zoo.Entries() {
		t.Run(e.Name, func(t *testing.T) {
			g, err := zoo.Load(e.Name)
			if err != nil {
				t.Fatal(err)
			}
			if testing.Short() && g.MACs() > refMaxShortMACs {
				t.Skipf("%d MACs; skipped under -short", g.MACs())
			}
			s, err := models.Synthesize(g, 1)
			if err != nil {
				t.Fatal(err)
			}
			logits := s.Outputs[0]
			s.Outputs = nil // observe every activation
			for i, tt := range s.Tensors {
				if !tt.Const {
					s.Outputs = append(s.Outputs, i)
				}
			}
			outs, err := ref.Reference(s, refInputs(s, 2))
			if err != nil {
				t.Fatal(err)
			}
			for k, ti := range s.Outputs {
				tt := s.Tensors[ti]
				vals := ints(tt.DType, outs[k])
				zp := int(tt.Quant.ZeroPoint[0])
				var sat, atZero int
				distinct := map[int]bool{}
				for _, v := range vals {
					if v == 127 || v == -128 && zp != -128 {
						sat++
					}
					if v == zp {
						atZero++
					}
					distinct[v] = true
				}
				n := float64(len(vals))
				if ti == logits && len(distinct) < 2 {
					t.Errorf("logits are all equal (%d)", vals[0])
				}
				if float64(sat)/n > 0.1 || float64(atZero)/n > 0.8 || len(distinct) < min(len(vals), 8) {
					t.Errorf("%s: %.0f%% saturated, %.0f%% at the zero point, %d distinct values",
						tt.Name, 100*float64(sat)/n, 100*float64(atZero)/n, len(distinct))
				}
			}
		})
	}
}
