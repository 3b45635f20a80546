package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certtest"
)

// Once the table is analyzed, bigrams are priced from its statistics
// (a common one close to its true count, any other as rare) instead of
// by counting through the index, and searches still find what they
// should.
func TestGramStats(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, certtest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs := certtest.Prepared(t, 11, 3000)
	if _, err := s.Upsert(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if st := s.gramStats(ctx); st != nil {
		t.Fatalf("statistics before ANALYZE: %d bigrams", len(st.common))
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE cert_names`); err != nil {
		t.Fatal(err)
	}
	s.checked = time.Time{} // as if noStatsTTL had passed
	st := s.gramStats(ctx)
	if st == nil {
		t.Fatal("no statistics after ANALYZE")
	}
	var live int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM cert_names WHERE grams @> ARRAY['有限'::text]`).Scan(&live); err != nil {
		t.Fatal(err)
	}
	if est := s.gramCount(ctx, "有限"); est < live*7/10 || est > live*13/10 {
		t.Errorf("estimated count of 有限 = %d, live count %d", est, live)
	}
	if est := s.gramCount(ctx, "罕見"); est != st.rare || st.rare >= live {
		t.Errorf("estimate of an unseen bigram = %d, want the rare estimate %d (< %d)", est, st.rare, live)
	}
	svc := cert.NewService(s)
	for i := 0; i < 300; i += 37 {
		r := recs[i]
		kw := string([]rune(cert.FuzzyKey(r.EnterpriseName))[2:7])
		found := false
		for page := 1; !found; page++ {
			p, err := svc.Search(ctx, cert.Query{Keyword: kw, Page: page, PageSize: 20})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				found = found || it.ID == r.ID
			}
			if page*20 >= p.Total {
				break
			}
		}
		if !found {
			t.Errorf("Search(%q) does not find %s (%s)", kw, r.ID, strings.TrimSpace(r.EnterpriseName))
		}
	}
}
