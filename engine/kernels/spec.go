package kernels

import (
	"mcusim/engine/plan"
	"mcusim/mem"
	"mcusim/models"
)

// Param is a quantity of a step that a block's traffic or element count
// scales with.
type Param uint8

// Params.
const (
	One      Param = iota // 1
	Cin                   // the step's input channels (Step.Cin)
	InC                   // the channels of the block's input (Step.Ins[Index].C)
	Operands              // activation operands an element-wise chain reads (elementwiseReads)
	Chain                 // operators in an element-wise chain (the fused SE tail, then the step's own)
	InBytes               // bytes of every input operand
	OutBytes              // bytes of the output
)

// Size is N × a parameter of the step, in bytes or elements.
type Size struct {
	N  int
	Of Param
}

// AccessSpec is the traffic of one execution of a block in one region.
type AccessSpec struct {
	Region      mem.Region
	Read, Write Size
}

// BlockSpec declares one basic block of a kernel: its kind, the memory it
// touches per execution and the elements one execution handles (Per).
type BlockSpec struct {
	Kind   BlockKind
	Access []AccessSpec
	Per    Param
}

func n(v int) Size                       { return Size{N: v, Of: One} }
func x(v int, p Param) Size              { return Size{N: v, Of: p} }
func rd(r mem.Region, s Size) AccessSpec { return AccessSpec{Region: r, Read: s} }
func wr(r mem.Region, s Size) AccessSpec { return AccessSpec{Region: r, Write: s} }

// requantBytes is the Flash one requantized output reads: its int32 bias,
// multiplier and shift (the per-channel tables codegen writes, prepareConv).
const requantBytes = 3 * 4

// specs is the block table of every kernel, in the order code generation
// registers the blocks (the order of Compiled.Blocks and count.Counts.Blocks).
// Loads and stores are the bytes the generated kernel moves per execution.
var specs = [numKernels][]BlockSpec{
	KernelConvPlain: {
		{Kind: ConvPixel, Access: []AccessSpec{rd(mem.RegionFlash, n(requantBytes)), wr(mem.RegionArena, n(1))}},
		{Kind: ConvTap},
		{Kind: ConvMAC, Access: []AccessSpec{rd(mem.RegionFlash, n(1)), rd(mem.RegionArena, n(1))}},
	},
	// A k of a tile reads one int16 column element per pixel from sbuf, or
	// without im2col one int8 input byte per pixel from the arena.
	KernelConvTiled:  tiledConv(mem.RegionScratch, 2),
	KernelConvDirect: tiledConv(mem.RegionArena, 1),
	KernelDepthwisePlane: {
		{Kind: DWPlane, Access: []AccessSpec{wr(mem.RegionScratch, n(2))}},
		{Kind: DWPlaneLoad, Access: []AccessSpec{rd(mem.RegionArena, n(1))}},
		{Kind: DWPixel, Access: []AccessSpec{rd(mem.RegionFlash, n(requantBytes)), wr(mem.RegionArena, n(1))}},
		{Kind: DWTap, Access: []AccessSpec{rd(mem.RegionScratch, n(2)), rd(mem.RegionFlash, n(1))}},
	},
	KernelDepthwisePlain: {
		{Kind: DWPixel, Access: []AccessSpec{rd(mem.RegionFlash, n(requantBytes)), wr(mem.RegionArena, n(1))}},
		{Kind: DWMAC, Access: []AccessSpec{rd(mem.RegionArena, n(1)), rd(mem.RegionFlash, n(1))}},
	},
	// Per element: each activation operand read, the result stored, and per
	// operator of the chain one int32 parameter word from Flash.
	KernelElementwise: {
		{Kind: EWElem, Access: []AccessSpec{{Region: mem.RegionArena, Read: x(1, Operands), Write: n(1)}, rd(mem.RegionFlash, x(4, Chain))}},
	},
	KernelPool: {
		{Kind: PoolOut, Access: []AccessSpec{wr(mem.RegionArena, n(1))}},
		{Kind: PoolTap, Access: []AccessSpec{rd(mem.RegionArena, n(1))}},
	},
	// Instantiated once per input (Index j).
	KernelConcat: {
		{Kind: ConcatCopy, Per: InC, Access: []AccessSpec{{Region: mem.RegionArena, Read: x(1, InC), Write: x(1, InC)}}},
	},
	KernelMean: {
		{Kind: MeanOut, Access: []AccessSpec{wr(mem.RegionArena, n(1))}},
		{Kind: MeanElem, Access: []AccessSpec{rd(mem.RegionArena, n(1))}},
	},
}

// tiledConv is the block table of the 2×2-tiled convolution whose k reads
// perPixel bytes of each pixel's column from src and one int8 weight per
// channel. Without im2col (KernelConvDirect) the im2col blocks are registered
// but never run.
func tiledConv(src mem.Region, perPixel int) []BlockSpec {
	mac := func(k BlockKind, pixels, channels int) BlockSpec {
		return BlockSpec{Kind: k, Access: []AccessSpec{rd(src, n(pixels*perPixel)), rd(mem.RegionFlash, n(channels))}}
	}
	return []BlockSpec{
		{Kind: ConvIm2col, Per: Cin, Access: []AccessSpec{rd(mem.RegionArena, x(1, Cin)), wr(mem.RegionScratch, x(2, Cin))}},
		{Kind: ConvIm2colPad, Per: Cin, Access: []AccessSpec{wr(mem.RegionScratch, x(2, Cin))}},
		mac(ConvMAC2x2, 2, 2), mac(ConvMAC1x2, 1, 2), mac(ConvMAC2x1, 2, 1), mac(ConvMAC1x1, 1, 1),
		{Kind: ConvOut, Access: []AccessSpec{rd(mem.RegionFlash, n(requantBytes)), wr(mem.RegionArena, n(1))}},
	}
}

// hostSpecs are the host operators' blocks: one execution per call reads every
// input operand and writes the output.
var hostSpecs = [NumBlockKinds][]BlockSpec{
	HostSoftmax:       {hostSpec(HostSoftmax)},
	HostResizeNearest: {hostSpec(HostResizeNearest)},
	HostPad:           {hostSpec(HostPad)},
}

func hostSpec(k BlockKind) BlockSpec {
	return BlockSpec{Kind: k, Access: []AccessSpec{{Region: mem.RegionArena, Read: x(1, InBytes), Write: x(1, OutBytes)}}}
}

// Spec returns the block table of kernel k for an operator of kind op (the
// host kernel has one block kind per operator).
func Spec(k Kernel, op models.OpKind) []BlockSpec {
	if k == KernelHost {
		hk, _ := hostKind(op)
		return hostSpecs[hk]
	}
	return specs[k]
}

// Block instantiates the spec for step i of ex (Index: the input of a
// concatenation copy, −1 otherwise): the block record with count 0, its Per
// and its accesses appended to acc (whose grown slice it also returns, so a
// caller can keep one buffer for many blocks).
func (sp *BlockSpec) Block(ex *plan.Execution, i, index int, acc []Access) (BlockCount, []Access) {
	s := &ex.Steps[i]
	v := func(z Size) int {
		switch z.Of {
		case Cin:
			return z.N * s.Cin
		case InC:
			return z.N * s.Ins[index].C
		case Operands:
			return z.N * elementwiseReads(ex, i)
		case Chain:
			return z.N * (len(s.Fused) + 1)
		case InBytes:
			b := 0
			for _, a := range s.Ins {
				b += a.Bytes()
			}
			return z.N * b
		case OutBytes:
			return z.N * s.Out.Bytes()
		}
		return z.N
	}
	lo := len(acc)
	for _, a := range sp.Access {
		acc = append(acc, Access{Region: a.Region, Read: v(a.Read), Write: v(a.Write)})
	}
	return BlockCount{Step: i, Kind: sp.Kind, Index: index, Per: v(Size{N: 1, Of: sp.Per}), Access: acc[lo:len(acc):len(acc)]}, acc
}

// elementwiseReads is the number of arena operands the element-wise chain of
// step i reads per element: the activation operands of the fused operators
// and then of the step's own, where an operand that is the previous result, or
// a constant (lowering gives constants no activation group,
// Execution.TensorGroup −1), is not read from the arena.
func elementwiseReads(ex *plan.Execution, i int) int {
	s := &ex.Steps[i]
	reads, prevOut := 0, -1
	operands := func(op *models.Op) {
		for j := 0; j < 2 && j < len(op.Inputs); j++ {
			t := op.Inputs[j]
			if t != prevOut && t >= 0 && t < len(ex.TensorGroup) && ex.TensorGroup[t] >= 0 {
				reads++
			}
		}
		prevOut = op.Outputs[0]
	}
	for _, op := range s.Fused {
		operands(op)
	}
	operands(s.Op)
	return reads
}
