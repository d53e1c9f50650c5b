// Package plan lowers a models.Graph into TinyEngine's step list and plans its
// memory: the four planners (TinyEngine's scheduler, TF Lite Micro's greedy
// planner and the papers' analytic conventions), patch-based schedules
// (MCUNetV2) with the windows each patch computes, and the automatic schedule
// search. A Plan with an Execution says where every operand of every step
// lives; package codegen runs it, package count counts it. See RATIONALE.md.
package plan

import (
	"fmt"
	"slices"
	"strings"

	"mcusim/models"
)

// Act is one activation operand of a step: the buffer (Group) it lives in and the
// shape the step sees. Shapes are H×W×C; rank-2 [N, F] tensors are 1×1×F.
type Act struct {
	Group   int
	H, W, C int
	Bits    int
}

// Bytes is the storage size of the operand: ceil(H·W·C·bits/8).
func (a Act) Bytes() int { return (a.H*a.W*a.C*a.Bits + 7) / 8 }

// Step is one operator after TinyEngine's conversion (claims.md §7.1): PAD is folded
// into the following convolution, QUANTIZE, DEQUANTIZE, RESHAPE and TRANSPOSE become
// aliases, FULLY_CONNECTED is kept (priced as a 1×1 convolution). Steps are what
// `--split-op K` counts.
type Step struct {
	Op      *models.Op // the graph operator (for a folded conv: the conv)
	OpIndex int        // index of Op in Graph.Ops
	Kind    models.OpKind
	Ins     []Act
	Out     Act
	// Geometry for convolutions, depthwise and pools (after PAD folding).
	KH, KW, SH, SW int
	Pad            models.Padding
	Cin, Cout      int
	MACs           int64
	Block          int
	Name           string
	// Fused are graph operators folded into this step ahead of Op (the SE
	// tail's ADD and MUL on the gate), in execution order.
	Fused []*models.Op
}

// inPlaceDepthwise reports whether TinyEngine runs this step in place: an int8
// depthwise convolution with one output channel per input channel (claims.md §7.2;
// a depth multiplier > 1 cannot overwrite its input channel by channel).
func (s *Step) inPlaceDepthwise() bool {
	return s.Kind == models.DepthwiseConv2D && s.Cin == s.Cout && len(s.Ins) > 0
}

// PlaneSize is the padded channel plane of an in-place depthwise: the input
// rows and columns its output window reads, padding included.
func (s *Step) PlaneSize() (ph, pw int) {
	dh, dw := max(s.Op.DilationH, 1), max(s.Op.DilationW, 1)
	return (s.Out.H-1)*s.SH + (s.KH-1)*dh + 1, (s.Out.W-1)*s.SW + (s.KW-1)*dw + 1
}

// Program is a lowered graph: the step list and its activation buffers.
type Program struct {
	Graph  *models.Graph
	Steps  []Step
	Groups int // number of activation buffers (Act.Group ranges over 0..Groups-1)
	Input  Act // the network input as the first step sees it
	// Flash is the weight storage under TinyEngine's convention (claims.md §7.7):
	// Σ over conv/depthwise/FC of weight bytes + 4·Cout (int32 bias) + 4·Cout (float scale).
	Flash int
	MACs  int64
	// Params counts weight and bias elements of the whole graph.
	Params int64
	// TensorGroup maps a graph tensor to its activation buffer (−1 for constants
	// and tensors no step touches); GroupView is the tensor each buffer is seen
	// through (the int8 side of a folded QUANTIZE/DEQUANTIZE).
	TensorGroup []int
	GroupView   []int
}

// Lower converts a graph into TinyEngine's step list. It never mutates the graph.
func Lower(g *models.Graph) (*Program, error) {
	if len(g.Ops) == 0 {
		return nil, fmt.Errorf("model %s has no operators", g.Name)
	}
	nt := len(g.Tensors)
	// alias[t] is the tensor whose buffer t shares (itself when not aliased).
	alias := make([]int, nt)
	for i := range alias {
		alias[i] = i
	}
	root := func(t int) int {
		for alias[t] != t {
			t = alias[t]
		}
		return t
	}
	padOf := map[int]models.Padding{} // tensor produced by a folded PAD → its padding
	padSrc := map[int]int{}           // tensor produced by a folded PAD → the unpadded tensor
	consumers := make([][]int, nt)
	for oi, op := range g.Ops {
		for _, ti := range op.Inputs {
			if ti >= 0 {
				consumers[ti] = append(consumers[ti], oi)
			}
		}
	}
	foldable := func(t int) bool { // every consumer of a PAD output takes padding itself
		for _, ci := range consumers[t] {
			switch g.Ops[ci].Kind {
			case models.Conv2D, models.DepthwiseConv2D, models.AveragePool, models.MaxPool:
			default:
				return false
			}
		}
		return len(consumers[t]) > 0
	}
	skipped := make([]bool, len(g.Ops))
	fused := map[int][]*models.Op{}
	for oi, op := range g.Ops {
		switch op.Kind {
		case models.Reshape, models.Transpose, models.Quantize, models.Dequantize:
			skipped[oi] = true
			alias[op.Outputs[0]] = root(op.Inputs[0])
		case models.Pad:
			if foldable(op.Outputs[0]) {
				skipped[oi] = true
				p := op.Pad
				if q, ok := padOf[op.Inputs[0]]; ok {
					p = models.Padding{Top: p.Top + q.Top, Bottom: p.Bottom + q.Bottom, Left: p.Left + q.Left, Right: p.Right + q.Right}
				}
				padOf[op.Outputs[0]] = p
				padSrc[op.Outputs[0]] = op.Inputs[0]
				if src, ok := padSrc[op.Inputs[0]]; ok {
					padSrc[op.Outputs[0]] = src
				}
				alias[op.Outputs[0]] = root(op.Inputs[0])
			}
		case models.Add:
			if gate, last, ok := seTail(g, consumers, oi); ok {
				fused[last] = []*models.Op{op, g.Ops[gate]}
				// TinyEngine fuses the hard-sigmoid SE tail ADD(+3) → MUL(×1/6) →
				// MUL(gate × features) into one element-wise multiply
				// (TfliteConvertor.py, claims.md §7.1): the two small gate
				// tensors never exist.
				skipped[oi], skipped[gate] = true, true
				alias[op.Outputs[0]] = root(activationInput(g, op))
				alias[g.Ops[gate].Outputs[0]] = root(op.Outputs[0])
			}
		}
	}
	// Each buffer is seen through its smallest member: the unpadded tensor of a
	// folded PAD, the int8 side of a QUANTIZE/DEQUANTIZE.
	view := make([]int, nt)
	for i := range view {
		view[i] = -1
	}
	for t := 0; t < nt; t++ {
		if g.Tensors[t].Const {
			continue
		}
		r := root(t)
		if view[r] < 0 {
			view[r] = r // ties keep the original tensor (a TRANSPOSE output is not the view)
		}
		// Ties go to the int8 member (the QUANTIZE output behind a uint8 input),
		// then to the original tensor.
		bt, bv := g.Tensors[t].Bytes(), g.Tensors[view[r]].Bytes()
		if bt < bv || bt == bv && g.Tensors[t].DType == models.Int8 && g.Tensors[view[r]].DType != models.Int8 {
			view[r] = t
		}
	}
	group := map[int]int{}
	// act describes operand t as the operator sees it (a folded PAD's output as
	// the unpadded input), in the buffer of its alias group.
	act := func(t int) Act {
		r := root(t)
		id, ok := group[r]
		if !ok {
			id = len(group)
			group[r] = id
		}
		if src, ok := padSrc[t]; ok {
			t = src
		}
		v := g.Tensors[t]
		h, w, c := v.HWC()
		return Act{Group: id, H: h, W: w, C: c, Bits: v.DType.Bits()}
	}
	p := &Program{Graph: g, MACs: g.MACs(), Params: g.Params()}
	for oi, op := range g.Ops {
		if skipped[oi] {
			continue
		}
		s := Step{Op: op, OpIndex: oi, Kind: op.Kind, Block: op.Block, Name: op.Name,
			KH: op.KernelH, KW: op.KernelW, SH: max(op.StrideH, 1), SW: max(op.StrideW, 1), Pad: op.Pad,
			MACs: g.OpMACs(op), Fused: fused[oi]}
		for ii, ti := range op.Inputs {
			if ti < 0 || g.Tensors[ti].Const {
				continue
			}
			if ii == 0 {
				if q, ok := padOf[ti]; ok {
					s.Pad = models.Padding{Top: s.Pad.Top + q.Top, Bottom: s.Pad.Bottom + q.Bottom,
						Left: s.Pad.Left + q.Left, Right: s.Pad.Right + q.Right}
				}
			}
			s.Ins = append(s.Ins, act(ti))
		}
		if len(s.Ins) == 0 {
			return nil, fmt.Errorf("model %s: operator %d (%s) has no activation input", g.Name, oi, op.Kind)
		}
		s.Out = act(op.Outputs[0])
		s.Cin, s.Cout = s.Ins[0].C, s.Out.C
		switch op.Kind {
		case models.Conv2D, models.DepthwiseConv2D, models.FullyConnected:
			if op.Kind == models.FullyConnected {
				s.KH, s.KW, s.SH, s.SW = 1, 1, 1, 1
				s.Cin = g.In(op, 1).Dim(1)
			}
			w := g.In(op, 1)
			p.Flash += w.Bytes() + 8*s.Cout
		}
		p.Steps = append(p.Steps, s)
	}
	if len(p.Steps) == 0 {
		// Every operator folded into an alias (QUANTIZE, DEQUANTIZE, RESHAPE,
		// TRANSPOSE): there is no kernel to plan, run or price.
		return nil, fmt.Errorf("model %s has no compute operator: its %d operators (%s) only convert or reshape data, so there is nothing to plan or run", g.Name, len(g.Ops), opKinds(g))
	}
	p.Groups = len(group)
	p.Input = p.Steps[0].Ins[0]
	p.TensorGroup = make([]int, nt)
	p.GroupView = make([]int, p.Groups)
	for t := range p.TensorGroup {
		p.TensorGroup[t] = -1
		if g.Tensors[t].Const {
			continue
		}
		if id, ok := group[root(t)]; ok {
			p.TensorGroup[t] = id
			p.GroupView[id] = view[root(t)]
		}
	}
	return p, nil
}

// activationInput returns the first non-constant input of op.
func activationInput(g *models.Graph, op *models.Op) int {
	for _, t := range op.Inputs {
		if t >= 0 && !g.Tensors[t].Const {
			return t
		}
	}
	return -1
}

// opKinds lists the distinct operator kinds of a graph in order of appearance.
func opKinds(g *models.Graph) string {
	var kinds []string
	for _, op := range g.Ops {
		if k := op.Kind.String(); !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return strings.Join(kinds, ", ")
}

// seTail matches the SE hard-sigmoid tail starting at ADD op oi: ADD(x, const)
// whose only consumer is MUL(·, const) whose only consumer is a MUL of two
// activations. It returns the index of the middle MUL.
func seTail(g *models.Graph, consumers [][]int, oi int) (mid, last int, ok bool) {
	one := func(op *models.Op, kind models.OpKind, acts int) bool {
		n := 0
		for _, t := range op.Inputs {
			if t >= 0 && !g.Tensors[t].Const {
				n++
			}
		}
		return op.Kind == kind && n == acts && len(op.Inputs) == 2
	}
	add := g.Ops[oi]
	if !one(add, models.Add, 1) || len(consumers[add.Outputs[0]]) != 1 {
		return 0, 0, false
	}
	mid = consumers[add.Outputs[0]][0]
	if !one(g.Ops[mid], models.Mul, 1) || len(consumers[g.Ops[mid].Outputs[0]]) != 1 {
		return 0, 0, false
	}
	last = consumers[g.Ops[mid].Outputs[0]][0]
	if !one(g.Ops[last], models.Mul, 2) {
		return 0, 0, false
	}
	return mid, last, true
}

// blockSplit converts MCUNetV2's block count (`--split-block N`: blocks 0..N−1 run
// per patch, block 0 = the stem) into TinyEngine's step count.
func (p *Program) blockSplit(n int) (int, error) {
	last := p.Steps[len(p.Steps)-1].Block
	if last < 0 {
		return 0, fmt.Errorf("model %s carries no block structure (a .tflite); use --split-op", p.Graph.Name)
	}
	if n < 1 || n > last {
		return 0, fmt.Errorf("--split-block %d is out of range: model %s has blocks 0..%d (block 0 the stem, %d the head); use 1..%d", n, p.Graph.Name, last, last, last)
	}
	k := 0
	for _, s := range p.Steps {
		if s.Block < n {
			k++
		}
	}
	return k, nil
}
