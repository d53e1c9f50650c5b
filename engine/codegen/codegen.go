// Package codegen generates the WebAssembly module that runs a plan with a
// kernel style: one function per step mirroring the Cortex-M kernel block for
// block, a driver that runs the schedule (patch loop, stage copies), per-block
// execution counters and, in verify mode, a shadow map that traps when a
// kernel touches a byte another live buffer owns. Package wasm encodes it.
package codegen

import (
	"encoding/binary"
	"fmt"
	"slices"

	"mcusim/engine/codegen/wasm"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/models"
)

// CompileOptions select the kernel style and the instrumentation level.
type CompileOptions struct {
	Style kernels.Style
	// Verify adds the shadow-ownership checks on every activation load and store.
	Verify bool
}

// Slot is where the host writes an input or reads an output.
type Slot struct {
	Offset uint32 // address in linear memory
	Bytes  int
	// Tensor is the graph tensor the slot holds (the int8 side of a folded
	// QUANTIZE/DEQUANTIZE); Boundary is the graph's own input/output tensor, which
	// the host converts from/to (the same as Tensor when nothing was folded).
	Tensor, Boundary int
}

// Compiled is a generated WebAssembly module and what a runner needs to drive it.
type Compiled struct {
	Wasm     []byte
	Blocks   []kernels.BlockCount // the basic blocks, Count 0; a run's counts are Result.Counts
	Style    kernels.Style
	Verify   bool
	Plan     *plan.Plan
	Graph    *models.Graph
	Layout   Layout
	Inputs   []Slot
	Outputs  []Slot
	Buffers  []string // buffer names for trap messages, indexed like Plan.Buffers
	StepName []string
}

// Layout is the linear-memory map of a module, in bytes.
type Layout struct {
	Trap, Flash, Arena, Scratch, Input, Counters, Shadow uint32
	FlashBytes, ArenaBytes, ScratchBytes, InputBytes     int
	Pages                                                uint32
}

// TrapRecord layout at Layout.Trap, written by a failed check before it traps.
const (
	trapStep  = 0  // i32 executed step
	trapAddr  = 4  // i32 arena offset
	trapWant  = 8  // i32 expected owner tag (buffer index + 1)
	trapFound = 12 // i32 owner tag found (0 = free)
	trapWrite = 16 // i32 1 = store, 0 = load, 2 = claim
	trapBytes = 32
)

// Compile generates the WebAssembly module that runs a placement plan with the
// given kernel style. The arena is exactly plan.Arena bytes at the planner's
// offsets, so running the module proves the plan (DESIGN.md "A plan is checked by
// running it").
func Compile(g *models.Graph, pl *plan.Plan, opt CompileOptions) (*Compiled, error) {
	if pl.Exec == nil {
		if pr, err := plan.PlannerByName(pl.Planner); err == nil && pr.Capabilities().PlacesBuffers {
			return nil, fmt.Errorf("the %s plan places the graph's own tensors (every operator run, nothing folded); execution supports the tinyengine placement, so it cannot be executed yet; run with --planner tinyengine", pl.Planner)
		}
		return nil, fmt.Errorf("planner %s computes a closed-form peak without placing buffers, so it cannot be executed; run with --planner tinyengine", pl.Planner)
	}
	if err := opt.Style.Valid(); err != nil {
		return nil, err
	}
	if err := checkTransposes(g); err != nil {
		return nil, err
	}
	cg := &codegen{g: g, plan: pl, ex: pl.Exec, opt: opt, mod: &wasm.Module{}}
	return cg.compile()
}

// checkTransposes refuses a TRANSPOSE that moves data and is read by an
// operator other than MEAN. Lowering folds every TRANSPOSE into an alias of its
// input buffer (plan.Lower); only the MEAN kernel reads through the permutation
// (logicalStrides), so any other reader would see the untransposed bytes. A
// permutation that keeps the order of the dimensions larger than 1 moves
// nothing and is always fine; so is a TRANSPOSE whose output is only a graph
// output (the host converts it with the reference kernel).
func checkTransposes(g *models.Graph) error {
	for oi, op := range g.Ops {
		if op.Kind != models.Transpose || !movesData(g.In(op, 0).Shape, op.Axes) {
			continue
		}
		for ci, c := range g.Ops {
			if c.Kind == models.Mean || !slices.Contains(c.Inputs, op.Outputs[0]) {
				continue
			}
			return fmt.Errorf("operator %d (%s %q) reads the output of operator %d (TRANSPOSE %v), which moves data; the generated kernels run a data-moving TRANSPOSE only in front of MEAN, so this model cannot be executed (memory and estimate still work)",
				ci, c.Kind, c.Name, oi, op.Axes)
		}
	}
	return nil
}

// movesData reports whether permutation perm of a tensor of the given shape
// reorders its bytes: whether the dimensions larger than 1 change order. An
// unknown (non-constant) permutation counts as moving.
func movesData(shape, perm []int) bool {
	if len(perm) != len(shape) {
		return true
	}
	last := -1
	for _, p := range perm {
		if p < 0 || p >= len(shape) {
			return true
		}
		if shape[p] == 1 {
			continue
		}
		if p < last {
			return true
		}
		last = p
	}
	return false
}

type codegen struct {
	g    *models.Graph
	plan *plan.Plan
	ex   *plan.Execution
	opt  CompileOptions
	mod  *wasm.Module
	lay  Layout

	flash  []byte // the Flash image (weights, biases, tables)
	blocks []kernels.BlockCount

	fnRequant, fnClaim, fnRelease, fnCheck uint32
	fnHost                                 uint32
	ewChains                               [][]ewOp   // element-wise chains, indexed by stepKernel.extra[0]
	means                                  []meanPlan // MEAN steps, indexed by stepKernel.extra[0]
}

func align(n, a int) int { return (n + a - 1) / a * a }

// addFlash appends bytes to the Flash image (4-byte aligned) and returns their address.
func (cg *codegen) addFlash(b []byte) uint32 {
	for len(cg.flash)%4 != 0 {
		cg.flash = append(cg.flash, 0)
	}
	off := uint32(len(cg.flash))
	cg.flash = append(cg.flash, b...)
	return cg.lay.Flash + off
}

func (cg *codegen) addFlashI32(v []int32) uint32 {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return cg.addFlash(b)
}

// addBlocks registers the blocks of kernel k for step i from its block table
// (kernels.Spec) and returns their ids by kind.
func (cg *codegen) addBlocks(i int, k kernels.Kernel) (ids [kernels.NumBlockKinds]int) {
	specs := kernels.Spec(k, cg.ex.Steps[i].Kind)
	for j := range specs {
		ids[specs[j].Kind] = cg.addBlock(i, &specs[j], -1)
	}
	return ids
}

// addBlock registers one block of step i from its spec (index: the input of a
// concatenation copy, −1 otherwise) and returns its id.
func (cg *codegen) addBlock(i int, sp *kernels.BlockSpec, index int) int {
	b, _ := sp.Block(cg.ex, i, index, nil)
	cg.blocks = append(cg.blocks, b)
	return len(cg.blocks) - 1
}

// bufAddr is the absolute address of a plan buffer.
func (cg *codegen) bufAddr(b int) uint32 { return cg.lay.Arena + uint32(cg.plan.Buffers[b].Offset) }
