package idphoto

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"

	"github.com/zhengapi/zheng/internal/face"
	"github.com/zhengapi/zheng/internal/matte"
)

// portrait is a synthetic head-and-shoulders picture with known geometry.
type portrait struct {
	img  *image.RGBA
	face face.Face
	bg   color.RGBA
}

// synthPortrait draws a person of face height fh (brow top to chin) with
// the brows at (cx, browY), tilted by roll degrees, on a flat background;
// the body runs to the bottom edge when body is true.
func synthPortrait(w, h int, cx, browY, fh, roll float64, body bool) portrait {
	bg := color.RGBA{200, 205, 210, 255}
	skin := color.RGBA{224, 172, 140, 255}
	hair := color.RGBA{40, 30, 25, 255}
	cloth := color.RGBA{30, 40, 80, 255}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	th := roll * math.Pi / 180
	sin, cos := math.Sincos(th)
	cy := browY + fh/2
	// to the upright frame around the face centre
	up := func(x, y float64) (float64, float64) {
		dx, dy := x-cx, y-cy
		return cos*dx + sin*dy, -sin*dx + cos*dy
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			u, v := up(float64(x)+0.5, float64(y)+0.5)
			c := bg
			// body: shoulders from 0.75 fh below the chin
			if body && v > fh/2+0.35*fh && math.Abs(u) < 1.3*fh {
				c = cloth
			}
			if v > fh/2-0.1*fh && v < fh/2+0.5*fh && math.Abs(u) < 0.22*fh {
				c = skin // neck
			}
			// head: ellipse from the crown (0.8 fh above the brows) to the chin
			headC := ((-fh/2 - 0.8*fh) + fh/2) / 2
			headR := (fh/2 - (-fh/2 - 0.8*fh)) / 2
			if (u*u)/(0.42*fh*0.42*fh)+((v-headC)*(v-headC))/(headR*headR) <= 1 {
				if v < -fh/2 {
					c = hair
				} else {
					c = skin
				}
			}
			// eyes
			for _, ex := range []float64{-0.2 * fh, 0.2 * fh} {
				if (u-ex)*(u-ex)+(v-(-fh/2+0.15*fh))*(v-(-fh/2+0.15*fh)) < (0.04*fh)*(0.04*fh) {
					c = color.RGBA{20, 20, 20, 255}
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	pt := func(u, v float64) face.Point {
		return face.Point{X: cx + cos*u - sin*v, Y: cy + sin*u + cos*v}
	}
	f := face.Face{
		Box:   face.Rect{X0: cx - 0.45*fh, Y0: browY - 0.1*fh, X1: cx + 0.45*fh, Y1: browY + fh},
		Score: 0.99,
		Keypoints: [6]face.Point{pt(-0.2*fh, -fh/2+0.15*fh), pt(0.2*fh, -fh/2+0.15*fh), pt(0, 0.1*fh),
			pt(0, 0.28*fh), pt(-0.42*fh, 0), pt(0.42*fh, 0)},
		RightEye: pt(-0.2*fh, -fh/2+0.15*fh), LeftEye: pt(0.2*fh, -fh/2+0.15*fh),
		BrowTop: pt(0, -fh/2), Chin: pt(0, fh/2), Roll: roll,
		RightEyeOpen: 0.3, LeftEyeOpen: 0.3,
	}
	return portrait{img: img, face: f, bg: bg}
}

// fakeFinder returns fixed faces when the image has the expected width
// (so a sideways copy finds nothing, like a real detector).
type fakeFinder struct {
	faces []face.Face
	width int
	err   error
}

func (f *fakeFinder) Find(ctx context.Context, img image.Image) ([]face.Face, error) {
	if f.err != nil {
		return nil, f.err
	}
	if f.width != 0 && img.Bounds().Dx() != f.width {
		return nil, nil
	}
	return f.faces, nil
}

// thresholdMatter mattes by distance from a known flat background colour.
type thresholdMatter struct {
	bg    color.RGBA
	err   error
	block chan struct{} // when set, Matte waits for it
}

func (m *thresholdMatter) Matte(ctx context.Context, img image.Image, roi image.Rectangle) (*matte.Result, error) {
	if m.block != nil {
		select {
		case <-m.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if m.err != nil {
		return nil, m.err
	}
	if !roi.In(img.Bounds()) {
		return nil, errors.New("roi outside the image")
	}
	a := image.NewGray(roi)
	fg := image.NewNRGBA(roi)
	for y := roi.Min.Y; y < roi.Max.Y; y++ {
		for x := roi.Min.X; x < roi.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			d := math.Abs(float64(r>>8)-float64(m.bg.R)) + math.Abs(float64(g>>8)-float64(m.bg.G)) + math.Abs(float64(b>>8)-float64(m.bg.B))
			if d > 30 {
				a.SetGray(x, y, color.Gray{255})
				fg.SetNRGBA(x, y, color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255})
			}
		}
	}
	return &matte.Result{Alpha: a, Foreground: fg}, nil
}
