package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestMemoryBurstThenRate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemory(func() time.Time { return now })
	l := Limit{Rate: 2, Burst: 3}
	ctx := context.Background()
	var got []bool
	for range 5 {
		ok, _ := m.Allow(ctx, "a", l)
		got = append(got, ok)
	}
	if fmt.Sprint(got) != "[true true true false false]" {
		t.Errorf("burst of 3 at one instant: %v", got)
	}
	if ok, _ := m.Allow(ctx, "b", l); !ok {
		t.Error("another key is limited by the first")
	}
	now = now.Add(500 * time.Millisecond) // one interval at 2/s
	if ok, _ := m.Allow(ctx, "a", l); !ok {
		t.Error("no request allowed after one interval")
	}
	if ok, _ := m.Allow(ctx, "a", l); ok {
		t.Error("two requests allowed after one interval")
	}
	if ok, _ := m.Allow(ctx, "a", Limit{}); !ok {
		t.Error("zero rate limits")
	}
}

func TestAllowDefaultBurst(t *testing.T) {
	now := time.Unix(0, 0)
	var tat time.Time
	n := 0
	for range 20 {
		var ok bool
		ok, tat = allow(Limit{Rate: 5}, tat, now)
		if ok {
			n++
		}
	}
	if n != 5 {
		t.Errorf("rate 5 without burst admitted %d at once, want 5", n)
	}
}

func TestRedis(t *testing.T) {
	u := os.Getenv("ZHENG_TEST_REDIS")
	if u == "" {
		t.Skip("ZHENG_TEST_REDIS not set")
	}
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ZHENG_TEST_REDIS: %v", err)
	}
	prefix := fmt.Sprintf("zheng-rl-test:%d:", time.Now().UnixNano())
	a, b := NewRedis(c, prefix), NewRedis(c, prefix)
	n := 0
	for i := range 10 {
		lim := a
		if i%2 == 1 {
			lim = b
		}
		ok, err := lim.Allow(context.Background(), "k", Limit{Rate: 0.001, Burst: 4})
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			n++
		}
	}
	if n != 4 {
		t.Errorf("two limiters on one Redis admitted %d, want the burst of 4", n)
	}
}

func TestRedisFailsOpen(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	ok, err := NewRedis(c, "x:").Allow(context.Background(), "k", Limit{Rate: 1})
	if !ok || !errors.Is(err, ErrFailOpen) {
		t.Errorf("unreachable Redis: allowed=%v err=%v, want allowed with ErrFailOpen", ok, err)
	}
}
