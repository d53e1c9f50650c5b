package tflite

import (
	"encoding/binary"
	"math"
	"sort"
)

// A tiny flatbuffer writer for hand-built test models. It writes each table
// (preceded by its vtable) and then, after it, the objects the table references,
// so that every uoffset points forward as the format requires.

// fbTable is a table under construction: field id → value. Values are int8,
// uint8, bool, int32, uint32, uint64 (scalars), string, []byte, []int32,
// []int64, []float32, fbTable or []fbTable.
type fbTable map[int]any

// fbShared is a value referenced from several tables. It is written once, after
// everything else, so that all its referencers point forward to it.
type fbShared struct{ v any }

type fbWriter struct {
	buf     []byte
	shared  []*fbShared
	pending map[*fbShared][]int // positions of the uoffsets that reference it
}

func (w *fbWriter) align(n int) {
	for len(w.buf)%n != 0 {
		w.buf = append(w.buf, 0)
	}
}

func (w *fbWriter) put32(pos int, v uint32) { binary.LittleEndian.PutUint32(w.buf[pos:], v) }

func scalarSize(v any) int {
	switch v.(type) {
	case int8, uint8, bool:
		return 1
	case int32, uint32:
		return 4
	case uint64:
		return 8
	}
	return 4 // a uoffset to a string, vector or table
}

// table writes t and everything it references; it returns the table position.
func (w *fbWriter) table(t fbTable) int {
	ids := make([]int, 0, len(t))
	for id := range t {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	nfields := 0
	if len(ids) > 0 {
		nfields = ids[len(ids)-1] + 1
	}
	// Inline layout: soffset, then the fields, each aligned to its size.
	offs := map[int]int{}
	size := 4
	for _, id := range ids {
		n := scalarSize(t[id])
		for size%n != 0 {
			size++
		}
		offs[id] = size
		size += n
	}
	w.align(2)
	vt := len(w.buf)
	vtSize := 4 + 2*nfields
	w.buf = append(w.buf, make([]byte, vtSize)...)
	binary.LittleEndian.PutUint16(w.buf[vt:], uint16(vtSize))
	binary.LittleEndian.PutUint16(w.buf[vt+2:], uint16(size))
	for _, id := range ids {
		binary.LittleEndian.PutUint16(w.buf[vt+4+2*id:], uint16(offs[id]))
	}
	w.align(8)
	pos := len(w.buf)
	w.buf = append(w.buf, make([]byte, size)...)
	w.put32(pos, uint32(int32(pos-vt)))
	for _, id := range ids {
		p := pos + offs[id]
		switch v := t[id].(type) {
		case int8:
			w.buf[p] = byte(v)
		case uint8:
			w.buf[p] = v
		case bool:
			if v {
				w.buf[p] = 1
			}
		case int32:
			w.put32(p, uint32(v))
		case uint32:
			w.put32(p, v)
		case uint64:
			binary.LittleEndian.PutUint64(w.buf[p:], v)
		}
	}
	for _, id := range ids {
		p := pos + offs[id]
		if s, ok := t[id].(*fbShared); ok {
			if w.pending[s] == nil {
				w.shared = append(w.shared, s)
			}
			w.pending[s] = append(w.pending[s], p)
			continue
		}
		if child := w.object(t[id]); child >= 0 {
			w.put32(p, uint32(child-p))
		}
	}
	return pos
}

// object writes a referenced value and returns its position, or −1 for scalars.
func (w *fbWriter) object(v any) int {
	w.align(4)
	pos := len(w.buf)
	le := binary.LittleEndian
	switch v := v.(type) {
	case fbTable:
		return w.table(v)
	case string:
		w.buf = le.AppendUint32(w.buf, uint32(len(v)))
		w.buf = append(append(w.buf, v...), 0)
	case []byte:
		w.buf = le.AppendUint32(w.buf, uint32(len(v)))
		w.buf = append(w.buf, v...)
	case []int32:
		w.buf = le.AppendUint32(w.buf, uint32(len(v)))
		for _, x := range v {
			w.buf = le.AppendUint32(w.buf, uint32(x))
		}
	case []int64:
		w.buf = le.AppendUint32(w.buf, uint32(len(v)))
		for _, x := range v {
			w.buf = le.AppendUint64(w.buf, uint64(x))
		}
	case []float32:
		w.buf = le.AppendUint32(w.buf, uint32(len(v)))
		for _, x := range v {
			w.buf = le.AppendUint32(w.buf, math.Float32bits(x))
		}
	case []fbTable:
		w.buf = le.AppendUint32(w.buf, uint32(len(v)))
		slots := len(w.buf)
		w.buf = append(w.buf, make([]byte, 4*len(v))...)
		for i, t := range v {
			p := slots + 4*i
			w.put32(p, uint32(w.table(t)-p))
		}
	default:
		return -1
	}
	return pos
}

// finish writes a complete flatbuffer with root table t and file identifier id.
func finish(t fbTable, id string) []byte {
	w := &fbWriter{buf: make([]byte, 8), pending: map[*fbShared][]int{}}
	copy(w.buf[4:], id)
	w.put32(0, uint32(w.table(t)))
	for i := 0; i < len(w.shared); i++ { // writing one may queue another
		s := w.shared[i]
		pos := w.object(s.v)
		for _, p := range w.pending[s] {
			w.put32(p, uint32(pos-p))
		}
	}
	return w.buf
}

// modelBuilder assembles a one-subgraph TFLite model (schema.fbs field ids).
type modelBuilder struct {
	codes   []fbTable
	tensors []fbTable
	buffers []fbTable
	ops     []fbTable
	inputs  []int32
	outputs []int32
}

func newModel() *modelBuilder {
	return &modelBuilder{buffers: []fbTable{{}}} // buffer 0: the empty sentinel
}

// quantParams is the quantization of a test tensor.
type quantParams struct {
	scale []float32
	zp    []int64
	axis  int32
}

// tensor adds a tensor; data non-nil makes it a constant.
func (m *modelBuilder) tensor(name string, typ int8, shape []int32, data []byte, q *quantParams) int32 {
	t := fbTable{tensorName: name, tensorType: typ, tensorShape: shape}
	if data != nil {
		m.buffers = append(m.buffers, fbTable{bufferData: data})
		t[tensorBuffer] = uint32(len(m.buffers) - 1)
	}
	if q != nil {
		t[tensorQuantization] = fbTable{quantScale: q.scale, quantZeroPoint: q.zp, quantDimension: q.axis}
	}
	m.tensors = append(m.tensors, t)
	return int32(len(m.tensors) - 1)
}

// code returns the operator-code index of a builtin code, adding it if new.
func (m *modelBuilder) code(code int32) uint32 {
	for i, c := range m.codes {
		if c[opcodeBuiltin] == code {
			return uint32(i)
		}
	}
	dep := int8(min(code, 127))
	m.codes = append(m.codes, fbTable{opcodeDeprecatedBuiltin: dep, opcodeBuiltin: code, opcodeVersion: int32(1)})
	return uint32(len(m.codes) - 1)
}

// op adds an operator; opts may be nil.
func (m *modelBuilder) op(code int32, optType uint8, opts fbTable, ins, outs []int32) {
	t := fbTable{operatorOpcodeIndex: m.code(code), operatorInputs: ins, operatorOutputs: outs}
	if opts != nil {
		t[operatorBuiltinOptionsType] = optType
		t[operatorBuiltinOptions] = opts
	}
	m.ops = append(m.ops, t)
}

func (m *modelBuilder) bytes() []byte {
	sg := fbTable{subgraphTensors: m.tensors, subgraphInputs: m.inputs, subgraphOutputs: m.outputs,
		subgraphOperators: m.ops, subgraphName: "main"}
	model := fbTable{modelVersion: uint32(3), modelOperatorCodes: m.codes, modelSubgraphs: []fbTable{sg},
		modelDescription: "hand-built test model", modelBuffers: m.buffers}
	return finish(model, fileIdentifier)
}

func int32Bytes(v ...int32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return b
}

func int64Bytes(v ...int64) []byte {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return b
}
