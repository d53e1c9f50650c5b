package sim

import (
	"fmt"

	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/mem"
)

// Demand is what one plan asks of the machine, step by step (a step is an
// operator of plan.Exec.Steps), before any timing: the cycles of the core and
// of the memory stalls it would pay with the memory to itself, and the bytes
// it moves in each memory region and each bank. Figures are uncalibrated
// (Estimate applies Calibration.Factor). Per-region and per-bank figures sit
// in flat arrays: step s, region r is Region[s*mem.NumRegions+int(r)]; step s,
// bank k is Bank[s*len(Banks)+k].
type Demand struct {
	Steps int
	// Banks names the banks of the per-bank figures (mem.CostModel.Banks:
	// the flash, then the SRAM banks in address order). Shared: do not modify.
	Banks []string
	// Cycles[s] is step s's core cycles plus its memory stalls when nothing
	// else uses the memory: Σ over its blocks of executions × (cycles of the
	// block's mix on the core + bytes × stall per byte of their region).
	Cycles []float64
	// Stall[s] is the memory-stall part of Cycles[s]; the core's own cycles
	// are Cycles[s] − Stall[s].
	Stall  []float64
	Region []mem.Traffic
	// Bank is Region split over the banks each region occupies
	// (mem.CostModel.SplitByBank: by the region's share of each bank).
	Bank []mem.Traffic
}

// Timing is how long each step of a Demand takes, in uncalibrated core cycles.
type Timing struct {
	Cycles []float64 // per step
	Stall  []float64 // the part of Cycles spent waiting for memory
}

// NoContention times d with nothing contending for the memory: each step takes
// its core cycles plus its stalls at the unloaded stall per byte of mem's cost
// model, one step after the other. It is the plain sum the estimates have
// always used (DESIGN.md "Cycle model"); bus contention is the discrete-event
// machine's. The slices alias d's.
func (d *Demand) NoContention() Timing { return Timing{Cycles: d.Cycles, Stall: d.Stall} }

// reset sizes d for n steps with zero figures, reusing its arrays; bytes says
// whether per-region traffic is kept (Bank is filled by splitBanks).
func (d *Demand) reset(n int, bytes bool) {
	d.Steps, d.Banks, d.Bank = n, nil, nil
	d.Cycles = zeroed(d.Cycles, n)
	d.Stall = zeroed(d.Stall, n)
	d.Region = nil
	if bytes {
		d.Region = make([]mem.Traffic, n*int(mem.NumRegions))
	}
}

func zeroed(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// splitBanks fills d.Bank from d.Region with cm's placement.
func (d *Demand) splitBanks(cm *mem.CostModel) error {
	d.Banks = cm.Banks
	d.Bank = make([]mem.Traffic, d.Steps*len(d.Banks))
	for s := range d.Steps {
		for r := range mem.NumRegions {
			if !cm.SplitByBank(r, d.Region[s*int(mem.NumRegions)+int(r)], d.Bank[s*len(d.Banks):(s+1)*len(d.Banks)]) {
				return fmt.Errorf("operator %d moves bytes in the %s region, which the plan does not place", s, r)
			}
		}
	}
	return nil
}

// Demand returns the demand of one plan's block executions (an execution's,
// ExecsOf, or the closed form's, count.Counts.Blocks).
func (p *Pricer) Demand(pl *plan.Plan, blocks []kernels.BlockCount) (*Demand, error) {
	st, err := p.charge(pl, &Demand{}, true, blocks, false)
	if err != nil {
		return nil, err
	}
	return st.demand()
}

// DemandEach counts a plan by the closed form (count.CountEach) and returns
// its demand; the same figures as Demand with count.Count's executions.
func (p *Pricer) DemandEach(pl *plan.Plan) (*Demand, error) {
	st, err := p.charge(pl, &Demand{}, true, nil, true)
	if err != nil {
		return nil, err
	}
	return st.demand()
}

// demand finishes a demand: the per-bank split.
func (st *pricing) demand() (*Demand, error) {
	if err := st.d.splitBanks(st.cm); err != nil {
		return nil, err
	}
	return st.d, nil
}
