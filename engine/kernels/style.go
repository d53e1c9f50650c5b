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

// styleVersions says which release of each library a style's block tables
// and instruction mixes model, and what it is calibrated on
// (shared/reference/cortex-m.md §4, §5, §7.1).
var styleVersions = [NumStyles]string{
	StyleTinyEngine: "TinyEngine at c71768b (2022-08): 2x2 SMLAD tiles over int16 partial im2col, in-place int16 channel-plane depthwise with scalar MACs (cortex-m.md §5); calibrated on its STM32F746 rows",
	StyleCMSISNN:    "CMSIS-NN mixes read from HEAD 99f736a6 (cortex-m.md §4: arm_nn_mat_mult_kernel_s8_s16 2x2 SMLAD tiles over int16 im2col, the unpadded 1x1 via arm_nn_mat_mult_nt_t_s8, depthwise per arm_depthwise_conv_s8_opt, without the 3x3 fast path), on TinyEngine's placement; calibrated on the TinyEngine README's 'CMSIS-NN v2.0.0' row (under a 2020 TFLM)",
	StyleTFLMRef:    "TF Lite Micro reference kernels (tensorflow/lite/kernels/internal/reference/integer_ops, TFLM @713b6ed): plain nested loops, one MAC per tap",
}

// Version says which library release the style models (styleVersions).
func (s Style) Version() string {
	if s < NumStyles {
		return styleVersions[s]
	}
	return ""
}

// StyleNames lists the styles' names, for flag help.
func StyleNames() []string { return styleNames[:] }
