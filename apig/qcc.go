package apig

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// QCC header and query names.
const (
	QCCKeyParam       = "key"      // query parameter carrying the AppKey
	QCCHeaderToken    = "Token"    // upper-case hex MD5(key + Timespan + secret)
	QCCHeaderTimespan = "Timespan" // Unix time in seconds
)

// QCCToken returns the 企查查 Token: the upper-case hex MD5 of key, timespan
// and secret concatenated as given.
func QCCToken(key, timespan, secret string) string {
	sum := md5.Sum([]byte(key + timespan + secret))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// QCCTimespan renders now as a Timespan header value.
func QCCTimespan(now time.Time) string { return strconv.FormatInt(now.Unix(), 10) }

// VerifyQCC checks a 企查查 Token for key and timespan exactly as received,
// at time now, allowing skew (0: DefaultSkew; NoTimeCheck: no check). A
// missing token or timespan is ErrNoCredentials, a timespan that is not a
// decimal integer ErrMalformed, one outside the window ErrExpired, a token
// mismatch ErrBadSignature. The token is compared case-insensitively in
// constant time.
func VerifyQCC(key, timespan, token, secret string, now time.Time, skew time.Duration) error {
	if token == "" || timespan == "" {
		return fmt.Errorf("%w: Token and Timespan headers are required", ErrNoCredentials)
	}
	secs, err := strconv.ParseInt(timespan, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: Timespan is not a Unix time in seconds", ErrMalformed)
	}
	if err := checkWindow(time.Unix(secs, 0), now, skew, timespan); err != nil {
		return err
	}
	want := QCCToken(key, timespan, secret)
	if !hmac.Equal([]byte(strings.ToUpper(token)), []byte(want)) {
		return fmt.Errorf("%w: Token does not match", ErrBadSignature)
	}
	return nil
}
