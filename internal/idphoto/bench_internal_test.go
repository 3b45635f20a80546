package idphoto

import (
	"context"
	"testing"

	"github.com/zhengapi/zheng/internal/face"
)

// BenchmarkPipelineFakes times everything but the neural networks (a fake
// finder and a threshold matter) on synthetic portraits, so the cost of
// decoding, cropping, resampling and encoding is visible alone.
func BenchmarkPipelineFakes(b *testing.B) {
	for _, tc := range []struct {
		name string
		w, h int
	}{
		{"input=1200x1600", 1200, 1600},
		{"input=22MP", 3840, 5760},
	} {
		b.Run(tc.name, func(b *testing.B) {
			fh := float64(tc.h) / 5
			p := synthPortrait(tc.w, tc.h, float64(tc.w)/2, float64(tc.h)*0.3, fh, 0, true)
			data := encodeJPEG(b, p.img)
			m, err := New(Config{Finder: &fakeFinder{faces: []face.Face{p.face}}, Matter: &thresholdMatter{bg: p.bg}})
			if err != nil {
				b.Fatal(err)
			}
			st := map[string]float64{}
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				res, err := m.Make(context.Background(), &Request{Image: data})
				if err != nil {
					b.Fatal(err)
				}
				for k, v := range res.Report.StagesMS {
					st[k] += v
				}
				n++
			}
			for _, k := range []string{"decode", "render", "encode"} {
				b.ReportMetric(st[k]/float64(n), k+"-ms")
			}
		})
	}
}
