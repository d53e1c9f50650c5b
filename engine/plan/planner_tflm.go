package plan

import (
	"sort"

	"mcusim/models"
)

// tflmAlignment is TF Lite Micro's buffer alignment in the arena
// (tensorflow/lite/micro/micro_allocator.cc, kBufferAlignment = 16).
const tflmAlignment = 16

// tflmPlace reproduces TF Lite Micro's GreedyMemoryPlanner
// (tensorflow/lite/micro/memory_planner/greedy_memory_planner.cc) for the
// activation tensors of the graph as TFLM runs it: every operator is executed
// (PAD, RESHAPE, QUANTIZE included, nothing is folded or aliased), a tensor is live
// from the operator that writes it (the graph inputs from 0) to the last operator
// that reads it (the graph outputs to the end), buffers are sorted by size,
// largest first, and each goes to the lowest offset where it does not collide with
// an already placed buffer whose lifetime intersects (inclusive bounds).
//
// Not modelled, and added by TFLM on top of this arena: the persistent section
// (TfLiteTensor/TfLiteEvalTensor structs, node and registration arrays,
// per-channel quantization data copied by kernels, ~ hundreds of bytes per
// operator), kernel scratch buffers requested through RequestScratchBufferInArena
// (e.g. CMSIS-NN's im2col buffer), and the interpreter's own stack. Those are why
// measured TFLM SRAM exceeds this figure (claims.md §6, TE-F746).
func tflmPlace(g *models.Graph, pl *Plan) ([]int, error) {
	n := len(g.Ops)
	first := make([]int, len(g.Tensors))
	last := make([]int, len(g.Tensors))
	for i := range first {
		first[i], last[i] = -1, -1
	}
	for _, t := range g.Inputs {
		first[t], last[t] = 0, 0
	}
	for i, op := range g.Ops {
		for _, t := range op.Inputs {
			if t >= 0 && !g.Tensors[t].Const {
				last[t] = max(last[t], i)
			}
		}
		for _, t := range op.Outputs {
			if first[t] < 0 {
				first[t] = i
			}
			last[t] = max(last[t], i)
		}
	}
	for _, t := range g.Outputs {
		last[t] = n - 1
	}
	type buf struct{ t, size, first, last, off int }
	var bufs []buf
	for t := range g.Tensors {
		if first[t] < 0 || g.Tensors[t].Const {
			continue
		}
		size := (g.Tensors[t].Bytes() + tflmAlignment - 1) / tflmAlignment * tflmAlignment
		bufs = append(bufs, buf{t: t, size: size, first: first[t], last: last[t]})
	}
	order := make([]int, len(bufs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return bufs[order[a]].size > bufs[order[b]].size })
	var placed []int
	for _, bi := range order {
		b := &bufs[bi]
		var coll []int
		for _, pi := range placed {
			p := &bufs[pi]
			if p.first <= b.last && b.first <= p.last {
				coll = append(coll, pi)
			}
		}
		sort.Slice(coll, func(x, y int) bool { return bufs[coll[x]].off < bufs[coll[y]].off })
		off := 0
		for _, pi := range coll {
			p := &bufs[pi]
			if p.off-off >= b.size {
				break
			}
			off = max(off, p.off+p.size)
		}
		b.off = off
		placed = append(placed, bi)
	}
	live := make([]int, n)
	for _, b := range bufs {
		pl.Arena = max(pl.Arena, b.off+b.size)
		pl.Buffers = append(pl.Buffers, Buffer{Group: b.t, Size: b.size, Offset: b.off, Start: b.first, End: b.last + 1, ShrinkAt: -1})
		for i := b.first; i <= b.last && i < n; i++ {
			live[i] += b.size
		}
	}
	return live, nil
}

// graphLayers is the per-layer table over the graph's own operators (TFLM runs
// them all).
func graphLayers(g *models.Graph, live []int) []Layer {
	out := make([]Layer, len(g.Ops))
	for i, op := range g.Ops {
		in := g.In(op, 0)
		out[i] = Layer{Index: i, Name: op.Name, Op: op.Kind.String(), Block: op.Block,
			InShape: in.Shape, OutShape: g.Out(op, 0).Shape,
			MACs: g.OpMACs(op), LiveBytes: live[i]}
	}
	return out
}
