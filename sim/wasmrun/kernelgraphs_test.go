package wasmrun_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"

	"mcusim/models"
)

// graphBuilder builds the small int8 NHWC graphs of the kernel conformance
// suite by hand: real weight bytes, per-channel weight scales, and input and
// output quantization drawn from a seeded math/rand/v2 PCG, so that every case
// is the same on every run and every machine.
//
// Scales are chosen so that outputs spread over the int8 range instead of
// saturating (a test that compares saturated bytes proves little): a
// convolution's weight scales put the real pre-activation RMS near convRMS,
// and its output scale spends about 32 quantization steps on one RMS (the rule
// models.Synthesize uses, see its doc comment). Every scale is rounded to
// float32, the precision TFLite stores.
type graphBuilder struct {
	g   *models.Graph
	rng *rand.Rand
}

// convRMS is the real RMS a convolution's pre-activation is scaled to. It is
// large enough that the ReLU6 clamp at 6 (1.5 RMS) cuts the top of the
// distribution.
const convRMS = 4.0

// Statistics of the uniform int8 draws: the RMS of a weight uniform on
// [−127, 127] and the standard deviation of an input uniform on [−128, 127].
const (
	weightRMS = 73.3 // √((127·128)/3)
	inputStd  = 73.9 // √((256²−1)/12)
)

func newGraphBuilder(name string, seed uint64) *graphBuilder {
	return &graphBuilder{g: &models.Graph{Name: name}, rng: rand.New(rand.NewPCG(seed, 0x636f6e666f726d))}
}

// f32 rounds a scale to float32.
func f32(x float64) float64 { return float64(float32(x)) }

// uniform draws from [lo, hi).
func (b *graphBuilder) uniform(lo, hi float64) float64 { return lo + (hi-lo)*b.rng.Float64() }

// logUniform draws a scale log-uniformly from [lo, hi).
func (b *graphBuilder) logUniform(lo, hi float64) float64 {
	return math.Exp(b.uniform(math.Log(lo), math.Log(hi)))
}

func (b *graphBuilder) tensor(t *models.Tensor) int {
	b.g.Tensors = append(b.g.Tensors, t)
	return len(b.g.Tensors) - 1
}

func perTensor(scale float64, zp int64) *models.Quant {
	return &models.Quant{Scale: []float64{f32(scale)}, ZeroPoint: []int64{zp}}
}

// act adds an int8 activation tensor with per-tensor quantization.
func (b *graphBuilder) act(name string, shape []int, scale float64, zp int64) int {
	return b.tensor(&models.Tensor{Name: name, Shape: shape, DType: models.Int8, Quant: perTensor(scale, zp)})
}

// input adds a graph input with a random scale in [1/512, 1/8).
func (b *graphBuilder) input(shape []int, zp int64) int {
	t := b.act(fmt.Sprintf("input%d", len(b.g.Inputs)), shape, b.logUniform(1.0/512, 1.0/8), zp)
	b.g.Inputs = append(b.g.Inputs, t)
	return t
}

// output makes t the graph output and returns the graph.
func (b *graphBuilder) output(t int) *models.Graph {
	b.g.Outputs = []int{t}
	return b.g
}

func (b *graphBuilder) op(op *models.Op) {
	op.Name = fmt.Sprintf("%s%d", op.Kind, len(b.g.Ops))
	op.Block = -1
	b.g.Ops = append(b.g.Ops, op)
}

// weights draws n int8 weights uniform on [−127, 127] (TFLite's symmetric range).
func (b *graphBuilder) weights(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(int8(b.rng.IntN(255) - 127))
	}
	return out
}

// bias draws n int32 biases uniform on [−bound, bound].
func (b *graphBuilder) bias(n int, bound float64) []byte {
	out := make([]byte, 4*n)
	bi := int(bound)
	for c := range n {
		binary.LittleEndian.PutUint32(out[4*c:], uint32(int32(b.rng.IntN(2*bi+1)-bi)))
	}
	return out
}

// samePad is TFLite's SAME padding along one dimension (Padding in
// models/graph.go): out = ceil(in/s), total = max((out−1)·s + k_eff − in, 0),
// lo = total/2, hi = total − lo. Stride 2 on an even input with an odd kernel
// gives lo < hi (0 and 1 for 3×3).
func samePad(in, k, s, d int) (lo, hi, out int) {
	out = (in + s - 1) / s
	total := max((out-1)*s+(k-1)*d+1-in, 0)
	return total / 2, total - total/2, out
}

// convSpec is one CONV_2D or DEPTHWISE_CONV_2D of the grid.
type convSpec struct {
	depthwise    bool
	h, w, cin    int
	cout         int // CONV_2D output channels
	mult         int // DEPTHWISE_CONV_2D depth multiplier
	kh, kw       int
	stride, dil  int
	same         bool // TFLite SAME padding, else VALID
	act          models.Activation
	inZP, outZP  int64
	noBias       bool
	outScaleBump float64 // extra factor on the output scale (1 when 0)
}

func (s convSpec) name() string {
	pad := "valid"
	if s.same {
		pad = "same"
	}
	n := fmt.Sprintf("conv%dx%d_s%d_%s_%dx%d_c%d-%d", s.kh, s.kw, s.stride, pad, s.h, s.w, s.cin, s.cout)
	if s.depthwise {
		n = fmt.Sprintf("dw%dx%d_s%d_%s_%dx%d_c%d_m%d", s.kh, s.kw, s.stride, pad, s.h, s.w, s.cin, s.mult)
	}
	if s.dil > 1 {
		n += fmt.Sprintf("_d%d", s.dil)
	}
	if s.act != models.ActNone {
		n += "_" + map[models.Activation]string{models.ActReLU: "relu", models.ActReLU6: "relu6"}[s.act]
	}
	if s.noBias {
		n += "_nobias"
	}
	return n
}

// conv appends the convolution of spec to tensor x and returns its output.
// Weights are quantized per output channel (dimension 0 of [Cout,kh,kw,Cin],
// dimension 3 of the depthwise [1,kh,kw,C]) with scales that differ by up to 3×.
func (b *graphBuilder) conv(x int, s convSpec) int {
	in := b.g.Tensors[x]
	h, w, cin := in.HWC()
	dil := max(s.dil, 1)
	var pad models.Padding
	var oh, ow int
	if s.same {
		pad.Top, pad.Bottom, oh = samePad(h, s.kh, s.stride, dil)
		pad.Left, pad.Right, ow = samePad(w, s.kw, s.stride, dil)
	} else {
		oh = (h-(s.kh-1)*dil-1)/s.stride + 1
		ow = (w-(s.kw-1)*dil-1)/s.stride + 1
	}
	kind, cout, fanIn, axis := models.Conv2D, s.cout, s.kh*s.kw*cin, 0
	wshape := []int{cout, s.kh, s.kw, cin}
	if s.depthwise {
		kind, cout, fanIn, axis = models.DepthwiseConv2D, cin*s.mult, s.kh*s.kw, 3
		wshape = []int{1, s.kh, s.kw, cout}
	}
	inScale, inZP := in.Quant.Scale[0], in.Quant.ZeroPoint[0]
	// RMS of the accumulator in integer units: Σ over fanIn of w·(x − zp_in).
	acc := math.Sqrt(float64(fanIn)) * weightRMS * math.Hypot(inputStd, float64(inZP)+0.5)
	scales := make([]float64, cout)
	biasScales := make([]float64, cout)
	for c := range scales {
		scales[c] = f32(convRMS / (acc * inScale) * b.uniform(0.5, 1.5))
		biasScales[c] = f32(inScale * scales[c])
	}
	wt := b.tensor(&models.Tensor{Name: fmt.Sprintf("w%d", len(b.g.Ops)), Shape: wshape, DType: models.Int8, Const: true,
		Quant: &models.Quant{Scale: scales, ZeroPoint: make([]int64, cout), Axis: axis}, Data: b.weights(wshape[0] * wshape[1] * wshape[2] * wshape[3])})
	bias := -1
	if !s.noBias {
		bias = b.tensor(&models.Tensor{Name: fmt.Sprintf("b%d", len(b.g.Ops)), Shape: []int{cout}, DType: models.Int32, Const: true,
			Quant: &models.Quant{Scale: biasScales, ZeroPoint: make([]int64, cout)}, Data: b.bias(cout, acc/2)})
	}
	bump := s.outScaleBump
	if bump == 0 {
		bump = 1
	}
	out := b.act(fmt.Sprintf("out%d", len(b.g.Ops)), []int{1, oh, ow, cout}, convRMS/32*b.uniform(0.8, 1.25)*bump, s.outZP)
	op := &models.Op{Kind: kind, Inputs: []int{x, wt, bias}, Outputs: []int{out},
		KernelH: s.kh, KernelW: s.kw, StrideH: s.stride, StrideW: s.stride, DilationH: dil, DilationW: dil,
		Pad: pad, Act: s.act}
	if s.depthwise {
		op.DepthMultiplier = s.mult
	}
	b.op(op)
	return out
}

// fc appends a FULLY_CONNECTED with out outputs to x (read as one batch of all
// its elements), with per-channel or per-tensor weight scales.
func (b *graphBuilder) fc(x, outs int, perChannel bool, act models.Activation, outZP int64) int {
	in := b.g.Tensors[x]
	n := in.Elements()
	inScale, inZP := in.Quant.Scale[0], in.Quant.ZeroPoint[0]
	acc := math.Sqrt(float64(n)) * weightRMS * math.Hypot(inputStd, float64(inZP)+0.5)
	q := perTensor(convRMS/(acc*inScale)*b.uniform(0.5, 1.5), 0)
	bq := perTensor(inScale*q.Scale[0], 0)
	if perChannel {
		q = &models.Quant{ZeroPoint: make([]int64, outs)}
		bq = &models.Quant{ZeroPoint: make([]int64, outs)}
		for range outs {
			s := f32(convRMS / (acc * inScale) * b.uniform(0.5, 1.5))
			q.Scale = append(q.Scale, s)
			bq.Scale = append(bq.Scale, f32(inScale*s))
		}
	}
	wt := b.tensor(&models.Tensor{Name: fmt.Sprintf("w%d", len(b.g.Ops)), Shape: []int{outs, n}, DType: models.Int8, Const: true,
		Quant: q, Data: b.weights(outs * n)})
	bias := b.tensor(&models.Tensor{Name: fmt.Sprintf("b%d", len(b.g.Ops)), Shape: []int{outs}, DType: models.Int32, Const: true,
		Quant: bq, Data: b.bias(outs, acc/2)})
	out := b.act(fmt.Sprintf("out%d", len(b.g.Ops)), []int{1, outs}, convRMS/32*b.uniform(0.8, 1.25), outZP)
	b.op(&models.Op{Kind: models.FullyConnected, Inputs: []int{x, wt, bias}, Outputs: []int{out}, Act: act})
	return out
}

// fcRoundingEdge appends a per-tensor FULLY_CONNECTED whose output 0 tells the
// two ways of deriving the output multiplier apart: TFLite's
// GetQuantizedConvolutionMultipler (tensorflow/lite/kernels/kernel_util.cc,
// used by fully_connected.cc for per-tensor weights) multiplies the input and
// filter scales in float32 before widening to double, while the convolutions'
// PopulateConvolutionQuantizationParams multiplies in double. The multipliers
// differ in their low bits for almost every scale triple, but an output changes
// only when it lies within about 1e−5 of a rounding boundary, which random data
// never hits. So channel 0 gets zero weights (its accumulator is 0 for every
// input) and a bias on which the two multipliers round differently; scales are
// redrawn until such a bias exists inside the int8 output range.
func (b *graphBuilder) fcRoundingEdge(x, outs int, outZP int64) int {
	y := b.fc(x, outs, false, models.ActNone, outZP)
	op := b.g.Ops[len(b.g.Ops)-1]
	w, bias, out := b.g.Tensors[op.Inputs[1]], b.g.Tensors[op.Inputs[2]], b.g.Tensors[y]
	in := b.g.Tensors[x]
	for range 1000 {
		si, sw, so := float32(in.Quant.Scale[0]), float32(w.Quant.Scale[0]), float32(out.Quant.Scale[0])
		m32, s32 := models.QuantizeMultiplier(float64(si*sw) / float64(so))
		m64, s64 := models.QuantizeMultiplier(float64(si) * float64(sw) / float64(so))
		if m32 != m64 || s32 != s64 {
			limit := int32(float64(100) / (float64(si) * float64(sw) / float64(so)))
			for a := int32(1); a < limit; a++ {
				for _, acc := range []int32{a, -a} {
					if models.MultiplyByQuantizedMultiplier(acc, m32, s32) != models.MultiplyByQuantizedMultiplier(acc, m64, s64) {
						n := w.Dim(1)
						clear(w.Data[:n])
						binary.LittleEndian.PutUint32(bias.Data, uint32(acc))
						return y
					}
				}
			}
		}
		w.Quant.Scale[0] = f32(w.Quant.Scale[0] * b.uniform(0.9, 1.1))
	}
	panic("fcRoundingEdge: no distinguishing bias found")
}

// constant adds an int8 constant operand with its own quantization.
func (b *graphBuilder) constant(shape []int, zp int64) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(b.rng.IntN(256))
	}
	return b.tensor(&models.Tensor{Name: fmt.Sprintf("k%d", len(b.g.Tensors)), Shape: shape, DType: models.Int8,
		Const: true, Quant: perTensor(b.logUniform(1.0/512, 1.0/8), zp), Data: data})
}

// binary appends ADD or MUL of x and y (either may broadcast as 1×1×C or a
// scalar); the output has the larger operand's shape and a scale that spends
// about 32 steps on the RMS of the real result.
func (b *graphBuilder) binary(kind models.OpKind, x, y int, act models.Activation, outZP int64) int {
	tx, ty := b.g.Tensors[x], b.g.Tensors[y]
	shape := tx.Shape
	if ty.Elements() > tx.Elements() {
		shape = ty.Shape
	}
	rms := func(t *models.Tensor) float64 {
		return t.Quant.Scale[0] * math.Hypot(inputStd, float64(t.Quant.ZeroPoint[0])+0.5)
	}
	sigma := math.Hypot(rms(tx), rms(ty))
	if kind == models.Mul {
		sigma = rms(tx) * rms(ty)
	}
	out := b.act(fmt.Sprintf("out%d", len(b.g.Ops)), append([]int(nil), shape...), sigma/32*b.uniform(0.8, 1.25), outZP)
	b.op(&models.Op{Kind: kind, Inputs: []int{x, y}, Outputs: []int{out}, Act: act})
	return out
}

// pool appends AVERAGE_POOL_2D or MAX_POOL_2D with a k×k window; input and
// output share the quantization, as TFLite requires.
func (b *graphBuilder) pool(kind models.OpKind, x, k, stride int, same bool, act models.Activation) int {
	in := b.g.Tensors[x]
	h, w, c := in.HWC()
	var pad models.Padding
	var oh, ow int
	if same {
		pad.Top, pad.Bottom, oh = samePad(h, k, stride, 1)
		pad.Left, pad.Right, ow = samePad(w, k, stride, 1)
	} else {
		oh, ow = (h-k)/stride+1, (w-k)/stride+1
	}
	out := b.act(fmt.Sprintf("out%d", len(b.g.Ops)), []int{1, oh, ow, c}, in.Quant.Scale[0], in.Quant.ZeroPoint[0])
	b.op(&models.Op{Kind: kind, Inputs: []int{x}, Outputs: []int{out}, KernelH: k, KernelW: k,
		StrideH: stride, StrideW: stride, Pad: pad, Act: act})
	return out
}

// mean appends MEAN over H and W. With sameQuant the output keeps the input's
// quantization; otherwise it gets a new scale and outZP.
func (b *graphBuilder) mean(x int, keepDims, sameQuant bool, outZP int64) int {
	in := b.g.Tensors[x]
	_, _, c := in.HWC()
	shape := []int{1, c}
	if keepDims {
		shape = []int{1, 1, 1, c}
	}
	scale, zp := in.Quant.Scale[0], in.Quant.ZeroPoint[0]
	if !sameQuant {
		// The mean of n uniform values has a standard deviation √n times smaller.
		scale, zp = scale/math.Sqrt(float64(in.Elements()/c))*b.uniform(0.8, 1.25)*4, outZP
	}
	out := b.act(fmt.Sprintf("out%d", len(b.g.Ops)), shape, scale, zp)
	b.op(&models.Op{Kind: models.Mean, Inputs: []int{x}, Outputs: []int{out}, Axes: []int{1, 2}, KeepDims: keepDims})
	return out
}

// concat appends CONCATENATION along channels; all operands share the output's
// quantization (the byte-copy path of TFLite's int8 kernel).
func (b *graphBuilder) concat(xs ...int) int {
	first := b.g.Tensors[xs[0]]
	h, w, _ := first.HWC()
	c := 0
	for _, x := range xs {
		c += b.g.Tensors[x].Dim(-1)
	}
	out := b.act(fmt.Sprintf("out%d", len(b.g.Ops)), []int{1, h, w, c}, first.Quant.Scale[0], first.Quant.ZeroPoint[0])
	b.op(&models.Op{Kind: models.Concat, Inputs: xs, Outputs: []int{out}, Axis: 3})
	return out
}

// inputWithQuant adds a graph input that shares the quantization of tensor t
// (the operands of a same-quantization CONCATENATION).
func (b *graphBuilder) inputWithQuant(shape []int, t int) int {
	q := b.g.Tensors[t].Quant
	x := b.act(fmt.Sprintf("input%d", len(b.g.Inputs)), shape, q.Scale[0], q.ZeroPoint[0])
	b.g.Inputs = append(b.g.Inputs, x)
	return x
}
