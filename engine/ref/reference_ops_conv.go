package ref

import (
	"fmt"

	"mcusim/models"
)

// convOperands are the decoded operands of CONV_2D, DEPTHWISE_CONV_2D and
// FULLY_CONNECTED: centred-input offset, weights, optional bias, the output
// requantization per output channel and the activation clamp.
type convOperands struct {
	in, w, out *models.Tensor
	x          []int32 // input values
	inputOff   int32   // −input zero point (TFLite's input_offset)
	outZP      int32
	weights    []int32
	bias       []int32 // nil without bias
	mult       []int32 // per output channel
	shift      []int
	lo, hi     int32 // activation clamp
}

// loadConvOperands decodes input, weights and bias of a convolution-like op
// with cout output channels whose weights are quantized along wAxis, and
// derives the per-channel multipliers as TFLite's
// PopulateConvolutionQuantizationParams (tensorflow/lite/kernels/kernel_util.cc):
// effective_scale[c] = double(input_scale)·double(filter_scale[c]) /
// double(output_scale), then QuantizeMultiplier.
func loadConvOperands(r *opRun, cout, wAxis int) (*convOperands, error) {
	in, xb := r.in(0)
	w, wb := r.in(1)
	out, _ := r.out()
	if err := needType(in, "input", models.Int8); err != nil {
		return nil, err
	}
	if err := needType(w, "weights", models.Int8); err != nil {
		return nil, err
	}
	if err := needType(out, "output", models.Int8); err != nil {
		return nil, err
	}
	inQ, err := models.PerTensorQuant(in)
	if err != nil {
		return nil, err
	}
	outQ, err := models.PerTensorQuant(out)
	if err != nil {
		return nil, err
	}
	ws, err := models.ChannelScales(w, cout, wAxis)
	if err != nil {
		return nil, err
	}
	c := &convOperands{in: in, w: w, out: out, inputOff: -inQ.ZP, outZP: outQ.ZP,
		mult: make([]int32, cout), shift: make([]int, cout)}
	for ch := range cout {
		eff := float64(inQ.Scale) * float64(ws[ch]) / float64(outQ.Scale)
		c.mult[ch], c.shift[ch] = models.QuantizeMultiplier(eff)
	}
	if c.lo, c.hi, err = models.OutputActivationRange(r.op.Act, out, outQ); err != nil {
		return nil, err
	}
	if c.x, err = loadInts(in, xb); err != nil {
		return nil, err
	}
	if c.weights, err = loadInts(w, wb); err != nil {
		return nil, err
	}
	if c.bias, err = loadBias(r, cout); err != nil {
		return nil, err
	}
	return c, nil
}

// loadBias decodes the optional int32 bias (input 2) of cout channels.
func loadBias(r *opRun, cout int) ([]int32, error) {
	b, bb := r.in(2)
	if b == nil {
		return nil, nil
	}
	if err := needType(b, "bias", models.Int32); err != nil {
		return nil, err
	}
	if b.Elements() != cout {
		return nil, fmt.Errorf("bias %s has %d elements for %d output channels", b.Name, b.Elements(), cout)
	}
	return loadInts(b, bb)
}

// requantize is the common tail of TFLite's int8 conv, depthwise and FC
// kernels: add the bias, MultiplyByQuantizedMultiplier with the channel's
// multiplier, add the output zero point, clamp to the activation range.
func (c *convOperands) requantize(acc int32, ch int) int32 {
	if c.bias != nil {
		acc += c.bias[ch]
	}
	acc = models.MultiplyByQuantizedMultiplier(acc, c.mult[ch], c.shift[ch])
	return clamp(acc+c.outZP, c.lo, c.hi)
}

// convGeometry checks that the operator's kernel size matches the weights
// (kh, kw) and returns the dilations (0 in the IR means 1).
func convGeometry(op *models.Op, kh, kw int) (dh, dw int, err error) {
	if op.KernelH != kh || op.KernelW != kw {
		return 0, 0, fmt.Errorf("kernel %dx%d does not match the weights' %dx%d", op.KernelH, op.KernelW, kh, kw)
	}
	if op.StrideH <= 0 || op.StrideW <= 0 {
		return 0, 0, fmt.Errorf("stride %dx%d must be positive", op.StrideH, op.StrideW)
	}
	return max(op.DilationH, 1), max(op.DilationW, 1), nil
}

// refConv2D is TFLite's int8 per-channel convolution
// (tensorflow/lite/kernels/internal/reference/integer_ops/conv.h
// ConvPerChannel): for each output pixel and channel, acc = Σ filter ·
// (input − input_zero_point) over the taps that fall inside the image (taps in
// the padding are skipped, which equals padding with the input zero point),
// then bias, per-channel requantization and the fused activation clamp.
// Weights are [Cout, kh, kw, Cin], quantized per channel along dimension 0.
func refConv2D(r *opRun) error {
	in, _ := r.in(0)
	w, _ := r.in(1)
	out, ob := r.out()
	s, err := spatialDims(in, out)
	if err != nil {
		return err
	}
	n, h, wd, cin, oh, ow, cout := s.n, s.h, s.w, s.c, s.oh, s.ow, s.oc
	if len(w.Shape) != 4 || w.Shape[0] != cout || w.Shape[3] != cin {
		return fmt.Errorf("weights %v do not match input %v and output %v", w.Shape, in.Shape, out.Shape)
	}
	kh, kw := w.Shape[1], w.Shape[2]
	dh, dw, err := convGeometry(r.op, kh, kw)
	if err != nil {
		return err
	}
	c, err := loadConvOperands(r, cout, 0)
	if err != nil {
		return err
	}
	sh, sw, pad := r.op.StrideH, r.op.StrideW, r.op.Pad
	res := make([]int32, out.Elements())
	for b := range n {
		for oy := range oh {
			iy0 := oy*sh - pad.Top
			for ox := range ow {
				ix0 := ox*sw - pad.Left
				for oc := range cout {
					var acc int32
					for ky := range kh {
						iy := iy0 + ky*dh
						if iy < 0 || iy >= h {
							continue
						}
						for kx := range kw {
							ix := ix0 + kx*dw
							if ix < 0 || ix >= wd {
								continue
							}
							xs := c.x[((b*h+iy)*wd+ix)*cin:][:cin]
							ws := c.weights[((oc*kh+ky)*kw+kx)*cin:][:cin]
							for i, xv := range xs {
								acc += ws[i] * (xv + c.inputOff)
							}
						}
					}
					res[((b*oh+oy)*ow+ox)*cout+oc] = c.requantize(acc, oc)
				}
			}
		}
	}
	storeInts(out, ob, res)
	return nil
}

// refDepthwiseConv2D is TFLite's int8 per-channel depthwise convolution
// (tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h
// DepthwiseConvPerChannel): output channel oc = ic·multiplier + m reads input
// channel ic; weights are [1, kh, kw, Cin·multiplier], quantized per channel
// along dimension 3. The depth multiplier is Cout/Cin.
func refDepthwiseConv2D(r *opRun) error {
	in, _ := r.in(0)
	w, _ := r.in(1)
	out, ob := r.out()
	s, err := spatialDims(in, out)
	if err != nil {
		return err
	}
	n, h, wd, cin, oh, ow, cout := s.n, s.h, s.w, s.c, s.oh, s.ow, s.oc
	if cout%cin != 0 {
		return fmt.Errorf("output %v is not input %v times a depth multiplier", out.Shape, in.Shape)
	}
	mult := cout / cin
	if r.op.DepthMultiplier > 0 && r.op.DepthMultiplier != mult {
		return fmt.Errorf("depth multiplier %d does not match %d → %d channels", r.op.DepthMultiplier, cin, cout)
	}
	if len(w.Shape) != 4 || w.Shape[0] != 1 || w.Shape[3] != cout {
		return fmt.Errorf("weights %v do not match %d output channels", w.Shape, cout)
	}
	kh, kw := w.Shape[1], w.Shape[2]
	dh, dw, err := convGeometry(r.op, kh, kw)
	if err != nil {
		return err
	}
	c, err := loadConvOperands(r, cout, 3)
	if err != nil {
		return err
	}
	sh, sw, pad := r.op.StrideH, r.op.StrideW, r.op.Pad
	res := make([]int32, out.Elements())
	for b := range n {
		for oy := range oh {
			iy0 := oy*sh - pad.Top
			for ox := range ow {
				ix0 := ox*sw - pad.Left
				for ic := range cin {
					for m := range mult {
						oc := ic*mult + m
						var acc int32
						for ky := range kh {
							iy := iy0 + ky*dh
							if iy < 0 || iy >= h {
								continue
							}
							for kx := range kw {
								ix := ix0 + kx*dw
								if ix < 0 || ix >= wd {
									continue
								}
								xv := c.x[((b*h+iy)*wd+ix)*cin+ic]
								acc += c.weights[(ky*kw+kx)*cout+oc] * (xv + c.inputOff)
							}
						}
						res[((b*oh+oy)*ow+ox)*cout+oc] = c.requantize(acc, oc)
					}
				}
			}
		}
	}
	storeInts(out, ob, res)
	return nil
}

// refFullyConnected is TFLite's int8 fully connected layer
// (tensorflow/lite/kernels/internal/reference/integer_ops/fully_connected.h
// FullyConnected and FullyConnectedPerChannel): weights [out, in], the input
// read as batches × in (batches = output elements / out), acc = Σ (filter −
// filter_zero_point)·(input − input_zero_point), bias, requantization, clamp.
//
// The multiplier follows tensorflow/lite/kernels/fully_connected.cc Prepare:
// per-tensor weights use GetQuantizedConvolutionMultipler (kernel_util.cc),
// whose input·filter scale product is taken in float32 before widening to
// double; per-channel weights use double(input_scale)·double(filter_scale[c]) /
// double(output_scale), as convolutions do.
func refFullyConnected(r *opRun) error {
	in, xb := r.in(0)
	w, wb := r.in(1)
	out, ob := r.out()
	if len(w.Shape) != 2 {
		return fmt.Errorf("weights %v must be rank 2 [out, in]", w.Shape)
	}
	outDepth, accDepth := w.Shape[0], w.Shape[1]
	if len(out.Shape) == 0 || out.Dim(-1) != outDepth {
		return fmt.Errorf("output %v does not end in the weights' %d outputs", out.Shape, outDepth)
	}
	batches := out.Elements() / outDepth
	if in.Elements() != batches*accDepth {
		return fmt.Errorf("input %v holds %d elements, want %d batches × %d", in.Shape, in.Elements(), batches, accDepth)
	}
	if err := needType(in, "input", models.Int8); err != nil {
		return err
	}
	if err := needType(w, "weights", models.Int8); err != nil {
		return err
	}
	if err := needType(out, "output", models.Int8); err != nil {
		return err
	}
	inQ, err := models.PerTensorQuant(in)
	if err != nil {
		return err
	}
	outQ, err := models.PerTensorQuant(out)
	if err != nil {
		return err
	}
	c := &convOperands{in: in, w: w, out: out, inputOff: -inQ.ZP, outZP: outQ.ZP,
		mult: make([]int32, outDepth), shift: make([]int, outDepth)}
	var filterOff int32
	if w.Quant.PerChannel() {
		ws, err := models.ChannelScales(w, outDepth, 0)
		if err != nil {
			return err
		}
		for ch := range outDepth {
			eff := float64(inQ.Scale) * float64(ws[ch]) / float64(outQ.Scale)
			c.mult[ch], c.shift[ch] = models.QuantizeMultiplier(eff)
		}
	} else {
		wq, err := models.PerTensorQuant(w)
		if err != nil {
			return err
		}
		filterOff = -wq.ZP
		eff := float64(inQ.Scale*wq.Scale) / float64(outQ.Scale)
		m, s := models.QuantizeMultiplier(eff)
		for ch := range outDepth {
			c.mult[ch], c.shift[ch] = m, s
		}
	}
	if c.lo, c.hi, err = models.OutputActivationRange(r.op.Act, out, outQ); err != nil {
		return err
	}
	if c.x, err = loadInts(in, xb); err != nil {
		return err
	}
	if c.weights, err = loadInts(w, wb); err != nil {
		return err
	}
	if c.bias, err = loadBias(r, outDepth); err != nil {
		return err
	}
	res := make([]int32, out.Elements())
	for b := range batches {
		xs := c.x[b*accDepth:][:accDepth]
		for oc := range outDepth {
			ws := c.weights[oc*accDepth:][:accDepth]
			var acc int32
			for d, xv := range xs {
				acc += (ws[d] + filterOff) * (xv + c.inputOff)
			}
			res[b*outDepth+oc] = c.requantize(acc, oc)
		}
	}
	storeInts(out, ob, res)
	return nil
}
