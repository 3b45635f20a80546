package sqlstore

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zhengapi/zheng/internal/gateway"
)

// legacyDataDir returns a data dir laid out by versions that kept the
// gateway's tables in zheng.db beside a certificate table: one app with a
// package partly spent and a usage record.
func legacyDataDir(t *testing.T) string {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	st, err := openSQLite(ctx, filepath.Join(dir, LegacyFileName))
	if err != nil {
		t.Fatal(err)
	}
	app := gateway.App{ID: "a1", Name: "old", AppKey: "k1", SealedSecret: []byte{1}, CreatedAt: now}
	if err := st.CreateApp(ctx, app, []string{"h1"}, []gateway.Package{{Product: "cert", Total: 100, ExpiresAt: now.Add(time.Hour), CreatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Take(ctx, 1, 7, now); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteUsage(ctx, []gateway.Usage{{At: now, AppID: "a1", Product: "cert", Route: "r", Code: 200, Billable: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.w.Exec(`CREATE TABLE certs (id TEXT PRIMARY KEY); INSERT INTO certs VALUES ('c1')`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	return dir
}

// legacyTables returns the gw_ tables left in zheng.db and checks that the
// certificate table is intact.
func legacyTables(t *testing.T, dir string) int {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, LegacyFileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, certs int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'gw\_%' ESCAPE '\'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM certs`).Scan(&certs); err != nil || certs != 1 {
		t.Errorf("certificate table after the move: %d rows, %v", certs, err)
	}
	return n
}

// checkMoved opens the store in dir and checks it holds the legacy data.
func checkMoved(t *testing.T, dir string) {
	ctx := context.Background()
	st, err := Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	app, err := st.AppByCode(ctx, "h1")
	if err != nil || app.Name != "old" {
		t.Fatalf("app after the move: %+v, %v", app, err)
	}
	pkgs, err := st.Packages(ctx, "a1")
	if err != nil || len(pkgs) == 0 || pkgs[len(pkgs)-1].Product != "cert" || pkgs[len(pkgs)-1].Used != 7 {
		t.Fatalf("packages after the move: %+v, %v", pkgs, err)
	}
	days, err := st.DailyUsage(ctx, "a1", "2026-11-01", "2026-11-30")
	if err != nil || len(days) != 1 || days[0].Calls != 1 {
		t.Fatalf("usage after the move: %+v, %v", days, err)
	}
	// New rows continue after the old ids.
	p, err := st.AddPackage(ctx, gateway.Package{AppID: "a1", Product: "x", Total: 1, ExpiresAt: time.Now().Add(-time.Hour)})
	if err != nil || p.ID < 2 {
		t.Errorf("package added after the move: id %d, %v; want above 1", p.ID, err)
	}
	if n := legacyTables(t, dir); n != 0 {
		t.Errorf("%d gw_ tables and indexes left in %s", n, LegacyFileName)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName+".moving")); err == nil {
		t.Errorf("%s.moving left behind", FileName)
	}
}

func TestMoveLegacyTables(t *testing.T) {
	t.Run("first start", func(t *testing.T) {
		dir := legacyDataDir(t)
		checkMoved(t, dir)
		checkMoved(t, dir) // later starts leave everything as it is
	})
	t.Run("interrupted after the copy", func(t *testing.T) {
		dir := legacyDataDir(t)
		// A stale partial copy from an earlier attempt is redone.
		if err := os.WriteFile(filepath.Join(dir, FileName+".moving"), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		checkMoved(t, dir)
	})
	t.Run("interrupted after the switch", func(t *testing.T) {
		dir := legacyDataDir(t)
		if err := moveLegacy(context.Background(), dir); err != nil {
			t.Fatal(err)
		}
		// As if the process had died before the rename.
		if err := os.Rename(filepath.Join(dir, FileName), filepath.Join(dir, FileName+".moving")); err != nil {
			t.Fatal(err)
		}
		checkMoved(t, dir)
	})
	t.Run("certificate store without gateway tables", func(t *testing.T) {
		dir := t.TempDir()
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, LegacyFileName))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`CREATE TABLE certs (id TEXT PRIMARY KEY); INSERT INTO certs VALUES ('c1')`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		st, err := Open(context.Background(), dir, "")
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		if n := legacyTables(t, dir); n != 0 {
			t.Errorf("%d gw_ tables in %s", n, LegacyFileName)
		}
	})
}
