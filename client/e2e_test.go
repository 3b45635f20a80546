package client_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhengapi/zheng/internal/testenv"

	"github.com/zhengapi/zheng/client"
	"github.com/zhengapi/zheng/internal/cli"
)

// lockedBuffer collects a server's output written from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// e2eApp is the part of "zheng app create --json" the test needs.
type e2eApp struct {
	AppKey    string   `json:"appKey"`
	AppSecret string   `json:"appSecret"`
	AppCodes  []string `json:"appCodes"`
}

// startServe runs "zheng serve" in-process on SQLite in a temporary data
// dir, exactly as the command wires the gateway and the products, after
// creating an app with the CLI. It returns the base URL and the app.
func startServe(t *testing.T) (string, e2eApp) {
	t.Helper()
	root := testenv.RepoRoot(t)
	vars := map[string]string{
		"ZHENG_DATA_DIR": t.TempDir(),
		"ZHENG_MODELS":   filepath.Join(root, "models"),
	}
	var out, errs lockedBuffer
	env := &cli.Env{
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errs,
		Getenv: func(k string) string { return vars[k] },
		Now:    time.Now,
	}
	ctx, cancel := context.WithCancel(context.Background())
	if code := cli.Main(ctx, []string{"app", "create", "--name", "e2e", "--package", "cert=100", "--package", "idphoto=10", "--json"}, env); code != 0 {
		cancel()
		t.Fatalf("zheng app create: exit %d: %s", code, errs.String())
	}
	var app e2eApp
	if err := json.Unmarshal([]byte(out.String()), &app); err != nil || app.AppKey == "" || len(app.AppCodes) == 0 {
		cancel()
		t.Fatalf("zheng app create --json printed %q: %v", out.String(), err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	done := make(chan int, 1)
	go func() { done <- cli.Main(ctx, []string{"serve", "--addr", addr, "--demo-app=false"}, env) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("zheng serve exit %d: %s", code, errs.String())
		}
	})
	base := "http://" + addr
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case code := <-done:
			t.Fatalf("zheng serve stopped with exit %d: %s", code, errs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if i > 600 {
			t.Fatalf("zheng serve did not become ready: %s", errs.String())
		}
	}
	return base, app
}

// TestEndToEnd calls every route of a real server with each of the three
// ways to authenticate, and checks the package counts the calls.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server")
	}
	base, app := startServe(t)
	ctx := t.Context()
	schemes := []struct {
		name string
		opts []client.Option
	}{
		{"appcode", []client.Option{client.WithAppCode(app.AppCodes[0]), client.WithQCCKey(app.AppKey)}},
		{"appkey", []client.Option{client.WithAppKey(app.AppKey, app.AppSecret)}},
		{"qcc", []client.Option{client.WithQCC(app.AppKey, app.AppSecret)}},
	}
	billed := int64(0)
	// A portrait from the shared test data, when present, exercises the
	// billable POST with a real body.
	photo, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "..", "shared", "testdata", "portraits", "hivision_test3.jpg"))
	if err != nil {
		t.Logf("no portrait (%v): IDPhotoMake not called", err)
		photo = nil
	}
	for _, s := range schemes {
		t.Run(s.name, func(t *testing.T) {
			c, err := client.New(base, s.opts...)
			if err != nil {
				t.Fatal(err)
			}
			list, err := c.CertList(ctx, "阿里巴巴", 1, 5)
			if err != nil {
				t.Fatalf("CertList: %v", err)
			}
			if list.Code != 200 || len(list.Data.Items) == 0 || list.TaskNo == "" {
				t.Fatalf("CertList = %+v, want items", list)
			}
			detail, err := c.CertDetail(ctx, list.Data.Items[0].ID)
			if err != nil {
				t.Fatalf("CertDetail: %v", err)
			}
			if detail.Data.CertNo != list.Data.Items[0].CertNo || len(detail.Data.Detail) == 0 {
				t.Errorf("CertDetail = %+v, want certificate %s with sections", detail.Data, list.Data.Items[0].CertNo)
			}
			search, err := c.SearchCertification(ctx, client.SearchParams{SearchKey: "企查查科技有限公司"})
			if err != nil {
				t.Fatalf("SearchCertification: %v", err)
			}
			if search.Status != "200" || len(search.Result) == 0 {
				t.Fatalf("SearchCertification = %+v", search)
			}
			qd, err := c.GetCertificationDetailById(ctx, search.Result[0].ID)
			if err != nil {
				t.Fatalf("GetCertificationDetailById: %v", err)
			}
			if no, _ := qd.Result.Data.Get("证书编号"); no != search.Result[0].No {
				t.Errorf("detail 证书编号 = %q, want %q", no, search.Result[0].No)
			}
			billed += 4
			if _, err := c.SearchCertification(ctx, client.SearchParams{SearchKey: "没有这家公司的名字"}); !client.IsNoResult(err) {
				t.Errorf("search without result: %v, want client.IsNoResult", err)
			}
			u, err := c.Usage(ctx)
			if err != nil {
				t.Fatalf("Usage: %v", err)
			}
			for _, p := range u.Data.Packages {
				if p.Product == "cert" && (p.Used != billed || p.Remaining != 100-billed) {
					t.Errorf("cert package used %d, remaining %d; want %d, %d", p.Used, p.Remaining, billed, 100-billed)
				}
			}
			specs, err := c.IDPhotoSpecs(ctx)
			if err != nil {
				t.Fatalf("IDPhotoSpecs: %v", err)
			}
			if len(specs.Data.Specs) == 0 {
				t.Errorf("IDPhotoSpecs: empty catalogue")
			}
			if photo == nil {
				return
			}
			made, err := c.IDPhotoMake(ctx, client.IDPhotoRequest{Base64: base64.StdEncoding.EncodeToString(photo), BgColor: "blue"})
			var apiErr *client.APIError
			switch {
			case err == nil:
				if made.Data.Result == "" || len(made.Data.Size) != 2 {
					t.Errorf("IDPhotoMake data = %+v", made.Data)
				}
			case errors.As(err, &apiErr) && apiErr.APIGCode == "" && apiErr.HTTPStatus < 500:
				// The gateway let the call through; the pipeline's own
				// verdict on the photo is not this test's business.
				t.Logf("IDPhotoMake answered %v", err)
			default:
				t.Errorf("IDPhotoMake: %v", err)
			}
		})
	}

	// Refusals in each caller's world.
	bad, _ := client.New(base, client.WithAppKey(app.AppKey, "wrong-secret"))
	if _, err := bad.CertList(ctx, "阿里巴巴", 0, 0); !client.IsUnauthorized(err) {
		t.Errorf("wrong secret: %v, want client.IsUnauthorized", err)
	}
	badQCC, _ := client.New(base, client.WithQCC(app.AppKey, "wrong-secret"))
	if _, err := badQCC.SearchCertification(ctx, client.SearchParams{SearchKey: "企查查科技有限公司"}); !client.IsUnauthorized(err) {
		t.Errorf("wrong 企查查 secret: %v, want client.IsUnauthorized", err)
	}
	skewed, _ := client.New(base, client.WithAppKey(app.AppKey, app.AppSecret), client.WithClock(func() time.Time { return time.Now().Add(-time.Hour) }))
	if _, err := skewed.Usage(ctx); !client.IsUnauthorized(err) {
		t.Errorf("old X-Sdk-Date: %v, want client.IsUnauthorized", err)
	}
}
