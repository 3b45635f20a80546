package kernel

import "fmt"

// Conv2D is a convolution with its filter packed once for the GEMM
// micro-kernels. Run is safe for concurrent use: im2col scratch comes from
// a pool held by the value.
type Conv2D struct {
	s         ConvShape
	im        *impl
	b         *gemmB
	k         int  // reduction length KH*KW*C
	pointwise bool // 1×1, stride 1, no padding: A is the input itself
	scratch   scratchPool
}

// NewConv2D packs filter (HWIO: [KH,KW,C,M]) for shape s and epilogue e.
func NewConv2D(filter []float32, s ConvShape, e Epilogue) (*Conv2D, error) {
	if err := s.check(len(filter), s.KH*s.KW*s.C*s.M, s.M, e); err != nil {
		return nil, fmt.Errorf("conv2d: %w", err)
	}
	return newConv2D(filter, s, e.clone(), bestImpl()), nil
}

func newConv2D(filter []float32, s ConvShape, e Epilogue, im *impl) *Conv2D {
	k := s.KH * s.KW * s.C
	c := &Conv2D{s: s, im: im, k: k, b: packB(filter, k, s.M, false, e)}
	c.pointwise = s.KH == 1 && s.KW == 1 && s.StrideH == 1 && s.StrideW == 1 &&
		s.PadTop == 0 && s.PadLeft == 0 && s.OutH == s.H && s.OutW == s.W
	c.scratch.size = im.mr*k + maxMR*nr
	return c
}

// Run computes dst (N*OutH*OutW*M) from src (N*H*W*C).
func (c *Conv2D) Run(dst, src []float32, threads int) {
	s := &c.s
	rows := s.N * s.OutH * s.OutW
	mustLen("conv2d dst", len(dst), rows*s.M)
	mustLen("conv2d src", len(src), s.N*s.H*s.W*s.C)
	threads = threadsFor(threads, 2*rows*s.M*c.k)
	sp := newSplit((rows+c.im.mr-1)/c.im.mr, c.b.panels(), threads)
	if threads <= 1 {
		c.work(dst, src, sp, 0, sp.units())
		return
	}
	parallel(threads, sp.units(), func(lo, hi int) { c.work(dst, src, sp, lo, hi) })
}

// work computes work units [lo, hi).
func (c *Conv2D) work(dst, src []float32, sp split, lo, hi int) {
	s := &c.s
	rows := s.N * s.OutH * s.OutW
	mr := c.im.mr
	buf := c.scratch.get()
	defer c.scratch.put(buf)
	scr, tile := (*buf)[:mr*c.k], (*buf)[mr*c.k:]
	for u := lo; u < hi; u++ {
		rb, p0, p1 := sp.unit(u)
		r0 := rb * mr
		n := min(mr, rows-r0)
		out := dst[r0*s.M:]
		switch {
		case c.pointwise && n == mr:
			c.im.block(c.b, src[r0*s.C:], s.C, 1, n, out, s.M, p0, p1, tile)
		case c.pointwise:
			copyRows(scr, src[r0*s.C:], s.C, 1, n, mr, c.k)
			c.im.block(c.b, scr, c.k, 1, n, out, s.M, p0, p1, tile)
		default:
			c.im2col(scr, src, r0, n, mr)
			c.im.block(c.b, scr, c.k, 1, n, out, s.M, p0, p1, tile)
		}
	}
}

// im2col writes the receptive fields of output pixels [r0, r0+n) as rows
// of length KH*KW*C; taps outside the input and rows n..mr-1 are zero.
func (c *Conv2D) im2col(scr, src []float32, r0, n, mr int) {
	s := &c.s
	for i := 0; i < mr; i++ {
		row := scr[i*c.k : (i+1)*c.k]
		if i >= n {
			clear(row)
			continue
		}
		r := r0 + i
		ox := r % s.OutW
		oy := (r / s.OutW) % s.OutH
		b := r / (s.OutW * s.OutH)
		kw0, kw1 := taps(ox, s.StrideW, s.DilationW, s.PadLeft, s.KW, s.W)
		ix0 := ox*s.StrideW + kw0*s.DilationW - s.PadLeft
		for kh := 0; kh < s.KH; kh++ {
			seg := row[kh*s.KW*s.C : (kh+1)*s.KW*s.C]
			iy := oy*s.StrideH + kh*s.DilationH - s.PadTop
			if iy < 0 || iy >= s.H || kw0 == kw1 {
				clear(seg)
				continue
			}
			clear(seg[:kw0*s.C])
			clear(seg[kw1*s.C:])
			in := src[((b*s.H+iy)*s.W+ix0)*s.C:]
			if s.DilationW == 1 {
				// Neighbouring taps are neighbouring pixels: one copy,
				// inlined when short (the 3-channel stem convolutions).
				d := seg[kw0*s.C : kw1*s.C]
				if len(d) > 16 {
					copy(d, in)
					continue
				}
				in = in[:len(d)]
				for j := range d {
					d[j] = in[j]
				}
				continue
			}
			for kw := kw0; kw < kw1; kw++ {
				copy(seg[kw*s.C:(kw+1)*s.C], in[(kw-kw0)*s.DilationW*s.C:])
			}
		}
	}
}

// MatMul computes dst[m×n] = op(a)[m×k] · op(b)[k×n], op transposing when
// the flag is set. It packs b on every call (an allocation of k×n floats);
// hot paths with a constant right-hand side should use a 1×1 Conv2D.
func MatMul(dst, a, b []float32, m, n, k int, transA, transB bool, threads int) {
	matMul(bestImpl(), dst, a, b, m, n, k, transA, transB, threads)
}

func matMul(im *impl, dst, a, b []float32, m, n, k int, transA, transB bool, threads int) {
	mustLen("matmul dst", len(dst), m*n)
	mustLen("matmul a", len(a), m*k)
	mustLen("matmul b", len(b), k*n)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(dst[:m*n])
		return
	}
	threads = threadsFor(threads, 2*m*n*k)
	g := packB(b, k, n, transB, Epilogue{})
	lda, astep := k, 1
	if transA {
		lda, astep = 1, m
	}
	mr := im.mr
	sp := newSplit((m+mr-1)/mr, g.panels(), threads)
	parallel(threads, sp.units(), func(lo, hi int) {
		var scr []float32
		tile := make([]float32, maxMR*nr)
		for u := lo; u < hi; u++ {
			rb, p0, p1 := sp.unit(u)
			r0 := rb * mr
			rows := min(mr, m-r0)
			if rows == mr {
				im.block(g, a[r0*lda:], lda, astep, rows, dst[r0*n:], n, p0, p1, tile)
				continue
			}
			if scr == nil {
				scr = make([]float32, mr*max(k, 1))
			}
			copyRows(scr, a[r0*lda:], lda, astep, rows, mr, k)
			im.block(g, scr, k, 1, rows, dst[r0*n:], n, p0, p1, tile)
		}
	})
}
