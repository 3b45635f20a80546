package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/zhengapi/zheng/internal/server"
)

// serveApp is the running program's wiring: each product's setup function
// (serve_*.go) opens what it needs, registers its routes through handle and
// adds lines to the start-up banner.
type serveApp struct {
	env   *Env
	log   *slog.Logger
	store storeFlags
	srv   *server.Server

	// gate wraps a product route with the gateway (authentication, package
	// spend, usage records). Nil leaves routes open.
	gate func(product string, h http.Handler) http.Handler

	// demoCode is the demo app's AppCode when this start created it; the
	// banner's examples then carry it, otherwise they read $ZHENG_APPCODE.
	demoCode string

	closers []func() error
	// banner functions get the base URL the server answers on and return
	// lines to print once it listens (credentials, curl examples).
	banner []func(baseURL string) []string
}

// handle registers a product route behind the gateway.
func (a *serveApp) handle(product, pattern string, h http.Handler) {
	if a.gate != nil && product != "" {
		h = a.gate(product, h)
	}
	a.srv.Handle(pattern, h)
}

// exampleAuth returns the curl arguments that authenticate a banner
// example, with a trailing space: none when the gateway is off, the demo
// app's AppCode on the start that created it, else the AppCode the
// operator exports as ZHENG_APPCODE (the gateway's banner says so).
func (a *serveApp) exampleAuth() string {
	switch {
	case a.gate == nil:
		return ""
	case a.demoCode != "":
		return "-H 'X-Apig-AppCode: " + a.demoCode + "' "
	}
	return `-H "X-Apig-AppCode: $` + appCodeVar + `" `
}

// appCodeVar is the shell variable the banner's examples read an AppCode
// from when the server did not just create one.
const appCodeVar = "ZHENG_APPCODE"

// handleOpen registers a route that needs no credentials (docs, files).
func (a *serveApp) handleOpen(pattern string, h http.Handler) { a.srv.Handle(pattern, h) }

func (a *serveApp) onClose(f func() error) { a.closers = append(a.closers, f) }

func (a *serveApp) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			a.log.Warn("close", "err", err)
		}
	}
}

func newServeCmd(env *Env) *Command {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var (
		store     storeFlags
		addr      string
		logFormat string
		logLevel  string
		srvCfg    server.Config
		gw        gatewayServeFlags
		ct        certServeFlags
		ip        idphotoServeFlags
		memLimit  string
	)
	store.register(fs, env)
	fs.StringVar(&addr, "addr", envDefault(env, "ZHENG_ADDR", ":8080"), "listen address (env ZHENG_ADDR)")
	fs.StringVar(&logFormat, "log-format", envDefault(env, "ZHENG_LOG_FORMAT", "text"), "log format: text or json (env ZHENG_LOG_FORMAT)")
	fs.StringVar(&logLevel, "log-level", envDefault(env, "ZHENG_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env ZHENG_LOG_LEVEL)")
	fs.Int64Var(&srvCfg.MaxBodyBytes, "max-body", 32<<20, "largest request body accepted, in bytes")
	fs.DurationVar(&srvCfg.RequestTimeout, "request-timeout", 60*time.Second, "time limit for one request")
	fs.StringVar(&memLimit, "memory-limit", envDefault(env, "ZHENG_MEMORY_LIMIT", defaultMemoryLimit(env)),
		"soft memory limit of the process, e.g. 400MiB or 1GiB: the garbage collector works harder near it (runtime/debug.SetMemoryLimit); off = none; empty = GOMEMLIMIT's (env ZHENG_MEMORY_LIMIT)")
	gw.register(fs, env)
	ct.register(fs, env)
	ip.register(fs, env)

	return &Command{
		Name:  "serve",
		Usage: "zheng serve [flags]",
		Short: "Run the HTTP server (certificate and ID-photo APIs behind the gateway).",
		Long: "On an empty store, serve loads the built-in synthetic demo dataset and creates a\n" +
			"demo app whose credentials it prints once, with ready-to-paste curl examples.\n" +
			"It stops gracefully on SIGINT or SIGTERM.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("serve takes no arguments, got %q", args)
			}
			log, err := newLogger(env, logFormat, logLevel)
			if err != nil {
				return usagef("%v", err)
			}
			if memLimit != "" && memLimit != "off" {
				n, err := parseByteSize(memLimit)
				if err != nil {
					return usagef("--memory-limit: %v", err)
				}
				debug.SetMemoryLimit(n)
				log.Info("memory limit set", "bytes", n)
			}
			if err := os.MkdirAll(store.DataDir, 0o755); err != nil {
				return fmt.Errorf("data dir: %w", err)
			}
			a := &serveApp{env: env, log: log, store: store, srv: server.New(srvCfg, log)}
			defer a.close()
			if err := setupGateway(ctx, a, &gw); err != nil {
				return fmt.Errorf("gateway: %w", err)
			}
			if err := setupCert(ctx, a, &ct); err != nil {
				return fmt.Errorf("certificates: %w", err)
			}
			if err := setupIDPhoto(ctx, a, &ip); err != nil {
				return fmt.Errorf("id photos: %w", err)
			}
			err = a.srv.Serve(ctx, addr, func(bound net.Addr) {
				base := baseURL(bound)
				log.Info("listening", "addr", bound.String(), "url", base)
				for _, f := range a.banner {
					for _, line := range f(base) {
						fmt.Fprintln(env.Stdout, line)
					}
				}
			})
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		},
	}
}

// parseByteSize reads a size in bytes with an optional unit, as GOMEMLIMIT
// writes it: B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB
// (powers of 1000).
// defaultMemoryLimit keeps four concurrent 22-megapixel ID photos under
// 500 MB resident (bench/idphoto.md) unless the operator set GOMEMLIMIT,
// which the runtime already honours.
func defaultMemoryLimit(env *Env) string {
	if env.Getenv("GOMEMLIMIT") != "" {
		return ""
	}
	return "400MiB"
}

func parseByteSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.TrimSpace(s[len(num):])
	mult := map[string]int64{"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
		"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || mult == 0 || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q: want a positive number of bytes with an optional unit (400MiB, 1GiB)", s)
	}
	return n * mult, nil
}

// baseURL turns a listener address into a URL a person can paste: an
// unspecified host (":8080") becomes 127.0.0.1.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func newLogger(env *Env, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text", "":
		return slog.New(slog.NewTextHandler(env.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(env.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}
