package gateway

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/zhengapi/zheng/apig"
	"github.com/zhengapi/zheng/internal/gateway/ratelimit"
	"github.com/zhengapi/zheng/internal/reqinfo"
)

// Limiter throttles per key; ratelimit.Memory and ratelimit.Redis
// implement it. An error means the request was allowed anyway (fail open)
// and is only logged.
type Limiter interface {
	Allow(ctx context.Context, key string, l ratelimit.Limit) (bool, error)
}

// Rule decides from a route's envelope code whether a call spends from the
// package.
type Rule func(code int) bool

// SuccessOnly is the billing rule of every route today: only code 200
// (success) spends; failures, parameter errors and 企查查's 201 "no
// result" are free.
func SuccessOnly(code int) bool { return code == 200 }

// Free is the rule of routes that never spend (catalogues, listings): the
// caller still needs a package of the product.
func Free(int) bool { return false }

// Options tune a Gateway; a nil *Options or zero fields mean the defaults.
type Options struct {
	// Skew is the accepted difference between the caller's clock
	// (X-Sdk-Date, Timespan) and ours, either way; default 15 minutes.
	Skew time.Duration
	// Limiter enforces apps' rate limits; default an in-process limiter.
	Limiter Limiter
	// Rules maps route patterns (as registered, e.g. "POST
	// /enterprise/certificate/list") to billing rules; routes not listed
	// use SuccessOnly.
	Rules map[string]Rule
	// CacheTTL is how long an app looked up by credential is reused
	// before the store is asked again, and how long lease refills keep
	// charging the package they chose. Changes made through this
	// process's Apps apply at once; changes made by another process
	// (the CLI, a second server) apply within CacheTTL. Default 2 s;
	// negative disables the cache.
	CacheTTL time.Duration
	// MaxSignedBody is the largest body a signed request may carry (it is
	// read into memory to hash it); default 32 MiB, the server's own body
	// limit (APIG itself stops at 12 MB; ID photos can be larger).
	MaxSignedBody int64
	// RefuseUnsignedPayload refuses signatures that leave the body out
	// (X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD).
	RefuseUnsignedPayload bool
	// LeaseSize, when above 1, lets the gateway reserve calls in blocks of
	// up to LeaseSize per app and product and serve them from memory, so
	// that most calls cost no database write. A block starts at 16 calls
	// (or LeaseSize, if smaller) and grows while the app's calls come fast
	// enough to use one up in less than about 20 ms. Spending stays exact
	// (no process can serve more than the package holds), but the store's
	// "used" counts blocks rather than served calls until unserved calls
	// are given back: after LeaseIdle without calls (default 2 s), on a
	// new day, and on Close. A crashed process loses the calls it held.
	// 0 or 1 reserves every call in the store.
	LeaseSize int64
	LeaseIdle time.Duration
	// Usage* size the usage writer: records buffered at most (default
	// 32768; more are dropped), records that wake the writer (1024), and
	// the longest wait before buffered records are written (200 ms).
	UsageQueue      int
	UsageBatch      int
	UsageFlushEvery time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives store failures and dropped usage records.
	Logger *slog.Logger
}

// Gateway authenticates, charges and records calls. Create it with New and
// stop it with Close, which flushes usage records.
type Gateway struct {
	store   Store
	keys    *Keyring
	apps    *Apps
	opts    Options
	limiter Limiter
	log     *slog.Logger
	cache   appCache
	usage   *usageWriter
	leases  *leases // nil unless Options.LeaseSize > 1
	stop    chan struct{}
	stopped chan struct{}
}

// New returns a gateway over store. It starts the usage writer.
func New(store Store, keys *Keyring, opts *Options) *Gateway {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Skew <= 0 {
		o.Skew = apig.DefaultSkew
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.CacheTTL == 0 {
		o.CacheTTL = 2 * time.Second
	}
	if o.MaxSignedBody <= 0 {
		o.MaxSignedBody = 32 << 20
	}
	if o.Limiter == nil {
		o.Limiter = ratelimit.NewMemory(o.Now)
	}
	g := &Gateway{store: store, keys: keys, opts: o, limiter: o.Limiter, log: o.Logger,
		cache: appCache{keys: make(map[string]cacheEntry), codes: make(map[[32]byte]cacheEntry)}}
	g.apps = NewApps(store, keys, o.Now)
	g.apps.changed = g.cache.clear
	g.usage = newUsageWriter(store, o.Logger, o.UsageQueue, o.UsageBatch, o.UsageFlushEvery)
	if o.LeaseSize > 1 {
		if o.LeaseIdle <= 0 {
			o.LeaseIdle = 2 * time.Second
		}
		g.opts.LeaseIdle = o.LeaseIdle
		// Packages changed by another process are seen as late as apps are.
		g.leases = newLeases(store, o.Logger, o.LeaseSize, o.LeaseIdle, o.CacheTTL)
		g.apps.changed = func() {
			g.cache.clear()
			g.leases.rechoose()
		}
		g.stop, g.stopped = make(chan struct{}), make(chan struct{})
		go g.sweepLeases()
	}
	return g
}

// sweepLeases gives idle leases back until Close.
func (g *Gateway) sweepLeases() {
	defer close(g.stopped)
	tick := time.NewTicker(g.opts.LeaseIdle / 2)
	defer tick.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-tick.C:
			// Detached from any request: returning calls must finish.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := g.leases.sweep(ctx, g.opts.Now(), false); err != nil {
				g.log.Error("gateway: give back leased calls", "err", err)
			}
			cancel()
		}
	}
}

// Apps returns the app manager bound to this gateway's cache.
func (g *Gateway) Apps() *Apps { return g.apps }

// UsageLost is how many usage records were dropped (queue full) or failed
// to be written since New; for monitoring.
func (g *Gateway) UsageLost() int64 { return g.usage.lost.Load() }

// Close gives back leased calls, then stops the usage writer after writing
// what it holds, or when ctx ends. Call it after the server has stopped
// taking requests.
func (g *Gateway) Close(ctx context.Context) error {
	var errs []error
	if g.leases != nil {
		select {
		case <-g.stop:
		default:
			close(g.stop)
			<-g.stopped
			errs = append(errs, g.leases.sweep(ctx, g.opts.Now(), true))
		}
	}
	errs = append(errs, g.usage.close(ctx))
	return errors.Join(errs...)
}

// Middleware returns Wrap for product as a middleware.
func (g *Gateway) Middleware(product string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler { return g.Wrap(product, h) }
}

// caller is an authenticated app with its opened secret.
type caller struct {
	app    App
	secret Secret
	// verifiers holds *verifier, HMAC-SHA256 hashers keyed with secret
	// and canonical-request buffers: keying a hasher costs
	// more than the signature it checks.
	verifiers sync.Pool
}

// isQCC reports a 企查查 route, whose refusals are in-band.
func isQCC(path string) bool { return strings.HasPrefix(path, "/api/yj/") }

// Wrap puts h, a route of product, behind the gateway: authenticate,
// check the app, throttle, reserve one call, run h, refund the call unless
// the route's rule finds the answer billable, and record usage.
func (g *Gateway) Wrap(product string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := g.opts.Now()
		info := reqinfo.FromContext(r.Context())
		if info == nil {
			info = &reqinfo.Info{Start: now}
			r = r.WithContext(reqinfo.NewContext(r.Context(), info))
		}
		ctx := r.Context()
		qcc := isQCC(r.URL.Path)
		info.Product = product

		c, body, f := g.authenticate(ctx, r, qcc, now)
		if f.reason == reasonNone {
			info.AppID = c.app.ID
			f = g.admit(ctx, c.app)
		}
		var ch Charge
		if f.reason == reasonNone {
			var err error
			if g.leases != nil {
				ch, err = g.leases.spend(ctx, c.app.ID, product, now)
			} else {
				ch, err = g.spend(ctx, c.app.ID, product, now)
			}
			f = g.spendRefusal(ctx, err)
		}
		if f.reason != reasonNone {
			writeRefusal(w, r, qcc, f)
			if c != nil {
				g.record(r, info, now, false)
			}
			return
		}

		if body != nil {
			// The body was read to check the signature: give the handler a
			// fresh reader on a copy of the request, never the caller's.
			r2 := new(http.Request)
			*r2 = *r
			r2.Body = io.NopCloser(bytes.NewReader(body))
			r = r2
		}
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			p := recover()
			code := info.Code
			if code == 0 {
				code = rec.status
			}
			if p != nil {
				code = http.StatusInternalServerError
			}
			if code == 0 {
				code = http.StatusOK
			}
			billable := g.rule(info.Route)(code)
			if !billable {
				// Refund even if the client went away: the call was not
				// delivered, and the reservation must not leak.
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				var err error
				if ch.leased {
					err = g.leases.refund(rctx, c.app.ID, product, ch)
				} else {
					err = g.store.Refund(rctx, ch)
				}
				if err != nil {
					g.log.ErrorContext(ctx, "gateway: refund failed", "app", c.app.ID, "package", ch.PackageID, "taskNo", info.TaskNo, "err", err)
				}
				cancel()
			}
			info.Code = code
			g.record(r, info, now, billable)
			if p != nil {
				panic(p)
			}
		}()
		h.ServeHTTP(rec, r)
	})
}

func (g *Gateway) rule(route string) Rule {
	if rule, ok := g.opts.Rules[route]; ok {
		return rule
	}
	return SuccessOnly
}

// admit checks the app's state and rate limit.
func (g *Gateway) admit(ctx context.Context, app App) refusal {
	if app.Disabled {
		return refusal{reason: reasonDisabled}
	}
	if app.QPS > 0 {
		ok, err := g.limiter.Allow(ctx, app.ID, ratelimit.Limit{Rate: app.QPS, Burst: app.Burst})
		if err != nil {
			// Fail open: throttling protects capacity, not money.
			g.log.WarnContext(ctx, "gateway: rate limiter", "err", err)
		}
		if !ok {
			return refusal{reason: reasonThrottled}
		}
	}
	return refusal{}
}

// spend reserves one call. A failed conditional update is explained by
// charge on fresh package state; if charge finds a package after all, a
// concurrent spender changed the choice and the update is retried.
func (g *Gateway) spend(ctx context.Context, appID, product string, now time.Time) (Charge, error) {
	for range 3 {
		ch, err := g.store.Spend(ctx, appID, product, now)
		if err == nil {
			return ch, nil
		}
		if !errors.Is(err, ErrNoCharge) {
			return Charge{}, fmt.Errorf("spend: %w", err)
		}
		pkgs, err := g.store.Packages(ctx, appID)
		if err != nil {
			return Charge{}, fmt.Errorf("spend: %w", err)
		}
		if _, err := charge(pkgs, product, now); err != nil {
			return Charge{}, err
		}
	}
	return Charge{}, ErrExhausted
}

func (g *Gateway) spendRefusal(ctx context.Context, err error) refusal {
	switch {
	case err == nil:
		return refusal{}
	case errors.Is(err, ErrNotSubscribed):
		return refusal{reason: reasonNotSubbed}
	case errors.Is(err, ErrExhausted):
		return refusal{reason: reasonExhausted}
	case errors.Is(err, ErrDailyCap):
		return refusal{reason: reasonDailyCap}
	}
	// Fail closed: a call we cannot charge is not served.
	g.log.ErrorContext(ctx, "gateway: store", "taskNo", reqinfo.TaskNo(ctx), "err", err)
	return refusal{reason: reasonInternal}
}

func (g *Gateway) record(r *http.Request, info *reqinfo.Info, now time.Time, billable bool) {
	start := info.Start
	if start.IsZero() {
		start = now
	}
	g.usage.record(Usage{
		At: now, AppID: info.AppID, Product: info.Product, Route: info.Route, Code: info.Code,
		Billable: billable, Latency: g.opts.Now().Sub(start), ClientIP: clientIP(r), TaskNo: info.TaskNo,
	})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// authenticate finds the calling app by whichever credential the request
// carries: X-Apig-AppCode, an SDK-HMAC-SHA256 Authorization header, or the
// 企查查 key parameter with Token and Timespan. For a signed request it
// returns the body it had to read.
func (g *Gateway) authenticate(ctx context.Context, r *http.Request, qcc bool, now time.Time) (*caller, []byte, refusal) {
	// The canonical spelling of X-Apig-AppCode, so that Get need not
	// allocate to canonicalise it.
	if code := r.Header.Get("X-Apig-Appcode"); code != "" {
		// Only the keyed hash of an AppCode is ever compared (in the cache
		// and the store), never the code itself.
		c, err := g.lookupCode(ctx, g.keys.codeSum(code))
		if err != nil {
			return nil, nil, g.lookupRefusal(ctx, err, reasonBadAuth, "AppCode not found, check the X-Apig-AppCode header")
		}
		return c, nil, refusal{}
	}
	if authz := r.Header.Get("Authorization"); authz != "" {
		return g.authenticateAPIG(ctx, r, authz, now)
	}
	if key, ok := queryValue(r.URL.RawQuery, apig.QCCKeyParam); ok && key != "" {
		c, err := g.lookupKey(ctx, key)
		if err != nil {
			return nil, nil, g.lookupRefusal(ctx, err, reasonUnknownKey, "app not found, appkey "+shorten(key))
		}
		ts, token := r.Header.Get(apig.QCCHeaderTimespan), r.Header.Get(apig.QCCHeaderToken)
		if verifyToken(key, ts, token, string(c.secret), now, g.opts.Skew) {
			return c, nil, refusal{}
		}
		if err := apig.VerifyQCC(key, ts, token, string(c.secret), now, g.opts.Skew); err != nil {
			return nil, nil, refusal{reason: reasonBadAuth, detail: err.Error()}
		}
		return c, nil, refusal{}
	}
	if qcc {
		return nil, nil, refusal{reason: reasonUnknownKey}
	}
	return nil, nil, refusal{reason: reasonBadAuth, detail: "no authentication information, send X-Apig-AppCode or an SDK-HMAC-SHA256 Authorization header"}
}

func (g *Gateway) authenticateAPIG(ctx context.Context, r *http.Request, authz string, now time.Time) (*caller, []byte, refusal) {
	a, err := apig.ParseAuthorization(authz)
	if err != nil {
		return nil, nil, refusal{reason: reasonBadAuth, detail: err.Error()}
	}
	c, err := g.lookupKey(ctx, a.Access)
	if err != nil {
		return nil, nil, g.lookupRefusal(ctx, err, reasonUnknownKey, "app not found, appkey "+shorten(a.Access))
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		body, err = readBody(r, g.opts.MaxSignedBody)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) || int64(len(body)) > g.opts.MaxSignedBody {
			return nil, nil, refusal{reason: reasonTooLarge}
		}
		if err != nil {
			return nil, nil, refusal{reason: reasonBadAuth, detail: "cannot read the request body"}
		}
		if body == nil {
			body = []byte{}
		}
	}
	unsigned, ok := c.verifySignature(r, body, a, now, g.opts.Skew)
	if !ok {
		// The refusal's reason, or the second try VerifyAuth makes.
		res, err := apig.VerifyAuth(r, body, a, string(c.secret), now, g.opts.Skew)
		if err != nil {
			return nil, nil, refusal{reason: reasonBadAuth, detail: err.Error()}
		}
		unsigned = res.UnsignedPayload
	}
	if unsigned && g.opts.RefuseUnsignedPayload {
		return nil, nil, refusal{reason: reasonBadAuth, detail: "UNSIGNED-PAYLOAD is not accepted, sign the body"}
	}
	return c, body, refusal{}
}

// readBody reads a request body to hash it, up to max+1 bytes so that the
// caller sees a body over max. With a declared length it allocates that
// much once; the body is still read to its end, whatever it declared.
func readBody(r *http.Request, max int64) ([]byte, error) {
	n := r.ContentLength
	if n <= 0 || n > max {
		return io.ReadAll(io.LimitReader(r.Body, max+1))
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r.Body, body); err != nil {
		return nil, err
	}
	var b [1]byte
	for {
		k, err := r.Body.Read(b[:])
		if k > 0 { // longer than declared
			more, err := io.ReadAll(io.LimitReader(r.Body, max-n))
			return append(append(body, b[0]), more...), err
		}
		if err == io.EOF {
			return body, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (g *Gateway) lookupRefusal(ctx context.Context, err error, why reason, detail string) refusal {
	if errors.Is(err, ErrNotFound) {
		return refusal{reason: why, detail: detail}
	}
	g.log.ErrorContext(ctx, "gateway: app lookup", "taskNo", reqinfo.TaskNo(ctx), "err", err)
	return refusal{reason: reasonInternal}
}

// shorten keeps a caller-supplied key readable in an error message.
func shorten(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// queryValue returns the first value of name in a raw query, decoded.
func queryValue(raw, name string) (string, bool) {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(part, "=")
		if k != name {
			if uk, err := url.QueryUnescape(k); err != nil || uk != name {
				continue
			}
		}
		uv, err := url.QueryUnescape(v)
		if err != nil {
			return "", false
		}
		return uv, true
	}
	return "", false
}

// lookupKey finds an app by AppKey, through the cache; only found apps are
// cached.
func (g *Gateway) lookupKey(ctx context.Context, key string) (*caller, error) {
	now := time.Now()
	if g.opts.CacheTTL > 0 {
		if c := cacheGet(&g.cache, g.cache.keys, key, now); c != nil {
			return c, nil
		}
	}
	app, err := g.store.AppByKey(ctx, key)
	if err != nil {
		return nil, err
	}
	c, err := g.newCaller(app)
	if err != nil {
		return nil, err
	}
	if g.opts.CacheTTL > 0 {
		cachePut(&g.cache, g.cache.keys, key, c, now.Add(g.opts.CacheTTL))
	}
	return c, nil
}

// lookupCode finds an app by the keyed hash of one of its AppCodes, through
// the cache.
func (g *Gateway) lookupCode(ctx context.Context, sum [32]byte) (*caller, error) {
	now := time.Now()
	if g.opts.CacheTTL > 0 {
		if c := cacheGet(&g.cache, g.cache.codes, sum, now); c != nil {
			return c, nil
		}
	}
	app, err := g.store.AppByCode(ctx, hex.EncodeToString(sum[:]))
	if err != nil {
		return nil, err
	}
	c, err := g.newCaller(app)
	if err != nil {
		return nil, err
	}
	if g.opts.CacheTTL > 0 {
		cachePut(&g.cache, g.cache.codes, sum, c, now.Add(g.opts.CacheTTL))
	}
	return c, nil
}

func (g *Gateway) newCaller(app App) (*caller, error) {
	secret, err := g.keys.Open(app.ID, app.SealedSecret)
	if err != nil {
		return nil, err
	}
	c := &caller{app: app, secret: secret}
	c.verifiers.New = func() any { return &verifier{mac: hmac.New(sha256.New, []byte(secret))} }
	return c, nil
}

type cacheEntry struct {
	c     *caller
	until time.Time
}

// appCache holds recently authenticated apps by AppKey and by AppCode
// hash. Only found apps are cached, so its size is bounded by the number of
// apps and their credentials.
type appCache struct {
	mu    sync.RWMutex
	keys  map[string]cacheEntry
	codes map[[32]byte]cacheEntry
}

func cacheGet[K comparable](c *appCache, m map[K]cacheEntry, k K, now time.Time) *caller {
	c.mu.RLock()
	e, ok := m[k]
	c.mu.RUnlock()
	if !ok || now.After(e.until) {
		return nil
	}
	return e.c
}

func cachePut[K comparable](c *appCache, m map[K]cacheEntry, k K, v *caller, until time.Time) {
	c.mu.Lock()
	m[k] = cacheEntry{v, until}
	c.mu.Unlock()
}

func (c *appCache) clear() {
	c.mu.Lock()
	clear(c.keys)
	clear(c.codes)
	c.mu.Unlock()
}

// statusRecorder captures the status a handler writes.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
