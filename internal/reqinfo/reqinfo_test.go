package reqinfo

import (
	"context"
	"testing"
	"time"
)

func TestTaskNumbersUniqueAndDecimal(t *testing.T) {
	g := NewTaskNumbers()
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	seen := make(map[string]bool)
	// 25,000 numbers within one millisecond must still be unique.
	for i := 0; i < 25000; i++ {
		n := g.Next(now)
		if len(n) != 20 {
			t.Fatalf("Next() = %q, want 20 digits", n)
		}
		for _, c := range n {
			if c < '0' || c > '9' {
				t.Fatalf("Next() = %q, want only decimal digits", n)
			}
		}
		if seen[n] {
			t.Fatalf("Next() repeated %q after %d numbers", n, i)
		}
		seen[n] = true
	}
}

func TestSetCodeWithoutInfo(t *testing.T) {
	SetCode(context.Background(), 400) // must not panic
	if got := TaskNo(context.Background()); got != "" {
		t.Errorf("TaskNo(background) = %q, want empty", got)
	}
	info := &Info{TaskNo: "1"}
	ctx := NewContext(context.Background(), info)
	SetCode(ctx, 201)
	if info.Code != 201 {
		t.Errorf("after SetCode(201), Code = %d", info.Code)
	}
}
