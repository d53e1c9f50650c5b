// Package count is the closed-form twin of code generation plus one run: the
// execution count of every basic block and the memory traffic per region of a
// plan in a kernel style, without generating or executing anything. Its
// counts equal the instrumented run's exactly (sim/count_test.go).
package count

import (
	"fmt"
	"slices"
	"strconv"
	"sync"

	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/mem"
	"mcusim/models"
)

// Count is the closed-form twin of Compile followed by one run of the module
// (DESIGN.md "Execution is the ground truth, the closed form is the fast path"):
// it returns, without generating code or executing anything, the execution count
// of every basic block the generator registers for plan and style and the memory
// traffic per region that the runner derives from them (sim.Runner.Run:
// count × the block's static Access list). The counts equal the instrumented
// run's exactly; sim/count_test.go proves it for every model.
//
// Each kernel generator in codegen_*.go has a counting twin below that walks the
// same loop nest in closed form: counted loops (kfn.forN) multiply, the
// "tap inside the image" conditionals are counted separably per axis
// (insideTaps), and a patch-stage step is summed over the output windows that
// patchRegions gives each patch (border patches have fewer in-image taps).
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
		c.flushVisit()
		return nil, nil
	}
	return c.finish(), nil
}

// countScratch are the reusable buffers of a Count.
type countScratch struct {
	prefix  []byte // "op<i>." of the step being counted
	pending []pendingBlock
	names   []byte
	acc     []kernels.Access
}

var countPool = sync.Pool{New: func() any { return new(countScratch) }}

// BlockCount is one basic block of the module Compile would generate and how
// often one run executes it. Name is the generated block's name
// (Compiled.Blocks[i].Name, e.g. "op3.conv.mac2x2"); Access its static traffic
// per execution. Access slices share one backing array: do not modify them.
type BlockCount struct {
	Step  int    `json:"step"`
	Name  string `json:"name"`
	Count uint64 `json:"count"`
	// Per is Block.Per: the elements one execution handles when the Cortex-M
	// code loops inside the block (an im2col tap, a channel copy), else 1.
	Per    int              `json:"per,omitempty"`
	Access []kernels.Access `json:"-"`
}

// Counts are the block executions and memory traffic of one run.
type Counts struct {
	// Blocks are in the generator's registration order (step by step, and within
	// a step in the order its kernel registers them), so Blocks[i] is
	// Compiled.Blocks[i]; blocks that never execute are present with count 0.
	Blocks []BlockCount `json:"blocks"`
	// Bytes is the traffic per region name ("flash", "arena", "scratch",
	// "input"), with an entry for every region some block accesses, as the
	// runner reports it.
	Bytes map[string]mem.Traffic `json:"bytes"`
	// Total is the number of block executions (sim.Result.BlocksExecuted).
	Total uint64 `json:"blocks_executed"`
}

// winOrigin is the output-window origin (oy0, ox0) of one call of a step function.
type winOrigin struct{ y, x int }

// layerCalls is the single call of a step outside the patch stage: the driver
// passes all-zero window origins (genRun's call with w == nil).
var layerCalls = []winOrigin{{0, 0}}

// blockCounter accumulates the blocks of one Count. Names go into one byte
// buffer, access lists into one slice and block records into a pointer-free
// slice; finish builds the result with one allocation each instead of one per
// block (Count runs in NAS loops).
type blockCounter struct {
	// visit, when set, receives every block instead of the result being built
	// (CountEach); the block just registered waits in last until its Per is known.
	visit   BlockVisitor
	last    visitBlock
	hasLast bool
	plan    *plan.Plan
	ex      *plan.Execution
	style   kernels.Style
	origins [][]winOrigin // per patch-stage step, per patch
	countScratch
}

// pendingBlock is a registered block before finish: where its name and access
// list end in the shared buffers.
type pendingBlock struct {
	step, per       int32
	nameEnd, accEnd int32
	count           uint64
}

// reserve sizes the buffers for the plan: at most 7 blocks per step (the tiled
// convolution; a concatenation has one per input), at most 2 accesses per
// block, names of about 24 bytes. Only capacity: a wrong guess costs a copy.
func (c *blockCounter) reserve() {
	nb := 0
	for i := range c.ex.Steps {
		nb += max(7, len(c.ex.Steps[i].Ins))
	}
	c.pending = slices.Grow(c.pending[:0], nb)
	c.acc = slices.Grow(c.acc[:0], 2*nb)
	c.names = slices.Grow(c.names[:0], 24*nb)
}

// calls returns the window origins of every call of step i.
func (c *blockCounter) calls(i int) []winOrigin {
	if i < c.ex.Split {
		return c.origins[i]
	}
	return layerCalls
}

// block registers a block of step i named "op<i>.<kind>[<idx>]" (newBlock's
// naming; idx < 0 for none) with count n, in registration order.
func (c *blockCounter) block(i int, kind string, idx int, n uint64, acc ...kernels.Access) {
	if c.visit != nil {
		c.flushVisit()
		buf := c.last.acc[:0] // keep the buffer across blocks
		// The visitor gets the mix-table key (MixKind: host.<OP> → host), as
		// Price derives it from the block name.
		c.last = visitBlock{step: i, kind: kernels.MixKind(kind), per: 1, count: n, acc: append(buf, acc...)}
		c.hasLast = true
		return
	}
	c.names = append(append(c.names, c.prefix...), kind...)
	if idx >= 0 {
		c.names = strconv.AppendInt(c.names, int64(idx), 10)
	}
	c.acc = append(c.acc, acc...)
	c.pending = append(c.pending, pendingBlock{step: int32(i), per: 1,
		nameEnd: int32(len(c.names)), accEnd: int32(len(c.acc)), count: n})
}

// setPer sets Per of the block just registered (the generator's
// cg.blocks[id].Per after newBlock).
func (c *blockCounter) setPer(per int) {
	if c.visit != nil {
		c.last.per = per
		return
	}
	c.pending[len(c.pending)-1].per = int32(per)
}

// visitBlock is a block waiting to be passed to the visitor.
type visitBlock struct {
	step, per int
	kind      string
	count     uint64
	acc       []kernels.Access
}

func (c *blockCounter) flushVisit() {
	if c.hasLast {
		l := &c.last
		c.visit(l.step, l.kind, l.per, l.count, l.acc)
		c.hasLast = false
	}
}

// BlockVisitor receives one block of CountEach: its step, its kind (the block
// name without the "op<i>." prefix and input index, the key of the mix
// tables), Per, the execution count and the static traffic of one execution.
type BlockVisitor func(step int, kind string, per int, count uint64, acc []kernels.Access)

// CountEach is Count without building the result: every block goes to visit,
// in registration order, with no allocation per block — the NAS labelling
// path (sim.Pricer.PriceEach).
func CountEach(pl *plan.Plan, style kernels.Style, visit BlockVisitor) error {
	_, err := count(pl, style, visit)
	return err
}

// finish cuts names and access lists into the blocks and sums the traffic the
// way sim.Runner.Run does: every region named in some block's Access gets an
// entry, count × bytes per execution.
func (c *blockCounter) finish() *Counts {
	names := string(c.names)
	acc := slices.Clone(c.acc) // the result's access lists; the pool keeps c.acc
	var per [mem.NumRegions]mem.Traffic
	var seen [mem.NumRegions]bool
	out := &Counts{Blocks: make([]BlockCount, len(c.pending))}
	n0, a0 := int32(0), int32(0)
	for b, pb := range c.pending {
		bc := &out.Blocks[b]
		bc.Step, bc.Per, bc.Count = int(pb.step), int(pb.per), pb.count
		bc.Name = names[n0:pb.nameEnd]
		bc.Access = acc[a0:pb.accEnd:pb.accEnd]
		n0, a0 = pb.nameEnd, pb.accEnd
		out.Total += pb.count
		for _, a := range bc.Access {
			seen[a.Region] = true
			per[a.Region].Read += pb.count * uint64(a.Read)
			per[a.Region].Write += pb.count * uint64(a.Write)
		}
	}
	out.Bytes = make(map[string]mem.Traffic, mem.NumRegions)
	for r := mem.Region(0); r < mem.NumRegions; r++ {
		if seen[r] {
			out.Bytes[r.String()] = per[r]
		}
	}
	return out
}

// step mirrors genStep (codegen_ops.go) and the checks prepare and genStep make
// before generating: the same kernel choice per kind, style and placement.
func (c *blockCounter) step(i int) error {
	s := &c.ex.Steps[i]
	c.prefix = append(strconv.AppendInt(append(c.prefix[:0], "op"...), int64(i), 10), '.')
	if kernels.Host(s.Kind) {
		if i < c.ex.Split {
			return fmt.Errorf("%s cannot run in the patch stage", s.Kind)
		}
		c.host(i)
		return nil
	}
	if need, have := kernels.ScratchNeed(c.style, s, c.ex.In[i][0] == c.ex.Out[i]), c.plan.SBuf+c.plan.KBuf; need > have {
		return fmt.Errorf("the kernel needs %d bytes of scratch, the plan provides %d (sbuf %d + kbuf %d)", need, have, c.plan.SBuf, c.plan.KBuf)
	}
	switch s.Kind {
	case models.Conv2D, models.FullyConnected:
		if c.style == kernels.StyleTFLMRef {
			c.convPlain(i)
		} else {
			c.convTiled(i)
		}
	case models.DepthwiseConv2D:
		if c.ex.In[i][0] == c.ex.Out[i] {
			c.depthwisePlane(i)
		} else {
			c.depthwisePlain(i)
		}
	case models.Add, models.Mul:
		c.elementwise(i)
	case models.AveragePool, models.MaxPool:
		c.pool(i)
	case models.Concat:
		c.concat(i)
	case models.Mean:
		c.mean(i)
	default:
		return fmt.Errorf("%s cannot be executed yet", s.Kind)
	}
	return nil
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
func (c *blockCounter) convPlain(i int) {
	s := &c.ex.Steps[i]
	calls := cnt(len(c.calls(i)))
	dh, dw := max(s.Op.DilationH, 1), max(s.Op.DilationW, 1)
	taps := cnt(s.Cout) * c.taps2D(i, s.KH, s.KW, dh, dw)
	c.block(i, "conv.pixel", -1, calls*cnt(s.Out.H)*cnt(s.Out.W)*cnt(s.Cout), kernels.Access{Region: mem.RegionFlash, Read: 12, Write: 0}, kernels.Access{Region: mem.RegionArena, Read: 0, Write: 1})
	c.block(i, "conv.tap", -1, taps)
	c.block(i, "conv.mac", -1, taps*cnt(s.Cin), kernels.Access{Region: mem.RegionFlash, Read: 1, Write: 0}, kernels.Access{Region: mem.RegionArena, Read: 1, Write: 0})
}

// convTiled mirrors genConvTiled (codegen_conv.go). Per row y the kernel runs
// OW/2 pixel pairs and, for odd OW, one single pixel; every pixel's column is
// filled exactly once (fillColumn(1) of a pair is pixel x+1), so with im2col
// the im2col block runs once per in-image tap and im2col_pad once per tap
// outside, over the whole output window (without im2col neither runs). Each
// pixel group runs Cout/2 channel pairs and, for odd Cout, one single channel:
// tile (np, nc) runs mac<np>x<nc> K = KH·KW·Cin times and out np·nc times.
func (c *blockCounter) convTiled(i int) {
	s := &c.ex.Steps[i]
	calls := cnt(len(c.calls(i)))
	cin := s.Cin
	K := cnt(s.KH) * cnt(s.KW) * cnt(cin)
	dh, dw := max(s.Op.DilationH, 1), max(s.Op.DilationW, 1)
	im2col := kernels.Im2col(c.style, s)
	var in, pad uint64
	if im2col {
		in = c.taps2D(i, s.KH, s.KW, dh, dw)
		pad = calls*cnt(s.Out.H)*cnt(s.Out.W)*cnt(s.KH)*cnt(s.KW) - in
	}
	c.block(i, "conv.im2col", -1, in, kernels.Access{Region: mem.RegionArena, Read: cin, Write: 0}, kernels.Access{Region: mem.RegionScratch, Read: 0, Write: 2 * cin})
	c.setPer(cin)
	c.block(i, "conv.im2col_pad", -1, pad, kernels.Access{Region: mem.RegionScratch, Read: 0, Write: 2 * cin})
	c.setPer(cin)
	src := kernels.Access{Region: mem.RegionScratch, Read: 2, Write: 0}
	if !im2col {
		src = kernels.Access{Region: mem.RegionArena, Read: 1, Write: 0}
	}
	rows := calls * cnt(s.Out.H)
	pixels := [3]uint64{1: cnt(s.Out.W % 2), 2: cnt(s.Out.W / 2)} // pixel groups per row: [np]
	chans := [3]uint64{1: cnt(s.Cout % 2), 2: cnt(s.Cout / 2)}    // channel groups per pixel group: [nc]
	// Registration order of genConvTiled: {pixels, channels} = 2×2, 1×2, 2×1, 1×1.
	for _, t := range [4][2]int{{2, 2}, {1, 2}, {2, 1}, {1, 1}} {
		a := src
		a.Read *= t[0]
		c.block(i, tiledMACName[t[0]][t[1]], -1, rows*pixels[t[0]]*chans[t[1]]*K, a, kernels.Access{Region: mem.RegionFlash, Read: t[1], Write: 0})
	}
	c.block(i, "conv.out", -1, rows*cnt(s.Out.W)*cnt(s.Cout), kernels.Access{Region: mem.RegionFlash, Read: 12, Write: 0}, kernels.Access{Region: mem.RegionArena, Read: 0, Write: 1})
}

// tiledMACName[np][nc] is genConvTiled's fmt.Sprintf("conv.mac%dx%d", np, nc).
var tiledMACName = [3][3]string{1: {1: "conv.mac1x1", 2: "conv.mac1x2"}, 2: {1: "conv.mac2x1", 2: "conv.mac2x2"}}

// depthwisePlane mirrors genDepthwisePlane (codegen_dw.go). Per call and
// channel: plane runs PH·PW times, plane_load for the plane elements inside the
// image (a row test times a column test, both from the window origin), pixel
// OH·OW times and tap OH·OW·KH·KW times (the plane is padded, no test).
func (c *blockCounter) depthwisePlane(i int) {
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
	c.block(i, "dw.plane", -1, n*cnt(PH)*cnt(PW), kernels.Access{Region: mem.RegionScratch, Read: 0, Write: 2})
	c.block(i, "dw.plane_load", -1, C*load, kernels.Access{Region: mem.RegionArena, Read: 1, Write: 0})
	c.block(i, "dw.pixel", -1, pix, kernels.Access{Region: mem.RegionFlash, Read: 12, Write: 0}, kernels.Access{Region: mem.RegionArena, Read: 0, Write: 1})
	c.block(i, "dw.tap", -1, pix*cnt(s.KH)*cnt(s.KW), kernels.Access{Region: mem.RegionScratch, Read: 2, Write: 0}, kernels.Access{Region: mem.RegionFlash, Read: 1, Write: 0})
}

// depthwisePlain mirrors genDepthwisePlain (codegen_dw.go): pixel for every
// (y, x, ic, m), mac for every in-image tap of each.
func (c *blockCounter) depthwisePlain(i int) {
	s := &c.ex.Steps[i]
	cin, cout := s.Cin, s.Cout
	mult := max(cout/max(cin, 1), 1)
	dh, dw := max(s.Op.DilationH, 1), max(s.Op.DilationW, 1)
	ch := cnt(cin) * cnt(mult)
	c.block(i, "dw.pixel", -1, cnt(len(c.calls(i)))*cnt(s.Out.H)*cnt(s.Out.W)*ch, kernels.Access{Region: mem.RegionFlash, Read: 12, Write: 0}, kernels.Access{Region: mem.RegionArena, Read: 0, Write: 1})
	c.block(i, "dw.mac", -1, ch*c.taps2D(i, s.KH, s.KW, dh, dw), kernels.Access{Region: mem.RegionArena, Read: 1, Write: 0}, kernels.Access{Region: mem.RegionFlash, Read: 1, Write: 0})
}

// elementwise mirrors genElementwise (codegen_ops.go): one elem per output
// element. Its arena reads are the activation operands of the chain that
// prepareElementwise builds (the fused ops, then Op): an operand that is the
// previous result, or a constant (lowering gives constants no activation
// group, Execution.TensorGroup −1), is not read from the arena.
func (c *blockCounter) elementwise(i int) {
	s := &c.ex.Steps[i]
	reads, prevOut := 0, -1
	operands := func(op *models.Op) {
		for j := 0; j < 2 && j < len(op.Inputs); j++ {
			t := op.Inputs[j]
			if t != prevOut && t >= 0 && t < len(c.ex.TensorGroup) && c.ex.TensorGroup[t] >= 0 {
				reads++
			}
		}
		prevOut = op.Outputs[0]
	}
	for _, op := range s.Fused {
		operands(op)
	}
	operands(s.Op)
	chain := len(s.Fused) + 1
	n := cnt(len(c.calls(i))) * cnt(s.Out.H) * cnt(s.Out.W) * cnt(s.Out.C)
	c.block(i, "ew.elem", -1, n, kernels.Access{Region: mem.RegionArena, Read: reads, Write: 1}, kernels.Access{Region: mem.RegionFlash, Read: 4 * chain, Write: 0})
}

// pool mirrors genPool (codegen_ops.go): out for every (y, x, c), tap for every
// in-image tap of each (the window is clipped, no dilation).
func (c *blockCounter) pool(i int) {
	s := &c.ex.Steps[i]
	C := cnt(s.Out.C)
	c.block(i, "pool.out", -1, cnt(len(c.calls(i)))*cnt(s.Out.H)*cnt(s.Out.W)*C, kernels.Access{Region: mem.RegionArena, Read: 0, Write: 1})
	c.block(i, "pool.tap", -1, C*c.taps2D(i, s.KH, s.KW, 1, 1), kernels.Access{Region: mem.RegionArena, Read: 1, Write: 0})
}

// concat mirrors genConcat (codegen_ops.go): per input j, copy<j> once per
// output pixel.
func (c *blockCounter) concat(i int) {
	s := &c.ex.Steps[i]
	n := cnt(len(c.calls(i))) * cnt(s.Out.H) * cnt(s.Out.W)
	for j, in := range s.Ins {
		c.block(i, "concat.copy", j, n, kernels.Access{Region: mem.RegionArena, Read: in.C, Write: in.C})
		c.setPer(in.C)
	}
}

// mean mirrors genMean (codegen_mean.go): out once per element of the kept
// dimensions, elem once per element of all dimensions, that is once per output
// and once per input element. The plan does not carry the graph's tensor
// shapes, so the element counts are the step operands' H·W·C, which leave out
// a leading (batch) dimension: exact for batch 1, the only batch of the models
// the kernels run.
func (c *blockCounter) mean(i int) {
	s := &c.ex.Steps[i]
	calls := cnt(len(c.calls(i)))
	in := s.Ins[0]
	c.block(i, "mean.out", -1, calls*cnt(s.Out.H)*cnt(s.Out.W)*cnt(s.Out.C), kernels.Access{Region: mem.RegionArena, Read: 0, Write: 1})
	c.block(i, "mean.elem", -1, calls*cnt(in.H)*cnt(in.W)*cnt(in.C), kernels.Access{Region: mem.RegionArena, Read: 1, Write: 0})
}

// host mirrors genHostStep (codegen_host.go): one execution per call, reading
// every input operand and writing the output once.
func (c *blockCounter) host(i int) {
	s := &c.ex.Steps[i]
	in := 0
	for _, a := range s.Ins {
		in += a.Bytes()
	}
	c.block(i, "host."+s.Kind.String(), -1, cnt(len(c.calls(i))), kernels.Access{Region: mem.RegionArena, Read: in, Write: s.Out.Bytes()})
}
