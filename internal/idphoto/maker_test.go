package idphoto

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/zhengapi/zheng/internal/face"
	"github.com/zhengapi/zheng/internal/imageio"
)

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// makeDecoded makes a photo of p with a default test maker and the given
// request parameters, and decodes it.
func makeDecoded(t testing.TB, p portrait, kv ...string) (*Request, *Result, image.Image) {
	t.Helper()
	req, err := ParseRequest(params(kv...))
	if err != nil {
		t.Fatal(err)
	}
	req.Image = encodeJPEG(t, p.img)
	res, err := newTestMaker(t, p, Config{}).Make(context.Background(), req)
	if err != nil {
		t.Fatalf("Make: %v", err)
	}
	img, err := jpeg.Decode(bytes.NewReader(res.Photo))
	if err != nil {
		t.Fatal(err)
	}
	return req, res, img
}

func newTestMaker(t testing.TB, p portrait, cfg Config) *Maker {
	t.Helper()
	if cfg.Finder == nil {
		cfg.Finder = &fakeFinder{faces: []face.Face{p.face}, width: p.img.Rect.Dx()}
	}
	if cfg.Matter == nil {
		cfg.Matter = &thresholdMatter{bg: p.bg}
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func params(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func near2(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestMakeFraming runs the whole pipeline on synthetic portraits and
// checks what a person receiving the photo would check.
func TestMakeFraming(t *testing.T) {
	for _, tc := range []struct {
		name   string
		p      portrait
		params []string
		wantW  int
		wantH  int
		dpi    int
		kb     [2]float64
		top    *[2]float64
	}{
		{"一寸 defaults", synthPortrait(600, 800, 300, 260, 200, 0, true), []string{"spec", "一寸", "bgColor", "blue"}, 295, 413, 300, [2]float64{}, nil},
		{"ratio and centre", synthPortrait(600, 800, 300, 260, 200, 0, true), []string{"spec", "二寸", "bgColor", "white", "faceRatio", "0.45", "faceCenterRange", "0.5"}, 413, 579, 300, [2]float64{}, nil},
		{"kb range and dpi", synthPortrait(600, 800, 300, 260, 200, 0, true), []string{"spec", "s034", "bgColor", "red", "fileSize", "30,40", "dpi", "350"}, 344, 482, 350, [2]float64{30, 40}, nil},
		{"top empty", synthPortrait(600, 800, 300, 260, 200, 0, true), []string{"spec", "12", "size", "400x500", "topEmpty", "40,60"}, 400, 500, 300, [2]float64{}, &[2]float64{40, 60}},
		{"tilted head levelled", synthPortrait(600, 800, 300, 260, 200, 12, true), []string{"spec", "一寸", "bgColor", "#00FF00"}, 295, 413, 300, [2]float64{}, nil},
		{"tight crop padded above", synthPortrait(300, 400, 150, 60, 150, 0, true), []string{"spec", "一寸", "bgColor", "blue_gradual"}, 295, 413, 300, [2]float64{}, nil},
		{"small input", synthPortrait(160, 200, 80, 70, 60, 0, true), []string{"spec", "一寸"}, 295, 413, 300, [2]float64{}, nil},
		{"social security 350dpi spec", synthPortrait(600, 800, 300, 260, 200, 0, true), []string{"spec", "s040"}, 358, 441, 350, [2]float64{10, 20}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, res, img := makeDecoded(t, tc.p, tc.params...)
			if b := img.Bounds(); b.Dx() != tc.wantW || b.Dy() != tc.wantH {
				t.Errorf("size = %dx%d, want %dx%d", b.Dx(), b.Dy(), tc.wantW, tc.wantH)
			}
			if dpi, ok := imageio.JPEGDensity(res.Photo); !ok || dpi != tc.dpi {
				t.Errorf("JFIF density = %d (%v), want %d", dpi, ok, tc.dpi)
			}
			kb := float64(len(res.Photo)) / 1024
			if tc.kb[1] > 0 && (kb < tc.kb[0] || kb > tc.kb[1]) {
				t.Errorf("file %.1f KB, want %v", kb, tc.kb)
			}
			rep := res.Report
			wantRatio, _ := req.FaceRatio, 0
			if wantRatio == 0 {
				wantRatio = DefaultFaceRatio
			}
			wantCentre := req.FaceCenter
			if wantCentre == 0 {
				wantCentre = DefaultFaceCenter
			}
			if !near2(rep.FaceRatio, wantRatio, 0.03) {
				t.Errorf("face ratio = %.3f, want %.3f±0.03", rep.FaceRatio, wantRatio)
			}
			// The seed's ratio is calibrated to brow top to chin.
			if !near2(rep.BrowChinRatio, BrowChinPerFaceRatio*wantRatio, 0.02) {
				t.Errorf("brow-chin ratio = %.3f, want %.3f±0.02", rep.BrowChinRatio, BrowChinPerFaceRatio*wantRatio)
			}
			if tc.top == nil && len(rep.GaveWay) == 0 && !near2(rep.FaceCenter, wantCentre, 0.03) {
				t.Errorf("face centre = %.3f, want %.3f±0.03", rep.FaceCenter, wantCentre)
			}
			if !near2(rep.FaceCenterX, 0.5, 0.02) {
				t.Errorf("face axis at %.3f of the width, want 0.5", rep.FaceCenterX)
			}
			if tc.top != nil && (rep.TopGapPx < tc.top[0]-2 || rep.TopGapPx > tc.top[1]+2) {
				t.Errorf("top gap = %.0f px, want %v", rep.TopGapPx, *tc.top)
			}
			if rep.TopGapPx <= 0 {
				t.Errorf("top gap = %.0f: the head touches the top edge", rep.TopGapPx)
			}
			// Corners show the background asked for (top corners for gradients).
			bg, _ := ParseBackground(req.BgColor)
			if req.BgColor == "" {
				bg, _ = ParseBackground(res.Spec.Colors[0])
			}
			b := img.Bounds()
			for _, c := range []image.Point{{1, 1}, {b.Dx() - 2, 1}} {
				got := color.RGBAModel.Convert(img.At(c.X, c.Y)).(color.RGBA)
				want := bg.At(c.Y, b.Dy())
				if d := colorDist(got, want); d > 12 {
					t.Errorf("corner %v = %v, want %v (distance %d)", c, got, want, d)
				}
			}
			// The body reaches the bottom: bottom centre is not background.
			got := color.RGBAModel.Convert(img.At(b.Dx()/2, b.Dy()-2)).(color.RGBA)
			if colorDist(got, bg.At(b.Dy()-2, b.Dy())) < 40 {
				t.Errorf("bottom centre %v is background: the body floats", got)
			}
			if tc.p.face.Roll != 0 && !near2(rep.Roll, tc.p.face.Roll, 0.5) {
				t.Errorf("roll = %.1f, want %.1f", rep.Roll, tc.p.face.Roll)
			}
		})
	}
}

// TestTiltedBodyNotCut levels tilted portraits whose photo is tight
// around the shoulders, so the rotated photo does not cover the output's
// bottom corners: the body must still run into them, not stop at the
// photo's slanted edge with a wedge of background.
func TestTiltedBodyNotCut(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    portrait
	}{
		{"15° clockwise", synthPortrait(520, 700, 260, 240, 200, 15, true)},
		{"15° anticlockwise", synthPortrait(520, 700, 260, 240, 200, -15, true)},
		{"20° small photo", synthPortrait(260, 350, 130, 120, 100, 20, true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _, img := makeDecoded(t, tc.p, "spec", "一寸", "bgColor", "blue")
			bg, _ := ParseBackground(req.BgColor)
			b := img.Bounds()
			// The body is 2.6 face heights wide, the output 2.4: both
			// bottom corners lie under it.
			for _, c := range []image.Point{{2, b.Dy() - 3}, {b.Dx() - 3, b.Dy() - 3}} {
				got := color.RGBAModel.Convert(img.At(c.X, c.Y)).(color.RGBA)
				if d := colorDist(got, bg.At(c.Y, b.Dy())); d < 40 {
					t.Errorf("bottom corner %v = %v is background: the body is cut", c, got)
				}
			}
		})
	}
}

func colorDist(a, b color.RGBA) int {
	abs := func(x int) int {
		if x < 0 {
			return -x
		}
		return x
	}
	return max(abs(int(a.R)-int(b.R)), abs(int(a.G)-int(b.G)), abs(int(a.B)-int(b.B)))
}

// TestMakeCodes gives every documented failure its cause.
func TestMakeCodes(t *testing.T) {
	p := synthPortrait(600, 800, 300, 260, 200, 0, true)
	good := encodeJPEG(t, p.img)
	second := p.face
	second.Box.X0 += 250
	second.Box.X1 += 250
	closed := p.face
	closed.Mesh = make([]face.Point3, 468)
	closed.LeftEyeOpen, closed.RightEyeOpen = 0.03, 0.04
	profile := p.face
	profile.Yaw = 60
	lowChin := synthPortrait(600, 800, 300, 650, 200, 0, true) // chin below the bottom edge
	var bigPNG bytes.Buffer
	png.Encode(&bigPNG, image.NewGray(image.Rect(0, 0, 2000, 1000)))
	var dark bytes.Buffer
	jpeg.Encode(&dark, image.NewGray(image.Rect(0, 0, 600, 800)), nil)

	for _, tc := range []struct {
		name   string
		image  []byte
		params []string
		cfg    Config
		want   int
	}{
		{"201 matting failed", good, nil, Config{Matter: &thresholdMatter{err: errors.New("boom")}}, CodeProcessing},
		{"202 detector failed", good, nil, Config{Finder: &fakeFinder{err: errors.New("model")}}, CodeFaceDetection},
		{"203 not an image", []byte("<html>not found</html>"), nil, Config{}, CodeNotFound},
		{"203 truncated JPEG", good[:200], nil, Config{}, CodeNotFound},
		{"204 too many pixels", bigPNG.Bytes(), nil, Config{MaxPixels: 1_000_000}, CodeTooLarge},
		{"205 no face", good, nil, Config{Finder: &fakeFinder{}}, CodeNoFace},
		{"206 chin cut off", encodeJPEG(t, lowChin.img), nil, Config{Finder: &fakeFinder{faces: []face.Face{lowChin.face}}}, CodeNoHead},
		{"207 unknown spec", good, []string{"spec", "七寸"}, Config{}, CodeUnknownSpec},
		{"209 impossible size", good, []string{"spec", "12", "size", "1000x1400", "fileSize", "1,2"}, Config{}, CodeEncoding},
		{"210 two faces", good, nil, Config{Finder: &fakeFinder{faces: []face.Face{p.face, second}}}, CodeUnsuitable},
		{"210 eyes closed", good, nil, Config{Finder: &fakeFinder{faces: []face.Face{closed}}}, CodeUnsuitable},
		{"210 profile", good, nil, Config{Finder: &fakeFinder{faces: []face.Face{profile}}}, CodeUnsuitable},
		{"210 too dark", dark.Bytes(), nil, Config{}, CodeUnsuitable},
		{"400 topEmpty over the height", good, []string{"topEmpty", "10,500"}, Config{}, CodeBadParam},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestMaker(t, p, tc.cfg)
			req, err := ParseRequest(params(tc.params...))
			if err != nil {
				t.Fatal(err)
			}
			req.Image = tc.image
			_, err = m.Make(context.Background(), req)
			if got := CodeOf(err); got != tc.want {
				t.Fatalf("Make code = %d (%v), want %d", got, err, tc.want)
			}
		})
	}
}

func TestMessages(t *testing.T) {
	for _, c := range []int{200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 400, 500} {
		if Message(c) == "其他错误" {
			t.Errorf("Message(%d) undocumented", c)
		}
	}
	e := &Error{Code: CodeBadParam, Param: "dpi", Detail: "x"}
	if !strings.Contains(e.Public(), "dpi") {
		t.Errorf("Public() = %q, want the parameter named", e.Public())
	}
}

func TestRotatedInput(t *testing.T) {
	p := synthPortrait(600, 800, 300, 260, 200, 0, true)
	sideways := rotateQuarter(p.img, 270) // head points left
	m := newTestMaker(t, p, Config{})
	res, err := m.Make(context.Background(), &Request{Image: encodeJPEG(t, sideways)})
	if err != nil {
		t.Fatalf("Make: %v", err)
	}
	if res.Report.RotatedBy != 90 {
		t.Errorf("RotatedBy = %d, want 90", res.Report.RotatedBy)
	}
}

func TestBusy(t *testing.T) {
	p := synthPortrait(300, 400, 150, 130, 100, 0, true)
	block := make(chan struct{})
	m := newTestMaker(t, p, Config{Workers: 1, Queue: -1, Matter: &thresholdMatter{bg: p.bg, block: block}})
	img := encodeJPEG(t, p.img)
	done := make(chan error)
	go func() {
		_, err := m.Make(context.Background(), &Request{Image: img})
		done <- err
	}()
	// Wait until the first request holds the only slot.
	for len(m.admit) == 0 {
		runtime.Gosched()
	}
	_, err := m.Make(context.Background(), &Request{Image: img})
	if CodeOf(err) != CodeBusy {
		t.Errorf("second Make = %v, want busy", err)
	}
	close(block)
	if err := <-done; err != nil {
		t.Errorf("first Make: %v", err)
	}
}

func TestBeautyTouchesSkinOnly(t *testing.T) {
	p := synthPortrait(600, 800, 300, 260, 200, 0, true)
	// Add texture everywhere so smoothing has something to do.
	for y := 0; y < 800; y++ {
		for x := 0; x < 600; x++ {
			o := p.img.PixOffset(x, y)
			n := uint8((x*7 + y*13) % 9)
			for c := 0; c < 3; c++ {
				p.img.Pix[o+c] = uint8(min(255, int(p.img.Pix[o+c])+int(n)))
			}
		}
	}
	m := newTestMaker(t, p, Config{})
	mk := func(beauty string) *image.RGBA {
		req, err := ParseRequest(params("spec", "12", "size", "300x400", "format", "png", "beautyDegree", beauty))
		if err != nil {
			t.Fatal(err)
		}
		req.Image = encodeJPEG(t, p.img)
		res, err := m.Make(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(res.Photo))
		if err != nil {
			t.Fatal(err)
		}
		if dpi, ok := imageio.PNGDensity(res.Photo); !ok || dpi != 300 {
			t.Errorf("PNG pHYs = %d, %v; want 300", dpi, ok)
		}
		return img.(*image.RGBA)
	}
	plain, pretty := mk(""), mk("4")
	diff := func(x0, y0, x1, y1 int) int {
		n := 0
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				a, b := plain.RGBAAt(x, y), pretty.RGBAAt(x, y)
				if colorDist(a, b) > 2 {
					n++
				}
			}
		}
		return n
	}
	if diff(120, 150, 180, 200) == 0 {
		t.Error("beauty changed nothing on the cheeks")
	}
	if n := diff(0, 360, 300, 400); n != 0 {
		t.Errorf("beauty changed %d clothing pixels", n)
	}
	if n := diff(0, 0, 40, 40); n != 0 {
		t.Errorf("beauty changed %d background pixels", n)
	}
}

func TestLayout(t *testing.T) {
	for _, tc := range []struct {
		paper      string
		w, h, dpi  int
		cols, rows int
	}{
		{"6inch", 295, 413, 300, 3, 4},
		{"5inch", 295, 413, 300, 3, 3},
		{"a4", 295, 413, 300, 10, 5},
		{"6inch", 413, 579, 300, 2, 2},
	} {
		p, err := planSheet(tc.paper, tc.w, tc.h, tc.dpi)
		if err != nil {
			t.Fatal(err)
		}
		if p.Cols*p.Rows != tc.cols*tc.rows {
			t.Errorf("planSheet(%s, %dx%d) = %v, want %d copies", tc.paper, tc.w, tc.h, p, tc.cols*tc.rows)
		}
		if p.Gap < float64(tc.dpi)*minGapMM/25.4-1 || p.MarginX < p.Gap-1 || p.MarginY < p.Gap-1 {
			t.Errorf("planSheet(%s) gap %.1f, margins %.1f,%.1f: under the minimum", tc.paper, p.Gap, p.MarginX, p.MarginY)
		}
	}
	photo := image.NewRGBA(image.Rect(0, 0, 295, 413))
	sheet, err := layoutSheet(photo, "6inch", 300)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(sheet))
	if err != nil || cfg.Width != 1200 || cfg.Height != 1800 {
		t.Errorf("sheet = %dx%d, %v; want 1200x1800", cfg.Width, cfg.Height, err)
	}
}
