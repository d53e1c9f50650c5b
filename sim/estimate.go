package sim

import (
	"fmt"

	"mcusim/engine/codegen"
	"mcusim/engine/count"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/isa"
	"mcusim/mem"
	"mcusim/sim/wasmrun"
)

// ExecsOf pairs a module's blocks with a run's counts.
func ExecsOf(c *codegen.Compiled, res *wasmrun.Result) []kernels.BlockCount {
	out := make([]kernels.BlockCount, len(c.Blocks))
	for i, b := range c.Blocks {
		b.Count = res.Counts[i]
		out[i] = b
	}
	return out
}

// LayerEstimate is one operator's share of the estimate.
type LayerEstimate struct {
	Index      int        `json:"index"`
	Name       string     `json:"name"`
	Op         string     `json:"op"`
	Shape      plan.Shape `json:"shape"`
	MACs       int64      `json:"macs"`
	Cycles     float64    `json:"cycles"`
	MS         float64    `json:"ms"`
	StallShare float64    `json:"stall_share"`
}

// Estimate is the priced latency and energy of one plan on one board.
type Estimate struct {
	Board    string `json:"board"`
	Core     string `json:"core"`
	ClockMHz int    `json:"clock_mhz"`
	FlashWS  int    `json:"flash_wait_states"`
	Engine   string `json:"engine"`
	// EngineVersion says which library release the style models
	// (kernels.Style.Version).
	EngineVersion string  `json:"engine_version"`
	Cycles        float64 `json:"cycles"`
	StallCycles   float64 `json:"stall_cycles"`
	LatencyMS     float64 `json:"latency_ms"`
	EnergyMJ      float64 `json:"energy_mj"`
	// PowerMW is the board's power at ClockMHz (mem.Board.PowerAt), 0 when
	// unknown; EnergyUnknown then says why.
	PowerMW       float64       `json:"power_mw"`
	PowerBasis    string        `json:"power_basis,omitempty"`
	PowerNote     string        `json:"power_note,omitempty"`
	EnergyUnknown string        `json:"energy_unknown,omitempty"`
	Calibration   Calibration   `json:"calibration"`
	Placement     mem.Placement `json:"placement"`
	// ArenaSpans and ScratchSpans are the banks each region occupies, in
	// address order: a large arena spans several (DTCM then SRAM1).
	ArenaSpans   []mem.Span      `json:"arena_spans"`
	ScratchSpans []mem.Span      `json:"scratch_spans,omitempty"`
	Layers       []LayerEstimate `json:"layers"`
	Notes        []string        `json:"notes,omitempty"`
}

// PriceOptions select the board, its clock and the kernel style.
type PriceOptions struct {
	Board     *mem.Board
	ClockMHz  int // 0 = the board's maximum
	Style     kernels.Style
	Placement mem.Placement
	// NoLayers leaves Estimate.Layers out (the totals are the same): the
	// labelling mode of a NAS loop.
	NoLayers bool
}

// Pricer turns block executions into cycles (DESIGN.md "Cycle model"): every
// block costs its instruction mix on the board's core (isa) plus the memory
// stalls of the bytes it moves in the regions it touches (mem); a step's
// cycles are the sum over its blocks (its Demand timed with no contention,
// Demand.NoContention), scaled by the calibrated factor of (core, style).
// Latency = cycles / clock; energy = the board's power at the clock × latency
// (cortex-m.md §8, E = P·t).
//
// A Pricer serves one board, clock and kernel style; it keeps the core table,
// the calibration, the resolved mixes and the last memory cost model, so a NAS
// loop pays for them once. Not safe for concurrent use.
type Pricer struct {
	opt   PriceOptions
	core  *isa.Table
	cal   Calibration
	mixes [kernels.NumBlockKinds]*pricedKind // resolved on first use
	cmKey [3]int
	cm    *mem.CostModel
	// scratch holds the demand of Price and PriceEach, reused call after call
	// (the estimate keeps none of it); st is the pricing pass in progress and
	// visit its add method, bound once.
	scratch Demand
	st      pricing
	visit   count.BlockVisitor
	power   *powerAt
}

// powerAt is the board's power at one clock (mem.Board.PowerAt, PowerNote),
// resolved on the first estimate at that clock: it does not depend on the plan.
type powerAt struct {
	clockMHz int
	mw       float64
	note     string
	known    bool
	unknown  string // why the power is unknown
}

// powerAt returns the board's power at clockMHz.
func (p *Pricer) powerAt(clockMHz int) *powerAt {
	if p.power != nil && p.power.clockMHz == clockMHz {
		return p.power
	}
	b := p.opt.Board
	pa := &powerAt{clockMHz: clockMHz}
	if pw, err := b.PowerAt(clockMHz); err != nil {
		pa.unknown = err.Error()
	} else {
		pa.mw, pa.note, pa.known = pw, b.PowerNote(clockMHz), true
	}
	p.power = pa
	return pa
}

// pricedKind is a block kind's mixes and its core cycles per Per value (memory
// stalls add to core cycles, isa.Table.Cycles, so they are priced apart).
type pricedKind struct {
	base, per isa.Mix
	core      map[int]float64
}

// NewPricer prepares pricing for opt.
func NewPricer(opt PriceOptions) (*Pricer, error) {
	return NewPricerWith(opt, CalibrationFor(string(opt.Board.Core), opt.Style.String()))
}

// NewPricerWith prepares pricing for opt with a given calibration instead of the
// committed one (package sim/calib prices with factor 1 to fit the table).
func NewPricerWith(opt PriceOptions, cal Calibration) (*Pricer, error) {
	b := opt.Board
	core, err := isa.ByName(string(b.Core))
	if err != nil {
		return nil, err
	}
	if len(b.CostOverrides) > 0 {
		if core, err = core.WithOverrides(b.CostOverrides); err != nil {
			return nil, fmt.Errorf("board %s cost overrides: %v", b.ID, err)
		}
	}
	p := &Pricer{opt: opt, core: core, cal: cal, cmKey: [3]int{-1}}
	p.visit = p.st.add
	return p, nil
}

// Price prices one plan's block executions (an execution's, ExecsOf, or the
// closed form's, count.Counts.Blocks).
func (p *Pricer) Price(pl *plan.Plan, blocks []kernels.BlockCount) (*Estimate, error) {
	st, err := p.charge(pl, &p.scratch, false, blocks, false)
	if err != nil {
		return nil, err
	}
	return st.finish()
}

// PriceEach counts and prices a plan in one pass (count.CountEach): the NAS
// labelling path, with no per-block allocation. Same cycles as Count + Price.
func (p *Pricer) PriceEach(pl *plan.Plan) (*Estimate, error) {
	st, err := p.charge(pl, &p.scratch, false, nil, true)
	if err != nil {
		return nil, err
	}
	return st.finish()
}

// charge builds pl's demand into d, with its bytes per region when bytes is
// set, from the given block executions or, when closedForm is set, by the
// closed form in one pass (count.CountEach).
func (p *Pricer) charge(pl *plan.Plan, d *Demand, bytes bool, blocks []kernels.BlockCount, closedForm bool) (*pricing, error) {
	st, err := p.begin(pl, d, bytes)
	if err != nil {
		return nil, err
	}
	if closedForm {
		err = count.CountEach(pl, p.opt.Style, p.visit)
	} else {
		for i := range blocks {
			st.add(&blocks[i])
		}
	}
	if err == nil {
		err = st.err
	}
	if err == nil {
		st.settle()
	}
	return st, err
}

// settle charges each step's Flash reads through the cache-reuse closed form
// (mem.CostModel.ReadStallReuse) with the distinct bytes and the working set
// of its kernel's loop (kernels.Reuse): what the kernel reads once misses once,
// its re-reads hit when the working set fits the cache in front of Flash.
func (st *pricing) settle() {
	ex, d := st.pl.Exec, st.d
	for i, total := range st.flash {
		if total == 0 || i >= d.Steps {
			continue
		}
		unique, ws, ok := kernels.Reuse(st.p.opt.Style, ex, i)
		if !ok {
			unique, ws = int(total), int(total)
		}
		stall := st.cm.ReadStallReuse(mem.RegionFlash, total, float64(unique), float64(ws))
		d.Cycles[i] += stall
		d.Stall[i] += stall
	}
}

// pricing is one plan being priced: its demand, built block by block.
type pricing struct {
	p                     *Pricer
	pl                    *plan.Plan
	cm                    *mem.CostModel
	readStall, writeStall [mem.NumRegions]float64
	d                     *Demand
	// flash is the Flash bytes each step reads, priced per step by the
	// cache-reuse closed form (settle) rather than per byte.
	flash []float64
	err   error
}

// begin starts pricing pl into d; bytes keeps the per-region traffic (the
// estimate itself needs only cycles and stalls).
func (p *Pricer) begin(pl *plan.Plan, d *Demand, bytes bool) (*pricing, error) {
	if pl.Exec == nil {
		return nil, fmt.Errorf("planner %s places no buffers; estimates need the tinyengine placement", pl.Planner)
	}
	b, opt := p.opt.Board, p.opt
	// The input takes no SRAM region of its own: under plan.InputSRAM it is
	// an arena buffer (the plan's peak counts it), under plan.InputStream its
	// rows come from outside SRAM (a camera or decoder) and the plan counts
	// the rows or patch window it keeps.
	inputBytes := 0
	key := [3]int{pl.Arena, pl.SBuf + pl.KBuf, inputBytes}
	if key != p.cmKey {
		cm, err := b.CostModel(opt.ClockMHz, pl.Arena, pl.SBuf+pl.KBuf, inputBytes, opt.Placement)
		if err != nil {
			return nil, fmt.Errorf("OOM on %s: %w", b.ID, err)
		}
		p.cm, p.cmKey = cm, key
	}
	p.st = pricing{p: p, pl: pl, cm: p.cm, d: d, flash: p.st.flash[:0]}
	st := &p.st
	for range pl.Exec.Steps {
		st.flash = append(st.flash, 0)
	}
	// Stall cycles per byte by region, looked up once.
	st.readStall, st.writeStall = p.cm.ReadStall, p.cm.WriteStall
	d.reset(len(pl.Exec.Steps), bytes)
	return st, nil
}

// add charges one block to the demand: count × (core cycles of its mix +
// memory stalls), and count × its bytes per region when they are kept.
func (st *pricing) add(b *kernels.BlockCount) {
	if b.Count == 0 || st.err != nil {
		return
	}
	p, step, per, count, access := st.p, b.Step, b.Per, b.Count, b.Access
	if b.Kind >= kernels.NumBlockKinds {
		st.err = fmt.Errorf("operator %d: block kind %d is unknown", step, b.Kind)
		return
	}
	pk := p.mixes[b.Kind]
	if pk == nil {
		base, pm, err := kernels.StyleMix(p.opt.Style, b.Kind)
		if err != nil {
			st.err = fmt.Errorf("operator %d: %v", step, err)
			return
		}
		pk = &pricedKind{base: base, per: pm, core: map[int]float64{}}
		p.mixes[b.Kind] = pk
	}
	coreCyc, ok := pk.core[per]
	if !ok {
		mix := pk.base
		if per > 0 {
			mix.Add(&pk.per, float64(per))
		}
		coreCyc = p.core.Cycles(&mix, isa.MemCost{})
		pk.core[per] = coreCyc
	}
	d := st.d
	if step < 0 || step >= d.Steps {
		return
	}
	var stall float64
	for _, a := range access {
		if a.Region == mem.RegionFlash {
			st.flash[step] += float64(a.Read) * float64(count)
			continue
		}
		stall += float64(a.Read)*st.readStall[a.Region] + float64(a.Write)*st.writeStall[a.Region]
	}
	d.Cycles[step] += (coreCyc + stall) * float64(count)
	d.Stall[step] += stall * float64(count)
	if d.Region != nil {
		rs := d.Region[step*int(mem.NumRegions) : (step+1)*int(mem.NumRegions)]
		for _, a := range access {
			rs[a.Region].Read += count * uint64(a.Read)
			rs[a.Region].Write += count * uint64(a.Write)
		}
	}
}

// finish times the demand with no contention (Demand.NoContention), scales
// the layers by the calibration and adds up the totals.
func (st *pricing) finish() (*Estimate, error) {
	if st.err != nil {
		return nil, st.err
	}
	t := st.d.NoContention()
	p, pl, cm, cal := st.p, st.pl, st.cm, st.p.cal
	b := p.opt.Board
	est := &Estimate{Board: b.ID, Core: string(b.Core), ClockMHz: cm.ClockMHz, FlashWS: cm.FlashWS,
		Engine: p.opt.Style.String(), EngineVersion: p.opt.Style.Version(), Calibration: cal, Placement: cm.Placement, Notes: cm.Notes,
		ArenaSpans: cm.Spans[mem.RegionArena], ScratchSpans: cm.Spans[mem.RegionScratch]}
	steps := pl.Exec.Steps
	var dims []int
	if !p.opt.NoLayers {
		est.Layers = make([]LayerEstimate, len(steps))
		dims = make([]int, 3*len(steps)) // one backing array for every layer's shape
	}
	for i := range steps {
		s := &steps[i]
		calls := int64(1)
		if pl.Patch != nil && i < pl.Patch.SplitOp {
			calls = int64(pl.Patch.Patches * pl.Patch.Patches)
		}
		if dims != nil {
			dims[3*i], dims[3*i+1], dims[3*i+2] = s.Out.H, s.Out.W, s.Out.C
		}
		// The factor scales the core's cycles only; memory stalls come from
		// the memory model unscaled (DESIGN.md "Cycle model").
		c := (t.Cycles[i]-t.Stall[i])*cal.Factor + t.Stall[i] + cal.PerOperator*float64(calls)
		share := 0.0
		if t.Cycles[i] > 0 {
			share = t.Stall[i] / t.Cycles[i]
		}
		if est.Layers != nil {
			est.Layers[i] = LayerEstimate{Index: i, Name: s.Name, Op: s.Kind.String(),
				Shape: plan.Shape(dims[3*i : 3*i+3 : 3*i+3]), MACs: s.MACs * calls, Cycles: c,
				MS: c / float64(cm.ClockMHz) / 1e3, StallShare: share}
		}
		est.Cycles += c
		est.StallCycles += t.Stall[i]
	}
	est.LatencyMS = est.Cycles / float64(cm.ClockMHz) / 1e3
	// Energy = P(f) × latency at the clock of the estimate (cortex-m.md §8).
	if pa := p.powerAt(cm.ClockMHz); !pa.known {
		est.EnergyUnknown = pa.unknown
	} else {
		est.PowerMW, est.PowerBasis = pa.mw, b.PowerBasis
		est.EnergyMJ = pa.mw * est.LatencyMS / 1e3
		est.PowerNote = pa.note
	}
	return est, nil
}
