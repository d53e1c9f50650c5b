package models

import "fmt"

// This file builds MobileNetV2 / ProxylessNAS-style networks (inverted-residual
// "MB" blocks) as a Graph. The layer recipe is the one of MobileNetV2 (Sandler et
// al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018, Table 1
// and Table 2) as generalised by ProxylessNAS (Cai et al., "ProxylessNAS: Direct
// Neural Architecture Search on Target Task and Hardware", ICLR 2019), whose JSON
// configuration format the MCUNet model zoo uses (shared/data/mcunet/INDEX.md §1):
//
//	stem      k×k Conv2D, stride s, padding k/2, ReLU6
//	block     [1×1 expand Conv2D + ReLU6]  (absent when the expand ratio is 1)
//	          k×k DepthwiseConv2D, stride s, padding k/2, ReLU6
//	          [squeeze-and-excitation]     (optional, see MBBlockSpec.SE)
//	          1×1 project Conv2D, linear
//	          [ADD with the block input]   (Residual)
//	head      [1×1 feature-mix Conv2D + ReLU6]
//	          global AveragePool → 1×1×C, FullyConnected → classes
//
// Padding is symmetric k/2 on every side (the PyTorch convention the networks were
// trained with; the TFLite exports carry it as explicit PAD operators, e.g.
// tinyengine-vww_mcunet-vww1_80x80.layers.csv). With odd kernels the output side is
// ceil(in/s).

// Limits of BuildMBNet. They keep every tensor size and MAC count far inside
// int64 and reject nonsense early; real MCU networks are orders of magnitude
// smaller (the largest shared config, ProxylessNAS-Mobile, has 1280 channels).
const (
	MBMaxResolution = 4096    // input height and width
	MBMaxChannels   = 16384   // stem, block in/out, feature mix and input channels
	MBMaxMid        = 65536   // expanded (middle) channels
	MBMaxKernel     = 15      // odd kernel sizes 1..15
	MBMaxStride     = 64      // strides 1..64
	MBMaxClasses    = 1 << 20 // classifier outputs
)

// StemSpec is the first convolution (block 0 in MCUNetV2 Fig. 1 numbering).
type StemSpec struct {
	Out    int // output channels
	Kernel int // odd kernel size
	Stride int
}

// MBBlockSpec is one inverted-residual (MB) block.
type MBBlockSpec struct {
	In, Out int // input and output channels
	Kernel  int // depthwise kernel size (odd)
	Stride  int // depthwise stride
	// Expand is the expansion ratio t. With Expand == 1 the 1×1 expand convolution is
	// omitted and the depthwise runs on the In channels (MobileNetV2's first block,
	// ProxylessNAS MBInvertedConvLayer with expand_ratio 1).
	Expand int
	// Mid is the number of expanded channels; 0 means In·Expand. The MCUNet configs
	// store it as mid_channels; with Expand == 1 it must be 0 or In.
	Mid int
	// Residual adds the block input to the project output (needs Stride 1 and
	// In == Out).
	Residual bool
	// SE inserts squeeze-and-excitation after the depthwise convolution, as in the
	// ProxylessNAS/MCUNet SEModule (MobileNetV3 style): MEAN over H and W (keepdims)
	// → 1×1 Conv2D reduce + ReLU → 1×1 Conv2D expand → MUL with the depthwise output.
	// The hard-sigmoid gate that follows the expand convolution has no operator of
	// its own in the IR: it is folded into the MUL (TFLite exports show it as an ADD
	// and a MUL on the 1×1×C gate, which cost nothing next to the full-size MUL).
	// None of the shared MCUNet JSON configs uses SE.
	SE bool
	// SEMid is the number of reduced SE channels; 0 means MakeDivisible(Mid/4, 8),
	// the SEModule default (reduction 4).
	SEMid int
	// Identity marks a ProxylessNAS ZeroLayer block with an identity shortcut: the
	// block computes nothing and emits no operators. It needs In == Out and Stride 0
	// or 1; Kernel, Expand and Mid are ignored. Identity blocks do not take a block
	// number (see BuildMBNet).
	Identity bool
}

// MidChannels is the number of channels the depthwise convolution sees.
func (b MBBlockSpec) MidChannels() int {
	if b.Mid > 0 {
		return b.Mid
	}
	if b.Expand <= 1 {
		return b.In
	}
	return b.In * b.Expand
}

// SEChannels is the number of reduced channels of the block's SE module.
func (b MBBlockSpec) SEChannels() int {
	if b.SEMid > 0 {
		return b.SEMid
	}
	return MakeDivisible(float64(b.MidChannels()/4), 8)
}

// MBNetSpec describes a whole MobileNetV2/ProxylessNAS-style network.
type MBNetSpec struct {
	Name string
	// Resolution is the side of the square input image. Height and Width, when both
	// positive, override it for non-square inputs.
	Resolution    int
	Height, Width int
	InChannels    int // image channels; 0 means 3
	Stem          StemSpec
	Blocks        []MBBlockSpec
	FeatureMix    int // output channels of the 1×1 feature-mix convolution; 0 = none
	Classes       int
	// Bits is the bit width of activations and weights: 0 or 8 for int8, 4 for the
	// int4 MCUNet configs (every activation, including input and logits, and every
	// weight tensor is Int4; biases stay Int32).
	Bits int
}

// InputSize returns the input height and width.
func (s *MBNetSpec) InputSize() (h, w int) {
	if s.Height > 0 && s.Width > 0 {
		return s.Height, s.Width
	}
	return s.Resolution, s.Resolution
}

// MakeDivisible is the channel-rounding rule of the MobileNet family (TensorFlow
// models' _make_divisible, used by MobileNetV2 and ProxylessNAS): round v to the
// nearest multiple of divisor (at least divisor), and add one more divisor when that
// lost more than 10 % of v.
func MakeDivisible(v float64, divisor int) int {
	d := float64(divisor)
	n := max(divisor, int(v+d/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

// Placeholder quantization of the built graphs. Zoo and JSON models carry no
// trained weights, so every tensor gets a per-tensor affine Quant that is merely
// consistent (bias scale = input scale · weight scale, zero points 0); synthetic
// weights replace them later. Consumers must not read accuracy into them.
const (
	PlaceholderActScale    = 1.0 / 128
	PlaceholderWeightScale = 1.0 / 128
)

func placeholderQuant(scale float64) *Quant {
	return &Quant{Scale: []float64{scale}, ZeroPoint: []int64{0}}
}

// BuildMBNet builds the graph of spec, validating it first. Every error names the
// offending field, e.g. `mbnet "x": Blocks[3]: kernel must be a positive odd
// integer, got 4`.
//
// Op.Block follows MCUNetV2 Fig. 1 (claims.md §0): the stem is block 0, the
// non-identity blocks are numbered 1, 2, … in order, and the head (feature mix,
// pool, classifier) takes the next number. Identity blocks emit no operators and
// are skipped in the numbering, so block numbers are dense (for plain MobileNetV2
// and the MCUNet configs, Blocks[i] is block i+1). Operators are named "stem",
// "b<n>.expand", "b<n>.dw", "b<n>.se.mean", "b<n>.se.reduce", "b<n>.se.expand",
// "b<n>.se.mul", "b<n>.project", "b<n>.add", "head.mix", "head.pool" and "head.fc";
// each output tensor has its operator's name, weights and biases append ".weights"
// and ".bias". Weights are Const tensors without Data: [Cout,kh,kw,Cin] for Conv2D,
// [1,kh,kw,C] for DepthwiseConv2D, [out,in] for FullyConnected, with Int32 biases.
func BuildMBNet(spec MBNetSpec) (*Graph, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	dt := Int8
	if spec.Bits == 4 {
		dt = Int4
	}
	name := spec.Name
	if name == "" {
		name = "mbnet"
	}
	b := &mbBuilder{g: &Graph{Name: name}, dt: dt}
	h, w := spec.InputSize()
	cin := spec.InChannels
	if cin == 0 {
		cin = 3
	}
	x := b.act("input", []int{1, h, w, cin})
	b.g.Inputs = []int{x}

	x = b.conv("stem", x, spec.Stem.Out, spec.Stem.Kernel, spec.Stem.Stride, ActReLU6, false, 0)
	n := 0
	for _, blk := range spec.Blocks {
		if blk.Identity {
			continue
		}
		n++
		p := fmt.Sprintf("b%d", n)
		in := x
		mid := blk.MidChannels()
		if blk.Expand != 1 {
			x = b.conv(p+".expand", x, mid, 1, 1, ActReLU6, false, n)
		}
		x = b.conv(p+".dw", x, mid, blk.Kernel, blk.Stride, ActReLU6, true, n)
		if blk.SE {
			x = b.se(p+".se", x, blk.SEChannels(), n)
		}
		x = b.conv(p+".project", x, blk.Out, 1, 1, ActNone, false, n)
		if blk.Residual {
			// Operand order as exported to TFLite from ProxylessNAS's
			// `mobile_inverted_conv(x) + shortcut(x)`: the branch first. TinyEngine's
			// patch resizer sizes a patch-stage ADD by its first input (claims.md §7.8).
			out := b.act(p+".add", b.shape(x))
			b.op(&Op{Kind: Add, Name: p + ".add", Inputs: []int{x, in}, Outputs: []int{out}, Block: n})
			x = out
		}
	}
	head := n + 1
	if spec.FeatureMix > 0 {
		x = b.conv("head.mix", x, spec.FeatureMix, 1, 1, ActReLU6, false, head)
	}
	s := b.shape(x)
	pooled := b.act("head.pool", []int{1, 1, 1, s[3]})
	b.op(&Op{Kind: AveragePool, Name: "head.pool", Inputs: []int{x}, Outputs: []int{pooled},
		KernelH: s[1], KernelW: s[2], StrideH: 1, StrideW: 1, Block: head})
	wt := b.weights("head.fc.weights", []int{spec.Classes, s[3]})
	bias := b.bias("head.fc.bias", spec.Classes)
	logits := b.act("head.fc", []int{1, spec.Classes})
	b.op(&Op{Kind: FullyConnected, Name: "head.fc", Inputs: []int{pooled, wt, bias}, Outputs: []int{logits}, Block: head})
	b.g.Outputs = []int{logits}
	if err := b.g.Validate(); err != nil {
		return nil, fmt.Errorf("mbnet %q: internal error: %v", name, err)
	}
	return b.g, nil
}

func (s *MBNetSpec) validate() error {
	name := s.Name
	if name == "" {
		name = "mbnet"
	}
	fail := func(field, format string, a ...any) error {
		return fmt.Errorf("mbnet %q: %s: %s", name, field, fmt.Sprintf(format, a...))
	}
	if s.Height > 0 || s.Width > 0 {
		if err := checkRange(s.Height, 1, MBMaxResolution); err != "" {
			return fail("Height", "%s", err)
		}
		if err := checkRange(s.Width, 1, MBMaxResolution); err != "" {
			return fail("Width", "%s", err)
		}
	} else if err := checkRange(s.Resolution, 1, MBMaxResolution); err != "" {
		return fail("Resolution", "%s", err)
	}
	if s.InChannels != 0 {
		if err := checkRange(s.InChannels, 1, MBMaxChannels); err != "" {
			return fail("InChannels", "%s", err)
		}
	}
	if s.Bits != 0 && s.Bits != 8 && s.Bits != 4 {
		return fail("Bits", "must be 8 (or 0) for int8 or 4 for int4, got %d", s.Bits)
	}
	if err := checkRange(s.Stem.Out, 1, MBMaxChannels); err != "" {
		return fail("Stem.Out", "%s", err)
	}
	if err := checkKernel(s.Stem.Kernel); err != "" {
		return fail("Stem.Kernel", "%s", err)
	}
	if err := checkRange(s.Stem.Stride, 1, MBMaxStride); err != "" {
		return fail("Stem.Stride", "%s", err)
	}
	c := s.Stem.Out
	for i, b := range s.Blocks {
		field := func(f string) string { return fmt.Sprintf("Blocks[%d].%s", i, f) }
		if b.In != c {
			return fail(field("In"), "must equal the previous output channels %d, got %d", c, b.In)
		}
		if b.Identity {
			if b.Out != b.In {
				return fail(field("Out"), "an identity block must keep the channels (In %d), got %d", b.In, b.Out)
			}
			if b.Stride > 1 || b.Stride < 0 {
				return fail(field("Stride"), "an identity block needs stride 1 (or 0), got %d", b.Stride)
			}
			continue
		}
		if err := checkRange(b.Out, 1, MBMaxChannels); err != "" {
			return fail(field("Out"), "%s", err)
		}
		if err := checkKernel(b.Kernel); err != "" {
			return fail(field("Kernel"), "%s", err)
		}
		if err := checkRange(b.Stride, 1, MBMaxStride); err != "" {
			return fail(field("Stride"), "%s", err)
		}
		if err := checkRange(b.Expand, 1, MBMaxMid); err != "" {
			return fail(field("Expand"), "%s", err)
		}
		if b.Mid < 0 {
			return fail(field("Mid"), "must be 0 (In·Expand) or positive, got %d", b.Mid)
		}
		if b.Expand == 1 && b.Mid != 0 && b.Mid != b.In {
			return fail(field("Mid"), "with Expand 1 there is no expand convolution, so Mid must be 0 or In (%d), got %d", b.In, b.Mid)
		}
		if m := b.MidChannels(); m > MBMaxMid {
			return fail(field("Mid"), "%d expanded channels exceed the limit %d", m, MBMaxMid)
		}
		if b.Residual && (b.Stride != 1 || b.In != b.Out) {
			return fail(field("Residual"), "a residual block needs stride 1 and In == Out, got stride %d, %d → %d", b.Stride, b.In, b.Out)
		}
		if b.SE {
			if b.SEMid < 0 || b.SEMid > MBMaxMid {
				return fail(field("SEMid"), "must be between 0 and %d, got %d", MBMaxMid, b.SEMid)
			}
		} else if b.SEMid != 0 {
			return fail(field("SEMid"), "set without SE")
		}
		c = b.Out
	}
	if s.FeatureMix != 0 {
		if err := checkRange(s.FeatureMix, 1, MBMaxChannels); err != "" {
			return fail("FeatureMix", "%s", err)
		}
	}
	if err := checkRange(s.Classes, 1, MBMaxClasses); err != "" {
		return fail("Classes", "%s", err)
	}
	return nil
}

// checkRange returns "" when lo ≤ v ≤ hi, or a message.
func checkRange(v, lo, hi int) string {
	if v < lo {
		if lo == 1 {
			return fmt.Sprintf("must be positive, got %d", v)
		}
		return fmt.Sprintf("must be at least %d, got %d", lo, v)
	}
	if v > hi {
		return fmt.Sprintf("must be at most %d, got %d", hi, v)
	}
	return ""
}

func checkKernel(k int) string {
	if k <= 0 || k%2 == 0 {
		return fmt.Sprintf("must be a positive odd integer, got %d", k)
	}
	if k > MBMaxKernel {
		return fmt.Sprintf("must be at most %d, got %d", MBMaxKernel, k)
	}
	return ""
}

// mbBuilder appends tensors and operators to a graph.
type mbBuilder struct {
	g  *Graph
	dt DType
}

func (b *mbBuilder) add(t *Tensor) int {
	b.g.Tensors = append(b.g.Tensors, t)
	return len(b.g.Tensors) - 1
}

func (b *mbBuilder) act(name string, shape []int) int {
	return b.add(&Tensor{Name: name, Shape: shape, DType: b.dt, Quant: placeholderQuant(PlaceholderActScale)})
}

func (b *mbBuilder) weights(name string, shape []int) int {
	return b.add(&Tensor{Name: name, Shape: shape, DType: b.dt, Const: true, Quant: placeholderQuant(PlaceholderWeightScale)})
}

func (b *mbBuilder) bias(name string, n int) int {
	return b.add(&Tensor{Name: name, Shape: []int{n}, DType: Int32, Const: true,
		Quant: placeholderQuant(PlaceholderActScale * PlaceholderWeightScale)})
}

func (b *mbBuilder) shape(t int) []int { return append([]int(nil), b.g.Tensors[t].Shape...) }

func (b *mbBuilder) op(op *Op) { b.g.Ops = append(b.g.Ops, op) }

// conv appends a k×k convolution (depthwise when dw) with stride s and padding k/2
// and returns its output tensor.
func (b *mbBuilder) conv(name string, x, cout, k, s int, act Activation, dw bool, block int) int {
	in := b.shape(x)
	p := k / 2
	oh := (in[1]+2*p-k)/s + 1
	ow := (in[2]+2*p-k)/s + 1
	kind := Conv2D
	wshape := []int{cout, k, k, in[3]}
	mult := 0
	if dw {
		kind, wshape, mult = DepthwiseConv2D, []int{1, k, k, cout}, 1
	}
	wt := b.weights(name+".weights", wshape)
	bias := b.bias(name+".bias", cout)
	out := b.act(name, []int{1, oh, ow, cout})
	b.op(&Op{Kind: kind, Name: name, Inputs: []int{x, wt, bias}, Outputs: []int{out},
		KernelH: k, KernelW: k, StrideH: s, StrideW: s, DilationH: 1, DilationW: 1,
		Pad: Padding{Top: p, Bottom: p, Left: p, Right: p}, DepthMultiplier: mult, Act: act, Block: block})
	return out
}

// se appends a squeeze-and-excitation module on x and returns the gated tensor.
func (b *mbBuilder) se(name string, x, red, block int) int {
	s := b.shape(x)
	mean := b.act(name+".mean", []int{1, 1, 1, s[3]})
	b.op(&Op{Kind: Mean, Name: name + ".mean", Inputs: []int{x}, Outputs: []int{mean},
		Axes: []int{1, 2}, KeepDims: true, Block: block})
	r := b.conv(name+".reduce", mean, red, 1, 1, ActReLU, false, block)
	gate := b.conv(name+".expand", r, s[3], 1, 1, ActNone, false, block)
	out := b.act(name+".mul", s)
	b.op(&Op{Kind: Mul, Name: name + ".mul", Inputs: []int{x, gate}, Outputs: []int{out}, Block: block})
	return out
}
