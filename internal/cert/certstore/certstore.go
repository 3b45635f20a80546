// Package certstore opens the certificate store the configuration names:
// the SQLite file in the data directory by default, or PostgreSQL for a
// postgres:// URL. Both zheng serve and the zheng cert commands use it.
package certstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/postgres"
	"github.com/zhengapi/zheng/internal/cert/sqlite"
)

// DBFile is the SQLite file name inside the data directory; other
// subsystems keep their tables in the same file.
const DBFile = "zheng.db"

// Open opens the store: dsn empty → SQLite at dataDir/zheng.db (creating
// the directory), postgres:// or postgresql:// → PostgreSQL. Migrations
// are applied before it returns.
func Open(ctx context.Context, dataDir, dsn string) (cert.Store, error) {
	switch {
	case dsn == "":
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		return sqlite.Open(ctx, filepath.Join(dataDir, DBFile))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return postgres.Open(ctx, dsn)
	}
	return nil, fmt.Errorf("unsupported database %q: want empty (SQLite in the data dir) or a postgres:// URL", redact(dsn))
}

// redact drops anything that may be a password from a DSN shown in errors.
func redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		return dsn[:i+3] + "…"
	}
	if len(dsn) > 16 {
		return dsn[:16] + "…"
	}
	return dsn
}
