package tflite

import (
	"bufio"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"mcusim/internal/datatest"
	"mcusim/models"
)

// Tests against the real models in the shared data folder (datadir): they skip
// without it, except under CI=true where they fail.

// unsupportedRE is the only acceptable failure for a real model.
var unsupportedRE = regexp.MustCompile(`^tflite: [^:]+: operator (\d+) \(([A-Z0-9_:]+)\) is not supported; supported: ` +
	regexp.QuoteMeta(strings.Join(models.OpKindNames(), ", ")) + `$`)

// modelFiles is the expected outcome for every .tflite of the data folder. MACs
// are the figures of the folder's INDEX.md (computed there from the flatbuffer,
// CONV_2D + DEPTHWISE_CONV_2D + FULLY_CONNECTED only); layersCSV names the
// mcunet per-layer table whose macs column sums to the expected count instead.
// unsupported is "<index> (<NAME>)" of the first operator outside the IR.
var modelFiles = []struct {
	path        string
	macs        int64
	layersCSV   string
	unsupported string
}{
	{path: "mcunet/mcunet-320kb-1mb_imagenet.tflite", macs: 81_785_520},
	{path: "mcunet/tinyengine-vww_mcunet-vww1_80x80.tflite", macs: 11_578_816},
	{path: "mcunet/tinyengine-mcunetv2-large-se_224.tflite", layersCSV: "mcunet/tinyengine-mcunetv2-large-se_224.layers.csv"},
	{path: "mcunet/tinyengine-person-detection_128x160.tflite", layersCSV: "mcunet/tinyengine-person-detection_128x160.layers.csv"},

	{path: "mlperf-tiny/vww_96_int8.tflite", macs: 7_489_664},
	{path: "mlperf-tiny/kws_ref_model.tflite", macs: 2_656_768},
	{path: "mlperf-tiny/pretrainedResnet_quant.tflite", macs: 12_501_632},
	{path: "mlperf-tiny/ad01_int8.tflite", macs: 264_192},
	{path: "mlperf-tiny/str_ww_ref_model.tflite", macs: 826_368},

	{path: "tflite-micro/person_detect.tflite", macs: 7_157_888},
	{path: "tflite-micro/micro_speech_quantized.tflite", macs: 336_000},
	{path: "tflite-micro/hello_world_int8.tflite", macs: 288},
	{path: "tflite-micro/simple_add_model.tflite", macs: 0},
	{path: "tflite-micro/keyword_scrambled.tflite", unsupported: "1 (SVDF)"},
	{path: "tflite-micro/keyword_scrambled_8bit.tflite", unsupported: "1 (SVDF)"},

	{path: "stm32ai-modelzoo/zoo-2d9c459/fdmobilenet_0.25_128_flowers_int8.tflite", unsupported: "25 (SHAPE)"},
	{path: "stm32ai-modelzoo/zoo-2d9c459/har_gmp_wl_24_wisdm_int8.tflite", unsupported: "3 (REDUCE_MAX)"},
	{path: "stm32ai-modelzoo/zoo-2d9c459/har_ign_wl_24_wisdm_int8.tflite", macs: 13_008},
	{path: "stm32ai-modelzoo/zoo-2d9c459/miniresnet_1stacks_64x50_esc10_int8.tflite", macs: 14_439_424},
	{path: "stm32ai-modelzoo/zoo-2d9c459/mobilenet_v1_0.25_96_flowers_int8.tflite", macs: 7_490_432},
	{path: "stm32ai-modelzoo/zoo-2d9c459/mobilenet_v1_0.25_96_grayscale_flowers_int8.tflite", macs: 7_158_656},
	{path: "stm32ai-modelzoo/zoo-2d9c459/mobilenet_v2_0.35_128_flowers_int8.tflite", macs: 18_947_072},
	{path: "stm32ai-modelzoo/zoo-2d9c459/resnet_v1_8_32_int8.tflite", macs: 12_501_632},
	{path: "stm32ai-modelzoo/zoo-2d9c459/stmnist_v1_int8.tflite", macs: 1_076_384},
	{path: "stm32ai-modelzoo/zoo-d95a31f/fdmobilenet_0.25_128_tfs_flowers_int8.tflite", unsupported: "25 (SHAPE)"},
	{path: "stm32ai-modelzoo/zoo-d95a31f/miniresnet_1stacks_64x50_tl_esc10_int8.tflite", macs: 7_361_536},
	{path: "stm32ai-modelzoo/zoo-d95a31f/mobilenet_v1_0.25_96_fft_flowers_int8.tflite", macs: 7_490_432},
	{path: "stm32ai-modelzoo/zoo-d95a31f/mobilenet_v1_0.25_96_grayscale_tfs_flowers_int8.tflite", macs: 7_158_656},
	{path: "stm32ai-modelzoo/zoo-d95a31f/mobilenet_v2_0.35_128_fft_flowers_int8.tflite", macs: 18_947_072},
	{path: "stm32ai-modelzoo/zoo-d95a31f/resnet_v1_8_32_tfs_int8.tflite", macs: 12_501_632},
	{path: "stm32ai-modelzoo/zoo-d95a31f/st_fdmobilenet_v1_128_tfs_flowers_int8.tflite", unsupported: "25 (SHAPE)"},
	{path: "stm32ai-modelzoo/zoo-d95a31f/st_mnist_v1_28_tfs_int8.tflite", macs: 1_076_384},
}

// TestModelFiles checks the outcome and MAC count of each listed model.
func TestModelFiles(t *testing.T) {
	for _, tc := range modelFiles {
		t.Run(tc.path, func(t *testing.T) {
			path := datatest.Require(t, tc.path)
			g, err := Load(path)
			if tc.unsupported != "" {
				if err == nil {
					t.Fatalf("loaded (%d ops), want operator %s to be rejected", len(g.Ops), tc.unsupported)
				}
				m := unsupportedRE.FindStringSubmatch(err.Error())
				if m == nil || m[1]+" ("+m[2]+")" != tc.unsupported {
					t.Fatalf("error %q, want operator %s is not supported", err, tc.unsupported)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.macs
			if tc.layersCSV != "" {
				want = 0
				for _, row := range readLayersCSV(t, tc.layersCSV) {
					want += row.macs
				}
			}
			if got := g.MACs(); got != want {
				t.Errorf("MACs = %d, want %d", got, want)
			}
		})
	}
}

// TestAllDataFiles walks the whole data folder: every .tflite must load, or
// fail with the unsupported-operator line; and each must be in modelFiles.
func TestAllDataFiles(t *testing.T) {
	root := datatest.Require(t)
	listed := map[string]bool{}
	for _, tc := range modelFiles {
		listed[tc.path] = true
	}
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".tflite" {
			return err
		}
		n++
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		t.Run(rel, func(t *testing.T) {
			if !listed[rel] {
				t.Errorf("no expected outcome in modelFiles for %s", rel)
			}
			g, err := Load(path)
			if err != nil {
				if !unsupportedRE.MatchString(err.Error()) {
					t.Errorf("error is not the unsupported-operator line: %q", err)
				}
				return
			}
			if len(g.Ops) == 0 || g.MACs() < 0 || g.Params() < 0 {
				t.Errorf("degenerate graph: %d ops, %d MACs", len(g.Ops), g.MACs())
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(modelFiles) {
		t.Errorf("found %d .tflite files, modelFiles lists %d", n, len(modelFiles))
	}
}

// layerLine is one operator row of a LAYERS.md listing, e.g.
//
//	0 CONV_2D  in=[1, 96, 96, 3] out=[1, 48, 48, 8] k=3x3 s=2x2 pad=SAME act=RELU W=[8, 3, 3, 3] MACs=497664
var (
	layerLineRE = regexp.MustCompile(`^\s*(\d+) (\S+)\s+in=\[([^\]]*)\] out=\[([^\]]*)\](.*)$`)
	kernelRE    = regexp.MustCompile(`\bk=(\d+)x(\d+) s=(\d+)x(\d+)`)
	padRE       = regexp.MustCompile(`\bpad=(\w+)`)
	actRE       = regexp.MustCompile(`\bact=(\w+)`)
	weightsRE   = regexp.MustCompile(`\bW=\[([^\]]*)\]`)
	macsRE      = regexp.MustCompile(`\bMACs=(\d+)`)
	ioRE        = regexp.MustCompile(`\(\[([^\]]*)\], '(\w+)'\)`)
)

var shortDType = map[string]models.DType{"i8": models.Int8, "u8": models.UInt8, "i16": models.Int16,
	"i32": models.Int32, "f32": models.Float32}

// TestLayersMD compares every model listed in the LAYERS.md files op by op:
// kind, input and output shapes, kernel, stride, padding mode, activation,
// weight shape and MACs, plus the graph inputs and outputs.
func TestLayersMD(t *testing.T) {
	for _, dir := range []string{"mlperf-tiny", "tflite-micro"} {
		md := datatest.Require(t, dir, "LAYERS.md")
		listings := readLayersMD(t, md)
		for _, name := range slices.Sorted(maps.Keys(listings)) {
			lines := listings[name]
			t.Run(dir+"/"+name, func(t *testing.T) {
				g, err := Load(filepath.Join(filepath.Dir(md), name))
				if err != nil {
					if unsupportedRE.MatchString(err.Error()) {
						t.Skipf("not importable: %v", err)
					}
					t.Fatal(err)
				}
				compareLayersMD(t, g, lines)
			})
		}
	}
}

// readLayersMD splits a LAYERS.md into the listing lines of each "## file".
func readLayersMD(t *testing.T, path string) map[string][]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	cur := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "## "); ok {
			cur = strings.TrimSpace(name)
			continue
		}
		if cur != "" {
			out[cur] = append(out[cur], line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s lists no model", path)
	}
	return out
}

func compareLayersMD(t *testing.T, g *models.Graph, lines []string) {
	t.Helper()
	nops := 0
	for _, line := range lines {
		if strings.HasPrefix(line, "subgraph 0:") {
			ins, outs, _ := strings.Cut(line, " outputs ")
			checkIO(t, g, "input", g.Inputs, ins)
			checkIO(t, g, "output", g.Outputs, outs)
			continue
		}
		m := layerLineRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		nops++
		i, _ := strconv.Atoi(m[1])
		if i >= len(g.Ops) {
			t.Errorf("LAYERS.md lists op %d, graph has %d ops", i, len(g.Ops))
			continue
		}
		op, rest := g.Ops[i], m[5]
		where := fmt.Sprintf("op %d (%s)", i, m[2])
		if op.Kind.String() != m[2] {
			t.Errorf("%s: kind %s", where, op.Kind)
		}
		checkShape(t, where+" input", g.In(op, 0).Shape, m[3])
		checkShape(t, where+" output", g.Out(op, 0).Shape, m[4])
		if k := kernelRE.FindStringSubmatch(rest); k != nil {
			got := fmt.Sprintf("%dx%d %dx%d", op.KernelH, op.KernelW, op.StrideH, op.StrideW)
			if op.Kind == models.AveragePool || op.Kind == models.MaxPool {
				// LAYERS.md prints pools as filter_width x filter_height and
				// stride_w x stride_h (Pool2DOptions field order), convolutions
				// as kh x kw: kws_ref_model's global pool over its 25x5 map
				// reads "k=5x25 s=5x25".
				got = fmt.Sprintf("%dx%d %dx%d", op.KernelW, op.KernelH, op.StrideW, op.StrideH)
			}
			if want := k[1] + "x" + k[2] + " " + k[3] + "x" + k[4]; got != want {
				t.Errorf("%s: kernel and stride %s, want %s", where, got, want)
			}
		}
		if p := padRE.FindStringSubmatch(rest); p != nil {
			checkPadMode(t, g, op, where, p[1])
		}
		if a := actRE.FindStringSubmatch(rest); a != nil && op.Act.String() != a[1] {
			t.Errorf("%s: act %s, want %s", where, op.Act, a[1])
		}
		if w := weightsRE.FindStringSubmatch(rest); w != nil {
			checkShape(t, where+" weights", g.In(op, 1).Shape, w[1])
		}
		if mm := macsRE.FindStringSubmatch(rest); mm != nil {
			if got := strconv.FormatInt(g.OpMACs(op), 10); got != mm[1] {
				t.Errorf("%s: MACs %s, want %s", where, got, mm[1])
			}
		}
	}
	if nops != len(g.Ops) {
		t.Errorf("LAYERS.md lists %d ops, graph has %d", nops, len(g.Ops))
	}
}

// checkPadMode checks that VALID resolved to no padding and SAME to
// out = ceil(in/stride).
func checkPadMode(t *testing.T, g *models.Graph, op *models.Op, where, mode string) {
	t.Helper()
	ih, iw, _ := g.In(op, 0).HWC()
	oh, ow, _ := g.Out(op, 0).HWC()
	switch mode {
	case "VALID":
		if op.Pad != (models.Padding{}) {
			t.Errorf("%s: VALID but padding %+v", where, op.Pad)
		}
	case "SAME":
		if oh != (ih+op.StrideH-1)/op.StrideH || ow != (iw+op.StrideW-1)/op.StrideW {
			t.Errorf("%s: SAME but output %dx%d from input %dx%d", where, oh, ow, ih, iw)
		}
	default:
		t.Errorf("%s: unknown padding %s", where, mode)
	}
}

func checkIO(t *testing.T, g *models.Graph, what string, idx []int, listing string) {
	t.Helper()
	ms := ioRE.FindAllStringSubmatch(listing, -1)
	if len(ms) != len(idx) {
		t.Errorf("graph has %d %ss, LAYERS.md %d", len(idx), what, len(ms))
		return
	}
	for i, m := range ms {
		tt := g.Tensors[idx[i]]
		checkShape(t, fmt.Sprintf("graph %s %d", what, i), tt.Shape, m[1])
		if dt, ok := shortDType[m[2]]; !ok || dt != tt.DType {
			t.Errorf("graph %s %d: dtype %s, want %s", what, i, tt.DType, m[2])
		}
	}
}

func checkShape(t *testing.T, where string, got []int, want string) {
	t.Helper()
	parts := strings.Split(want, ", ")
	if strings.TrimSpace(want) == "" {
		parts = nil
	}
	s := make([]string, len(got))
	for i, d := range got {
		s[i] = strconv.Itoa(d)
	}
	if strings.Join(s, ", ") != strings.Join(parts, ", ") {
		t.Errorf("%s: shape %v, want [%s]", where, got, want)
	}
}

// layerRow is one row of a mcunet *.layers.csv.
type layerRow struct {
	idx                                  int
	op, inShape, inDType, outShape, outD string
	kernel, stride, padding, act         string
	weightBytes, biasBytes, macs         int64
}

// readLayersCSV reads a mcunet *.layers.csv from the data folder (rel is its
// slash-separated path there).
func readLayersCSV(t *testing.T, rel string) []layerRow {
	t.Helper()
	c := datatest.ReadCSV(t, rel)
	if len(c.Rows) == 0 || len(c.Header) < 13 || strings.Join(c.Header[:13], ",") !=
		"idx,op,in_shape,in_dtype,out_shape,out_dtype,kernel,stride,padding,fused_act,weight_bytes,bias_bytes,macs" {
		t.Fatalf("%s: unexpected header %v", rel, c.Header)
	}
	var rows []layerRow
	for _, r := range c.Rows {
		num := func(h string) int64 {
			v, err := strconv.ParseInt(r[h], 10, 64)
			if err != nil {
				t.Fatalf("%s: bad number %q in row %v", rel, r[h], r)
			}
			return v
		}
		rows = append(rows, layerRow{idx: int(num("idx")), op: r["op"], inShape: r["in_shape"], inDType: r["in_dtype"],
			outShape: r["out_shape"], outD: r["out_dtype"], kernel: r["kernel"], stride: r["stride"], padding: r["padding"],
			act: r["fused_act"], weightBytes: num("weight_bytes"), biasBytes: num("bias_bytes"), macs: num("macs")})
	}
	return rows
}

// TestLayersCSV compares the four mcunet models op by op with their
// *.layers.csv: kind, shapes and dtypes, kernel, stride, padding mode,
// activation, weight and bias bytes, MACs.
func TestLayersCSV(t *testing.T) {
	for _, name := range []string{"mcunet-320kb-1mb_imagenet", "tinyengine-vww_mcunet-vww1_80x80",
		"tinyengine-mcunetv2-large-se_224", "tinyengine-person-detection_128x160"} {
		t.Run(name, func(t *testing.T) {
			rows := readLayersCSV(t, "mcunet/"+name+".layers.csv")
			g, err := Load(datatest.Require(t, "mcunet", name+".tflite"))
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(g.Ops) {
				t.Fatalf("%d ops, layers.csv has %d rows", len(g.Ops), len(rows))
			}
			for i, r := range rows {
				op := g.Ops[i]
				where := fmt.Sprintf("op %d (%s)", r.idx, r.op)
				in, out := g.In(op, 0), g.Out(op, 0)
				got := []string{op.Kind.String(), models.ShapeString(in.Shape), in.DType.String(),
					models.ShapeString(out.Shape), out.DType.String()}
				want := []string{r.op, r.inShape, r.inDType, r.outShape, r.outD}
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("%s: got %v, want %v", where, got, want)
				}
				if r.kernel != "" {
					if k := fmt.Sprintf("%dx%d", op.KernelH, op.KernelW); k != r.kernel {
						t.Errorf("%s: kernel %s, want %s", where, k, r.kernel)
					}
				}
				if r.stride != "" {
					if s := fmt.Sprintf("%dx%d", op.StrideH, op.StrideW); s != r.stride {
						t.Errorf("%s: stride %s, want %s", where, s, r.stride)
					}
				}
				if r.padding != "" {
					checkPadMode(t, g, op, where, r.padding)
				}
				if r.act != "" && op.Act.String() != r.act {
					t.Errorf("%s: act %s, want %s", where, op.Act, r.act)
				}
				var wb, bb int64 // the table counts the weights of conv/dw/fc only
				if op.Kind == models.Conv2D || op.Kind == models.DepthwiseConv2D || op.Kind == models.FullyConnected {
					if w := g.In(op, 1); w != nil && w.Const {
						wb = int64(w.Bytes())
					}
					if b := g.In(op, 2); b != nil && b.Const {
						bb = int64(b.Bytes())
					}
				}
				if wb != r.weightBytes || bb != r.biasBytes {
					t.Errorf("%s: weight/bias bytes %d/%d, want %d/%d", where, wb, bb, r.weightBytes, r.biasBytes)
				}
				if m := g.OpMACs(op); m != r.macs {
					t.Errorf("%s: MACs %d, want %d", where, m, r.macs)
				}
			}
		})
	}
}
