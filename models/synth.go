package models

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Synthetic weights and quantization for graphs without trained parameters.
//
// Zoo and MCUNet-JSON graphs carry shapes and placeholder quantization only;
// executing them (ref.Reference, the generated kernels) needs weight bytes
// and quantization parameters under which the signal neither vanishes nor
// saturates from layer to layer. Synthesize provides both, deterministically
// and without running the network: every choice below follows from the seed,
// the tensor index and the shapes.
//
// Random numbers. Tensor i draws from its own generator,
// rand.NewPCG(uint64(seed), uint64(i)) (math/rand/v2's PCG-DXSM, whose output
// stream is fixed by its definition), using Uint64 only:
//
//   - an int8 weight is Uint64()%255 − 127, uniform in [−127, 127] (TFLite's
//     symmetric int8 weight range), drawn in storage order after the
//     per-channel jitters u_c = 0.5 + (Uint64()>>11)/2⁵³ in [0.5, 1.5) of its
//     output channels;
//   - an int32 bias is Uint64()%(2B_c+1) − B_c, uniform in [−B_c, B_c] (B_c below);
//   - any other constant without data gets integers Uint64()%255 − 127
//     (Uint64()%256 for uint8), floats (Uint64()>>40)/2²³ − 1, booleans
//     Uint64()%2.
//
// Scales. The synthesizer tracks, for every activation tensor, an estimate m of
// the RMS of its real value, from the graph input forward (assuming
// independent, zero-mean weights):
//
//   - graph inputs are uniform over their type: int8 gets scale 1/128, zero
//     point 0 (uint8: 1/128 and 128; int16: 1/32768 and 0) and m = 1/√3; float32
//     inputs are assumed uniform in [−1, 1), m = 1/√3;
//   - CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED with fan-in F (kh·kw·Cin,
//     kh·kw, in) get per-channel weight scales w_c = u_c/(rms(q_c)·√F·m_in),
//     zero points 0, quantized along dimension 0 ([Cout,kh,kw,Cin] and [out,in])
//     or 3 ([1,kh,kw,C]): the real pre-activation of channel c then has RMS u_c,
//     as if batch normalisation had been folded into the weights (a fixed
//     He-style √(2/F) would make the real values grow by √2 per linear layer
//     and through every residual ADD, until ReLU6 clamps everything at 6). The
//     accumulator of channel c has RMS A_c = rms(q_c)·√F·m_in/s_in in integer
//     units, the bias bound is B_c = round(A_c/2) and the bias scale s_in·w_c.
//     The pre-activation RMS is σ² = mean_c(F·(w_c·rms(q_c))²·m_in² +
//     (s_in·w_c·b_c)²) — the output scale rule s_out = s_in·w·σ_w·√F/σ_target
//     written per channel, with σ_w = rms(q_c) and σ_target below;
//   - ADD gives σ² = m1² + m2², MUL σ = m1·m2;
//   - an output with σ is quantized with σ_target = 32 steps: without
//     activation scale σ/32 and zero point 0 (±127 covers ±4σ); after ReLU
//     (TFLite's convention for a non-negative range) zero point −128 and scale
//     σ/64 (0…255 steps cover 0…4σ), after ReLU6 scale min(σ/64, 6/255). The
//     RMS passed on is σ, or σ/√2 after ReLU/ReLU6 (the clamp at 6 ignored);
//   - AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, PAD, RESHAPE, TRANSPOSE,
//     RESIZE_NEAREST_NEIGHBOR and CONCATENATION take the quantization of their
//     (first) input, as TFLite requires for most of them, and pass m on;
//   - SOFTMAX outputs get TFLite's fixed scale 1/256 and zero point −128 (uint8:
//     0; int16: 1/65536 and −32768); QUANTIZE from float32 is quantized like an
//     output without activation, between integer types it keeps the scale and
//     moves the zero point by 128 when switching between int8 and uint8;
//     DEQUANTIZE outputs are float32 without quantization.
//
// Every scale is rounded to float32, the precision TFLite stores.
//
// Synthesize returns a deep copy of g. When every constant of g already has
// data (a .tflite model) the copy is returned unchanged. Otherwise every
// constant without data is synthesized, weights and biases as above, and every
// quantized activation tensor gets the quantization derived above, replacing
// the placeholders; constants that already have data keep it and their
// quantization. Graphs with Int4 tensors are refused: int4 execution is not
// supported.
func Synthesize(g *Graph, seed int64) (*Graph, error) {
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("synthesize: %v", err)
	}
	out := cloneGraph(g)
	missing := false
	for i, t := range out.Tensors {
		if t.DType == Int4 {
			return nil, fmt.Errorf("synthesize %s: tensor %d (%s) is int4: int4 execution is not supported", g.Name, i, t.Name)
		}
		if t.Const && len(t.Data) == 0 {
			missing = true
		}
	}
	if !missing {
		return out, nil
	}
	s := &synthesizer{g: out, seed: seed, rms: make([]float64, len(out.Tensors))}
	for _, ti := range out.Inputs {
		s.input(ti)
	}
	for oi, op := range out.Ops {
		if err := s.op(op); err != nil {
			return nil, fmt.Errorf("synthesize %s: operator %d (%s %q): %v", g.Name, oi, op.Kind, op.Name, err)
		}
	}
	for i, t := range out.Tensors {
		if t.Const && len(t.Data) == 0 {
			s.fillOther(i)
		}
	}
	return out, nil
}

// cloneGraph deep-copies a graph: tensors (shape, quantization, data),
// operators and the input and output lists.
func cloneGraph(g *Graph) *Graph {
	out := &Graph{Name: g.Name, Inputs: slices.Clone(g.Inputs), Outputs: slices.Clone(g.Outputs)}
	out.Tensors = make([]*Tensor, len(g.Tensors))
	for i, t := range g.Tensors {
		c := *t
		c.Shape = slices.Clone(t.Shape)
		c.Data = slices.Clone(t.Data)
		if t.Quant != nil {
			c.Quant = &Quant{Scale: slices.Clone(t.Quant.Scale), ZeroPoint: slices.Clone(t.Quant.ZeroPoint), Axis: t.Quant.Axis}
		}
		out.Tensors[i] = &c
	}
	out.Ops = make([]*Op, len(g.Ops))
	for i, op := range g.Ops {
		c := *op
		c.Inputs = slices.Clone(op.Inputs)
		c.Outputs = slices.Clone(op.Outputs)
		c.Axes = slices.Clone(op.Axes)
		out.Ops[i] = &c
	}
	return out
}

// Constants of the synthetic quantization (see Synthesize).
const (
	synthTargetSteps = 32 // σ_target: quantization steps per RMS of a signed output
	synthReLU6Max    = 6.0
	synthPreActRMS   = 1.0 // real RMS of a synthesized pre-activation (times the jitter)
)

// uniformRMS is the RMS of a uniform distribution on [−1, 1).
var uniformRMS = 1 / math.Sqrt(3)

// synthesizer carries the per-tensor RMS estimates of Synthesize.
type synthesizer struct {
	g    *Graph
	seed int64
	rms  []float64 // estimated RMS of each tensor's real value
}

// rng is the generator of tensor i.
func (s *synthesizer) rng(i int) *rand.PCG { return rand.NewPCG(uint64(s.seed), uint64(i)) }

// f32 rounds a scale to float32, the precision TFLite keeps.
func f32(x float64) float64 { return float64(float32(x)) }

func perTensor(scale float64, zp int64) *Quant {
	return &Quant{Scale: []float64{f32(scale)}, ZeroPoint: []int64{zp}}
}

// input quantizes a graph input as uniform over its type.
func (s *synthesizer) input(ti int) {
	t := s.g.Tensors[ti]
	s.rms[ti] = uniformRMS
	switch t.DType {
	case Int8:
		t.Quant = perTensor(1.0/128, 0)
	case UInt8:
		t.Quant = perTensor(1.0/128, 128)
	case Int16:
		t.Quant = perTensor(1.0/32768, 0)
	default:
		t.Quant = nil
	}
}

// setOutput quantizes an activation with pre-activation RMS sigma under act and
// records the RMS passed on.
func (s *synthesizer) setOutput(ti int, sigma float64, act Activation) {
	t := s.g.Tensors[ti]
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		sigma = 1
	}
	s.rms[ti] = sigma
	if act != ActNone {
		s.rms[ti] = sigma / math.Sqrt2
	}
	qmin, qmax, ok := QuantizedRange(t.DType)
	if !ok || t.DType == Int32 {
		t.Quant = nil
		return
	}
	steps := float64(qmax-qmin+1) / 256 * synthTargetSteps // 32 for 8-bit, 8192 for int16
	switch act {
	case ActNone:
		t.Quant = perTensor(sigma/steps, int64(qmin+qmax+1)/2)
	case ActReLU, ActReLU6:
		scale := sigma / (2 * steps)
		if act == ActReLU6 {
			scale = min(scale, synthReLU6Max/float64(qmax-qmin))
		}
		t.Quant = perTensor(scale, int64(qmin))
	}
}

// copyQuant gives the output the quantization and RMS of input in.
func (s *synthesizer) copyQuant(out, in int) {
	src := s.g.Tensors[in]
	dst := s.g.Tensors[out]
	s.rms[out] = s.rms[in]
	if src.Quant == nil || dst.DType != src.DType {
		dst.Quant = nil
		if dst.DType != src.DType {
			s.setOutput(out, s.rms[in], ActNone)
		}
		return
	}
	dst.Quant = &Quant{Scale: slices.Clone(src.Quant.Scale), ZeroPoint: slices.Clone(src.Quant.ZeroPoint), Axis: src.Quant.Axis}
}

// scaleOf returns the per-tensor scale of a quantized tensor, 1 without one.
func scaleOf(t *Tensor) float64 {
	if t.Quant == nil || len(t.Quant.Scale) == 0 || !(t.Quant.Scale[0] > 0) {
		return 1
	}
	return t.Quant.Scale[0]
}

func (s *synthesizer) op(op *Op) error {
	out := op.Outputs[0]
	switch op.Kind {
	case Conv2D, DepthwiseConv2D, FullyConnected:
		return s.conv(op)
	case Add, Mul:
		for _, ti := range op.Inputs {
			if ti >= 0 && s.g.Tensors[ti].Const && len(s.g.Tensors[ti].Data) == 0 {
				s.fillOther(ti)
			}
		}
		if len(op.Inputs) != 2 || op.Inputs[1] < 0 {
			return fmt.Errorf("needs two operands")
		}
		m1, m2 := s.rms[op.Inputs[0]], s.rms[op.Inputs[1]]
		sigma := math.Sqrt(m1*m1 + m2*m2)
		if op.Kind == Mul {
			sigma = m1 * m2
		}
		s.setOutput(out, sigma, op.Act)
	case AveragePool, MaxPool, Mean, Pad, Reshape, Transpose, ResizeNearest, Concat:
		s.copyQuant(out, op.Inputs[0])
		if op.Kind == Concat {
			var sum float64
			for _, ti := range op.Inputs {
				sum += s.rms[ti] * s.rms[ti]
			}
			s.rms[out] = math.Sqrt(sum / float64(len(op.Inputs)))
		}
	case Softmax:
		t := s.g.Tensors[out]
		switch t.DType {
		case Int8:
			t.Quant = perTensor(1.0/256, -128)
		case UInt8:
			t.Quant = perTensor(1.0/256, 0)
		case Int16:
			t.Quant = perTensor(1.0/65536, -32768)
		}
		s.rms[out] = 1 / math.Sqrt(float64(max(t.Dim(-1), 1)))
	case Quantize:
		in, t := s.g.Tensors[op.Inputs[0]], s.g.Tensors[out]
		if in.Quant == nil || len(in.Quant.Scale) == 0 {
			s.setOutput(out, s.rms[op.Inputs[0]], ActNone)
			return nil
		}
		zp := in.Quant.ZeroPoint[0]
		switch {
		case in.DType == Int8 && t.DType == UInt8:
			zp += 128
		case in.DType == UInt8 && t.DType == Int8:
			zp -= 128
		case in.DType != t.DType:
			zp = 0
		}
		t.Quant = perTensor(in.Quant.Scale[0], zp)
		s.rms[out] = s.rms[op.Inputs[0]]
	case Dequantize:
		s.g.Tensors[out].Quant = nil
		s.rms[out] = s.rms[op.Inputs[0]]
	default:
		return fmt.Errorf("operator kind %s is not supported", op.Kind)
	}
	return nil
}

// conv synthesizes the weights and bias of CONV_2D, DEPTHWISE_CONV_2D or
// FULLY_CONNECTED and quantizes its output (see Synthesize).
func (s *synthesizer) conv(op *Op) error {
	if len(op.Inputs) < 2 || op.Inputs[1] < 0 {
		return fmt.Errorf("needs weights")
	}
	in := s.g.Tensors[op.Inputs[0]]
	wi := op.Inputs[1]
	w := s.g.Tensors[wi]
	var cout, fanIn, axis int
	switch op.Kind {
	case Conv2D:
		cout, fanIn, axis = w.Dim(0), w.Dim(1)*w.Dim(2)*w.Dim(3), 0
	case DepthwiseConv2D:
		cout, fanIn, axis = w.Dim(3), w.Dim(1)*w.Dim(2), 3
	default:
		cout, fanIn, axis = w.Dim(0), w.Dim(1), 0
	}
	if w.DType != Int8 {
		return fmt.Errorf("weights %s have type %s; only int8 weights can be synthesized", w.Name, w.DType)
	}
	// Storage position → channel along axis.
	inner := 1
	for d := axis + 1; d < len(w.Shape); d++ {
		inner *= w.Shape[d]
	}
	channel := func(k int) int { return k / inner % cout }

	var jitter []float64
	if len(w.Data) == 0 {
		rng := s.rng(wi)
		jitter = make([]float64, cout)
		for c := range jitter {
			jitter[c] = 0.5 + float64(rng.Uint64()>>11)/(1<<53)
		}
		w.Data = make([]byte, w.Elements())
		for k := range w.Data {
			w.Data[k] = byte(int8(int(rng.Uint64()%255) - 127))
		}
	}
	wsq := make([]float64, cout) // Σ q² per channel
	for k, b := range w.Data {
		q := float64(int8(b))
		wsq[channel(k)] += q * q
	}
	per := float64(w.Elements()) / float64(cout)
	wrms := make([]float64, cout)
	for c := range wrms {
		wrms[c] = math.Sqrt(wsq[c] / per)
		if wrms[c] == 0 {
			wrms[c] = 1
		}
	}
	inScale, mIn := scaleOf(in), s.rms[op.Inputs[0]]
	if !(mIn > 0) {
		mIn = 1
	}
	wScale := make([]float64, cout)
	if jitter != nil {
		for c := range wScale {
			wScale[c] = f32(jitter[c] * synthPreActRMS / (wrms[c] * math.Sqrt(float64(fanIn)) * mIn))
		}
		w.Quant = &Quant{Scale: wScale, ZeroPoint: make([]int64, cout), Axis: axis}
	} else {
		for c := range wScale {
			if w.Quant != nil && len(w.Quant.Scale) == cout {
				wScale[c] = w.Quant.Scale[c]
			} else {
				wScale[c] = scaleOf(w)
			}
		}
	}

	brms := make([]float64, cout)
	if len(op.Inputs) > 2 && op.Inputs[2] >= 0 {
		bi := op.Inputs[2]
		bt := s.g.Tensors[bi]
		if bt.DType != Int32 || bt.Elements() != cout {
			return fmt.Errorf("bias %s must be int32 with %d elements", bt.Name, cout)
		}
		if len(bt.Data) == 0 {
			rng := s.rng(bi)
			bt.Data = make([]byte, 4*cout)
			scales := make([]float64, cout)
			for c := range cout {
				acc := wrms[c] * math.Sqrt(float64(fanIn)) * mIn / inScale
				bound := uint64(math.Round(acc / 2))
				v := int64(rng.Uint64()%(2*bound+1)) - int64(bound)
				binary.LittleEndian.PutUint32(bt.Data[4*c:], uint32(int32(v)))
				scales[c] = f32(inScale * wScale[c])
			}
			bt.Quant = &Quant{Scale: scales, ZeroPoint: make([]int64, cout)}
		}
		for c := range cout {
			brms[c] = math.Abs(float64(int32(binary.LittleEndian.Uint32(bt.Data[4*c:]))))
		}
	}
	var sigma2 float64
	for c := range cout {
		wr := wScale[c] * wrms[c]
		br := inScale * wScale[c] * brms[c]
		sigma2 += float64(fanIn)*wr*wr*mIn*mIn + br*br
	}
	s.setOutput(op.Outputs[0], math.Sqrt(sigma2/float64(cout)), op.Act)
	return nil
}

// fillOther synthesizes a constant that is neither weights nor bias: uniform
// values of its type, a per-tensor quantization when an integer tensor lacks
// one, and the RMS of its real value.
func (s *synthesizer) fillOther(ti int) {
	t := s.g.Tensors[ti]
	if len(t.Data) > 0 {
		return
	}
	rng := s.rng(ti)
	n := t.Elements()
	var sum float64
	switch t.DType {
	case Float32:
		t.Data = make([]byte, 4*n)
		for i := range n {
			f := float32(rng.Uint64()>>40)/(1<<23) - 1
			binary.LittleEndian.PutUint32(t.Data[4*i:], math.Float32bits(f))
			sum += float64(f) * float64(f)
		}
		s.rms[ti] = math.Sqrt(sum / float64(n))
		return
	case Bool:
		t.Data = make([]byte, n)
		for i := range t.Data {
			t.Data[i] = byte(rng.Uint64() % 2)
		}
		return
	}
	size := t.DType.Bits() / 8
	t.Data = make([]byte, size*n)
	zp := int64(0)
	if t.DType == UInt8 {
		zp = 128
	}
	if t.Quant == nil && (t.DType == Int8 || t.DType == UInt8 || t.DType == Int16) {
		t.Quant = perTensor(1.0/128, zp)
	}
	if t.Quant != nil && len(t.Quant.ZeroPoint) > 0 {
		zp = t.Quant.ZeroPoint[0]
	}
	for i := range n {
		var v int64
		if t.DType == UInt8 {
			v = int64(rng.Uint64() % 256)
		} else {
			v = int64(rng.Uint64()%255) - 127
		}
		for k := range size {
			t.Data[size*i+k] = byte(uint64(v) >> (8 * k))
		}
		d := float64(v - zp)
		sum += d * d
	}
	s.rms[ti] = scaleOf(t) * math.Sqrt(sum/float64(n))
}
