package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mcusim/internal/datatest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// TestGolden compares CLI output with golden files (go test -update rewrites them).
func TestGolden(t *testing.T) {
	cases := []struct {
		file string
		args []string
	}{
		{"models.golden", []string{"models"}},
		{"boards.golden", []string{"boards"}},
		{"memory_vww1.golden", []string{"memory", "--model", "mcunet-vww1", "--board", "stm32f412"}},
		{"memory_mbv2_patch.golden", []string{"memory", "--model", "mbv2-w1.0-r224", "--planner", "analytic", "--patches", "4", "--split-block", "5", "--input-source", "stream"}},
		{"memory_in3_auto.golden", []string{"memory", "--model", "mcunet-in3", "--auto", "--board", "stm32f746"}},
		{"fit.golden", []string{"fit"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			code, out, errOut := runCLI(c.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			path := filepath.Join("testdata", c.file)
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/mcusim -update)", err)
			}
			if out != string(want) {
				t.Errorf("output differs from %s (go test ./cmd/mcusim -update to accept):\n%s", path, out)
			}
		})
	}
}

// TestMemoryJSON checks the documented keys of `mcusim memory --json`.
func TestMemoryJSON(t *testing.T) {
	code, out, errOut := runCLI("memory", "--model", "mcunet-vww1", "--patches", "2", "--split-op", "5", "--board", "stm32f746", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	for _, k := range []string{"model", "planner", "schedule", "peak_sram_bytes", "arena_bytes", "scratch_bytes",
		"flash_bytes", "macs", "params", "patch", "fits", "layers"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if m["schedule"] != "patch" || m["fits"] != true {
		t.Errorf("schedule %v fits %v, want patch and true", m["schedule"], m["fits"])
	}
	patch := m["patch"].(map[string]any)
	for _, k := range []string{"patches", "split_op", "split_block", "patch_input_hw", "macs_overhead_patch_stage", "macs_overhead_total"} {
		if _, ok := patch[k]; !ok {
			t.Errorf("patch lacks %q", k)
		}
	}
	layers := m["layers"].([]any)
	l0 := layers[0].(map[string]any)
	for _, k := range []string{"name", "op", "in_shape", "out_shape", "macs", "live_bytes"} {
		if _, ok := l0[k]; !ok {
			t.Errorf("layer lacks %q", k)
		}
	}
	// --auto carries its candidate table.
	code, out, errOut = runCLI("memory", "--model", "mcunet-in1", "--planner", "analytic", "--auto", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var a struct {
		Candidates []map[string]any `json:"candidates"`
		Peak       int              `json:"peak_sram_bytes"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if len(a.Candidates) < 4 {
		t.Fatalf("auto returned %d candidates", len(a.Candidates))
	}
	for _, c := range a.Candidates {
		if c["error"] == nil && int(c["peak_sram_bytes"].(float64)) < a.Peak {
			t.Errorf("candidate %v beats the chosen peak %d", c, a.Peak)
		}
	}
}

// TestBadInput: every bad input exits 2 with exactly one line on stderr.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badJSON := write("bad.json", `{"first_conv": {"in_channels": 3,`)
	badTFLite := write("bad.tflite", "TFL3 this is not a flatbuffer")
	badTOML := write("bad.toml", "[boards.x]\ncore = \n")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no verb", []string{"frobnicate"}, "unknown verb"},
		{"unknown model", []string{"memory", "--model", "mcunet-in9"}, "mcunet-in9"},
		{"missing model", []string{"memory"}, "--model is required"},
		{"unknown planner", []string{"memory", "--model", "mcunet-in0", "--planner", "magic"}, "unknown planner"},
		{"unknown board", []string{"memory", "--model", "mcunet-in0", "--board", "stm32f999"}, "stm32f999"},
		{"malformed json", []string{"memory", "--model", badJSON}, "bad.json"},
		{"malformed tflite", []string{"memory", "--model", badTFLite}, "bad.tflite"},
		{"malformed boards", []string{"boards", "--boards", badTOML}, "bad.toml:2"},
		{"split past the end", []string{"memory", "--model", "mcunet-in0", "--patches", "2", "--split-op", "999"}, "out of range"},
		{"block past the end", []string{"memory", "--model", "mcunet-in0", "--patches", "2", "--split-block", "99"}, "out of range"},
		{"p below 1", []string{"memory", "--model", "mcunet-in0", "--patches", "-1", "--split-op", "3"}, "--patches"},
		{"split without patches", []string{"memory", "--model", "mcunet-in0", "--split-op", "3"}, "--patches"},
		{"patches without split", []string{"memory", "--model", "mcunet-in0", "--patches", "2"}, "--split-op"},
		{"both splits", []string{"memory", "--model", "mcunet-in0", "--patches", "2", "--split-op", "3", "--split-block", "2"}, "either"},
		{"bad flag", []string{"memory", "--model", "mcunet-in0", "--nope"}, "nope"},
		{"bad zoo width", []string{"memory", "--model", "mbv2-w0-r224"}, "mbv2-w0-r224"},
		{"act with patches", []string{"memory", "--model", "mcunet-in0", "--planner", "act", "--patches", "2", "--split-op", "3"}, "layer-based only"},
		{"missing file", []string{"memory", "--model", filepath.Join(dir, "nope.tflite")}, "nope.tflite"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(c.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stdout %q)", code, out)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.HasSuffix(errOut, "\n") {
				t.Errorf("stderr is not one line: %q", errOut)
			}
			if !strings.Contains(errOut, c.want) {
				t.Errorf("stderr %q does not mention %q", errOut, c.want)
			}
		})
	}
}

// TestSharedModelsByPath runs the memory verb on a .tflite and a JSON from the
// shared data folder.
func TestSharedModelsByPath(t *testing.T) {
	for _, rel := range [][]string{
		{"mcunet", "tinyengine-vww_mcunet-vww1_80x80.tflite"},
		{"mcunet", "mcunet-320kb-1mb_imagenet.json"},
	} {
		p := datatest.Require(t, rel...)
		code, _, errOut := runCLI("memory", "--model", p, "--auto", "--json")
		if code != 0 {
			t.Errorf("%s: exit %d: %s", p, code, errOut)
		}
	}
	// Unsupported operators fail with one line naming the operator and its index.
	p := datatest.Require(t, "tflite-micro", "keyword_scrambled.tflite")
	code, _, errOut := runCLI("memory", "--model", p)
	if code != 2 || !strings.Contains(errOut, "operator 1 (SVDF)") {
		t.Errorf("keyword_scrambled: exit %d, stderr %q", code, errOut)
	}
}

// TestRunJSON checks the documented keys of `mcusim run --json` and that a zoo
// model runs bit-exact in every kernel style, layer- and patch-based.
func TestRunJSON(t *testing.T) {
	for _, args := range [][]string{
		{"--engine", "tinyengine", "--verify"},
		{"--engine", "cmsis-nn"},
		{"--engine", "tflm-ref", "--patches", "2", "--split-op", "5"},
	} {
		all := append([]string{"run", "--model", "mcunet-vww1", "--json"}, args...)
		code, out, errOut := runCLI(all...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("not one JSON object: %v", err)
		}
		for _, k := range []string{"model", "engine", "schedule", "peak_sram_bytes", "bit_exact", "clobbers",
			"blocks_executed", "bytes", "output", "argmax", "wall_ms", "mmac_per_s"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%v: JSON lacks %q", args, k)
			}
		}
		if m["bit_exact"] != true || len(m["output"].([]any)) != 2 {
			t.Errorf("%v: bit_exact %v output %v", args, m["bit_exact"], m["output"])
		}
	}
	// --input takes raw bytes and --dump-wasm writes the module.
	dir := t.TempDir()
	in := filepath.Join(dir, "in.bin")
	if err := os.WriteFile(in, make([]byte, 80*80*3), 0o644); err != nil {
		t.Fatal(err)
	}
	wasmPath := filepath.Join(dir, "m.wasm")
	code, _, errOut := runCLI("run", "--model", "mcunet-vww1", "--input", in, "--dump-wasm", wasmPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if b, err := os.ReadFile(wasmPath); err != nil || len(b) < 8 || string(b[:4]) != "\x00asm" {
		t.Errorf("--dump-wasm wrote %d bytes (%v)", len(b), err)
	}
	// Bad input: wrong size, unknown engine, a planner that places nothing.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--model", "mcunet-vww1", "--input", wasmPath}, "--input has"},
		{[]string{"run", "--model", "mcunet-vww1", "--engine", "magic"}, "unknown engine"},
		{[]string{"run", "--model", "mcunet-vww1", "--planner", "analytic"}, "cannot be executed"},
	} {
		code, _, errOut := runCLI(c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errOut)
		}
	}
}

// TestEstimateValidateJSON checks the documented keys of estimate, validate and
// calibrate.
func TestEstimateValidateJSON(t *testing.T) {
	code, out, errOut := runCLI("estimate", "--model", "mcunet-vww1", "--board", "stm32f746", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"model", "board", "engine", "schedule", "cycles", "latency_ms", "energy_mj",
		"peak_sram_bytes", "flash_bytes", "fits", "layers"} {
		if _, ok := m[k]; !ok {
			t.Errorf("estimate JSON lacks %q", k)
		}
	}
	l0 := m["layers"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "op", "macs", "cycles", "ms"} {
		if _, ok := l0[k]; !ok {
			t.Errorf("estimate layer lacks %q", k)
		}
	}
	// --exec prints exactly the closed form's cycles.
	_, out2, _ := runCLI("estimate", "--model", "mcunet-vww1", "--board", "stm32f746", "--json", "--exec")
	var m2 map[string]any
	if err := json.Unmarshal([]byte(out2), &m2); err != nil {
		t.Fatal(err)
	}
	if m2["cycles"] != m["cycles"] {
		t.Errorf("--exec cycles %v, closed form %v", m2["cycles"], m["cycles"])
	}
	// Energy at another clock uses the power at that clock; a board without a
	// power figure says why.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"estimate", "--model", "mcunet-vww1", "--board", "stm32f746", "--clock", "108"}, "at 160.4 mW"},
		{[]string{"estimate", "--model", "mcunet-vww1", "--board", "ra6m4"}, "energy    unknown (ra6m4: no run-mode supply current recorded"},
	} {
		if code, out, errOut := runCLI(c.args...); code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, want %q in\n%s%s", c.args, code, c.want, out, errOut)
		}
	}
	// OOM is a report, not an error.
	code, out, _ = runCLI("estimate", "--model", "mcunet-in4", "--board", "stm32f412")
	if code != 0 || !strings.Contains(out, "OOM") {
		t.Errorf("in4 on f412: exit %d\n%s", code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"estimate", "--model", "mcunet-vww1"}, "--board is required"},
		{[]string{"estimate", "--model", "mcunet-vww1", "--board", "nope"}, "nope"},
		{[]string{"estimate", "--model", "mcunet-vww1", "--board", "stm32f746", "--engine", "magic"}, "unknown engine"},
		{[]string{"estimate", "--model", "mcunet-vww1", "--board", "stm32f746", "--clock", "999"}, "--clock"},
		{[]string{"validate", "--data", "/nonexistent"}, "/nonexistent"},
	} {
		code, _, errOut := runCLI(c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errOut)
		}
	}
	dir := filepath.Dir(filepath.Dir(datatest.Require(t, "mcunet", "reported_results.csv")))
	code, out, errOut = runCLI("validate", "--data", dir, "--json")
	if code != 0 {
		t.Fatalf("validate: exit %d: %s", code, errOut)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	// "mape" (one in-sample MAPE per board and engine) became "groups": every
	// scheme's MAPE, bias and ±10/±20% shares per (core, style).
	for _, k := range []string{"rows", "skipped", "groups", "bias_by_board_and_engine", "speedup_ratios", "calibration"} {
		if _, ok := v[k]; !ok {
			t.Errorf("validate JSON lacks %q", k)
		}
	}
	rows, _ := v["rows"].([]any)
	if len(rows) == 0 {
		t.Fatal("validate JSON has no rows")
	}
	for _, r := range rows {
		row := r.(map[string]any)
		for _, k := range []string{"board", "engine", "model", "measured_ms", "estimated_ms", "fitted", "held_out", "predictions"} {
			if _, ok := row[k]; !ok {
				t.Errorf("validate row lacks %q: %v", k, row)
			}
		}
		if preds, _ := row["predictions"].([]any); len(preds) != 5 {
			t.Errorf("validate row has %d predictions, want 5 schemes", len(preds))
		}
	}
}
