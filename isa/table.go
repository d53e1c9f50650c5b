package isa

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Table is the cycle cost table of one core: the cycles each class occupies,
// the resource it occupies them on, and the source of every number. Tables are
// immutable; WithOverrides returns a modified copy. A *Table is safe for
// concurrent use (as are its hooks, if the hook functions are).
type Table struct {
	core string
	// issueWidth is the number of instructions the core can issue per cycle.
	issueWidth float64
	// pairableLoads is the fraction of loads that can issue together with
	// another load (Cortex-M7 DTCM/D-cache bank rule); 0 on single-issue cores.
	pairableLoads float64
	cycles        [NumClasses]float64
	pipe          [NumClasses]pipe
	source        [NumClasses]string
	hooks         hooks
}

// pipe is the resource a class occupies on a dual-issue core. On a
// single-issue core every class is "whole".
type pipe uint8

const (
	pipeUnset pipe = iota // a hole: validate refuses it
	// whole: the instruction or event occupies the whole core for its cycles;
	// nothing issues beside it (single-issue cores, LDRD/LDM on the M7,
	// interlock stalls, a mispredicted branch).
	whole
	anySlot    // either slot, limited only by the issue width (simple ALU)
	macStore   // the one MAC pipe; stores share it (no MAC + store, no store + store)
	dspSlot0   // the DSP/bitfield ops, older slot only: one per cycle
	shifter    // the one early shifter: one shifted-operand op per cycle
	loadPipe   // two load pipes, load + load only across DTCM banks
	branchUnit // the one branch unit
	fpPipe     // the one FP pipe
	numPipes
)

var pipeNames = [numPipes]string{"unset", "whole", "any slot", "MAC/store", "DSP slot 0", "shifter", "load", "branch", "FP"}

// entry is one row of a cost table as the constructors write it.
type entry struct {
	class  Class
	cycles float64
	pipe   pipe
	source string
}

// build makes a table from its rows and validates it. A failure is a
// programming error in a constructor, so it panics.
func build(core string, issueWidth, pairableLoads float64, rows []entry) *Table {
	t := &Table{core: core, issueWidth: issueWidth, pairableLoads: pairableLoads}
	for _, r := range rows {
		if r.class < 0 || int(r.class) >= NumClasses || t.source[r.class] != "" {
			panic(fmt.Sprintf("isa: %s table: row %v is out of range or priced twice", core, r.class))
		}
		t.cycles[r.class], t.pipe[r.class], t.source[r.class] = r.cycles, r.pipe, r.source
	}
	if err := t.validate(); err != nil {
		panic(err)
	}
	return t
}

// validate refuses a table with a hole — a class without a price, a source or
// a pipe — or with a negative or non-finite number.
func (t *Table) validate() error {
	var errs []error
	if t.core == "" {
		errs = append(errs, errors.New("isa: table has no core name"))
	}
	if t.issueWidth != 1 && t.issueWidth != 2 {
		errs = append(errs, fmt.Errorf("isa: %s table: issue width %v, want 1 or 2", t.core, t.issueWidth))
	}
	if !(t.pairableLoads >= 0 && t.pairableLoads <= 1) {
		errs = append(errs, fmt.Errorf("isa: %s table: pairable-load fraction %v outside [0, 1]", t.core, t.pairableLoads))
	}
	for c := range Class(NumClasses) {
		switch {
		case t.source[c] == "":
			errs = append(errs, fmt.Errorf("isa: %s table: class %s is not priced (a hole)", t.core, c))
		case t.pipe[c] == pipeUnset || t.pipe[c] >= numPipes:
			errs = append(errs, fmt.Errorf("isa: %s table: class %s has no pipe", t.core, c))
		case t.issueWidth == 1 && t.pipe[c] != whole:
			errs = append(errs, fmt.Errorf("isa: %s table: class %s on pipe %q of a single-issue core", t.core, c, pipeNames[t.pipe[c]]))
		case !(t.cycles[c] >= 0) || math.IsInf(t.cycles[c], 1):
			errs = append(errs, fmt.Errorf("isa: %s table: class %s costs %v cycles; want a finite number ≥ 0", t.core, c, t.cycles[c]))
		}
	}
	return errors.Join(errs...)
}

// Core returns the core name, as in boards.toml ("cortex-m7").
func (t *Table) Core() string { return t.core }

// Cost returns the cycles the table charges for one instance of class c (one
// of Classes()) and the source row the number comes from.
func (t *Table) Cost(c Class) (cycles float64, source string) {
	return t.cycles[c], t.source[c]
}

// MemCost is the memory side of one block execution: the cycles the core
// waits on the memory banks beyond the zero-wait-state timing of the tables
// (flash wait states behind the accelerator, AXI-SRAM, cache misses). The
// caller — package mem — computes them from the accesses the block makes to
// each bank. The core is in order, so every stall cycle adds to the total.
type MemCost struct {
	LoadStall  float64 // waiting for load data
	StoreStall float64 // waiting for a full write buffer to drain
	FetchStall float64 // waiting for instruction fetch (code in flash)
}

// hooks observe pricing; only the tests set them (export_test.go). An unset
// hook costs one nil check per call.
type hooks struct {
	// Priced is called by Cycles with the mix, the core cycles (issue and
	// interlocks) and the memory stall cycles of one block execution.
	Priced func(m *Mix, core, stall float64)
}

// withHooks returns a copy of t that calls h.
func (t *Table) withHooks(h hooks) *Table {
	c := *t
	c.hooks = h
	return &c
}

// Cycles prices one execution of a block with mix m: core cycles plus the
// memory stalls mem. See the package documentation for the formula.
func (t *Table) Cycles(m *Mix, mem MemCost) float64 {
	var core float64
	if t.issueWidth == 1 {
		core = t.sum(m)
	} else {
		core = t.dualIssue(m)
	}
	stall := mem.LoadStall + mem.StoreStall + mem.FetchStall
	if t.hooks.Priced != nil {
		t.hooks.Priced(m, core, stall)
	}
	return core + stall
}

// sum is the single-issue formula Σ n·c, with three partial sums so that the
// additions do not wait on each other.
func (t *Table) sum(m *Mix) float64 {
	var a, b, c float64
	i := 0
	for ; i+3 <= NumClasses; i += 3 {
		a += m[i] * t.cycles[i]
		b += m[i+1] * t.cycles[i+1]
		c += m[i+2] * t.cycles[i+2]
	}
	for ; i < NumClasses; i++ {
		a += m[i] * t.cycles[i]
	}
	return a + b + c
}

// dualIssue is the dual-issue formula of the package documentation. The
// pipe totals live in locals rather than an array indexed by pipe, which keeps
// them in registers.
func (t *Table) dualIssue(m *Mix) float64 {
	var serial, alu, mac, dsp, shift, load, branch, fp float64
	for i, n := range m {
		if n == 0 {
			continue
		}
		c := n * t.cycles[i]
		switch t.pipe[i] {
		case whole:
			serial += c
		case anySlot:
			alu += c
		case macStore:
			mac += c
		case dspSlot0:
			dsp += c
		case shifter:
			shift += c
		case loadPipe:
			load += c
		case branchUnit:
			branch += c
		case fpPipe:
			fp += c
		}
	}
	bound := (alu + mac + dsp + shift + load + branch + fp) / t.issueWidth
	// Loads that find a partner on the other DTCM bank take half a cycle of
	// the load pipes each, the others a whole cycle.
	load *= 1 - t.pairableLoads/2
	for _, b := range [...]float64{mac, dsp, shift, load, branch, fp} {
		if b > bound {
			bound = b
		}
	}
	return serial + bound
}

// WithOverrides returns a copy of t with the cycles of some classes replaced:
// the [boards.<id>.cost_overrides] table of boards.toml, class name → cycles.
// An overridden class keeps its pipe. Unknown class names and negative or
// non-finite cycles are errors, reported all at once in name order.
func (t *Table) WithOverrides(overrides map[string]float64) (*Table, error) {
	if len(overrides) == 0 {
		return t, nil
	}
	c := *t
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(overrides)) {
		cl, err := ParseClass(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("isa: %s cost override %q: unknown instruction class; classes: %s",
				t.core, name, strings.Join(classNames[:], ", ")))
			continue
		}
		v := overrides[name]
		if !(v >= 0) || math.IsInf(v, 1) {
			errs = append(errs, fmt.Errorf("isa: %s cost override %s = %v: want a finite number of cycles ≥ 0", t.core, name, v))
			continue
		}
		c.cycles[cl] = v
		c.source[cl] = "cost_overrides in the board database"
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// ByName returns a new table for the core named as in boards.toml
// (mem.CortexM4, mem.CortexM7, mem.CortexM33): "cortex-m4", "cortex-m7" or
// "cortex-m33".
func ByName(core string) (*Table, error) {
	switch core {
	case "cortex-m4":
		return NewCortexM4(), nil
	case "cortex-m7":
		return NewCortexM7(), nil
	case "cortex-m33":
		return NewCortexM33(), nil
	}
	return nil, fmt.Errorf("isa: unknown core %q; supported cores: cortex-m4, cortex-m7, cortex-m33", core)
}
