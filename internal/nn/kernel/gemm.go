package kernel

import "unsafe"

// nr is the width of a packed filter panel and of every micro-kernel tile:
// one AVX-512 register, two AVX2 registers.
const nr = 16

// maxMR bounds the tile height of any micro-kernel (sizes stack tiles).
const maxMR = 12

// microKernel computes one mr×16 tile of C (mr×8 or mr×32 for the
// variants) over k = ks*nseg steps:
//
//	c[i*ldc+j] = min(max(bias[j] + Σp a(i,p)·b[p*ldb+j], clamp[0]), clamp[1])
//	a(i, s*ks+j) = a[i*lda + s*segStride + j*astep]
//
// Strides are in bytes; a must have mr readable rows.
type microKernel func(ks int, a *float32, lda, astep uintptr, b *float32, ldb uintptr,
	c *float32, ldc uintptr, bias *float32, clamp *[2]float32, nseg int, segStride uintptr)

// aView describes the left-hand side of a block: row i, step p is
// a[i*lda + (p/ks)*segStride + (p%ks)*astep] with ks = k/segs (strides in
// elements). One segment is a plain matrix; a k×k convolution over an
// interior block reads its KH rows of taps as KH segments of the image.
type aView struct {
	a               []float32
	lda, astep      int
	segs, segStride int
}

func matrixView(a []float32, lda, astep int) aView {
	return aView{a: a, lda: lda, astep: astep, segs: 1}
}

// last is the index of the highest element rows rows of the view read
// over k steps.
func (v *aView) last(rows, k int) int {
	return (rows-1)*v.lda + (v.segs-1)*v.segStride + (k/v.segs-1)*v.astep
}

// impl is one set of inner loops: the portable Go code or a SIMD flavour.
type impl struct {
	name  string
	mr    int
	gemm  microKernel // mr×16 tiles; nil: Go loops
	gemm8 microKernel // mr×8 tiles for a last panel of at most 8 columns
	// gemm32 computes mr×32 tiles from two adjacent panels; optional.
	gemm32 microKernel
	dws    []dwKernels // widest first; none: Go loops
	// dwTail, when set, does the last channels that no block width fits
	// (fewer than 8), instead of Go loops.
	dwTail dwKernel

	peak      func(n int) // n iterations of peakFlops register-only flops
	peakFlops int
}

// dwKernels are the depthwise kernels for one channel-block width.
type dwKernels struct {
	width int
	any   dwKernel // any kernel size, stride and dilation
	k3s1  dwKernel // three taps per row, stride 1, dilation 1, 8n pixels
	k5s1  dwKernel // five taps per row, likewise
}

// goImpl is the portable implementation, the fallback everywhere.
var goImpl = &impl{name: "go", mr: 6}

// gemmB is a right-hand side packed in 16-column panels: panel p holds
// columns [16p, 16p+16) as k rows of 16 floats, zero-padded past n.
type gemmB struct {
	k, n  int
	data  []float32
	bias  []float32 // padded to whole panels; zeros when there is no bias
	clamp [2]float32
	post  bool // activation not expressible as a clamp: run Epilogue.rowAct
	ep    Epilogue
}

func (g *gemmB) panels() int { return (g.n + nr - 1) / nr }

// packB packs b (k×n, row-major, or n×k when trans) and the epilogue.
func packB(b []float32, k, n int, trans bool, e Epilogue) *gemmB {
	g := &gemmB{k: k, n: n, ep: e}
	np := g.panels()
	g.data = make([]float32, np*k*nr)
	for p := 0; p < np; p++ {
		dst := g.data[p*k*nr:]
		for r := 0; r < k; r++ {
			for j := 0; j < nr && p*nr+j < n; j++ {
				col := p*nr + j
				if trans {
					dst[r*nr+j] = b[col*k+r]
				} else {
					dst[r*nr+j] = b[r*n+col]
				}
			}
		}
	}
	g.bias = make([]float32, np*nr)
	copy(g.bias, e.Bias)
	lo, hi, ok := e.clampRange()
	g.clamp = [2]float32{lo, hi}
	g.post = !ok
	return g
}

// block computes rows [0,rows) × panels [p0,p1) of C from the view a,
// which must hold im.mr readable rows when im has micro-kernels; c points
// at the first row of the block. tile is maxMR*16 floats of scratch for
// edge tiles (a stack array would escape through the indirect call).
func (im *impl) block(g *gemmB, a aView, rows int, c []float32, ldc, p0, p1 int, tile []float32) {
	tile = tile[:maxMR*nr]
	k := g.k
	ks := k / a.segs
	if im.gemm != nil {
		_ = a.a[a.last(im.mr, k)] // the assembly reads up to here
	}
	ap := unsafe.SliceData(a.a)
	lda, astep, segStride := uintptr(a.lda*4), uintptr(a.astep*4), uintptr(a.segStride*4)
	for p := p0; p < p1; p++ {
		col := p * nr
		if im.gemm32 != nil && rows == im.mr && p+1 < p1 && col+2*nr <= g.n {
			// Two full panels and a full row block: the wide tile.
			_ = c[(rows-1)*ldc+col+2*nr-1]
			im.gemm32(ks, ap, lda, astep, &g.data[p*k*nr], nr*4,
				&c[col], uintptr(ldc*4), &g.bias[col], &g.clamp, a.segs, segStride)
			if g.post {
				for i := 0; i < rows; i++ {
					g.ep.rowAct(c[i*ldc+col:i*ldc+col+2*nr], col)
				}
			}
			p++
			continue
		}
		cols := min(nr, g.n-col)
		b := g.data[p*k*nr : (p+1)*k*nr]
		bias := g.bias[col : col+nr]
		kern, width := im.gemm, nr
		if cols <= nr/2 && im.gemm8 != nil {
			kern, width = im.gemm8, nr/2
		}
		switch {
		case kern == nil:
			goKernel(k, a, b, c[col:], ldc, bias, &g.clamp, rows, cols)
		case rows == im.mr && cols == width:
			_ = c[(rows-1)*ldc+col+width-1]
			kern(ks, ap, lda, astep, &b[0], nr*4, &c[col], uintptr(ldc*4), &bias[0], &g.clamp, a.segs, segStride)
		default:
			kern(ks, ap, lda, astep, &b[0], nr*4, &tile[0], nr*4, &bias[0], &g.clamp, a.segs, segStride)
			for i := 0; i < rows; i++ {
				copy(c[i*ldc+col:i*ldc+col+cols], tile[i*nr:])
			}
		}
		if g.post {
			for i := 0; i < rows; i++ {
				g.ep.rowAct(c[i*ldc+col:i*ldc+col+cols], col)
			}
		}
	}
}

// goKernel is the portable micro-kernel for a rows×cols tile (rows ≤ maxMR,
// cols ≤ 16), with the same contract as microKernel. It works on 2×4
// blocks held in local variables, which the compiler keeps in registers.
func goKernel(k int, a aView, b []float32, c []float32, ldc int,
	bias []float32, clamp *[2]float32, rows, cols int) {
	var tile [maxMR * nr]float32
	b = b[:k*nr]
	ks := k / a.segs
	for i := 0; i < rows; i += 2 {
		i1 := i // a lone last row is computed twice
		if i+1 < rows {
			i1 = i + 1
		}
		for j := 0; j < nr; j += 4 {
			c00, c01, c02, c03 := bias[j], bias[j+1], bias[j+2], bias[j+3]
			c10, c11, c12, c13 := c00, c01, c02, c03
			for sg := 0; sg < a.segs; sg++ {
				a0 := a.a[i*a.lda+sg*a.segStride:]
				a1 := a.a[i1*a.lda+sg*a.segStride:]
				bs := b[sg*ks*nr : (sg+1)*ks*nr]
				for p := 0; p < ks; p++ {
					br := bs[p*nr+j : p*nr+j+4]
					x, y := a0[p*a.astep], a1[p*a.astep]
					c00 += x * br[0]
					c01 += x * br[1]
					c02 += x * br[2]
					c03 += x * br[3]
					c10 += y * br[0]
					c11 += y * br[1]
					c12 += y * br[2]
					c13 += y * br[3]
				}
			}
			t := tile[i*nr+j : i*nr+j+4]
			t[0], t[1], t[2], t[3] = c00, c01, c02, c03
			if i+1 < rows {
				t = tile[(i+1)*nr+j : (i+1)*nr+j+4]
				t[0], t[1], t[2], t[3] = c10, c11, c12, c13
			}
		}
	}
	for i := 0; i < rows; i++ {
		cr := c[i*ldc : i*ldc+cols]
		for j := range cr {
			cr[j] = min(max(tile[i*nr+j], clamp[0]), clamp[1])
		}
	}
}

// copyRows copies rows (< mr) rows of A into scratch as a dense mr×k block
// so that the micro-kernel can read whole tiles; missing rows are zero.
func copyRows(dst, a []float32, lda, astep, rows, mr, k int) {
	clear(dst[:mr*k])
	for i := 0; i < rows; i++ {
		for p := 0; p < k; p++ {
			dst[i*k+p] = a[i*lda+p*astep]
		}
	}
}

// split assigns work units to at most threads workers. Units are
// (row block, panel group) pairs so that a short, wide product still uses
// every worker.
type split struct {
	rowBlocks, panels, groups int
}

func newSplit(rowBlocks, panels, threads int) split {
	s := split{rowBlocks: rowBlocks, panels: panels, groups: 1}
	if threads > 1 && rowBlocks < 4*threads {
		s.groups = min(panels, (4*threads+rowBlocks-1)/max(rowBlocks, 1))
	}
	return s
}

func (s split) units() int { return s.rowBlocks * s.groups }

// unit returns the row block and panel range of work unit u.
func (s split) unit(u int) (rb, p0, p1 int) {
	rb, g := u/s.groups, u%s.groups
	return rb, g * s.panels / s.groups, (g + 1) * s.panels / s.groups
}
