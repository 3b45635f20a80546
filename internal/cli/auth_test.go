package cli

import (
	"context"
	"strings"
	"testing"
	"time"
)

// authSignedRequest runs "auth sign" and returns the raw HTTP request that
// carries its headers.
func authSignedRequest(t *testing.T, method, url, body string, headers ...string) string {
	t.Helper()
	env, out, errb := testEnv(nil)
	args := []string{"auth", "sign", "--key", "k1", "--secret", "s1", "-X", method}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	if body != "" {
		args = append(args, "-d", body)
	}
	args = append(args, "--curl", url)
	if code := Main(context.Background(), args, env); code != 0 {
		t.Fatalf("auth sign exit %d: %s", code, errb)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "Authorization: SDK-HMAC-SHA256 Access=k1, SignedHeaders=") ||
		lines[1] != "X-Sdk-Date: 20261123T080000Z" || !strings.HasPrefix(lines[2], "curl ") {
		t.Fatalf("auth sign printed:\n%s", out)
	}
	// The request as it goes on the wire (the query is already canonical).
	hostPath := strings.TrimPrefix(url, "http://")
	host, target, _ := strings.Cut(hostPath, "/")
	var raw strings.Builder
	raw.WriteString(method + " /" + target + " HTTP/1.1\r\nHost: " + host + "\r\n")
	for _, h := range headers {
		raw.WriteString(h + "\r\n")
	}
	raw.WriteString(lines[0] + "\r\n" + lines[1] + "\r\n\r\n" + body)
	return raw.String()
}

func runVerify(t *testing.T, raw string, now time.Time, extra ...string) (int, string, string) {
	t.Helper()
	env, out, errb := testEnv(nil)
	env.Stdin = strings.NewReader(raw)
	env.Now = func() time.Time { return now }
	code := Main(context.Background(), append([]string{"auth", "verify", "--secret", "s1"}, extra...), env)
	return code, out.String(), errb.String()
}

func TestAuthSignThenVerify(t *testing.T) {
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	get := authSignedRequest(t, "GET", "http://127.0.0.1:8080/api/yj/ECICertification/SearchCertification?key=k1&searchKey=%E4%BC%81", "")
	post := authSignedRequest(t, "POST", "http://127.0.0.1:8080/enterprise/certificate/list", "keyword=abc", "Content-Type: application/x-www-form-urlencoded", "X-Custom: one")
	tests := []struct {
		name     string
		raw      string
		now      time.Time
		flags    []string
		wantCode int
		wantOut  string
	}{
		{"get valid", get, now.Add(time.Minute), nil, 0, "Verdict: valid"},
		{"post valid", post, now, nil, 0, "x-custom:one\n"},
		{"query tampered", strings.Replace(get, "searchKey=%E4%BC%81", "searchKey=%E4%BC%82", 1), now, nil, 1, "Verdict: invalid: verify signature fail"},
		{"body tampered", strings.Replace(post, "keyword=abc", "keyword=abd", 1), now, nil, 1, "Verdict: invalid: verify signature fail"},
		{"signed header tampered", strings.Replace(post, "X-Custom: one", "X-Custom: two", 1), now, nil, 1, "Verdict: invalid"},
		{"host tampered", strings.Replace(get, "Host: 127.0.0.1:8080", "Host: 127.0.0.1:8081", 1), now, nil, 1, "host:127.0.0.1:8081"},
		{"expired", get, now.Add(time.Hour), nil, 1, "Verdict: invalid: signature expired"},
		{"expired but ignored", get, now.Add(time.Hour), []string{"--ignore-time"}, 0, "Verdict: valid"},
		{"no authorization", "GET / HTTP/1.1\r\nHost: h\r\n\r\n", now, nil, 1, "Verdict: invalid: no authentication information"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errb := runVerify(t, tt.raw, tt.now, tt.flags...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) {
				t.Errorf("auth verify = exit %d, stdout:\n%s\nstderr: %s\nwant exit %d and %q", code, out, errb, tt.wantCode, tt.wantOut)
			}
		})
	}
}

// TestAuthVerifyDocExample checks Huawei's published worked example, typed
// as a file with LF line endings.
func TestAuthVerifyDocExample(t *testing.T) {
	raw := "GET /v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0 HTTP/1.1\n" +
		"Host: service.region.example.com\nContent-Type: application/json\nX-Sdk-Date: 20191115T033655Z\n" +
		"Authorization: SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe\n\n"
	env, out, errb := testEnv(nil)
	env.Stdin = strings.NewReader(raw)
	code := Main(context.Background(), []string{"auth", "verify", "--secret", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", "--ignore-time"}, env)
	if code != 0 || !strings.Contains(out.String(), "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr: %s", code, out, errb)
	}
}

func TestAuthVerifyQCC(t *testing.T) {
	// MD5("testkey" + "1700000000" + "s1"), computed by the verifier itself
	// below; the fixed vector for the token lives in package apig.
	now := time.Unix(1700000000, 0)
	raw := func(token string) string {
		return "GET /api/yj/ECICertification/SearchCertification?key=testkey&searchKey=ab HTTP/1.1\r\nHost: h\r\nTimespan: 1700000000\r\nToken: " + token + "\r\n\r\n"
	}
	code, out, _ := runVerify(t, raw("X"), now)
	if code != 1 || !strings.Contains(out, "Verdict: invalid") {
		t.Fatalf("bad token: exit %d\n%s", code, out)
	}
	i := strings.Index(out, "= ")
	token := strings.TrimSpace(strings.SplitN(out[i+2:], "\n", 2)[0])
	if code, out, _ := runVerify(t, raw(token), now); code != 0 || !strings.Contains(out, "Verdict: valid") {
		t.Errorf("good token: exit %d\n%s", code, out)
	}
}

func TestAuthUsageErrors(t *testing.T) {
	tests := [][]string{
		{"auth", "sign", "--key", "k", "http://h/"},
		{"auth", "sign", "--key", "k", "--secret", "s"},
		{"auth", "sign", "--key", "k", "--secret", "s", "/relative"},
		{"auth", "sign", "--key", "k", "--secret", "s", "-H", "nocolon", "http://h/"},
		{"auth", "verify"},
	}
	for _, args := range tests {
		env, _, errb := testEnv(nil)
		if code := Main(context.Background(), args, env); code != 2 {
			t.Errorf("Main(%q) = %d, want 2 (stderr %s)", args, code, errb)
		}
	}
}
