// Package cert is the enterprise-certificate domain: the canonical
// certificate record both wire dialects render, keyword classification and
// company-name normalisation, the search rules, and the Service that
// answers searches from a Store. It knows no HTTP and no SQL; the stores
// live in cert/sqlite and cert/postgres.
package cert

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Record is one certificate in canonical form. Both dialects render it:
// 聚美 as nested detail sections, 企查查 as flat "section-field" keys.
type Record struct {
	ID       string // stable 32-hex id, unique across the store
	CertNo   string // 证书编号
	TypeCode string // certificate type code, e.g. "cnca027" (企查查 Type, certCategory filter)
	TypeName string // type as displayed, e.g. "质量管理体系认证（ISO9000）"
	Name     string // product name for product certificates (企查查 list "Name"), often empty
	Status   string // 有效, 暂停, 撤销, 注销, 过期 (see Status* constants)

	EnterpriseName string // the holder (获证组织 / enterpriseName)
	CreditCode     string // holder's unified social credit code, or a 9-char org code on old records
	RegNo          string // holder's 15-digit registration number, if known

	// Parties are every company the certificate names (holder, 委托人,
	// 制造商, 生产企业); a company search matches any of them.
	Parties []Party

	StartDate time.Time // 有效起始日期 (颁证日期)
	EndDate   time.Time // 有效截止日期 (证书到期日期)

	Detail []Section // ordered, as the detail endpoints show it
}

// Party is a company named on a certificate.
type Party struct {
	Role string // e.g. "获证组织", "认证委托人", "生产者(制造商)", "生产企业"
	Name string
	Code string // USCC or org code, may be empty
}

// Section is one titled block of the certificate detail.
type Section struct {
	Name   string
	Fields []Field
}

// Field is one label and value; a nil Value renders as JSON null.
type Field struct {
	Name  string
	Value *string
}

// Status values of a certificate (CNCA codes 01–05).
const (
	StatusValid     = "有效"
	StatusSuspended = "暂停"
	StatusWithdrawn = "撤销"
	StatusCancelled = "注销"
	StatusExpired   = "过期"
)

// Query is a certificate search as a dialect hands it to the Service.
type Query struct {
	Keyword  string // company name, registration number or unified social credit code
	Exact    bool   // names must match whole (after normalisation); codes always match exactly
	TypeCode string // optional filter on Record.TypeCode
	Page     int    // 1-based
	PageSize int    // 1..MaxPageSize
}

// MaxPageSize is the largest page both dialects allow.
const MaxPageSize = 20

// Page is one page of search results.
type Page struct {
	Total int      // exact number of matching certificates
	Items []Record // list views need only the scalar fields; Detail may be empty
}

// Errors the Service returns; dialects map them to their codes with errors.Is/As.
var (
	ErrNotFound    = errors.New("certificate not found")
	ErrUnavailable = errors.New("certificate data source unavailable")
)

// ParamError reports a bad request parameter by name.
type ParamError struct {
	Param  string // the parameter as the caller named it is the dialect's job; this is the Query field
	Reason string
}

func (e *ParamError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Param, e.Reason) }

// Searcher is what the dialect handlers need from the certificate service.
type Searcher interface {
	Search(ctx context.Context, q Query) (Page, error)
	Get(ctx context.Context, id string) (Record, error)
}
