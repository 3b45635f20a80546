package kernel

import "fmt"

// ConvTranspose is TensorFlow's Conv2DBackpropInput. It runs as one GEMM
// (every input pixel times the filter, giving KH*KW*M partial outputs per
// pixel) followed by a gather that sums the partials landing on each output
// pixel, so no two workers ever write the same element. Run is safe for
// concurrent use; the partials buffer comes from a pool held by the value.
type ConvTranspose struct {
	s       ConvShape
	im      *impl
	b       *gemmB
	e       Epilogue
	cols    int // KH*KW*M
	scratch scratchPool
	ascr    scratchPool
}

// NewConvTranspose prepares a transposed convolution; filter is
// [KH,KW,M(out),C(in)] and pads are those of the forward convolution.
func NewConvTranspose(filter []float32, s ConvShape, e Epilogue) (*ConvTranspose, error) {
	if err := s.check(len(filter), s.KH*s.KW*s.C*s.M, s.M, e); err != nil {
		return nil, fmt.Errorf("conv transpose: %w", err)
	}
	return newConvTranspose(filter, s, e.clone(), bestImpl()), nil
}

func newConvTranspose(filter []float32, s ConvShape, e Epilogue, im *impl) *ConvTranspose {
	cols := s.KH * s.KW * s.M
	// The filter read as [(KH,KW,M) × C] is Bᵀ for B = [C × (KH,KW,M)].
	t := &ConvTranspose{s: s, im: im, e: e, cols: cols, b: packB(filter, s.C, cols, true, Epilogue{})}
	t.scratch.size = s.N * s.H * s.W * cols
	t.ascr.size = im.mr*s.C + maxMR*nr
	return t
}

// Run computes dst (N*OutH*OutW*M) from src (N*H*W*C).
func (t *ConvTranspose) Run(dst, src []float32, threads int) {
	s := &t.s
	mustLen("conv transpose dst", len(dst), s.N*s.OutH*s.OutW*s.M)
	mustLen("conv transpose src", len(src), s.N*s.H*s.W*s.C)
	buf := t.scratch.get()
	defer t.scratch.put(buf)
	part := *buf
	threads = threadsFor(threads, 2*s.N*s.H*s.W*s.C*t.cols)
	sp := newSplit((s.N*s.H*s.W+t.im.mr-1)/t.im.mr, t.b.panels(), threads)
	if threads <= 1 {
		t.gemm(part, src, sp, 0, sp.units())
		t.gatherRows(dst, part, 0, s.N*s.OutH)
		return
	}
	parallel(threads, sp.units(), func(lo, hi int) { t.gemm(part, src, sp, lo, hi) })
	parallel(threads, s.N*s.OutH, func(lo, hi int) { t.gatherRows(dst, part, lo, hi) })
}

// gemm computes the partial products of work units [lo, hi).
func (t *ConvTranspose) gemm(part, src []float32, sp split, lo, hi int) {
	s := &t.s
	rows, mr := s.N*s.H*s.W, t.im.mr
	buf := t.ascr.get()
	defer t.ascr.put(buf)
	ab, tile := (*buf)[:mr*s.C], (*buf)[mr*s.C:]
	for u := lo; u < hi; u++ {
		rb, p0, p1 := sp.unit(u)
		r0 := rb * mr
		n := min(mr, rows-r0)
		if n == mr {
			t.im.block(t.b, matrixView(src[r0*s.C:], s.C, 1), n, part[r0*t.cols:], t.cols, p0, p1, tile)
			continue
		}
		copyRows(ab, src[r0*s.C:], s.C, 1, n, mr, s.C)
		t.im.block(t.b, matrixView(ab, s.C, 1), n, part[r0*t.cols:], t.cols, p0, p1, tile)
	}
}

func (t *ConvTranspose) gatherRows(dst, part []float32, lo, hi int) {
	for r := lo; r < hi; r++ {
		t.gather(dst, part, r/t.s.OutH, r%t.s.OutH)
	}
}

// gather sums the partial products that land on output row oy of image n
// and applies the epilogue. It walks the input pixels of each contributing
// input row and scatters into the output row, which only this call writes.
func (t *ConvTranspose) gather(dst, part []float32, n, oy int) {
	s := &t.s
	M := s.M
	out := dst[(n*s.OutH+oy)*s.OutW*M : (n*s.OutH+oy+1)*s.OutW*M]
	clear(out)
	for kh := 0; kh < s.KH; kh++ {
		ty := oy + s.PadTop - kh*s.DilationH
		if ty < 0 || ty%s.StrideH != 0 || ty/s.StrideH >= s.H {
			continue
		}
		iy := ty / s.StrideH
		for ix := 0; ix < s.W; ix++ {
			p := part[((n*s.H+iy)*s.W+ix)*t.cols+kh*s.KW*M:][:s.KW*M]
			ox0 := ix*s.StrideW - s.PadLeft
			if s.DilationW == 1 {
				// The KW taps land on KW neighbouring pixels: one
				// contiguous add, clipped at the row's ends.
				lo, hi := max(0, -ox0), min(s.KW, s.OutW-ox0)
				if lo >= hi {
					continue
				}
				seg := p[lo*M : hi*M]
				o := out[(ox0+lo)*M:][:len(seg)]
				for j, v := range seg {
					o[j] += v
				}
				continue
			}
			for kw := 0; kw < s.KW; kw++ {
				ox := ox0 + kw*s.DilationW
				if ox < 0 || ox >= s.OutW {
					continue
				}
				o := out[ox*M : (ox+1)*M]
				for m, v := range p[kw*M : (kw+1)*M] {
					o[m] += v
				}
			}
		}
	}
	if t.e.Bias != nil {
		for ox := 0; ox < s.OutW; ox++ {
			o := out[ox*M : (ox+1)*M]
			for m, b := range t.e.Bias[:len(o)] {
				o[m] += b
			}
		}
	}
	if t.e.Act != ActPrelu {
		t.e.rowAct(out, 0) // the other activations ignore the channel
		return
	}
	for ox := 0; ox < s.OutW; ox++ {
		t.e.rowAct(out[ox*M:(ox+1)*M], 0)
	}
}
