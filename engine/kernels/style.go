package kernels

import (
	"fmt"
	"strings"
)

// Style is the Cortex-M code a generated kernel mirrors, block for block. The
// zero Style is TinyEngine, the default everywhere.
type Style uint8

// Kernel styles.
const (
	StyleTinyEngine Style = iota // MCUNet's TinyEngine: 2×2 SMLAD tiles, in-place channel-plane depthwise
	StyleCMSISNN                 // TF Lite Micro with CMSIS-NN: im2col + 2×2 mat-mult
	StyleTFLMRef                 // TF Lite Micro reference kernels: plain nested loops
	// NumStyles is the number of styles: per-style tables are arrays of this
	// length indexed by Style.
	NumStyles
)

var styleNames = [NumStyles]string{"tinyengine", "cmsis-nn", "tflm-ref"}

// Styles lists the kernel styles.
func Styles() []Style { return []Style{StyleTinyEngine, StyleCMSISNN, StyleTFLMRef} }

// String is the style's name as the CLI's --engine flag spells it.
func (s Style) String() string {
	if s < NumStyles {
		return styleNames[s]
	}
	return fmt.Sprintf("style(%d)", int(s))
}

// MarshalText writes the style's name.
func (s Style) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseStyle returns the style named name; it is the one place a style name is
// validated (the CLI's --engine, the facade, code generation).
func ParseStyle(name string) (Style, error) {
	for s, n := range styleNames {
		if n == name {
			return Style(s), nil
		}
	}
	return 0, fmt.Errorf("unknown engine %q; known: %s", name, strings.Join(styleNames[:], ", "))
}

// Valid returns ParseStyle's error for a Style that is none of the styles (an
// integer converted by hand), nil otherwise.
func (s Style) Valid() error {
	if s < NumStyles {
		return nil
	}
	_, err := ParseStyle(s.String())
	return err
}

// StyleNames lists the styles' names, for flag help.
func StyleNames() []string { return styleNames[:] }
