package apig

import (
	"fmt"
	"strings"
)

// Auth is a parsed Authorization header:
//
//	SDK-HMAC-SHA256 Access=<AppKey>, SignedHeaders=<h1;h2;…>, Signature=<hex>
type Auth struct {
	Access        string   // the AppKey
	SignedHeaders []string // lower-case names, in the order sent
	Signature     string   // hex, as sent
}

// String renders a as an Authorization header value.
func (a Auth) String() string {
	return Algorithm + " Access=" + a.Access + ", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") + ", Signature=" + a.Signature
}

// ParseAuthorization parses an Authorization header value: the algorithm
// name, whitespace, then the fields Access, SignedHeaders and Signature in
// that order, separated by commas with optional whitespace. Anything else is
// ErrMalformed; an empty header is ErrNoCredentials.
func ParseAuthorization(header string) (Auth, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return Auth{}, ErrNoCredentials
	}
	alg, rest := header, ""
	if i := strings.IndexAny(header, " \t"); i >= 0 {
		alg, rest = header[:i], header[i+1:]
	}
	if alg != Algorithm {
		return Auth{}, fmt.Errorf("%w: algorithm is not %s", ErrMalformed, Algorithm)
	}
	// The comma-separated fields, counted past three without keeping them.
	var parts [3]string
	n := 0
	for {
		part, tail, more := strings.Cut(rest, ",")
		if n < len(parts) {
			parts[n] = part
		}
		n++
		if !more {
			break
		}
		rest = tail
	}
	var vals [3]string
	for i, prefix := range [...]string{"Access=", "SignedHeaders=", "Signature="} {
		v, ok := "", false
		if i < n {
			v, ok = strings.CutPrefix(strings.TrimSpace(parts[i]), prefix)
		}
		if !ok || v == "" {
			if i == 0 {
				return Auth{}, fmt.Errorf("%w: Access or Credential is empty in Authorization", ErrMalformed)
			}
			return Auth{}, fmt.Errorf("%w: %s is missing or empty in Authorization", ErrMalformed, strings.TrimSuffix(prefix, "="))
		}
		vals[i] = v
	}
	if n != len(parts) {
		return Auth{}, fmt.Errorf("%w: Authorization has fields after Signature", ErrMalformed)
	}
	if strings.ContainsAny(vals[0], " \t") {
		return Auth{}, fmt.Errorf("%w: Access contains blanks", ErrMalformed)
	}
	names, err := parseSignedHeaders(vals[1])
	if err != nil {
		return Auth{}, err
	}
	if !validSignature(vals[2]) {
		return Auth{}, fmt.Errorf("%w: Signature is not 64 hex digits", ErrMalformed)
	}
	return Auth{Access: vals[0], SignedHeaders: names, Signature: vals[2]}, nil
}

func parseSignedHeaders(v string) ([]string, error) {
	names := strings.Split(v, ";")
	for i, n := range names {
		if n == "" || !validToken(n) {
			return nil, fmt.Errorf("%w: bad name in SignedHeaders", ErrMalformed)
		}
		names[i] = strings.ToLower(n)
	}
	return names, nil
}

// validToken reports whether s is an HTTP header field name (RFC 9110 token).
func validToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !tokenByte(s[i]) {
			return false
		}
	}
	return true
}

// tokenByte reports whether c may appear in an HTTP token.
func tokenByte(c byte) bool {
	return unreserved(c) || strings.IndexByte("!#$%&'*+^`|", c) >= 0
}

func validSignature(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ishex(s[i]) {
			return false
		}
	}
	return true
}
