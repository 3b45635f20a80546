package gateway

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zhengapi/zheng/apig"
)

// TestVerifySignatureAgreesWithAPIG: the gateway's fast signature check
// accepts exactly what apig.VerifyAuth accepts on its first try, with the
// same UNSIGNED-PAYLOAD flag, and leaves everything else to VerifyAuth.
func TestVerifySignatureAgreesWithAPIG(t *testing.T) {
	const key, secret = "0123456789abcdef0123456789abcdef", "s3cr3t0123456789abcdef0123456789abcdef01"
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	keys, _ := NewKeyring(make([]byte, 32))
	g := New(oneApp{app: App{ID: "a", AppKey: key, SealedSecret: keys.Seal("a", secret)}}, keys, &Options{Now: func() time.Time { return now }})
	defer g.Close(t.Context())
	c, err := g.lookupKey(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}

	// wire signs a request, lets edit change it, and returns it as a
	// server receives it (parsed from the wire) with its body.
	wire := func(method, target, body string, signedAt time.Time, prep, edit func(*http.Request)) (*http.Request, string) {
		r, _ := http.NewRequest(method, "http://api.example.com"+target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if prep != nil {
			prep(r)
		}
		if err := apig.Sign(r, key, secret, signedAt); err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(r)
		}
		var b strings.Builder
		b.WriteString(method + " " + r.URL.RequestURI() + " HTTP/1.1\r\nHost: api.example.com\r\n")
		for name, vals := range r.Header {
			for _, v := range vals {
				b.WriteString(name + ": " + v + "\r\n")
			}
		}
		b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
		got, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String())))
		if err != nil {
			t.Fatal(err)
		}
		return got, body
	}
	set := func(name, value string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set(name, value) }
	}
	tests := []struct {
		name     string
		r        *http.Request
		body     string
		wantFast bool // accepted without VerifyAuth
	}{}
	add := func(name string, wantFast bool, r *http.Request, body string) {
		tests = append(tests, struct {
			name     string
			r        *http.Request
			body     string
			wantFast bool
		}{name, r, body, wantFast})
	}
	r, b := wire("POST", "/enterprise/certificate/detail", "id=42", now, nil, nil)
	add("form post", true, r, b)
	r, b = wire("GET", "/api/yj/x?b=2&a=1&c=%E4%B8%AD", "", now.Add(-14*time.Minute), nil, nil)
	add("query, 14 minutes old", true, r, b)
	r, b = wire("POST", "/p", "x", now, set(apig.HeaderContentSHA256, apig.UnsignedPayload), nil)
	add("unsigned payload", true, r, b)
	r, b = wire("POST", "/p", "x", now, set(apig.HeaderContentSHA256, strings.ToUpper(apig.HashPayload([]byte("x")))), nil)
	add("signed content hash", true, r, b)
	r, b = wire("POST", "/p", "x", now, set(apig.HeaderContentSHA256, apig.HashPayload([]byte("y"))), nil)
	add("content hash of another body", false, r, b)
	r, b = wire("POST", "/p", "id=42", now, nil, nil)
	add("body changed", false, r, "id=43")
	r, b = wire("POST", "/p", "", now.Add(-16*time.Minute), nil, nil)
	add("expired", false, r, b)
	r, b = wire("POST", "/p", "", now.Add(16*time.Minute), nil, nil)
	add("from the future", false, r, b)
	r, b = wire("POST", "/p", "", now, nil, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") })
	add("signed header changed", false, r, b)
	r, b = wire("POST", "/p", "", now, nil, func(r *http.Request) {
		auth := r.Header.Get("Authorization")
		flip := "0"
		if strings.HasSuffix(auth, "0") {
			flip = "1"
		}
		r.Header.Set("Authorization", auth[:len(auth)-1]+flip)
	})
	add("signature changed", false, r, b)
	r, b = wire("POST", "/p", "", now, nil, func(r *http.Request) { r.Header.Add(apig.HeaderDate, apig.FormatDate(now)) })
	add("two dates", false, r, b)
	r, b = wire("GET", "/q?k=a%20b", "", now, nil, func(r *http.Request) { r.URL.RawQuery = "k=a+b" })
	add("plus for a space", false, r, b)

	for _, tc := range tests {
		a, err := apig.ParseAuthorization(tc.r.Header.Get("Authorization"))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		unsigned, fast := c.verifySignature(tc.r, []byte(tc.body), a, now, 0)
		res, err := apig.VerifyAuth(tc.r, []byte(tc.body), a, secret, now, 0)
		if fast != tc.wantFast {
			t.Errorf("%s: fast path %v, want %v (VerifyAuth: %v)", tc.name, fast, tc.wantFast, err)
		}
		if fast && (err != nil || res.PlusAsSpace || unsigned != res.UnsignedPayload) {
			t.Errorf("%s: fast path accepted (unsigned %v), VerifyAuth: %+v, %v", tc.name, unsigned, res, err)
		}
	}
}

// TestVerifyTokenAgreesWithAPIG: the gateway's fast 企查查 Token check
// accepts only what apig.VerifyQCC accepts, and every ordinary valid token.
func TestVerifyTokenAgreesWithAPIG(t *testing.T) {
	const key, secret = "0123456789abcdef0123456789abcdef", "s3cr3t0123456789abcdef0123456789abcdef01"
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	ts := apig.QCCTimespan(now)
	good := apig.QCCToken(key, ts, secret)
	old := apig.QCCTimespan(now.Add(-14 * time.Minute))
	for _, tc := range []struct {
		name          string
		ts, token     string
		wantFast      bool
		wantAPIGAgree bool // VerifyQCC accepts
	}{
		{"valid", ts, good, true, true},
		{"lower case", ts, strings.ToLower(good), true, true},
		{"14 minutes old", old, apig.QCCToken(key, old, secret), true, true},
		{"expired", apig.QCCTimespan(now.Add(-16 * time.Minute)), apig.QCCToken(key, apig.QCCTimespan(now.Add(-16*time.Minute)), secret), false, false},
		{"from the future", apig.QCCTimespan(now.Add(16 * time.Minute)), apig.QCCToken(key, apig.QCCTimespan(now.Add(16*time.Minute)), secret), false, false},
		{"other timespan", apig.QCCTimespan(now.Add(time.Second)), good, false, false},
		{"wrong token", ts, strings.Repeat("A", 32), false, false},
		{"short token", ts, good[:31], false, false},
		{"no token", ts, "", false, false},
		{"no timespan", "", good, false, false},
		{"timespan not a number", "12ab", good, false, false},
	} {
		fast := verifyToken(key, tc.ts, tc.token, secret, now, 0)
		err := apig.VerifyQCC(key, tc.ts, tc.token, secret, now, 0)
		if fast != tc.wantFast || (err == nil) != tc.wantAPIGAgree {
			t.Errorf("%s: fast %v, VerifyQCC %v; want fast %v, VerifyQCC accepting %v", tc.name, fast, err, tc.wantFast, tc.wantAPIGAgree)
		}
	}
}
