package tflite

// Operators of subgraph 0: the builtin-code mapping onto the IR, builtin
// options, and each operator's fields (schema.fbs: Operator, *Options).

import (
	"errors"
	"fmt"
	"math"

	"mcusim/models"
)

type opcode struct {
	code   int32
	custom string
}

// opName is the operator name used in messages: the builtin name, or
// CUSTOM:<custom_code> for custom operators.
func (c opcode) opName() string {
	if c.code == opCustom && c.custom != "" {
		return "CUSTOM:" + c.custom
	}
	return builtinName(c.code)
}

var kinds = map[int32]models.OpKind{
	opConv2D: models.Conv2D, opDepthwiseConv2D: models.DepthwiseConv2D, opFullyConnected: models.FullyConnected,
	opAdd: models.Add, opMul: models.Mul, opPad: models.Pad, opPadV2: models.Pad,
	opAveragePool2D: models.AveragePool, opMean: models.Mean, opMaxPool2D: models.MaxPool,
	opReshape: models.Reshape, opSoftmax: models.Softmax, opConcatenation: models.Concat,
	opResizeNearestNeighbor: models.ResizeNearest, opQuantize: models.Quantize,
	opDequantize: models.Dequantize, opTranspose: models.Transpose,
}

// first returns at most n leading elements of s.
func first(s []int, n int) []int { return s[:min(n, len(s))] }

// options is the builtin options table of an operator, or the zero table (all
// fields at their schema defaults) when the operator has none.
type options struct {
	t   table
	err error
}

func (o *options) i32(id int, def int32) int {
	v, err := o.t.i32(id, def)
	if o.err == nil && err != nil {
		o.err = fmt.Errorf("builtin options: %v", err)
	}
	return int(v)
}

func (o *options) i8(id int, def int8) int8 {
	v, err := o.t.i8(id, def)
	if o.err == nil && err != nil {
		o.err = fmt.Errorf("builtin options: %v", err)
	}
	return v
}

func (o *options) boolean(id int, def bool) bool {
	v, err := o.t.boolean(id, def)
	if o.err == nil && err != nil {
		o.err = fmt.Errorf("builtin options: %v", err)
	}
	return v
}

// expectedOptions is the BuiltinOptions member each mapped operator reads.
var expectedOptions = map[int32]uint8{
	opConv2D: optConv2D, opDepthwiseConv2D: optDepthwiseConv2D, opAveragePool2D: optPool2D,
	opMaxPool2D: optPool2D, opFullyConnected: optFullyConnected, opConcatenation: optConcatenation,
	opAdd: optAdd, opMul: optMul, opMean: optReducer,
}

func (im *importer) operator(t table, code int32) (*models.Op, error) {
	ins, err := indexList(t, operatorInputs)
	if err != nil {
		return nil, fmt.Errorf("inputs: %v", err)
	}
	outs, err := indexList(t, operatorOutputs)
	if err != nil {
		return nil, fmt.Errorf("outputs: %v", err)
	}
	nt := len(im.g.Tensors)
	for _, ti := range ins {
		if ti < -1 || ti >= nt {
			return nil, fmt.Errorf("input tensor index %d out of range (%d tensors)", ti, nt)
		}
	}
	for _, ti := range outs {
		if ti < 0 || ti >= nt {
			return nil, fmt.Errorf("output tensor index %d out of range (%d tensors)", ti, nt)
		}
	}
	if len(outs) == 0 {
		return nil, errors.New("has no output")
	}

	var opt options
	typ, err := t.u8(operatorBuiltinOptionsType, 0)
	if err != nil {
		return nil, fmt.Errorf("builtin options type: %v", err)
	}
	ot, has, err := t.sub(operatorBuiltinOptions)
	if err != nil {
		return nil, fmt.Errorf("builtin options: %v", err)
	}
	if want, ok := expectedOptions[code]; ok && has {
		if typ != want {
			return nil, fmt.Errorf("builtin options have union type %d, want %s (%d)", typ, optionNames[want], want)
		}
		opt.t = ot
	}

	op := &models.Op{Kind: kinds[code], Name: im.g.Tensors[outs[0]].Name, Inputs: ins, Outputs: outs, Block: -1}
	var in *models.Tensor // the activation input
	if len(ins) > 0 {
		in = im.tensorAt(ins[0])
	}
	switch code {
	case opConv2D, opDepthwiseConv2D:
		op.Inputs = first(ins, 3)
		if err := im.conv(op, code, &opt, in); err != nil {
			return nil, err
		}
	case opAveragePool2D, opMaxPool2D:
		op.Inputs = first(ins, 1)
		op.KernelW = opt.i32(poolFilterW, 0)
		op.KernelH = opt.i32(poolFilterH, 0)
		op.StrideW = opt.i32(poolStrideW, 0)
		op.StrideH = opt.i32(poolStrideH, 0)
		op.DilationH, op.DilationW = 1, 1
		if op.Act, err = activation(opt.i8(poolAct, 0)); err != nil {
			return nil, err
		}
		if err := resolvePadding(op, opt.i8(poolPadding, paddingSame), in); err != nil {
			return nil, err
		}
	case opFullyConnected:
		op.Inputs = first(ins, 3)
		if op.Act, err = activation(opt.i8(fcAct, 0)); err != nil {
			return nil, err
		}
	case opAdd, opMul:
		if op.Act, err = activation(opt.i8(addAct, 0)); err != nil {
			return nil, err
		}
	case opConcatenation:
		if op.Act, err = activation(opt.i8(concatAct, 0)); err != nil {
			return nil, err
		}
		axis, rank := opt.i32(concatAxis, 0), len(im.g.Tensors[outs[0]].Shape)
		if axis < 0 {
			axis += rank
		}
		if axis < 0 || axis >= rank {
			return nil, fmt.Errorf("concatenation axis %d out of range for rank %d", opt.i32(concatAxis, 0), rank)
		}
		op.Axis = axis
	case opMean:
		op.Inputs = first(ins, 1)
		op.KeepDims = opt.boolean(reducerKeepDims, false)
		if err := im.meanAxes(op, ins, in); err != nil {
			return nil, err
		}
	case opPad, opPadV2:
		op.Inputs = first(ins, 1)
		if err := im.pad(op, code, ins, in); err != nil {
			return nil, err
		}
	case opTranspose:
		op.Inputs = first(ins, 1)
		if len(ins) > 1 {
			if perm := im.tensorAt(ins[1]); perm != nil && perm.Const {
				if op.Axes, err = constInts(perm, "permutation"); err != nil {
					return nil, err
				}
			}
		}
	default: // RESHAPE, SOFTMAX, RESIZE_NEAREST_NEIGHBOR, QUANTIZE, DEQUANTIZE
		op.Inputs = first(ins, 1)
	}
	if opt.err != nil {
		return nil, opt.err
	}
	return op, nil
}

// conv fills the fields of CONV_2D and DEPTHWISE_CONV_2D (schema.fbs:
// Conv2DOptions, DepthwiseConv2DOptions).
func (im *importer) conv(op *models.Op, code int32, opt *options, in *models.Tensor) error {
	var w *models.Tensor
	if len(op.Inputs) > 1 {
		w = im.tensorAt(op.Inputs[1])
	}
	if w == nil || len(w.Shape) != 4 {
		return errors.New("weights must be a rank-4 tensor")
	}
	op.KernelH, op.KernelW = w.Shape[1], w.Shape[2]
	var padding, act int8
	if code == opConv2D {
		padding = opt.i8(convPadding, paddingSame)
		op.StrideW, op.StrideH = opt.i32(convStrideW, 0), opt.i32(convStrideH, 0)
		act = opt.i8(convAct, 0)
		op.DilationW, op.DilationH = opt.i32(convDilationW, 1), opt.i32(convDilationH, 1)
	} else {
		padding = opt.i8(dwPadding, paddingSame)
		op.StrideW, op.StrideH = opt.i32(dwStrideW, 0), opt.i32(dwStrideH, 0)
		op.DepthMultiplier = opt.i32(dwMultiplier, 0)
		act = opt.i8(dwAct, 0)
		op.DilationW, op.DilationH = opt.i32(dwDilationW, 1), opt.i32(dwDilationH, 1)
		// Some converters write 0 (or a stale value) here; the channel counts
		// are authoritative.
		if in != nil {
			cin, cout := in.Dim(-1), im.g.Tensors[op.Outputs[0]].Dim(-1)
			if cin > 0 && cout > 0 && cout%cin == 0 && op.DepthMultiplier*cin != cout {
				op.DepthMultiplier = cout / cin
			}
		}
	}
	var err error
	if op.Act, err = activation(act); err != nil {
		return err
	}
	return resolvePadding(op, padding, in)
}

// resolvePadding turns TFLite's SAME/VALID padding into explicit amounts for an
// op whose kernel, strides and dilations are set.
func resolvePadding(op *models.Op, padding int8, in *models.Tensor) error {
	if op.StrideH <= 0 || op.StrideW <= 0 || op.DilationH <= 0 || op.DilationW <= 0 {
		return fmt.Errorf("stride %dx%d and dilation %dx%d must be positive", op.StrideH, op.StrideW, op.DilationH, op.DilationW)
	}
	if op.KernelH <= 0 || op.KernelW <= 0 {
		return fmt.Errorf("kernel %dx%d must be positive", op.KernelH, op.KernelW)
	}
	if in == nil || len(in.Shape) != 4 {
		return errors.New("input must be a rank-4 NHWC tensor")
	}
	switch padding {
	case paddingValid:
		op.Pad = models.Padding{}
	case paddingSame:
		top, bottom := samePadding(in.Shape[1], op.KernelH, op.StrideH, op.DilationH)
		left, right := samePadding(in.Shape[2], op.KernelW, op.StrideW, op.DilationW)
		op.Pad = models.Padding{Top: top, Bottom: bottom, Left: left, Right: right}
	default:
		return fmt.Errorf("unknown padding %d (want SAME 0 or VALID 1)", padding)
	}
	return nil
}

// samePadding is TFLite's SAME rule along one axis (kernel_util /
// padding.h ComputePaddingHeightWidth).
func samePadding(in, k, s, d int) (before, after int) {
	out := (in + s - 1) / s
	total := max((out-1)*s+(k-1)*d+1-in, 0)
	return total / 2, total - total/2
}

// activation maps a fused ActivationFunctionType onto the IR.
func activation(a int8) (models.Activation, error) {
	switch a {
	case 0:
		return models.ActNone, nil
	case 1:
		return models.ActReLU, nil
	case 3:
		return models.ActReLU6, nil
	}
	return 0, fmt.Errorf("fused activation %s is not supported", activationName(a))
}

// meanAxes reads MEAN's constant axis operand (schema.fbs: MEAN takes the
// input and a 1-D axis tensor) and normalises negative axes.
func (im *importer) meanAxes(op *models.Op, ins []int, in *models.Tensor) error {
	if len(ins) < 2 || in == nil {
		return errors.New("needs an input and an axis operand")
	}
	axes, err := constInts(im.tensorAt(ins[1]), "axis")
	if err != nil {
		return err
	}
	rank := len(in.Shape)
	for i, a := range axes {
		if a < 0 {
			a += rank
		}
		if a < 0 || a >= rank {
			return fmt.Errorf("axis %d out of range for rank %d", axes[i], rank)
		}
		axes[i] = a
	}
	op.Axes = axes
	return nil
}

// pad reads the constant [rank, 2] paddings operand of PAD / PADV2 into
// Op.Pad: dimension 1 is height (Top/Bottom), dimension 2 width (Left/Right).
// Padding the batch is rejected; channel padding shows in the output shape.
// PADV2 is accepted only when its constant value is the output's quantized
// zero (real 0), which is what PAD pads with.
func (im *importer) pad(op *models.Op, code int32, ins []int, in *models.Tensor) error {
	if len(ins) < 2 || in == nil {
		return errors.New("needs an input and a paddings operand")
	}
	p, err := constInts(im.tensorAt(ins[1]), "paddings")
	if err != nil {
		return err
	}
	rank := len(in.Shape)
	if len(p) != 2*rank {
		return fmt.Errorf("paddings hold %d values, want %d for a rank-%d input", len(p), 2*rank, rank)
	}
	for _, v := range p {
		if v < 0 {
			return fmt.Errorf("negative padding %v", p)
		}
	}
	if rank >= 2 && (p[0] != 0 || p[1] != 0) {
		return fmt.Errorf("pads the batch dimension (%d, %d); only spatial and channel padding are supported", p[0], p[1])
	}
	if rank >= 3 {
		op.Pad.Top, op.Pad.Bottom = p[2], p[3]
		op.Pad.Left, op.Pad.Right = p[4], p[5]
	}
	if code == opPadV2 && len(ins) > 2 && ins[2] >= 0 {
		if err := im.checkPadValue(im.tensorAt(ins[2]), im.g.Tensors[op.Outputs[0]]); err != nil {
			return err
		}
	}
	return nil
}

// checkPadValue accepts a PADV2 constant value that encodes real 0.
func (im *importer) checkPadValue(v, out *models.Tensor) error {
	if v == nil || !v.Const || len(v.Data) == 0 {
		return errors.New("constant value must be a constant tensor")
	}
	var q int64
	switch v.DType {
	case models.Int8:
		q = int64(int8(v.Data[0]))
	case models.UInt8:
		q = int64(v.Data[0])
	case models.Int16:
		if len(v.Data) < 2 {
			return errors.New("constant value tensor is truncated")
		}
		q = int64(int16(uint16(v.Data[0]) | uint16(v.Data[1])<<8))
	case models.Float32:
		if len(v.Data) < 4 {
			return errors.New("constant value tensor is truncated")
		}
		if f := math.Float32frombits(leU32(v.Data)); f != 0 {
			return fmt.Errorf("pads with %g; only padding with 0 is supported", f)
		}
		return nil
	default:
		return fmt.Errorf("constant value of type %s is not supported", v.DType)
	}
	var zp int64
	if out.Quant != nil && len(out.Quant.ZeroPoint) > 0 {
		zp = out.Quant.ZeroPoint[0]
	}
	if q != zp {
		return fmt.Errorf("pads with quantized value %d, not the zero point %d; only padding with 0 is supported", q, zp)
	}
	return nil
}
