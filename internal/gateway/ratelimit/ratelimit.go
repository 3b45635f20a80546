// Package ratelimit throttles callers with the GCRA form of a token bucket
// (rate requests per second, burst requests at once): Memory for one
// process, Redis for several processes sharing one limit. Limits guard
// against abuse, not money, so they may be rough: the Redis limiter fails
// open (allows) when Redis cannot be reached, and says so in its error.
// Exact accounting of paid calls is the gateway's package spend, not this.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limit is a rate in requests per second with a burst size. A zero Rate
// means no limit; a Burst below 1 is taken as max(1, ceil(Rate)).
type Limit struct {
	Rate  float64
	Burst int
}

func (l Limit) burst() float64 {
	if l.Burst >= 1 {
		return float64(l.Burst)
	}
	return math.Max(1, math.Ceil(l.Rate))
}

// interval is the time one request uses up.
func (l Limit) interval() time.Duration { return time.Duration(float64(time.Second) / l.Rate) }

// allow is the GCRA decision: tat is the theoretical arrival time of the
// next request (zero: none yet). It returns the decision and the new tat.
func allow(l Limit, tat, now time.Time) (bool, time.Time) {
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(l.interval())
	// A request may arrive up to burst intervals ahead of its slot.
	if next.Sub(now) > time.Duration(l.burst()*float64(l.interval())) {
		return false, tat
	}
	return true, next
}

// Memory limits per key inside one process; exact. The zero value is not
// usable; call NewMemory.
type Memory struct {
	mu  sync.Mutex
	tat map[string]time.Time
	now func() time.Time
}

// NewMemory returns an in-process limiter; now may be nil (time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{tat: make(map[string]time.Time), now: now}
}

// Allow reports whether one more request under key fits the limit.
func (m *Memory) Allow(_ context.Context, key string, l Limit) (bool, error) {
	if l.Rate <= 0 {
		return true, nil
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	ok, tat := allow(l, m.tat[key], now)
	m.tat[key] = tat
	if len(m.tat) > 100_000 {
		m.prune(now)
	}
	return ok, nil
}

// prune drops keys whose bucket is full again, bounding memory.
func (m *Memory) prune(now time.Time) {
	for k, t := range m.tat {
		if t.Before(now) {
			delete(m.tat, k)
		}
	}
}

// gcraScript is allow in Lua, on Redis's own clock so that every process
// sharing the limit agrees on the time. Times are microseconds.
var gcraScript = redis.NewScript(`
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nxt = tat + interval
if nxt - now > burst * interval then return 0 end
redis.call('SET', KEYS[1], string.format('%d', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1000)
return 1
`)

// Redis limits per key across every process using the same Redis and
// prefix.
type Redis struct {
	client redis.Scripter
	prefix string
}

// NewRedis returns a limiter storing its state under prefix+key.
func NewRedis(client redis.Scripter, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// ErrFailOpen wraps Redis failures; the request was allowed.
var ErrFailOpen = errors.New("ratelimit: redis unavailable, request allowed")

// Allow reports whether one more request under key fits the limit. On a
// Redis error it allows the request and returns an error wrapping
// ErrFailOpen, for the caller to log.
func (r *Redis) Allow(ctx context.Context, key string, l Limit) (bool, error) {
	if l.Rate <= 0 {
		return true, nil
	}
	interval := l.interval().Microseconds()
	if interval < 1 {
		interval = 1
	}
	n, err := gcraScript.Run(ctx, r.client, []string{r.prefix + key}, interval, int64(l.burst())).Int()
	if err != nil {
		return true, fmt.Errorf("%w: %w", ErrFailOpen, err)
	}
	return n == 1, nil
}
