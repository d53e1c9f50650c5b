package kernels

import (
	"testing"

	"mcusim/models"
)

// TestEverySpecHasAMix: every block a kernel's table declares has an
// instruction mix in every style that Choose can pick the kernel in, so adding
// a spec without its mix fails here before any model exercises it.
func TestEverySpecHasAMix(t *testing.T) {
	in := map[Kernel][]Style{ // the styles Choose uses each kernel in; others: all
		KernelConvPlain:  {StyleTFLMRef},
		KernelConvTiled:  {StyleTinyEngine, StyleCMSISNN},
		KernelConvDirect: {StyleCMSISNN},
	}
	for k := Kernel(0); k < numKernels; k++ {
		tables := [][]BlockSpec{Spec(k, models.Conv2D)}
		if k == KernelHost {
			tables = nil
			for _, op := range []models.OpKind{models.Softmax, models.ResizeNearest, models.Pad} {
				tables = append(tables, Spec(k, op))
			}
		}
		styles, ok := in[k]
		if !ok {
			styles = Styles()
		}
		for _, table := range tables {
			if len(table) == 0 {
				t.Errorf("kernel %d has an empty block table", k)
			}
			for _, sp := range table {
				for _, style := range styles {
					base, _, err := StyleMix(style, sp.Kind)
					if err != nil {
						t.Error(err)
						continue
					}
					if base.Instructions() <= 0 {
						t.Errorf("%s %s: empty mix", style, sp.Kind)
					}
				}
			}
		}
	}
}

// TestBlockKindNames: names are unique and round-trip into block names.
func TestBlockKindNames(t *testing.T) {
	seen := map[string]bool{}
	for k := BlockKind(0); k < NumBlockKinds; k++ {
		if n := k.String(); n == "" || seen[n] {
			t.Errorf("kind %d has name %q (duplicate or empty)", k, n)
		}
		seen[k.String()] = true
	}
	for _, c := range []struct {
		b    BlockCount
		want string
	}{
		{BlockCount{Step: 3, Kind: ConvMAC2x2, Index: -1}, "op3.conv.mac2x2"},
		{BlockCount{Step: 7, Kind: ConcatCopy, Index: 1}, "op7.concat.copy1"},
		{BlockCount{Step: 9, Kind: HostSoftmax, Index: -1}, "op9.host.SOFTMAX"},
	} {
		if got := c.b.Name(); got != c.want {
			t.Errorf("Name() = %q, want %q", got, c.want)
		}
	}
}

// TestParseStyle: every name parses back, and an unknown one gets the one
// message the CLI prints.
func TestParseStyle(t *testing.T) {
	for _, s := range Styles() {
		if got, err := ParseStyle(s.String()); err != nil || got != s {
			t.Errorf("ParseStyle(%q) = %v, %v", s, got, err)
		}
	}
	_, err := ParseStyle("magic")
	if want := `unknown engine "magic"; known: tinyengine, cmsis-nn, tflm-ref`; err == nil || err.Error() != want {
		t.Errorf("ParseStyle(magic) error %v, want %s", err, want)
	}
	if Style(9).Valid() == nil {
		t.Error("Style(9) is valid")
	}
}
