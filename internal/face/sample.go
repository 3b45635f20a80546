package face

import (
	"image"
	"image/color"
	"math"
	"sync"
)

// raster is an RGB image held as float32 values in 0..255, row-major,
// three values per pixel. Pixel (x, y) covers [x, x+1) × [y, y+1).
type raster struct {
	w, h int
	pix  []float32
}

// newRaster copies img into a raster, averaging k×k blocks of source pixels
// (k ≥ 1) so that large photos are read once and the model crops sample a
// small, already low-passed copy, with up to `threads` goroutines. Pixel
// (x, y) of the result covers source pixels [x*k, x*k+k) × [y*k, y*k+k)
// relative to img.Bounds().Min.
func newRaster(img image.Image, k, threads int) *raster {
	b := img.Bounds()
	w, h := (b.Dx()+k-1)/k, (b.Dy()+k-1)/k
	r := &raster{w: w, h: h, pix: make([]float32, w*h*3)}
	read := readerFor(img)
	workers := max(1, min(threads, h/16))
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Go(func() {
			line := make([]float32, b.Dx()*3)
			acc := make([]float32, w*3)
			cnt := make([]float32, w)
			for ty := wk * h / workers; ty < (wk+1)*h/workers; ty++ {
				clear(acc)
				clear(cnt)
				for sy := b.Min.Y + ty*k; sy < min(b.Min.Y+ty*k+k, b.Max.Y); sy++ {
					read(sy, b.Min.X, b.Max.X, line)
					for x := range b.Dx() {
						bin := x / k
						acc[3*bin] += line[3*x]
						acc[3*bin+1] += line[3*x+1]
						acc[3*bin+2] += line[3*x+2]
						cnt[bin]++
					}
				}
				out := r.pix[ty*w*3 : (ty+1)*w*3]
				for x := range w {
					inv := 1 / cnt[x]
					out[3*x] = acc[3*x] * inv
					out[3*x+1] = acc[3*x+1] * inv
					out[3*x+2] = acc[3*x+2] * inv
				}
			}
		})
	}
	wg.Wait()
	return r
}

// rowReader reads row y, columns [x0, x1), as RGB 0..255 into dst.
type rowReader func(y, x0, x1 int, dst []float32)

// readerFor returns a row reader with fast paths for the types decoders
// return.
func readerFor(img image.Image) rowReader {
	switch m := img.(type) {
	case *image.YCbCr:
		return func(y, x0, x1 int, dst []float32) { ycbcrRow(m, y, x0, x1, dst) }
	case *image.RGBA:
		return func(y, x0, x1 int, dst []float32) { rgbaRow(m.Pix[m.PixOffset(x0, y):], x1-x0, dst) }
	case *image.NRGBA:
		return func(y, x0, x1 int, dst []float32) { rgbaRow(m.Pix[m.PixOffset(x0, y):], x1-x0, dst) }
	case *image.Gray:
		return func(y, x0, x1 int, dst []float32) {
			p := m.Pix[m.PixOffset(x0, y):]
			for i := range x1 - x0 {
				v := float32(p[i])
				dst[3*i], dst[3*i+1], dst[3*i+2] = v, v, v
			}
		}
	}
	return func(y, x0, x1 int, dst []float32) {
		for x := x0; x < x1; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			i := 3 * (x - x0)
			dst[i], dst[i+1], dst[i+2] = float32(c.R), float32(c.G), float32(c.B)
		}
	}
}

// rgbaRow copies n pixels of 4-byte RGBA or NRGBA (colour bytes taken
// as they are) into RGB floats.
func rgbaRow(p []uint8, n int, dst []float32) {
	for i := range n {
		dst[3*i], dst[3*i+1], dst[3*i+2] = float32(p[4*i]), float32(p[4*i+1]), float32(p[4*i+2])
	}
}

// ycbcrRow converts one row of a YCbCr image (JPEG's own layout) to RGB
// with the JFIF equations, resolving the chroma subsampling once per row
// instead of once per pixel.
func ycbcrRow(m *image.YCbCr, y, x0, x1 int, dst []float32) {
	yrow := m.Y[m.YOffset(x0, y):]
	d := 1
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
		d = 2
	case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		d = 4
	}
	ci, cx0 := m.COffset(x0, y), x0/d
	for x := x0; x < x1; x++ {
		c := ci + x/d - cx0
		yy := float32(yrow[x-x0])
		cb, cr := float32(m.Cb[c])-128, float32(m.Cr[c])-128
		i := 3 * (x - x0)
		dst[i] = min(max(yy+1.402*cr, 0), 255)
		dst[i+1] = min(max(yy-0.344136*cb-0.714136*cr, 0), 255)
		dst[i+2] = min(max(yy+1.772*cb, 0), 255)
	}
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
