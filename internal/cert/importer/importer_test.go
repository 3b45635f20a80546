package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certgen"
	"github.com/zhengapi/zheng/internal/cert/importer"
	"github.com/zhengapi/zheng/internal/cert/sqlite"
)

func newStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "zheng.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// seedLine compacts one of the seed documents' detail examples (kept by
// package cert's tests) into a JSONL line.
func seedLine(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func genLines(t *testing.T, n int) []string {
	t.Helper()
	g := certgen.New(3)
	out := make([]string, n)
	for i := range out {
		b, err := json.Marshal(g.Next())
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
	}
	return out
}

func run(t *testing.T, s cert.Store, name, data string, opt importer.Options) (importer.Summary, []importer.Reject, error) {
	t.Helper()
	var rejects []importer.Reject
	opt.OnReject = func(r importer.Reject) { rejects = append(rejects, r) }
	if opt.Now == nil {
		opt.Now = func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }
	}
	sum, err := importer.Import(context.Background(), s, name, strings.NewReader(data), opt)
	return sum, rejects, err
}

func TestJSONLShapesAndRejects(t *testing.T) {
	s := newStore(t)
	gen := genLines(t, 1)[0]
	data := strings.Join([]string{
		gen,
		`{"certNo": "broken"`,
		seedLine(t, "jumei-seed.json"),
		`{"certNo":"X1","typeName":"t","status":"有效"}`, // no enterprise
		"",
		seedLine(t, "qcc-seed.json"),
	}, "\n")
	sum, rejects, err := run(t, s, "in.jsonl", data, importer.Options{})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	want := importer.Summary{Read: 5, Inserted: 3, Rejected: 2}
	if sum.Read != want.Read || sum.Inserted != want.Inserted || sum.Rejected != want.Rejected {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	if len(rejects) != 2 || rejects[0].Line != 2 || rejects[1].Line != 4 {
		t.Errorf("rejects = %+v, want lines 2 and 4", rejects)
	}
	for _, id := range []string{"85f8355cd221d46f5c5cfa6f1daae80b", "145695151793ad28f7ffd5d8a24cd6191"} {
		if _, err := s.Get(context.Background(), id); err != nil {
			t.Errorf("seed certificate %s not imported: %v", id, err)
		}
	}
}

func TestReimportIsUnchanged(t *testing.T) {
	s := newStore(t)
	lines := genLines(t, 50)
	data := strings.Join(lines, "\n")
	if sum, _, err := run(t, s, "a.jsonl", data, importer.Options{BatchSize: 7}); err != nil || sum.Inserted != 50 {
		t.Fatalf("first import = %+v, %v; want 50 inserted", sum, err)
	}
	sum, _, err := run(t, s, "a.jsonl", data, importer.Options{BatchSize: 7})
	if err != nil || sum.Unchanged != 50 || sum.Inserted != 0 || sum.Updated != 0 {
		t.Fatalf("second import = %+v, %v; want 50 unchanged", sum, err)
	}
	var r cert.Record
	if err := json.Unmarshal([]byte(lines[3]), &r); err != nil {
		t.Fatal(err)
	}
	r.Status = cert.StatusSuspended
	b, _ := json.Marshal(r)
	lines[3] = string(b)
	sum, _, err = run(t, s, "a.jsonl", strings.Join(lines, "\n"), importer.Options{})
	if err != nil || sum.Updated != 1 || sum.Unchanged != 49 {
		t.Fatalf("import with one change = %+v, %v; want 1 updated", sum, err)
	}
}

func TestStrictStopsAtFirstReject(t *testing.T) {
	s := newStore(t)
	lines := genLines(t, 4)
	data := strings.Join([]string{lines[0], lines[1], "not json", lines[2], lines[3]}, "\n")
	sum, _, err := run(t, s, "a.jsonl", data, importer.Options{Strict: true})
	var rej importer.Reject
	if !errors.Is(err, importer.ErrStrict) || !errors.As(err, &rej) || rej.Line != 3 {
		t.Fatalf("strict import error = %v, want ErrStrict at line 3", err)
	}
	if n, _ := s.Count(context.Background()); n != 2 || sum.Inserted != 2 {
		t.Errorf("strict import stored %d (summary %+v), want the 2 lines before the bad one", n, sum)
	}
}

// failingStore fails its second Upsert, as a crash mid-import would.
type failingStore struct {
	cert.Store
	calls int
}

func (f *failingStore) Upsert(ctx context.Context, recs []cert.Record) (cert.UpsertStats, error) {
	f.calls++
	if f.calls == 2 {
		return cert.UpsertStats{}, errors.New("disk on fire")
	}
	return f.Store.Upsert(ctx, recs)
}

func TestRerunCompletesInterruptedImport(t *testing.T) {
	s := newStore(t)
	data := strings.Join(genLines(t, 30), "\n")
	if _, _, err := run(t, &failingStore{Store: s}, "a.jsonl", data, importer.Options{BatchSize: 10}); err == nil {
		t.Fatal("import over a failing store succeeded")
	}
	if n, _ := s.Count(context.Background()); n != 10 {
		t.Fatalf("after the failure the store holds %d, want the first batch of 10", n)
	}
	sum, _, err := run(t, s, "a.jsonl", data, importer.Options{BatchSize: 10})
	if err != nil || sum.Unchanged != 10 || sum.Inserted != 20 {
		t.Fatalf("rerun = %+v, %v; want 10 unchanged, 20 inserted", sum, err)
	}
}

// failingBatcher fails the Upsert of its fifth chunk, inside a
// transaction that already holds the fourth.
type failingBatcher struct {
	*sqlite.Store
	calls int
}

func (f *failingBatcher) Begin(ctx context.Context) (cert.Tx, error) {
	tx, err := f.Store.Begin(ctx)
	return &failingTx{Tx: tx, f: f}, err
}

type failingTx struct {
	cert.Tx
	f *failingBatcher
}

func (t *failingTx) Upsert(ctx context.Context, recs []cert.Record) (cert.UpsertStats, error) {
	t.f.calls++
	if t.f.calls == 5 {
		return cert.UpsertStats{}, errors.New("disk on fire")
	}
	return t.Tx.Upsert(ctx, recs)
}

func TestBatchSpansChunks(t *testing.T) {
	s := newStore(t)
	data := strings.Join(genLines(t, 30), "\n")
	opt := importer.Options{BatchSize: 10, ChunkSize: 4}
	sum, _, err := run(t, &failingBatcher{Store: s}, "a.jsonl", data, opt)
	if err == nil {
		t.Fatal("import over a failing store succeeded")
	}
	// Chunks of 4: the first transaction commits after 12 records; the
	// second holds chunk 4 when chunk 5 fails, and rolls both back.
	if n, _ := s.Count(context.Background()); n != 12 || sum.Inserted != 12 {
		t.Fatalf("after the failure the store holds %d (summary %+v), want the first batch of 12", n, sum)
	}
	sum, _, err = run(t, s, "a.jsonl", data, opt)
	if err != nil || sum.Unchanged != 12 || sum.Inserted != 18 {
		t.Fatalf("rerun = %+v, %v; want 12 unchanged, 18 inserted", sum, err)
	}
}

const cncaCSV = `certNumber,orgName,orgCode,authProjCode,authProjCodeName,certiStatus,certiStatusName,certiEDate,zersda,rzjgId,rzjgIdName,row
00216Q10097R1S,山东泓达生物科技有限公司,91371323760038087M,A010103,质量管理体系认证（ISO9000）,01,有效,2026-05-01,20230502,CNCA-R-2002-002,方圆标志认证集团有限公司,1
10416Q20770R1S,"临沂某某机械有限公司",760038087,A020102,,05,过期失效,2019-01-01,20160102,CNCA-R-2003-104,山东世通质量认证有限公司,2
BADROW,缺少类型的公司,,,,01,有效,2026-01-01,20230101,,,3
00114E22766R2L/3502,厦门某某电子有限公司,,A020102,环境管理体系认证,09,奇怪,2026-01-01,20230101,,,4
`

func TestCSVRegisterColumns(t *testing.T) {
	s := newStore(t)
	sum, rejects, err := run(t, s, "cnca.csv", cncaCSV, importer.Options{})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if sum.Read != 4 || sum.Inserted != 2 || sum.Rejected != 2 {
		t.Errorf("summary = %+v, want 4 read, 2 inserted, 2 rejected", sum)
	}
	if len(rejects) != 2 || rejects[0].Line != 4 || rejects[1].Line != 5 {
		t.Errorf("rejects = %+v, want CSV lines 4 and 5", rejects)
	}
	if !reflect.DeepEqual(sum.IgnoredColumns, []string{"row"}) {
		t.Errorf("ignored columns = %q, want [row]", sum.IgnoredColumns)
	}
	id := cert.DeriveID("A020102", "", "10416Q20770R1S")
	r, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(derived id): %v", err)
	}
	if r.TypeName != "环境管理体系认证" || r.Status != cert.StatusExpired || r.CreditCode != "760038087" ||
		r.StartDate != time.Date(2016, 1, 2, 0, 0, 0, 0, time.UTC) {
		t.Errorf("row 2 imported as %+v", r)
	}
	// The org code on the old certificate links it to the holder's USCC.
	p, err := cert.NewService(s).Search(context.Background(), cert.Query{Keyword: "91371323760038087M", Page: 1, PageSize: 10})
	if err != nil || p.Total != 2 {
		t.Errorf("search by USCC = %d results, %v; want both certificates", p.Total, err)
	}
}

func TestCSVGBKAndColumnMap(t *testing.T) {
	s := newStore(t)
	utf := "编号,公司,类别,状态,到期\nZH-1,广州某某科技有限公司,软件产品证书,正常,2030-01-01\n"
	gbk, err := simplifiedchinese.GB18030.NewEncoder().String(utf)
	if err != nil {
		t.Fatal(err)
	}
	opt := importer.Options{Columns: map[string]string{"编号": "certNo", "公司": "enterpriseName", "类别": "typeName", "到期": "endDate"}}
	sum, rejects, err := run(t, s, "x.csv", gbk, opt)
	if err != nil || sum.Inserted != 1 {
		t.Fatalf("GBK import = %+v, %v, rejects %v; want 1 inserted", sum, err, rejects)
	}
	if _, _, err := run(t, s, "x.csv", utf, importer.Options{}); err == nil {
		t.Errorf("import without a mapping for unknown headers succeeded, want a header error")
	}
	if _, _, err := run(t, s, "x.csv", utf, importer.Options{Columns: map[string]string{"编号": "nope"}}); err == nil {
		t.Errorf("mapping to an unknown field succeeded")
	}
}

func TestXLSX(t *testing.T) {
	s := newStore(t)
	f := excelize.NewFile()
	rows := [][]any{
		{"证书编号", "企业名称", "证书类型", "证书状态", "颁证日期", "证书到期日期"},
		{"GR202333005602", "杭州某某信息技术有限公司", "高新技术企业认证", "有效", "2023-12-28", "2026-12-27"},
		{},
		{"", "没有编号的公司", "高新技术企业认证", "有效", "2023-12-28", "2026-12-27"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	sum, rejects, err := run(t, s, "c.xlsx", buf.String(), importer.Options{})
	if err != nil || sum.Inserted != 1 || sum.Rejected != 1 {
		t.Fatalf("xlsx import = %+v, %v; want 1 inserted, 1 rejected", sum, err)
	}
	if len(rejects) != 1 || rejects[0].Line != 4 {
		t.Errorf("rejects = %+v, want row 4", rejects)
	}
}

func FuzzParseJSONLine(f *testing.F) {
	for _, l := range genLines(&testing.T{}, 2) {
		f.Add([]byte(l))
	}
	f.Add([]byte(`{"data":{"certNo":"1","detail":{"证书信息":{"证书编号":"1"}}}}`))
	f.Add([]byte(`{"Result":{"Id":"x","Data":{"证书编号":"1","获证组织基本信息-企业名称":"甲"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := importer.ParseJSONLine(b)
		if err != nil {
			return
		}
		if cert.Prepare(&r) != nil {
			return
		}
		// Whatever parses and prepares must survive the canonical round trip.
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		var back cert.Record
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("canonical JSON of a parsed record does not parse: %v\n%s", err, out)
		}
	})
}

func FuzzCSV(f *testing.F) {
	f.Add(cncaCSV)
	f.Add("certNo,enterpriseName,typeName,status\n\"a\"\"b\",c,d,有效\n")
	f.Fuzz(func(t *testing.T, data string) {
		s := &countingStore{}
		sum, err := importer.Import(context.Background(), s, "f.csv", strings.NewReader(data), importer.Options{})
		if err == nil && sum.Inserted+sum.Rejected != sum.Read {
			t.Fatalf("summary %+v does not add up", sum)
		}
	})
}

// countingStore accepts everything and keeps nothing.
type countingStore struct{ cert.Store }

func (*countingStore) Upsert(_ context.Context, recs []cert.Record) (cert.UpsertStats, error) {
	return cert.UpsertStats{Inserted: len(recs)}, nil
}
