package tflite

// Tensors, buffers and quantization parameters of subgraph 0
// (schema.fbs: Tensor, Buffer, QuantizationParameters), and the decoding of
// constant integer tensors.

import (
	"fmt"
	"math"

	"mcusim/models"
)

// dtypes maps TensorType (schema.fbs) onto the IR element types; the other
// types (FLOAT16, STRING, FLOAT64, ...) are rejected.
var dtypes = map[int8]models.DType{
	0: models.Float32, 2: models.Int32, 3: models.UInt8, 4: models.Int64, 6: models.Bool,
	7: models.Int16, 9: models.Int8, 17: models.Int4,
}

func (im *importer) tensor(i int, t table) (*models.Tensor, error) {
	name, err := t.str(tensorName)
	if err != nil {
		return nil, fmt.Errorf("tensor %d: name: %v", i, err)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("tensor %d (%q): %s", i, name, fmt.Sprintf(format, args...))
	}
	sv, err := t.vec(tensorShape, 4)
	if err != nil {
		return nil, fail("shape: %v", err)
	}
	if sv.n > maxRank {
		return nil, fail("rank %d exceeds %d", sv.n, maxRank)
	}
	dims, err := sv.ints()
	if err != nil {
		return nil, fail("shape: %v", err)
	}
	shape := make([]int, len(dims))
	elems, positive := int64(1), true
	for k, d := range dims {
		shape[k] = int(d)
		if d <= 0 {
			positive = false
		} else if d > maxElements/elems {
			// Checked before multiplying: the product could overflow int64
			// (FuzzRun found two dimensions of about 2³¹).
			return nil, fail("shape %v has more than %d elements", dims, int64(maxElements))
		} else if elems *= d; elems > maxElements {
			return nil, fail("shape %v has more than %d elements", dims, int64(maxElements))
		}
	}
	typ, err := t.i8(tensorType, 0)
	if err != nil {
		return nil, fail("type: %v", err)
	}
	dt, ok := dtypes[typ]
	if !ok {
		return nil, fail("element type %s is not supported", tensorTypeName(typ))
	}
	// The graph keeps the name with control characters (line breaks, NULs)
	// replaced: it appears in messages and tables downstream, which must stay
	// on one line (FuzzRun found errors split by such names). Errors above
	// quote the raw name.
	ts := &models.Tensor{Name: oneLine(name), Shape: shape, DType: dt}

	bi, err := t.u32(tensorBuffer, 0)
	if err != nil {
		return nil, fail("buffer: %v", err)
	}
	if ts.Data, err = im.buffer(bi); err != nil {
		return nil, fail("%v", err)
	}
	// The buffer must match the shape; INT4 data may be packed two to a byte
	// or stored one element per byte.
	ts.Const = len(ts.Data) > 0
	if ts.Const && positive {
		if want := ts.Bytes(); len(ts.Data) != want && !(dt == models.Int4 && int64(len(ts.Data)) == elems) {
			return nil, fail("buffer %d holds %d bytes, shape %v of %s needs %d", bi, len(ts.Data), shape, dt, want)
		}
	}

	q, ok, err := t.sub(tensorQuantization)
	if err != nil {
		return nil, fail("quantization: %v", err)
	}
	if ok {
		if ts.Quant, err = quantization(q, shape); err != nil {
			return nil, fail("quantization: %v", err)
		}
	}
	return ts, nil
}

// buffer copies the data of buffer bi: the inline data vector, or the range
// [offset, offset+size) of the file for data stored outside the flatbuffer.
func (im *importer) buffer(bi uint32) ([]byte, error) {
	if int64(bi) >= int64(im.buffers.n) {
		if bi == 0 {
			return nil, nil // no buffers at all: buffer 0 is the empty sentinel
		}
		return nil, fmt.Errorf("buffer index %d out of range (%d buffers)", bi, im.buffers.n)
	}
	t, err := im.buffers.table(int(bi))
	if err != nil {
		return nil, fmt.Errorf("buffer %d: %v", bi, err)
	}
	v, err := t.vec(bufferData, 1)
	if err != nil {
		return nil, fmt.Errorf("buffer %d data: %v", bi, err)
	}
	if v.n > 0 {
		return v.bytes()
	}
	off, err := t.u64(bufferOffset, 0)
	if err != nil {
		return nil, fmt.Errorf("buffer %d offset: %v", bi, err)
	}
	size, err := t.u64(bufferSize, 0)
	if err != nil {
		return nil, fmt.Errorf("buffer %d size: %v", bi, err)
	}
	if off <= 1 || size == 0 {
		return nil, nil
	}
	n := uint64(len(im.f.b))
	if off > n || size > n-off {
		return nil, fmt.Errorf("buffer %d: external data [%d, +%d) lies outside the %d-byte file", bi, off, size, n)
	}
	if err := im.f.spend(int64(size)); err != nil {
		return nil, err
	}
	return append([]byte(nil), im.f.b[off:off+size]...), nil
}

func quantization(q table, shape []int) (*models.Quant, error) {
	sv, err := q.vec(quantScale, 4)
	if err != nil {
		return nil, fmt.Errorf("scale: %v", err)
	}
	zv, err := q.vec(quantZeroPoint, 8)
	if err != nil {
		return nil, fmt.Errorf("zero_point: %v", err)
	}
	axis, err := q.i32(quantDimension, 0)
	if err != nil {
		return nil, fmt.Errorf("quantized_dimension: %v", err)
	}
	if sv.n == 0 {
		return nil, nil // float tensor: an empty quantization table
	}
	if zv.n != 0 && zv.n != sv.n {
		return nil, fmt.Errorf("%d scales but %d zero points", sv.n, zv.n)
	}
	scale, err := sv.floats()
	if err != nil {
		return nil, fmt.Errorf("scale: %v", err)
	}
	zp, err := zv.ints()
	if err != nil {
		return nil, fmt.Errorf("zero_point: %v", err)
	}
	if zp == nil {
		zp = make([]int64, len(scale))
	}
	if len(scale) > 1 {
		// Older converters copied the weights' quantized_dimension (3) onto the
		// rank-1 bias (person_detect.tflite does); TFLite never reads it there.
		// A rank-1 tensor can only be quantized along dimension 0.
		if len(shape) == 1 && shape[0] == len(scale) {
			axis = 0
		}
		if axis < 0 || int(axis) >= len(shape) {
			return nil, fmt.Errorf("quantized_dimension %d out of range for shape %v", axis, shape)
		}
		if shape[axis] != len(scale) {
			return nil, fmt.Errorf("%d per-channel scales for dimension %d of shape %v", len(scale), axis, shape)
		}
	}
	return &models.Quant{Scale: scale, ZeroPoint: zp, Axis: int(axis)}, nil
}

// tensorAt returns tensor ti, or nil for −1 (an omitted optional operand).
func (im *importer) tensorAt(ti int) *models.Tensor {
	if ti < 0 || ti >= len(im.g.Tensors) {
		return nil
	}
	return im.g.Tensors[ti]
}

// constInts decodes a constant int32 or int64 tensor.
func constInts(t *models.Tensor, what string) ([]int, error) {
	if t == nil || !t.Const {
		return nil, fmt.Errorf("%s must be a constant tensor", what)
	}
	var size int
	switch t.DType {
	case models.Int32:
		size = 4
	case models.Int64:
		size = 8
	default:
		return nil, fmt.Errorf("%s tensor has type %s, want int32 or int64", what, t.DType)
	}
	if len(t.Data)%size != 0 {
		return nil, fmt.Errorf("%s tensor holds %d bytes, not a whole number of %s", what, len(t.Data), t.DType)
	}
	out := make([]int, len(t.Data)/size)
	for i := range out {
		var v int64
		if size == 4 {
			v = int64(int32(leU32(t.Data[4*i:])))
		} else {
			v = int64(leU64(t.Data[8*i:]))
		}
		if v < math.MinInt32 || v > math.MaxInt32 {
			return nil, fmt.Errorf("%s value %d out of range", what, v)
		}
		out[i] = int(v)
	}
	return out, nil
}

func leU32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func leU64(b []byte) uint64 { return uint64(leU32(b)) | uint64(leU32(b[4:]))<<32 }
