package kernel

import (
	"sync"
	"sync/atomic"
)

// parallel calls fn on chunks of [0,n) from up to threads goroutines, the
// caller's included. Chunks are claimed dynamically: a goroutine that is
// slow to be scheduled (waking an idle core takes microseconds) finds the
// work already done and leaves, so splitting never makes a call much slower
// than running it on one goroutine. No pool outlives the call.
func parallel(threads, n int, fn func(lo, hi int)) {
	threads = min(threads, n)
	if threads <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	// Small chunks (16 per worker): when the OS preempts a worker in the
	// middle of one (the cores are shared), the others wait only for that
	// chunk. A claim is one atomic add, so this costs nothing measurable.
	chunk := max(1, n/(threads*16))
	chunks := (n + chunk - 1) / chunk
	var next, done atomic.Int64
	finished := make(chan struct{})
	work := func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			fn(c*chunk, min((c+1)*chunk, n))
			if done.Add(1) == int64(chunks) {
				close(finished)
			}
		}
	}
	for t := 1; t < threads; t++ {
		go work()
	}
	work()
	<-finished
}

// minFlopsPerThread is the least work worth handing to another goroutine:
// starting and joining one costs a few microseconds, and 200k flops is
// about two microseconds of vector work.
const minFlopsPerThread = 200_000

// threadsFor caps threads so that each gets at least minFlopsPerThread.
func threadsFor(threads, flops int) int {
	return max(1, min(threads, flops/minFlopsPerThread))
}

// scratchPool hands out float32 buffers of one size, one per concurrent
// user, so Run stays allocation-free once warm.
type scratchPool struct {
	size int
	pool sync.Pool
}

func (p *scratchPool) get() *[]float32 {
	if v, ok := p.pool.Get().(*[]float32); ok {
		return v
	}
	buf := make([]float32, p.size)
	return &buf
}

func (p *scratchPool) put(b *[]float32) { p.pool.Put(b) }
