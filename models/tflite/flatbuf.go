package tflite

import (
	"encoding/binary"
	"fmt"
	"math"
)

// This file is a minimal, bounds-checked reader for the FlatBuffers binary
// format (https://flatbuffers.dev/internals/), just enough to walk a TFLite
// model. Every offset and length read from the buffer is checked against the
// buffer before use, so a corrupt or hostile file yields an error, never a panic.
//
// Layout recap: the buffer starts with a uoffset (uint32) to the root table. A
// table starts with an soffset (int32) that is subtracted from the table
// position to find its vtable. A vtable is [vtable size uint16, table size
// uint16, field offset uint16...]; a field offset of 0 (or an id beyond the
// vtable) means the field is absent and takes its schema default. Reference
// fields (tables, vectors, strings) hold a uoffset relative to the field's own
// position. A vector is a uint32 element count followed by the elements; a
// vector of tables holds one uoffset per element, relative to that element.

// fbuf is the whole flatbuffer plus a decoding budget. The budget bounds the
// bytes copied out of vectors and strings: a well-formed file never decodes much
// more than its own size, while a hostile one could point thousands of tables at
// one large vector and make a naive reader allocate quadratically.
type fbuf struct {
	b      []byte
	budget int64
}

func newFbuf(b []byte) *fbuf {
	return &fbuf{b: b, budget: 2*int64(len(b)) + 1<<16}
}

// spend charges n decoded bytes against the budget.
func (f *fbuf) spend(n int64) error {
	if n > f.budget {
		return fmt.Errorf("flatbuffer reuses its data too often (decoded more than %d bytes from a %d-byte file)",
			2*int64(len(f.b))+1<<16, len(f.b))
	}
	f.budget -= n
	return nil
}

// check reports whether [pos, pos+n) lies inside the buffer.
func (f *fbuf) check(pos, n int64) error {
	if pos < 0 || n < 0 || pos > int64(len(f.b)) || n > int64(len(f.b))-pos {
		return fmt.Errorf("offset %d (+%d bytes) is outside the %d-byte file", pos, n, len(f.b))
	}
	return nil
}

func (f *fbuf) u16(pos int64) uint16 { return binary.LittleEndian.Uint16(f.b[pos:]) }
func (f *fbuf) u32(pos int64) uint32 { return binary.LittleEndian.Uint32(f.b[pos:]) }
func (f *fbuf) u64(pos int64) uint64 { return binary.LittleEndian.Uint64(f.b[pos:]) }

// deref follows the uoffset stored at pos.
func (f *fbuf) deref(pos int64) (int64, error) {
	if err := f.check(pos, 4); err != nil {
		return 0, err
	}
	return pos + int64(f.u32(pos)), nil
}

// table is an open flatbuffer table.
type table struct {
	f    *fbuf
	pos  int64 // start of the table (its soffset)
	vt   int64 // start of its vtable
	vtn  int64 // vtable size in bytes
	size int64 // inline size of the table in bytes
}

// tableAt opens the table that starts at pos.
func (f *fbuf) tableAt(pos int64) (table, error) {
	if err := f.check(pos, 4); err != nil {
		return table{}, fmt.Errorf("table: %v", err)
	}
	vt := pos - int64(int32(f.u32(pos)))
	if err := f.check(vt, 4); err != nil {
		return table{}, fmt.Errorf("vtable of table at %d: %v", pos, err)
	}
	vtn, size := int64(f.u16(vt)), int64(f.u16(vt+2))
	if vtn < 4 || vtn%2 != 0 {
		return table{}, fmt.Errorf("vtable of table at %d has invalid size %d", pos, vtn)
	}
	if err := f.check(vt, vtn); err != nil {
		return table{}, fmt.Errorf("vtable of table at %d: %v", pos, err)
	}
	if size < 4 {
		return table{}, fmt.Errorf("table at %d has invalid inline size %d", pos, size)
	}
	if err := f.check(pos, size); err != nil {
		return table{}, fmt.Errorf("table at %d: %v", pos, err)
	}
	return table{f: f, pos: pos, vt: vt, vtn: vtn, size: size}, nil
}

// root opens the root table of the buffer.
func (f *fbuf) root() (table, error) {
	pos, err := f.deref(0)
	if err != nil {
		return table{}, fmt.Errorf("root offset: %v", err)
	}
	return f.tableAt(pos)
}

// field returns the absolute position of field id, which holds n bytes, or −1
// when the field is absent.
func (t table) field(id int, n int64) (int64, error) {
	o := 4 + 2*int64(id)
	if o+2 > t.vtn {
		return -1, nil
	}
	fo := int64(t.f.u16(t.vt + o))
	if fo == 0 {
		return -1, nil
	}
	if fo < 4 || fo+n > t.size {
		return 0, fmt.Errorf("field %d of table at %d lies outside the table (offset %d, size %d)", id, t.pos, fo, t.size)
	}
	return t.pos + fo, nil
}

// Scalar accessors return def when the field is absent.

func (t table) u8(id int, def uint8) (uint8, error) {
	p, err := t.field(id, 1)
	if err != nil || p < 0 {
		return def, err
	}
	return t.f.b[p], nil
}

func (t table) i8(id int, def int8) (int8, error) {
	v, err := t.u8(id, uint8(def))
	return int8(v), err
}

func (t table) boolean(id int, def bool) (bool, error) {
	d := uint8(0)
	if def {
		d = 1
	}
	v, err := t.u8(id, d)
	return v != 0, err
}

func (t table) i32(id int, def int32) (int32, error) {
	p, err := t.field(id, 4)
	if err != nil || p < 0 {
		return def, err
	}
	return int32(t.f.u32(p)), nil
}

func (t table) u32(id int, def uint32) (uint32, error) {
	v, err := t.i32(id, int32(def))
	return uint32(v), err
}

func (t table) u64(id int, def uint64) (uint64, error) {
	p, err := t.field(id, 8)
	if err != nil || p < 0 {
		return def, err
	}
	return t.f.u64(p), nil
}

// ref follows a reference field; ok is false when the field is absent.
func (t table) ref(id int) (pos int64, ok bool, err error) {
	p, err := t.field(id, 4)
	if err != nil || p < 0 {
		return 0, false, err
	}
	pos, err = t.f.deref(p)
	if err != nil {
		return 0, false, fmt.Errorf("field %d of table at %d: %v", id, t.pos, err)
	}
	return pos, true, nil
}

// sub opens the sub-table in field id; ok is false when the field is absent.
func (t table) sub(id int) (table, bool, error) {
	pos, ok, err := t.ref(id)
	if err != nil || !ok {
		return table{}, false, err
	}
	s, err := t.f.tableAt(pos)
	if err != nil {
		return table{}, false, fmt.Errorf("field %d: %v", id, err)
	}
	return s, true, nil
}

// vector is a flatbuffer vector: n elements of elem bytes starting at pos.
type vector struct {
	f    *fbuf
	pos  int64
	n    int
	elem int64
}

// vectorAt opens the vector whose length prefix is at pos.
func (f *fbuf) vectorAt(pos, elem int64) (vector, error) {
	if err := f.check(pos, 4); err != nil {
		return vector{}, fmt.Errorf("vector: %v", err)
	}
	n := int64(f.u32(pos))
	if err := f.check(pos+4, n*elem); err != nil {
		return vector{}, fmt.Errorf("vector of %d elements at %d: %v", n, pos, err)
	}
	return vector{f: f, pos: pos + 4, n: int(n), elem: elem}, nil
}

// vec opens the vector in field id (elements of elem bytes); an absent field
// yields an empty vector.
func (t table) vec(id int, elem int64) (vector, error) {
	pos, ok, err := t.ref(id)
	if err != nil || !ok {
		return vector{f: t.f, elem: elem}, err
	}
	v, err := t.f.vectorAt(pos, elem)
	if err != nil {
		return vector{}, fmt.Errorf("field %d: %v", id, err)
	}
	return v, nil
}

// str reads the string in field id ("" when absent).
func (t table) str(id int) (string, error) {
	v, err := t.vec(id, 1)
	if err != nil {
		return "", err
	}
	b, err := v.bytes()
	return string(b), err
}

// bytes copies a vector of bytes.
func (v vector) bytes() ([]byte, error) {
	if v.n == 0 {
		return nil, nil
	}
	if err := v.f.spend(int64(v.n)); err != nil {
		return nil, err
	}
	out := make([]byte, v.n)
	copy(out, v.f.b[v.pos:])
	return out, nil
}

// ints decodes a vector of int32 (elem 4) or int64 (elem 8).
func (v vector) ints() ([]int64, error) {
	if v.n == 0 {
		return nil, nil
	}
	if err := v.f.spend(int64(v.n) * 8); err != nil {
		return nil, err
	}
	out := make([]int64, v.n)
	for i := range out {
		p := v.pos + int64(i)*v.elem
		if v.elem == 8 {
			out[i] = int64(v.f.u64(p))
		} else {
			out[i] = int64(int32(v.f.u32(p)))
		}
	}
	return out, nil
}

// floats decodes a vector of float32.
func (v vector) floats() ([]float64, error) {
	if v.n == 0 {
		return nil, nil
	}
	if err := v.f.spend(int64(v.n) * 8); err != nil {
		return nil, err
	}
	out := make([]float64, v.n)
	for i := range out {
		out[i] = float64(math.Float32frombits(v.f.u32(v.pos + int64(i)*4)))
	}
	return out, nil
}

// table opens element i of a vector of tables.
func (v vector) table(i int) (table, error) {
	pos, err := v.f.deref(v.pos + int64(i)*4)
	if err != nil {
		return table{}, err
	}
	return v.f.tableAt(pos)
}
