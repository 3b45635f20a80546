package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"
)

// App is a calling application: its public AppKey, its sealed AppSecret and
// its state. AppCodes are kept apart, as hashes only.
type App struct {
	ID        string    `json:"appId"`
	Name      string    `json:"name"`
	AppKey    string    `json:"appKey"`
	Disabled  bool      `json:"disabled"`
	QPS       float64   `json:"qps,omitempty"`   // requests per second; 0 = unlimited
	Burst     int       `json:"burst,omitempty"` // bucket size for QPS; 0 = max(1, QPS)
	CreatedAt time.Time `json:"createdAt"`
	AppCodes  int       `json:"appCodes"` // how many AppCodes the app has (their values are never stored)

	// SealedSecret is the AppSecret encrypted with the master key
	// (Keyring.Seal); never serialised.
	SealedSecret []byte `json:"-"`
}

// Package grants an app Total calls of one product until ExpiresAt, with an
// optional cap on calls per (UTC+8) day.
type Package struct {
	ID        int64     `json:"id"`
	AppID     string    `json:"appId"`
	Product   string    `json:"product"`
	Total     int64     `json:"total"`
	Used      int64     `json:"used"`
	ExpiresAt time.Time `json:"expiresAt"`
	DailyCap  int64     `json:"dailyCap,omitempty"` // 0 = none
	// Day and DayUsed count the calls of the current day for DailyCap; a
	// different Day means none yet today.
	Day       string    `json:"-"`
	DayUsed   int64     `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
}

// Remaining is how many calls the package still grants, ignoring expiry.
func (p Package) Remaining() int64 {
	if p.Used >= p.Total {
		return 0
	}
	return p.Total - p.Used
}

// UsedOn returns the calls spent on day (as formatted by Day).
func (p Package) UsedOn(day string) int64 {
	if p.Day == day {
		return p.DayUsed
	}
	return 0
}

// PackageView is a package as shown to people and clients.
type PackageView struct {
	ID        int64     `json:"id"`
	Product   string    `json:"product"`
	Total     int64     `json:"total"`
	Used      int64     `json:"used"`
	Remaining int64     `json:"remaining"`
	ExpiresAt time.Time `json:"expiresAt"`
	Expired   bool      `json:"expired"`
	DailyCap  int64     `json:"dailyCap,omitempty"`
	UsedToday int64     `json:"usedToday"`
}

// View renders p as seen at now.
func (p Package) View(now time.Time) PackageView {
	return PackageView{
		ID: p.ID, Product: p.Product, Total: p.Total, Used: p.Used, Remaining: p.Remaining(),
		ExpiresAt: p.ExpiresAt.UTC(), Expired: !now.Before(p.ExpiresAt), DailyCap: p.DailyCap,
		UsedToday: p.UsedOn(Day(now)),
	}
}

// Usage is one call's record.
type Usage struct {
	At       time.Time
	AppID    string
	Product  string
	Route    string
	Code     int
	Billable bool
	Latency  time.Duration
	ClientIP string
	TaskNo   string
}

// DailyUsage is the aggregate of one app's calls of one product on one day.
type DailyUsage struct {
	AppID    string `json:"appId"`
	Product  string `json:"product"`
	Day      string `json:"day"`
	Calls    int64  `json:"calls"`
	Billable int64  `json:"billable"`
}

// Charge identifies reserved calls, so that they can be refunded.
type Charge struct {
	PackageID int64
	Day       string
	// N is the number of calls reserved; 0 means 1.
	N int64
	// leased marks a call served from an in-process lease (see
	// Options.LeaseSize): it is refunded to the lease, not the store.
	leased bool
	// topUp tells the request that took this call from a lease running
	// low to top the lease up.
	topUp bool
}

func (c Charge) count() int64 {
	if c.N <= 0 {
		return 1
	}
	return c.N
}

// Secret is a credential shown once (AppSecret, AppCode). It prints
// redacted in logs.
type Secret string

// LogValue keeps secrets out of logs.
func (Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// billingZone is the marketplace's day boundary (China Standard Time), used
// for daily caps and daily aggregates. A fixed zone keeps the binary
// independent of tzdata.
var billingZone = time.FixedZone("CST", 8*3600)

// Day formats the billing day of t, e.g. "2026-11-23".
func Day(t time.Time) string { return t.In(billingZone).Format(time.DateOnly) }

// Days is Day for loops over many times, most of them on the same day: it
// formats a day once and reuses it while the times stay in it. The zero
// value is ready to use.
type Days struct {
	day        string
	start, end time.Time
}

// Of returns Day(t).
func (d *Days) Of(t time.Time) string {
	if d.day == "" || t.Before(d.start) || !t.Before(d.end) {
		d.day = Day(t)
		d.start, d.end = dayBounds(d.day)
	}
	return d.day
}

// Errors of the store and the charge decision. Callers test them with errors.Is.
var (
	ErrNotFound      = errors.New("gateway: not found")
	ErrNotSubscribed = errors.New("gateway: app has no package for this product")
	ErrExhausted     = errors.New("gateway: package used up or expired")
	ErrDailyCap      = errors.New("gateway: daily call limit reached")
	ErrNoCharge      = errors.New("gateway: no package could be charged")
	ErrTooManyCodes  = errors.New("gateway: an app has at most 5 AppCodes")
	ErrDuplicate     = errors.New("gateway: credential already in use")
)

// charge is the spend decision: which of an app's packages pays for one
// call of product at now. It returns ErrNotSubscribed when the app has no
// package of that product, ErrDailyCap when only daily caps stand in the way,
// and ErrExhausted otherwise. Packages expiring first are spent first. The
// stores enforce the same rule atomically; this function explains refusals
// and implements it for tests.
func charge(pkgs []Package, product string, now time.Time) (int64, error) {
	day := Day(now)
	var best *Package
	subscribed, capped := false, false
	for i := range pkgs {
		p := &pkgs[i]
		if p.Product != product {
			continue
		}
		subscribed = true
		if !now.Before(p.ExpiresAt) || p.Used >= p.Total {
			continue
		}
		if p.DailyCap > 0 && p.UsedOn(day) >= p.DailyCap {
			capped = true
			continue
		}
		if best == nil || p.ExpiresAt.Before(best.ExpiresAt) || (p.ExpiresAt.Equal(best.ExpiresAt) && p.ID < best.ID) {
			best = p
		}
	}
	switch {
	case best != nil:
		return best.ID, nil
	case !subscribed:
		return 0, ErrNotSubscribed
	case capped:
		return 0, ErrDailyCap
	}
	return 0, ErrExhausted
}

// randomHex returns n random bytes as lower-case hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("gateway: crypto/rand failed: " + err.Error()) // cannot happen on supported systems
	}
	return hex.EncodeToString(b)
}
