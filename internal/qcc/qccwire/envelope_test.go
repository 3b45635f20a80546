package qccwire

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/zhengapi/zheng/internal/reqinfo"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name     string
		status   Status
		paging   *Paging
		result   any
		taskNo   string
		wantHTTP int
	}{
		{"refusal", StatusKeyInvalid, nil, nil, "123", http.StatusOK},
		{"search", StatusOK, &Paging{PageSize: 10, PageIndex: 1, TotalRecords: 1}, []map[string]string{{"Name": `a"b<c>`}}, "9", http.StatusOK},
		{"store down", StatusQueryFailed, nil, nil, "", http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := &reqinfo.Info{TaskNo: tt.taskNo}
			r := httptest.NewRequest("GET", "/api/yj/x", nil)
			r = r.WithContext(reqinfo.NewContext(r.Context(), info))
			w := httptest.NewRecorder()
			Write(w, r, tt.status, tt.paging, tt.result)
			if w.Code != tt.wantHTTP {
				t.Errorf("HTTP %d, want %d", w.Code, tt.wantHTTP)
			}
			if info.Code != int(tt.status) {
				t.Errorf("recorded code %d, want %d", info.Code, tt.status)
			}
			var env Envelope
			if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if env.Status != tt.status.String() || env.Message != tt.status.Message() {
				t.Errorf("Status %q Message %q, want %q %q", env.Status, env.Message, tt.status, tt.status.Message())
			}
			if (env.OrderNumber == nil) != (tt.taskNo == "") || (env.OrderNumber != nil && *env.OrderNumber != tt.taskNo) {
				t.Errorf("OrderNumber %v, want %q", env.OrderNumber, tt.taskNo)
			}
			if (env.Paging == nil) != (tt.paging == nil) || (env.Paging != nil && *env.Paging != *tt.paging) {
				t.Errorf("Paging %+v, want %+v", env.Paging, tt.paging)
			}
		})
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "查询成功", "a\"b\\c\n\x01", "bad\xffutf8"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q → %s: %v", s, got, err)
		}
		want := s
		if s == "bad\xffutf8" {
			want = "bad\ufffdutf8"
		}
		if back != want {
			t.Errorf("%q round-trips to %q", s, back)
		}
	}
}
