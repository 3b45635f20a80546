package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zhengapi/zheng/apig"
	"github.com/zhengapi/zheng/internal/gateway"
	"github.com/zhengapi/zheng/internal/server"
)

// sharedVectors reads ../shared/testdata/auth/vectors.json relative to the
// repository root, or skips when the folder is absent.
func sharedVectors(t *testing.T) map[string]json.RawMessage {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("repository root not found")
		}
		dir = parent
	}
	data, err := os.ReadFile(filepath.Join(dir, "..", "shared", "testdata", "auth", "vectors.json"))
	if err != nil {
		t.Skipf("shared test vectors absent: %v", err)
	}
	var v map[string]json.RawMessage
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

type header struct{ Name, Value string }

// wireRequest is one request as an official signer put it on the wire.
type wireRequest struct {
	id, method, target, body, key, secret, date string
	headers                                     []header
}

func loadWireRequests(t *testing.T) []wireRequest {
	v := sharedVectors(t)
	var out []wireRequest
	var main []struct {
		ID, Method, Body, AppKey, AppSecret, XSdkDate string
		Wire                                          struct {
			RequestTarget string
			Headers       []header
		}
	}
	if err := json.Unmarshal(v["apigSdkHmacSha256"], &main); err != nil {
		t.Fatal(err)
	}
	for _, m := range main {
		out = append(out, wireRequest{m.ID, m.Method, m.Wire.RequestTarget, m.Body, m.AppKey, m.AppSecret, m.XSdkDate, m.Wire.Headers})
	}
	var gov3 []struct {
		ID, Method, URL, Body, AppKey, AppSecret, XSdkDate string
		HeadersGiven, HeadersAddedBySigner                 []header
	}
	if err := json.Unmarshal(v["goV3CoreSignerVariants"], &gov3); err != nil {
		t.Fatal(err)
	}
	for _, m := range gov3 {
		u, err := url.Parse(m.URL)
		if err != nil {
			t.Fatal(err)
		}
		hs := append(append([]header{}, m.HeadersGiven...), m.HeadersAddedBySigner...)
		out = append(out, wireRequest{m.ID, m.Method, u.RequestURI(), m.Body, m.AppKey, m.AppSecret, m.XSdkDate, hs})
	}
	var cross []struct {
		ID, Method, WireRequestTarget, Body, AppKey, AppSecret, XSdkDate, Authorization string
		HeadersSent                                                                     []header
	}
	if err := json.Unmarshal(v["crossSdkVariants"], &cross); err != nil {
		t.Fatal(err)
	}
	for _, m := range cross {
		hs := append(append([]header{}, m.HeadersSent...), header{"Authorization", m.Authorization})
		out = append(out, wireRequest{m.ID, m.Method, m.WireRequestTarget, m.Body, m.AppKey, m.AppSecret, m.XSdkDate, hs})
	}
	if len(out) == 0 {
		t.Fatal("no vectors")
	}
	return out
}

func (w wireRequest) request() *http.Request {
	r := httptest.NewRequest(w.method, "http://placeholder.test/", strings.NewReader(w.body))
	r.RequestURI = w.target
	r.URL, _ = url.ParseRequestURI(w.target)
	r.Header = http.Header{}
	for _, h := range w.headers {
		if strings.EqualFold(h.Name, "Host") {
			r.Host = h.Value
			continue
		}
		r.Header.Add(h.Name, h.Value)
	}
	return r
}

// TestOfficialVectorsThroughGateway sends every request made by the
// official signing SDKs through the gateway (catch-all route), with the
// clock at the vector's signing time: each is admitted, and a changed byte
// anywhere signed is refused with 401 APIG.0303.
func TestOfficialVectorsThroughGateway(t *testing.T) {
	reqs := loadWireRequests(t)
	st := openSQLite(t)
	keys := testKeys(t)
	var now time.Time
	gw := gateway.New(st, keys, &gateway.Options{Now: func() time.Time { return now }, CacheTTL: -1})
	t.Cleanup(func() { gw.Close(context.Background()) })
	srv := server.New(server.Config{}, slog.New(slog.DiscardHandler))
	srv.Handle("/", gw.Wrap("cert", http.HandlerFunc(jumeiStub)))
	h := srv.Handler()

	ctx := context.Background()
	seen := map[string]bool{}
	for i, w := range reqs {
		if seen[w.key] {
			continue
		}
		seen[w.key] = true
		id := "vec" + string(rune('a'+i))
		app := gateway.App{ID: id, Name: id, AppKey: w.key, CreatedAt: time.Unix(0, 0), SealedSecret: keys.Seal(id, gateway.Secret(w.secret))}
		pkgs := []gateway.Package{{AppID: id, Product: "cert", Total: 1000, ExpiresAt: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}}
		if err := st.CreateApp(ctx, app, nil, pkgs); err != nil {
			t.Fatal(err)
		}
	}

	type mutation struct {
		name  string
		apply func(*http.Request)
	}
	for _, w := range reqs {
		t.Run(w.id, func(t *testing.T) {
			date, err := apig.ParseDate(w.date)
			if err != nil {
				t.Fatal(err)
			}
			now = date.Add(5 * time.Minute)
			if a := serve(h, w.request()); a.status != 200 {
				t.Fatalf("official request refused: HTTP %d %s %s", a.status, a.ErrorCode, a.ErrorMsg)
			}
			auth, err := apig.ParseAuthorization(w.request().Header.Get("Authorization"))
			if err != nil {
				t.Fatal(err)
			}
			muts := []mutation{
				{"method", func(r *http.Request) {
					r.Method = map[string]string{"GET": "HEAD", "POST": "PUT", "PUT": "POST"}[r.Method]
				}},
				{"path", func(r *http.Request) {
					p, q, _ := strings.Cut(r.RequestURI, "?")
					r.RequestURI = p + "x"
					if q != "" {
						r.RequestURI += "?" + q
					}
				}},
				{"query", func(r *http.Request) {
					if strings.Contains(r.RequestURI, "?") {
						r.RequestURI += "0"
					} else {
						r.RequestURI += "?z=1"
					}
				}},
				{"date", func(r *http.Request) { r.Header.Set("X-Sdk-Date", apig.FormatDate(date.Add(time.Second))) }},
				{"signature", func(r *http.Request) {
					a := auth
					a.Signature = strings.Repeat("0", 64)
					r.Header.Set("Authorization", a.String())
				}},
			}
			if w.body != "" && !strings.Contains(strings.Join(auth.SignedHeaders, ";"), "x-sdk-content-sha256") {
				muts = append(muts, mutation{"body", func(r *http.Request) {
					r.Body = io.NopCloser(strings.NewReader(w.body + " "))
				}})
			}
			for _, name := range auth.SignedHeaders {
				if name == "x-sdk-date" {
					continue
				}
				muts = append(muts, mutation{"header " + name, func(r *http.Request) {
					if name == "host" {
						r.Host += "x"
						return
					}
					r.Header.Set(name, r.Header.Get(name)+"x")
				}})
			}
			for _, m := range muts {
				r := w.request()
				m.apply(r)
				if a := serve(h, r); a.status != 401 || a.ErrorCode != "APIG.0303" {
					t.Errorf("changed %s: HTTP %d %s, want 401 APIG.0303", m.name, a.status, a.ErrorCode)
				}
			}
			now = date.Add(16 * time.Minute)
			if a := serve(h, w.request()); a.status != 401 || !strings.Contains(a.ErrorMsg, "signature expired") {
				t.Errorf("16 minutes later: HTTP %d %s, want 401 signature expired", a.status, a.ErrorMsg)
			}
		})
	}
}

func TestQCCVectorsThroughGateway(t *testing.T) {
	v := sharedVectors(t)
	var vecs []struct{ Key, Timespan, SecretKey, Token string }
	if err := json.Unmarshal(v["qccToken"], &vecs); err != nil {
		t.Fatal(err)
	}
	st := openSQLite(t)
	keys := testKeys(t)
	var now time.Time
	gw := gateway.New(st, keys, &gateway.Options{Now: func() time.Time { return now }, CacheTTL: -1})
	t.Cleanup(func() { gw.Close(context.Background()) })
	srv := server.New(server.Config{}, slog.New(slog.DiscardHandler))
	srv.Handle("GET /api/yj/ECICertification/SearchCertification", gw.Wrap("cert", http.HandlerFunc(qccStub)))
	h := srv.Handler()
	for i, vec := range vecs {
		id := "qcc" + string(rune('a'+i))
		app := gateway.App{ID: id, Name: id, AppKey: vec.Key, CreatedAt: time.Unix(0, 0), SealedSecret: keys.Seal(id, gateway.Secret(vec.SecretKey))}
		pkgs := []gateway.Package{{AppID: id, Product: "cert", Total: 10, ExpiresAt: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}}
		if err := st.CreateApp(context.Background(), app, nil, pkgs); err != nil {
			t.Fatalf("vector %d: %v", i, err)
		}
		ts, err := strconv.ParseInt(vec.Timespan, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		now = time.Unix(ts, 0)
		flipped := vec.Token[:31] + map[bool]string{true: "1", false: "0"}[vec.Token[31] == '0']
		for _, tc := range []struct {
			token, want string
		}{{vec.Token, "200"}, {strings.ToLower(vec.Token), "200"}, {flipped, "115"}} {
			r := request("GET", "/api/yj/ECICertification/SearchCertification?searchKey=x&key="+url.QueryEscape(vec.Key), "", nil)
			r.Header.Set("Timespan", vec.Timespan)
			r.Header.Set("Token", tc.token)
			if a := serve(h, r); a.Status != tc.want {
				t.Errorf("vector %d token %s: Status %q %s, want %s", i, tc.token, a.Status, a.Message, tc.want)
			}
		}
	}
}
