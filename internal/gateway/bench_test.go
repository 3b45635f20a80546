package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/zhengapi/zheng/internal/gateway"
	"github.com/zhengapi/zheng/internal/server"
)

// BenchmarkGateway measures one call through the server middleware and the
// gateway on SQLite, per authentication mode: authenticate, reserve a call
// (from the lease, or one conditional UPDATE), run a stub handler, queue the
// usage record. mode=open is the same route behind the same server
// middleware, without the gateway. Besides wall time it reports
// cpu-ns/op, the process's CPU time per call, which includes the work done
// off the request path (usage writes, lease refills) and is steadier on a
// shared machine. The gateway's own cost is a mode's
// cpu-ns/op minus open's.
func BenchmarkGateway(b *testing.B) {
	for _, lease := range []int64{1, 16, 256} {
		b.Run(fmt.Sprintf("lease=%d", lease), func(b *testing.B) { benchmarkGateway(b, lease) })
	}
}

func benchmarkGateway(b *testing.B, lease int64) {
	s := newStack(b, openSQLite(b), &gateway.Options{UsageQueue: 1 << 16, LeaseSize: lease})
	app := createApp(b, s.gw, gateway.NewApp{Name: "bench", Packages: []gateway.PackageSpec{pkg("cert", 1<<40)}})
	key, secret := app.AppKey, string(app.AppSecret)
	body := []byte("keyword=%E5%8D%8E%E4%B8%BA&pageNo=1&pageSize=10")
	modes := []struct {
		name string
		h    http.Handler
		req  *http.Request
	}{
		{"open", openStack(), request("POST", "/enterprise/certificate/list", string(body), nil)},
		{"appcode", s.handler, request("POST", "/enterprise/certificate/list", string(body), withAppCode(string(app.AppCodes[0])))},
		{"apig", s.handler, request("POST", "/enterprise/certificate/list", string(body), signed(key, secret, testNow, nil))},
		{"qcc", s.handler, request("GET", "/api/yj/ECICertification/SearchCertification?searchKey=abc", "", withQCC(key, secret, testNow, ""))},
	}
	for _, m := range modes {
		b.Run("mode="+m.name+"/conc=1", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				m.req.Body = io.NopCloser(bytes.NewReader(body))
				rec := httptest.NewRecorder()
				m.h.ServeHTTP(rec, m.req)
				if rec.Code != 200 {
					b.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
				}
			}
		})
		// 32 requests in flight, as wrk runs in bench/gateway.sh: spends
		// are grouped into shared commits.
		b.Run("mode="+m.name+"/conc=32", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := m.req.Clone(context.Background())
					r.Body = io.NopCloser(bytes.NewReader(body))
					rec := httptest.NewRecorder()
					m.h.ServeHTTP(rec, r)
					if rec.Code != 200 {
						b.Errorf("HTTP %d: %s", rec.Code, rec.Body)
						return
					}
				}
			})
		})
	}
	s.gw.Close(context.Background())
}

// reportCPU starts counting the process's CPU time; the returned function
// reports it per op. Usage records still buffered are written first, so
// that they are counted.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.StopTimer()
		time.Sleep(250 * time.Millisecond) // the usage writer's interval: flush what is buffered
		cpu := cpuTime() - start
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// openStack is the route of newStack behind the same server middleware,
// without the gateway.
func openStack() http.Handler {
	srv := server.New(server.Config{}, slog.New(slog.DiscardHandler))
	srv.Handle("POST /enterprise/certificate/list", http.HandlerFunc(jumeiStub))
	return srv.Handler()
}
