package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"mcusim"
)

// planFlags are the flags shared by every verb that plans a model's memory.
type planFlags struct {
	model, planner               string
	patches, splitOp, splitBlock int
	auto, json, explain          bool
	input, objective             string
	arenaLimit                   int // MiB, 0 = the planner's default
	bits                         int
	bitsLine                     string // for an MCUNet JSON model: its bit width and why
}

func (f *planFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.model, "model", "", "model: a zoo name (see mcusim models), a .tflite or an MCUNet .json path")
	fs.StringVar(&f.planner, "planner", mcusim.PlannerTinyEngine, "memory planner: "+strings.Join(mcusim.Planners(), ", "))
	fs.IntVar(&f.patches, "patches", 0, "p: run the first stage in p×p patches (0 = layer-based)")
	fs.IntVar(&f.splitOp, "split-op", 0, "patch stage = the first K operators, counted after PAD folding (TinyEngine's split_index)")
	fs.IntVar(&f.splitBlock, "split-block", 0, "patch stage = the first N blocks, block 0 = the stem (MCUNetV2's n)")
	fs.BoolVar(&f.auto, "auto", false, "search p in 2..4 and every split; keep the lowest peak (ties: lowest MAC overhead)")
	fs.BoolVar(&f.json, "json", false, "print one JSON object")
	registerInput(fs, &f.input)
	fs.BoolVar(&f.explain, "explain", false, "memory: say where the peak is, which buffers are live there, what a patch stage saves and costs, and why it can lose")
	fs.StringVar(&f.objective, "objective", "", "what --auto minimises: peak (lowest peak SRAM), macs (fewest MACs among schedules that fit the board) or latency (estimate only: lowest estimated latency among them); default with --board: macs (memory and estimate agree), else peak")
	fs.IntVar(&f.arenaLimit, "arena-limit", 0, "address space of the tinyengine planner in MiB (0 = TinyEngine's 10 MiB default); a limit of mcusim, not of a board")
	fs.IntVar(&f.bits, "bits", 0, "bit width of an MCUNet .json model: 8 or 4 (default: 4 when the file name contains \"int4\", else 8)")
}

// load loads the model; the schedule flags are checked where they are used,
// by the planner (mcusim.PlanOptions).
func (f *planFlags) load() (*mcusim.Graph, mcusim.PlanOptions, error) {
	opt := mcusim.PlanOptions{Planner: f.planner, Patches: f.patches, SplitOp: f.splitOp,
		SplitBlock: f.splitBlock, Auto: f.auto, InputSource: f.input, Objective: f.objective}
	if f.model == "" {
		return nil, opt, usagef("--model is required (a zoo name, .tflite or .json path; see mcusim models)")
	}
	if f.arenaLimit < 0 || f.arenaLimit > 1<<20 {
		return nil, opt, usagef("--arena-limit must be between 0 (default) and 1048576 MiB, got %d", f.arenaLimit)
	}
	opt.ArenaLimit = f.arenaLimit << 20
	lo := mcusim.LoadOptions{Bits: f.bits}
	if bits, why, ok := mcusim.BitWidth(f.model, lo); ok {
		f.bitsLine = fmt.Sprintf("bits      %d (MCUNet JSON has no bit-width field: %s)\n", bits, why)
	}
	g, err := mcusim.LoadModelWith(f.model, lo)
	return g, opt, err
}

// boardFlags select a board: an id in the built-in database or in a file.
type boardFlags struct{ board, boards string }

func (f *boardFlags) register(fs *flag.FlagSet, use string) {
	fs.StringVar(&f.board, "board", "", use)
	fs.StringVar(&f.boards, "boards", "", "board database TOML file (default: the built-in boards.toml)")
}

// check refuses --boards without --board, which would be silently unused.
func (f *boardFlags) check(required bool) error {
	if f.board == "" {
		if required {
			return usagef("--board is required (see mcusim boards)")
		}
		if f.boards != "" {
			return usagef("--boards FILE selects the database --board ID is looked up in; give --board too")
		}
	}
	return nil
}

// memoryReport is the JSON of `mcusim memory`.
type memoryReport struct {
	*mcusim.Plan
	// Bits is the bit width an MCUNet JSON model was built with (0 otherwise).
	Bits int               `json:"bits,omitempty"`
	Fits *bool             `json:"fits,omitempty"`
	Fit  *mcusim.FitReport `json:"fit,omitempty"`
}

func cmdMemory(args []string, out, errw io.Writer) error {
	var f planFlags
	var bf boardFlags
	fs := newFlags("memory", "--model M [--planner P] [--patches P (--split-op K | --split-block N) | --auto] [--board B [--boards FILE]] [--json]", errw)
	f.register(fs.FlagSet)
	bf.register(fs.FlagSet, "board id: also say whether SRAM and Flash fit (see mcusim boards)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := bf.check(false); err != nil {
		return err
	}
	g, opt, err := f.load()
	if err != nil {
		return err
	}
	var board *mcusim.Board
	if bf.board != "" {
		if board, err = mcusim.FindBoard(bf.board, bf.boards); err != nil {
			return err
		}
		mcusim.AutoFor(&opt, board, false)
	}
	plan, err := mcusim.Memory(g, opt)
	if err != nil {
		return err
	}
	rep := memoryReport{Plan: plan}
	if bits, _, ok := mcusim.BitWidth(f.model, mcusim.LoadOptions{Bits: f.bits}); ok {
		rep.Bits = bits
	}
	if bf.board != "" {
		fit := mcusim.CheckFit(plan, board)
		rep.Fit, rep.Fits = &fit, &fit.Fits
	}
	if f.json {
		return writeJSON(out, rep)
	}
	printPlan(out, rep, f.bitsLine)
	if f.explain {
		layer := plan
		if plan.Patch != nil {
			lo := opt
			lo.Auto, lo.Patches, lo.SplitOp, lo.SplitBlock = false, 0, 0, 0
			if layer, err = mcusim.Memory(g, lo); err != nil {
				return err
			}
		}
		explainPlan(out, plan, layer)
	}
	return nil
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}

func kib(b int) string { return fmt.Sprintf("%.1f KiB", float64(b)/1024) }

// registerInput adds --input-source, the input convention of every planning verb.
func registerInput(fs *flag.FlagSet, v *string) {
	fs.StringVar(v, "input-source", mcusim.InputSRAM, "where the input frame lives: "+mcusim.InputSRAM+
		" (the whole frame in SRAM until its last reader is done) or "+mcusim.InputStream+
		" (rows arrive from a camera/decoder; only the rows or patch window a step needs are in SRAM; MCUNetV2's convention)")
}

// inputLine is the human line every verb prints about the input convention:
// the convention, the frame's bytes and the peak with and without the input.
func inputLine(label string, peak int, u mcusim.InputUse) string {
	return fmt.Sprintf("%s%s: frame %d B, %d B of it in SRAM; peak %s with it, %s without\n%s(%s)",
		label, u.InputSource, u.InputBytes, u.InputResident, kib(peak), kib(u.PeakWithoutInput),
		strings.Repeat(" ", len(label)), u.InputNote)
}

func printPlan(out io.Writer, rep memoryReport, bitsLine string) {
	p := rep.Plan
	fmt.Fprintf(out, "model     %s  (%.2fM MACs, %.3fM params)\n", p.Model, float64(p.MACs)/1e6, float64(p.Params)/1e6)
	fmt.Fprint(out, bitsLine)
	fmt.Fprintf(out, "planner   %s, %s-based\n", p.Planner, p.Schedule)
	if pi := p.Patch; pi != nil {
		blk := "-"
		if pi.SplitBlock >= 0 {
			blk = fmt.Sprint(pi.SplitBlock)
		}
		fmt.Fprintf(out, "patches   %dx%d over the first %d operators (blocks: %s); patch input %dx%d\n",
			pi.Patches, pi.Patches, pi.SplitOp, blk, pi.PatchInputHW[0], pi.PatchInputHW[1])
		fmt.Fprintf(out, "MACs      patch stage %.1fM vs %.1fM layer-wise (%+.1f%%); network %.1fM (%+.1f%%)\n",
			float64(pi.PatchStageMACs)/1e6, float64(pi.LayerStageMACs)/1e6, 100*pi.MACsOverheadPatchStage,
			float64(pi.TotalMACs)/1e6, 100*pi.MACsOverheadTotal)
	}
	fmt.Fprintf(out, "peak SRAM %d B (%s) = arena %d + scratch %d", p.PeakSRAM, kib(p.PeakSRAM), p.Arena, p.Scratch)
	if p.Scratch > 0 {
		fmt.Fprintf(out, " (im2col %d + kernel %d)", p.SBuf, p.KBuf)
	}
	fmt.Fprintln(out)
	if p.Planner == mcusim.PlannerTFLM {
		// The README's planner table says the same; the number alone misleads.
		fmt.Fprintln(out, "          (TFLM: the activation arena only; not counted: TFLM's persistent section,")
		fmt.Fprintln(out, "          kernel scratch buffers such as CMSIS-NN's im2col, the interpreter's stack)")
		if ta := p.TensorArena; ta != nil {
			fmt.Fprintf(out, "tensor_arena %d B (%s) = head %d (plan with scratch) + persistent %d; %s; parts and sources in --json\n",
				ta.Bytes, kib(ta.Bytes), ta.Head, ta.Persistent, ta.Build)
		}
	}
	fmt.Fprintln(out, inputLine("input     ", p.PeakSRAM, p.InputUse))
	fmt.Fprintf(out, "Flash     %d B (%s) weights + bias + scale\n", p.Flash, kib(p.Flash))
	if n := len(p.Conflicts); n > 0 {
		c := p.Conflicts[0]
		fmt.Fprintf(out, "warning   %d buffer pair(s) share bytes while live (e.g. buffers %d and %d at step %d): TinyEngine's allocator allows it, execution would clobber\n", n, c.A, c.B, c.Step)
	}
	if rep.Fit != nil {
		fmt.Fprintf(out, "board     %s: SRAM %s, Flash %s -> %s\n", rep.Fit.Board, kib(rep.Fit.SRAMBytes), kib(rep.Fit.FlashBytes), rep.Fit.Verdict)
	}
	if len(p.Candidates) > 0 {
		why := "the lowest peak SRAM (ties: the lowest MAC overhead)"
		switch p.Objective {
		case mcusim.ObjectiveMACs:
			why = "the fewest MACs among the schedules that fit (the lowest peak when none fits)"
		case mcusim.ObjectiveLatency:
			why = "the lowest estimated latency among the schedules that fit (the lowest peak when none fits)"
		}
		fmt.Fprintf(out, "\n--auto kept %s; lowest peaks shown, Pareto = no candidate has both a lower-or-equal peak and fewer-or-equal MACs:\n", why)
		tw := tabwriter.NewWriter(out, 2, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "schedule\tp\tsplit-op\tsplit-block\tpeak SRAM\tMAC overhead\tfits\tPareto\t")
		shown := 0
		for _, c := range p.Candidates {
			if c.Error != "" || shown == 8 {
				continue
			}
			shown++
			blk := "-"
			if c.SplitBlock >= 0 {
				blk = fmt.Sprint(c.SplitBlock)
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%+.1f%%\t%s\t%s\t\n", c.Schedule, c.Patches, c.SplitOp, blk, kib(c.PeakSRAM), 100*c.MACsOverhead, yes(c.Fits), yes(c.Pareto))
		}
		tw.Flush()
	}
	fmt.Fprintln(out)
	peak := 0
	for _, l := range p.Layers {
		peak = max(peak, l.LiveBytes)
	}
	tw := tabwriter.NewWriter(out, 2, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "#\tname\top\tblock\tin\tout\tMACs\tlive bytes\t")
	for _, l := range p.Layers {
		mark := ""
		if l.Patch {
			mark = "*"
		}
		peakMark := ""
		if l.LiveBytes == peak {
			peakMark = "  <- peak"
		}
		fmt.Fprintf(tw, "%d%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", l.Index, mark, shortName(l.Name), l.Op, blockName(l.Block), l.InShape, l.OutShape, l.MACs, l.LiveBytes, peakMark)
	}
	tw.Flush()
	if pi := p.Patch; pi != nil {
		fmt.Fprintf(out, "(* = patch stage, run %dx%d times: its shapes and MACs are per patch)\n", pi.Patches, pi.Patches)
	}
}

// maxName is the widest layer name the tables print; TFLite names run to 240
// characters. JSON output keeps the full names.
const maxName = 40

// shortName cuts a name to maxName characters, marking the cut with "…".
func shortName(s string) string {
	r := []rune(s)
	if len(r) <= maxName {
		return s
	}
	return string(r[:maxName-1]) + "…"
}

// blockName prints a block index, "-" for a step outside any block.
func blockName(b int) string {
	if b < 0 {
		return "-"
	}
	return fmt.Sprint(b)
}

// explainPlan answers the questions users ask about a schedule
// (mit-han-lab/tinyengine#104): where the peak is, what is live there, what
// the patch stage saves and costs, and why a patch schedule can lose.
func explainPlan(out io.Writer, p, layer *mcusim.Plan) {
	fmt.Fprintln(out, "\nexplain:")
	peakAt := -1
	for i, l := range p.Layers {
		if peakAt < 0 || l.LiveBytes > p.Layers[peakAt].LiveBytes {
			peakAt = i
		}
	}
	if peakAt < 0 {
		return
	}
	l := p.Layers[peakAt]
	where := "the layer-based part"
	if l.Patch {
		where = "the patch stage (per patch)"
	}
	fmt.Fprintf(out, "  peak      step %d (%s %s) in %s: %d B live, arena %d B + scratch %d B\n", l.Index, l.Op, shortName(l.Name), where, l.LiveBytes, p.Arena, p.Scratch)
	for bi, b := range p.Buffers {
		if b.Start <= peakAt && peakAt < b.End {
			what := fmt.Sprintf("operand group %d", b.Group)
			if b.Group < 0 {
				what = "the input frame"
			}
			fmt.Fprintf(out, "  live      buffer %d: %d B at offset %d, steps %d..%d, %s\n", bi, b.Size, b.Offset, b.Start, b.End-1, what)
		}
	}
	pi := p.Patch
	if pi == nil {
		fmt.Fprintln(out, "  schedule  layer-based: every step holds whole tensors")
		return
	}
	rows := pi.PatchInputHW[0] * pi.Patches // input rows the patches read, halos included
	frameH := layer.Layers[0].InShape[0]
	fmt.Fprintf(out, "  saves     %d B of peak SRAM against the layer schedule's %d B (%+.1f%%)\n", layer.PeakSRAM-p.PeakSRAM, layer.PeakSRAM, 100*(float64(p.PeakSRAM)/float64(layer.PeakSRAM)-1))
	fmt.Fprintf(out, "  costs     patch stage %d MACs vs %d layer-wise (%+.1f%%), network %+.1f%%; %d×%d patches of %dx%d read %d input rows for a %d-row image (%d recomputed in overlapping halos)\n",
		pi.PatchStageMACs, pi.LayerStageMACs, 100*pi.MACsOverheadPatchStage, 100*pi.MACsOverheadTotal, pi.Patches, pi.Patches, pi.PatchInputHW[0], pi.PatchInputHW[1], rows, frameH, max(0, rows-frameH))
	if !l.Patch {
		fmt.Fprintf(out, "  loses     the peak is in the layer-based part (step %d), which patching the first %d operators does not touch: a deeper split or no patches\n", l.Index, pi.SplitOp)
	} else if p.PeakSRAM >= layer.PeakSRAM {
		fmt.Fprintln(out, "  loses     the patch stage's windows plus the full-size stage buffers need more than the layer schedule")
	}
}
