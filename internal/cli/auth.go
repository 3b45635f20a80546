package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/zhengapi/zheng/apig"
)

func newAuthCmd(env *Env) *Command {
	return &Command{
		Name:  "auth",
		Usage: "zheng auth COMMAND [flags]",
		Short: "Sign requests and verify signatures (APIG SDK-HMAC-SHA256).",
		Long: "sign prints the headers that authenticate a request with an AppKey and AppSecret;\n" +
			"verify reads a raw HTTP request and shows how the gateway checks its signature.",
		Sub: []*Command{newAuthSignCmd(env), newAuthVerifyCmd(env)},
	}
}

// authHeaderList collects repeated -H 'Name: value' flags.
type authHeaderList []string

func (h *authHeaderList) String() string     { return strings.Join(*h, ", ") }
func (h *authHeaderList) Set(v string) error { *h = append(*h, v); return nil }

func newAuthSignCmd(env *Env) *Command {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	var (
		key, secret, method, data string
		headers                   authHeaderList
		curl                      bool
	)
	fs.StringVar(&key, "key", env.Getenv("ZHENG_APPKEY"), "AppKey (env ZHENG_APPKEY)")
	fs.StringVar(&secret, "secret", env.Getenv("ZHENG_APPSECRET"), "AppSecret (env ZHENG_APPSECRET)")
	fs.StringVar(&method, "X", "", "request method (default GET, or POST with -d)")
	fs.Var(&headers, "H", "extra header 'Name: value', signed too; repeat for several")
	fs.StringVar(&data, "d", "", "request body; @FILE reads a file")
	fs.BoolVar(&curl, "curl", false, "also print a curl command line that sends the signed request")
	return &Command{
		Name:  "sign",
		Usage: "zheng auth sign --key K --secret S [-X METHOD] [-H 'Name: value']... [-d BODY] [--curl] URL",
		Short: "Print the Authorization and X-Sdk-Date headers for a request.",
		Long: "Signs as the gateway's official SDKs do, at the current time: every -H header, Host and\n" +
			"X-Sdk-Date are signed. The query string is put in canonical order and encoding; send\n" +
			"the request to the URL printed with --curl (or on stderr when it changed).\n" +
			"Flags go before the URL.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return usagef("sign needs one URL, got %d arguments", len(args))
			}
			if key == "" || secret == "" {
				return usagef("--key and --secret are required")
			}
			body, err := authBody(data)
			if err != nil {
				return err
			}
			if method == "" {
				method = http.MethodGet
				if data != "" {
					method = http.MethodPost
				}
			}
			req, err := http.NewRequestWithContext(ctx, strings.ToUpper(method), args[0], strings.NewReader(body))
			if err != nil {
				return usagef("bad URL or method: %v", err)
			}
			if req.URL.Scheme == "" || req.URL.Host == "" {
				return usagef("URL %q needs a scheme and host", args[0])
			}
			if body == "" {
				req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
			}
			for _, h := range headers {
				name, value, ok := strings.Cut(h, ":")
				if !ok || strings.TrimSpace(name) == "" {
					return usagef("header %q: want 'Name: value'", h)
				}
				name = strings.TrimSpace(name)
				if strings.EqualFold(name, "Host") {
					req.Host = strings.TrimSpace(value)
					continue
				}
				req.Header.Add(name, strings.TrimSpace(value))
			}
			before := req.URL.String()
			if err := apig.Sign(req, key, secret, env.Now()); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "Authorization: %s\n", req.Header.Get("Authorization"))
			fmt.Fprintf(env.Stdout, "%s: %s\n", apig.HeaderDate, req.Header.Get(apig.HeaderDate))
			if after := req.URL.String(); after != before && !curl {
				fmt.Fprintf(env.Stderr, "note: send the request to %s (canonical query)\n", after)
			}
			if curl {
				fmt.Fprintln(env.Stdout, authCurl(req, body))
			}
			return nil
		},
	}
}

// authBody returns the -d value, reading @FILE.
func authBody(data string) (string, error) {
	name, ok := strings.CutPrefix(data, "@")
	if !ok {
		return data, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("read body: %w", err)
	}
	return string(b), nil
}

// authCurl renders req as a curl command line (POSIX shell quoting).
func authCurl(req *http.Request, body string) string {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	var b strings.Builder
	b.WriteString("curl")
	if req.Method != http.MethodGet || body != "" {
		b.WriteString(" -X " + req.Method)
	}
	if req.Host != "" && req.Host != req.URL.Host {
		b.WriteString(" -H " + q("Host: "+req.Host))
	}
	for _, name := range slices.Sorted(maps.Keys(req.Header)) {
		for _, v := range req.Header[name] {
			b.WriteString(" -H " + q(name+": "+v))
		}
	}
	if body != "" {
		b.WriteString(" --data-binary " + q(body))
	}
	b.WriteString(" " + q(req.URL.String()))
	return b.String()
}

func newAuthVerifyCmd(env *Env) *Command {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	var (
		secret     string
		ignoreTime bool
		skew       time.Duration
	)
	fs.StringVar(&secret, "secret", env.Getenv("ZHENG_APPSECRET"), "AppSecret of the request's AppKey (env ZHENG_APPSECRET)")
	fs.BoolVar(&ignoreTime, "ignore-time", false, "do not check X-Sdk-Date (or Timespan) against the clock")
	fs.DurationVar(&skew, "skew", apig.DefaultSkew, "accepted clock difference")
	return &Command{
		Name:  "verify",
		Usage: "zheng auth verify --secret S [--ignore-time] < request.http",
		Short: "Check the signature of a raw HTTP request read from stdin.",
		Long: "Reads one HTTP/1.1 request (request line, headers, blank line, body) and prints its\n" +
			"canonical request, string to sign and the verdict, computed as the gateway does.\n" +
			"Without Content-Length the body is everything after the blank line. A request with\n" +
			"企查查 Token and Timespan headers is checked as such. Exit status: 0 valid, 1 invalid.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("verify takes no arguments; pipe the request to stdin")
			}
			if secret == "" {
				return usagef("--secret is required")
			}
			br := bufio.NewReader(env.Stdin)
			req, err := http.ReadRequest(br)
			if err != nil {
				return fmt.Errorf("read request: %w", err)
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				return fmt.Errorf("read request body: %w", err)
			}
			if req.ContentLength <= 0 && len(req.TransferEncoding) == 0 && len(body) == 0 {
				if body, err = io.ReadAll(br); err != nil {
					return fmt.Errorf("read request body: %w", err)
				}
			}
			if skew <= 0 {
				skew = apig.DefaultSkew
			}
			if ignoreTime {
				skew = apig.NoTimeCheck
			}
			now := env.Now()
			if req.Header.Get("Authorization") == "" && req.Header.Get(apig.QCCHeaderToken) != "" {
				return authVerifyQCC(env, req, secret, now, skew)
			}
			res, err := apig.Verify(req, body, secret, now, skew)
			w := env.Stdout
			if res.Auth.Access != "" {
				fmt.Fprintf(w, "Access: %s\nSignedHeaders: %s\n", res.Auth.Access, strings.Join(res.Auth.SignedHeaders, ";"))
			}
			if res.CanonicalRequest != "" {
				fmt.Fprintf(w, "\nCanonical request:\n%s\n\nString to sign:\n%s\n\n", res.CanonicalRequest, res.StringToSign)
			}
			if err != nil {
				fmt.Fprintf(w, "Verdict: invalid: %s\n", authReason(err))
				return &ExitError{Code: 1}
			}
			note := ""
			if res.UnsignedPayload {
				note = " (body not signed: UNSIGNED-PAYLOAD)"
			}
			if res.PlusAsSpace {
				note += " (only with \"+\" in the query read as a space)"
			}
			fmt.Fprintf(w, "Verdict: valid%s\n", note)
			return nil
		},
	}
}

// authReason shortens a verification error for the verdict line: the
// canonical request was already printed above it.
func authReason(err error) string {
	if errors.Is(err, apig.ErrBadSignature) {
		if s, _, ok := strings.Cut(err.Error(), ", canonicalRequest:"); ok {
			return s + " (the canonical request above differs from the one the client signed)"
		}
	}
	return err.Error()
}

func authVerifyQCC(env *Env, req *http.Request, secret string, now time.Time, skew time.Duration) error {
	key := req.URL.Query().Get(apig.QCCKeyParam)
	ts := req.Header.Get(apig.QCCHeaderTimespan)
	w := env.Stdout
	fmt.Fprintf(w, "Scheme: 企查查 Token\nkey: %s\nTimespan: %s\nToken sent: %s\nToken expected: MD5(key + Timespan + secret) = %s\n\n",
		key, ts, req.Header.Get(apig.QCCHeaderToken), apig.QCCToken(key, ts, secret))
	if err := apig.VerifyQCC(key, ts, req.Header.Get(apig.QCCHeaderToken), secret, now, skew); err != nil {
		fmt.Fprintf(w, "Verdict: invalid: %v\n", err)
		return &ExitError{Code: 1}
	}
	fmt.Fprintln(w, "Verdict: valid")
	return nil
}
