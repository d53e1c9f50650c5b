package wasm

import (
	"fmt"
	"sort"
)

// Code is the body of one function: a sequence of instructions (§5.4 Instructions, §5.4.9
// Expressions). The zero value is an empty body. Methods append one instruction each and never
// fail; the first structural mistake (an end with no open block, a branch past the outermost
// label, an alignment above the natural one) is kept and reported by Module.Encode, together
// with any block still open and any index the module does not have.
//
// The closing end of the function body is not emitted here; Module.Encode adds it.
type Code struct {
	buf    []byte
	labels []label // open block, loop and if instructions, innermost last
	n      int     // instructions emitted so far, to say where a mistake happened
	err    error

	// What the body refers to, checked against the module by Encode.
	localsUsed  uint64 // 1 + highest local index, 0 if none
	funcsUsed   uint64 // 1 + highest function index called, 0 if none
	globalsUsed uint64 // 1 + highest global index, 0 if none
	globalsSet  map[uint32]bool
	memoryUsed  bool
}

type label struct {
	opcode  byte // 0x02 block, 0x03 loop, 0x04 if
	bt      BlockType
	hasElse bool
}

// BlockType is the type of a block, loop or if (§5.4.1, blocktype): Void, or one result value
// type written as the ValType itself. Multi-value block types are not supported.
type BlockType byte

// Void is the empty block type: the block takes and leaves nothing on the stack.
const Void BlockType = 0x40

// Result is the block type of a block that leaves one value of type t.
func Result(t ValType) BlockType { return BlockType(t) }

func (bt BlockType) valid() bool { return bt == Void || ValType(bt).valid() }

func (c *Code) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("instruction %d: %s", c.n, fmt.Sprintf(format, args...))
	}
}

// op appends an instruction without immediates.
func (c *Code) op(opcode byte) {
	c.buf = append(c.buf, opcode)
	c.n++
}

// opU32 appends an instruction with one u32 immediate (an index or label depth).
func (c *Code) opU32(opcode byte, v uint32) {
	c.buf = appendU32(append(c.buf, opcode), v)
	c.n++
}

// finish checks the body once nothing more will be appended.
func (c *Code) finish() error {
	if c.err != nil {
		return c.err
	}
	if len(c.labels) > 0 {
		return fmt.Errorf("%d block(s) still open at the end of the body; every Block, Loop and If needs an End", len(c.labels))
	}
	return nil
}

// globalsSetSorted lists the globals the body writes, in increasing order.
func (c *Code) globalsSetSorted() []uint32 {
	idx := make([]uint32, 0, len(c.globalsSet))
	for g := range c.globalsSet {
		idx = append(idx, g)
	}
	sort.Slice(idx, func(i, j int) bool { return idx[i] < idx[j] })
	return idx
}

// Control instructions (§5.4.1): unreachable 0x00, nop 0x01, block 0x02, loop 0x03, if 0x04,
// else 0x05, end 0x0B, br 0x0C, br_if 0x0D, return 0x0F, call 0x10. A branch's label depth
// counts open structured instructions outward from the innermost (0); the depth equal to the
// number of open blocks names the function body itself and acts as a return (§3.3.8).

// Unreachable traps unconditionally.
func (c *Code) Unreachable() { c.op(0x00) }

// Nop does nothing.
func (c *Code) Nop() { c.op(0x01) }

// Block opens a block; a branch to it jumps past its End.
func (c *Code) Block(bt BlockType) { c.open(0x02, "block", bt) }

// Loop opens a loop; a branch to it jumps back to its start.
func (c *Code) Loop(bt BlockType) { c.open(0x03, "loop", bt) }

// If pops an i32 and runs the following instructions if it is not zero, else those after Else.
// An If with a result type needs an Else.
func (c *Code) If(bt BlockType) { c.open(0x04, "if", bt) }

func (c *Code) open(opcode byte, name string, bt BlockType) {
	if !bt.valid() {
		c.fail("%s: block type %#x is neither Void nor a value type", name, byte(bt))
	}
	c.labels = append(c.labels, label{opcode: opcode, bt: bt})
	c.buf = append(c.buf, opcode, byte(bt))
	c.n++
}

// Else starts the alternative of the innermost If.
func (c *Code) Else() {
	if len(c.labels) == 0 || c.labels[len(c.labels)-1].opcode != 0x04 {
		c.fail("else without an open if")
	} else if l := &c.labels[len(c.labels)-1]; l.hasElse {
		c.fail("second else for the same if")
	} else {
		l.hasElse = true
	}
	c.op(0x05)
}

// End closes the innermost Block, Loop or If.
func (c *Code) End() {
	if len(c.labels) == 0 {
		c.fail("end without an open block (the function's own end is added by Encode)")
	} else {
		l := c.labels[len(c.labels)-1]
		if l.opcode == 0x04 && l.bt != Void && !l.hasElse {
			c.fail("if with result %s has no else", ValType(l.bt))
		}
		c.labels = c.labels[:len(c.labels)-1]
	}
	c.op(0x0b)
}

// Br branches to the label depth levels out.
func (c *Code) Br(depth uint32) { c.branch(0x0c, "br", depth) }

// BrIf pops an i32 and branches to the label depth levels out if it is not zero.
func (c *Code) BrIf(depth uint32) { c.branch(0x0d, "br_if", depth) }

func (c *Code) branch(opcode byte, name string, depth uint32) {
	if uint64(depth) > uint64(len(c.labels)) {
		c.fail("%s %d: label depth beyond the %d enclosing label(s)", name, depth, len(c.labels)+1)
	}
	c.opU32(opcode, depth)
}

// Return leaves the function with the results on the stack.
func (c *Code) Return() { c.op(0x0f) }

// Call calls function funcIdx (imported functions first, then defined ones).
func (c *Code) Call(funcIdx uint32) {
	c.funcsUsed = max(c.funcsUsed, uint64(funcIdx)+1)
	c.opU32(0x10, funcIdx)
}

// Parametric instructions (§5.4.3): drop 0x1A, select 0x1B (the untyped form, for numbers).

// Drop discards the top of the stack.
func (c *Code) Drop() { c.op(0x1a) }

// Select pops a condition c and two values a, b and pushes a if c is not zero, else b.
func (c *Code) Select() { c.op(0x1b) }

// Variable instructions (§5.4.4): local.get 0x20, local.set 0x21, local.tee 0x22,
// global.get 0x23, global.set 0x24. Locals number the parameters first, then the locals given
// to AddFunc.

// LocalGet pushes local idx.
func (c *Code) LocalGet(idx uint32) { c.local(0x20, idx) }

// LocalSet pops a value into local idx.
func (c *Code) LocalSet(idx uint32) { c.local(0x21, idx) }

// LocalTee stores the top of the stack into local idx and keeps it on the stack.
func (c *Code) LocalTee(idx uint32) { c.local(0x22, idx) }

func (c *Code) local(opcode byte, idx uint32) {
	c.localsUsed = max(c.localsUsed, uint64(idx)+1)
	c.opU32(opcode, idx)
}

// GlobalGet pushes global idx.
func (c *Code) GlobalGet(idx uint32) {
	c.globalsUsed = max(c.globalsUsed, uint64(idx)+1)
	c.opU32(0x23, idx)
}

// GlobalSet pops a value into global idx, which must be mutable.
func (c *Code) GlobalSet(idx uint32) {
	c.globalsUsed = max(c.globalsUsed, uint64(idx)+1)
	if c.globalsSet == nil {
		c.globalsSet = make(map[uint32]bool)
	}
	c.globalsSet[idx] = true
	c.opU32(0x24, idx)
}
