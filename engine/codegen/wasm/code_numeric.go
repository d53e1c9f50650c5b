package wasm

// Numeric instructions (§5.4.7), integer part. Binary operators pop b, then a, and push the
// result; comparisons push an i32 that is 1 or 0. Opcodes: i32.const 0x41, i64.const 0x42;
// i32 comparisons 0x45–0x4F and i64 comparisons 0x50–0x5A (eqz, eq, ne, lt_s, lt_u, gt_s, gt_u,
// le_s, le_u, ge_s, ge_u); i32 arithmetic 0x6A–0x76 and i64 arithmetic 0x7C–0x88 (add, sub,
// mul, div_s, div_u, rem_s, rem_u, and, or, xor, shl, shr_s, shr_u); conversions
// i32.wrap_i64 0xA7, i64.extend_i32_s 0xAC, i64.extend_i32_u 0xAD; sign-extension operators
// i32.extend8_s 0xC0, i32.extend16_s 0xC1.

// I32Const pushes v. Its immediate is signed LEB128 (s32, §5.2.2).
func (c *Code) I32Const(v int32) {
	c.buf = appendSLEB128(append(c.buf, 0x41), int64(v))
	c.n++
}

// I64Const pushes v. Its immediate is signed LEB128 (s64, §5.2.2).
func (c *Code) I64Const(v int64) {
	c.buf = appendSLEB128(append(c.buf, 0x42), v)
	c.n++
}

// I32Eqz is i32.eqz: pops one value and pushes 1 if it is zero, else 0.
func (c *Code) I32Eqz() { c.op(0x45) }

// I32Eq is i32.eq: pushes 1 if a = b.
func (c *Code) I32Eq() { c.op(0x46) }

// I32Ne is i32.ne: pushes 1 if a ≠ b.
func (c *Code) I32Ne() { c.op(0x47) }

// I32LtS is i32.lt_s: pushes 1 if a < b, signed.
func (c *Code) I32LtS() { c.op(0x48) }

// I32LtU is i32.lt_u: pushes 1 if a < b, unsigned.
func (c *Code) I32LtU() { c.op(0x49) }

// I32GtS is i32.gt_s: pushes 1 if a > b, signed.
func (c *Code) I32GtS() { c.op(0x4a) }

// I32GtU is i32.gt_u: pushes 1 if a > b, unsigned.
func (c *Code) I32GtU() { c.op(0x4b) }

// I32LeS is i32.le_s: pushes 1 if a ≤ b, signed.
func (c *Code) I32LeS() { c.op(0x4c) }

// I32LeU is i32.le_u: pushes 1 if a ≤ b, unsigned.
func (c *Code) I32LeU() { c.op(0x4d) }

// I32GeS is i32.ge_s: pushes 1 if a ≥ b, signed.
func (c *Code) I32GeS() { c.op(0x4e) }

// I32GeU is i32.ge_u: pushes 1 if a ≥ b, unsigned.
func (c *Code) I32GeU() { c.op(0x4f) }

// I32Add is i32.add: pushes a + b (wrapping).
func (c *Code) I32Add() { c.op(0x6a) }

// I32Sub is i32.sub: pushes a − b (wrapping).
func (c *Code) I32Sub() { c.op(0x6b) }

// I32Mul is i32.mul: pushes a × b (wrapping).
func (c *Code) I32Mul() { c.op(0x6c) }

// I32DivS is i32.div_s: pushes a / b, signed, truncating toward zero; traps on b = 0 and on overflow.
func (c *Code) I32DivS() { c.op(0x6d) }

// I32DivU is i32.div_u: pushes a / b, unsigned; traps on b = 0.
func (c *Code) I32DivU() { c.op(0x6e) }

// I32RemS is i32.rem_s: pushes the signed remainder of a / b (sign of a); traps on b = 0.
func (c *Code) I32RemS() { c.op(0x6f) }

// I32RemU is i32.rem_u: pushes the unsigned remainder of a / b; traps on b = 0.
func (c *Code) I32RemU() { c.op(0x70) }

// I32And is i32.and: pushes a AND b.
func (c *Code) I32And() { c.op(0x71) }

// I32Or is i32.or: pushes a OR b.
func (c *Code) I32Or() { c.op(0x72) }

// I32Xor is i32.xor: pushes a XOR b.
func (c *Code) I32Xor() { c.op(0x73) }

// I32Shl is i32.shl: pushes a << (b mod width).
func (c *Code) I32Shl() { c.op(0x74) }

// I32ShrS is i32.shr_s: pushes a >> (b mod width), arithmetic (sign-filling).
func (c *Code) I32ShrS() { c.op(0x75) }

// I32ShrU is i32.shr_u: pushes a >> (b mod width), logical (zero-filling).
func (c *Code) I32ShrU() { c.op(0x76) }

// I64Eqz is i64.eqz: pops one value and pushes 1 if it is zero, else 0.
func (c *Code) I64Eqz() { c.op(0x50) }

// I64Eq is i64.eq: pushes 1 if a = b.
func (c *Code) I64Eq() { c.op(0x51) }

// I64Ne is i64.ne: pushes 1 if a ≠ b.
func (c *Code) I64Ne() { c.op(0x52) }

// I64LtS is i64.lt_s: pushes 1 if a < b, signed.
func (c *Code) I64LtS() { c.op(0x53) }

// I64LtU is i64.lt_u: pushes 1 if a < b, unsigned.
func (c *Code) I64LtU() { c.op(0x54) }

// I64GtS is i64.gt_s: pushes 1 if a > b, signed.
func (c *Code) I64GtS() { c.op(0x55) }

// I64GtU is i64.gt_u: pushes 1 if a > b, unsigned.
func (c *Code) I64GtU() { c.op(0x56) }

// I64LeS is i64.le_s: pushes 1 if a ≤ b, signed.
func (c *Code) I64LeS() { c.op(0x57) }

// I64LeU is i64.le_u: pushes 1 if a ≤ b, unsigned.
func (c *Code) I64LeU() { c.op(0x58) }

// I64GeS is i64.ge_s: pushes 1 if a ≥ b, signed.
func (c *Code) I64GeS() { c.op(0x59) }

// I64GeU is i64.ge_u: pushes 1 if a ≥ b, unsigned.
func (c *Code) I64GeU() { c.op(0x5a) }

// I64Add is i64.add: pushes a + b (wrapping).
func (c *Code) I64Add() { c.op(0x7c) }

// I64Sub is i64.sub: pushes a − b (wrapping).
func (c *Code) I64Sub() { c.op(0x7d) }

// I64Mul is i64.mul: pushes a × b (wrapping).
func (c *Code) I64Mul() { c.op(0x7e) }

// I64DivS is i64.div_s: pushes a / b, signed, truncating toward zero; traps on b = 0 and on overflow.
func (c *Code) I64DivS() { c.op(0x7f) }

// I64DivU is i64.div_u: pushes a / b, unsigned; traps on b = 0.
func (c *Code) I64DivU() { c.op(0x80) }

// I64RemS is i64.rem_s: pushes the signed remainder of a / b (sign of a); traps on b = 0.
func (c *Code) I64RemS() { c.op(0x81) }

// I64RemU is i64.rem_u: pushes the unsigned remainder of a / b; traps on b = 0.
func (c *Code) I64RemU() { c.op(0x82) }

// I64And is i64.and: pushes a AND b.
func (c *Code) I64And() { c.op(0x83) }

// I64Or is i64.or: pushes a OR b.
func (c *Code) I64Or() { c.op(0x84) }

// I64Xor is i64.xor: pushes a XOR b.
func (c *Code) I64Xor() { c.op(0x85) }

// I64Shl is i64.shl: pushes a << (b mod width).
func (c *Code) I64Shl() { c.op(0x86) }

// I64ShrS is i64.shr_s: pushes a >> (b mod width), arithmetic (sign-filling).
func (c *Code) I64ShrS() { c.op(0x87) }

// I64ShrU is i64.shr_u: pushes a >> (b mod width), logical (zero-filling).
func (c *Code) I64ShrU() { c.op(0x88) }

// I32WrapI64 is i32.wrap_i64: keeps the low 32 bits of an i64.
func (c *Code) I32WrapI64() { c.op(0xa7) }

// I64ExtendI32S is i64.extend_i32_s: sign-extends an i32 to i64.
func (c *Code) I64ExtendI32S() { c.op(0xac) }

// I64ExtendI32U is i64.extend_i32_u: zero-extends an i32 to i64.
func (c *Code) I64ExtendI32U() { c.op(0xad) }

// I32Extend8S is i32.extend8_s: sign-extends the low byte of an i32, e.g. one int8 lane of a
// word loaded with I32Load.
func (c *Code) I32Extend8S() { c.op(0xc0) }

// I32Extend16S is i32.extend16_s: sign-extends the low 2 bytes of an i32.
func (c *Code) I32Extend16S() { c.op(0xc1) }
