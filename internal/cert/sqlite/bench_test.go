package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certgen"
	"github.com/zhengapi/zheng/internal/cert/sqlite"
)

// BenchmarkUpsert measures inserting fresh generated records in batches
// of 1000 (generation excluded).
func BenchmarkUpsert(b *testing.B) {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "zheng.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	g := certgen.New(1)
	const batch = 1000
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		b.StopTimer()
		recs := make([]cert.Record, batch)
		for i := range recs {
			recs[i] = g.Next()
			if err := cert.Prepare(&recs[i]); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if _, err := s.Upsert(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
		n += batch
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	_ = fmt.Sprint()
}
