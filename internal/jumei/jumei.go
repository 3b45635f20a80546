// Package jumei serves the enterprise-certificate API in the 聚美智数
// dialect: POST /enterprise/certificate/list and /detail with the
// {"code","msg","taskNo","data"} envelope. It only parses parameters, calls
// a cert.Searcher and renders the result; search rules live in package
// cert, and the other dialect of the same data is package qcc.
package jumei

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/reqinfo"
)

// Route patterns.
const (
	ListPattern   = "POST /enterprise/certificate/list"
	DetailPattern = "POST /enterprise/certificate/detail"
)

// Envelope codes, as the vendor document's 公共code table lists them.
const (
	CodeOK          = 200 // 成功
	CodeBadParam    = 400 // 参数错误
	CodeInternal    = 500 // 服务商维护，请稍候再试 (our own fault)
	CodeUnavailable = 501 // 官方数据源维护，请稍候再试
	CodeOther       = 999 // 其他，以实际返回为准
)

// DefaultPageSize is the list's page size when the caller gives none.
const DefaultPageSize = 10

// maxKeywordLen bounds a keyword in characters; the longest registered
// company names are well under 100.
const maxKeywordLen = 100

// Handler answers both 聚美 routes from one Searcher.
type Handler struct {
	svc cert.Searcher
	log *slog.Logger
}

// New returns a Handler; log receives our own faults (500s), each with the
// request's taskNo.
func New(svc cert.Searcher, log *slog.Logger) *Handler {
	return &Handler{svc: svc, log: log}
}

// Install registers every 聚美 route through handle, e.g.
// server.Server.Handle or a gateway-wrapping variant of it.
func (h *Handler) Install(handle func(pattern string, h http.Handler)) {
	handle(ListPattern, h.endpoint(h.list))
	handle(DetailPattern, h.endpoint(h.detail))
}

// endpoint adapts a handler that returns its data or an error to one that
// writes the envelope: the only place envelopes are written.
func (h *Handler) endpoint(fn func(r *http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := fn(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		write(w, r, http.StatusOK, envelope{Code: CodeOK, Msg: "成功", TaskNo: reqinfo.TaskNo(r.Context()), Data: data})
	})
}

// envelope is the 聚美 response; write renders it in this field order.
type envelope struct {
	Code   int
	Msg    string
	TaskNo string
	Data   any
}

type listData struct {
	Page  pageInfo   `json:"page"`
	Items []listItem `json:"items"`
}

type pageInfo struct {
	PageNo      int `json:"pageNo"`
	PageSize    int `json:"pageSize"`
	RecordCount int `json:"recordCount"`
}

type listItem struct {
	Type      string `json:"Type"`
	ID        string `json:"Id"`
	CertNo    string `json:"CertNo"`
	StartDate string `json:"StartDate"`
	EndDate   string `json:"EndDate"`
}

// list searches by company name, registration number or credit code. A
// name matches fuzzily (names containing the keyword), with whole-name
// matches ranked first by the search rules.
func (h *Handler) list(r *http.Request) (any, error) {
	vals, err := readParams(r)
	if err != nil {
		return nil, err
	}
	keyword := strings.TrimSpace(vals.Get("keyword"))
	if keyword == "" {
		return nil, missing("keyword")
	}
	if utf8.RuneCountInString(keyword) > maxKeywordLen {
		return nil, &paramError{param: "keyword", msg: "keyword不能超过100个字符"}
	}
	pageNo, err := intParam(vals, "pageNo", 1, 0)
	if err != nil {
		return nil, err
	}
	pageSize, err := intParam(vals, "pageSize", DefaultPageSize, cert.MaxPageSize)
	if err != nil {
		return nil, err
	}
	page, err := h.svc.Search(r.Context(), cert.Query{Keyword: keyword, Page: pageNo, PageSize: pageSize})
	if err != nil {
		return nil, err
	}
	items := make([]listItem, len(page.Items))
	for i, rec := range page.Items {
		items[i] = listItem{
			Type:      cert.TypeLabel(rec),
			ID:        rec.ID,
			CertNo:    rec.CertNo,
			StartDate: cert.FormatDateTime(rec.StartDate),
			EndDate:   cert.FormatDateTime(rec.EndDate),
		}
	}
	return listData{Page: pageInfo{PageNo: pageNo, PageSize: pageSize, RecordCount: page.Total}, Items: items}, nil
}

func (h *Handler) detail(r *http.Request) (any, error) {
	vals, err := readParams(r)
	if err != nil {
		return nil, err
	}
	id := strings.TrimSpace(vals.Get("id"))
	if id == "" {
		return nil, missing("id")
	}
	rec, err := h.svc.Get(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return cert.ToJumeiDetail(rec), nil
}

// queryParams names the cert.Query (and Get) fields as this dialect's
// parameters, for messages about a cert.ParamError.
var queryParams = map[string]string{"Keyword": "keyword", "Page": "pageNo", "PageSize": "pageSize", "ID": "id"}

// classify is the one table from error categories to envelope code,
// client message and HTTP status. HTTP status: answers about the request
// itself (200, 400, 999) are HTTP 200, as on the marketplace, where
// clients read `code`; our faults (500) are HTTP 500 and an unavailable
// data source (501) HTTP 503, so load balancers, retries and monitors see
// them too. The body is the envelope either way.
func classify(err error) (code int, msg string, status int) {
	var pe *paramError
	var cpe *cert.ParamError
	switch {
	case errors.As(err, &pe):
		return CodeBadParam, "参数错误：" + pe.msg, http.StatusOK
	case errors.Is(err, errBody):
		return CodeBadParam, "参数错误：请求体无法解析", http.StatusOK
	case errors.As(err, &cpe):
		name := queryParams[cpe.Param]
		if name == "" {
			name = cpe.Param
		}
		return CodeBadParam, "参数错误：" + name + "无效", http.StatusOK
	case errors.Is(err, cert.ErrKeywordTooShort):
		return CodeBadParam, "参数错误：keyword至少需要2个字符", http.StatusOK
	case errors.Is(err, cert.ErrKeywordGeneric):
		return CodeBadParam, "参数错误：keyword过于宽泛，请输入更完整的企业名称", http.StatusOK
	case errors.Is(err, cert.ErrNotFound):
		return CodeBadParam, "参数错误：id不存在", http.StatusOK
	case errors.Is(err, cert.ErrUnavailable):
		return CodeUnavailable, "官方数据源维护，请稍候再试", http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return CodeOther, "查询超时，请稍后再试", http.StatusOK
	}
	return CodeInternal, "服务商维护，请稍候再试", http.StatusInternalServerError
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	code, msg, status := classify(err)
	switch code {
	case CodeInternal:
		h.log.ErrorContext(ctx, "certificate request failed", "taskNo", reqinfo.TaskNo(ctx), "route", r.Pattern, "err", err)
	case CodeUnavailable, CodeOther:
		h.log.WarnContext(ctx, "certificate request failed", "taskNo", reqinfo.TaskNo(ctx), "route", r.Pattern, "code", code, "err", err)
	}
	write(w, r, status, envelope{Code: code, Msg: msg, TaskNo: reqinfo.TaskNo(ctx)})
}

// write sends env and records its code for logs, metrics and billing.
func write(w http.ResponseWriter, r *http.Request, status int, env envelope) {
	reqinfo.SetCode(r.Context(), env.Code)
	b := make([]byte, 0, 1024)
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, int64(env.Code), 10)
	b = append(b, `,"msg":`...)
	b = cert.AppendJSONString(b, env.Msg)
	b = append(b, `,"taskNo":`...)
	b = cert.AppendJSONString(b, env.TaskNo)
	b = append(b, `,"data":`...)
	b, err := appendData(b, env.Data)
	if err != nil {
		// Only a bug in a data type's MarshalJSON can get here.
		reqinfo.SetCode(r.Context(), CodeInternal)
		status = http.StatusInternalServerError
		b = append(b[:0], `{"code":500,"msg":"服务商维护，请稍候再试","taskNo":`...)
		b = cert.AppendJSONString(b, env.TaskNo)
		b = append(b, `,"data":null`...)
	}
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// appendData appends v as JSON: directly when it can (the detail), else
// through encoding/json without HTML escaping.
func appendData(b []byte, v any) ([]byte, error) {
	if a, ok := v.(interface{ AppendJSON([]byte) []byte }); ok {
		return a.AppendJSON(b), nil
	}
	buf := bytes.NewBuffer(b)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return b, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
