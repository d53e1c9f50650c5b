package zoo

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"mcusim/internal/datatest"
	"mcusim/models"
	"mcusim/models/mcunetjson"
)

// sameStructure compares two graphs operator by operator, ignoring names: kind,
// geometry, activation, block, and the shape, dtype and constness of every input
// and output tensor.
func sameStructure(a, b *models.Graph) error {
	if len(a.Ops) != len(b.Ops) {
		return fmt.Errorf("%d operators vs %d", len(a.Ops), len(b.Ops))
	}
	tensor := func(g *models.Graph, i int) string {
		if i < 0 {
			return "none"
		}
		t := g.Tensors[i]
		return fmt.Sprintf("%s %v const=%v", models.ShapeString(t.Shape), t.DType, t.Const)
	}
	for i := range a.Ops {
		x, y := *a.Ops[i], *b.Ops[i]
		where := fmt.Sprintf("op %d (%s / %s)", i, x.Name, y.Name)
		ta := func(ids []int, g *models.Graph) []string {
			out := make([]string, len(ids))
			for j, id := range ids {
				out[j] = tensor(g, id)
			}
			return out
		}
		if ia, ib := ta(x.Inputs, a), ta(y.Inputs, b); !slices.Equal(ia, ib) {
			return fmt.Errorf("%s: inputs %v vs %v", where, ia, ib)
		}
		if oa, ob := ta(x.Outputs, a), ta(y.Outputs, b); !slices.Equal(oa, ob) {
			return fmt.Errorf("%s: outputs %v vs %v", where, oa, ob)
		}
		x.Name, y.Name = "", ""
		x.Inputs, y.Inputs, x.Outputs, y.Outputs = nil, nil, nil, nil
		if !reflect.DeepEqual(x, y) {
			return fmt.Errorf("%s: %+v vs %+v", where, x, y)
		}
	}
	if ia, ib := tensor(a, a.Inputs[0]), tensor(b, b.Inputs[0]); ia != ib {
		return fmt.Errorf("graph input %s vs %s", ia, ib)
	}
	return nil
}

// TestJSONTwins checks the Go tables and the width-scaling rules against the
// model-zoo JSON configs (shared/data/mcunet, INDEX.md §1).
func TestJSONTwins(t *testing.T) {
	cases := []struct{ name, file string }{
		{"mcunet-in0", "mcunet-10fps_imagenet.json"},
		{"mcunet-in1", "mcunet-5fps_imagenet.json"},
		{"mcunet-in2", "mcunet-256kb-1mb_imagenet.json"},
		{"mcunet-in3", "mcunet-320kb-1mb_imagenet.json"},
		{"mcunet-in4", "mcunet-512kb-2mb_imagenet.json"},
		{"mbv2-w0.35-r144", "mbv2-w0.35-r144_imagenet.json"},
		{"mbv2-w0.3-r80", "mbv2-w0.3-r80_imagenet.json"},
		{"proxyless-w0.3-r176", "proxyless-w0.3-r176_imagenet.json"},
		{"proxyless-w0.25-r112", "proxyless-w0.25-r112_imagenet.json"},
		{"proxyless-w1.0-r224", "proxyless_mobile.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := datatest.Require(t, "mcunet", c.file)
			want, err := mcunetjson.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Load(c.name)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameStructure(got, want); err != nil {
				t.Error(err)
			}
			if got.MACs() != want.MACs() || got.Params() != want.Params() {
				t.Errorf("MACs %d params %d, JSON %d / %d", got.MACs(), got.Params(), want.MACs(), want.Params())
			}
			// The specs agree too (up to the name and the explicit int8 bit width).
			gs, err := Spec(c.name)
			if err != nil {
				t.Fatal(err)
			}
			js, err := mcunetjson.LoadSpec(path)
			if err != nil {
				t.Fatal(err)
			}
			gs.Name, js.Name = "", ""
			gs.Bits, js.Bits = 8, 8
			for _, s := range []*models.MBNetSpec{&gs, &js} {
				for i, b := range s.Blocks {
					if !b.Identity {
						s.Blocks[i].Mid = b.MidChannels() // the MCUNet JSONs spell out mid_channels
					}
				}
			}
			if !reflect.DeepEqual(gs, js) {
				for i := range min(len(gs.Blocks), len(js.Blocks)) {
					if gs.Blocks[i] != js.Blocks[i] {
						t.Errorf("Blocks[%d]: zoo %+v, JSON %+v", i, gs.Blocks[i], js.Blocks[i])
					}
				}
				gs.Blocks, js.Blocks = nil, nil
				t.Errorf("spec differs:\n zoo %+v\nJSON %+v", gs, js)
			}
		})
	}
}

// TestVWW1 checks mcunet-vww1 against the layer list of TinyEngine's VWW .tflite
// (claims.md §0: 11,578,816 MACs).
func TestVWW1(t *testing.T) {
	g, err := Load("mcunet-vww1")
	if err != nil {
		t.Fatal(err)
	}
	if got := g.MACs(); got != 11578816 {
		t.Errorf("MACs = %d, want 11,578,816", got)
	}
	if s := g.Input().Shape; !slices.Equal(s, []int{1, 80, 80, 3}) {
		t.Errorf("input %v", s)
	}
	if s := g.Tensors[g.Outputs[0]].Shape; !slices.Equal(s, []int{1, 2}) {
		t.Errorf("output %v", s)
	}

	layers := datatest.ReadCSV(t, "mcunet/tinyengine-vww_mcunet-vww1_80x80.layers.csv",
		"op", "in_shape", "out_shape", "kernel", "stride", "weight_bytes", "macs")
	shape := func(s string) []int {
		var out []int
		for _, p := range strings.Split(s, "x") {
			n, err := strconv.Atoi(p)
			if err != nil {
				t.Fatalf("bad shape %q", s)
			}
			out = append(out, n)
		}
		return out
	}
	// TFLite rows with arithmetic (PAD folded into the next convolution).
	type layer struct {
		op             string
		in, out        []int
		kernel, stride string
		weightBytes    int
		macs           int64
		padded         bool
	}
	var want []layer
	for i, r := range layers.Rows {
		switch op := r["op"]; op {
		case "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD":
			wb, _ := strconv.Atoi(r["weight_bytes"])
			macs, _ := strconv.ParseInt(r["macs"], 10, 64)
			want = append(want, layer{op: op, in: shape(r["in_shape"]), out: shape(r["out_shape"]),
				kernel: r["kernel"], stride: r["stride"], weightBytes: wb, macs: macs,
				padded: i > 0 && layers.Rows[i-1]["op"] == "PAD"})
		}
	}
	var ops []*models.Op
	for _, op := range g.Ops {
		if op.Kind != models.AveragePool {
			ops = append(ops, op)
		}
	}
	if len(ops) != len(want) {
		t.Fatalf("%d conv/dw/FC/ADD operators, layers.csv has %d", len(ops), len(want))
	}
	for i, op := range ops {
		w := want[i]
		t.Run(fmt.Sprintf("%02d_%s", i, op.Name), func(t *testing.T) {
			if op.Kind.String() != w.op {
				t.Fatalf("kind %v, want %s", op.Kind, w.op)
			}
			in, out := g.In(op, 0), g.Out(op, 0)
			if op.Kind == models.FullyConnected || op.Kind == models.Add {
				if in.Elements() != prod(w.in) || out.Elements() != prod(w.out) {
					t.Errorf("shapes %v → %v, want %v → %v", in.Shape, out.Shape, w.in, w.out)
				}
			} else {
				gotIn := slices.Clone(in.Shape)
				if w.padded {
					gotIn[1] += op.Pad.Top + op.Pad.Bottom
					gotIn[2] += op.Pad.Left + op.Pad.Right
				}
				if !slices.Equal(gotIn, w.in) || !slices.Equal(out.Shape, w.out) {
					t.Errorf("shapes %v (padded %v) → %v, want %v → %v", in.Shape, gotIn, out.Shape, w.in, w.out)
				}
				if k := fmt.Sprintf("%dx%d", op.KernelH, op.KernelW); k != w.kernel {
					t.Errorf("kernel %s, want %s", k, w.kernel)
				}
				if s := fmt.Sprintf("%dx%d", op.StrideH, op.StrideW); s != w.stride {
					t.Errorf("stride %s, want %s", s, w.stride)
				}
			}
			if op.Kind != models.Add {
				if wt := g.In(op, 1); wt.Bytes() != w.weightBytes {
					t.Errorf("weights %v = %d B, want %d", wt.Shape, wt.Bytes(), w.weightBytes)
				}
			}
			if m := g.OpMACs(op); m != w.macs {
				t.Errorf("MACs %d, want %d", m, w.macs)
			}
		})
	}
}

func prod(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// TestMobileNetV2 checks mbv2-w1.0-r224 against claims.md §1.1 and §1.2
// (MCUNetV2 Table 1 and Fig. 1; block 0 = the stem, blocks 1–17, then the head).
func TestMobileNetV2(t *testing.T) {
	g, err := Load("mbv2-w1.0-r224")
	if err != nil {
		t.Fatal(err)
	}
	if got := g.MACs(); got != 300774272 {
		t.Errorf("MACs = %d, want 300,774,272", got)
	}
	byBlock := map[int][]string{}
	var stage int64
	for _, op := range g.Ops {
		byBlock[op.Block] = append(byBlock[op.Block], strings.TrimPrefix(op.Name, fmt.Sprintf("b%d.", op.Block)))
		if op.Block <= 4 {
			stage += g.OpMACs(op)
		}
	}
	if len(byBlock) != 19 {
		t.Errorf("%d blocks, want 19 (stem, 17 inverted-residual blocks, head)", len(byBlock))
	}
	if stage != 91282688 {
		t.Errorf("MACs of stem + blocks 1–4 = %d, want 91,282,688", stage)
	}
	residual := map[int]bool{3: true, 5: true, 6: true, 8: true, 9: true, 10: true, 12: true, 13: true, 15: true, 16: true}
	for b := 0; b <= 18; b++ {
		want := "expand dw project"
		switch {
		case b == 0:
			want = "stem"
		case b == 1:
			want = "dw project"
		case b == 18:
			want = "head.mix head.pool head.fc"
		case residual[b]:
			want += " add"
		}
		if got := strings.Join(byBlock[b], " "); got != want {
			t.Errorf("block %d: %s, want %s", b, got, want)
		}
	}

	// Per-block peak under V2 Fig. 1's convention (claims.md §1.2): per layer input +
	// output, depthwise in place (input only), no residual buffer; KiB, 1 decimal.
	wantKiB := []float64{539.0, 588.0, 1372.0, 514.5, 514.5, 171.5, 171.5, 171.5, 85.8, 85.8, 85.8, 91.9, 128.6, 128.6, 128.6, 53.6, 53.6, 61.2}
	peak := make([]int, 18)
	for _, op := range g.Ops {
		if op.Block > 17 {
			continue
		}
		var b int
		switch op.Kind {
		case models.Conv2D:
			b = g.In(op, 0).Bytes() + g.Out(op, 0).Bytes()
		case models.DepthwiseConv2D:
			b = g.In(op, 0).Bytes()
		}
		peak[op.Block] = max(peak[op.Block], b)
	}
	for b, w := range wantKiB {
		// claims.md rounds to one decimal; 62,720 B = 61.25 KiB is listed as 61.2.
		if got := float64(peak[b]) / 1024; math.Abs(got-w) > 0.05+1e-9 {
			t.Errorf("block %d peak %.2f KiB, want %.1f", b, got, w)
		}
	}
}

func TestNames(t *testing.T) {
	good := []struct{ name, same string }{
		{"MCUNet-IN3", "mcunet-in3"},
		{"mcunet-320kB", "mcunet-in3"},
		{"mcunet-10fps", "mcunet-in0"},
		{"mcunet-5fps-vww", "mcunet-vww1"},
		{"mbv2-w0.35", "mbv2-w0.35-r144"},
		{"proxyless-w0.3", "proxyless-w0.3-r176"},
		{"mbv2-w1-r224", "mbv2-w1.0-r224"},
		{"proxyless-w1-r224", "proxyless-w1.0-r224"},
		{"mbv2-w.5-r96", "mbv2-w0.50-r96"},
	}
	for _, c := range good {
		t.Run(c.name, func(t *testing.T) {
			a, err := Load(c.name)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Load(c.same)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameStructure(a, b); err != nil {
				t.Error(err)
			}
		})
	}
	bad := []struct{ name, want string }{
		{"resnet50", `zoo: unknown model "resnet50"; available: mcunet-in0, mcunet-in1, mcunet-in2, mcunet-in3, mcunet-in4, mcunet-vww1; parametric: mbv2-w<W>-r<R> (e.g. mbv2-w0.35-r144), proxyless-w<W>-r<R> (e.g. proxyless-w0.3-r176)`},
		{"", `zoo: unknown model ""`},
		{"mcunet-vww0", `zoo: "mcunet-vww0" is not available: the mcunet-10fps_vww config was never committed to any repository found`},
		{"mbv2-w0-r144", `zoo: "mbv2-w0-r144": width multiplier must be in (0, 4], got 0`},
		{"mbv2-w0.0-r144", `width multiplier must be in (0, 4], got 0.0`},
		{"proxyless-w5-r224", `width multiplier must be in (0, 4], got 5`},
		{"mbv2-w-1-r144", `zoo: "mbv2-w-1-r144": want mbv2-w<W>-r<R> with W a decimal width multiplier and R the input resolution, e.g. mbv2-w0.35-r144`},
		{"mbv2-wabc-r144", `want mbv2-w<W>-r<R>`},
		{"mbv2-w0.35-r", `want mbv2-w<W>-r<R>`},
		{"mbv2-w.-r144", `want mbv2-w<W>-r<R>`},
		{"mbv2-w1e1-r224", `want mbv2-w<W>-r<R>`},
		{"proxyless-w0.3-r176x", `want proxyless-w<W>-r<R>`},
		{"proxyless", `unknown model "proxyless"`},
		{"mbv2-w0.35-r4", `zoo: "mbv2-w0.35-r4": resolution must be between 8 and 4096, got 4`},
		{"mbv2-w0.35-r99999999999999999999", `resolution must be between 8 and 4096, got 99999999999999999999`},
		{"mbv2-w0.35-r0", `resolution must be between 8 and 4096, got 0`},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			g, err := Load(c.name)
			if err == nil {
				t.Fatalf("no error, got %s", g.Name)
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error\n got %s\nwant …%s…", err, c.want)
			}
			if _, err := Spec(c.name); err == nil {
				t.Error("Spec accepted it")
			}
		})
	}
}

func TestEntries(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Entries() {
		t.Run(e.Name, func(t *testing.T) {
			if seen[e.Name] {
				t.Fatal("duplicate entry")
			}
			seen[e.Name] = true
			if e.Description == "" {
				t.Error("no description")
			}
			g, err := Load(e.Name)
			if err != nil {
				t.Fatal(err)
			}
			if g.Name != e.Name {
				t.Errorf("graph name %q", g.Name)
			}
			if s := g.Input().Shape; s[1] != e.Resolution || s[2] != e.Resolution {
				t.Errorf("input %v, entry says %d²", s, e.Resolution)
			}
			if c := g.Tensors[g.Outputs[0]].Dim(-1); c != e.Classes {
				t.Errorf("%d classes, entry says %d", c, e.Classes)
			}
			if err := g.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
	for _, want := range []string{"mcunet-in0", "mcunet-in4", "mcunet-vww1", "mbv2-w0.35-r144", "mbv2-w1.0-r224", "proxyless-w0.3-r176"} {
		if !seen[want] {
			t.Errorf("Entries lacks %s", want)
		}
	}
}

// TestScalingRules pins the two width rules of the package comment.
func TestScalingRules(t *testing.T) {
	cases := []struct {
		c          int
		w          float64
		mbv2, ceil int
	}{
		{192, 0.3, 56, 64}, // proxyless-w0.3: 64 (rounding up), MakeDivisible would give 56
		{96, 0.35, 32, 40}, // mbv2-w0.35: 32 (MakeDivisible), rounding up would give 40
		{24, 0.35, 8, 16},  // mbv2-w0.35: 8
		{64, 0.3, 24, 24},  // mbv2-w0.3: 19.2 → 16 < 0.9·19.2 → 24
		{32, 0.3, 16, 16},  // stems: 9.6 → 8 < 8.64 → 16
		{40, 0.3, 16, 16},  // 40·0.3 = 12.000000000000002
		{80, 0.3, 24, 24},  // exact multiple
		{1280, 0.35, 448, 448},
		{16, 0.25, 8, 8},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d×%g", c.c, c.w), func(t *testing.T) {
			if got := models.MakeDivisible(float64(c.c)*c.w, 8); got != c.mbv2 {
				t.Errorf("MakeDivisible = %d, want %d", got, c.mbv2)
			}
			if got := CeilChannels(c.c, c.w); got != c.ceil {
				t.Errorf("CeilChannels = %d, want %d", got, c.ceil)
			}
		})
	}
}
