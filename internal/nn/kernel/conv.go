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
	return newConv2D(filter, s, e, bestImpl()), nil
}

func newConv2D(filter []float32, s ConvShape, e Epilogue, im *impl) *Conv2D {
	k := s.KH * s.KW * s.C
	c := &Conv2D{s: s, im: im, k: k, b: packB(filter, k, s.M, false, e)}
	c.pointwise = s.KH == 1 && s.KW == 1 && s.StrideH == 1 && s.StrideW == 1 &&
		s.PadTop == 0 && s.PadLeft == 0 && s.OutH == s.H && s.OutW == s.W
	c.scratch.size = im.mr * k
	return c
}

// Run computes dst (N*OutH*OutW*M) from src (N*H*W*C).
func (c *Conv2D) Run(dst, src []float32, threads int) {
	s := &c.s
	rows := s.N * s.OutH * s.OutW
	mustLen("conv2d dst", len(dst), rows*s.M)
	mustLen("conv2d src", len(src), s.N*s.H*s.W*s.C)
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
	scr := *buf
	for u := lo; u < hi; u++ {
		rb, p0, p1 := sp.unit(u)
		r0 := rb * mr
		n := min(mr, rows-r0)
		out := dst[r0*s.M:]
		switch {
		case c.pointwise && n == mr:
			c.im.block(c.b, src[r0*s.C:], s.C, 1, n, out, s.M, p0, p1)
		case c.pointwise:
			copyRows(scr, src[r0*s.C:], s.C, 1, n, mr, c.k)
			c.im.block(c.b, scr, c.k, 1, n, out, s.M, p0, p1)
		default:
			c.im2col(scr, src, r0, n, mr)
			c.im.block(c.b, scr, c.k, 1, n, out, s.M, p0, p1)
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
		for kh := 0; kh < s.KH; kh++ {
			seg := row[kh*s.KW*s.C : (kh+1)*s.KW*s.C]
			iy := oy*s.StrideH + kh*s.DilationH - s.PadTop
			if iy < 0 || iy >= s.H {
				clear(seg)
				continue
			}
			base := (b*s.H + iy) * s.W
			for kw := 0; kw < s.KW; kw++ {
				d := seg[kw*s.C : (kw+1)*s.C]
				ix := ox*s.StrideW + kw*s.DilationW - s.PadLeft
				if ix < 0 || ix >= s.W {
					clear(d)
					continue
				}
				copy(d, src[(base+ix)*s.C:])
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
	g := packB(b, k, n, transB, Epilogue{})
	lda, astep := k, 1
	if transA {
		lda, astep = 1, m
	}
	mr := im.mr
	sp := newSplit((m+mr-1)/mr, g.panels(), threads)
	parallel(threads, sp.units(), func(lo, hi int) {
		var scr []float32
		for u := lo; u < hi; u++ {
			rb, p0, p1 := sp.unit(u)
			r0 := rb * mr
			rows := min(mr, m-r0)
			if rows == mr {
				im.block(g, a[r0*lda:], lda, astep, rows, dst[r0*n:], n, p0, p1)
				continue
			}
			if scr == nil {
				scr = make([]float32, mr*max(k, 1))
			}
			copyRows(scr, a[r0*lda:], lda, astep, rows, mr, k)
			im.block(g, scr, k, 1, rows, dst[r0*n:], n, p0, p1)
		}
	})
}
