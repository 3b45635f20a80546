package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certstore"
	"github.com/zhengapi/zheng/internal/cert/certtest"
	"github.com/zhengapi/zheng/internal/cert/demo"
	"github.com/zhengapi/zheng/internal/server"
)

// The seed certificates in their vendor shapes, and their renderings in
// the other dialect (goldens of package cert).
const (
	jumeiSeed       = "../cert/testdata/jumei-seed.json"
	qccSeed         = "../cert/testdata/qcc-seed.json"
	jumeiSeedForQCC = "../cert/testdata/jumei-seed.qcc.golden"
	qccSeedForJumei = "../cert/testdata/qcc-seed.jumei.golden"
)

// startCert runs the real router (server middleware, setupCert's store
// and handlers) over an SQLite store in a temporary directory.
func startCert(t *testing.T, loadDemo bool) (*httptest.Server, *serveApp) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	a := &serveApp{
		log:   log,
		store: storeFlags{DataDir: t.TempDir()},
		srv:   server.New(server.Config{}, log),
	}
	t.Cleanup(a.close)
	if err := setupCert(t.Context(), a, &certServeFlags{demo: loadDemo}); err != nil {
		t.Fatalf("setupCert: %v", err)
	}
	ts := httptest.NewServer(a.srv.Handler())
	t.Cleanup(ts.Close)
	return ts, a
}

// importSeeds imports the two seed certificates with zheng cert import,
// from a JSONL file holding them in the vendors' detail shapes.
func importSeeds(t *testing.T, sf storeFlags) {
	t.Helper()
	var jsonl bytes.Buffer
	for _, name := range []string{jumeiSeed, qccSeed} {
		if err := json.Compact(&jsonl, readTestFile(t, name)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		jsonl.WriteByte('\n')
	}
	file := filepath.Join(t.TempDir(), "seeds.jsonl")
	if err := os.WriteFile(file, jsonl.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"cert", "import", "--strict", "--data-dir", sf.DataDir}
	if sf.DB != "" {
		args = append(args, "--db", sf.DB)
	}
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Now: time.Now}
	if code := Main(t.Context(), append(args, file), env); code != 0 {
		t.Fatalf("zheng %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	if n, err := openCertStore(t, sf).Count(t.Context()); err != nil || n != 2 {
		t.Fatalf("after import: %d certificates (%v), want 2\n%s%s", n, err, stdout.String(), stderr.String())
	}
}

func openCertStore(t *testing.T, sf storeFlags) cert.Store {
	t.Helper()
	store, err := certstore.Open(t.Context(), sf.DataDir, sf.DB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func readTestFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var taskNoRE = regexp.MustCompile(`^[0-9]{20}$`)

// do sends a request and decodes the JSON answer.
func do(t *testing.T, method, target, ctype, body string) (resp *http.Response, env map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("%s %s: body %q: %v", method, target, raw, err)
	}
	if !taskNoRE.MatchString(resp.Header.Get("X-Task-No")) {
		t.Errorf("X-Task-No = %q, want 20 digits", resp.Header.Get("X-Task-No"))
	}
	return resp, env
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCertEndToEnd: the two seed certificates, imported from the vendors'
// shapes, come back from both dialects field for field as the seeds show
// them.
func TestCertEndToEnd(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testCertEndToEnd(t, storeFlags{DataDir: t.TempDir()}) })
	t.Run("postgres", func(t *testing.T) {
		testCertEndToEnd(t, storeFlags{DataDir: t.TempDir(), DB: certtest.PostgresDSN(t)})
	})
}

func testCertEndToEnd(t *testing.T, sf storeFlags) {
	importSeeds(t, sf)
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	a := &serveApp{log: log, store: sf, srv: server.New(server.Config{}, log)}
	t.Cleanup(a.close)
	if err := setupCert(t.Context(), a, &certServeFlags{demo: false}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.srv.Handler())
	t.Cleanup(ts.Close)
	form := "application/x-www-form-urlencoded"

	t.Run("jumei list", func(t *testing.T) {
		resp, env := do(t, "POST", ts.URL+"/enterprise/certificate/list", form, "keyword="+url.QueryEscape("阿里巴巴（中国）有限公司"))
		if env["taskNo"] != resp.Header.Get("X-Task-No") {
			t.Errorf("taskNo %v != X-Task-No %s", env["taskNo"], resp.Header.Get("X-Task-No"))
		}
		want := map[string]any{"code": 200.0, "msg": "成功", "taskNo": env["taskNo"], "data": map[string]any{
			"page": map[string]any{"pageNo": 1.0, "pageSize": 10.0, "recordCount": 1.0},
			"items": []any{map[string]any{"Type": "软件产品证书", "Id": "85f8355cd221d46f5c5cfa6f1daae80b", "CertNo": "浙RC-2020-0106",
				"StartDate": "2025-03-30 00:00:00", "EndDate": "2025-03-30 00:00:00"}},
		}}
		if !reflect.DeepEqual(env, want) {
			t.Errorf("got %v\nwant %v", env, want)
		}
	})
	t.Run("jumei detail", func(t *testing.T) {
		_, env := do(t, "POST", ts.URL+"/enterprise/certificate/detail", "application/json", `{"id":"85f8355cd221d46f5c5cfa6f1daae80b"}`)
		want := decodeJSON(t, readTestFile(t, jumeiSeed)).(map[string]any)
		delete(want, "id")
		if env["code"] != 200.0 || !reflect.DeepEqual(env["data"], any(want)) {
			t.Errorf("got %v\nwant data %v", env, want)
		}
	})
	t.Run("qcc search", func(t *testing.T) {
		_, env := do(t, "GET", ts.URL+"/api/yj/ECICertification/SearchCertification?key=k&searchKey="+url.QueryEscape("企查查科技有限公司"), "", "")
		want := map[string]any{
			"Paging": map[string]any{"PageSize": 10.0, "PageIndex": 1.0, "TotalRecords": 1.0},
			"Result": []any{map[string]any{"Id": "145695151793ad28f7ffd5d8a24cd6191", "Name": "", "Type": "cnca027",
				"StartDate": "2021-04-12 00:00:00", "EndDate": "2024-05-15 00:00:00", "No": "17418Q20358R1M", "TypeDesc": "质量管理体系认证（ISO9000）"}},
			"Status": "200", "Message": "【有效请求】查询成功", "OrderNumber": env["OrderNumber"],
		}
		if !reflect.DeepEqual(env, want) {
			t.Errorf("got %v\nwant %v", env, want)
		}
	})
	t.Run("qcc detail", func(t *testing.T) {
		_, env := do(t, "GET", ts.URL+"/api/yj/ECICertification/GetCertificationDetailById?key=k&certId=145695151793ad28f7ffd5d8a24cd6191", "", "")
		want := decodeJSON(t, readTestFile(t, qccSeed)).(map[string]any)
		for _, k := range []string{"Type", "TypeDesc", "Name"} {
			delete(want, k)
		}
		if env["Status"] != "200" || env["Message"] != "【有效请求】查询成功" || !reflect.DeepEqual(env["Result"], any(want)) {
			t.Errorf("got %v\nwant Result %v", env, want)
		}
	})
	t.Run("cross dialect", func(t *testing.T) {
		_, env := do(t, "GET", ts.URL+"/api/yj/ECICertification/GetCertificationDetailById?key=k&certId=85f8355cd221d46f5c5cfa6f1daae80b", "", "")
		if want := decodeJSON(t, readTestFile(t, jumeiSeedForQCC)); !reflect.DeepEqual(env["Result"], want) {
			t.Errorf("企查查 detail of the 聚美 seed:\ngot  %v\nwant %v", env["Result"], want)
		}
		_, env = do(t, "POST", ts.URL+"/enterprise/certificate/detail", form, "id=145695151793ad28f7ffd5d8a24cd6191")
		if want := decodeJSON(t, readTestFile(t, qccSeedForJumei)); !reflect.DeepEqual(env["data"], want) {
			t.Errorf("聚美 detail of the 企查查 seed:\ngot  %v\nwant %v", env["data"], want)
		}
	})
	t.Run("codes reach metrics", func(t *testing.T) {
		resp, env := do(t, "POST", ts.URL+"/enterprise/certificate/list", form, "keyword=x&pageSize=21")
		if resp.StatusCode != 200 || env["code"] != 400.0 {
			t.Errorf("pageSize=21: HTTP %d %v", resp.StatusCode, env)
		}
		_, env = do(t, "GET", ts.URL+"/api/yj/ECICertification/SearchCertification?key=k&searchKey=企", "", "")
		if env["Status"] != "213" {
			t.Errorf("one-character searchKey: %v", env)
		}
		resp, err := http.Get(ts.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		metrics, _ := io.ReadAll(resp.Body)
		for _, want := range []string{
			`zheng_requests_total{code="400",route="POST /enterprise/certificate/list"} 1`,
			`zheng_requests_total{code="213",route="GET /api/yj/ECICertification/SearchCertification"} 1`,
		} {
			if !bytes.Contains(metrics, []byte(want)) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

// TestCertDemo: a fresh server loads the demo data, and the banner's two
// examples find certificates.
func TestCertDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 10,000 demo certificates")
	}
	ts, a := startCert(t, true)
	var lines []string
	for _, f := range a.banner {
		lines = append(lines, f(ts.URL)...)
	}
	banner := strings.Join(lines, "\n")
	for _, want := range []string{ts.URL + "/enterprise/certificate/list", ts.URL + "/api/yj/ECICertification/SearchCertification"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %s:\n%s", want, banner)
		}
	}
	_, env := do(t, "POST", ts.URL+"/enterprise/certificate/list", "application/x-www-form-urlencoded", "keyword="+url.QueryEscape("阿里巴巴")+"&pageSize=5")
	if data, _ := env["data"].(map[string]any); env["code"] != 200.0 || data == nil || len(data["items"].([]any)) == 0 {
		t.Errorf("聚美 banner example: %v", env)
	}
	_, env = do(t, "GET", ts.URL+"/api/yj/ECICertification/SearchCertification?key=demo&searchKey="+url.QueryEscape("企查查科技有限公司"), "", "")
	if env["Status"] != "200" {
		t.Errorf("企查查 banner example: %v", env)
	}
	// A store with data is left alone on the next start.
	ts.Close()
	a.close()
	a.closers = nil
	b := &serveApp{log: a.log, store: a.store, srv: server.New(server.Config{}, a.log)}
	t.Cleanup(b.close)
	if err := setupCert(t.Context(), b, &certServeFlags{demo: true}); err != nil {
		t.Fatal(err)
	}
	n, err := openCertStore(t, a.store).Count(t.Context())
	if want := demo.Count + 2; err != nil || n != want {
		t.Errorf("after a second start: %d certificates (%v), want %d", n, err, want)
	}
}

func TestCertServeFlags(t *testing.T) {
	tests := []struct {
		env  string
		args []string
		want bool
	}{
		{"", nil, true},
		{"false", nil, false},
		{"0", nil, false},
		{"true", []string{"--demo=false"}, false},
		{"false", []string{"--demo"}, true},
	}
	for _, tt := range tests {
		env := &Env{Getenv: func(k string) string {
			if k == "ZHENG_DEMO" {
				return tt.env
			}
			return ""
		}}
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		var f certServeFlags
		f.register(fs, env)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		if f.demo != tt.want {
			t.Errorf("ZHENG_DEMO=%q %q: demo = %v, want %v", tt.env, tt.args, f.demo, tt.want)
		}
	}
}
