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
	alg, rest, ok := strings.Cut(header, " ")
	if !ok {
		alg, rest, ok = strings.Cut(header, "\t")
	}
	if alg != Algorithm {
		return Auth{}, fmt.Errorf("%w: algorithm is not %s", ErrMalformed, Algorithm)
	}
	if !ok {
		return Auth{}, fmt.Errorf("%w: Access or Credential is empty in Authorization", ErrMalformed)
	}
	var a Auth
	fields := [...]string{"Access=", "SignedHeaders=", "Signature="}
	for i, prefix := range fields {
		var f string
		if i < len(fields)-1 {
			var found bool
			f, rest, found = strings.Cut(rest, ",")
			if !found {
				if i == 0 && !strings.HasPrefix(strings.TrimSpace(f), "Access=") {
					return Auth{}, fmt.Errorf("%w: Access or Credential is empty in Authorization", ErrMalformed)
				}
				return Auth{}, fmt.Errorf("%w: Authorization lacks %s", ErrMalformed, strings.TrimSuffix(fields[i+1], "="))
			}
		} else {
			f = rest
		}
		f = strings.TrimSpace(f)
		v, found := strings.CutPrefix(f, prefix)
		if !found {
			if i == 0 {
				return Auth{}, fmt.Errorf("%w: Access or Credential is empty in Authorization", ErrMalformed)
			}
			return Auth{}, fmt.Errorf("%w: Authorization lacks %s", ErrMalformed, strings.TrimSuffix(prefix, "="))
		}
		switch i {
		case 0:
			if v == "" || strings.ContainsAny(v, " \t") {
				return Auth{}, fmt.Errorf("%w: Access or Credential is empty in Authorization", ErrMalformed)
			}
			a.Access = v
		case 1:
			names, err := parseSignedHeaders(v)
			if err != nil {
				return Auth{}, err
			}
			a.SignedHeaders = names
		case 2:
			if !validSignature(v) {
				return Auth{}, fmt.Errorf("%w: Signature is not 64 hex digits", ErrMalformed)
			}
			a.Signature = v
		}
	}
	return a, nil
}

func parseSignedHeaders(v string) ([]string, error) {
	if v == "" {
		return nil, fmt.Errorf("%w: SignedHeaders is empty", ErrMalformed)
	}
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
		c := s[i]
		if unreserved(c) || strings.IndexByte("!#$%&'*+^`|", c) >= 0 {
			continue
		}
		return false
	}
	return true
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
