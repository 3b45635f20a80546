package matte

import (
	"image"
	"sync"

	"github.com/zhengapi/zheng/internal/imageio"
)

// plane is a float32 image of c channels, row-major.
type plane struct {
	w, h, c int
	pix     []float32
}

func newPlane(w, h, c int) *plane { return &plane{w, h, c, make([]float32, w*h*c)} }

// shrink reads roi of img averaging k×k blocks (k ≥ 1) into an RGB plane,
// with up to `threads` goroutines. Reading every source pixel once keeps
// the later resize free of aliasing.
func shrink(img image.Image, roi image.Rectangle, k, threads int) *plane {
	w, h, pix := imageio.Shrink(img, roi, k, threads)
	return &plane{w, h, 3, pix}
}

// resize resamples p to w×h bilinearly (pixel centres aligned, edges
// clamped).
func (p *plane) resize(w, h int) *plane {
	out := newPlane(w, h, p.c)
	sx, sy := float32(p.w)/float32(w), float32(p.h)/float32(h)
	xs := make([]axisTap, w)
	for x := range w {
		xs[x] = tap(float32(x), sx, p.w)
	}
	for y := range h {
		ty := tap(float32(y), sy, p.h)
		r0, r1 := p.pix[ty.i0*p.w*p.c:], p.pix[ty.i1*p.w*p.c:]
		o := out.pix[y*w*p.c:]
		for x, tx := range xs {
			for ch := range p.c {
				a := r0[tx.i0*p.c+ch] + (r0[tx.i1*p.c+ch]-r0[tx.i0*p.c+ch])*tx.f
				b := r1[tx.i0*p.c+ch] + (r1[tx.i1*p.c+ch]-r1[tx.i0*p.c+ch])*tx.f
				o[x*p.c+ch] = a + (b-a)*ty.f
			}
		}
	}
	return out
}

// axisTap is a two-tap linear interpolation along one axis.
type axisTap struct {
	i0, i1 int
	f      float32
}

// tap maps destination index d (scale src/dst) to source taps.
func tap(d, scale float32, n int) axisTap {
	s := (d+0.5)*scale - 0.5
	if s <= 0 {
		return axisTap{0, 0, 0}
	}
	i := int(s)
	if i >= n-1 {
		return axisTap{n - 1, n - 1, 0}
	}
	return axisTap{i, i + 1, s - float32(i)}
}

// boxBlur returns the mean of each channel over a (2r+1)² window, with the
// window clipped at the borders (running sums: O(1) per pixel), with up
// to threads goroutines.
func (p *plane) boxBlur(r, threads int) *plane {
	tmp := newPlane(p.w, p.h, p.c)
	out := newPlane(p.w, p.h, p.c)
	parallel(p.h, threads, func(lo, hi int) { blurRows(p.pix, tmp.pix, p.w, p.c, r, lo, hi) })
	parallel(p.w*p.c, threads, func(lo, hi int) { blurCols(tmp.pix, out.pix, p.w, p.h, p.c, r, lo, hi) })
	return out
}

// parallel splits [0, n) into up to threads contiguous parts (none smaller
// than a few thousand items) and runs f on each at once.
func parallel(n, threads int, f func(lo, hi int)) {
	workers := max(1, min(threads, n/2048))
	if workers == 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Go(func() { f(wk*n/workers, (wk+1)*n/workers) })
	}
	wg.Wait()
}

// blurRows box-filters rows [y0, y1) of a w-pixel, c-channel image along
// the row, all channels at once.
func blurRows(src, dst []float32, w, c, r, y0, y1 int) {
	sum := make([]float32, c)
	for y := y0; y < y1; y++ {
		line, out := src[y*w*c:(y+1)*w*c], dst[y*w*c:(y+1)*w*c]
		clear(sum)
		lo, hi := 0, -1 // current window [lo, hi]
		for i := range w {
			for hi < min(i+r, w-1) {
				hi++
				for ch, v := range line[hi*c : hi*c+c] {
					sum[ch] += v
				}
			}
			for lo < i-r {
				for ch, v := range line[lo*c : lo*c+c] {
					sum[ch] -= v
				}
				lo++
			}
			cnt := float32(hi - lo + 1)
			for ch, v := range sum {
				out[i*c+ch] = v / cnt
			}
		}
	}
}

// blurCols box-filters down the columns, for the values [j0, j1) of each
// row, a whole row at a time: the running sum is a row vector, so memory
// is read in order (a column walk over a 13-channel plane misses the cache
// on every step).
func blurCols(src, dst []float32, w, h, c, r, j0, j1 int) {
	n := w * c
	sum := make([]float32, j1-j0)
	lo, hi := 0, -1 // current window of rows [lo, hi]
	for i := range h {
		for hi < min(i+r, h-1) {
			hi++
			for j, v := range src[hi*n+j0 : hi*n+j1] {
				sum[j] += v
			}
		}
		for lo < i-r {
			for j, v := range src[lo*n+j0 : lo*n+j1] {
				sum[j] -= v
			}
			lo++
		}
		cnt := float32(hi - lo + 1)
		out := dst[i*n+j0 : i*n+j1]
		for j, v := range sum {
			out[j] = v / cnt
		}
	}
}
