// Package apig implements the request signature of Huawei API Gateway "APP
// authentication" (SDK-HMAC-SHA256) and the 企查查 (QCC) Token scheme: the
// canonical request, the string to sign, signing a client request, and
// verifying a received one.
//
// Both sides of zheng use it: the client package signs with [Sign], the
// gateway checks with [Verify] and [VerifyQCC]. The rules follow what the
// official signing SDKs do (not what the prose of the signing guide says where
// the two differ): the path and query are percent-decoded once, with "+" kept
// as a literal plus, and re-encoded; "/a" and "/a/" share a signature; dot
// segments are not removed; the signed header list is taken from the
// Authorization header as received.
//
// Functions take the current time as an argument and never log; failures are
// returned as errors that match [ErrMalformed], [ErrExpired],
// [ErrBadSignature] (and friends) under [errors.Is]. MACs and tokens are
// compared in constant time.
package apig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Names and formats of the APIG signature.
const (
	// Algorithm is the only algorithm name this package signs and accepts.
	Algorithm = "SDK-HMAC-SHA256"
	// HeaderDate carries the signing time; it must be signed.
	HeaderDate = "X-Sdk-Date"
	// HeaderContentSHA256, when signed, replaces the body hash by its value.
	HeaderContentSHA256 = "X-Sdk-Content-Sha256"
	// UnsignedPayload is the X-Sdk-Content-Sha256 value that leaves the body
	// out of the signature.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// DateFormat is the layout of X-Sdk-Date (always UTC).
	DateFormat = "20060102T150405Z"
	// DefaultSkew is the accepted difference between X-Sdk-Date and the
	// server's clock, in either direction, as on APIG.
	DefaultSkew = 15 * time.Minute
	// NoTimeCheck, passed as a skew, disables the clock check (diagnostics).
	NoTimeCheck time.Duration = -1
)

// EmptyPayloadHash is the hex SHA-256 of an empty body.
const EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Errors reported by the verifiers. Returned errors wrap one of them with
// details, so test with errors.Is. The detail texts follow APIG's own
// wording, so a gateway may append err.Error() to
// "Incorrect app authentication information: ".
var (
	// ErrNoCredentials: the request carries no Authorization header (or, for
	// QCC, no Token/Timespan).
	ErrNoCredentials = errors.New("no authentication information")
	// ErrMalformed: a credential, the date or an escape in the request
	// target cannot be parsed, or a signed header is absent.
	ErrMalformed = errors.New("malformed authentication information")
	// ErrExpired: the signing time is outside the accepted window.
	ErrExpired = errors.New("signature expired")
	// ErrBadSignature: the signature or token does not match.
	ErrBadSignature = errors.New("verify signature fail")
)

// HashPayload returns the lower-case hex SHA-256 of body.
func HashPayload(body []byte) string {
	if len(body) == 0 {
		return EmptyPayloadHash
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// StringToSign returns the text the signature is computed over.
func StringToSign(date, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	b := make([]byte, 0, len(Algorithm)+1+len(date)+1+64)
	b = append(b, Algorithm...)
	b = append(b, '\n')
	b = append(b, date...)
	b = append(b, '\n')
	b = hex.AppendEncode(b, sum[:])
	return string(b)
}

// Signature returns the lower-case hex HMAC-SHA256 of stringToSign keyed with
// the AppSecret itself (APIG derives no key).
func Signature(secret, stringToSign string) string {
	return hex.EncodeToString(mac(secret, stringToSign))
}

func mac(secret, stringToSign string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return m.Sum(nil)
}

// FormatDate renders t as an X-Sdk-Date value.
func FormatDate(t time.Time) string { return t.UTC().Format(DateFormat) }

// ParseDate parses an X-Sdk-Date value.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(DateFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: bad %s %q", ErrMalformed, HeaderDate, s)
	}
	return t, nil
}

// checkWindow reports ErrExpired when t is more than skew away from now.
// skew 0 means DefaultSkew; a negative skew disables the check.
func checkWindow(t, now time.Time, skew time.Duration, shown string) error {
	if skew < 0 {
		return nil
	}
	if skew == 0 {
		skew = DefaultSkew
	}
	d := now.Sub(t)
	if d > skew || d < -skew {
		return fmt.Errorf("%w, signature time:%s,server time:%s", ErrExpired, shown, FormatDate(now))
	}
	return nil
}
