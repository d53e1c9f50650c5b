package codegen

import (
	"fmt"

	"mcusim/engine/codegen/wasm"
	"mcusim/engine/plan"
	"mcusim/models"
)

// compile lays memory out, generates one function per step and the driver `run`
// that executes the schedule (patch loop, stage copies, shadow claims), and
// encodes the module.
func (cg *codegen) compile() (*Compiled, error) {
	ex, pl := cg.ex, cg.plan
	if err := cg.checkSupported(); err != nil {
		return nil, err
	}
	// Flash first: its size fixes every later address. Kernels embed absolute
	// addresses, so the whole map is fixed before any code is generated; the
	// counters go last because their number is known only afterwards.
	cg.lay.Trap = 0
	cg.lay.Flash = 64
	kern := make([]stepKernel, len(ex.Steps))
	for i := range ex.Steps {
		k, err := cg.prepare(i)
		if err != nil {
			return nil, cg.opErr(i, err)
		}
		kern[i] = k
	}
	cg.lay.FlashBytes = len(cg.flash)
	cg.lay.Arena = uint32(align(int(cg.lay.Flash)+cg.lay.FlashBytes, 16))
	cg.lay.ArenaBytes = pl.Arena
	cg.lay.Scratch = uint32(align(int(cg.lay.Arena)+pl.Arena, 16))
	cg.lay.ScratchBytes = pl.SBuf + pl.KBuf
	cg.lay.Input = uint32(align(int(cg.lay.Scratch)+cg.lay.ScratchBytes, 16))
	if ex.Split > 0 && ex.InputFrame < 0 {
		// plan.InputStream: the frame is outside SRAM (the camera or decoder
		// the rows come from); the driver copies each patch's window in.
		cg.lay.InputBytes = ex.Full[0].Ins[0].Bytes()
	}
	cg.lay.Shadow = uint32(align(int(cg.lay.Input)+cg.lay.InputBytes, 16))
	if ex.InputFrame >= 0 {
		// plan.InputSRAM: the frame is an arena buffer of its own.
		cg.lay.Input = cg.bufAddr(ex.InputFrame)
	}
	shadowBytes := 0
	if cg.opt.Verify {
		shadowBytes = 2 * pl.Arena
	}
	cg.lay.Counters = uint32(align(int(cg.lay.Shadow)+shadowBytes, 16))

	cg.importHost()
	cg.fnRequant = cg.genRequant()
	if cg.opt.Verify {
		cg.fnCheck = cg.genCheck()
		cg.fnClaim, cg.fnRelease = cg.genShadowFns()
	}
	fnCopy := cg.genCopyRows()
	for i := range ex.Steps {
		if err := cg.genStep(i, &kern[i]); err != nil {
			return nil, cg.opErr(i, err)
		}
	}
	regions, err := plan.PatchRegions(cg.plan)
	if err != nil {
		return nil, err
	}
	cg.genRun(kern, regions, fnCopy)

	end := int(cg.lay.Counters) + 8*len(cg.blocks)
	cg.lay.Pages = uint32((end + wasmPage - 1) / wasmPage)
	cg.mod.Memory(cg.lay.Pages, cg.lay.Pages)
	cg.mod.ExportMemory("memory")
	if len(cg.flash) > 0 {
		cg.mod.AddData(cg.lay.Flash, cg.flash)
	}
	bin, err := cg.mod.Encode()
	if err != nil {
		return nil, fmt.Errorf("encoding the module: %v", err)
	}
	out := &Compiled{Wasm: bin, Blocks: cg.blocks, Style: cg.opt.Style, Verify: cg.opt.Verify,
		Plan: pl, Graph: cg.g, Layout: cg.lay}
	for i := range ex.Steps {
		out.StepName = append(out.StepName, fmt.Sprintf("operator %d (%s %s)", i, ex.Steps[i].Kind, ex.Steps[i].Name))
	}
	for _, b := range pl.Buffers {
		out.Buffers = append(out.Buffers, cg.bufferName(b))
	}
	if out.Inputs, out.Outputs, err = cg.slots(); err != nil {
		return nil, err
	}
	return out, nil
}

func (cg *codegen) opErr(i int, err error) error {
	s := &cg.ex.Steps[i]
	return fmt.Errorf("operator %d (%s %s): %v", i, s.Kind, s.Name, err)
}

// bufferName names a plan buffer by the graph tensor that first occupies it.
func (cg *codegen) bufferName(b plan.Buffer) string {
	for i := range cg.ex.Steps {
		for j, bi := range cg.ex.In[i] {
			if cg.plan.Buffers[bi] == b {
				return cg.tensorName(cg.ex.Steps[i].Op, j, true)
			}
		}
		if cg.plan.Buffers[cg.ex.Out[i]] == b {
			return cg.tensorName(cg.ex.Steps[i].Op, 0, false)
		}
	}
	return fmt.Sprintf("buffer@%d", b.Offset)
}

func (cg *codegen) tensorName(op *models.Op, j int, input bool) string {
	if !input {
		return cg.g.Tensors[op.Outputs[0]].Name
	}
	n := 0
	for _, t := range op.Inputs {
		if t >= 0 && !cg.g.Tensors[t].Const {
			if n == j {
				return cg.g.Tensors[t].Name
			}
			n++
		}
	}
	return "?"
}

// stepKernel holds what a step's kernel needs from Flash.
type stepKernel struct {
	weights, bias, mult, shift uint32 // Flash addresses (0 when unused)
	actMin, actMax             int32
	inZP, outZP                int32
	extra                      []int32 // op-specific constants
	fn                         uint32
}

// checkSupported rejects what the generator cannot run, with a reason.
func (cg *codegen) checkSupported() error {
	if r := cg.ex.InputRows; r > 0 {
		return fmt.Errorf("the layer-based schedule under --input-source stream keeps %d of the input's %d rows in SRAM, but the generated kernels read the whole frame: it can be planned and priced, not executed (run it with --input-source sram)", r, cg.ex.Full[0].Ins[0].H)
	}
	for _, t := range cg.g.Tensors {
		if t.DType == models.Int4 {
			return fmt.Errorf("int4 models cannot be executed (only planned)")
		}
	}
	return nil
}

// genCopyRows emits copyRows(dst, src, bytes, rows, dstStride, srcStride): the
// driver's window copies (patch input windows, patch tiles into the stage buffer).
func (cg *codegen) genCopyRows() uint32 {
	f := cg.newFn(6)
	const dst, src, n, rows, ds, ss = 0, 1, 2, 3, 4, 5
	r := f.i32()
	f.forRange(r, f.zero(), rows, func() {
		f.c.LocalGet(dst)
		f.c.LocalGet(src)
		f.c.LocalGet(n)
		f.c.MemoryCopy()
		f.set(dst, func() { f.c.LocalGet(dst); f.c.LocalGet(ds); f.c.I32Add() })
		f.set(src, func() { f.c.LocalGet(src); f.c.LocalGet(ss); f.c.I32Add() })
	})
	return f.add("copy_rows", []wasm.ValType{wasm.I32, wasm.I32, wasm.I32, wasm.I32, wasm.I32, wasm.I32}, nil)
}

// zero returns a local holding 0.
func (f *kfn) zero() uint32 {
	z := f.i32()
	f.c.I32Const(0)
	f.c.LocalSet(z)
	return z
}

// genRun emits the exported driver `run`.
func (cg *codegen) genRun(kern []stepKernel, regions []plan.PatchWindows, fnCopy uint32) {
	ex, pl := cg.ex, cg.plan
	f := cg.newFn(0)
	n, K := len(ex.Steps), ex.Split
	verify := cg.opt.Verify
	stage := map[int]bool{}
	for _, sc := range ex.StageCopies {
		stage[sc.To] = true
	}
	// The input frame of a patch schedule under plan.InputSRAM is claimed
	// once, before the first patch, and released after the last.
	frame := ex.InputFrame
	if frame >= 0 {
		stage[frame] = true
	}
	claim := func(b int) {
		if verify {
			buf := pl.Buffers[b]
			f.c.I32Const(int32(buf.Offset))
			f.c.I32Const(int32(buf.Size))
			f.c.I32Const(int32(b + 1))
			f.c.Call(cg.fnClaim)
		}
	}
	release := func(b, from, size int) {
		if verify {
			f.c.I32Const(int32(pl.Buffers[b].Offset + from))
			f.c.I32Const(int32(size))
			f.c.I32Const(int32(b + 1))
			f.c.Call(cg.fnRelease)
		}
	}
	// before/after step i: claims of buffers that start at i, shrink, releases.
	before := func(i int, skipStage bool) {
		for b, buf := range pl.Buffers {
			if buf.Start == i && !(skipStage && stage[b]) {
				claim(b)
			}
		}
	}
	after := func(i int) {
		for b, buf := range pl.Buffers {
			if buf.ShrinkAt == i {
				// A stride-2 in-place depthwise leaves its output at the start of
				// the buffer; the rest is free. TinyEngine lets later buffers use
				// all but the first quarter (claims.md §7.4), which is less than
				// the output for odd sizes (5×5 → 3×3 keeps 9/25): such a buffer
				// takes the bytes over at its claim, and a later read of the
				// output then fails the check — a real clobber of that plan.
				q := align(ex.Steps[i].Out.Bytes(), 4) // TinyEngine's 4-byte tensor alignment (claims.md §7.1)
				if q < buf.Size {
					release(b, q, buf.Size-q)
				}
			}
			if buf.End == i+1 && i+1 < n && b != frame {
				release(b, 0, buf.Size)
			}
		}
	}
	// call passes the window origins (output, input 0, input 1; the step
	// parameters pOY0…pRX0 in that order) and calls step i.
	call := func(i int, w []plan.Window) {
		var args [numStepParams]int
		for k := 0; k < len(w) && 2*k+1 < numStepParams; k++ {
			args[2*k], args[2*k+1] = w[k].Y0, w[k].X0
		}
		for _, v := range args {
			f.c.I32Const(int32(v))
		}
		if verify {
			f.c.I32Const(int32(cg.lay.Trap + trapStep))
			f.c.I32Const(int32(i))
			f.c.I32Store(2, 0)
		}
		f.c.Call(kern[i].fn)
	}
	if K == 0 {
		for i := 0; i < n; i++ {
			before(i, false)
			call(i, nil)
			after(i)
		}
	} else {
		for b := range stage {
			claim(b)
		}
		in0 := ex.Full[0].Ins[0]
		C := in0.C
		inBuf := ex.In[0][0]
		grid := cg.plan.Patch
		for pidx, pw := range regions {
			pi, pj := pidx/grid.Patches, pidx%grid.Patches
			steps := pw.Steps
			before(0, true)
			// Copy the patch input window from the image; rows and columns outside
			// the image are never read (kernels skip taps outside the image).
			w := steps[0][1]
			y0, y1 := max(w.Y0, 0), min(w.Y1, in0.H)
			x0, x1 := max(w.X0, 0), min(w.X1, in0.W)
			winW := ex.Steps[0].Ins[0].W
			if y1 > y0 && x1 > x0 {
				f.c.I32Const(int32(cg.bufAddr(inBuf)) + int32(((y0-w.Y0)*winW+(x0-w.X0))*C))
				f.c.I32Const(int32(cg.lay.Input) + int32((y0*in0.W+x0)*C))
				f.c.I32Const(int32((x1 - x0) * C))
				f.c.I32Const(int32(y1 - y0))
				f.c.I32Const(int32(winW * C))
				f.c.I32Const(int32(in0.W * C))
				f.c.Call(fnCopy)
			}
			for i := 0; i < K; i++ {
				if i > 0 {
					before(i, true)
				}
				call(i, steps[i])
				if i == K-1 {
					cg.stageCopies(f, fnCopy, pi, pj, pw.Buf)
				}
				after(i)
			}
		}
		if frame >= 0 {
			release(frame, 0, pl.Buffers[frame].Size)
		}
		for i := K; i < n; i++ {
			before(i, true)
			call(i, nil)
			after(i)
		}
	}
	idx := f.add("run", nil, nil)
	cg.mod.ExportFunc("run", idx)
}

// stageCopies copies patch (pi, pj)'s tile from each patch-stage buffer into its
// full-size stage buffer.
func (cg *codegen) stageCopies(f *kfn, fnCopy uint32, pi, pj int, buf map[int]plan.Window) {
	ex, info := cg.ex, cg.plan.Patch
	gh, gw := info.GrainHW[0], info.GrainHW[1]
	full := ex.Full[ex.Split].Ins[0]
	C := full.C
	ty, tx := pi*gh, pj*gw
	for _, sc := range ex.StageCopies {
		w := buf[sc.Group]
		ww := w.X1 - w.X0
		f.c.I32Const(int32(cg.bufAddr(sc.To)) + int32((ty*full.W+tx)*C))
		f.c.I32Const(int32(cg.bufAddr(sc.From)) + int32(((ty-w.Y0)*ww+(tx-w.X0))*C))
		f.c.I32Const(int32(gw * C))
		f.c.I32Const(int32(gh))
		f.c.I32Const(int32(full.W * C))
		f.c.I32Const(int32(ww * C))
		f.c.Call(fnCopy)
	}
}

// wasmPage is the WebAssembly page size, 64 KiB (Core Specification §2.3.8 memory types).
const wasmPage = 65536

// slots says where the host writes each graph input and reads each output.
func (cg *codegen) slots() (ins, outs []Slot, err error) {
	ex := cg.ex
	find := func(t int, output bool) (Slot, error) {
		grp := ex.TensorGroup[t]
		if grp < 0 {
			return Slot{}, fmt.Errorf("graph tensor %s is not used by any operator", cg.g.Tensors[t].Name)
		}
		view := ex.GroupView[grp]
		sl := Slot{Tensor: view, Boundary: t, Bytes: cg.g.Tensors[view].Bytes()}
		if !output && ex.Split > 0 {
			if ex.Steps[0].Ins[0].Group != grp {
				return Slot{}, fmt.Errorf("patch-based execution needs the network input to feed operator 0")
			}
			sl.Offset = cg.lay.Input
			return sl, nil
		}
		for i := range ex.Steps {
			if output && ex.Steps[i].Out.Group == grp {
				sl.Offset = cg.bufAddr(ex.Out[i])
				return sl, nil
			}
			for j, a := range ex.Steps[i].Ins {
				if !output && a.Group == grp && !(ex.Split > 0 && i >= ex.Split) {
					sl.Offset = cg.bufAddr(ex.In[i][j])
					return sl, nil
				}
			}
		}
		return Slot{}, fmt.Errorf("graph tensor %s has no buffer", cg.g.Tensors[t].Name)
	}
	for _, t := range cg.g.Inputs {
		s, err := find(t, false)
		if err != nil {
			return nil, nil, err
		}
		ins = append(ins, s)
	}
	for _, t := range cg.g.Outputs {
		s, err := find(t, true)
		if err != nil {
			return nil, nil, err
		}
		outs = append(outs, s)
	}
	return ins, outs, nil
}
