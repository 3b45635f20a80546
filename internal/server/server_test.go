package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zhengapi/zheng/internal/reqinfo"
)

func newTestServer(t *testing.T, cfg Config) (*Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	return New(cfg, slog.New(slog.NewJSONHandler(&logs, nil))), &logs
}

func TestMiddleware(t *testing.T) {
	s, logs := newTestServer(t, Config{MaxBodyBytes: 16})
	s.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			reqinfo.SetCode(r.Context(), 400)
			http.Error(w, "too big", http.StatusRequestEntityTooLarge)
			return
		}
		reqinfo.SetCode(r.Context(), 201)
		w.Write(b)
	}))
	s.Handle("GET /boom", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("secret internal detail")
	}))
	h := s.Handler()

	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantBody   string // substring
		notInBody  string
	}{
		{"health", "GET", "/healthz", "", 200, `"ok"`, ""},
		{"echo", "POST", "/echo", "hello", 200, "hello", ""},
		{"body over limit", "POST", "/echo", strings.Repeat("x", 17), 413, "too big", ""},
		{"panic is a clean 500", "GET", "/boom", "", 500, `"code":500`, "secret"},
		{"unknown route", "GET", "/nope", "", 404, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
			if rec.Code != tc.wantStatus {
				t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, rec.Code, tc.wantStatus)
			}
			if !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("%s %s: body %q, want it to contain %q", tc.method, tc.path, rec.Body, tc.wantBody)
			}
			if tc.notInBody != "" && strings.Contains(rec.Body.String(), tc.notInBody) {
				t.Errorf("%s %s: body %q leaks %q", tc.method, tc.path, rec.Body, tc.notInBody)
			}
			if len(rec.Header().Get("X-Task-No")) != 20 {
				t.Errorf("X-Task-No = %q, want 20 digits", rec.Header().Get("X-Task-No"))
			}
		})
	}
	// The panic is logged with its stack and task number, the echo with its envelope code.
	if !strings.Contains(logs.String(), "secret internal detail") || !strings.Contains(logs.String(), `"stack"`) {
		t.Errorf("panic not logged with stack: %s", logs)
	}
	if !strings.Contains(logs.String(), `"route":"POST /echo","status":200,"code":201`) {
		t.Errorf("request log lacks route, status and envelope code: %s", logs)
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`zheng_requests_total{code="201",route="POST /echo"} 1`,
		`zheng_requests_total{code="500",route="GET /boom"} 1`,
		`zheng_requests_total{code="404",route="unmatched"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestRequestTimeoutReachesHandler(t *testing.T) {
	s, _ := newTestServer(t, Config{RequestTimeout: time.Millisecond})
	s.Handle("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // returns only because the server set a deadline
		w.WriteHeader(http.StatusGatewayTimeout)
	}))
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/slow", nil))
	if rec.Code != http.StatusGatewayTimeout {
		t.Errorf("status %d, want 504", rec.Code)
	}
}

func TestServeShutsDownOnCancel(t *testing.T) {
	s, _ := newTestServer(t, Config{ShutdownTimeout: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, "127.0.0.1:0", func(a net.Addr) { addrc <- a }) }()
	addr := <-addrc
	resp, err := http.Get("http://" + addr.String() + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
}
