package postgres_test

import (
	"context"
	"testing"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certtest"
	"github.com/zhengapi/zheng/internal/cert/postgres"
)

func TestConformance(t *testing.T) {
	certtest.Run(t, func(t *testing.T) cert.Store {
		s, err := postgres.Open(context.Background(), certtest.PostgresDSN(t))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}

func TestMigrationsIdempotent(t *testing.T) {
	dsn := certtest.PostgresDSN(t)
	for i := range 2 {
		s, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		s.Close()
	}
}

func BenchmarkStore(b *testing.B) {
	s, err := postgres.Open(context.Background(), certtest.PostgresDSN(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	certtest.Benchmark(b, s)
}
