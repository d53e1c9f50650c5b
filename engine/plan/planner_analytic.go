package plan

// analyticLive charges each step the activation bytes of a closed-form memory
// convention (claims.md §6):
//
//   - analytic (MCUNetV2 Table 1 and Fig. 1): the step's input(s) + output, a
//     depthwise convolution in place (its larger operand counted once), no extra
//     residual buffer. Patch-based: patch-sized tensors of the patch stage plus the
//     full stage-output buffer(s); the full input image is not counted (V2 §3.1).
//   - act (MCUNet model-zoo "Act" column): input + output + every other tensor that
//     is still waiting for a later reader (the residual input), depthwise not in place.
//
// split > 0 marks steps 0..split−1 as the patch stage. in is the input
// convention's charge: the input operand's size (the sliding rows under
// InputStream, nothing for PeakWithoutInput) and, for a patch schedule under
// InputSRAM, the whole frame on every patch-stage step.
func analyticLive(steps []Step, split int, inPlaceDW, residual bool, in inputCharge) []int {
	live := make([]int, len(steps))
	bytesOf := func(a Act) int {
		if a.Group == in.group && in.bytes >= 0 {
			return in.bytes
		}
		return a.Bytes()
	}
	var lastRead, produced map[int]int
	if residual {
		lastRead, produced = map[int]int{}, map[int]int{}
		for i := range steps {
			for _, a := range steps[i].Ins {
				lastRead[a.Group] = i
			}
			produced[steps[i].Out.Group] = i
		}
	}
	// Full-size buffers that collect the patch stage's output (read after the split).
	stageBuf := 0
	if split > 0 {
		seen := map[int]bool{}
		inStage := map[int]bool{}
		for i := 0; i < split; i++ {
			inStage[steps[i].Out.Group] = true
		}
		for i := split; i < len(steps); i++ {
			for _, a := range steps[i].Ins {
				if inStage[a.Group] && !seen[a.Group] {
					seen[a.Group] = true
					stageBuf += a.Bytes()
				}
			}
		}
	}
	for i := range steps {
		s := &steps[i]
		sum := 0
		seen := make(map[int]bool, 4)
		for _, a := range s.Ins {
			if !seen[a.Group] {
				seen[a.Group] = true
				sum += bytesOf(a)
			}
		}
		if inPlaceDW && s.inPlaceDepthwise() {
			sum = max(sum, s.Out.Bytes())
		} else {
			sum += s.Out.Bytes()
		}
		seen[s.Out.Group] = true
		if residual {
			for g, last := range lastRead {
				if !seen[g] && last > i && producedBefore(produced, g, i) {
					sum += groupBytes(steps, g, bytesOf)
				}
			}
		}
		if i < split {
			sum += stageBuf + in.frame
		}
		live[i] = sum
	}
	return live
}

// producedBefore reports whether buffer g exists before step i (the network input
// is never produced by a step, so it exists from the start).
func producedBefore(produced map[int]int, g, i int) bool {
	p, ok := produced[g]
	return !ok || p < i
}

// groupBytes is the size of buffer g as its producer (or first reader) sees it.
func groupBytes(steps []Step, g int, bytesOf func(Act) int) int {
	for i := range steps {
		if steps[i].Out.Group == g {
			return steps[i].Out.Bytes()
		}
		for _, a := range steps[i].Ins {
			if a.Group == g {
				return bytesOf(a)
			}
		}
	}
	return 0
}
