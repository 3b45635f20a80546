package kernel

import "sync"

// parallel calls fn on contiguous chunks of [0,n), using up to threads
// goroutines including the caller's. No pool outlives the call.
func parallel(threads, n int, fn func(lo, hi int)) {
	threads = min(threads, n)
	if threads <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	wg.Add(threads - 1)
	for t := 1; t < threads; t++ {
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(t*n/threads, (t+1)*n/threads)
	}
	fn(0, n/threads)
	wg.Wait()
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
