package matte

import (
	"image"
	"image/color"
	_ "image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestDebugMatte(t *testing.T) {
	name := os.Getenv("DBG")
	if name == "" {
		t.Skip()
	}
	var o Options
	if v := os.Getenv("DS"); v != "" {
		o.DownsampleRatio, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("EPS"); v != "" {
		o.Epsilon, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("LS"); v != "" {
		o.LongSide, _ = strconv.Atoi(v)
	}
	m, err := NewOptions("../../models", &o)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(filepath.Join("../../../shared/testdata/portraits", name))
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	res, err := m.Matte(t.Context(), img, img.Bounds())
	if err != nil {
		t.Fatal(err)
	}
	t.Log(time.Since(t0), img.Bounds())
	b := img.Bounds()
	out := image.NewRGBA(b)
	plain := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			a := float64(res.Alpha.GrayAt(x, y).Y) / 255
			fc := res.Foreground.NRGBAAt(x, y)
			r0, g0, b0, _ := img.At(x, y).RGBA()
			bg := [3]float64{67, 142, 219}
			mix := func(f, b float64) uint8 { return uint8(a*f + (1-a)*b) }
			out.Set(x, y, color.RGBA{mix(float64(fc.R), bg[0]), mix(float64(fc.G), bg[1]), mix(float64(fc.B), bg[2]), 255})
			plain.Set(x, y, color.RGBA{mix(float64(r0>>8), bg[0]), mix(float64(g0>>8), bg[1]), mix(float64(b0>>8), bg[2]), 255})
		}
	}
	w, _ := os.Create("/tmp/vis/matte.png")
	png.Encode(w, out)
	w.Close()
	w, _ = os.Create("/tmp/vis/matte_plain.png")
	png.Encode(w, plain)
	w.Close()
	w, _ = os.Create("/tmp/vis/alpha.png")
	png.Encode(w, res.Alpha)
	w.Close()
}
