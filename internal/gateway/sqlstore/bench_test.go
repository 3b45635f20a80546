package sqlstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zhengapi/zheng/internal/gateway"
)

// BenchmarkStore measures the statements of the gateway's hot path on
// SQLite: a lease refill (Take), the package read that used to precede it,
// and usage records written in batches (per record).
func BenchmarkStore(b *testing.B) {
	ctx := context.Background()
	now := time.Now()
	st, err := Open(ctx, b.TempDir(), "")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	app := gateway.App{ID: "a1", Name: "n", AppKey: "k1", SealedSecret: []byte{1}, CreatedAt: now}
	if err := st.CreateApp(ctx, app, []string{"h1"}, []gateway.Package{{Product: "cert", Total: 1 << 50, ExpiresAt: now.Add(time.Hour), CreatedAt: now}}); err != nil {
		b.Fatal(err)
	}
	b.Run("take", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.Take(ctx, 1, 16, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("packages", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.Packages(ctx, "a1"); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, n := range []int{1024, 4096} {
		recs := make([]gateway.Usage, n)
		for i := range recs {
			recs[i] = gateway.Usage{At: now, AppID: "a1", Product: "cert", Route: "POST /enterprise/certificate/detail",
				Code: 200, Billable: true, Latency: 1234 * time.Microsecond, ClientIP: "127.0.0.1", TaskNo: fmt.Sprint(17954069396016530002 + uint64(i))}
		}
		b.Run(fmt.Sprintf("usage/batch=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := st.WriteUsage(ctx, recs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
		})
	}
}
