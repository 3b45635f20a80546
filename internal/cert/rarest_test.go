package cert

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestRarest(t *testing.T) {
	counts := map[string]int{"甲乙": 5, "乙丙": 3000, "丙丁": 40, "丁戊": 2500, "戊己": 9000, "己庚": 2100}
	count := func(g string) int { return counts[g] }
	for _, tc := range []struct {
		gs, want []string
	}{
		{[]string{"乙丙"}, []string{"乙丙"}},
		{[]string{"乙丙", "甲乙"}, []string{"乙丙", "甲乙"}},
		{[]string{"乙丙", "丙丁", "甲乙"}, []string{"甲乙", "丙丁"}},
		// Even the second rarest is common: four are intersected.
		{[]string{"戊己", "乙丙", "甲乙", "丁戊", "己庚"}, []string{"甲乙", "己庚", "丁戊", "乙丙"}},
	} {
		if got := Rarest(slices.Clone(tc.gs), count); !slices.Equal(got, tc.want) {
			t.Errorf("Rarest(%v) = %v, want %v", tc.gs, got, tc.want)
		}
	}
}

func TestBigramCountsCachesOnlySuccesses(t *testing.T) {
	var c BigramCounts
	calls := 0
	count := func(string) (int, error) { calls++; return 7, nil }
	if c.Get("甲乙", count) != 7 || c.Get("甲乙", count) != 7 || calls != 1 {
		t.Errorf("a counted bigram was counted %d times, want once", calls)
	}
	fail := func(string) (int, error) { calls++; return 0, errors.New("down") }
	if n := c.Get("乙丙", fail); n != math.MaxInt {
		t.Errorf("a failed count = %d, want one that sorts last", n)
	}
	if n := c.Get("乙丙", count); n != 7 {
		t.Errorf("after a failure the bigram was not counted again: %d", n)
	}
}
