package face

import (
	"math"
	"testing"
)

// BenchmarkFind times the whole finder on portraits of two sizes, then each
// stage on the first one: reading the photo into the working raster, the
// detector, one facemesh pass, and iris.
func BenchmarkFind(b *testing.B) {
	f := testFinder(b)
	for _, name := range []string{"hivision_test0.jpg", "liying_test3.jpg"} {
		img := portrait(b, name)
		px := img.Bounds().Dx() * img.Bounds().Dy()
		b.Run("image="+name, func(b *testing.B) {
			// One untimed run builds the runtime's plans for these shapes.
			if _, err := f.Find(b.Context(), img); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.Find(b.Context(), img); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(px)/1e6, "Mpx")
		})
	}

	img := portrait(b, "hivision_test0.jpg")
	bd := img.Bounds()
	k := max(1, max(bd.Dx(), bd.Dy())/rasterMaxSide)
	src := newRaster(img, k, f.threads())
	full := view(bd.Dx(), bd.Dy(), 0)
	dets, err := f.detect(b.Context(), src, k, full)
	if err != nil || len(dets) == 0 {
		b.Fatalf("detect: %d faces, %v", len(dets), err)
	}
	d := dets[0]
	crop := squareCrop(Point{(d.box.X0 + d.box.X1) / 2, (d.box.Y0 + d.box.Y1) / 2}, detEnlarge*(d.box.X1-d.box.X0), math.Atan2(d.kp[1].Y-d.kp[0].Y, d.kp[1].X-d.kp[0].X), meshSize)
	meshes, _, err := f.runMesh(b.Context(), src, k, []affine{crop})
	if err != nil {
		b.Fatal(err)
	}
	stages := []struct {
		name string
		run  func() error
	}{
		{"raster", func() error { newRaster(img, k, f.threads()); return nil }},
		{"detect", func() error { _, err := f.detect(b.Context(), src, k, full); return err }},
		{"mesh", func() error { _, _, err := f.runMesh(b.Context(), src, k, []affine{crop}); return err }},
		{"iris", func() error {
			if f.iris == nil {
				return nil
			}
			return f.runIris(b.Context(), src, k, []Face{{Mesh: meshes[0]}}, []affine{crop})
		}},
	}
	for _, s := range stages {
		b.Run("stage="+s.name, func(b *testing.B) {
			for b.Loop() {
				if err := s.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
