package face

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// TestRaster checks the fast row readers and block averaging against
// image.Image.At on every subsampling JPEG produces.
func TestRaster(t *testing.T) {
	r := image.Rect(-3, 5, 37, 29)
	imgs := map[string]image.Image{}
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440} {
		m := image.NewYCbCr(r, ratio)
		for i := range m.Y {
			m.Y[i] = uint8(i * 37)
		}
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = uint8(i*53), uint8(255-i*29)
		}
		imgs["ycbcr "+ratio.String()] = m
	}
	gray := image.NewGray(r)
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 11)
	}
	imgs["gray"] = gray
	for name, img := range imgs {
		for _, k := range []int{1, 3} {
			ras := newRaster(img, k, 2)
			for ty := range ras.h {
				for tx := range ras.w {
					var want [3]float64
					n := 0
					for y := r.Min.Y + ty*k; y < min(r.Min.Y+ty*k+k, r.Max.Y); y++ {
						for x := r.Min.X + tx*k; x < min(r.Min.X+tx*k+k, r.Max.X); x++ {
							c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
							want[0] += float64(c.R)
							want[1] += float64(c.G)
							want[2] += float64(c.B)
							n++
						}
					}
					for ch := range 3 {
						got := float64(ras.pix[(ty*ras.w+tx)*3+ch])
						if math.Abs(got-want[ch]/float64(n)) > 1.5 {
							t.Fatalf("%s k=%d pixel (%d,%d) channel %d = %.1f, want %.1f", name, k, tx, ty, ch, got, want[ch]/float64(n))
						}
					}
				}
			}
		}
	}
}
