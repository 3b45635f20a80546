package face

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"testing"
)

func TestDebugDraw(t *testing.T) {
	name := os.Getenv("DBG")
	if name == "" {
		t.Skip()
	}
	f := testFinder(t)
	img := portrait(t, name)
	faces, err := f.Find(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	dot := func(p Point, c color.RGBA, r int) {
		for dy := -r; dy <= r; dy++ {
			for dx := -r; dx <= r; dx++ {
				out.Set(int(p.X)+dx, int(p.Y)+dy, c)
			}
		}
	}
	for _, fc := range faces {
		t.Logf("box %.0f score %.3f presence %.3f roll %.1f yaw %.1f pitch %.1f open %.2f/%.2f", fc.Box, fc.Score, fc.Presence, fc.Roll, fc.Yaw, fc.Pitch, fc.RightEyeOpen, fc.LeftEyeOpen)
		for _, p := range fc.Mesh {
			dot(Point{p.X, p.Y}, color.RGBA{0, 255, 0, 255}, 0)
		}
		dot(fc.RightEye, color.RGBA{255, 0, 0, 255}, 2)
		dot(fc.LeftEye, color.RGBA{0, 0, 255, 255}, 2)
		dot(fc.BrowTop, color.RGBA{255, 255, 0, 255}, 2)
		dot(fc.Chin, color.RGBA{255, 0, 255, 255}, 2)
	}
	w, _ := os.Create("/tmp/vis/dbg.png")
	png.Encode(w, out)
	w.Close()
}
