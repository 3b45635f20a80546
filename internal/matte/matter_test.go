package matte

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/zhengapi/zheng/internal/testenv"

	"github.com/zhengapi/zheng/internal/imageio"
	"github.com/zhengapi/zheng/internal/nn"
)

// fakeRVM answers like rvm with alpha and foreground drawn from functions
// of the relative position in the working copy.
type fakeRVM struct {
	alpha func(u, v float64) float32
	fg    [3]float32 // 0..1
}

func (f fakeRVM) Run(_ context.Context, in map[string]*nn.Tensor, _ *nn.RunOptions) (map[string]*nn.Tensor, error) {
	s := in["src"].Shape
	h, w := s[1], s[2]
	pha, fgr := nn.NewTensor(1, h, w, 1), nn.NewTensor(1, h, w, 3)
	for y := range h {
		for x := range w {
			i := y*w + x
			pha.Data[i] = f.alpha((float64(x)+0.5)/float64(w), (float64(y)+0.5)/float64(h))
			copy(fgr.Data[3*i:], f.fg[:])
		}
	}
	return map[string]*nn.Tensor{"pha": pha, "fgr": fgr}, nil
}

var (
	red  = color.NRGBA{200, 30, 30, 255}
	blue = color.NRGBA{60, 90, 200, 255}
)

// split draws person colour left of x = edge and background right of it,
// with a band of width `band` mixing the two half and half.
func split(w, h, edge, band int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	half := func(a, b uint8) uint8 { return uint8((int(a) + int(b)) / 2) }
	mix := color.NRGBA{half(red.R, blue.R), half(red.G, blue.G), half(red.B, blue.B), 255}
	for y := range h {
		for x := range w {
			c := blue
			switch {
			case x < edge:
				c = red
			case x < edge+band:
				c = mix
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// TestRefineFollowsImageEdge: the network sees a copy three times smaller,
// so its matte, upsampled, would blur the edge over several pixels; the
// refined matte must be sharp at the photo's own edge.
func TestRefineFollowsImageEdge(t *testing.T) {
	const w, h, edge = 1600, 1200, 801 // edge off the working grid
	step := func(u, _ float64) float32 {
		if u*w < edge {
			return 1
		}
		return 0
	}
	m := &Matter{rvm: fakeRVM{alpha: step, fg: [3]float32{0.8, 0.1, 0.1}}, opt: (*Options)(nil).withDefaults()}
	res, err := m.Matte(t.Context(), split(w, h, edge, 0), image.Rect(0, 0, w, h))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		x        int
		min, max uint8
	}{
		{edge - 2, 230, 255},
		{edge - 1, 200, 255}, // plain bilinear upsampling gives about 90
		{edge, 0, 20},
		{edge + 1, 0, 15},
		{10, 250, 255},
		{w - 10, 0, 5},
	} {
		if a := res.Alpha.GrayAt(c.x, h/2).Y; a < c.min || a > c.max {
			t.Errorf("alpha at x=%d is %d, want in [%d, %d]", c.x, a, c.min, c.max)
		}
	}
}

// TestForegroundRemovesBackgroundTint: in a half-transparent band the
// photo shows person and background mixed; the estimated foreground must
// be the person's colour, not the mix.
func TestForegroundRemovesBackgroundTint(t *testing.T) {
	const w, h, edge, band = 400, 300, 200, 12
	alpha := func(u, _ float64) float32 {
		switch x := u * w; {
		case x < edge:
			return 1
		case x < edge+band:
			return 0.5
		}
		return 0
	}
	m := &Matter{rvm: fakeRVM{alpha: alpha, fg: [3]float32{200.0 / 255, 30.0 / 255, 30.0 / 255}}, opt: (*Options)(nil).withDefaults()}
	res, err := m.Matte(t.Context(), split(w, h, edge, band), image.Rect(0, 0, w, h))
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []int{edge + 3, edge + band/2, edge + band - 4} {
		a := res.Alpha.GrayAt(x, h/2).Y
		if a < 100 || a > 155 {
			t.Errorf("alpha in the band at x=%d is %d, want about 128", x, a)
		}
		f := res.Foreground.NRGBAAt(x, h/2)
		if d := colourDist(f, red); d > 30 {
			t.Errorf("foreground at x=%d is %v, %.0f away from the person's %v (tint not removed)", x, f, d, red)
		}
	}
	if f := res.Foreground.NRGBAAt(50, 50); colourDist(f, red) > 2 || f.A != 255 {
		t.Errorf("opaque foreground = %v, want the photo's own %v", f, red)
	}
}

func colourDist(a, b color.NRGBA) float64 {
	dr, dg, db := float64(a.R)-float64(b.R), float64(a.G)-float64(b.G), float64(a.B)-float64(b.B)
	return math.Sqrt(dr*dr + dg*dg + db*db)
}

func TestMatteRegion(t *testing.T) {
	m := &Matter{rvm: fakeRVM{alpha: func(u, _ float64) float32 { return float32(u) }}, opt: (*Options)(nil).withDefaults()}
	img := split(300, 200, 100, 0)
	roi := image.Rect(40, 30, 260, 190)
	res, err := m.Matte(t.Context(), img, roi)
	if err != nil {
		t.Fatal(err)
	}
	if res.Alpha.Bounds() != roi || res.Foreground.Bounds() != roi {
		t.Errorf("bounds %v / %v, want %v", res.Alpha.Bounds(), res.Foreground.Bounds(), roi)
	}
	// The ramp runs across the region, not across the whole image.
	if a := res.Alpha.GrayAt(roi.Min.X+1, 100).Y; a > 10 {
		t.Errorf("alpha at the region's left edge = %d, want near 0", a)
	}
	if a := res.Alpha.GrayAt(roi.Max.X-2, 100).Y; a < 240 {
		t.Errorf("alpha at the region's right edge = %d, want near 255", a)
	}
	clipped, err := m.Matte(t.Context(), img, image.Rect(200, 100, 500, 400))
	if err != nil {
		t.Fatal(err)
	}
	if got := clipped.Alpha.Bounds(); got != image.Rect(200, 100, 300, 200) {
		t.Errorf("clipped bounds = %v, want the overlap with the image", got)
	}
	if _, err := m.Matte(t.Context(), img, image.Rect(400, 400, 500, 500)); !errors.Is(err, ErrEmptyRegion) {
		t.Errorf("region outside the image: err = %v, want ErrEmptyRegion", err)
	}
}

func TestWorkingSize(t *testing.T) {
	m := &Matter{opt: (*Options)(nil).withDefaults()}
	for _, c := range []struct{ w, h, ww, wh int }{
		{576, 768, 384, 512},
		{3840, 5760, 352, 512},
		{1920, 1080, 512, 288},
		{200, 100, 192, 96},
		{20, 10, 64, 64},
	} {
		if ww, wh := m.workingSize(c.w, c.h); ww != c.ww || wh != c.wh {
			t.Errorf("workingSize(%d, %d) = %d×%d, want %d×%d", c.w, c.h, ww, wh, c.ww, c.wh)
		}
	}
}

// TestReaders checks the fast row readers against image.Image.At.
func TestReaders(t *testing.T) {
	r := image.Rect(-3, 5, 37, 29)
	imgs := map[string]image.Image{}
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio411} {
		m := image.NewYCbCr(r, ratio)
		for i := range m.Y {
			m.Y[i] = uint8(i * 37)
		}
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = uint8(i*53), uint8(255-i*29)
		}
		imgs["ycbcr "+ratio.String()] = m
	}
	rgba := image.NewRGBA(r)
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(i * 7)
		if i%4 == 3 {
			rgba.Pix[i] = 255
		}
	}
	imgs["rgba"] = rgba
	for name, img := range imgs {
		read := imageio.RowReaderFor(img)
		row := make([]float32, 3*r.Dx())
		for y := r.Min.Y; y < r.Max.Y; y++ {
			read(y, r.Min.X, r.Max.X, row)
			for x := r.Min.X; x < r.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				i := 3 * (x - r.Min.X)
				for ch, v := range []uint8{c.R, c.G, c.B} {
					if math.Abs(float64(row[i+ch])-float64(v)) > 1.5 {
						t.Fatalf("%s at (%d,%d) channel %d: read %.1f, At gives %d", name, x, y, ch, row[i+ch], v)
					}
				}
			}
		}
	}
}

func TestBoxBlur(t *testing.T) {
	p := newPlane(7, 5, 1)
	p.pix[2*7+3] = 9 // one spike in the middle
	b := p.boxBlur(1, 2)
	var sum float32
	for _, v := range b.pix {
		sum += v
	}
	if math.Abs(float64(sum-9)) > 1e-4 || math.Abs(float64(b.pix[2*7+3]-1)) > 1e-6 || b.pix[0] != 0 {
		t.Errorf("boxBlur(1) of a spike: centre %v, total %v, want 1 and 9", b.pix[2*7+3], sum)
	}
}

// Real-model tests.

var (
	matterOnce sync.Once
	matterVal  *Matter
	matterErr  error
)

func testMatter(t testing.TB) *Matter {
	t.Helper()
	dir := testenv.Models(t, "rvm")
	matterOnce.Do(func() { matterVal, matterErr = New(dir) })
	if matterErr != nil {
		t.Fatal(matterErr)
	}
	return matterVal
}

func portrait(t testing.TB, name string) image.Image {
	t.Helper()
	dir := testenv.Shared(t, "portraits")
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return img
}

func TestMattePortraits(t *testing.T) {
	m := testMatter(t)
	tests := []struct {
		file string
		face image.Point // a point in the middle of the face
	}{
		{"hivision_test0.jpg", image.Pt(288, 243)},
		{"deepface_img25.jpg", image.Pt(210, 190)},
		{"facerec_obama.jpg", image.Pt(495, 280)},
		{"u2net_man5.jpg", image.Pt(1060, 600)},
		{"facerec_alex-lacamoire.png", image.Pt(250, 230)},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			img := portrait(t, tc.file)
			b := img.Bounds()
			res, err := m.Matte(t.Context(), img, b)
			if err != nil {
				t.Fatal(err)
			}
			if a := res.Alpha.GrayAt(tc.face.X, tc.face.Y).Y; a < 240 {
				t.Errorf("alpha at the face %v = %d, want ≥ 240", tc.face, a)
			}
			for _, p := range []image.Point{{b.Min.X + 2, b.Min.Y + 2}, {b.Max.X - 3, b.Min.Y + 2}} {
				if a := res.Alpha.GrayAt(p.X, p.Y).Y; a > 15 {
					t.Errorf("alpha at top corner %v = %d, want ≤ 15", p, a)
				}
			}
		})
	}
}

// TestRVMMatchesReference checks the working copy and the network call
// against alpha recorded with TensorFlow.js on the same portrait (16×16
// block means; the resizes differ slightly, hence the tolerance).
func TestRVMMatchesReference(t *testing.T) {
	base := testMatter(t)
	img := portrait(t, "hivision_test0.jpg")
	raw, err := os.ReadFile("testdata/rvm_hivision_test0.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Block, Cols, Rows int
		Mean              []float64
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	m := &Matter{rvm: base.rvm, opt: (&Options{DownsampleRatio: 0.25}).withDefaults()}
	src := m.prepare(img, img.Bounds())
	if src.w != ref.Cols*ref.Block || src.h != ref.Rows*ref.Block {
		t.Fatalf("working copy %d×%d, reference %d×%d", src.w, src.h, ref.Cols*ref.Block, ref.Rows*ref.Block)
	}
	pha, _, err := m.infer(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	var sum, worst float64
	for by := range ref.Rows {
		for bx := range ref.Cols {
			var s float64
			for y := by * ref.Block; y < (by+1)*ref.Block; y++ {
				for x := bx * ref.Block; x < (bx+1)*ref.Block; x++ {
					s += float64(pha.pix[y*src.w+x])
				}
			}
			d := math.Abs(s/float64(ref.Block*ref.Block) - ref.Mean[by*ref.Cols+bx])
			sum += d
			worst = math.Max(worst, d)
		}
	}
	mean := sum / float64(len(ref.Mean))
	if mean > 0.01 || worst > 0.1 {
		t.Errorf("alpha vs reference: mean block difference %.4f (want ≤ 0.01), worst %.3f (want ≤ 0.1)", mean, worst)
	}
	t.Logf("mean block difference %.4f, worst %.3f", mean, worst)
}
