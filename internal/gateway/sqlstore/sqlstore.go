// Package sqlstore stores the gateway's apps, packages and usage: in the
// SQLite file <data-dir>/gateway.db (WAL, busy timeout), apart from the
// certificates, or in the certificates' PostgreSQL database. Its tables are
// prefixed gw_ and created by versioned migrations on Open. Spending a call
// is one conditional UPDATE, so it is exact across processes sharing the
// database.
package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"               // also registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/zhengapi/zheng/internal/gateway"
)

var _ gateway.Store = (*Store)(nil)

// Store is a gateway.Store over database/sql. It is safe for concurrent use.
type Store struct {
	// w takes writes; r takes reads. On SQLite w has one connection, so
	// writers of this process queue in Go instead of spinning on the busy
	// timeout, while WAL lets readers proceed; on PostgreSQL both are the
	// same pool.
	w, r     *sql.DB
	postgres bool
	q        queries
	// Statements of the per-request path, prepared once: SQLite would
	// otherwise compile them on every call.
	spendStmt, refundStmt, takeStmt, byKeyStmt, byCodeStmt, pkgsStmt, usageStmt *sql.Stmt

	// On SQLite, spends of concurrent requests are grouped into one
	// transaction (group commit) by spendLoop: the commit, not the
	// statement, is what costs. Nil on PostgreSQL.
	spends   chan spendReq
	quit     chan struct{}
	loopDone chan struct{}
}

type spendReq struct {
	appID, product string
	now            time.Time
	done           chan spendResult // buffered: the loop never blocks on it
}

type spendResult struct {
	c   gateway.Charge
	err error
}

// FileName is the gateway's SQLite file in the data dir. It is not the
// certificate store's file: on SQLite every commit makes the other
// connections to a file drop their page caches, so the gateway's frequent
// small commits (lease refills, usage batches) would slow every certificate
// lookup.
const FileName = "gateway.db"

// Open opens (and migrates) the store: dsn empty means the SQLite file in
// dataDir, after moving the gateway's tables there from the certificate
// store's file if an earlier version kept them in it (moveLegacy); otherwise
// dsn must be a postgres:// or postgresql:// URL.
func Open(ctx context.Context, dataDir, dsn string) (*Store, error) {
	if dsn == "" {
		if err := moveLegacy(ctx, dataDir); err != nil {
			return nil, err
		}
		return openSQLite(ctx, filepath.Join(dataDir, FileName))
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return OpenPostgres(ctx, dsn)
	}
	return nil, fmt.Errorf("database %q: want empty (SQLite in the data dir) or a postgres:// URL", redactDSN(dsn))
}

func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	s := &Store{w: w, r: r, q: newQueries(false)}
	if err := s.init(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.spends, s.quit, s.loopDone = make(chan spendReq), make(chan struct{}), make(chan struct{})
	go s.spendLoop()
	return s, nil
}

// init migrates the schema and prepares the hot statements.
func (s *Store) init(ctx context.Context) error {
	if err := s.migrate(ctx); err != nil {
		return err
	}
	for _, p := range []struct {
		db    *sql.DB
		query string
		dst   **sql.Stmt
	}{
		{s.w, s.q.spend, &s.spendStmt},
		{s.w, s.q.refund, &s.refundStmt},
		{s.w, s.q.take, &s.takeStmt},
		{s.r, s.q.appByKey, &s.byKeyStmt},
		{s.r, s.q.appByCode, &s.byCodeStmt},
		{s.r, s.q.packages, &s.pkgsStmt},
		{s.w, s.q.insertUsageBlock, &s.usageStmt},
	} {
		stmt, err := p.db.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		*p.dst = stmt
	}
	return nil
}

// OpenPostgres opens the store on a PostgreSQL URL (a search_path query
// parameter selects a schema).
func OpenPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redactDSN(dsn), err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	s := &Store{w: db, r: db, postgres: true, q: newQueries(true)}
	if err := s.init(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("%s: %w", redactDSN(dsn), err)
	}
	return s, nil
}

// Close closes the database handles.
func (s *Store) Close() error {
	if s.quit != nil {
		close(s.quit)
		<-s.loopDone
	}
	stmts := []*sql.Stmt{s.spendStmt, s.refundStmt, s.takeStmt, s.byKeyStmt, s.byCodeStmt, s.pkgsStmt, s.usageStmt}
	for _, stmt := range stmts {
		if stmt != nil {
			stmt.Close()
		}
	}
	err := s.w.Close()
	if s.r != s.w {
		if rerr := s.r.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// migration is one step of the schema, in SQLite's and PostgreSQL's
// words; {{serial}} stands for an auto-increment primary key.
type migration struct{ sqlite, postgres string }

func both(sql string) migration { return migration{sql, sql} }

// migrations are applied in order, each once; never edit a published one.
var migrations = []migration{
	both(`CREATE TABLE gw_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE gw_apps (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	app_key TEXT NOT NULL UNIQUE,
	secret TEXT NOT NULL,
	disabled INTEGER NOT NULL DEFAULT 0,
	qps DOUBLE PRECISION NOT NULL DEFAULT 0,
	burst INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL);
CREATE TABLE gw_app_codes (
	hash TEXT PRIMARY KEY,
	app_id TEXT NOT NULL REFERENCES gw_apps(id),
	created_at BIGINT NOT NULL);
CREATE INDEX gw_app_codes_app ON gw_app_codes (app_id);
CREATE TABLE gw_packages (
	id {{serial}},
	app_id TEXT NOT NULL REFERENCES gw_apps(id),
	product TEXT NOT NULL,
	total BIGINT NOT NULL,
	used BIGINT NOT NULL DEFAULT 0,
	expires_at BIGINT NOT NULL,
	daily_cap BIGINT NOT NULL DEFAULT 0,
	day TEXT NOT NULL DEFAULT '',
	day_used BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL);
CREATE INDEX gw_packages_app ON gw_packages (app_id, product, expires_at);
CREATE TABLE gw_usage (
	id {{serial}},
	at BIGINT NOT NULL,
	app_id TEXT NOT NULL,
	product TEXT NOT NULL,
	route TEXT NOT NULL,
	code INTEGER NOT NULL,
	billable INTEGER NOT NULL,
	latency_us BIGINT NOT NULL,
	client_ip TEXT NOT NULL,
	task_no TEXT NOT NULL);
CREATE TABLE gw_usage_daily (
	app_id TEXT NOT NULL,
	product TEXT NOT NULL,
	day TEXT NOT NULL,
	calls BIGINT NOT NULL,
	billable BIGINT NOT NULL,
	PRIMARY KEY (app_id, product, day));`),
	// Usage records move from one row each to one row per block of
	// records sharing app, product, route and client address, the records
	// a JSON array of [at, code, billable, latency_us, taskNo]: a row and
	// its parameters cost far more to insert than the record they carry.
	// The view gw_usage shows both as the rows they used to be.
	{
		sqlite: usageBlocks + `
SELECT r.value ->> 0, b.app_id, b.product, b.route, r.value ->> 1, r.value ->> 2, r.value ->> 3, b.client_ip, r.value ->> 4
FROM gw_usage_blocks b, json_each(b.records) r`,
		postgres: usageBlocks + `
SELECT (r ->> 0)::bigint, b.app_id, b.product, b.route, (r ->> 1)::integer, (r ->> 2)::integer, (r ->> 3)::bigint, b.client_ip, r ->> 4
FROM gw_usage_blocks b CROSS JOIN LATERAL json_array_elements(b.records::json) r`,
	},
}

// usageBlocks is migration 2 up to the part of the view gw_usage that
// reads the blocks' JSON, which each dialect words its own way.
const usageBlocks = `ALTER TABLE gw_usage RENAME TO gw_usage_rows;
CREATE TABLE gw_usage_blocks (
	id {{serial}},
	app_id TEXT NOT NULL,
	product TEXT NOT NULL,
	route TEXT NOT NULL,
	client_ip TEXT NOT NULL,
	first_at BIGINT NOT NULL,
	last_at BIGINT NOT NULL,
	records TEXT NOT NULL);
CREATE VIEW gw_usage AS
SELECT at, app_id, product, route, code, billable, latency_us, client_ip, task_no FROM gw_usage_rows
UNION ALL`

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if s.postgres {
		// Several servers may start at once on one database.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7311540022)`); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS gw_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM gw_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	serial := "INTEGER PRIMARY KEY"
	if s.postgres {
		serial = "BIGSERIAL PRIMARY KEY"
	}
	for v := have + 1; v <= len(migrations); v++ {
		m := migrations[v-1].sqlite
		if s.postgres {
			m = migrations[v-1].postgres
		}
		for _, stmt := range strings.Split(m, ";\n") {
			stmt = strings.ReplaceAll(strings.TrimSpace(stmt), "{{serial}}", serial)
			if stmt == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q.rebind(`INSERT INTO gw_migrations (version, applied_at) VALUES (?, ?)`), v, time.Now().Unix()); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return tx.Commit()
}

// queries holds every statement, rebound for the dialect once.
type queries struct {
	postgres                             bool
	insertApp, insertCode, insertPackage string
	appByID, appByKey, appByCode, apps   string
	setDisabled, setSecret, countCodes   string
	packages, spend, refund, take        string
	upsertDaily, daily, insertUsageBlock string
	insertMeta, selectMeta, upsertMeta   string
}

const appColumns = `a.id, a.name, a.app_key, a.secret, a.disabled, a.qps, a.burst, a.created_at,
	(SELECT COUNT(*) FROM gw_app_codes c WHERE c.app_id = a.id)`

const pkgColumns = `id, app_id, product, total, used, expires_at, daily_cap, day, day_used, created_at`

// chargeable is the rule of gateway.charge in SQL; its parameters are
// now (unix seconds) and today.
const chargeable = `used < total AND expires_at > ? AND (daily_cap = 0 OR day <> ? OR day_used < daily_cap)`

func newQueries(postgres bool) queries {
	q := queries{postgres: postgres}
	q.insertApp = q.rebind(`INSERT INTO gw_apps (id, name, app_key, secret, disabled, qps, burst, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	q.insertCode = q.rebind(`INSERT INTO gw_app_codes (hash, app_id, created_at) VALUES (?, ?, ?)`)
	q.insertPackage = q.rebind(`INSERT INTO gw_packages (app_id, product, total, used, expires_at, daily_cap, created_at) VALUES (?, ?, ?, 0, ?, ?, ?) RETURNING id`)
	q.appByID = q.rebind(`SELECT ` + appColumns + ` FROM gw_apps a WHERE a.id = ?`)
	q.appByKey = q.rebind(`SELECT ` + appColumns + ` FROM gw_apps a WHERE a.app_key = ?`)
	q.appByCode = q.rebind(`SELECT ` + appColumns + ` FROM gw_apps a JOIN gw_app_codes k ON k.app_id = a.id WHERE k.hash = ?`)
	q.apps = `SELECT ` + appColumns + ` FROM gw_apps a ORDER BY a.created_at, a.id`
	q.setDisabled = q.rebind(`UPDATE gw_apps SET disabled = ? WHERE id = ?`)
	q.setSecret = q.rebind(`UPDATE gw_apps SET secret = ? WHERE id = ?`)
	q.countCodes = q.rebind(`SELECT COUNT(*) FROM gw_app_codes WHERE app_id = ?`)
	q.packages = q.rebind(`SELECT ` + pkgColumns + ` FROM gw_packages WHERE app_id = ? ORDER BY expires_at, id`)
	// One statement: pick the package and spend from it, re-checking the
	// rule on the row it locks, so concurrent spenders never overspend.
	q.spend = q.rebind(`UPDATE gw_packages SET used = used + 1,
	day_used = CASE WHEN day = ? THEN day_used + 1 ELSE 1 END, day = ?
WHERE id = (SELECT id FROM gw_packages WHERE app_id = ? AND product = ? AND ` + chargeable + ` ORDER BY expires_at, id LIMIT 1)
	AND ` + chargeable + ` RETURNING id`)
	q.refund = q.rebind(`UPDATE gw_packages SET used = used - ?,
	day_used = CASE WHEN day = ? AND day_used >= ? THEN day_used - ? ELSE day_used END
WHERE id = ? AND used >= ?`)
	// take reserves n calls of one package: the lease of a gateway.
	q.take = q.rebind(`UPDATE gw_packages SET used = used + ?,
	day_used = CASE WHEN day = ? THEN day_used + ? ELSE ? END, day = ?
WHERE id = ? AND used + ? <= total AND expires_at > ?
	AND (daily_cap = 0 OR (CASE WHEN day = ? THEN day_used ELSE 0 END) + ? <= daily_cap)`)
	q.insertUsageBlock = q.rebind(`INSERT INTO gw_usage_blocks (app_id, product, route, client_ip, first_at, last_at, records) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	q.upsertDaily = q.rebind(`INSERT INTO gw_usage_daily (app_id, product, day, calls, billable) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (app_id, product, day) DO UPDATE SET calls = gw_usage_daily.calls + excluded.calls, billable = gw_usage_daily.billable + excluded.billable`)
	q.daily = q.rebind(`SELECT app_id, product, day, calls, billable FROM gw_usage_daily WHERE app_id = ? AND day >= ? AND day <= ? ORDER BY day, product`)
	q.insertMeta = q.rebind(`INSERT INTO gw_meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING`)
	q.selectMeta = q.rebind(`SELECT v FROM gw_meta WHERE k = ?`)
	q.upsertMeta = q.rebind(`INSERT INTO gw_meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`)
	return q
}

// rebind turns ? placeholders into PostgreSQL's $n.
func (q queries) rebind(query string) string {
	if !q.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isUnique reports a unique-constraint violation in either database.
func isUnique(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505" // unique_violation
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		return liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// CreateApp implements gateway.Store.
func (s *Store) CreateApp(ctx context.Context, app gateway.App, codeHashes []string, pkgs []gateway.Package) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.q.insertApp, app.ID, app.Name, app.AppKey,
		base64.StdEncoding.EncodeToString(app.SealedSecret), b2i(app.Disabled), app.QPS, app.Burst, app.CreatedAt.Unix()); err != nil {
		if isUnique(err) {
			return gateway.ErrDuplicate
		}
		return fmt.Errorf("insert app: %w", err)
	}
	for _, h := range codeHashes {
		if _, err := tx.ExecContext(ctx, s.q.insertCode, h, app.ID, app.CreatedAt.Unix()); err != nil {
			if isUnique(err) {
				return gateway.ErrDuplicate
			}
			return fmt.Errorf("insert AppCode: %w", err)
		}
	}
	for _, p := range pkgs {
		if err := tx.QueryRowContext(ctx, s.q.insertPackage, app.ID, p.Product, p.Total, p.ExpiresAt.Unix(), p.DailyCap, p.CreatedAt.Unix()).Scan(new(int64)); err != nil {
			return fmt.Errorf("insert package: %w", err)
		}
	}
	return tx.Commit()
}

type scanner interface{ Scan(dest ...any) error }

func scanApp(row scanner) (gateway.App, error) {
	var (
		a        gateway.App
		secret   string
		disabled int
		created  int64
	)
	if err := row.Scan(&a.ID, &a.Name, &a.AppKey, &secret, &disabled, &a.QPS, &a.Burst, &created, &a.AppCodes); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return gateway.App{}, gateway.ErrNotFound
		}
		return gateway.App{}, err
	}
	sealed, err := base64.StdEncoding.DecodeString(secret)
	if err != nil {
		return gateway.App{}, fmt.Errorf("app %s: stored secret: %w", a.ID, err)
	}
	a.SealedSecret, a.Disabled, a.CreatedAt = sealed, disabled != 0, time.Unix(created, 0).UTC()
	return a, nil
}

// local returns the context for SQLite statements: ctx without its
// cancellation. The driver watches a cancellable context with a goroutine
// per statement, which costs more than the statements of the request path;
// SQLite's work is local, and its waits for locks end with the busy
// timeout. PostgreSQL statements keep ctx (they cross a network).
func (s *Store) local(ctx context.Context) context.Context {
	if s.postgres {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// App implements gateway.Store.
func (s *Store) App(ctx context.Context, id string) (gateway.App, error) {
	return scanApp(s.r.QueryRowContext(ctx, s.q.appByID, id))
}

// AppByKey implements gateway.Store.
func (s *Store) AppByKey(ctx context.Context, key string) (gateway.App, error) {
	return scanApp(s.byKeyStmt.QueryRowContext(s.local(ctx), key))
}

// AppByCode implements gateway.Store.
func (s *Store) AppByCode(ctx context.Context, hash string) (gateway.App, error) {
	return scanApp(s.byCodeStmt.QueryRowContext(s.local(ctx), hash))
}

// Apps implements gateway.Store.
func (s *Store) Apps(ctx context.Context) ([]gateway.App, error) {
	rows, err := s.r.QueryContext(ctx, s.q.apps)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []gateway.App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *Store) execOne(ctx context.Context, query string, args ...any) error {
	res, err := s.w.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return gateway.ErrNotFound
	}
	return nil
}

// SetDisabled implements gateway.Store.
func (s *Store) SetDisabled(ctx context.Context, id string, disabled bool) error {
	return s.execOne(ctx, s.q.setDisabled, b2i(disabled), id)
}

// SetSecret implements gateway.Store.
func (s *Store) SetSecret(ctx context.Context, id string, sealed []byte) error {
	return s.execOne(ctx, s.q.setSecret, base64.StdEncoding.EncodeToString(sealed), id)
}

// AddCode implements gateway.Store.
func (s *Store) AddCode(ctx context.Context, id, hash string, max int) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.postgres {
		// Serialise AppCode additions of one app so the count holds.
		if _, err := tx.ExecContext(ctx, `SELECT id FROM gw_apps WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.q.countCodes, id).Scan(&n); err != nil {
		return err
	}
	if n >= max {
		return gateway.ErrTooManyCodes
	}
	if _, err := tx.ExecContext(ctx, s.q.insertCode, hash, id, time.Now().Unix()); err != nil {
		if isUnique(err) {
			return gateway.ErrDuplicate
		}
		return err
	}
	return tx.Commit()
}

// AddPackage implements gateway.Store.
func (s *Store) AddPackage(ctx context.Context, p gateway.Package) (gateway.Package, error) {
	err := s.w.QueryRowContext(ctx, s.q.insertPackage, p.AppID, p.Product, p.Total, p.ExpiresAt.Unix(), p.DailyCap, p.CreatedAt.Unix()).Scan(&p.ID)
	return p, err
}

// Packages implements gateway.Store.
func (s *Store) Packages(ctx context.Context, appID string) ([]gateway.Package, error) {
	rows, err := s.pkgsStmt.QueryContext(s.local(ctx), appID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []gateway.Package
	for rows.Next() {
		var p gateway.Package
		var exp, created int64
		if err := rows.Scan(&p.ID, &p.AppID, &p.Product, &p.Total, &p.Used, &exp, &p.DailyCap, &p.Day, &p.DayUsed, &created); err != nil {
			return nil, err
		}
		p.ExpiresAt, p.CreatedAt = time.Unix(exp, 0).UTC(), time.Unix(created, 0).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// errClosed answers spends after Close.
var errClosed = errors.New("sqlstore: store closed")

// Spend implements gateway.Store.
func (s *Store) Spend(ctx context.Context, appID, product string, now time.Time) (gateway.Charge, error) {
	if s.spends == nil {
		return spendOne(ctx, s.spendStmt, appID, product, now)
	}
	req := spendReq{appID: appID, product: product, now: now, done: make(chan spendResult, 1)}
	select {
	case s.spends <- req:
	case <-ctx.Done():
		return gateway.Charge{}, ctx.Err() // not queued: nothing was spent
	case <-s.quit:
		return gateway.Charge{}, errClosed
	}
	// Queued: wait for the outcome even if ctx ends, so that a call spent
	// is always known to the caller (and refunded if need be).
	res := <-req.done
	return res.c, res.err
}

func spendOne(ctx context.Context, stmt *sql.Stmt, appID, product string, now time.Time) (gateway.Charge, error) {
	day, ts := gateway.Day(now), now.Unix()
	var id int64
	err := stmt.QueryRowContext(ctx, day, day, appID, product, ts, day, ts, day).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return gateway.Charge{}, gateway.ErrNoCharge
	}
	if err != nil {
		return gateway.Charge{}, err
	}
	return gateway.Charge{PackageID: id, Day: day}, nil
}

// spendLoop runs the spends queued while the previous group was being
// written as one transaction. The channel is unbuffered, so a request is
// either taken by the loop (and answered) or not queued at all.
func (s *Store) spendLoop() {
	defer close(s.loopDone)
	batch := make([]spendReq, 0, 256)
	for {
		select {
		case r := <-s.spends:
			batch = append(batch[:0], r)
		case <-s.quit:
			return
		}
	more:
		for len(batch) < cap(batch) {
			select {
			case r := <-s.spends:
				batch = append(batch, r)
			default:
				break more
			}
		}
		s.spendBatch(batch)
	}
}

// spendBatch spends for every request in one transaction and answers them
// after the commit; any database error fails the whole group (the calls are
// refused, nothing is spent).
func (s *Store) spendBatch(reqs []spendReq) {
	// Detached: the requests' own contexts must not cancel a shared commit.
	ctx := context.Background()
	fail := func(err error) {
		for _, r := range reqs {
			r.done <- spendResult{err: err}
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		fail(err)
		return
	}
	defer tx.Rollback()
	stmt := tx.StmtContext(ctx, s.spendStmt)
	results := make([]spendResult, len(reqs))
	for i, r := range reqs {
		c, err := spendOne(ctx, stmt, r.appID, r.product, r.now)
		if err != nil && !errors.Is(err, gateway.ErrNoCharge) {
			fail(err)
			return
		}
		results[i] = spendResult{c, err}
	}
	if err := tx.Commit(); err != nil {
		fail(err)
		return
	}
	for i, r := range reqs {
		r.done <- results[i]
	}
}

// Refund implements gateway.Store.
func (s *Store) Refund(ctx context.Context, c gateway.Charge) error {
	n := max(c.N, 1)
	_, err := s.refundStmt.ExecContext(s.local(ctx), n, c.Day, n, n, c.PackageID, n)
	return err
}

// Take implements gateway.Store.
func (s *Store) Take(ctx context.Context, packageID, n int64, now time.Time) (gateway.Charge, error) {
	if n < 1 {
		return gateway.Charge{}, fmt.Errorf("take %d calls: want at least 1", n)
	}
	day := gateway.Day(now)
	// Exec, not RETURNING: the id is known, and a result set costs more.
	res, err := s.takeStmt.ExecContext(s.local(ctx), n, day, n, n, day, packageID, n, now.Unix(), day, n)
	if err != nil {
		return gateway.Charge{}, err
	}
	if k, err := res.RowsAffected(); err != nil {
		return gateway.Charge{}, err
	} else if k == 0 {
		return gateway.Charge{}, gateway.ErrNoCharge
	}
	return gateway.Charge{PackageID: packageID, Day: day, N: n}, nil
}

type dayKey struct{ app, product, day string }

// usageBlockRecords is the most records one gw_usage_blocks row carries.
const usageBlockRecords = 1024

// WriteUsage implements gateway.Store: one transaction per batch, one
// gw_usage_blocks row per run of records sharing app, product, route and
// client address.
func (s *Store) WriteUsage(ctx context.Context, recs []gateway.Usage) error {
	if len(recs) == 0 {
		return nil
	}
	ctx = s.local(ctx)
	// Group without reordering the records of a group, and encode the
	// blocks before the transaction takes SQLite's only writing connection.
	order := make([]int32, len(recs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		x, y := &recs[a], &recs[b]
		return cmp.Or(strings.Compare(x.AppID, y.AppID), strings.Compare(x.Product, y.Product),
			strings.Compare(x.Route, y.Route), strings.Compare(x.ClientIP, y.ClientIP))
	})
	type block struct {
		first           *gateway.Usage
		firstAt, lastAt int64
		records         string
	}
	var (
		blocks []block
		buf    []byte
	)
	for start := 0; start < len(order); {
		first := &recs[order[start]]
		end := start + 1
		for end < len(order) && end-start < usageBlockRecords {
			u := &recs[order[end]]
			if u.AppID != first.AppID || u.Product != first.Product || u.Route != first.Route || u.ClientIP != first.ClientIP {
				break
			}
			end++
		}
		blk := block{first: first, firstAt: first.At.UnixMilli(), lastAt: first.At.UnixMilli()}
		buf = append(buf[:0], '[')
		for k, i := range order[start:end] {
			u := &recs[i]
			at := u.At.UnixMilli()
			blk.firstAt, blk.lastAt = min(blk.firstAt, at), max(blk.lastAt, at)
			if k > 0 {
				buf = append(buf, ',')
			}
			buf = appendUsageRecord(buf, u, at)
		}
		blk.records = string(append(buf, ']'))
		blocks = append(blocks, blk)
		start = end
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt := tx.StmtContext(ctx, s.usageStmt)
	for _, b := range blocks {
		if _, err := stmt.ExecContext(ctx, b.first.AppID, b.first.Product, b.first.Route, b.first.ClientIP, b.firstAt, b.lastAt, b.records); err != nil {
			return fmt.Errorf("insert usage: %w", err)
		}
	}
	// Daily aggregates: records come grouped by app and product, so the
	// map is touched only when the app, product or day changes.
	agg := make(map[dayKey][2]int64)
	var (
		days gateway.Days
		cur  dayKey
		n    [2]int64
	)
	for _, i := range order {
		u := &recs[i]
		k := dayKey{u.AppID, u.Product, days.Of(u.At)}
		if k != cur {
			if n[0] > 0 {
				c := agg[cur]
				agg[cur] = [2]int64{c[0] + n[0], c[1] + n[1]}
			}
			cur, n = k, [2]int64{}
		}
		n[0]++
		if u.Billable {
			n[1]++
		}
	}
	c := agg[cur]
	agg[cur] = [2]int64{c[0] + n[0], c[1] + n[1]}
	for k, c := range agg {
		if _, err := tx.ExecContext(ctx, s.q.upsertDaily, k.app, k.product, k.day, c[0], c[1]); err != nil {
			return fmt.Errorf("usage aggregate: %w", err)
		}
	}
	return tx.Commit()
}

// appendUsageRecord appends u as the JSON array [at, code, billable,
// latency_us, taskNo] that gw_usage_blocks.records holds.
func appendUsageRecord(b []byte, u *gateway.Usage, at int64) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, at, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(u.Code), 10)
	b = append(b, ',', '0'+byte(b2i(u.Billable)), ',')
	b = strconv.AppendInt(b, u.Latency.Microseconds(), 10)
	b = append(b, ',')
	b = appendJSONString(b, u.TaskNo)
	return append(b, ']')
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as PostgreSQL would refuse it.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&15])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// DailyUsage implements gateway.Store.
func (s *Store) DailyUsage(ctx context.Context, appID, from, to string) ([]gateway.DailyUsage, error) {
	rows, err := s.r.QueryContext(ctx, s.q.daily, appID, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []gateway.DailyUsage
	for rows.Next() {
		var d gateway.DailyUsage
		if err := rows.Scan(&d.AppID, &d.Product, &d.Day, &d.Calls, &d.Billable); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// SetMeta stores value under key.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.w.ExecContext(ctx, s.q.upsertMeta, key, value)
	return err
}

// InitMeta implements gateway.Store.
func (s *Store) InitMeta(ctx context.Context, key, value string) (string, error) {
	if _, err := s.w.ExecContext(ctx, s.q.insertMeta, key, value); err != nil {
		return "", err
	}
	var v string
	err := s.w.QueryRowContext(ctx, s.q.selectMeta, key).Scan(&v)
	return v, err
}
