package plan

import (
	"fmt"

	"mcusim/models"
)

// Input conventions (Options.InputSource): where the network input lives while
// the model runs. Both schedules are planned under the same one, so a layer
// and a patch peak compare like with like.
//
//   - InputSRAM (the default): the whole input frame occupies SRAM until its
//     last reader is done. Layer-based: step 0's input buffer. Patch-based: an
//     arena buffer of its own, live over the whole patch stage, from which each
//     patch's window is copied.
//   - InputStream: the input arrives in rows (a camera, a JPEG decoder) and only
//     the rows a step needs are resident. Patch-based: the patch window
//     (MCUNetV2 §3.1: the image is not counted). Layer-based: the sliding rows
//     of the one step that reads the input, (KH−1)·dilation+1 rows of a
//     convolution or pool; a reader that needs every row (a fully connected
//     layer, a mean, an in-place depthwise, or several readers) holds the frame.
//
// TinyEngine's own code generator mixes the two: its layer-based arena holds
// the input (InputSRAM) and its patch-based code reads each patch from a frame
// outside the arena (InputStream). Its golden rows (claims.md §8) match under
// those; MCUNetV2's Table 1 and Fig. 1 count patch schedules under InputStream.
const (
	InputSRAM   = "sram"
	InputStream = "stream"
)

// InputSources lists the input conventions, for flag help.
func InputSources() []string { return []string{InputSRAM, InputStream} }

// inputSource validates Options.InputSource; "" is InputSRAM.
func inputSource(s string) (string, error) {
	switch s {
	case "", InputSRAM:
		return InputSRAM, nil
	case InputStream:
		return InputStream, nil
	}
	return "", fmt.Errorf("unknown --input-source %q; use %s (the frame stays in SRAM) or %s (rows arrive as needed)", s, InputSRAM, InputStream)
}

// inputCharge is what a placement charges for the network input.
type inputCharge struct {
	group int // the input's buffer (Act.Group)
	// bytes replaces the input operand's size as its readers see it; −1 keeps
	// the planned size (the whole frame, or the patch window).
	bytes int
	// frame is the size of a whole frame held beside a patch stage (InputSRAM).
	frame int
	rows  int // layer-based InputStream: the rows held (0: the whole frame)
	h     int // the frame's rows
}

// inputCharge works out the input's charge for a schedule; split > 0 is
// patch-based. omit charges no input byte at all (Plan.PeakWithoutInput).
func (prog *Program) inputCharge(steps []Step, split int, src string, omit bool) inputCharge {
	in := inputCharge{group: prog.Input.Group, bytes: -1, h: prog.Input.H}
	switch {
	case omit:
		in.bytes = 0
	case split > 0:
		if src == InputSRAM {
			in.frame = prog.Input.Bytes()
		}
	case src == InputStream:
		if rows := prog.streamRows(); rows < prog.Input.H {
			in.rows = rows
			a := prog.Input
			a.H = rows
			in.bytes = a.Bytes()
		}
	}
	if in.bytes >= 0 {
		// An in-place depthwise reading the input writes its output into the
		// input's buffer, which must still hold that output.
		for i := range steps {
			if steps[i].inPlaceDepthwise() && steps[i].Ins[0].Group == in.group && !(split > 0 && i == split) {
				in.bytes = max(in.bytes, steps[i].Out.Bytes())
			}
		}
	}
	return in
}

// streamRows is the number of input rows a layer-based schedule keeps
// resident under InputStream: the window one output row of the input's only
// reader needs, (KH−1)·dilation + 1 rows of a convolution or pool; the whole
// frame when the reader needs every row or several steps read the input.
func (prog *Program) streamRows() int {
	g := prog.Input.Group
	reader := -1
	for i := range prog.Steps {
		for _, a := range prog.Steps[i].Ins {
			if a.Group != g {
				continue
			}
			if reader >= 0 && reader != i {
				return prog.Input.H
			}
			reader = i
		}
	}
	if reader < 0 {
		return prog.Input.H
	}
	s := &prog.Steps[reader]
	switch s.Kind {
	case models.Conv2D, models.AveragePool, models.MaxPool:
	case models.DepthwiseConv2D:
		if s.inPlaceDepthwise() {
			return prog.Input.H // its output overwrites the input in place
		}
	default:
		return prog.Input.H
	}
	dh := 1
	if s.Op != nil {
		dh = max(s.Op.DilationH, 1)
	}
	return min(prog.Input.H, (s.KH-1)*dh+1)
}

// inputNote says in words how the plan holds the input.
func (pl *Plan) inputNote(in inputCharge) string {
	switch {
	case pl.Patch != nil && in.frame > 0:
		return fmt.Sprintf("sram: the %d-byte input frame stays in SRAM through the patch stage; each patch's %dx%d window is copied out of it",
			pl.InputBytes, pl.Patch.PatchInputHW[0], pl.Patch.PatchInputHW[1])
	case pl.Patch != nil:
		return fmt.Sprintf("stream: the input arrives in rows; only each patch's %dx%d window (%d B) is in SRAM, the %d-byte frame is not",
			pl.Patch.PatchInputHW[0], pl.Patch.PatchInputHW[1], pl.InputResident, pl.InputBytes)
	case in.rows > 0:
		return fmt.Sprintf("stream: the input arrives in rows; its first reader keeps %d of %d rows (%d B) in SRAM, the %d-byte frame is not",
			in.rows, in.h, pl.InputResident, pl.InputBytes)
	case pl.InputSource == InputStream:
		return fmt.Sprintf("stream: the input's reader needs every row (or several steps read it), so the whole %d-byte frame is in SRAM", pl.InputBytes)
	}
	return fmt.Sprintf("sram: the whole %d-byte input frame is in SRAM until its last reader is done", pl.InputBytes)
}
