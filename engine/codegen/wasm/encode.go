package wasm

import (
	"fmt"
	"math"
	"unicode/utf8"
)

// Section ids (§5.5.2 Sections). Sections appear in this order, each at most once, with
// custom sections allowed anywhere; the name section goes last (§7.4.1).
const (
	secCustom   byte = 0
	secType     byte = 1
	secImport   byte = 2
	secFunction byte = 3
	secMemory   byte = 5
	secGlobal   byte = 6
	secExport   byte = 7
	secCode     byte = 10
	secData     byte = 11
)

// Import description kinds (§5.5.5 Import Section).
const (
	importFunc   byte = 0x00
	importMemory byte = 0x02
)

// Encode checks the module and returns its binary encoding (§5.5.16 Modules). The same module
// always encodes to the same bytes.
func (m *Module) Encode() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	b := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00} // magic, version 1

	if len(m.types) > 0 {
		s := appendU32(nil, uint32(len(m.types)))
		for _, t := range m.types {
			s = append(s, 0x60) // function type (§5.3.6)
			s = appendValTypes(s, t.params)
			s = appendValTypes(s, t.results)
		}
		b = appendSection(b, secType, s)
	}

	nImports := len(m.imports)
	if m.mem != nil && m.mem.imported {
		nImports++
	}
	if nImports > 0 {
		s := appendU32(nil, uint32(nImports))
		for _, im := range m.imports {
			s = appendName(appendName(s, im.module), im.name)
			s = appendU32(append(s, importFunc), im.typeIdx)
		}
		if m.mem != nil && m.mem.imported {
			s = appendName(appendName(s, m.mem.module), m.mem.name)
			s = appendLimits(append(s, importMemory), m.mem.min, m.mem.max)
		}
		b = appendSection(b, secImport, s)
	}

	if len(m.funcs) > 0 {
		s := appendU32(nil, uint32(len(m.funcs)))
		for _, f := range m.funcs {
			s = appendU32(s, f.typeIdx)
		}
		b = appendSection(b, secFunction, s)
	}

	if m.mem != nil && !m.mem.imported {
		s := appendLimits(appendU32(nil, 1), m.mem.min, m.mem.max)
		b = appendSection(b, secMemory, s)
	}

	if len(m.globals) > 0 {
		s := appendU32(nil, uint32(len(m.globals)))
		for _, g := range m.globals {
			s = append(s, byte(g.typ), boolByte(g.mutable)) // global type: valtype, mut (§5.3.10)
			s = appendConstExpr(s, g.typ, g.init)
		}
		b = appendSection(b, secGlobal, s)
	}

	if len(m.exports) > 0 {
		s := appendU32(nil, uint32(len(m.exports)))
		for _, e := range m.exports {
			s = appendU32(append(appendName(s, e.name), e.kind), e.idx)
		}
		b = appendSection(b, secExport, s)
	}

	if len(m.funcs) > 0 {
		s := appendU32(nil, uint32(len(m.funcs)))
		for _, f := range m.funcs {
			body := appendLocals(nil, f.locals)
			body = append(append(body, f.body.buf...), 0x0b) // the function's end
			s = append(appendU32(s, uint32(len(body))), body...)
		}
		b = appendSection(b, secCode, s)
	}

	if len(m.data) > 0 {
		s := appendU32(nil, uint32(len(m.data)))
		for _, d := range m.data {
			s = appendU32(s, 0) // active segment into memory 0
			s = appendConstExpr(s, I32, int64(int32(d.offset)))
			s = append(appendU32(s, uint32(len(d.bytes))), d.bytes...)
		}
		b = appendSection(b, secData, s)
	}

	if names := m.nameSection(); names != nil {
		b = appendSection(b, secCustom, names)
	}
	return b, nil
}

// nameSection returns the contents of the custom "name" section (§7.4.1): the module name
// subsection (id 0) when Name is set and the function names subsection (id 1), a name map
// in increasing function index order. Subsections are laid out like sections. It returns nil
// when there is nothing to name.
func (m *Module) nameSection() []byte {
	var s []byte
	if m.Name != "" {
		s = appendSection(s, 0, appendName(nil, m.Name))
	}
	var names []byte
	n := 0
	for i, im := range m.imports {
		names = appendName(appendU32(names, uint32(i)), im.name)
		n++
	}
	for i, f := range m.funcs {
		if f.name != "" {
			names = appendName(appendU32(names, uint32(len(m.imports)+i)), f.name)
			n++
		}
	}
	if n > 0 {
		s = appendSection(s, 1, append(appendU32(nil, uint32(n)), names...))
	}
	if s == nil {
		return nil
	}
	return append(appendName(nil, "name"), s...)
}

// check reports the first reason the module cannot be encoded into a valid binary.
func (m *Module) check() error {
	if m.err != nil {
		return m.err
	}
	for i, t := range m.types {
		for _, v := range append(append([]ValType(nil), t.params...), t.results...) {
			if !v.valid() {
				return fmt.Errorf("wasm: type %d: %s is not a value type", i, v)
			}
		}
	}
	nTypes := uint32(len(m.types))
	for i, im := range m.imports {
		if im.typeIdx >= nTypes {
			return fmt.Errorf("wasm: import %d (%s.%s): type %d out of range; the module has %d type(s)", i, im.module, im.name, im.typeIdx, nTypes)
		}
		if err := checkNames(im.module, im.name); err != nil {
			return fmt.Errorf("wasm: import %d: %w", i, err)
		}
	}
	if mem := m.mem; mem != nil {
		if mem.min > mem.max || mem.max > MaxPages {
			return fmt.Errorf("wasm: memory limits %d..%d pages: need min ≤ max ≤ %d", mem.min, mem.max, MaxPages)
		}
		if err := checkNames(mem.module, mem.name); err != nil {
			return fmt.Errorf("wasm: memory import: %w", err)
		}
	}
	for i, g := range m.globals {
		switch {
		case g.typ != I32 && g.typ != I64:
			return fmt.Errorf("wasm: global %d: type %s; only i32 and i64 globals are supported", i, g.typ)
		case g.typ == I32 && (g.init < math.MinInt32 || g.init > math.MaxInt32):
			return fmt.Errorf("wasm: global %d: initial value %d does not fit in an i32", i, g.init)
		}
	}
	nFuncs := uint64(len(m.imports) + len(m.funcs))
	for i, f := range m.funcs {
		idx := len(m.imports) + i
		if err := m.checkFunc(f, nFuncs); err != nil {
			return fmt.Errorf("wasm: function %d (%q): %w", idx, f.name, err)
		}
	}
	seen := make(map[string]bool, len(m.exports))
	for _, e := range m.exports {
		if err := checkNames(e.name); err != nil {
			return fmt.Errorf("wasm: export: %w", err)
		}
		if seen[e.name] {
			return fmt.Errorf("wasm: export %q: name exported twice", e.name)
		}
		seen[e.name] = true
		switch {
		case e.kind == exportFunc && uint64(e.idx) >= nFuncs:
			return fmt.Errorf("wasm: export %q: function %d out of range; the module has %d function(s)", e.name, e.idx, nFuncs)
		case e.kind == exportGlobal && e.idx >= uint32(len(m.globals)):
			return fmt.Errorf("wasm: export %q: global %d out of range; the module has %d global(s)", e.name, e.idx, len(m.globals))
		case e.kind == exportMemory && m.mem == nil:
			return fmt.Errorf("wasm: export %q: the module has no memory; call Memory or ImportMemory", e.name)
		}
	}
	for i, d := range m.data {
		if m.mem == nil {
			return fmt.Errorf("wasm: data segment %d: the module has no memory; call Memory or ImportMemory", i)
		}
		// An imported memory may be larger than its declared minimum, so only a defined
		// memory's size is known here.
		end := uint64(d.offset) + uint64(len(d.bytes))
		if size := uint64(m.mem.min) * PageSize; !m.mem.imported && end > size {
			return fmt.Errorf("wasm: data segment %d: bytes %d..%d beyond the memory's %d bytes (%d pages)", i, d.offset, end, size, m.mem.min)
		}
	}
	return nil
}

// checkFunc checks a function's type, locals and body against the module.
func (m *Module) checkFunc(f function, nFuncs uint64) error {
	if err := checkNames(f.name); err != nil {
		return err
	}
	if f.typeIdx >= uint32(len(m.types)) {
		return fmt.Errorf("type %d out of range; the module has %d type(s)", f.typeIdx, len(m.types))
	}
	for _, v := range f.locals {
		if !v.valid() {
			return fmt.Errorf("local of type %s", v)
		}
	}
	c := f.body
	if c == nil {
		return fmt.Errorf("no body")
	}
	if err := c.finish(); err != nil {
		return err
	}
	nLocals := uint64(len(m.types[f.typeIdx].params) + len(f.locals))
	if c.localsUsed > nLocals {
		return fmt.Errorf("local %d out of range; the function has %d parameter(s) and local(s)", c.localsUsed-1, nLocals)
	}
	if c.funcsUsed > nFuncs {
		return fmt.Errorf("call of function %d out of range; the module has %d function(s)", c.funcsUsed-1, nFuncs)
	}
	if c.globalsUsed > uint64(len(m.globals)) {
		return fmt.Errorf("global %d out of range; the module has %d global(s)", c.globalsUsed-1, len(m.globals))
	}
	for _, g := range c.globalsSetSorted() {
		if !m.globals[g].mutable {
			return fmt.Errorf("global.set of immutable global %d", g)
		}
	}
	if c.memoryUsed && m.mem == nil {
		return fmt.Errorf("memory instruction but the module has no memory; call Memory or ImportMemory")
	}
	return nil
}

// checkNames reports a name that is not valid UTF-8 (§5.2.4 Names).
func checkNames(names ...string) error {
	for _, s := range names {
		if !utf8.ValidString(s) {
			return fmt.Errorf("name %q is not valid UTF-8", s)
		}
	}
	return nil
}

// appendSection appends a section: its id, its size in bytes and its contents (§5.5.2).
func appendSection(b []byte, id byte, contents []byte) []byte {
	return append(appendU32(append(b, id), uint32(len(contents))), contents...)
}

// appendName appends a name: its length in bytes, then its UTF-8 bytes (§5.2.4).
func appendName(b []byte, s string) []byte {
	return append(appendU32(b, uint32(len(s))), s...)
}

// appendValTypes appends a result type: a vector of value types (§5.3.5).
func appendValTypes(b []byte, ts []ValType) []byte {
	b = appendU32(b, uint32(len(ts)))
	for _, t := range ts {
		b = append(b, byte(t))
	}
	return b
}

// appendLimits appends limits with a maximum: 0x01 min max (§5.3.7).
func appendLimits(b []byte, minPages, maxPages uint32) []byte {
	return appendU32(appendU32(append(b, 0x01), minPages), maxPages)
}

// appendConstExpr appends a constant expression t.const v; end (§5.4.9, §3.3.10).
func appendConstExpr(b []byte, t ValType, v int64) []byte {
	if t == I32 {
		b = append(b, 0x41)
	} else {
		b = append(b, 0x42)
	}
	return append(appendSLEB128(b, v), 0x0b)
}

// appendLocals appends a function's local declarations, runs of equal types compressed into
// (count, type) pairs (§5.5.13 Code Section).
func appendLocals(b []byte, locals []ValType) []byte {
	var runs int
	for i := range locals {
		if i == 0 || locals[i] != locals[i-1] {
			runs++
		}
	}
	b = appendU32(b, uint32(runs))
	for i := 0; i < len(locals); {
		j := i
		for j < len(locals) && locals[j] == locals[i] {
			j++
		}
		b = append(appendU32(b, uint32(j-i)), byte(locals[i]))
		i = j
	}
	return b
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}
