package certbench

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certtest"
	"github.com/zhengapi/zheng/internal/cert/sqlite"
)

func TestKeywords(t *testing.T) {
	for _, tc := range []struct{ name, trade, two string }{
		{"郑州云晨装饰工程有限公司", "云晨装饰工程", "云晨"},
		{"上海安隆机械制造集团有限公司上海分公司", "安隆机械制造", "安隆"},
		{"兴卓汇环保科技（济南）有限公司", "环保科技济南", "环保"},
	} {
		if got := brandAndTrade(tc.name); got != tc.trade {
			t.Errorf("brandAndTrade(%q) = %q, want %q", tc.name, got, tc.trade)
		}
		if got := brand(tc.name); got != tc.two {
			t.Errorf("brand(%q) = %q, want %q", tc.name, got, tc.two)
		}
	}
}

// TestRunFindsStoredTargets checks that every lookup kind hits what the
// generator stored: a benchmark of misses would measure nothing.
func TestRunFindsStoredTargets(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "zheng.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs := certtest.Prepared(t, 4, 500)
	if _, err := s.Upsert(ctx, recs); err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, cert.NewService(s), 4, len(recs), 20)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, r := range res {
		if r.Hits < 1 {
			t.Errorf("%s: mean matches %.1f, want at least 1", r.Op, r.Hits)
		}
	}
}
