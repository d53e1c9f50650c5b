package mcunetjson

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"mcusim/internal/datatest"
	"mcusim/models"
)

// configs are the 13 ProxylessNAS-format architecture configs of the shared data
// folder (shared/data/mcunet/INDEX.md §1).
var configs = []string{
	"mbv2-w0.3-r80_imagenet.json",
	"mbv2-w0.35-r144_imagenet.json",
	"mcunet-10fps_imagenet.json",
	"mcunet-256kb-1mb-int4_imagenet.json",
	"mcunet-256kb-1mb_imagenet.json",
	"mcunet-320kb-1mb-int4_imagenet.json",
	"mcunet-320kb-1mb_imagenet.json",
	"mcunet-512kb-2mb-int4_imagenet.json",
	"mcunet-512kb-2mb_imagenet.json",
	"mcunet-5fps_imagenet.json",
	"proxyless-w0.25-r112_imagenet.json",
	"proxyless-w0.3-r176_imagenet.json",
	"proxyless_mobile.json",
}

type summaryRow struct {
	resolution, stem, blocks int
	macs, weights            int64
}

// readSummary reads config_summary.csv (derived from the JSON configs; its MACs
// reproduce the model-zoo README values, claims.md §0).
func readSummary(t *testing.T) map[string]summaryRow {
	t.Helper()
	c := datatest.ReadCSV(t, "mcunet/config_summary.csv",
		"config", "resolution", "stem_channels", "n_mbblocks", "macs", "weights")
	out := map[string]summaryRow{}
	for _, r := range c.Rows {
		num := func(h string) int64 {
			v, err := strconv.ParseInt(r[h], 10, 64)
			if err != nil {
				t.Fatalf("config_summary.csv %s: %s: %v", r["config"], h, err)
			}
			return v
		}
		out[r["config"]] = summaryRow{
			resolution: int(num("resolution")), stem: int(num("stem_channels")),
			blocks: int(num("n_mbblocks")), macs: num("macs"), weights: num("weights"),
		}
	}
	return out
}

// weightElements sums the weight (not bias) elements of conv, depthwise and FC ops.
func weightElements(g *models.Graph) int64 {
	var n int64
	for _, op := range g.Ops {
		switch op.Kind {
		case models.Conv2D, models.DepthwiseConv2D, models.FullyConnected:
			n += int64(g.In(op, 1).Elements())
		}
	}
	return n
}

func TestConfigsMatchSummary(t *testing.T) {
	summary := readSummary(t)
	if len(summary) != len(configs) {
		t.Errorf("config_summary.csv has %d rows, want %d", len(summary), len(configs))
	}
	for _, name := range configs {
		t.Run(name, func(t *testing.T) {
			want, ok := summary[name]
			if !ok {
				t.Fatalf("%s missing from config_summary.csv", name)
			}
			g, err := Load(datatest.Require(t, "mcunet", name))
			if err != nil {
				t.Fatal(err)
			}
			if got := g.MACs(); got != want.macs {
				t.Errorf("MACs = %d, want %d", got, want.macs)
			}
			if got := weightElements(g); got != want.weights {
				t.Errorf("conv/FC weight elements = %d, want %d", got, want.weights)
			}
			if got := g.Input().Shape; got[1] != want.resolution || got[2] != want.resolution || got[3] != 3 {
				t.Errorf("input shape %v, want 1x%dx%dx3", got, want.resolution, want.resolution)
			}
			if got := g.Out(g.Ops[0], 0).Dim(-1); got != want.stem {
				t.Errorf("stem channels %d, want %d", got, want.stem)
			}
			// n_mbblocks counts the non-identity blocks; the head is the next block.
			last := g.Ops[len(g.Ops)-1]
			if last.Block != want.blocks+1 {
				t.Errorf("head block %d, want %d", last.Block, want.blocks+1)
			}
			if wantName := strings.TrimSuffix(name, ".json"); g.Name != wantName {
				t.Errorf("Name = %q, want %q", g.Name, wantName)
			}
			if err := g.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestInt4(t *testing.T) {
	for _, name := range configs {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(datatest.Require(t, "mcunet", name))
			if err != nil {
				t.Fatal(err)
			}
			g, err := Parse(data, name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := models.Int8
			if strings.Contains(name, "int4") {
				want = models.Int4
			}
			for _, tn := range g.Tensors {
				exp := want
				if strings.HasSuffix(tn.Name, ".bias") {
					exp = models.Int32
				}
				if tn.DType != exp {
					t.Fatalf("tensor %s is %v, want %v", tn.Name, tn.DType, exp)
				}
			}
			// Explicit bit widths override the file-name rule.
			for _, bits := range []int{4, 8} {
				g, err := Parse(data, name, Options{Bits: bits})
				if err != nil {
					t.Fatal(err)
				}
				if got := g.Input().DType.Bits(); got != bits {
					t.Errorf("Options{Bits: %d}: input is %d-bit", bits, got)
				}
			}
		})
	}
}

func TestIdentityBlocks(t *testing.T) {
	// proxyless_mobile.json blocks[3] and [4] are ZeroLayer blocks: no operators,
	// no block number; blocks[5] is block 4.
	spec, err := LoadSpec(datatest.Require(t, "mcunet", "proxyless_mobile.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.Blocks) != 22 || !spec.Blocks[3].Identity || !spec.Blocks[4].Identity || spec.Blocks[5].Identity {
		t.Fatalf("blocks: %+v", spec.Blocks)
	}
	g, err := models.BuildMBNet(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range g.Ops {
		if op.Name == "b4.dw" && op.KernelH != 7 {
			t.Errorf("b4.dw kernel %d, want 7 (blocks[5])", op.KernelH)
		}
	}
}

// minimal is a valid two-block config used to derive broken variants.
const minimal = `{
  "first_conv": {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "stride": 2, "act_func": "relu6"},
  "blocks": [
    {"mobile_inverted_conv": {"name": "MBInvertedConvLayer", "in_channels": 8, "out_channels": 8,
      "kernel_size": 3, "stride": 1, "expand_ratio": 1}, "shortcut": null},
    {"mobile_inverted_conv": {"name": "MBInvertedConvLayer", "in_channels": 8, "out_channels": 8,
      "kernel_size": 5, "stride": 1, "expand_ratio": 6, "mid_channels": 48, "act_func": "relu6", "use_se": false},
     "shortcut": {"name": "IdentityLayer", "in_channels": 8, "out_channels": 8}},
    {"mobile_inverted_conv": {"name": "ZeroLayer", "stride": 1}, "shortcut": {"name": "IdentityLayer"}}
  ],
  "feature_mix_layer": {"name": "ConvLayer", "kernel_size": 1, "stride": 1, "in_channels": 8, "out_channels": 16, "act_func": "relu6"},
  "classifier": {"in_features": 16, "out_features": 10},
  "resolution": 32
}`

func TestMinimal(t *testing.T) {
	g, err := Parse([]byte(minimal), "dir/tiny-int4.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "tiny-int4" || g.Input().DType != models.Int4 {
		t.Errorf("name %q dtype %v", g.Name, g.Input().DType)
	}
	var names []string
	for _, op := range g.Ops {
		names = append(names, op.Name)
	}
	want := "stem b1.dw b1.project b2.expand b2.dw b2.project b2.add head.mix head.pool head.fc"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("ops\n got %s\nwant %s", got, want)
	}
	// stem 16x16x8; b1: dw 8·9·256 + pw 64·256; b2: 8·48·256 + 48·25·256 + 48·8·256;
	// mix 8·16·256; fc 160.
	wantMACs := int64(16*16*8*9*3 + 256*8*9 + 256*64 + 256*8*48 + 256*48*25 + 256*48*8 + 256*8*16 + 160)
	if got := g.MACs(); got != wantMACs {
		t.Errorf("MACs %d, want %d", got, wantMACs)
	}
	// Resolution override.
	g, err = Parse([]byte(minimal), "tiny.json", Options{Resolution: 64})
	if err != nil {
		t.Fatal(err)
	}
	if g.Input().Shape[1] != 64 || g.Input().DType != models.Int8 {
		t.Errorf("override: input %v %v", g.Input().Shape, g.Input().DType)
	}
}

func TestSE(t *testing.T) {
	data := strings.Replace(minimal, `"use_se": false`, `"use_se": true`, 1)
	g, err := Parse([]byte(data), "se.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, op := range g.Ops {
		if op.Block == 2 {
			kinds = append(kinds, op.Kind.String())
		}
	}
	want := "CONV_2D DEPTHWISE_CONV_2D MEAN CONV_2D CONV_2D MUL CONV_2D ADD"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("block 2 ops\n got %s\nwant %s", got, want)
	}
}

func TestErrors(t *testing.T) {
	r := func(old, new string) string {
		if !strings.Contains(minimal, old) {
			panic("test fixture lacks " + old)
		}
		return strings.Replace(minimal, old, new, 1)
	}
	cases := []struct {
		name, data, want string
	}{
		{"even kernel", r(`"kernel_size": 5`, `"kernel_size": 4`),
			"mcunetjson: x.json: blocks[1].mobile_inverted_conv.kernel_size: must be a positive odd integer, got 4"},
		{"kernel string", r(`"kernel_size": 5`, `"kernel_size": "5"`),
			`mcunetjson: x.json: blocks[1].mobile_inverted_conv.kernel_size: must be a positive odd integer, got string "5"`},
		{"syntax", "{\n  \"first_conv\": {,\n}", "mcunetjson: x.json:2:18: invalid character ',' looking for beginning of object key string"},
		{"truncated", "{\n  \"a\": [1,", "mcunetjson: x.json:2:11: unexpected end of JSON input"},
		{"trailing", "{}\n}", "mcunetjson: x.json:2:1: unexpected data after the top-level JSON value"},
		{"empty", "  ", "mcunetjson: x.json: empty input (want a JSON object)"},
		{"array top", "[1]", "mcunetjson: x.json: top level: must be an object, got an array"},
		{"no resolution", r(`"resolution": 32`, `"res": 32`), "mcunetjson: x.json: resolution: missing"},
		{"fractional", r(`"resolution": 32`, `"resolution": 32.5`), "mcunetjson: x.json: resolution: must be an integer, got 32.5"},
		{"huge", r(`"resolution": 32`, `"resolution": 1e30`), "mcunetjson: x.json: resolution: must be at most 4096, got 1e30"},
		{"zero stride", r(`"stride": 2`, `"stride": 0`), "mcunetjson: x.json: first_conv.stride: must be a positive integer, got 0"},
		{"chain", r(`"in_channels": 8, "out_channels": 8,
      "kernel_size": 3`, `"in_channels": 9, "out_channels": 8,
      "kernel_size": 3`), "mcunetjson: x.json: blocks[0].mobile_inverted_conv.in_channels: must equal the 8 channels entering it, got 9"},
		{"activation", r(`"act_func": "relu6", "use_se"`, `"act_func": "h_swish", "use_se"`),
			`mcunetjson: x.json: blocks[1].mobile_inverted_conv.act_func: must be "relu6" (the only activation supported), got string "h_swish"`},
		{"layer kind", r(`"name": "ZeroLayer"`, `"name": "MixedEdge"`),
			`mcunetjson: x.json: blocks[2].mobile_inverted_conv.name: must be "MBInvertedConvLayer" or "ZeroLayer", got "MixedEdge"`},
		{"zero stride 2", r(`"name": "ZeroLayer", "stride": 1`, `"name": "ZeroLayer", "stride": 2`),
			"mcunetjson: x.json: blocks[2].mobile_inverted_conv.stride: a ZeroLayer block is an identity and needs stride 1, got 2"},
		{"bad residual", r(`"kernel_size": 5, "stride": 1`, `"kernel_size": 5, "stride": 2`),
			"mcunetjson: x.json: blocks[1].shortcut: an identity shortcut needs stride 1 and in_channels == out_channels, got stride 2, 8 → 8"},
		{"mid with e1", r(`"expand_ratio": 1}`, `"expand_ratio": 1, "mid_channels": 16}`),
			"mcunetjson: x.json: blocks[0].mobile_inverted_conv.mid_channels: with expand_ratio 1 there is no expand convolution, so it must be null or in_channels (8), got 16"},
		{"classifier", r(`"in_features": 16`, `"in_features": 8`), "mcunetjson: x.json: classifier.in_features: must equal the 16 channels entering it, got 8"},
		{"blocks type", r(`"blocks": [`, `"blocks": {"x": [`) + "}", ""},
		{"se type", r(`"use_se": false`, `"use_se": 0`), "mcunetjson: x.json: blocks[1].mobile_inverted_conv.use_se: must be true, false or null, got number 0"},
		{"mix kernel", r(`"kernel_size": 1, "stride": 1, "in_channels": 8`, `"kernel_size": 3, "stride": 1, "in_channels": 8`),
			"mcunetjson: x.json: feature_mix_layer.kernel_size: must be 1 (a 1×1 feature-mix convolution), got 3"},
		{"shortcut kind", r(`"shortcut": {"name": "IdentityLayer", "in_channels": 8, "out_channels": 8}`, `"shortcut": {"name": "ConvLayer"}`),
			`mcunetjson: x.json: blocks[1].shortcut.name: must be "IdentityLayer", "ZeroLayer" or a null shortcut, got "ConvLayer"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := Parse([]byte(c.data), "some/dir/x.json", Options{})
			if err == nil {
				t.Fatalf("no error, graph %s", g.Name)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("multi-line error: %q", msg)
			}
			if !strings.HasPrefix(msg, "mcunetjson: x.json") {
				t.Errorf("error does not name the file: %q", msg)
			}
			if c.want != "" && msg != c.want {
				t.Errorf("error\n got %s\nwant %s", msg, c.want)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Errorf("error is %T, want *Error", err)
			}
		})
	}
	t.Run("bad bits", func(t *testing.T) {
		if _, err := Parse([]byte(minimal), "x.json", Options{Bits: 5}); err == nil || !strings.Contains(err.Error(), "Options.Bits") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(t.TempDir(), "nope.json"))
		if err == nil || !strings.HasPrefix(err.Error(), "mcunetjson: ") || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("got %v", err)
		}
	})
}

// FuzzParse checks that no input makes Parse panic, and that accepted inputs give
// valid graphs. Seeds: the 13 shared configs and the minimal config above.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal), "tiny.json")
	f.Add([]byte(minimal), "tiny-int4.json")
	dir := datatest.Require(f, "mcunet")
	for _, name := range configs {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, name)
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		g, err := Parse(data, name, Options{})
		if err != nil {
			if g != nil {
				t.Fatal("graph and error")
			}
			if strings.Contains(err.Error(), "\n") && !strings.Contains(name, "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if err := g.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}
