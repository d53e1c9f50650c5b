package codegen

import (
	"fmt"

	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/models"
)

// prepare writes a step's constants into Flash and checks that it can run.
func (cg *codegen) prepare(i int) (stepKernel, error) {
	s := &cg.ex.Steps[i]
	if kernels.Host(s.Kind) {
		if i < cg.ex.Split {
			return stepKernel{}, fmt.Errorf("%s cannot run in the patch stage", s.Kind)
		}
		return stepKernel{}, nil
	}
	switch s.Kind {
	case models.Conv2D, models.DepthwiseConv2D, models.FullyConnected:
		if s.Kind == models.FullyConnected && cg.g.Out(s.Op, 0).Elements() != s.Cout {
			return stepKernel{}, fmt.Errorf("batched FULLY_CONNECTED is not supported")
		}
		return cg.prepareConv(s)
	case models.Add, models.Mul:
		return cg.prepareElementwise(s)
	case models.AveragePool, models.MaxPool:
		return cg.preparePool(s)
	case models.Concat:
		return cg.prepareConcat(s)
	case models.Mean:
		return cg.prepareMean(s)
	}
	return stepKernel{}, fmt.Errorf("%s cannot be executed yet; supported: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, MUL, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, CONCATENATION (and SOFTMAX, RESIZE_NEAREST_NEIGHBOR, PAD through the host)", s.Kind)
}

// genStep generates the function of step i in the configured style.
func (cg *codegen) genStep(i int, k *stepKernel) error {
	s := &cg.ex.Steps[i]
	kern, err := kernels.Choose(cg.opt.Style, s, cg.ex.In[i][0] == cg.ex.Out[i])
	if err != nil {
		return err
	}
	// Scratch accesses are not shadow-checked: a kernel that needs more than
	// the plan's sbuf + kbuf would silently overwrite what follows (the input
	// image, the shadow, the counters), so such a plan is refused here.
	if need := kernels.ScratchNeed(kern, s); need > cg.lay.ScratchBytes {
		return fmt.Errorf("the kernel needs %d bytes of scratch, the plan provides %d (sbuf %d + kbuf %d)", need, cg.lay.ScratchBytes, cg.plan.SBuf, cg.plan.KBuf)
	}
	f := cg.newFn(numStepParams)
	switch kern {
	case kernels.KernelHost:
		cg.genHostStep(i, f)
	case kernels.KernelConvPlain:
		cg.genConvPlain(i, k, f)
	case kernels.KernelConvTiled, kernels.KernelConvDirect:
		cg.genConvTiled(i, kern, k, f)
	case kernels.KernelDepthwisePlane:
		cg.genDepthwisePlane(i, k, f)
	case kernels.KernelDepthwisePlain:
		cg.genDepthwisePlain(i, k, f)
	case kernels.KernelElementwise:
		cg.genElementwise(i, k, f)
	case kernels.KernelPool:
		cg.genPool(i, k, f)
	case kernels.KernelConcat:
		cg.genConcat(i, k, f)
	case kernels.KernelMean:
		cg.genMean(i, k, f)
	}
	k.fn = f.add(fmt.Sprintf("op%d_%s", i, s.Kind), stepParamTypes, nil)
	return nil
}

// ewOperand is one input of an element-wise step: an activation (arena operand
// index j) or a constant in Flash, broadcast when it has one value per channel
// or a single value.
type ewOperand struct {
	act   int // index into Step.Ins, −1 for a constant
	flash uint32
	bcast int // 0 none, 1 per channel (1×1×C), 2 scalar
	off   int32
}

// ewOp is one element-wise operator of the chain a step runs (the fused SE tail
// runs ADD, MUL on the gate before the final MUL).
type ewOp struct {
	kind          models.OpKind
	a, b          ewOperand // b.act == −2 means "the previous result"
	add           models.AddParams
	mult          int32
	shift         int32
	outZP, lo, hi int32
}

// prepareElementwise derives TFLite's quantized ADD (reference/integer_ops/add.h,
// params from add.cc) and MUL (reference/integer_ops/mul.h: output multiplier
// from (double)s1·(double)s2/(double)s_out) parameters for every operator of the
// step, the fused ones first.
func (cg *codegen) prepareElementwise(s *plan.Step) (stepKernel, error) {
	g := cg.g
	ops := append(append([]*models.Op(nil), s.Fused...), s.Op)
	var chain []ewOp
	prevOut := -1
	for n, op := range ops {
		e := ewOp{kind: op.Kind}
		out := g.Out(op, 0)
		qout, err := models.PerTensorQuant(out)
		if err != nil {
			return stepKernel{}, err
		}
		var qs [2]models.TensorQuant
		var opnds [2]ewOperand
		for j := 0; j < 2; j++ {
			t := op.Inputs[j]
			tt := g.Tensors[t]
			if qs[j], err = models.PerTensorQuant(tt); err != nil {
				return stepKernel{}, err
			}
			o := ewOperand{off: -qs[j].ZP}
			switch {
			case t == prevOut:
				o.act = -2
			case tt.Const:
				if tt.DType != models.Int8 || tt.Data == nil {
					return stepKernel{}, fmt.Errorf("constant operand %s must be int8 with data", tt.Name)
				}
				o.act, o.flash = -1, cg.addFlash(tt.Data)
			default:
				o.act = -3
				for j, a := range s.Ins {
					if a.Group == cg.ex.TensorGroup[t] {
						o.act = j
					}
				}
				if o.act < 0 {
					return stepKernel{}, fmt.Errorf("operand %s is not an input of the step", tt.Name)
				}
			}
			// Broadcast relative to the loop domain: the step's final output
			// (the SE gate chain runs on 1×1×C values inside the H×W×C loop).
			final := g.Out(s.Op, 0)
			oc := final.Dim(-1)
			switch n := tt.Elements(); {
			case n == final.Elements():
			case n == 1:
				o.bcast = 2
			case n == oc && tt.Dim(-1) == oc:
				o.bcast = 1
			default:
				return stepKernel{}, fmt.Errorf("operand %s of shape %v does not broadcast to %v", tt.Name, tt.Shape, final.Shape)
			}
			opnds[j] = o
		}
		// The gate chain (fused ops) must read the previous result.
		if n > 0 && opnds[0].act != -2 && opnds[1].act != -2 {
			return stepKernel{}, fmt.Errorf("fused operator chain is not linear")
		}
		e.a, e.b = opnds[0], opnds[1]
		e.outZP = qout.ZP
		if e.lo, e.hi, err = models.OutputActivationRange(op.Act, out, qout); err != nil {
			return stepKernel{}, err
		}
		if op.Kind == models.Add {
			if e.add, err = models.NewAddParams(qs[0].Scale, qs[1].Scale, qout.Scale); err != nil {
				return stepKernel{}, err
			}
		} else {
			m, sh := models.QuantizeMultiplier(float64(qs[0].Scale) * float64(qs[1].Scale) / float64(qout.Scale))
			e.mult, e.shift = m, int32(sh)
		}
		chain = append(chain, e)
		prevOut = op.Outputs[0]
	}
	cg.ewChains = append(cg.ewChains, chain)
	return stepKernel{extra: []int32{int32(len(cg.ewChains) - 1)}}, nil
}

// genElementwise emits the element loop of an ADD/MUL step over the output
// window. Blocks: elem (one output element through the whole chain).
func (cg *codegen) genElementwise(i int, k *stepKernel, f *kfn) {
	s := &cg.ex.Steps[i]
	chain := cg.ewChains[k.extra[0]]
	outT := cg.outTag(i)
	C := s.Out.C
	bElem := cg.addBlocks(i, kernels.KernelElementwise)[kernels.EWElem]
	y, x, c, a, v, w, r := f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32()
	outBase := int32(cg.bufAddr(cg.ex.Out[i]))
	// load pushes operand o at (y, x, c) of the output window.
	load := func(o ewOperand) {
		switch {
		case o.act == -2:
			f.c.LocalGet(r)
			return
		case o.act == -1:
			f.c.I32Const(int32(o.flash))
			if o.bcast == 1 {
				f.c.LocalGet(c)
				f.c.I32Add()
			}
			f.c.I32Load8S(0, 0)
		default:
			base := int32(cg.bufAddr(cg.ex.In[i][o.act]))
			tag := cg.inTag(i, o.act)
			in := s.Ins[o.act]
			py, px := uint32(pIY0), uint32(pIX0)
			if o.act == 1 {
				py, px = pRY0, pRX0
			}
			switch o.bcast {
			case 2:
				f.set(a, func() { f.c.I32Const(base) })
			case 1:
				f.set(a, func() { f.lin(base, 1, c) })
			default:
				// a = base + ((oy0 + y − iy0)·W + (ox0 + x − ix0))·C + c
				f.set(a, func() {
					f.lin(base, in.W*C, uint32(pOY0), in.W*C, y, -in.W*C, py, C, uint32(pOX0), C, x, -C, px, 1, c)
				})
			}
			f.loadArena8(a, tag)
		}
		f.c.I32Const(o.off)
		f.c.I32Add()
	}
	f.forN(y, s.Out.H, func() {
		f.forN(x, s.Out.W, func() {
			f.forN(c, C, func() {
				f.count(bElem)
				for n, e := range chain {
					if e.kind == models.Add {
						p := e.add
						load(e.a)
						f.shl(int32(p.LeftShift))
						f.requantConst(p.Input1Multiplier, int32(p.Input1Shift))
						f.c.LocalSet(v)
						load(e.b)
						f.shl(int32(p.LeftShift))
						f.requantConst(p.Input2Multiplier, int32(p.Input2Shift))
						f.c.LocalGet(v)
						f.c.I32Add()
						f.requantConst(p.OutputMultiplier, int32(p.OutputShift))
					} else {
						load(e.a)
						f.c.LocalSet(w)
						load(e.b)
						f.c.LocalGet(w)
						f.c.I32Mul()
						f.requantConst(e.mult, e.shift)
					}
					f.c.I32Const(e.outZP)
					f.c.I32Add()
					f.c.LocalSet(r)
					f.clamp(r, e.lo, e.hi)
					// An intermediate result stays in r; the next operator's load(−2)
					// re-centres it by its own operand offset.
					if n == len(chain)-1 {
						f.set(a, func() { f.lin(outBase, s.Out.W*C, y, C, x, 1, c) })
						f.storeArena8(a, r, outT)
					}
				}
			})
		})
	})
}

// shl multiplies the i32 on the stack by 2^n (TFLite's x·(1 << left_shift)).
func (f *kfn) shl(n int32) {
	f.c.I32Const(n)
	f.c.I32Shl()
}

// requantConst applies requant with constant parameters to the i32 on the stack.
func (f *kfn) requantConst(mult, shift int32) {
	f.c.I32Const(mult)
	f.c.I32Const(shift)
	f.c.Call(f.cg.fnRequant)
}

// preparePool derives TFLite's int8 pooling parameters
// (reference/integer_ops/pooling.h): the activation clamp only.
func (cg *codegen) preparePool(s *plan.Step) (stepKernel, error) {
	out := cg.g.Out(s.Op, 0)
	q, err := models.PerTensorQuant(out)
	if err != nil {
		return stepKernel{}, err
	}
	qin, err := models.PerTensorQuant(cg.g.In(s.Op, 0))
	if err != nil {
		return stepKernel{}, err
	}
	if !q.Same(qin) {
		return stepKernel{}, fmt.Errorf("pooling with different input and output quantization is not supported")
	}
	k := stepKernel{outZP: q.ZP}
	k.actMin, k.actMax, err = models.OutputActivationRange(s.Op.Act, out, q)
	return k, err
}

// genPool is TFLite's int8 AveragePool / MaxPool (reference/integer_ops/
// pooling.h): the window is clipped to the input, the average divides by the
// number of taps inside with RoundedDivide, the max starts at −128.
// Blocks: out (one output), tap.
func (cg *codegen) genPool(i int, k *stepKernel, f *kfn) {
	s, full := &cg.ex.Steps[i], &cg.ex.Full[i]
	inT, outT := cg.inTag(i, 0), cg.outTag(i)
	H, W := full.Ins[0].H, full.Ins[0].W
	inW, C := s.Ins[0].W, s.Out.C
	avg := s.Kind == models.AveragePool
	inBase := int32(cg.bufAddr(cg.ex.In[i][0]))
	outBase := int32(cg.bufAddr(cg.ex.Out[i]))
	ids := cg.addBlocks(i, kernels.KernelPool)
	bOut, bTap := ids[kernels.PoolOut], ids[kernels.PoolTap]
	y, x, c, ky, kx, iy, ix, a, acc, cnt, t := f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32()
	f.forN(y, s.Out.H, func() {
		f.forN(x, s.Out.W, func() {
			f.forN(c, C, func() {
				f.count(bOut)
				if avg {
					f.c.I32Const(0)
				} else {
					f.c.I32Const(-128)
				}
				f.c.LocalSet(acc)
				f.c.I32Const(0)
				f.c.LocalSet(cnt)
				f.forN(ky, s.KH, func() {
					f.set(iy, func() { f.lin(int32(-s.Pad.Top), s.SH, uint32(pOY0), s.SH, y, 1, ky) })
					f.ifThen(func() { f.inRange(iy, H) }, func() {
						f.forN(kx, s.KW, func() {
							f.set(ix, func() { f.lin(int32(-s.Pad.Left), s.SW, uint32(pOX0), s.SW, x, 1, kx) })
							f.ifThen(func() { f.inRange(ix, W) }, func() {
								f.count(bTap)
								f.set(a, func() { f.lin(inBase, inW*C, iy, -inW*C, uint32(pIY0), C, ix, -C, uint32(pIX0), 1, c) })
								if avg {
									f.c.LocalGet(acc)
									f.loadArena8(a, inT)
									f.c.I32Add()
									f.c.LocalSet(acc)
									f.inc(cnt, 1)
								} else {
									f.loadArena8(a, inT)
									f.c.LocalTee(t)
									f.c.LocalGet(acc)
									f.c.LocalGet(t)
									f.c.LocalGet(acc)
									f.c.I32GtS()
									f.c.Select()
									f.c.LocalSet(acc)
								}
							})
						})
					})
				})
				if avg {
					f.roundedDivideBy(acc, func() { f.c.LocalGet(cnt) })
				}
				f.clamp(acc, k.actMin, k.actMax)
				f.set(a, func() { f.lin(outBase, s.Out.W*C, y, C, x, 1, c) })
				f.storeArena8(a, acc, outT)
			})
		})
	})
}

// prepareConcat checks TFLite's same-quantization fast path of CONCATENATION
// (reference_ops::Concatenation copies bytes when every input shares the
// output's scale and zero point).
func (cg *codegen) prepareConcat(s *plan.Step) (stepKernel, error) {
	out := cg.g.Out(s.Op, 0)
	qo, err := models.PerTensorQuant(out)
	if err != nil {
		return stepKernel{}, err
	}
	for _, t := range s.Op.Inputs {
		q, err := models.PerTensorQuant(cg.g.Tensors[t])
		if err != nil {
			return stepKernel{}, err
		}
		if !q.Same(qo) || cg.g.Tensors[t].Const {
			return stepKernel{}, fmt.Errorf("concatenation with requantization or constant inputs is not supported")
		}
	}
	if s.Op.Axis != len(out.Shape)-1 {
		return stepKernel{}, fmt.Errorf("concatenation along axis %d is not supported (channels only)", s.Op.Axis)
	}
	return stepKernel{}, nil
}

// genConcat copies each input's channels of every pixel into the output.
// Blocks: copy (one input's channels of one pixel).
func (cg *codegen) genConcat(i int, k *stepKernel, f *kfn) {
	s := &cg.ex.Steps[i]
	outT := cg.outTag(i)
	C := s.Out.C
	outBase := int32(cg.bufAddr(cg.ex.Out[i]))
	p, a, d, c, v := f.i32(), f.i32(), f.i32(), f.i32(), f.i32()
	off := 0
	for j, in := range s.Ins {
		bCopy := cg.addBlock(i, &kernels.Spec(kernels.KernelConcat, s.Kind)[0], j)
		base := int32(cg.bufAddr(cg.ex.In[i][j]))
		tag := cg.inTag(i, j)
		f.forN(p, s.Out.H*s.Out.W, func() {
			f.count(bCopy)
			f.forN(c, in.C, func() {
				f.set(a, func() { f.lin(base, in.C, p, 1, c) })
				f.set(d, func() { f.lin(outBase+int32(off), C, p, 1, c) })
				f.loadArena8(a, tag)
				f.c.LocalSet(v)
				f.storeArena8(d, v, outT)
			})
		})
		off += in.C
	}
}
