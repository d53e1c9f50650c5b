package wasm

import (
	"bytes"
	"strings"
	"testing"
)

// TestInstructionBytes checks instruction encodings against the opcode tables of §5.4.
func TestInstructionBytes(t *testing.T) {
	tests := []struct {
		name string
		emit func(c *Code)
		want []byte
	}{
		{"unreachable", func(c *Code) { c.Unreachable() }, []byte{0x00}},
		{"nop", func(c *Code) { c.Nop() }, []byte{0x01}},
		{"block loop end", func(c *Code) { c.Block(Void); c.Loop(Result(I32)); c.End(); c.End() }, []byte{0x02, 0x40, 0x03, 0x7f, 0x0b, 0x0b}},
		{"if else", func(c *Code) { c.If(Result(I64)); c.Else(); c.End() }, []byte{0x04, 0x7e, 0x05, 0x0b}},
		{"br br_if", func(c *Code) { c.Block(Void); c.Br(0); c.BrIf(1); c.End() }, []byte{0x02, 0x40, 0x0c, 0x00, 0x0d, 0x01, 0x0b}},
		{"return call", func(c *Code) { c.Return(); c.Call(200) }, []byte{0x0f, 0x10, 0xc8, 0x01}},
		{"drop select", func(c *Code) { c.Drop(); c.Select() }, []byte{0x1a, 0x1b}},
		{"locals", func(c *Code) { c.LocalGet(0); c.LocalSet(1); c.LocalTee(128) }, []byte{0x20, 0x00, 0x21, 0x01, 0x22, 0x80, 0x01}},
		{"globals", func(c *Code) { c.GlobalGet(2); c.GlobalSet(3) }, []byte{0x23, 0x02, 0x24, 0x03}},
		{"i32.const -1", func(c *Code) { c.I32Const(-1) }, []byte{0x41, 0x7f}},
		{"i32.const 64", func(c *Code) { c.I32Const(64) }, []byte{0x41, 0xc0, 0x00}},
		{"i64.const MinInt64", func(c *Code) { c.I64Const(-1 << 63) }, []byte{0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}},
		{"i32 compare", func(c *Code) {
			c.I32Eqz()
			c.I32Eq()
			c.I32Ne()
			c.I32LtS()
			c.I32LtU()
			c.I32GtS()
			c.I32GtU()
			c.I32LeS()
			c.I32LeU()
			c.I32GeS()
			c.I32GeU()
		},
			[]byte{0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f}},
		{"i64 compare", func(c *Code) {
			c.I64Eqz()
			c.I64Eq()
			c.I64Ne()
			c.I64LtS()
			c.I64LtU()
			c.I64GtS()
			c.I64GtU()
			c.I64LeS()
			c.I64LeU()
			c.I64GeS()
			c.I64GeU()
		},
			[]byte{0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a}},
		{"i32 arithmetic", func(c *Code) {
			c.I32Add()
			c.I32Sub()
			c.I32Mul()
			c.I32DivS()
			c.I32DivU()
			c.I32RemS()
			c.I32RemU()
			c.I32And()
			c.I32Or()
			c.I32Xor()
			c.I32Shl()
			c.I32ShrS()
			c.I32ShrU()
		}, []byte{0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76}},
		{"i64 arithmetic", func(c *Code) {
			c.I64Add()
			c.I64Sub()
			c.I64Mul()
			c.I64DivS()
			c.I64DivU()
			c.I64RemS()
			c.I64RemU()
			c.I64And()
			c.I64Or()
			c.I64Xor()
			c.I64Shl()
			c.I64ShrS()
			c.I64ShrU()
		}, []byte{0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88}},
		{"conversions", func(c *Code) { c.I32WrapI64(); c.I64ExtendI32S(); c.I64ExtendI32U(); c.I32Extend8S(); c.I32Extend16S() },
			[]byte{0xa7, 0xac, 0xad, 0xc0, 0xc1}},
		{"loads", func(c *Code) {
			c.I32Load(2, 0)
			c.I64Load(3, 8)
			c.I32Load8S(0, 1)
			c.I32Load8U(0, 128)
			c.I32Load16S(1, 0)
			c.I32Load16U(0, 0)
			c.I64Load8S(0, 0)
			c.I64Load32S(2, 4)
		}, []byte{0x28, 0x02, 0x00, 0x29, 0x03, 0x08, 0x2c, 0x00, 0x01, 0x2d, 0x00, 0x80, 0x01,
			0x2e, 0x01, 0x00, 0x2f, 0x00, 0x00, 0x30, 0x00, 0x00, 0x34, 0x02, 0x04}},
		{"stores", func(c *Code) { c.I32Store(2, 0); c.I64Store(3, 0); c.I32Store8(0, 3); c.I32Store16(1, 2) },
			[]byte{0x36, 0x02, 0x00, 0x37, 0x03, 0x00, 0x3a, 0x00, 0x03, 0x3b, 0x01, 0x02}},
		{"bulk memory", func(c *Code) { c.MemoryCopy(); c.MemoryFill() }, []byte{0xfc, 0x0a, 0x00, 0x00, 0xfc, 0x0b, 0x00}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Code
			tt.emit(&c)
			if err := c.finish(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(c.buf, tt.want) {
				t.Fatalf("got  % x\nwant % x", c.buf, tt.want)
			}
		})
	}
}

// TestEncodeErrors checks that structural mistakes are caught by Encode with a message that
// says where.
func TestEncodeErrors(t *testing.T) {
	// fn builds a module with one function () -> () whose body is emitted by body.
	fn := func(body func(c *Code)) func(m *Module) {
		return func(m *Module) {
			var c Code
			body(&c)
			m.AddFunc("f", m.AddType(nil, nil), nil, &c)
		}
	}
	tests := []struct {
		name  string
		build func(m *Module)
		want  string
	}{
		{"end without block", fn(func(c *Code) { c.End() }), `function 0 ("f"): instruction 0: end without an open block`},
		{"unclosed block", fn(func(c *Code) { c.Block(Void); c.Loop(Void); c.End() }), "1 block(s) still open"},
		{"br beyond nesting", fn(func(c *Code) { c.Block(Void); c.Br(2); c.End() }), "instruction 1: br 2: label depth beyond the 2 enclosing label(s)"},
		{"br_if beyond body", fn(func(c *Code) { c.I32Const(1); c.BrIf(1) }), "br_if 1: label depth beyond"},
		{"else without if", fn(func(c *Code) { c.Block(Void); c.Else(); c.End() }), "else without an open if"},
		{"second else", fn(func(c *Code) { c.I32Const(0); c.If(Void); c.Else(); c.Else(); c.End() }), "second else"},
		{"if result without else", fn(func(c *Code) { c.I32Const(0); c.If(Result(I32)); c.I32Const(1); c.End(); c.Drop() }), "if with result i32 has no else"},
		{"bad block type", fn(func(c *Code) { c.Block(BlockType(0x12)); c.End() }), "block type 0x12"},
		{"alignment", fn(func(c *Code) { c.I32Const(0); c.I32Load8S(1, 0); c.Drop() }), "i32.load8_s: alignment exponent 1 exceeds the natural alignment 0"},
		{"local out of range", func(m *Module) {
			var c Code
			c.LocalGet(2)
			c.Drop()
			m.AddFunc("f", m.AddType([]ValType{I32}, nil), []ValType{I64}, &c)
		}, "local 2 out of range; the function has 2 parameter(s) and local(s)"},
		{"call out of range", fn(func(c *Code) { c.Call(1) }), "call of function 1 out of range"},
		{"global out of range", fn(func(c *Code) { c.GlobalGet(0); c.Drop() }), "global 0 out of range"},
		{"immutable global set", func(m *Module) {
			m.AddGlobal(I32, false, 0)
			fn(func(c *Code) { c.I32Const(1); c.GlobalSet(0) })(m)
		}, "global.set of immutable global 0"},
		{"memory instruction without memory", fn(func(c *Code) { c.I32Const(0); c.I32Const(0); c.I32Const(0); c.MemoryFill() }), "no memory"},
		{"nil body", func(m *Module) { m.AddFunc("f", m.AddType(nil, nil), nil, nil) }, "no body"},
		{"type out of range", func(m *Module) { m.AddFunc("f", 3, nil, &Code{}) }, "type 3 out of range"},
		{"import after func", func(m *Module) {
			fn(func(*Code) {})(m)
			m.ImportFunc("env", "g", 0)
		}, "import env.g after function"},
		{"import type out of range", func(m *Module) { m.ImportFunc("env", "g", 0) }, "type 0 out of range"},
		{"two memories", func(m *Module) { m.Memory(1, 1); m.ImportMemory("env", "memory", 1, 1) }, "memory declared twice"},
		{"memory limits", func(m *Module) { m.Memory(2, 1) }, "memory limits 2..1 pages"},
		{"memory too large", func(m *Module) { m.Memory(1, MaxPages+1) }, "memory limits"},
		{"duplicate export", func(m *Module) {
			fn(func(*Code) {})(m)
			m.ExportFunc("run", 0)
			m.ExportFunc("run", 0)
		}, `export "run": name exported twice`},
		{"export func out of range", func(m *Module) { m.ExportFunc("run", 0) }, "function 0 out of range"},
		{"export global out of range", func(m *Module) { m.ExportGlobal("g", 0) }, "global 0 out of range"},
		{"export memory without memory", func(m *Module) { m.ExportMemory("memory") }, "has no memory"},
		{"data without memory", func(m *Module) { m.AddData(0, []byte{1}) }, "data segment 0: the module has no memory"},
		{"data beyond memory", func(m *Module) { m.Memory(1, 1); m.AddData(PageSize-1, []byte{1, 2}) }, "bytes 65535..65537 beyond the memory's 65536 bytes"},
		{"global type", func(m *Module) { m.AddGlobal(F32, false, 0) }, "only i32 and i64 globals"},
		{"global i32 range", func(m *Module) { m.AddGlobal(I32, false, 1<<31) }, "does not fit in an i32"},
		{"bad value type", func(m *Module) { m.AddType([]ValType{0x01}, nil) }, "valtype(0x1) is not a value type"},
		{"invalid UTF-8 name", func(m *Module) { m.AddFunc("\xff", m.AddType(nil, nil), nil, &Code{}) }, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Module
			tt.build(&m)
			b, err := m.Encode()
			if err == nil {
				t.Fatalf("Encode succeeded (% x), want error containing %q", b, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "wasm: ") {
				t.Fatalf("error %q, want it to start with \"wasm: \" and contain %q", err, tt.want)
			}
		})
	}
}

func TestAddTypeDeduplicates(t *testing.T) {
	var m Module
	a := m.AddType([]ValType{I32, I32}, []ValType{I32})
	b := m.AddType([]ValType{I32}, []ValType{I32})
	c := m.AddType([]ValType{I32, I32}, []ValType{I32})
	if a != 0 || b != 1 || c != 0 {
		t.Fatalf("type indices %d %d %d, want 0 1 0", a, b, c)
	}
}

// TestEncodeBytes pins the exact bytes of small modules, checked by hand against §5.5.
func TestEncodeBytes(t *testing.T) {
	header := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	tests := []struct {
		name  string
		build func(m *Module)
		want  []byte
	}{
		{"empty", func(*Module) {}, nil},
		{"memory and data", func(m *Module) {
			m.Memory(1, 2)
			m.ExportMemory("m")
			m.AddData(3, []byte{0xaa})
		}, []byte{
			0x05, 0x04, 0x01, 0x01, 0x01, 0x02, // memory: 1 memory, limits 1..2
			0x07, 0x05, 0x01, 0x01, 'm', 0x02, 0x00, // export "m" memory 0
			0x0b, 0x07, 0x01, 0x00, 0x41, 0x03, 0x0b, 0x01, 0xaa, // data: active, i32.const 3, 1 byte
		}},
		{"data offset above 2 GiB", func(m *Module) {
			m.ImportMemory("e", "m", 32769, MaxPages)
			m.AddData(1<<31, []byte{0xaa}) // the offset expression is an s32: 2^31 wraps to MinInt32
		}, []byte{
			0x02, 0x0d, 0x01, 0x01, 'e', 0x01, 'm', 0x02, 0x01, 0x81, 0x80, 0x02, 0x80, 0x80, 0x04, // import e.m memory 32769..65536
			0x0b, 0x0b, 0x01, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x0b, 0x01, 0xaa, // data
		}},
		{"locals run-length", func(m *Module) {
			m.AddFunc("", m.AddType(nil, nil), []ValType{I32, I32, I64, I32}, &Code{})
		}, []byte{
			0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type () -> ()
			0x03, 0x02, 0x01, 0x00, // function 0 has type 0
			0x0a, 0x0a, 0x01, 0x08, 0x03, 0x02, 0x7f, 0x01, 0x7e, 0x01, 0x7f, 0x0b, // code
		}},
		{"global and names", func(m *Module) {
			m.Name = "k"
			m.ImportFunc("env", "g", m.AddType([]ValType{I32}, nil))
			m.AddGlobal(I64, true, -1)
		}, []byte{
			0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00, // type (i32) -> ()
			0x02, 0x09, 0x01, 0x03, 'e', 'n', 'v', 0x01, 'g', 0x00, 0x00, // import env.g func type 0
			0x06, 0x06, 0x01, 0x7e, 0x01, 0x42, 0x7f, 0x0b, // global mut i64 = -1
			0x00, 0x0f, 0x04, 'n', 'a', 'm', 'e', // custom "name"
			0x00, 0x02, 0x01, 'k', // module name
			0x01, 0x04, 0x01, 0x00, 0x01, 'g', // function 0 is "g"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Module
			tt.build(&m)
			got, err := m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			want := append(append([]byte(nil), header...), tt.want...)
			if !bytes.Equal(got, want) {
				t.Fatalf("got  % x\nwant % x", got, want)
			}
		})
	}
}
