package certstore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zhengapi/zheng/internal/cert/certstore"
	"github.com/zhengapi/zheng/internal/cert/certtest"
)

func TestOpenSQLiteCreatesDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	s, err := certstore.Open(context.Background(), dir, "")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, certstore.DBFile)); err != nil {
		t.Errorf("database file not created: %v", err)
	}
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	for _, dsn := range []string{"mysql://u:secret@host/db", "zheng.db"} {
		s, err := certstore.Open(context.Background(), t.TempDir(), dsn)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", dsn)
			continue
		}
		if got := err.Error(); strings.Contains(got, "secret") {
			t.Errorf("Open(%q) error %q leaks the password", dsn, got)
		}
	}
}

func TestOpenPostgres(t *testing.T) {
	s, err := certstore.Open(context.Background(), "", certtest.PostgresDSN(t))
	if err != nil {
		t.Fatalf("Open(ZHENG_TEST_PG): %v", err)
	}
	defer s.Close()
	if _, err := s.Count(context.Background()); err != nil {
		t.Errorf("Count: %v", err)
	}
}
