package plan

import (
	"fmt"

	"mcusim/models"
)

// Options select a planner and a schedule.
type Options struct {
	Planner string
	// Patches is p for a p×p patch-based schedule; 0 means layer-based.
	Patches int
	// SplitOp is the number of steps run per patch (TinyEngine's split_index);
	// SplitBlock the number of blocks (MCUNetV2's n, block 0 = the stem). Set one.
	SplitOp    int
	SplitBlock int
	// Auto searches p in 2..4 and every split (and the layer-based schedule) and
	// keeps the lowest peak; ties go to the lowest MAC overhead.
	Auto bool
	// Objective is what Auto minimises among the schedules it may keep:
	// ObjectivePeak (the default, "") or ObjectiveMACs. With SRAMBudget > 0
	// (and FlashBudget > 0) only schedules that fit them are kept when any
	// does; otherwise the lowest peak wins.
	Objective               string
	SRAMBudget, FlashBudget int
	// Latency prices a candidate plan in milliseconds for ObjectiveLatency;
	// the caller injects it (the estimator session's pricer) so that plan
	// does not depend on the simulator. It must be safe for concurrent use.
	Latency LatencyPricer `json:"-"`
	// Sound makes Auto skip plans with Conflicts or patch windows that cannot
	// be executed (what execution needs); Auto sets it for planners whose
	// plans execute, so every verb gets the same schedule.
	Sound bool
	// NoLayers skips the per-layer table (Plan.Layers), which labelling loops
	// do not read.
	NoLayers bool
	// Strict departs from TinyEngine where its allocator lets live buffers share
	// bytes: identical lifetimes count as overlapping and a stride-2 in-place
	// buffer keeps its whole output, not a quarter (claims.md §7.4, §7.5).
	Strict bool
	// InputSource is where the network input lives while the model runs:
	// InputSRAM (the default, "") or InputStream (Options doc at InputSRAM).
	InputSource string
	// omitInput plans the schedule with no input byte in SRAM, for
	// Plan.PeakWithoutInput; search marks the --auto search's candidate plans,
	// which skip that second placement.
	omitInput, search bool
	// ArenaLimit is the address space, in bytes, of the TinyEngine planner's
	// first-fit allocator; 0 means TinyEngine's own default of 10 MiB
	// (planner_tinyengine.go). It is a limit of the planner, not of a board:
	// raise it to plan a model whose buffers do not fit in 10 MiB (CLI
	// --arena-limit).
	ArenaLimit int
}

// Plan is a memory plan for one model.
type Plan struct {
	Model    string `json:"model"`
	Planner  string `json:"planner"`
	Schedule string `json:"schedule"` // "layer" or "patch"
	// PeakSRAM = Arena + Scratch: the SRAM the activations need.
	PeakSRAM int        `json:"peak_sram_bytes"`
	Arena    int        `json:"arena_bytes"`
	Scratch  int        `json:"scratch_bytes"`
	SBuf     int        `json:"sbuf_bytes"` // TinyEngine im2col / depthwise plane buffer
	KBuf     int        `json:"kbuf_bytes"` // TinyEngine int16 kernel buffer
	Flash    int        `json:"flash_bytes"`
	MACs     int64      `json:"macs"`
	Params   int64      `json:"params"`
	Patch    *PatchInfo `json:"patch,omitempty"`
	InputUse
	Layers []Layer `json:"layers"`
	// Buffers are the placed activation buffers (arena planners only).
	Buffers    []Buffer    `json:"buffers,omitempty"`
	Candidates []Candidate `json:"candidates,omitempty"`
	// Objective is what --auto minimised (ObjectivePeak when no candidate
	// fits the budgets); empty without --auto.
	Objective string `json:"objective,omitempty"`
	// Conflicts are pairs of buffers that the placement puts on the same bytes
	// while both are live: TinyEngine's identical-lifetime rule and its
	// quarter-size stride-2 shrink can produce them (claims.md §7.4, §7.5).
	// Executing such a plan clobbers; `mcusim run` refuses it unless asked.
	Conflicts []Conflict `json:"conflicts,omitempty"`
	// TensorArena is the whole tensor_arena a TF Lite Micro build needs (the
	// tflm planner only): the plan with the kernels' scratch and the
	// persistent section, part by part.
	TensorArena *TensorArena `json:"tensor_arena,omitempty"`
	// Exec is how the plan runs, for code generation; nil for the closed-form
	// planners (analytic, act), which charge bytes without placing buffers.
	Exec *Execution `json:"-"`
}

// LatencyPricer prices a plan's latency in milliseconds on a board
// (Options.Latency); implementations are safe for concurrent use.
type LatencyPricer interface {
	LatencyMS(*Plan) (float64, error)
}

// InputUse is how a plan holds the network input; every verb reports it.
type InputUse struct {
	// InputSource is the input convention the peak is planned under (InputSRAM
	// or InputStream); InputBytes the whole input frame; InputResident the
	// input bytes the plan keeps in SRAM at most (the frame, a patch window
	// or the rows a layer slides over); PeakWithoutInput the peak planned
	// again with no input byte in SRAM.
	InputSource      string `json:"input_source"`
	InputBytes       int    `json:"input_bytes"`
	InputResident    int    `json:"input_resident_bytes"`
	PeakWithoutInput int    `json:"peak_sram_without_input_bytes"`
	// InputNote says how the input is held under the convention, in words.
	InputNote string `json:"input_note"`
}

// Execution says where every operand of every executed step lives.
type Execution struct {
	// Steps are the executed steps; in patch mode steps 0..Split−1 are the patch
	// stage, resized to one patch, and run once per patch.
	Steps []Step
	Split int
	// Full are the steps at full size (equal to Steps in layer mode): the patch
	// stage computes windows of these tensors.
	Full []Step
	// Patches is p of a p×p schedule, 0 when layer-based.
	Patches int
	// In[i][j] and Out[i] index Plan.Buffers for step i's operands.
	In  [][]int
	Out []int
	// TensorGroup maps graph tensors to step operand groups (Program.TensorGroup).
	TensorGroup []int
	GroupView   []int
	// StageCopies move each patch's result from the patch-stage buffer into the
	// full-size stage buffer that the per-layer stage reads (patch mode only).
	StageCopies []StageCopy
	// InputFrame indexes Plan.Buffers for the whole input frame that a
	// patch-based schedule keeps in the arena under InputSRAM; −1 when the
	// frame is not an arena buffer of its own (layer-based: it is step 0's
	// input buffer; patch-based under InputStream: the rows arrive from
	// outside SRAM, a camera or decoder).
	InputFrame int
	// InputRows is, for a layer-based schedule under InputStream, the input
	// rows the arena holds (the first reader's sliding window); 0 when the
	// whole frame is held.
	InputRows int
}

// StageCopy copies a patch tile of step operand group Group from buffer From into
// buffer To (Plan.Buffers).
type StageCopy struct{ Group, From, To int }

// Layer is one step of the plan as the per-layer table shows it.
type Layer struct {
	Index    int    `json:"index"`
	Name     string `json:"name"`
	Op       string `json:"op"`
	Block    int    `json:"block"`
	InShape  Shape  `json:"in_shape"`
	OutShape Shape  `json:"out_shape"`
	MACs     int64  `json:"macs"`
	// LiveBytes is the activation memory the planner charges at this step.
	LiveBytes int  `json:"live_bytes"`
	Patch     bool `json:"patch_stage"`
}

// Buffer is one placed activation buffer: live over steps [Start, End).
type Buffer struct {
	Group  int `json:"group"`
	Size   int `json:"size"`
	Offset int `json:"offset"`
	Start  int `json:"start"`
	End    int `json:"end"`
	// ShrinkAt is the step of a stride-2 in-place depthwise after which only its
	// output, the first ShrinkTo bytes, stays in use (claims.md §7.4); −1 if none.
	ShrinkAt int `json:"-"`
	ShrinkTo int `json:"-"`
}

// Conflict is two buffers (Plan.Buffers indices) on the same bytes at Step.
type Conflict struct {
	A    int `json:"a"`
	B    int `json:"b"`
	Step int `json:"step"`
}

// conflicts finds the buffer pairs that are live at the same step and overlap in
// address. After its stride-2 depthwise a shrunk buffer only holds the output.
func conflicts(bufs []Buffer) []Conflict {
	var out []Conflict
	for i := range bufs {
		for j := i + 1; j < len(bufs); j++ {
			a, b := &bufs[i], &bufs[j]
			lo, hi := max(a.Start, b.Start), min(a.End, b.End)
			if lo >= hi || a.Offset >= b.Offset+b.Size || b.Offset >= a.Offset+a.Size {
				continue
			}
			for t := lo; t < hi; t++ {
				if a.Offset < b.Offset+extentAt(b, t) && b.Offset < a.Offset+extentAt(a, t) {
					out = append(out, Conflict{A: i, B: j, Step: t})
					break
				}
			}
		}
	}
	return out
}

// extentAt is the bytes buffer b occupies during step t.
func extentAt(b *Buffer, t int) int {
	if b.ShrinkAt >= 0 && t > b.ShrinkAt {
		return b.ShrinkTo
	}
	return b.Size
}

// Candidate is one schedule tried by the automatic search.
type Candidate struct {
	Schedule     string  `json:"schedule"`
	Patches      int     `json:"patches"`
	SplitOp      int     `json:"split_op"`
	SplitBlock   int     `json:"split_block"`
	PeakSRAM     int     `json:"peak_sram_bytes"`
	MACsOverhead float64 `json:"macs_overhead_total"`
	PatchInputHW [2]int  `json:"patch_input_hw"`
	MACs         int64   `json:"macs"`
	// LatencyMS is the candidate's estimated latency (ObjectiveLatency only).
	LatencyMS float64 `json:"latency_ms,omitempty"`
	// Fits: within Options.SRAMBudget and FlashBudget (true without budgets).
	Fits bool `json:"fits"`
	// Pareto: no other kept candidate has a lower-or-equal peak and MAC count
	// with one of them lower.
	Pareto    bool   `json:"pareto"`
	Conflicts int    `json:"conflicts,omitempty"`
	Error     string `json:"error,omitempty"`
}

// PlanExecution plans a graph for running its kernels (or pricing them):
// --auto keeps only conflict-free, executable schedules, and when TinyEngine's
// exact allocation would put two live buffers on the same bytes (its
// identical-lifetime rule, its quarter-size stride-2 shrink) the strict variant
// of the allocator is planned instead; note says so, and is empty otherwise.
func PlanExecution(g *models.Graph, opt Options) (plan *Plan, note string, err error) {
	prog, err := Lower(g)
	if err != nil {
		return nil, "", err
	}
	return prog.PlanExecution(opt)
}

// PlanExecution is PlanExecution on a lowered program, for callers that plan
// one graph many times (the estimator session).
func (prog *Program) PlanExecution(opt Options) (plan *Plan, note string, err error) {
	opt.Sound = true
	if plan, err = prog.Plan(opt); err != nil || len(plan.Conflicts) == 0 {
		return plan, "", err
	}
	c := plan.Conflicts[0]
	note = fmt.Sprintf("TinyEngine's allocation puts buffers %d and %d on the same bytes while both are live (step %d); used the strict variant of its allocator", c.A, c.B, c.Step)
	opt.Strict = true
	if plan, err = prog.Plan(opt); err != nil {
		return nil, "", err
	}
	if len(plan.Conflicts) > 0 {
		return nil, "", fmt.Errorf("the %s plan has live buffers on the same bytes even without TinyEngine's quirks", plan.Planner)
	}
	return plan, note, nil
}

// Plan plans the memory of a graph. It lowers the graph each call; callers that
// plan one graph many times use Program.Plan.
func PlanMemory(g *models.Graph, opt Options) (*Plan, error) {
	prog, err := Lower(g)
	if err != nil {
		return nil, err
	}
	return prog.Plan(opt)
}

// Plan plans the lowered program under the options.
func (prog *Program) Plan(opt Options) (*Plan, error) {
	pr, err := PlannerByName(opt.Planner)
	if err != nil {
		return nil, err
	}
	if opt.Auto {
		if opt.Patches != 0 || opt.SplitOp != 0 || opt.SplitBlock != 0 {
			return nil, fmt.Errorf("--auto searches the schedule itself; drop --patches/--split-op/--split-block")
		}
		if pr.Capabilities().Executable {
			// One answer for every verb: memory, fit, estimate and run all
			// keep the schedules that execute (issue 10).
			opt.Sound = true
		}
		return prog.autoPlan(pr, opt)
	}
	if opt.Patches < 0 {
		return nil, fmt.Errorf("--patches must be at least 1, got %d", opt.Patches)
	}
	if opt.Patches == 0 {
		if opt.SplitOp != 0 || opt.SplitBlock != 0 {
			return nil, fmt.Errorf("a split needs --patches P (P ≥ 1)")
		}
		return prog.plan(pr, opt, 0, 0)
	}
	if opt.SplitOp != 0 && opt.SplitBlock != 0 {
		return nil, fmt.Errorf("give either --split-op or --split-block, not both")
	}
	split := opt.SplitOp
	if opt.SplitBlock != 0 {
		k, err := prog.blockSplit(opt.SplitBlock)
		if err != nil {
			return nil, err
		}
		split = k
	} else if split == 0 {
		return nil, fmt.Errorf("--patches needs --split-op K or --split-block N (or use --auto)")
	}
	return prog.plan(pr, opt, opt.Patches, split)
}

// plan runs planner pr on one schedule; patches == 0 is layer-based.
func (prog *Program) plan(pr Planner, opt Options, patches, split int) (*Plan, error) {
	steps := prog.Steps
	var info *PatchInfo
	if patches > 0 {
		if !pr.Capabilities().Patches {
			return nil, fmt.Errorf("planner %s is layer-based only; patch-based schedules use the %s planner", pr.Name(), patchPlanners())
		}
		var err error
		steps, info, err = patchSchedule(prog, patches, split)
		if err != nil {
			return nil, err
		}
		info.SplitBlock = prog.splitBlockOf(split)
	}
	pl := &Plan{Model: prog.Graph.Name, Planner: pr.Name(), Schedule: "layer", Flash: prog.Flash,
		MACs: prog.MACs, Params: prog.Params, Patch: info}
	if info != nil {
		pl.Schedule = "patch"
	}
	src, err := inputSource(opt.InputSource)
	if err != nil {
		return nil, err
	}
	pl.InputSource, pl.InputBytes = src, prog.Input.Bytes()
	in := prog.inputCharge(steps, split, src, opt.omitInput)
	live, err := pr.place(prog, steps, split, opt, in, pl)
	if err != nil {
		return nil, err
	}
	pl.Scratch = pl.SBuf + pl.KBuf
	pl.PeakSRAM = pl.Arena + pl.Scratch
	pl.Conflicts = conflicts(pl.Buffers)
	switch {
	case in.bytes >= 0:
		pl.InputResident = in.bytes
	case split > 0:
		pl.InputResident = steps[0].Ins[0].Bytes() + in.frame
	default:
		pl.InputResident = pl.InputBytes
	}
	pl.InputNote = pl.inputNote(in)
	if !opt.search && !opt.omitInput {
		// The same schedule with no input byte in SRAM: what the input costs.
		without := opt
		without.omitInput, without.search, without.NoLayers = true, true, true
		wo, err := prog.plan(pr, without, patches, split)
		if err != nil {
			return nil, err
		}
		pl.PeakWithoutInput = wo.PeakSRAM
	}
	if !opt.NoLayers {
		pl.Layers = pr.layers(prog, steps, split, live)
	}
	return pl, nil
}

// splitBlockOf reports MCUNetV2's block count for a step split, or −1 when the
// split does not fall on a block boundary or the model has no blocks.
func (prog *Program) splitBlockOf(split int) int {
	s := prog.Steps
	if split <= 0 || split >= len(s) || s[split].Block < 0 || s[split-1].Block == s[split].Block {
		return -1
	}
	return s[split].Block
}

func (p *Plan) patches() int {
	if p.Patch == nil {
		return 0
	}
	return p.Patch.Patches
}

func maxOf(v []int) int {
	m := 0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// Shape is a tensor shape; it prints and marshals as "40x40x16". Formatting is
// left to output time so that planning (the NAS hot path) does no string work.
type Shape []int

func (s Shape) String() string { return models.ShapeString(s) }

// MarshalJSON writes the shape as a string such as "40x40x16".
func (s Shape) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

func stepLayers(steps []Step, live []int, split int) []Layer {
	out := make([]Layer, len(steps))
	dims := make([]int, 6*len(steps)) // one backing array for every shape
	for i := range steps {
		s := &steps[i]
		in, o := dims[6*i:6*i+3:6*i+3], dims[6*i+3:6*i+6:6*i+6]
		in[0], in[1], in[2] = s.Ins[0].H, s.Ins[0].W, s.Ins[0].C
		o[0], o[1], o[2] = s.Out.H, s.Out.W, s.Out.C
		out[i] = Layer{Index: i, Name: s.Name, Op: s.Kind.String(), Block: s.Block,
			InShape: in, OutShape: o, MACs: s.MACs, LiveBytes: live[i], Patch: i < split}
	}
	return out
}
