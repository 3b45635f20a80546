package client

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

func newTestClient(t *testing.T, base string, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithClock(func() time.Time { return testNow }), WithBackoff(time.Millisecond)}, opts...)
	c, err := New(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// routeCall is one typed method, with what the server must have received.
type routeCall struct {
	name, method, path string
	params             map[string]string // query (GET) or form (POST) values
	qcc                bool              // a 企查查 route: "key" is sent
	call               func(ctx context.Context, c *Client) (any, error)
}

var routeCalls = []routeCall{
	{"CertList", "POST", PathCertList, map[string]string{"keyword": "阿里巴巴", "pageNo": "2", "pageSize": "20"}, false,
		func(ctx context.Context, c *Client) (any, error) { return c.CertList(ctx, "阿里巴巴", 2, 20) }},
	{"CertDetail", "POST", PathCertDetail, map[string]string{"id": "85f8355cd221d46f5c5cfa6f1daae80b"}, false,
		func(ctx context.Context, c *Client) (any, error) {
			return c.CertDetail(ctx, "85f8355cd221d46f5c5cfa6f1daae80b")
		}},
	{"SearchCertification", "GET", PathSearchCertification, map[string]string{"searchKey": "企查查 科技+", "pageSize": "2", "isExactlySame": "false"}, true,
		func(ctx context.Context, c *Client) (any, error) {
			f := false
			return c.SearchCertification(ctx, SearchParams{SearchKey: "企查查 科技+", PageSize: 2, ExactlySame: &f})
		}},
	{"GetCertificationDetailById", "GET", PathCertificationDetail, map[string]string{"certId": "145695151793ad28f7ffd5d8a24cd6191"}, true,
		func(ctx context.Context, c *Client) (any, error) {
			return c.GetCertificationDetailById(ctx, "145695151793ad28f7ffd5d8a24cd6191")
		}},
	{"Usage", "GET", PathUsage, nil, false,
		func(ctx context.Context, c *Client) (any, error) { return c.Usage(ctx) }},
	{"IDPhotoMake", "POST", PathIDPhotoMake, map[string]string{"base64": "aGVsbG8=", "spec": "一寸", "bgColor": "#FF0000", "beautyDegree": "1.5", "dpi": "350", "fileSize": "10,100", "faceCenterRange": "0.45"}, false,
		func(ctx context.Context, c *Client) (any, error) {
			return c.IDPhotoMake(ctx, IDPhotoRequest{Base64: "aGVsbG8=", Spec: "一寸", BgColor: "#FF0000", BeautyDegree: 1.5, DPI: 350, FileSize: "10,100", FaceCenterRange: 0.45})
		}},
	{"IDPhotoSpecs", "GET", PathIDPhotoSpecs, nil, false,
		func(ctx context.Context, c *Client) (any, error) { return c.IDPhotoSpecs(ctx) }},
}

// TestEveryRouteEveryScheme calls each typed method with each of the three
// credentials and checks, on the server side, the route, the parameters
// and the credentials (signatures and tokens verified with package apig).
func TestEveryRouteEveryScheme(t *testing.T) {
	srv := newFakeServer(t, testNow.Add(time.Minute))
	schemes := map[string][]Option{
		"appcode": {WithAppCode(testAppCode), WithQCCKey(testKey)},
		"appkey":  {WithAppKey(testKey, testSecret)},
		"qcc":     {WithQCC(testKey, testSecret)},
	}
	for scheme, opts := range schemes {
		c := newTestClient(t, srv.URL, opts...)
		for _, rc := range routeCalls {
			t.Run(scheme+"/"+rc.name, func(t *testing.T) {
				if _, err := rc.call(t.Context(), c); err != nil {
					t.Fatalf("%s: %v", rc.name, err)
				}
				reqs := srv.received()
				got := reqs[len(reqs)-1]
				if got.method != rc.method || got.path != rc.path {
					t.Errorf("server saw %s %s, want %s %s", got.method, got.path, rc.method, rc.path)
				}
				if got.scheme != scheme || got.authErr != nil {
					t.Errorf("credentials: scheme %q, check %v; want %q, nil", got.scheme, got.authErr, scheme)
				}
				values := got.form
				if rc.method == "GET" {
					values = got.query
				}
				for k, want := range rc.params {
					if v := values.Get(k); v != want {
						t.Errorf("parameter %s = %q, want %q", k, v, want)
					}
				}
				if rc.qcc || scheme == "qcc" {
					if k := got.query.Get("key"); k != testKey {
						t.Errorf("key = %q, want %q", k, testKey)
					}
				}
				if ua := got.header.Get("User-Agent"); ua != DefaultUserAgent {
					t.Errorf("User-Agent = %q", ua)
				}
			})
		}
	}
}

// TestResponsesMirrorWire decodes each canned answer and encodes it again:
// nothing may be lost, and detail fields keep their order.
func TestResponsesMirrorWire(t *testing.T) {
	srv := newFakeServer(t, testNow)
	c := newTestClient(t, srv.URL, WithAppKey(testKey, testSecret))
	canned := map[string]string{
		"CertList": listJSON, "CertDetail": detailJSON, "SearchCertification": searchJSON,
		"GetCertificationDetailById": qccDetailJSON, "Usage": usageJSON, "IDPhotoMake": photoJSON, "IDPhotoSpecs": specsJSON,
	}
	for _, rc := range routeCalls {
		out, err := rc.call(t.Context(), c)
		if err != nil {
			t.Fatalf("%s: %v", rc.name, err)
		}
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatalf("%s: marshal: %v", rc.name, err)
		}
		var got, want any
		json.Unmarshal(b, &got)
		json.Unmarshal([]byte(canned[rc.name]), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: re-encoded answer\n got %s\nwant %s", rc.name, b, canned[rc.name])
		}
	}
	d, err := c.CertDetail(t.Context(), "x")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range d.Data.Detail {
		names = append(names, s.Name)
	}
	if want := []string{"认证委托人基本信息", "证书信息", "发证机构信息"}; !slices.Equal(names, want) {
		t.Errorf("detail sections %v, want %v (server order)", names, want)
	}
	if v, ok := d.Data.Detail.Section("证书信息").Get("证书状态"); !ok || v != "撤销" {
		t.Errorf("证书状态 = %q, %v", v, ok)
	}
	if _, ok := d.Data.Detail.Section("发证机构信息").Get("处罚信息"); ok {
		t.Errorf("null field reported present")
	}
	p, err := c.IDPhotoMake(t.Context(), IDPhotoRequest{URL: "http://127.0.0.1/p.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Data.Result == "" || !slices.Equal(p.Data.Size, []string{"295", "413"}) || p.Data.DPI != 300 || p.Data.FileSize != 42.5 || string(p.Data.Report) != `{"faces":1}` {
		t.Errorf("IDPhotoMake data = %+v", p.Data)
	}
}

func TestErrors(t *testing.T) {
	type check func(error) bool
	tests := []struct {
		name   string
		status int
		body   string
		call   string // "jumei", "qcc" or "photo"
		want   APIError
		is     []check
		isNot  []check
	}{
		{"bad signature", 401, `{"error_msg":"Incorrect app authentication information: verify signature fail","error_code":"APIG.0303","request_id":"rq1"}`, "jumei",
			APIError{HTTPStatus: 401, APIGCode: "APIG.0303", Message: "Incorrect app authentication information: verify signature fail", TaskNo: "hdr-task"},
			[]check{IsUnauthorized}, []check{IsQuotaExhausted, IsNotFound}},
		{"not subscribed", 403, `{"error_msg":"The app is not authorized to access the API.","error_code":"APIG.0304","request_id":"rq2"}`, "jumei",
			APIError{HTTPStatus: 403, APIGCode: "APIG.0304", Message: "The app is not authorized to access the API.", TaskNo: "hdr-task"},
			[]check{IsForbidden}, []check{IsUnauthorized}},
		{"package used up", 405, `{"error_msg":"The app quota has been used up.","error_code":"APIG.0501","request_id":"rq3"}`, "photo",
			APIError{HTTPStatus: 405, APIGCode: "APIG.0501", Message: "The app quota has been used up.", TaskNo: "hdr-task"},
			[]check{IsQuotaExhausted}, []check{IsUnauthorized, IsThrottled}},
		{"throttled", 429, `{"error_msg":"The throttling threshold has been reached.","error_code":"APIG.0308","request_id":"rq4"}`, "jumei",
			APIError{HTTPStatus: 429, APIGCode: "APIG.0308", Message: "The throttling threshold has been reached.", TaskNo: "hdr-task"},
			[]check{IsThrottled}, []check{IsQuotaExhausted}},
		{"jumei bad parameter", 200, `{"code":400,"msg":"参数错误：keyword不能为空","taskNo":"123","data":null}`, "jumei",
			APIError{HTTPStatus: 200, Code: 400, Message: "参数错误：keyword不能为空", TaskNo: "123"},
			[]check{IsBadRequest}, []check{IsNotFound, IsUnauthorized}},
		{"jumei unavailable", 503, `{"code":501,"msg":"官方数据源维护，请稍候再试","taskNo":"124","data":null}`, "jumei",
			APIError{HTTPStatus: 503, Code: 501, Message: "官方数据源维护，请稍候再试", TaskNo: "124"},
			nil, []check{IsBadRequest}},
		{"qcc no result", 200, `{"Paging":null,"Result":null,"Status":"201","Message":"【有效请求】查询无结果","OrderNumber":null}`, "qcc",
			APIError{HTTPStatus: 200, Code: 201, Message: "【有效请求】查询无结果", TaskNo: "hdr-task"},
			[]check{IsNoResult, IsNotFound}, []check{IsBadRequest}},
		{"qcc quota", 200, `{"Status":"112","Message":"【无效请求】您的账号剩余使用量已不足或已过期","OrderNumber":null,"Result":null}`, "qcc",
			APIError{HTTPStatus: 200, Code: 112, Message: "【无效请求】您的账号剩余使用量已不足或已过期", TaskNo: "hdr-task"},
			[]check{IsQuotaExhausted}, []check{IsNoResult}},
		{"qcc bad token", 200, `{"Status":"115","Message":"【无效请求】身份验证错误或者已过期","OrderNumber":null,"Result":null}`, "qcc",
			APIError{HTTPStatus: 200, Code: 115, Message: "【无效请求】身份验证错误或者已过期", TaskNo: "hdr-task"},
			[]check{IsUnauthorized}, []check{IsQuotaExhausted}},
		{"photo processing failed is not a 企查查 201", 200, `{"code":201,"msg":"照片处理失败","taskNo":"55","data":null}`, "photo",
			APIError{HTTPStatus: 200, Code: 201, Message: "照片处理失败", TaskNo: "55"},
			nil, []check{IsNoResult, IsNotFound}},
		{"not json", 502, `<html>bad gateway</html>`, "jumei",
			APIError{HTTPStatus: 502, Message: "<html>bad gateway</html>", TaskNo: "hdr-task"},
			nil, []check{IsUnauthorized}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, testNow)
			srv.answer = func(int, *http.Request) (int, string) { return tt.status, tt.body }
			c := newTestClient(t, srv.URL, WithAppKey(testKey, testSecret), WithRetries(0))
			var err error
			switch tt.call {
			case "jumei":
				_, err = c.CertList(t.Context(), "x", 0, 0)
			case "qcc":
				_, err = c.SearchCertification(t.Context(), SearchParams{SearchKey: "xx"})
			case "photo":
				_, err = c.IDPhotoMake(t.Context(), IDPhotoRequest{URL: "http://127.0.0.1/x.jpg"})
			}
			var e *APIError
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			got := *e
			got.qcc = false
			if got != tt.want {
				t.Errorf("APIError = %+v, want %+v", got, tt.want)
			}
			for _, f := range tt.is {
				if !f(err) {
					t.Errorf("%s: a predicate is false", err)
				}
			}
			for _, f := range tt.isNot {
				if f(err) {
					t.Errorf("%s: a predicate is true", err)
				}
			}
		})
	}
}

func TestRetryPolicy(t *testing.T) {
	ok := func(r *http.Request) string {
		if r.Method == "GET" {
			return usageJSON
		}
		return listJSON
	}
	tests := []struct {
		name     string
		post     bool
		statuses []int // answers in turn; then the canned one
		wantReqs int
		wantErr  bool
	}{
		{"GET retried after 503", false, []int{503, 502}, 3, false},
		{"GET gives up after retries", false, []int{503, 503, 503, 503}, 3, true},
		{"POST not retried after 503", true, []int{503}, 1, true},
		{"POST not retried after 500", true, []int{500}, 1, true},
		{"POST retried after 429", true, []int{429}, 2, false},
		{"GET retried after 429", false, []int{429, 429}, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, testNow)
			srv.answer = func(n int, r *http.Request) (int, string) {
				if n <= len(tt.statuses) {
					return tt.statuses[n-1], `{"error_msg":"x","error_code":"APIG.0308"}`
				}
				return 200, ok(r)
			}
			c := newTestClient(t, srv.URL, WithAppCode(testAppCode), WithRetries(2))
			var err error
			if tt.post {
				_, err = c.CertList(t.Context(), "阿里巴巴", 0, 0)
			} else {
				_, err = c.Usage(t.Context())
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("error = %v, want error %v", err, tt.wantErr)
			}
			if n := len(srv.received()); n != tt.wantReqs {
				t.Errorf("server saw %d requests, want %d", n, tt.wantReqs)
			}
		})
	}
}

// TestPOSTNotResentAfterLostAnswer: the server reads the request and drops
// the connection; a billable POST must not be sent again.
func TestPOSTNotResentAfterLostAnswer(t *testing.T) {
	srv := newFakeServer(t, testNow)
	srv.answer = func(n int, r *http.Request) (int, string) {
		panic(http.ErrAbortHandler) // closes the connection without answering
	}
	c := newTestClient(t, srv.URL, WithAppCode(testAppCode), WithRetries(3), WithHTTPClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}))
	if _, err := c.IDPhotoMake(t.Context(), IDPhotoRequest{URL: "http://127.0.0.1/x.jpg"}); err == nil {
		t.Fatal("IDPhotoMake succeeded on a dropped connection")
	}
	if n := len(srv.received()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestDialFailureRetriedThenReported(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	c := newTestClient(t, "http://"+addr, WithAppCode(testAppCode), WithRetries(2))
	_, err = c.CertList(t.Context(), "x", 0, 0)
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		t.Errorf("error = %v, want a dial error", err)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	srv := newFakeServer(t, testNow)
	c := newTestClient(t, srv.URL, WithAppCode(testAppCode), WithRetries(5), WithBackoff(time.Hour))
	ctx, cancel := context.WithCancel(t.Context())
	srv.answer = func(int, *http.Request) (int, string) { cancel(); return 503, `{}` }
	_, err := c.Usage(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if n := len(srv.received()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8080", "ftp://x", "http://"} {
		if _, err := New(u); err == nil {
			t.Errorf("New(%q) succeeded", u)
		}
	}
}

func TestBaseURLPrefix(t *testing.T) {
	srv := newFakeServer(t, testNow)
	srv.answer = func(int, *http.Request) (int, string) { return 200, usageJSON }
	c := newTestClient(t, srv.URL+"/prefix/", WithAppKey(testKey, testSecret))
	if _, err := c.Usage(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := srv.received()[0]
	if got.path != "/prefix"+PathUsage || got.authErr != nil {
		t.Errorf("server saw %s (auth %v), want /prefix%s", got.path, got.authErr, PathUsage)
	}
}

func TestTimeoutCoversRetries(t *testing.T) {
	srv := newFakeServer(t, testNow)
	srv.answer = func(int, *http.Request) (int, string) { return 503, `{}` }
	c := newTestClient(t, srv.URL, WithAppCode(testAppCode), WithRetries(5), WithBackoff(time.Hour), WithTimeout(time.Millisecond))
	_, err := c.Usage(t.Context())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want context.DeadlineExceeded", err)
	}
}
