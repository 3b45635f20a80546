package imageio

import (
	"image"
	"image/color"
	"sync"
)

// RowReader reads row y, columns [x0, x1), of an image as RGB values in
// 0..255 into dst, three per pixel.
type RowReader func(y, x0, x1 int, dst []float32)

// RowReaderFor returns a row reader for img, with fast paths for the types
// the decoders return (YCbCr, RGBA, NRGBA, Gray). Colour bytes of RGBA and
// NRGBA are taken as they are: decoded photos are opaque.
func RowReaderFor(img image.Image) RowReader {
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

func rgbaRow(p []uint8, n int, dst []float32) {
	for i := range n {
		dst[3*i], dst[3*i+1], dst[3*i+2] = float32(p[4*i]), float32(p[4*i+1]), float32(p[4*i+2])
	}
}

// chromaDiv is the horizontal chroma subsampling. Chroma columns are
// x/chromaDiv with Go's truncating division, as image.YCbCr.COffset has
// them (which matters for rectangles left of the origin).
func chromaDiv(r image.YCbCrSubsampleRatio) int {
	switch r {
	case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
		return 2
	case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		return 4
	}
	return 1
}

// ycbcrRow converts one row of a YCbCr image (JPEG's own layout) to RGB
// with the JFIF equations, resolving the chroma subsampling once per row.
func ycbcrRow(m *image.YCbCr, y, x0, x1 int, dst []float32) {
	yrow := m.Y[m.YOffset(x0, y):]
	d := chromaDiv(m.SubsampleRatio)
	ci, cx0 := m.COffset(x0, y), x0/d
	for x := x0; x < x1; x++ {
		c := ci + x/d - cx0
		i := 3 * (x - x0)
		// Fixed point, 16 fractional bits (as image/color does): faster
		// than float with clamps, and exact to the byte.
		yy := int32(yrow[x-x0])<<16 + 1<<15
		cb, cr := int32(m.Cb[c])-128, int32(m.Cr[c])-128
		dst[i] = clampFix(yy + 91881*cr)
		dst[i+1] = clampFix(yy - 22554*cb - 46802*cr)
		dst[i+2] = clampFix(yy + 116130*cb)
	}
}

// clampFix turns a 16.16 fixed-point value into a 0..255 float.
func clampFix(v int32) float32 {
	if uint32(v)&0xff000000 == 0 {
		return float32(v >> 16)
	}
	if v < 0 {
		return 0
	}
	return 255
}

func ycbcrToRGB(yy, cb, cr float32) (r, g, b float32) {
	return min(max(yy+1.402*cr, 0), 255), min(max(yy-0.344136*cb-0.714136*cr, 0), 255), min(max(yy+1.772*cb, 0), 255)
}

// Shrink averages k×k blocks (k ≥ 1) of the region reg of img into a
// w×h RGB float image (three values per pixel, 0..255), reading every
// source pixel once, with up to threads goroutines. Pixel (x, y) of the
// result covers source pixels [x*k, x*k+k) × [y*k, y*k+k) relative to
// reg.Min; blocks cut by reg's edge average what they hold.
//
// A YCbCr image (a decoded JPEG) is averaged in YCbCr with integer sums
// and converted once per block: the conversion is linear, so this costs a
// k²-th of converting every pixel, which is most of the time for a large
// photo.
func Shrink(img image.Image, reg image.Rectangle, k, threads int) (w, h int, pix []float32) {
	reg = reg.Intersect(img.Bounds())
	k = max(k, 1)
	w, h = (reg.Dx()+k-1)/k, (reg.Dy()+k-1)/k
	pix = make([]float32, w*h*3)
	if w == 0 || h == 0 {
		return w, h, pix
	}
	workers := max(1, min(threads, h/16))
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Go(func() {
			y0, y1 := wk*h/workers, (wk+1)*h/workers
			if yc, ok := img.(*image.YCbCr); ok && k > 1 {
				shrinkYCbCr(yc, reg, k, w, y0, y1, pix)
				return
			}
			shrinkRows(RowReaderFor(img), reg, k, w, y0, y1, pix)
		})
	}
	wg.Wait()
	return w, h, pix
}

// shrinkRows is Shrink for output rows [ty0, ty1) through a row reader.
func shrinkRows(read RowReader, reg image.Rectangle, k, w, ty0, ty1 int, pix []float32) {
	if k == 1 {
		for ty := ty0; ty < ty1; ty++ {
			read(reg.Min.Y+ty, reg.Min.X, reg.Max.X, pix[ty*w*3:(ty+1)*w*3])
		}
		return
	}
	line := make([]float32, reg.Dx()*3)
	acc := make([]float32, w*3)
	cnt := make([]float32, w)
	for ty := ty0; ty < ty1; ty++ {
		clear(acc)
		clear(cnt)
		for sy := reg.Min.Y + ty*k; sy < min(reg.Min.Y+ty*k+k, reg.Max.Y); sy++ {
			read(sy, reg.Min.X, reg.Max.X, line)
			for x := range reg.Dx() {
				bin := x / k
				acc[3*bin] += line[3*x]
				acc[3*bin+1] += line[3*x+1]
				acc[3*bin+2] += line[3*x+2]
				cnt[bin]++
			}
		}
		out := pix[ty*w*3 : (ty+1)*w*3]
		for x := range w {
			inv := 1 / cnt[x]
			out[3*x], out[3*x+1], out[3*x+2] = acc[3*x]*inv, acc[3*x+1]*inv, acc[3*x+2]*inv
		}
	}
}

// shrinkYCbCr is Shrink for output rows [ty0, ty1) of a YCbCr image.
func shrinkYCbCr(m *image.YCbCr, reg image.Rectangle, k, w, ty0, ty1 int, pix []float32) {
	d := chromaDiv(m.SubsampleRatio)
	// Chroma column of each x, relative to the row's first: a table
	// instead of a division per pixel.
	ccol := make([]int32, reg.Dx())
	for x := reg.Min.X; x < reg.Max.X; x++ {
		ccol[x-reg.Min.X] = int32(x/d - reg.Min.X/d)
	}
	acc := make([]uint32, w*3)
	cnt := make([]uint32, w)
	for ty := ty0; ty < ty1; ty++ {
		clear(acc)
		clear(cnt)
		for sy := reg.Min.Y + ty*k; sy < min(reg.Min.Y+ty*k+k, reg.Max.Y); sy++ {
			yrow := m.Y[m.YOffset(reg.Min.X, sy):]
			cb, cr := m.Cb[m.COffset(reg.Min.X, sy):], m.Cr[m.COffset(reg.Min.X, sy):]
			for bin, x := 0, 0; x < reg.Dx(); bin++ {
				start, end := x, min(x+k, reg.Dx())
				var sY, sCb, sCr uint32
				for ; x < end; x++ {
					c := ccol[x]
					sY += uint32(yrow[x])
					sCb += uint32(cb[c])
					sCr += uint32(cr[c])
				}
				acc[3*bin] += sY
				acc[3*bin+1] += sCb
				acc[3*bin+2] += sCr
				cnt[bin] += uint32(end - start)
			}
		}
		out := pix[ty*w*3 : (ty+1)*w*3]
		for x := range w {
			inv := 1 / float32(cnt[x])
			out[3*x], out[3*x+1], out[3*x+2] = ycbcrToRGB(float32(acc[3*x])*inv, float32(acc[3*x+1])*inv-128, float32(acc[3*x+2])*inv-128)
		}
	}
}
