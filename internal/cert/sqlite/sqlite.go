// Package sqlite is the certificate Store on SQLite (pure Go, through
// modernc.org/sqlite): the default for a single machine. The database file
// is shared with other subsystems, so every table here is prefixed cert_
// and the connection uses WAL and a busy timeout. Names are indexed for
// containment search with an FTS5 table of character bigrams (see
// cert.Bigrams), one row per certificate.
//
// Most code should open a store with cert/certstore, which picks SQLite or
// PostgreSQL from the configuration.
package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/klauspost/compress/s2"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/zhengapi/zheng/internal/cert"
)

// Store is a cert.Store on one SQLite database file. It is safe for
// concurrent use.
type Store struct {
	db *sql.DB

	// Upserts run on one connection of their own whose page cache may
	// grow to writeCache: a bulk import touches index pages in random
	// order, and a cache miss costs a system call. The cache only grows
	// as pages are touched, so a server that never imports stays small.
	wmu sync.Mutex
	w   *sql.Conn

	// grams caches the entry counts of the bigrams fuzzy searches ask
	// about, to pick the rarest for the index query.
	grams cert.BigramCounts

	dicts dicts

	// stmts holds the writer's multi-row INSERTs by text: preparing one
	// of 500 rows costs as much as running it.
	stmts map[string]*sql.Stmt

	// get reads one certificate, prepared once: compiling it took a
	// fifth of a detail request's CPU.
	get *sql.Stmt
}

// writeCache is the page-cache limit of the writing connection, in KiB.
const writeCache = 512 << 10

// writeCheckpoint is the WAL size, in pages, after which a commit on the
// writing connection checkpoints (256 MiB of 4 KiB pages).
const writeCheckpoint = 65536

var _ cert.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path and applies
// pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	// An 8 MiB page cache per reading connection keeps a serving process
	// small (the operating system caches the file anyway; the writer has
	// its own, see writeCache). Temporary sorts spill to files rather than
	// to memory, so a keyword matching 100,000 names cannot inflate the
	// process. Checkpoints every 16 MiB of WAL rewrite hot pages less
	// often.
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)",
		"cache_size(-8192)", "wal_autocheckpoint(4000)"} {
		q.Add("_pragma", p)
	}
	// Writers take the lock at BEGIN, so two importers queue on the busy
	// timeout instead of failing to upgrade a read lock.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(5) // four readers and the writer
	db.SetMaxIdleConns(5)
	s := &Store{db: db, stmts: map[string]*sql.Stmt{}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	if s.get, err = db.PrepareContext(ctx, `SELECT r.body FROM cert_ids i JOIN cert_records r ON r.rid = i.rid WHERE i.id_hash = ? AND r.id = ?`); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.get.Close()
	if s.w != nil {
		s.w.Close()
		s.w = nil
	}
	return s.db.Close()
}

// writer returns the writing connection; the caller holds wmu.
func (s *Store) writer(ctx context.Context) (*sql.Conn, error) {
	if s.w != nil {
		return s.w, nil
	}
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	// Checkpoints after this connection's commits copy the WAL into the
	// database file; letting the WAL grow to writeCheckpoint pages first
	// copies a page rewritten by many batches of an import once, not once
	// a batch. Readers keep the default. Each multi-row INSERT after the
	// first in a transaction keeps a statement journal (the old content
	// of every page it changes, to undo just that statement); in memory
	// that is a copy, in a temporary file it was two system calls a page
	// and most of an import's writes.
	for _, q := range []string{fmt.Sprintf("PRAGMA cache_size = -%d", writeCache), fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", writeCheckpoint), "PRAGMA temp_store = MEMORY"} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			c.Close()
			return nil, err
		}
	}
	s.w = c
	return c, nil
}

// migrations are applied in order, each in its own transaction; the
// applied versions are recorded in cert_schema_migrations. Never edit a
// released migration: append a new one.
var migrations = []string{
	1: `
CREATE TABLE cert_records (
	rid        INTEGER PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
	type_code  TEXT NOT NULL,
	valid      INTEGER NOT NULL,
	start_date INTEGER NOT NULL,
	fp         BLOB NOT NULL,
	body       BLOB NOT NULL
);
CREATE TABLE cert_names (
	rid       INTEGER NOT NULL,
	name_key  TEXT NOT NULL,
	fuzzy_key TEXT NOT NULL,
	PRIMARY KEY (rid, name_key)
) WITHOUT ROWID;
CREATE INDEX cert_names_key ON cert_names(name_key);
CREATE TABLE cert_codes (
	code TEXT NOT NULL,
	rid  INTEGER NOT NULL,
	PRIMARY KEY (code, rid)
) WITHOUT ROWID;
CREATE INDEX cert_codes_rid ON cert_codes(rid);
-- One row per certificate (rowid = cert_records.rid): the bigrams of all
-- its parties' fuzzy keys, each name's run separated by gramSep.
CREATE VIRTUAL TABLE cert_fts USING fts5(
	grams, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0'
);
`,
	// The list fields of each certificate (its canonical JSON without the
	// detail sections): a search page reads and decodes these small rows
	// instead of whole bodies. Certificates stored before this migration
	// have no row here until they are next written; searches fall back to
	// their bodies.
	2: `
CREATE TABLE cert_heads (
	rid  INTEGER PRIMARY KEY,
	head BLOB NOT NULL
);
`,
	// Bodies and heads compressed against dictionaries (see body.go); the
	// head moves into the certificate's own row, which saves a table
	// insert per certificate. Rows written before keep plain bodies and
	// their cert_heads row until they are next written.
	3: `
CREATE TABLE cert_dicts (
	id   INTEGER PRIMARY KEY,
	dict BLOB NOT NULL
);
ALTER TABLE cert_records ADD COLUMN head BLOB;
`,
	// One full-text row of terms per certificate replaces cert_fts,
	// cert_codes and the name-key index (see terms.go): a bulk import
	// writes one index instead of five. backfillTerms moves the data.
	4: `
CREATE VIRTUAL TABLE cert_terms USING fts5(
	terms, content='', contentless_delete=1, detail=none, tokenize='ascii'
);
-- Merging segments less eagerly than the default 4 halves the cost of
-- a bulk insert; lookups read a few more segments.
INSERT INTO cert_terms(cert_terms, rank) VALUES ('automerge', 8);
`,
	// Certificates are found by a 64-bit hash of their id (idHash) in
	// cert_ids instead of a unique index on the id text: the index is a
	// third of the size and compares integers, and a bulk import probes it
	// twice a certificate at random. Being a table of its own written with
	// OR IGNORE, its random inserts need no statement journal, which an
	// index of cert_records would (a copy of every page each multi-row
	// INSERT touches). The id stays unique because writers look it up
	// under the write lock before inserting. rehashIDs fills cert_ids.
	5: `
CREATE TABLE cert_records_v5 (
	rid        INTEGER PRIMARY KEY,
	id         TEXT NOT NULL,
	type_code  TEXT NOT NULL,
	valid      INTEGER NOT NULL,
	start_date INTEGER NOT NULL,
	fp         BLOB NOT NULL,
	body       BLOB NOT NULL,
	head       BLOB
);
INSERT INTO cert_records_v5 SELECT rid, id, type_code, valid, start_date, fp, body, head FROM cert_records;
DROP TABLE cert_records;
ALTER TABLE cert_records_v5 RENAME TO cert_records;
CREATE TABLE cert_ids (
	id_hash INTEGER NOT NULL,
	rid     INTEGER NOT NULL,
	PRIMARY KEY (id_hash, rid)
) WITHOUT ROWID;
`,
}

// migrationData runs after a migration's SQL, in its transaction, for
// the versions that move data.
var migrationData = map[int]func(context.Context, *sql.Tx) error{
	4: backfillTerms,
	5: rehashIDs,
}

// idHash is the lookup key of a certificate id (FNV-1a, as a signed
// integer SQLite can store).
func idHash(id string) int64 { return int64(fnv64a(id)) }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS cert_schema_migrations (
		version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	for v := 1; v < len(migrations); v++ {
		if err := s.apply(ctx, v); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, v int) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM cert_schema_migrations WHERE version = ?`, v).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
		return err
	}
	if f := migrationData[v]; f != nil {
		if err := f(ctx, tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO cert_schema_migrations(version) VALUES (?)`, v); err != nil {
		return err
	}
	return tx.Commit()
}

// Get implements cert.Store.
func (s *Store) Get(ctx context.Context, id string) (cert.Record, error) {
	var body []byte
	err := s.get.QueryRowContext(ctx, idHash(id), id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return cert.Record{}, fmt.Errorf("id %q: %w", id, cert.ErrNotFound)
	}
	if err != nil {
		return cert.Record{}, fmt.Errorf("get certificate: %w", err)
	}
	if body, err = s.unpack(ctx, body); err != nil {
		return cert.Record{}, fmt.Errorf("certificate %s: %w", id, err)
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
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM cert_records`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count certificates: %w", err)
	}
	return n, nil
}

// pageQuery sorts and counts the matches on the narrow columns, then reads
// the list fields of one page only (the head; for rows written before
// heads moved into cert_records, cert_heads or else the body): sorting
// bodies for every match, or decoding whole bodies for a list, would cost
// far more.
const pageQuery = `SELECT coalesce(x.head, h.head, x.body), p.total FROM (
	SELECT r.rid, m.score, r.valid, r.start_date, r.id, count(*) OVER () AS total %s
	ORDER BY m.score, r.valid DESC, r.start_date DESC, r.id LIMIT ? OFFSET ?
) p JOIN cert_records x ON x.rid = p.rid LEFT JOIN cert_heads h ON h.rid = p.rid
ORDER BY p.score, p.valid DESC, p.start_date DESC, p.id`

// Find implements cert.Store.
func (s *Store) Find(ctx context.Context, m cert.Match) (cert.Page, error) {
	var (
		from string
		args []any
	)
	switch m.Kind {
	case cert.MatchCode:
		if len(m.Codes) == 0 {
			return cert.Page{}, nil
		}
		var terms []string
		for _, c := range m.Codes {
			if t := quoted(codeTerm(c)); !slices.Contains(terms, t) {
				terms = append(terms, t)
			}
		}
		from = `(SELECT rowid AS rid, 0 AS score FROM cert_terms WHERE cert_terms MATCH ?)`
		args = append(args, strings.Join(terms, " OR "))
	case cert.MatchName:
		from = `(SELECT DISTINCT n.rid AS rid, 0 AS score FROM cert_names n
			WHERE n.rid IN (SELECT rowid FROM cert_terms WHERE cert_terms MATCH ?) AND n.name_key = ?)`
		args = append(args, quoted(nameTerm(m.Key)), m.Key)
	case cert.MatchFuzzy:
		// The full-text index finds the certificates; their names are
		// then checked and scored: tier (equal, prefix, contains) times a
		// large factor plus the name length, and a certificate ranks by
		// its closest party.
		candidates := `cert_names n`
		if q := s.termsQuery(ctx, m.Key); q != "" {
			candidates += ` WHERE n.rid IN (SELECT rowid FROM cert_terms WHERE cert_terms MATCH ?) AND`
			args = append(args, q)
		} else {
			candidates += ` WHERE` // no term to look up: every name is checked
		}
		from = `(SELECT n.rid AS rid, MIN(CASE WHEN n.fuzzy_key = ? THEN 0 WHEN substr(n.fuzzy_key, 1, ?) = ? THEN 1 ELSE 2 END * 1000000 + length(n.fuzzy_key)) AS score
			FROM ` + candidates + ` instr(n.fuzzy_key, ?) > 0 GROUP BY n.rid)`
		args = append([]any{m.Key, utf8.RuneCountInString(m.Key), m.Key}, append(args, m.Key)...)
	default:
		return cert.Page{}, fmt.Errorf("unknown match kind %d", m.Kind)
	}
	where := ""
	if m.TypeCode != "" {
		where = ` WHERE r.type_code = ?`
		args = append(args, m.TypeCode)
	}
	base := ` FROM ` + from + ` m JOIN cert_records r ON r.rid = m.rid` + where
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(pageQuery, base), append(args, m.Limit, m.Offset)...)
	if err != nil {
		return cert.Page{}, fmt.Errorf("search certificates: %w", err)
	}
	defer rows.Close()
	page := cert.Page{Items: []cert.Record{}}
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body, &page.Total); err != nil {
			return cert.Page{}, fmt.Errorf("search certificates: %w", err)
		}
		if body, err = s.unpack(ctx, body); err != nil {
			return cert.Page{}, fmt.Errorf("search certificates: %w", err)
		}
		var r cert.Record
		if err := r.UnmarshalJSON(body); err != nil {
			return cert.Page{}, fmt.Errorf("decode certificate: %w", err)
		}
		page.Items = append(page.Items, r)
	}
	if err := rows.Err(); err != nil {
		return cert.Page{}, fmt.Errorf("search certificates: %w", err)
	}
	if len(page.Items) == 0 && m.Offset > 0 {
		// Past the last page the window count has no row to ride on.
		if err := s.db.QueryRowContext(ctx, `SELECT count(*)`+base, args...).Scan(&page.Total); err != nil {
			return cert.Page{}, fmt.Errorf("count matches: %w", err)
		}
	}
	return page, nil
}

// termsQuery is the full-text query for the candidates of a fuzzy key:
// the two rarest of its selective bigrams (up to four when those are
// common), all of which a candidate must hold. The names are checked for
// the whole key afterwards; two rare bigrams leave few candidates, and
// every further posting list read costs more than it saves. Only when
// every bigram is common does it ask for all of them. It returns "" when
// the key has no term to look up.
func (s *Store) termsQuery(ctx context.Context, key string) string {
	lookable := func(g string) bool { return queryable(g) && !unindexed[g] }
	gs := slices.DeleteFunc(cert.SelectiveBigrams(key), func(g string) bool { return !lookable(g) })
	if len(gs) == 0 {
		gs = slices.DeleteFunc(bigrams(key), func(g string) bool { return !lookable(g) })
	}
	if len(gs) == 0 {
		return ""
	}
	gs = cert.Rarest(gs, func(g string) int { return s.gramCount(ctx, g) })
	for i, g := range gs {
		gs[i] = quoted(g)
	}
	return strings.Join(gs, " ")
}

// gramCount returns how many certificates hold bigram g, up to
// cert.BigramCap, counted once per process.
func (s *Store) gramCount(ctx context.Context, g string) int {
	return s.grams.Get(g, func(g string) (n int, err error) {
		err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM cert_terms WHERE cert_terms MATCH ? LIMIT ?)`, quoted(g), cert.BigramCap).Scan(&n)
		return n, err
	})
}

// prepared is a record encoded for writing.
type prepared struct {
	rec   *cert.Record
	body  []byte // JSON, then packed
	head  []byte // body without the detail sections, JSON then packed
	fp    [32]byte
	names []cert.NameKeys
	terms string
}

// encode does the CPU work of a chunk on every core.
func encode(recs []cert.Record) []prepared {
	out := make([]prepared, len(recs))
	parallel(len(recs), func(i int) {
		r := &recs[i]
		p := &out[i]
		p.rec = r
		p.body = r.AppendJSON(make([]byte, 0, 2048))
		p.fp = sha256.Sum256(p.body)
		h := *r
		h.Detail = nil
		p.head = h.AppendJSON(make([]byte, 0, 512))
		var codes []string
		p.names, codes = cert.IndexKeys(*r)
		p.terms = termsOf(p.names, codes)
	})
	return out
}

// packAll compresses the bodies and heads of a chunk on every core.
func packAll(ps []prepared, id int64, d *s2.Dict) {
	if d == nil {
		return
	}
	parallel(len(ps), func(i int) {
		ps[i].body = pack(id, d, ps[i].body)
		ps[i].head = pack(id, d, ps[i].head)
	})
}

// parallel calls f(0…n-1) on every core.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), 1+n/64)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f(i)
			}
		})
	}
	wg.Wait()
}

// chunkSize is how many records are encoded at a time while the writer
// stores the previous chunk, so encoding overlaps the single-threaded
// transaction.
const chunkSize = 1024

// chunk is an encoded part of a batch; dict is set on the first chunk
// when the batch brings a new dictionary.
type chunk struct {
	ps     []prepared
	dictID int64
	dict   *s2.Dict
	fresh  bool
}

// Upsert implements cert.Store: one transaction of Begin.
func (s *Store) Upsert(ctx context.Context, recs []cert.Record) (cert.UpsertStats, error) {
	return cert.UpsertTx(ctx, s, recs)
}

// Tx is a write transaction (cert.Tx). It holds the store's writer from
// Begin until Commit or Rollback.
type Tx struct {
	s    *Store
	tx   *sql.Tx
	next int64 // rid of the next new certificate
	// dictID and dict compress new rows; fresh lists the dictionaries
	// this transaction added, published to readers once it commits.
	dictID int64
	dict   *s2.Dict
	fresh  map[int64]*s2.Dict
	done   bool
}

var _ cert.Batcher = (*Store)(nil)

// Begin implements cert.Batcher. The transaction takes SQLite's write
// lock at once, so max(rid) and the newest dictionary cannot move
// underneath it.
func (s *Store) Begin(ctx context.Context) (cert.Tx, error) {
	s.wmu.Lock()
	t, err := s.begin(ctx)
	if err != nil {
		s.wmu.Unlock()
		return nil, err
	}
	return t, nil
}

func (s *Store) begin(ctx context.Context) (*Tx, error) {
	conn, err := s.writer(ctx)
	if err != nil {
		return nil, fmt.Errorf("writer connection: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	t := &Tx{s: s, tx: tx, fresh: map[int64]*s2.Dict{}}
	if t.dictID, t.dict, err = s.currentDict(ctx, tx); err == nil {
		err = tx.QueryRowContext(ctx, `SELECT coalesce(max(rid), 0) + 1 FROM cert_records`).Scan(&t.next)
	}
	if err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("begin: %w", err)
	}
	return t, nil
}

// Commit implements cert.Tx.
func (t *Tx) Commit() error {
	if t.done {
		return errors.New("transaction already ended")
	}
	t.done = true
	defer t.s.wmu.Unlock()
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for id, d := range t.fresh {
		t.s.dicts.put(id, d)
	}
	return nil
}

// Rollback implements cert.Tx.
func (t *Tx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	defer t.s.wmu.Unlock()
	return t.tx.Rollback()
}

// Upsert implements cert.Tx. Apart from updates, which are rare, a batch
// costs a handful of multi-row statements rather than several per
// record: ids are looked up 500 at a time, new rows get their rid from
// the transaction, and encoding runs a chunk ahead of the writer.
func (t *Tx) Upsert(ctx context.Context, recs []cert.Record) (cert.UpsertStats, error) {
	var st cert.UpsertStats
	if t.done {
		return st, errors.New("transaction already ended")
	}
	for i := range recs {
		if recs[i].ID == "" {
			return st, fmt.Errorf("record %d (%s): empty id", i+1, recs[i].CertNo)
		}
	}
	s, tx := t.s, t.tx
	chunks := make(chan chunk, 1)
	stop := make(chan struct{})
	var encoder sync.WaitGroup
	defer func() {
		close(stop)
		encoder.Wait()
	}()
	curID, cur := t.dictID, t.dict
	encoder.Go(func() {
		defer close(chunks)
		for lo := 0; lo < len(recs); lo += chunkSize {
			c := chunk{ps: encode(recs[lo:min(lo+chunkSize, len(recs))]), dictID: curID, dict: cur}
			if lo == 0 {
				bodies := make([][]byte, len(c.ps))
				for i := range c.ps {
					bodies[i] = c.ps[i].body
				}
				if d, fresh := chooseDict(cur, bodies); fresh {
					c.dict, c.fresh = d, true
					c.dictID = curID + 1
					curID, cur = c.dictID, d
				}
			}
			packAll(c.ps, c.dictID, c.dict)
			select {
			case chunks <- c:
			case <-stop:
				return
			}
		}
	})

	existing, err := s.lookup(ctx, tx, recs)
	if err != nil {
		return st, err
	}
	var b bulk
	for c := range chunks {
		if c.fresh {
			if _, err := tx.ExecContext(ctx, `INSERT INTO cert_dicts(id, dict) VALUES (?, ?)`, c.dictID, c.dict.Bytes()); err != nil {
				return st, fmt.Errorf("store dictionary: %w", err)
			}
			t.fresh[c.dictID] = c.dict
			t.dictID, t.dict = c.dictID, c.dict
		}
		for i := range c.ps {
			p := &c.ps[i]
			r := p.rec
			o, ok := existing[r.ID]
			var rid int64
			switch {
			case !ok:
				rid = t.next
				t.next++
				// A later duplicate of this id in the same batch is an update
				// of this row.
				existing[r.ID] = old{rid: rid, fp: p.fp[:]}
				b.ids = append(b.ids, idHash(r.ID), rid)
				b.records = append(b.records, rid, r.ID, r.TypeCode, r.Valid(), r.StartDate.Unix(), p.fp[:], p.body, p.head)
				st.Inserted++
			case string(o.fp) == string(p.fp[:]):
				st.Unchanged++
				continue
			default:
				rid = o.rid
				// Rows staged for the bulk insert must be written first, so a
				// duplicate within the batch updates a row that exists.
				if err := s.flush(ctx, tx, &b, true); err != nil {
					return cert.UpsertStats{}, err
				}
				if err := update(ctx, tx, p, rid); err != nil {
					return cert.UpsertStats{}, fmt.Errorf("certificate %s: %w", r.ID, err)
				}
				existing[r.ID] = old{rid: rid, fp: p.fp[:]}
				st.Updated++
			}
			for _, n := range p.names {
				b.names = append(b.names, rid, n.Exact, n.Fuzzy)
			}
			b.terms = append(b.terms, rid, p.terms)
		}
		if err := s.flush(ctx, tx, &b, false); err != nil {
			return cert.UpsertStats{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return cert.UpsertStats{}, err
	}
	if err := s.flush(ctx, tx, &b, true); err != nil {
		return cert.UpsertStats{}, err
	}
	return st, nil
}

// currentDict returns the newest dictionary, which new rows are written
// with. The caller holds wmu and a write transaction, so no other writer
// (in this process or another) can add one meanwhile.
func (s *Store) currentDict(ctx context.Context, tx *sql.Tx) (int64, *s2.Dict, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM cert_dicts`).Scan(&id); err != nil {
		return 0, nil, fmt.Errorf("current dictionary: %w", err)
	}
	if id == 0 {
		return 0, nil, nil
	}
	d, err := s.dict(ctx, tx, id)
	if err != nil {
		return 0, nil, err
	}
	return id, d, nil
}

type old struct {
	rid int64
	fp  []byte
}

// lookup returns the rid and fingerprint of every id of recs already
// stored.
func (s *Store) lookup(ctx context.Context, tx *sql.Tx, recs []cert.Record) (map[string]old, error) {
	existing := make(map[string]old, len(recs))
	args := make([]any, 0, maxRows)
	want := make(map[string]bool, maxRows)
	for lo := 0; lo < len(recs); lo += maxRows {
		hi := min(lo+maxRows, len(recs))
		args = args[:0]
		clear(want)
		for i := lo; i < hi; i++ {
			args = append(args, idHash(recs[i].ID))
			want[recs[i].ID] = true
		}
		rows, err := s.stmt(ctx, tx, `SELECT r.id, r.rid, r.fp FROM cert_ids i JOIN cert_records r ON r.rid = i.rid WHERE i.id_hash IN (?`+strings.Repeat(",?", len(args)-1)+`)`, len(args)).QueryContext(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("look up ids: %w", err)
		}
		for rows.Next() {
			var id string
			var o old
			if err := rows.Scan(&id, &o.rid, &o.fp); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up ids: %w", err)
			}
			if want[id] { // not another id with the same hash
				existing[id] = o
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("look up ids: %w", err)
		}
	}
	return existing, nil
}

// stmt returns a statement of tx running query, a multi-row statement of
// rows rows. Full-size ones (maxRows) are prepared once on the writer
// and kept; the caller holds wmu.
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, query string, rows int) stmtRunner {
	if rows != maxRows {
		return txRunner{tx, query}
	}
	st, ok := s.stmts[query]
	if !ok {
		var err error
		if st, err = s.db.PrepareContext(ctx, query); err != nil {
			return txRunner{tx, query}
		}
		s.stmts[query] = st
	}
	return stmtOf{tx.StmtContext(ctx, st)}
}

// stmtRunner runs a statement with arguments, prepared or not.
type stmtRunner interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
}

type txRunner struct {
	tx    *sql.Tx
	query string
}

func (r txRunner) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return r.tx.ExecContext(ctx, r.query, args...)
}

func (r txRunner) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return r.tx.QueryContext(ctx, r.query, args...)
}

type stmtOf struct{ *sql.Stmt }

// update rewrites a stored certificate and drops its index rows; the
// caller stages the new ones.
func update(ctx context.Context, tx *sql.Tx, p *prepared, rid int64) error {
	r := p.rec
	if _, err := tx.ExecContext(ctx, `UPDATE cert_records SET type_code = ?, valid = ?, start_date = ?, fp = ?, body = ?, head = ? WHERE rid = ?`,
		r.TypeCode, r.Valid(), r.StartDate.Unix(), p.fp[:], p.body, p.head, rid); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM cert_terms WHERE rowid = ?`, `DELETE FROM cert_names WHERE rid = ?`, `DELETE FROM cert_heads WHERE rid = ?`} {
		if _, err := tx.ExecContext(ctx, q, rid); err != nil {
			return err
		}
	}
	return nil
}

// maxRows is the most rows one multi-row statement carries (8 columns ×
// 500 stays far below SQLite's limit on bound parameters).
const maxRows = 500

// bulk collects rows for multi-row INSERTs, which cost far less per row
// than one statement each.
type bulk struct {
	records, ids, names, terms []any
}

// flush writes the staged rows; unless all, it leaves each table's last
// partial statement staged for the next chunk, as only full-size
// statements are prepared once.
func (s *Store) flush(ctx context.Context, tx *sql.Tx, b *bulk, all bool) error {
	for _, t := range []struct {
		head string
		cols int
		args *[]any
	}{
		{`INSERT INTO cert_records(rid, id, type_code, valid, start_date, fp, body, head) VALUES `, 8, &b.records},
		{`INSERT OR IGNORE INTO cert_ids(id_hash, rid) VALUES `, 2, &b.ids},
		{`INSERT OR IGNORE INTO cert_names(rid, name_key, fuzzy_key) VALUES `, 3, &b.names},
		{`INSERT INTO cert_terms(rowid, terms) VALUES `, 2, &b.terms},
	} {
		row := "(?" + strings.Repeat(",?", t.cols-1) + ")"
		args := *t.args
		for len(args) >= maxRows*t.cols || all && len(args) > 0 {
			n := min(len(args)/t.cols, maxRows)
			_, err := s.stmt(ctx, tx, t.head+row+strings.Repeat(","+row, n-1), n).ExecContext(ctx, args[:n*t.cols]...)
			if err != nil {
				_, table, _ := strings.Cut(t.head, "INTO ")
				return fmt.Errorf("write %s: %w", strings.Fields(table)[0], err)
			}
			args = args[n*t.cols:]
		}
		*t.args = append((*t.args)[:0], args...)
	}
	return nil
}
