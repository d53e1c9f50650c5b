package wasm

import "fmt"

// ValType is a value type (§5.3.1 Number Types, §5.3.4 Value Types).
type ValType byte

// The number types. Kernels compute in I32 and I64; F32 and F64 exist for signatures.
const (
	I32 ValType = 0x7f
	I64 ValType = 0x7e
	F32 ValType = 0x7d
	F64 ValType = 0x7c
)

func (t ValType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	}
	return fmt.Sprintf("valtype(%#x)", byte(t))
}

func (t ValType) valid() bool { return t == I32 || t == I64 || t == F32 || t == F64 }

// PageSize is the size of a WebAssembly memory page in bytes (memory limits count pages,
// §2.3.8 Memory Types), and MaxPages the most pages a 32-bit memory may declare (§3.2.5).
const (
	PageSize = 65536
	MaxPages = 65536
)

// Module is a WebAssembly module under construction. The zero value is an empty module.
//
// The builder methods return indices at once and never fail; a mistake (an import after a
// function, a second memory) is recorded and reported by Encode, which also checks every index.
// Function indices count imported functions first (§2.5.1 Indices), so all ImportFunc calls
// must come before the first AddFunc.
type Module struct {
	// Name is the module name written to the name section. wazero uses it as the instance name
	// (and so in stack traces) unless the ModuleConfig names the instance.
	Name string

	types   []funcType
	imports []funcImport
	mem     *memory
	globals []global
	funcs   []function
	exports []export
	data    []segment
	err     error // first misuse of the builder
}

type funcType struct{ params, results []ValType }

type funcImport struct {
	module, name string
	typeIdx      uint32
}

type memory struct {
	min, max     uint32
	imported     bool
	module, name string // the import's names, when imported
}

type global struct {
	typ     ValType
	mutable bool
	init    int64
}

type function struct {
	name    string
	typeIdx uint32
	locals  []ValType
	body    *Code
}

// Export kinds (§5.5.10 Export Section).
const (
	exportFunc   byte = 0x00
	exportMemory byte = 0x02
	exportGlobal byte = 0x03
)

type export struct {
	name string
	kind byte
	idx  uint32
}

type segment struct {
	offset uint32
	bytes  []byte
}

func (m *Module) fail(format string, args ...any) {
	if m.err == nil {
		m.err = fmt.Errorf(format, args...)
	}
}

// AddType returns the index of the function type params → results, adding it if the module
// does not have it yet (§5.5.4 Type Section).
func (m *Module) AddType(params, results []ValType) uint32 {
	for i, t := range m.types {
		if equalTypes(t.params, params) && equalTypes(t.results, results) {
			return uint32(i)
		}
	}
	m.types = append(m.types, funcType{
		params:  append([]ValType(nil), params...),
		results: append([]ValType(nil), results...),
	})
	return uint32(len(m.types) - 1)
}

func equalTypes(a, b []ValType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ImportFunc imports module.name with the given type and returns its function index
// (§5.5.5 Import Section). It must be called before any AddFunc.
func (m *Module) ImportFunc(module, name string, typeIdx uint32) uint32 {
	if len(m.funcs) > 0 {
		m.fail("wasm: import %s.%s after function %q: imports take the first function indices, so import before AddFunc", module, name, m.funcs[0].name)
	}
	m.imports = append(m.imports, funcImport{module: module, name: name, typeIdx: typeIdx})
	return uint32(len(m.imports) - 1)
}

// Memory defines memory 0 with limits in pages of 64 KiB (§5.5.8 Memory Section, §5.3.7
// Limits). The maximum is always written: a microcontroller has no growable heap.
func (m *Module) Memory(minPages, maxPages uint32) {
	m.setMemory(&memory{min: minPages, max: maxPages})
}

// ImportMemory imports memory 0 from module.name, so that the host owns the bytes and can
// inspect them while the module runs (§5.5.5 Import Section).
func (m *Module) ImportMemory(module, name string, minPages, maxPages uint32) {
	m.setMemory(&memory{min: minPages, max: maxPages, imported: true, module: module, name: name})
}

func (m *Module) setMemory(mem *memory) {
	if m.mem != nil {
		m.fail("wasm: memory declared twice; a module has at most one memory")
		return
	}
	m.mem = mem
}

// AddGlobal adds a global of type I32 or I64 initialised to init and returns its index
// (§5.5.9 Global Section). For I32, init must fit in an int32.
func (m *Module) AddGlobal(t ValType, mutable bool, init int64) uint32 {
	m.globals = append(m.globals, global{typ: t, mutable: mutable, init: init})
	return uint32(len(m.globals) - 1)
}

// AddFunc adds a function with the given type, extra locals (after the parameters) and body,
// and returns its function index (§5.5.6 Function Section, §5.5.13 Code Section). The name goes
// to the name section, so runtime traps show it. The body is read when the module is encoded;
// its closing end is added then.
func (m *Module) AddFunc(name string, typeIdx uint32, locals []ValType, body *Code) uint32 {
	m.funcs = append(m.funcs, function{
		name:    name,
		typeIdx: typeIdx,
		locals:  append([]ValType(nil), locals...),
		body:    body,
	})
	return uint32(len(m.imports) + len(m.funcs) - 1)
}

// ExportFunc exports function funcIdx as name (§5.5.10 Export Section).
func (m *Module) ExportFunc(name string, funcIdx uint32) {
	m.exports = append(m.exports, export{name: name, kind: exportFunc, idx: funcIdx})
}

// ExportMemory exports memory 0 as name.
func (m *Module) ExportMemory(name string) {
	m.exports = append(m.exports, export{name: name, kind: exportMemory, idx: 0})
}

// ExportGlobal exports global globalIdx as name. Exporting a mutable global needs the
// mutable-globals feature (part of wazero's CoreFeaturesV1 and later).
func (m *Module) ExportGlobal(name string, globalIdx uint32) {
	m.exports = append(m.exports, export{name: name, kind: exportGlobal, idx: globalIdx})
}

// AddData adds an active data segment that copies bytes into memory 0 at offset when the
// module is instantiated (§5.5.14 Data Section, segment kind 0).
func (m *Module) AddData(offset uint32, bytes []byte) {
	m.data = append(m.data, segment{offset: offset, bytes: append([]byte(nil), bytes...)})
}
