package codegen

import (
	"mcusim/engine/codegen/wasm"
)

// Memory accesses of generated kernels. Arena accesses carry the owner tag of the
// operand (plan buffer index + 1); in verify mode each one first calls `check`,
// which traps when the byte is outside the arena or owned by another buffer
// (DESIGN.md "A plan is checked by running it").

// accKind values passed to check, also recorded in the trap record.
const (
	kindLoad  = 0
	kindStore = 1
)

// loadArena8 pushes the sign-extended int8 at the address held in local a.
func (f *kfn) loadArena8(a uint32, tag int) {
	if f.cg.opt.Verify {
		f.check(a, tag, kindLoad)
	}
	f.c.LocalGet(a)
	f.c.I32Load8S(0, 0)
}

// storeArena8 stores the i32 in local v as int8 at the address in local a.
func (f *kfn) storeArena8(a, v uint32, tag int) {
	if f.cg.opt.Verify {
		f.check(a, tag, kindStore)
	}
	f.c.LocalGet(a)
	f.c.LocalGet(v)
	f.c.I32Store8(0, 0)
}

func (f *kfn) check(a uint32, tag, kind int) {
	f.c.LocalGet(a)
	f.c.I32Const(int32(tag))
	f.c.I32Const(int32(kind))
	f.c.Call(f.cg.fnCheck)
}

// genCheck emits check(addr, tag, kind): traps unless addr lies in the arena and
// its shadow entry (one u16 per arena byte) equals tag.
func (cg *codegen) genCheck() uint32 {
	f := cg.newFn(3)
	const addr, tag, kind = 0, 1, 2
	off, found := f.i32(), f.i32()
	f.set(off, func() { f.c.LocalGet(addr); f.c.I32Const(int32(cg.lay.Arena)); f.c.I32Sub() })
	// Outside the arena: found = 0xffff.
	f.c.LocalGet(off)
	f.c.I32Const(int32(cg.lay.ArenaBytes))
	f.c.I32GeU()
	f.c.If(wasm.Void)
	f.c.I32Const(0xffff)
	f.c.LocalSet(found)
	f.c.Else()
	f.c.LocalGet(off)
	f.c.I32Const(1)
	f.c.I32Shl()
	f.c.I32Load16U(1, cg.lay.Shadow)
	f.c.LocalSet(found)
	f.c.End()
	f.c.LocalGet(found)
	f.c.LocalGet(tag)
	f.c.I32Ne()
	f.c.If(wasm.Void)
	rec := func(field int32, v uint32) {
		f.c.I32Const(int32(cg.lay.Trap) + field)
		f.c.LocalGet(v)
		f.c.I32Store(2, 0)
	}
	rec(trapAddr, off)
	rec(trapWant, tag)
	rec(trapFound, found)
	rec(trapWrite, kind)
	f.c.Unreachable()
	f.c.End()
	return f.add("check", []wasm.ValType{wasm.I32, wasm.I32, wasm.I32}, nil)
}

// genShadowFns emits claim(off, size, tag), which gives bytes of the arena to a
// buffer, and release(off, size, tag), which frees the bytes the buffer still owns.
func (cg *codegen) genShadowFns() (claim, release uint32) {
	for _, rel := range []bool{false, true} {
		f := cg.newFn(3)
		const off, size, tag = 0, 1, 2
		i, end := f.i32(), f.i32()
		f.set(end, func() { f.c.LocalGet(off); f.c.LocalGet(size); f.c.I32Add() })
		f.forRange(i, off, end, func() {
			if rel {
				f.c.LocalGet(i)
				f.c.I32Const(1)
				f.c.I32Shl()
				f.c.I32Load16U(1, cg.lay.Shadow)
				f.c.LocalGet(tag)
				f.c.I32Eq()
				f.c.If(wasm.Void)
				f.c.LocalGet(i)
				f.c.I32Const(1)
				f.c.I32Shl()
				f.c.I32Const(0)
				f.c.I32Store16(1, cg.lay.Shadow)
				f.c.End()
				return
			}
			f.c.LocalGet(i)
			f.c.I32Const(1)
			f.c.I32Shl()
			f.c.LocalGet(tag)
			f.c.I32Store16(1, cg.lay.Shadow)
		})
		name := "claim"
		if rel {
			name = "release"
		}
		idx := f.add(name, []wasm.ValType{wasm.I32, wasm.I32, wasm.I32}, nil)
		if rel {
			release = idx
		} else {
			claim = idx
		}
	}
	return claim, release
}

// genRequant emits requant(x, mult, shift) = TFLite's MultiplyByQuantizedMultiplier
// (tensorflow/lite/kernels/internal/common.h): x·2^max(shift,0), then
// SaturatingRoundingDoublingHighMul by mult, then RoundingDivideByPOT by
// max(−shift, 0). Bit-identical to models.MultiplyByQuantizedMultiplier.
func (cg *codegen) genRequant() uint32 {
	f := cg.newFn(3)
	const x, mult, shift = 0, 1, 2
	a, hi, right, mask, rem, thr := f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32()
	ab := f.local(wasm.I64)
	// a = x << max(shift, 0); right = max(−shift, 0)
	f.c.LocalGet(shift)
	f.c.I32Const(0)
	f.c.I32GtS()
	f.c.If(wasm.Void)
	f.c.LocalGet(x)
	f.c.LocalGet(shift)
	f.c.I32Shl()
	f.c.LocalSet(a)
	f.c.I32Const(0)
	f.c.LocalSet(right)
	f.c.Else()
	f.c.LocalGet(x)
	f.c.LocalSet(a)
	f.c.I32Const(0)
	f.c.LocalGet(shift)
	f.c.I32Sub()
	f.c.LocalSet(right)
	f.c.End()
	// SaturatingRoundingDoublingHighMul(a, mult)
	f.c.LocalGet(a)
	f.c.LocalGet(mult)
	f.c.I32Eq()
	f.c.LocalGet(a)
	f.c.I32Const(-1 << 31)
	f.c.I32Eq()
	f.c.I32And()
	f.c.If(wasm.Void)
	f.c.I32Const(1<<31 - 1)
	f.c.LocalSet(hi)
	f.c.Else()
	f.c.LocalGet(a)
	f.c.I64ExtendI32S()
	f.c.LocalGet(mult)
	f.c.I64ExtendI32S()
	f.c.I64Mul()
	f.c.LocalTee(ab)
	f.c.I64Const(1 << 30)
	f.c.I64Const(1 - (1 << 30))
	f.c.LocalGet(ab)
	f.c.I64Const(0)
	f.c.I64GeS()
	f.c.Select()
	f.c.I64Add()
	f.c.I64Const(1 << 31)
	f.c.I64DivS()
	f.c.I32WrapI64()
	f.c.LocalSet(hi)
	f.c.End()
	// RoundingDivideByPOT(hi, right)
	f.set(mask, func() { f.c.I32Const(1); f.c.LocalGet(right); f.c.I32Shl(); f.c.I32Const(1); f.c.I32Sub() })
	f.set(rem, func() { f.c.LocalGet(hi); f.c.LocalGet(mask); f.c.I32And() })
	f.set(thr, func() {
		f.c.LocalGet(mask)
		f.c.I32Const(1)
		f.c.I32ShrS()
		f.c.LocalGet(hi)
		f.c.I32Const(0)
		f.c.I32LtS()
		f.c.I32Add()
	})
	f.c.LocalGet(hi)
	f.c.LocalGet(right)
	f.c.I32ShrS()
	f.c.LocalGet(rem)
	f.c.LocalGet(thr)
	f.c.I32GtS()
	f.c.I32Add()
	return f.add("requant", []wasm.ValType{wasm.I32, wasm.I32, wasm.I32}, []wasm.ValType{wasm.I32})
}

// clampStore requantizes nothing: it adds the output zero point to the value in
// local v, clamps it to [lo, hi] and stores it as int8 at the address in local a.
func (f *kfn) clampStore(a, v uint32, zp, lo, hi int32, tag int) {
	f.c.LocalGet(v)
	f.c.I32Const(zp)
	f.c.I32Add()
	f.c.LocalSet(v)
	f.clamp(v, lo, hi)
	f.storeArena8(a, v, tag)
}

// clamp clamps local v to [lo, hi].
func (f *kfn) clamp(v uint32, lo, hi int32) {
	// select(a, b, c) yields a when c ≠ 0 (WebAssembly Core §4.4.4).
	f.c.I32Const(lo)
	f.c.LocalGet(v)
	f.c.LocalGet(v)
	f.c.I32Const(lo)
	f.c.I32LtS()
	f.c.Select()
	f.c.LocalSet(v)
	f.c.I32Const(hi)
	f.c.LocalGet(v)
	f.c.LocalGet(v)
	f.c.I32Const(hi)
	f.c.I32GtS()
	f.c.Select()
	f.c.LocalSet(v)
}
