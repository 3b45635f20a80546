package gateway

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// usageWriter writes usage records in batches off the request path.
//
// Requests append records to a bounded buffer under a mutex, without
// waiting and without waking the writer for each record; the writer takes
// the whole buffer when a batch is full or every flush interval, and stores
// it in one transaction. When the buffer is full (the database slower than
// the traffic for longer than the buffer lasts), new records are dropped
// and counted, and the count is logged at the next write: serving the call
// matters more than its usage line. Package spend is not affected; it is
// written synchronously. close writes whatever is buffered.
type usageWriter struct {
	store Store
	log   *slog.Logger
	max   int // most records buffered
	batch int // buffered records that wake the writer
	every time.Duration

	mu      sync.Mutex
	buf     []Usage
	spare   []Usage // the writer's previous buffer, reused
	closed  bool
	kick    chan struct{} // cap 1: a batch is ready
	quit    chan struct{}
	done    chan struct{}
	dropped atomic.Int64 // since the last log line
	lost    atomic.Int64 // in total, dropped or failed to write
}

// usageTxRecords is the most records written in one transaction (about
// half a millisecond on SQLite, where records are stored in blocks).
const usageTxRecords = 1024

func newUsageWriter(store Store, log *slog.Logger, queue, batch int, every time.Duration) *usageWriter {
	if queue <= 0 {
		queue = 32768
	}
	if batch <= 0 {
		batch = 1024
	}
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	u := &usageWriter{store: store, log: log, max: queue, batch: min(batch, queue), every: every,
		kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go u.run()
	return u
}

func (u *usageWriter) record(rec Usage) {
	u.mu.Lock()
	if u.closed || len(u.buf) >= u.max {
		u.mu.Unlock()
		u.dropped.Add(1)
		u.lost.Add(1)
		return
	}
	u.buf = append(u.buf, rec)
	full := len(u.buf) == u.batch
	u.mu.Unlock()
	if full {
		select {
		case u.kick <- struct{}{}:
		default:
		}
	}
}

func (u *usageWriter) run() {
	defer close(u.done)
	tick := time.NewTicker(u.every)
	defer tick.Stop()
	for {
		select {
		case <-u.kick:
		case <-tick.C:
		case <-u.quit:
			u.flush()
			return
		}
		u.flush()
	}
}

// flush writes everything buffered in one transaction.
func (u *usageWriter) flush() {
	if n := u.dropped.Swap(0); n > 0 {
		u.log.Warn("gateway: usage buffer full, records dropped", "dropped", n)
	}
	u.mu.Lock()
	recs := u.buf
	u.buf = u.spare[:0]
	u.mu.Unlock()
	// One transaction per usageTxRecords: on SQLite the gateway has one
	// writing connection, and a lease refill waiting behind a long usage
	// transaction would stall every request of its app meanwhile.
	for start := 0; start < len(recs); start += usageTxRecords {
		chunk := recs[start:min(start+usageTxRecords, len(recs))]
		// Detached from any request: the records outlive their calls.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := u.store.WriteUsage(ctx, chunk); err != nil {
			u.lost.Add(int64(len(chunk)))
			u.log.Error("gateway: write usage", "records", len(chunk), "err", err)
		}
		cancel()
	}
	clear(recs) // drop references to strings
	u.mu.Lock()
	u.spare = recs[:0]
	u.mu.Unlock()
}

// close stops accepting records, writes the buffer and waits for it (or ctx).
func (u *usageWriter) close(ctx context.Context) error {
	u.mu.Lock()
	already := u.closed
	u.closed = true
	u.mu.Unlock()
	if already {
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
