package kernels

import (
	"mcusim/engine/plan"
	"mcusim/models"
)

// ReuseSpec is what the cache model (mem.CostModel.ReadStallReuse) needs of a
// kernel's Flash reads, beside the block table's bytes: Unique, the distinct
// Flash bytes the step reads (each misses once), and WorkingSet, the bytes the
// kernel's re-reading loop sweeps between two reads of the same byte (the sum
// of its Sizes). Both come from the loop nest that code generation writes and
// package count mirrors.
type ReuseSpec struct {
	Unique     Size
	WorkingSet []Size
}

// Params of the reuse table.
const (
	// ConstBytes is the Flash the step's kernel reads at least once: its int8
	// weights (Cout·KH·KW·Cin for a convolution, Cout·KH·KW for a depthwise)
	// and requantBytes per output channel (bias, multiplier, shift).
	ConstBytes Param = iota + OutBytes + 1
	// Taps is the kernel's KH·KW.
	Taps
)

// reuse is the reuse table per kernel; a kernel without an entry reads no
// Flash (pool, concat, mean, host).
var reuse = [numKernels]*ReuseSpec{
	// The reference convolution loops, per output pixel, over every output
	// channel and its taps: between two reads of a weight it sweeps all of
	// them, with every channel's requantization tables.
	KernelConvPlain: {Unique: x(1, ConstBytes), WorkingSet: []Size{x(1, ConstBytes)}},
	// The tiled convolutions run, per pixel pair, every output-channel pair
	// over the whole K: the same sweep of all weights per pixel pair.
	KernelConvTiled:  {Unique: x(1, ConstBytes), WorkingSet: []Size{x(1, ConstBytes)}},
	KernelConvDirect: {Unique: x(1, ConstBytes), WorkingSet: []Size{x(1, ConstBytes)}},
	// TinyEngine's in-place depthwise runs channel by channel over its plane:
	// the loop over the channel's outputs re-reads only that channel's k²
	// weights (the generated code keeps them in registers, cortex-m.md §5) and
	// its requantization tables.
	KernelDepthwisePlane: {Unique: x(1, ConstBytes), WorkingSet: []Size{x(1, Taps), n(requantBytes)}},
	// The reference depthwise loops, per output pixel, over every channel.
	KernelDepthwisePlain: {Unique: x(1, ConstBytes), WorkingSet: []Size{x(1, ConstBytes)}},
	// Per element, one int32 parameter word per operator of the chain.
	KernelElementwise: {Unique: x(4, Chain), WorkingSet: []Size{x(4, Chain)}},
}

// Reuse returns the distinct Flash bytes step i of ex reads and the working
// set of its re-reading loop (ReuseSpec) when it runs in style; ok is false
// for a kernel that reads no Flash.
func Reuse(style Style, ex *plan.Execution, i int) (unique, workingSet int, ok bool) {
	s := &ex.Steps[i]
	k, err := Choose(style, s, len(ex.In[i]) > 0 && ex.In[i][0] == ex.Out[i])
	if err != nil || reuse[k] == nil {
		return 0, 0, false
	}
	v := func(z Size) int {
		switch z.Of {
		case ConstBytes:
			w := s.Cout * s.KH * s.KW * s.Cin
			if s.Kind == models.DepthwiseConv2D {
				w = s.Cout * s.KH * s.KW
			}
			return z.N * (w + requantBytes*s.Cout)
		case Taps:
			return z.N * s.KH * s.KW
		case Chain:
			return z.N * (len(s.Fused) + 1)
		}
		return z.N
	}
	r := reuse[k]
	for _, z := range r.WorkingSet {
		workingSet += v(z)
	}
	return v(r.Unique), workingSet, true
}
