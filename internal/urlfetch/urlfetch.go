// Package urlfetch downloads a user-supplied URL without letting the
// caller reach the server's own network: every address is checked after
// DNS resolution, at dial time, on every redirect, so neither a DNS name
// pointing inside nor a redirect to 169.254.169.254 gets through. Use it
// for any URL a request names; use net/http directly for trusted ones.
package urlfetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Config limits a Fetcher. The zero value gives the defaults.
type Config struct {
	Timeout      time.Duration // whole download; default 15 s
	MaxBytes     int64         // body cap; default 20 MiB
	MaxRedirects int           // default 3
	// Allow lists address ranges that may be reached although they are
	// private, loopback or link-local (e.g. an intranet image server, or
	// 127.0.0.0/8 in tests). Entries are CIDRs or single IPs.
	Allow []netip.Prefix
}

// Fetcher downloads URLs safely. It is safe for concurrent use.
type Fetcher struct {
	cfg    Config
	client *http.Client
}

// Error kinds, for errors.Is.
var (
	ErrForbidden = errors.New("urlfetch: address not allowed")
	ErrTooLarge  = errors.New("urlfetch: body too large")
	ErrStatus    = errors.New("urlfetch: unexpected HTTP status")
	ErrURL       = errors.New("urlfetch: unsupported URL")
)

// New returns a Fetcher.
func New(cfg Config) *Fetcher {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 20 << 20
	}
	if cfg.MaxRedirects <= 0 {
		cfg.MaxRedirects = 3
	}
	f := &Fetcher{cfg: cfg}
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: f.control}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us and bypass the check
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		MaxIdleConns:          16,
		IdleConnTimeout:       30 * time.Second,
	}
	f.client = &http.Client{
		Transport: tr,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > cfg.MaxRedirects {
				return fmt.Errorf("urlfetch: more than %d redirects", cfg.MaxRedirects)
			}
			return checkScheme(req.URL)
		},
	}
	return f
}

// control runs for every connection, after resolution, with the literal
// address about to be dialled.
func (f *Fetcher) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbidden, address)
	}
	if !f.Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbidden, ap.Addr())
	}
	return nil
}

// Allowed reports whether ip may be dialled.
func (f *Fetcher) Allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range f.cfg.Allow {
		if p.Contains(ip) {
			return true
		}
	}
	return public(ip)
}

var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),         // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),     // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),      // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),     // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),       // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),      // NAT64 can embed a private v4
	netip.MustParsePrefix("fd00:ec2::254/128"), // AWS metadata over IPv6
}

// public reports whether ip is an ordinary Internet address: not loopback,
// private, link-local (which holds the cloud metadata address
// 169.254.169.254), multicast, CGNAT or otherwise reserved.
func public(ip netip.Addr) bool {
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

func checkScheme(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: scheme %q", ErrURL, u.Scheme)
	}
	if u.User != nil {
		return fmt.Errorf("%w: credentials in URL", ErrURL)
	}
	return nil
}

// Get downloads rawURL and returns its body (at most MaxBytes).
func (f *Fetcher) Get(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrURL, err)
	}
	if err := checkScheme(u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrURL, err)
	}
	req.Header.Set("User-Agent", "zheng-idphoto/1")
	req.Header.Set("Accept", "image/*")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("urlfetch: get %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s from %s", ErrStatus, resp.Status, u.Redacted())
	}
	if resp.ContentLength > f.cfg.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, resp.ContentLength)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.cfg.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("urlfetch: read %s: %w", u.Redacted(), err)
	}
	if int64(len(data)) > f.cfg.MaxBytes {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, f.cfg.MaxBytes)
	}
	return data, nil
}

// ParseAllow parses a comma-separated list of CIDRs and IPs.
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("urlfetch: allow entry %q: want a CIDR or an IP", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
