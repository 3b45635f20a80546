package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zhengapi/zheng/internal/gateway"
)

// suite is the store contract, run on every backend.
func suite(t *testing.T, open func(t *testing.T) *Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	day := gateway.Day(now)

	t.Run("apps", func(t *testing.T) {
		st := open(t)
		app := gateway.App{ID: "a1", Name: "n", AppKey: "k1", SealedSecret: []byte{1, 2, 3}, CreatedAt: now, QPS: 2.5, Burst: 3}
		if err := st.CreateApp(ctx, app, []string{"h1"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateApp(ctx, gateway.App{ID: "a2", AppKey: "k1", CreatedAt: now}, nil, nil); !errors.Is(err, gateway.ErrDuplicate) {
			t.Errorf("duplicate AppKey: %v, want ErrDuplicate", err)
		}
		for name, get := range map[string]func() (gateway.App, error){
			"by id":   func() (gateway.App, error) { return st.App(ctx, "a1") },
			"by key":  func() (gateway.App, error) { return st.AppByKey(ctx, "k1") },
			"by code": func() (gateway.App, error) { return st.AppByCode(ctx, "h1") },
		} {
			got, err := get()
			if err != nil || got.ID != "a1" || string(got.SealedSecret) != "\x01\x02\x03" || got.QPS != 2.5 || got.Burst != 3 || got.AppCodes != 1 || !got.CreatedAt.Equal(now) {
				t.Errorf("%s: %+v, %v", name, got, err)
			}
		}
		if _, err := st.AppByKey(ctx, "nope"); !errors.Is(err, gateway.ErrNotFound) {
			t.Errorf("unknown key: %v, want ErrNotFound", err)
		}
		if err := st.SetDisabled(ctx, "a1", true); err != nil {
			t.Fatal(err)
		}
		if err := st.SetSecret(ctx, "a1", []byte{9}); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.App(ctx, "a1"); !got.Disabled || string(got.SealedSecret) != "\x09" {
			t.Errorf("after SetDisabled/SetSecret: %+v", got)
		}
		if err := st.SetDisabled(ctx, "nope", true); !errors.Is(err, gateway.ErrNotFound) {
			t.Errorf("SetDisabled of unknown app: %v", err)
		}
		for i := 2; i <= 3; i++ {
			if err := st.AddCode(ctx, "a1", fmt.Sprint("h", i), 3); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.AddCode(ctx, "a1", "h4", 3); !errors.Is(err, gateway.ErrTooManyCodes) {
			t.Errorf("fourth code with max 3: %v", err)
		}
		if apps, err := st.Apps(ctx); err != nil || len(apps) != 1 || apps[0].AppCodes != 3 {
			t.Errorf("Apps = %+v, %v", apps, err)
		}
	})

	t.Run("spend", func(t *testing.T) {
		st := open(t)
		if err := st.CreateApp(ctx, gateway.App{ID: "a", AppKey: "k", CreatedAt: now}, nil, []gateway.Package{
			{Product: "cert", Total: 2, ExpiresAt: now.Add(48 * time.Hour), CreatedAt: now},
			{Product: "cert", Total: 5, DailyCap: 1, ExpiresAt: now.Add(24 * time.Hour), CreatedAt: now},
			{Product: "cert", Total: 9, ExpiresAt: now.Add(-time.Hour), CreatedAt: now},
		}); err != nil {
			t.Fatal(err)
		}
		var got []int64
		for range 4 {
			c, err := st.Spend(ctx, "a", "cert", now)
			if errors.Is(err, gateway.ErrNoCharge) {
				got = append(got, 0)
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, c.PackageID)
		}
		// Package 2 expires first but is capped at 1 a day; then package
		// 1's two calls; package 3 has expired.
		if fmt.Sprint(got) != "[2 1 1 0]" {
			t.Errorf("spent from %v, want [2 1 1 0]", got)
		}
		if _, err := st.Spend(ctx, "a", "idphoto", now); !errors.Is(err, gateway.ErrNoCharge) {
			t.Errorf("other product: %v", err)
		}
		if err := st.Refund(ctx, gateway.Charge{PackageID: 2, Day: day}); err != nil {
			t.Fatal(err)
		}
		pkgs, err := st.Packages(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkgs {
			want := map[int64][2]int64{1: {2, 2}, 2: {0, 0}, 3: {0, 0}}[p.ID]
			if [2]int64{p.Used, p.UsedOn(day)} != want {
				t.Errorf("package %d: used %d, today %d; want %v", p.ID, p.Used, p.UsedOn(day), want)
			}
		}
		// The next day the cap starts again.
		if c, err := st.Spend(ctx, "a", "cert", now.Add(20*time.Hour)); err != nil || c.PackageID != 2 {
			t.Errorf("next day: %+v, %v; want package 2", c, err)
		}
	})

	t.Run("take", func(t *testing.T) {
		st := open(t)
		if err := st.CreateApp(ctx, gateway.App{ID: "a", AppKey: "k", CreatedAt: now}, nil, []gateway.Package{
			{Product: "cert", Total: 10, DailyCap: 6, ExpiresAt: now.Add(time.Hour), CreatedAt: now},
		}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range []int64{4, 3, 2, 9} {
			c, err := st.Take(ctx, 1, n, now)
			got = append(got, fmt.Sprintf("%d:%v", c.N, err == nil))
		}
		// 4 fits; 3 would pass the cap of 6; 2 fits; 9 exceeds what is left.
		if fmt.Sprint(got) != "[4:true 0:false 2:true 0:false]" {
			t.Errorf("takes = %v", got)
		}
		if err := st.Refund(ctx, gateway.Charge{PackageID: 1, Day: day, N: 5}); err != nil {
			t.Fatal(err)
		}
		pkgs, _ := st.Packages(ctx, "a")
		if pkgs[0].Used != 1 || pkgs[0].UsedOn(day) != 1 {
			t.Errorf("after refunding 5 of 6: used %d, today %d; want 1 and 1", pkgs[0].Used, pkgs[0].UsedOn(day))
		}
		if _, err := st.Take(ctx, 1, 1, now.Add(2*time.Hour)); !errors.Is(err, gateway.ErrNoCharge) {
			t.Errorf("take from an expired package: %v", err)
		}
	})

	t.Run("usage", func(t *testing.T) {
		st := open(t)
		recs := []gateway.Usage{
			{At: now, AppID: "a", Product: "cert", Route: "r", Code: 200, Billable: true, Latency: time.Millisecond, ClientIP: "127.0.0.1", TaskNo: "1"},
			{At: now, AppID: "a", Product: "cert", Route: "r", Code: 400, TaskNo: "2"},
			{At: now.Add(24 * time.Hour), AppID: "a", Product: "cert", Route: "r", Code: 200, Billable: true, TaskNo: "3"},
		}
		if err := st.WriteUsage(ctx, recs[:2]); err != nil {
			t.Fatal(err)
		}
		if err := st.WriteUsage(ctx, recs); err != nil {
			t.Fatal(err)
		}
		got, err := st.DailyUsage(ctx, "a", day, gateway.Day(now.Add(24*time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprintf("[{a cert %s 4 2} {a cert %s 1 1}]", day, gateway.Day(now.Add(24*time.Hour))) {
			t.Errorf("DailyUsage = %v", got)
		}
		// A batch larger than one block.
		big := make([]gateway.Usage, 2*usageBlockRecords+3)
		for i := range big {
			big[i] = gateway.Usage{At: now, AppID: "b", Product: "idphoto", Route: "r", Code: 200, Billable: i%2 == 0, TaskNo: fmt.Sprint(i)}
		}
		if err := st.WriteUsage(ctx, big); err != nil {
			t.Fatal(err)
		}
		got, err = st.DailyUsage(ctx, "b", day, day)
		if err != nil || len(got) != 1 || got[0].Calls != int64(len(big)) || got[0].Billable != int64(len(big)+1)/2 {
			t.Errorf("DailyUsage after %d records = %v, %v", len(big), got, err)
		}
		var rows int
		if err := st.r.QueryRow(`SELECT COUNT(*) FROM gw_usage WHERE app_id = 'b'`).Scan(&rows); err != nil || rows != len(big) {
			t.Errorf("gw_usage rows = %d, %v; want %d", rows, err, len(big))
		}
		// Interleaved apps, products and routes: every row keeps its own
		// values whatever the grouping of the inserts.
		var mixed []gateway.Usage
		for i := range 3*usageBlockRecords + 5 {
			mixed = append(mixed, gateway.Usage{At: now.Add(time.Duration(i) * time.Millisecond),
				AppID: fmt.Sprint("m", i%3), Product: fmt.Sprint("p", i%2), Route: fmt.Sprint("r", i%5),
				Code: 200 + i%7, Billable: i%3 == 0, Latency: time.Duration(i) * time.Microsecond,
				ClientIP: fmt.Sprint("10.0.0.", i%11), TaskNo: fmt.Sprintf("t%04d", i)})
		}
		// Task numbers JSON must escape survive the records' encoding.
		for i, odd := range []string{`"quoted"`, `back\slash`, "tab\tnew\nline\x01", "华为"} {
			mixed[3*i+1].TaskNo = fmt.Sprintf("t%04d", 3*i+1) + odd
		}
		// Codes and latencies at the edges of int32, and beyond.
		for i, edge := range []struct {
			code    int
			latency time.Duration
		}{{-5, 0}, {math.MaxInt32, time.Microsecond}, {math.MinInt32, 1<<30*time.Microsecond - time.Microsecond},
			{200, 1 << 30 * time.Microsecond}, {0, 3 * time.Hour}} {
			mixed[7*i].Code, mixed[7*i].Latency = edge.code, edge.latency
		}
		if err := st.WriteUsage(ctx, mixed); err != nil {
			t.Fatal(err)
		}
		rs, err := st.r.Query(`SELECT at, app_id, product, route, code, billable, latency_us, client_ip, task_no FROM gw_usage WHERE app_id LIKE 'm%' ORDER BY task_no`)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		var stored []gateway.Usage
		for rs.Next() {
			var u gateway.Usage
			var at, lat int64
			var billable int
			if err := rs.Scan(&at, &u.AppID, &u.Product, &u.Route, &u.Code, &billable, &lat, &u.ClientIP, &u.TaskNo); err != nil {
				t.Fatal(err)
			}
			u.At, u.Billable, u.Latency = time.UnixMilli(at), billable == 1, time.Duration(lat)*time.Microsecond
			stored = append(stored, u)
		}
		if len(stored) != len(mixed) {
			t.Fatalf("%d rows stored, want %d", len(stored), len(mixed))
		}
		// The daily aggregates count the same records.
		for app := range 3 {
			var calls, billable int64
			for _, u := range mixed {
				if u.AppID == fmt.Sprint("m", app) {
					calls++
					if u.Billable {
						billable++
					}
				}
			}
			got, err := st.DailyUsage(ctx, fmt.Sprint("m", app), day, day)
			var gotCalls, gotBillable int64
			for _, d := range got {
				gotCalls += d.Calls
				gotBillable += d.Billable
			}
			if err != nil || gotCalls != calls || gotBillable != billable {
				t.Errorf("daily usage of m%d: %v (%d calls, %d billable), %v; want %d and %d", app, got, gotCalls, gotBillable, err, calls, billable)
			}
		}
		for i, u := range stored {
			w := mixed[i]
			if !u.At.Equal(w.At) || u.AppID != w.AppID || u.Product != w.Product || u.Route != w.Route || u.Code != w.Code ||
				u.Billable != w.Billable || u.Latency != w.Latency || u.ClientIP != w.ClientIP || u.TaskNo != w.TaskNo {
				t.Fatalf("row %d stored as %+v, want %+v", i, u, w)
			}
		}
	})

	t.Run("usage rows from before blocks", func(t *testing.T) {
		// Records stored one row each (schema version 1) read through the
		// gw_usage view beside the blocks written since.
		st := open(t)
		if _, err := st.w.Exec(st.q.rebind(`INSERT INTO gw_usage_rows (at, app_id, product, route, code, billable, latency_us, client_ip, task_no)
VALUES (?, 'old', 'cert', 'r', 201, 0, 5, '10.0.0.1', 't0')`), now.UnixMilli()); err != nil {
			t.Fatal(err)
		}
		if err := st.WriteUsage(ctx, []gateway.Usage{{At: now.Add(time.Second), AppID: "old", Product: "cert", Route: "r", Code: 200, Billable: true,
			Latency: 7 * time.Microsecond, ClientIP: "10.0.0.1", TaskNo: "t1"}}); err != nil {
			t.Fatal(err)
		}
		got := usageRows(t, st, "old")
		want := fmt.Sprintf("[%d old cert r 201 0 5 10.0.0.1 t0] [%d old cert r 200 1 7 10.0.0.1 t1]", now.UnixMilli(), now.Add(time.Second).UnixMilli())
		if got != want {
			t.Errorf("gw_usage of app old = %s, want %s", got, want)
		}
	})

	t.Run("meta", func(t *testing.T) {
		st := open(t)
		if v, err := st.InitMeta(ctx, "k", "first"); err != nil || v != "first" {
			t.Errorf("InitMeta = %q, %v", v, err)
		}
		if v, err := st.InitMeta(ctx, "k", "second"); err != nil || v != "first" {
			t.Errorf("second InitMeta = %q, %v; want first", v, err)
		}
	})
}

func TestSQLite(t *testing.T) {
	suite(t, func(t *testing.T) *Store {
		dir := t.TempDir()
		st, err := Open(context.Background(), dir, "")
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		// Reopening applies no migration twice.
		if st, err = Open(context.Background(), dir, ""); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

// usageRows renders an app's records in gw_usage, ordered by task number.
func usageRows(t *testing.T, st *Store, app string) string {
	rows, err := st.r.Query(st.q.rebind(`SELECT at, app_id, product, route, code, billable, latency_us, client_ip, task_no FROM gw_usage WHERE app_id = ? ORDER BY task_no`), app)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var (
			at, lat                     int64
			code, billable              int
			id, product, route, ip, tno string
		)
		if err := rows.Scan(&at, &id, &product, &route, &code, &billable, &lat, &ip, &tno); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint([]any{at, id, product, route, code, billable, lat, ip, tno}))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

// TestMigrateUsageToBlocks: a store of schema version 1, whose usage
// records are rows of gw_usage, keeps them readable after Open moves usage
// to blocks.
func TestMigrateUsageToBlocks(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(strings.ReplaceAll(migrations[0].sqlite, "{{serial}}", "INTEGER PRIMARY KEY"), ";\n") {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	for _, stmt := range []string{
		`CREATE TABLE gw_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`,
		`INSERT INTO gw_migrations VALUES (1, 0)`,
		`INSERT INTO gw_usage (at, app_id, product, route, code, billable, latency_us, client_ip, task_no) VALUES (1000, 'a', 'cert', 'r', 200, 1, 3, '::1', 't0')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	st, err := Open(context.Background(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.WriteUsage(context.Background(), []gateway.Usage{{At: time.UnixMilli(2000), AppID: "a", Product: "cert", Route: "r", Code: 400, ClientIP: "::1", TaskNo: "t1"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := usageRows(t, st, "a"), "[1000 a cert r 200 1 3 ::1 t0] [2000 a cert r 400 0 0 ::1 t1]"; got != want {
		t.Errorf("gw_usage after the migration = %s, want %s", got, want)
	}
}

func TestPostgres(t *testing.T) {
	base := os.Getenv("ZHENG_TEST_PG")
	if base == "" {
		t.Skip("ZHENG_TEST_PG not set")
	}
	suite(t, func(t *testing.T) *Store {
		db, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		schema := fmt.Sprintf("gwstore_%d", time.Now().UnixNano())
		if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
			t.Fatalf("ZHENG_TEST_PG: %v", err)
		}
		t.Cleanup(func() {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		})
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		dsn := base + sep + "search_path=" + schema
		st, err := Open(context.Background(), "", dsn)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		if st, err = Open(context.Background(), "", dsn); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

func TestOpenRejectsOtherURLs(t *testing.T) {
	if _, err := Open(context.Background(), t.TempDir(), "mysql://u:secretpw@h/db"); err == nil || strings.Contains(err.Error(), "secretpw") {
		t.Errorf("Open(mysql URL) = %v; want an error without the password", err)
	}
}

func TestRebind(t *testing.T) {
	if got := (queries{postgres: true}).rebind("a = ? AND b = ?"); got != "a = $1 AND b = $2" {
		t.Errorf("rebind = %q", got)
	}
}
