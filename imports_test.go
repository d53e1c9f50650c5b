package mcusim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The layers of DESIGN.md "Packages": imports flow one way, cmd → mcusim →
// {nas, sim} → engine → models, isa, mem. A package may import a package of a
// lower layer; inside one layer only the edges of sameLayer. The most specific
// pattern wins ("mcusim/x/..." covers x and everything below it).
var layers = []struct {
	pattern string
	rank    int
	name    string
}{
	{"mcusim/models/...", 0, "models, isa, mem"},
	{"mcusim/isa/...", 0, "models, isa, mem"},
	{"mcusim/mem/...", 0, "models, isa, mem"},
	{"mcusim/internal/...", 1, "internal test helpers"},
	{"mcusim/engine/...", 2, "engine"},
	{"mcusim/sim/...", 3, "sim and nas"},
	{"mcusim/nas/...", 3, "sim and nas"},
	{"mcusim", 4, "the facade mcusim"},
	{"mcusim/bench/...", 5, "bench figure packages"},
	{"mcusim/cmd/...", 6, "cmd"},
}

// sameLayer lists the imports allowed inside one layer: each package's
// position in its concern. A new one is a design decision; add it here on
// purpose.
var sameLayer = map[string][]string{
	// models: the loaders build the graph IR.
	"mcusim/models/zoo":        {"mcusim/models"},
	"mcusim/models/tflite":     {"mcusim/models"},
	"mcusim/models/mcunetjson": {"mcusim/models"},
	"mcusim/models/space":      {"mcusim/models"},
	// internal: the corpus locates its files through datatest.
	"mcusim/internal/corpus": {"mcusim/internal/datatest"},
	// engine (engine/doc.go): plan and ref rest on models; kernels on plan;
	// codegen and count on kernels and plan; codegen also on ref (the
	// quantized arithmetic it reproduces) and on its encoder.
	"mcusim/engine/kernels": {"mcusim/engine/plan"},
	"mcusim/engine/codegen": {"mcusim/engine/codegen/wasm", "mcusim/engine/kernels", "mcusim/engine/plan", "mcusim/engine/ref"},
	"mcusim/engine/count":   {"mcusim/engine/kernels", "mcusim/engine/plan"},
	// sim: pricing takes executed counts from the runner; calib prices with sim.
	"mcusim/sim":       {"mcusim/sim/wasmrun"},
	"mcusim/sim/calib": {"mcusim/sim"},
}

// goPackage is the part of `go list -json` the rules read. Imports are those
// of the non-test files.
type goPackage struct {
	ImportPath string
	Imports    []string
}

// listPackages runs `go list -json ./...` in the module root.
func listPackages(t *testing.T) map[string]*goPackage {
	t.Helper()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		if gobin, err = exec.LookPath("go"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("the go command is not available to list the packages")
			}
			t.Skip("the go command is not available to list the packages")
		}
	}
	cmd := exec.Command(gobin, "list", "-json", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]*goPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs[p.ImportPath] = &p
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func project(path string) bool { return path == "mcusim" || strings.HasPrefix(path, "mcusim/") }

// layerOf returns the rank and name of path's layer; ok is false for a
// package no pattern covers.
func layerOf(path string) (rank int, name string, ok bool) {
	best := -1
	for _, l := range layers {
		prefix, tree := strings.CutSuffix(l.pattern, "/...")
		if path == prefix || (tree && strings.HasPrefix(path, prefix+"/")) {
			if len(prefix) > best {
				best, rank, name = len(prefix), l.rank, l.name
			}
		}
	}
	return rank, name, best >= 0
}

func TestImportsFlowOneWay(t *testing.T) {
	pkgs := listPackages(t)
	paths := make([]string, 0, len(pkgs))
	for p := range pkgs {
		paths = append(paths, p)
	}
	slices.Sort(paths)

	t.Run("layers", func(t *testing.T) {
		for _, path := range paths {
			rank, name, ok := layerOf(path)
			if !ok {
				t.Errorf("%s belongs to no layer of imports_test.go; add it to layers (DESIGN.md \"Packages\")", path)
				continue
			}
			for _, imp := range pkgs[path].Imports {
				if !project(imp) {
					continue
				}
				irank, iname, ok := layerOf(imp)
				switch {
				case !ok:
					// Reported for the package itself above.
				case irank > rank:
					t.Errorf("%s (%s) imports %s (%s): a backwards import; imports flow one way, cmd → mcusim → {nas, sim} → engine → models, isa, mem (DESIGN.md)",
						path, name, imp, iname)
				case irank == rank && !slices.Contains(sameLayer[path], imp):
					t.Errorf("%s imports %s inside the layer %s, which imports_test.go's sameLayer does not allow; if the edge is meant, add it there (and keep the layer acyclic)",
						path, imp, name)
				}
			}
		}
	})

	t.Run("cmd imports only the facade", func(t *testing.T) {
		for _, path := range paths {
			if !strings.HasPrefix(path, "mcusim/cmd/") {
				continue
			}
			for _, imp := range pkgs[path].Imports {
				if project(imp) && imp != "mcusim" && !strings.HasPrefix(imp, "mcusim/bench/") {
					t.Errorf("%s imports %s; the CLI goes through the facade (mcusim) and the bench figure packages only", path, imp)
				}
			}
		}
	})

	t.Run("the CLI links no test code", func(t *testing.T) {
		// Every project package the CLI links, with the package it came through.
		via := map[string]string{}
		var walk func(path, from string)
		walk = func(path, from string) {
			if _, seen := via[path]; seen {
				return
			}
			via[path] = from
			p := pkgs[path]
			if p == nil {
				t.Fatalf("%s (imported by %s) is not in go list ./...", path, from)
			}
			for _, imp := range p.Imports {
				switch {
				case imp == "testing":
					t.Errorf("%s imports testing, and the CLI links it (%s)", path, chain(via, path))
				case strings.HasPrefix(imp, "mcusim/internal/"):
					t.Errorf("%s imports the test helper %s, and the CLI links it (%s)", path, imp, chain(via, path))
				case project(imp):
					walk(imp, path)
				}
			}
		}
		walk("mcusim/cmd/mcusim", "")
		if len(via) < 5 {
			t.Errorf("the CLI links only %d project packages: %v", len(via), via)
		}
	})

	t.Run("internal is for tests", func(t *testing.T) {
		for _, path := range paths {
			if strings.HasPrefix(path, "mcusim/internal/") {
				continue
			}
			for _, imp := range pkgs[path].Imports {
				if strings.HasPrefix(imp, "mcusim/internal/") {
					t.Errorf("%s imports %s; internal/ holds test helpers, imported by _test.go files only", path, imp)
				}
			}
		}
	})
}

// chain renders how the CLI reaches path: "cmd/mcusim → mcusim → mcusim/sim".
func chain(via map[string]string, path string) string {
	var c []string
	for p := path; p != ""; p = via[p] {
		c = append(c, p)
	}
	slices.Reverse(c)
	return strings.Join(c, " → ")
}
