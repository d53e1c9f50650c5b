package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"mcusim"
	"mcusim/internal/datatest"
)

// TestHelpOnceToStderr: every verb's -h prints its usage once, to stderr,
// nothing on stdout, exit 0; mcusim alone prints the verb list to stderr and
// exits 2; mcusim help VERB is VERB -h.
func TestHelpOnceToStderr(t *testing.T) {
	for _, v := range verbs() {
		for _, args := range [][]string{{v.name, "-h"}, {v.name, "--help"}, {"help", v.name}} {
			code, out, errOut := runCLI(args...)
			if code != 0 || out != "" {
				t.Errorf("%v: exit %d, stdout %q", args, code, out)
			}
			if n := strings.Count(errOut, "usage: mcusim "+v.name); n != 1 {
				t.Errorf("%v: usage printed %d times:\n%s", args, n, errOut)
			}
		}
	}
	code, out, errOut := runCLI()
	if code != 2 || out != "" || !strings.Contains(errOut, "estimate") || !strings.Contains(errOut, "usage: mcusim <verb>") {
		t.Errorf("no verb: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut = runCLI("help")
	if code != 0 || out != "" || !strings.Contains(errOut, "memory") {
		t.Errorf("help: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestFlagErrorsOneLine: a flag error is one line on stderr with a hint to
// -h, nothing on stdout, for every verb; flags that a verb does not use are
// refused rather than ignored.
func TestFlagErrorsOneLine(t *testing.T) {
	for _, v := range verbs() {
		code, out, errOut := runCLI(v.name, "--json", "--bogus")
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "mcusim "+v.name+" -h") {
			t.Errorf("%s --bogus: exit %d, stdout %q, stderr %q", v.name, code, out, errOut)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--model", "mcunet-in0", "--board", "stm32f746"}, "-board"},
		{[]string{"run", "--model", "mcunet-in0", "--boards", "x.toml"}, "-boards"},
		{[]string{"fit", "--board-ids", "stm32f746"}, "-board-ids"},
		{[]string{"memory", "--model", "mcunet-in0", "--boards", "x.toml"}, "--board"},
		{[]string{"estimate", "--model", "mcunet-in0"}, "--board is required"},
		{[]string{"fit", "--board", "stm32f999"}, "stm32f999"},
		{[]string{"memory", "--model", "mcunet-in0", "--auto", "--patches", "2"}, "--auto"},
		{[]string{"memory", "--model", "mcunet-in0", "--patches", "2", "--split-op", "-1"}, "split"},
		{[]string{"run", "--model", "mcunet-in0", "--engine", "magic"}, "unknown engine"},
	} {
		code, out, errOut := runCLI(c.args...)
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q (want %q)", c.args, code, out, errOut, c.want)
		}
	}
}

// TestFitBoards: fit takes --board as a comma list, and --boards FILE alone
// means every board of the file.
func TestFitBoards(t *testing.T) {
	code, out, errOut := runCLI("fit", "--models", "mcunet-in0", "--board", "stm32f746,stm32h743", "--json")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct{ Rows []mcusim.FitRow }
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 2 || r.Rows[0].Board != "stm32f746" || r.Rows[1].Board != "stm32h743" {
		t.Errorf("rows %+v", r.Rows)
	}
	all, err := mcusim.DefaultBoards()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "b.toml")
	if err := os.WriteFile(path, mcusim.DefaultBoardsTOML(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI("fit", "--models", "mcunet-in0", "--boards", path, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != len(all) {
		t.Errorf("--boards FILE: %d rows, the file has %d boards", len(r.Rows), len(all))
	}
}

// TestTables: long TFLite names are cut in the tables and whole in JSON; the
// peak layer is marked; "-" stands for no block; the TFLM figure says what it
// leaves out; estimate prints the arena's real banks; run labels its speed
// as the simulator's host time.
func TestTables(t *testing.T) {
	p := datatest.Require(t, "stm32ai-modelzoo", "zoo-2d9c459", "mobilenet_v2_0.35_128_flowers_int8.tflite")
	_, out, _ := runCLI("memory", "--model", p)
	long := 0
	for _, line := range strings.Split(out, "\n") {
		long = max(long, len([]rune(line)))
	}
	if long > 160 || !strings.Contains(out, "…") {
		t.Errorf("memory table has a %d-character line; names must be cut with …", long)
	}
	if strings.Count(out, "<- peak") == 0 || strings.Contains(out, " -1 ") {
		t.Errorf("memory table lacks the peak mark or prints -1 for no block:\n%s", out)
	}
	_, js, _ := runCLI("memory", "--model", p, "--json")
	var m struct {
		Layers []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	full := 0
	for _, l := range m.Layers {
		full = max(full, len(l.Name))
	}
	if full <= maxName {
		t.Errorf("JSON names are at most %d characters; the full names are longer", full)
	}
	_, out, _ = runCLI("memory", "--model", "mcunet-in0", "--planner", "tflm")
	if !strings.Contains(out, "activation arena only") || !strings.Contains(out, "not counted") {
		t.Errorf("tflm figure without its caveat:\n%s", out)
	}
	_, out, _ = runCLI("estimate", "--model", "mcunet-in3", "--board", "stm32f746")
	if !strings.Contains(out, "arena in DTCM 64.0 KiB + SRAM1") {
		t.Errorf("the 260 KiB arena of mcunet-in3 spans DTCM and SRAM1 on the F746:\n%s", out)
	}
	_, out, _ = runCLI("estimate", "--model", "mcunet-vww1", "--board", "stm32f746", "--auto", "--objective", "peak")
	if !strings.Contains(out, "(* = patch stage") || !strings.Contains(out, "  0*") {
		t.Errorf("estimate does not mark the patch stage:\n%s", out)
	}
	_, out, _ = runCLI("run", "--model", "mcunet-in0")
	if !strings.Contains(out, "host wall time") {
		t.Errorf("run's speed is not labelled as host time:\n%s", out)
	}
}

// TestProgress: silent for the first second and when off; then a line per
// second and a last one.
func TestProgress(t *testing.T) {
	var b strings.Builder
	p := newProgress(&b, "fit", "models", true)
	p.report(1, 3)
	if b.Len() != 0 {
		t.Errorf("progress within the first second: %q", b.String())
	}
	p.start, p.last = p.start.Add(-2*time.Second), p.last.Add(-2*time.Second)
	p.report(2, 3)
	p.report(3, 3)
	if got := b.String(); strings.Count(got, "\n") != 2 || !strings.Contains(got, "3/3 models") {
		t.Errorf("progress lines %q", got)
	}
	b.Reset()
	off := newProgress(&b, "fit", "models", false)
	off.start, off.last = off.start.Add(-2*time.Second), off.last.Add(-2*time.Second)
	off.report(1, 2)
	off.report(2, 2)
	if b.Len() != 0 {
		t.Errorf("progress when off: %q", b.String())
	}
	// fit --json writes nothing on stderr.
	if code, _, errOut := runCLI("fit", "--models", "mcunet-in0", "--json"); code != 0 || errOut != "" {
		t.Errorf("fit --json: exit %d, stderr %q", code, errOut)
	}
}

// TestExplain (issue 10 item 4): memory --explain names the peak step, the
// buffers live there, what the patch stage saves and costs, and says when
// the layer-based part's peak makes patching lose.
func TestExplain(t *testing.T) {
	code, out, errs := runCLI("memory", "--model", "mcunet-in3", "--auto", "--explain")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"  peak      step ", "  live      buffer ", "  saves     ", "  costs     patch stage ", "recomputed", "  loses     the peak is in the layer-based part"} {
		if !strings.Contains(out, want) {
			t.Errorf("--explain lacks %q:\n%s", want, out)
		}
	}
}

// TestAutoAgrees (issue 10): memory --auto and estimate --auto on a board
// keep the same schedule and peak under each input convention, and fit's
// patch column is memory --auto without a board.
func TestAutoAgrees(t *testing.T) {
	type rep struct {
		Schedule string `json:"schedule"`
		Peak     int    `json:"peak_sram_bytes"`
		Input    string `json:"input_source"`
		Patch    *struct {
			Patches int `json:"patches"`
			SplitOp int `json:"split_op"`
		} `json:"patch"`
	}
	get := func(args ...string) rep {
		code, out, errs := runCLI(append(args, "--json")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		var r rep
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, m := range []string{"mcunet-in3", "mcunet-vww1", "mbv2-w0.35-r144"} {
		for _, b := range []string{"stm32f412", "stm32f746"} {
			for _, src := range []string{"sram", "stream"} {
				mem := get("memory", "--model", m, "--auto", "--board", b, "--input-source", src)
				est := get("estimate", "--model", m, "--auto", "--board", b, "--input-source", src)
				if !reflect.DeepEqual(mem, est) || mem.Input != src {
					t.Errorf("%s on %s, %s: memory %+v, estimate %+v", m, b, src, mem, est)
				}
			}
		}
	}
}
