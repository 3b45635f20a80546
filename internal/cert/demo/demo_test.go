package demo_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/demo"
	"github.com/zhengapi/zheng/internal/cert/sqlite"
)

func TestLoad(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "zheng.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, err := demo.Load(ctx, s)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if want := demo.Count + 2; n != want {
		t.Errorf("Load inserted %d, want %d", n, want)
	}
	if n, err := demo.Load(ctx, s); err != nil || n != 0 {
		t.Errorf("second Load = %d, %v; want 0 on a store with data", n, err)
	}
	svc := cert.NewService(s)
	// The vendor documents' examples must work against the demo data.
	for _, tc := range []struct {
		id, certNo string
	}{
		{"85f8355cd221d46f5c5cfa6f1daae80b", "浙RC-2020-0106"},
		{"145695151793ad28f7ffd5d8a24cd6191", "17418Q20358R1M"},
	} {
		r, err := svc.Get(ctx, tc.id)
		if err != nil || r.CertNo != tc.certNo {
			t.Errorf("Get(%s) = %q, %v; want certificate %s", tc.id, r.CertNo, err, tc.certNo)
		}
	}
	for _, kw := range []string{"企查查科技有限公司", "阿里巴巴(中国)有限公司", "91320594088140947F"} {
		p, err := svc.Search(ctx, cert.Query{Keyword: kw, Exact: true, Page: 1, PageSize: 10})
		if err != nil || p.Total == 0 {
			t.Errorf("Search(%q) = %d results, %v; want the fixture", kw, p.Total, err)
		}
	}
}
