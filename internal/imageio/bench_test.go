package imageio

import (
	"fmt"
	"testing"
)

func BenchmarkEncodeJPEG(b *testing.B) {
	img := gradientImage(295, 413)
	for _, kb := range []KBRange{{}, {Min: 20, Max: 45}} {
		b.Run(fmt.Sprintf("kb=%d-%d", kb.Min, kb.Max), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := EncodeJPEG(img, 300, kb); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
