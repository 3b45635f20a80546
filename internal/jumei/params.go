package jumei

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxParamBody caps a parameter body. Certificate calls carry a few short
// fields; anything larger is a mistake or an attack.
const maxParamBody = 1 << 20

// errBody is a request body that cannot be read as parameters.
var errBody = errors.New("unreadable parameter body")

// readParams collects the request's parameters from whichever place the
// caller used: an application/x-www-form-urlencoded body, a JSON object
// body, a multipart form, or the query string. Body values win over query
// values of the same name. A body without a Content-Type is sniffed: "{"
// starts JSON, anything else is read as a form.
func readParams(r *http.Request) (url.Values, error) {
	vals := url.Values{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mt == "multipart/form-data":
		if err := r.ParseMultipartForm(maxParamBody); err != nil {
			return nil, fmt.Errorf("%w: multipart: %v", errBody, err)
		}
		if r.MultipartForm != nil {
			for k, v := range r.MultipartForm.Value {
				vals[k] = v
			}
			_ = r.MultipartForm.RemoveAll()
		}
	case r.Body != nil && r.Body != http.NoBody:
		body, err := io.ReadAll(io.LimitReader(r.Body, maxParamBody+1))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, fmt.Errorf("%w: body over %d bytes", errBody, mbe.Limit)
			}
			return nil, fmt.Errorf("%w: %v", errBody, err)
		}
		if len(body) > maxParamBody {
			return nil, fmt.Errorf("%w: body over %d bytes", errBody, maxParamBody)
		}
		trimmed := bytes.TrimSpace(body)
		isJSON := mt == "application/json" || strings.HasSuffix(mt, "+json") ||
			(mt != "application/x-www-form-urlencoded" && len(trimmed) > 0 && trimmed[0] == '{')
		if isJSON {
			if err := jsonParams(trimmed, vals); err != nil {
				return nil, err
			}
		} else if len(trimmed) > 0 {
			form, err := url.ParseQuery(string(trimmed))
			if err != nil {
				return nil, fmt.Errorf("%w: form: %v", errBody, err)
			}
			vals = form
		}
	}
	for k, v := range r.URL.Query() {
		if _, ok := vals[k]; !ok {
			vals[k] = v
		}
	}
	return vals, nil
}

// jsonParams reads a flat JSON object; strings, numbers and booleans are
// accepted as written (pageNo may be 2 or "2"), null means absent.
func jsonParams(body []byte, vals url.Values) error {
	if len(body) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return fmt.Errorf("%w: json: %v", errBody, err)
	}
	for k, raw := range obj {
		raw = bytes.TrimSpace(raw)
		switch {
		case string(raw) == "null":
		case raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("%w: json %s: %v", errBody, k, err)
			}
			vals.Set(k, s)
		case raw[0] == '{' || raw[0] == '[':
			return &paramError{param: k, msg: k + "必须是字符串或数字"}
		default: // number or boolean, kept as written
			vals.Set(k, string(raw))
		}
	}
	return nil
}

// paramError is a parameter the caller got wrong; msg is what the client
// reads.
type paramError struct {
	param string
	msg   string
}

func (e *paramError) Error() string { return "bad parameter " + e.param + ": " + e.msg }

func missing(param string) error { return &paramError{param: param, msg: param + "不能为空"} }

// intParam reads an optional positive integer no larger than max; absent
// or blank gives def.
func intParam(vals url.Values, name string, def, max int) (int, error) {
	s := strings.TrimSpace(vals.Get(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 1 {
		return 0, &paramError{param: name, msg: name + "必须是正整数"}
	}
	if max > 0 && n > int64(max) {
		return 0, &paramError{param: name, msg: fmt.Sprintf("%s不能大于%d", name, max)}
	}
	return int(n), nil
}
