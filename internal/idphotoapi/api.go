// Package idphotoapi is the HTTP transport of the ID-photo product: it
// parses the seed's parameters from a form, JSON, a multipart upload or
// the query string, runs idphoto, stores the files and answers in the
// 聚美 envelope {"code","msg","taskNo","data"}. It holds no image logic.
package idphotoapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/zhengapi/zheng/internal/blob"
	"github.com/zhengapi/zheng/internal/idphoto"
	"github.com/zhengapi/zheng/internal/reqinfo"
	"github.com/zhengapi/zheng/internal/urlfetch"
)

// Maker makes photos (*idphoto.Maker).
type Maker interface {
	Make(ctx context.Context, req *idphoto.Request) (*idphoto.Result, error)
}

// Store keeps generated files (*blob.Local or *blob.S3).
type Store interface {
	Put(ctx context.Context, data []byte, contentType string) (blob.Ref, error)
}

// Fetcher downloads the url parameter (*urlfetch.Fetcher).
type Fetcher interface {
	Get(ctx context.Context, url string) ([]byte, error)
}

// Handler serves POST /idphoto/make and GET /idphoto/specs.
type Handler struct {
	Maker   Maker
	Store   Store
	Fetcher Fetcher
	// PublicURL is the base of file URLs ("https://photos.example.com");
	// empty means the request's own scheme and host.
	PublicURL string
	// MaxImageBytes caps a decoded upload; default 25 MiB.
	MaxImageBytes int64
	Log           *slog.Logger
}

type envelope struct {
	Code   int    `json:"code"`
	Msg    string `json:"msg"`
	TaskNo string `json:"taskNo"`
	Data   any    `json:"data"`
}

// MakeData is the data of a successful make. Result and Size are the
// seed's fields; the rest are additions old clients ignore.
type MakeData struct {
	Result   string          `json:"result"`
	Size     [2]string       `json:"size"`
	Spec     string          `json:"spec"`
	SpecName string          `json:"specName"`
	DPI      int             `json:"dpi"`
	FileKB   float64         `json:"fileSize"`
	Layout   string          `json:"layout,omitempty"`
	Report   *idphoto.Report `json:"report"`
}

func (h *Handler) reply(w http.ResponseWriter, r *http.Request, status, code int, msg string, data any) {
	reqinfo.SetCode(r.Context(), code)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(envelope{Code: code, Msg: msg, TaskNo: reqinfo.TaskNo(r.Context()), Data: data})
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := idphoto.CodeOf(err)
	msg := idphoto.Message(code)
	var e *idphoto.Error
	if errors.As(err, &e) {
		msg = e.Public()
	}
	status := http.StatusOK
	if code == idphoto.CodeBusy {
		// The one answer a load balancer should see: retry elsewhere.
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	}
	if h.Log != nil && (code == idphoto.CodeProcessing || code == idphoto.CodeFaceDetection) {
		h.Log.ErrorContext(r.Context(), "idphoto failed", "code", code, "err", err)
	} else if h.Log != nil {
		h.Log.InfoContext(r.Context(), "idphoto refused", "code", code, "err", err)
	}
	h.reply(w, r, status, code, msg, nil)
}

// Make serves POST /idphoto/make.
func (h *Handler) Make(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	params, file, err := h.readParams(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := idphoto.ParseRequest(func(k string) string { return params[k] })
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Image, err = h.image(ctx, params, file); err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.Maker.Make(ctx, req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	base := h.baseURL(r)
	ref, err := h.Store.Put(ctx, res.Photo, res.ContentType)
	if err != nil {
		h.fail(w, r, &idphoto.Error{Code: idphoto.CodeProcessing, Detail: "保存失败", Err: err})
		return
	}
	data := MakeData{
		Result: ref.Resolve(base),
		Size:   [2]string{strconv.Itoa(res.Width), strconv.Itoa(res.Height)},
		Spec:   res.Spec.ID, SpecName: res.Spec.Name, DPI: res.DPI,
		FileKB: res.Report.FileKB, Report: res.Report,
	}
	if res.Layout != nil {
		lref, err := h.Store.Put(ctx, res.Layout, "image/jpeg")
		if err != nil {
			h.fail(w, r, &idphoto.Error{Code: idphoto.CodeProcessing, Detail: "保存失败", Err: err})
			return
		}
		data.Layout = lref.Resolve(base)
	}
	h.reply(w, r, http.StatusOK, idphoto.CodeOK, idphoto.Message(idphoto.CodeOK), data)
}

// SpecsData is the catalogue answer.
type SpecsData struct {
	Specs   []*idphoto.Spec      `json:"specs"`
	Colors  map[string][2]string `json:"colors"` // name → [top, bottom] RGB
	Custom  string               `json:"custom"` // the spec ID for a custom size
	Layouts []string             `json:"layouts"`
}

// Specs serves GET /idphoto/specs.
func (h *Handler) Specs(w http.ResponseWriter, r *http.Request) {
	h.reply(w, r, http.StatusOK, idphoto.CodeOK, idphoto.Message(idphoto.CodeOK), SpecsData{
		Specs: idphoto.Specs().Specs, Colors: idphoto.NamedColors(), Custom: idphoto.CustomSpecID, Layouts: idphoto.Layouts,
	})
}

func (h *Handler) baseURL(r *http.Request) string {
	if h.PublicURL != "" {
		return h.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

// readParams collects the string parameters from the query string and the
// body (JSON, urlencoded or multipart; the body wins), and a multipart
// "file" upload.
func (h *Handler) readParams(r *http.Request) (map[string]string, []byte, error) {
	params := map[string]string{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var file []byte
	switch ct {
	case "application/json":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, nil, &idphoto.Error{Code: idphoto.CodeBadParam, Param: "body", Detail: "读取失败", Err: err}
		}
		if err := parseJSONParams(body, params); err != nil {
			return nil, nil, err
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return nil, nil, &idphoto.Error{Code: idphoto.CodeBadParam, Param: "body", Detail: "表单无效", Err: err}
		}
		for k, v := range r.MultipartForm.Value {
			if len(v) > 0 {
				params[k] = v[0]
			}
		}
		if fh := r.MultipartForm.File["file"]; len(fh) > 0 {
			f, err := fh[0].Open()
			if err != nil {
				return nil, nil, &idphoto.Error{Code: idphoto.CodeBadParam, Param: "file", Detail: "读取失败", Err: err}
			}
			file, err = io.ReadAll(io.LimitReader(f, h.maxImage()+1))
			f.Close()
			if err != nil || int64(len(file)) > h.maxImage() {
				return nil, nil, &idphoto.Error{Code: idphoto.CodeBadParam, Param: "file", Detail: "文件过大或读取失败", Err: err}
			}
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, nil, &idphoto.Error{Code: idphoto.CodeBadParam, Param: "body", Detail: "表单无效", Err: err}
		}
		for k, v := range r.PostForm {
			if len(v) > 0 {
				params[k] = v[0]
			}
		}
	}
	return params, file, nil
}

// parseJSONParams flattens a JSON object of strings, numbers and booleans
// into params.
func parseJSONParams(body []byte, params map[string]string) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return &idphoto.Error{Code: idphoto.CodeBadParam, Param: "body", Detail: "JSON无效", Err: err}
	}
	for k, raw := range obj {
		var v any
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return &idphoto.Error{Code: idphoto.CodeBadParam, Param: k, Detail: "JSON无效", Err: err}
		}
		switch t := v.(type) {
		case string:
			params[k] = t
		case json.Number:
			params[k] = t.String()
		case bool:
			params[k] = strconv.FormatBool(t)
		case nil:
		default:
			return &idphoto.Error{Code: idphoto.CodeBadParam, Param: k, Detail: "应为字符串或数字"}
		}
	}
	return nil
}

func (h *Handler) maxImage() int64 {
	if h.MaxImageBytes > 0 {
		return h.MaxImageBytes
	}
	return 25 << 20
}

// image returns the photo: base64 first, then an uploaded file, then url,
// as the seed orders them.
func (h *Handler) image(ctx context.Context, params map[string]string, file []byte) ([]byte, error) {
	if b64 := params["base64"]; strings.TrimSpace(b64) != "" {
		data, err := DecodeBase64(b64)
		if err != nil {
			return nil, &idphoto.Error{Code: idphoto.CodeBadParam, Param: "base64", Detail: "不是有效的base64", Err: err}
		}
		if int64(len(data)) > h.maxImage() {
			return nil, &idphoto.Error{Code: idphoto.CodeBadParam, Param: "base64", Detail: "图片文件过大"}
		}
		return data, nil
	}
	if len(file) > 0 {
		return file, nil
	}
	if u := strings.TrimSpace(params["url"]); u != "" {
		if h.Fetcher == nil {
			return nil, &idphoto.Error{Code: idphoto.CodeNotFound, Detail: "不支持url"}
		}
		data, err := h.Fetcher.Get(ctx, u)
		if err != nil {
			detail := "无法下载"
			switch {
			case errors.Is(err, urlfetch.ErrForbidden):
				detail = "地址不允许访问"
			case errors.Is(err, urlfetch.ErrStatus):
				detail = "地址返回错误状态"
			case errors.Is(err, urlfetch.ErrTooLarge):
				detail = "文件过大"
			case errors.Is(err, urlfetch.ErrURL):
				return nil, &idphoto.Error{Code: idphoto.CodeBadParam, Param: "url", Detail: "地址无效", Err: err}
			}
			return nil, &idphoto.Error{Code: idphoto.CodeNotFound, Detail: detail, Err: err}
		}
		return data, nil
	}
	return nil, &idphoto.Error{Code: idphoto.CodeBadParam, Param: "base64", Detail: "base64、url必须提供一个"}
}

// DecodeBase64 decodes a photo sent as base64, with or without a
// "data:image/…;base64," prefix, standard or URL alphabet, padded or not,
// with line breaks, and with '+' turned into ' ' by a careless form
// encoder.
func DecodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "data:") {
		_, rest, ok := strings.Cut(s, ",")
		if !ok {
			return nil, fmt.Errorf("data URL without a comma")
		}
		s = rest
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', '\t':
			return -1
		case ' ':
			return '+'
		case '-':
			return '+'
		case '_':
			return '/'
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	return base64.RawStdEncoding.DecodeString(s)
}
