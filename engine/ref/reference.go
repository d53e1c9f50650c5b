// Package ref is mcusim's arithmetic oracle: a plain-Go executor that runs a
// models.Graph operator by operator with TensorFlow Lite's int8 reference
// kernels, bit for bit. The generated WASM kernels (package codegen) must
// reproduce its outputs exactly, and it is itself checked against a real
// TFLite runtime.
package ref

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"mcusim/models"
)

// Reference runs g operator by operator in plain Go and returns the bytes of
// every graph output. It is the arithmetic oracle of mcusim: each operator
// follows the int8 kernel of TensorFlow Lite's reference implementation
// (tensorflow/lite/kernels/internal/reference/…, the kernels that
// tflite-micro's reference op resolver runs) bit for bit, with TFLite's
// requantization helpers from models/quant.go and models/prepare.go. The generated WASM kernels and
// any planned (arena) execution must reproduce its outputs exactly.
//
// inputs holds one byte slice per graph input, in the order of g.Inputs, each
// in the tensor's own element type (int8, uint8, int16, int32 or float32,
// little-endian) and exactly Tensor.Bytes() long. Every operator gets fresh
// buffers, one per tensor; constant tensors are read from Tensor.Data, so a
// zoo or MCUNet-JSON graph must go through models.Synthesize first.
//
// The kernels, per operator (all files under tensorflow/lite/kernels/):
//
//	CONV_2D                  internal/reference/integer_ops/conv.h ConvPerChannel
//	DEPTHWISE_CONV_2D        internal/reference/integer_ops/depthwise_conv.h DepthwiseConvPerChannel
//	FULLY_CONNECTED          internal/reference/integer_ops/fully_connected.h FullyConnected(PerChannel)
//	ADD                      internal/reference/integer_ops/add.h AddElementwise / BroadcastAdd6DSlow
//	MUL                      internal/reference/integer_ops/mul.h MulElementwise / BroadcastMul6DSlow
//	PAD                      internal/reference/pad.h PadImpl, padding with the output zero point
//	AVERAGE_POOL_2D          internal/reference/integer_ops/pooling.h AveragePool
//	MAX_POOL_2D              internal/reference/integer_ops/pooling.h MaxPool
//	MEAN                     tflite-micro reduce_common.cc EvalIntegerMean (integer_ops/mean.h, reduce.h)
//	SOFTMAX                  internal/reference/softmax.h Softmax (gemmlowp fixed point)
//	CONCATENATION            internal/reference/concatenation.h (WithScaling when quantization differs)
//	RESIZE_NEAREST_NEIGHBOR  internal/reference/resize_nearest_neighbor.h
//	QUANTIZE                 internal/reference/quantize.h AffineQuantize, requantize.h Requantize
//	DEQUANTIZE               internal/reference/dequantize.h Dequantize
//	TRANSPOSE                internal/reference/transpose.h
//	RESHAPE                  reshape.cc (a copy of the bytes)
//
// The doc comment of each kernel names the details (multiplier derivation,
// rounding). Errors name the operator: "reference: model m: operator 3
// (CONV_2D "conv1"): ...". Reference never panics on a graph that passes
// Graph.Validate; it returns an error for operand types or shapes the kernels
// do not handle (Int4 tensors in particular: int4 execution is not supported).
func Reference(g *models.Graph, inputs [][]byte) ([][]byte, error) {
	return ReferenceWith(g, inputs, Semantics{})
}

// Semantics selects, where TensorFlow Lite versions disagree, which one the
// reference follows. The zero value is current TF Lite Micro, what runs on an
// MCU and what the generated kernels follow (RATIONALE.md, "Which TFLite").
type Semantics struct {
	// MeanTFLite29 runs MEAN as desktop TFLite 2.9's reference kernel (and TF
	// Lite Micro before its April 2023 change) does: input and output with
	// equal quantization take a truncating division of the raw sum
	// (reference_ops::Mean), and the other non-4-D cases the float path of
	// the old QuantizedMeanOrSum (round(mean·s_in/s_out − zp_in·s_in/s_out)
	// + zp_out in float32). The TFLite oracle test uses it to reproduce the
	// interpreter it compares with; no kernel style runs it.
	MeanTFLite29 bool
}

// ReferenceWith is Reference under the given semantics.
func ReferenceWith(g *models.Graph, inputs [][]byte, sem Semantics) ([][]byte, error) {
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("reference: %v", err)
	}
	if len(inputs) != len(g.Inputs) {
		return nil, fmt.Errorf("reference: model %s has %d inputs, got %d", g.Name, len(g.Inputs), len(inputs))
	}
	bufs := make([][]byte, len(g.Tensors))
	for i, ti := range g.Inputs {
		t := g.Tensors[ti]
		if _, err := elemSize(t); err != nil {
			return nil, fmt.Errorf("reference: model %s: input %d (%s): %v", g.Name, i, t.Name, err)
		}
		if len(inputs[i]) != t.Bytes() {
			return nil, fmt.Errorf("reference: model %s: input %d (%s, %s %s) needs %d bytes, got %d",
				g.Name, i, t.Name, t.DType, models.ShapeString(t.Shape), t.Bytes(), len(inputs[i]))
		}
		bufs[ti] = slices.Clone(inputs[i])
	}
	for oi, op := range g.Ops {
		r := &opRun{g: g, op: op, bufs: bufs, sem: sem}
		err := r.prepare()
		if err == nil {
			err = runOp(r)
		}
		if err != nil {
			return nil, fmt.Errorf("reference: model %s: operator %d (%s %q): %v", g.Name, oi, op.Kind, op.Name, err)
		}
	}
	outs := make([][]byte, len(g.Outputs))
	for i, ti := range g.Outputs {
		if bufs[ti] == nil {
			return nil, fmt.Errorf("reference: model %s: output %d (%s) has no data", g.Name, i, g.Tensors[ti].Name)
		}
		outs[i] = slices.Clone(bufs[ti])
	}
	return outs, nil
}

// RunOp runs one operator of g with its reference kernel. bufs holds one byte
// slice per graph tensor: the operator's activation inputs must be set
// (constants are read from Tensor.Data when nil), and its output is stored
// there. Code generation runs host operators and boundary conversions with it.
func RunOp(g *models.Graph, op *models.Op, bufs [][]byte) error {
	return RunOpWith(g, op, bufs, Semantics{})
}

// RunOpWith is RunOp under the given semantics.
func RunOpWith(g *models.Graph, op *models.Op, bufs [][]byte, sem Semantics) error {
	r := &opRun{g: g, op: op, bufs: bufs, sem: sem}
	if err := r.prepare(); err != nil {
		return err
	}
	return runOp(r)
}

// runOp dispatches one operator to its kernel.
func runOp(r *opRun) error {
	switch r.op.Kind {
	case models.Conv2D:
		return refConv2D(r)
	case models.DepthwiseConv2D:
		return refDepthwiseConv2D(r)
	case models.FullyConnected:
		return refFullyConnected(r)
	case models.Add:
		return refAdd(r)
	case models.Mul:
		return refMul(r)
	case models.Pad:
		return refPad(r)
	case models.AveragePool:
		return refAveragePool(r)
	case models.MaxPool:
		return refMaxPool(r)
	case models.Mean:
		return refMean(r)
	case models.Reshape:
		return refReshape(r)
	case models.Softmax:
		return refSoftmax(r)
	case models.Concat:
		return refConcat(r)
	case models.ResizeNearest:
		return refResizeNearest(r)
	case models.Quantize:
		return refQuantize(r)
	case models.Dequantize:
		return refDequantize(r)
	case models.Transpose:
		return refTranspose(r)
	}
	return fmt.Errorf("operator kind %s is not supported by the reference executor", r.op.Kind)
}

// opRun is one operator being executed: the graph, the operator and the
// buffers of all tensors (nil until produced).
type opRun struct {
	g    *models.Graph
	op   *models.Op
	bufs [][]byte
	sem  Semantics
}

// prepare checks that every input has its bytes (binding constant tensors to
// their Data) and allocates the outputs.
func (r *opRun) prepare() error {
	for i, ti := range r.op.Inputs {
		if ti < 0 {
			continue
		}
		t := r.g.Tensors[ti]
		if _, err := elemSize(t); err != nil {
			return fmt.Errorf("input %d (%s): %v", i, t.Name, err)
		}
		if r.bufs[ti] == nil && t.Const {
			if len(t.Data) == 0 {
				return fmt.Errorf("constant input %d (%s) has no data; synthesize weights first (models.Synthesize)", i, t.Name)
			}
			if len(t.Data) != t.Bytes() {
				return fmt.Errorf("constant input %d (%s, %s %s) holds %d bytes, want %d",
					i, t.Name, t.DType, models.ShapeString(t.Shape), len(t.Data), t.Bytes())
			}
			r.bufs[ti] = t.Data
		}
		if r.bufs[ti] == nil {
			return fmt.Errorf("input %d (%s) has not been computed", i, t.Name)
		}
	}
	for i, ti := range r.op.Outputs {
		t := r.g.Tensors[ti]
		if _, err := elemSize(t); err != nil {
			return fmt.Errorf("output %d (%s): %v", i, t.Name, err)
		}
		r.bufs[ti] = make([]byte, t.Bytes())
	}
	return nil
}

// in returns the i-th input tensor (nil when absent) and its bytes.
func (r *opRun) in(i int) (*models.Tensor, []byte) {
	if i >= len(r.op.Inputs) || r.op.Inputs[i] < 0 {
		return nil, nil
	}
	ti := r.op.Inputs[i]
	return r.g.Tensors[ti], r.bufs[ti]
}

// out returns the first output tensor and its (zeroed) bytes.
func (r *opRun) out() (*models.Tensor, []byte) {
	ti := r.op.Outputs[0]
	return r.g.Tensors[ti], r.bufs[ti]
}

// elemSize is the byte size of one element; Int4 (packed two to a byte) is
// refused.
func elemSize(t *models.Tensor) (int, error) {
	switch t.DType {
	case models.Int8, models.UInt8, models.Bool:
		return 1, nil
	case models.Int16:
		return 2, nil
	case models.Int32, models.Float32:
		return 4, nil
	case models.Int64:
		return 8, nil
	case models.Int4:
		return 0, fmt.Errorf("int4 execution is not supported")
	}
	return 0, fmt.Errorf("element type %s is not supported", t.DType)
}

// needType fails unless t has one of the element types.
func needType(t *models.Tensor, what string, types ...models.DType) error {
	if slices.Contains(types, t.DType) {
		return nil
	}
	names := make([]string, len(types))
	for i, d := range types {
		names[i] = d.String()
	}
	return fmt.Errorf("%s %s has element type %s; supported: %v", what, t.Name, t.DType, names)
}

// loadInts decodes an integer tensor (int8, uint8, int16, int32) into int32
// values.
func loadInts(t *models.Tensor, b []byte) ([]int32, error) {
	n := t.Elements()
	v := make([]int32, n)
	switch t.DType {
	case models.Int8:
		for i := range v {
			v[i] = int32(int8(b[i]))
		}
	case models.UInt8:
		for i := range v {
			v[i] = int32(b[i])
		}
	case models.Int16:
		for i := range v {
			v[i] = int32(int16(binary.LittleEndian.Uint16(b[2*i:])))
		}
	case models.Int32:
		for i := range v {
			v[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
		}
	default:
		return nil, fmt.Errorf("tensor %s has non-integer element type %s", t.Name, t.DType)
	}
	return v, nil
}

// storeInts encodes values that are already inside t's storage range.
func storeInts(t *models.Tensor, b []byte, v []int32) {
	switch t.DType {
	case models.Int8, models.UInt8:
		for i, x := range v {
			b[i] = byte(x)
		}
	case models.Int16:
		for i, x := range v {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(x))
		}
	case models.Int32:
		for i, x := range v {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
		}
	}
}

// loadFloats decodes a float32 tensor.
func loadFloats(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// storeFloats encodes float32 values.
func storeFloats(b []byte, v []float32) {
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
}

// clamp limits v to [lo, hi].
func clamp(v, lo, hi int32) int32 { return min(max(v, lo), hi) }

// spatial are the dimensions of the NHWC input and output of a spatial
// operator (convolutions, pools, PAD, RESIZE_NEAREST_NEIGHBOR).
type spatial struct {
	n, h, w, c int // input
	oh, ow, oc int // output (same batch)
}

// spatialDims checks that in and out are rank-4 NHWC tensors of the same batch
// and returns their dimensions.
func spatialDims(in, out *models.Tensor) (spatial, error) {
	for _, t := range []*models.Tensor{in, out} {
		if len(t.Shape) != 4 {
			return spatial{}, fmt.Errorf("tensor %s has shape %v; a rank-4 NHWC tensor is needed", t.Name, t.Shape)
		}
	}
	if in.Shape[0] != out.Shape[0] {
		return spatial{}, fmt.Errorf("output %v and input %v differ in batch", out.Shape, in.Shape)
	}
	return spatial{n: in.Shape[0], h: in.Shape[1], w: in.Shape[2], c: in.Shape[3],
		oh: out.Shape[1], ow: out.Shape[2], oc: out.Shape[3]}, nil
}
