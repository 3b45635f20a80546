package gateway

import (
	"context"
	"time"
)

// Store persists apps, packages and usage. Implementations must make Spend
// atomic across processes sharing the database: it never grants more calls
// than a package holds. internal/gateway/sqlstore implements it.
type Store interface {
	// CreateApp stores a new app with its AppCode hashes and packages.
	CreateApp(ctx context.Context, app App, codeHashes []string, pkgs []Package) error
	// App, AppByKey and AppByCode return ErrNotFound for no match.
	App(ctx context.Context, id string) (App, error)
	AppByKey(ctx context.Context, appKey string) (App, error)
	AppByCode(ctx context.Context, codeHash string) (App, error)
	Apps(ctx context.Context) ([]App, error)
	SetDisabled(ctx context.Context, id string, disabled bool) error
	SetSecret(ctx context.Context, id string, sealed []byte) error
	// AddCode adds an AppCode hash; ErrTooManyCodes beyond max per app,
	// ErrDuplicate when the hash exists.
	AddCode(ctx context.Context, id, codeHash string, max int) error
	AddPackage(ctx context.Context, p Package) (Package, error)
	Packages(ctx context.Context, appID string) ([]Package, error)

	// Spend reserves one call of product for appID with the rule of charge
	// (earliest expiry first, skipping expired, used-up and day-capped
	// packages) in one atomic step; ErrNoCharge when none qualifies.
	Spend(ctx context.Context, appID, product string, now time.Time) (Charge, error)
	// Take reserves n calls of one package at once, under the same rule
	// (enough calls left, not expired, n within today's cap); ErrNoCharge
	// when they are not there.
	Take(ctx context.Context, packageID, n int64, now time.Time) (Charge, error)
	// Refund gives back reserved calls (c.N, at least 1).
	Refund(ctx context.Context, c Charge) error

	// WriteUsage stores records and adds them to the daily aggregates.
	WriteUsage(ctx context.Context, recs []Usage) error
	// DailyUsage returns an app's aggregates for days in [from, to].
	DailyUsage(ctx context.Context, appID, from, to string) ([]DailyUsage, error)

	// InitMeta stores value under key unless a value exists, and returns
	// the stored one.
	InitMeta(ctx context.Context, key, value string) (string, error)
}
