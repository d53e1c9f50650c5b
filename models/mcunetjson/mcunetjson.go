// Package mcunetjson reads the MCUNet model-zoo architecture configs: the
// ProxylessNAS "ProxylessNASNets" JSON format (Cai et al., ProxylessNAS, ICLR 2019)
// that mit-han-lab/mcunet ships for mcunet-in0…in4, the int4 MCUNets and the
// scaled MobileNetV2 / ProxylessNAS baselines (shared/data/mcunet/INDEX.md §1):
//
//	{name, bn, first_conv{in_channels, out_channels, kernel_size, stride, act_func},
//	 blocks[{mobile_inverted_conv{name, in_channels, out_channels, kernel_size,
//	         stride, expand_ratio, mid_channels, act_func, use_se}, shortcut}],
//	 feature_mix_layer, classifier{in_features, out_features}, resolution}
//
// A block whose mobile_inverted_conv is a ZeroLayer is an identity (skip) block,
// as in ProxylessNAS's MobileInvertedResidualBlock.forward. A block has a residual
// ADD when its shortcut is an IdentityLayer. The configs carry shapes only, so the
// graph has no weight data (see models.BuildMBNet for the layer recipe, padding and
// placeholder quantization).
//
// The JSON has no bit-width field. The MCUNet model server distinguishes the int4
// models only by name (mcunet-256kb-1mb-int4_imagenet.json, …), so with
// Options.Bits = 0 a file whose name contains "int4" is built with Int4
// activations and weights, every other file with Int8.
//
// Errors are one line naming the file, the JSON path and the problem, e.g.
//
//	mcunetjson: x.json: blocks[3].mobile_inverted_conv.kernel_size: must be a positive odd integer, got 4
//	mcunetjson: x.json:12:5: invalid character '}' looking for beginning of object key string
//
// Parsing never panics on any input (FuzzParse).
package mcunetjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"mcusim/models"
)

// Options controls Parse.
type Options struct {
	// Bits is 8 for int8, 4 for int4, or 0 to decide from the file name ("int4" in
	// the name → 4, else 8).
	Bits int
	// Resolution overrides the config's "resolution" field when positive (it is
	// required when the config lacks one).
	Resolution int
}

// Error is a parse error: the file, the JSON path (or line:column for syntax
// errors) and what is wrong.
type Error struct {
	File string // file name as given to Parse (base name)
	Path string // JSON path such as blocks[3].mobile_inverted_conv.kernel_size, or "" for syntax errors
	Line int    // 1-based line of a syntax error, else 0
	Col  int    // 1-based column (in characters) of a syntax error, else 0
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("mcunetjson: %s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.Path != "":
		return fmt.Sprintf("mcunetjson: %s: %s: %s", e.File, e.Path, e.Msg)
	}
	return fmt.Sprintf("mcunetjson: %s: %s", e.File, e.Msg)
}

// Load reads and parses the config at path with automatic bit width.
func Load(path string) (*models.Graph, error) { return LoadWith(path, Options{}) }

// LoadWith reads and parses the config at path with the given options.
func LoadWith(path string, opts Options) (*models.Graph, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, filepath.Base(path), opts)
}

// LoadSpec reads the config at path and returns its network description.
func LoadSpec(path string) (models.MBNetSpec, error) {
	data, err := readFile(path)
	if err != nil {
		return models.MBNetSpec{}, err
	}
	return ParseSpec(data, filepath.Base(path), Options{})
}

// MaxFileBytes caps the size of a config file Load reads. The configs are
// 5–30 KiB (shared/data/mcunet); 4 MiB keeps a wrong or sparse huge file from
// being read at all.
const MaxFileBytes = 4 << 20

// readFile reads a config file through models.ReadFile: a regular file of at
// most MaxFileBytes whose first non-blank byte opens a JSON object.
func readFile(path string) ([]byte, error) {
	data, err := models.ReadFile(path, "MCUNet JSON config", MaxFileBytes, "mcunetjson.MaxFileBytes", func(head []byte) error {
		if t := bytes.TrimLeft(head, " \t\r\n\ufeff"); len(t) > 0 && t[0] != '{' {
			return fmt.Errorf("not an MCUNet JSON config: it does not start with '{'")
		}
		return nil
	})
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("mcunetjson: %w", err)
	} else if err != nil {
		return nil, &Error{File: fileLabel(path), Msg: err.Error()}
	}
	return data, nil
}

// Parse builds the graph of a config. name is the file name (used in errors, for
// the int4 rule and, without directory and ".json", as Graph.Name).
func Parse(data []byte, name string, opts Options) (*models.Graph, error) {
	spec, err := ParseSpec(data, name, opts)
	if err != nil {
		return nil, err
	}
	g, err := models.BuildMBNet(spec)
	if err != nil {
		// ParseSpec checks everything BuildMBNet checks, with JSON paths; this is a
		// safety net.
		return nil, &Error{File: fileLabel(name), Msg: err.Error()}
	}
	return g, nil
}

// ParseSpec parses a config into a models.MBNetSpec without building the graph.
func ParseSpec(data []byte, name string, opts Options) (models.MBNetSpec, error) {
	p := &parser{file: fileLabel(name)}
	spec, err := p.parse(data, name, opts)
	if err != nil {
		return models.MBNetSpec{}, err
	}
	return spec, nil
}

// DefaultBits is the bit width Options.Bits = 0 picks for a config file: 4 when
// its name contains "int4" (the MCUNet model server's naming), else 8.
func DefaultBits(name string) int {
	if strings.Contains(strings.ToLower(fileLabel(name)), "int4") {
		return 4
	}
	return 8
}

func fileLabel(name string) string {
	if name == "" {
		return "<input>"
	}
	return filepath.Base(name)
}

// GraphName is the graph name of a config file: the base name without ".json".
func GraphName(name string) string {
	if name == "" {
		return "mcunet"
	}
	return strings.TrimSuffix(filepath.Base(name), ".json")
}

type parser struct{ file string }

func (p *parser) errf(path, format string, a ...any) error {
	return &Error{File: p.file, Path: path, Msg: fmt.Sprintf(format, a...)}
}

func (p *parser) parse(data []byte, name string, opts Options) (models.MBNetSpec, error) {
	var spec models.MBNetSpec
	switch opts.Bits {
	case 0:
		spec.Bits = DefaultBits(name)
	case 4, 8:
		spec.Bits = opts.Bits
	default:
		return spec, &Error{File: p.file, Msg: fmt.Sprintf("Options.Bits must be 0 (auto), 4 or 8, got %d", opts.Bits)}
	}
	spec.Name = GraphName(name)

	root, err := p.decode(data)
	if err != nil {
		return spec, err
	}
	top, err := p.object("top level", root)
	if err != nil {
		return spec, err
	}

	// Input resolution.
	if opts.Resolution > 0 {
		spec.Resolution = opts.Resolution
	} else if spec.Resolution, err = p.reqInt(top, "", "resolution", 1, models.MBMaxResolution); err != nil {
		return spec, err
	}

	// Stem.
	fcv, ok := top["first_conv"]
	if !ok {
		return spec, p.errf("first_conv", "missing")
	}
	fc, err := p.object("first_conv", fcv)
	if err != nil {
		return spec, err
	}
	if spec.InChannels, err = p.reqInt(fc, "first_conv", "in_channels", 1, models.MBMaxChannels); err != nil {
		return spec, err
	}
	if spec.Stem.Out, err = p.reqInt(fc, "first_conv", "out_channels", 1, models.MBMaxChannels); err != nil {
		return spec, err
	}
	if spec.Stem.Kernel, err = p.kernel(fc, "first_conv", "kernel_size"); err != nil {
		return spec, err
	}
	if spec.Stem.Stride, err = p.reqInt(fc, "first_conv", "stride", 1, models.MBMaxStride); err != nil {
		return spec, err
	}
	if err := p.mustBeOne(fc, "first_conv", "groups"); err != nil {
		return spec, err
	}
	if err := p.mustBeOne(fc, "first_conv", "dilation"); err != nil {
		return spec, err
	}
	if err := p.act(fc, "first_conv", true); err != nil {
		return spec, err
	}

	// Blocks.
	bv, ok := top["blocks"]
	if !ok {
		return spec, p.errf("blocks", "missing")
	}
	blocks, ok := bv.([]any)
	if !ok {
		return spec, p.errf("blocks", "must be an array, got %s", describe(bv))
	}
	c := spec.Stem.Out
	for i, v := range blocks {
		path := fmt.Sprintf("blocks[%d]", i)
		blk, err := p.block(path, v, c)
		if err != nil {
			return spec, err
		}
		spec.Blocks = append(spec.Blocks, blk)
		c = blk.Out
	}

	// Head.
	if fmv, ok := top["feature_mix_layer"]; ok && fmv != nil {
		fm, err := p.object("feature_mix_layer", fmv)
		if err != nil {
			return spec, err
		}
		if err := p.chain(fm, "feature_mix_layer", "in_channels", c); err != nil {
			return spec, err
		}
		if spec.FeatureMix, err = p.reqInt(fm, "feature_mix_layer", "out_channels", 1, models.MBMaxChannels); err != nil {
			return spec, err
		}
		k, err := p.kernel(fm, "feature_mix_layer", "kernel_size")
		if err != nil {
			return spec, err
		}
		if k != 1 {
			return spec, p.errf("feature_mix_layer.kernel_size", "must be 1 (a 1×1 feature-mix convolution), got %d", k)
		}
		if err := p.mustBeOne(fm, "feature_mix_layer", "stride"); err != nil {
			return spec, err
		}
		if err := p.mustBeOne(fm, "feature_mix_layer", "groups"); err != nil {
			return spec, err
		}
		if err := p.act(fm, "feature_mix_layer", true); err != nil {
			return spec, err
		}
		c = spec.FeatureMix
	}
	clv, ok := top["classifier"]
	if !ok {
		return spec, p.errf("classifier", "missing")
	}
	cl, err := p.object("classifier", clv)
	if err != nil {
		return spec, err
	}
	if err := p.chain(cl, "classifier", "in_features", c); err != nil {
		return spec, err
	}
	if spec.Classes, err = p.reqInt(cl, "classifier", "out_features", 1, models.MBMaxClasses); err != nil {
		return spec, err
	}
	if a, ok := cl["act_func"]; ok && a != nil {
		return spec, p.errf("classifier.act_func", "must be null (the classifier is linear), got %s", describe(a))
	}
	return spec, nil
}

// block parses blocks[i]; c is the number of channels entering it.
func (p *parser) block(path string, v any, c int) (models.MBBlockSpec, error) {
	var b models.MBBlockSpec
	o, err := p.object(path, v)
	if err != nil {
		return b, err
	}
	// Shortcut: null/absent or ZeroLayer = none, IdentityLayer = residual.
	residual := false
	scPath := path + ".shortcut"
	if sv, ok := o["shortcut"]; ok && sv != nil {
		sc, err := p.object(scPath, sv)
		if err != nil {
			return b, err
		}
		kind, err := p.name(sc, scPath)
		if err != nil {
			return b, err
		}
		switch kind {
		case "IdentityLayer":
			residual = true
			// The MCUNet (once-for-all) exports write these as one-element lists,
			// e.g. "in_channels": [16]; both forms are accepted.
			for _, k := range []string{"in_channels", "out_channels"} {
				x, ok := sc[k]
				if !ok || x == nil {
					continue
				}
				kp := join(scPath, k)
				if arr, isArr := x.([]any); isArr {
					if len(arr) != 1 {
						return b, p.errf(kp, "must be an integer or a one-element list, got a list of %d", len(arr))
					}
					x, kp = arr[0], kp+"[0]"
				}
				n, err := p.intValue(kp, x, 1, models.MBMaxChannels)
				if err != nil {
					return b, err
				}
				if n != c {
					return b, p.errf(kp, "must equal the %d channels entering it, got %d", c, n)
				}
			}
		case "ZeroLayer":
		default:
			return b, p.errf(scPath+".name", "must be \"IdentityLayer\", \"ZeroLayer\" or a null shortcut, got %q", kind)
		}
	}

	mPath := path + ".mobile_inverted_conv"
	mv, ok := o["mobile_inverted_conv"]
	if !ok {
		return b, p.errf(mPath, "missing")
	}
	m, err := p.object(mPath, mv)
	if err != nil {
		return b, err
	}
	kind, err := p.name(m, mPath)
	if err != nil {
		return b, err
	}
	switch kind {
	case "ZeroLayer":
		// ProxylessNAS: a zero-layer block returns its input whatever the shortcut.
		s, err := p.optInt(m, mPath, "stride", 1, 1, models.MBMaxStride)
		if err != nil {
			return b, err
		}
		if s != 1 {
			return b, p.errf(mPath+".stride", "a ZeroLayer block is an identity and needs stride 1, got %d", s)
		}
		return models.MBBlockSpec{In: c, Out: c, Stride: 1, Identity: true}, nil
	case "MBInvertedConvLayer":
	default:
		return b, p.errf(mPath+".name", "must be \"MBInvertedConvLayer\" or \"ZeroLayer\", got %q", kind)
	}
	if err := p.chain(m, mPath, "in_channels", c); err != nil {
		return b, err
	}
	b.In = c
	if b.Out, err = p.reqInt(m, mPath, "out_channels", 1, models.MBMaxChannels); err != nil {
		return b, err
	}
	if b.Kernel, err = p.kernel(m, mPath, "kernel_size"); err != nil {
		return b, err
	}
	if b.Stride, err = p.reqInt(m, mPath, "stride", 1, models.MBMaxStride); err != nil {
		return b, err
	}
	if b.Expand, err = p.reqInt(m, mPath, "expand_ratio", 1, models.MBMaxMid); err != nil {
		return b, err
	}
	if mid, ok := m["mid_channels"]; ok && mid != nil {
		if b.Mid, err = p.reqInt(m, mPath, "mid_channels", 1, models.MBMaxMid); err != nil {
			return b, err
		}
		if b.Expand == 1 && b.Mid != b.In {
			return b, p.errf(mPath+".mid_channels", "with expand_ratio 1 there is no expand convolution, so it must be null or in_channels (%d), got %d", b.In, b.Mid)
		}
	}
	if m := b.MidChannels(); m > models.MBMaxMid {
		return b, p.errf(mPath+".expand_ratio", "in_channels · expand_ratio = %d expanded channels exceeds the limit %d", m, models.MBMaxMid)
	}
	if err := p.act(m, mPath, false); err != nil {
		return b, err
	}
	if se, ok := m["use_se"]; ok && se != nil {
		v, ok := se.(bool)
		if !ok {
			return b, p.errf(mPath+".use_se", "must be true, false or null, got %s", describe(se))
		}
		b.SE = v
	}
	if residual && (b.Stride != 1 || b.In != b.Out) {
		return b, p.errf(scPath, "an identity shortcut needs stride 1 and in_channels == out_channels, got stride %d, %d → %d", b.Stride, b.In, b.Out)
	}
	b.Residual = residual
	return b, nil
}

// decode parses JSON text, reporting syntax errors with line:column.
func (p *parser) decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, p.syntaxErr(data, se.Offset, se.Error())
		case errors.Is(err, io.EOF) && len(bytes.TrimSpace(data)) == 0:
			return nil, &Error{File: p.file, Msg: "empty input (want a JSON object)"}
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return nil, p.syntaxErr(data, int64(len(data))+1, "unexpected end of JSON input")
		}
		return nil, &Error{File: p.file, Msg: err.Error()}
	}
	off := dec.InputOffset()
	if off >= 0 && off <= int64(len(data)) {
		rest := data[off:]
		if trimmed := bytes.TrimLeft(rest, " \t\r\n"); len(trimmed) > 0 {
			pos := off + int64(len(rest)-len(trimmed)) + 1
			return nil, p.syntaxErr(data, pos, "unexpected data after the top-level JSON value")
		}
	}
	return v, nil
}

// syntaxErr converts a byte offset (json.SyntaxError.Offset: the error happened
// after reading offset bytes, so the offending byte is offset−1) to line:column.
func (p *parser) syntaxErr(data []byte, offset int64, msg string) error {
	pos := int(offset - 1)
	pos = max(0, min(pos, len(data)))
	line := 1 + bytes.Count(data[:pos], []byte{'\n'})
	start := bytes.LastIndexByte(data[:pos], '\n') + 1
	col := utf8.RuneCount(data[start:pos]) + 1
	return &Error{File: p.file, Line: line, Col: col, Msg: msg}
}

func (p *parser) object(path string, v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, p.errf(path, "must be an object, got %s", describe(v))
	}
	return m, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// name returns the "name" string of a layer object.
func (p *parser) name(o map[string]any, path string) (string, error) {
	v, ok := o["name"]
	if !ok {
		return "", p.errf(join(path, "name"), "missing")
	}
	s, ok := v.(string)
	if !ok {
		return "", p.errf(join(path, "name"), "must be a string, got %s", describe(v))
	}
	return s, nil
}

// reqInt reads a required integer in [lo, hi].
func (p *parser) reqInt(o map[string]any, path, key string, lo, hi int) (int, error) {
	v, ok := o[key]
	if !ok {
		return 0, p.errf(join(path, key), "missing")
	}
	return p.intValue(join(path, key), v, lo, hi)
}

// optInt reads an optional integer (absent or null → def).
func (p *parser) optInt(o map[string]any, path, key string, def, lo, hi int) (int, error) {
	v, ok := o[key]
	if !ok || v == nil {
		return def, nil
	}
	return p.intValue(join(path, key), v, lo, hi)
}

func (p *parser) intValue(path string, v any, lo, hi int) (int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, p.errf(path, "must be an integer, got %s", describe(v))
	}
	x, ok := toInt(n)
	switch {
	case !ok:
		return 0, p.errf(path, "must be an integer, got %s", numText(n))
	case x < int64(lo) && lo == 1:
		return 0, p.errf(path, "must be a positive integer, got %s", numText(n))
	case x < int64(lo):
		return 0, p.errf(path, "must be at least %d, got %s", lo, numText(n))
	case x > int64(hi):
		return 0, p.errf(path, "must be at most %d, got %s", hi, numText(n))
	}
	return int(x), nil
}

// toInt converts a JSON number with an integral value (3, 3.0, 3e0) to int64,
// saturating at ±2^62; ok is false for fractional values.
func toInt(n json.Number) (int64, bool) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if (err != nil && !math.IsInf(f, 0)) || math.IsNaN(f) || f != math.Trunc(f) {
		return 0, false
	}
	const lim = 1 << 62
	switch {
	case f > lim:
		return lim, true
	case f < -lim:
		return -lim, true
	}
	return int64(f), true
}

// numText is a JSON number's text, shortened for messages.
func numText(n json.Number) string {
	s := string(n)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

// kernel reads a required odd kernel size.
func (p *parser) kernel(o map[string]any, path, key string) (int, error) {
	v, ok := o[key]
	if !ok {
		return 0, p.errf(join(path, key), "missing")
	}
	n, isNum := v.(json.Number)
	if !isNum {
		return 0, p.errf(join(path, key), "must be a positive odd integer, got %s", describe(v))
	}
	k, ok := toInt(n)
	if !ok || k <= 0 || k%2 == 0 {
		return 0, p.errf(join(path, key), "must be a positive odd integer, got %s", numText(n))
	}
	if k > models.MBMaxKernel {
		return 0, p.errf(join(path, key), "must be at most %d, got %s", models.MBMaxKernel, numText(n))
	}
	return int(k), nil
}

// mustBeOne checks that an optional integer field is absent, null or 1.
func (p *parser) mustBeOne(o map[string]any, path, key string) error {
	v, ok := o[key]
	if !ok || v == nil {
		return nil
	}
	if n, isNum := v.(json.Number); isNum {
		if x, ok := toInt(n); ok && x == 1 {
			return nil
		}
	}
	return p.errf(join(path, key), "must be 1 (the only value supported), got %s", describe(v))
}

// chain checks that a channel field equals the channels c flowing in.
func (p *parser) chain(o map[string]any, path, key string, c int) error {
	n, err := p.reqInt(o, path, key, 1, models.MBMaxChannels)
	if err != nil {
		return err
	}
	if n != c {
		return p.errf(join(path, key), "must equal the %d channels entering it, got %d", c, n)
	}
	return nil
}

// act checks act_func: "relu6" is the only activation the MCUNet configs use and
// the one models.BuildMBNet fuses. When required is false a missing field means
// relu6 (the MBInvertedConvLayer default in ProxylessNAS).
func (p *parser) act(o map[string]any, path string, required bool) error {
	v, ok := o["act_func"]
	if !ok {
		if required {
			return p.errf(join(path, "act_func"), "missing (want \"relu6\")")
		}
		return nil
	}
	if s, isStr := v.(string); isStr && s == "relu6" {
		return nil
	}
	return p.errf(join(path, "act_func"), "must be \"relu6\" (the only activation supported), got %s", describe(v))
}

// describe formats a decoded JSON value for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return "number " + numText(x)
	case string:
		if utf8.RuneCountInString(x) > 40 {
			x = string([]rune(x)[:40]) + "…"
		}
		return "string " + strconv.Quote(x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
