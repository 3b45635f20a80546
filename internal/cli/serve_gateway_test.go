package cli

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zhengapi/zheng/internal/reqinfo"
	"github.com/zhengapi/zheng/internal/server"
)

// gatewayApp runs setupGateway the way serve does, on dir, with a stub
// certificate route, and returns the app and its banner.
func gatewayApp(t *testing.T, dir string, args ...string) (*serveApp, []string) {
	env, _, _ := testEnv(map[string]string{"ZHENG_DATA_DIR": dir})
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var store storeFlags
	var gw gatewayServeFlags
	store.register(fs, env)
	gw.register(fs, env)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	a := &serveApp{env: env, log: log, store: store, srv: server.New(server.Config{}, log)}
	t.Cleanup(a.close)
	if err := setupGateway(context.Background(), a, &gw); err != nil {
		t.Fatal(err)
	}
	a.handle("cert", "POST /enterprise/certificate/list", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqinfo.SetCode(r.Context(), 200)
		io.WriteString(w, `{"code":200}`)
	}))
	var lines []string
	for _, f := range a.banner {
		lines = append(lines, f("http://127.0.0.1:8080")...)
	}
	return a, lines
}

func TestSetupGateway(t *testing.T) {
	dir := t.TempDir()
	a, banner := gatewayApp(t, dir, "--admin-token", "t0k")
	text := strings.Join(banner, "\n")
	var code string
	for _, l := range banner {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "AppCode" {
			code = f[1]
		}
	}
	if code == "" || !strings.Contains(text, "AppSecret") || !strings.Contains(text, "curl -s -H 'X-Apig-AppCode: "+code) {
		t.Fatalf("first-start banner lacks the demo credentials:\n%s", text)
	}
	h := a.srv.Handler()
	do := func(method, path string, hdr map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	if rec := do("POST", "/enterprise/certificate/list", map[string]string{"X-Apig-AppCode": code}); rec.Code != 200 {
		t.Errorf("demo AppCode on a product route: HTTP %d %s", rec.Code, rec.Body)
	}
	if rec := do("POST", "/enterprise/certificate/list", nil); rec.Code != 401 {
		t.Errorf("no credentials: HTTP %d, want 401", rec.Code)
	}
	rec := do("GET", "/v1/account/usage", map[string]string{"X-Apig-AppCode": code})
	var usage struct {
		Code int
		Data struct {
			Packages []struct {
				Product string
				Used    int
			}
		}
	}
	json.Unmarshal(rec.Body.Bytes(), &usage)
	if rec.Code != 200 || len(usage.Data.Packages) != 2 {
		t.Errorf("usage: HTTP %d %s", rec.Code, rec.Body)
	}
	if rec := do("GET", "/admin/v1/apps", map[string]string{"Authorization": "Bearer t0k"}); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"demo"`) {
		t.Errorf("admin list: HTTP %d %s", rec.Code, rec.Body)
	}
	a.close()
	a.closers = nil

	// Second start: no new demo app, and the banner says how to get a secret.
	a2, banner2 := gatewayApp(t, dir)
	text = strings.Join(banner2, "\n")
	if strings.Contains(text, code) || !strings.Contains(text, "rotate-secret") {
		t.Errorf("second-start banner:\n%s", text)
	}
	rec = httptest.NewRecorder()
	a2.srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/admin/v1/apps", nil))
	if rec.Code != 404 {
		t.Errorf("admin API without a token: HTTP %d, want 404 (off)", rec.Code)
	}
}

func TestSetupGatewayNoAuth(t *testing.T) {
	a, banner := gatewayApp(t, t.TempDir(), "--no-auth")
	if a.gate != nil || len(banner) != 0 {
		t.Fatalf("--no-auth left the gate on (banner %q)", banner)
	}
	rec := httptest.NewRecorder()
	a.srv.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/enterprise/certificate/list", nil))
	if rec.Code != 200 {
		t.Errorf("open route: HTTP %d", rec.Code)
	}
}
