package kernel

import "fmt"

// dwKernel computes npix output pixels of a depthwise convolution with
// multiplier 1 over channels [0, cn) (cn a multiple of the kernel's channel
// block, 8 or 16):
//
//	dst[p*cstride+ch] = clamp(bias[ch] + Σi<kh Σj<kw
//	    src[p*srcStep + i*rowStride + j*tapStride + ch] · filter[i*fRowStride + j*cstride + ch])
//
// Strides are in bytes; src and filter point at the first valid tap, so
// kernel borders are handled by the caller shrinking kh/kw.
type dwKernel func(dst, src, filter, bias *float32, clamp *[2]float32, cn int, cstride uintptr,
	npix, kh, kw int, srcStep, rowStride, tapStride, fRowStride uintptr)

// Depthwise is a depthwise convolution (filter [KH,KW,C,M], output channel
// c*M+m). Run is safe for concurrent use and does not allocate.
type Depthwise struct {
	s      ConvShape
	im     *impl
	filter []float32
	bias   []float32 // padded copy, zeros when there is no bias
	clamp  [2]float32
	post   bool
	e      Epilogue
	// [inLo, inHi): output columns whose horizontal taps are all inside.
	inLo, inHi int
}

// NewDepthwise prepares a depthwise convolution for shape s.
func NewDepthwise(filter []float32, s ConvShape, e Epilogue) (*Depthwise, error) {
	if err := s.check(len(filter), s.KH*s.KW*s.C*s.M, s.C*s.M, e); err != nil {
		return nil, fmt.Errorf("depthwise: %w", err)
	}
	return newDepthwise(filter, s, e.clone(), bestImpl()), nil
}

func newDepthwise(filter []float32, s ConvShape, e Epilogue, im *impl) *Depthwise {
	d := &Depthwise{s: s, im: im, e: e}
	d.filter = append([]float32(nil), filter...)
	d.bias = make([]float32, s.C*s.M)
	copy(d.bias, e.Bias)
	lo, hi, ok := e.clampRange()
	d.clamp = [2]float32{lo, hi}
	d.post = !ok
	d.inLo, d.inHi = s.OutW, s.OutW
	for ox := 0; ox < s.OutW; ox++ {
		if k0, k1 := taps(ox, s.StrideW, s.DilationW, s.PadLeft, s.KW, s.W); k0 == 0 && k1 == s.KW {
			d.inLo = min(d.inLo, ox)
			d.inHi = ox + 1
		}
	}
	return d
}

// Run computes dst (N*OutH*OutW*C*M) from src (N*H*W*C).
func (d *Depthwise) Run(dst, src []float32, threads int) {
	s := &d.s
	mustLen("depthwise dst", len(dst), s.N*s.OutH*s.OutW*s.C*s.M)
	mustLen("depthwise src", len(src), s.N*s.H*s.W*s.C)
	threads = threadsFor(threads, 2*s.N*s.OutH*s.OutW*s.C*s.M*s.KH*s.KW)
	if threads <= 1 {
		d.rows(dst, src, 0, s.N*s.OutH)
		return
	}
	parallel(threads, s.N*s.OutH, func(lo, hi int) { d.rows(dst, src, lo, hi) })
}

// rows computes output rows [lo, hi) counted over the whole batch.
func (d *Depthwise) rows(dst, src []float32, lo, hi int) {
	s := &d.s
	for r := lo; r < hi; r++ {
		if s.M == 1 {
			d.row(dst, src, r/s.OutH, r%s.OutH)
		} else {
			d.rowMulti(dst, src, r/s.OutH, r%s.OutH)
		}
	}
}

// taps returns the range [k0,k1) of kernel taps that land inside [0,size)
// for output coordinate o.
func taps(o, stride, dil, pad, k, size int) (k0, k1 int) {
	base := o*stride - pad
	if base < 0 {
		k0 = (-base + dil - 1) / dil
	}
	if hi := size - 1 - base; hi >= 0 {
		k1 = hi/dil + 1
	}
	k0, k1 = min(k0, k), min(k1, k)
	return k0, max(k0, k1)
}

// row computes output row oy of image n for channel multiplier 1.
func (d *Depthwise) row(dst, src []float32, n, oy int) {
	s := &d.s
	C := s.C
	kh0, kh1 := taps(oy, s.StrideH, s.DilationH, s.PadTop, s.KH, s.H)
	iy0 := oy*s.StrideH + kh0*s.DilationH - s.PadTop
	out := dst[(n*s.OutH+oy)*s.OutW*C : (n*s.OutH+oy+1)*s.OutW*C]
	for ox := 0; ox < s.OutW; {
		kw0, kw1 := taps(ox, s.StrideW, s.DilationW, s.PadLeft, s.KW, s.W)
		// The interior of the row, where every tap is inside the image, is
		// one kernel call; border pixels go one by one.
		end := ox + 1
		if ox == d.inLo && d.inLo < d.inHi {
			end = d.inHi
		}
		npix := end - ox
		o := out[ox*C : end*C]
		if kh0 == kh1 || kw0 == kw1 {
			for p := 0; p < npix; p++ {
				copy(o[p*C:(p+1)*C], d.bias)
				d.clampRow(o[p*C : (p+1)*C])
			}
			ox = end
			continue
		}
		ix0 := ox*s.StrideW + kw0*s.DilationW - s.PadLeft
		in := src[((n*s.H+iy0)*s.W+ix0)*C:]
		f := d.filter[(kh0*s.KW+kw0)*C:]
		nh, nw := kh1-kh0, kw1-kw0
		srcStep, rowStride, tapStride := s.StrideW*C, s.DilationH*s.W*C, s.DilationW*C
		// Highest element any tap of this span reads, for the bounds check
		// that the assembly cannot do.
		_ = in[(npix-1)*srcStep+(nh-1)*rowStride+(nw-1)*tapStride+C-1]
		_ = f[(nh-1)*s.KW*C+(nw-1)*C+C-1]
		cn := 0
		for _, kd := range d.im.dws {
			end := C - C%kd.width
			if end <= cn {
				continue
			}
			// Sliding-window kernels for the common 3- and 5-tap rows.
			slide := kd.k3s1
			if nw == 5 {
				slide = kd.k5s1
			}
			done := 0
			if slide != nil && (nw == 3 || nw == 5) && s.StrideW == 1 && s.DilationW == 1 {
				done = npix &^ 7
			}
			if done > 0 {
				slide(&o[cn], &in[cn], &f[cn], &d.bias[cn], &d.clamp, end-cn, uintptr(C*4), done, nh, nw,
					uintptr(srcStep*4), uintptr(rowStride*4), uintptr(tapStride*4), uintptr(s.KW*C*4))
			}
			if done < npix {
				kd.any(&o[done*C+cn], &in[done*srcStep+cn], &f[cn], &d.bias[cn], &d.clamp, end-cn, uintptr(C*4),
					npix-done, nh, nw, uintptr(srcStep*4), uintptr(rowStride*4), uintptr(tapStride*4), uintptr(s.KW*C*4))
			}
			cn = end
		}
		if cn < C && d.im.dwTail != nil {
			d.im.dwTail(&o[cn], &in[cn], &f[cn], &d.bias[cn], &d.clamp, C-cn, uintptr(C*4), npix, nh, nw,
				uintptr(srcStep*4), uintptr(rowStride*4), uintptr(tapStride*4), uintptr(s.KW*C*4))
			cn = C
		}
		if cn < C {
			dwGo(o, in, f, d.bias, &d.clamp, cn, C, npix, nh, nw, srcStep, rowStride, tapStride, s.KW*C)
		}
		if d.post {
			for p := 0; p < npix; p++ {
				d.e.rowAct(o[p*C:(p+1)*C], 0)
			}
		}
		ox = end
	}
}

func (d *Depthwise) clampRow(row []float32) {
	for i, v := range row {
		row[i] = min(max(v, d.clamp[0]), d.clamp[1])
	}
	if d.post {
		d.e.rowAct(row, 0)
	}
}

// dwGo is the portable twin of dwKernel for channels [c0, C), strides in
// elements.
func dwGo(dst, src, filter, bias []float32, clamp *[2]float32, c0, C, npix, kh, kw,
	srcStep, rowStride, tapStride, fRowStride int) {
	for p := 0; p < npix; p++ {
		o := dst[p*C+c0 : p*C+C]
		copy(o, bias[c0:C])
		for i := 0; i < kh; i++ {
			for j := 0; j < kw; j++ {
				in := src[p*srcStep+i*rowStride+j*tapStride+c0:]
				in = in[:len(o)]
				f := filter[i*fRowStride+j*C+c0:]
				f = f[:len(o)]
				for ch := range o {
					o[ch] += in[ch] * f[ch]
				}
			}
		}
		for ch, v := range o {
			o[ch] = min(max(v, clamp[0]), clamp[1])
		}
	}
}

// rowMulti handles channel multipliers above 1 (not used by the bundled
// models) with plain loops.
func (d *Depthwise) rowMulti(dst, src []float32, n, oy int) {
	s := &d.s
	oc := s.C * s.M
	kh0, kh1 := taps(oy, s.StrideH, s.DilationH, s.PadTop, s.KH, s.H)
	for ox := 0; ox < s.OutW; ox++ {
		kw0, kw1 := taps(ox, s.StrideW, s.DilationW, s.PadLeft, s.KW, s.W)
		o := dst[((n*s.OutH+oy)*s.OutW+ox)*oc:][:oc]
		copy(o, d.bias)
		for kh := kh0; kh < kh1; kh++ {
			iy := oy*s.StrideH + kh*s.DilationH - s.PadTop
			for kw := kw0; kw < kw1; kw++ {
				ix := ox*s.StrideW + kw*s.DilationW - s.PadLeft
				in := src[((n*s.H+iy)*s.W+ix)*s.C:][:s.C]
				f := d.filter[(kh*s.KW+kw)*oc:][:oc]
				for c, v := range in {
					for m := 0; m < s.M; m++ {
						o[c*s.M+m] += v * f[c*s.M+m]
					}
				}
			}
		}
		d.clampRow(o)
	}
}
