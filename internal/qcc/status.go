package qcc

import "github.com/zhengapi/zheng/internal/qcc/qccwire"

// Status is a 企查查 envelope status code; the table lives in qccwire so
// that the gateway can answer in this dialect without importing the
// certificate domain.
type Status = qccwire.Status

// The vendor's status codes (vendor document §7), as named in qccwire.
const (
	StatusOK                 = qccwire.StatusOK
	StatusNoResult           = qccwire.StatusNoResult
	StatusBadParam           = qccwire.StatusBadParam
	StatusPending            = qccwire.StatusPending
	StatusTooManyRecords     = qccwire.StatusTooManyRecords
	StatusUnsupportedType    = qccwire.StatusUnsupportedType
	StatusTooManyCompany     = qccwire.StatusTooManyCompany
	StatusKeywordTooShort    = qccwire.StatusKeywordTooShort
	StatusBadKeyword         = qccwire.StatusBadKeyword
	StatusNoShellScan        = qccwire.StatusNoShellScan
	StatusNoDueDiligence     = qccwire.StatusNoDueDiligence
	StatusOffline            = qccwire.StatusOffline
	StatusRepeatedErrors     = qccwire.StatusRepeatedErrors
	StatusKeyInvalid         = qccwire.StatusKeyInvalid
	StatusKeyInArrears       = qccwire.StatusKeyInArrears
	StatusKeySuspended       = qccwire.StatusKeySuspended
	StatusKeyAbnormal        = qccwire.StatusKeyAbnormal
	StatusTooManyIllegal     = qccwire.StatusTooManyIllegal
	StatusForbiddenIP        = qccwire.StatusForbiddenIP
	StatusTooManyAbnormal    = qccwire.StatusTooManyAbnormal
	StatusDailySystemLimit   = qccwire.StatusDailySystemLimit
	StatusNoPermission       = qccwire.StatusNoPermission
	StatusQuotaExhausted     = qccwire.StatusQuotaExhausted
	StatusAPIDeleted         = qccwire.StatusAPIDeleted
	StatusAPIDisabled        = qccwire.StatusAPIDisabled
	StatusAuthFailed         = qccwire.StatusAuthFailed
	StatusDailyCallLimit     = qccwire.StatusDailyCallLimit
	StatusTooManyBadParams   = qccwire.StatusTooManyBadParams
	StatusUnsupportedCall    = qccwire.StatusUnsupportedCall
	StatusAccountAbnormal    = qccwire.StatusAccountAbnormal
	StatusTrafficAbnormal    = qccwire.StatusTrafficAbnormal
	StatusNoExport           = qccwire.StatusNoExport
	StatusUnknownError       = qccwire.StatusUnknownError
	StatusQueryFailed        = qccwire.StatusQueryFailed
	StatusNotPurchased       = qccwire.StatusNotPurchased
	StatusBillingUnsupported = qccwire.StatusBillingUnsupported
)
