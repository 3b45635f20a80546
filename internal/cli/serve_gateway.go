package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/zhengapi/zheng/apig"
	"github.com/zhengapi/zheng/internal/gateway"
	"github.com/zhengapi/zheng/internal/gateway/ratelimit"
	"github.com/zhengapi/zheng/internal/gateway/sqlstore"
)

// gatewayServeFlags are serve's gateway settings.
type gatewayServeFlags struct {
	masterKey  string
	adminToken string
	redisURL   string
	skew       time.Duration
	noAuth     bool
	demoApp    bool
	lease      int
	pprofAddr  string
}

func (f *gatewayServeFlags) register(fs *flag.FlagSet, env *Env) {
	registerMasterKey(fs, &f.masterKey)
	// Secrets are read from the environment when the command runs, not
	// used as flag defaults, so that --help never prints them.
	fs.StringVar(&f.adminToken, "admin-token", "",
		"bearer token of the admin API under /admin/v1/; empty turns the admin API off (env ZHENG_ADMIN_TOKEN)")
	fs.StringVar(&f.redisURL, "redis", "",
		"redis:// URL for rate limits shared by several servers; empty = per-process limits (env ZHENG_REDIS)")
	fs.DurationVar(&f.skew, "clock-skew", apig.DefaultSkew,
		"accepted difference between a caller's X-Sdk-Date or Timespan and the server clock")
	// 256: a lease starts at 16 calls and grows only while an app's calls
	// would use a block up in under 20 ms, so a quiet app keeps 16 at most
	// out of the store and a busy one about 20-40 ms of its traffic; at
	// full load that is one committed UPDATE per 256 calls instead of per
	// 16, a few per cent of throughput (bench/gateway.md). A crash loses
	// what the leases held.
	lease := 256
	if v, err := strconv.Atoi(env.Getenv("ZHENG_SPEND_LEASE")); err == nil {
		lease = v
	}
	fs.IntVar(&f.lease, "spend-lease", lease,
		"most calls of a package reserved per database write, per app and product; 1 writes every call; more serve\n"+
			"calls from memory in blocks that start at 16 and grow with the app's traffic: exact, but the unserved calls\n"+
			"a server holds (at most this many per app and product) are lost if it crashes (env ZHENG_SPEND_LEASE)")
	fs.BoolVar(&f.demoApp, "demo-app", true, "create a demo app with a package for every product on first start")
	fs.StringVar(&f.pprofAddr, "pprof", "",
		"FOR PROFILING: serve net/http/pprof on this loopback address, e.g. 127.0.0.1:6060 (measuring the gateway's cost)")
	fs.BoolVar(&f.noAuth, "no-auth", false,
		"FOR BENCHMARKING ONLY: turn the gateway off; every route is open and free")
}

func registerMasterKey(fs *flag.FlagSet, dst *string) {
	fs.StringVar(dst, "master-key", "",
		"key encrypting app secrets: 64 hex digits or base64 of 32 bytes; empty = <data-dir>/master.key, generated on first use (env ZHENG_MASTER_KEY)")
}

// orEnv returns v, or the environment value of name when v is empty.
func orEnv(env *Env, v, name string) string {
	if v != "" {
		return v
	}
	return env.Getenv(name)
}

// openGateway opens the gateway's store (gateway.db in the data dir, or the
// certificates' PostgreSQL database) and the keyring, and checks that the
// key is the one the data was sealed with.
func openGateway(ctx context.Context, store storeFlags, masterKey string) (*sqlstore.Store, *gateway.Keyring, error) {
	var (
		key []byte
		err error
	)
	if masterKey != "" {
		key, err = gateway.ParseMasterKey(masterKey)
	} else {
		key, _, err = gateway.LoadOrCreateMasterKey(store.DataDir)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("master key: %w", err)
	}
	keys, err := gateway.NewKeyring(key)
	if err != nil {
		return nil, nil, err
	}
	st, err := sqlstore.Open(ctx, store.DataDir, store.DB)
	if err != nil {
		return nil, nil, err
	}
	stored, err := st.InitMeta(ctx, "master_key_check", keys.Check())
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("master key check: %w", err)
	}
	if stored != keys.Check() {
		st.Close()
		return nil, nil, errors.New("master key does not match the one this database's app secrets were sealed with (set ZHENG_MASTER_KEY to that key on every server)")
	}
	return st, keys, nil
}

// billingRules is the billing table: which answers of a route spend a call
// of the package. Routes not listed bill code 200 only
// (gateway.SuccessOnly): the 聚美 routes' "code", the 企查查 routes'
// "Status" (201 "no result" is free) and POST /idphoto/make. Keep
// docs/gateway.md in step.
func billingRules() map[string]gateway.Rule {
	return map[string]gateway.Rule{
		"GET /idphoto/specs": gateway.Free, // the catalogue of photo specs
	}
}

// setupGateway opens the gateway's store and sets a.gate.
func setupGateway(ctx context.Context, a *serveApp, f *gatewayServeFlags) error {
	if f.pprofAddr != "" {
		if err := servePprof(a, f.pprofAddr); err != nil {
			return err
		}
	}
	if f.noAuth {
		a.log.Warn("gateway off (--no-auth): every route is open and free; use this only for benchmarks")
		return nil
	}
	st, keys, err := openGateway(ctx, a.store, orEnv(a.env, f.masterKey, "ZHENG_MASTER_KEY"))
	if err != nil {
		return err
	}
	a.onClose(st.Close)
	var limiter gateway.Limiter
	if redisURL := orEnv(a.env, f.redisURL, "ZHENG_REDIS"); redisURL != "" {
		opt, err := redis.ParseURL(redisURL)
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		rc := redis.NewClient(opt)
		a.onClose(rc.Close)
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = rc.Ping(pctx).Err()
		cancel()
		if err != nil {
			return fmt.Errorf("redis %s: %w", opt.Addr, err)
		}
		limiter = ratelimit.NewRedis(rc, "zheng:gw:rl:")
	}
	gw := gateway.New(st, keys, &gateway.Options{
		Skew:      f.skew,
		Limiter:   limiter,
		Rules:     billingRules(),
		LeaseSize: int64(f.lease),
		Now:       a.env.Now,
		Logger:    a.log,
	})
	a.onClose(func() error {
		// The server has stopped taking requests: give back leased calls
		// and write the buffered usage records.
		cctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		return gw.Close(cctx)
	})
	a.gate = func(product string, h http.Handler) http.Handler { return gw.Wrap(product, h) }
	if err := a.srv.Registry().Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "zheng_gateway_usage_records_lost_total",
		Help: "Usage records dropped because the write buffer was full, or that failed to be written.",
	}, func() float64 { return float64(gw.UsageLost()) })); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	a.handleOpen("GET /v1/account/usage", gw.UsageHandler())
	if token := orEnv(a.env, f.adminToken, "ZHENG_ADMIN_TOKEN"); token != "" {
		a.handleOpen("/admin/v1/", gateway.AdminHandler(gw.Apps(), token, a.log))
	}
	if !f.demoApp {
		a.banner = append(a.banner, func(base string) []string { return laterBanner(a, "", base) })
		return nil
	}
	lines, err := demoApp(ctx, a, st, gw.Apps())
	if err != nil {
		return err
	}
	a.banner = append(a.banner, lines)
	return nil
}

// laterBanner is the banner of a start that did not create the demo app
// (id, if known): where credentials come from, and examples reading them
// from the environment.
func laterBanner(a *serveApp, id string, base string) []string {
	var lines []string
	if id != "" {
		lines = append(lines, "",
			"Gateway: the demo app "+id+" was created on the first start; its AppSecret is not stored in clear",
			"and cannot be shown again. New credentials: zheng app rotate-secret "+id+"   or   zheng app add-appcode "+id)
	} else {
		lines = append(lines, "", "Gateway: create an app and its credentials with: zheng app create --name NAME --package cert=1000")
	}
	return append(lines,
		"List apps with: zheng app list. The examples below read an AppCode of your app from the environment:",
		"  export "+appCodeVar+"=<AppCode>",
		"Your packages and remaining calls:",
		"  curl -s "+a.exampleAuth()+base+"/v1/account/usage",
	)
}

// servePprof serves the runtime profiles on addr, a loopback address, until
// the app closes; profiles of the whole server under load (gateway on and
// off) are how bench/gateway.md's costs were found.
func servePprof(a *serveApp, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return usagef("--pprof %q: want a loopback address such as 127.0.0.1:6060", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	a.onClose(srv.Close)
	a.log.Warn("pprof on", "addr", ln.Addr().String())
	return nil
}

// demoApp creates the demo app on the first start of a store (a claim in
// gw_meta makes that once even with several servers) and returns the
// banner showing its credentials, or where to get new ones later. On the
// start that creates it, a.demoCode makes every product's examples carry
// its AppCode.
func demoApp(ctx context.Context, a *serveApp, st *sqlstore.Store, apps *gateway.Apps) (func(string) []string, error) {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	claim := "claim-" + hex.EncodeToString(nonce[:])
	got, err := st.InitMeta(ctx, "demo_app", claim)
	if err != nil {
		return nil, fmt.Errorf("demo app: %w", err)
	}
	if got != claim {
		return func(base string) []string { return laterBanner(a, got, base) }, nil
	}
	c, err := apps.Create(ctx, gateway.NewApp{Name: "demo", Packages: []gateway.PackageSpec{
		{Product: "cert", Calls: 10000},
		{Product: "idphoto", Calls: 1000},
	}})
	if err != nil {
		return nil, fmt.Errorf("demo app: %w", err)
	}
	// Remember which app the claim made, for later starts' banner.
	if err := st.SetMeta(ctx, "demo_app", c.AppID); err != nil {
		return nil, fmt.Errorf("demo app: %w", err)
	}
	a.demoCode = string(c.AppCodes[0])
	return func(base string) []string {
		key, secret := c.AppKey, string(c.AppSecret)
		return []string{
			"",
			"Demo app created (shown once; the secret cannot be shown again):",
			"  AppID     " + c.AppID,
			"  AppCode   " + a.demoCode,
			"  AppKey    " + key,
			"  AppSecret " + secret,
			"  Packages  cert 10000 calls, idphoto 1000 calls, valid one year",
			"",
			"Try it with the demo app's credentials. Its packages and remaining calls:",
			"  curl -s " + a.exampleAuth() + base + "/v1/account/usage",
			"The 企查查 scheme (key, and a Token made of key, Timespan and AppSecret):",
			"  ts=$(date +%s); tok=$(printf '%s' \"" + key + "${ts}" + secret + "\" | md5sum | cut -c1-32 | tr a-f A-F); " +
				"curl -s -G -H \"Timespan: $ts\" -H \"Token: $tok\" " + base + "/api/yj/ECICertification/SearchCertification -d key=" + key + " --data-urlencode 'searchKey=企查查科技有限公司'",
			"Signed requests (SDK-HMAC-SHA256) through the CLI:",
			"  zheng call cert list --keyword 阿里巴巴 --base-url " + base + " --appkey " + key + " --appsecret " + secret,
		}
	}, nil
}
