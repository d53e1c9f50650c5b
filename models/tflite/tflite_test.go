package tflite

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"mcusim/models"
)

// TensorType values (schema.fbs: enum TensorType).
const (
	tFloat32 int8 = 0
	tFloat16 int8 = 1
	tInt32   int8 = 2
	tInt64   int8 = 4
	tInt8    int8 = 9
)

func q8(scale float32, zp int64) *quantParams {
	return &quantParams{scale: []float32{scale}, zp: []int64{zp}}
}

// smallModel builds a 7-operator int8 CNN:
//
//	t0 [1,6,6,3] → CONV_2D 3x3/2 SAME RELU6 (t1 w, t2 b) → t3 [1,3,3,4]
//	→ PAD (t4 paddings, H and W by 1) → t5 [1,5,5,4]
//	→ DEPTHWISE_CONV_2D 3x3/1 VALID RELU, depth_multiplier 0 (t6 w) → t7 [1,3,3,4]
//	→ MEAN (t8 axes {1,−2}) keep_dims → t9 [1,1,1,4]
//	→ RESHAPE (t10 shape) → t11 [1,4] → FULLY_CONNECTED (t12 w) → t13 [1,2]
//	→ SOFTMAX → t14 [1,2]
func smallModel() *modelBuilder {
	m := newModel()
	m.tensor("input", tInt8, []int32{1, 6, 6, 3}, nil, q8(0.5, -1))
	m.tensor("conv/w", tInt8, []int32{4, 3, 3, 3}, make([]byte, 108),
		&quantParams{scale: []float32{0.1, 0.2, 0.3, 0.4}, zp: []int64{0, 0, 0, 0}, axis: 0})
	m.tensor("conv/b", tInt32, []int32{4}, int32Bytes(1, 2, 3, 4), nil)
	m.tensor("conv", tInt8, []int32{1, 3, 3, 4}, nil, q8(0.25, -128))
	m.tensor("pad/paddings", tInt32, []int32{4, 2}, int32Bytes(0, 0, 1, 1, 1, 1, 0, 0), nil)
	m.tensor("pad", tInt8, []int32{1, 5, 5, 4}, nil, q8(0.25, -128))
	m.tensor("dw/w", tInt8, []int32{1, 3, 3, 4}, make([]byte, 36), q8(0.01, 0))
	m.tensor("dw", tInt8, []int32{1, 3, 3, 4}, nil, q8(0.25, -128))
	m.tensor("mean/axes", tInt32, []int32{2}, int32Bytes(1, -2), nil)
	m.tensor("mean", tInt8, []int32{1, 1, 1, 4}, nil, q8(0.25, -128))
	m.tensor("reshape/shape", tInt32, []int32{2}, int32Bytes(1, 4), nil)
	m.tensor("reshape", tInt8, []int32{1, 4}, nil, q8(0.25, -128))
	m.tensor("fc/w", tInt8, []int32{2, 4}, make([]byte, 8), q8(0.01, 0))
	m.tensor("fc", tInt8, []int32{1, 2}, nil, q8(0.1, 3))
	m.tensor("softmax", tInt8, []int32{1, 2}, nil, q8(1.0/256, -128))

	m.op(opConv2D, optConv2D, fbTable{convPadding: int8(paddingSame), convStrideW: int32(2), convStrideH: int32(2),
		convAct: int8(3)}, []int32{0, 1, 2}, []int32{3})
	m.op(opPad, 0, nil, []int32{3, 4}, []int32{5})
	m.op(opDepthwiseConv2D, optDepthwiseConv2D, fbTable{dwPadding: int8(paddingValid), dwStrideW: int32(1),
		dwStrideH: int32(1), dwMultiplier: int32(0), dwAct: int8(1)}, []int32{5, 6, -1}, []int32{7})
	m.op(opMean, optReducer, fbTable{reducerKeepDims: true}, []int32{7, 8}, []int32{9})
	m.op(opReshape, 0, nil, []int32{9, 10}, []int32{11})
	m.op(opFullyConnected, optFullyConnected, fbTable{fcAct: int8(0)}, []int32{11, 12, -1}, []int32{13})
	m.op(opSoftmax, 0, nil, []int32{13}, []int32{14})
	m.inputs, m.outputs = []int32{0}, []int32{14}
	return m
}

func TestParseSmallModel(t *testing.T) {
	data := smallModel().bytes()
	g, err := Parse(data, "small")
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "small" || len(g.Tensors) != 15 || !reflect.DeepEqual(g.Inputs, []int{0}) || !reflect.DeepEqual(g.Outputs, []int{14}) {
		t.Fatalf("graph %q: %d tensors, inputs %v, outputs %v", g.Name, len(g.Tensors), g.Inputs, g.Outputs)
	}
	want := []models.Op{
		{Kind: models.Conv2D, Name: "conv", Inputs: []int{0, 1, 2}, Outputs: []int{3}, KernelH: 3, KernelW: 3,
			StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1, Pad: models.Padding{Top: 0, Bottom: 1, Left: 0, Right: 1},
			Act: models.ActReLU6, Block: -1},
		{Kind: models.Pad, Name: "pad", Inputs: []int{3}, Outputs: []int{5},
			Pad: models.Padding{Top: 1, Bottom: 1, Left: 1, Right: 1}, Block: -1},
		{Kind: models.DepthwiseConv2D, Name: "dw", Inputs: []int{5, 6, -1}, Outputs: []int{7}, KernelH: 3, KernelW: 3,
			StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, DepthMultiplier: 1, Act: models.ActReLU, Block: -1},
		{Kind: models.Mean, Name: "mean", Inputs: []int{7}, Outputs: []int{9}, Axes: []int{1, 2}, KeepDims: true, Block: -1},
		{Kind: models.Reshape, Name: "reshape", Inputs: []int{9}, Outputs: []int{11}, Block: -1},
		{Kind: models.FullyConnected, Name: "fc", Inputs: []int{11, 12, -1}, Outputs: []int{13}, Block: -1},
		{Kind: models.Softmax, Name: "softmax", Inputs: []int{13}, Outputs: []int{14}, Block: -1},
	}
	if len(g.Ops) != len(want) {
		t.Fatalf("%d ops, want %d", len(g.Ops), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(*g.Ops[i], want[i]) {
			t.Errorf("op %d:\n got %+v\nwant %+v", i, *g.Ops[i], want[i])
		}
	}
	if got, want := g.MACs(), int64(3*3*4*27+3*3*4*9+8); got != want {
		t.Errorf("MACs = %d, want %d", got, want)
	}
	if got, want := g.Params(), int64(108+4+36+8); got != want {
		t.Errorf("Params = %d, want %d", got, want)
	}

	in := g.Tensors[0]
	if in.Const || in.Data != nil || in.DType != models.Int8 || !reflect.DeepEqual(in.Shape, []int{1, 6, 6, 3}) ||
		!reflect.DeepEqual(in.Quant, &models.Quant{Scale: []float64{0.5}, ZeroPoint: []int64{-1}}) {
		t.Errorf("input tensor = %+v, quant %+v", in, in.Quant)
	}
	w := g.Tensors[1]
	if !w.Const || len(w.Data) != 108 || !w.Quant.PerChannel() || w.Quant.Axis != 0 || len(w.Quant.ZeroPoint) != 4 {
		t.Errorf("conv weights = %+v, quant %+v", w, w.Quant)
	}
	b := g.Tensors[2]
	if !b.Const || b.DType != models.Int32 || !bytes.Equal(b.Data, int32Bytes(1, 2, 3, 4)) || b.Quant != nil {
		t.Errorf("conv bias = %+v", b)
	}
	if p := g.Tensors[4]; !p.Const || p.Name != "pad/paddings" {
		t.Errorf("paddings tensor = %+v, want a constant kept in Graph.Tensors", p)
	}
	// The graph must not alias the input bytes.
	for i := range data {
		data[i] = 0xAA
	}
	if !bytes.Equal(b.Data, int32Bytes(1, 2, 3, 4)) {
		t.Error("tensor data aliases the parsed buffer")
	}
}

// allOpsModel exercises the remaining operators:
//
//	t0 [1,4,4,2] f32 → QUANTIZE → t1 → MAX_POOL_2D 2x2/2 VALID → t2 [1,2,2,2]
//	t2 → AVERAGE_POOL_2D 3x3/1 SAME → t3; ADD(t2,t3) RELU → t4; MUL(t4,t2) → t5
//	CONCATENATION(t4,t5) axis −1 → t6 [1,2,2,4] → RESIZE_NEAREST_NEIGHBOR (t7 size) → t8 [1,4,4,4]
//	→ TRANSPOSE (t9 perm) → t10 → PADV2 (t11 paddings, t12 value) → t13 [1,6,6,4] → DEQUANTIZE → t14 f32
func allOpsModel(padValue byte) *modelBuilder {
	m := newModel()
	qa := q8(0.1, 5)
	m.tensor("x", tFloat32, []int32{1, 4, 4, 2}, nil, nil)
	m.tensor("q", tInt8, []int32{1, 4, 4, 2}, nil, qa)
	m.tensor("maxpool", tInt8, []int32{1, 2, 2, 2}, nil, qa)
	m.tensor("avgpool", tInt8, []int32{1, 2, 2, 2}, nil, qa)
	m.tensor("add", tInt8, []int32{1, 2, 2, 2}, nil, qa)
	m.tensor("mul", tInt8, []int32{1, 2, 2, 2}, nil, qa)
	m.tensor("concat", tInt8, []int32{1, 2, 2, 4}, nil, qa)
	m.tensor("resize/size", tInt32, []int32{2}, int32Bytes(4, 4), nil)
	m.tensor("resize", tInt8, []int32{1, 4, 4, 4}, nil, qa)
	m.tensor("transpose/perm", tInt32, []int32{4}, int32Bytes(0, 2, 1, 3), nil)
	m.tensor("transpose", tInt8, []int32{1, 4, 4, 4}, nil, qa)
	m.tensor("pad/paddings", tInt64, []int32{4, 2}, int64Bytes(0, 0, 1, 1, 2, 0, 0, 0), nil)
	m.tensor("pad/value", tInt8, []int32{}, []byte{padValue}, qa)
	m.tensor("pad", tInt8, []int32{1, 6, 6, 4}, nil, qa)
	m.tensor("y", tFloat32, []int32{1, 6, 6, 4}, nil, nil)

	m.op(opQuantize, 0, nil, []int32{0}, []int32{1})
	m.op(opMaxPool2D, optPool2D, fbTable{poolPadding: int8(paddingValid), poolStrideW: int32(2), poolStrideH: int32(2),
		poolFilterW: int32(2), poolFilterH: int32(2)}, []int32{1}, []int32{2})
	m.op(opAveragePool2D, optPool2D, fbTable{poolPadding: int8(paddingSame), poolStrideW: int32(1), poolStrideH: int32(1),
		poolFilterW: int32(3), poolFilterH: int32(3)}, []int32{2}, []int32{3})
	m.op(opAdd, optAdd, fbTable{addAct: int8(1)}, []int32{2, 3}, []int32{4})
	m.op(opMul, optMul, fbTable{}, []int32{4, 2}, []int32{5})
	m.op(opConcatenation, optConcatenation, fbTable{concatAxis: int32(-1)}, []int32{4, 5}, []int32{6})
	m.op(opResizeNearestNeighbor, 0, nil, []int32{6, 7}, []int32{8})
	m.op(opTranspose, 0, nil, []int32{8, 9}, []int32{10})
	m.op(opPadV2, 0, nil, []int32{10, 11, 12}, []int32{13})
	m.op(opDequantize, 0, nil, []int32{13}, []int32{14})
	m.inputs, m.outputs = []int32{0}, []int32{14}
	return m
}

func TestParseAllOps(t *testing.T) {
	g, err := Parse(allOpsModel(5).bytes(), "allops")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, op := range g.Ops {
		kinds = append(kinds, op.Kind.String())
		if op.Block != -1 || op.Name != g.Tensors[op.Outputs[0]].Name {
			t.Errorf("op %s: block %d name %q", op.Kind, op.Block, op.Name)
		}
	}
	wantKinds := "QUANTIZE MAX_POOL_2D AVERAGE_POOL_2D ADD MUL CONCATENATION RESIZE_NEAREST_NEIGHBOR TRANSPOSE PAD DEQUANTIZE"
	if got := strings.Join(kinds, " "); got != wantKinds {
		t.Fatalf("kinds %s, want %s", got, wantKinds)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"maxpool kernel/stride", [4]int{g.Ops[1].KernelH, g.Ops[1].KernelW, g.Ops[1].StrideH, g.Ops[1].StrideW}, [4]int{2, 2, 2, 2}},
		{"maxpool pad", g.Ops[1].Pad, models.Padding{}},
		{"avgpool pad", g.Ops[2].Pad, models.Padding{Top: 1, Bottom: 1, Left: 1, Right: 1}},
		{"add act", g.Ops[3].Act, models.ActReLU},
		{"add inputs", g.Ops[3].Inputs, []int{2, 3}},
		{"mul act", g.Ops[4].Act, models.ActNone},
		{"concat axis", g.Ops[5].Axis, 3},
		{"concat inputs", g.Ops[5].Inputs, []int{4, 5}},
		{"resize inputs", g.Ops[6].Inputs, []int{6}},
		{"transpose perm", g.Ops[7].Axes, []int{0, 2, 1, 3}},
		{"transpose inputs", g.Ops[7].Inputs, []int{8}},
		{"padv2 pad", g.Ops[8].Pad, models.Padding{Top: 1, Bottom: 1, Left: 2, Right: 0}},
		{"padv2 inputs", g.Ops[8].Inputs, []int{10}},
		{"float input", g.Tensors[0].DType, models.Float32},
		{"float input quant", g.Tensors[0].Quant, (*models.Quant)(nil)},
		{"scalar value shape", len(g.Tensors[12].Shape), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestSamePadding(t *testing.T) {
	tests := []struct {
		in, k, s, d   int
		before, after int
	}{
		{96, 3, 2, 1, 0, 1},  // out 48: total 1
		{48, 3, 1, 1, 1, 1},  // out 48: total 2
		{49, 10, 2, 1, 4, 5}, // kws stem: out 25, total 9
		{10, 4, 2, 1, 1, 1},  // out 5, total 2
		{5, 1, 1, 1, 0, 0},   // 1x1 kernel
		{7, 3, 1, 2, 2, 2},   // dilation 2: effective kernel 5
		{3, 5, 2, 1, 2, 2},   // kernel larger than input: out 2, total 4
		{1, 1, 3, 1, 0, 0},   // stride larger than kernel: total clamps at 0
	}
	for _, tc := range tests {
		name := fmt.Sprintf("in%d_k%d_s%d_d%d", tc.in, tc.k, tc.s, tc.d)
		t.Run(name, func(t *testing.T) {
			b, a := samePadding(tc.in, tc.k, tc.s, tc.d)
			if b != tc.before || a != tc.after {
				t.Errorf("samePadding(in %d, k %d, s %d, d %d) = %d, %d; want %d, %d", tc.in, tc.k, tc.s, tc.d, b, a, tc.before, tc.after)
			}
		})
	}
}

var supportedList = strings.Join(models.OpKindNames(), ", ")

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		build  func() []byte
		exact  string // the whole message, when set
		substr string // otherwise a fragment of it
	}{
		{name: "unsupported builtin", build: func() []byte {
			m := smallModel()
			m.ops[6][operatorOpcodeIndex] = m.code(27) // SVDF
			return m.bytes()
		}, exact: "tflite: small: operator 6 (SVDF) is not supported; supported: " + supportedList},
		{name: "unsupported builtin code above 127", build: func() []byte {
			m := smallModel()
			m.ops[0][operatorOpcodeIndex] = m.code(117)
			m.ops[3][operatorOpcodeIndex] = m.code(150)
			return m.bytes()
		}, exact: "tflite: small: operator 0 (HARD_SWISH) is not supported; supported: " + supportedList},
		{name: "builtin code read as max of both fields", build: func() []byte {
			m := smallModel()
			m.codes = append(m.codes, fbTable{opcodeDeprecatedBuiltin: int8(127), opcodeBuiltin: int32(150)})
			m.ops[2][operatorOpcodeIndex] = uint32(len(m.codes) - 1)
			return m.bytes()
		}, substr: "operator 2 (GELU) is not supported"},
		{name: "unknown builtin code", build: func() []byte {
			m := smallModel()
			m.ops[1][operatorOpcodeIndex] = m.code(400)
			return m.bytes()
		}, substr: "operator 1 (BUILTIN_400) is not supported"},
		{name: "custom op", build: func() []byte {
			m := smallModel()
			m.codes = append(m.codes, fbTable{opcodeBuiltin: int32(opCustom), opcodeCustomCode: "MyOp"})
			m.ops[4][operatorOpcodeIndex] = uint32(len(m.codes) - 1)
			return m.bytes()
		}, substr: "operator 4 (CUSTOM:MyOp) is not supported"},
		{name: "opcode index out of range", build: func() []byte {
			m := smallModel()
			m.ops[5][operatorOpcodeIndex] = uint32(99)
			return m.bytes()
		}, substr: "tflite: small: operator 5: opcode index 99 out of range"},
		{name: "input tensor index out of range", build: func() []byte {
			m := smallModel()
			m.ops[0][operatorInputs] = []int32{0, 1, 77}
			return m.bytes()
		}, substr: "tflite: small: operator 0 (CONV_2D): input tensor index 77 out of range (15 tensors)"},
		{name: "pad on batch", build: func() []byte {
			m := smallModel()
			m.buffers[m.tensors[4][tensorBuffer].(uint32)][bufferData] = int32Bytes(1, 0, 1, 1, 1, 1, 0, 0)
			return m.bytes()
		}, substr: "tflite: small: operator 1 (PAD): pads the batch dimension (1, 0)"},
		{name: "paddings not constant", build: func() []byte {
			m := smallModel()
			delete(m.tensors[4], tensorBuffer)
			return m.bytes()
		}, substr: "operator 1 (PAD): paddings must be a constant tensor"},
		{name: "paddings of wrong size", build: func() []byte {
			m := smallModel()
			m.tensors[4][tensorShape] = []int32{3, 2}
			m.buffers[m.tensors[4][tensorBuffer].(uint32)][bufferData] = int32Bytes(0, 0, 1, 1, 1, 1)
			return m.bytes()
		}, substr: "operator 1 (PAD): paddings hold 6 values, want 8 for a rank-4 input"},
		{name: "mean axis out of range", build: func() []byte {
			m := smallModel()
			m.buffers[m.tensors[8][tensorBuffer].(uint32)][bufferData] = int32Bytes(1, 4)
			return m.bytes()
		}, substr: "operator 3 (MEAN): axis 4 out of range for rank 4"},
		{name: "unsupported fused activation", build: func() []byte {
			m := smallModel()
			m.ops[0][operatorBuiltinOptions].(fbTable)[convAct] = int8(4)
			return m.bytes()
		}, substr: "tflite: small: operator 0 (CONV_2D): fused activation TANH is not supported"},
		{name: "wrong options union type", build: func() []byte {
			m := smallModel()
			m.ops[0][operatorBuiltinOptionsType] = uint8(optDepthwiseConv2D)
			return m.bytes()
		}, substr: "operator 0 (CONV_2D): builtin options have union type 2, want Conv2DOptions (1)"},
		{name: "missing strides", build: func() []byte {
			m := smallModel()
			delete(m.ops[0][operatorBuiltinOptions].(fbTable), convStrideW)
			return m.bytes()
		}, substr: "operator 0 (CONV_2D): stride 2x0 and dilation 1x1 must be positive"},
		{name: "weights not rank 4", build: func() []byte {
			m := smallModel()
			m.tensors[1][tensorShape] = []int32{4, 27}
			m.tensors[1][tensorQuantization].(fbTable)[quantDimension] = int32(0)
			return m.bytes()
		}, substr: "operator 0 (CONV_2D): weights must be a rank-4 tensor"},
		{name: "shape check by Validate", build: func() []byte {
			m := smallModel()
			m.tensors[3][tensorShape] = []int32{1, 4, 4, 4}
			return m.bytes()
		}, substr: "tflite: small: operator 0 (CONV_2D): output 4x4 does not follow from input 6x6"},
		{name: "non-positive dimension", build: func() []byte {
			m := smallModel()
			m.tensors[13][tensorShape] = []int32{-1, 2}
			return m.bytes()
		}, substr: `tflite: small: tensor 13 (fc) has non-positive dimension in shape [-1 2]`},
		{name: "unsupported tensor type", build: func() []byte {
			m := smallModel()
			m.tensors[0][tensorType] = tFloat16
			return m.bytes()
		}, substr: `tflite: small: tensor 0 ("input"): element type FLOAT16 is not supported`},
		{name: "buffer index out of range", build: func() []byte {
			m := smallModel()
			m.tensors[1][tensorBuffer] = uint32(50)
			return m.bytes()
		}, substr: `tensor 1 ("conv/w"): buffer index 50 out of range (8 buffers)`},
		{name: "buffer size does not match shape", build: func() []byte {
			m := smallModel()
			m.buffers[m.tensors[1][tensorBuffer].(uint32)][bufferData] = make([]byte, 100)
			return m.bytes()
		}, substr: `tensor 1 ("conv/w"): buffer 1 holds 100 bytes, shape [4 3 3 3] of int8 needs 108`},
		{name: "per-channel scale count", build: func() []byte {
			m := smallModel()
			m.tensors[1][tensorQuantization].(fbTable)[quantDimension] = int32(3)
			return m.bytes()
		}, substr: `tensor 1 ("conv/w"): quantization: 4 per-channel scales for dimension 3 of shape [4 3 3 3]`},
		{name: "zero points do not match scales", build: func() []byte {
			m := smallModel()
			m.tensors[1][tensorQuantization].(fbTable)[quantZeroPoint] = []int64{0}
			return m.bytes()
		}, substr: `quantization: 4 scales but 1 zero points`},
		{name: "padv2 with a non-zero value", build: func() []byte {
			return allOpsModel(7).bytes()
		}, substr: "operator 8 (PADV2): pads with quantized value 7, not the zero point 5"},
		{name: "no subgraph", build: func() []byte {
			return finish(fbTable{modelVersion: uint32(3), modelSubgraphs: []fbTable{}}, fileIdentifier)
		}, exact: "tflite: small: model has no subgraph"},
		{name: "no inputs", build: func() []byte {
			m := smallModel()
			m.inputs = nil
			return m.bytes()
		}, substr: "tflite: small: needs at least one input and one output"},
		{name: "wrong file identifier", build: func() []byte {
			return append(smallModel().bytes()[:4], []byte("ONNX0000")...)
		}, exact: `tflite: small: not a TFLite model: flatbuffer file identifier is "ONNX", want "TFL3"`},
		{name: "too short", build: func() []byte { return []byte("TFL") }, exact: "tflite: small: file is too short (3 bytes) to be a TFLite model"},
		{name: "empty", build: func() []byte { return nil }, exact: "tflite: small: file is too short (0 bytes) to be a TFLite model"},
		{name: "root offset past the end", build: func() []byte {
			return []byte{0xff, 0xff, 0, 0, 'T', 'F', 'L', '3'}
		}, substr: "tflite: small: model: table: offset 65535 (+4 bytes) is outside the 8-byte file"},
		{name: "truncated", build: func() []byte {
			b := smallModel().bytes()
			return b[:len(b)/2]
		}, substr: "tflite: small: "},
		{name: "line breaks in names", build: func() []byte {
			m := smallModel()
			m.tensors[0][tensorName] = "in\nput"
			m.tensors[0][tensorType] = tFloat16
			return m.bytes()
		}, substr: `tensor 0 ("in\nput"): element type FLOAT16`},
		{name: "line breaks in Validate messages", build: func() []byte {
			m := smallModel()
			m.tensors[13][tensorName] = "f\nc"
			m.tensors[13][tensorShape] = []int32{0, 2}
			return m.bytes()
		}, substr: "tensor 13 (f c) has non-positive dimension"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Parse(tc.build(), "small")
			if err == nil {
				t.Fatalf("parsed into %d ops, want an error", len(g.Ops))
			}
			msg := err.Error()
			t.Log(msg)
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error is not a single line: %q", msg)
			}
			if !strings.HasPrefix(msg, "tflite: small: ") {
				t.Errorf("error lacks the tflite: small: prefix: %q", msg)
			}
			if tc.exact != "" && msg != tc.exact {
				t.Errorf("error\n got %q\nwant %q", msg, tc.exact)
			}
			if tc.substr != "" && !strings.Contains(msg, tc.substr) {
				t.Errorf("error %q\ndoes not contain %q", msg, tc.substr)
			}
		})
	}
}

// TestOpcodeFields checks the two ways of storing a builtin code (schema.fbs:
// OperatorCode): old files fill only deprecated_builtin_code, new ones both.
func TestOpcodeFields(t *testing.T) {
	tests := []struct {
		name string
		code fbTable
	}{
		{"deprecated field only", fbTable{opcodeDeprecatedBuiltin: int8(opDepthwiseConv2D)}},
		{"builtin_code field only", fbTable{opcodeBuiltin: int32(opDepthwiseConv2D)}},
		{"both fields", fbTable{opcodeDeprecatedBuiltin: int8(opDepthwiseConv2D), opcodeBuiltin: int32(opDepthwiseConv2D)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := smallModel()
			m.codes = append(m.codes, tc.code)
			m.ops[2][operatorOpcodeIndex] = uint32(len(m.codes) - 1)
			g, err := Parse(m.bytes(), "small")
			if err != nil {
				t.Fatal(err)
			}
			if g.Ops[2].Kind != models.DepthwiseConv2D {
				t.Errorf("op 2 is %s", g.Ops[2].Kind)
			}
		})
	}
}

// TestExternalBuffer covers Buffer.offset/size (schema.fbs: data stored after
// the flatbuffer, relative to the start of the file).
func TestExternalBuffer(t *testing.T) {
	weights := make([]byte, 108)
	for i := range weights {
		weights[i] = byte(i)
	}
	build := func(size uint64) []byte {
		m := smallModel()
		bi := m.tensors[1][tensorBuffer].(uint32)
		m.buffers[bi] = fbTable{bufferOffset: uint64(0), bufferSize: size}
		n := len(m.bytes())
		m.buffers[bi][bufferOffset] = uint64(n) // same layout, so the data starts right after
		b := m.bytes()
		if len(b) != n {
			t.Fatalf("layout changed: %d != %d bytes", len(b), n)
		}
		return append(b, weights...)
	}
	tests := []struct {
		name string
		size uint64
		err  string
	}{
		{"inside the file", 108, ""},
		{"past the end", 109, "external data ["},
		{"huge", 1 << 63, "external data ["},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Parse(build(tc.size), "ext")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w := g.Tensors[1]; !w.Const || !bytes.Equal(w.Data, weights) {
				t.Errorf("external weights not read: const %v, %d bytes", w.Const, len(w.Data))
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/tiny.model.tflite"
	if err := os.WriteFile(path, smallModel().bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "tiny.model" {
		t.Errorf("graph name %q, want the base name without extension", g.Name)
	}
	_, err = Load(dir + "/missing.tflite")
	if err == nil || !strings.HasPrefix(err.Error(), "tflite: "+dir+"/missing.tflite: ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("missing file: error %v", err)
	}
}

// TestDecodeBudget builds a model whose 3000 tensors all reference one large
// quantization table: a naive reader would decode it 3000 times.
func TestDecodeBudget(t *testing.T) {
	m := newModel()
	n := 4000
	shared := &fbShared{fbTable{quantScale: make([]float32, n), quantZeroPoint: make([]int64, n), quantDimension: int32(1)}}
	for i := 0; i < 3000; i++ {
		m.tensors = append(m.tensors, fbTable{tensorName: "x", tensorType: tInt8, tensorShape: []int32{1, int32(n)},
			tensorQuantization: shared})
	}
	m.inputs, m.outputs = []int32{0}, []int32{0}
	b := m.bytes()
	_, err := Parse(b, "budget")
	if err == nil || !strings.Contains(err.Error(), "reuses its data too often") {
		t.Errorf("%d-byte file: error %v, want the decoding budget to trip", len(b), err)
	}
}
