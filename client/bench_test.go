package client

import (
	"testing"
	"time"
)

// BenchmarkCertList measures one client call per scheme against a local
// server that verifies the credentials: the SDK's own cost plus loopback
// HTTP.
func BenchmarkCertList(b *testing.B) {
	for _, s := range []struct {
		name string
		opt  Option
	}{
		{"appcode", WithAppCode(testAppCode)},
		{"appkey", WithAppKey(testKey, testSecret)},
		{"qcc", WithQCC(testKey, testSecret)},
	} {
		b.Run("auth="+s.name, func(b *testing.B) {
			srv := newFakeServer(b, testNow)
			c, err := New(srv.URL, s.opt, WithClock(func() time.Time { return testNow }))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.CertList(b.Context(), "阿里巴巴", 1, 10); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
