package engine_test

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportsRunOneWay keeps the sub-packages' imports one way (engine/doc.go):
// models → plan → kernels → codegen, count; ref beside them. Each package may
// import only the project packages listed for it (test files excluded).
func TestImportsRunOneWay(t *testing.T) {
	allowed := map[string][]string{
		"plan":         {"mcusim/models"},
		"kernels":      {"mcusim/engine/plan", "mcusim/isa", "mcusim/mem", "mcusim/models"},
		"count":        {"mcusim/engine/plan", "mcusim/engine/kernels", "mcusim/mem"},
		"codegen":      {"mcusim/engine/plan", "mcusim/engine/kernels", "mcusim/engine/codegen/wasm", "mcusim/engine/ref", "mcusim/mem", "mcusim/models"},
		"codegen/wasm": {},
		"ref":          {"mcusim/models"},
	}
	for dir, ok := range allowed {
		pkg, err := build.ImportDir(filepath.FromSlash(dir), 0)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, imp := range pkg.Imports {
			if !strings.HasPrefix(imp, "mcusim") {
				continue
			}
			found := false
			for _, a := range ok {
				found = found || a == imp
			}
			if !found {
				t.Errorf("engine/%s imports %s; allowed: %v", dir, imp, ok)
			}
		}
	}
}
