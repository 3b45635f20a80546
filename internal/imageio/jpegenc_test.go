package imageio

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"testing"
)

// gradientImage has smooth colour ramps and a sharp red/blue edge.
func gradientImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) % 256), 255}
			if x > w/2 && y > h/2 {
				c = color.RGBA{220, 20, 30, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func psnr(a, b image.Image) float64 {
	var se float64
	bd := a.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			for _, d := range []float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				se += d * d
			}
		}
	}
	mse := se / float64(3*bd.Dx()*bd.Dy())
	return 10 * math.Log10(255*255/mse)
}

func TestEncodeBaseline(t *testing.T) {
	for _, size := range [][2]int{{295, 413}, {1, 1}, {17, 9}, {64, 64}} {
		img := gradientImage(size[0], size[1])
		for _, ch := range []Chroma{Chroma420, Chroma444} {
			for _, q := range []int{1, 50, 92, 100} {
				t.Run(fmt.Sprintf("%dx%d/%s/q%d", size[0], size[1], ch, q), func(t *testing.T) {
					data, err := encodeBaseline(img, q, ch)
					if err != nil {
						t.Fatal(err)
					}
					dec, err := jpeg.Decode(bytes.NewReader(data))
					if err != nil {
						t.Fatalf("decode: %v", err)
					}
					if dec.Bounds().Size() != img.Bounds().Size() {
						t.Fatalf("decoded %v, want %v", dec.Bounds(), img.Bounds())
					}
					// No worse than the standard library's 4:2:0 encoder at
					// the same quality (it writes the same tables).
					var ref bytes.Buffer
					jpeg.Encode(&ref, img, &jpeg.Options{Quality: q})
					refLen := ref.Len()
					refDec, _ := jpeg.Decode(&ref)
					got, want := psnr(img, dec), psnr(img, refDec)
					if got < want-0.5 {
						t.Errorf("PSNR %.2f dB, standard library %.2f dB", got, want)
					}
					if testing.Verbose() {
						t.Logf("%d bytes (stdlib %d), PSNR %.2f (stdlib %.2f)", len(data), refLen, got, want)
					}
				})
			}
		}
	}
}
