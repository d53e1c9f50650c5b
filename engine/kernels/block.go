package kernels

import (
	"strconv"

	"mcusim/models"
)

// BlockKind is a kind of basic block of a generated kernel: the unit the
// cycle model prices (each kind has an instruction mix per style) and the
// runner counts.
type BlockKind uint8

// Block kinds, by kernel. Their names (String) are the block names of the
// generated module without the "op<i>." prefix.
const (
	ConvPixel         BlockKind = iota // conv.pixel: one output of the reference convolution (bias, requantize, store)
	ConvTap                            // conv.tap: one in-image kernel tap of the reference convolution
	ConvMAC                            // conv.mac: one multiply-accumulate of the reference convolution
	ConvIm2col                         // conv.im2col: one in-image tap of an im2col column (Per = Cin values)
	ConvIm2colPad                      // conv.im2col_pad: one padded tap of an im2col column (Per = Cin zeros)
	ConvMAC2x2                         // conv.mac2x2: one k of a 2-pixel × 2-channel tile
	ConvMAC1x2                         // conv.mac1x2: one k of a 1-pixel × 2-channel tile
	ConvMAC2x1                         // conv.mac2x1: one k of a 2-pixel × 1-channel tile
	ConvMAC1x1                         // conv.mac1x1: one k of a 1-pixel × 1-channel tile
	ConvOut                            // conv.out: requantize and store one output of a tile
	DWPlane                            // dw.plane: one element of the padded int16 channel plane
	DWPlaneLoad                        // dw.plane_load: one in-image element loaded into the plane
	DWPixel                            // dw.pixel: one depthwise output (bias, requantize, store)
	DWTap                              // dw.tap: one tap over the plane
	DWMAC                              // dw.mac: one in-image tap of the plain depthwise
	EWElem                             // ew.elem: one output element through an element-wise chain
	PoolOut                            // pool.out: one pooled output
	PoolTap                            // pool.tap: one in-image tap of a pooling window
	MeanOut                            // mean.out: one MEAN output
	MeanElem                           // mean.elem: one MEAN input element
	ConcatCopy                         // concat.copy<j>: one pixel's channels of input j (Per = its channels)
	HostSoftmax                        // host.SOFTMAX: one call of the host operator
	HostResizeNearest                  // host.RESIZE_NEAREST_NEIGHBOR: one call of the host operator
	HostPad                            // host.PAD: one call of the host operator
	// NumBlockKinds is the number of block kinds: per-kind tables are arrays
	// of this length indexed by BlockKind.
	NumBlockKinds
)

var blockKindNames = [NumBlockKinds]string{
	"conv.pixel", "conv.tap", "conv.mac", "conv.im2col", "conv.im2col_pad",
	"conv.mac2x2", "conv.mac1x2", "conv.mac2x1", "conv.mac1x1", "conv.out",
	"dw.plane", "dw.plane_load", "dw.pixel", "dw.tap", "dw.mac",
	"ew.elem", "pool.out", "pool.tap", "mean.out", "mean.elem", "concat.copy",
	"host." + models.Softmax.String(), "host." + models.ResizeNearest.String(), "host." + models.Pad.String(),
}

// String is the kind's name, e.g. "conv.mac2x2".
func (k BlockKind) String() string {
	if k < NumBlockKinds {
		return blockKindNames[k]
	}
	return "block(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText writes the kind's name.
func (k BlockKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// BlockCount is one basic block of a generated module and how often it runs:
// the one record code generation (the module's blocks, Count 0), an execution
// (sim.ExecsOf) and the closed form (package count) share, and that pricing
// reads.
type BlockCount struct {
	Step int       `json:"step"` // executed step (operator)
	Kind BlockKind `json:"kind"`
	// Index is the input of a concatenation copy (concat.copy<Index>), −1 for
	// every other block.
	Index int `json:"index"`
	// Per is the number of elements one execution handles when the block's
	// Cortex-M code loops inside it (an im2col tap copies Cin values); 1 otherwise.
	Per   int    `json:"per,omitempty"`
	Count uint64 `json:"count"`
	// Access is the static traffic of one execution. The closed form's access
	// lists share one backing array: do not modify them.
	Access []Access `json:"-"`
}

// Name is the block's name in the generated module, e.g. "op3.conv.mac2x2",
// "op7.concat.copy1", "op9.host.SOFTMAX".
func (b *BlockCount) Name() string {
	n := b.Kind.String()
	if b.Index >= 0 {
		n += strconv.Itoa(b.Index)
	}
	if b.Step >= 0 {
		n = "op" + strconv.Itoa(b.Step) + "." + n
	}
	return n
}
