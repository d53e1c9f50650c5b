package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mcusim"
)

// TestMain points the compilation cache of every test at a temporary folder:
// tests must not write to the user's cache directory.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mcusim-cache-test")
	if err != nil {
		panic(err)
	}
	os.Setenv(mcusim.CacheEnv, dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestRunCompilationCache: run fills the cache folder of its build, a second
// run reads it and prints the same result; --no-cache and MCUSIM_CACHE=off
// write nothing; contradicting flags are one line, exit 2.
func TestRunCompilationCache(t *testing.T) {
	dir := t.TempDir()
	var outs [2]map[string]any
	for i := range outs {
		code, out, errOut := runCLI("run", "--model", "mcunet-in0", "--cache-dir", dir, "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if err := json.Unmarshal([]byte(out), &outs[i]); err != nil {
			t.Fatal(err)
		}
	}
	var files int
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return nil
	})
	if files == 0 {
		t.Errorf("no compiled module in %s", dir)
	}
	for _, k := range []string{"output", "blocks_executed", "bit_exact"} {
		if a, b := outs[0][k], outs[1][k]; !equalJSON(a, b) {
			t.Errorf("%s: cold %v, warm %v", k, a, b)
		}
	}
	empty := t.TempDir()
	t.Setenv(mcusim.CacheEnv, empty)
	if code, _, errOut := runCLI("run", "--model", "mcunet-in0", "--no-cache"); code != 0 {
		t.Fatalf("--no-cache: exit %d: %s", code, errOut)
	}
	t.Setenv(mcusim.CacheEnv, "off")
	if code, _, errOut := runCLI("run", "--model", "mcunet-in0"); code != 0 {
		t.Fatalf("%s=off: exit %d: %s", mcusim.CacheEnv, code, errOut)
	}
	if ents, _ := os.ReadDir(empty); len(ents) != 0 {
		t.Errorf("--no-cache wrote %d entries to %s", len(ents), empty)
	}
	code, out, errOut := runCLI("run", "--model", "mcunet-in0", "--no-cache", "--cache-dir", dir)
	if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "--no-cache") {
		t.Errorf("--no-cache with --cache-dir: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A cache directory the user named must be usable.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI("run", "--model", "mcunet-in0", "--cache-dir", file)
	if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "compilation cache") {
		t.Errorf("--cache-dir FILE: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
