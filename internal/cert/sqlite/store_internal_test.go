package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"hash/fnv"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certtest"
)

func generate(t *testing.T, seed uint64, n int) []cert.Record {
	t.Helper()
	return certtest.Prepared(t, seed, n)
}

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A large batch trains a dictionary and stores bodies compressed; a
// small one reuses it; a batch unlike the data the dictionary was
// sampled from trains a new one, and every body stays readable.
func TestBodiesCompressed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "zheng.db")
	s := open(t, path)
	small := generate(t, 3, 10)
	if _, err := s.Upsert(ctx, small); err != nil {
		t.Fatal(err)
	}
	bulk := generate(t, 1, 2000)
	if _, err := s.Upsert(ctx, bulk); err != nil {
		t.Fatal(err)
	}
	// Records whose detail is mostly one long text the first dictionary
	// has never seen.
	odd := generate(t, 2, 600)
	boiler := strings.Repeat("本证书覆盖的产品型号与规格详见附件清单，附件与本证书同时使用方为有效。", 8)
	for i := range odd {
		odd[i].ID = ""
		odd[i].CertNo += "X"
		v := boiler + odd[i].CertNo
		odd[i].Detail = []cert.Section{{Name: "附件", Fields: []cert.Field{{Name: "说明", Value: &v}}}}
		if err := cert.Prepare(&odd[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Upsert(ctx, odd); err != nil {
		t.Fatal(err)
	}
	var dicts int
	if err := s.db.QueryRow(`SELECT count(*) FROM cert_dicts`).Scan(&dicts); err != nil || dicts != 2 {
		t.Errorf("dictionaries = %d, %v; want 2 (one per kind of data)", dicts, err)
	}
	var plain, packed, rawBytes, storedBytes int
	rows, err := s.db.Query(`SELECT body FROM cert_records`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var b []byte
		rows.Scan(&b)
		if b[0] == '{' {
			plain++
		} else {
			packed++
			storedBytes += len(b)
			j, err := s.unpack(ctx, b)
			if err != nil {
				t.Fatal(err)
			}
			rawBytes += len(j)
		}
	}
	rows.Close()
	if plain != len(small) || packed != len(bulk)+len(odd) {
		t.Errorf("plain, compressed bodies = %d, %d; want %d, %d", plain, packed, len(small), len(bulk)+len(odd))
	}
	if storedBytes*3 > rawBytes {
		t.Errorf("compressed bodies take %d bytes for %d of JSON; want at least 3 times smaller", storedBytes, rawBytes)
	}
	for _, r := range []cert.Record{small[3], bulk[0], bulk[1999], odd[7]} {
		got, err := s.Get(ctx, r.ID)
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("Get(%s) = %+v, %v; want the stored record", r.ID, got.CertNo, err)
		}
	}
	// A new process reads the dictionaries from the file.
	s.Close()
	s2 := open(t, path)
	if got, err := s2.Get(ctx, odd[9].ID); err != nil || !reflect.DeepEqual(got, odd[9]) {
		t.Errorf("Get after reopening = %v, %v", got.CertNo, err)
	}
}

// A store written before migrations 3 and 4 (plain bodies, cert_heads,
// cert_fts, cert_codes) is searchable by every key after them, and its
// records can be updated.
func TestMigrateFromV2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "zheng.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE cert_schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
		migrations[1], migrations[2], `INSERT INTO cert_schema_migrations(version) VALUES (1), (2)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	recs := generate(t, 5, 40)
	for i, r := range recs {
		rid := i + 1
		body := r.AppendJSON(nil)
		fp := sha256.Sum256(body)
		head := r
		head.Detail = nil
		names, codes := cert.IndexKeys(r)
		var grams []string
		for _, n := range names {
			db.Exec(`INSERT INTO cert_names VALUES (?, ?, ?)`, rid, n.Exact, n.Fuzzy)
			grams = append(grams, cert.Bigrams(n.Fuzzy))
		}
		for _, c := range codes {
			db.Exec(`INSERT INTO cert_codes VALUES (?, ?)`, c, rid)
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO cert_records VALUES (?, ?, ?, ?, ?, ?, ?)`, []any{rid, r.ID, r.TypeCode, r.Valid(), r.StartDate.Unix(), fp[:], body}},
			{`INSERT INTO cert_fts(rowid, grams) VALUES (?, ?)`, []any{rid, strings.Join(grams, " 丨丨丨 ")}},
			{`INSERT INTO cert_heads VALUES (?, ?)`, []any{rid, head.AppendJSON(nil)}},
		} {
			if _, err := db.Exec(q.sql, q.args...); err != nil {
				t.Fatal(err)
			}
		}
	}
	db.Close()

	s := open(t, path)
	svc := cert.NewService(s)
	r := recs[11]
	for _, q := range []cert.Query{
		{Keyword: r.EnterpriseName, Exact: true},
		{Keyword: r.CreditCode},
		{Keyword: cert.OrgCodeOf(r.CreditCode)},
		{Keyword: string([]rune(cert.FuzzyKey(r.EnterpriseName))[2:6])},
	} {
		q.PageSize, q.Page = 20, 1
		p, err := svc.Search(ctx, q)
		if err != nil {
			t.Fatalf("Search(%q): %v", q.Keyword, err)
		}
		found := false
		for _, it := range p.Items {
			found = found || it.ID == r.ID && it.CertNo == r.CertNo
		}
		if !found {
			t.Errorf("after migrating, Search(%q) = %d items, none %s", q.Keyword, len(p.Items), r.ID)
		}
	}
	if got, err := s.Get(ctx, r.ID); err != nil || !reflect.DeepEqual(got, r) {
		t.Errorf("Get(%s) after migrating: %v", r.ID, err)
	}
	r.EnterpriseName, r.Parties = "迁移后改名有限公司", nil
	if err := cert.Prepare(&r); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Upsert(ctx, []cert.Record{r}); err != nil || st.Updated != 1 {
		t.Fatalf("Upsert after migrating = %+v, %v", st, err)
	}
	p, err := svc.Search(ctx, cert.Query{Keyword: "迁移后改名", Page: 1, PageSize: 10})
	if err != nil || p.Total != 1 || p.Items[0].EnterpriseName != r.EnterpriseName {
		t.Errorf("Search for the new name after an update = %+v, %v", p, err)
	}
}

func TestFNV64a(t *testing.T) {
	for _, s := range []string{"", "a", "0dd196a35305b123cf730cdd6358cb84", "广州市康立照明电器有限公司"} {
		h := fnv.New64a()
		h.Write([]byte(s))
		if got := fnv64a(s); got != h.Sum64() {
			t.Errorf("fnv64a(%q) = %x, hash/fnv says %x", s, got, h.Sum64())
		}
	}
}

// Bigrams nearly every name holds are not indexed; a keyword made of
// nothing else still finds every name containing it.
func TestUnindexedBigramKeyword(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "zheng.db"))
	recs := generate(t, 9, 30)
	if _, err := s.Upsert(ctx, recs); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, r := range recs {
		if strings.Contains(cert.FuzzyKey(r.EnterpriseName), "限公") {
			want++
		}
	}
	p, err := cert.NewService(s).Search(ctx, cert.Query{Keyword: "限公", Page: 1, PageSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	if want == 0 || p.Total != want {
		t.Errorf("Search(限公).Total = %d, want %d (names containing it)", p.Total, want)
	}
}
