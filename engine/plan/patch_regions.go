package plan

import (
	"fmt"

	"mcusim/models"
)

// PatchWindows are one patch's windows: per step [output, inputs...], per
// step operand group.
type PatchWindows struct {
	Steps [][]Window
	Buf   map[int]Window
}

// Window is a rectangle of a full tensor in full-tensor coordinates.
type Window struct{ Y0, X0, Y1, X1 int }

// PatchRegions walks the patch stage backwards from each patch's output tile and
// returns, per patch and step, the windows of the step's output and inputs
// (MCUNetV2 §3.2: the receptive field of the tile). It refuses a schedule whose
// planned patch tensors are not exactly the windows the tile needs.
func PatchRegions(pl *Plan) ([]PatchWindows, error) {
	ex := pl.Exec
	if ex == nil || ex.Split == 0 {
		return nil, nil
	}
	info := pl.Patch
	p, K := info.Patches, ex.Split
	gh, gw := info.GrainHW[0], info.GrainHW[1]
	stage := ex.Full[K].Ins[0]
	if gh*p != stage.H || gw*p != stage.W {
		return nil, fmt.Errorf("patch schedule %dx%d over %d operators cannot be executed: the %dx%d stage output does not split into %d equal tiles per side", p, p, K, stage.H, stage.W, p)
	}
	var all []PatchWindows
	for pi := 0; pi < p; pi++ {
		for pj := 0; pj < p; pj++ {
			reg := map[int]Window{}
			tile := Window{pi * gh, pj * gw, (pi + 1) * gh, (pj + 1) * gw}
			for _, sc := range ex.StageCopies {
				reg[sc.Group] = tile
			}
			union := func(b int, w Window) {
				if o, ok := reg[b]; ok {
					w = Window{min(o.Y0, w.Y0), min(o.X0, w.X0), max(o.Y1, w.Y1), max(o.X1, w.X1)}
				}
				reg[b] = w
			}
			steps := make([][]Window, K)
			for i := K - 1; i >= 0; i-- {
				s, full := &ex.Steps[i], &ex.Full[i]
				ow, ok := reg[s.Out.Group]
				if !ok {
					return nil, fmt.Errorf("patch stage operator %d (%s) produces a tensor nobody reads", i, s.Name)
				}
				if ow.Y1-ow.Y0 != s.Out.H || ow.X1-ow.X0 != s.Out.W {
					return nil, fmt.Errorf("patch schedule cannot be executed: operator %d (%s) must produce a %dx%d window for patch (%d,%d), the schedule plans %dx%d",
						i, s.Name, ow.Y1-ow.Y0, ow.X1-ow.X0, pi, pj, s.Out.H, s.Out.W)
				}
				ws := []Window{ow}
				for j, a := range full.Ins {
					var w Window
					switch s.Kind {
					case models.Conv2D, models.DepthwiseConv2D:
						dh, dw := max(s.Op.DilationH, 1), max(s.Op.DilationW, 1)
						w = Window{ow.Y0*s.SH - s.Pad.Top, ow.X0*s.SW - s.Pad.Left,
							(ow.Y1-1)*s.SH - s.Pad.Top + (s.KH-1)*dh + 1, (ow.X1-1)*s.SW - s.Pad.Left + (s.KW-1)*dw + 1}
					default: // element-wise; a 1×1 operand is broadcast whole
						w = ow
						if a.H == 1 && a.W == 1 && (s.Out.H > 1 || s.Out.W > 1) {
							w = Window{0, 0, 1, 1}
						}
					}
					union(s.Ins[j].Group, w)
				}
				steps[i] = ws
			}
			// Second pass: input windows are the final (union) windows of the buffers.
			for i := 0; i < K; i++ {
				for j := range ex.Full[i].Ins {
					a := ex.Steps[i].Ins[j]
					w := reg[a.Group]
					if w.Y1-w.Y0 > a.H || w.X1-w.X0 > a.W {
						return nil, fmt.Errorf("patch schedule cannot be executed: operator %d (%s) needs a %dx%d window of input %d, the schedule plans %dx%d",
							i, ex.Steps[i].Name, w.Y1-w.Y0, w.X1-w.X0, j, a.H, a.W)
					}
					steps[i] = append(steps[i], w)
				}
			}
			all = append(all, PatchWindows{Steps: steps, Buf: reg})
		}
	}
	return all, nil
}
