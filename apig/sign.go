package apig

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Sign signs a client request in place with the AppKey and AppSecret at time
// now: it sets X-Sdk-Date and Authorization.
//
// Every header in req.Header is signed, plus Host (req.Host, else the URL's
// host) and X-Sdk-Date; headers the transport adds later (User-Agent,
// Accept-Encoding) are not. As the official Go SDK does, the query string is
// rewritten to its canonical form, reading "+" as a space first, so the wire
// carries exactly what was signed. The body is read to hash it (via
// req.GetBody when set) and left readable; a caller-set X-Sdk-Content-Sha256
// (e.g. UNSIGNED-PAYLOAD) replaces the hash and leaves the body unread.
func Sign(req *http.Request, key, secret string, now time.Time) error {
	if req.URL == nil {
		return fmt.Errorf("apig: sign: request has no URL")
	}
	payload := req.Header.Get(HeaderContentSHA256)
	if payload == "" {
		body, err := readBody(req)
		if err != nil {
			return fmt.Errorf("apig: sign: read body: %w", err)
		}
		payload = HashPayload(body)
	}
	q, err := canonicalQuery(req.URL.RawQuery, true)
	if err != nil {
		return fmt.Errorf("apig: sign: %w", err)
	}
	req.URL.RawQuery = q
	req.URL.ForceQuery = false

	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Del("Authorization")
	date := FormatDate(now)
	req.Header.Set(HeaderDate, date)

	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	signed := make([]string, 0, len(req.Header)+1)
	for name := range req.Header {
		if n := strings.ToLower(name); n != "host" {
			signed = append(signed, n)
		}
	}
	if host != "" {
		signed = append(signed, "host")
	}
	slices.Sort(signed)
	signed = slices.Compact(signed)

	target := req.URL.EscapedPath()
	if q != "" {
		target += "?" + q
	}
	cr, err := CanonicalRequest(req.Method, target, req.Header, host, signed, payload)
	if err != nil {
		return fmt.Errorf("apig: sign: %w", err)
	}
	a := Auth{Access: key, SignedHeaders: signed, Signature: Signature(secret, StringToSign(date, cr))}
	req.Header.Set("Authorization", a.String())
	return nil
}

// readBody returns the request body and leaves req able to send it again.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.ContentLength = int64(len(body))
	return body, nil
}
