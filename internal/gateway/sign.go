package gateway

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zhengapi/zheng/apig"
)

// verifySignature is the accepting path of apig.VerifyAuth with the app's
// pre-keyed HMAC (keying one per request costs more than the signature it
// checks). ok means the request passes every check VerifyAuth makes before
// it accepts on the first try, with the same canonical request; otherwise
// the caller asks VerifyAuth, which refuses with its own reason or accepts
// on its second try ("+" read as a space). unsigned reports
// UNSIGNED-PAYLOAD.
func (c *caller) verifySignature(r *http.Request, body []byte, a apig.Auth, now time.Time, skew time.Duration) (unsigned, ok bool) {
	if !slices.Contains(a.SignedHeaders, "x-sdk-date") {
		return false, false
	}
	dates := r.Header.Values(apig.HeaderDate)
	if len(dates) != 1 {
		return false, false
	}
	date := strings.TrimSpace(dates[0])
	t, err := apig.ParseDate(date)
	if err != nil {
		return false, false
	}
	if skew == 0 {
		skew = apig.DefaultSkew
	}
	if d := now.Sub(t); skew > 0 && (d > skew || d < -skew) {
		return false, false
	}
	var payload string
	if slices.Contains(a.SignedHeaders, "x-sdk-content-sha256") {
		payload = strings.TrimSpace(r.Header.Get(apig.HeaderContentSHA256))
		if payload == apig.UnsignedPayload {
			unsigned = true
		} else if !strings.EqualFold(payload, apig.HashPayload(body)) {
			return false, false
		}
	} else {
		payload = apig.HashPayload(body)
	}
	var want [sha256.Size]byte
	if len(a.Signature) != 2*sha256.Size {
		return false, false
	}
	if _, err := hex.Decode(want[:], []byte(a.Signature)); err != nil {
		return false, false
	}
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	v := c.verifiers.Get().(*verifier)
	defer c.verifiers.Put(v)
	cr, err := apig.AppendCanonicalRequest(v.cr[:0], r.Method, apig.RequestTarget(r), r.Header, host, a.SignedHeaders, payload)
	if err != nil {
		return false, false
	}
	crSum := sha256.Sum256(cr)
	if cap(cr) <= 16<<10 { // keep no buffer a huge request grew
		v.cr = cr
	}
	// The string to sign, fed to the HMAC piece by piece.
	var buf [len(apig.Algorithm) + 1 + 32 + 1 + 2*sha256.Size]byte
	b := append(buf[:0], apig.Algorithm...)
	b = append(b, '\n')
	b = append(b, date...)
	b = append(b, '\n')
	b = hex.AppendEncode(b, crSum[:])
	v.mac.Reset()
	v.mac.Write(b)
	var got [sha256.Size]byte
	v.mac.Sum(got[:0])
	return unsigned, hmac.Equal(got[:], want[:])
}

// verifier is what checking one signature needs of an app: its keyed
// HMAC and a buffer for the canonical request, reused across requests.
type verifier struct {
	mac hash.Hash
	cr  []byte
}

// verifyToken is the accepting path of apig.VerifyQCC without its
// allocations: ok means the Token is the one VerifyQCC expects (compared in
// constant time) and the Timespan is inside the window; otherwise the
// caller asks VerifyQCC for the refusal.
func verifyToken(key, timespan, token, secret string, now time.Time, skew time.Duration) bool {
	if timespan == "" || len(token) != 2*md5.Size {
		return false
	}
	secs, err := strconv.ParseInt(timespan, 10, 64)
	if err != nil {
		return false
	}
	if skew == 0 {
		skew = apig.DefaultSkew
	}
	if d := now.Sub(time.Unix(secs, 0)); skew > 0 && (d > skew || d < -skew) {
		return false
	}
	var in [256]byte
	msg := append(append(append(in[:0], key...), timespan...), secret...)
	sum := md5.Sum(msg)
	var want, got [2 * md5.Size]byte
	hex.Encode(want[:], sum[:])
	copy(got[:], token)
	for i := range want {
		want[i] = upperASCII(want[i])
		got[i] = upperASCII(got[i])
	}
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}
