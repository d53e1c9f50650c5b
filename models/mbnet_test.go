package models

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestMakeDivisible(t *testing.T) {
	cases := []struct {
		v    float64
		want int
	}{
		{11.2, 16}, // 32·0.35: 8 < 0.9·11.2 → 16
		{4.8, 8},
		{8.4, 8},
		{22.4, 24},
		{33.6, 32},
		{57.6, 56},
		{19.2, 24}, // 16 < 17.28 → 24
		{448, 448},
		{0.1, 8},
		{12, 16}, // int(16)/8·8 = 16
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.v), func(t *testing.T) {
			if got := MakeDivisible(c.v, 8); got != c.want {
				t.Errorf("MakeDivisible(%g, 8) = %d, want %d", c.v, got, c.want)
			}
		})
	}
}

// tinySpec is a 3-block network covering every block variant.
func tinySpec() MBNetSpec {
	return MBNetSpec{
		Name: "tiny", Resolution: 15, Stem: StemSpec{Out: 8, Kernel: 3, Stride: 2},
		Blocks: []MBBlockSpec{
			{In: 8, Out: 8, Kernel: 3, Stride: 1, Expand: 1},
			{In: 8, Out: 8, Kernel: 5, Stride: 1, Expand: 6, Residual: true},
			{In: 8, Out: 8, Identity: true},
			{In: 8, Out: 16, Kernel: 7, Stride: 2, Expand: 3, Mid: 20},
		},
		FeatureMix: 32, Classes: 10,
	}
}

func TestBuildMBNet(t *testing.T) {
	g, err := BuildMBNet(tinySpec())
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		name   string
		kind   OpKind
		block  int
		k, s   int
		act    Activation
		in     []int
		weight []int
		out    []int
	}
	// 15 → stem s2 pad 1 → 8 → b3 dw s2 pad 3 → 4.
	wants := []want{
		{"stem", Conv2D, 0, 3, 2, ActReLU6, []int{1, 15, 15, 3}, []int{8, 3, 3, 3}, []int{1, 8, 8, 8}},
		{"b1.dw", DepthwiseConv2D, 1, 3, 1, ActReLU6, []int{1, 8, 8, 8}, []int{1, 3, 3, 8}, []int{1, 8, 8, 8}},
		{"b1.project", Conv2D, 1, 1, 1, ActNone, []int{1, 8, 8, 8}, []int{8, 1, 1, 8}, []int{1, 8, 8, 8}},
		{"b2.expand", Conv2D, 2, 1, 1, ActReLU6, []int{1, 8, 8, 8}, []int{48, 1, 1, 8}, []int{1, 8, 8, 48}},
		{"b2.dw", DepthwiseConv2D, 2, 5, 1, ActReLU6, []int{1, 8, 8, 48}, []int{1, 5, 5, 48}, []int{1, 8, 8, 48}},
		{"b2.project", Conv2D, 2, 1, 1, ActNone, []int{1, 8, 8, 48}, []int{8, 1, 1, 48}, []int{1, 8, 8, 8}},
		{"b2.add", Add, 2, 0, 0, ActNone, []int{1, 8, 8, 8}, []int{1, 8, 8, 8}, []int{1, 8, 8, 8}},
		{"b3.expand", Conv2D, 3, 1, 1, ActReLU6, []int{1, 8, 8, 8}, []int{20, 1, 1, 8}, []int{1, 8, 8, 20}},
		{"b3.dw", DepthwiseConv2D, 3, 7, 2, ActReLU6, []int{1, 8, 8, 20}, []int{1, 7, 7, 20}, []int{1, 4, 4, 20}},
		{"b3.project", Conv2D, 3, 1, 1, ActNone, []int{1, 4, 4, 20}, []int{16, 1, 1, 20}, []int{1, 4, 4, 16}},
		{"head.mix", Conv2D, 4, 1, 1, ActReLU6, []int{1, 4, 4, 16}, []int{32, 1, 1, 16}, []int{1, 4, 4, 32}},
		{"head.pool", AveragePool, 4, 4, 1, ActNone, []int{1, 4, 4, 32}, nil, []int{1, 1, 1, 32}},
		{"head.fc", FullyConnected, 4, 0, 0, ActNone, []int{1, 1, 1, 32}, []int{10, 32}, []int{1, 10}},
	}
	if len(g.Ops) != len(wants) {
		t.Fatalf("%d ops, want %d", len(g.Ops), len(wants))
	}
	for i, w := range wants {
		op := g.Ops[i]
		t.Run(w.name, func(t *testing.T) {
			if op.Name != w.name || op.Kind != w.kind || op.Block != w.block || op.Act != w.act {
				t.Errorf("got %s %v block %d act %v", op.Name, op.Kind, op.Block, op.Act)
			}
			if op.KernelH != w.k || op.KernelW != w.k || op.StrideH != w.s || op.StrideW != w.s {
				t.Errorf("kernel %dx%d stride %dx%d, want %d / %d", op.KernelH, op.KernelW, op.StrideH, op.StrideW, w.k, w.s)
			}
			if !slices.Equal(g.In(op, 0).Shape, w.in) || !slices.Equal(g.Out(op, 0).Shape, w.out) {
				t.Errorf("shapes %v → %v, want %v → %v", g.In(op, 0).Shape, g.Out(op, 0).Shape, w.in, w.out)
			}
			if w.weight != nil {
				wt := g.In(op, 1)
				if !slices.Equal(wt.Shape, w.weight) {
					t.Errorf("input 1 shape %v, want %v", wt.Shape, w.weight)
				}
				if op.Kind != Add && (!wt.Const || wt.DType != Int8 || wt.Data != nil) {
					t.Errorf("weights %s: const %v dtype %v data %d", wt.Name, wt.Const, wt.DType, len(wt.Data))
				}
			}
			if op.Kind == Conv2D || op.Kind == DepthwiseConv2D || op.Kind == FullyConnected {
				b := g.In(op, 2)
				if b == nil || !b.Const || b.DType != Int32 || !slices.Equal(b.Shape, []int{g.Out(op, 0).Dim(-1)}) {
					t.Errorf("bias %+v", b)
				}
			}
			if op.Kind == Conv2D || op.Kind == DepthwiseConv2D {
				p := w.k / 2
				if op.Pad != (Padding{p, p, p, p}) {
					t.Errorf("padding %+v, want %d all round", op.Pad, p)
				}
			}
		})
	}
	for _, tn := range g.Tensors {
		if tn.Quant == nil || len(tn.Quant.Scale) != 1 || len(tn.Quant.ZeroPoint) != 1 {
			t.Errorf("tensor %s lacks placeholder quantization", tn.Name)
		}
	}
	if g.Name != "tiny" || g.Tensors[g.Outputs[0]].Name != "head.fc" {
		t.Errorf("name %q output %q", g.Name, g.Tensors[g.Outputs[0]].Name)
	}
	// ADD reads the branch first, then the block input (TFLite export order).
	if g.Ops[6].Inputs[1] != g.Ops[3].Inputs[0] || g.Ops[6].Inputs[0] != g.Ops[5].Outputs[0] {
		t.Error("b2.add does not read (project output, block input)")
	}
}

func TestBuildMBNetVariants(t *testing.T) {
	t.Run("int4", func(t *testing.T) {
		s := tinySpec()
		s.Bits = 4
		g, err := BuildMBNet(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, tn := range g.Tensors {
			want := Int4
			if strings.HasSuffix(tn.Name, ".bias") {
				want = Int32
			}
			if tn.DType != want {
				t.Errorf("%s is %v, want %v", tn.Name, tn.DType, want)
			}
		}
	})
	t.Run("non-square", func(t *testing.T) {
		s := tinySpec()
		s.Height, s.Width = 9, 20
		g, err := BuildMBNet(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.Out(g.Ops[len(g.Ops)-3], 0).Shape; !slices.Equal(got, []int{1, 3, 5, 32}) {
			t.Errorf("head.mix output %v, want 1x3x5x32", got)
		}
		if op := g.Ops[len(g.Ops)-2]; op.KernelH != 3 || op.KernelW != 5 {
			t.Errorf("pool kernel %dx%d", op.KernelH, op.KernelW)
		}
	})
	t.Run("SE", func(t *testing.T) {
		s := tinySpec()
		s.Blocks[1].SE = true
		g, err := BuildMBNet(s)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, op := range g.Ops {
			if op.Block == 2 {
				got = append(got, op.Name+":"+outShape(g, op))
			}
		}
		// 48 mid channels → SE reduce MakeDivisible(48/4, 8) = 16.
		want := []string{
			"b2.expand:1x8x8x48", "b2.dw:1x8x8x48", "b2.se.mean:1x1x1x48", "b2.se.reduce:1x1x1x16",
			"b2.se.expand:1x1x1x48", "b2.se.mul:1x8x8x48", "b2.project:1x8x8x8", "b2.add:1x8x8x8",
		}
		if !slices.Equal(got, want) {
			t.Errorf("block 2\n got %v\nwant %v", got, want)
		}
		s.Blocks[1].SEMid = 10
		g, err = BuildMBNet(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range g.Ops {
			if op.Name == "b2.se.reduce" && g.Out(op, 0).Dim(-1) != 10 {
				t.Errorf("SEMid ignored: %v", g.Out(op, 0).Shape)
			}
		}
	})
	t.Run("MACs", func(t *testing.T) {
		g, err := BuildMBNet(tinySpec())
		if err != nil {
			t.Fatal(err)
		}
		want := int64(64*8*27 + 64*8*9 + 64*8*8 + 64*8*48 + 64*48*25 + 64*48*8 + 64*8*20 + 16*20*49 + 16*20*16 + 16*16*32 + 32*10)
		if got := g.MACs(); got != want {
			t.Errorf("MACs %d, want %d", got, want)
		}
	})
}

// outShape returns the output shape of op as a string.
func outShape(g *Graph, op *Op) string { return ShapeString(g.Out(op, 0).Shape) }

func TestBuildMBNetErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(*MBNetSpec)
		want string
	}{
		{"resolution", func(s *MBNetSpec) { s.Resolution = 0 }, `mbnet "tiny": Resolution: must be positive, got 0`},
		{"huge resolution", func(s *MBNetSpec) { s.Resolution = 1 << 20 }, `Resolution: must be at most 4096, got 1048576`},
		{"height only", func(s *MBNetSpec) { s.Height = 10 }, `Width: must be positive, got 0`},
		{"bits", func(s *MBNetSpec) { s.Bits = 2 }, `Bits: must be 8 (or 0) for int8 or 4 for int4, got 2`},
		{"in channels", func(s *MBNetSpec) { s.InChannels = -1 }, `InChannels: must be positive, got -1`},
		{"stem kernel", func(s *MBNetSpec) { s.Stem.Kernel = 2 }, `Stem.Kernel: must be a positive odd integer, got 2`},
		{"stem stride", func(s *MBNetSpec) { s.Stem.Stride = 0 }, `Stem.Stride: must be positive, got 0`},
		{"even kernel", func(s *MBNetSpec) { s.Blocks[3].Kernel = 4 }, `mbnet "tiny": Blocks[3].Kernel: must be a positive odd integer, got 4`},
		{"big kernel", func(s *MBNetSpec) { s.Blocks[3].Kernel = 17 }, `Blocks[3].Kernel: must be at most 15, got 17`},
		{"chain", func(s *MBNetSpec) { s.Blocks[1].In = 9 }, `Blocks[1].In: must equal the previous output channels 8, got 9`},
		{"residual stride", func(s *MBNetSpec) { s.Blocks[3].Residual = true }, `Blocks[3].Residual: a residual block needs stride 1 and In == Out, got stride 2, 8 → 16`},
		{"expand 0", func(s *MBNetSpec) { s.Blocks[1].Expand = 0 }, `Blocks[1].Expand: must be positive, got 0`},
		{"mid with expand 1", func(s *MBNetSpec) { s.Blocks[0].Mid = 16 }, `Blocks[0].Mid: with Expand 1 there is no expand convolution, so Mid must be 0 or In (8), got 16`},
		{"negative mid", func(s *MBNetSpec) { s.Blocks[1].Mid = -3 }, `Blocks[1].Mid: must be 0 (In·Expand) or positive, got -3`},
		{"huge mid", func(s *MBNetSpec) { s.Blocks[1].Expand = 10000 }, `Blocks[1].Mid: 80000 expanded channels exceed the limit 65536`},
		{"identity channels", func(s *MBNetSpec) { s.Blocks[2].Out = 16 }, `Blocks[2].Out: an identity block must keep the channels (In 8), got 16`},
		{"identity stride", func(s *MBNetSpec) { s.Blocks[2].Stride = 2 }, `Blocks[2].Stride: an identity block needs stride 1 (or 0), got 2`},
		{"SEMid without SE", func(s *MBNetSpec) { s.Blocks[1].SEMid = 4 }, `Blocks[1].SEMid: set without SE`},
		{"feature mix", func(s *MBNetSpec) { s.FeatureMix = -1 }, `FeatureMix: must be positive, got -1`},
		{"classes", func(s *MBNetSpec) { s.Classes = 0 }, `Classes: must be positive, got 0`},
		{"no name", func(s *MBNetSpec) { s.Name = ""; s.Classes = 0 }, `mbnet "mbnet": Classes`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := tinySpec()
			c.edit(&s)
			g, err := BuildMBNet(s)
			if err == nil {
				t.Fatalf("no error, %d ops", len(g.Ops))
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error\n got %s\nwant …%s…", err, c.want)
			}
		})
	}
}
