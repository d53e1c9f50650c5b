package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The committed configuration the project dogfoods (.ci/run).
const committedConfig = "../../mcusim.toml"

// checkDir copies the committed configuration and baseline to a temporary
// directory and applies edit to the baseline's entries; it returns the copy of
// the configuration.
func checkDir(t *testing.T, config string, edit func(entries map[string]map[string]float64)) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "mcusim.toml")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../mcusim-baseline.json")
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Entries map[string]map[string]float64 `json:"entries"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(b.Entries)
	}
	data, _ = json.MarshalIndent(b, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "mcusim-baseline.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func committed(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(committedConfig)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

const vww1 = "mcunet-vww1@stm32f746/tinyengine/layer/sram"

// TestCheckCommittedBaseline: the project's own configuration passes against
// its committed baseline, and every entry is in it.
func TestCheckCommittedBaseline(t *testing.T) {
	code, out, errOut := runCLI("check", "--config", committedConfig)
	if code != 0 || errOut != "" || !strings.Contains(out, "PASS: 16 entries") || strings.Contains(out, "FAIL") {
		t.Fatalf("exit %d, stderr %q:\n%s", code, errOut, out)
	}
}

// TestCheckSeededRegression: a peak one byte above the baseline (the baseline
// lowered by one byte) fails with exit 1 and a +1 delta; a tolerance of one
// byte lets it pass; a saving of one byte fails only with fail_on_savings.
func TestCheckSeededRegression(t *testing.T) {
	down := func(e map[string]map[string]float64) { e[vww1]["peak_sram_bytes"]-- }
	up := func(e map[string]map[string]float64) { e[vww1]["peak_sram_bytes"]++ }
	cfg := checkDir(t, committed(t), down)
	code, out, errOut := runCLI("check", "--config", cfg)
	if code != 1 || errOut != "mcusim check: 1 of 16 entries failed\n" {
		t.Fatalf("regression: exit %d, stderr %q:\n%s", code, errOut, out)
	}
	row := lineWith(out, vww1+" ", "peak_sram_bytes")
	if f := strings.Fields(row); len(f) != 7 || f[3] != strconv.Itoa(mustAtoi(t, f[2])+1) || f[4] != "+1" || f[6] != "regression" {
		t.Errorf("diff row %q: want before, after = before+1, delta +1, verdict regression", row)
	}
	if !strings.Contains(out, "FAIL "+vww1+": peak_sram_bytes grew") {
		t.Errorf("no failure line for %s:\n%s", vww1, out)
	}

	tolerant := strings.Replace(committed(t), `tolerance = "0"`, `tolerance = "1B"`, 1)
	if code, out, _ := runCLI("check", "--config", checkDir(t, tolerant, down)); code != 0 {
		t.Errorf("a 1-byte move within a 1B tolerance failed:\n%s", out)
	}
	pct := strings.Replace(committed(t), `tolerance = "0"`, `tolerance = "0.01%"`, 1)
	if code, out, _ := runCLI("check", "--config", checkDir(t, pct, down)); code != 0 {
		t.Errorf("a 1-byte move of ~94 kB within 0.01%% failed:\n%s", out)
	}

	if code, out, _ := runCLI("check", "--config", checkDir(t, committed(t), up)); code != 1 || !strings.Contains(lineWith(out, vww1+" ", "peak_sram_bytes"), "saving beyond tolerance") {
		t.Errorf("a saving with fail_on_savings: exit %d:\n%s", code, out)
	}
	oneSided := strings.Replace(committed(t), "fail_on_savings = true", "fail_on_savings = false", 1)
	code, out, _ = runCLI("check", "--config", checkDir(t, oneSided, up))
	if code != 0 || !strings.Contains(lineWith(out, vww1+" ", "peak_sram_bytes"), "improved") {
		t.Errorf("a saving without fail_on_savings: exit %d:\n%s", code, out)
	}
}

// TestCheckBudget: a budget one byte below the figure fails with exit 1, and
// so does a latency budget below the estimate.
func TestCheckBudget(t *testing.T) {
	_, out, _ := runCLI("check", "--config", committedConfig)
	peak := mustAtoi(t, strings.Fields(lineWith(out, vww1+" ", "peak_sram_bytes"))[3])
	config := `baseline = "mcusim-baseline.json"
[[model]]
name = "mcunet-vww1"
board = "stm32f746"
engine = "tinyengine"
max_peak_sram_bytes = ` + strconv.Itoa(peak-1) + `
max_latency_ms = 1.5
`
	code, out, _ := runCLI("check", "--config", checkDir(t, config, nil))
	if code != 1 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if row := lineWith(out, vww1+" ", "peak_sram_bytes"); !strings.HasSuffix(row, "over budget") || !strings.Contains(row, strconv.Itoa(peak-1)) {
		t.Errorf("peak row %q", row)
	}
	if row := lineWith(out, vww1+" ", "latency_ms"); !strings.HasSuffix(row, "over budget") {
		t.Errorf("latency row %q", row)
	}
	if !strings.Contains(out, "exceeds the budget "+strconv.Itoa(peak-1)) {
		t.Errorf("no budget failure line:\n%s", out)
	}
	// Budget exactly at the figure passes.
	config = strings.Replace(config, strconv.Itoa(peak-1), strconv.Itoa(peak), 1)
	config = strings.Replace(config, "max_latency_ms = 1.5\n", "", 1)
	if code, out, _ := runCLI("check", "--config", checkDir(t, config, nil)); code != 0 {
		t.Errorf("budget = figure failed:\n%s", out)
	}
}

// TestCheckJUnitMarkdown: the JUnit file parses, has one testcase per entry
// with the figures as properties matching the table, and the failing entry
// carries a failure; the Markdown summary lists the failing figure.
func TestCheckJUnitMarkdown(t *testing.T) {
	cfg := checkDir(t, committed(t), func(e map[string]map[string]float64) { e[vww1]["peak_sram_bytes"]-- })
	dir := filepath.Dir(cfg)
	junit, md := filepath.Join(dir, "check.xml"), filepath.Join(dir, "check.md")
	code, out, _ := runCLI("check", "--config", cfg, "--junit", junit, "--markdown", md)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suite    []struct {
			Cases []struct {
				Name  string `xml:"name,attr"`
				Props []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value,attr"`
				} `xml:"properties>property"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, data)
	}
	if doc.Tests != 16 || doc.Failures != 1 || len(doc.Suite) != 1 || len(doc.Suite[0].Cases) != 16 {
		t.Fatalf("tests %d, failures %d, suites %d", doc.Tests, doc.Failures, len(doc.Suite))
	}
	failed := 0
	for _, c := range doc.Suite[0].Cases {
		props := map[string]string{}
		for _, p := range c.Props {
			props[p.Name] = p.Value
		}
		for _, fig := range []string{"peak_sram_bytes", "flash_bytes", "latency_ms"} {
			f := strings.Fields(lineWith(out, c.Name+" ", fig))
			if props[fig] != f[3] || props[fig+".baseline"] != f[2] || props[fig+".verdict"] == "" {
				t.Errorf("%s %s: properties %q / %q, table %v", c.Name, fig, props[fig], props[fig+".baseline"], f)
			}
		}
		if props["board"] == "" || props["engine"] == "" || props["model"] == "" {
			t.Errorf("%s: properties %v", c.Name, props)
		}
		if c.Failure != nil {
			failed++
			if c.Name != vww1 || !strings.Contains(c.Failure.Message, "peak_sram_bytes grew") {
				t.Errorf("failure on %s: %q", c.Name, c.Failure.Message)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d failed testcases, want 1", failed)
	}
	mdText, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mdText), "1 of 16 entries failed") || !strings.Contains(string(mdText), "| "+vww1+" | peak_sram_bytes |") {
		t.Errorf("markdown:\n%s", mdText)
	}
}

// TestCheckUpdate: --update writes a baseline that then passes, and a second
// --update writes the same bytes (deterministic, sorted).
func TestCheckUpdate(t *testing.T) {
	cfg := checkDir(t, committed(t), func(e map[string]map[string]float64) {
		delete(e, vww1)
		e["gone@stm32f746/tinyengine/layer/sram"] = map[string]float64{"peak_sram_bytes": 1}
	})
	base := filepath.Join(filepath.Dir(cfg), "mcusim-baseline.json")
	if code, out, _ := runCLI("check", "--config", cfg); code != 1 || !strings.Contains(out, "FAIL "+vww1+": not in the baseline") || !strings.Contains(out, "gone@") {
		t.Fatalf("missing entry: exit %d:\n%s", code, out)
	}
	code, _, errOut := runCLI("check", "--config", cfg, "--update")
	if code != 0 || !strings.Contains(errOut, "wrote") {
		t.Fatalf("--update: exit %d, %s", code, errOut)
	}
	first, _ := os.ReadFile(base)
	want, _ := os.ReadFile("../../mcusim-baseline.json")
	if !bytes.Equal(first, want) {
		t.Errorf("--update does not reproduce the committed baseline:\n%s", first)
	}
	if code, out, _ := runCLI("check", "--config", cfg); code != 0 {
		t.Errorf("after --update: exit %d:\n%s", code, out)
	}
	runCLI("check", "--config", cfg, "--update")
	if second, _ := os.ReadFile(base); !bytes.Equal(first, second) {
		t.Error("a second --update changed the baseline")
	}
}

// TestCheckJSON: --json prints exactly one object, with the verdict.
func TestCheckJSON(t *testing.T) {
	code, out, _ := runCLI("check", "--config", committedConfig, "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var r struct {
		Passed  bool
		Entries []struct {
			ID      string
			Figures []struct{ Figure, Verdict string }
		}
	}
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Errorf("more than one JSON value: %v", err)
	}
	if !r.Passed || len(r.Entries) != 16 || len(r.Entries[0].Figures) != 3 {
		t.Errorf("report %+v", r)
	}
}

// TestCheckBrokenConfig: a broken configuration exits 2 with one line that
// names the file and the line of the problem.
func TestCheckBrokenConfig(t *testing.T) {
	entry := "[[model]]\nname = \"mcunet-in0\"\nboard = \"stm32f746\"\nengine = \"tinyengine\"\n"
	head := "baseline = \"b.json\"\n"
	for _, c := range []struct {
		name, config string
		line         int
		want         string
	}{
		{"syntax", head + entry + "max_flash_bytes = = 3\n", 6, "syntax"},
		{"unknown key in 2nd entry", head + entry + "\n" + entry + "max_sram = 5\n", 11, "model[1].max_sram: unknown key"},
		{"unknown top key", "tolerence = \"3%\"\n" + head + entry, 1, "tolerence: unknown key"},
		{"wrong type", head + entry + "\n" + entry + "max_peak_sram_bytes = \"256kB\"\n", 11, "want integer, got string"},
		{"unknown board", head + entry + "\n" + strings.Replace(entry, "stm32f746", "stm32f999", 1), 9, "stm32f999"},
		{"unknown model", head + strings.Replace(entry, "mcunet-in0", "mcunet-in9", 1), 3, "mcunet-in9"},
		{"unknown engine", head + strings.Replace(entry, "tinyengine", "magic", 1), 5, "engine"},
		{"bad schedule", head + entry + "schedule = \"patchy\"\n", 6, "p<P>-op<K>"},
		{"bad tolerance", head + "tolerance = \"lots\"\n" + entry, 2, "tolerance"},
		{"input source", head + entry + "input_source = \"river\"\n", 6, "input_source"},
		{"missing engine", head + "[[model]]\nname = \"mcunet-in0\"\nboard = \"stm32f746\"\n", 2, "engine is required"},
		{"duplicate", head + entry + entry, 6, "repeats the entry of line 2"},
		{"no baseline", entry, 1, "baseline: required"},
		{"unexecutable schedule", head + strings.Replace(entry, "mcunet-in0", "mbv2-w0.35-r144", 1) + "schedule = \"p4-op13\"\n", 2, "cannot be executed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "mcusim.toml")
			if err := os.WriteFile(cfg, []byte(c.config), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runCLI("check", "--config", cfg)
			want := cfg + ":" + strconv.Itoa(c.line) + ": "
			if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, want) || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %q and %q", code, out, errOut, want, c.want)
			}
		})
	}
}

func lineWith(out, prefix, field string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, " "+field+" ") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

// TestClaims: claims prints one JSON object with a row per claim of the
// table, and --md a Markdown row for each.
func TestClaims(t *testing.T) {
	code, out, errOut := runCLI("claims", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		Claims []struct{ ID, Verdict string }
	}
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&r); err != nil || len(r.Claims) == 0 {
		t.Fatalf("%v: %s", err, out)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Errorf("more than one JSON value")
	}
	_, md, _ := runCLI("claims", "--md")
	if n := strings.Count(md, "\n| "); n != len(r.Claims) {
		t.Errorf("--md has %d rows, JSON %d:\n%s", n, len(r.Claims), md)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), md) {
		t.Errorf("README.md does not hold the table of mcusim claims --md; paste it:\n%s", md)
	}
	if code, _, errOut := runCLI("claims", "--json", "--md"); code != 2 || !strings.Contains(errOut, "exclude") {
		t.Errorf("--json --md: exit %d, %q", code, errOut)
	}
}
