package apig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Result describes a verified (or refused) request, for diagnostics: the
// real gateway echoes the canonical request when a signature does not match.
type Result struct {
	Auth             Auth
	Date             time.Time // parsed X-Sdk-Date
	CanonicalRequest string    // empty when the request could not be canonicalised
	StringToSign     string
	// UnsignedPayload is set when the body is not covered by the signature
	// (signed X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD); a gateway may refuse it.
	UnsignedPayload bool
	// PlusAsSpace is set when the signature matched only after reading "+" in
	// the query as a space (hand-written clients); see Verify.
	PlusAsSpace bool
}

// Verify checks the APIG signature of a received request r whose body has
// been read into body, with the AppSecret of the Access key named in its
// Authorization header, at time now, allowing skew between X-Sdk-Date and
// now (0: DefaultSkew; NoTimeCheck: no check).
//
// A gateway first needs the key to look up the secret: it calls
// ParseAuthorization and then VerifyAuth, which is what Verify does.
func Verify(r *http.Request, body []byte, secret string, now time.Time, skew time.Duration) (Result, error) {
	a, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return Result{}, err
	}
	return VerifyAuth(r, body, a, secret, now, skew)
}

// VerifyAuth is Verify with the Authorization header already parsed.
//
// The canonical request is built from the raw request target (r.RequestURI),
// the signed headers as received (host from r.Host) and body. Checks run in
// APIG's order: X-Sdk-Date signed and well-formed (ErrMalformed), inside the
// window (ErrExpired), signature (ErrBadSignature). If the signature fails
// and the raw query holds a "+", it is tried once more with "+" read as a
// space, for clients that encode spaces that way.
func VerifyAuth(r *http.Request, body []byte, a Auth, secret string, now time.Time, skew time.Duration) (Result, error) {
	res := Result{Auth: a}
	if !slices.Contains(a.SignedHeaders, "x-sdk-date") {
		return res, fmt.Errorf("%w: x-sdk-date is not in SignedHeaders", ErrMalformed)
	}
	dateVals := r.Header.Values(HeaderDate)
	if len(dateVals) != 1 {
		return res, fmt.Errorf("%w: need exactly one %s header", ErrMalformed, HeaderDate)
	}
	date := strings.TrimSpace(dateVals[0])
	t, err := ParseDate(date)
	if err != nil {
		return res, err
	}
	res.Date = t

	payload := ""
	if slices.Contains(a.SignedHeaders, "x-sdk-content-sha256") {
		payload = strings.TrimSpace(r.Header.Get(HeaderContentSHA256))
		if payload == UnsignedPayload {
			res.UnsignedPayload = true
		} else if !strings.EqualFold(payload, HashPayload(body)) {
			return res, fmt.Errorf("%w: %s does not match the body", ErrBadSignature, HeaderContentSHA256)
		}
	} else {
		payload = HashPayload(body)
	}

	want, err := hex.DecodeString(a.Signature)
	if err != nil || len(want) != sha256.Size {
		return res, fmt.Errorf("%w: Signature is not 64 hex digits", ErrMalformed)
	}
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	target := RequestTarget(r)
	cr, err := canonicalRequest(r.Method, target, r.Header, host, a.SignedHeaders, payload, false)
	if err != nil {
		return res, err
	}
	res.CanonicalRequest = cr
	res.StringToSign = StringToSign(date, cr)
	if err := checkWindow(t, now, skew, date); err != nil {
		return res, err
	}
	if hmac.Equal(mac(secret, res.StringToSign), want) {
		return res, nil
	}
	if _, q, _ := strings.Cut(target, "?"); strings.Contains(q, "+") {
		cr2, err := canonicalRequest(r.Method, target, r.Header, host, a.SignedHeaders, payload, true)
		if err == nil {
			sts := StringToSign(date, cr2)
			if hmac.Equal(mac(secret, sts), want) {
				res.CanonicalRequest, res.StringToSign, res.PlusAsSpace = cr2, sts, true
				return res, nil
			}
		}
	}
	return res, fmt.Errorf("%w, canonicalRequest:%s", ErrBadSignature, strings.ReplaceAll(cr, "\n", "|"))
}
