package codegen

import (
	"mcusim/engine/codegen/wasm"
	"mcusim/engine/kernels"
)

// genDepthwisePlane is TinyEngine's in-place depthwise convolution
// (`depthwiseTemplate.py`, `depthwise_kernel*_inplace_CHW`, cortex-m.md §5): one
// channel at a time, the channel is gathered into sbuf as a padded int16 plane
// with the input offset added (padding stays 0), the outputs of that channel are
// computed from the plane and written back over the input at channel stride.
// Writing channel c only overwrites channel-c input bytes, which the plane
// already holds, so the kernel is safe in place at any stride. TinyEngine unrolls
// the k×k taps; the tinyengine style does the same, the others loop.
// Blocks: plane (one plane element), pixel (bias, requantize, store), tap.
func (cg *codegen) genDepthwisePlane(i int, k *stepKernel, f *kfn) {
	s, full := &cg.ex.Steps[i], &cg.ex.Full[i]
	inT, outT := cg.inTag(i, 0), cg.outTag(i)
	H, W := full.Ins[0].H, full.Ins[0].W
	inW, C := s.Ins[0].W, s.Cout
	dh, dw := max(s.Op.DilationH, 1), max(s.Op.DilationW, 1)
	PH, PW := s.PlaneSize()
	inBase := int32(cg.bufAddr(cg.ex.In[i][0]))
	outBase := int32(cg.bufAddr(cg.ex.Out[i]))
	sbuf := int32(cg.lay.Scratch)
	ids := cg.addBlocks(i, kernels.KernelDepthwisePlane)
	bPlane, bPlaneIn, bPixel, bTap := ids[kernels.DWPlane], ids[kernels.DWPlaneLoad], ids[kernels.DWPixel], ids[kernels.DWTap]

	c, pr, pc, iy, ix, a, dst := f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32()
	y, x, ky, kx, acc, ap := f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32()
	f.forN(c, C, func() {
		f.c.I32Const(sbuf)
		f.c.LocalSet(dst)
		f.forN(pr, PH, func() {
			// iy = oy0·SH − padT + pr
			f.set(iy, func() { f.lin(int32(-s.Pad.Top), s.SH, uint32(pOY0), 1, pr) })
			f.forN(pc, PW, func() {
				f.count(bPlane)
				f.set(ix, func() { f.lin(int32(-s.Pad.Left), s.SW, uint32(pOX0), 1, pc) })
				f.c.LocalGet(dst)
				f.c.LocalGet(iy)
				f.c.I32Const(int32(H))
				f.c.I32LtU()
				f.c.LocalGet(ix)
				f.c.I32Const(int32(W))
				f.c.I32LtU()
				f.c.I32And()
				f.c.If(wasm.Result(wasm.I32))
				f.count(bPlaneIn)
				f.set(a, func() { f.lin(inBase, inW*C, iy, -inW*C, uint32(pIY0), C, ix, -C, uint32(pIX0), 1, c) })
				f.loadArena8(a, inT)
				f.c.I32Const(-k.inZP)
				f.c.I32Add()
				f.c.Else()
				f.c.I32Const(0)
				f.c.End()
				f.c.I32Store16(1, 0)
				f.inc(dst, 2)
			})
		})
		f.forN(y, s.Out.H, func() {
			f.forN(x, s.Out.W, func() {
				f.count(bPixel)
				f.set(acc, func() { f.c.LocalGet(c); f.c.I32Const(2); f.c.I32Shl(); f.c.I32Load(2, k.bias) })
				f.forN(ky, s.KH, func() {
					f.forN(kx, s.KW, func() {
						f.count(bTap)
						f.c.LocalGet(acc)
						f.set(ap, func() { f.lin(sbuf, 2*s.SH*PW, y, 2*s.SW, x, 2*dh*PW, ky, 2*dw, kx) })
						f.c.LocalGet(ap)
						f.c.I32Load16S(1, 0)
						f.set(a, func() { f.lin(int32(k.weights), s.KW*C, ky, C, kx, 1, c) })
						f.c.LocalGet(a)
						f.c.I32Load8S(0, 0)
						f.c.I32Mul()
						f.c.I32Add()
						f.c.LocalSet(acc)
					})
				})
				f.set(a, func() { f.lin(outBase, s.Out.W*C, y, C, x, 1, c) })
				f.requantStore(k, acc, c, a, outT)
			})
		})
	})
}

// genDepthwisePlain is the TF Lite Micro reference depthwise convolution
// (reference/integer_ops/depthwise_conv.h) for a depthwise that is not in place:
// for every output pixel and output channel, loop over the taps in the image.
// Blocks: pixel, mac.
func (cg *codegen) genDepthwisePlain(i int, k *stepKernel, f *kfn) {
	s, full := &cg.ex.Steps[i], &cg.ex.Full[i]
	inT, outT := cg.inTag(i, 0), cg.outTag(i)
	H, W := full.Ins[0].H, full.Ins[0].W
	inW, cin, cout := s.Ins[0].W, s.Cin, s.Cout
	mult := max(cout/max(cin, 1), 1)
	dh, dw := max(s.Op.DilationH, 1), max(s.Op.DilationW, 1)
	inBase := int32(cg.bufAddr(cg.ex.In[i][0]))
	outBase := int32(cg.bufAddr(cg.ex.Out[i]))
	ids := cg.addBlocks(i, kernels.KernelDepthwisePlain)
	bPixel, bMAC := ids[kernels.DWPixel], ids[kernels.DWMAC]
	y, x, ic, m, oc, ky, kx, iy, ix, acc, a, aw := f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32()
	f.forN(y, s.Out.H, func() {
		f.forN(x, s.Out.W, func() {
			f.forN(ic, cin, func() {
				f.forN(m, mult, func() {
					f.count(bPixel)
					f.set(oc, func() { f.lin(0, mult, ic, 1, m) })
					f.set(acc, func() { f.c.LocalGet(oc); f.c.I32Const(2); f.c.I32Shl(); f.c.I32Load(2, k.bias) })
					f.forN(ky, s.KH, func() {
						f.set(iy, func() { f.lin(int32(-s.Pad.Top), s.SH, uint32(pOY0), s.SH, y, dh, ky) })
						f.ifThen(func() { f.inRange(iy, H) }, func() {
							f.forN(kx, s.KW, func() {
								f.set(ix, func() { f.lin(int32(-s.Pad.Left), s.SW, uint32(pOX0), s.SW, x, dw, kx) })
								f.ifThen(func() { f.inRange(ix, W) }, func() {
									f.count(bMAC)
									f.set(a, func() { f.lin(inBase, inW*cin, iy, -inW*cin, uint32(pIY0), cin, ix, -cin, uint32(pIX0), 1, ic) })
									f.set(aw, func() { f.lin(int32(k.weights), s.KW*cout, ky, cout, kx, 1, oc) })
									f.c.LocalGet(acc)
									f.loadArena8(a, inT)
									f.c.I32Const(-k.inZP)
									f.c.I32Add()
									f.c.LocalGet(aw)
									f.c.I32Load8S(0, 0)
									f.c.I32Mul()
									f.c.I32Add()
									f.c.LocalSet(acc)
								})
							})
						})
					})
					f.set(a, func() { f.lin(outBase, s.Out.W*cout, y, cout, x, 1, oc) })
					f.requantStore(k, acc, oc, a, outT)
				})
			})
		})
	})
}
