package face

import (
	"image"
	"math"

	"github.com/zhengapi/zheng/internal/imageio"
)

// raster is an RGB image held as float32 values in 0..255, row-major,
// three values per pixel. Pixel (x, y) covers [x, x+1) × [y, y+1).
type raster struct {
	w, h int
	pix  []float32
	// half is this raster averaged in 2×2 blocks (nil when small): warp
	// samples the level that leaves one to two raster pixels per crop
	// pixel, so its supersampling stays at 2×2 taps instead of 4×4.
	half *raster
}

// newRaster copies img into a raster, averaging k×k blocks of source pixels
// (k ≥ 1) so that large photos are read once and the model crops sample a
// small, already low-passed copy, with up to `threads` goroutines. Pixel
// (x, y) of the result covers source pixels [x*k, x*k+k) × [y*k, y*k+k)
// relative to img.Bounds().Min.
func newRaster(img image.Image, k, threads int) *raster {
	w, h, pix := imageio.Shrink(img, img.Bounds(), k, threads)
	r := &raster{w: w, h: h, pix: pix}
	for l := r; min(l.w, l.h) >= 2*pyramidMinSide; l = l.half {
		l.half = l.halve()
	}
	return r
}

// pyramidMinSide is the short side below which no coarser level is made.
const pyramidMinSide = 64

// halve averages 2×2 blocks (a last odd row or column is dropped; warp
// maps coordinates by the exact factor, so the shift is under a pixel of
// the coarse level at the far edge only).
func (r *raster) halve() *raster {
	w, h := r.w/2, r.h/2
	out := &raster{w: w, h: h, pix: make([]float32, w*h*3)}
	for y := range h {
		a, b := r.pix[2*y*r.w*3:], r.pix[(2*y+1)*r.w*3:]
		o := out.pix[y*w*3:]
		for x := range w {
			for c := range 3 {
				i := 6*x + c
				o[3*x+c] = (a[i] + a[i+3] + b[i] + b[i+3]) / 4
			}
		}
	}
	return out
}

// bilinear samples the raster at continuous position (x, y) (pixel centres
// at i+0.5) into dst[0:3]. Positions outside the image read as black, as
// TensorFlow's cropAndResize with extrapolation value 0 does.
func (r *raster) bilinear(x, y float64, dst []float32) {
	x -= 0.5
	y -= 0.5
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := float32(x-x0), float32(y-y0)
	ix, iy := int(x0), int(y0)
	var c [4][3]float32
	for j := range 2 {
		for i := range 2 {
			px, py := ix+i, iy+j
			if px < 0 || py < 0 || px >= r.w || py >= r.h {
				// Clamp inside a half-pixel margin so edges do not darken.
				if px < -1 || py < -1 || px > r.w || py > r.h {
					continue
				}
				px = min(max(px, 0), r.w-1)
				py = min(max(py, 0), r.h-1)
			}
			o := (py*r.w + px) * 3
			c[j*2+i] = [3]float32{r.pix[o], r.pix[o+1], r.pix[o+2]}
		}
	}
	for ch := range 3 {
		top := c[0][ch] + (c[1][ch]-c[0][ch])*fx
		bot := c[2][ch] + (c[3][ch]-c[2][ch])*fx
		dst[ch] = top + (bot-top)*fy
	}
}

// affine maps a destination pixel position (u, v) to source coordinates:
// src = O + u*U + v*V.
type affine struct {
	O, U, V Point
}

func (a affine) apply(u, v float64) Point {
	return Point{a.O.X + u*a.U.X + v*a.V.X, a.O.Y + u*a.U.Y + v*a.V.Y}
}

// squareCrop returns the affine that maps an n×n crop onto the square of
// side `side` centred at c and rotated by theta radians (image
// coordinates, clockwise as seen on screen).
func squareCrop(c Point, side, theta float64, n int) affine {
	s := side / float64(n)
	cos, sin := math.Cos(theta), math.Sin(theta)
	U := Point{cos * s, sin * s}
	V := Point{-sin * s, cos * s}
	h := float64(n) / 2
	return affine{O: Point{c.X - h*U.X - h*V.X, c.Y - h*U.Y - h*V.Y}, U: U, V: V}
}

// warp resamples the source into a w×h RGB tensor (0..255 values) through
// a, which is in full-resolution source pixels; src is a raster reduced by
// factor k. It supersamples when the map shrinks, so small crops of large
// photos do not alias.
func warp(src *raster, k int, a affine, w, h int, dst []float32) {
	inv := 1 / float64(k)
	scale := math.Max(math.Hypot(a.U.X, a.U.Y), math.Hypot(a.V.X, a.V.Y)) * inv
	// A coarser level while it still has at least one pixel per crop pixel.
	for src.half != nil && scale >= 2 {
		src, scale, inv = src.half, scale/2, inv/2
	}
	n := min(max(int(math.Ceil(scale)), 1), 4)
	wt := 1 / float32(n*n)
	var px [3]float32
	for v := range h {
		for u := range w {
			var acc [3]float32
			for sj := range n {
				for si := range n {
					p := a.apply(float64(u)+(float64(si)+0.5)/float64(n), float64(v)+(float64(sj)+0.5)/float64(n))
					src.bilinear(p.X*inv, p.Y*inv, px[:])
					acc[0] += px[0]
					acc[1] += px[1]
					acc[2] += px[2]
				}
			}
			o := (v*w + u) * 3
			dst[o] = acc[0] * wt
			dst[o+1] = acc[1] * wt
			dst[o+2] = acc[2] * wt
		}
	}
}
