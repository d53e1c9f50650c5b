package mcusim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"mcusim/mem"
	"mcusim/models"
)

// This file is `mcusim check`: a CI guard on peak SRAM, Flash and latency. A
// TOML configuration names entries (model × board × engine × schedule) with
// budgets and a JSON baseline; Check estimates every entry through estimator
// sessions (one per board, engine and schedule, batched) and compares. The
// two-sided option follows TF Lite Micro's memory_arena_threshold_test, which
// fails on savings beyond its threshold too, so that an improvement is
// recorded in the baseline instead of silently widening the budget.

// MaxCheckConfigBytes bounds a check configuration file.
const MaxCheckConfigBytes = 1 << 20

// CheckConfig is a parsed check configuration (mcusim.toml).
type CheckConfig struct {
	// Path is the configuration file; relative paths in it are relative to
	// its directory.
	Path string
	// Baseline is the baseline file, resolved against the configuration's
	// directory.
	Baseline string
	// Tolerance is how far a figure may move against the baseline.
	Tolerance Tolerance
	// LatencyTolerance is Tolerance for latency when the latter is in bytes;
	// the zero value demands the baseline's latency to the microsecond.
	LatencyTolerance Tolerance
	// FailOnSavings also fails on a figure that dropped beyond tolerance
	// (TF Lite Micro's two-sided check).
	FailOnSavings bool
	Entries       []CheckEntry
}

// CheckEntry is one [[model]] table of the configuration.
type CheckEntry struct {
	// ID names the entry in the baseline and in reports:
	// model@board/engine/schedule/input.
	ID       string
	Model    string // zoo name or path (resolved against the config's directory)
	Board    string
	Engine   Style
	Schedule string // layer, auto, p<P>-op<K> or p<P>-block<N>
	// InputSource is the input convention (PlanOptions.InputSource): sram, the
	// default (the frame is in SRAM, part of the peak), or stream.
	InputSource string
	// Budgets; 0 = none.
	MaxPeakSRAM  int
	MaxFlash     int
	MaxLatencyMS float64
	// Line is the line of the entry's [[model]] header.
	Line int

	plan PlanOptions
}

// Tolerance is an allowed change against the baseline: bytes or a percentage
// of the baseline value.
type Tolerance struct {
	Bytes   int
	Percent float64
	// IsPercent tells the two forms apart ("0%" and "0" both allow nothing).
	IsPercent bool
}

// String prints the tolerance as the configuration writes it.
func (t Tolerance) String() string {
	if t.IsPercent {
		return strconv.FormatFloat(t.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(t.Bytes) + "B"
}

// allows reports whether a move from before to after stays within t; a
// byte tolerance on a non-byte figure uses unit as the smallest difference
// that counts.
func (t Tolerance) allows(before, after float64, bytes bool, unit float64) bool {
	d := math.Abs(after - before)
	switch {
	case t.IsPercent:
		return d <= math.Abs(before)*t.Percent/100+1e-9
	case bytes:
		return d <= float64(t.Bytes)
	}
	return d < unit/2
}

var (
	tolBytes    = regexp.MustCompile(`^([0-9]+)\s*(B|KiB|kB)?$`)
	tolPercent  = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*%$`)
	schedulePat = regexp.MustCompile(`^p([1-9][0-9]*)-(op|block)([1-9][0-9]*)$`)
)

// ParseTolerance reads "0", "512B", "2KiB" (1024 bytes), "2kB" (1000 bytes) or
// "3%".
func ParseTolerance(s string) (Tolerance, error) {
	s = strings.TrimSpace(s)
	if m := tolPercent.FindStringSubmatch(s); m != nil {
		p, err := strconv.ParseFloat(m[1], 64)
		if err != nil || p > 100 {
			return Tolerance{}, fmt.Errorf("tolerance %q: a percentage is between 0%% and 100%%", s)
		}
		return Tolerance{Percent: p, IsPercent: true}, nil
	}
	if m := tolBytes.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 1<<30 {
			return Tolerance{}, fmt.Errorf("tolerance %q is too large", s)
		}
		switch m[2] {
		case "KiB":
			n *= 1024
		case "kB":
			n *= 1000
		}
		return Tolerance{Bytes: n}, nil
	}
	return Tolerance{}, fmt.Errorf("tolerance %q: want bytes (\"0\", \"512B\", \"2KiB\") or a percentage (\"3%%\")", s)
}

// parseSchedule turns a schedule name into plan options: layer, auto (the
// lowest executable peak over p in 2..4 and every split), p<P>-op<K> (p×p
// patches over the first K operators, TinyEngine's split_index) or
// p<P>-block<N> (over the first N blocks, MCUNetV2's n).
func parseSchedule(s string) (PlanOptions, error) {
	switch s {
	case "", "layer":
		return PlanOptions{}, nil
	case "auto":
		return PlanOptions{Auto: true}, nil
	}
	m := schedulePat.FindStringSubmatch(s)
	if m == nil {
		return PlanOptions{}, fmt.Errorf("schedule %q: want layer, auto, p<P>-op<K> or p<P>-block<N> (e.g. p4-op13)", s)
	}
	p, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[3])
	if p > 64 || n > 1<<16 {
		return PlanOptions{}, fmt.Errorf("schedule %q is out of range", s)
	}
	if m[2] == "op" {
		return PlanOptions{Patches: p, SplitOp: n}, nil
	}
	return PlanOptions{Patches: p, SplitBlock: n}, nil
}

// checkKeys are the keys of a [[model]] table and their TOML types.
var checkKeys = map[string]string{
	"name": "string", "board": "string", "engine": "string", "schedule": "string", "input_source": "string",
	"max_peak_sram_bytes": "integer", "max_flash_bytes": "integer", "max_latency_ms": "number",
}

// checkTopKeys are the top-level keys of the configuration.
var checkTopKeys = map[string]string{
	"baseline": "string", "tolerance": "string", "latency_tolerance": "string", "fail_on_savings": "boolean", "model": "array of tables",
}

// configError is one problem in the configuration, as file:line: what.
type configError struct {
	file string
	line int
	msg  string
}

func (e *configError) Error() string { return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg) }

// LoadCheckConfig reads and validates a check configuration. Every error
// names the file and line: TOML syntax, unknown keys, wrong types, unknown
// boards, engines, schedules and models, duplicate entries. Boards are looked
// up in the built-in database.
func LoadCheckConfig(path string) (*CheckConfig, error) {
	data, err := models.ReadFile(path, "check configuration", MaxCheckConfigBytes, "mcusim.MaxCheckConfigBytes", nil)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var raw map[string]any
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, &configError{path, max(perr.Position.Line, 1), "TOML syntax error: " + perr.Message}
		}
		return nil, &configError{path, 1, "TOML: " + err.Error()}
	}
	lines := mem.IndexTOML(string(data))
	c := &CheckConfig{Path: path}
	fail := func(line int, format string, a ...any) error {
		return &configError{path, line, fmt.Sprintf(format, a...)}
	}
	// Unknown keys: the metadata lists every key; the top level and each
	// [[model]] table are checked against their key sets below, where the
	// element index (which toml.Key does not carry) gives the line.
	for _, k := range md.Keys() {
		if want, ok := checkTopKeys[k[0]]; !ok {
			return nil, fail(lines.Line(k[0]), "%s: unknown key; keys: %s", k[0], keyList(checkTopKeys))
		} else if len(k) == 1 && !hasType(raw[k[0]], want) {
			return nil, fail(lines.Line(k[0]), "%s: want %s, got %s", k[0], want, mem.TOMLType(raw[k[0]]))
		}
	}
	str := func(key, def string) string {
		if s, ok := raw[key].(string); ok {
			return s
		}
		return def
	}
	if c.Tolerance, err = ParseTolerance(str("tolerance", "0")); err != nil {
		return nil, fail(lines.Line("tolerance"), "%v", err)
	}
	if c.LatencyTolerance, err = ParseTolerance(str("latency_tolerance", "0")); err != nil {
		return nil, fail(lines.Line("latency_tolerance"), "%v", err)
	}
	if s, ok := raw["latency_tolerance"].(string); ok && !c.LatencyTolerance.IsPercent {
		return nil, fail(lines.Line("latency_tolerance"), "latency_tolerance %q: want a percentage (\"1%%\")", s)
	}
	c.FailOnSavings, _ = raw["fail_on_savings"].(bool)
	base := str("baseline", "")
	if base == "" {
		return nil, fail(1, "baseline: required, the JSON file of the figures to compare with (mcusim check --update writes it)")
	}
	c.Baseline = relativeTo(path, base)

	tables, _ := raw["model"].([]map[string]any)
	if len(tables) == 0 {
		return nil, fail(1, "no entries: the file needs at least one [[model]] table with name, board and engine")
	}
	boards, err := DefaultBoards()
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	for i, t := range tables {
		at := func(key string) int { return lines.ElementLine("model", i, key) }
		for _, k := range sortedKeysOf(t) {
			want, ok := checkKeys[k]
			if !ok {
				return nil, fail(at(k), "model[%d].%s: unknown key; keys: %s", i, k, keyList(checkKeys))
			}
			if !hasType(t[k], want) {
				return nil, fail(at(k), "model[%d].%s: want %s, got %s", i, k, want, mem.TOMLType(t[k]))
			}
		}
		for _, k := range []string{"name", "board", "engine"} {
			if _, ok := t[k]; !ok {
				return nil, fail(at(""), "model[%d]: %s is required", i, k)
			}
		}
		e := CheckEntry{Line: at("")}
		e.Model, _ = t["name"].(string)
		e.Board, _ = t["board"].(string)
		e.Schedule, _ = t["schedule"].(string)
		e.InputSource, _ = t["input_source"].(string)
		if e.Schedule == "" {
			e.Schedule = "layer"
		}
		if e.InputSource == "" {
			e.InputSource = InputSRAM
		}
		if _, err := FindBoardIn(boards, e.Board); err != nil {
			return nil, fail(at("board"), "model[%d].board: %v", i, err)
		}
		if e.Engine, err = ParseStyle(t["engine"].(string)); err != nil {
			return nil, fail(at("engine"), "model[%d].engine: %v", i, err)
		}
		if e.plan, err = parseSchedule(e.Schedule); err != nil {
			return nil, fail(at("schedule"), "model[%d].%v", i, err)
		}
		if e.InputSource != InputSRAM && e.InputSource != InputStream {
			return nil, fail(at("input_source"), "model[%d].input_source %q: want %s (the frame in SRAM, counted in the peak) or %s (it streams in)", i, e.InputSource, InputSRAM, InputStream)
		}
		e.plan.InputSource = e.InputSource
		for _, b := range []struct {
			key string
			dst *int
		}{{"max_peak_sram_bytes", &e.MaxPeakSRAM}, {"max_flash_bytes", &e.MaxFlash}} {
			if v, ok := t[b.key].(int64); ok {
				if v <= 0 || v > 1<<40 {
					return nil, fail(at(b.key), "model[%d].%s: want a positive byte count, got %d", i, b.key, v)
				}
				*b.dst = int(v)
			}
		}
		if v, ok := t["max_latency_ms"]; ok {
			e.MaxLatencyMS, _ = asNumber(v)
			if !(e.MaxLatencyMS > 0) || math.IsInf(e.MaxLatencyMS, 0) {
				return nil, fail(at("max_latency_ms"), "model[%d].max_latency_ms: want a positive number of milliseconds", i)
			}
		}
		spec := e.Model
		if ext := strings.ToLower(filepath.Ext(spec)); ext == ".tflite" || ext == ".json" {
			spec = relativeTo(path, spec)
			if _, err := os.Stat(spec); err != nil {
				return nil, fail(at("name"), "model[%d].name: %v", i, err)
			}
		} else if _, err := LoadModel(spec); err != nil {
			return nil, fail(at("name"), "model[%d].name: %v", i, err)
		}
		e.ID = fmt.Sprintf("%s@%s/%s/%s/%s", e.Model, e.Board, e.Engine, e.Schedule, e.InputSource)
		if first, dup := seen[e.ID]; dup {
			return nil, fail(e.Line, "model[%d] repeats the entry of line %d (%s)", i, first, e.ID)
		}
		seen[e.ID] = e.Line
		c.Entries = append(c.Entries, e)
	}
	return c, nil
}

// relativeTo resolves p against the directory of the file config.
func relativeTo(config, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(config), p)
}

func hasType(v any, want string) bool {
	if want == "number" {
		_, ok := asNumber(v)
		return ok
	}
	return mem.TOMLType(v) == want
}

func asNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func keyList(m map[string]string) string { return strings.Join(sortedKeysOf(m), ", ") }

func sortedKeysOf[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Figure names of a check.
const (
	FigurePeakSRAM = "peak_sram_bytes"
	FigureFlash    = "flash_bytes"
	FigureLatency  = "latency_ms"
)

// CheckBaseline is the baseline file: the figures of every entry by ID.
// encoding/json writes map keys sorted, so the file is deterministic.
type CheckBaseline struct {
	Entries map[string]map[string]float64 `json:"entries"`
}

// ReadCheckBaseline reads a baseline; a missing file is an empty baseline
// (every entry then fails as new until --update writes it).
func ReadCheckBaseline(path string) (*CheckBaseline, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &CheckBaseline{Entries: map[string]map[string]float64{}}, nil
	} else if err != nil {
		return nil, err
	}
	var b CheckBaseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("baseline %s: %v", path, err)
	}
	if b.Entries == nil {
		b.Entries = map[string]map[string]float64{}
	}
	return &b, nil
}

// CheckFigure is one figure of one entry against its baseline and budget.
type CheckFigure struct {
	Name   string   `json:"figure"`
	Before *float64 `json:"before,omitempty"` // nil: not in the baseline
	After  *float64 `json:"after,omitempty"`  // nil: not estimated (the model does not fit)
	Delta  *float64 `json:"delta,omitempty"`
	Budget *float64 `json:"budget,omitempty"`
	// Verdict is "ok", or what failed: "over budget", "regression",
	// "saving beyond tolerance", "new (not in the baseline)", "improved"
	// (a saving within the one-sided check, which passes).
	Verdict string `json:"verdict"`
	Failed  bool   `json:"failed"`
}

// CheckResult is one entry's outcome.
type CheckResult struct {
	ID       string        `json:"id"`
	Model    string        `json:"model"`
	Board    string        `json:"board"`
	Engine   Style         `json:"engine"`
	Schedule string        `json:"schedule"`
	Input    string        `json:"input_source"`
	Fit      string        `json:"fit"`
	Figures  []CheckFigure `json:"figures"`
	Failures []string      `json:"failures,omitempty"`
	Line     int           `json:"line"`
}

// Failed reports whether the entry failed.
func (r *CheckResult) Failed() bool { return len(r.Failures) > 0 }

// CheckReport is the outcome of a check.
type CheckReport struct {
	Config        string        `json:"config"`
	Baseline      string        `json:"baseline"`
	Tolerance     string        `json:"tolerance"`
	FailOnSavings bool          `json:"fail_on_savings"`
	Passed        bool          `json:"passed"`
	Failed        int           `json:"failed_entries"`
	Entries       []CheckResult `json:"entries"`
	// Stale lists baseline entries the configuration no longer names.
	Stale []string `json:"stale_baseline_entries,omitempty"`
}

// CurrentBaseline is the baseline the report's figures make: what --update
// writes.
func (r *CheckReport) CurrentBaseline() *CheckBaseline {
	b := &CheckBaseline{Entries: map[string]map[string]float64{}}
	for _, e := range r.Entries {
		m := map[string]float64{}
		for _, f := range e.Figures {
			if f.After != nil {
				m[f.Name] = *f.After
			}
		}
		b.Entries[e.ID] = m
	}
	return b
}

// WriteCheckBaseline writes b as indented JSON with sorted keys and a final
// newline.
func WriteCheckBaseline(path string, b *CheckBaseline) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// Check estimates every entry of c (one estimator session per board, engine
// and schedule, each estimating its models in a batch) and compares the
// figures with the budgets and with base. An entry fails when it does not fit
// its board, exceeds a budget, or a figure moved beyond the tolerance (up; or
// either way with FailOnSavings); an entry missing from base fails as new.
func Check(ctx context.Context, c *CheckConfig, base *CheckBaseline) (*CheckReport, error) {
	graphs := map[string]*Graph{}
	type group struct {
		board *Board
		style Style
		plan  PlanOptions
		idx   []int
	}
	var groups []*group
	byKey := map[string]*group{}
	boards, err := DefaultBoards()
	if err != nil {
		return nil, err
	}
	for i, e := range c.Entries {
		spec := e.Model
		if ext := strings.ToLower(filepath.Ext(spec)); ext == ".tflite" || ext == ".json" {
			spec = relativeTo(c.Path, spec)
		}
		if graphs[spec] == nil {
			g, err := LoadModel(spec)
			if err != nil {
				return nil, &configError{c.Path, e.Line, fmt.Sprintf("model %s: %v", e.Model, err)}
			}
			graphs[spec] = g
		}
		key := e.Board + "/" + e.Engine.String() + "/" + e.Schedule + "/" + e.InputSource
		gr := byKey[key]
		if gr == nil {
			b, err := FindBoardIn(boards, e.Board)
			if err != nil {
				return nil, err
			}
			gr = &group{board: b, style: e.Engine, plan: e.plan}
			byKey[key] = gr
			groups = append(groups, gr)
		}
		gr.idx = append(gr.idx, i)
	}
	reps := make([]*EstimateReport, len(c.Entries))
	for _, gr := range groups {
		est, err := NewEstimator(gr.board, gr.style, EstimatorOptions{Plan: gr.plan, NoLayers: true})
		if err != nil {
			return nil, err
		}
		batch := make([]*Graph, len(gr.idx))
		for j, i := range gr.idx {
			spec := c.Entries[i].Model
			if ext := strings.ToLower(filepath.Ext(spec)); ext == ".tflite" || ext == ".json" {
				spec = relativeTo(c.Path, spec)
			}
			batch[j] = graphs[spec]
		}
		res := est.EstimateBatch(ctx, batch)
		est.Close(ctx)
		for j, r := range res {
			e := c.Entries[gr.idx[j]]
			if r.Err != nil {
				return nil, &configError{c.Path, e.Line, fmt.Sprintf("%s: %v", e.ID, r.Err)}
			}
			reps[gr.idx[j]] = r.Report
		}
	}
	rep := &CheckReport{Config: c.Path, Baseline: c.Baseline, Tolerance: c.Tolerance.String(),
		FailOnSavings: c.FailOnSavings, Passed: true}
	for i, e := range c.Entries {
		res := compareEntry(c, e, reps[i], base.Entries[e.ID])
		if res.Failed() {
			rep.Failed++
			rep.Passed = false
		}
		rep.Entries = append(rep.Entries, res)
	}
	for _, id := range sortedKeysOf(base.Entries) {
		if !slices.ContainsFunc(c.Entries, func(e CheckEntry) bool { return e.ID == id }) {
			rep.Stale = append(rep.Stale, id)
		}
	}
	return rep, nil
}

// roundMS keeps latency to the microsecond: the baseline must not record
// floating-point noise that differs between hosts.
func roundMS(ms float64) float64 { return math.Round(ms*1e3) / 1e3 }

func compareEntry(c *CheckConfig, e CheckEntry, r *EstimateReport, before map[string]float64) CheckResult {
	res := CheckResult{ID: e.ID, Model: e.Model, Board: e.Board, Engine: e.Engine, Schedule: e.Schedule,
		Input: e.InputSource, Fit: r.Fit.Verdict, Line: e.Line}
	if !r.Fits {
		res.Failures = append(res.Failures, fmt.Sprintf("%s does not fit %s: %s", e.Model, e.Board, r.Fit.Verdict))
	}
	if before == nil {
		res.Failures = append(res.Failures, fmt.Sprintf("not in the baseline %s; run mcusim check --update", c.Baseline))
	}
	latency := math.NaN()
	if r.Estimate != nil {
		latency = roundMS(r.LatencyMS)
	}
	figs := []struct {
		name   string
		after  float64
		budget float64
		bytes  bool
	}{
		{FigurePeakSRAM, float64(r.PeakSRAM), float64(e.MaxPeakSRAM), true},
		{FigureFlash, float64(r.Flash), float64(e.MaxFlash), true},
		{FigureLatency, latency, e.MaxLatencyMS, false},
	}
	for _, fg := range figs {
		f := CheckFigure{Name: fg.name, Verdict: "ok"}
		if fg.budget > 0 {
			f.Budget = ptr(fg.budget)
		}
		if b, ok := before[fg.name]; ok {
			f.Before = ptr(b)
		}
		if math.IsNaN(fg.after) {
			f.Verdict = "not estimated (" + r.Fit.Verdict + ")"
			f.Failed = f.Budget != nil
			if f.Failed {
				res.Failures = append(res.Failures, fmt.Sprintf("%s: no latency to hold to the %g ms budget (%s)", fg.name, fg.budget, r.Fit.Verdict))
			}
			res.Figures = append(res.Figures, f)
			continue
		}
		f.After = ptr(fg.after)
		tol := c.Tolerance
		if !fg.bytes && !tol.IsPercent {
			tol = c.LatencyTolerance
		}
		var why []string
		if f.Budget != nil && fg.after > fg.budget {
			why = append(why, "over budget")
			res.Failures = append(res.Failures, fmt.Sprintf("%s %s exceeds the budget %s", fg.name, num(fg.after), num(fg.budget)))
		}
		switch {
		case before == nil:
			why = append(why, "new (not in the baseline)")
		case f.Before == nil:
			why = append(why, "new (not in the baseline)")
			res.Failures = append(res.Failures, fmt.Sprintf("%s is not in the baseline %s; run mcusim check --update", fg.name, c.Baseline))
		default:
			f.Delta = ptr(fg.after - *f.Before)
			within := tol.allows(*f.Before, fg.after, fg.bytes, 0.001)
			switch {
			case within:
			case fg.after > *f.Before:
				why = append(why, "regression")
				res.Failures = append(res.Failures, fmt.Sprintf("%s grew from %s to %s (%s), beyond the tolerance %s", fg.name, num(*f.Before), num(fg.after), Signed(*f.Delta), tol))
			case c.FailOnSavings:
				why = append(why, "saving beyond tolerance")
				res.Failures = append(res.Failures, fmt.Sprintf("%s dropped from %s to %s (%s), beyond the tolerance %s; record it with --update", fg.name, num(*f.Before), num(fg.after), num(*f.Delta), tol))
			default:
				f.Verdict = "improved"
			}
		}
		if len(why) > 0 {
			f.Verdict, f.Failed = strings.Join(why, ", "), true
		}
		res.Figures = append(res.Figures, f)
	}
	return res
}

func ptr(v float64) *float64 { return &v }

// num prints a figure: bytes as integers, milliseconds to the microsecond.
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// Signed prints a change with its sign: "+1", "-512", "+0.125".
func Signed(v float64) string {
	if v >= 0 {
		return "+" + num(v)
	}
	return num(v)
}
