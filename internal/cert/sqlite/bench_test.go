package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/zhengapi/zheng/internal/cert/certtest"
	"github.com/zhengapi/zheng/internal/cert/sqlite"
)

func BenchmarkStore(b *testing.B) {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "zheng.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	certtest.Benchmark(b, s)
}
