package kernels

import (
	"strings"
	"testing"
)

// Every style says which library release its tables model (estimate prints
// it), naming its source; an invalid style has none.
func TestStyleVersion(t *testing.T) {
	for _, s := range Styles() {
		v := s.Version()
		if v == "" || !strings.Contains(v, "cortex-m.md") && !strings.Contains(v, "reference") {
			t.Errorf("%s: version %q names no source", s, v)
		}
	}
	if NumStyles.Version() != "" {
		t.Errorf("invalid style has a version")
	}
}
