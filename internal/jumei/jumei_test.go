package jumei

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
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
		{ID: "id1", CertNo: "浙RC-2020-0106", TypeName: "软件产品证书", EnterpriseName: "甲科技有限公司", CreditCode: "91330106MA2H3K5L0W",
			Status: cert.StatusValid, StartDate: day("2020-03-30"), EndDate: day("2025-03-30"),
			Detail: []cert.Section{
				{Name: cert.SectionIssuer, Fields: []cert.Field{{Name: "机构名称", Value: str("中国质量认证中心")}, {Name: "处罚信息"}}},
				{Name: cert.SectionCert, Fields: []cert.Field{{Name: "证书状态", Value: str("有效")}, {Name: "证书编号", Value: str("浙RC-2020-0106")}}},
			}},
		{ID: "id2", CertNo: "17418Q20358R1M", TypeCode: "cnca027", EnterpriseName: "甲科技有限公司",
			StartDate: day("2021-04-12")},
		{ID: "id3", CertNo: "00216Q10097R1S", TypeName: "质量管理体系认证（ISO9000）", EnterpriseName: "乙甲科技有限公司",
			StartDate: day("2016-01-01"), EndDate: day("2019-01-01")},
	}
}

// call sends req through the handler inside a request context carrying a
// task number, and checks what every answer must satisfy: JSON envelope,
// taskNo, and the code recorded with reqinfo.SetCode.
func call(t *testing.T, h http.Handler, req *http.Request) (status int, env map[string]any, raw string) {
	t.Helper()
	info := &reqinfo.Info{TaskNo: "41020892700032664119"}
	req = req.WithContext(reqinfo.NewContext(req.Context(), info))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	raw = rec.Body.String()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("body %q: %v", raw, err)
	}
	if got := env["taskNo"]; got != info.TaskNo {
		t.Errorf("taskNo = %v, want %s", got, info.TaskNo)
	}
	if code, _ := env["code"].(float64); int(code) != info.Code {
		t.Errorf("reqinfo code = %d, envelope code %v", info.Code, env["code"])
	}
	if _, ok := env["data"]; !ok {
		t.Errorf("envelope without data: %s", raw)
	}
	return rec.Code, env, raw
}

func newMux(svc cert.Searcher, log *slog.Logger) *http.ServeMux {
	mux := http.NewServeMux()
	New(svc, log).Install(func(p string, h http.Handler) { mux.Handle(p, h) })
	return mux
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

type request struct {
	path  string // default list
	query string
	ctype string
	body  string
}

func (r request) build(t *testing.T) *http.Request {
	path := r.path
	if path == "" {
		path = "/enterprise/certificate/list"
	}
	if r.query != "" {
		path += "?" + r.query
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(r.body))
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	return req
}

const form = "application/x-www-form-urlencoded"

func multipartBody(t *testing.T, fields map[string]string) (ctype, body string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.String()
}

func TestList(t *testing.T) {
	mpType, mpBody := multipartBody(t, map[string]string{"keyword": "甲科技", "pageSize": "1", "pageNo": "2"})
	tests := []struct {
		name         string
		req          request
		wantPage     pageInfo
		wantIDs      []string
		wantKeyword  string
		wantPageSize int
	}{
		{"form defaults", request{ctype: form, body: "keyword=甲科技"}, pageInfo{1, 10, 3}, []string{"id1", "id2", "id3"}, "甲科技", 10},
		{"form paged", request{ctype: form, body: "keyword=甲科技&pageNo=2&pageSize=2"}, pageInfo{2, 2, 3}, []string{"id3"}, "甲科技", 2},
		{"json numbers", request{ctype: "application/json", body: `{"keyword":"甲科技","pageNo":2,"pageSize":1}`}, pageInfo{2, 1, 3}, []string{"id2"}, "甲科技", 1},
		{"json strings", request{ctype: "application/json; charset=utf-8", body: `{"keyword":"甲科技","pageNo":"3","pageSize":"1"}`}, pageInfo{3, 1, 3}, []string{"id3"}, "甲科技", 1},
		{"json null is absent", request{ctype: "application/json", body: `{"keyword":"甲科技","pageNo":null}`}, pageInfo{1, 10, 3}, []string{"id1", "id2", "id3"}, "甲科技", 10},
		{"multipart", request{ctype: mpType, body: mpBody}, pageInfo{2, 1, 3}, []string{"id2"}, "甲科技", 1},
		{"query string", request{query: "keyword=" + url.QueryEscape("乙甲") + "&pageSize=20"}, pageInfo{1, 20, 1}, []string{"id3"}, "乙甲", 20},
		{"body wins over query", request{query: "keyword=nothing&pageSize=5", ctype: form, body: "keyword=乙甲"}, pageInfo{1, 5, 1}, []string{"id3"}, "乙甲", 5},
		{"sniffed json", request{body: ` {"keyword":"乙甲"}`}, pageInfo{1, 10, 1}, []string{"id3"}, "乙甲", 10},
		{"sniffed form", request{body: "keyword=%E4%B9%99%E7%94%B2"}, pageInfo{1, 10, 1}, []string{"id3"}, "乙甲", 10},
		{"keyword trimmed", request{ctype: form, body: "keyword=+%20%E4%B9%99%E7%94%B2+"}, pageInfo{1, 10, 1}, []string{"id3"}, "乙甲", 10},
		{"credit code", request{ctype: form, body: "keyword=91330106MA2H3K5L0W"}, pageInfo{1, 10, 1}, []string{"id1"}, "91330106MA2H3K5L0W", 10},
		{"no match", request{ctype: form, body: "keyword=丙"}, pageInfo{1, 10, 0}, []string{}, "丙", 10},
		{"page past the end", request{ctype: form, body: "keyword=甲科技&pageNo=9"}, pageInfo{9, 10, 3}, []string{}, "甲科技", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &certtest.Searcher{Records: testRecords()}
			status, env, raw := call(t, newMux(svc, discard()), tt.req.build(t))
			if status != http.StatusOK || env["code"] != 200.0 || env["msg"] != "成功" {
				t.Fatalf("status %d, body %s; want HTTP 200, code 200, msg 成功", status, raw)
			}
			var out struct {
				Data listData `json:"data"`
			}
			if err := json.Unmarshal([]byte(raw), &out); err != nil {
				t.Fatal(err)
			}
			if out.Data.Page != tt.wantPage {
				t.Errorf("page = %+v, want %+v", out.Data.Page, tt.wantPage)
			}
			ids := []string{}
			for _, it := range out.Data.Items {
				ids = append(ids, it.ID)
			}
			if !reflect.DeepEqual(ids, tt.wantIDs) {
				t.Errorf("ids = %q, want %q", ids, tt.wantIDs)
			}
			if !strings.Contains(raw, `"items":[`) {
				t.Errorf("items not an array: %s", raw)
			}
			if svc.Last.Keyword != tt.wantKeyword || svc.Last.PageSize != tt.wantPageSize || svc.Last.Exact {
				t.Errorf("query = %+v, want keyword %q, pageSize %d, fuzzy", svc.Last, tt.wantKeyword, tt.wantPageSize)
			}
		})
	}
}

// TestListItemShape: field names, order and date format as in the seed; a
// record without a type name shows its type code.
func TestListItemShape(t *testing.T) {
	svc := &certtest.Searcher{Records: testRecords()}
	_, _, raw := call(t, newMux(svc, discard()), request{ctype: form, body: "keyword=甲科技&pageSize=2"}.build(t))
	want := `{"code":200,"msg":"成功","taskNo":"41020892700032664119","data":{"page":{"pageNo":1,"pageSize":2,"recordCount":3},"items":[` +
		`{"Type":"软件产品证书","Id":"id1","CertNo":"浙RC-2020-0106","StartDate":"2020-03-30 00:00:00","EndDate":"2025-03-30 00:00:00"},` +
		`{"Type":"cnca027","Id":"id2","CertNo":"17418Q20358R1M","StartDate":"2021-04-12 00:00:00","EndDate":""}]}}` + "\n"
	if raw != want {
		t.Errorf("list body =\n%s\nwant\n%s", raw, want)
	}
}

func TestDetail(t *testing.T) {
	svc := &certtest.Searcher{Records: testRecords()}
	for _, req := range []request{
		{path: "/enterprise/certificate/detail", ctype: form, body: "id=id1"},
		{path: "/enterprise/certificate/detail", ctype: "application/json", body: `{"id":"id1"}`},
		{path: "/enterprise/certificate/detail", query: "id=id1"},
	} {
		status, _, raw := call(t, newMux(svc, discard()), req.build(t))
		// Sections in display order (证书信息 first), fields in reading order, null kept.
		want := `{"code":200,"msg":"成功","taskNo":"41020892700032664119","data":{"certNo":"浙RC-2020-0106","type":"软件产品证书",` +
			`"enterpriseName":"甲科技有限公司","startDate":"2020-03-30 00:00:00","endDate":"2025-03-30 00:00:00","detail":{` +
			`"证书信息":{"证书编号":"浙RC-2020-0106","证书状态":"有效"},"发证机构信息":{"机构名称":"中国质量认证中心","处罚信息":null}}}}` + "\n"
		if status != http.StatusOK || raw != want {
			t.Errorf("detail %+v: HTTP %d\n%s\nwant\n%s", req, status, raw, want)
		}
	}
}

func TestErrors(t *testing.T) {
	detail := "/enterprise/certificate/detail"
	tests := []struct {
		name       string
		req        request
		svcErr     error
		wantStatus int
		wantCode   int
		wantMsg    string
		wantCalls  int
	}{
		{"missing keyword", request{ctype: form, body: "pageNo=1"}, nil, 200, 400, "参数错误：keyword不能为空", 0},
		{"blank keyword", request{ctype: form, body: "keyword=+++"}, nil, 200, 400, "参数错误：keyword不能为空", 0},
		{"empty body", request{ctype: "application/json"}, nil, 200, 400, "参数错误：keyword不能为空", 0},
		{"keyword too long", request{ctype: form, body: "keyword=" + strings.Repeat("甲", 101)}, nil, 200, 400, "参数错误：keyword不能超过100个字符", 0},
		{"pageSize over 20", request{ctype: form, body: "keyword=甲科技&pageSize=21"}, nil, 200, 400, "参数错误：pageSize不能大于20", 0},
		{"pageSize zero", request{ctype: form, body: "keyword=甲科技&pageSize=0"}, nil, 200, 400, "参数错误：pageSize必须是正整数", 0},
		{"pageSize text", request{ctype: form, body: "keyword=甲科技&pageSize=ten"}, nil, 200, 400, "参数错误：pageSize必须是正整数", 0},
		{"pageNo text", request{ctype: form, body: "keyword=甲科技&pageNo=one"}, nil, 200, 400, "参数错误：pageNo必须是正整数", 0},
		{"pageNo zero", request{ctype: form, body: "keyword=甲科技&pageNo=0"}, nil, 200, 400, "参数错误：pageNo必须是正整数", 0},
		{"pageNo negative", request{ctype: form, body: "keyword=甲科技&pageNo=-1"}, nil, 200, 400, "参数错误：pageNo必须是正整数", 0},
		{"pageNo fraction", request{ctype: "application/json", body: `{"keyword":"甲科技","pageNo":1.5}`}, nil, 200, 400, "参数错误：pageNo必须是正整数", 0},
		{"pageNo overflow", request{ctype: form, body: "keyword=甲科技&pageNo=99999999999"}, nil, 200, 400, "参数错误：pageNo必须是正整数", 0},
		{"bad json", request{ctype: "application/json", body: `{"keyword":`}, nil, 200, 400, "参数错误：请求体无法解析", 0},
		{"json array value", request{ctype: "application/json", body: `{"keyword":["a"]}`}, nil, 200, 400, "参数错误：keyword必须是字符串或数字", 0},
		{"bad form", request{ctype: form, body: "keyword=%zz"}, nil, 200, 400, "参数错误：请求体无法解析", 0},
		{"keyword too short", request{ctype: form, body: "keyword=甲"}, cert.ErrKeywordTooShort, 200, 400, "参数错误：keyword至少需要2个字符", 1},
		{"generic keyword", request{ctype: form, body: "keyword=有限公司"}, cert.ErrKeywordGeneric, 200, 400, "参数错误：keyword过于宽泛，请输入更完整的企业名称", 1},
		{"service param error", request{ctype: form, body: "keyword=甲科技"}, &cert.ParamError{Param: "PageSize", Reason: "x"}, 200, 400, "参数错误：pageSize无效", 1},
		{"unavailable", request{ctype: form, body: "keyword=甲科技"}, cert.ErrUnavailable, 503, 501, "官方数据源维护，请稍候再试", 1},
		{"wrapped unavailable", request{ctype: form, body: "keyword=甲科技"}, errors.Join(errors.New("dial tcp"), cert.ErrUnavailable), 503, 501, "官方数据源维护，请稍候再试", 1},
		{"internal", request{ctype: form, body: "keyword=甲科技"}, errors.New("sql: no such table cert_records"), 500, 500, "服务商维护，请稍候再试", 1},
		{"cancelled", request{ctype: form, body: "keyword=甲科技"}, context.Canceled, 200, 999, "查询超时，请稍后再试", 1},
		{"missing id", request{path: detail, ctype: form, body: "id="}, nil, 200, 400, "参数错误：id不能为空", 0},
		{"unknown id", request{path: detail, ctype: form, body: "id=nope"}, nil, 200, 400, "参数错误：id不存在", 1},
		{"detail unavailable", request{path: detail, ctype: form, body: "id=id1"}, cert.ErrUnavailable, 503, 501, "官方数据源维护，请稍候再试", 1},
		{"detail internal", request{path: detail, query: "id=id1"}, errors.New("disk on fire"), 500, 500, "服务商维护，请稍候再试", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &certtest.Searcher{Records: testRecords(), Err: tt.svcErr}
			var logBuf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logBuf, nil))
			status, env, raw := call(t, newMux(svc, log), tt.req.build(t))
			if status != tt.wantStatus || env["code"] != float64(tt.wantCode) || env["msg"] != tt.wantMsg {
				t.Errorf("got HTTP %d %s; want HTTP %d code %d msg %q", status, raw, tt.wantStatus, tt.wantCode, tt.wantMsg)
			}
			if env["data"] != nil {
				t.Errorf("data = %v, want null", env["data"])
			}
			if svc.Calls != tt.wantCalls {
				t.Errorf("service called %d times, want %d", svc.Calls, tt.wantCalls)
			}
			if tt.wantCode == CodeInternal {
				// Logged with the task number and cause; the client sees neither.
				if !strings.Contains(logBuf.String(), "41020892700032664119") || !strings.Contains(logBuf.String(), tt.svcErr.Error()) {
					t.Errorf("log %q lacks taskNo or cause", logBuf.String())
				}
				if strings.Contains(raw, tt.svcErr.Error()) {
					t.Errorf("response leaks the cause: %s", raw)
				}
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	rec := httptest.NewRecorder()
	newMux(&certtest.Searcher{}, discard()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/enterprise/certificate/list?keyword=x", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET list: HTTP %d, want 405", rec.Code)
	}
}

func TestBodyTooLarge(t *testing.T) {
	req := request{ctype: form, body: "keyword=甲科技&pad=" + strings.Repeat("x", maxParamBody)}.build(t)
	status, env, _ := call(t, newMux(&certtest.Searcher{}, discard()), req)
	if status != 200 || env["code"] != 400.0 {
		t.Errorf("oversized body: HTTP %d code %v, want 200/400", status, env["code"])
	}
}

// FuzzListParams: whatever the body and query, the answer is an envelope
// with code 200 or 400, and the service only ever sees a sane query.
func FuzzListParams(f *testing.F) {
	f.Add(form, "keyword=甲科技&pageNo=2&pageSize=20", "")
	f.Add("application/json", `{"keyword":"甲","pageNo":1e3,"pageSize":-1}`, "pageNo=x")
	f.Add("", `{"keyword":{"a":1}}`, "keyword=%zz")
	f.Add("multipart/form-data; boundary=x", "--x\r\n", "")
	f.Fuzz(func(t *testing.T, ctype, body, query string) {
		svc := &certtest.Searcher{Records: testRecords()}
		req := httptest.NewRequest(http.MethodPost, "/enterprise/certificate/list", strings.NewReader(body))
		req.URL.RawQuery = query
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		rec := httptest.NewRecorder()
		newMux(svc, discard()).ServeHTTP(rec, req)
		var env struct {
			Code int             `json:"code"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.NewDecoder(io.LimitReader(rec.Body, 1<<20)).Decode(&env); err != nil {
			t.Fatalf("not an envelope: %v", err)
		}
		if env.Code != CodeOK && env.Code != CodeBadParam {
			t.Fatalf("code %d", env.Code)
		}
		if svc.Calls > 0 {
			q := svc.Last
			if strings.TrimSpace(q.Keyword) == "" || q.Page < 1 || q.PageSize < 1 || q.PageSize > cert.MaxPageSize {
				t.Fatalf("service got %+v", q)
			}
		}
	})
}

// BenchmarkHandler measures the dialect's own cost per request (parameter
// parsing and rendering) over the in-memory fake.
func BenchmarkHandler(b *testing.B) {
	mux := newMux(&certtest.Searcher{Records: testRecords()}, discard())
	for _, bc := range []struct{ name, path, body string }{
		{"route=detail", "/enterprise/certificate/detail", "id=id1"},
		{"route=list", "/enterprise/certificate/list", "keyword=%E7%94%B2%E7%A7%91%E6%8A%80&pageSize=10"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, bc.path, strings.NewReader(bc.body))
				req.Header.Set("Content-Type", form)
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Body.String())
				}
			}
		})
	}
}
