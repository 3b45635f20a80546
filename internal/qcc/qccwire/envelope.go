// Package qccwire is the 企查查 wire format without any product: the
// vendor's status table and the {"Paging","Result","Status","Message",
// "OrderNumber"} envelope writer. The certificate handlers (package qcc)
// and the gateway, which answers authentication failures on 企查查 routes
// in the same envelope, both use it; it imports no product package.
package qccwire

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/zhengapi/zheng/internal/reqinfo"
)

// Envelope is the 企查查 response, for clients and tests decoding it;
// Write renders the same fields in the same order. Paging is present only
// on searches.
type Envelope struct {
	Paging      *Paging `json:"Paging,omitempty"`
	Result      any     `json:"Result"`
	Status      string  `json:"Status"`
	Message     string  `json:"Message"`
	OrderNumber *string `json:"OrderNumber"`
}

// Paging describes the page a search returned.
type Paging struct {
	PageSize     int `json:"PageSize"`
	PageIndex    int `json:"PageIndex"`
	TotalRecords int `json:"TotalRecords"`
}

// Write sends a 企查查 envelope with status s, its message from the
// vendor's table, the request's task number as OrderNumber, and paging and
// result when given; it records s as the request's code. A result with an
// AppendJSON([]byte) []byte method is appended directly, others go
// through encoding/json without HTML escaping.
func Write(w http.ResponseWriter, r *http.Request, s Status, paging *Paging, result any) {
	ctx := r.Context()
	taskNo := reqinfo.TaskNo(ctx)
	status := s.HTTPStatus()
	b, err := AppendEnvelope(make([]byte, 0, 1024), s, taskNo, paging, result)
	if err != nil {
		// Only a bug in a result type's MarshalJSON can get here.
		s = StatusUnknownError
		status = s.HTTPStatus()
		b, _ = AppendEnvelope(b[:0], s, taskNo, nil, nil)
	}
	reqinfo.SetCode(ctx, int(s))
	w.Header()["Content-Type"] = contentType
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// contentType is shared, never modified: setting the header map entry
// directly saves the canonicalisation and a slice per response.
var contentType = []string{"application/json; charset=utf-8"}

// AppendEnvelope appends the envelope in the vendor's field order.
func AppendEnvelope(b []byte, s Status, taskNo string, paging *Paging, result any) ([]byte, error) {
	b = append(b, '{')
	if paging != nil {
		b = append(b, `"Paging":{"PageSize":`...)
		b = strconv.AppendInt(b, int64(paging.PageSize), 10)
		b = append(b, `,"PageIndex":`...)
		b = strconv.AppendInt(b, int64(paging.PageIndex), 10)
		b = append(b, `,"TotalRecords":`...)
		b = strconv.AppendInt(b, int64(paging.TotalRecords), 10)
		b = append(b, "},"...)
	}
	b = append(b, `"Result":`...)
	switch v := result.(type) {
	case nil:
		b = append(b, "null"...)
	case interface{ AppendJSON([]byte) []byte }:
		b = v.AppendJSON(b)
	default:
		buf := bytes.NewBuffer(b)
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return b, err
		}
		b = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	b = append(b, `,"Status":"`...)
	b = strconv.AppendInt(b, int64(s), 10)
	b = append(b, `","Message":`...)
	b = appendString(b, s.Message())
	b = append(b, `,"OrderNumber":`...)
	if taskNo == "" {
		b = append(b, "null"...)
	} else {
		b = appendString(b, taskNo)
	}
	return append(b, "}\n"...), nil
}

// appendString appends s as a JSON string, escaping only what JSON
// requires (quotes, backslashes, control characters) and replacing
// invalid UTF-8, so Chinese text stays readable.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
