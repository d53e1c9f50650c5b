package models

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// tinyNet is a small MB network with every zoo construct: stem, expand,
// depthwise, squeeze-and-excitation (MEAN, MUL), project, residual ADD, pool, FC.
func tinyNet(t *testing.T, bits int) *Graph {
	t.Helper()
	g, err := BuildMBNet(MBNetSpec{Name: "tiny", Resolution: 16, Stem: StemSpec{Out: 8, Kernel: 3, Stride: 2},
		Blocks: []MBBlockSpec{
			{In: 8, Out: 8, Kernel: 3, Stride: 1, Expand: 1, Residual: true},
			{In: 8, Out: 16, Kernel: 5, Stride: 2, Expand: 3, SE: true},
			{In: 16, Out: 16, Kernel: 3, Stride: 1, Expand: 4, Residual: true},
		},
		FeatureMix: 32, Classes: 10, Bits: bits})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestSynthesizeDeterministic(t *testing.T) {
	g := tinyNet(t, 8)
	a, err := Synthesize(g, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Synthesize(g, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same seed differ")
	}
	c, err := Synthesize(g, 8)
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for i, tt := range a.Tensors {
		if tt.Const && bytes.Equal(tt.Data, c.Tensors[i].Data) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d constant tensors are equal under seeds 7 and 8", same)
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	// The input graph keeps its placeholders.
	for i, tt := range g.Tensors {
		if len(tt.Data) != 0 {
			t.Fatalf("Synthesize wrote data into the input graph's tensor %d", i)
		}
	}
}

// TestSynthesizeRecipe checks the documented random recipe: the weights of
// tensor i come from rand.NewPCG(seed, i), first one jitter per output channel,
// then Uint64()%255 − 127 per element.
func TestSynthesizeRecipe(t *testing.T) {
	g := tinyNet(t, 8)
	const seed = 42
	s, err := Synthesize(g, seed)
	if err != nil {
		t.Fatal(err)
	}
	stem := s.Ops[0]
	wi := stem.Inputs[1]
	w := s.Tensors[wi]
	rng := rand.NewPCG(seed, uint64(wi))
	jitter := make([]float64, w.Dim(0))
	for c := range jitter {
		jitter[c] = 0.5 + float64(rng.Uint64()>>11)/(1<<53)
	}
	for k, b := range w.Data {
		if want := int8(int(rng.Uint64()%255) - 127); int8(b) != want {
			t.Fatalf("stem weight %d = %d, want %d", k, int8(b), want)
		}
	}
	// Per-channel scale w_c = u_c/(rms(q_c)·√F·m_in) with m_in = 1/√3 for the input.
	fanIn := w.Dim(1) * w.Dim(2) * w.Dim(3)
	for c := range jitter {
		var sq float64
		for _, b := range w.Data[c*fanIn : (c+1)*fanIn] {
			sq += float64(int8(b)) * float64(int8(b))
		}
		rms := math.Sqrt(sq / float64(fanIn))
		want := float64(float32(jitter[c] / (rms * math.Sqrt(float64(fanIn)) * (1 / math.Sqrt(3)))))
		if got := w.Quant.Scale[c]; got != want {
			t.Errorf("stem weight scale %d = %g, want %g", c, got, want)
		}
	}
}

func TestSynthesizeQuantization(t *testing.T) {
	g, err := Synthesize(tinyNet(t, 8), 1)
	if err != nil {
		t.Fatal(err)
	}
	isF32 := func(x float64) bool { return float64(float32(x)) == x }
	for _, op := range g.Ops {
		t.Run(op.Name, func(t *testing.T) {
			out := g.Out(op, 0)
			q := out.Quant
			if q == nil || len(q.Scale) != 1 || !(q.Scale[0] > 0) || !isF32(q.Scale[0]) {
				t.Fatalf("output %s has quantization %+v, want one positive float32 scale", out.Name, q)
			}
			if op.Act != ActNone && q.ZeroPoint[0] != -128 {
				t.Errorf("output after %s has zero point %d, want -128", op.Act, q.ZeroPoint[0])
			}
			switch op.Kind {
			case Conv2D, DepthwiseConv2D, FullyConnected:
			default:
				return
			}
			if op.Act == ActNone && q.ZeroPoint[0] != 0 {
				t.Errorf("linear output has zero point %d, want 0", q.ZeroPoint[0])
			}
			in, w, b := g.In(op, 0), g.In(op, 1), g.In(op, 2)
			cout, axis := w.Dim(0), 0
			if op.Kind == DepthwiseConv2D {
				cout, axis = w.Dim(3), 3
			}
			if w.Quant == nil || len(w.Quant.Scale) != cout || w.Quant.Axis != axis || len(w.Quant.ZeroPoint) != cout {
				t.Fatalf("weights %s quantization %+v, want %d scales along axis %d", w.Name, w.Quant, cout, axis)
			}
			for _, v := range w.Data {
				if int8(v) == -128 {
					t.Fatalf("weights %s hold −128; int8 weights are symmetric in [−127, 127]", w.Name)
				}
			}
			if len(b.Data) != 4*cout || b.Quant == nil || len(b.Quant.Scale) != cout {
				t.Fatalf("bias %s: %d bytes, quantization %+v", b.Name, len(b.Data), b.Quant)
			}
			for c := range cout {
				if zp := w.Quant.ZeroPoint[c]; zp != 0 {
					t.Errorf("weight zero point %d = %d, want 0", c, zp)
				}
				want := float64(float32(in.Quant.Scale[0] * w.Quant.Scale[c]))
				if b.Quant.Scale[c] != want {
					t.Errorf("bias scale %d = %g, want input·weight scale %g", c, b.Quant.Scale[c], want)
				}
				if !isF32(w.Quant.Scale[c]) {
					t.Errorf("weight scale %d = %g is not a float32", c, w.Quant.Scale[c])
				}
			}
		})
	}
}

func TestSynthesizeKeepsRealModels(t *testing.T) {
	// A graph whose constants all have data comes back as an equal deep copy.
	src, err := Synthesize(tinyNet(t, 8), 3)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := Synthesize(src, 99)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(src, cp) {
		t.Fatal("Synthesize changed a graph whose constants all have data")
	}
	cp.Tensors[1].Data[0]++
	cp.Tensors[1].Quant.Scale[0] *= 2
	cp.Ops[0].Inputs[0] = 5
	if reflect.DeepEqual(src, cp) {
		t.Fatal("the copy shares storage with the original")
	}
}

func TestSynthesizeRefusesInt4(t *testing.T) {
	_, err := Synthesize(tinyNet(t, 4), 1)
	if err == nil || !strings.Contains(err.Error(), "int4 execution is not supported") {
		t.Fatalf("Synthesize(int4 graph) error = %v, want int4 refusal", err)
	}
}
