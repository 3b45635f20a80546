package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certtest"
	"github.com/zhengapi/zheng/internal/cert/sqlite"
)

func TestConformance(t *testing.T) {
	certtest.Run(t, func(t *testing.T) cert.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "zheng.db"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zheng.db")
	for i := range 2 {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		s.Close()
	}
}
