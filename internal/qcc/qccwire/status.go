package qccwire

import (
	"net/http"
	"strconv"
)

// Status is a 企查查 envelope status code. The vendor document's whole
// status table (§7) lives here; the gateway answers authentication and
// quota failures on these routes with the 无效请求 codes.
type Status int

// 有效请求 (valid request) codes (vendor document §7.1).
const (
	StatusOK              Status = 200 // 查询成功
	StatusNoResult        Status = 201 // 查询无结果
	StatusBadParam        Status = 202 // 查询参数错误
	StatusPending         Status = 205 // 等待处理中
	StatusTooManyRecords  Status = 207 // 请求数据的条目数超过上限（5000）
	StatusUnsupportedType Status = 208 // 此接口不支持此公司类型查询
	StatusTooManyCompany  Status = 209 // 企业数量超过上限
	StatusKeywordTooShort Status = 213 // 参数长度不能小于 2
	StatusBadKeyword      Status = 215 // 不支持的查询关键字
	StatusNoShellScan     Status = 218 // 该企业暂不支持空壳扫描
	StatusNoDueDiligence  Status = 219 // 该企业暂不支持准入尽调
	StatusOffline         Status = 105 // 接口已下线停用
	StatusRepeatedErrors  Status = 110 // 当前相同查询连续出错，请等 2 小时后重试
)

// 无效请求 (invalid request) codes (vendor document §7.2).
const (
	StatusKeyInvalid         Status = 101 // 当前的 KEY 无效或者还未生效中
	StatusKeyInArrears       Status = 102 // 当前 KEY 已欠费
	StatusKeySuspended       Status = 103 // 当前 KEY 被暂停使用
	StatusKeyAbnormal        Status = 104 // 请求 KEY 异常
	StatusTooManyIllegal     Status = 106 // 非法请求过多
	StatusForbiddenIP        Status = 107 // 被禁止的 IP 或者签名错误
	StatusTooManyAbnormal    Status = 108 // 异常请求过多
	StatusDailySystemLimit   Status = 109 // 请求超过每日系统限制
	StatusNoPermission       Status = 111 // 接口权限未开通
	StatusQuotaExhausted     Status = 112 // 您的账号剩余使用量已不足或已过期
	StatusAPIDeleted         Status = 113 // 当前接口已被删除
	StatusAPIDisabled        Status = 114 // 当前接口已被禁用
	StatusAuthFailed         Status = 115 // 身份验证错误或者已过期
	StatusDailyCallLimit     Status = 116 // 请求超过每日调用总量限制
	StatusTooManyBadParams   Status = 117 // 当前不支持的请求参数调用量过多
	StatusUnsupportedCall    Status = 118 // 当前接口不支持此方式的调用
	StatusAccountAbnormal    Status = 119 // 您的帐号出现异常
	StatusTrafficAbnormal    Status = 120 // 系统流量异常
	StatusNoExport           Status = 121 // 数据不能出境
	StatusUnknownError       Status = 199 // 系统未知错误
	StatusQueryFailed        Status = 203 // 系统查询有异常
	StatusNotPurchased       Status = 214 // 您还未购买过该接口
	StatusBillingUnsupported Status = 223 // 当前接口的计费方式不支持此查询参数
)

var messages = map[Status]string{
	StatusOK:              "【有效请求】查询成功",
	StatusNoResult:        "【有效请求】查询无结果",
	StatusBadParam:        "【有效请求】查询参数错误，请检查",
	StatusPending:         "【有效请求】等待处理中",
	StatusTooManyRecords:  "【有效请求】请求数据的条目数超过上限（5000）",
	StatusUnsupportedType: "【有效请求】此接口不支持此公司类型查询",
	StatusTooManyCompany:  "【有效请求】企业数量超过上限",
	StatusKeywordTooShort: "【有效请求】参数长度不能小于 2",
	StatusBadKeyword:      "【有效请求】不支持的查询关键字",
	StatusNoShellScan:     "【有效请求】该企业暂不支持空壳扫描",
	StatusNoDueDiligence:  "【有效请求】该企业暂不支持准入尽调",
	StatusOffline:         "【有效请求】接口已下线停用",
	StatusRepeatedErrors:  "【有效请求】当前相同查询连续出错，请等 2 小时后重试",

	StatusKeyInvalid:         "【无效请求】当前的 KEY 无效或者还未生效中",
	StatusKeyInArrears:       "【无效请求】当前 KEY 已欠费",
	StatusKeySuspended:       "【无效请求】当前 KEY 被暂停使用",
	StatusKeyAbnormal:        "【无效请求】请求 KEY 异常，请联系管理员",
	StatusTooManyIllegal:     "【无效请求】非法请求过多，请联系管理员",
	StatusForbiddenIP:        "【无效请求】被禁止的 IP 或者签名错误",
	StatusTooManyAbnormal:    "【无效请求】异常请求过多，请联系管理员",
	StatusDailySystemLimit:   "【无效请求】请求超过每日系统限制",
	StatusNoPermission:       "【无效请求】接口权限未开通，请联系管理员",
	StatusQuotaExhausted:     "【无效请求】您的账号剩余使用量已不足或已过期",
	StatusAPIDeleted:         "【无效请求】当前接口已被删除，请重新申请",
	StatusAPIDisabled:        "【无效请求】当前接口已被禁用，请联系管理员",
	StatusAuthFailed:         "【无效请求】身份验证错误或者已过期",
	StatusDailyCallLimit:     "【无效请求】请求超过每日调用总量限制",
	StatusTooManyBadParams:   "【无效请求】当前不支持的请求参数调用量过多",
	StatusUnsupportedCall:    "【无效请求】当前接口不支持此方式的调用",
	StatusAccountAbnormal:    "【无效请求】您的帐号出现异常，请联系管理员",
	StatusTrafficAbnormal:    "【无效请求】系统流量异常，请稍后再试",
	StatusNoExport:           "【无效请求】数据不能出境",
	StatusUnknownError:       "【无效请求】系统未知错误，请联系技术客服",
	StatusQueryFailed:        "【无效请求】系统查询有异常，请联系技术人员",
	StatusNotPurchased:       "【无效请求】您还未购买过该接口，请先购买",
	StatusBillingUnsupported: "【无效请求】当前接口的计费方式不支持此查询参数",
}

// Message returns the vendor's text for s, or "" for a code not in the table.
func (s Status) Message() string { return messages[s] }

// String is the code as the envelope's "Status" field carries it.
func (s Status) String() string { return strconv.Itoa(int(s)) }

// Valid reports whether s is one of the vendor's 有效请求 codes (the request
// was understood and answered), as opposed to a 无效请求 code.
func (s Status) Valid() bool {
	return s == StatusOK || s == StatusNoResult || s == StatusBadParam || s == StatusPending ||
		s == StatusTooManyRecords || s == StatusUnsupportedType || s == StatusTooManyCompany ||
		s == StatusKeywordTooShort || s == StatusBadKeyword || s == StatusNoShellScan ||
		s == StatusNoDueDiligence || s == StatusOffline || s == StatusRepeatedErrors
}

// HTTPStatus is the HTTP status that goes with s: 200 for every in-band
// answer (企查查 clients read "Status", and treat HTTP 200 with Status ≠
// 200 as the business-error path), 500 for StatusUnknownError (our own
// fault) and 503 for StatusQueryFailed (the store is unavailable), so that
// load balancers, retries and monitors see server faults too.
func (s Status) HTTPStatus() int {
	switch s {
	case StatusUnknownError:
		return http.StatusInternalServerError
	case StatusQueryFailed:
		return http.StatusServiceUnavailable
	}
	return http.StatusOK
}
