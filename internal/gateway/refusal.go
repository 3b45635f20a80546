package gateway

import (
	"encoding/json"
	"net/http"

	"github.com/zhengapi/zheng/internal/qcc/qccwire"
	"github.com/zhengapi/zheng/internal/reqinfo"
)

// reason is why the gateway refuses a request, independent of how the
// caller's world words it.
type reason int

const (
	reasonNone       reason = iota
	reasonUnknownKey        // AppKey / key not found
	reasonBadAuth           // no, malformed, expired or wrong credentials; bad AppCode
	reasonDisabled          // app disabled by the operator
	reasonNotSubbed         // no package for this product
	reasonExhausted         // packages used up or expired
	reasonDailyCap          // package's daily cap reached
	reasonThrottled         // rate limit
	reasonTooLarge          // body over the signature limit
	reasonInternal          // store failure: fail closed
)

// refusal is a decided refusal; detail completes the APIG message.
type refusal struct {
	reason reason
	detail string
}

// apigError is one row of the gateway error table (auth-protocols §4).
type apigError struct {
	status int
	code   string
	msg    string
}

var apigErrors = map[reason]apigError{
	reasonUnknownKey: {http.StatusUnauthorized, "APIG.0303", "Incorrect app authentication information: "},
	reasonBadAuth:    {http.StatusUnauthorized, "APIG.0303", "Incorrect app authentication information: "},
	reasonDisabled:   {http.StatusMethodNotAllowed, "APIG.0502", "The app has been frozen."},
	reasonNotSubbed:  {http.StatusForbidden, "APIG.0304", "The app is not authorized to access the API."},
	reasonExhausted:  {http.StatusMethodNotAllowed, "APIG.0501", "The app quota has been used up."},
	reasonDailyCap:   {http.StatusTooManyRequests, "APIG.0308", "The throttling threshold has been reached: daily call limit of the package."},
	reasonThrottled:  {http.StatusTooManyRequests, "APIG.0308", "The throttling threshold has been reached."},
	reasonTooLarge:   {http.StatusRequestEntityTooLarge, "APIG.0201", "Request entity too large."},
	reasonInternal:   {http.StatusInternalServerError, "APIG.0203", "Internal error of the gateway, please retry later."},
}

// qccErrors are the 企查查 in-band statuses for each reason (seed 002
// §7.2), from the dialect's own table.
var qccErrors = map[reason]qccwire.Status{
	reasonUnknownKey: qccwire.StatusKeyInvalid,      // 101
	reasonBadAuth:    qccwire.StatusAuthFailed,      // 115
	reasonDisabled:   qccwire.StatusKeySuspended,    // 103
	reasonNotSubbed:  qccwire.StatusNotPurchased,    // 214
	reasonExhausted:  qccwire.StatusQuotaExhausted,  // 112
	reasonDailyCap:   qccwire.StatusDailyCallLimit,  // 116
	reasonThrottled:  qccwire.StatusTrafficAbnormal, // 120
	reasonTooLarge:   qccwire.StatusBadParam,        // 202
	reasonInternal:   qccwire.StatusUnknownError,    // 199
}

// writeRefusal answers a refused request the way the caller's world does:
// APIG's JSON error and HTTP status, or on 企查查 routes the in-band
// Status/Message envelope with HTTP 200.
func writeRefusal(w http.ResponseWriter, r *http.Request, qccRoute bool, f refusal) {
	ctx := r.Context()
	taskNo := reqinfo.TaskNo(ctx)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	if qccRoute {
		qccwire.Write(w, r, qccErrors[f.reason], nil, nil)
		return
	}
	e := apigErrors[f.reason]
	msg := e.msg
	if f.reason == reasonUnknownKey || f.reason == reasonBadAuth {
		msg += f.detail
	}
	reqinfo.SetCode(ctx, e.status)
	if taskNo != "" {
		h.Set("X-Request-Id", taskNo)
	}
	w.WriteHeader(e.status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // the canonical request holds & and friends
	_ = enc.Encode(struct {
		Msg       string `json:"error_msg"`
		Code      string `json:"error_code"`
		RequestID string `json:"request_id"`
	}{msg, e.code, taskNo})
}
