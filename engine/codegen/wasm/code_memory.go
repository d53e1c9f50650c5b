package wasm

// Memory instructions (§5.4.6). Loads and stores carry a memarg: the alignment exponent align
// (the access is promised to be 2^align-byte aligned; a hint only, wrong promises cost speed,
// not correctness) and a constant offset added to the popped i32 address. align must not exceed
// the natural alignment of the access (§3.3.7): 0 for 8-bit, 1 for 16-bit, 2 for 32-bit and 3
// for 64-bit accesses.
//
// Opcodes: i32.load 0x28, i64.load 0x29, i32.load8_s 0x2C, i32.load8_u 0x2D, i32.load16_s 0x2E,
// i32.load16_u 0x2F, i64.load8_s 0x30, i64.load32_s 0x34, i32.store 0x36, i64.store 0x37,
// i32.store8 0x3A, i32.store16 0x3B; bulk memory (prefix 0xFC): memory.copy 0xFC 10,
// memory.fill 0xFC 11, each followed by zero bytes naming memory 0.

// I32Load loads 4 bytes as an i32.
func (c *Code) I32Load(align, offset uint32) { c.mem(0x28, "i32.load", 2, align, offset) }

// I64Load loads 8 bytes as an i64.
func (c *Code) I64Load(align, offset uint32) { c.mem(0x29, "i64.load", 3, align, offset) }

// I32Load8S loads one byte and sign-extends it to i32: the int8 activation and weight load.
func (c *Code) I32Load8S(align, offset uint32) { c.mem(0x2c, "i32.load8_s", 0, align, offset) }

// I32Load8U loads one byte and zero-extends it to i32.
func (c *Code) I32Load8U(align, offset uint32) { c.mem(0x2d, "i32.load8_u", 0, align, offset) }

// I32Load16S loads 2 bytes and sign-extends them to i32.
func (c *Code) I32Load16S(align, offset uint32) { c.mem(0x2e, "i32.load16_s", 1, align, offset) }

// I32Load16U loads 2 bytes and zero-extends them to i32.
func (c *Code) I32Load16U(align, offset uint32) { c.mem(0x2f, "i32.load16_u", 1, align, offset) }

// I64Load8S loads one byte and sign-extends it to i64.
func (c *Code) I64Load8S(align, offset uint32) { c.mem(0x30, "i64.load8_s", 0, align, offset) }

// I64Load32S loads 4 bytes and sign-extends them to i64.
func (c *Code) I64Load32S(align, offset uint32) { c.mem(0x34, "i64.load32_s", 2, align, offset) }

// I32Store pops a value and an address and stores 4 bytes.
func (c *Code) I32Store(align, offset uint32) { c.mem(0x36, "i32.store", 2, align, offset) }

// I64Store stores 8 bytes.
func (c *Code) I64Store(align, offset uint32) { c.mem(0x37, "i64.store", 3, align, offset) }

// I32Store8 stores the low byte of an i32: the int8 output store.
func (c *Code) I32Store8(align, offset uint32) { c.mem(0x3a, "i32.store8", 0, align, offset) }

// I32Store16 stores the low 2 bytes of an i32.
func (c *Code) I32Store16(align, offset uint32) { c.mem(0x3b, "i32.store16", 1, align, offset) }

func (c *Code) mem(opcode byte, name string, natural, align, offset uint32) {
	if align > natural {
		c.fail("%s: alignment exponent %d exceeds the natural alignment %d", name, align, natural)
	}
	c.memoryUsed = true
	b := appendU32(append(c.buf, opcode), align)
	c.buf = appendU32(b, offset)
	c.n++
}

// MemoryCopy pops a destination, a source and a length n (all i32) and copies n bytes;
// the ranges may overlap (memmove semantics).
func (c *Code) MemoryCopy() {
	c.memoryUsed = true
	c.buf = append(c.buf, 0xfc, 10, 0x00, 0x00) // destination and source memory 0
	c.n++
}

// MemoryFill pops a destination, a byte value and a length n (all i32) and sets n bytes.
func (c *Code) MemoryFill() {
	c.memoryUsed = true
	c.buf = append(c.buf, 0xfc, 11, 0x00) // memory 0
	c.n++
}
