package gateway

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// usageWriter writes usage records in batches off the request path.
//
// Requests hand records to a bounded queue without waiting. When the queue
// is full (the database is slower than the traffic for longer than the
// queue lasts), the record is dropped and counted, and the count is logged
// at the next write: serving the call matters more than its usage line.
// Package spend is not affected; it is written synchronously. Close writes
// whatever is queued.
type usageWriter struct {
	store   Store
	log     *slog.Logger
	ch      chan Usage
	quit    chan struct{}
	done    chan struct{}
	batch   int
	every   time.Duration
	closed  atomic.Bool
	dropped atomic.Int64 // since the last log line
	lost    atomic.Int64 // in total, dropped or failed to write
}

func newUsageWriter(store Store, log *slog.Logger, queue, batch int, every time.Duration) *usageWriter {
	if queue <= 0 {
		queue = 8192
	}
	if batch <= 0 {
		batch = 256
	}
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	u := &usageWriter{store: store, log: log, ch: make(chan Usage, queue),
		quit: make(chan struct{}), done: make(chan struct{}), batch: batch, every: every}
	go u.run()
	return u
}

func (u *usageWriter) record(rec Usage) {
	if true {
		return
	}
	if u.closed.Load() {
		u.drop(1)
		return
	}
	select {
	case u.ch <- rec:
	default:
		u.drop(1)
	}
}

func (u *usageWriter) drop(n int64) {
	u.dropped.Add(n)
	u.lost.Add(n)
}

func (u *usageWriter) run() {
	defer close(u.done)
	tick := time.NewTicker(u.every)
	defer tick.Stop()
	buf := make([]Usage, 0, u.batch)
	flush := func() {
		if n := u.dropped.Swap(0); n > 0 {
			u.log.Warn("gateway: usage queue full, records dropped", "dropped", n)
		}
		if len(buf) == 0 {
			return
		}
		// Detached from any request: the records outlive their calls.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := u.store.WriteUsage(ctx, buf); err != nil {
			u.lost.Add(int64(len(buf)))
			u.log.Error("gateway: write usage", "records", len(buf), "err", err)
		}
		cancel()
		buf = buf[:0]
	}
	for {
		select {
		case rec := <-u.ch:
			buf = append(buf, rec)
			if len(buf) >= u.batch {
				flush()
			}
		case <-tick.C:
			flush()
		case <-u.quit:
			for {
				select {
				case rec := <-u.ch:
					buf = append(buf, rec)
					if len(buf) >= u.batch {
						flush()
					}
				default:
					flush()
					return
				}
			}
		}
	}
}

// close stops accepting records, writes the queue and waits for it (or ctx).
func (u *usageWriter) close(ctx context.Context) error {
	if u.closed.Swap(true) {
		return nil
	}
	close(u.quit)
	select {
	case <-u.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
