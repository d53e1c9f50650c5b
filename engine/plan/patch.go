package plan

import (
	"fmt"

	"mcusim/models"
)

// PatchInfo describes a patch-based schedule (MCUNetV2 §3; TinyEngine
// `PatchBasedUtil.getPatchParams`, claims.md §7.8).
type PatchInfo struct {
	Patches    int `json:"patches"`     // p: the input is split into p×p patches
	SplitOp    int `json:"split_op"`    // steps run per patch (TinyEngine's split_index)
	SplitBlock int `json:"split_block"` // blocks run per patch (MCUNetV2's n), −1 if the model has no blocks
	// PatchInputHW is the side of one input patch (grain_rf): the receptive field of
	// one output grain of the patch stage.
	PatchInputHW [2]int `json:"patch_input_hw"`
	GrainHW      [2]int `json:"grain_hw"`  // patch-stage output pixels per patch
	SingleRF     [2]int `json:"single_rf"` // receptive field of one output pixel
	PadL         int    `json:"pad_l"`
	PadR         int    `json:"pad_r"`
	// MAC overheads, as fractions (0.42 = +42%): the patch stage against the same
	// layers run whole, and the whole network against the layer-based network.
	PatchStageMACs         int64   `json:"patch_stage_macs"`
	LayerStageMACs         int64   `json:"layer_stage_macs"`
	TotalMACs              int64   `json:"total_macs"`
	MACsOverheadPatchStage float64 `json:"macs_overhead_patch_stage"`
	MACsOverheadTotal      float64 `json:"macs_overhead_total"`
}

// receptiveField walks steps split−1 … 0 backwards and grows g output pixels into
// input pixels: stride 1 adds k−1, stride 2 maps g → (g−1)·2 + k; other steps and
// strides leave g unchanged (TinyEngine `PatchBasedUtil`, claims.md §7.8). vertical
// selects the H axis, otherwise W.
func receptiveField(steps []Step, split, g int, vertical bool) int {
	for i := split - 1; i >= 0; i-- {
		s := &steps[i]
		if s.Kind != models.Conv2D && s.Kind != models.DepthwiseConv2D {
			continue
		}
		k := max(s.KH, s.KW) // TinyEngine uses max(kh, kw) on both axes
		st := s.SW
		if vertical {
			st = s.SH
		}
		switch st {
		case 1:
			g += k - 1
		case 2:
			g = (g-1)*2 + k
		}
	}
	return g
}

// patchSchedule validates a (p, split) pair and returns the steps with the patch
// stage resized to one patch: op 0's input becomes grain_rf × grain_rf, every
// patch-stage convolution becomes a valid convolution, out = ceil((in − k + 1)/s),
// and a patch-stage ADD takes its first input's size (claims.md §7.8).
func patchSchedule(prog *Program, patches, split int) ([]Step, *PatchInfo, error) {
	n := len(prog.Steps)
	if patches < 1 {
		return nil, nil, fmt.Errorf("--patches must be at least 1, got %d", patches)
	}
	if patches == 1 {
		// One "patch" is the whole image computed through a valid-padding
		// window larger than the image (an 87×87 input for an 80×80 image):
		// more MACs for the same stage output, never a saving (issue 10).
		return nil, nil, fmt.Errorf("--patches 1 computes the whole stage as one patch, which only adds MACs; use the layer-based schedule (no --patches) or p ≥ 2")
	}
	if split < 1 || split >= n {
		return nil, nil, fmt.Errorf("--split-op %d is out of range: model %s has %d operators after PAD folding; use 1..%d", split, prog.Graph.Name, n, n-1)
	}
	for i := 0; i < split; i++ {
		s := &prog.Steps[i]
		switch s.Kind {
		case models.Conv2D, models.DepthwiseConv2D, models.Add, models.Mul:
		default:
			return nil, nil, fmt.Errorf("split %d puts operator %d (%s %s) into the patch stage; only convolutions and element-wise ops can run per patch", split, i, s.Kind, s.Name)
		}
		if s.Ins[0].H == 1 && s.Ins[0].W == 1 && i == 0 {
			return nil, nil, fmt.Errorf("model %s has a 1×1 input; patch-based inference needs a spatial input", prog.Graph.Name)
		}
	}
	in0 := prog.Steps[0].Ins[0]
	stageOut := prog.Steps[split].Ins[0]
	if stageOut.H < patches || stageOut.W < patches {
		return nil, nil, fmt.Errorf("split %d: the patch-stage output is %dx%d, too small for %dx%d patches", split, stageOut.H, stageOut.W, patches, patches)
	}
	res := max(in0.H, in0.W)
	out := max(stageOut.H, stageOut.W)
	info := &PatchInfo{Patches: patches, SplitOp: split, SplitBlock: -1}
	featStride := res / out
	grainH, grainW := stageOut.H/patches, stageOut.W/patches
	info.GrainHW = [2]int{grainH, grainW}
	info.SingleRF = [2]int{receptiveField(prog.Steps, split, 1, true), receptiveField(prog.Steps, split, 1, false)}
	rfH := receptiveField(prog.Steps, split, grainH, true)
	rfW := receptiveField(prog.Steps, split, grainW, false)
	info.PatchInputHW = [2]int{rfH, rfW}
	info.PadL = info.SingleRF[1] / 2
	info.PadR = max(0, rfW+featStride*grainW*(patches-1)-info.SingleRF[1]/2-res)

	steps := make([]Step, n)
	copy(steps, prog.Steps)
	// Patch-sized shape of each buffer produced in the patch stage.
	size := map[int][2]int{in0.Group: {rfH, rfW}}
	for i := 0; i < split; i++ {
		s := &steps[i]
		s.Ins = append([]Act(nil), s.Ins...)
		for j := range s.Ins {
			if hw, ok := size[s.Ins[j].Group]; ok {
				s.Ins[j].H, s.Ins[j].W = hw[0], hw[1]
			}
		}
		if s.Kind == models.Add || s.Kind == models.Mul {
			for j := 1; j < len(s.Ins); j++ {
				if s.Ins[j].H > 1 || s.Ins[j].W > 1 { // a 1×1 SE gate stays 1×1
					s.Ins[j].H, s.Ins[j].W = s.Ins[0].H, s.Ins[0].W
				}
			}
		}
		oh, ow := s.Ins[0].H, s.Ins[0].W
		if s.Kind == models.Conv2D || s.Kind == models.DepthwiseConv2D {
			oh = ceilDiv(s.Ins[0].H-s.KH+1, s.SH)
			ow = ceilDiv(s.Ins[0].W-s.KW+1, s.SW)
			if oh < 1 || ow < 1 {
				return nil, nil, fmt.Errorf("split %d with %dx%d patches: operator %d (%s) has a %dx%d patch input, smaller than its %dx%d kernel", split, patches, patches, i, s.Name, s.Ins[0].H, s.Ins[0].W, s.KH, s.KW)
			}
			s.MACs = prog.Steps[i].MACs / int64(prog.Steps[i].Out.H*prog.Steps[i].Out.W) * int64(oh*ow)
		}
		s.Out.H, s.Out.W = oh, ow
		size[s.Out.Group] = [2]int{oh, ow}
	}
	var patchMACs, layerMACs int64
	for i := 0; i < split; i++ {
		patchMACs += steps[i].MACs
		layerMACs += prog.Steps[i].MACs
	}
	info.PatchStageMACs = patchMACs * int64(patches*patches)
	info.LayerStageMACs = layerMACs
	info.TotalMACs = prog.MACs - layerMACs + info.PatchStageMACs
	if layerMACs > 0 {
		info.MACsOverheadPatchStage = float64(info.PatchStageMACs)/float64(layerMACs) - 1
	}
	if prog.MACs > 0 {
		info.MACsOverheadTotal = float64(info.TotalMACs)/float64(prog.MACs) - 1
	}
	return steps, info, nil
}

func ceilDiv(a, b int) int {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}
