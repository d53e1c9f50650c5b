package ref

import (
	"fmt"
	"math"

	"mcusim/models"
)

// These operators move elements without arithmetic (except CONCATENATION of
// differently quantized inputs); they work on any element type byte-wise.

// refReshape is TFLite's RESHAPE (tensorflow/lite/kernels/reshape.cc): the
// bytes are copied unchanged, whatever the quantization of the two tensors.
func refReshape(r *opRun) error {
	in, ib := r.in(0)
	out, ob := r.out()
	if in.DType != out.DType || in.Elements() != out.Elements() {
		return fmt.Errorf("cannot reshape %s %v into %s %v", in.DType, in.Shape, out.DType, out.Shape)
	}
	copy(ob, ib)
	return nil
}

// refPad is TFLite's PAD on an NHWC tensor (tensorflow/lite/kernels/pad.cc,
// reference/pad.h PadImpl) with the spatial amounts of Op.Pad. Quantized
// tensors are padded with the output zero point (real 0), others with 0.
// Channel padding is not representable in the IR (the importer keeps only its
// total), so the channel count must not change.
func refPad(r *opRun) error {
	in, ib := r.in(0)
	out, ob := r.out()
	if in.DType != out.DType {
		return fmt.Errorf("output type %s differs from input type %s", out.DType, in.DType)
	}
	s, err := spatialDims(in, out)
	if err != nil {
		return err
	}
	n, h, w, c, oh, ow := s.n, s.h, s.w, s.c, s.oh, s.ow
	p := r.op.Pad
	if p.Top < 0 || p.Bottom < 0 || p.Left < 0 || p.Right < 0 {
		return fmt.Errorf("negative padding %+v", p)
	}
	if s.oc != c || oh != h+p.Top+p.Bottom || ow != w+p.Left+p.Right {
		return fmt.Errorf("output %v does not follow from input %v and padding %+v", out.Shape, in.Shape, p)
	}
	es, _ := elemSize(out)
	fill := make([]byte, es)
	if _, _, ok := models.QuantizedRange(out.DType); ok && out.Quant != nil && out.DType != models.Int32 {
		oq, err := models.PerTensorQuant(out)
		if err != nil {
			return err
		}
		storeInts(out, fill, []int32{oq.ZP})
	}
	for i := 0; i < len(ob); i += es {
		copy(ob[i:], fill)
	}
	row := w * c * es
	for b := range n {
		for y := range h {
			src := ((b*h + y) * w * c) * es
			dst := (((b*oh+y+p.Top)*ow + p.Left) * c) * es
			copy(ob[dst:dst+row], ib[src:src+row])
		}
	}
	return nil
}

// refConcat is TFLite's CONCATENATION (tensorflow/lite/kernels/internal/
// reference/concatenation.h): the inputs are copied slice by slice along
// Op.Axis. An int8/uint8 input whose scale or zero point differs from the
// output's is requantized as ConcatenationWithScaling does (the kernel TFLite
// uses for uint8; TFLite's int8 kernel rejects differing quantization instead):
// q_out = round(q·scale + bias) + zp_out, clamped, with scale = s_in·(1/s_out)
// and bias = −zp_in·scale in float32. A fused activation is rejected, as in
// TFLite.
func refConcat(r *opRun) error {
	if r.op.Act != models.ActNone {
		return fmt.Errorf("fused activation %s is not supported", r.op.Act)
	}
	out, ob := r.out()
	axis, rank := r.op.Axis, len(out.Shape)
	if axis < 0 || axis >= rank {
		return fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	es, _ := elemSize(out)
	outer, inner := 1, es
	for i := range axis {
		outer *= out.Shape[i]
	}
	for i := axis + 1; i < rank; i++ {
		inner *= out.Shape[i]
	}
	quantized := (out.DType == models.Int8 || out.DType == models.UInt8) && out.Quant != nil
	var oq models.TensorQuant
	if quantized {
		var err error
		if oq, err = models.PerTensorQuant(out); err != nil {
			return err
		}
	}
	total := 0
	type part struct {
		data  []byte // the input bytes, requantized when needed
		chunk int    // bytes per outer slice
	}
	parts := make([]part, len(r.op.Inputs))
	for i := range r.op.Inputs {
		t, b := r.in(i)
		if t == nil {
			return fmt.Errorf("input %d is missing", i)
		}
		if t.DType != out.DType || len(t.Shape) != rank {
			return fmt.Errorf("input %d (%s %v) does not match output %s %v", i, t.DType, t.Shape, out.DType, out.Shape)
		}
		for d := range rank {
			if d != axis && t.Shape[d] != out.Shape[d] {
				return fmt.Errorf("input %d shape %v does not match output %v outside axis %d", i, t.Shape, out.Shape, axis)
			}
		}
		total += t.Shape[axis]
		data := b
		if quantized {
			iq, err := models.PerTensorQuant(t)
			if err != nil {
				return err
			}
			if !iq.Same(oq) {
				data = requantizeForConcat(t, b, iq, oq)
			}
		}
		parts[i] = part{data: data, chunk: t.Shape[axis] * inner}
	}
	if total != out.Shape[axis] {
		return fmt.Errorf("inputs add up to %d along axis %d, output has %d", total, axis, out.Shape[axis])
	}
	pos := 0
	for k := range outer {
		for _, p := range parts {
			copy(ob[pos:pos+p.chunk], p.data[k*p.chunk:(k+1)*p.chunk])
			pos += p.chunk
		}
	}
	return nil
}

// requantizeForConcat is the per-element rescaling of TFLite's
// ConcatenationWithScaling (reference/concatenation.h), in float32.
func requantizeForConcat(t *models.Tensor, b []byte, iq, oq models.TensorQuant) []byte {
	x, _ := loadInts(t, b)
	qmin, qmax, _ := models.QuantizedRange(t.DType)
	inverseOutputScale := 1 / oq.Scale
	scale := iq.Scale * inverseOutputScale
	bias := float32(-iq.ZP) * scale
	res := make([]int32, len(x))
	for i, v := range x {
		// The explicit float32 conversion keeps Go from fusing the multiply and
		// the add (TFLite rounds the product before adding the bias).
		f := float32(float32(v)*scale) + bias
		q := saturateInt32(math.Round(float64(f))) + int64(oq.ZP)
		res[i] = int32(min(max(q, int64(qmin)), int64(qmax)))
	}
	data := make([]byte, len(b))
	storeInts(t, data, res)
	return data
}

// refResizeNearest is TFLite's RESIZE_NEAREST_NEIGHBOR
// (tensorflow/lite/kernels/internal/reference/resize_nearest_neighbor.h) with
// the default align_corners = false and half_pixel_centers = false (the IR does
// not carry the two flags): source row = min(floor(y·(in_h/out_h)), in_h−1),
// the scale and the product in float32; likewise for columns.
func refResizeNearest(r *opRun) error {
	in, ib := r.in(0)
	out, ob := r.out()
	if in.DType != out.DType {
		return fmt.Errorf("output type %s differs from input type %s", out.DType, in.DType)
	}
	s, err := spatialDims(in, out)
	if err != nil {
		return err
	}
	n, h, w, c, oh, ow := s.n, s.h, s.w, s.c, s.oh, s.ow
	if s.oc != c {
		return fmt.Errorf("output %v does not match input %v in channels", out.Shape, in.Shape)
	}
	es, _ := elemSize(in)
	pixel := c * es
	for b := range n {
		for y := range oh {
			iy := nearestNeighbor(y, h, oh)
			for x := range ow {
				ix := nearestNeighbor(x, w, ow)
				src := ((b*h+iy)*w + ix) * pixel
				dst := ((b*oh+y)*ow + x) * pixel
				copy(ob[dst:dst+pixel], ib[src:src+pixel])
			}
		}
	}
	return nil
}

// nearestNeighbor is TFLite's GetNearestNeighbor for align_corners = false,
// half_pixel_centers = false.
func nearestNeighbor(v, inSize, outSize int) int {
	scale := float32(inSize) / float32(outSize)
	return min(int(math.Floor(float64(float32(v)*scale))), inSize-1)
}

// refTranspose is TFLite's TRANSPOSE (tensorflow/lite/kernels/internal/
// reference/transpose.h): output dimension i is input dimension perm[i]. The
// permutation is Op.Axes, where the .tflite importer stores the constant
// permutation operand.
func refTranspose(r *opRun) error {
	in, ib := r.in(0)
	out, ob := r.out()
	perm := r.op.Axes
	rank := len(in.Shape)
	if in.DType != out.DType {
		return fmt.Errorf("output type %s differs from input type %s", out.DType, in.DType)
	}
	if len(perm) != rank || len(out.Shape) != rank {
		return fmt.Errorf("permutation %v does not fit input %v and output %v", perm, in.Shape, out.Shape)
	}
	seen := make([]bool, rank)
	for i, p := range perm {
		if p < 0 || p >= rank || seen[p] {
			return fmt.Errorf("%v is not a permutation of %d dimensions", perm, rank)
		}
		seen[p] = true
		if out.Shape[i] != in.Shape[p] {
			return fmt.Errorf("output %v is not input %v permuted by %v", out.Shape, in.Shape, perm)
		}
	}
	es, _ := elemSize(in)
	inStrides := make([]int, rank)
	s := 1
	for i := rank - 1; i >= 0; i-- {
		inStrides[i] = s
		s *= in.Shape[i]
	}
	// Walk the output in order; src follows with the permuted input strides.
	strides := make([]int, rank)
	for i, p := range perm {
		strides[i] = inStrides[p]
	}
	pos := make([]int, rank)
	src := 0
	for k := range out.Elements() {
		copy(ob[k*es:(k+1)*es], ib[src*es:(src+1)*es])
		for i := rank - 1; i >= 0; i-- {
			pos[i]++
			src += strides[i]
			if pos[i] < out.Shape[i] {
				break
			}
			src -= strides[i] * out.Shape[i]
			pos[i] = 0
		}
	}
	return nil
}
