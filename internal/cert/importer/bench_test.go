package importer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/zhengapi/zheng/internal/cert/importer"
)

// BenchmarkImportJSONL imports canonical JSONL into a fresh SQLite store:
// parsing, preparation and upserts, as zheng cert import runs them.
func BenchmarkImportJSONL(b *testing.B) {
	lines := genLines(&testing.T{}, 20000)
	data := strings.Join(lines, "\n")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		s := newStore(&testing.T{})
		b.StartTimer()
		if _, err := importer.Import(context.Background(), s, "b.jsonl", strings.NewReader(data), importer.Options{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(lines)*b.N)/b.Elapsed().Seconds(), "records/s")
}
