// Package tflite imports TensorFlow Lite flatbuffer models (.tflite) into the
// mcusim graph IR (package models).
//
// The flatbuffer is read by a small hand-written, bounds-checked reader
// (flatbuf.go) that follows TFLite's schema (tensorflow/lite/schema/schema.fbs,
// version 3); no generated code or external dependency is involved. Only
// subgraph 0 is imported. Operators map one-to-one onto the IR kinds, which are
// named after TFLite's builtin operators; PADV2 is accepted as PAD when it pads
// with the quantized zero (that is, real 0). Any other operator is rejected with
//
//	tflite: <name>: operator <index> (<NAME>) is not supported; supported: CONV_2D, ...
//
// Conversion details, all following the TFLite kernels' conventions:
//   - SAME padding is resolved to explicit amounts: out = ceil(in/stride),
//     total = max((out−1)·stride + (k−1)·dilation + 1 − in, 0), top = total/2,
//     bottom = total − top; VALID is zero padding.
//   - The kernel size of CONV_2D ([Cout,kh,kw,Cin]) and DEPTHWISE_CONV_2D
//     ([1,kh,kw,C·mult]) comes from the weights, that of pools from the options.
//   - Constant operands that the IR carries as Op fields (PAD paddings, MEAN
//     axes, RESHAPE shape, RESIZE_NEAREST_NEIGHBOR size, TRANSPOSE permutation)
//     are dropped from Op.Inputs, so that Graph.Params counts weights and biases
//     only; the tensors stay in Graph.Tensors. For TRANSPOSE, Op.Axes holds the
//     permutation when it is constant.
//   - Tensor.Data is a copy of the tensor's buffer (also for buffers stored
//     outside the flatbuffer through Buffer.offset/size, as in models over 2 GB).
//
// Every error is a single line, prefixed "tflite: <name>: ". Parse never panics,
// whatever its input.
package tflite

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"unicode"

	"mcusim/models"
)

// Load reads and imports a .tflite file. The graph is named after the file's
// base name without extension.
func Load(path string) (*models.Graph, error) {
	base := filepath.Base(path)
	name := strings.TrimSuffix(base, filepath.Ext(base))
	data, err := models.ReadFile(path, ".tflite model", MaxFileBytes, "tflite.MaxFileBytes", checkIdentifier)
	if err != nil {
		return nil, wrap(path, err)
	}
	return parse(data, name, path)
}

// MaxFileBytes caps the size of a .tflite file Load reads. A model that runs on
// a Cortex-M keeps its weights in Flash, at most 2–16 MiB on today's parts, so
// 64 MiB leaves room for any of them and keeps a wrong or sparse multi-gigabyte
// file from being read at all.
const MaxFileBytes = 64 << 20

// checkIdentifier refuses a file whose header lacks TFLite's flatbuffer file
// identifier before the rest of it is read.
func checkIdentifier(head []byte) error {
	if len(head) >= 8 && string(head[4:8]) != fileIdentifier {
		return fmt.Errorf("not a TFLite model: flatbuffer file identifier is %q, want %q", head[4:8], fileIdentifier)
	}
	return nil
}

// Parse imports a .tflite flatbuffer held in memory; name becomes the graph
// name and prefixes every error.
func Parse(data []byte, name string) (*models.Graph, error) { return parse(data, name, name) }

// parse imports data as graph name; where (the file path for Load) prefixes errors.
func parse(data []byte, name, where string) (*models.Graph, error) {
	im := &importer{f: newFbuf(data), name: name}
	g, err := im.parse()
	if err != nil {
		return nil, wrap(where, err)
	}
	return g, nil
}

// maxRank bounds tensor ranks; maxElements bounds a tensor's element count so
// that sizes and MAC counts cannot overflow.
const (
	maxRank     = 16
	maxElements = 1 << 40
)

// fileIdentifier is the flatbuffer file identifier of TFLite models
// (schema.fbs: file_identifier "TFL3").
const fileIdentifier = "TFL3"

// oneLine replaces control characters (line breaks included), which names read
// from a file may contain, so that every message stays on one line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func wrap(name string, err error) error {
	return fmt.Errorf("tflite: %s: %s", oneLine(name), oneLine(err.Error()))
}

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

type importer struct {
	f       *fbuf
	name    string
	codes   []opcode
	buffers vector
	g       *models.Graph
}

func (im *importer) parse() (*models.Graph, error) {
	b := im.f.b
	if len(b) < 8 {
		return nil, fmt.Errorf("file is too short (%d bytes) to be a TFLite model", len(b))
	}
	if id := string(b[4:8]); id != fileIdentifier {
		return nil, fmt.Errorf("not a TFLite model: flatbuffer file identifier is %q, want %q", id, fileIdentifier)
	}
	model, err := im.f.root()
	if err != nil {
		return nil, fmt.Errorf("model: %v", err)
	}
	if err := im.readOpcodes(model); err != nil {
		return nil, err
	}
	if im.buffers, err = model.vec(modelBuffers, 4); err != nil {
		return nil, fmt.Errorf("model buffers: %v", err)
	}
	subgraphs, err := model.vec(modelSubgraphs, 4)
	if err != nil {
		return nil, fmt.Errorf("model subgraphs: %v", err)
	}
	if subgraphs.n == 0 {
		return nil, errors.New("model has no subgraph")
	}
	sg, err := subgraphs.table(0)
	if err != nil {
		return nil, fmt.Errorf("subgraph 0: %v", err)
	}
	return im.subgraph(sg)
}

func (im *importer) readOpcodes(model table) error {
	v, err := model.vec(modelOperatorCodes, 4)
	if err != nil {
		return fmt.Errorf("model operator codes: %v", err)
	}
	im.codes = make([]opcode, v.n)
	for i := range im.codes {
		where := func(err error) error { return fmt.Errorf("operator code %d: %v", i, err) }
		t, err := v.table(i)
		if err != nil {
			return where(err)
		}
		dep, err := t.i8(opcodeDeprecatedBuiltin, 0)
		if err != nil {
			return where(err)
		}
		code, err := t.i32(opcodeBuiltin, 0)
		if err != nil {
			return where(err)
		}
		custom, err := t.str(opcodeCustomCode)
		if err != nil {
			return where(err)
		}
		im.codes[i] = opcode{code: max(int32(dep), code), custom: custom}
	}
	return nil
}

func (im *importer) subgraph(sg table) (*models.Graph, error) {
	ops, err := sg.vec(subgraphOperators, 4)
	if err != nil {
		return nil, fmt.Errorf("subgraph 0 operators: %v", err)
	}
	// Reject unsupported operators before anything else, so that such a model
	// always fails with the same clear message.
	opTables := make([]table, ops.n)
	opCodes := make([]opcode, ops.n)
	for i := range opTables {
		t, err := ops.table(i)
		if err != nil {
			return nil, fmt.Errorf("operator %d: %v", i, err)
		}
		idx, err := t.u32(operatorOpcodeIndex, 0)
		if err != nil {
			return nil, fmt.Errorf("operator %d: %v", i, err)
		}
		if int64(idx) >= int64(len(im.codes)) {
			return nil, fmt.Errorf("operator %d: opcode index %d out of range (%d operator codes)", i, idx, len(im.codes))
		}
		c := im.codes[idx]
		if _, ok := kinds[c.code]; !ok {
			return nil, fmt.Errorf("operator %d (%s) is not supported; supported: %s",
				i, c.opName(), strings.Join(models.OpKindNames(), ", "))
		}
		opTables[i], opCodes[i] = t, c
	}

	tensors, err := sg.vec(subgraphTensors, 4)
	if err != nil {
		return nil, fmt.Errorf("subgraph 0 tensors: %v", err)
	}
	im.g = &models.Graph{Name: im.name, Tensors: make([]*models.Tensor, tensors.n)}
	for i := range im.g.Tensors {
		t, err := tensors.table(i)
		if err != nil {
			return nil, fmt.Errorf("tensor %d: %v", i, err)
		}
		if im.g.Tensors[i], err = im.tensor(i, t); err != nil {
			return nil, err
		}
	}
	if im.g.Inputs, err = indexList(sg, subgraphInputs); err != nil {
		return nil, fmt.Errorf("subgraph 0 inputs: %v", err)
	}
	if im.g.Outputs, err = indexList(sg, subgraphOutputs); err != nil {
		return nil, fmt.Errorf("subgraph 0 outputs: %v", err)
	}
	im.g.Ops = make([]*models.Op, len(opTables))
	for i, t := range opTables {
		op, err := im.operator(t, opCodes[i].code)
		if err != nil {
			return nil, fmt.Errorf("operator %d (%s): %v", i, opCodes[i].opName(), err)
		}
		im.g.Ops[i] = op
	}
	if err := im.g.Validate(); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "graph "+im.g.Name+": "))
	}
	return im.g, nil
}

// indexList reads a vector of int32 tensor indices.
func indexList(t table, id int) ([]int, error) {
	v, err := t.vec(id, 4)
	if err != nil {
		return nil, err
	}
	vals, err := v.ints()
	if err != nil {
		return nil, err
	}
	out := make([]int, len(vals))
	for i, x := range vals {
		out[i] = int(x)
	}
	return out, nil
}

// dtypes maps TensorType (schema.fbs) onto the IR element types; the other
// types (FLOAT16, STRING, FLOAT64, ...) are rejected.
var dtypes = map[int8]models.DType{
	0: models.Float32, 2: models.Int32, 3: models.UInt8, 4: models.Int64, 6: models.Bool,
	7: models.Int16, 9: models.Int8, 17: models.Int4,
}

func (im *importer) tensor(i int, t table) (*models.Tensor, error) {
	name, err := t.str(tensorName)
	if err != nil {
		return nil, fmt.Errorf("tensor %d: name: %v", i, err)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("tensor %d (%q): %s", i, name, fmt.Sprintf(format, args...))
	}
	sv, err := t.vec(tensorShape, 4)
	if err != nil {
		return nil, fail("shape: %v", err)
	}
	if sv.n > maxRank {
		return nil, fail("rank %d exceeds %d", sv.n, maxRank)
	}
	dims, err := sv.ints()
	if err != nil {
		return nil, fail("shape: %v", err)
	}
	shape := make([]int, len(dims))
	elems, positive := int64(1), true
	for k, d := range dims {
		shape[k] = int(d)
		if d <= 0 {
			positive = false
		} else if elems *= d; elems > maxElements {
			return nil, fail("shape %v has more than %d elements", dims, int64(maxElements))
		}
	}
	typ, err := t.i8(tensorType, 0)
	if err != nil {
		return nil, fail("type: %v", err)
	}
	dt, ok := dtypes[typ]
	if !ok {
		return nil, fail("element type %s is not supported", tensorTypeName(typ))
	}
	// The graph keeps the name with control characters (line breaks, NULs)
	// replaced: it appears in messages and tables downstream, which must stay
	// on one line (FuzzRun found errors split by such names). Errors above
	// quote the raw name.
	ts := &models.Tensor{Name: oneLine(name), Shape: shape, DType: dt}

	bi, err := t.u32(tensorBuffer, 0)
	if err != nil {
		return nil, fail("buffer: %v", err)
	}
	if ts.Data, err = im.buffer(bi); err != nil {
		return nil, fail("%v", err)
	}
	// The buffer must match the shape; INT4 data may be packed two to a byte
	// or stored one element per byte.
	ts.Const = len(ts.Data) > 0
	if ts.Const && positive {
		if want := ts.Bytes(); len(ts.Data) != want && !(dt == models.Int4 && int64(len(ts.Data)) == elems) {
			return nil, fail("buffer %d holds %d bytes, shape %v of %s needs %d", bi, len(ts.Data), shape, dt, want)
		}
	}

	q, ok, err := t.sub(tensorQuantization)
	if err != nil {
		return nil, fail("quantization: %v", err)
	}
	if ok {
		if ts.Quant, err = quantization(q, shape); err != nil {
			return nil, fail("quantization: %v", err)
		}
	}
	return ts, nil
}

// buffer copies the data of buffer bi: the inline data vector, or the range
// [offset, offset+size) of the file for data stored outside the flatbuffer.
func (im *importer) buffer(bi uint32) ([]byte, error) {
	if int64(bi) >= int64(im.buffers.n) {
		if bi == 0 {
			return nil, nil // no buffers at all: buffer 0 is the empty sentinel
		}
		return nil, fmt.Errorf("buffer index %d out of range (%d buffers)", bi, im.buffers.n)
	}
	t, err := im.buffers.table(int(bi))
	if err != nil {
		return nil, fmt.Errorf("buffer %d: %v", bi, err)
	}
	v, err := t.vec(bufferData, 1)
	if err != nil {
		return nil, fmt.Errorf("buffer %d data: %v", bi, err)
	}
	if v.n > 0 {
		return v.bytes()
	}
	off, err := t.u64(bufferOffset, 0)
	if err != nil {
		return nil, fmt.Errorf("buffer %d offset: %v", bi, err)
	}
	size, err := t.u64(bufferSize, 0)
	if err != nil {
		return nil, fmt.Errorf("buffer %d size: %v", bi, err)
	}
	if off <= 1 || size == 0 {
		return nil, nil
	}
	n := uint64(len(im.f.b))
	if off > n || size > n-off {
		return nil, fmt.Errorf("buffer %d: external data [%d, +%d) lies outside the %d-byte file", bi, off, size, n)
	}
	if err := im.f.spend(int64(size)); err != nil {
		return nil, err
	}
	return append([]byte(nil), im.f.b[off:off+size]...), nil
}

func quantization(q table, shape []int) (*models.Quant, error) {
	sv, err := q.vec(quantScale, 4)
	if err != nil {
		return nil, fmt.Errorf("scale: %v", err)
	}
	zv, err := q.vec(quantZeroPoint, 8)
	if err != nil {
		return nil, fmt.Errorf("zero_point: %v", err)
	}
	axis, err := q.i32(quantDimension, 0)
	if err != nil {
		return nil, fmt.Errorf("quantized_dimension: %v", err)
	}
	if sv.n == 0 {
		return nil, nil // float tensor: an empty quantization table
	}
	if zv.n != 0 && zv.n != sv.n {
		return nil, fmt.Errorf("%d scales but %d zero points", sv.n, zv.n)
	}
	scale, err := sv.floats()
	if err != nil {
		return nil, fmt.Errorf("scale: %v", err)
	}
	zp, err := zv.ints()
	if err != nil {
		return nil, fmt.Errorf("zero_point: %v", err)
	}
	if zp == nil {
		zp = make([]int64, len(scale))
	}
	if len(scale) > 1 {
		// Older converters copied the weights' quantized_dimension (3) onto the
		// rank-1 bias (person_detect.tflite does); TFLite never reads it there.
		// A rank-1 tensor can only be quantized along dimension 0.
		if len(shape) == 1 && shape[0] == len(scale) {
			axis = 0
		}
		if axis < 0 || int(axis) >= len(shape) {
			return nil, fmt.Errorf("quantized_dimension %d out of range for shape %v", axis, shape)
		}
		if shape[axis] != len(scale) {
			return nil, fmt.Errorf("%d per-channel scales for dimension %d of shape %v", len(scale), axis, shape)
		}
	}
	return &models.Quant{Scale: scale, ZeroPoint: zp, Axis: int(axis)}, nil
}

// tensorAt returns tensor ti, or nil for −1 (an omitted optional operand).
func (im *importer) tensorAt(ti int) *models.Tensor {
	if ti < 0 || ti >= len(im.g.Tensors) {
		return nil
	}
	return im.g.Tensors[ti]
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

// constInts decodes a constant int32 or int64 tensor.
func constInts(t *models.Tensor, what string) ([]int, error) {
	if t == nil || !t.Const {
		return nil, fmt.Errorf("%s must be a constant tensor", what)
	}
	var size int
	switch t.DType {
	case models.Int32:
		size = 4
	case models.Int64:
		size = 8
	default:
		return nil, fmt.Errorf("%s tensor has type %s, want int32 or int64", what, t.DType)
	}
	if len(t.Data)%size != 0 {
		return nil, fmt.Errorf("%s tensor holds %d bytes, not a whole number of %s", what, len(t.Data), t.DType)
	}
	out := make([]int, len(t.Data)/size)
	for i := range out {
		var v int64
		if size == 4 {
			v = int64(int32(leU32(t.Data[4*i:])))
		} else {
			v = int64(leU64(t.Data[8*i:]))
		}
		if v < math.MinInt32 || v > math.MaxInt32 {
			return nil, fmt.Errorf("%s value %d out of range", what, v)
		}
		out[i] = int(v)
	}
	return out, nil
}

func leU32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func leU64(b []byte) uint64 { return uint64(leU32(b)) | uint64(leU32(b[4:]))<<32 }

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
