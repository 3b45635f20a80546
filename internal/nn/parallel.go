package nn

import "sync"

// minParallel is the element count below which splitting a loop over
// goroutines costs more than it saves.
const minParallel = 1 << 15

// parallelFor runs f over [0,n) split into at most threads contiguous chunks,
// on the calling goroutine when threads <= 1 or the work is small.
func parallelFor(n, work, threads int, f func(lo, hi int)) {
	if threads > n {
		threads = n
	}
	if threads <= 1 || work < minParallel {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + threads - 1) / threads
	for lo := chunk; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	f(0, min(chunk, n))
	wg.Wait()
}
