package codegen

import (
	"encoding/binary"
	"fmt"

	"mcusim/engine/codegen/wasm"
	"mcusim/engine/kernels"
	"mcusim/engine/ref"
)

// Host operators. SOFTMAX (gemmlowp fixed-point exp and reciprocal),
// RESIZE_NEAREST_NEIGHBOR and a PAD that no convolution absorbs run at the end of
// a network or between stages; their generated function counts one block and
// calls the imported `env.host_op(step)`, which runs the reference kernel on the
// operands in linear memory (Compiled.HostOp). They are a negligible share of
// the work, and the reference kernel is the arithmetic the WASM version would
// have to reproduce bit for bit anyway. See RATIONALE.md.

// importHost declares env.host_op before any function is added (imports come
// first in the function index space, WebAssembly Core §2.5.1).
func (cg *codegen) importHost() {
	for i := range cg.ex.Steps {
		if kernels.Host(cg.ex.Steps[i].Kind) {
			ty := cg.mod.AddType([]wasm.ValType{wasm.I32}, nil)
			cg.fnHost = cg.mod.ImportFunc("env", "host_op", ty)
			return
		}
	}
}

// genHostStep emits a host operator's function.
func (cg *codegen) genHostStep(i int, f *kfn) {
	s := &cg.ex.Steps[i]
	b := cg.addBlocks(i, kernels.KernelHost)[kernels.Spec(kernels.KernelHost, s.Kind)[0].Kind]
	f.count(b)
	f.c.I32Const(int32(i))
	f.c.Call(cg.fnHost)
}

// HostOp runs host operator step on the module memory: it reads the step's
// inputs from their arena buffers, runs the reference kernel and writes the
// output buffer. In verify mode it checks the shadow ownership of every byte it
// touches, as the generated kernels do.
func (c *Compiled) HostOp(step int, mem []byte) error {
	ex, pl, g := c.Plan.Exec, c.Plan, c.Graph
	if step < 0 || step >= len(ex.Steps) {
		return fmt.Errorf("host_op: step %d out of range", step)
	}
	s := &ex.Steps[step]
	op := s.Op
	bufs := make([][]byte, len(g.Tensors))
	j := 0
	arena := func(b, n int) (int, error) {
		off := int(c.Layout.Arena) + pl.Buffers[b].Offset
		if off+n > len(mem) {
			return 0, fmt.Errorf("%s: buffer beyond memory", c.StepName[step])
		}
		if c.Verify {
			for a := pl.Buffers[b].Offset; a < pl.Buffers[b].Offset+n; a++ {
				sh := int(c.Layout.Shadow) + 2*a
				if tag := int(binary.LittleEndian.Uint16(mem[sh:])); tag != b+1 {
					return 0, fmt.Errorf("clobber: %s touches arena offset %d of buffer %d (%s), owned by tag %d", c.StepName[step], a, b, c.Buffers[b], tag)
				}
			}
		}
		return off, nil
	}
	for _, t := range op.Inputs {
		if t < 0 {
			continue
		}
		if g.Tensors[t].Const {
			bufs[t] = g.Tensors[t].Data
			continue
		}
		n := g.Tensors[t].Bytes()
		off, err := arena(ex.In[step][j], n)
		if err != nil {
			return err
		}
		bufs[t] = append([]byte(nil), mem[off:off+n]...)
		j++
	}
	if err := ref.RunOp(g, op, bufs); err != nil {
		return fmt.Errorf("%s: %v", c.StepName[step], err)
	}
	res := bufs[op.Outputs[0]]
	off, err := arena(ex.Out[step], len(res))
	if err != nil {
		return err
	}
	copy(mem[off:], res)
	return nil
}
