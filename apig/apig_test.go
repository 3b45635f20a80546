package apig

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// mutateByte returns c changed to a different byte of the same class, so
// the change cannot be undone by percent-decoding or case folding: a hex
// digit becomes a hex digit of another value, a letter another letter.
func mutateByte(c byte) (byte, bool) {
	switch {
	case c == '9':
		return '8', true
	case c == 'f' || c == 'F' || c == 'z' || c == 'Z':
		return c - 1, true
	case '0' <= c && c <= '8', 'a' <= c && c <= 'y', 'A' <= c && c <= 'Y':
		return c + 1, true
	}
	return 0, false
}

// mutations returns copies of c with one alphanumeric byte changed in a
// signed part: method, path, query, each signed header value, the date, the
// body (unless unsigned) and the signature.
func mutations(t *testing.T, c wireCase) map[string]wireCase {
	t.Helper()
	a, err := ParseAuthorization(c.header("Authorization"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]wireCase{}
	each := func(part, s string, set func(wireCase, string) wireCase) {
		for i := 0; i < len(s); i++ {
			m, ok := mutateByte(s[i])
			if !ok {
				continue
			}
			b := []byte(s)
			b[i] = m
			out[part+"@"+string(rune('0'+i%10))+":"+string(b)] = set(c, string(b))
		}
	}
	each("method", c.method, func(w wireCase, s string) wireCase { w.method = s; return w })
	each("target", c.target, func(w wireCase, s string) wireCase { w.target = s; return w })
	unsigned := false
	for hi, h := range c.headers {
		name := strings.ToLower(h.Name)
		if !slices.Contains(a.SignedHeaders, name) {
			continue
		}
		if name == "x-sdk-content-sha256" && h.Value == UnsignedPayload {
			unsigned = true
			continue
		}
		each("header "+name, h.Value, func(w wireCase, s string) wireCase {
			w.headers = slices.Clone(w.headers)
			w.headers[hi].Value = s
			return w
		})
	}
	if !unsigned {
		each("body", c.body, func(w wireCase, s string) wireCase { w.body = s; return w })
	}
	for hi, h := range c.headers {
		if h.Name == "Authorization" {
			sig := a.Signature
			each("signature", sig, func(w wireCase, s string) wireCase {
				w.headers = slices.Clone(w.headers)
				w.headers[hi].Value = strings.Replace(h.Value, "Signature="+sig, "Signature="+s, 1)
				return w
			})
		}
	}
	return out
}

func checkMutationsFail(t *testing.T, c wireCase) {
	n := 0
	for name, m := range mutations(t, c) {
		r, body := m.request(t)
		_, err := Verify(r, body, c.secret, time.Time{}, NoTimeCheck)
		if err == nil {
			t.Errorf("%s: mutated %s: Verify succeeded, want an error", c.id, name)
			continue
		}
		if !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: mutated %s: Verify error %v, want ErrBadSignature or ErrMalformed", c.id, name, err)
		}
		n++
	}
	if n < 50 {
		t.Errorf("%s: only %d mutations checked", c.id, n)
	}
	// The secret is signed too.
	r, body := c.request(t)
	if _, err := Verify(r, body, c.secret+"x", time.Time{}, NoTimeCheck); !errors.Is(err, ErrBadSignature) {
		t.Errorf("%s: wrong secret: %v, want ErrBadSignature", c.id, err)
	}
}

func TestMutationsFailOwnVectors(t *testing.T) {
	for _, c := range ownCases {
		t.Run(c.id, func(t *testing.T) { checkMutationsFail(t, c) })
	}
}

func TestMutationsFailSharedVectors(t *testing.T) {
	for _, c := range sharedVectors(t) {
		t.Run(c.id, func(t *testing.T) { checkMutationsFail(t, c) })
	}
}

// TestSignReproducesVectors signs the vectors' requests with Sign and expects
// the official Authorization wherever Sign's choice of headers (all given
// ones plus host) is the one the vector signed.
func TestSignReproducesVectors(t *testing.T) {
	cases := append(slices.Clone(ownCases), sharedVectorsOrNil(t)...)
	checked := 0
	for _, c := range cases {
		a, _ := ParseAuthorization(c.header("Authorization"))
		host := c.header("Host")
		var names []string
		for _, h := range c.headers {
			if h.Name != "Authorization" {
				names = append(names, strings.ToLower(h.Name))
			}
		}
		slices.Sort(names)
		names = slices.Compact(names)
		if !slices.Equal(names, a.SignedHeaders) || strings.Contains(c.target, "+") {
			continue // Sign would sign another header set or rewrite "+"
		}
		req, err := http.NewRequest(c.method, "http://"+host+c.target, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if c.body == "" {
			req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
		}
		for _, h := range c.headers {
			switch h.Name {
			case "Authorization", "Host", "X-Sdk-Date":
			default:
				req.Header.Add(h.Name, h.Value)
			}
		}
		date, _ := ParseDate(c.header("X-Sdk-Date"))
		if err := Sign(req, a.Access, c.secret, date); err != nil {
			t.Fatalf("%s: Sign: %v", c.id, err)
		}
		if got, want := req.Header.Get("Authorization"), c.header("Authorization"); got != want {
			t.Errorf("%s: Sign set Authorization\n got %s\nwant %s", c.id, got, want)
		}
		checked++
	}
	t.Logf("%d of %d vectors signed identically", checked, len(cases))
	if checked < 2 {
		t.Errorf("only %d vectors checked", checked)
	}
}

// sharedVectorsOrNil returns the shared vectors, or none when absent.
func sharedVectorsOrNil(t *testing.T) []wireCase {
	var out []wireCase
	ok := t.Run("load", func(t *testing.T) { out = sharedVectors(t) })
	if !ok {
		t.Fatal("loading shared vectors failed")
	}
	return out
}

// TestSignVerifyRoundTrip sends signed requests through a real HTTP server
// and verifies them there, as the gateway does.
func TestSignVerifyRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC)
	type seen struct {
		res Result
		err error
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		res, err := Verify(r, body, "s3cret", now.Add(time.Minute), DefaultSkew)
		got <- seen{res, err}
	}))
	defer srv.Close()

	tests := []struct {
		name, method, path, body string
		header                   http.Header
	}{
		{"get-query", "GET", "/jumei/cert/list?keyword=%E5%8D%8E%E4%B8%BA&pageNo=1&pageSize=10", "", nil},
		{"space-as-plus", "GET", "/ECICertification/SearchCertification?searchKey=a+b&key=k1", "", nil},
		{"reserved-path", "GET", "/v1/a%2Fb/my%20doc:v1/", "", nil},
		{"post-json", "POST", "/idphoto/make?x=1", `{"spec":"1"}`, http.Header{"Content-Type": {"application/json"}}},
		{"repeated-header", "DELETE", "/v1/x", "", http.Header{"X-Custom": {"b", "a"}}},
		{"unsigned-payload", "PUT", "/v1/blob", "payload", http.Header{HeaderContentSHA256: {UnsignedPayload}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range tt.header {
				req.Header[k] = vs
			}
			if err := Sign(req, "key1", "s3cret", now); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			s := <-got
			if s.err != nil {
				t.Fatalf("server Verify: %v\ncanonical request:\n%s", s.err, s.res.CanonicalRequest)
			}
			if !slices.Contains(s.res.Auth.SignedHeaders, "host") {
				t.Errorf("host not signed: %v", s.res.Auth.SignedHeaders)
			}
			if s.res.UnsignedPayload != (tt.name == "unsigned-payload") {
				t.Errorf("UnsignedPayload = %v", s.res.UnsignedPayload)
			}
		})
	}
}

func TestSignKeepsBodyReadable(t *testing.T) {
	req, _ := http.NewRequest("POST", "http://h/p", io.NopCloser(bytes.NewReader([]byte("abc"))))
	if err := Sign(req, "k", "s", time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(req.Body)
	if string(b) != "abc" {
		t.Errorf("body after Sign = %q, want %q", b, "abc")
	}
	if req.Header.Get(HeaderDate) != "19700101T000000Z" {
		t.Errorf("X-Sdk-Date = %q", req.Header.Get(HeaderDate))
	}
}

func TestVerifyRefusals(t *testing.T) {
	base := ownCases[0]
	with := func(name, value string) wireCase {
		c := base
		c.headers = nil
		for _, h := range base.headers {
			if h.Name == name {
				if value == "" {
					continue
				}
				h.Value = value
			}
			c.headers = append(c.headers, h)
		}
		return c
	}
	auth := base.header("Authorization")
	tests := []struct {
		name string
		c    wireCase
		want error
	}{
		{"no authorization", with("Authorization", ""), ErrNoCredentials},
		{"no date header", with("X-Sdk-Date", ""), ErrMalformed},
		{"bad date", with("X-Sdk-Date", "2019-11-15T03:36:55Z"), ErrMalformed},
		{"date not signed", with("Authorization", strings.Replace(auth, "content-type;host;x-sdk-date", "content-type;host", 1)), ErrMalformed},
		{"signed header absent", with("Content-Type", ""), ErrMalformed},
		{"other algorithm", with("Authorization", strings.Replace(auth, "SDK-HMAC-SHA256", "SDK-HMAC-SM3", 1)), ErrMalformed},
		{"bad escape", func() wireCase { c := base; c.target = "/v1/x?a=%zz"; return c }(), ErrMalformed},
		{"extra header signed", with("Authorization", strings.Replace(auth, "content-type;host;", "accept;content-type;host;", 1)), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := tt.c.request(t)
			_, err := Verify(r, body, base.secret, time.Time{}, NoTimeCheck)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyBadSignatureEchoesCanonicalRequest(t *testing.T) {
	c := ownCases[0]
	r, body := c.request(t)
	res, err := Verify(r, body, "wrong", time.Time{}, NoTimeCheck)
	if !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Verify = %v, want ErrBadSignature", err)
	}
	want := "verify signature fail, canonicalRequest:" + strings.ReplaceAll(c.canonical, "\n", "|")
	if err.Error() != want {
		t.Errorf("error text\n got %q\nwant %q", err.Error(), want)
	}
	if res.CanonicalRequest != c.canonical {
		t.Errorf("Result.CanonicalRequest = %q", res.CanonicalRequest)
	}
}

func TestVerifyPlusAsSpaceLeniency(t *testing.T) {
	// A hand-written client that signed "a b" as a%20b but sent "a+b".
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	req, _ := http.NewRequest("GET", "http://h.example/q?s=a%20b", nil)
	if err := Sign(req, "k", "s", now); err != nil {
		t.Fatal(err)
	}
	req.RequestURI = "/q?s=a+b"
	req.Host = "h.example"
	res, err := Verify(req, nil, "s", now, DefaultSkew)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !res.PlusAsSpace {
		t.Errorf("PlusAsSpace = false, want true")
	}
}

func TestCanonicalURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"/v1/a", "/v1/a/"},
		{"/v1/a/", "/v1/a/"},
		{"/v1//files/./a/../b", "/v1//files/./a/../b/"},
		{"/v1/%E4%BC%81%E4%B8%9A/my%20doc:v1", "/v1/%E4%BC%81%E4%B8%9A/my%20doc%3Av1/"},
		{"/v1/企业", "/v1/%E4%BC%81%E4%B8%9A/"},
		{"/a%2Fb", "/a/b/"},
		{"/a+b/%2b", "/a%2Bb/%2B/"},
		{"/~user/x-y_z.", "/~user/x-y_z./"},
	}
	for _, tt := range tests {
		got, err := CanonicalURI(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CanonicalURI(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := CanonicalURI("/a%2"); !errors.Is(err, ErrMalformed) {
		t.Errorf("CanonicalURI(%q) error = %v, want ErrMalformed", "/a%2", err)
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"b&a", "a=&b="},
		{"a=&b=&c=3", "a=&b=&c=3"},
		{"tag=zeta&tag=alpha&tag=Beta", "tag=Beta&tag=alpha&tag=zeta"},
		{"b=1&B=0&_z=1&~t=2&a=3", "B=0&_z=1&a=3&b=1&~t=2"},
		{"a%2F=1&a.=2", "a.=2&a%2F=1"},
		{"r=a+b", "r=a%2Bb"},
		{"r=a%20b*", "r=a%20b%2A"},
		{"x=%3D%2F%40", "x=%3D%2F%40"},
		{"=2&&a=1", "=2&a=1"},
		{"a=1=2", "a=1%3D2"},
	}
	for _, tt := range tests {
		got, err := CanonicalQuery(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CanonicalQuery(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"a=%zz", "a=%", "%4=1"} {
		if _, err := CanonicalQuery(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("CanonicalQuery(%q) error = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	tests := []struct {
		in   string
		want Auth
		err  error
	}{
		{"SDK-HMAC-SHA256 Access=k1, SignedHeaders=host;x-sdk-date, Signature=" + sig,
			Auth{"k1", []string{"host", "x-sdk-date"}, sig}, nil},
		{"SDK-HMAC-SHA256 Access=k1,SignedHeaders=X-Sdk-Date,Signature=" + strings.ToUpper(sig),
			Auth{"k1", []string{"x-sdk-date"}, strings.ToUpper(sig)}, nil},
		{"  SDK-HMAC-SHA256   Access=k1,  SignedHeaders=x-sdk-date, Signature=" + sig + " ",
			Auth{"k1", []string{"x-sdk-date"}, sig}, nil},
		{"", Auth{}, ErrNoCredentials},
		{"SDK-HMAC-SHA256", Auth{}, ErrMalformed},
		{"SDK-HMAC-SHA256 Access=, SignedHeaders=x-sdk-date, Signature=" + sig, Auth{}, ErrMalformed},
		{"SDK-HMAC-SHA256 SignedHeaders=x-sdk-date, Access=k1, Signature=" + sig, Auth{}, ErrMalformed},
		{"SDK-HMAC-SHA256 Access=k1, SignedHeaders=, Signature=" + sig, Auth{}, ErrMalformed},
		{"SDK-HMAC-SHA256 Access=k1, SignedHeaders=a;;b, Signature=" + sig, Auth{}, ErrMalformed},
		{"SDK-HMAC-SHA256 Access=k1, SignedHeaders=x-sdk-date, Signature=" + sig[:62], Auth{}, ErrMalformed},
		{"SDK-HMAC-SHA256 Access=k1, SignedHeaders=x-sdk-date, Signature=" + sig[:62] + "zz", Auth{}, ErrMalformed},
		{"SDK-HMAC-SHA256 Access=k1, SignedHeaders=x-sdk-date, Signature=" + sig + ", Extra=1", Auth{}, ErrMalformed},
		{"SDK-HMAC-SHA256, Access=k1, SignedHeaders=x-sdk-date, Signature=" + sig, Auth{}, ErrMalformed},
		{"V11-HMAC-SHA256 Credential=k1/20240416/cn-north-4/apic, SignedHeaders=x-sdk-date, Signature=" + sig, Auth{}, ErrMalformed},
		{"Bearer abc", Auth{}, ErrMalformed},
	}
	for _, tt := range tests {
		got, err := ParseAuthorization(tt.in)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("ParseAuthorization(%q) error = %v, want %v", tt.in, err, tt.err)
			continue
		}
		if tt.err == nil && (got.Access != tt.want.Access || got.Signature != tt.want.Signature || !slices.Equal(got.SignedHeaders, tt.want.SignedHeaders)) {
			t.Errorf("ParseAuthorization(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	sig := strings.Repeat("0f", 32)
	f.Add("SDK-HMAC-SHA256 Access=k1, SignedHeaders=host;x-sdk-date, Signature=" + sig)
	f.Add("SDK-HMAC-SHA256 Access=a,b, SignedHeaders=x, Signature=" + sig)
	f.Add("SDK-HMAC-SHA256\tAccess=k,SignedHeaders=X-Sdk-Date;Host,Signature=" + sig)
	f.Add("SDK-HMAC-SHA256 ")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAuthorization(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoCredentials) {
				t.Fatalf("ParseAuthorization(%q) error %v is not ErrMalformed/ErrNoCredentials", s, err)
			}
			return
		}
		if a.Access == "" || len(a.SignedHeaders) == 0 || !validSignature(a.Signature) {
			t.Fatalf("ParseAuthorization(%q) accepted %+v", s, a)
		}
		for _, n := range a.SignedHeaders {
			if n == "" || n != strings.ToLower(n) || strings.ContainsAny(n, ";, ") {
				t.Fatalf("ParseAuthorization(%q): bad signed header name %q", s, n)
			}
		}
		// The canonical rendering parses back to the same value.
		b, err := ParseAuthorization(a.String())
		if err != nil || b.Access != a.Access || b.Signature != a.Signature || !slices.Equal(a.SignedHeaders, b.SignedHeaders) {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", a.String(), b, err, a)
		}
	})
}

func TestQCCToken(t *testing.T) {
	tests := []struct{ key, ts, secret, want string }{
		{"testkey", "0", "testsecret", "91AE69C4DB399E0AA62E58E9C4541988"},
		{"8c3f5e2a1b7d4c6e9f0a2b4c6d8e0f12", "1700000000", "7D2E9A4C1B3F5E6A8C0D2E4F6A8B0C1D", "DCC46B17EA1053AC7E571B9F239BFE1B"},
		{"a1b2c3d4e5f60718293a4b5c6d7e8f90", "1735689600", "0F1E2D3C4B5A69788796A5B4C3D2E1F0", "0A91A9292C6F89F1BF70798CFC06CADF"},
	}
	for _, tt := range tests {
		if got := QCCToken(tt.key, tt.ts, tt.secret); got != tt.want {
			t.Errorf("QCCToken(%q, %q, %q) = %s, want %s", tt.key, tt.ts, tt.secret, got, tt.want)
		}
	}
}

func TestVerifyQCC(t *testing.T) {
	now := time.Unix(1700000000, 0)
	ts := "1700000000"
	tok := QCCToken("k", ts, "s")
	tests := []struct {
		name, key, ts, token string
		now                  time.Time
		skew                 time.Duration
		want                 error
	}{
		{"valid", "k", ts, tok, now, 0, nil},
		{"lower-case token", "k", ts, strings.ToLower(tok), now, 0, nil},
		{"edge of window", "k", ts, tok, now.Add(15 * time.Minute), 0, nil},
		{"too late", "k", ts, tok, now.Add(15*time.Minute + time.Second), 0, ErrExpired},
		{"from the future", "k", ts, tok, now.Add(-16 * time.Minute), 0, ErrExpired},
		{"ignore time", "k", ts, tok, now.Add(48 * time.Hour), NoTimeCheck, nil},
		{"wrong key", "k2", ts, tok, now, 0, ErrBadSignature},
		{"wrong token", "k", ts, QCCToken("k", ts, "t"), now, 0, ErrBadSignature},
		{"timespan in ms", "k", "1700000000000", QCCToken("k", "1700000000000", "s"), now, 0, ErrExpired},
		{"timespan not a number", "k", "1.7e9", QCCToken("k", "1.7e9", "s"), now, 0, ErrMalformed},
		{"no token", "k", ts, "", now, 0, ErrNoCredentials},
		{"no timespan", "k", "", tok, now, 0, ErrNoCredentials},
	}
	for _, tt := range tests {
		err := VerifyQCC(tt.key, tt.ts, tt.token, "s", tt.now, tt.skew)
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%s: VerifyQCC = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func benchRequest() *http.Request {
	req, _ := http.NewRequest("POST", "http://127.0.0.1:8080/jumei/cert/list?keyword=%E5%8D%8E%E4%B8%BA&pageNo=1&pageSize=10", nil)
	req.Header.Set("Content-Type", "application/json")
	return req
}

func BenchmarkSign(b *testing.B) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	req := benchRequest()
	b.ReportAllocs()
	for b.Loop() {
		if err := Sign(req, "key1", "s3cret", now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	req := benchRequest()
	if err := Sign(req, "key1", "s3cret", now); err != nil {
		b.Fatal(err)
	}
	req.RequestURI = req.URL.RequestURI()
	req.Host = req.URL.Host
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(req, nil, "s3cret", now, DefaultSkew); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQCC(b *testing.B) {
	now := time.Unix(1700000000, 0)
	tok := QCCToken("key1", "1700000000", "s3cret")
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyQCC("key1", "1700000000", tok, "s3cret", now, DefaultSkew); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzCanonical feeds arbitrary request targets to the canonicalisation the
// gateway runs on untrusted input: it must not panic, and what it produces
// uses only unreserved bytes and escapes, and is its own canonical form.
func FuzzCanonical(f *testing.F) {
	f.Add("/v1/a%2Fb/./..//x?b=a+b&a=%2F&=2&c")
	f.Add("/%E4%BC%81?%zz=1")
	f.Add("*")
	f.Fuzz(func(t *testing.T, target string) {
		path, query, _ := strings.Cut(target, "?")
		uri, err := CanonicalURI(path)
		if err == nil {
			if !strings.HasSuffix(uri, "/") || !canonicalBytes(uri, "/") {
				t.Fatalf("CanonicalURI(%q) = %q", path, uri)
			}
			// Canonical output is its own canonical form.
			if again, err := CanonicalURI(uri); err != nil || again != uri {
				t.Fatalf("CanonicalURI(%q) = %q, %v; want it unchanged", uri, again, err)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("CanonicalURI(%q) error %v is not ErrMalformed", path, err)
		}
		q, err := CanonicalQuery(query)
		if err == nil {
			if !canonicalBytes(q, "&=") {
				t.Fatalf("CanonicalQuery(%q) = %q", query, q)
			}
			if again, err := CanonicalQuery(q); err != nil || again != q {
				t.Fatalf("CanonicalQuery(%q) = %q, %v; want it unchanged", q, again, err)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("CanonicalQuery(%q) error %v is not ErrMalformed", query, err)
		}
	})
}

// canonicalBytes reports whether s holds only unreserved bytes, %XX escapes
// with upper-case hex, and the separators given.
func canonicalBytes(s, seps string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case unreserved(c) || strings.IndexByte(seps, c) >= 0:
		case c == '%' && i+2 < len(s) && strings.IndexByte(upperhex, s[i+1]) >= 0 && strings.IndexByte(upperhex, s[i+2]) >= 0:
			i += 2
		default:
			return false
		}
	}
	return true
}

// FuzzHeaderValues: the allocation-free lookup of a signed header finds
// what http.Header.Values finds, for any name and any spelling the client
// sent it in.
func FuzzHeaderValues(f *testing.F) {
	for _, s := range []string{"content-type", "X-SDK-DATE", "x-sdk-content-sha256", "a", "-x", "x--y", "weird name", "ümlaut", "k!#$%&'*+^`|~.1", strings.Repeat("x", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sent string) {
		h := http.Header{}
		h.Add(sent, "v1")
		h.Add(sent, "v2")
		for _, name := range []string{strings.ToLower(sent), sent} {
			if got, want := headerValues(h, name), h.Values(name); !slices.Equal(got, want) {
				t.Fatalf("header sent as %q, looked up as %q: headerValues = %q, Values = %q", sent, name, got, want)
			}
		}
	})
}
