package codegen

import (
	"fmt"
	"slices"

	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/models"
)

// meanPlan is a MEAN step as strided loops: the logical input shape (rank ≤ 4,
// padded in front with 1s), the byte stride of each logical dimension in the
// step's input buffer (a folded TRANSPOSE permutes them), and which dimensions
// are reduced.
type meanPlan struct {
	dims, strides [4]int
	reduced       [4]bool
	count         int32
	mode          int // 0 TFLite's 4-D keep-dims special case, 2 QuantizedMeanOrSum
	mult, shift   int32
	inZP, outZP   int32
	lo, hi        int32
}

// prepareMean derives TF Lite Micro's int8 MEAN (reduce_common.cc
// EvalIntegerMean; the two cases of ref's refMean, bit-exact with it) and the
// input strides through a folded TRANSPOSE or RESHAPE. Equal input and output
// quantization take the QuantizedMeanOrSum path too, as current TFLM does.
func (cg *codegen) prepareMean(s *plan.Step) (stepKernel, error) {
	g, op := cg.g, s.Op
	in, out := g.In(op, 0), g.Out(op, 0)
	if in.DType != models.Int8 || out.DType != models.Int8 {
		return stepKernel{}, fmt.Errorf("MEAN is executed for int8 only")
	}
	rank := len(in.Shape)
	if rank > 4 {
		return stepKernel{}, fmt.Errorf("MEAN over rank %d", rank)
	}
	strides, err := logicalStrides(g, op.Inputs[0])
	if err != nil {
		return stepKernel{}, err
	}
	mp := meanPlan{}
	pad := 4 - rank
	for i := 0; i < 4; i++ {
		mp.dims[i] = 1
	}
	for i := 0; i < rank; i++ {
		mp.dims[pad+i], mp.strides[pad+i] = in.Shape[i], strides[i]
	}
	count := 1
	for _, a := range op.Axes {
		if a < 0 || a >= rank {
			return stepKernel{}, fmt.Errorf("axis %d out of range", a)
		}
		if !mp.reduced[pad+a] {
			mp.reduced[pad+a] = true
			count *= in.Shape[a]
		}
	}
	mp.count = int32(count)
	iq, err := models.PerTensorQuant(in)
	if err != nil {
		return stepKernel{}, err
	}
	oq, err := models.PerTensorQuant(out)
	if err != nil {
		return stepKernel{}, err
	}
	mp.inZP, mp.outZP, mp.lo, mp.hi = iq.ZP, oq.ZP, -128, 127
	m, sh := models.QuantizeMultiplier(float64(iq.Scale) / float64(oq.Scale))
	axes := slices.Clone(op.Axes)
	slices.Sort(axes)
	switch {
	case op.KeepDims && rank == 4 && slices.Equal(axes, []int{1, 2}):
		mp.mode, mp.mult, mp.shift = 0, m, int32(sh)
	default:
		mm, ms := models.MeanMultiplier(m, sh, int64(count))
		mp.mode, mp.mult, mp.shift = 2, mm, int32(ms)
	}
	cg.means = append(cg.means, mp)
	return stepKernel{extra: []int32{int32(len(cg.means) - 1)}}, nil
}

// logicalStrides returns the byte strides of tensor t's dimensions inside the
// buffer that physically holds it: row-major for a tensor produced by a kernel,
// permuted through a folded TRANSPOSE (its permutation is in Op.Axes).
func logicalStrides(g *models.Graph, t int) ([]int, error) {
	for _, op := range g.Ops {
		if op.Outputs[0] != t {
			continue
		}
		if op.Kind == models.Transpose {
			src, err := logicalStrides(g, op.Inputs[0])
			if err != nil {
				return nil, err
			}
			if len(op.Axes) != len(src) {
				return nil, fmt.Errorf("TRANSPOSE %s has permutation %v for rank %d", op.Name, op.Axes, len(src))
			}
			out := make([]int, len(src))
			for i, p := range op.Axes {
				out[i] = src[p]
			}
			return out, nil
		}
		break
	}
	shape := g.Tensors[t].Shape
	st := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= shape[i]
	}
	return st, nil
}

// genMean emits the strided reduction: loops over the kept dimensions (output in
// row-major order), inner loops over the reduced ones. Blocks: out, elem.
func (cg *codegen) genMean(i int, k *stepKernel, f *kfn) {
	mp := cg.means[k.extra[0]]
	inT, outT := cg.inTag(i, 0), cg.outTag(i)
	inBase := int32(cg.bufAddr(cg.ex.In[i][0]))
	outBase := int32(cg.bufAddr(cg.ex.Out[i]))
	ids := cg.addBlocks(i, kernels.KernelMean)
	bOut, bElem := ids[kernels.MeanOut], ids[kernels.MeanElem]
	idx := [4]uint32{f.i32(), f.i32(), f.i32(), f.i32()}
	a, acc, o := f.i32(), f.i32(), f.i32()
	f.c.I32Const(outBase)
	f.c.LocalSet(o)
	var kept, red []int
	for d := 0; d < 4; d++ {
		if mp.reduced[d] {
			red = append(red, d)
		} else {
			kept = append(kept, d)
		}
	}
	var inner func(n int)
	inner = func(n int) {
		if n == len(red) {
			f.count(bElem)
			f.set(a, func() {
				f.lin(inBase, mp.strides[0], idx[0], mp.strides[1], idx[1], mp.strides[2], idx[2], mp.strides[3], idx[3])
			})
			f.c.LocalGet(acc)
			f.loadArena8(a, inT)
			if mp.mode == 0 {
				f.c.I32Const(-mp.inZP)
				f.c.I32Add()
			}
			f.c.I32Add()
			f.c.LocalSet(acc)
			return
		}
		d := red[n]
		f.forN(idx[d], mp.dims[d], func() { inner(n + 1) })
	}
	var outer func(n int)
	outer = func(n int) {
		if n == len(kept) {
			f.count(bOut)
			f.c.I32Const(0)
			f.c.LocalSet(acc)
			for _, d := range red {
				f.c.I32Const(0)
				f.c.LocalSet(idx[d])
			}
			inner(0)
			switch mp.mode {
			case 0: // MultiplyByQuantizedMultiplier, RoundedDivide by the count, + zp
				f.c.LocalGet(acc)
				f.requantConst(mp.mult, mp.shift)
				f.c.LocalSet(acc)
				f.roundedDivide(acc, mp.count)
				f.c.LocalGet(acc) // roundedDivide leaves its result in acc, not on the stack
				f.c.I32Const(mp.outZP)
				f.c.I32Add()
				f.c.LocalSet(acc)
				f.clamp(acc, mp.lo, mp.hi)
			default: // (sum − zp_in·count) requantized with 1/count folded in, + zp
				f.c.LocalGet(acc)
				f.c.I32Const(mp.inZP * mp.count)
				f.c.I32Sub()
				f.requantConst(mp.mult, mp.shift)
				f.c.I32Const(mp.outZP)
				f.c.I32Add()
				f.c.LocalSet(acc)
				f.clamp(acc, mp.lo, mp.hi)
			}
			f.storeArena8(o, acc, outT)
			f.inc(o, 1)
			return
		}
		d := kept[n]
		f.forN(idx[d], mp.dims[d], func() { outer(n + 1) })
	}
	for _, d := range kept {
		if mp.dims[d] == 1 {
			f.c.I32Const(0)
			f.c.LocalSet(idx[d])
		}
	}
	outer(0)
}

// roundedDivide replaces local v by TFLite's RoundedDivide(v, n) for a constant n
// (halves away from zero, truncating division).
func (f *kfn) roundedDivide(v uint32, n int32) {
	f.roundedDivideBy(v, func() { f.c.I32Const(n) })
}

// roundedDivideBy is RoundedDivide(v, n) with n pushed by pushN (a constant or
// a local): v = (v + (v > 0 ? n/2 : −(n/2))) / n (models.RoundedDivide).
func (f *kfn) roundedDivideBy(v uint32, pushN func()) {
	f.c.LocalGet(v)
	pushN()
	f.c.I32Const(2)
	f.c.I32DivS()
	f.c.I32Const(0)
	pushN()
	f.c.I32Const(2)
	f.c.I32DivS()
	f.c.I32Sub()
	f.c.LocalGet(v)
	f.c.I32Const(0)
	f.c.I32GtS()
	f.c.Select()
	f.c.I32Add()
	pushN()
	f.c.I32DivS()
	f.c.LocalSet(v)
}
