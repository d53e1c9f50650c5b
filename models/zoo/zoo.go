// Package zoo holds mcusim's built-in models: the MCUNet model-zoo architectures
// (mcunet-in0…in4, mcunet-vww1) transcribed as Go tables, and the parametric
// MobileNetV2 and ProxylessNAS-Mobile baselines mbv2-w<W>-r<R> and
// proxyless-w<W>-r<R>. Every model is a models.MBNetSpec built with
// models.BuildMBNet; the graphs carry shapes only (no weight data).
//
// Sources. The MCUNet tables transcribe the ProxylessNAS-format configs of
// mit-han-lab/mcunet (shared/data/mcunet/INDEX.md §1; model-zoo aliases in
// shared/reference/claims.md §0), mcunet-vww1 is read off the layer list of
// TinyEngine's VWW model (tinyengine-vww_mcunet-vww1_80x80.layers.csv, identified as
// mcunet-vww1 = mcunet-5fps_vww by its MACs and weights). The data files are not
// embedded: the tests compare the tables against them.
//
// Width scaling (found by reproducing the zoo's scaled JSON configs exactly):
//
//   - MobileNetV2 (Sandler et al., CVPR 2018, Table 2: stem 32, (t,c,n,s) =
//     (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2)
//     (6,320,1,1), 1×1 feature mix 1280): every channel count, the stem and the
//     feature mix included, becomes models.MakeDivisible(c·W, 8) (max(8,
//     int(v+4)/8·8), plus 8 if that is below 0.9·v). Unlike torchvision the feature
//     mix is scaled below W = 1 too (448 at W = 0.35, 384 at W = 0.3). Expanded
//     channels are in·t; a block has a residual when its stride is 1 and its scaled
//     in and out channels are equal (as in the reference implementations).
//   - ProxylessNAS-Mobile (Cai et al., ICLR 2019; proxyless_mobile.json): every
//     channel count becomes ceil(c·W/8)·8 (at least 8), expanded channels in·t, and
//     the residuals and ZeroLayer (identity) blocks are those of the W = 1 network.
//     MakeDivisible does not reproduce proxyless-w0.3-r176 (192·0.3 = 57.6 gives 56,
//     the config has 64), and rounding up does not reproduce mbv2-w0.35-r144
//     (24·0.35 = 8.4 and 96·0.35 = 33.6 would give 16 and 40 instead of 8 and 32):
//     no single rule fits both families. The residuals must come from the W = 1
//     network: proxyless-w0.25-r112 has a 24 → 24 stride-1 block without shortcut
//     (80 → 96 at W = 1).
package zoo

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"mcusim/models"
)

// Entry describes a model the zoo can build.
type Entry struct {
	Name        string
	Description string
	Resolution  int
	Classes     int
}

// row is one inverted-residual block of a table, in the order of
// config_summary.csv's "cin-cout/k/e/s": in and out channels, depthwise kernel,
// expansion ratio and stride. The zero row marks a ProxylessNAS ZeroLayer block.
type row struct{ in, out, k, e, s int }

// zero is a ZeroLayer (identity) block; its channels follow the previous block.
var zero = row{}

func (r row) identity() bool { return r == zero }

// fixedModel is a model defined by a table.
type fixedModel struct {
	Entry
	stem   int
	blocks []row
	mix    int
}

// The MCUNet tables. All use a 3×3 stride-2 stem, ReLU6 everywhere, no feature mix,
// expanded channels = in·e, and a residual exactly when stride is 1 and in == out
// (the IdentityLayer shortcuts of the configs).
var fixed = []fixedModel{
	{ // mcunet-10fps_imagenet.json
		Entry: Entry{"mcunet-in0", "MCUNet, 10 FPS on STM32F746 (ImageNet, 48²; 6.4M MACs)", 48, 1000},
		stem:  24,
		blocks: []row{
			{24, 16, 3, 1, 1},
			{16, 16, 5, 4, 2}, {16, 16, 3, 3, 1}, {16, 16, 3, 4, 1},
			{16, 24, 7, 5, 2}, {24, 24, 5, 4, 1}, {24, 24, 5, 5, 1},
			{24, 48, 7, 5, 2}, {48, 48, 5, 4, 1},
			{48, 56, 3, 5, 1}, {56, 56, 5, 4, 1}, {56, 56, 3, 5, 1},
			{56, 112, 3, 6, 2}, {112, 112, 5, 4, 1},
			{112, 192, 3, 6, 1},
		},
	},
	{ // mcunet-5fps_imagenet.json
		Entry: Entry{"mcunet-in1", "MCUNet, 5 FPS on STM32F746 (ImageNet, 96²; 12.8M MACs)", 96, 1000},
		stem:  16,
		blocks: []row{
			{16, 8, 3, 1, 1},
			{8, 16, 3, 4, 2}, {16, 16, 3, 3, 1},
			{16, 24, 7, 3, 2}, {24, 24, 3, 5, 1},
			{24, 40, 3, 5, 2}, {40, 40, 7, 4, 1},
			{40, 48, 5, 4, 1}, {48, 48, 3, 3, 1}, {48, 48, 3, 4, 1},
			{48, 96, 7, 5, 2}, {96, 96, 5, 4, 1}, {96, 96, 5, 4, 1},
			{96, 160, 3, 6, 1},
		},
	},
	{ // mcunet-256kb-1mb_imagenet.json
		Entry: Entry{"mcunet-in2", "MCUNet, fits 256kB SRAM / 1MB Flash (STM32F412; ImageNet, 160²; 67.3M MACs)", 160, 1000},
		stem:  16,
		blocks: []row{
			{16, 8, 3, 1, 1},
			{8, 16, 5, 3, 2}, {16, 16, 7, 6, 1}, {16, 16, 3, 5, 1}, {16, 16, 5, 5, 1},
			{16, 24, 3, 5, 2}, {24, 24, 7, 6, 1}, {24, 24, 5, 6, 1},
			{24, 40, 7, 4, 2}, {40, 40, 5, 5, 1},
			{40, 48, 3, 5, 1}, {48, 48, 5, 5, 1}, {48, 48, 3, 4, 1},
			{48, 96, 5, 6, 2}, {96, 96, 5, 4, 1}, {96, 96, 5, 3, 1}, {96, 96, 3, 4, 1},
			{96, 160, 5, 5, 1},
		},
	},
	{ // mcunet-320kb-1mb_imagenet.json
		Entry: Entry{"mcunet-in3", "MCUNet, fits 320kB SRAM / 1MB Flash (STM32F746; ImageNet, 176²; 81.8M MACs)", 176, 1000},
		stem:  16,
		blocks: []row{
			{16, 8, 3, 1, 1},
			{8, 16, 7, 3, 2}, {16, 16, 3, 5, 1}, {16, 16, 7, 5, 1}, {16, 16, 5, 4, 1},
			{16, 24, 5, 5, 2}, {24, 24, 5, 5, 1}, {24, 24, 5, 5, 1},
			{24, 40, 3, 5, 2}, {40, 40, 7, 6, 1}, {40, 40, 5, 4, 1},
			{40, 48, 5, 5, 1}, {48, 48, 7, 5, 1}, {48, 48, 3, 5, 1},
			{48, 96, 3, 6, 2}, {96, 96, 7, 5, 1}, {96, 96, 3, 4, 1},
			{96, 160, 7, 5, 1},
		},
	},
	{ // mcunet-512kb-2mb_imagenet.json
		Entry: Entry{"mcunet-in4", "MCUNet, fits 512kB SRAM / 2MB Flash (STM32H743; ImageNet, 160²; 125.9M MACs)", 160, 1000},
		stem:  32,
		blocks: []row{
			{32, 16, 3, 1, 1},
			{16, 24, 7, 3, 2}, {24, 24, 3, 5, 1}, {24, 24, 5, 4, 1},
			{24, 40, 7, 5, 2}, {40, 40, 3, 4, 1}, {40, 40, 7, 4, 1},
			{40, 80, 7, 3, 2}, {80, 80, 3, 3, 1}, {80, 80, 7, 3, 1},
			{80, 96, 3, 4, 1}, {96, 96, 5, 3, 1}, {96, 96, 5, 3, 1},
			{96, 192, 7, 4, 2}, {192, 192, 7, 3, 1}, {192, 192, 5, 3, 1},
			{192, 320, 5, 4, 1},
		},
	},
	{ // tinyengine-vww_mcunet-vww1_80x80.layers.csv (PAD folded; TRANSPOSE+MEAN+MEAN = global pool)
		Entry: Entry{"mcunet-vww1", "MCUNet, 5 FPS on STM32F746 (Visual Wake Words, 80²; 11.6M MACs)", 80, 2},
		stem:  16,
		blocks: []row{
			{16, 8, 3, 1, 1},
			{8, 16, 3, 6, 2}, {16, 16, 3, 3, 1}, {16, 16, 3, 3, 1},
			{16, 24, 7, 3, 2}, {24, 24, 3, 6, 1}, {24, 24, 5, 5, 1},
			{24, 40, 7, 6, 2}, {40, 40, 7, 6, 1},
			{40, 48, 3, 6, 1}, {48, 48, 3, 4, 1},
			{48, 96, 5, 5, 2}, {96, 96, 3, 5, 1}, {96, 96, 3, 4, 1},
			{96, 160, 7, 3, 1},
		},
	},
}

// mbv2Stages is MobileNetV2's (t, c, n, s) table (Sandler et al. 2018, Table 2).
var mbv2Stages = [][4]int{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}}

// proxylessMobile is ProxylessNAS-Mobile at W = 1 (Cai et al. 2019; the published
// proxyless_mobile.json): stem 32, feature mix 1280, two ZeroLayer blocks.
var proxylessMobile = []row{
	{32, 16, 3, 1, 1},
	{16, 32, 5, 3, 2}, {32, 32, 3, 3, 1}, zero, zero,
	{32, 40, 7, 3, 2}, {40, 40, 3, 3, 1}, {40, 40, 5, 3, 1}, {40, 40, 5, 3, 1},
	{40, 80, 7, 6, 2}, {80, 80, 5, 3, 1}, {80, 80, 5, 3, 1}, {80, 80, 5, 3, 1},
	{80, 96, 5, 6, 1}, {96, 96, 5, 3, 1}, {96, 96, 5, 3, 1}, {96, 96, 5, 3, 1},
	{96, 192, 7, 6, 2}, {192, 192, 7, 6, 1}, {192, 192, 7, 3, 1}, {192, 192, 7, 3, 1},
	{192, 320, 7, 6, 1},
}

// examples are the parametric models listed by Entries.
var examples = []Entry{
	{"mbv2-w0.35-r144", "MobileNetV2 0.35× baseline for 320kB/1MB with TinyEngine (ImageNet, 144²; 23.5M MACs)", 144, 1000},
	{"mbv2-w0.3-r80", "MobileNetV2 0.3× baseline for TF-Lite Micro (ImageNet, 80²; 7.3M MACs)", 80, 1000},
	{"mbv2-w1.0-r224", "MobileNetV2 1.0 (Sandler et al. 2018; MCUNetV2 Table 1 / Fig. 1 network; ImageNet, 224²; 300.8M MACs)", 224, 1000},
	{"proxyless-w0.3-r176", "ProxylessNAS-Mobile 0.3× baseline for 320kB/1MB with TinyEngine (ImageNet, 176²; 38.3M MACs)", 176, 1000},
	{"proxyless-w0.25-r112", "ProxylessNAS-Mobile 0.25× baseline for TF-Lite Micro (ImageNet, 112²; 10.7M MACs)", 112, 1000},
	{"proxyless-w1.0-r224", "ProxylessNAS-Mobile (Cai et al. 2019; ImageNet, 224²; 320.4M MACs)", 224, 1000},
}

// aliases maps the model-zoo ids without resolution and the old README ids
// (claims.md §0) to zoo names.
var aliases = map[string]string{
	"mcunet-10fps":    "mcunet-in0",
	"mcunet-5fps":     "mcunet-in1",
	"mcunet-256kb":    "mcunet-in2",
	"mcunet-320kb":    "mcunet-in3",
	"mcunet-5fps-vww": "mcunet-vww1",
	"mbv2-w0.35":      "mbv2-w0.35-r144",
	"mbv2-320kb":      "mbv2-w0.35-r144",
	"proxyless-w0.3":  "proxyless-w0.3-r176",
	"proxyless-320kb": "proxyless-w0.3-r176",
}

// unavailable are model-zoo ids whose architecture was never published as data
// (shared/data/mcunet/INDEX.md §1).
var unavailable = map[string]string{
	"mcunet-vww0": "the mcunet-10fps_vww config was never committed to any repository found",
	"mcunet-vww2": "the mcunet-320kb-1mb_vww config was never committed to any repository found",
}

// Width multipliers and resolutions accepted by the parametric names.
const (
	MaxWidth      = 4.0
	MinResolution = 8
)

var paramRE = regexp.MustCompile(`^(mbv2|proxyless)-w([0-9]*\.?[0-9]*)-r([0-9]*)$`)

// Entries lists the fixed models and a few parametric examples.
func Entries() []Entry {
	out := make([]Entry, 0, len(fixed)+len(examples))
	for _, m := range fixed {
		out = append(out, m.Entry)
	}
	return append(out, examples...)
}

// Names lists the fixed model names.
func Names() []string {
	out := make([]string, len(fixed))
	for i, m := range fixed {
		out[i] = m.Name
	}
	return out
}

// Load builds the named model: a fixed name from Names(), an alias such as
// mcunet-320kb or mbv2-w0.35, or a parametric name mbv2-w<W>-r<R> /
// proxyless-w<W>-r<R> (W a decimal width multiplier such as 0.35, 1 or 1.0, R the
// input resolution). Names are case-insensitive.
func Load(name string) (*models.Graph, error) {
	spec, err := Spec(name)
	if err != nil {
		return nil, err
	}
	g, err := models.BuildMBNet(spec)
	if err != nil {
		return nil, fmt.Errorf("zoo: %v", err)
	}
	return g, nil
}

// Spec returns the network description of the named model (see Load).
func Spec(name string) (models.MBNetSpec, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if a, ok := aliases[key]; ok {
		key = a
	}
	for _, m := range fixed {
		if m.Name == key {
			return m.spec(), nil
		}
	}
	if why, ok := unavailable[key]; ok {
		return models.MBNetSpec{}, fmt.Errorf("zoo: %q is not available: %s", name, why)
	}
	if strings.HasPrefix(key, "mbv2-") || strings.HasPrefix(key, "proxyless-") {
		return parametric(name, key)
	}
	return models.MBNetSpec{}, fmt.Errorf("zoo: unknown model %q; available: %s; parametric: mbv2-w<W>-r<R> (e.g. mbv2-w0.35-r144), proxyless-w<W>-r<R> (e.g. proxyless-w0.3-r176)",
		name, strings.Join(Names(), ", "))
}

func (m fixedModel) spec() models.MBNetSpec {
	s := models.MBNetSpec{Name: m.Name, Resolution: m.Resolution, InChannels: 3,
		Stem: models.StemSpec{Out: m.stem, Kernel: 3, Stride: 2}, FeatureMix: m.mix, Classes: m.Classes}
	c := m.stem
	for _, r := range m.blocks {
		if r.identity() {
			s.Blocks = append(s.Blocks, models.MBBlockSpec{In: c, Out: c, Stride: 1, Identity: true})
			continue
		}
		s.Blocks = append(s.Blocks, models.MBBlockSpec{In: r.in, Out: r.out, Kernel: r.k, Stride: r.s, Expand: r.e,
			Residual: r.s == 1 && r.in == r.out})
		c = r.out
	}
	return s
}

// parametric parses mbv2-w<W>-r<R> and proxyless-w<W>-r<R>.
func parametric(name, key string) (models.MBNetSpec, error) {
	mt := paramRE.FindStringSubmatch(key)
	family := key[:strings.IndexByte(key, '-')]
	if mt == nil || mt[2] == "" || mt[2] == "." || mt[3] == "" {
		return models.MBNetSpec{}, fmt.Errorf("zoo: %q: want %s-w<W>-r<R> with W a decimal width multiplier and R the input resolution, e.g. %s",
			name, family, map[string]string{"mbv2": "mbv2-w0.35-r144", "proxyless": "proxyless-w0.3-r176"}[family])
	}
	w, err := strconv.ParseFloat(mt[2], 64)
	if err != nil || math.IsNaN(w) || math.IsInf(w, 0) {
		return models.MBNetSpec{}, fmt.Errorf("zoo: %q: bad width multiplier %q", name, mt[2])
	}
	if w <= 0 || w > MaxWidth {
		return models.MBNetSpec{}, fmt.Errorf("zoo: %q: width multiplier must be in (0, %g], got %s", name, MaxWidth, mt[2])
	}
	r, err := strconv.Atoi(mt[3])
	if err != nil || r < MinResolution || r > models.MBMaxResolution {
		return models.MBNetSpec{}, fmt.Errorf("zoo: %q: resolution must be between %d and %d, got %s", name, MinResolution, models.MBMaxResolution, mt[3])
	}
	if mt[1] == "mbv2" {
		return MobileNetV2(key, w, r), nil
	}
	return ProxylessMobile(key, w, r), nil
}

// MobileNetV2 returns MobileNetV2 at width multiplier w and resolution r (rules in
// the package comment).
func MobileNetV2(name string, w float64, r int) models.MBNetSpec {
	sc := func(c int) int { return models.MakeDivisible(float64(c)*w, 8) }
	in := sc(32)
	s := models.MBNetSpec{Name: name, Resolution: r, InChannels: 3,
		Stem: models.StemSpec{Out: in, Kernel: 3, Stride: 2}, FeatureMix: sc(1280), Classes: 1000}
	for _, st := range mbv2Stages {
		t, out, n, stride := st[0], sc(st[1]), st[2], st[3]
		for i := range n {
			if i > 0 {
				stride = 1
			}
			s.Blocks = append(s.Blocks, models.MBBlockSpec{In: in, Out: out, Kernel: 3, Stride: stride, Expand: t,
				Residual: stride == 1 && in == out})
			in = out
		}
	}
	return s
}

// CeilChannels is ProxylessNAS-Mobile's width rule: c·w rounded up to a multiple of
// 8, at least 8. A tolerance absorbs floating-point noise (40·0.3 =
// 12.000000000000002 stays 16, 80·0.3 stays 24).
func CeilChannels(c int, w float64) int {
	n := int(math.Ceil(float64(c)*w/8 - 1e-9))
	return max(8, n*8)
}

// ProxylessMobile returns ProxylessNAS-Mobile at width multiplier w and resolution
// r (rules in the package comment).
func ProxylessMobile(name string, w float64, r int) models.MBNetSpec {
	sc := func(c int) int { return CeilChannels(c, w) }
	c := sc(32)
	s := models.MBNetSpec{Name: name, Resolution: r, InChannels: 3,
		Stem: models.StemSpec{Out: c, Kernel: 3, Stride: 2}, FeatureMix: sc(1280), Classes: 1000}
	for _, b := range proxylessMobile {
		if b.identity() {
			s.Blocks = append(s.Blocks, models.MBBlockSpec{In: c, Out: c, Stride: 1, Identity: true})
			continue
		}
		out := sc(b.out)
		s.Blocks = append(s.Blocks, models.MBBlockSpec{In: c, Out: out, Kernel: b.k, Stride: b.s, Expand: b.e,
			Residual: b.s == 1 && b.in == b.out})
		c = out
	}
	return s
}
