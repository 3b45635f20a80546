package kernel

import "fmt"

// MatMul computes dst[m×n] = op(a)[m×k] · op(b)[k×n], op transposing when
// the flag is set. It packs b on every call (an allocation of about k×n
// floats); when b is a constant, pack it once with NewPackedMatMul.
func MatMul(dst, a, b []float32, m, n, k int, transA, transB bool, threads int) {
	matMul(bestImpl(), dst, a, b, m, n, k, transA, transB, threads)
}

func matMul(im *impl, dst, a, b []float32, m, n, k int, transA, transB bool, threads int) {
	mustLen("matmul b", len(b), k*n)
	newPackedMatMul(im, b, k, n, transB, Epilogue{}).Run(dst, a, m, transA, threads)
}

// PackedMatMul is a matrix product with a constant right-hand side packed
// once, and an optional fused epilogue over its n columns. Run is safe for
// concurrent use and does not allocate once warm.
type PackedMatMul struct {
	im      *impl
	g       *gemmB
	scratch scratchPool
}

// NewPackedMatMul packs b (k×n, or n×k when transB) and the epilogue, whose
// channels are b's columns.
func NewPackedMatMul(b []float32, k, n int, transB bool, e Epilogue) (*PackedMatMul, error) {
	if k < 0 || n < 0 || len(b) != k*n {
		return nil, fmt.Errorf("packed matmul: %w: %d×%d right-hand side with %d elements", ErrShape, k, n, len(b))
	}
	if err := e.check(n); err != nil {
		return nil, fmt.Errorf("packed matmul: %w", err)
	}
	return newPackedMatMul(bestImpl(), b, k, n, transB, e.clone()), nil
}

func newPackedMatMul(im *impl, b []float32, k, n int, transB bool, e Epilogue) *PackedMatMul {
	p := &PackedMatMul{im: im, g: packB(b, k, n, transB, e)}
	p.scratch.size = im.mr*max(k, 1) + maxMR*nr
	return p
}

// Run computes dst[m×n] = act(op(a)[m×k] · b + bias).
func (p *PackedMatMul) Run(dst, a []float32, m int, transA bool, threads int) {
	k, n := p.g.k, p.g.n
	mustLen("matmul dst", len(dst), m*n)
	mustLen("matmul a", len(a), m*k)
	if m == 0 || n == 0 {
		return
	}
	lda, astep := k, 1
	if transA {
		lda, astep = 1, m
	}
	threads = threadsFor(threads, 2*m*n*k)
	sp := newSplit((m+p.im.mr-1)/p.im.mr, p.g.panels(), threads)
	if threads <= 1 {
		p.work(dst, a, m, lda, astep, sp, 0, sp.units())
		return
	}
	parallel(threads, sp.units(), func(lo, hi int) { p.work(dst, a, m, lda, astep, sp, lo, hi) })
}

func (p *PackedMatMul) work(dst, a []float32, m, lda, astep int, sp split, lo, hi int) {
	k, n, mr := p.g.k, p.g.n, p.im.mr
	buf := p.scratch.get()
	defer p.scratch.put(buf)
	scr, tile := (*buf)[:mr*max(k, 1)], (*buf)[mr*max(k, 1):]
	for u := lo; u < hi; u++ {
		rb, p0, p1 := sp.unit(u)
		r0 := rb * mr
		rows := min(mr, m-r0)
		if k == 0 {
			// An empty sum: every element is the epilogue of zero.
			c0, c1 := p0*nr, min(p1*nr, n)
			for i := r0; i < r0+rows; i++ {
				row := dst[i*n+c0 : i*n+c1]
				clear(row)
				p.g.ep.rowBiasAct(row, c0)
			}
			continue
		}
		if rows == mr {
			p.im.block(p.g, matrixView(a[r0*lda:], lda, astep), rows, dst[r0*n:], n, p0, p1, tile)
			continue
		}
		copyRows(scr, a[r0*lda:], lda, astep, rows, mr, k)
		p.im.block(p.g, matrixView(scr, k, 1), rows, dst[r0*n:], n, p0, p1, tile)
	}
}
