package gateway_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zhengapi/zheng/apig"
	"github.com/zhengapi/zheng/internal/gateway"
	"github.com/zhengapi/zheng/internal/gateway/ratelimit"
	"github.com/zhengapi/zheng/internal/gateway/sqlstore"
	"github.com/zhengapi/zheng/internal/reqinfo"
	"github.com/zhengapi/zheng/internal/server"
)

// testNow is the gateway's clock in these tests.
var testNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func testKeys(t testing.TB) *gateway.Keyring {
	k, err := gateway.NewKeyring([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func openSQLite(t testing.TB) *sqlstore.Store {
	st, err := sqlstore.Open(context.Background(), t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openPostgres returns a store in a fresh schema of ZHENG_TEST_PG, or
// skips. Further stores on the same schema come from the returned DSN.
func openPostgres(t testing.TB) (*sqlstore.Store, string) {
	base := os.Getenv("ZHENG_TEST_PG")
	if base == "" {
		t.Skip("ZHENG_TEST_PG not set")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("gwtest_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("ZHENG_TEST_PG: %v", err)
	}
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	dsn := base + sep + "search_path=" + schema
	st, err := sqlstore.Open(context.Background(), "", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, dsn
}

// stack is one server as serve builds it: the server middleware, the
// gateway and stub product routes that answer the code asked for.
type stack struct {
	gw      *gateway.Gateway
	handler http.Handler
	store   gateway.Store
}

func newStack(t testing.TB, st gateway.Store, opts *gateway.Options) *stack {
	o := gateway.Options{Now: func() time.Time { return testNow }}
	if opts != nil {
		o = *opts
		if o.Now == nil {
			o.Now = func() time.Time { return testNow }
		}
	}
	gw := gateway.New(st, testKeys(t), &o)
	t.Cleanup(func() { gw.Close(context.Background()) })
	srv := server.New(server.Config{}, slog.New(slog.DiscardHandler))
	srv.Handle("POST /enterprise/certificate/list", gw.Wrap("cert", http.HandlerFunc(jumeiStub)))
	srv.Handle("GET /api/yj/ECICertification/SearchCertification", gw.Wrap("cert", http.HandlerFunc(qccStub)))
	srv.Handle("POST /idphoto/make", gw.Wrap("idphoto", http.HandlerFunc(jumeiStub)))
	srv.Handle("GET /v1/account/usage", gw.UsageHandler())
	return &stack{gw: gw, handler: srv.Handler(), store: st}
}

// jumeiStub answers the envelope code given in the query parameter
// "code" (default 200) and echoes the body it received.
func jumeiStub(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	code := 200
	if c := r.URL.Query().Get("code"); c != "" {
		code, _ = strconv.Atoi(c)
	}
	reqinfo.SetCode(r.Context(), code)
	json.NewEncoder(w).Encode(map[string]any{"code": code, "msg": "stub", "taskNo": reqinfo.TaskNo(r.Context()), "data": string(body)})
}

func qccStub(w http.ResponseWriter, r *http.Request) {
	status := 200
	if s := r.URL.Query().Get("status"); s != "" {
		status, _ = strconv.Atoi(s)
	}
	reqinfo.SetCode(r.Context(), status)
	json.NewEncoder(w).Encode(map[string]any{"Status": strconv.Itoa(status), "Message": "stub"})
}

// answer is what a test reads back: HTTP status plus both error shapes.
type answer struct {
	status    int
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
	Status    string `json:"Status"`
	Message   string `json:"Message"`
	Code      int    `json:"code"`
	Data      any    `json:"data"`
}

func serve(h http.Handler, r *http.Request) answer {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	a := answer{status: rec.Code}
	json.Unmarshal(rec.Body.Bytes(), &a)
	return a
}

// request builds a server-side request; auth adds credentials to it.
func request(method, target, body string, auth func(*http.Request)) *http.Request {
	r := httptest.NewRequest(method, "http://api.test"+target, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if auth != nil {
		auth(r)
	}
	return r
}

func withAppCode(code string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("X-Apig-AppCode", code) }
}

// signed signs r as a client would (apig.Sign) at time at, then applies
// tamper (may be nil) to the signed request.
func signed(key, secret string, at time.Time, tamper func(*http.Request)) func(*http.Request) {
	return func(r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), strings.NewReader(string(body)))
		c.Header = r.Header.Clone()
		if err := apig.Sign(c, key, secret, at); err != nil {
			panic(err)
		}
		r.Header = c.Header
		r.RequestURI = c.URL.RequestURI()
		r.URL, _ = url.ParseRequestURI(r.RequestURI)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		if tamper != nil {
			tamper(r)
		}
	}
}

func withQCC(key, secret string, at time.Time, token string) func(*http.Request) {
	return func(r *http.Request) {
		ts := apig.QCCTimespan(at)
		if token == "" {
			token = apig.QCCToken(key, ts, secret)
		}
		q := r.URL.RawQuery
		if q != "" {
			q += "&"
		}
		r.URL.RawQuery = q + "key=" + url.QueryEscape(key)
		r.RequestURI = r.URL.RequestURI()
		r.Header.Set("Timespan", ts)
		r.Header.Set("Token", token)
	}
}

func createApp(t testing.TB, gw *gateway.Gateway, n gateway.NewApp) gateway.Created {
	t.Helper()
	c, err := gw.Apps().Create(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pkg(product string, calls int64) gateway.PackageSpec {
	return gateway.PackageSpec{Product: product, Calls: calls}
}

func TestSchemes(t *testing.T) {
	s := newStack(t, openSQLite(t), nil)
	app := createApp(t, s.gw, gateway.NewApp{Name: "t", Packages: []gateway.PackageSpec{pkg("cert", 1000)}})
	key, secret, code := app.AppKey, string(app.AppSecret), string(app.AppCodes[0])
	const list = "/enterprise/certificate/list"
	const qcc = "/api/yj/ECICertification/SearchCertification?searchKey=abc"
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantCode   string // error_code, or Status on 企查查 routes
		wantMsg    string // substring of error_msg / Message
	}{
		{"appcode", request("POST", list, "keyword=a", withAppCode(code)), 200, "", ""},
		{"appcode wrong", request("POST", list, "keyword=a", withAppCode(code+"x")), 401, "APIG.0303", "AppCode"},
		{"no credentials", request("POST", list, "keyword=a", nil), 401, "APIG.0303", "no authentication information"},
		{"signed", request("POST", list+"?b=2&a=1", "keyword=a", signed(key, secret, testNow, nil)), 200, "", ""},
		{"signed with clock 14 min behind", request("POST", list, "keyword=a", signed(key, secret, testNow.Add(-14*time.Minute), nil)), 200, "", ""},
		{"signed, unknown key", request("POST", list, "keyword=a", signed("nokey", secret, testNow, nil)), 401, "APIG.0303", "app not found, appkey nokey"},
		{"signed, wrong secret", request("POST", list, "keyword=a", signed(key, "wrong", testNow, nil)), 401, "APIG.0303", "verify signature fail, canonicalRequest:POST|/enterprise/certificate/list/|"},
		{"signed, expired date", request("POST", list, "keyword=a", signed(key, secret, testNow.Add(-16*time.Minute), nil)), 401, "APIG.0303", "signature expired, signature time:20261123T094400Z,server time:20261123T100000Z"},
		{"signed, date in the future", request("POST", list, "keyword=a", signed(key, secret, testNow.Add(16*time.Minute), nil)), 401, "APIG.0303", "signature expired"},
		{"tampered body", request("POST", list, "keyword=a", signed(key, secret, testNow, func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader("keyword=b"))
		})), 401, "APIG.0303", "verify signature fail"},
		{"tampered query", request("POST", list+"?a=1", "keyword=a", signed(key, secret, testNow, func(r *http.Request) {
			r.RequestURI = list + "?a=2"
		})), 401, "APIG.0303", "verify signature fail"},
		{"tampered path", request("POST", list, "keyword=a", signed(key, secret, testNow, func(r *http.Request) {
			r.RequestURI = "/enterprise/certificate/List"
		})), 401, "APIG.0303", "verify signature fail"},
		{"tampered signed header", request("POST", list, "keyword=a", signed(key, secret, testNow, func(r *http.Request) {
			r.Header.Set("Content-Type", "text/plain")
		})), 401, "APIG.0303", "verify signature fail"},
		{"tampered host", request("POST", list, "keyword=a", signed(key, secret, testNow, func(r *http.Request) {
			r.Host = "evil.test"
		})), 401, "APIG.0303", "verify signature fail"},
		{"tampered date", request("POST", list, "keyword=a", signed(key, secret, testNow, func(r *http.Request) {
			r.Header.Set("X-Sdk-Date", apig.FormatDate(testNow.Add(time.Second)))
		})), 401, "APIG.0303", "verify signature fail"},
		{"tampered signature", request("POST", list, "keyword=a", signed(key, secret, testNow, func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-1]+string("01"[(a[len(a)-1]-'0'+1)%2]))
		})), 401, "APIG.0303", "verify signature fail"},
		{"malformed authorization", request("POST", list, "keyword=a", func(r *http.Request) {
			r.Header.Set("Authorization", "SDK-HMAC-SHA256 Signature=00")
		}), 401, "APIG.0303", "Access or Credential is empty"},
		{"other algorithm", request("POST", list, "keyword=a", func(r *http.Request) {
			r.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
		}), 401, "APIG.0303", "Incorrect app authentication information"},
		{"date not signed", request("POST", list, "keyword=a", signed(key, secret, testNow, func(r *http.Request) {
			a, _ := apig.ParseAuthorization(r.Header.Get("Authorization"))
			a.SignedHeaders = []string{"host"}
			r.Header.Set("Authorization", a.String())
		})), 401, "APIG.0303", "x-sdk-date"},
		{"qcc", request("GET", qcc, "", withQCC(key, secret, testNow, "")), 200, "200", ""},
		{"qcc lower-case token", request("GET", qcc, "", withQCC(key, secret, testNow, strings.ToLower(apig.QCCToken(key, apig.QCCTimespan(testNow), secret)))), 200, "200", ""},
		{"qcc wrong token", request("GET", qcc, "", withQCC(key, secret, testNow, strings.Repeat("A", 32))), 200, "115", "身份验证错误或者已过期"},
		{"qcc wrong secret", request("GET", qcc, "", withQCC(key, "wrong", testNow, "")), 200, "115", "身份验证错误"},
		{"qcc expired timespan", request("GET", qcc, "", withQCC(key, secret, testNow.Add(-16*time.Minute), "")), 200, "115", "身份验证错误"},
		{"qcc unknown key", request("GET", qcc, "", withQCC("nokey", secret, testNow, "")), 200, "101", "当前的 KEY 无效"},
		{"qcc no key", request("GET", qcc, "", nil), 200, "101", "KEY"},
		{"qcc no token", request("GET", qcc+"&key="+key, "", nil), 200, "115", "身份验证错误"},
		{"qcc route with appcode", request("GET", qcc, "", withAppCode(code)), 200, "200", ""},
		{"qcc route with bad appcode", request("GET", qcc, "", withAppCode("nope")), 200, "115", "身份验证错误"},
		{"qcc key on an APIG route", request("POST", list, "keyword=a", withQCC(key, secret, testNow, "")), 200, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := serve(s.handler, tc.req)
			gotCode := a.ErrorCode
			msg := a.ErrorMsg
			if strings.HasPrefix(tc.req.URL.Path, "/api/yj/") {
				gotCode, msg = a.Status, a.Message
			}
			if a.status != tc.wantStatus || gotCode != tc.wantCode || !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("got HTTP %d code %q msg %q; want HTTP %d code %q msg containing %q",
					a.status, gotCode, msg, tc.wantStatus, tc.wantCode, tc.wantMsg)
			}
			if strings.Contains(msg, secret) {
				t.Errorf("message reveals the AppSecret: %q", msg)
			}
		})
	}
}

func TestSignedBodyReachesHandler(t *testing.T) {
	s := newStack(t, openSQLite(t), nil)
	app := createApp(t, s.gw, gateway.NewApp{Name: "t", Packages: []gateway.PackageSpec{pkg("cert", 10)}})
	a := serve(s.handler, request("POST", "/enterprise/certificate/list", "keyword=华为", signed(app.AppKey, string(app.AppSecret), testNow, nil)))
	if a.status != 200 || a.Data != "keyword=华为" {
		t.Errorf("handler saw body %v (HTTP %d), want keyword=华为", a.Data, a.status)
	}
}

func TestRefusals(t *testing.T) {
	s := newStack(t, openSQLite(t), nil)
	ctx := context.Background()
	mk := func(n gateway.NewApp) gateway.Created { return createApp(t, s.gw, n) }
	disabled := mk(gateway.NewApp{Name: "disabled", Packages: []gateway.PackageSpec{pkg("cert", 10)}})
	if _, err := s.gw.Apps().SetDisabled(ctx, disabled.AppID, true); err != nil {
		t.Fatal(err)
	}
	certOnly := mk(gateway.NewApp{Name: "cert only", Packages: []gateway.PackageSpec{pkg("cert", 10)}})
	one := mk(gateway.NewApp{Name: "one call", Packages: []gateway.PackageSpec{pkg("cert", 1)}})
	expired := mk(gateway.NewApp{Name: "expired", Packages: []gateway.PackageSpec{{Product: "cert", Calls: 10, ExpiresAt: testNow.Add(-time.Hour)}}})
	capped := mk(gateway.NewApp{Name: "capped", Packages: []gateway.PackageSpec{{Product: "cert", Calls: 10, DailyCap: 1}}})
	slow := mk(gateway.NewApp{Name: "slow", Packages: []gateway.PackageSpec{pkg("cert", 10)}, QPS: 0.01, Burst: 1})

	const list = "/enterprise/certificate/list"
	const qcc = "/api/yj/ECICertification/SearchCertification?searchKey=abc"
	code := func(c gateway.Created) func(*http.Request) { return withAppCode(string(c.AppCodes[0])) }
	q := func(c gateway.Created) func(*http.Request) {
		return withQCC(c.AppKey, string(c.AppSecret), testNow, "")
	}
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantCode   string
	}{
		{"disabled", request("POST", list, "", code(disabled)), 405, "APIG.0502"},
		{"disabled qcc", request("GET", qcc, "", q(disabled)), 200, "103"},
		{"not subscribed", request("POST", "/idphoto/make", "", code(certOnly)), 403, "APIG.0304"},
		{"expired package", request("POST", list, "", code(expired)), 405, "APIG.0501"},
		{"expired package qcc", request("GET", qcc, "", q(expired)), 200, "112"},
		{"last call", request("POST", list, "", code(one)), 200, ""},
		{"exhausted", request("POST", list, "", code(one)), 405, "APIG.0501"},
		{"exhausted qcc", request("GET", qcc, "", q(one)), 200, "112"},
		{"daily cap first", request("POST", list, "", code(capped)), 200, ""},
		{"daily cap reached", request("POST", list, "", code(capped)), 429, "APIG.0308"},
		{"daily cap reached qcc", request("GET", qcc, "", q(capped)), 200, "116"},
		{"rate first", request("POST", list, "", code(slow)), 200, ""},
		{"throttled", request("POST", list, "", code(slow)), 429, "APIG.0308"},
		{"throttled qcc", request("GET", qcc, "", q(slow)), 200, "120"},
	}
	for _, tc := range tests {
		a := serve(s.handler, tc.req)
		got := a.ErrorCode
		if strings.HasPrefix(tc.req.URL.Path, "/api/yj/") {
			got = a.Status
			if tc.wantCode == "" {
				tc.wantCode = "200"
			}
		}
		if a.status != tc.wantStatus || got != tc.wantCode {
			t.Errorf("%s: got HTTP %d code %q; want HTTP %d code %q", tc.name, a.status, got, tc.wantStatus, tc.wantCode)
		}
	}
	// Enabling again lets calls through at once (same process).
	if _, err := s.gw.Apps().SetDisabled(ctx, disabled.AppID, false); err != nil {
		t.Fatal(err)
	}
	if a := serve(s.handler, request("POST", list, "", code(disabled))); a.status != 200 {
		t.Errorf("after enable: HTTP %d %s, want 200", a.status, a.ErrorCode)
	}
	// A rotated secret stops the old one.
	_, newSecret, err := s.gw.Apps().RotateSecret(ctx, certOnly.AppID)
	if err != nil {
		t.Fatal(err)
	}
	if a := serve(s.handler, request("POST", list, "", signed(certOnly.AppKey, string(certOnly.AppSecret), testNow, nil))); a.status != 401 {
		t.Errorf("old secret after rotation: HTTP %d, want 401", a.status)
	}
	if a := serve(s.handler, request("POST", list, "", signed(certOnly.AppKey, string(newSecret), testNow, nil))); a.status != 200 {
		t.Errorf("new secret after rotation: HTTP %d %s, want 200", a.status, a.ErrorMsg)
	}
}

func TestBillingRule(t *testing.T) {
	s := newStack(t, openSQLite(t), nil)
	app := createApp(t, s.gw, gateway.NewApp{Name: "t", Packages: []gateway.PackageSpec{pkg("cert", 100)}})
	auth := withAppCode(string(app.AppCodes[0]))
	calls := []struct {
		target string
		billed bool
	}{
		{"/enterprise/certificate/list", true},
		{"/enterprise/certificate/list?code=400", false},
		{"/enterprise/certificate/list?code=500", false},
		{"/enterprise/certificate/list?code=999", false},
		{"/api/yj/ECICertification/SearchCertification", true},
		{"/api/yj/ECICertification/SearchCertification?status=201", false},
		{"/api/yj/ECICertification/SearchCertification?status=202", false},
	}
	var want int64
	for _, c := range calls {
		method := "POST"
		if strings.HasPrefix(c.target, "/api/") {
			method = "GET"
		}
		serve(s.handler, request(method, c.target, "", auth))
		if c.billed {
			want++
		}
		pkgs, err := s.gw.Apps().Packages(context.Background(), app.AppID)
		if err != nil {
			t.Fatal(err)
		}
		if pkgs[0].Used != want {
			t.Errorf("after %s: used %d, want %d", c.target, pkgs[0].Used, want)
		}
	}
}

func TestUsageRecordsAndAccount(t *testing.T) {
	st := openSQLite(t)
	s := newStack(t, st, nil)
	app := createApp(t, s.gw, gateway.NewApp{Name: "t", Packages: []gateway.PackageSpec{pkg("cert", 100), pkg("idphoto", 5)}})
	auth := withAppCode(string(app.AppCodes[0]))
	for _, target := range []string{"/enterprise/certificate/list", "/enterprise/certificate/list", "/enterprise/certificate/list?code=400"} {
		serve(s.handler, request("POST", target, "", auth))
	}
	a := serve(s.handler, request("GET", "/v1/account/usage", "", signed(app.AppKey, string(app.AppSecret), testNow, nil)))
	if a.status != 200 || a.Code != 200 {
		t.Fatalf("usage: HTTP %d code %d %s", a.status, a.Code, a.ErrorMsg)
	}
	data, _ := json.Marshal(a.Data)
	var got gateway.AccountUsage
	json.Unmarshal(data, &got)
	if got.AppID != app.AppID || len(got.Packages) != 2 {
		t.Fatalf("usage data = %s", data)
	}
	for _, p := range got.Packages {
		want := map[string][3]int64{"cert": {100, 2, 98}, "idphoto": {5, 0, 5}}[p.Product]
		if [3]int64{p.Total, p.Used, p.Remaining} != want {
			t.Errorf("%s: total/used/remaining = %d/%d/%d, want %v", p.Product, p.Total, p.Used, p.Remaining, want)
		}
	}
	if a := serve(s.handler, request("GET", "/v1/account/usage", "", withAppCode("nope"))); a.status != 401 {
		t.Errorf("usage with a bad AppCode: HTTP %d, want 401", a.status)
	}
	// Close flushes the queue; the aggregates count every call.
	if err := s.gw.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	daily, err := st.DailyUsage(context.Background(), app.AppID, "2026-01-01", "2026-12-31")
	if err != nil {
		t.Fatal(err)
	}
	var calls, billable int64
	for _, d := range daily {
		if d.Product == "cert" {
			calls, billable = d.Calls, d.Billable
		}
	}
	if calls != 3 || billable != 2 {
		t.Errorf("daily aggregate: calls %d billable %d, want 3 and 2 (%+v)", calls, billable, daily)
	}
}

// spendRace sends 500 concurrent calls, spread over the stacks, to an app
// with 50 calls left, and checks that exactly 50 succeed and the rest get
// the 'package exhausted' answer.
func spendRace(t *testing.T, stacks []*stack, n gateway.NewApp) {
	app := createApp(t, stacks[0].gw, n)
	ctx := context.Background()
	// Spend all but 50 calls first, so "50 left" is real state.
	total := n.Packages[0].Calls
	for range total - 50 {
		if a := serve(stacks[0].handler, request("POST", "/enterprise/certificate/list", "", withAppCode(string(app.AppCodes[0])))); a.status != 200 {
			t.Fatalf("warm-up call: HTTP %d %s", a.status, a.ErrorMsg)
		}
	}
	var (
		mu     sync.Mutex
		counts = map[string]int{}
		wg     sync.WaitGroup
		start  = make(chan struct{})
	)
	for i := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			a := serve(stacks[i%len(stacks)].handler, request("POST", "/enterprise/certificate/list", "", withAppCode(string(app.AppCodes[0]))))
			mu.Lock()
			counts[fmt.Sprintf("%d %s", a.status, a.ErrorCode)]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if counts["200 "] != 50 || counts["405 APIG.0501"] != 450 {
		t.Errorf("answers = %v, want 50 × 200 and 450 × 405 APIG.0501", counts)
	}
	for _, s := range stacks {
		s.gw.Close(ctx) // gives back leased calls, if any were left
	}
	pkgs, err := stacks[0].gw.Apps().Packages(ctx, app.AppID)
	if err != nil {
		t.Fatal(err)
	}
	if pkgs[0].Used != total || pkgs[0].Remaining != 0 {
		t.Errorf("package after the race: used %d remaining %d, want %d and 0", pkgs[0].Used, pkgs[0].Remaining, total)
	}
}

// leaseModes are the ways of spending: one store update per call, and
// blocks of calls leased by each process, fixed at 16 or growing with the
// traffic up to 256.
var leaseModes = []int64{1, 16, 256}

func TestSpendNeverOverspendsSQLite(t *testing.T) {
	for _, lease := range leaseModes {
		t.Run(fmt.Sprintf("lease=%d", lease), func(t *testing.T) {
			s := newStack(t, openSQLite(t), &gateway.Options{LeaseSize: lease})
			spendRace(t, []*stack{s}, gateway.NewApp{Name: "race", Packages: []gateway.PackageSpec{pkg("cert", 60)}})
		})
	}
}

func TestSpendNeverOverspendsPostgres(t *testing.T) {
	for _, lease := range leaseModes {
		t.Run(fmt.Sprintf("lease=%d", lease), func(t *testing.T) {
			st, _ := openPostgres(t)
			s := newStack(t, st, &gateway.Options{LeaseSize: lease})
			spendRace(t, []*stack{s}, gateway.NewApp{Name: "race", Packages: []gateway.PackageSpec{pkg("cert", 60)}})
		})
	}
}

// redisClient returns a client for ZHENG_TEST_REDIS, or nil when unset.
func redisClient(t testing.TB) *redis.Client {
	u := os.Getenv("ZHENG_TEST_REDIS")
	if u == "" {
		return nil
	}
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("ZHENG_TEST_REDIS: %v", err)
	}
	c := redis.NewClient(opt)
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ZHENG_TEST_REDIS: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// twoInstances builds two gateways on two store handles of one PostgreSQL
// schema, sharing Redis for rate limits when ZHENG_TEST_REDIS is set.
func twoInstances(t *testing.T, lease int64) []*stack {
	st1, dsn := openPostgres(t)
	st2, err := sqlstore.Open(context.Background(), "", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	var limiters [2]gateway.Limiter
	if rc := redisClient(t); rc != nil {
		prefix := fmt.Sprintf("zheng-test:%d:", time.Now().UnixNano())
		limiters = [2]gateway.Limiter{ratelimit.NewRedis(rc, prefix), ratelimit.NewRedis(rc, prefix)}
	}
	return []*stack{
		newStack(t, st1, &gateway.Options{Limiter: limiters[0], LeaseSize: lease}),
		newStack(t, st2, &gateway.Options{Limiter: limiters[1], LeaseSize: lease}),
	}
}

func TestSpendNeverOverspendsTwoInstances(t *testing.T) {
	for _, lease := range leaseModes {
		t.Run(fmt.Sprintf("lease=%d", lease), func(t *testing.T) {
			stacks := twoInstances(t, lease)
			// A generous rate limit: the limiter runs on every call without refusing.
			spendRace(t, stacks, gateway.NewApp{Name: "race", Packages: []gateway.PackageSpec{pkg("cert", 60)}, QPS: 1e6, Burst: 1e6})
		})
	}
}

func TestRateLimitSharedByTwoInstances(t *testing.T) {
	if os.Getenv("ZHENG_TEST_REDIS") == "" {
		t.Skip("ZHENG_TEST_REDIS not set")
	}
	stacks := twoInstances(t, 1)
	app := createApp(t, stacks[0].gw, gateway.NewApp{Name: "slow", Packages: []gateway.PackageSpec{pkg("cert", 1000)}, QPS: 0.001, Burst: 5})
	ok := 0
	for i := range 20 {
		a := serve(stacks[i%2].handler, request("POST", "/enterprise/certificate/list", "", withAppCode(string(app.AppCodes[0]))))
		switch {
		case a.status == 200:
			ok++
		case a.status != 429 || a.ErrorCode != "APIG.0308":
			t.Fatalf("call %d: HTTP %d %s, want 200 or 429 APIG.0308", i, a.status, a.ErrorCode)
		}
	}
	if ok != 5 {
		t.Errorf("%d calls admitted across two instances, want the burst of 5", ok)
	}
}

func TestSignedBodyTooLarge(t *testing.T) {
	s := newStack(t, openSQLite(t), &gateway.Options{MaxSignedBody: 10})
	app := createApp(t, s.gw, gateway.NewApp{Name: "t", Packages: []gateway.PackageSpec{pkg("cert", 10)}})
	for _, tc := range []struct {
		body       string
		wantStatus int
	}{{"keyword=ab", 200}, {"keyword=abc", 413}} {
		a := serve(s.handler, request("POST", "/enterprise/certificate/list", tc.body, signed(app.AppKey, string(app.AppSecret), testNow, nil)))
		if a.status != tc.wantStatus || (tc.wantStatus == 413 && a.ErrorCode != "APIG.0201") {
			t.Errorf("body of %d bytes: HTTP %d %s, want %d", len(tc.body), a.status, a.ErrorCode, tc.wantStatus)
		}
	}
}

// stuckUsage is a store whose usage writes wait for release.
type stuckUsage struct {
	gateway.Store
	release chan struct{}
}

func (s stuckUsage) WriteUsage(ctx context.Context, recs []gateway.Usage) error {
	<-s.release
	return s.Store.WriteUsage(ctx, recs)
}

func TestUsageQueueFullDropsRecordsNotCalls(t *testing.T) {
	st := stuckUsage{Store: openSQLite(t), release: make(chan struct{})}
	s := newStack(t, st, &gateway.Options{UsageQueue: 2, UsageBatch: 1})
	app := createApp(t, s.gw, gateway.NewApp{Name: "t", Packages: []gateway.PackageSpec{pkg("cert", 100)}})
	for i := range 10 {
		if a := serve(s.handler, request("POST", "/enterprise/certificate/list", "", withAppCode(string(app.AppCodes[0])))); a.status != 200 {
			t.Fatalf("call %d with a full usage queue: HTTP %d", i, a.status)
		}
	}
	// At most one buffer's worth (2) in the stuck writer and two more
	// buffered: the rest are lost.
	if lost := s.gw.UsageLost(); lost < 6 {
		t.Errorf("UsageLost = %d, want at least 6 of 10", lost)
	}
	close(st.release)
	if err := s.gw.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	pkgs, _ := s.gw.Apps().Packages(context.Background(), app.AppID)
	if pkgs[0].Used != 10 {
		t.Errorf("used = %d, want 10: spend does not depend on the usage queue", pkgs[0].Used)
	}
}

func TestLeasedSpending(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, openSQLite(t), &gateway.Options{LeaseSize: 16})
	mk := func(n gateway.NewApp) gateway.Created { return createApp(t, s.gw, n) }
	three := mk(gateway.NewApp{Name: "three", Packages: []gateway.PackageSpec{pkg("cert", 3)}})
	capped := mk(gateway.NewApp{Name: "capped", Packages: []gateway.PackageSpec{{Product: "cert", Calls: 100, DailyCap: 2}}})
	many := mk(gateway.NewApp{Name: "many", Packages: []gateway.PackageSpec{pkg("cert", 100)}})
	code := func(c gateway.Created) func(*http.Request) { return withAppCode(string(c.AppCodes[0])) }
	const list = "/enterprise/certificate/list"
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
	}{
		{"1 of 3", request("POST", list, "", code(three)), 200},
		{"free answer", request("POST", list+"?code=400", "", code(three)), 200},
		{"2 of 3", request("POST", list, "", code(three)), 200},
		{"3 of 3", request("POST", list, "", code(three)), 200},
		{"exhausted", request("POST", list, "", code(three)), 405},
		{"1 of cap 2", request("POST", list, "", code(capped)), 200},
		{"2 of cap 2", request("POST", list, "", code(capped)), 200},
		{"cap reached", request("POST", list, "", code(capped)), 429},
		{"many 1", request("POST", list, "", code(many)), 200},
		{"many free", request("POST", list+"?code=500", "", code(many)), 200},
		{"many 2", request("POST", list, "", code(many)), 200},
	}
	for _, tc := range tests {
		if a := serve(s.handler, tc.req); a.status != tc.wantStatus {
			t.Errorf("%s: HTTP %d %s, want %d", tc.name, a.status, a.ErrorCode, tc.wantStatus)
		}
	}
	// The account view counts served calls, not the leased block.
	a := serve(s.handler, request("GET", "/v1/account/usage", "", code(many)))
	data, _ := json.Marshal(a.Data)
	var u gateway.AccountUsage
	json.Unmarshal(data, &u)
	if len(u.Packages) != 1 || u.Packages[0].Used != 2 || u.Packages[0].Remaining != 98 {
		t.Errorf("account usage with a lease: %s", data)
	}
	pkgs, _ := s.gw.Apps().Packages(ctx, many.AppID)
	if pkgs[0].Used != 16 {
		t.Errorf("store used while leasing = %d, want the block of 16", pkgs[0].Used)
	}
	if err := s.gw.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		app  gateway.Created
		used int64
	}{{three, 3}, {capped, 2}, {many, 2}} {
		pkgs, _ := s.gw.Apps().Packages(ctx, c.app.AppID)
		if pkgs[0].Used != c.used {
			t.Errorf("%s after Close: used %d, want %d", c.app.Name, pkgs[0].Used, c.used)
		}
	}
}

// TestLeaseRefillsFollowTopups: refills keep charging the package they
// chose without re-reading the packages, until the packages change; a
// top-up expiring first is then charged first.
func TestLeaseRefillsFollowTopups(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		// topup adds the package that expires first, through this
		// gateway or through another process's Apps.
		topup    func(s *stack, appID string, spec gateway.PackageSpec)
		cacheTTL time.Duration
	}{
		{"through the gateway", func(s *stack, appID string, spec gateway.PackageSpec) {
			if _, err := s.gw.Apps().Topup(ctx, appID, spec); err != nil {
				t.Fatal(err)
			}
		}, 0},
		{"by another process, choice not reused", func(s *stack, appID string, spec gateway.PackageSpec) {
			other := gateway.NewApps(s.store, testKeys(t), func() time.Time { return testNow })
			if _, err := other.Topup(ctx, appID, spec); err != nil {
				t.Fatal(err)
			}
		}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t, openSQLite(t), &gateway.Options{LeaseSize: 16, CacheTTL: tc.cacheTTL})
			app := createApp(t, s.gw, gateway.NewApp{Name: "a", Packages: []gateway.PackageSpec{pkg("cert", 100)}})
			call := func(n int) {
				for range n {
					if a := serve(s.handler, request("POST", "/enterprise/certificate/list", "", withAppCode(string(app.AppCodes[0])))); a.status != 200 {
						t.Fatalf("HTTP %d %s", a.status, a.ErrorCode)
					}
				}
			}
			call(20) // from package A, in blocks
			tc.topup(s, app.AppID, gateway.PackageSpec{Product: "cert", Calls: 10, ExpiresAt: testNow.Add(24 * time.Hour)})
			call(16) // what the lease holds of A, then a refill
			if err := s.gw.Close(ctx); err != nil {
				t.Fatal(err)
			}
			pkgs, _ := s.gw.Apps().Packages(ctx, app.AppID)
			// Ordered by expiry: B (the top-up) first.
			if len(pkgs) != 2 || pkgs[0].Used+pkgs[1].Used != 36 || pkgs[0].Used == 0 {
				t.Errorf("used A %d, B %d; want 36 in all, some of B: the refill after the top-up charges the new package", pkgs[1].Used, pkgs[0].Used)
			}
		})
	}
}

// TestLeaseHoldsAtMostItsSize: however calls go (served one by one, or
// many at once with free answers refunded into the lease while it is
// refilled or topped up), a gateway never holds more unserved calls than
// the lease size, and after Close the store counts exactly the billable
// calls.
func TestLeaseHoldsAtMostItsSize(t *testing.T) {
	ctx := context.Background()
	const size = 16
	s := newStack(t, openSQLite(t), &gateway.Options{LeaseSize: size})
	app := createApp(t, s.gw, gateway.NewApp{Name: "a", Packages: []gateway.PackageSpec{pkg("cert", 100000)}})
	code := withAppCode(string(app.AppCodes[0]))
	used := func() int64 {
		pkgs, err := s.store.Packages(ctx, app.AppID)
		if err != nil {
			t.Fatal(err)
		}
		return pkgs[0].Used
	}
	for served := int64(1); served <= 3*size; served++ {
		if a := serve(s.handler, request("POST", "/enterprise/certificate/list", "", code)); a.status != 200 {
			t.Fatalf("call %d: HTTP %d", served, a.status)
		}
		if held := used() - served; held < 0 || held > size {
			t.Fatalf("after %d calls the store counts %d: %d held, want 0 to %d", served, used(), held, size)
		}
	}
	var wg sync.WaitGroup
	var billable atomic.Int64
	billable.Store(3 * size)
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := "/enterprise/certificate/list"
			if i%3 == 0 {
				target += "?code=400" // free: refunded into the lease
			} else {
				billable.Add(1)
			}
			if a := serve(s.handler, request("POST", target, "", code)); a.status != 200 {
				t.Errorf("HTTP %d", a.status)
			}
		}()
	}
	wg.Wait()
	if held := used() - billable.Load(); held < 0 || held > size {
		t.Errorf("after the burst the store counts %d for %d billable calls: %d held, want 0 to %d", used(), billable.Load(), held, size)
	}
	if err := s.gw.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := used(); got != billable.Load() {
		t.Errorf("after Close the store counts %d, want the %d billable calls", got, billable.Load())
	}
}

// TestLeaseFollowsTraffic: calls coming fast make the lease reserve larger
// blocks, up to LeaseSize; calls coming slowly keep it at 16, or bring it
// back there, so that a quiet app has few of its calls counted ahead of use.
func TestLeaseFollowsTraffic(t *testing.T) {
	ctx := context.Background()
	const size = 256
	type phase struct {
		calls int64
		step  time.Duration // clock advance per call
	}
	for _, tc := range []struct {
		name     string
		phases   []phase
		minHeld  int64 // calls counted ahead of use at some point, at least
		mostHeld int64 // at any point, at most
		endHeld  int64 // at the end, at most
	}{
		{"busy", []phase{{1000, 0}}, 129, size, size},
		{"quiet", []phase{{1000, time.Second}}, 1, 16, 16},
		{"busy, then quiet", []phase{{1000, 0}, {600, time.Second}}, 129, size, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var clock atomic.Int64
			clock.Store(testNow.UnixNano())
			now := func() time.Time { return time.Unix(0, clock.Load()) }
			s := newStack(t, openSQLite(t), &gateway.Options{LeaseSize: size, Now: now})
			app := createApp(t, s.gw, gateway.NewApp{Name: "a", Packages: []gateway.PackageSpec{pkg("cert", 100000)}})
			code := withAppCode(string(app.AppCodes[0]))
			var served, held, most int64
			for _, ph := range tc.phases {
				for range ph.calls {
					if a := serve(s.handler, request("POST", "/enterprise/certificate/list", "", code)); a.status != 200 {
						t.Fatalf("call %d: HTTP %d", served+1, a.status)
					}
					served++
					pkgs, err := s.store.Packages(ctx, app.AppID)
					if err != nil {
						t.Fatal(err)
					}
					held = pkgs[0].Used - served
					if held < 0 || held > tc.mostHeld {
						t.Fatalf("after %d calls the store counts %d: %d held, want 0 to %d", served, pkgs[0].Used, held, tc.mostHeld)
					}
					most = max(most, held)
					clock.Add(int64(ph.step))
				}
			}
			if most < tc.minHeld {
				t.Errorf("at most %d calls held, want the lease to reach at least %d", most, tc.minHeld)
			}
			if held > tc.endHeld {
				t.Errorf("%d calls held at the end, want at most %d", held, tc.endHeld)
			}
		})
	}
}
