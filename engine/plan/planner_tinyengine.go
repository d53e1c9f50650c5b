package plan

import (
	"fmt"
	"slices"
	"sync"

	"mcusim/models"
)

// defaultArenaLimit is the TinyEngine scheduler's address-space bound (the 10 MiB
// default of TinyEngine's `GeneralMemoryScheduler`, claims.md §7.5), used when
// Options.ArenaLimit is 0.
const defaultArenaLimit = 10 << 20

// rect is one TinyEngine allocation: a buffer live over steps [start, end).
type rect struct {
	group      int
	size       int // 4-byte aligned
	start, end int
	addr       int
	order      int // creation order, the tie-break of the size sort
	shrinkAt   int // stride-2 in-place depthwise step, −1 if none (claims.md §7.4)
	shrinkTo   int // bytes of that depthwise's output
}

// placeScratch holds the working arrays of tinyEnginePlace and firstFit between
// calls: a NAS loop plans thousands of graphs, and these temporaries were most
// of a plan's allocations. Nothing in it outlives a call.
type placeScratch struct {
	renamed, outs, flat, owner, shrink, lastRead, rectOf []int
	order, placed                                        []int
	inStage                                              []bool
	ins                                                  [][]int
	rects                                                []rect
	taken                                                []span
}

var placeScratchPool = sync.Pool{New: func() any { return new(placeScratch) }}

// ints returns (*buf)[:n], reallocating when the capacity is short, filled with v.
func ints(buf *[]int, n, v int) []int {
	if cap(*buf) < n {
		*buf = make([]int, n, n+n/2)
	}
	b := (*buf)[:n]
	for i := range b {
		b[i] = v
	}
	return b
}

// span is an address range [lo, hi) taken by a placed buffer.
type span struct{ lo, hi int }

// align4 rounds a byte count up to TinyEngine's 4-byte tensor alignment (§7.1).
func align4(n int) int { return (n + 3) &^ 3 }

// tinyEnginePlace reproduces TinyEngine's code-generator memory scheduler
// (mit-han-lab/tinyengine `GeneralMemoryScheduler.py`, `allocator/firstFit.py`;
// the exact algorithm is written down in claims.md §7.2–§7.5): lifetimes with
// in-place depthwise, the stride-2 in-place shrink, largest-first first-fit by
// address with TinyEngine's strict lifetime-overlap test. In patch mode (split > 0)
// the buffers read by the per-layer stage are renamed and live from step 0 (§7.3).
// It fills pl.Arena and pl.Buffers and returns the bytes live at each step.
//
// in is the input convention's charge: the input buffer's size (the sliding
// rows under InputStream, 0 for PeakWithoutInput) and, for a patch schedule
// under InputSRAM, the whole frame as a buffer of its own live over the patch
// stage (Execution.InputFrame).
func tinyEnginePlace(prog *Program, steps []Step, split int, strict bool, limit int, in inputCharge, pl *Plan) ([]int, error) {
	n := len(steps)
	ng := prog.Groups
	sc := placeScratchPool.Get().(*placeScratch)
	defer placeScratchPool.Put(sc)
	// Buffer identity per operand: groups produced in the patch stage and read by
	// the per-layer stage are renamed to fresh ids (the full-size stage buffer).
	renamed := ints(&sc.renamed, ng, -1)
	next := ng
	if cap(sc.inStage) < ng {
		sc.inStage = make([]bool, ng)
	}
	inStage := sc.inStage[:ng]
	clear(inStage)
	if split > 0 {
		inStage[steps[0].Ins[0].Group] = true
		for i := 0; i < split; i++ {
			inStage[steps[i].Out.Group] = true
		}
	}
	id := func(i int, a Act) int {
		if split > 0 && i >= split && inStage[a.Group] {
			if renamed[a.Group] < 0 {
				renamed[a.Group] = next
				next++
			}
			return renamed[a.Group]
		}
		return a.Group
	}
	if cap(sc.ins) < n {
		sc.ins = make([][]int, n)
	}
	ins := sc.ins[:n]
	outs := ints(&sc.outs, n, 0)
	flat := sc.flat[:0] // one backing array for every step's input ids
	for i := range steps {
		lo := len(flat)
		for _, a := range steps[i].Ins {
			flat = append(flat, id(i, a))
		}
		ins[i] = flat[lo:len(flat):len(flat)]
		outs[i] = id(i, steps[i].Out)
	}
	sc.flat = flat
	// In-place depthwise: output shares the input's buffer (union by owner[]).
	owner := ints(&sc.owner, next, 0)
	for i := range owner {
		owner[i] = i
	}
	find := func(b int) int {
		for owner[b] != b {
			b = owner[b]
		}
		return b
	}
	edgeDW := -1 // a depthwise at the split point is not in place (claims.md §7.3)
	shrink := ints(&sc.shrink, next, -1)
	for i := range steps {
		if !steps[i].inPlaceDepthwise() {
			continue
		}
		if split > 0 && i == split {
			edgeDW = i
			continue
		}
		r := find(ins[i][0])
		owner[find(outs[i])] = r
		if steps[i].SH == 2 || steps[i].SW == 2 {
			shrink[r] = i
		}
	}
	lastRead := ints(&sc.lastRead, next, -1)
	for i := range steps {
		for _, b := range ins[i] {
			lastRead[find(b)] = i
		}
	}
	rects := sc.rects[:0]
	rectOf := ints(&sc.rectOf, next, -1)
	touch := func(i, b, bytes int) {
		r := find(b)
		if rectOf[r] >= 0 {
			return
		}
		end := lastRead[r] + 1
		if lastRead[r] <= i {
			end = n
			if i == 0 {
				end = 1
			}
		}
		start := i
		if renamed := b >= ng; renamed {
			// TinyEngine creates the renamed stage buffer when its first reader
			// touches it, so that reader is not "later": with no later reader it
			// lives to the end (end = N). Reproduced for exact addresses; it is
			// what makes two stage buffers share bytes under the identical-lifetime
			// rule (Plan.Conflicts reports it).
			start = 0
			if edgeDW == i {
				// The renamed input and the depthwise output share a graph id in
				// TinyEngine, so the input lives as long as the output is read.
				end = lastReadAfter(lastRead, find(outs[i]), i, n)
			}
		}
		rectOf[r] = len(rects)
		rects = append(rects, rect{group: r, size: align4(bytes), start: start, end: end,
			order: len(rects), shrinkAt: shrink[r]})
	}
	for i := range steps {
		for j, b := range ins[i] {
			bytes := steps[i].Ins[j].Bytes()
			if b == in.group && in.bytes >= 0 {
				bytes = in.bytes
			}
			touch(i, b, bytes)
		}
		touch(i, outs[i], steps[i].Out.Bytes())
	}
	frame := -1
	if split > 0 && in.frame > 0 {
		// The frame the patch windows are copied from: read by every patch's
		// step 0, so live until the patch stage ends.
		frame = len(rects)
		rects = append(rects, rect{group: -1, size: align4(in.frame), start: 0, end: split,
			order: len(rects), shrinkAt: -1})
	}
	for i := range rects {
		if rects[i].shrinkAt >= 0 {
			rects[i].shrinkTo = align4(steps[rects[i].shrinkAt].Out.Bytes())
		}
	}
	sc.rects = rects
	if limit <= 0 {
		limit = defaultArenaLimit
	}
	if err := firstFit(rects, limit, strict, sc); err != nil {
		return nil, fmt.Errorf("model %s: %v: %s", prog.Graph.Name, err, limitNote(limit))
	}
	// One allocation for the results' int arrays: the bytes live per step,
	// each step's output buffer and every step's input buffers.
	slab := make([]int, 2*n+len(flat))
	live, exOut, exIn := slab[:n:n], slab[n:2*n:2*n], slab[2*n:]
	pl.Buffers = make([]Buffer, 0, len(rects))
	for _, r := range rects {
		pl.Arena = max(pl.Arena, r.addr+r.size)
		b := Buffer{Group: r.group, Size: r.size, Offset: r.addr, Start: r.start, End: r.end, ShrinkAt: r.shrinkAt}
		b.ShrinkTo = r.shrinkTo
		pl.Buffers = append(pl.Buffers, b)
		for i := r.start; i < r.end && i < n; i++ {
			live[i] += extentAt(&b, i) // a shrunk buffer holds only its output (claims.md §7.4)
		}
	}
	// Where every operand of every step lives, for code generation.
	ex := &Execution{Steps: steps, Split: split, Full: prog.Steps, Patches: pl.patches(),
		TensorGroup: prog.TensorGroup, GroupView: prog.GroupView, In: make([][]int, n), Out: exOut,
		InputFrame: frame, InputRows: in.rows}
	for i := range steps {
		k := len(ins[i])
		ex.In[i], exIn = exIn[:k:k], exIn[k:]
		for j, b := range ins[i] {
			ex.In[i][j] = rectOf[find(b)]
		}
		ex.Out[i] = rectOf[find(outs[i])]
	}
	for g, r := range renamed {
		if r >= 0 {
			ex.StageCopies = append(ex.StageCopies, StageCopy{Group: g, From: rectOf[find(g)], To: rectOf[find(r)]})
		}
	}
	pl.Exec = ex
	return live, nil
}

func lastReadAfter(lastRead []int, b, i, n int) int {
	if lastRead[b] > i {
		return lastRead[b] + 1
	}
	return n
}

// overlaps is TinyEngine's lifetime test: an endpoint of one interval strictly
// inside the other. Two identical intervals do not overlap — a quirk of the
// released allocator that we keep for bit-exact addresses (claims.md §7.5).
func overlaps(a, b *rect, strict bool) bool {
	if strict && a.start == b.start && a.end == b.end {
		return true
	}
	return (a.start < b.start && b.start < a.end) || (a.start < b.end && b.end < a.end) ||
		(b.start < a.start && a.start < b.end) || (b.start < a.end && a.end < b.end)
}

// limitNote explains firstFit's limit: mcusim's own, not a board's.
func limitNote(limit int) string {
	if limit == defaultArenaLimit {
		return "10 MiB is the address space of mcusim's TinyEngine planner (TinyEngine's scheduler default), not a board's SRAM; raise it with --arena-limit MiB (plan.Options.ArenaLimit)"
	}
	return fmt.Sprintf("%d bytes is the planner address space set with --arena-limit (plan.Options.ArenaLimit), not a board's SRAM; raise it", limit)
}

// firstFit places rectangles largest first (ties in creation order) at the lowest
// address whose free run holds them, after removing the extents of every placed
// rectangle whose lifetime overlaps (claims.md §7.5).
func firstFit(rects []rect, limit int, strict bool, sc *placeScratch) error {
	order := ints(&sc.order, len(rects), 0)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return rects[b].size - rects[a].size })
	placed := sc.placed[:0]
	taken := sc.taken[:0]
	defer func() { sc.placed, sc.taken = placed, taken }()
	for _, ri := range order {
		r := &rects[ri]
		taken = taken[:0]
		for _, pi := range placed {
			p := &rects[pi]
			if !overlaps(r, p, strict) {
				continue
			}
			ext := p.size
			if p.shrinkAt >= 0 && r.start > p.shrinkAt {
				ext = (p.size + 3) / 4 // stride-2 output: a quarter of the input (§7.4)
				if strict {
					ext = p.shrinkTo // what the output really occupies
				}
			}
			taken = append(taken, span{p.addr, p.addr + ext})
		}
		slices.SortFunc(taken, func(a, b span) int { return a.lo - b.lo })
		addr, found := 0, false
		for _, t := range taken {
			if t.lo-addr >= r.size {
				found = true
				break
			}
			addr = max(addr, t.hi)
		}
		if !found && limit-addr >= r.size {
			found = true
		}
		if !found {
			return fmt.Errorf("first-fit: buffer of %d bytes does not fit in %d bytes", r.size, limit)
		}
		r.addr = addr
		placed = append(placed, ri)
	}
	return nil
}

// tinyEngineScratch returns the largest im2col/plane buffer (sbuf) and kernel
// buffer (kbuf) over the steps (claims.md §7.6): a convolution needs two int16
// im2col columns, kh·kw·Cin·2·2 bytes, and for kh > 1 an int16 copy of its
// weights, 2·kh·kw·Cin·Cout; an in-place depthwise copies one padded channel plane,
// 2·(H+2·pad)·(W+2·pad); a depthwise that is not in place 2·kh·kw·C.
func tinyEngineScratch(steps []Step) (sbuf, kbuf int) {
	for i := range steps {
		s := &steps[i]
		switch s.Kind {
		case models.Conv2D, models.FullyConnected:
			sbuf = max(sbuf, s.KH*s.KW*s.Cin*2*2)
			if s.KH > 1 {
				kbuf = max(kbuf, 2*s.KH*s.KW*s.Cin*s.Cout)
			}
		case models.DepthwiseConv2D:
			if s.inPlaceDepthwise() {
				ph, pw := (s.KH-1)/2, (s.KW-1)/2
				sbuf = max(sbuf, 2*(s.Ins[0].H+2*ph)*(s.Ins[0].W+2*pw))
				// TinyEngine has no dilated or over-padded depthwise; where one
				// occurs the plane the outputs need is larger than its formula.
				h, w := s.PlaneSize()
				sbuf = max(sbuf, 2*h*w)
			} else {
				sbuf = max(sbuf, 2*s.KH*s.KW*s.Cout)
			}
		}
	}
	return sbuf, kbuf
}
