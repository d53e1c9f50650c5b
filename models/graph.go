// Package models holds mcusim's graph IR: int8 NHWC tensors with TFLite-style
// quantization parameters and the operators of the tiny CNNs that the MCUNet line
// of work deploys. Model sources (built-in zoo, MCUNet JSON configs, .tflite files,
// NAS search spaces) live in sub-packages and all produce a *Graph.
//
// MAC counting follows the convention of the MIT HAN Lab material
// (shared/reference/claims.md §0): only CONV_2D, DEPTHWISE_CONV_2D and
// FULLY_CONNECTED count; conv = Ho·Wo·Cout·kh·kw·Cin, depthwise = Ho·Wo·C·kh·kw,
// FC = in·out.
package models

import (
	"fmt"
	"strings"
)

// DType is the element type of a tensor.
type DType int

// Element types. Int4 is used by the int4 MCUNet configs: two elements per byte.
const (
	Int8 DType = iota + 1
	UInt8
	Int16
	Int32
	Int64
	Float32
	Int4
	Bool
)

var dtypeNames = map[DType]string{Int8: "int8", UInt8: "uint8", Int16: "int16", Int32: "int32",
	Int64: "int64", Float32: "float32", Int4: "int4", Bool: "bool"}

func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("dtype(%d)", int(d))
}

// Bits is the storage width of one element.
func (d DType) Bits() int {
	switch d {
	case Int4:
		return 4
	case Int8, UInt8, Bool:
		return 8
	case Int16:
		return 16
	case Int32, Float32:
		return 32
	case Int64:
		return 64
	}
	return 8
}

// Quant holds TFLite affine quantization: real = Scale·(q − ZeroPoint). With more
// than one scale the tensor is quantized per channel along Axis.
type Quant struct {
	Scale     []float64
	ZeroPoint []int64
	Axis      int
}

// PerChannel reports whether the tensor has one scale per channel.
func (q *Quant) PerChannel() bool { return q != nil && len(q.Scale) > 1 }

// Tensor is a dense tensor. Activations are NHWC (rank 4) or [N, features] (rank 2).
type Tensor struct {
	Name  string
	Shape []int
	DType DType
	Quant *Quant
	// Const marks weights, biases and other parameters stored in Flash. Data holds
	// their bytes when the source had them (a .tflite); zoo and JSON models carry
	// shapes only until weights are synthesised.
	Const bool
	Data  []byte
}

// Elements is the number of elements (1 for a scalar).
func (t *Tensor) Elements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Bytes is the storage size: ceil(elements · bits / 8).
func (t *Tensor) Bytes() int { return (t.Elements()*t.DType.Bits() + 7) / 8 }

// Dim returns dimension i counted from the end when i < 0 (Dim(-1) = channels).
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.Shape)
	}
	if i < 0 || i >= len(t.Shape) {
		return 1
	}
	return t.Shape[i]
}

// HWC returns height, width and channels of an NHWC tensor; a rank-2 [N, F]
// tensor is treated as 1×1×F.
func (t *Tensor) HWC() (h, w, c int) {
	switch len(t.Shape) {
	case 4:
		return t.Shape[1], t.Shape[2], t.Shape[3]
	case 3:
		return t.Shape[1], t.Shape[2], 1
	case 2:
		return 1, 1, t.Shape[1]
	case 1:
		return 1, 1, t.Shape[0]
	}
	return 1, 1, 1
}

// OpKind is an operator type.
type OpKind int

// Operators of the IR. The string names are TFLite's builtin operator names.
const (
	Conv2D OpKind = iota + 1
	DepthwiseConv2D
	FullyConnected
	Add
	Mul
	Pad
	AveragePool
	Mean
	MaxPool
	Reshape
	Softmax
	Concat
	ResizeNearest
	Quantize
	Dequantize
	Transpose
)

var opNames = map[OpKind]string{
	Conv2D: "CONV_2D", DepthwiseConv2D: "DEPTHWISE_CONV_2D", FullyConnected: "FULLY_CONNECTED",
	Add: "ADD", Mul: "MUL", Pad: "PAD", AveragePool: "AVERAGE_POOL_2D", Mean: "MEAN",
	MaxPool: "MAX_POOL_2D", Reshape: "RESHAPE", Softmax: "SOFTMAX", Concat: "CONCATENATION",
	ResizeNearest: "RESIZE_NEAREST_NEIGHBOR", Quantize: "QUANTIZE", Dequantize: "DEQUANTIZE",
	Transpose: "TRANSPOSE",
}

func (k OpKind) String() string {
	if s, ok := opNames[k]; ok {
		return s
	}
	return fmt.Sprintf("op(%d)", int(k))
}

// OpKindNames lists every supported operator name, for error messages.
func OpKindNames() []string {
	out := make([]string, 0, len(opNames))
	for k := Conv2D; k <= Transpose; k++ {
		out = append(out, k.String())
	}
	return out
}

// Activation is a fused activation clamp.
type Activation int

// Fused activations.
const (
	ActNone Activation = iota
	ActReLU
	ActReLU6
)

func (a Activation) String() string {
	switch a {
	case ActReLU:
		return "RELU"
	case ActReLU6:
		return "RELU6"
	}
	return "NONE"
}

// Padding is explicit spatial padding in pixels. TFLite SAME padding is resolved
// to explicit amounts at import (TFLite's rule: total = max((out−1)·s + k − in, 0),
// top = total/2, bottom = total − top).
type Padding struct{ Top, Bottom, Left, Right int }

// Op is one operator. Inputs and Outputs index Graph.Tensors. Conv2D,
// DepthwiseConv2D and FullyConnected take [input, weights, bias] (bias may be −1);
// Add, Mul and Concat take their operands; the rest take one activation input.
type Op struct {
	Kind    OpKind
	Name    string
	Inputs  []int
	Outputs []int

	KernelH, KernelW     int // conv/depthwise (from the weights) and pools
	StrideH, StrideW     int
	DilationH, DilationW int
	Pad                  Padding // conv, depthwise, pools, and the Pad op itself (spatial part)
	DepthMultiplier      int
	Act                  Activation
	Axis                 int   // Concat axis (normalised to be non-negative)
	Axes                 []int // Mean reduction axes
	KeepDims             bool  // Mean

	// Block is the architecture block the op belongs to, numbered as in MCUNetV2
	// Fig. 1: block 0 is the stem convolution, blocks 1.. the inverted-residual
	// blocks, then the head. −1 when the source carries no block structure.
	Block int
}

// Graph is a model: tensors, operators in execution order, graph inputs and outputs.
type Graph struct {
	Name    string
	Tensors []*Tensor
	Ops     []*Op
	Inputs  []int
	Outputs []int
}

// In returns the i-th input tensor of op, or nil.
func (g *Graph) In(op *Op, i int) *Tensor {
	if i >= len(op.Inputs) || op.Inputs[i] < 0 {
		return nil
	}
	return g.Tensors[op.Inputs[i]]
}

// Out returns the i-th output tensor of op.
func (g *Graph) Out(op *Op, i int) *Tensor { return g.Tensors[op.Outputs[i]] }

// OpMACs counts the multiply-accumulates of one operator (claims.md §0).
func (g *Graph) OpMACs(op *Op) int64 {
	switch op.Kind {
	case Conv2D:
		w := g.In(op, 1)
		oh, ow, oc := g.Out(op, 0).HWC()
		cin := w.Dim(-1)
		return int64(oh) * int64(ow) * int64(oc) * int64(op.KernelH) * int64(op.KernelW) * int64(cin)
	case DepthwiseConv2D:
		oh, ow, oc := g.Out(op, 0).HWC()
		return int64(oh) * int64(ow) * int64(oc) * int64(op.KernelH) * int64(op.KernelW)
	case FullyConnected:
		w := g.In(op, 1)
		rows := g.Out(op, 0).Elements() / w.Dim(0)
		return int64(rows) * int64(w.Dim(0)) * int64(w.Dim(1))
	}
	return 0
}

// OpParams counts the parameters (weight plus bias elements) of one operator.
func (g *Graph) OpParams(op *Op) int64 {
	var n int64
	for _, ti := range op.Inputs {
		if ti >= 0 && g.Tensors[ti].Const {
			n += int64(g.Tensors[ti].Elements())
		}
	}
	return n
}

// MACs is the whole-network MAC count.
func (g *Graph) MACs() int64 {
	var n int64
	for _, op := range g.Ops {
		n += g.OpMACs(op)
	}
	return n
}

// Params is the whole-network parameter count (weights and biases of every op).
func (g *Graph) Params() int64 {
	var n int64
	for _, op := range g.Ops {
		n += g.OpParams(op)
	}
	return n
}

// Input returns the first graph input tensor.
func (g *Graph) Input() *Tensor { return g.Tensors[g.Inputs[0]] }

// ShapeString formats a shape as 1x80x80x3.
func ShapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, "x")
}

// Validate checks the structural invariants every consumer relies on: tensor
// indices in range, each activation produced once before it is read, operator
// arity and the shapes of convolutions. Model sources call it before returning.
func (g *Graph) Validate() error {
	n := len(g.Tensors)
	produced := make([]bool, n)
	for _, ti := range g.Inputs {
		if ti < 0 || ti >= n {
			return fmt.Errorf("graph %s: input tensor index %d out of range", g.Name, ti)
		}
		produced[ti] = true
	}
	if len(g.Inputs) == 0 || len(g.Outputs) == 0 {
		return fmt.Errorf("graph %s: needs at least one input and one output", g.Name)
	}
	for i, t := range g.Tensors {
		if t == nil {
			return fmt.Errorf("graph %s: tensor %d is nil", g.Name, i)
		}
		for _, d := range t.Shape {
			if d <= 0 {
				return fmt.Errorf("graph %s: tensor %d (%s) has non-positive dimension in shape %v", g.Name, i, t.Name, t.Shape)
			}
		}
		if t.Const {
			produced[i] = true
		}
	}
	for oi, op := range g.Ops {
		where := fmt.Sprintf("graph %s: operator %d (%s)", g.Name, oi, op.Kind)
		if len(op.Outputs) == 0 {
			return fmt.Errorf("%s: has no output", where)
		}
		for _, ti := range op.Inputs {
			if ti == -1 {
				continue
			}
			if ti < 0 || ti >= n {
				return fmt.Errorf("%s: input tensor index %d out of range", where, ti)
			}
			if !produced[ti] {
				return fmt.Errorf("%s: reads tensor %d (%s) before it is produced", where, ti, g.Tensors[ti].Name)
			}
		}
		for _, ti := range op.Outputs {
			if ti < 0 || ti >= n {
				return fmt.Errorf("%s: output tensor index %d out of range", where, ti)
			}
			if produced[ti] {
				return fmt.Errorf("%s: tensor %d (%s) is produced twice", where, ti, g.Tensors[ti].Name)
			}
			produced[ti] = true
		}
		if err := g.validateOp(op); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
	}
	for _, ti := range g.Outputs {
		if ti < 0 || ti >= n || !produced[ti] {
			return fmt.Errorf("graph %s: output tensor %d is never produced", g.Name, ti)
		}
	}
	return g.validateLimits()
}

func (g *Graph) validateOp(op *Op) error {
	need := map[OpKind]int{Conv2D: 2, DepthwiseConv2D: 2, FullyConnected: 2, Add: 2, Mul: 2, Concat: 1}
	min := 1
	if m, ok := need[op.Kind]; ok {
		min = m
	}
	if len(op.Inputs) < min || op.Inputs[0] < 0 {
		return fmt.Errorf("needs at least %d inputs, has %d", min, len(op.Inputs))
	}
	switch op.Kind {
	case Conv2D, DepthwiseConv2D:
		in, w, out := g.In(op, 0), g.In(op, 1), g.Out(op, 0)
		if w == nil || len(w.Shape) != 4 || len(in.Shape) != 4 || len(out.Shape) != 4 {
			return fmt.Errorf("needs rank-4 input, weights and output")
		}
		if op.StrideH <= 0 || op.StrideW <= 0 || op.KernelH <= 0 || op.KernelW <= 0 {
			return fmt.Errorf("kernel %dx%d and stride %dx%d must be positive", op.KernelH, op.KernelW, op.StrideH, op.StrideW)
		}
		ih, iw, ic := in.HWC()
		oh, ow, oc := out.HWC()
		dh, dw := max(op.DilationH, 1), max(op.DilationW, 1)
		eh := (op.KernelH-1)*dh + 1
		ew := (op.KernelW-1)*dw + 1
		wantH := (ih+op.Pad.Top+op.Pad.Bottom-eh)/op.StrideH + 1
		wantW := (iw+op.Pad.Left+op.Pad.Right-ew)/op.StrideW + 1
		if oh != wantH || ow != wantW {
			return fmt.Errorf("output %dx%d does not follow from input %dx%d, kernel %dx%d, stride %dx%d, padding %+v (expected %dx%d)",
				oh, ow, ih, iw, op.KernelH, op.KernelW, op.StrideH, op.StrideW, op.Pad, wantH, wantW)
		}
		if op.Kind == Conv2D && (w.Dim(0) != oc || w.Dim(3) != ic) {
			return fmt.Errorf("weights %v do not match input channels %d and output channels %d", w.Shape, ic, oc)
		}
		if op.Kind == DepthwiseConv2D && (w.Dim(3) != oc || oc != ic*max(op.DepthMultiplier, 1)) {
			return fmt.Errorf("weights %v do not match %d input channels × depth multiplier %d", w.Shape, ic, op.DepthMultiplier)
		}
	case FullyConnected:
		w := g.In(op, 1)
		if w == nil || len(w.Shape) != 2 {
			return fmt.Errorf("needs rank-2 weights")
		}
		if g.In(op, 0).Elements()%w.Dim(1) != 0 {
			return fmt.Errorf("input of %d elements is not a multiple of the weights' %d inputs", g.In(op, 0).Elements(), w.Dim(1))
		}
	case Mean:
		// The output must hold what the reduction leaves (a repeated axis
		// reduces once); the kernels and planners size buffers from it.
		in, out := g.In(op, 0), g.Out(op, 0)
		reduced := map[int]bool{}
		n := 1
		for _, a := range op.Axes {
			if a < 0 || a >= len(in.Shape) {
				return fmt.Errorf("axis %d out of range for rank %d", a, len(in.Shape))
			}
			if !reduced[a] {
				reduced[a] = true
				n *= in.Shape[a]
			}
		}
		if want := in.Elements() / n; out.Elements() != want {
			return fmt.Errorf("output %s does not hold the %d elements left by reducing %s over axes %v", ShapeString(out.Shape), want, ShapeString(in.Shape), op.Axes)
		}
	}
	return nil
}
