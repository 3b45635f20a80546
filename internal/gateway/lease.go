package gateway

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// leases hands out calls from blocks reserved in the store, so that most
// calls cost no database write (Options.LeaseSize > 1).
//
// A block is reserved with the same atomic conditional update as a single
// call, so the store never grants more than a package holds, across any
// number of processes. What changes is when the store's "used" count
// moves: it counts a whole block at once, including calls not yet served.
// Those are given back when the block has been idle for a while, when the
// day or the package changes, and on Close. A process that dies holding a
// block loses its unserved calls (at most LeaseSize per app and product).
type leases struct {
	store Store
	size  int64
	idle  time.Duration
	// recheck is how long a refill may reuse the package the last full
	// refill chose (see spend); 0 re-reads the packages every time.
	recheck time.Duration

	mu sync.Mutex
	m  map[leaseKey]*lease
}

type leaseKey struct{ app, product string }

type lease struct {
	// refill serialises trips to the store for one app and product.
	refill sync.Mutex

	// Guarded by leases.mu.
	pkg      int64
	day      string
	dayStart time.Time // day's bounds, so that take compares times
	dayEnd   time.Time // instead of formatting a date per call
	expires  time.Time
	left     int64
	lastUsed time.Time
	// chosenAt is when pkg was chosen from the app's packages (zero:
	// choose again at the next refill).
	chosenAt time.Time
}

func newLeases(store Store, size int64, idle, recheck time.Duration) *leases {
	return &leases{store: store, size: size, idle: idle, recheck: max(recheck, 0), m: make(map[leaseKey]*lease)}
}

// rechoose makes every lease choose its package again at its next refill:
// packages changed (a top-up may expire before the one being spent).
func (ls *leases) rechoose() {
	ls.mu.Lock()
	for _, l := range ls.m {
		l.chosenAt = time.Time{}
	}
	ls.mu.Unlock()
}

// take serves one call from the lease, if it still holds one valid at now.
func (ls *leases) take(l *lease, now time.Time) (Charge, bool) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.takeLocked(l, now)
}

// takeLocked is take with ls.mu held.
func (ls *leases) takeLocked(l *lease, now time.Time) (Charge, bool) {
	if l.left > 0 && !now.Before(l.dayStart) && now.Before(l.dayEnd) && now.Before(l.expires) {
		l.left--
		l.lastUsed = now
		return Charge{PackageID: l.pkg, Day: l.day, N: 1, leased: true}, true
	}
	return Charge{}, false
}

// getTake is get and take under one lock: the path of most calls.
func (ls *leases) getTake(k leaseKey, now time.Time) (*lease, Charge, bool) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l := ls.m[k]
	if l == nil {
		l = &lease{}
		ls.m[k] = l
		return l, Charge{}, false
	}
	c, ok := ls.takeLocked(l, now)
	return l, c, ok
}

// dayBounds returns when a billing day (Day's format) starts and ends; an
// unreadable day gives an empty range, so nothing is served from it.
func dayBounds(day string) (time.Time, time.Time) {
	t, err := time.ParseInLocation(time.DateOnly, day, billingZone)
	if err != nil {
		return time.Time{}, time.Time{}
	}
	return t, t.AddDate(0, 0, 1)
}

// spend serves one call of product to appID: from the lease, or by
// reserving a new block (returning what is left of the old one first).
func (ls *leases) spend(ctx context.Context, appID, product string, now time.Time) (Charge, error) {
	l, c, ok := ls.getTake(leaseKey{appID, product}, now)
	if ok {
		return c, nil
	}
	l.refill.Lock()
	defer l.refill.Unlock()
	if c, ok := ls.take(l, now); ok { // another request refilled meanwhile
		return c, nil
	}
	if err := ls.giveBack(ctx, l); err != nil {
		return Charge{}, err
	}
	// The package chosen recently is most likely still the one to charge:
	// take a full block of it without reading the app's packages first
	// (one statement instead of two). Take re-checks what is left, the
	// expiry and the daily cap; when it refuses, choose again below. A
	// package added meanwhile by this process resets the choice
	// (rechoose); one added by another process is seen within recheck.
	ls.mu.Lock()
	pkg, chosen, expires := l.pkg, l.chosenAt, l.expires
	ls.mu.Unlock()
	if pkg != 0 && !chosen.IsZero() && now.Sub(chosen) < ls.recheck && now.Before(expires) {
		c, err := ls.store.Take(ctx, pkg, ls.size, now)
		if err == nil {
			ls.mu.Lock()
			if c.Day != l.day {
				l.dayStart, l.dayEnd = dayBounds(c.Day)
			}
			l.day, l.left, l.lastUsed = c.Day, c.N-1, now
			ls.mu.Unlock()
			return Charge{PackageID: c.PackageID, Day: c.Day, N: 1, leased: true}, nil
		}
		if !errors.Is(err, ErrNoCharge) {
			return Charge{}, fmt.Errorf("lease: %w", err)
		}
	}
	// Each failed Take means another process took calls meanwhile; the
	// loop ends when one succeeds or charge finds nothing left.
	for range 10 {
		pkgs, err := ls.store.Packages(ctx, appID)
		if err != nil {
			return Charge{}, fmt.Errorf("lease: %w", err)
		}
		id, err := charge(pkgs, product, now)
		if err != nil {
			return Charge{}, err
		}
		var p Package
		for _, q := range pkgs {
			if q.ID == id {
				p = q
			}
		}
		n := min(ls.size, p.Remaining())
		if p.DailyCap > 0 {
			n = min(n, p.DailyCap-p.UsedOn(Day(now)))
		}
		c, err := ls.store.Take(ctx, id, max(n, 1), now)
		if errors.Is(err, ErrNoCharge) {
			continue // another process spent meanwhile: look again
		}
		if err != nil {
			return Charge{}, fmt.Errorf("lease: %w", err)
		}
		ls.mu.Lock()
		l.pkg, l.day, l.expires, l.left, l.lastUsed, l.chosenAt = c.PackageID, c.Day, p.ExpiresAt, c.N-1, now, now
		l.dayStart, l.dayEnd = dayBounds(c.Day)
		ls.mu.Unlock()
		return Charge{PackageID: c.PackageID, Day: c.Day, N: 1, leased: true}, nil
	}
	return Charge{}, ErrExhausted
}

// refund puts a leased call back into its lease, or into the store when the
// lease has moved on.
func (ls *leases) refund(ctx context.Context, appID, product string, c Charge) error {
	ls.mu.Lock()
	l := ls.m[leaseKey{appID, product}]
	if l != nil && l.pkg == c.PackageID && l.day == c.Day {
		l.left++
		ls.mu.Unlock()
		return nil
	}
	ls.mu.Unlock()
	c.leased = false
	return ls.store.Refund(ctx, c)
}

// giveBack returns what is left of l to the store. The caller holds
// l.refill or has stopped all spending.
func (ls *leases) giveBack(ctx context.Context, l *lease) error {
	ls.mu.Lock()
	c := Charge{PackageID: l.pkg, Day: l.day, N: l.left}
	l.left = 0
	ls.mu.Unlock()
	if c.N == 0 {
		return nil
	}
	if err := ls.store.Refund(ctx, c); err != nil {
		return fmt.Errorf("lease: give back %d calls of package %d: %w", c.N, c.PackageID, err)
	}
	return nil
}

// sweep gives back leases idle since before now-idle (all when idle < 0).
func (ls *leases) sweep(ctx context.Context, now time.Time, all bool) error {
	ls.mu.Lock()
	var idle []*lease
	for _, l := range ls.m {
		if l.left > 0 && (all || now.Sub(l.lastUsed) > ls.idle || l.day != Day(now)) {
			idle = append(idle, l)
		}
	}
	ls.mu.Unlock()
	var errs []error
	for _, l := range idle {
		if !all && !l.refill.TryLock() {
			continue // being refilled: it is in use
		}
		if all {
			l.refill.Lock()
		}
		errs = append(errs, ls.giveBack(ctx, l))
		l.refill.Unlock()
	}
	return errors.Join(errs...)
}

// unserved returns how many calls of package id this process holds.
func (ls *leases) unserved(id int64) int64 {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	var n int64
	for _, l := range ls.m {
		if l.pkg == id {
			n += l.left
		}
	}
	return n
}
