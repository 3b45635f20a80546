package nn

import "sync/atomic"

// minParallel is the work (elements touched) below which splitting a loop
// over goroutines costs more than it saves.
const minParallel = 1 << 15

// parallelFor runs f over [0,n) from up to threads goroutines, the caller's
// included, on the calling goroutine alone when threads <= 1 or the work is
// small. Chunks are claimed dynamically, so a goroutine that is slow to be
// scheduled finds the work done instead of delaying the op.
func parallelFor(n, work, threads int, f func(lo, hi int)) {
	threads = min(threads, n)
	if threads <= 1 || work < minParallel {
		if n > 0 {
			f(0, n)
		}
		return
	}
	chunk := max(1, n/(threads*16)) // small, as in kernel.parallel: a preempted worker delays one chunk
	chunks := (n + chunk - 1) / chunk
	var next, done atomic.Int64
	finished := make(chan struct{})
	run := func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			f(c*chunk, min((c+1)*chunk, n))
			if done.Add(1) == int64(chunks) {
				close(finished)
			}
		}
	}
	for range threads - 1 {
		go run()
	}
	run()
	<-finished
}
