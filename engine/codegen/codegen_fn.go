package codegen

import (
	"mcusim/engine/codegen/wasm"
)

// kfn builds one generated function: named locals, counted loops and per-block
// execution counters. Counters live in i32 locals while the function runs and are
// added to the module's i64 counters region when it returns (one memory update per
// block per call instead of per execution).
type kfn struct {
	cg      *codegen
	c       wasm.Code
	nparams int
	locals  []wasm.ValType
	ctr     map[int]uint32 // block id → counter local
	ctrIDs  []int
}

func (cg *codegen) newFn(nparams int) *kfn {
	return &kfn{cg: cg, nparams: nparams, ctr: map[int]uint32{}}
}

// local allocates a new local of type t.
func (f *kfn) local(t wasm.ValType) uint32 {
	f.locals = append(f.locals, t)
	return uint32(f.nparams + len(f.locals) - 1)
}

func (f *kfn) i32() uint32 { return f.local(wasm.I32) }

// count adds one execution of block id.
func (f *kfn) count(id int) {
	l, ok := f.ctr[id]
	if !ok {
		l = f.i32()
		f.ctr[id] = l
		f.ctrIDs = append(f.ctrIDs, id)
	}
	f.c.LocalGet(l)
	f.c.I32Const(1)
	f.c.I32Add()
	f.c.LocalSet(l)
}

// flush adds the local counters to the counters region; called before returning.
func (f *kfn) flush() {
	for _, id := range f.ctrIDs {
		addr := int32(f.cg.lay.Counters) + int32(8*id)
		f.c.I32Const(addr)
		f.c.I32Const(addr)
		f.c.I64Load(3, 0)
		f.c.LocalGet(f.ctr[id])
		f.c.I64ExtendI32U()
		f.c.I64Add()
		f.c.I64Store(3, 0)
	}
}

// forN emits `for v := 0; v < n; v++ { body() }` for a constant n ≥ 1 as a
// do-while loop (the shape a compiler gives a counted loop on Cortex-M).
func (f *kfn) forN(v uint32, n int, body func()) {
	if n <= 0 {
		return
	}
	f.c.I32Const(0)
	f.c.LocalSet(v)
	f.c.Loop(wasm.Void)
	body()
	f.c.LocalGet(v)
	f.c.I32Const(1)
	f.c.I32Add()
	f.c.LocalTee(v)
	f.c.I32Const(int32(n))
	f.c.I32LtS()
	f.c.BrIf(0)
	f.c.End()
}

// forRange emits `for v := lo; v < hi; v++ { body() }` with lo and hi in locals
// (possibly empty).
func (f *kfn) forRange(v, lo, hi uint32, body func()) {
	f.c.LocalGet(lo)
	f.c.LocalSet(v)
	f.c.Block(wasm.Void)
	f.c.Loop(wasm.Void)
	f.c.LocalGet(v)
	f.c.LocalGet(hi)
	f.c.I32GeS()
	f.c.BrIf(1)
	body()
	f.c.LocalGet(v)
	f.c.I32Const(1)
	f.c.I32Add()
	f.c.LocalSet(v)
	f.c.Br(0)
	f.c.End()
	f.c.End()
}

// ifThen emits `if cond { body() }`; cond() pushes an i32.
func (f *kfn) ifThen(cond, body func()) {
	cond()
	f.c.If(wasm.Void)
	body()
	f.c.End()
}

// set evaluates expr (pushing one value) into local v.
func (f *kfn) set(v uint32, expr func()) {
	expr()
	f.c.LocalSet(v)
}

// lin pushes a + Σ k_i·local_i (an address or index expression).
func (f *kfn) lin(a int32, terms ...any) {
	f.c.I32Const(a)
	for i := 0; i+1 < len(terms); i += 2 {
		k := terms[i].(int)
		v := terms[i+1].(uint32)
		if k == 0 {
			continue
		}
		f.c.LocalGet(v)
		if k != 1 {
			f.c.I32Const(int32(k))
			f.c.I32Mul()
		}
		f.c.I32Add()
	}
}

// add registers the function in the module and returns its index.
func (f *kfn) add(name string, params, results []wasm.ValType) uint32 {
	f.flush()
	ty := f.cg.mod.AddType(params, results)
	return f.cg.mod.AddFunc(name, ty, f.locals, &f.c)
}
