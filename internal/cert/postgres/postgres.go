// Package postgres is the certificate Store on PostgreSQL (through pgx and
// pgxpool), for data sets and loads beyond one SQLite file. Names are
// indexed for containment search with a pg_trgm GIN index (and, for
// two-character keywords, which have no trigram, a GIN index of bigrams); tables are
// prefixed cert_ and live in the first schema of the connection's
// search_path. The pg_trgm extension is created in schema public.
//
// Most code should open a store with cert/certstore.
package postgres

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhengapi/zheng/internal/cert"
)

// Store is a cert.Store on a PostgreSQL database. It is safe for
// concurrent use.
type Store struct {
	pool *pgxpool.Pool

	// grams caches counted bigrams for tables not analyzed yet; see
	// gramCount.
	grams cert.BigramCounts

	// stats are the planner's statistics of the bigram column, which
	// price any bigram without touching the index; see gramStats.
	smu     sync.Mutex
	stats   *gramStats
	checked time.Time // when the table was last found not analyzed
}

// gramStats are the most common bigrams of cert_names.grams and their
// estimated counts, as ANALYZE (or autovacuum) last sampled them. A
// bigram not among them is rarer than the least common one listed.
type gramStats struct {
	common map[string]int
	rare   int // an estimate for every bigram not in common
	loaded time.Time
}

// statsTTL is how long loaded statistics are used before being read
// again (ANALYZE runs far less often); noStatsTTL how long a table found
// not analyzed is counted live before its statistics are looked for
// again.
const (
	statsTTL   = 5 * time.Minute
	noStatsTTL = 30 * time.Second
)

var _ cert.Store = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL; a search_path
// parameter selects the schema) and applies pending migrations.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", unavailable(err))
	}
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// unavailable marks errors that mean the database cannot be reached, so
// the dialects can answer "data source unavailable" rather than a fault.
func unavailable(err error) error {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.SafeToRetry(err) || errors.Is(err, pgx.ErrTxClosed) {
		return fmt.Errorf("%w: %w", cert.ErrUnavailable, err)
	}
	return err
}

// migrations are applied in order, each in its own transaction, under an
// advisory lock so concurrent starters do not race. Never edit a released
// migration: append a new one.
var migrations = []string{
	1: `
CREATE TABLE cert_records (
	rid        bigserial PRIMARY KEY,
	id         text NOT NULL UNIQUE,
	type_code  text NOT NULL,
	valid      boolean NOT NULL,
	start_date bigint NOT NULL,
	fp         bytea NOT NULL,
	body       bytea NOT NULL
);
CREATE TABLE cert_names (
	rid       bigint NOT NULL REFERENCES cert_records(rid) ON DELETE CASCADE,
	name_key  text NOT NULL,
	fuzzy_key text NOT NULL,
	grams     text[] NOT NULL
);
CREATE INDEX cert_names_rid ON cert_names(rid);
CREATE INDEX cert_names_grams ON cert_names USING gin (grams);
CREATE INDEX cert_names_key ON cert_names(name_key);
CREATE INDEX cert_names_fuzzy ON cert_names USING gin (fuzzy_key public.gin_trgm_ops);
CREATE TABLE cert_codes (
	code text NOT NULL,
	rid  bigint NOT NULL REFERENCES cert_records(rid) ON DELETE CASCADE,
	PRIMARY KEY (code, rid)
);
CREATE INDEX cert_codes_rid ON cert_codes(rid);
`,
	// The list fields of each certificate (its canonical JSON without the
	// detail sections): a search page decodes these instead of whole
	// bodies. Rows stored before this migration have none until they are
	// next written; searches fall back to their bodies.
	2: `
ALTER TABLE cert_records ADD COLUMN head bytea;
`,
}

// lockKey is an arbitrary constant naming zheng's certificate migrations
// among advisory locks.
const lockKey = 0x7a68656e6763

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public`); err != nil {
		return fmt.Errorf("create extension pg_trgm: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS cert_schema_migrations (
		version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	for v := 1; v < len(migrations); v++ {
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM cert_schema_migrations WHERE version = $1)`, v).Scan(&done); err != nil {
			return err
		}
		if done {
			continue
		}
		if _, err := tx.Exec(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cert_schema_migrations(version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return tx.Commit(ctx)
}

// Get implements cert.Store.
func (s *Store) Get(ctx context.Context, id string) (cert.Record, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, `SELECT body FROM cert_records WHERE id = $1`, id).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return cert.Record{}, fmt.Errorf("id %q: %w", id, cert.ErrNotFound)
	}
	if err != nil {
		return cert.Record{}, fmt.Errorf("get certificate: %w", unavailable(err))
	}
	var r cert.Record
	if err := r.UnmarshalJSON(body); err != nil {
		return cert.Record{}, fmt.Errorf("decode certificate %s: %w", id, err)
	}
	return r, nil
}

// Count implements cert.Store.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM cert_records`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count certificates: %w", unavailable(err))
	}
	return n, nil
}

// Find implements cert.Store.
func (s *Store) Find(ctx context.Context, m cert.Match) (cert.Page, error) {
	var (
		from string
		args []any
	)
	switch m.Kind {
	case cert.MatchCode:
		from = `(SELECT DISTINCT rid, 0 AS score FROM cert_codes WHERE code = ANY($1))`
		args = append(args, m.Codes)
	case cert.MatchName:
		from = `(SELECT DISTINCT rid, 0 AS score FROM cert_names WHERE name_key = $1)`
		args = append(args, m.Key)
	case cert.MatchFuzzy:
		// Same ranking as the SQLite store: tier (equal, prefix,
		// contains) times a large factor plus the name length. Fuzzy keys
		// hold only letters and digits, so LIKE needs no escaping.
		// pg_trgm cannot index a two-character keyword (it has no
		// trigram), so those use the GIN index over each name's bigrams.
		//
		// A longer keyword looks up its two rarest selective bigrams in
		// the bigram index and checks the candidates: a trigram lookup of a
		// whole company name also intersects the posting lists of 有限公,
		// 限公司 and the like, each as long as the table.
		cond := `fuzzy_key LIKE '%' || $1 || '%'`
		if utf8.RuneCountInString(m.Key) == 2 {
			cond = `grams @> ARRAY[$1::text]`
		} else if gs := s.rareBigrams(ctx, m.Key); len(gs) > 0 {
			cond = `grams @> $2::text[] AND strpos(fuzzy_key, $1) > 0`
			args = append(args, gs)
		}
		from = `(SELECT rid, MIN(CASE WHEN fuzzy_key = $1 THEN 0 WHEN left(fuzzy_key, char_length($1)) = $1 THEN 1 ELSE 2 END * 1000000 + char_length(fuzzy_key)) AS score
			FROM cert_names WHERE ` + cond + ` GROUP BY rid)`
		args = append([]any{m.Key}, args...)
	default:
		return cert.Page{}, fmt.Errorf("unknown match kind %d", m.Kind)
	}
	where := ""
	if m.TypeCode != "" {
		args = append(args, m.TypeCode)
		where = fmt.Sprintf(` WHERE r.type_code = $%d`, len(args))
	}
	base := ` FROM ` + from + ` m JOIN cert_records r ON r.rid = m.rid` + where
	// Sort and count on the narrow columns, then read the list fields of
	// one page.
	q := `SELECT coalesce(b.head, b.body), p.total FROM (
		SELECT r.rid, m.score, r.valid, r.start_date, r.id, count(*) OVER () AS total` + base +
		fmt.Sprintf(` ORDER BY m.score, r.valid DESC, r.start_date DESC, r.id COLLATE "C" LIMIT $%d OFFSET $%d
	) p JOIN cert_records b ON b.rid = p.rid
	ORDER BY p.score, p.valid DESC, p.start_date DESC, p.id COLLATE "C"`, len(args)+1, len(args)+2)
	// Plan with the actual keyword every time: a cached generic plan
	// cannot see that a LIKE pattern is selective and scans the table.
	rows, err := s.pool.Query(ctx, q, append([]any{pgx.QueryExecModeExec}, append(args, m.Limit, m.Offset)...)...)
	if err != nil {
		return cert.Page{}, fmt.Errorf("search certificates: %w", unavailable(err))
	}
	defer rows.Close()
	page := cert.Page{Items: []cert.Record{}}
	for rows.Next() {
		var body []byte
		var total int64
		if err := rows.Scan(&body, &total); err != nil {
			return cert.Page{}, fmt.Errorf("search certificates: %w", err)
		}
		page.Total = int(total)
		var r cert.Record
		if err := r.UnmarshalJSON(body); err != nil {
			return cert.Page{}, fmt.Errorf("decode certificate: %w", err)
		}
		page.Items = append(page.Items, r)
	}
	if err := rows.Err(); err != nil {
		return cert.Page{}, fmt.Errorf("search certificates: %w", unavailable(err))
	}
	if len(page.Items) == 0 && m.Offset > 0 {
		if err := s.pool.QueryRow(ctx, `SELECT count(*)`+base, args...).Scan(&page.Total); err != nil {
			return cert.Page{}, fmt.Errorf("count matches: %w", unavailable(err))
		}
	}
	return page, nil
}

// Upsert implements cert.Store. The batch is written with a few set-based
// statements and COPY, so a round trip is paid per batch, not per record.
func (s *Store) Upsert(ctx context.Context, recs []cert.Record) (cert.UpsertStats, error) {
	return cert.UpsertTx(ctx, s, recs)
}

var _ cert.Batcher = (*Store)(nil)

// Tx is a write transaction (cert.Tx). Commit and Rollback use the
// context Begin was given, as database/sql does.
type Tx struct {
	ctx  context.Context
	tx   pgx.Tx
	done bool
}

// Begin implements cert.Batcher.
func (s *Store) Begin(ctx context.Context) (cert.Tx, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", unavailable(err))
	}
	return &Tx{ctx: ctx, tx: tx}, nil
}

// Commit implements cert.Tx.
func (t *Tx) Commit() error {
	if t.done {
		return errors.New("transaction already ended")
	}
	t.done = true
	if err := t.tx.Commit(t.ctx); err != nil {
		return fmt.Errorf("commit: %w", unavailable(err))
	}
	return nil
}

// Rollback implements cert.Tx.
func (t *Tx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	return t.tx.Rollback(t.ctx)
}

// Upsert implements cert.Tx.
func (t *Tx) Upsert(ctx context.Context, recs []cert.Record) (cert.UpsertStats, error) {
	var st cert.UpsertStats
	if t.done {
		return st, errors.New("transaction already ended")
	}
	// Set-based statements need distinct ids; a repeated id starts a new
	// group, which then sees the earlier one as stored.
	start := 0
	seen := map[string]bool{}
	for i := 0; i <= len(recs); i++ {
		if i < len(recs) && !seen[recs[i].ID] {
			if recs[i].ID == "" {
				return cert.UpsertStats{}, fmt.Errorf("record %d (%s): empty id", i+1, recs[i].CertNo)
			}
			seen[recs[i].ID] = true
			continue
		}
		gs, err := upsertGroup(ctx, t.tx, recs[start:i])
		if err != nil {
			return cert.UpsertStats{}, err
		}
		st.Add(gs)
		if i < len(recs) {
			start = i
			clear(seen)
			seen[recs[i].ID] = true
		}
	}
	return st, nil
}

type row struct {
	rec  *cert.Record
	body []byte
	head []byte // body without the detail sections
	fp   [32]byte
	rid  int64
}

func upsertGroup(ctx context.Context, tx pgx.Tx, recs []cert.Record) (cert.UpsertStats, error) {
	var st cert.UpsertStats
	rows := make([]row, len(recs))
	ids := make([]string, len(recs))
	for i := range recs {
		body := recs[i].AppendJSON(make([]byte, 0, 2048))
		h := recs[i]
		h.Detail = nil
		rows[i] = row{rec: &recs[i], body: body, head: h.AppendJSON(make([]byte, 0, 512)), fp: sha256.Sum256(body)}
		ids[i] = recs[i].ID
	}
	type old struct {
		rid int64
		fp  []byte
	}
	existing := map[string]old{}
	qr, err := tx.Query(ctx, `SELECT id, rid, fp FROM cert_records WHERE id = ANY($1)`, ids)
	if err != nil {
		return st, fmt.Errorf("look up ids: %w", unavailable(err))
	}
	for qr.Next() {
		var id string
		var o old
		if err := qr.Scan(&id, &o.rid, &o.fp); err != nil {
			qr.Close()
			return st, fmt.Errorf("look up ids: %w", err)
		}
		existing[id] = o
	}
	qr.Close()
	if err := qr.Err(); err != nil {
		return st, fmt.Errorf("look up ids: %w", unavailable(err))
	}

	var ins, upd []*row
	for i := range rows {
		r := &rows[i]
		o, ok := existing[r.rec.ID]
		switch {
		case !ok:
			ins = append(ins, r)
		case string(o.fp) == string(r.fp[:]):
			st.Unchanged++
		default:
			r.rid = o.rid
			upd = append(upd, r)
		}
	}
	cols := func(rs []*row) (id, typ []string, valid []bool, start []int64, fp, body, head [][]byte, rid []int64) {
		for _, r := range rs {
			id = append(id, r.rec.ID)
			typ = append(typ, r.rec.TypeCode)
			valid = append(valid, r.rec.Valid())
			start = append(start, r.rec.StartDate.Unix())
			fp = append(fp, r.fp[:])
			body = append(body, r.body)
			head = append(head, r.head)
			rid = append(rid, r.rid)
		}
		return
	}
	if len(ins) > 0 {
		id, typ, valid, start, fp, body, head, _ := cols(ins)
		qr, err := tx.Query(ctx, `INSERT INTO cert_records (id, type_code, valid, start_date, fp, body, head)
			SELECT * FROM unnest($1::text[], $2::text[], $3::bool[], $4::bigint[], $5::bytea[], $6::bytea[], $7::bytea[])
			RETURNING id, rid`, id, typ, valid, start, fp, body, head)
		if err != nil {
			return st, fmt.Errorf("insert certificates: %w", unavailable(err))
		}
		byID := make(map[string]*row, len(ins))
		for _, r := range ins {
			byID[r.rec.ID] = r
		}
		for qr.Next() {
			var id string
			var rid int64
			if err := qr.Scan(&id, &rid); err != nil {
				qr.Close()
				return st, fmt.Errorf("insert certificates: %w", err)
			}
			byID[id].rid = rid
		}
		qr.Close()
		if err := qr.Err(); err != nil {
			return st, fmt.Errorf("insert certificates: %w", unavailable(err))
		}
		st.Inserted += len(ins)
	}
	if len(upd) > 0 {
		_, typ, valid, start, fp, body, head, rid := cols(upd)
		if _, err := tx.Exec(ctx, `UPDATE cert_records r SET type_code = u.t, valid = u.v, start_date = u.s, fp = u.f, body = u.b, head = u.h
			FROM unnest($1::bigint[], $2::text[], $3::bool[], $4::bigint[], $5::bytea[], $6::bytea[], $7::bytea[]) AS u(rid, t, v, s, f, b, h)
			WHERE r.rid = u.rid`, rid, typ, valid, start, fp, body, head); err != nil {
			return st, fmt.Errorf("update certificates: %w", unavailable(err))
		}
		for _, table := range []string{"cert_names", "cert_codes"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE rid = ANY($1)`, rid); err != nil {
				return st, fmt.Errorf("update certificates: %w", unavailable(err))
			}
		}
		st.Updated += len(upd)
	}
	var names, codes [][]any
	for _, rs := range [][]*row{ins, upd} {
		for _, r := range rs {
			ns, cs := cert.IndexKeys(*r.rec)
			for _, n := range ns {
				names = append(names, []any{r.rid, n.Exact, n.Fuzzy, bigrams(n.Fuzzy)})
			}
			for _, c := range cs {
				codes = append(codes, []any{c, r.rid})
			}
		}
	}
	if len(names) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"cert_names"}, []string{"rid", "name_key", "fuzzy_key", "grams"}, pgx.CopyFromRows(names)); err != nil {
			return st, fmt.Errorf("index names: %w", unavailable(err))
		}
	}
	if len(codes) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"cert_codes"}, []string{"code", "rid"}, pgx.CopyFromRows(codes)); err != nil {
			return st, fmt.Errorf("index codes: %w", unavailable(err))
		}
	}
	return st, nil
}

// rareBigrams returns the two rarest selective bigrams of a fuzzy key (see
// cert.SelectiveBigrams), or nil when it has none.
func (s *Store) rareBigrams(ctx context.Context, key string) []string {
	return cert.Rarest(cert.SelectiveBigrams(key), func(g string) int { return s.gramCount(ctx, g) })
}

// gramCount returns how many names hold bigram g: an estimate from the
// table's statistics when it has been analyzed, else a count capped at
// cert.BigramCap, once per process (counting a common bigram through the
// index costs tens of milliseconds).
func (s *Store) gramCount(ctx context.Context, g string) int {
	if st := s.gramStats(ctx); st != nil {
		if n, ok := st.common[g]; ok {
			return n
		}
		return st.rare
	}
	return s.grams.Get(g, func(g string) (n int, err error) {
		err = s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM cert_names WHERE grams @> ARRAY[$1::text] LIMIT $2) c`, g, cert.BigramCap).Scan(&n)
		return n, err
	})
}

// gramStats returns the bigram statistics, reading them at most once per
// statsTTL; nil when the table has not been analyzed yet.
func (s *Store) gramStats(ctx context.Context) *gramStats {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.stats != nil && time.Since(s.stats.loaded) < statsTTL {
		return s.stats
	}
	if s.stats == nil && time.Since(s.checked) < noStatsTTL {
		return nil
	}
	var (
		elems []string
		freqs []float64
		rows  float64
	)
	// most_common_elem_freqs ends with three summary numbers: the least
	// and greatest frequency of the listed elements, and the null share.
	err := s.pool.QueryRow(ctx, `SELECT most_common_elems::text::text[], most_common_elem_freqs, c.reltuples
		FROM pg_stats st JOIN pg_class c ON c.oid = 'cert_names'::regclass
		WHERE st.schemaname = current_schema() AND st.tablename = 'cert_names' AND st.attname = 'grams'`).Scan(&elems, &freqs, &rows)
	if err != nil || len(elems) == 0 || len(freqs) != len(elems)+3 || rows <= 0 {
		// Not analyzed yet (or an error): count, and ask again later.
		s.stats, s.checked = nil, time.Now()
		return nil
	}
	st := &gramStats{common: make(map[string]int, len(elems)), loaded: time.Now()}
	for i, e := range elems {
		st.common[e] = int(freqs[i] * rows)
	}
	st.rare = int(freqs[len(elems)] * rows / 2)
	s.stats = st
	return st
}

// bigrams lists the distinct two-character substrings of a fuzzy key.
func bigrams(fuzzy string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, g := range strings.Fields(cert.Bigrams(fuzzy)) {
		if utf8.RuneCountInString(g) == 2 && !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}
