package matte

import (
	"image"

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
// window clipped at the borders (running sums: O(1) per pixel).
func (p *plane) boxBlur(r int) *plane {
	tmp := newPlane(p.w, p.h, p.c)
	out := newPlane(p.w, p.h, p.c)
	blur1D(p.pix, tmp.pix, p.w, p.h, p.c, r, true)
	blur1D(tmp.pix, out.pix, p.w, p.h, p.c, r, false)
	return out
}

// blur1D box-filters along rows (horiz) or columns.
func blur1D(src, dst []float32, w, h, c, r int, horiz bool) {
	if !horiz {
		blurCols(src, dst, w, h, c, r)
		return
	}
	n, lines, step, lineStep := w, h, c, w*c
	for l := range lines {
		base := l * lineStep
		for ch := range c {
			var sum float32
			lo, hi := 0, -1 // current window [lo, hi]
			for i := range n {
				for hi < min(i+r, n-1) {
					hi++
					sum += src[base+hi*step+ch]
				}
				for lo < i-r {
					sum -= src[base+lo*step+ch]
					lo++
				}
				dst[base+i*step+ch] = sum / float32(hi-lo+1)
			}
		}
	}
}

// blurCols is blur1D down the columns, a whole row at a time: the running
// sum is a row vector, so memory is read in order (a column walk over a
// 13-channel plane misses the cache on every step).
func blurCols(src, dst []float32, w, h, c, r int) {
	n := w * c
	sum := make([]float32, n)
	lo, hi := 0, -1 // current window of rows [lo, hi]
	for i := range h {
		for hi < min(i+r, h-1) {
			hi++
			for j, v := range src[hi*n : (hi+1)*n] {
				sum[j] += v
			}
		}
		for lo < i-r {
			for j, v := range src[lo*n : (lo+1)*n] {
				sum[j] -= v
			}
			lo++
		}
		cnt := float32(hi - lo + 1)
		out := dst[i*n : (i+1)*n]
		for j, v := range sum {
			out[j] = v / cnt
		}
	}
}
