package ref

import (
	"fmt"
	"math"
	"slices"

	"mcusim/models"
)

// poolOperands are the decoded operands of the 2-D pools.
type poolOperands struct {
	spatial
	x               []int32
	kh, kw, sh, sw  int
	padTop, padLeft int
	lo, hi          int32
	out             *models.Tensor
	outBuf          []byte
}

// loadPool decodes the input of AVERAGE_POOL_2D or MAX_POOL_2D. TFLite's
// pooling kernels work on the raw quantized values: input and output share
// their quantization (TFLite only DCHECKs it), and the output quantization
// matters only for the fused activation clamp.
func loadPool(r *opRun) (*poolOperands, error) {
	in, ib := r.in(0)
	out, ob := r.out()
	if err := needType(in, "input", models.Int8, models.UInt8, models.Int16); err != nil {
		return nil, err
	}
	if out.DType != in.DType {
		return nil, fmt.Errorf("output type %s differs from input type %s", out.DType, in.DType)
	}
	p := &poolOperands{out: out, outBuf: ob, kh: r.op.KernelH, kw: r.op.KernelW,
		sh: r.op.StrideH, sw: r.op.StrideW, padTop: r.op.Pad.Top, padLeft: r.op.Pad.Left}
	var err error
	if p.spatial, err = spatialDims(in, out); err != nil {
		return nil, err
	}
	if p.oc != p.c {
		return nil, fmt.Errorf("output %v does not match input %v in channels", out.Shape, in.Shape)
	}
	if p.kh <= 0 || p.kw <= 0 || p.sh <= 0 || p.sw <= 0 {
		return nil, fmt.Errorf("filter %dx%d and stride %dx%d must be positive", p.kh, p.kw, p.sh, p.sw)
	}
	oq, err := models.PerTensorQuant(out)
	if err != nil {
		return nil, err
	}
	if p.lo, p.hi, err = models.OutputActivationRange(r.op.Act, out, oq); err != nil {
		return nil, err
	}
	if p.x, err = loadInts(in, ib); err != nil {
		return nil, err
	}
	return p, nil
}

// window is the filter window of output pixel (oy, ox) clipped to the input, as
// TFLite's pooling kernels compute it: filter_y in [yStart, yEnd) at input row
// iy0 + filter_y, likewise for x.
func (p *poolOperands) window(oy, ox int) (iy0, yStart, yEnd, ix0, xStart, xEnd int) {
	iy0 = oy*p.sh - p.padTop
	ix0 = ox*p.sw - p.padLeft
	yStart, yEnd = max(0, -iy0), min(p.kh, p.h-iy0)
	xStart, xEnd = max(0, -ix0), min(p.kw, p.w-ix0)
	return
}

// refAveragePool is TFLite's quantized average pooling
// (tensorflow/lite/kernels/internal/reference/integer_ops/pooling.h
// AveragePool): the sum of the raw values in the clipped window (padding is not
// counted), divided by the number of values with rounding half away from zero
// (models.RoundedDivide), clamped to the fused activation. A window that falls
// entirely into the padding is an error, as in TFLite.
func refAveragePool(r *opRun) error {
	p, err := loadPool(r)
	if err != nil {
		return err
	}
	res := make([]int32, p.out.Elements())
	for b := range p.n {
		for oy := range p.oh {
			for ox := range p.ow {
				iy0, ys, ye, ix0, xs, xe := p.window(oy, ox)
				count := int32(max(ye-ys, 0) * max(xe-xs, 0))
				if count == 0 {
					return fmt.Errorf("output pixel (%d, %d) has an empty pooling window", oy, ox)
				}
				for ch := range p.c {
					var acc int32
					for fy := ys; fy < ye; fy++ {
						for fx := xs; fx < xe; fx++ {
							acc += p.x[((b*p.h+iy0+fy)*p.w+ix0+fx)*p.c+ch]
						}
					}
					res[((b*p.oh+oy)*p.ow+ox)*p.c+ch] = clamp(models.RoundedDivide(acc, count), p.lo, p.hi)
				}
			}
		}
	}
	storeInts(p.out, p.outBuf, res)
	return nil
}

// refMaxPool is TFLite's quantized max pooling
// (tensorflow/lite/kernels/internal/reference/integer_ops/pooling.h MaxPool):
// the largest raw value in the clipped window, clamped to the fused activation.
func refMaxPool(r *opRun) error {
	p, err := loadPool(r)
	if err != nil {
		return err
	}
	qmin, _, _ := models.TensorRange(p.out)
	res := make([]int32, p.out.Elements())
	for b := range p.n {
		for oy := range p.oh {
			for ox := range p.ow {
				iy0, ys, ye, ix0, xs, xe := p.window(oy, ox)
				for ch := range p.c {
					m := qmin
					for fy := ys; fy < ye; fy++ {
						for fx := xs; fx < xe; fx++ {
							m = max(m, p.x[((b*p.h+iy0+fy)*p.w+ix0+fx)*p.c+ch])
						}
					}
					res[((b*p.oh+oy)*p.ow+ox)*p.c+ch] = clamp(m, p.lo, p.hi)
				}
			}
		}
	}
	storeInts(p.out, p.outBuf, res)
	return nil
}

// refMean is the quantized MEAN of TF Lite Micro's reference kernel
// (tflite-micro reduce_common.cc EvalIntegerMean, after the April 2023 change
// that dropped the same-quantization shortcut), with multiplier/shift =
// QuantizeMultiplier(double(s_in)/double(s_out)):
//
//  1. keep_dims, a rank-4 input and axes exactly {1, 2}:
//     reference/integer_ops/mean.h Mean — per (batch, channel) the sum of
//     (q − zp_in), MultiplyByQuantizedMultiplier, then a rounding division by
//     the element count (models.RoundedDivide), plus zp_out, clamped;
//  2. otherwise: reference/reduce.h QuantizedMeanOrSum — the sum minus
//     zp_in·count, MultiplyByQuantizedMultiplier with the multiplier rescaled
//     by 1/count (models.MeanMultiplier), plus zp_out, clamped; also when input
//     and output quantization are equal.
//
// Under Semantics.MeanTFLite29 case 2 is desktop TFLite 2.9's instead
// (tensorflow/lite/kernels/reduce.cc EvalMean, reference path): equal
// quantization takes reference/reduce.h Mean, the int32 sum of the raw values
// divided by the count with C's truncating division; other quantization the
// float QuantizedMeanOrSum of that version.
func refMean(r *opRun) error {
	in, ib := r.in(0)
	out, ob := r.out()
	if err := needType(in, "input", models.Int8, models.Int16); err != nil {
		return err
	}
	if out.DType != in.DType {
		return fmt.Errorf("output type %s differs from input type %s", out.DType, in.DType)
	}
	rank := len(in.Shape)
	reduced := make([]bool, rank)
	for _, a := range r.op.Axes {
		if a < 0 || a >= rank {
			return fmt.Errorf("axis %d out of range for rank %d", a, rank)
		}
		reduced[a] = true
	}
	// keepShape is the output shape with reduced dimensions kept as 1; the flat
	// order is the same with or without keep_dims.
	keepShape := slices.Clone(in.Shape)
	count := int64(1)
	for i, red := range reduced {
		if red {
			count *= int64(keepShape[i])
			keepShape[i] = 1
		}
	}
	outElems := in.Elements() / int(count)
	if out.Elements() != outElems {
		return fmt.Errorf("output %v should hold %d elements after reducing %v over axes %v", out.Shape, outElems, in.Shape, r.op.Axes)
	}
	iq, err := models.PerTensorQuant(in)
	if err != nil {
		return err
	}
	oq, err := models.PerTensorQuant(out)
	if err != nil {
		return err
	}
	qmin, qmax, _ := models.TensorRange(out)
	x, err := loadInts(in, ib)
	if err != nil {
		return err
	}
	mult, shift := models.QuantizeMultiplier(float64(iq.Scale) / float64(oq.Scale))
	special := r.op.KeepDims && rank == 4 && len(r.op.Axes) == 2 &&
		(r.op.Axes[0] == 1 && r.op.Axes[1] == 2 || r.op.Axes[0] == 2 && r.op.Axes[1] == 1)

	// Sum every input element into its output element (TFLite's ReduceSumImpl);
	// case 1 sums centred values, the others raw values.
	idx, err := broadcastIndex(keepShape, in.Shape)
	if err != nil {
		return err
	}
	sum := make([]int32, outElems)
	for i, v := range x {
		if special {
			v -= iq.ZP
		}
		sum[idx[i]] += v
	}
	res := make([]int32, outElems)
	n := int32(count)
	switch {
	case special:
		for i, acc := range sum {
			acc = models.MultiplyByQuantizedMultiplier(acc, mult, shift)
			res[i] = clamp(models.RoundedDivide(acc, n)+oq.ZP, qmin, qmax)
		}
	case r.sem.MeanTFLite29 && iq.Same(oq):
		for i, acc := range sum {
			res[i] = acc / n
		}
	case r.sem.MeanTFLite29:
		// reduce.h QuantizedMeanOrSum (TFLite 2.9): in float32,
		// scale = s_in/s_out, bias = −zp_in·scale, result =
		// round(sum/count·scale + bias) + zp_out, clamped (TfLiteRound rounds
		// halves away from zero).
		scale := iq.Scale / oq.Scale
		bias := -float32(iq.ZP) * scale
		for i, acc := range sum {
			mean := float32(acc) / float32(count)
			v := float32(math.Round(float64(mean*scale+bias))) + float32(oq.ZP)
			v = min(max(v, float32(qmin)), float32(qmax))
			res[i] = int32(v)
		}
	default:
		m, s := models.MeanMultiplier(mult, shift, count)
		for i, acc := range sum {
			centred := acc - iq.ZP*n
			res[i] = clamp(models.MultiplyByQuantizedMultiplier(centred, m, s)+oq.ZP, qmin, qmax)
		}
	}
	storeInts(out, ob, res)
	return nil
}
