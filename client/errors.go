package client

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// APIError is a failure answered by the server: a gateway refusal (APIGCode
// set, e.g. "APIG.0303"), or an envelope whose code is not 200 (Code: the
// 聚美 "code" or the 企查查 "Status").
type APIError struct {
	HTTPStatus int    // HTTP status of the answer
	Code       int    // envelope code; 0 for gateway refusals
	APIGCode   string // gateway error code, e.g. "APIG.0501"; "" otherwise
	Message    string // the server's message, as sent
	TaskNo     string // request number (envelope taskNo, X-Task-No or the gateway's request_id)

	qcc bool // answered in the 企查查 envelope, whose codes overlap others'
}

func (e *APIError) Error() string {
	s := "zheng: "
	switch {
	case e.APIGCode != "":
		s += fmt.Sprintf("%s (HTTP %d)", e.APIGCode, e.HTTPStatus)
	case e.Code != 0:
		s += fmt.Sprintf("code %d", e.Code)
	default:
		s += fmt.Sprintf("HTTP %d", e.HTTPStatus)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.TaskNo != "" {
		s += " (taskNo " + e.TaskNo + ")"
	}
	return s
}

// 企查查 Status codes the predicates below recognise (seed 002 §7).
const (
	qccNoResult       = 201
	qccKeyInvalid     = 101
	qccKeySuspended   = 103
	qccKeyAbnormal    = 104
	qccForbiddenIP    = 107
	qccAuthFailed     = 115
	qccNoPermission   = 111
	qccNotPurchased   = 214
	qccQuotaExhausted = 112
	qccDailyLimit     = 116
	qccSystemDaily    = 109
	qccArrears        = 102
)

func asAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// isQCC reports whether e came from a 企查查 envelope.
func (e *APIError) isQCC() bool { return e.qcc }

// IsUnauthorized reports whether the credentials were refused: an unknown
// key or AppCode, a bad or expired signature or token (APIG.0303, 企查查
// 101, 103, 104, 107, 115).
func IsUnauthorized(err error) bool {
	e, ok := asAPIError(err)
	if !ok {
		return false
	}
	if e.APIGCode == "APIG.0303" || e.HTTPStatus == http.StatusUnauthorized {
		return true
	}
	return e.isQCC() && slices.Contains([]int{qccKeyInvalid, qccKeySuspended, qccKeyAbnormal, qccForbiddenIP, qccAuthFailed}, e.Code)
}

// IsForbidden reports whether the app may not call this API (APIG.0304,
// 企查查 111 and 214).
func IsForbidden(err error) bool {
	e, ok := asAPIError(err)
	if !ok {
		return false
	}
	if e.APIGCode == "APIG.0304" || e.HTTPStatus == http.StatusForbidden {
		return true
	}
	return e.isQCC() && (e.Code == qccNoPermission || e.Code == qccNotPurchased)
}

// IsQuotaExhausted reports whether the app's call package is used up,
// expired or past its daily cap (APIG.0501, 企查查 102, 112, 116).
func IsQuotaExhausted(err error) bool {
	e, ok := asAPIError(err)
	if !ok {
		return false
	}
	if e.APIGCode == "APIG.0501" || e.APIGCode == "APIG.0502" {
		return true
	}
	return e.isQCC() && slices.Contains([]int{qccArrears, qccQuotaExhausted, qccDailyLimit}, e.Code)
}

// IsThrottled reports whether the request was refused by a rate limit
// (HTTP 429, APIG.0308, 企查查 109). The client already retried it.
func IsThrottled(err error) bool {
	e, ok := asAPIError(err)
	if !ok {
		return false
	}
	return e.APIGCode == "APIG.0308" || e.HTTPStatus == http.StatusTooManyRequests ||
		e.isQCC() && e.Code == qccSystemDaily
}

// IsNoResult reports whether a 企查查 query found nothing (Status 201);
// such answers are not billed.
func IsNoResult(err error) bool {
	e, ok := asAPIError(err)
	return ok && e.isQCC() && e.Code == qccNoResult
}

// IsNotFound reports whether the thing asked for does not exist: an unknown
// route (HTTP 404, APIG.0101) or a 企查查 query without result.
func IsNotFound(err error) bool {
	e, ok := asAPIError(err)
	if !ok {
		return false
	}
	return e.HTTPStatus == http.StatusNotFound || e.APIGCode == "APIG.0101" || IsNoResult(err)
}

// IsBadRequest reports whether the server refused the parameters (聚美 and
// ID-photo code 400, 企查查 202 and 213).
func IsBadRequest(err error) bool {
	e, ok := asAPIError(err)
	if !ok {
		return false
	}
	if e.isQCC() {
		return e.Code == 202 || e.Code == 213
	}
	return e.Code == 400
}
