package codegen

import (
	"encoding/binary"
	"fmt"

	"mcusim/engine/codegen/wasm"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/models"
)

// Step functions all take the region origins of one execution: (oy0, ox0) of the
// output window, (iy0, ix0) of input 0 and (ry0, rx0) of input 1, in full-tensor
// coordinates (all zero outside the patch stage).
const (
	pOY0 = iota
	pOX0
	pIY0
	pIX0
	pRY0
	pRX0
	numStepParams
)

var stepParamTypes = []wasm.ValType{wasm.I32, wasm.I32, wasm.I32, wasm.I32, wasm.I32, wasm.I32}

// prepareConv writes weights, bias and per-channel requantization tables of a
// CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED into Flash.
func (cg *codegen) prepareConv(s *plan.Step) (stepKernel, error) {
	g, op := cg.g, s.Op
	in, w, out := g.In(op, 0), g.In(op, 1), g.Out(op, 0)
	if w.Data == nil {
		return stepKernel{}, fmt.Errorf("weights of %s have no data (synthesize weights for zoo models)", w.Name)
	}
	if w.DType != models.Int8 {
		return stepKernel{}, fmt.Errorf("weights of type %s are not supported (int8 only)", w.DType)
	}
	qin, err := models.PerTensorQuant(in)
	if err != nil {
		return stepKernel{}, err
	}
	qout, err := models.PerTensorQuant(out)
	if err != nil {
		return stepKernel{}, err
	}
	axis := 0
	if op.Kind == models.DepthwiseConv2D {
		axis = 3
	}
	scales, err := models.ChannelScales(w, s.Cout, axis)
	if err != nil {
		return stepKernel{}, err
	}
	cout := s.Cout
	bias := make([]int32, cout)
	if b := g.In(op, 2); b != nil {
		if b.Data == nil || len(b.Data) < 4*cout || b.DType != models.Int32 {
			return stepKernel{}, fmt.Errorf("bias %s must be %d int32 values", b.Name, cout)
		}
		for c := range bias {
			bias[c] = int32(binary.LittleEndian.Uint32(b.Data[4*c:]))
		}
	}
	mult, shift := make([]int32, cout), make([]int32, cout)
	for c := 0; c < cout; c++ {
		// PopulateConvolutionQuantizationParams (tensorflow/lite/kernels/kernel_util.cc):
		// effective scale = (double)input_scale · (double)filter_scale / (double)output_scale.
		eff := float64(qin.Scale) * float64(scales[c]) / float64(qout.Scale)
		if op.Kind == models.FullyConnected && !w.Quant.PerChannel() {
			// fully_connected.cc takes per-tensor weights through
			// GetQuantizedConvolutionMultipler (kernel_util.cc), which multiplies
			// the scales in float32 before widening: (double)(input_scale ·
			// filter_scale) / (double)output_scale. The low multiplier bits differ.
			eff = float64(qin.Scale*scales[c]) / float64(qout.Scale)
		}
		m, sh := models.QuantizeMultiplier(eff)
		mult[c], shift[c] = m, int32(sh)
	}
	k := stepKernel{inZP: qin.ZP, outZP: qout.ZP}
	if k.actMin, k.actMax, err = models.OutputActivationRange(op.Act, out, qout); err != nil {
		return stepKernel{}, err
	}
	k.weights = cg.addFlash(w.Data)
	k.bias = cg.addFlashI32(bias)
	k.mult = cg.addFlashI32(mult)
	k.shift = cg.addFlashI32(shift)
	return k, nil
}

// tags of a step's operands (plan buffer index + 1).
func (cg *codegen) inTag(i, j int) int { return cg.ex.In[i][j] + 1 }
func (cg *codegen) outTag(i int) int   { return cg.ex.Out[i] + 1 }

// requantStore emits: v = requant(acc + 0, mult[oc], shift[oc]); clamp and store
// at the address in local a. oc is a local holding the output channel.
func (f *kfn) requantStore(k *stepKernel, acc, oc, a uint32, tag int) {
	f.c.LocalGet(acc)
	f.c.LocalGet(oc)
	f.c.I32Const(2)
	f.c.I32Shl()
	f.c.I32Load(2, k.mult)
	f.c.LocalGet(oc)
	f.c.I32Const(2)
	f.c.I32Shl()
	f.c.I32Load(2, k.shift)
	f.c.Call(f.cg.fnRequant)
	f.c.LocalSet(acc)
	f.clampStore(a, acc, k.outZP, k.actMin, k.actMax, tag)
}

// genConvPlain is the TF Lite Micro reference convolution
// (tensorflow/lite/kernels/internal/reference/integer_ops/conv.h): for every
// output pixel and channel, loop over the kernel taps inside the image and the
// input channels. FULLY_CONNECTED runs as a 1×1 convolution over one pixel.
// Blocks: pixel (bias load, requantize, store), tap, mac (one LDRSB pair + MLA).
func (cg *codegen) genConvPlain(i int, k *stepKernel, f *kfn) {
	s, full := &cg.ex.Steps[i], &cg.ex.Full[i]
	inT, outT := cg.inTag(i, 0), cg.outTag(i)
	H, W := full.Ins[0].H, full.Ins[0].W
	inW, cin := s.Ins[0].W, s.Cin
	dh, dw := max(s.Op.DilationH, 1), max(s.Op.DilationW, 1)
	ids := cg.addBlocks(i, kernels.KernelConvPlain)
	bPixel, bTap, bMAC := ids[kernels.ConvPixel], ids[kernels.ConvTap], ids[kernels.ConvMAC]
	y, x, oc, ky, kx, ic := f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32()
	iy, ix, acc, ain, aw, aout := f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32()
	inBase := int32(cg.bufAddr(cg.ex.In[i][0]))
	outBase := int32(cg.bufAddr(cg.ex.Out[i]))
	f.forN(y, s.Out.H, func() {
		f.forN(x, s.Out.W, func() {
			f.forN(oc, s.Cout, func() {
				f.count(bPixel)
				f.set(acc, func() { f.c.LocalGet(oc); f.c.I32Const(2); f.c.I32Shl(); f.c.I32Load(2, k.bias) })
				f.forN(ky, s.KH, func() {
					// iy = (oy0 + y)·SH − padT + ky·dh
					f.set(iy, func() {
						f.lin(int32(-s.Pad.Top), s.SH, uint32(pOY0), s.SH, y, dh, ky)
					})
					f.ifThen(func() { f.inRange(iy, H) }, func() {
						f.forN(kx, s.KW, func() {
							f.set(ix, func() { f.lin(int32(-s.Pad.Left), s.SW, uint32(pOX0), s.SW, x, dw, kx) })
							f.ifThen(func() { f.inRange(ix, W) }, func() {
								f.count(bTap)
								// ain = inBase + ((iy − iy0)·inW + (ix − ix0))·cin
								f.set(ain, func() {
									f.lin(inBase, inW*cin, iy, -inW*cin, uint32(pIY0), cin, ix, -cin, uint32(pIX0))
								})
								f.set(aw, func() {
									f.lin(int32(k.weights), s.KH*s.KW*cin, oc, s.KW*cin, ky, cin, kx)
								})
								f.forN(ic, cin, func() {
									f.count(bMAC)
									f.loadArena8(ain, inT)
									f.c.I32Const(-k.inZP)
									f.c.I32Add()
									f.c.LocalGet(aw)
									f.c.I32Load8S(0, 0)
									f.c.I32Mul()
									f.c.LocalGet(acc)
									f.c.I32Add()
									f.c.LocalSet(acc)
									f.inc(ain, 1)
									f.inc(aw, 1)
								})
							})
						})
					})
				})
				f.set(aout, func() {
					f.lin(outBase, s.Out.W*s.Cout, y, s.Cout, x, 1, oc)
				})
				f.requantStore(k, acc, oc, aout, outT)
			})
		})
	})
}

// inRange pushes 0 ≤ v < n (unsigned compare).
func (f *kfn) inRange(v uint32, n int) {
	f.c.LocalGet(v)
	f.c.I32Const(int32(n))
	f.c.I32LtU()
}

// inc adds d to local v.
func (f *kfn) inc(v uint32, d int32) {
	f.c.LocalGet(v)
	f.c.I32Const(d)
	f.c.I32Add()
	f.c.LocalSet(v)
}

// genConvTiled is the 2×2-tile matrix multiplication of CMSIS-NN
// (`arm_nn_mat_mult_kernel_s8_s16.c`, `arm_nn_mat_mult_nt_t_s8.c`) and TinyEngine
// (`mat_mult_kernels.c`): two output pixels × two output channels per inner step,
// four accumulators seeded with the bias. Columns come from an int16 im2col buffer
// in sbuf with the input offset added (TinyEngine always; CMSIS-NN for kernels
// larger than 1×1) or straight from the int8 input (CMSIS-NN 1×1, mat_mult_nt_t).
// Blocks: im2col (one tap of one column), mac (one k of a 2×2, 2×1, 1×2 or 1×1
// tile), out (requantize and store one output).
func (cg *codegen) genConvTiled(i int, kern kernels.Kernel, k *stepKernel, f *kfn) {
	s, full := &cg.ex.Steps[i], &cg.ex.Full[i]
	inT, outT := cg.inTag(i, 0), cg.outTag(i)
	H, W := full.Ins[0].H, full.Ins[0].W
	inW, cin := s.Ins[0].W, s.Cin
	K := s.KH * s.KW * cin
	dh, dw := max(s.Op.DilationH, 1), max(s.Op.DilationW, 1)
	im2col := kern == kernels.KernelConvTiled
	inBase := int32(cg.bufAddr(cg.ex.In[i][0]))
	outBase := int32(cg.bufAddr(cg.ex.Out[i]))
	sbuf := int32(cg.lay.Scratch)

	ids := cg.addBlocks(i, kern)
	bIm2col, bPad, bOut := ids[kernels.ConvIm2col], ids[kernels.ConvIm2colPad], ids[kernels.ConvOut]
	bMAC := map[[2]int]int{ // {pixels, channels}
		{2, 2}: ids[kernels.ConvMAC2x2], {1, 2}: ids[kernels.ConvMAC1x2], {2, 1}: ids[kernels.ConvMAC2x1], {1, 1}: ids[kernels.ConvMAC1x1]}

	y, xp, x, oc, ocp, ky, kx, ic, kk := f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32()
	iy, ix, a, dst, aw0, aw1 := f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32()
	col := [2]uint32{f.i32(), f.i32()} // address of column 0/1 (sbuf, or arena pixel)
	accs := [4]uint32{f.i32(), f.i32(), f.i32(), f.i32()}
	v0, v1, tmp, occ := f.i32(), f.i32(), f.i32(), f.i32()

	// fillColumn prepares column j for output pixel (y, x).
	fillColumn := func(j int) {
		if !im2col {
			// col = inBase + ((oy·SH − iy0)·inW + (ox·SW − ix0))·cin
			f.set(col[j], func() {
				f.lin(inBase, s.SH*inW*cin, uint32(pOY0), s.SH*inW*cin, y, -inW*cin, uint32(pIY0),
					s.SW*cin, uint32(pOX0), s.SW*cin, x, -cin, uint32(pIX0))
				if j == 1 {
					f.c.I32Const(int32(s.SW * cin))
					f.c.I32Add()
				}
			})
			return
		}
		f.c.I32Const(sbuf + int32(j*2*K))
		f.c.LocalSet(col[j])
		f.c.LocalGet(col[j])
		f.c.LocalSet(dst)
		f.forN(ky, s.KH, func() {
			f.forN(kx, s.KW, func() {
				f.set(iy, func() { f.lin(int32(-s.Pad.Top), s.SH, uint32(pOY0), s.SH, y, dh, ky) })
				f.set(ix, func() {
					f.lin(int32(-s.Pad.Left+j*s.SW), s.SW, uint32(pOX0), s.SW, x, dw, kx)
				})
				f.c.LocalGet(iy)
				f.c.I32Const(int32(H))
				f.c.I32LtU()
				f.c.LocalGet(ix)
				f.c.I32Const(int32(W))
				f.c.I32LtU()
				f.c.I32And()
				f.c.If(wasm.Void)
				f.count(bIm2col)
				f.set(a, func() { f.lin(inBase, inW*cin, iy, -inW*cin, uint32(pIY0), cin, ix, -cin, uint32(pIX0)) })
				f.forN(ic, cin, func() {
					f.c.LocalGet(dst)
					f.loadArena8(a, inT)
					f.c.I32Const(-k.inZP)
					f.c.I32Add()
					f.c.I32Store16(1, 0)
					f.inc(a, 1)
					f.inc(dst, 2)
				})
				f.c.Else()
				f.count(bPad)
				f.c.LocalGet(dst)
				f.c.I32Const(0)
				f.c.I32Const(int32(2 * cin))
				f.c.MemoryFill()
				f.inc(dst, int32(2*cin))
				f.c.End()
			})
		})
	}
	// loadCol pushes element kk of column j (int16 im2col, or int8 + offset).
	loadCol := func(j int) {
		if im2col {
			f.c.LocalGet(col[j])
			f.c.I32Load16S(1, 0)
			f.c.LocalGet(col[j])
			f.c.I32Const(2)
			f.c.I32Add()
			f.c.LocalSet(col[j])
			return
		}
		f.loadArena8(col[j], inT)
		f.c.I32Const(-k.inZP)
		f.c.I32Add()
		f.inc(col[j], 1)
	}
	// tile computes np pixels × nc channels starting at (y, x) and channel oc.
	tile := func(np, nc int) {
		for p := 0; p < np; p++ {
			for c := 0; c < nc; c++ {
				f.set(accs[2*p+c], func() {
					f.c.LocalGet(oc)
					f.c.I32Const(int32(c))
					f.c.I32Add()
					f.c.I32Const(2)
					f.c.I32Shl()
					f.c.I32Load(2, k.bias)
				})
			}
		}
		f.set(aw0, func() { f.lin(int32(k.weights), K, oc) })
		if nc == 2 {
			f.set(aw1, func() { f.lin(int32(k.weights)+int32(K), K, oc) })
		}
		// Column pointers advance as the tile walks k; keep their starts.
		saved := [2]uint32{}
		for p := 0; p < np; p++ {
			saved[p] = f.i32()
			f.c.LocalGet(col[p])
			f.c.LocalSet(saved[p])
		}
		f.forN(kk, K, func() {
			f.count(bMAC[[2]int{np, nc}])
			loadCol(0)
			f.c.LocalSet(v0)
			if np == 2 {
				loadCol(1)
				f.c.LocalSet(v1)
			}
			for c := 0; c < nc; c++ {
				w := aw0
				if c == 1 {
					w = aw1
				}
				f.c.LocalGet(w)
				f.c.I32Load8S(0, 0)
				f.c.LocalSet(tmp)
				for p := 0; p < np; p++ {
					v := v0
					if p == 1 {
						v = v1
					}
					f.c.LocalGet(accs[2*p+c])
					f.c.LocalGet(v)
					f.c.LocalGet(tmp)
					f.c.I32Mul()
					f.c.I32Add()
					f.c.LocalSet(accs[2*p+c])
				}
				f.inc(w, 1)
			}
		})
		for p := 0; p < np; p++ {
			f.c.LocalGet(saved[p])
			f.c.LocalSet(col[p])
		}
		for p := 0; p < np; p++ {
			for c := 0; c < nc; c++ {
				f.count(bOut)
				f.set(occ, func() { f.lin(int32(c), 1, oc) })
				f.set(a, func() { f.lin(outBase+int32(p*s.Cout+c), s.Out.W*s.Cout, y, s.Cout, x, 1, oc) })
				f.requantStore(k, accs[2*p+c], occ, a, outT)
			}
		}
	}
	channels := func(np int) {
		if s.Cout >= 2 {
			f.forN(ocp, s.Cout/2, func() {
				f.set(oc, func() { f.lin(0, 2, ocp) })
				tile(np, 2)
			})
		}
		if s.Cout%2 == 1 {
			f.c.I32Const(int32(s.Cout - 1))
			f.c.LocalSet(oc)
			tile(np, 1)
		}
	}
	f.forN(y, s.Out.H, func() {
		if s.Out.W >= 2 {
			f.forN(xp, s.Out.W/2, func() {
				f.set(x, func() { f.lin(0, 2, xp) })
				fillColumn(0)
				fillColumn(1)
				channels(2)
			})
		}
		if s.Out.W%2 == 1 {
			f.c.I32Const(int32(s.Out.W - 1))
			f.c.LocalSet(x)
			fillColumn(0)
			channels(1)
		}
	})
}
