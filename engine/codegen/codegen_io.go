package codegen

import (
	"fmt"

	"mcusim/engine/ref"
	"mcusim/models"
)

// The host side of a folded boundary operator. A QUANTIZE at the network input or a
// DEQUANTIZE at its output is folded away by lowering (TinyEngine runs int8 end to
// end, claims.md §7.1), so the host converts with the reference kernel of the
// folded operator: a graph input into the tensor the kernels read, a kernel output
// into the graph's own output tensor.

// ToKernelInput converts the bytes of graph input s.Boundary into the bytes of
// s.Tensor, running the folded operators between them.
func ToKernelInput(g *models.Graph, s Slot, data []byte) ([]byte, error) {
	if n := g.Tensors[s.Boundary].Bytes(); len(data) != n {
		t := g.Tensors[s.Boundary]
		return nil, fmt.Errorf("input %s (%s %s) needs %d bytes, got %d", t.Name, t.DType, models.ShapeString(t.Shape), n, len(data))
	}
	return runChain(g, s.Boundary, s.Tensor, data)
}

// FromKernelOutput converts the bytes of kernel output s.Tensor into graph output
// s.Boundary.
func FromKernelOutput(g *models.Graph, s Slot, data []byte) ([]byte, error) {
	return runChain(g, s.Tensor, s.Boundary, data)
}

// runChain follows single-input operators from tensor from to tensor to and runs
// them with the reference kernels.
func runChain(g *models.Graph, from, to int, data []byte) ([]byte, error) {
	cur := append([]byte(nil), data...)
	for t := from; t != to; {
		var next *models.Op
		for _, op := range g.Ops {
			if len(op.Inputs) > 0 && op.Inputs[0] == t {
				next = op
				break
			}
		}
		if next == nil {
			return nil, fmt.Errorf("no operator leads from tensor %s to %s", g.Tensors[from].Name, g.Tensors[to].Name)
		}
		bufs := make([][]byte, len(g.Tensors))
		bufs[t] = cur
		if err := ref.RunOp(g, next, bufs); err != nil {
			return nil, fmt.Errorf("%s at the model boundary: %v", next.Kind, err)
		}
		t = next.Outputs[0]
		cur = bufs[t]
	}
	return cur, nil
}
