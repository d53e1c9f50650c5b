package plan

import (
	"slices"
	"sort"

	"mcusim/models"
)

// tflmAlignment is TF Lite Micro's buffer alignment in the arena
// (tensorflow/lite/micro/micro_arena_constants.h, MicroArenaBufferAlignment() = 16).
const tflmAlignment = 16

// tflmBuf is one buffer of a GreedyMemoryPlanner plan, live over the inclusive
// operator range [first, last].
type tflmBuf struct{ t, size, first, last, off int }

// tflmLifetimes returns the first and last operator of every tensor as TFLM's
// AllocationInfoBuilder::MarkAllocationLifetimes sets them
// (tensorflow/lite/micro/micro_allocation_info.cc): graph inputs from the start,
// an output from the operator that writes it, an input to the last operator that
// reads it, graph outputs to the end; −1 for tensors never touched.
func tflmLifetimes(g *models.Graph) (first, last []int) {
	n := len(g.Ops)
	first = make([]int, len(g.Tensors))
	last = make([]int, len(g.Tensors))
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
	return first, last
}

// tflmGreedy places bufs (in request order) as TF Lite Micro's
// GreedyMemoryPlanner::CalculateOffsetsIfNeeded does
// (tensorflow/lite/micro/memory_planner/greedy_memory_planner.cc) and returns the
// plan's size (GetMaximumMemorySize). The online-planned buffers are collected
// from the tail of buffer_ids_sorted_ (idx_from_tail--), so the list starts in
// reverse request order, and ReverseSortInPlace is a bubble sort, which is
// stable: buffers are placed largest first and equal sizes in REVERSE request
// order. Each goes to the lowest offset where it fits between the buffers
// already placed whose lifetimes intersect its own (inclusive bounds).
func tflmGreedy(bufs []tflmBuf) int {
	order := make([]int, len(bufs))
	for i := range order {
		order[i] = len(bufs) - 1 - i
	}
	sort.SliceStable(order, func(a, b int) bool { return bufs[order[a]].size > bufs[order[b]].size })
	var placed, coll []int
	for _, bi := range order {
		b := &bufs[bi]
		coll = coll[:0]
		for _, pi := range placed {
			p := &bufs[pi]
			if p.first <= b.last && b.first <= p.last {
				coll = append(coll, pi)
			}
		}
		sort.SliceStable(coll, func(x, y int) bool { return bufs[coll[x]].off < bufs[coll[y]].off })
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
	size := 0
	for _, b := range bufs {
		size = max(size, b.off+b.size)
	}
	return size
}

// tflmTensorBufs lists the activation tensors TFLM plans, in tensor order (the
// order AllocationInfoBuilder requests them), sized up to tflmAlignment.
func tflmTensorBufs(g *models.Graph) []tflmBuf {
	first, last := tflmLifetimes(g)
	var bufs []tflmBuf
	for t := range g.Tensors {
		if first[t] < 0 || g.Tensors[t].Const {
			continue
		}
		bufs = append(bufs, tflmBuf{t: t, size: alignUp(g.Tensors[t].Bytes(), tflmAlignment), first: first[t], last: last[t]})
	}
	return bufs
}

func alignUp(n, a int) int { return (n + a - 1) / a * a }

// tflmPlace reproduces TF Lite Micro's GreedyMemoryPlanner (tflmGreedy) for the
// activation tensors of the graph as TFLM runs it: every operator is executed
// (PAD, RESHAPE, QUANTIZE included, nothing is folded or aliased) and lifetimes
// are TFLM's (tflmLifetimes).
//
// The plan is the activation part of TFLM's arena; the whole tensor_arena a
// build needs (kernel scratch buffers planned with the tensors, the persistent
// section) is Plan.TensorArena (tflmTensorArena). omitInput charges the graph
// inputs no bytes (Plan.PeakWithoutInput).
func tflmPlace(g *models.Graph, omitInput bool, pl *Plan) ([]int, error) {
	n := len(g.Ops)
	bufs := tflmTensorBufs(g)
	if omitInput {
		for i := range bufs {
			if slices.Contains(g.Inputs, bufs[i].t) {
				bufs[i].size = 0
			}
		}
	}
	pl.Arena = tflmGreedy(bufs)
	live := make([]int, n)
	for _, b := range bufs {
		pl.Buffers = append(pl.Buffers, Buffer{Group: b.t, Size: b.size, Offset: b.off, Start: b.first, End: b.last + 1, ShrinkAt: -1})
		for i := b.first; i <= b.last && i < n; i++ {
			live[i] += b.size
		}
	}
	pl.TensorArena = tflmTensorArena(g)
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
