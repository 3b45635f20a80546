// Package client is the Go SDK of zheng's APIs: enterprise certificates in
// the 聚美智数 and 企查查 dialects, ID photos, and the account's package
// usage. The same client talks to the commercial marketplace by changing the
// base URL.
//
// A Client authenticates every request in one of the gateway's three ways:
// an AppCode header ([WithAppCode]), an APIG request signature made with the
// AppKey and AppSecret ([WithAppKey], using package apig), or the 企查查
// key/Token/Timespan scheme ([WithQCC]). Methods take a context first and
// return typed responses that mirror the wire JSON; failures are *[APIError]
// values that predicates such as [IsQuotaExhausted] and [IsUnauthorized]
// classify.
//
// Retries are conservative: a GET is retried after a transport error or a
// 502/503/504 answer; any request is retried when the gateway throttled it
// (429, nothing was charged) or when the connection could not be opened (the
// request never left). A billable POST whose answer was lost is never sent
// twice. The client does not log.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zhengapi/zheng/apig"
)

// Defaults of a Client's settings.
const (
	DefaultUserAgent = "zheng-go-client/1"
	DefaultRetries   = 2
	DefaultBackoff   = 200 * time.Millisecond
	// maxBody bounds a response body; ID-photo answers carry URLs, not images.
	maxBody = 32 << 20
)

// Client calls one zheng (or marketplace) deployment. Build it with New; it
// is safe for concurrent use.
type Client struct {
	base      *url.URL
	http      *http.Client
	userAgent string
	retries   int
	backoff   time.Duration
	now       func() time.Time
	auth      auth
	qccKey    string
	timeout   time.Duration
}

// auth adds credentials to a request that is ready to send.
type auth interface {
	apply(req *http.Request, now time.Time) error
	// key returns the AppKey to send as the 企查查 "key" parameter, if known.
	key() string
}

// Option configures a Client.
type Option func(*Client)

// New returns a client for the deployment at baseURL (e.g.
// "http://127.0.0.1:8080" or a marketplace API host). Without an auth
// option requests are sent unauthenticated, which only open routes accept.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("client: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q: want http(s)://host[:port][/prefix]", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	c := &Client{
		base:      u,
		http:      http.DefaultClient,
		userAgent: DefaultUserAgent,
		retries:   DefaultRetries,
		backoff:   DefaultBackoff,
		now:       time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// WithAppCode authenticates with an AppCode (simple authentication, header
// X-Apig-AppCode). The real gateway accepts it over HTTPS only.
func WithAppCode(code string) Option {
	return func(c *Client) { c.auth = appCodeAuth(code) }
}

// WithAppKey signs every request with the AppKey and AppSecret (APIG
// SDK-HMAC-SHA256, see package apig).
func WithAppKey(key, secret string) Option {
	return func(c *Client) { c.auth = signAuth{k: key, secret: secret} }
}

// WithQCC authenticates the 企查查 way: the AppKey as the "key" query
// parameter, and headers Timespan and Token (MD5 of key, Timespan and the
// secret key).
func WithQCC(key, secret string) Option {
	return func(c *Client) { c.auth = qccAuth{k: key, secret: secret} }
}

// WithQCCKey sets the 企查查 "key" parameter sent with WithAppCode, which
// knows no AppKey (the 企查查 routes require the parameter).
func WithQCCKey(key string) Option {
	return func(c *Client) { c.qccKey = key }
}

// WithHTTPClient sets the HTTP client (default http.DefaultClient); use it
// for timeouts, proxies and TLS settings.
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) { c.http = h }
}

// WithUserAgent sets the User-Agent header (default DefaultUserAgent).
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// WithRetries sets how many times a request may be retried where that is
// safe (default DefaultRetries; 0 disables retries).
func WithRetries(n int) Option {
	return func(c *Client) { c.retries = max(n, 0) }
}

// WithBackoff sets the first wait between retries (default DefaultBackoff);
// it doubles on each retry, with jitter. A 429 answer's Retry-After wins.
func WithBackoff(d time.Duration) Option {
	return func(c *Client) { c.backoff = d }
}

// WithTimeout bounds each call, retries and waits included (default: no
// bound beyond the context's and the HTTP client's).
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = d }
}

// WithClock sets the clock used for signatures and tokens (default
// time.Now); useful in tests and against a server with a skewed clock.
func WithClock(now func() time.Time) Option {
	return func(c *Client) { c.now = now }
}

type appCodeAuth string

func (a appCodeAuth) apply(req *http.Request, _ time.Time) error {
	req.Header.Set("X-Apig-AppCode", string(a))
	return nil
}
func (appCodeAuth) key() string { return "" }

type signAuth struct{ k, secret string }

func (a signAuth) apply(req *http.Request, now time.Time) error {
	return apig.Sign(req, a.k, a.secret, now)
}
func (a signAuth) key() string { return a.k }

type qccAuth struct{ k, secret string }

func (a qccAuth) apply(req *http.Request, now time.Time) error {
	q := req.URL.Query()
	if q.Get(apig.QCCKeyParam) == "" {
		q.Set(apig.QCCKeyParam, a.k)
		req.URL.RawQuery = q.Encode()
	}
	ts := apig.QCCTimespan(now)
	req.Header.Set(apig.QCCHeaderTimespan, ts)
	req.Header.Set(apig.QCCHeaderToken, apig.QCCToken(q.Get(apig.QCCKeyParam), ts, a.secret))
	return nil
}
func (a qccAuth) key() string { return a.k }

// Response is a raw answer, as returned by Do.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Do sends one request to path (e.g. "/enterprise/certificate/list") with
// the query parameters and, when form is not nil, a form-encoded body,
// applying the client's credentials and retry policy. It returns the answer
// whatever its status; the typed methods build on it. Use it for routes the
// client has no method for.
func (c *Client) Do(ctx context.Context, method, path string, query, form url.Values) (*Response, error) {
	var body []byte
	if form != nil {
		body = []byte(form.Encode())
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	idempotent := method == http.MethodGet || method == http.MethodHead
	for attempt := 0; ; attempt++ {
		req, err := c.newRequest(ctx, method, path, query, body, form != nil)
		if err != nil {
			return nil, err
		}
		resp, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("client: %s %s: %w", method, path, ctx.Err())
			}
			if attempt < c.retries && (idempotent || notSent(err)) {
				if err := c.wait(ctx, attempt, ""); err != nil {
					return nil, err
				}
				continue
			}
			return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		if err != nil {
			if ctx.Err() == nil && attempt < c.retries && idempotent {
				if err := c.wait(ctx, attempt, ""); err != nil {
					return nil, err
				}
				continue
			}
			return nil, fmt.Errorf("client: %s %s: read answer: %w", method, path, err)
		}
		retry := resp.StatusCode == http.StatusTooManyRequests ||
			idempotent && (resp.StatusCode == http.StatusBadGateway ||
				resp.StatusCode == http.StatusServiceUnavailable ||
				resp.StatusCode == http.StatusGatewayTimeout)
		if retry && attempt < c.retries {
			if err := c.wait(ctx, attempt, resp.Header.Get("Retry-After")); err != nil {
				return nil, err
			}
			continue
		}
		return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data}, nil
	}
}

func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body []byte, isForm bool) (*http.Request, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	if isForm {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if c.auth != nil {
		if err := c.auth.apply(req, c.now()); err != nil {
			return nil, fmt.Errorf("client: %s %s: authenticate: %w", method, path, err)
		}
	}
	return req, nil
}

// notSent reports whether err happened before any byte of the request was
// written: the connection could not be opened.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// wait sleeps before retry number attempt+1, or until ctx is done.
func (c *Client) wait(ctx context.Context, attempt int, retryAfter string) error {
	d := c.backoff << attempt
	d += rand.N(d/2 + 1) // jitter: several clients throttled together spread out
	if s, err := strconv.Atoi(strings.TrimSpace(retryAfter)); err == nil && s >= 0 {
		d = time.Duration(s) * time.Second
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("client: waiting to retry: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}

// probe reads the fields that say whether an answer is a failure, in any of
// the shapes the platform uses.
type probe struct {
	// APIG gateway refusals.
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
	RequestID string `json:"request_id"`
	// 聚美智数-style envelope (certificates, ID photos, account).
	Code   *int   `json:"code"`
	Msg    string `json:"msg"`
	TaskNo string `json:"taskNo"`
	// 企查查 envelope.
	Status  *string `json:"Status"`
	Message string  `json:"Message"`
}

// decode turns an answer into out, or into an *APIError when it is a
// failure in any of the platform's shapes.
func decode(resp *Response, out any) error {
	var p probe
	jsonErr := json.Unmarshal(resp.Body, &p)
	e := &APIError{HTTPStatus: resp.StatusCode, TaskNo: resp.Header.Get("X-Task-No")}
	if e.TaskNo == "" {
		e.TaskNo = resp.Header.Get("X-Request-Id")
	}
	switch {
	case jsonErr != nil:
		if resp.StatusCode == http.StatusOK {
			return fmt.Errorf("client: decode answer: %w", jsonErr)
		}
		e.Message = strings.TrimSpace(string(resp.Body[:min(len(resp.Body), 200)]))
		return e
	case p.ErrorCode != "":
		e.APIGCode, e.Message = p.ErrorCode, p.ErrorMsg
		if p.RequestID != "" && e.TaskNo == "" {
			e.TaskNo = p.RequestID
		}
		return e
	case p.Code != nil:
		if p.TaskNo != "" {
			e.TaskNo = p.TaskNo
		}
		if *p.Code != 200 || resp.StatusCode >= 300 {
			e.Code, e.Message = *p.Code, p.Msg
			return e
		}
	case p.Status != nil:
		if *p.Status != "200" || resp.StatusCode >= 300 {
			e.qcc = true
			e.Code, _ = strconv.Atoi(*p.Status)
			e.Message = p.Message
			return e
		}
	case resp.StatusCode >= 300:
		e.Message = http.StatusText(resp.StatusCode)
		return e
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("client: decode answer: %w", err)
	}
	return nil
}

// call is Do followed by decode.
func (c *Client) call(ctx context.Context, method, path string, query, form url.Values, out any) error {
	resp, err := c.Do(ctx, method, path, query, form)
	if err != nil {
		return err
	}
	return decode(resp, out)
}
