package qcc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certtest"
	"github.com/zhengapi/zheng/internal/reqinfo"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func str(s string) *string { return &s }

func testRecords() []cert.Record {
	return []cert.Record{
		{ID: "145695151793ad28f7ffd5d8a24cd6191", CertNo: "17418Q20358R1M", TypeCode: "cnca027", TypeName: "质量管理体系认证（ISO9000）",
			EnterpriseName: "企查查科技有限公司", CreditCode: "91320594088140947F", StartDate: day("2021-04-12"), EndDate: day("2024-05-15"),
			Detail: []cert.Section{
				{Name: cert.SectionIssuer, Fields: []cert.Field{{Name: "机构批准号", Value: str("CNCA-R-2015-189")}, {Name: "网址", Value: str("www.hxccc.org")}}},
				{Name: cert.SectionHolder, Fields: []cert.Field{{Name: "企业名称", Value: str("企查查科技有限公司")}}},
				{Name: cert.SectionCert, Fields: []cert.Field{{Name: "证书编号", Value: str("17418Q20358R1M")}, {Name: "变更日期", Value: str("")}, {Name: "主认证证书号"}}},
				{Name: cert.SectionClient, Fields: []cert.Field{{Name: "组织名称", Value: str("")}}},
			}},
		{ID: "295733c8d847882298539674ec7d74a71", CertNo: "18119IP6448R0M", TypeCode: "cnca058", TypeName: "企业知识产权管理体系认证",
			EnterpriseName: "企查查科技有限公司", StartDate: day("2020-12-10"), EndDate: day("2022-12-27")},
		{ID: "x3", CertNo: "2012010301569774", TypeCode: "ccc", TypeName: "强制性产品认证", Name: "电缆分线箱",
			EnterpriseName: "苏州企查查科技有限公司", StartDate: day("2012-09-24")},
	}
}

// call sends req through the handler inside a request context carrying a
// task number, and checks what every answer must satisfy: a JSON
// envelope, OrderNumber = taskNo, Status as a string with the seed's
// message, and the code recorded with reqinfo.SetCode.
func call(t *testing.T, h http.Handler, target string) (status int, env map[string]any, raw string) {
	t.Helper()
	info := &reqinfo.Info{TaskNo: "17639089990001230001"}
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req = req.WithContext(reqinfo.NewContext(req.Context(), info))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	raw = rec.Body.String()
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("body %q: %v", raw, err)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if env["OrderNumber"] != info.TaskNo {
		t.Errorf("OrderNumber = %v, want %s", env["OrderNumber"], info.TaskNo)
	}
	s, ok := env["Status"].(string)
	if !ok {
		t.Fatalf("Status %v is not a string", env["Status"])
	}
	if s != Status(info.Code).String() {
		t.Errorf("reqinfo code %d, envelope Status %s", info.Code, s)
	}
	if env["Message"] != Status(info.Code).Message() || env["Message"] == "" {
		t.Errorf("Message %v for Status %s", env["Message"], s)
	}
	if _, ok := env["Result"]; !ok {
		t.Errorf("envelope without Result: %s", raw)
	}
	return rec.Code, env, raw
}

func newMux(svc cert.Searcher, log *slog.Logger) *http.ServeMux {
	mux := http.NewServeMux()
	New(svc, log).Install(func(p string, h http.Handler) { mux.Handle(p, h) })
	return mux
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

const (
	searchPath = "/api/yj/ECICertification/SearchCertification?"
	detailPath = "/api/yj/ECICertification/GetCertificationDetailById?"
)

func TestSearch(t *testing.T) {
	tests := []struct {
		name       string
		query      string
		wantPaging Paging
		wantIDs    []string
		wantQuery  cert.Query
	}{
		{"defaults", "key=k&searchKey=企查查科技有限公司", Paging{PageSize: 10, PageIndex: 1, TotalRecords: 2},
			[]string{"145695151793ad28f7ffd5d8a24cd6191", "295733c8d847882298539674ec7d74a71"},
			cert.Query{Keyword: "企查查科技有限公司", Exact: true, Page: 1, PageSize: 10}},
		{"paged", "key=k&searchKey=企查查科技有限公司&pageSize=1&pageIndex=2", Paging{PageSize: 1, PageIndex: 2, TotalRecords: 2},
			[]string{"295733c8d847882298539674ec7d74a71"},
			cert.Query{Keyword: "企查查科技有限公司", Exact: true, Page: 2, PageSize: 1}},
		{"max page size", "key=k&searchKey=企查查科技有限公司&pageSize=20", Paging{PageSize: 20, PageIndex: 1, TotalRecords: 2},
			[]string{"145695151793ad28f7ffd5d8a24cd6191", "295733c8d847882298539674ec7d74a71"},
			cert.Query{Keyword: "企查查科技有限公司", Exact: true, Page: 1, PageSize: 20}},
		{"category", "key=k&searchKey=企查查科技有限公司&certCategory=cnca058", Paging{PageSize: 10, PageIndex: 1, TotalRecords: 1},
			[]string{"295733c8d847882298539674ec7d74a71"},
			cert.Query{Keyword: "企查查科技有限公司", Exact: true, TypeCode: "cnca058", Page: 1, PageSize: 10}},
		{"exact true", "key=k&searchKey=企查查科技&isExactlySame=TRUE", Paging{}, nil, cert.Query{}},
		{"fuzzy", "key=k&searchKey=企查查科技&isExactlySame=false", Paging{PageSize: 10, PageIndex: 1, TotalRecords: 3},
			[]string{"145695151793ad28f7ffd5d8a24cd6191", "295733c8d847882298539674ec7d74a71", "x3"},
			cert.Query{Keyword: "企查查科技", Page: 1, PageSize: 10}},
		{"fuzzy 0", "key=k&searchKey=企查查科技&isExactlySame=0", Paging{PageSize: 10, PageIndex: 1, TotalRecords: 3},
			[]string{"145695151793ad28f7ffd5d8a24cd6191", "295733c8d847882298539674ec7d74a71", "x3"},
			cert.Query{Keyword: "企查查科技", Page: 1, PageSize: 10}},
		{"credit code", "key=k&searchKey=91320594088140947F", Paging{PageSize: 10, PageIndex: 1, TotalRecords: 1},
			[]string{"145695151793ad28f7ffd5d8a24cd6191"},
			cert.Query{Keyword: "91320594088140947F", Exact: true, Page: 1, PageSize: 10}},
		{"deepest allowed page", "key=k&searchKey=企查查科技有限公司&pageSize=20&pageIndex=250", Paging{PageSize: 20, PageIndex: 250, TotalRecords: 2}, nil,
			cert.Query{Keyword: "企查查科技有限公司", Exact: true, Page: 250, PageSize: 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &certtest.Searcher{Records: testRecords()}
			status, env, raw := call(t, newMux(svc, discard()), searchPath+tt.query)
			if status != http.StatusOK {
				t.Fatalf("HTTP %d: %s", status, raw)
			}
			var out struct {
				Paging Paging
				Result []listItem
			}
			if err := json.Unmarshal([]byte(raw), &out); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, it := range out.Result {
				ids = append(ids, it.ID)
			}
			if tt.wantIDs == nil {
				// No hit: 201 with paging and a null Result.
				if env["Status"] != "201" || env["Result"] != nil || env["Paging"] == nil {
					t.Errorf("got %s, want Status 201, Paging, null Result", raw)
				}
			} else {
				if env["Status"] != "200" || env["Message"] != "【有效请求】查询成功" {
					t.Errorf("got %s, want Status 200", raw)
				}
				if out.Paging != tt.wantPaging {
					t.Errorf("Paging = %+v, want %+v", out.Paging, tt.wantPaging)
				}
				if !reflect.DeepEqual(ids, tt.wantIDs) {
					t.Errorf("ids = %q, want %q", ids, tt.wantIDs)
				}
			}
			if tt.wantQuery != (cert.Query{}) && svc.Last != tt.wantQuery {
				t.Errorf("query = %+v, want %+v", svc.Last, tt.wantQuery)
			}
		})
	}
}

func TestSearchShape(t *testing.T) {
	svc := &certtest.Searcher{Records: testRecords()}
	_, _, raw := call(t, newMux(svc, discard()), searchPath+"key=k&searchKey=苏州企查查科技有限公司")
	want := `{"Paging":{"PageSize":10,"PageIndex":1,"TotalRecords":1},"Result":[{"Id":"x3","Name":"电缆分线箱","Type":"ccc",` +
		`"StartDate":"2012-09-24 00:00:00","EndDate":"","No":"2012010301569774","TypeDesc":"强制性产品认证"}],` +
		`"Status":"200","Message":"【有效请求】查询成功","OrderNumber":"17639089990001230001"}` + "\n"
	if raw != want {
		t.Errorf("search body =\n%s\nwant\n%s", raw, want)
	}
}

func TestDetail(t *testing.T) {
	svc := &certtest.Searcher{Records: testRecords()}
	status, _, raw := call(t, newMux(svc, discard()), detailPath+"key=k&certId=145695151793ad28f7ffd5d8a24cd6191")
	// Flat keys per the rule in cert/shape.go, certificate fields first, null kept.
	want := `{"Result":{"Id":"145695151793ad28f7ffd5d8a24cd6191","Data":{"证书编号":"17418Q20358R1M","变更日期":"","主认证证书号":null,` +
		`"获证组织基本信息-企业名称":"企查查科技有限公司","认证委托人-组织名称":"","发证机构批准号":"CNCA-R-2015-189","发证机构网址":"www.hxccc.org"},` +
		`"Schema":null},"Status":"200","Message":"【有效请求】查询成功","OrderNumber":"17639089990001230001"}` + "\n"
	if status != http.StatusOK || raw != want {
		t.Errorf("detail: HTTP %d\n%s\nwant\n%s", status, raw, want)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		target     string
		svcErr     error
		wantStatus Status
		wantCalls  int
	}{
		{"search without key", searchPath + "searchKey=企查查", nil, StatusKeyInvalid, 0},
		{"search blank key", searchPath + "key=+&searchKey=企查查", nil, StatusKeyInvalid, 0},
		{"detail without key", detailPath + "certId=x", nil, StatusKeyInvalid, 0},
		{"missing searchKey", searchPath + "key=k", nil, StatusBadParam, 0},
		{"blank searchKey", searchPath + "key=k&searchKey=%20", nil, StatusBadParam, 0},
		{"one-character searchKey", searchPath + "key=k&searchKey=企", nil, StatusKeywordTooShort, 0},
		{"searchKey too long", searchPath + "key=k&searchKey=" + strings.Repeat("企", 101), nil, StatusBadParam, 0},
		{"pageSize over 20", searchPath + "key=k&searchKey=企查查&pageSize=21", nil, StatusBadParam, 0},
		{"pageSize zero", searchPath + "key=k&searchKey=企查查&pageSize=0", nil, StatusBadParam, 0},
		{"pageSize text", searchPath + "key=k&searchKey=企查查&pageSize=x", nil, StatusBadParam, 0},
		{"pageIndex text", searchPath + "key=k&searchKey=企查查&pageIndex=x", nil, StatusBadParam, 0},
		{"pageIndex zero", searchPath + "key=k&searchKey=企查查&pageIndex=0", nil, StatusBadParam, 0},
		{"pageIndex overflow", searchPath + "key=k&searchKey=企查查&pageIndex=99999999999", nil, StatusBadParam, 0},
		{"past 5000 records", searchPath + "key=k&searchKey=企查查&pageSize=20&pageIndex=251", nil, StatusTooManyRecords, 0},
		{"bad isExactlySame", searchPath + "key=k&searchKey=企查查&isExactlySame=maybe", nil, StatusBadParam, 0},
		{"bad query string", searchPath + "key=k&searchKey=%zz", nil, StatusBadParam, 0},
		{"no result", searchPath + "key=k&searchKey=不存在的公司", nil, StatusNoResult, 1},
		{"service too short", searchPath + "key=k&searchKey=（）", cert.ErrKeywordTooShort, StatusKeywordTooShort, 1},
		{"generic keyword", searchPath + "key=k&searchKey=有限公司", cert.ErrKeywordGeneric, StatusBadKeyword, 1},
		{"service param error", searchPath + "key=k&searchKey=企查查", &cert.ParamError{Param: "TypeCode", Reason: "x"}, StatusBadParam, 1},
		{"unavailable", searchPath + "key=k&searchKey=企查查", cert.ErrUnavailable, StatusQueryFailed, 1},
		{"timeout", searchPath + "key=k&searchKey=企查查", context.DeadlineExceeded, StatusQueryFailed, 1},
		{"internal", searchPath + "key=k&searchKey=企查查", errors.New("sql: no such table cert_records"), StatusUnknownError, 1},
		{"missing certId", detailPath + "key=k", nil, StatusBadParam, 0},
		{"unknown certId", detailPath + "key=k&certId=nope", nil, StatusNoResult, 1},
		{"detail unavailable", detailPath + "key=k&certId=x3", cert.ErrUnavailable, StatusQueryFailed, 1},
		{"detail internal", detailPath + "key=k&certId=x3", errors.New("disk on fire"), StatusUnknownError, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &certtest.Searcher{Records: testRecords(), Err: tt.svcErr}
			var logBuf bytes.Buffer
			status, env, raw := call(t, newMux(svc, slog.New(slog.NewTextHandler(&logBuf, nil))), tt.target)
			if env["Status"] != tt.wantStatus.String() || status != tt.wantStatus.HTTPStatus() {
				t.Errorf("got HTTP %d %s; want Status %d (HTTP %d)", status, raw, tt.wantStatus, tt.wantStatus.HTTPStatus())
			}
			if env["Result"] != nil {
				t.Errorf("Result = %v, want null", env["Result"])
			}
			if svc.Calls != tt.wantCalls {
				t.Errorf("service called %d times, want %d", svc.Calls, tt.wantCalls)
			}
			if tt.wantStatus == StatusUnknownError {
				if !strings.Contains(logBuf.String(), "17639089990001230001") || !strings.Contains(logBuf.String(), tt.svcErr.Error()) {
					t.Errorf("log %q lacks taskNo or cause", logBuf.String())
				}
				if strings.Contains(raw, tt.svcErr.Error()) {
					t.Errorf("response leaks the cause: %s", raw)
				}
			}
		})
	}
}

func TestWriteForGateway(t *testing.T) {
	rec := httptest.NewRecorder()
	info := &reqinfo.Info{TaskNo: "1"}
	req := httptest.NewRequest(http.MethodGet, searchPath, nil)
	Write(rec, req.WithContext(reqinfo.NewContext(req.Context(), info)), StatusAuthFailed, nil, nil)
	want := `{"Result":null,"Status":"115","Message":"【无效请求】身份验证错误或者已过期","OrderNumber":"1"}` + "\n"
	if rec.Code != 200 || rec.Body.String() != want || info.Code != 115 {
		t.Errorf("Write(115) = HTTP %d %s (code %d), want HTTP 200 %s", rec.Code, rec.Body, info.Code, want)
	}
	// Outside a request there is no task number: OrderNumber is null.
	rec = httptest.NewRecorder()
	Write(rec, httptest.NewRequest(http.MethodGet, searchPath, nil), StatusNoResult, nil, nil)
	if !strings.Contains(rec.Body.String(), `"OrderNumber":null`) {
		t.Errorf("no task number: %s", rec.Body)
	}
}

// FuzzSearchParams: whatever the query string, the answer is an envelope
// with a known status, and the service only sees a sane query.
func FuzzSearchParams(f *testing.F) {
	f.Add("key=k&searchKey=企查查科技有限公司&pageSize=20&pageIndex=2&isExactlySame=false&certCategory=cnca027")
	f.Add("key=k&searchKey=企&pageSize=-1")
	f.Add("searchKey=%zz&key")
	f.Fuzz(func(t *testing.T, query string) {
		svc := &certtest.Searcher{Records: testRecords()}
		req := httptest.NewRequest(http.MethodGet, "/api/yj/ECICertification/SearchCertification", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		newMux(svc, discard()).ServeHTTP(rec, req)
		var env Envelope
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
			t.Fatalf("not an envelope: %v", err)
		}
		switch env.Status {
		case "200", "201", "202", "207", "213", "101":
		default:
			t.Fatalf("Status %s for %q", env.Status, query)
		}
		if svc.Calls > 0 {
			q := svc.Last
			if n := len([]rune(strings.TrimSpace(q.Keyword))); n < 2 || q.Page < 1 || q.PageSize < 1 || q.PageSize > cert.MaxPageSize || q.Page*q.PageSize > MaxRecords {
				t.Fatalf("service got %+v from %q", q, query)
			}
			if vals, _ := url.ParseQuery(query); vals.Get("key") == "" {
				t.Fatalf("service called without key: %q", query)
			}
		}
	})
}

// BenchmarkHandler measures the dialect's own cost per request (parameter
// parsing and rendering) over the in-memory fake.
func BenchmarkHandler(b *testing.B) {
	mux := newMux(&certtest.Searcher{Records: testRecords()}, discard())
	for _, bc := range []struct{ name, target string }{
		{"route=detail", detailPath + "key=k&certId=145695151793ad28f7ffd5d8a24cd6191"},
		{"route=search", searchPath + "key=k&searchKey=%E4%BC%81%E6%9F%A5%E6%9F%A5%E7%A7%91%E6%8A%80%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, bc.target, nil))
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Body.String())
				}
			}
		})
	}
}

// TestKeyAfterGateway: a request the gateway authenticated by AppCode or
// signature carries its app and needs no key; an unauthenticated one
// (no gateway, --no-auth) still does.
func TestKeyAfterGateway(t *testing.T) {
	tests := []struct {
		name   string
		target string
		appID  string
		want   Status
	}{
		{"authenticated search, no key", searchPath + "searchKey=企查查科技有限公司", "app1", StatusOK},
		{"authenticated detail, no key", detailPath + "certId=145695151793ad28f7ffd5d8a24cd6191", "app1", StatusOK},
		{"unauthenticated search, no key", searchPath + "searchKey=企查查科技有限公司", "", StatusKeyInvalid},
		{"unauthenticated detail, no key", detailPath + "certId=145695151793ad28f7ffd5d8a24cd6191", "", StatusKeyInvalid},
		{"unauthenticated detail, any key", detailPath + "key=x&certId=145695151793ad28f7ffd5d8a24cd6191", "", StatusOK},
	}
	mux := newMux(&certtest.Searcher{Records: testRecords()}, discard())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.target, nil)
			req = req.WithContext(reqinfo.NewContext(req.Context(), &reqinfo.Info{TaskNo: "1", AppID: tt.appID}))
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			var env Envelope
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if env.Status != tt.want.String() {
				t.Errorf("Status %s (%s), want %d", env.Status, env.Message, tt.want)
			}
		})
	}
}
