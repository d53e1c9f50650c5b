package kernels

import (
	"fmt"

	"mcusim/engine/plan"
	"mcusim/models"
)

// Kernel is one generated kernel: a loop nest with its own block table (Spec).
// Code generation writes its loops, the closed form counts them; both choose
// it here, per step, style and placement.
type Kernel uint8

// Kernels.
const (
	// KernelConvPlain is TF Lite Micro's reference convolution
	// (reference/integer_ops/conv.h; FULLY_CONNECTED as a 1×1 convolution).
	KernelConvPlain Kernel = iota
	// KernelConvTiled is the 2×2-tile matrix multiplication of TinyEngine and
	// CMSIS-NN over int16 im2col columns in sbuf.
	KernelConvTiled
	// KernelConvDirect is the same tiling reading the int8 input directly
	// (CMSIS-NN's unpadded 1×1, arm_nn_mat_mult_nt_t_s8).
	KernelConvDirect
	// KernelDepthwisePlane is TinyEngine's in-place depthwise over a padded
	// int16 channel plane in sbuf.
	KernelDepthwisePlane
	// KernelDepthwisePlain is the reference depthwise (not in place).
	KernelDepthwisePlain
	KernelElementwise // ADD, MUL and a fused SE tail, one element at a time
	KernelPool        // AVERAGE_POOL_2D, MAX_POOL_2D
	KernelConcat      // CONCATENATION along channels: one copy block per input
	KernelMean        // MEAN
	KernelHost        // SOFTMAX, RESIZE_NEAREST_NEIGHBOR, PAD through env.host_op
	numKernels
)

// Choose returns the kernel step s runs in style; inPlace says the plan gives
// its input and output one buffer (Execution.In[i][0] == Execution.Out[i]).
func Choose(style Style, s *plan.Step, inPlace bool) (Kernel, error) {
	if Host(s.Kind) {
		return KernelHost, nil
	}
	switch s.Kind {
	case models.Conv2D, models.FullyConnected:
		switch {
		case style == StyleTFLMRef:
			return KernelConvPlain, nil
		case Im2col(style, s):
			return KernelConvTiled, nil
		}
		return KernelConvDirect, nil
	case models.DepthwiseConv2D:
		if inPlace {
			return KernelDepthwisePlane, nil
		}
		return KernelDepthwisePlain, nil
	case models.Add, models.Mul:
		return KernelElementwise, nil
	case models.AveragePool, models.MaxPool:
		return KernelPool, nil
	case models.Concat:
		return KernelConcat, nil
	case models.Mean:
		return KernelMean, nil
	}
	return 0, fmt.Errorf("%s cannot be executed yet", s.Kind)
}

// Im2col reports whether the tiled convolution of s gathers int16 columns into
// sbuf (TinyEngine always; CMSIS-NN unless the kernel is an unpadded 1×1).
func Im2col(style Style, s *plan.Step) bool {
	return style == StyleTinyEngine || s.KH*s.KW > 1 || s.Pad != (models.Padding{})
}

// ScratchNeed is the scratch bytes kernel k writes for step s: two int16
// im2col columns of a tiled convolution, the int16 channel plane of an
// in-place depthwise, nothing for the other kernels.
func ScratchNeed(k Kernel, s *plan.Step) int {
	switch k {
	case KernelConvTiled:
		return 2 * 2 * s.KH * s.KW * s.Cin
	case KernelDepthwisePlane:
		ph, pw := s.PlaneSize()
		return 2 * ph * pw
	}
	return 0
}

// Host reports whether steps of kind run through the host (the module calls
// env.host_op, which runs the reference kernel): SOFTMAX, RESIZE_NEAREST_NEIGHBOR
// and a PAD that no convolution absorbs (see RATIONALE.md).
func Host(kind models.OpKind) bool {
	_, ok := hostKind(kind)
	return ok
}

// hostKind is the block kind of a host operator.
func hostKind(kind models.OpKind) (BlockKind, bool) {
	switch kind {
	case models.Softmax:
		return HostSoftmax, true
	case models.ResizeNearest:
		return HostResizeNearest, true
	case models.Pad:
		return HostPad, true
	}
	return 0, false
}
