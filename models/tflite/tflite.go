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
