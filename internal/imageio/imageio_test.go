package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/zhengapi/zheng/internal/testenv"

	"golang.org/x/image/bmp"
)

// testImage is a 40×20 picture whose top-left quarter is red.
func testImage() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for y := 0; y < 20; y++ {
		for x := 0; x < 40; x++ {
			c := color.RGBA{0, 0, 255, 255}
			if x < 20 && y < 10 {
				c = color.RGBA{255, 0, 0, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func enc(t *testing.T, f func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withEXIF inserts an APP1 Exif segment with an orientation tag.
func withEXIF(jpg []byte, orientation uint16) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(tiff[18:], orientation)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(len(seg)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app1...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// pngHeader is a PNG whose IHDR claims w×h and which has no pixel data.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	chunk := append([]byte{0, 0, 0, 13}, "IHDR"...)
	chunk = append(chunk, ihdr...)
	crc := make([]byte, 4)
	binary.BigEndian.PutUint32(crc, crc32.ChecksumIEEE(chunk[4:]))
	return append(append([]byte("\x89PNG\r\n\x1a\n"), chunk...), crc...)
}

func TestDecode(t *testing.T) {
	src := testImage()
	jpg := enc(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, src, &jpeg.Options{Quality: 95}) })
	gray := image.NewGray(src.Rect)
	for i := range gray.Pix {
		gray.Pix[i] = 128
	}
	transparent := image.NewNRGBA(src.Rect) // all transparent → white
	pal := image.NewPaletted(src.Rect, color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}})
	for _, tc := range []struct {
		name   string
		data   []byte
		format Format
		w, h   int
		at     image.Point
		want   color.RGBA
		orient int
	}{
		{"jpeg", jpg, JPEG, 40, 20, image.Pt(5, 5), color.RGBA{255, 0, 0, 255}, 1},
		{"png", enc(t, func(b *bytes.Buffer) error { return png.Encode(b, src) }), PNG, 40, 20, image.Pt(5, 5), color.RGBA{255, 0, 0, 255}, 1},
		{"gif first frame", enc(t, func(b *bytes.Buffer) error { return gif.Encode(b, pal, nil) }), GIF, 40, 20, image.Pt(5, 5), color.RGBA{255, 0, 0, 255}, 1},
		{"bmp", enc(t, func(b *bytes.Buffer) error { return bmp.Encode(b, src) }), BMP, 40, 20, image.Pt(5, 5), color.RGBA{255, 0, 0, 255}, 1},
		{"grey jpeg", enc(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, gray, nil) }), JPEG, 40, 20, image.Pt(5, 5), color.RGBA{128, 128, 128, 255}, 1},
		{"transparent png flattened white", enc(t, func(b *bytes.Buffer) error { return png.Encode(b, transparent) }), PNG, 40, 20, image.Pt(5, 5), color.RGBA{255, 255, 255, 255}, 1},
		// Orientation 6: rotate 90° clockwise; red top-left lands top-right.
		{"exif 6", withEXIF(jpg, 6), JPEG, 20, 40, image.Pt(15, 5), color.RGBA{255, 0, 0, 255}, 6},
		{"exif 3", withEXIF(jpg, 3), JPEG, 40, 20, image.Pt(35, 15), color.RGBA{255, 0, 0, 255}, 3},
		{"exif 8", withEXIF(jpg, 8), JPEG, 20, 40, image.Pt(5, 35), color.RGBA{255, 0, 0, 255}, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, info, err := Decode(tc.data, nil)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if info.Format != tc.format || info.Orientation != tc.orient {
				t.Errorf("info = %+v, want format %s orientation %d", info, tc.format, tc.orient)
			}
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), tc.w, tc.h)
			}
			got := color.RGBAModel.Convert(img.At(tc.at.X, tc.at.Y)).(color.RGBA)
			if d := maxDiff(got, tc.want); d > 24 {
				t.Errorf("pixel %v = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
}

func maxDiff(a, b color.RGBA) int {
	d := 0
	for _, p := range [][2]uint8{{a.R, b.R}, {a.G, b.G}, {a.B, b.B}} {
		x := int(p[0]) - int(p[1])
		if x < 0 {
			x = -x
		}
		d = max(d, x)
	}
	return d
}

func TestDecodeRefuses(t *testing.T) {
	var tl *TooLargeError
	if _, _, err := Decode(pngHeader(100000, 100000), nil); !errors.As(err, &tl) {
		t.Errorf("10-gigapixel header: err = %v, want TooLargeError before decoding", err)
	}
	if _, _, err := Decode(pngHeader(8000, 7000), nil); !errors.As(err, &tl) {
		t.Errorf("56 MP header: err = %v, want TooLargeError (default 50 MP)", err)
	}
	if _, _, err := Decode([]byte("GIF89a"), nil); err == nil {
		t.Error("truncated GIF decoded")
	}
	if _, _, err := Decode([]byte("hello"), nil); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("text: err = %v, want ErrUnknownFormat", err)
	}
}

// TestSniffPortraits reads the shared portraits whose names lie about
// their format (a WebP and PNGs named .jpg), when present.
func TestSniffPortraits(t *testing.T) {
	dir := portraitsDir(t)
	if data, err := os.ReadFile(filepath.Join(dir, "liying_test1.jpg")); err == nil {
		if info, prog, err := Peek(data); err != nil || !prog || info.Width != 3840 {
			t.Errorf("liying_test1.jpg: Peek = %+v, progressive %v, %v; want 3840 wide, progressive", info, prog, err)
		}
	}
	for name, want := range map[string]Format{
		"hivision_test1.jpg":        WebP,
		"hivision_test5.jpg":        PNG,
		"inspireface_rot_90.jpg":    PNG,
		"inspireface_image_T1.jpeg": JPEG,
	} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, info, err := Decode(data, nil)
		if err != nil || info.Format != want {
			t.Errorf("%s: format %s, %v; want %s", name, info.Format, err, want)
			continue
		}
		if _, prog, err := Peek(data); err != nil || prog {
			t.Errorf("%s: Peek progressive=%v, %v; want a baseline file", name, prog, err)
		}
		if name == "inspireface_image_T1.jpeg" && (img.Bounds().Dx() != 480 || img.Bounds().Dy() != 640) {
			t.Errorf("%s: %v, want 480x640 after EXIF orientation 6", name, img.Bounds())
		}
	}
}

func portraitsDir(t testing.TB) string { return testenv.Shared(t, "portraits") }

// noisy returns an image that compresses badly, to make KB ranges bite.
func noisy(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	return img
}

func TestEncodeJPEG(t *testing.T) {
	img := noisy(295, 413)
	for _, tc := range []struct {
		name string
		img  image.Image
		kb   KBRange
		pad  bool
	}{
		{"no range", img, KBRange{}, false},
		{"search down", img, KBRange{Min: 20, Max: 45}, false},
		{"pad up", image.NewRGBA(image.Rect(0, 0, 295, 413)), KBRange{Min: 30, Max: 60}, true},
		{"minimum only", image.NewRGBA(image.Rect(0, 0, 100, 100)), KBRange{Min: 100}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := EncodeJPEG(tc.img, 350, tc.kb)
			if err != nil {
				t.Fatalf("EncodeJPEG: %v", err)
			}
			if dpi, ok := JPEGDensity(e.Data); !ok || dpi != 350 {
				t.Errorf("density = %d, %v; want 350", dpi, ok)
			}
			kb := e.KB()
			if (tc.kb.Min > 0 && kb < float64(tc.kb.Min)) || (tc.kb.Max > 0 && kb > float64(tc.kb.Max)) {
				t.Errorf("%.1f KB outside %v", kb, tc.kb)
			}
			if (e.Padding > 0) != tc.pad {
				t.Errorf("padding = %d bytes, want padding %v", e.Padding, tc.pad)
			}
			dec, err := jpeg.Decode(bytes.NewReader(e.Data))
			if err != nil || dec.Bounds() != tc.img.Bounds() {
				t.Errorf("re-decode: %v, %v", dec.Bounds(), err)
			}
		})
	}
	// A roomy maximum keeps full-resolution chroma; a tight one gives it up.
	smooth := image.NewRGBA(image.Rect(0, 0, 295, 413))
	for i := range smooth.Pix {
		smooth.Pix[i] = uint8(i / 4 % 251)
	}
	for _, tc := range []struct {
		max  int
		want Chroma
	}{{500, Chroma444}, {12, Chroma420}} {
		e, err := EncodeJPEG(smooth, 300, KBRange{Max: tc.max})
		if err != nil {
			t.Errorf("max %d KB: %v", tc.max, err)
			continue
		}
		if e.Chroma != tc.want {
			t.Errorf("max %d KB: chroma %v, want %v (tried %v)", tc.max, e.Chroma, tc.want, e.Tried)
		}
	}
	var re *RangeError
	if _, err := EncodeJPEG(img, 300, KBRange{Min: 1, Max: 2}); !errors.As(err, &re) || len(re.Tried) < 3 {
		t.Errorf("1–2 KB for noise: err = %v, want RangeError with the sizes tried", err)
	}
}

func TestEncodePNG(t *testing.T) {
	var b bytes.Buffer
	if err := EncodePNG(&b, testImage(), 300); err != nil {
		t.Fatal(err)
	}
	if dpi, ok := PNGDensity(b.Bytes()); !ok || dpi != 300 {
		t.Errorf("pHYs = %d, %v; want 300", dpi, ok)
	}
	if _, err := png.Decode(bytes.NewReader(b.Bytes())); err != nil {
		t.Errorf("re-decode: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	src := testImage()
	var b bytes.Buffer
	jpeg.Encode(&b, src, nil)
	f.Add(b.Bytes())
	f.Add(withEXIF(b.Bytes(), 6))
	b.Reset()
	png.Encode(&b, src)
	f.Add(b.Bytes())
	f.Add(pngHeader(100000, 100000))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Add([]byte("\x00\x00\x00\x18ftypheic"))
	f.Add([]byte("BM\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, _, err := Decode(data, &Options{MaxPixels: 4_000_000})
		if err == nil && (img.Bounds().Empty() || img.Bounds().Dx()*img.Bounds().Dy() > 4_000_000) {
			t.Fatalf("decoded %v", img.Bounds())
		}
	})
}

func TestNormalizeCMYKAndGray16(t *testing.T) {
	cmyk := image.NewCMYK(image.Rect(0, 0, 4, 4))
	for i := 0; i < len(cmyk.Pix); i += 4 {
		cmyk.Pix[i], cmyk.Pix[i+1], cmyk.Pix[i+2], cmyk.Pix[i+3] = 0, 255, 255, 0 // pure red
	}
	g16 := image.NewGray16(image.Rect(0, 0, 4, 4))
	for i := 0; i < len(g16.Pix); i += 2 {
		g16.Pix[i] = 0x80
	}
	for _, tc := range []struct {
		img  image.Image
		want color.RGBA
	}{
		{cmyk, color.RGBA{255, 0, 0, 255}},
		{g16, color.RGBA{128, 128, 128, 255}},
	} {
		out, _ := normalize(tc.img, 1)
		got := color.RGBAModel.Convert(out.At(1, 1)).(color.RGBA)
		if maxDiff(got, tc.want) > 1 {
			t.Errorf("%T: %v, want %v", tc.img, got, tc.want)
		}
	}
}

// TestShrink checks the row readers and the block average against
// image.Image.At on every subsampling JPEG produces, on a rectangle left of
// the origin, with blocks cut by its edge. A YCbCr image is averaged in
// YCbCr and converted once per block, so its reference is that; with
// extreme chroma (as here) the two orders differ where conversion clips.
func TestShrink(t *testing.T) {
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
	rgba := image.NewRGBA(r)
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(i * 7)
		if i%4 == 3 {
			rgba.Pix[i] = 255
		}
	}
	imgs["rgba"] = rgba
	for name, img := range imgs {
		yc, isYC := img.(*image.YCbCr)
		for _, k := range []int{1, 3, 4} {
			w, h, pix := Shrink(img, r, k, 2)
			if w != (r.Dx()+k-1)/k || h != (r.Dy()+k-1)/k {
				t.Fatalf("%s k=%d: %dx%d", name, k, w, h)
			}
			for ty := range h {
				for tx := range w {
					var want, ycc [3]float64
					n := 0
					for y := r.Min.Y + ty*k; y < min(r.Min.Y+ty*k+k, r.Max.Y); y++ {
						for x := r.Min.X + tx*k; x < min(r.Min.X+tx*k+k, r.Max.X); x++ {
							c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
							want[0] += float64(c.R)
							want[1] += float64(c.G)
							want[2] += float64(c.B)
							if isYC {
								v := yc.YCbCrAt(x, y)
								ycc[0], ycc[1], ycc[2] = ycc[0]+float64(v.Y), ycc[1]+float64(v.Cb), ycc[2]+float64(v.Cr)
							}
							n++
						}
					}
					for ch := range 3 {
						want[ch] /= float64(n)
					}
					if isYC && k > 1 {
						yy, cb, cr := ycc[0]/float64(n), ycc[1]/float64(n)-128, ycc[2]/float64(n)-128
						clip := func(v float64) float64 { return math.Min(math.Max(v, 0), 255) }
						want = [3]float64{clip(yy + 1.402*cr), clip(yy - 0.344136*cb - 0.714136*cr), clip(yy + 1.772*cb)}
					}
					for ch := range 3 {
						got := float64(pix[(ty*w+tx)*3+ch])
						if math.Abs(got-want[ch]) > 1.5 {
							t.Fatalf("%s k=%d pixel (%d,%d) channel %d = %.1f, want %.1f", name, k, tx, ty, ch, got, want[ch])
						}
					}
				}
			}
		}
	}
}

// TestDecodeFiles decodes real files of the formats that are hard to make
// in Go: a 4-channel CMYK JPEG and an HEIC, both 128×96 quadrants of red,
// green, blue and white made once with ImageMagick and heif-enc
// (testdata/README.md). The colours must come out as RGB, not inverted or
// swapped.
func TestDecodeFiles(t *testing.T) {
	quadrants := map[image.Point]color.RGBA{
		{32, 24}: {255, 0, 0, 255}, {96, 24}: {0, 255, 0, 255},
		{32, 72}: {0, 0, 255, 255}, {96, 72}: {255, 255, 255, 255},
	}
	for _, tc := range []struct {
		file   string
		format Format
		tol    int
	}{
		{"cmyk.jpg", JPEG, 24},
		{"quadrants.heic", HEIF, 24},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			img, info, err := Decode(data, nil)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if info.Format != tc.format || img.Bounds().Dx() != 128 || img.Bounds().Dy() != 96 {
				t.Fatalf("format %s, %v; want %s 128×96", info.Format, img.Bounds(), tc.format)
			}
			for p, want := range quadrants {
				got := color.RGBAModel.Convert(img.At(p.X, p.Y)).(color.RGBA)
				if maxDiff(got, want) > tc.tol {
					t.Errorf("pixel %v = %v, want %v", p, got, want)
				}
			}
		})
	}
}
