package models

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
)

// Inputs returns the input tensors of a run, as raw bytes in each input's own
// element type (NHWC): given holds one tensor per graph input in the order of
// Graph.Inputs (the CLI's --input files); when given is empty, random ones are
// drawn from seed — uniform over the quantized range, mapped back to float for
// a float input so that the folded QUANTIZE sees exactly representable values.
func Inputs(g *Graph, given [][]byte, seed uint64) ([][]byte, error) {
	if len(given) != 0 && len(given) != len(g.Inputs) {
		return nil, fmt.Errorf("%d input tensors given; model %s has %d inputs (one --input file per input, in order)", len(given), g.Name, len(g.Inputs))
	}
	var ins [][]byte
	rng := rand.New(rand.NewPCG(seed, 0x6d637573696d))
	for k, ti := range g.Inputs {
		t := g.Tensors[ti]
		if len(given) != 0 {
			if len(given[k]) != t.Bytes() {
				return nil, fmt.Errorf("--input has %d bytes for input %d (%s); model %s takes %s %s = %d bytes", len(given[k]), k, t.Name, g.Name, t.DType, ShapeString(t.Shape), t.Bytes())
			}
			ins = append(ins, given[k])
			continue
		}
		b := make([]byte, t.Bytes())
		switch t.DType {
		case Int8, UInt8:
			for i := range b {
				b[i] = byte(rng.UintN(256))
			}
		case Float32:
			scale, zp := 1.0/128, int64(0)
			if t.Quant != nil && len(t.Quant.Scale) > 0 {
				scale = t.Quant.Scale[0]
			} else if q := quantOfConsumer(g, ti); q != nil {
				scale, zp = q.Scale[0], q.ZeroPoint[0]
			}
			for i := 0; i < len(b); i += 4 {
				q := int64(rng.IntN(256)) - 128
				f := float32(float64(q-zp) * scale)
				binary.LittleEndian.PutUint32(b[i:], math.Float32bits(f))
			}
		default:
			return nil, fmt.Errorf("input %s has element type %s; inputs must be int8, uint8 or float32", t.Name, t.DType)
		}
		ins = append(ins, b)
	}
	return ins, nil
}

// quantOfConsumer is the quantization of the QUANTIZE output that reads a float
// graph input.
func quantOfConsumer(g *Graph, t int) *Quant {
	for _, op := range g.Ops {
		if op.Kind == Quantize && op.Inputs[0] == t {
			if q := g.Out(op, 0).Quant; q != nil && len(q.Scale) > 0 && len(q.ZeroPoint) > 0 {
				return q
			}
		}
	}
	return nil
}

// DecodeInts reads a tensor's bytes as integers of its element type (int8
// for any type it does not know) and returns them with the index of the
// largest (the first on ties).
func DecodeInts(dt DType, b []byte) ([]int64, int) {
	var out []int64
	switch dt {
	case UInt8:
		for _, v := range b {
			out = append(out, int64(v))
		}
	case Int16:
		for i := 0; i+1 < len(b); i += 2 {
			out = append(out, int64(int16(binary.LittleEndian.Uint16(b[i:]))))
		}
	case Int32:
		for i := 0; i+3 < len(b); i += 4 {
			out = append(out, int64(int32(binary.LittleEndian.Uint32(b[i:]))))
		}
	default:
		for _, v := range b {
			out = append(out, int64(int8(v)))
		}
	}
	best := 0
	for i, v := range out {
		if v > out[best] {
			best = i
		}
	}
	return out, best
}

// DecodeFloats reads float32 tensor bytes (little-endian) and returns the
// values with the index of the largest (the first on ties).
func DecodeFloats(b []byte) ([]float64, int) {
	out := make([]float64, len(b)/4)
	best := 0
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		if out[i] > out[best] {
			best = i
		}
	}
	return out, best
}
