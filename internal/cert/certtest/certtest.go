// Package certtest is the conformance suite every cert.Store must pass.
// A store package calls Run from its own test with a constructor that
// returns an empty store; the suite exercises the store through
// cert.Service, so it checks the search rules a user sees.
package certtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certgen"
)

// Run runs the suite. newStore must return a new, empty store for each
// call; Run closes it.
func Run(t *testing.T, newStore func(t *testing.T) cert.Store) {
	open := func(t *testing.T, recs ...cert.Record) (cert.Store, *cert.Service) {
		t.Helper()
		s := newStore(t)
		t.Cleanup(func() { s.Close() })
		if len(recs) > 0 {
			mustUpsert(t, s, recs...)
		}
		return s, cert.NewService(s)
	}
	t.Run("GetRoundTrip", func(t *testing.T) { testGetRoundTrip(t, open) })
	t.Run("UpsertIdempotent", func(t *testing.T) { testUpsertIdempotent(t, open) })
	t.Run("UpsertAtomic", func(t *testing.T) { testUpsertAtomic(t, open) })
	t.Run("UpdateReindexes", func(t *testing.T) { testUpdateReindexes(t, open) })
	t.Run("Codes", func(t *testing.T) { testCodes(t, open) })
	t.Run("Names", func(t *testing.T) { testNames(t, open) })
	t.Run("Ranking", func(t *testing.T) { testRanking(t, open) })
	t.Run("Pagination", func(t *testing.T) { testPagination(t, open) })
	t.Run("Bulk", func(t *testing.T) { testBulk(t, open) })
}

type opener func(t *testing.T, recs ...cert.Record) (cert.Store, *cert.Service)

func mustUpsert(t *testing.T, s cert.Store, recs ...cert.Record) cert.UpsertStats {
	t.Helper()
	for i := range recs {
		if err := cert.Prepare(&recs[i]); err != nil {
			t.Fatalf("Prepare(%s): %v", recs[i].CertNo, err)
		}
	}
	st, err := s.Upsert(context.Background(), recs)
	if err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	return st
}

func str(s string) *string { return &s }

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// rec builds a small valid record; id doubles as the certificate number.
func rec(id, holder, code string, start string, status string) cert.Record {
	return cert.Record{
		ID: id, CertNo: "NO-" + id, TypeCode: "cnca027", TypeName: "质量管理体系认证（ISO9000）",
		Status: status, EnterpriseName: holder, CreditCode: code,
		StartDate: day(start), EndDate: day(start).AddDate(3, 0, -1),
	}
}

func ids(p cert.Page) []string {
	out := []string{}
	for _, r := range p.Items {
		out = append(out, r.ID)
	}
	return out
}

func search(t *testing.T, svc *cert.Service, q cert.Query) cert.Page {
	t.Helper()
	if q.Page == 0 {
		q.Page = 1
	}
	if q.PageSize == 0 {
		q.PageSize = cert.MaxPageSize
	}
	p, err := svc.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return p
}

func testGetRoundTrip(t *testing.T, open opener) {
	full := cert.Record{
		ID: "145695151793ad28f7ffd5d8a24cd6191", CertNo: "17418Q20358R1M", TypeCode: "cnca027",
		TypeName: "质量管理体系认证（ISO9000）", Status: cert.StatusValid,
		EnterpriseName: "企查查科技有限公司", CreditCode: "91320594088140947F", RegNo: "440301112653267",
		Parties: []cert.Party{
			{Role: cert.RoleHolder, Name: "企查查科技有限公司", Code: "91320594088140947F"},
			{Role: "生产者(制造商)", Name: "合肥金德电力设备制造有限公司", Code: "723322222"},
		},
		StartDate: day("2021-04-12"), EndDate: day("2024-05-15"),
		Detail: []cert.Section{
			{Name: "证书信息", Fields: []cert.Field{{Name: "证书编号", Value: str("17418Q20358R1M")}, {Name: "变更日期", Value: str("")}}},
			{Name: "发证机构信息", Fields: []cert.Field{{Name: "处罚信息", Value: nil}, {Name: "机构名称", Value: str("华信创(北京)认证中心有限公司")}}},
		},
	}
	s, svc := open(t, full)
	got, err := svc.Get(context.Background(), full.ID)
	if err != nil {
		t.Fatalf("Get(%s): %v", full.ID, err)
	}
	if !reflect.DeepEqual(got, full) {
		t.Errorf("Get(%s) =\n%+v\nwant\n%+v", full.ID, got, full)
	}
	if _, err := svc.Get(context.Background(), "0123456789abcdef0123456789abcdef"); !errors.Is(err, cert.ErrNotFound) {
		t.Errorf("Get(unknown) error = %v, want ErrNotFound", err)
	}
	if n, err := s.Count(context.Background()); err != nil || n != 1 {
		t.Errorf("Count() = %d, %v; want 1", n, err)
	}
}

func testUpsertIdempotent(t *testing.T, open opener) {
	a := rec("a1", "甲乙科技有限公司", "", "2020-01-01", cert.StatusValid)
	b := rec("b1", "丙丁贸易有限公司", "", "2020-01-01", cert.StatusValid)
	s, _ := open(t)
	if st := mustUpsert(t, s, a, b); st != (cert.UpsertStats{Inserted: 2}) {
		t.Errorf("first Upsert stats = %+v, want 2 inserted", st)
	}
	if st := mustUpsert(t, s, a, b); st != (cert.UpsertStats{Unchanged: 2}) {
		t.Errorf("repeated Upsert stats = %+v, want 2 unchanged", st)
	}
	b.Status = cert.StatusExpired
	if st := mustUpsert(t, s, a, b); st != (cert.UpsertStats{Updated: 1, Unchanged: 1}) {
		t.Errorf("Upsert after change stats = %+v, want 1 updated, 1 unchanged", st)
	}
	if n, err := s.Count(context.Background()); err != nil || n != 2 {
		t.Errorf("Count() = %d, %v; want 2", n, err)
	}
	// The same id twice in one batch: the later record wins.
	c1 := rec("c1", "戊己电子有限公司", "", "2020-01-01", cert.StatusValid)
	c2 := c1
	c2.EnterpriseName = "戊己电子科技有限公司"
	if st := mustUpsert(t, s, c1, c2); st != (cert.UpsertStats{Inserted: 1, Updated: 1}) {
		t.Errorf("Upsert of one id twice = %+v, want 1 inserted, 1 updated", st)
	}
	svc := cert.NewService(s)
	if got, err := svc.Get(context.Background(), "c1"); err != nil || got.EnterpriseName != c2.EnterpriseName {
		t.Errorf("Get(c1) = %q, %v; want the later record %q", got.EnterpriseName, err, c2.EnterpriseName)
	}
	if p := search(t, svc, cert.Query{Keyword: "戊己电子有限公司", Exact: true}); p.Total != 0 {
		t.Errorf("the earlier name of a record replaced in the same batch still matches")
	}
}

func testUpsertAtomic(t *testing.T, open opener) {
	s, svc := open(t)
	good := rec("good", "原子测试有限公司", "", "2020-01-01", cert.StatusValid)
	if err := cert.Prepare(&good); err != nil {
		t.Fatal(err)
	}
	bad := good
	bad.ID = "" // stores refuse records that skipped Prepare
	if _, err := s.Upsert(context.Background(), []cert.Record{good, bad}); err == nil {
		t.Fatalf("Upsert with an empty id succeeded")
	}
	if _, err := svc.Get(context.Background(), "good"); !errors.Is(err, cert.ErrNotFound) {
		t.Errorf("after a failed batch Get(good) error = %v, want ErrNotFound (batch must roll back)", err)
	}
}

func testUpdateReindexes(t *testing.T, open opener) {
	r := rec("r1", "旧名字科技有限公司", "91110108717743469K", "2020-01-01", cert.StatusValid)
	s, svc := open(t, r)
	r.EnterpriseName, r.CreditCode, r.Parties = "新名字科技有限公司", "91440300334945450M", nil
	mustUpsert(t, s, r)
	for _, tc := range []struct {
		kw   string
		want int
	}{
		{"旧名字", 0}, {"新名字", 1}, {"91110108717743469K", 0}, {"91440300334945450M", 1},
	} {
		if p := search(t, svc, cert.Query{Keyword: tc.kw}); p.Total != tc.want {
			t.Errorf("after rename, Search(%q).Total = %d, want %d", tc.kw, p.Total, tc.want)
		}
	}
}

func testCodes(t *testing.T, open opener) {
	newer := rec("uscc", "百度在线网络技术（北京）有限公司", "91110108717743469K", "2021-01-01", cert.StatusValid)
	newer.RegNo = "110000410144104"
	old := rec("org", "百度在线网络技术（北京）有限公司", "71774346-9", "2012-01-01", cert.StatusExpired)
	maker := rec("maker", "某某代工有限公司", "", "2019-01-01", cert.StatusValid)
	maker.Parties = []cert.Party{{Role: "生产者(制造商)", Name: "深圳市小桔科技有限公司", Code: "91440300334945450M"}}
	other := rec("other", "深圳市小桔科技有限公司", "91440300334945450M", "2018-01-01", cert.StatusValid)
	_, svc := open(t, newer, old, maker, other)
	for _, tc := range []struct {
		kw   string
		want []string
	}{
		{"91110108717743469K", []string{"uscc", "org"}},
		{" 91110108717743469k ", []string{"uscc", "org"}}, // case and spaces
		{"９１１１０１０８７１７７４３４６９Ｋ", []string{"uscc", "org"}},   // full width
		{"71774346-9", []string{"uscc", "org"}},
		{"717743469", []string{"uscc", "org"}},
		{"110000410144104", []string{"uscc"}},
		{"91440300334945450M", []string{"maker", "other"}}, // any party's code
		{"91110108717743460K", []string{}},                 // unknown (bad check) code: looked up, none
	} {
		p := search(t, svc, cert.Query{Keyword: tc.kw, Exact: true})
		if got := ids(p); !reflect.DeepEqual(got, tc.want) || p.Total != len(tc.want) {
			t.Errorf("Search(%q) = %v (total %d), want %v", tc.kw, got, p.Total, tc.want)
		}
	}
}

func testNames(t *testing.T, open opener) {
	baidu := rec("baidu", "百度在线网络技术（北京）有限公司", "", "2021-01-01", cert.StatusValid)
	abb := rec("abb", "ABB（中国）有限公司", "", "2021-01-01", cert.StatusValid)
	llc := rec("llc", "华信创认证中心有限责任公司", "", "2021-01-01", cert.StatusValid)
	jsc := rec("jsc", "浙江华信股份有限公司", "", "2021-01-01", cert.StatusValid)
	maker := rec("maker", "某某代工有限公司", "", "2019-01-01", cert.StatusValid)
	maker.Parties = []cert.Party{{Role: "生产者(制造商)", Name: "合肥金德电力设备制造有限公司"}}
	ccc := rec("ccc", "百度智能云科技有限公司", "", "2021-01-01", cert.StatusValid)
	ccc.TypeCode = "cnca999"
	_, svc := open(t, baidu, abb, llc, jsc, maker, ccc)
	for _, tc := range []struct {
		name string
		q    cert.Query
		want []string
	}{
		{"exact full-width brackets", cert.Query{Keyword: "百度在线网络技术（北京）有限公司", Exact: true}, []string{"baidu"}},
		{"exact half-width brackets and spaces", cert.Query{Keyword: " 百度在线网络技术 (北京) 有限公司", Exact: true}, []string{"baidu"}},
		{"exact Latin case", cert.Query{Keyword: "abb(中国)有限公司", Exact: true}, []string{"abb"}},
		{"exact zero-width space", cert.Query{Keyword: "ABB\u200b（中国）有限公司", Exact: true}, []string{"abb"}},
		{"exact needs the whole name", cert.Query{Keyword: "百度在线", Exact: true}, []string{}},
		{"exact keeps legal form", cert.Query{Keyword: "华信创认证中心有限公司", Exact: true}, []string{}},
		{"exact matches any party", cert.Query{Keyword: "合肥金德电力设备制造有限公司", Exact: true}, []string{"maker"}},
		{"fuzzy contains", cert.Query{Keyword: "在线网络"}, []string{"baidu"}},
		{"fuzzy two characters, shorter name first", cert.Query{Keyword: "百度"}, []string{"ccc", "baidu"}},
		{"fuzzy ignores brackets", cert.Query{Keyword: "技术北京"}, []string{"baidu"}},
		{"fuzzy LLC equivalence", cert.Query{Keyword: "华信创认证中心有限公司"}, []string{"llc"}},
		{"fuzzy JSC equivalence", cert.Query{Keyword: "浙江华信股份公司"}, []string{"jsc"}},
		{"fuzzy keeps JSC apart", cert.Query{Keyword: "浙江华信有限公司"}, []string{}},
		{"fuzzy any party", cert.Query{Keyword: "金德电力"}, []string{"maker"}},
		{"fuzzy Latin", cert.Query{Keyword: "abb"}, []string{"abb"}},
		{"type filter", cert.Query{Keyword: "百度", TypeCode: "cnca999"}, []string{"ccc"}},
		{"type filter no match", cert.Query{Keyword: "百度", TypeCode: "cnca001"}, []string{}},
	} {
		p := search(t, svc, tc.q)
		if got := ids(p); !reflect.DeepEqual(got, tc.want) || p.Total != len(tc.want) {
			t.Errorf("%s: Search(%+v) = %v (total %d), want %v", tc.name, tc.q, got, p.Total, tc.want)
		}
	}
}

func testRanking(t *testing.T, open opener) {
	recs := []cert.Record{
		rec("contains-valid-new", "浙江小桔科技有限公司", "", "2023-01-01", cert.StatusValid),
		rec("prefix-long", "小桔科技发展有限公司", "", "2022-01-01", cert.StatusValid),
		rec("prefix-short", "小桔科技有限公司", "", "2015-01-01", cert.StatusExpired),
		rec("equal-expired", "小桔科技", "", "2024-01-01", cert.StatusExpired),
		rec("equal-valid-old", "小桔科技", "", "2010-01-01", cert.StatusValid),
		rec("equal-valid-new", "小桔科技", "", "2020-01-01", cert.StatusValid),
		rec("contains-expired", "深圳市小桔科技有限公司", "", "2024-06-01", cert.StatusExpired),
		rec("contains-valid-old", "深圳市小桔科技有限公司", "", "2019-01-01", cert.StatusValid),
	}
	_, svc := open(t, recs...)
	want := []string{
		"equal-valid-new", "equal-valid-old", "equal-expired", // equal name; valid first, then newest
		"prefix-short", "prefix-long", // prefix; shorter name is closer
		"contains-valid-new",                     // contains; 浙江… is shorter than 深圳市…
		"contains-valid-old", "contains-expired", // same name; valid first
	}
	if got := ids(search(t, svc, cert.Query{Keyword: "小桔科技"})); !reflect.DeepEqual(got, want) {
		t.Errorf("fuzzy ranking = %v\nwant %v", got, want)
	}
	exact := []string{"equal-valid-new", "equal-valid-old", "equal-expired"}
	if got := ids(search(t, svc, cert.Query{Keyword: "小桔科技", Exact: true})); !reflect.DeepEqual(got, exact) {
		t.Errorf("exact ranking = %v, want %v", got, exact)
	}
}

func testPagination(t *testing.T, open opener) {
	var recs []cert.Record
	for i := range 23 {
		// Equal start dates force the id tie-break.
		recs = append(recs, rec(fmt.Sprintf("p%02d", i), "分页测试有限公司", "", "2020-01-01", cert.StatusValid))
	}
	_, svc := open(t, recs...)
	var all []string
	for page := 1; page <= 3; page++ {
		p := search(t, svc, cert.Query{Keyword: "分页测试", Page: page, PageSize: 10})
		if p.Total != 23 {
			t.Errorf("page %d total = %d, want 23", page, p.Total)
		}
		all = append(all, ids(p)...)
	}
	if len(all) != 23 {
		t.Fatalf("three pages returned %d items, want 23", len(all))
	}
	for i, id := range all {
		if want := fmt.Sprintf("p%02d", i); id != want {
			t.Errorf("item %d = %s, want %s (stable id order)", i, id, want)
		}
	}
	p := search(t, svc, cert.Query{Keyword: "分页测试", Page: 9, PageSize: 10})
	if len(p.Items) != 0 || p.Total != 23 {
		t.Errorf("page past the end = %d items, total %d; want 0 items, total 23", len(p.Items), p.Total)
	}
}

// testBulk stores batches as large as an import's, where a store may
// take paths small batches never do (SQLite compresses bodies once a
// batch is large enough to sample), and checks every record comes back
// and is found by each of its keys.
func testBulk(t *testing.T, open opener) {
	gen := certgen.New(7)
	recs := make([]cert.Record, 1500)
	for i := range recs {
		recs[i] = gen.Next()
	}
	s, svc := open(t)
	if st := mustUpsert(t, s, recs[:1200]...); st.Inserted != 1200 {
		t.Fatalf("first batch stats = %+v, want 1200 inserted", st)
	}
	// A second, smaller batch overlapping the first: 200 unchanged, 300 new.
	if st := mustUpsert(t, s, recs[1000:]...); st != (cert.UpsertStats{Inserted: 300, Unchanged: 200}) {
		t.Fatalf("second batch stats = %+v, want 300 inserted, 200 unchanged", st)
	}
	ctx := context.Background()
	for i := 0; i < len(recs); i += 97 {
		r := recs[i]
		got, err := svc.Get(ctx, r.ID)
		if err != nil {
			t.Fatalf("Get(%s): %v", r.ID, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("Get(%s) differs from what was stored:\n%+v\nwant\n%+v", r.ID, got, r)
		}
		for _, q := range []cert.Query{
			{Keyword: r.EnterpriseName, Exact: true},
			{Keyword: r.CreditCode},
			{Keyword: string([]rune(cert.FuzzyKey(r.EnterpriseName))[2:6])},
		} {
			found := false
			for page := 1; !found; page++ {
				q.Page, q.PageSize = page, 20
				p := search(t, svc, q)
				for _, it := range p.Items {
					if it.ID == r.ID {
						found = true
						if !reflect.DeepEqual(it.Parties, r.Parties) || it.CertNo != r.CertNo || it.Detail != nil {
							t.Errorf("Search(%q) item %s = %+v; want the record's list fields", q.Keyword, r.ID, it)
						}
					}
				}
				if page*20 >= p.Total {
					break
				}
			}
			if !found {
				t.Errorf("Search(%+v) does not find %s (%s)", q, r.ID, r.EnterpriseName)
			}
		}
	}
	// An update in a large batch rewrites the record and its keys.
	upd := append([]cert.Record(nil), recs[:600]...)
	upd[5].EnterpriseName, upd[5].Parties = "批量改名测试有限公司", nil
	if st := mustUpsert(t, s, upd...); st != (cert.UpsertStats{Updated: 1, Unchanged: 599}) {
		t.Fatalf("update batch stats = %+v, want 1 updated, 599 unchanged", st)
	}
	if p := search(t, svc, cert.Query{Keyword: "批量改名测试"}); p.Total != 1 || p.Items[0].ID != upd[5].ID {
		t.Errorf("Search(批量改名测试) = %v, want [%s]", ids(p), upd[5].ID)
	}
	if got, err := svc.Get(ctx, upd[5].ID); err != nil || got.EnterpriseName != "批量改名测试有限公司" {
		t.Errorf("Get after update = %q, %v", got.EnterpriseName, err)
	}
}
