package kernels

import (
	"mcusim/engine/plan"
	"mcusim/models"
)

// The kernel a step runs depends on its kind, the style and the placement;
// code generation and the closed-form count must choose alike, so both ask here.

// Im2col reports whether the tiled convolution of s gathers int16 columns into
// sbuf (TinyEngine always; CMSIS-NN unless the kernel is an unpadded 1×1).
func Im2col(style Style, s *plan.Step) bool {
	return style == StyleTinyEngine || s.KH*s.KW > 1 || s.Pad != (models.Padding{})
}

// ScratchNeed is the scratch bytes step s's kernel writes: two int16 im2col
// columns of a tiled convolution, the int16 channel plane of an in-place
// depthwise (inPlace: the plan gives its input and output one buffer), nothing
// for the other kernels.
func ScratchNeed(style Style, s *plan.Step, inPlace bool) int {
	switch s.Kind {
	case models.Conv2D, models.FullyConnected:
		if style != StyleTFLMRef && Im2col(style, s) {
			return 2 * 2 * s.KH * s.KW * s.Cin
		}
	case models.DepthwiseConv2D:
		if inPlace {
			ph, pw := s.PlaneSize()
			return 2 * ph * pw
		}
	}
	return 0
}

// Host reports whether steps of kind run through the host (the module calls
// env.host_op, which runs the reference kernel): SOFTMAX, RESIZE_NEAREST_NEIGHBOR
// and a PAD that no convolution absorbs (see RATIONALE.md).
func Host(kind models.OpKind) bool {
	switch kind {
	case models.Softmax, models.ResizeNearest, models.Pad:
		return true
	}
	return false
}
