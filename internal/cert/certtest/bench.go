package certtest

import (
	"context"
	"testing"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certgen"
)

// Prepared returns n certificates generated from seed, prepared as an
// import hands them to a store.
func Prepared(tb testing.TB, seed uint64, n int) []cert.Record {
	tb.Helper()
	g := certgen.New(seed)
	recs := make([]cert.Record, n)
	for i := range recs {
		recs[i] = g.Next()
		if err := cert.Prepare(&recs[i]); err != nil {
			tb.Fatal(err)
		}
	}
	return recs
}

// BenchSize is how many generated certificates Benchmark stores first.
const BenchSize = 20000

// Benchmark measures a store's operations through cert.Service on
// BenchSize generated certificates: detail by id, exact name, credit code,
// fuzzy name, and a batch of 1000 fresh upserts. The store's own package
// calls it from a Benchmark function.
func Benchmark(b *testing.B, s cert.Store) {
	ctx := context.Background()
	g := certgen.New(1)
	recs := make([]cert.Record, BenchSize)
	for i := range recs {
		recs[i] = g.Next()
		if err := cert.Prepare(&recs[i]); err != nil {
			b.Fatal(err)
		}
	}
	for lo := 0; lo < len(recs); lo += 2000 {
		if _, err := s.Upsert(ctx, recs[lo:min(lo+2000, len(recs))]); err != nil {
			b.Fatal(err)
		}
	}
	svc := cert.NewService(s)
	i := 0
	next := func() *cert.Record { i = (i + 7919) % len(recs); return &recs[i] }
	search := func(b *testing.B, q func(*cert.Record) cert.Query) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := svc.Search(ctx, q(next())); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("op=get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := svc.Get(ctx, next().ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("op=exact-name", func(b *testing.B) {
		search(b, func(r *cert.Record) cert.Query {
			return cert.Query{Keyword: r.EnterpriseName, Exact: true, Page: 1, PageSize: 10}
		})
	})
	b.Run("op=code", func(b *testing.B) {
		search(b, func(r *cert.Record) cert.Query {
			return cert.Query{Keyword: r.Parties[0].Code, Page: 1, PageSize: 10}
		})
	})
	b.Run("op=fuzzy-name", func(b *testing.B) {
		search(b, func(r *cert.Record) cert.Query {
			// The middle of the name: trade name and business, as users type it.
			rs := []rune(cert.FuzzyKey(r.EnterpriseName))
			return cert.Query{Keyword: string(rs[2:min(len(rs), 8)]), Page: 1, PageSize: 10}
		})
	})
	b.Run("op=upsert-1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			batch := make([]cert.Record, 1000)
			for j := range batch {
				batch[j] = g.Next()
				if err := cert.Prepare(&batch[j]); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			if _, err := s.Upsert(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "records/s")
	})
}
