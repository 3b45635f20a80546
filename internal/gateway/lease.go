package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
// block loses its unserved calls.
//
// A lease's block size follows its app's traffic: it starts at
// leaseFloor calls, doubles while refills come less than leaseGrowBelow
// apart, and halves when they come more than leaseShrinkAbove apart, never
// above size (Options.LeaseSize). So a lease holds roughly 20 to 40 ms of
// its app's calls: a busy app costs a database write every few hundred
// calls, a quiet one keeps few of its calls out of the store, and a crash
// loses about what the app would have been served in the next tens of
// milliseconds, never more than size.
type leases struct {
	store Store
	log   *slog.Logger
	size  int64 // the most calls a lease holds
	idle  time.Duration
	// recheck is how long a refill may reuse the package the last full
	// refill chose (see spend); 0 re-reads the packages every time.
	recheck time.Duration

	mu sync.Mutex
	m  map[leaseKey]*lease
}

type leaseKey struct{ app, product string }

type lease struct {
	// refill serialises trips to the store for one app and product (a
	// refill, a sweep's give-back).
	refill sync.Mutex
	// refilling, while a request refills the lease, is closed when it is
	// done: the requests that found the lease empty meanwhile wait on it
	// and are woken together, instead of queueing on refill one by one.
	// Guarded by leases.mu.
	refilling chan struct{}

	// Guarded by leases.mu.
	size     int64     // calls a refill brings the lease up to
	refilled time.Time // when the last refill started
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

// Block sizes adapt to traffic (see leases).
const (
	leaseFloor       = 16
	leaseGrowBelow   = 20 * time.Millisecond
	leaseShrinkAbove = 8 * leaseGrowBelow
)

func newLeases(store Store, log *slog.Logger, size int64, idle, recheck time.Duration) *leases {
	return &leases{store: store, log: log, size: size, idle: idle, recheck: max(recheck, 0),
		m: make(map[leaseKey]*lease)}
}

// startRefillLocked makes the caller l's refiller and sizes the block the
// refill brings in from how long ago the last one started. ls.mu is held.
func (ls *leases) startRefillLocked(l *lease, now time.Time) {
	l.refilling = make(chan struct{})
	floor := min(leaseFloor, ls.size)
	since := now.Sub(l.refilled)
	switch {
	case l.size == 0:
		l.size = floor
	case since < leaseGrowBelow:
		l.size = min(2*l.size, ls.size)
	case since > leaseShrinkAbove:
		l.size = max(l.size/2, floor)
	}
	l.refilled = now
}

// low is how few calls left make a request top l up while the others go
// on spending it (see topUp). One refill takes about as long as a few
// calls at full load: an eighth of the block is enough for the rest of the
// traffic to go on while it runs. ls.mu is held.
func (l *lease) low() int64 { return l.size / 8 }

// rechoose makes every lease choose its package again at its next refill:
// packages changed (a top-up may expire before the one being spent).
func (ls *leases) rechoose() {
	ls.mu.Lock()
	for _, l := range ls.m {
		l.chosenAt = time.Time{}
	}
	ls.mu.Unlock()
}

// takeLocked serves one call from the lease, if it still holds one valid
// at now. ls.mu is held.
func (ls *leases) takeLocked(l *lease, now time.Time) (Charge, bool) {
	if l.left > 0 && !now.Before(l.dayStart) && now.Before(l.dayEnd) && now.Before(l.expires) {
		l.left--
		l.lastUsed = now
		return Charge{PackageID: l.pkg, Day: l.day, N: 1, leased: true}, true
	}
	return Charge{}, false
}

// getTake is get and take under one lock: the path of most calls. When the
// lease cannot serve, it returns the channel to wait on if another request
// is refilling it, or nil after making the caller the refiller.
func (ls *leases) getTake(k leaseKey, now time.Time) (*lease, Charge, bool, chan struct{}) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l := ls.m[k]
	if l == nil {
		l = &lease{}
		ls.m[k] = l
	}
	if c, ok := ls.takeLocked(l, now); ok {
		if l.left <= l.low() && l.refilling == nil && !l.chosenAt.IsZero() && now.Sub(l.chosenAt) < ls.recheck {
			// Running low: this request tops the lease up (topUp)
			// while the others spend what is left.
			ls.startRefillLocked(l, now)
			c.topUp = true
		}
		return l, c, true, nil
	}
	if l.refilling != nil {
		return l, Charge{}, false, l.refilling
	}
	ls.startRefillLocked(l, now)
	return l, Charge{}, false, nil
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
	k := leaseKey{appID, product}
	var l *lease
	for {
		var (
			c    Charge
			ok   bool
			wait chan struct{}
		)
		l, c, ok, wait = ls.getTake(k, now)
		if ok {
			if c.topUp {
				c.topUp = false
				ls.topUp(ctx, l, now)
			}
			return c, nil
		}
		if wait == nil {
			break // this request refills
		}
		<-wait // then try the refilled lease (or refill it ourselves)
	}
	l.refill.Lock()
	defer ls.endRefill(l)
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
	pkg, chosen, expires, size := l.pkg, l.chosenAt, l.expires, l.size
	ls.mu.Unlock()
	if pkg != 0 && !chosen.IsZero() && now.Sub(chosen) < ls.recheck && now.Before(expires) {
		c, err := ls.store.Take(ctx, pkg, size, now)
		if err == nil {
			ls.mu.Lock()
			back := ls.installLocked(l, c, 1, now)
			ls.mu.Unlock()
			ls.giveBackLogged(ctx, back)
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
		n := min(size, p.Remaining())
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
		back := ls.installLocked(l, c, 1, now)
		l.expires, l.chosenAt = p.ExpiresAt, now
		ls.mu.Unlock()
		ls.giveBackLogged(ctx, back)
		return Charge{PackageID: c.PackageID, Day: c.Day, N: 1, leased: true}, nil
	}
	return Charge{}, ErrExhausted
}

// topUp adds to a lease running low as many calls of its package as bring
// it to its block size, while other requests go on
// spending the rest; the caller made itself the refiller (l.refilling). On
// any failure the lease is left to run dry, and the next refill, which
// chooses the package again, reports it.
func (ls *leases) topUp(ctx context.Context, l *lease, now time.Time) {
	l.refill.Lock()
	defer ls.endRefill(l)
	ls.mu.Lock()
	pkg, n := l.pkg, l.size-l.left
	ls.mu.Unlock()
	if n <= 0 {
		return
	}
	c, err := ls.store.Take(ctx, pkg, n, now)
	if err != nil {
		if !errors.Is(err, ErrNoCharge) {
			ls.log.WarnContext(ctx, "gateway: top up a lease", "package", pkg, "err", err)
		}
		return
	}
	ls.mu.Lock()
	back := ls.installLocked(l, c, 0, now)
	ls.mu.Unlock()
	ls.giveBackLogged(ctx, back)
}

// installLocked makes the block c, just taken from the store, the lease's
// content, served of it already counted out. Calls refunded into the lease
// since it was last given back stay if they are of the same package and
// day, up to its block size; what it must not hold is returned, to be
// given back to the store. ls.mu is held.
func (ls *leases) installLocked(l *lease, c Charge, served int64, now time.Time) (back Charge) {
	left := c.N - served
	if l.left > 0 {
		if l.pkg == c.PackageID && l.day == c.Day {
			left += l.left
		} else {
			back = Charge{PackageID: l.pkg, Day: l.day, N: l.left}
		}
	}
	if left > l.size { // then back is empty: the same package and day
		back = Charge{PackageID: c.PackageID, Day: c.Day, N: left - l.size}
		left = l.size
	}
	if c.Day != l.day || l.dayStart.IsZero() {
		l.dayStart, l.dayEnd = dayBounds(c.Day)
	}
	l.pkg, l.day, l.left, l.lastUsed = c.PackageID, c.Day, left, now
	return back
}

// giveBackLogged is giveBackCharge for calls taken with a block the lease
// could not keep: the block's call is served all the same, and a failure
// (the calls stay counted as used) is logged.
func (ls *leases) giveBackLogged(ctx context.Context, c Charge) {
	if err := ls.giveBackCharge(ctx, c); err != nil {
		ls.log.ErrorContext(ctx, "gateway: calls lost", "err", err)
	}
}

// giveBackCharge returns calls to the store; nothing for an empty charge.
func (ls *leases) giveBackCharge(ctx context.Context, c Charge) error {
	if c.N <= 0 {
		return nil
	}
	if err := ls.store.Refund(ctx, c); err != nil {
		return fmt.Errorf("lease: give back %d calls of package %d: %w", c.N, c.PackageID, err)
	}
	return nil
}

// refund puts a leased call back into its lease, or into the store when the
// lease has moved on.
func (ls *leases) refund(ctx context.Context, appID, product string, c Charge) error {
	ls.mu.Lock()
	l := ls.m[leaseKey{appID, product}]
	if l != nil && l.pkg == c.PackageID && l.day == c.Day && l.left < l.size {
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
	return ls.giveBackCharge(ctx, c)
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

// endRefill ends the refill the caller made itself responsible for (it
// set l.refilling and holds l.refill), waking the requests waiting on it.
func (ls *leases) endRefill(l *lease) {
	ls.mu.Lock()
	close(l.refilling)
	l.refilling = nil
	ls.mu.Unlock()
	l.refill.Unlock()
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
