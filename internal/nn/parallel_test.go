package nn

import (
	"sync/atomic"
	"testing"
)

func TestParallelForCoversEachIndexOnce(t *testing.T) {
	for _, c := range []struct{ n, work, threads int }{
		{0, 0, 4}, {1, minParallel, 4}, {7, minParallel, 2}, {1000, minParallel, 3}, {1000, 10, 4}, {5, minParallel, 1},
	} {
		hits := make([]atomic.Int32, c.n)
		parallelFor(c.n, c.work, c.threads, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				hits[i].Add(1)
			}
		})
		for i := range hits {
			if h := hits[i].Load(); h != 1 {
				t.Fatalf("parallelFor(n=%d, threads=%d): index %d visited %d times", c.n, c.threads, i, h)
			}
		}
	}
}
