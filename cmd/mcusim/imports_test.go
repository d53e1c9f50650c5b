package main

import (
	"go/build"
	"strings"
	"testing"
)

// TestImportsOnlyFacade: the CLI reaches the project through the facade only
// (DESIGN.md: cmd/mcusim "through the facade only"), and nothing it links
// imports testing (test helpers live in internal/ and are imported by tests).
func TestImportsOnlyFacade(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, "mcusim/") {
			t.Errorf("cmd/mcusim imports %s; it may import only the facade, mcusim", imp)
		}
	}
	// Every project package the CLI links, transitively.
	seen := map[string]bool{}
	var walk func(path, from string)
	walk = func(path, from string) {
		if seen[path] {
			return
		}
		seen[path] = true
		p, err := build.Import(path, ".", 0)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, imp := range p.Imports {
			switch {
			case imp == "testing":
				t.Errorf("%s (linked into the CLI through %s) imports testing", path, from)
			case imp == "mcusim" || strings.HasPrefix(imp, "mcusim/"):
				if strings.Contains(imp, "/internal/") || strings.HasPrefix(imp, "mcusim/internal") {
					t.Errorf("%s links the test helper %s into the CLI", path, imp)
				}
				walk(imp, path)
			}
		}
	}
	walk("mcusim", "cmd/mcusim")
	if len(seen) < 5 {
		t.Errorf("walked only %d packages: %v", len(seen), seen)
	}
}
