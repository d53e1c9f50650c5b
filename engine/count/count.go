// Package count is the closed-form twin of code generation plus one run: the
// execution count of every basic block and the memory traffic per region of a
// plan in a kernel style, without generating or executing anything. Its
// counts equal the instrumented run's exactly (sim/wasmrun/count_test.go).
package count

import (
	"fmt"
	"slices"
	"sync"

	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/mem"
)

// Count is the closed-form twin of Compile followed by one run of the module
// (DESIGN.md "Execution is the ground truth, the closed form is the fast path"):
// it returns, without generating code or executing anything, the execution count
// of every basic block the generator registers for plan and style and the memory
// traffic per region that the runner derives from them (wasmrun.Runner.Run:
// count × the block's static Access list). The counts equal the instrumented
// run's exactly; sim/wasmrun/count_test.go proves it for every model.
//
// Each kernel generator in codegen_*.go has a counting twin below that walks the
// same loop nest in closed form: counted loops (kfn.forN) multiply, the
// "tap inside the image" conditionals are counted separably per axis
// (insideTaps), and a patch-stage step is summed over the output windows that
// plan.PatchRegions gives each patch (border patches have fewer in-image taps).
//
// Count presumes the plan compiles: it repeats Compile's structural refusals
// (no execution plan, unknown style, unsupported operators, a host operator in
// the patch stage, too little scratch, a patch grid that does not tile) but not
// the ones that need the graph's constant data (missing weights, unsupported
// quantization, int4 weights).
func Count(pl *plan.Plan, style kernels.Style) (*Counts, error) { return count(pl, style, nil) }

func count(pl *plan.Plan, style kernels.Style, visit BlockVisitor) (*Counts, error) {
	ex := pl.Exec
	if ex == nil {
		// Compile's refusal (codegen.go Compile).
		return nil, fmt.Errorf("planner %s did not place buffers (no execution plan), so its counts cannot be derived; use --planner tinyengine", pl.Planner)
	}
	if err := style.Valid(); err != nil {
		return nil, err
	}
	// The counter stays on the stack (no write barriers on its slices); its
	// buffers come from a pool, and only the result is allocated.
	sc := countPool.Get().(*countScratch)
	c := blockCounter{visit: visit, plan: pl, ex: ex, style: style, countScratch: *sc}
	defer func() {
		*sc = c.countScratch // keep the grown buffers
		countPool.Put(sc)
	}()
	c.reserve()
	if ex.Split > 0 {
		regions, err := plan.PatchRegions(pl)
		if err != nil {
			return nil, err
		}
		// origins[i][p] is the output-window origin (oy0, ox0) that the driver
		// passes to patch-stage step i for patch p (genRun's call).
		c.origins = make([][]winOrigin, ex.Split)
		flat := make([]winOrigin, ex.Split*len(regions))
		for i := range c.origins {
			o := flat[i*len(regions) : (i+1)*len(regions) : (i+1)*len(regions)]
			for p, pw := range regions {
				o[p] = winOrigin{pw.Steps[i][0].Y0, pw.Steps[i][0].X0}
			}
			c.origins[i] = o
		}
	}
	for i := range ex.Steps {
		if err := c.step(i); err != nil {
			s := &ex.Steps[i]
			return nil, fmt.Errorf("operator %d (%s %s): %v", i, s.Kind, s.Name, err)
		}
	}
	if visit != nil {
		return nil, nil
	}
	return c.finish(), nil
}

// countScratch are the reusable buffers of a Count.
type countScratch struct {
	pending []pendingBlock
	acc     []kernels.Access
	// visited is the record CountEach passes to its visitor (a pointer to a
	// local would move the counter to the heap).
	visited *kernels.BlockCount
}

var countPool = sync.Pool{New: func() any { return &countScratch{visited: new(kernels.BlockCount)} }}

// Counts are the block executions and memory traffic of one run.
type Counts struct {
	// Blocks are in the generator's registration order (step by step, and within
	// a step in the order of its kernel's block table, kernels.Spec), so
	// Blocks[i] is Compiled.Blocks[i] with its count; blocks that never execute
	// are present with count 0. Access slices share one backing array.
	Blocks []kernels.BlockCount `json:"blocks"`
	// Bytes is the traffic per region, every region some block accesses
	// marked, as the runner reports it.
	Bytes mem.RegionTraffic `json:"bytes"`
	// Total is the number of block executions (wasmrun.Result.BlocksExecuted).
	Total uint64 `json:"blocks_executed"`
}

// winOrigin is the output-window origin (oy0, ox0) of one call of a step function.
type winOrigin struct{ y, x int }

// layerCalls is the single call of a step outside the patch stage: the driver
// passes all-zero window origins (genRun's call with w == nil).
var layerCalls = []winOrigin{{0, 0}}

// blockCounter accumulates the blocks of one Count. Access lists go into one
// slice and block records into a pointer-free slice; finish builds the result
// with one allocation each instead of one per block (Count runs in NAS loops).
type blockCounter struct {
	// visit, when set, receives every block instead of the result being built
	// (CountEach).
	visit   BlockVisitor
	plan    *plan.Plan
	ex      *plan.Execution
	style   kernels.Style
	origins [][]winOrigin // per patch-stage step, per patch
	countScratch
}

// pendingBlock is a registered block before finish: its record without the
// access list, and where that list ends in the shared buffer.
type pendingBlock struct {
	step, index, per int32
	kind             kernels.BlockKind
	accEnd           int32
	count            uint64
}

// reserve sizes the buffers for the plan: at most 7 blocks per step (the tiled
// convolution; a concatenation has one per input), at most 2 accesses per
// block. Only capacity: a wrong guess costs a copy.
func (c *blockCounter) reserve() {
	nb := 0
	for i := range c.ex.Steps {
		nb += max(7, len(c.ex.Steps[i].Ins))
	}
	c.pending = slices.Grow(c.pending[:0], nb)
	c.acc = slices.Grow(c.acc[:0], 2*nb)
}

// calls returns the window origins of every call of step i.
func (c *blockCounter) calls(i int) []winOrigin {
	if i < c.ex.Split {
		return c.origins[i]
	}
	return layerCalls
}

// emit registers the blocks of kernel k for step i with their trip counts,
// given in the order of the kernel's block table (kernels.Spec).
func (c *blockCounter) emit(i int, k kernels.Kernel, counts ...uint64) error {
	specs := kernels.Spec(k, c.ex.Steps[i].Kind)
	if len(counts) != len(specs) {
		return fmt.Errorf("internal error: kernel %d has %d blocks, the closed form counts %d", k, len(specs), len(counts))
	}
	for j := range specs {
		c.block(i, &specs[j], -1, counts[j])
	}
	return nil
}

// block registers one block of step i from its spec (index: the input of a
// concatenation copy, −1 otherwise) with count n, in registration order.
func (c *blockCounter) block(i int, sp *kernels.BlockSpec, index int, n uint64) {
	lo := len(c.acc)
	var b kernels.BlockCount
	b, c.acc = sp.Block(c.ex, i, index, c.acc)
	b.Count = n
	if c.visit != nil {
		*c.visited = b
		c.visit(c.visited)
		c.acc = c.acc[:lo] // keep the buffer across blocks
		return
	}
	c.pending = append(c.pending, pendingBlock{step: int32(i), index: int32(index), per: int32(b.Per),
		kind: b.Kind, accEnd: int32(len(c.acc)), count: n})
}

// BlockVisitor receives one block of CountEach with its execution count. The
// record and its Access slice are reused after the call returns.
type BlockVisitor func(b *kernels.BlockCount)

// CountEach is Count without building the result: every block goes to visit,
// in registration order, with no allocation per block — the NAS labelling
// path (sim.Pricer.PriceEach).
func CountEach(pl *plan.Plan, style kernels.Style, visit BlockVisitor) error {
	_, err := count(pl, style, visit)
	return err
}

// finish cuts the access lists into the blocks and sums the traffic the way
// wasmrun.Runner.Run does: every region named in some block's Access is
// marked accessed and charged count × bytes per execution.
func (c *blockCounter) finish() *Counts {
	acc := slices.Clone(c.acc) // the result's access lists; the pool keeps c.acc
	out := &Counts{Blocks: make([]kernels.BlockCount, len(c.pending))}
	a0 := int32(0)
	for b, pb := range c.pending {
		bc := &out.Blocks[b]
		*bc = kernels.BlockCount{Step: int(pb.step), Kind: pb.kind, Index: int(pb.index), Per: int(pb.per),
			Count: pb.count, Access: acc[a0:pb.accEnd:pb.accEnd]}
		a0 = pb.accEnd
		out.Total += pb.count
		for _, a := range bc.Access {
			out.Bytes.Add(a.Region, pb.count, uint64(a.Read), uint64(a.Write))
		}
	}
	return out
}

// step mirrors genStep (codegen_ops.go) and the checks prepare and genStep make
// before generating: the same kernel choice (kernels.Choose) per kind, style
// and placement.
func (c *blockCounter) step(i int) error {
	s := &c.ex.Steps[i]
	if kernels.Host(s.Kind) && i < c.ex.Split {
		return fmt.Errorf("%s cannot run in the patch stage", s.Kind)
	}
	k, err := kernels.Choose(c.style, s, c.ex.In[i][0] == c.ex.Out[i])
	if err != nil {
		return err
	}
	if need, have := kernels.ScratchNeed(k, s), c.plan.SBuf+c.plan.KBuf; need > have {
		return fmt.Errorf("the kernel needs %d bytes of scratch, the plan provides %d (sbuf %d + kbuf %d)", need, have, c.plan.SBuf, c.plan.KBuf)
	}
	switch k {
	case kernels.KernelConvPlain:
		return c.convPlain(i)
	case kernels.KernelConvTiled, kernels.KernelConvDirect:
		return c.convTiled(i, k)
	case kernels.KernelDepthwisePlane:
		return c.depthwisePlane(i)
	case kernels.KernelDepthwisePlain:
		return c.depthwisePlain(i)
	case kernels.KernelElementwise:
		return c.elementwise(i)
	case kernels.KernelPool:
		return c.pool(i)
	case kernels.KernelConcat:
		c.concat(i)
		return nil
	case kernels.KernelMean:
		return c.mean(i)
	}
	return c.host(i)
}

// insideTaps counts the pairs (o, k), 0 ≤ o < n and 0 ≤ k < kn, whose input
// coordinate (o0+o)·stride − pad + k·d lies in [0, size): the executions of the
// body of `for o { for k { if 0 ≤ coord < size {…} } }` along one axis. A 2-D
// "tap inside the image" test is the product of both axes' counts. Interior
// positions (all kn taps inside) are counted at once; only the border
// positions, about kn·d/stride on each side, are visited.
func insideTaps(o0, n, stride, pad, kn, d, size int) uint64 {
	if n <= 0 || kn <= 0 {
		return 0
	}
	// Interior: (o0+o)·stride − pad ≥ 0 and (o0+o)·stride − pad + (kn−1)·d ≤ size−1.
	lo := max(ceilDivSigned(pad, stride)-o0, 0)
	hi := min(floorDivSigned(size-1+pad-(kn-1)*d, stride)-o0, n-1)
	var t uint64
	if lo <= hi {
		t = uint64(hi-lo+1) * uint64(kn)
	} else {
		lo, hi = n, n-1 // no interior position: visit them all
	}
	for o := 0; o < lo; o++ {
		t += edgeTaps((o0+o)*stride-pad, kn, d, size)
	}
	for o := hi + 1; o < n; o++ {
		t += edgeTaps((o0+o)*stride-pad, kn, d, size)
	}
	return t
}

// edgeTaps counts k in [0, kn) with 0 ≤ b + k·d < size.
func edgeTaps(b, kn, d, size int) uint64 {
	if b > size-1 {
		return 0
	}
	lo := 0
	if b < 0 {
		lo = ceilDivSigned(-b, d)
	}
	hi := min(kn-1, (size-1-b)/d)
	if hi < lo {
		return 0
	}
	return uint64(hi - lo + 1)
}

// floorDivSigned and ceilDivSigned divide any a by d > 0, rounding toward −∞ and +∞.
func floorDivSigned(a, d int) int {
	q := a / d
	if a%d != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDivSigned(a, d int) int { return -floorDivSigned(-a, d) }

// taps2D sums, over every call of step i, the in-image taps of a KH×KW window
// with dilation (dh, dw) swept over the step's output window: the body of the
// y, x, ky, kx nest guarded by the row test and the column test.
func (c *blockCounter) taps2D(i, kh, kw, dh, dw int) uint64 {
	s, full := &c.ex.Steps[i], &c.ex.Full[i]
	H, W := full.Ins[0].H, full.Ins[0].W
	var t uint64
	for _, o := range c.calls(i) {
		t += insideTaps(o.y, s.Out.H, s.SH, s.Pad.Top, kh, dh, H) *
			insideTaps(o.x, s.Out.W, s.SW, s.Pad.Left, kw, dw, W)
	}
	return t
}

func cnt(n int) uint64 { return uint64(max(n, 0)) }

// convPlain mirrors genConvPlain (codegen_conv.go). Per call: pixel runs for
// every (y, x, oc); tap for every (y, x, oc, ky, kx) whose row and column are in
// the image; mac Cin times per tap.
func (c *blockCounter) convPlain(i int) error {
	s := &c.ex.Steps[i]
	calls := cnt(len(c.calls(i)))
	dh, dw := max(s.Op.DilationH, 1), max(s.Op.DilationW, 1)
	taps := cnt(s.Cout) * c.taps2D(i, s.KH, s.KW, dh, dw)
	return c.emit(i, kernels.KernelConvPlain, calls*cnt(s.Out.H)*cnt(s.Out.W)*cnt(s.Cout), taps, taps*cnt(s.Cin))
}

// convTiled mirrors genConvTiled (codegen_conv.go). Per row y the kernel runs
// OW/2 pixel pairs and, for odd OW, one single pixel; every pixel's column is
// filled exactly once (fillColumn(1) of a pair is pixel x+1), so with im2col
// the im2col block runs once per in-image tap and im2col_pad once per tap
// outside, over the whole output window (without im2col neither runs). Each
// pixel group runs Cout/2 channel pairs and, for odd Cout, one single channel:
// tile (np, nc) runs mac<np>x<nc> K = KH·KW·Cin times and out np·nc times.
func (c *blockCounter) convTiled(i int, k kernels.Kernel) error {
	s := &c.ex.Steps[i]
	calls := cnt(len(c.calls(i)))
	K := cnt(s.KH) * cnt(s.KW) * cnt(s.Cin)
	dh, dw := max(s.Op.DilationH, 1), max(s.Op.DilationW, 1)
	var in, pad uint64
	if k == kernels.KernelConvTiled {
		in = c.taps2D(i, s.KH, s.KW, dh, dw)
		pad = calls*cnt(s.Out.H)*cnt(s.Out.W)*cnt(s.KH)*cnt(s.KW) - in
	}
	rows := calls * cnt(s.Out.H)
	pairs, odd := cnt(s.Out.W/2), cnt(s.Out.W%2)   // pixel groups per row
	chPairs, chOdd := cnt(s.Cout/2), cnt(s.Cout%2) // channel groups per pixel group
	return c.emit(i, k, in, pad,
		rows*pairs*chPairs*K, rows*odd*chPairs*K, rows*pairs*chOdd*K, rows*odd*chOdd*K, // mac2x2, 1x2, 2x1, 1x1
		rows*cnt(s.Out.W)*cnt(s.Cout))
}

// depthwisePlane mirrors genDepthwisePlane (codegen_dw.go). Per call and
// channel: plane runs PH·PW times, plane_load for the plane elements inside the
// image (a row test times a column test, both from the window origin), pixel
// OH·OW times and tap OH·OW·KH·KW times (the plane is padded, no test).
func (c *blockCounter) depthwisePlane(i int) error {
	s, full := &c.ex.Steps[i], &c.ex.Full[i]
	H, W := full.Ins[0].H, full.Ins[0].W
	C := cnt(s.Cout)
	PH, PW := s.PlaneSize() // the generator's own plane geometry
	calls := c.calls(i)
	var load uint64
	for _, o := range calls {
		// iy = oy0·SH − padT + pr for pr < PH, and the same for columns.
		load += insideTaps(o.y, 1, s.SH, s.Pad.Top, PH, 1, H) * insideTaps(o.x, 1, s.SW, s.Pad.Left, PW, 1, W)
	}
	n := cnt(len(calls)) * C
	pix := n * cnt(s.Out.H) * cnt(s.Out.W)
	return c.emit(i, kernels.KernelDepthwisePlane, n*cnt(PH)*cnt(PW), C*load, pix, pix*cnt(s.KH)*cnt(s.KW))
}

// depthwisePlain mirrors genDepthwisePlain (codegen_dw.go): pixel for every
// (y, x, ic, m), mac for every in-image tap of each.
func (c *blockCounter) depthwisePlain(i int) error {
	s := &c.ex.Steps[i]
	cin, cout := s.Cin, s.Cout
	mult := max(cout/max(cin, 1), 1)
	dh, dw := max(s.Op.DilationH, 1), max(s.Op.DilationW, 1)
	ch := cnt(cin) * cnt(mult)
	return c.emit(i, kernels.KernelDepthwisePlain, cnt(len(c.calls(i)))*cnt(s.Out.H)*cnt(s.Out.W)*ch,
		ch*c.taps2D(i, s.KH, s.KW, dh, dw))
}

// elementwise mirrors genElementwise (codegen_ops.go): one elem per output
// element.
func (c *blockCounter) elementwise(i int) error {
	s := &c.ex.Steps[i]
	return c.emit(i, kernels.KernelElementwise, cnt(len(c.calls(i)))*cnt(s.Out.H)*cnt(s.Out.W)*cnt(s.Out.C))
}

// pool mirrors genPool (codegen_ops.go): out for every (y, x, c), tap for every
// in-image tap of each (the window is clipped, no dilation).
func (c *blockCounter) pool(i int) error {
	s := &c.ex.Steps[i]
	C := cnt(s.Out.C)
	return c.emit(i, kernels.KernelPool, cnt(len(c.calls(i)))*cnt(s.Out.H)*cnt(s.Out.W)*C, C*c.taps2D(i, s.KH, s.KW, 1, 1))
}

// concat mirrors genConcat (codegen_ops.go): per input j, copy<j> once per
// output pixel.
func (c *blockCounter) concat(i int) {
	s := &c.ex.Steps[i]
	n := cnt(len(c.calls(i))) * cnt(s.Out.H) * cnt(s.Out.W)
	sp := &kernels.Spec(kernels.KernelConcat, s.Kind)[0]
	for j := range s.Ins {
		c.block(i, sp, j, n)
	}
}

// mean mirrors genMean (codegen_mean.go): out once per element of the kept
// dimensions, elem once per element of all dimensions, that is once per output
// and once per input element. The plan does not carry the graph's tensor
// shapes, so the element counts are the step operands' H·W·C, which leave out
// a leading (batch) dimension: exact for batch 1, the only batch of the models
// the kernels run.
func (c *blockCounter) mean(i int) error {
	s := &c.ex.Steps[i]
	calls := cnt(len(c.calls(i)))
	in := s.Ins[0]
	return c.emit(i, kernels.KernelMean, calls*cnt(s.Out.H)*cnt(s.Out.W)*cnt(s.Out.C), calls*cnt(in.H)*cnt(in.W)*cnt(in.C))
}

// host mirrors genHostStep (codegen_host.go): one execution per call.
func (c *blockCounter) host(i int) error {
	return c.emit(i, kernels.KernelHost, cnt(len(c.calls(i))))
}
