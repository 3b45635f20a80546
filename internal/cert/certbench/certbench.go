// Package certbench measures search latency against a store filled by
// certgen: it regenerates the first records of the same seed to get ids,
// names and codes that are known to be stored, then times the lookups a
// user makes (detail by id, exact name, credit code, fuzzy name) through
// cert.Service, one at a time.
package certbench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certgen"
)

// Result is the latency distribution of one kind of lookup.
type Result struct {
	Op       string
	N        int
	P50, P99 time.Duration
	Max      time.Duration
	Hits     float64 // mean total of matches per search (1 for detail)
	Slowest  string  // the keyword (or id) of the slowest lookup
}

func (r Result) String() string {
	return fmt.Sprintf("%-12s n=%-6d p50=%-10s p99=%-10s max=%-10s mean-matches=%-8.1f slowest=%s", r.Op, r.N, r.P50, r.P99, r.Max, r.Hits, r.Slowest)
}

// Run times queries lookups of each kind, drawing targets from the first
// sample records that certgen.New(seed) yields.
func Run(ctx context.Context, svc *cert.Service, seed uint64, sample, queries int) ([]Result, error) {
	g := certgen.New(seed)
	recs := make([]cert.Record, sample)
	for i := range recs {
		recs[i] = g.Next()
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	pick := func() *cert.Record { return &recs[rng.IntN(len(recs))] }
	type op struct {
		name string
		run  func() (string, int, error)
		div  int // run queries/div of this kind
	}
	search := func(kw string, exact bool) (string, int, error) {
		p, err := svc.Search(ctx, cert.Query{Keyword: kw, Exact: exact, Page: 1, PageSize: 10})
		return kw, p.Total, err
	}
	ops := []op{
		{"detail", func() (string, int, error) {
			id := pick().ID
			_, err := svc.Get(ctx, id)
			return id, 1, err
		}, 1},
		{"exact-name", func() (string, int, error) { return search(pick().EnterpriseName, true) }, 1},
		{"code", func() (string, int, error) { return search(pick().CreditCode, true) }, 1},
		{"fuzzy-name", func() (string, int, error) { return search(brandAndTrade(pick().EnterpriseName), false) }, 1},
		// Two-character keywords match thousands of certificates each and
		// have no latency target; a tenth as many keep a run short.
		{"fuzzy-2char", func() (string, int, error) { return search(brand(pick().EnterpriseName), false) }, 10},
	}
	var out []Result
	for _, o := range ops {
		n := queries / max(o.div, 1)
		if n < 1 {
			n = 1
		}
		lat := make([]time.Duration, 0, n)
		hits := 0
		var slowest string
		var worst time.Duration
		for range n {
			start := time.Now()
			kw, n, err := o.run()
			d := time.Since(start)
			lat = append(lat, d)
			if err != nil {
				return out, fmt.Errorf("%s: %w", o.name, err)
			}
			if d > worst {
				worst, slowest = d, kw
			}
			hits += n
		}
		slices.Sort(lat)
		out = append(out, Result{
			Op: o.name, N: n, P50: lat[len(lat)/2], P99: lat[len(lat)*99/100], Max: lat[len(lat)-1],
			Hits: float64(hits) / float64(n), Slowest: slowest,
		})
	}
	return out, nil
}

// brandAndTrade cuts a generated name to what a user would type: the
// trade name and line of business, without region and legal form
// ("郑州云晨装饰工程有限公司" → "云晨装饰工程").
func brandAndTrade(name string) string {
	k := cert.FuzzyKey(name)
	for _, suffix := range []string{"有限公司", "股份公司", "集团有限公司"} {
		if i := strings.Index(k, suffix); i > 0 {
			k = k[:i]
		}
	}
	k = strings.TrimSuffix(k, "集团")
	rs := []rune(k)
	if len(rs) > 6 {
		rs = rs[len(rs)-6:]
	}
	return string(rs)
}

// brand returns two characters of the trade name: the shortest keyword
// the search accepts, and the most expensive.
func brand(name string) string {
	rs := []rune(brandAndTrade(name))
	if len(rs) < 2 {
		return string(rs)
	}
	return string(rs[:2])
}
