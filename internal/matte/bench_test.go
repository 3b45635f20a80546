package matte

import (
	"fmt"
	"testing"

	"github.com/zhengapi/zheng/internal/imageio"
)

// BenchmarkMatte times whole-photo mattes at the default working size with
// both downsample ratios, then each stage (reading and resizing the photo,
// the network, and the full-resolution refinement) on a 12-megapixel
// portrait.
func BenchmarkMatte(b *testing.B) {
	base := testMatter(b)
	for _, name := range []string{"hivision_test0.jpg", "liying_test3.jpg"} {
		img := portrait(b, name)
		for _, ds := range []float64{0.25, 0.5} {
			m := &Matter{rvm: base.rvm, opt: (&Options{DownsampleRatio: ds}).withDefaults()}
			b.Run(fmt.Sprintf("image=%s/ds=%g", name, ds), func(b *testing.B) {
				// One untimed run builds the runtime's plan for this shape.
				if _, err := m.Matte(b.Context(), img, img.Bounds()); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := m.Matte(b.Context(), img, img.Bounds()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}

	img := portrait(b, "liying_test3.jpg")
	roi := img.Bounds()
	read := imageio.RowReaderFor(img)
	src := base.prepare(img, roi)
	pha, fgr, err := base.infer(b.Context(), src)
	if err != nil {
		b.Fatal(err)
	}
	quarter := &Matter{rvm: base.rvm, opt: (&Options{DownsampleRatio: 0.25}).withDefaults()}
	stages := []struct {
		name string
		run  func() error
	}{
		{"prepare", func() error { base.prepare(img, roi); return nil }},
		{"rvm/ds=0.5", func() error { _, _, err := base.infer(b.Context(), src); return err }},
		{"rvm/ds=0.25", func() error { _, _, err := quarter.infer(b.Context(), src); return err }},
		{"refine", func() error { base.refine(read, roi, src, pha, fgr); return nil }},
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
