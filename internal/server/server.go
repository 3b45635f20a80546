// Package server runs zheng's HTTP server: it owns the listener, the
// middleware every request passes (task numbers, panic recovery, body and
// time limits, one log line per request, Prometheus metrics), the health and
// metrics endpoints, and graceful shutdown. It knows no product: handlers
// are registered by the caller.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/zhengapi/zheng/internal/reqinfo"
)

// Config holds the server's limits. The zero value gives the defaults.
type Config struct {
	// MaxBodyBytes caps a request body; default 32 MiB (a 50-megapixel
	// phone photo sent as base64).
	MaxBodyBytes int64
	// RequestTimeout bounds one request's context; default 60 s.
	RequestTimeout time.Duration
	// ShutdownTimeout is how long in-flight requests get on shutdown; default 15 s.
	ShutdownTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 32 << 20
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 60 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 15 * time.Second
	}
	return c
}

// Server is zheng's HTTP front. Create it with New, register routes with
// Handle, then call Serve.
type Server struct {
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	tasks    *reqinfo.TaskNumbers
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	now      func() time.Time
}

// New returns a server with /healthz and /metrics installed.
func New(cfg Config, log *slog.Logger) *Server {
	s := &Server{
		cfg:      cfg.withDefaults(),
		log:      log,
		mux:      http.NewServeMux(),
		tasks:    reqinfo.NewTaskNumbers(),
		registry: prometheus.NewRegistry(),
		now:      time.Now,
	}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zheng_requests_total",
		Help: "Requests served, by route and response code (the envelope code where the route has one).",
	}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "zheng_request_duration_seconds",
		Help:    "Request latency by route and response code.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "code"})
	s.registry.MustRegister(s.requests, s.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	}))
	s.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	return s
}

// Registry is the Prometheus registry /metrics serves; products may add
// their own collectors to it.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Handle registers h for pattern (net/http ServeMux syntax, e.g.
// "POST /enterprise/certificate/list"). The pattern becomes the route label
// in logs and metrics.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := reqinfo.FromContext(r.Context()); info != nil {
			info.Route = pattern
		}
		h.ServeHTTP(w, r)
	}))
}

// Handler returns the full handler: middleware around the routes.
func (s *Server) Handler() http.Handler { return s.middleware(s.mux) }

// Serve listens on addr until ctx is cancelled, then shuts down gracefully.
// ready, if non-nil, is called with the bound address once listening.
func (s *Server) Serve(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", s.cfg.ShutdownTimeout)
	// The parent context is already cancelled; shutdown needs its own clock.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// statusWriter records the status code for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		info := &reqinfo.Info{TaskNo: s.tasks.Next(start), Start: start}
		ctx, cancel := context.WithTimeout(reqinfo.NewContext(r.Context(), info), s.cfg.RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		w.Header().Set("X-Task-No", info.TaskNo)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(ctx, "panic", "taskNo", info.TaskNo, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeInternalError(sw, info.TaskNo)
				}
				info.Code = http.StatusInternalServerError
			}
			s.observe(r, sw, info)
		}()
		next.ServeHTTP(sw, r)
	})
}

// writeInternalError answers a panic in the 聚美 style, the envelope most
// routes share; no internals reach the client.
func writeInternalError(w http.ResponseWriter, taskNo string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": 500, "msg": "服务商维护，请稍候再试", "taskNo": taskNo})
}

func (s *Server) observe(r *http.Request, sw *statusWriter, info *reqinfo.Info) {
	elapsed := s.now().Sub(info.Start)
	route := info.Route
	if route == "" {
		route = "unmatched"
	}
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	code := info.Code
	if code == 0 {
		code = status
	}
	codeLabel := strconv.Itoa(code)
	s.requests.WithLabelValues(route, codeLabel).Inc()
	s.latency.WithLabelValues(route, codeLabel).Observe(elapsed.Seconds())
	if route == "GET /metrics" || route == "GET /healthz" {
		return // probes would drown the log
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("taskNo", info.TaskNo),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Int("code", code),
		slog.String("app", info.AppID),
		slog.Int64("bytes", sw.bytes),
		slog.Duration("latency", elapsed),
	)
}
