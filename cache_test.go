package mcusim_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mcusim"
)

// TestCompilationCacheDir: the cache directory is base/<build identity>,
// created, the same for every call of one build, and never base itself (a
// rebuilt binary must not read another build's modules).
func TestCompilationCacheDir(t *testing.T) {
	base := t.TempDir()
	a, err := mcusim.CompilationCacheDir(base)
	if err != nil {
		t.Fatal(err)
	}
	b, err := mcusim.CompilationCacheDir(base)
	if err != nil {
		t.Fatal(err)
	}
	if a != b || filepath.Dir(a) != base || a == base {
		t.Errorf("cache dirs %q and %q for base %q", a, b, base)
	}
	if st, err := os.Stat(a); err != nil || !st.IsDir() {
		t.Errorf("%s not created: %v", a, err)
	}
	// The identity ends in 16 hex digits of the executable's hash.
	id := filepath.Base(a)
	if i := strings.LastIndexByte(id, '-'); i < 0 || len(id)-i-1 != 16 {
		t.Errorf("build identity %q lacks the executable hash", id)
	}
	// A file where the directory must go is a clear error.
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := mcusim.CompilationCacheDir(file); err == nil {
		t.Error("a cache base that is a file was accepted")
	}
}
