// Package reqinfo carries per-request facts (task number, route, the
// envelope code a handler answered with, the calling app) through a
// request's context, so that logging, metrics, billing and usage records can
// read what the product handler decided without knowing any product.
package reqinfo

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"strconv"
	"sync"
	"time"
)

// Info describes one request. The server middleware creates it; handlers
// fill in Code (and Billable where the route's rule needs the handler's
// judgement). All fields are read and written by the request's own
// goroutine, so no locking is needed.
type Info struct {
	TaskNo  string    // unique decimal request number, as in the seeds' taskNo
	Start   time.Time // when the server received the request
	Route   string    // route pattern, e.g. "POST /enterprise/certificate/list"
	Product string    // billing product, e.g. "cert" or "idphoto"; empty for free routes
	AppID   string    // the authenticated app, set by the gateway

	// Code is the code the response carries in its envelope (200 for
	// success). Zero means the handler did not set one; the HTTP status is
	// used instead.
	Code int
}

type ctxKey struct{}

// NewContext returns a context carrying info.
func NewContext(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, info)
}

// FromContext returns the request's Info, or nil outside a request.
func FromContext(ctx context.Context) *Info {
	info, _ := ctx.Value(ctxKey{}).(*Info)
	return info
}

// SetCode records the envelope code of the response. It is a no-op when
// ctx carries no Info, so handlers work the same under tests.
func SetCode(ctx context.Context, code int) {
	if info := FromContext(ctx); info != nil {
		info.Code = code
	}
}

// TaskNo returns the request's task number, or "" outside a request.
func TaskNo(ctx context.Context) string {
	if info := FromContext(ctx); info != nil {
		return info.TaskNo
	}
	return ""
}

// TaskNumbers issues task numbers: 20 decimal digits made of the
// millisecond clock (13), a per-process random node number (3) and a
// counter (4), so numbers from several processes sharing one database do
// not collide in practice and sort roughly by time. The zero value is not
// usable; call NewTaskNumbers.
type TaskNumbers struct {
	mu     sync.Mutex
	node   uint64
	lastMS int64
	seq    uint64
}

// NewTaskNumbers returns a generator with a random node number.
func NewTaskNumbers() *TaskNumbers {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &TaskNumbers{node: binary.LittleEndian.Uint64(b[:]) % 1000}
}

// Next returns a new task number for the time now.
func (g *TaskNumbers) Next(now time.Time) string {
	g.mu.Lock()
	ms := now.UnixMilli()
	if ms <= g.lastMS {
		// Same (or a backwards-stepping) millisecond: keep counting from the
		// last one so numbers stay unique.
		g.seq++
		if g.seq >= 10000 {
			g.lastMS++
			g.seq = 0
		}
		ms = g.lastMS
	} else {
		g.lastMS = ms
		g.seq = 0
	}
	seq := g.seq
	g.mu.Unlock()
	buf := make([]byte, 0, 20)
	buf = strconv.AppendInt(buf, ms, 10)
	buf = appendPadded(buf, g.node, 3)
	buf = appendPadded(buf, seq, 4)
	return string(buf)
}

func appendPadded(buf []byte, v uint64, width int) []byte {
	s := strconv.FormatUint(v, 10)
	for i := len(s); i < width; i++ {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}
