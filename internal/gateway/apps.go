package gateway

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// MaxAppCodes is how many AppCodes one app may have, as on APIG.
const MaxAppCodes = 5

// DefaultPackageTerm is the validity of a package created without an expiry.
const DefaultPackageTerm = 365 * 24 * time.Hour

// Apps manages apps, credentials and packages; the CLI and the admin API
// both call it.
type Apps struct {
	store Store
	keys  *Keyring
	now   func() time.Time
	// changed, when set, is told after every change so that caches drop
	// what they hold.
	changed func()
}

// NewApps returns the manager over store. now may be nil (time.Now).
func NewApps(store Store, keys *Keyring, now func() time.Time) *Apps {
	if now == nil {
		now = time.Now
	}
	return &Apps{store: store, keys: keys, now: now}
}

// PackageSpec describes a package to grant.
type PackageSpec struct {
	Product   string    `json:"product"`
	Calls     int64     `json:"calls"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"` // zero: DefaultPackageTerm from now
	DailyCap  int64     `json:"dailyCap,omitempty"`
}

// NewApp describes an app to create.
type NewApp struct {
	Name     string        `json:"name"`
	Packages []PackageSpec `json:"packages"`
	QPS      float64       `json:"qps,omitempty"`
	Burst    int           `json:"burst,omitempty"`
}

// Created is what creating an app returns: the only time its secret and
// AppCode are visible.
type Created struct {
	AppID     string        `json:"appId"`
	Name      string        `json:"name"`
	AppKey    string        `json:"appKey"`
	AppSecret Secret        `json:"appSecret"`
	AppCodes  []Secret      `json:"appCodes"`
	Packages  []PackageView `json:"packages"`
}

// Detail is an app with its packages and recent daily usage.
type Detail struct {
	App      App           `json:"app"`
	Packages []PackageView `json:"packages"`
	Usage    []DailyUsage  `json:"usage"`
}

// InvalidError reports bad input to a management call.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

func invalidf(format string, args ...any) error {
	return &InvalidError{Msg: fmt.Sprintf(format, args...)}
}

var productRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

func (s PackageSpec) validate() error {
	if !productRE.MatchString(s.Product) {
		return invalidf("product %q: want a lower-case name such as cert or idphoto", s.Product)
	}
	if s.Calls <= 0 {
		return invalidf("package %s: calls must be positive, got %d", s.Product, s.Calls)
	}
	if s.DailyCap < 0 {
		return invalidf("package %s: daily cap must not be negative", s.Product)
	}
	return nil
}

func (a *Apps) pkg(appID string, s PackageSpec, now time.Time) Package {
	exp := s.ExpiresAt
	if exp.IsZero() {
		exp = now.Add(DefaultPackageTerm)
	}
	return Package{AppID: appID, Product: s.Product, Total: s.Calls, ExpiresAt: exp.Truncate(time.Second),
		DailyCap: s.DailyCap, CreatedAt: now.Truncate(time.Second)}
}

func (a *Apps) notify() {
	if a.changed != nil {
		a.changed()
	}
}

// Create makes an app with a new AppKey, AppSecret and one AppCode.
func (a *Apps) Create(ctx context.Context, n NewApp) (Created, error) {
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" {
		return Created{}, invalidf("app name is empty")
	}
	if n.QPS < 0 || n.Burst < 0 {
		return Created{}, invalidf("qps and burst must not be negative")
	}
	for _, s := range n.Packages {
		if err := s.validate(); err != nil {
			return Created{}, err
		}
	}
	now := a.now()
	id := randomHex(8)
	secret := Secret(randomHex(20))
	code := Secret(randomHex(32))
	app := App{ID: id, Name: n.Name, AppKey: randomHex(16), QPS: n.QPS, Burst: n.Burst,
		CreatedAt: now.Truncate(time.Second), SealedSecret: a.keys.Seal(id, secret)}
	pkgs := make([]Package, len(n.Packages))
	for i, s := range n.Packages {
		pkgs[i] = a.pkg(id, s, now)
	}
	if err := a.store.CreateApp(ctx, app, []string{a.keys.HashCode(string(code))}, pkgs); err != nil {
		return Created{}, fmt.Errorf("create app: %w", err)
	}
	stored, err := a.store.Packages(ctx, id)
	if err != nil {
		return Created{}, fmt.Errorf("create app: %w", err)
	}
	return Created{AppID: id, Name: app.Name, AppKey: app.AppKey, AppSecret: secret,
		AppCodes: []Secret{code}, Packages: views(stored, now)}, nil
}

func views(pkgs []Package, now time.Time) []PackageView {
	out := make([]PackageView, len(pkgs))
	for i, p := range pkgs {
		out[i] = p.View(now)
	}
	return out
}

// Find returns the app with this id or AppKey.
func (a *Apps) Find(ctx context.Context, idOrKey string) (App, error) {
	app, err := a.store.App(ctx, idOrKey)
	if errors.Is(err, ErrNotFound) {
		app, err = a.store.AppByKey(ctx, idOrKey)
	}
	if err != nil {
		return App{}, fmt.Errorf("app %q: %w", idOrKey, err)
	}
	return app, nil
}

// List returns every app.
func (a *Apps) List(ctx context.Context) ([]App, error) {
	apps, err := a.store.Apps(ctx)
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	return apps, nil
}

// Show returns an app, its packages and its daily usage of the last 30 days.
func (a *Apps) Show(ctx context.Context, idOrKey string) (Detail, error) {
	app, err := a.Find(ctx, idOrKey)
	if err != nil {
		return Detail{}, err
	}
	now := a.now()
	pkgs, err := a.store.Packages(ctx, app.ID)
	if err != nil {
		return Detail{}, fmt.Errorf("packages of %s: %w", app.ID, err)
	}
	usage, err := a.store.DailyUsage(ctx, app.ID, Day(now.AddDate(0, 0, -30)), Day(now))
	if err != nil {
		return Detail{}, fmt.Errorf("usage of %s: %w", app.ID, err)
	}
	if usage == nil {
		usage = []DailyUsage{}
	}
	return Detail{App: app, Packages: views(pkgs, now), Usage: usage}, nil
}

// Packages returns an app's packages as seen now.
func (a *Apps) Packages(ctx context.Context, appID string) ([]PackageView, error) {
	pkgs, err := a.store.Packages(ctx, appID)
	if err != nil {
		return nil, fmt.Errorf("packages of %s: %w", appID, err)
	}
	return views(pkgs, a.now()), nil
}

// Topup grants an app another package.
func (a *Apps) Topup(ctx context.Context, idOrKey string, s PackageSpec) (PackageView, error) {
	if err := s.validate(); err != nil {
		return PackageView{}, err
	}
	app, err := a.Find(ctx, idOrKey)
	if err != nil {
		return PackageView{}, err
	}
	now := a.now()
	p, err := a.store.AddPackage(ctx, a.pkg(app.ID, s, now))
	if err != nil {
		return PackageView{}, fmt.Errorf("top up %s: %w", app.ID, err)
	}
	a.notify()
	return p.View(now), nil
}

// SetDisabled disables or enables an app.
func (a *Apps) SetDisabled(ctx context.Context, idOrKey string, disabled bool) (App, error) {
	app, err := a.Find(ctx, idOrKey)
	if err != nil {
		return App{}, err
	}
	if err := a.store.SetDisabled(ctx, app.ID, disabled); err != nil {
		return App{}, fmt.Errorf("disable %s: %w", app.ID, err)
	}
	app.Disabled = disabled
	a.notify()
	return app, nil
}

// RotateSecret replaces an app's AppSecret and returns the new one, the
// only time it is shown. Signatures made with the old one stop verifying.
func (a *Apps) RotateSecret(ctx context.Context, idOrKey string) (App, Secret, error) {
	app, err := a.Find(ctx, idOrKey)
	if err != nil {
		return App{}, "", err
	}
	secret := Secret(randomHex(20))
	if err := a.store.SetSecret(ctx, app.ID, a.keys.Seal(app.ID, secret)); err != nil {
		return App{}, "", fmt.Errorf("rotate secret of %s: %w", app.ID, err)
	}
	a.notify()
	return app, secret, nil
}

// appCodeRE is APIG's rule for AppCodes a user types in: 64–180 characters
// of letters, digits and +_!@#$%-/=, starting with a letter, digit, + or /.
var appCodeRE = regexp.MustCompile(`^[A-Za-z0-9+/][A-Za-z0-9+_!@#$%\-/=]{63,179}$`)

// AddAppCode adds an AppCode to an app: code, or a generated one when code
// is empty. It returns the code, the only time it is shown.
func (a *Apps) AddAppCode(ctx context.Context, idOrKey, code string) (App, Secret, error) {
	if code == "" {
		code = randomHex(32)
	} else if !appCodeRE.MatchString(code) {
		return App{}, "", invalidf("AppCode: want 64-180 characters of letters, digits and +_!@#$%%-/=, starting with a letter, digit, + or /")
	}
	app, err := a.Find(ctx, idOrKey)
	if err != nil {
		return App{}, "", err
	}
	if err := a.store.AddCode(ctx, app.ID, a.keys.HashCode(code), MaxAppCodes); err != nil {
		return App{}, "", fmt.Errorf("add AppCode to %s: %w", app.ID, err)
	}
	a.notify()
	return app, Secret(code), nil
}
