// Package qcc serves the enterprise-certificate API in the 企查查 dialect:
// GET /api/yj/ECICertification/SearchCertification and
// GetCertificationDetailById with the {"Paging","Result","Status",
// "Message","OrderNumber"} envelope (written by qccwire, which the gateway
// shares for authentication failures on these routes). It only parses
// parameters, calls a cert.Searcher and renders the result; the other
// dialect of the same data is package jumei.
package qcc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/qcc/qccwire"
	"github.com/zhengapi/zheng/internal/reqinfo"
)

// Route patterns.
const (
	SearchPattern = "GET /api/yj/ECICertification/SearchCertification"
	DetailPattern = "GET /api/yj/ECICertification/GetCertificationDetailById"
)

const (
	// DefaultPageSize is the page size when the caller gives none.
	DefaultPageSize = 10
	// MaxRecords is the deepest record a search may page to
	// (StatusTooManyRecords: 条目数超过上限（5000）).
	MaxRecords = 5000
	// maxParamLen bounds searchKey and certCategory in characters.
	maxParamLen = 100
)

// Handler answers both 企查查 routes from one Searcher.
type Handler struct {
	svc cert.Searcher
	log *slog.Logger
}

// New returns a Handler; log receives our own faults, each with the
// request's taskNo.
func New(svc cert.Searcher, log *slog.Logger) *Handler {
	return &Handler{svc: svc, log: log}
}

// Install registers every 企查查 route through handle.
func (h *Handler) Install(handle func(pattern string, h http.Handler)) {
	handle(SearchPattern, h.endpoint(h.search))
	handle(DetailPattern, h.endpoint(h.detail))
}

// Envelope is the 企查查 response, for clients and tests decoding it.
type Envelope = qccwire.Envelope

// Paging describes the page a search returned.
type Paging = qccwire.Paging

type listItem struct {
	ID        string `json:"Id"`
	Name      string `json:"Name"`
	Type      string `json:"Type"`
	StartDate string `json:"StartDate"`
	EndDate   string `json:"EndDate"`
	No        string `json:"No"`
	TypeDesc  string `json:"TypeDesc"`
}

// answer is what a route returns on success: a result, paging for
// searches, and StatusOK or StatusNoResult.
type answer struct {
	status Status
	paging *Paging
	result any
}

// statusError is a request answered with a status other than 200, for a
// reason only the log needs.
type statusError struct {
	status Status
	reason string
}

func (e *statusError) Error() string { return fmt.Sprintf("status %d: %s", e.status, e.reason) }

func fail(s Status, format string, args ...any) error {
	return &statusError{status: s, reason: fmt.Sprintf(format, args...)}
}

func (h *Handler) endpoint(fn func(r *http.Request) (answer, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := fn(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		Write(w, r, a.status, a.paging, a.result)
	})
}

// params reads the query string and checks the key. A request the
// gateway authenticated (by key and Token, an AppCode or a signature)
// carries its app in reqinfo and needs no key; without a gateway
// (--no-auth) a key must be present but any value passes.
func params(r *http.Request) (url.Values, error) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fail(StatusBadParam, "query string: %v", err)
	}
	if info := reqinfo.FromContext(r.Context()); info != nil && info.AppID != "" {
		return vals, nil
	}
	if strings.TrimSpace(vals.Get("key")) == "" {
		return nil, fail(StatusKeyInvalid, "no key")
	}
	return vals, nil
}

// searchQuery validates the search parameters into a cert.Query.
func searchQuery(vals url.Values) (cert.Query, error) {
	q := cert.Query{Exact: true, Page: 1, PageSize: DefaultPageSize}
	q.Keyword = strings.TrimSpace(vals.Get("searchKey"))
	switch n := utf8.RuneCountInString(q.Keyword); {
	case n == 0:
		return q, fail(StatusBadParam, "no searchKey")
	case n < 2:
		return q, fail(StatusKeywordTooShort, "searchKey %q", q.Keyword)
	case n > maxParamLen:
		return q, fail(StatusBadParam, "searchKey of %d characters", n)
	}
	q.TypeCode = strings.TrimSpace(vals.Get("certCategory"))
	if utf8.RuneCountInString(q.TypeCode) > maxParamLen {
		return q, fail(StatusBadParam, "certCategory too long")
	}
	var err error
	if q.PageSize, err = intParam(vals, "pageSize", DefaultPageSize, cert.MaxPageSize); err != nil {
		return q, err
	}
	if q.Page, err = intParam(vals, "pageIndex", 1, 0); err != nil {
		return q, err
	}
	if int64(q.Page)*int64(q.PageSize) > MaxRecords {
		return q, fail(StatusTooManyRecords, "page %d of %d", q.Page, q.PageSize)
	}
	switch v := strings.ToLower(strings.TrimSpace(vals.Get("isExactlySame"))); v {
	case "", "true", "1":
		q.Exact = true
	case "false", "0":
		q.Exact = false
	default:
		return q, fail(StatusBadParam, "isExactlySame %q", v)
	}
	return q, nil
}

func intParam(vals url.Values, name string, def, max int) (int, error) {
	s := strings.TrimSpace(vals.Get(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 1 || (max > 0 && n > int64(max)) {
		return 0, fail(StatusBadParam, "%s %q", name, s)
	}
	return int(n), nil
}

// search lists a company's certificates. isExactlySame (default true)
// matches the whole normalised name; false finds names containing the
// keyword, closest first. Codes always match exactly.
func (h *Handler) search(r *http.Request) (answer, error) {
	vals, err := params(r)
	if err != nil {
		return answer{}, err
	}
	q, err := searchQuery(vals)
	if err != nil {
		return answer{}, err
	}
	page, err := h.svc.Search(r.Context(), q)
	if err != nil {
		return answer{}, err
	}
	paging := &Paging{PageSize: q.PageSize, PageIndex: q.Page, TotalRecords: page.Total}
	if len(page.Items) == 0 {
		return answer{status: StatusNoResult, paging: paging}, nil
	}
	items := make([]listItem, len(page.Items))
	for i, rec := range page.Items {
		items[i] = listItem{
			ID:        rec.ID,
			Name:      rec.Name,
			Type:      rec.TypeCode,
			StartDate: cert.FormatDateTime(rec.StartDate),
			EndDate:   cert.FormatDateTime(rec.EndDate),
			No:        rec.CertNo,
			TypeDesc:  rec.TypeName,
		}
	}
	return answer{status: StatusOK, paging: paging, result: items}, nil
}

func (h *Handler) detail(r *http.Request) (answer, error) {
	vals, err := params(r)
	if err != nil {
		return answer{}, err
	}
	id := strings.TrimSpace(vals.Get("certId"))
	if id == "" {
		return answer{}, fail(StatusBadParam, "no certId")
	}
	rec, err := h.svc.Get(r.Context(), id)
	if err != nil {
		return answer{}, err
	}
	return answer{status: StatusOK, result: cert.ToQCCDetail(rec)}, nil
}

// classify is the one table from error categories to status codes.
func classify(err error) Status {
	var se *statusError
	var pe *cert.ParamError
	switch {
	case errors.As(err, &se):
		return se.status
	case errors.As(err, &pe):
		return StatusBadParam
	case errors.Is(err, cert.ErrKeywordTooShort):
		return StatusKeywordTooShort
	case errors.Is(err, cert.ErrKeywordGeneric):
		return StatusBadKeyword
	case errors.Is(err, cert.ErrNotFound):
		return StatusNoResult
	case errors.Is(err, cert.ErrUnavailable),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return StatusQueryFailed
	}
	return StatusUnknownError
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	s := classify(err)
	switch s {
	case StatusUnknownError:
		h.log.ErrorContext(ctx, "certificate request failed", "taskNo", reqinfo.TaskNo(ctx), "route", r.Pattern, "err", err)
	case StatusQueryFailed:
		h.log.WarnContext(ctx, "certificate request failed", "taskNo", reqinfo.TaskNo(ctx), "route", r.Pattern, "status", int(s), "err", err)
	}
	Write(w, r, s, nil, nil)
}

// Write sends a 企查查 envelope with status s (see qccwire.Write).
func Write(w http.ResponseWriter, r *http.Request, s Status, paging *Paging, result any) {
	qccwire.Write(w, r, s, paging, result)
}
