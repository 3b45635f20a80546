package matte

import (
	"image"
	"image/color"
	"sync"
)

// plane is a float32 image of c channels, row-major.
type plane struct {
	w, h, c int
	pix     []float32
}

func newPlane(w, h, c int) *plane { return &plane{w, h, c, make([]float32, w*h*c)} }

// pixelReader reads one row of an image as RGB 0..255 into dst (3 values per
// pixel), with fast paths for the types decoders return.
type pixelReader func(y, x0, x1 int, dst []float32)

func readerFor(img image.Image) pixelReader {
	switch m := img.(type) {
	case *image.YCbCr:
		return func(y, x0, x1 int, dst []float32) { ycbcrRow(m, y, x0, x1, dst) }
	case *image.RGBA:
		return func(y, x0, x1 int, dst []float32) {
			p := m.Pix[m.PixOffset(x0, y):]
			for i := range x1 - x0 {
				dst[3*i], dst[3*i+1], dst[3*i+2] = float32(p[4*i]), float32(p[4*i+1]), float32(p[4*i+2])
			}
		}
	case *image.NRGBA:
		return func(y, x0, x1 int, dst []float32) {
			p := m.Pix[m.PixOffset(x0, y):]
			for i := range x1 - x0 {
				dst[3*i], dst[3*i+1], dst[3*i+2] = float32(p[4*i]), float32(p[4*i+1]), float32(p[4*i+2])
			}
		}
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

// shrink reads roi of img averaging k×k blocks (k ≥ 1) into an RGB plane,
// with up to `threads` goroutines. Reading every source pixel once keeps
// the later resize free of aliasing.
func shrink(read pixelReader, roi image.Rectangle, k, threads int) *plane {
	w, h := (roi.Dx()+k-1)/k, (roi.Dy()+k-1)/k
	p := newPlane(w, h, 3)
	workers := max(1, min(threads, h/16))
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Go(func() {
			row := make([]float32, roi.Dx()*3)
			acc := make([]float32, w*3)
			cnt := make([]float32, w)
			for ty := wk * h / workers; ty < (wk+1)*h/workers; ty++ {
				clear(acc)
				clear(cnt)
				for y := roi.Min.Y + ty*k; y < min(roi.Min.Y+ty*k+k, roi.Max.Y); y++ {
					read(y, roi.Min.X, roi.Max.X, row)
					for x := range roi.Dx() {
						b := x / k
						acc[3*b] += row[3*x]
						acc[3*b+1] += row[3*x+1]
						acc[3*b+2] += row[3*x+2]
						cnt[b]++
					}
				}
				out := p.pix[ty*w*3:]
				for b := range w {
					inv := 1 / cnt[b]
					out[3*b], out[3*b+1], out[3*b+2] = acc[3*b]*inv, acc[3*b+1]*inv, acc[3*b+2]*inv
				}
			}
		})
	}
	wg.Wait()
	return p
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
	n, lines, step, lineStep := w, h, c, w*c
	if !horiz {
		n, lines, step, lineStep = h, w, w*c, c
	}
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
