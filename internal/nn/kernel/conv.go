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
	// rowBlocks > 0: blocks never straddle output rows (rowBlocks per
	// row), so that interior blocks read the image in place.
	rowBlocks int
	scratch   scratchPool
}

// NewConv2D packs filter (HWIO: [KH,KW,C,M]) for shape s and epilogue e.
func NewConv2D(filter []float32, s ConvShape, e Epilogue) (*Conv2D, error) {
	if err := s.check(len(filter), s.KH*s.KW*s.C*s.M, s.M, e); err != nil {
		return nil, fmt.Errorf("conv2d: %w", err)
	}
	return newConv2D(filter, s, e.clone(), bestImpl()), nil
}

// Reshape returns the same convolution (filter, epilogue, kernel size,
// stride, dilation) over another input geometry s, sharing the packed
// filter instead of packing it again. s must keep KH, KW, C and M.
func (c *Conv2D) Reshape(s ConvShape) (*Conv2D, error) {
	o := c.s
	if s.KH != o.KH || s.KW != o.KW || s.C != o.C || s.M != o.M {
		return nil, fmt.Errorf("conv2d reshape: %w: filter %dx%dx%dx%d, packed %dx%dx%dx%d",
			ErrShape, s.KH, s.KW, s.C, s.M, o.KH, o.KW, o.C, o.M)
	}
	if err := s.check(0, 0, s.M, c.b.ep); err != nil {
		return nil, fmt.Errorf("conv2d reshape: %w", err)
	}
	return newConv2DPacked(c.b, s, c.im), nil
}

func newConv2D(filter []float32, s ConvShape, e Epilogue, im *impl) *Conv2D {
	return newConv2DPacked(packB(filter, s.KH*s.KW*s.C, s.M, false, e), s, im)
}

func newConv2DPacked(b *gemmB, s ConvShape, im *impl) *Conv2D {
	k := s.KH * s.KW * s.C
	c := &Conv2D{s: s, im: im, k: k, b: b}
	c.pointwise = s.KH == 1 && s.KW == 1 && s.StrideH == 1 && s.StrideW == 1 &&
		s.PadTop == 0 && s.PadLeft == 0 && s.OutH == s.H && s.OutW == s.W
	if bpr := (s.OutW + im.mr - 1) / im.mr; !c.pointwise && s.DilationW == 1 && 4*s.OutW >= 3*bpr*im.mr {
		// Row-aligned blocks pay for a partial block at the end of every
		// row; they are worth it when that wastes under a quarter.
		c.rowBlocks = bpr
	}
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
	blocks := (rows + c.im.mr - 1) / c.im.mr
	if c.rowBlocks > 0 {
		blocks = s.N * s.OutH * c.rowBlocks
	}
	sp := newSplit(blocks, c.b.panels(), threads)
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
		if c.rowBlocks > 0 {
			c.rowBlock(dst, src, scr, tile, rb, p0, p1)
			continue
		}
		r0 := rb * mr
		n := min(mr, rows-r0)
		out := dst[r0*s.M:]
		switch {
		case c.pointwise && n == mr:
			c.im.block(c.b, matrixView(src[r0*s.C:], s.C, 1), n, out, s.M, p0, p1, tile)
		case c.pointwise:
			copyRows(scr, src[r0*s.C:], s.C, 1, n, mr, c.k)
			c.im.block(c.b, matrixView(scr, c.k, 1), n, out, s.M, p0, p1, tile)
		default:
			c.im2col(scr, src, r0, n, mr)
			c.im.block(c.b, matrixView(scr, c.k, 1), n, out, s.M, p0, p1, tile)
		}
	}
}

// rowBlock computes block rb of an output-row-aligned split. A full block
// whose taps all fall inside the image reads them in place: for tap row kh,
// pixel i's taps are KW*C consecutive floats at a fixed stride, so the
// block is a GEMM over KH segments of the image. Other blocks go through
// im2col.
func (c *Conv2D) rowBlock(dst, src, scr, tile []float32, rb, p0, p1 int) {
	s := &c.s
	mr := c.im.mr
	q, bx := rb/c.rowBlocks, rb%c.rowBlocks // q: output row over the batch
	n, oy := q/s.OutH, q%s.OutH
	ox0 := bx * mr
	npix := min(mr, s.OutW-ox0)
	r0 := q*s.OutW + ox0
	out := dst[r0*s.M:]
	kh0, kh1 := taps(oy, s.StrideH, s.DilationH, s.PadTop, s.KH, s.H)
	kw0, _ := taps(ox0, s.StrideW, 1, s.PadLeft, s.KW, s.W)
	_, kw1 := taps(ox0+npix-1, s.StrideW, 1, s.PadLeft, s.KW, s.W)
	if npix == mr && kh0 == 0 && kh1 == s.KH && kw0 == 0 && kw1 == s.KW {
		iy0, ix0 := oy*s.StrideH-s.PadTop, ox0*s.StrideW-s.PadLeft
		a := aView{
			a:   src[((n*s.H+iy0)*s.W+ix0)*s.C:],
			lda: s.StrideW * s.C, astep: 1,
			segs: s.KH, segStride: s.DilationH * s.W * s.C,
		}
		c.im.block(c.b, a, npix, out, s.M, p0, p1, tile)
		return
	}
	c.im2col(scr, src, r0, npix, mr)
	c.im.block(c.b, matrixView(scr, c.k, 1), npix, out, s.M, p0, p1, tile)
}

// im2col writes the receptive fields of output pixels [r0, r0+n) as rows
// of length KH*KW*C; taps outside the input and rows n..mr-1 are zero.
func (c *Conv2D) im2col(scr, src []float32, r0, n, mr int) {
	s := &c.s
	clear(scr[n*c.k : mr*c.k])
	ox := r0 % s.OutW
	oy := (r0 / s.OutW) % s.OutH
	b := r0 / (s.OutW * s.OutH)
	seg := s.KW * s.C
	for i := 0; i < n; i++ {
		row := scr[i*c.k : (i+1)*c.k]
		kw0, kw1 := taps(ox, s.StrideW, s.DilationW, s.PadLeft, s.KW, s.W)
		full := kw0 == 0 && kw1 == s.KW
		ix0 := ox*s.StrideW + kw0*s.DilationW - s.PadLeft
		for kh := 0; kh < s.KH; kh++ {
			d := row[kh*seg : (kh+1)*seg]
			iy := oy*s.StrideH + kh*s.DilationH - s.PadTop
			if iy < 0 || iy >= s.H || kw0 == kw1 {
				clear(d)
				continue
			}
			if !full {
				clear(d[:kw0*s.C])
				clear(d[kw1*s.C:])
			}
			in := src[((b*s.H+iy)*s.W+ix0)*s.C:]
			if s.DilationW == 1 {
				// Neighbouring taps are neighbouring pixels: one copy,
				// inlined when short (the 3-channel stem convolutions).
				d = d[kw0*s.C : kw1*s.C]
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
				copy(d[kw*s.C:(kw+1)*s.C], in[(kw-kw0)*s.DilationW*s.C:])
			}
		}
		if ox++; ox == s.OutW {
			ox = 0
			if oy++; oy == s.OutH {
				oy = 0
				b++
			}
		}
	}
}
