package idphoto

import (
	"image"
	"image/color"
	"testing"
)

func TestKeepPerson(t *testing.T) {
	a := image.NewGray(image.Rect(100, 100, 400, 400))
	fill := func(r image.Rectangle, v uint8) {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				a.SetGray(x, y, color.Gray{v})
			}
		}
	}
	fill(image.Rect(200, 150, 300, 400), 255) // the person
	fill(image.Rect(300, 150, 304, 400), 60)  // soft hair fringe touching it
	fill(image.Rect(110, 110, 140, 140), 255) // a separate blob
	frac := keepPerson(a, image.Pt(250, 200), 6)
	if got := a.GrayAt(120, 120).Y; got != 0 {
		t.Errorf("separate blob kept (%d)", got)
	}
	if got := a.GrayAt(250, 300).Y; got != 255 {
		t.Errorf("person removed (%d)", got)
	}
	if got := a.GrayAt(302, 300).Y; got != 60 {
		t.Errorf("fringe removed (%d)", got)
	}
	if frac <= 0 || frac > 0.1 {
		t.Errorf("removed fraction %.3f", frac)
	}
	// A face over nothing solid leaves the matte alone.
	b := image.NewGray(image.Rect(0, 0, 10, 10))
	b.SetGray(1, 1, color.Gray{255})
	if keepPerson(b, image.Pt(8, 8), 1) != 0 || b.GrayAt(1, 1).Y != 255 {
		t.Error("matte changed without a seed")
	}
}
