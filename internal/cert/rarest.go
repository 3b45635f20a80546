package cert

import (
	"cmp"
	"math"
	"slices"
	"sync"
)

// BigramCap is where a store stops counting the index entries of a
// bigram: past it a bigram is common, and counting a posting list as long
// as the table would cost more than the searches it speeds up.
const BigramCap = 2000

// maxBigramCounts bounds a BigramCounts cache.
const maxBigramCounts = 1 << 16

// BigramCounts caches how many index entries hold each bigram a fuzzy
// search has asked about, so a store can pick the rarest for its index
// query. Counts go stale as certificates are written; that only makes a
// query pick a less selective bigram, never changes its answer. The zero
// value is ready to use and safe for concurrent use.
type BigramCounts struct {
	mu sync.Mutex
	m  map[string]int
}

// Get returns the count of g, calling count once to fill the cache. On an
// error it returns a count that sorts last, and caches nothing.
func (c *BigramCounts) Get(g string, count func(string) (int, error)) int {
	c.mu.Lock()
	n, ok := c.m[g]
	c.mu.Unlock()
	if ok {
		return n
	}
	n, err := count(g)
	if err != nil {
		return math.MaxInt
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	if len(c.m) < maxBigramCounts {
		c.m[g] = n
	}
	c.mu.Unlock()
	return n
}

// Rarest returns the bigrams of gs an index lookup should intersect: the
// two rarest by count, or up to four when even the second rarest is
// common (BigramCap or more). Two rare bigrams leave few candidates, and
// every further posting list read costs more than it saves. gs of two
// or fewer are returned as they are; gs is reordered.
func Rarest(gs []string, count func(string) int) []string {
	if len(gs) <= 2 {
		return gs
	}
	n := make(map[string]int, len(gs))
	for _, g := range gs {
		n[g] = count(g)
	}
	slices.SortStableFunc(gs, func(a, b string) int { return cmp.Compare(n[a], n[b]) })
	if n[gs[1]] >= BigramCap {
		return gs[:min(4, len(gs))]
	}
	return gs[:2]
}
