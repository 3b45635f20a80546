package apig

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// CanonicalURI returns the canonical form of a raw (still percent-encoded)
// request path: decoded once ("+" stays a plus), split on "/" keeping empty
// segments, each byte outside A-Z a-z 0-9 - _ . ~ encoded as upper-case %XX,
// and a "/" appended when missing. Dot segments are kept, as the official
// SDKs keep them.
func CanonicalURI(rawPath string) (string, error) {
	b, err := appendCanonicalURI(make([]byte, 0, len(rawPath)+16), rawPath)
	return string(b), err
}

func appendCanonicalURI(b []byte, rawPath string) ([]byte, error) {
	dec, err := unescape(rawPath)
	if err != nil {
		return b, fmt.Errorf("%w: path: %v", ErrMalformed, err)
	}
	start := len(b)
	for i := 0; i < len(dec); i++ {
		c := dec[i]
		if c == '/' {
			b = append(b, '/')
			continue
		}
		b = appendEscaped(b, c)
	}
	if len(b) == start || b[len(b)-1] != '/' {
		b = append(b, '/')
	}
	return b, nil
}

// CanonicalQuery returns the canonical form of a raw query string: pairs split
// on "&" (empty pieces dropped, a piece without "=" has an empty value),
// decoded once with "+" as a literal plus, sorted by decoded name and then
// value, byte-wise, and re-encoded like CanonicalURI. A malformed escape is an
// error (ErrMalformed).
func CanonicalQuery(rawQuery string) (string, error) {
	return canonicalQuery(rawQuery, false)
}

type param struct{ name, value string }

func canonicalQuery(rawQuery string, plusAsSpace bool) (string, error) {
	b, err := appendCanonicalQuery(make([]byte, 0, len(rawQuery)+16), rawQuery, plusAsSpace)
	return string(b), err
}

func appendCanonicalQuery(b []byte, rawQuery string, plusAsSpace bool) ([]byte, error) {
	if rawQuery == "" {
		return b, nil
	}
	// Most queries have a few parameters: sort them on the stack.
	var small [8]param
	ps := small[:0]
	for piece := range strings.SplitSeq(rawQuery, "&") {
		if piece == "" {
			continue
		}
		name, value, _ := strings.Cut(piece, "=")
		if plusAsSpace {
			name = strings.ReplaceAll(name, "+", " ")
			value = strings.ReplaceAll(value, "+", " ")
		}
		n, err := unescape(name)
		if err != nil {
			return b, fmt.Errorf("%w: query: %v", ErrMalformed, err)
		}
		v, err := unescape(value)
		if err != nil {
			return b, fmt.Errorf("%w: query: %v", ErrMalformed, err)
		}
		ps = append(ps, param{n, v})
	}
	slices.SortFunc(ps, func(a, b param) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	for i, p := range ps {
		if i > 0 {
			b = append(b, '&')
		}
		b = appendEscapedString(b, p.name)
		b = append(b, '=')
		b = appendEscapedString(b, p.value)
	}
	return b, nil
}

// CanonicalHeaders returns the canonical header block for the signed header
// names (lower case, in the order given): one "name:value" line per value,
// values trimmed and, for a repeated header, sorted; each line ends in "\n".
// The value of "host" is host (the Host header as received), since Go keeps
// it out of the header map. A signed header absent from the request is an
// error (ErrMalformed).
func CanonicalHeaders(h http.Header, host string, signed []string) (string, error) {
	b, err := appendCanonicalHeaders(nil, h, host, signed)
	return string(b), err
}

func appendCanonicalHeaders(b []byte, h http.Header, host string, signed []string) ([]byte, error) {
	for _, name := range signed {
		if name == "host" {
			if host == "" {
				return b, fmt.Errorf("%w: signed header host is missing", ErrMalformed)
			}
			b = append(b, "host:"...)
			b = append(b, strings.TrimSpace(host)...)
			b = append(b, '\n')
			continue
		}
		vs := headerValues(h, name)
		if len(vs) == 0 {
			return b, fmt.Errorf("%w: signed header %s is missing", ErrMalformed, name)
		}
		if len(vs) > 1 {
			trimmed := make([]string, len(vs))
			for i, v := range vs {
				trimmed[i] = strings.TrimSpace(v)
			}
			slices.Sort(trimmed)
			vs = trimmed
		}
		for _, v := range vs {
			b = append(b, name...)
			b = append(b, ':')
			b = append(b, strings.TrimSpace(v)...)
			b = append(b, '\n')
		}
	}
	return b, nil
}

// headerValues is h.Values(name) for a lower-case name without allocating
// its canonical form: the key is built on the stack (a map index by
// string(bytes) does not allocate).
func headerValues(h http.Header, name string) []string {
	var buf [64]byte
	if len(name) > len(buf) {
		return h.Values(name)
	}
	k := buf[:len(name)]
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !tokenByte(c) {
			return h.Values(name) // textproto leaves such keys alone
		}
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		k[i] = c
		upper = c == '-'
	}
	return h[string(k)]
}

// CanonicalRequest assembles the canonical request from its parts: the
// method, the raw request target (path and optional "?query", as on the
// request line), the headers, the Host value, the signed header names and
// the payload hash.
func CanonicalRequest(method, target string, h http.Header, host string, signed []string, payloadHash string) (string, error) {
	return canonicalRequest(method, target, h, host, signed, payloadHash, false)
}

// AppendCanonicalRequest is CanonicalRequest appending to dst: a verifier
// that hashes the canonical request can reuse one buffer for every request.
func AppendCanonicalRequest(dst []byte, method, target string, h http.Header, host string, signed []string, payloadHash string) ([]byte, error) {
	return appendCanonicalRequest(dst, method, target, h, host, signed, payloadHash, false)
}

func canonicalRequest(method, target string, h http.Header, host string, signed []string, payloadHash string, plusAsSpace bool) (string, error) {
	b, err := appendCanonicalRequest(make([]byte, 0, 256), method, target, h, host, signed, payloadHash, plusAsSpace)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func appendCanonicalRequest(b []byte, method, target string, h http.Header, host string, signed []string, payloadHash string, plusAsSpace bool) ([]byte, error) {
	path, query, _ := strings.Cut(target, "?")
	b = append(b, method...)
	b = append(b, '\n')
	b, err := appendCanonicalURI(b, path)
	if err != nil {
		return b, err
	}
	b = append(b, '\n')
	if b, err = appendCanonicalQuery(b, query, plusAsSpace); err != nil {
		return b, err
	}
	b = append(b, '\n')
	if b, err = appendCanonicalHeaders(b, h, host, signed); err != nil {
		return b, err
	}
	b = append(b, '\n')
	for i, n := range signed {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, n...)
	}
	b = append(b, '\n')
	return append(b, payloadHash...), nil
}

// RequestTarget returns the raw path and query of r as on the request line,
// stripping scheme and authority from an absolute-form target: the target
// CanonicalRequest takes. For a client request (no RequestURI) it uses the
// URL's escaped form.
func RequestTarget(r *http.Request) string {
	t := r.RequestURI
	if t == "" {
		if r.URL == nil {
			return "/"
		}
		t = r.URL.EscapedPath()
		if r.URL.RawQuery != "" || r.URL.ForceQuery {
			t += "?" + r.URL.RawQuery
		}
		return t
	}
	if !strings.HasPrefix(t, "/") {
		if i := strings.Index(t, "://"); i >= 0 {
			rest := t[i+3:]
			if j := strings.IndexAny(rest, "/?"); j >= 0 {
				t = rest[j:]
			} else {
				t = "/"
			}
		}
	}
	return t
}

const upperhex = "0123456789ABCDEF"

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

func appendEscaped(b []byte, c byte) []byte {
	if unreserved(c) {
		return append(b, c)
	}
	return append(b, '%', upperhex[c>>4], upperhex[c&15])
}

func appendEscapedString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		b = appendEscaped(b, s[i])
	}
	return b
}

// unescape percent-decodes s once; "+" is left alone. It returns s itself
// when there is nothing to decode.
func unescape(s string) (string, error) {
	n := strings.IndexByte(s, '%')
	if n < 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:n]...)
	for i := n; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(s) || !ishex(s[i+1]) || !ishex(s[i+2]) {
			end := min(i+3, len(s))
			return "", fmt.Errorf("invalid escape %q", s[i:end])
		}
		b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
		i += 2
	}
	return string(b), nil
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
