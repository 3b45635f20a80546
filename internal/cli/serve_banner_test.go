package cli

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zhengapi/zheng/internal/server"
)

// bannerServer wires the gateway and the certificate routes the way serve
// does, on dir, serves them on loopback and returns the banner printed for
// that address.
func bannerServer(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	env, _, _ := testEnv(map[string]string{"ZHENG_DATA_DIR": dir})
	env.Now = time.Now // the 企查查 example signs with the real clock
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var (
		store storeFlags
		gw    gatewayServeFlags
		ct    certServeFlags
	)
	store.register(fs, env)
	gw.register(fs, env)
	ct.register(fs, env)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	a := &serveApp{env: env, log: log, store: store, srv: server.New(server.Config{}, log)}
	t.Cleanup(a.close)
	if err := setupGateway(t.Context(), a, &gw); err != nil {
		t.Fatal(err)
	}
	if err := setupCert(t.Context(), a, &ct); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.srv.Handler())
	t.Cleanup(ts.Close)
	var lines []string
	for _, f := range a.banner {
		lines = append(lines, f(ts.URL)...)
	}
	return lines
}

// TestBannerExamples runs every curl command the banner prints, as a shell
// would, against the server that printed it: on the first start (the demo
// app's credentials), on a later start (an AppCode from the environment)
// and with the gateway off.
func TestBannerExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 10,000 demo certificates")
	}
	dir := t.TempDir()
	first := bannerServer(t, dir)
	var code string
	for _, l := range first {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "AppCode" {
			code = f[1]
		}
	}
	if code == "" {
		t.Fatalf("first-start banner shows no AppCode:\n%s", strings.Join(first, "\n"))
	}
	tests := []struct {
		name   string
		banner []string
		vars   map[string]string
		want   int // curl commands expected
	}{
		{"first start", first, nil, 4},
		{"later start", bannerServer(t, dir), map[string]string{appCodeVar: code}, 3},
		{"gateway off", bannerServer(t, t.TempDir(), "--no-auth"), nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Logf("banner:\n%s", strings.Join(tt.banner, "\n"))
			n := 0
			for _, line := range tt.banner {
				if !strings.Contains(line, "curl ") {
					continue
				}
				n++
				runBannerLine(t, strings.TrimSpace(line), tt.vars)
			}
			if n != tt.want {
				t.Errorf("%d curl examples, want %d:\n%s", n, tt.want, strings.Join(tt.banner, "\n"))
			}
			if tt.vars != nil && !strings.Contains(strings.Join(tt.banner, "\n"), "export "+appCodeVar+"=") {
				t.Errorf("banner does not say where the AppCode comes from:\n%s", strings.Join(tt.banner, "\n"))
			}
		})
	}
}

// runBannerLine runs one banner line: optional shell assignments before
// the curl command (run by bash when present), then the curl command as an
// HTTP request; the answer must be HTTP 200 with envelope code 200.
func runBannerLine(t *testing.T, line string, vars map[string]string) {
	t.Helper()
	prefix, cmd, ok := strings.Cut(line, "curl ")
	if !ok {
		t.Fatalf("no curl in %q", line)
	}
	vars = shellVars(t, prefix, vars)
	words := shellWords(t, cmd, vars)
	var (
		method, target, ctype string
		get                   bool
		data                  []string
		hdr                   = http.Header{}
	)
	for i := 0; i < len(words); i++ {
		w := words[i]
		next := func() string {
			i++
			if i >= len(words) {
				t.Fatalf("%s without a value in %q", w, line)
			}
			return words[i]
		}
		switch w {
		case "-s":
		case "-G":
			get = true
		case "-H":
			k, v, _ := strings.Cut(next(), ":")
			hdr.Set(k, strings.TrimSpace(v))
		case "-d":
			data = append(data, next())
		case "--data-urlencode":
			k, v, _ := strings.Cut(next(), "=")
			data = append(data, k+"="+url.QueryEscape(v))
		case "-F":
			t.Logf("skipped (needs a file of the reader's): %s", line)
			return
		default:
			if strings.HasPrefix(w, "-") {
				t.Fatalf("curl option %s not understood in %q", w, line)
			}
			target = w
		}
	}
	var body io.Reader
	method = http.MethodGet
	switch {
	case get && len(data) > 0:
		target += "?" + strings.Join(data, "&")
	case len(data) > 0:
		method, ctype = http.MethodPost, "application/x-www-form-urlencoded"
		body = strings.NewReader(strings.Join(data, "&"))
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, body)
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	req.Header = hdr
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Code   *int   `json:"code"`
		Status string `json:"Status"`
	}
	_ = json.Unmarshal(raw, &env)
	if resp.StatusCode != http.StatusOK || (env.Code == nil && env.Status == "") ||
		(env.Code != nil && *env.Code != 200) || (env.Status != "" && env.Status != "200") {
		t.Errorf("%s\n→ HTTP %d %.300s", line, resp.StatusCode, raw)
	}
}

// shellVars evaluates the assignments before a curl command (the 企查查
// example's Timespan and Token) with bash, or, without bash, computes the
// two it knows.
func shellVars(t *testing.T, prefix string, vars map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range vars {
		out[k] = v
	}
	prefix = strings.TrimSpace(prefix)
	if prefix == "" {
		return out
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		b, err := exec.CommandContext(ctx, bash, "-c", prefix+` printf '%s %s' "$ts" "$tok"`).Output()
		if f := strings.Fields(string(b)); err == nil && len(f) == 2 {
			out["ts"], out["tok"] = f[0], f[1]
			return out
		}
		t.Logf("bash on %q: %v", prefix, err)
	}
	// Without bash (or md5sum): the Token the line computes, from its key
	// and secret.
	_, s, _ := strings.Cut(prefix, `printf '%s' "`)
	key, rest, _ := strings.Cut(s, "${ts}")
	secret, _, _ := strings.Cut(rest, `"`)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sum := md5.Sum([]byte(key + ts + secret))
	out["ts"], out["tok"] = ts, strings.ToUpper(hex.EncodeToString(sum[:]))
	return out
}

// shellWords splits s as a shell would for the quoting the banner uses:
// single quotes literal, double quotes and bare words expanding $NAME.
func shellWords(t *testing.T, s string, vars map[string]string) []string {
	t.Helper()
	var (
		words []string
		cur   strings.Builder
		in    bool
	)
	expand := func(s string) string {
		return expandVars(s, vars)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				t.Fatalf("unbalanced ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				t.Fatalf("unbalanced \" in %q", s)
			}
			cur.WriteString(expand(s[i+1 : i+1+j]))
			i += j + 1
			in = true
		default:
			j := strings.IndexAny(s[i:], " \t'\"")
			if j < 0 {
				j = len(s) - i
			}
			cur.WriteString(expand(s[i : i+j]))
			i += j - 1
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

func expandVars(s string, vars map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			return b.String() + s
		}
		b.WriteString(s[:i])
		s = s[i+1:]
		brace := strings.HasPrefix(s, "{")
		if brace {
			s = s[1:]
		}
		j := 0
		for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		b.WriteString(vars[s[:j]])
		s = s[j:]
		if brace {
			s = strings.TrimPrefix(s, "}")
		}
	}
}
