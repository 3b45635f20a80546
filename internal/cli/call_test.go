package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhengapi/zheng/apig"
)

// callServer answers the API routes with seed-shaped JSON after checking
// credentials with package apig, and records the scheme each request used.
type callServer struct {
	*httptest.Server
	mu      sync.Mutex
	schemes []string
	paths   []string
	quotaUp bool
}

func newCallServer(t *testing.T, now time.Time) *callServer {
	s := &callServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		scheme := "none"
		var err error
		switch {
		case r.Header.Get("X-Apig-AppCode") != "":
			scheme = "appcode"
			if r.Header.Get("X-Apig-AppCode") != "code1" {
				err = apig.ErrBadSignature
			}
		case r.Header.Get("Authorization") != "":
			scheme = "appkey"
			_, err = apig.Verify(r, body, "s1", now, apig.DefaultSkew)
		case r.Header.Get("Token") != "":
			scheme = "qcc"
			err = apig.VerifyQCC(r.URL.Query().Get("key"), r.Header.Get("Timespan"), r.Header.Get("Token"), "s1", now, apig.DefaultSkew)
		}
		s.mu.Lock()
		s.schemes = append(s.schemes, scheme)
		s.paths = append(s.paths, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error_msg":"Incorrect app authentication information: verify signature fail","error_code":"APIG.0303","request_id":"r1"}`)
			return
		}
		if s.quotaUp {
			w.WriteHeader(http.StatusMethodNotAllowed)
			io.WriteString(w, `{"error_msg":"The app quota has been used up.","error_code":"APIG.0501","request_id":"r2"}`)
			return
		}
		switch r.URL.Path {
		case "/enterprise/certificate/list":
			io.WriteString(w, `{"code":200,"msg":"成功","taskNo":"1","data":{"page":{"pageNo":1,"pageSize":10,"recordCount":1},"items":[{"Type":"软件产品证书","Id":"85f8","CertNo":"浙RC-2020-0106","StartDate":"2025-03-30 00:00:00","EndDate":"2025-03-30 00:00:00"}]}}`)
		case "/enterprise/certificate/detail":
			io.WriteString(w, `{"code":200,"msg":"成功","taskNo":"2","data":{"certNo":"浙RC-2020-0106","type":"软件产品证书","enterpriseName":"阿里巴巴（中国）有限公司","startDate":"","endDate":"","detail":{"证书信息":{"证书状态":"撤销","撤销日期":"2016-09-19"},"发证机构信息":{"处罚信息":null}}}}`)
		case "/api/yj/ECICertification/SearchCertification":
			io.WriteString(w, `{"Paging":{"PageSize":10,"PageIndex":1,"TotalRecords":1},"Result":[{"Id":"1456","Name":"","Type":"cnca027","StartDate":"","EndDate":"","No":"17418Q20358R1M","TypeDesc":"质量管理体系认证（ISO9000）"}],"Status":"200","Message":"【有效请求】查询成功","OrderNumber":null}`)
		case "/api/yj/ECICertification/GetCertificationDetailById":
			io.WriteString(w, `{"Result":{"Id":"1456","Data":{"证书编号":"17418Q20358R1M"},"Schema":null},"Status":"200","Message":"【有效请求】查询成功","OrderNumber":null}`)
		case "/v1/account/usage":
			io.WriteString(w, `{"code":200,"msg":"成功","taskNo":"3","data":{"appId":"a1","name":"demo","packages":[{"id":1,"product":"cert","total":100,"used":1,"remaining":99,"expiresAt":"2027-01-01T00:00:00Z","expired":false,"usedToday":1}]}}`)
		case "/idphoto/make":
			io.WriteString(w, `{"code":200,"msg":"成功","taskNo":"4","data":{"result":"http://127.0.0.1/files/x.jpg","size":["295","413"]}}`)
		case "/idphoto/specs":
			io.WriteString(w, `{"code":200,"msg":"成功","taskNo":"5","data":{"specs":[{"id":"s1","name":"一寸","width":25,"height":35,"unit":"mm","dpi":300,"colors":["blue"],"pixelWidth":295,"pixelHeight":413,"faceRatio":0.33}],"custom":"12"}}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func TestCallCommands(t *testing.T) {
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	srv := newCallServer(t, now)
	sign := []string{"--appkey", "k1", "--appsecret", "s1"}
	tests := []struct {
		name       string
		args       []string
		vars       map[string]string
		wantScheme string
		wantPath   string
		wantOut    string
	}{
		{"cert list signed", append([]string{"call", "cert", "list", "--keyword", "阿里巴巴", "--page", "1", "--size", "10"}, sign...), nil,
			"appkey", "POST /enterprise/certificate/list", `"CertNo": "浙RC-2020-0106"`},
		{"cert detail keeps field order", append([]string{"call", "cert", "detail", "--id", "85f8"}, sign...), nil,
			"appkey", "POST /enterprise/certificate/detail", "\"证书状态\": \"撤销\",\n        \"撤销日期\": \"2016-09-19\""},
		{"qcc search with token", []string{"call", "qcc", "search", "--search-key", "企查查", "--qcc-key", "k1", "--qcc-secret", "s1"}, nil,
			"qcc", "GET /api/yj/ECICertification/SearchCertification", `"No": "17418Q20358R1M"`},
		{"qcc detail with appcode from env", []string{"call", "qcc", "detail", "--cert-id", "1456"}, map[string]string{"ZHENG_APPCODE": "code1", "ZHENG_APPKEY": "k1"},
			"appcode", "GET /api/yj/ECICertification/GetCertificationDetailById", `"证书编号": "17418Q20358R1M"`},
		{"usage signed from env", []string{"call", "usage"}, map[string]string{"ZHENG_APPKEY": "k1", "ZHENG_APPSECRET": "s1"},
			"appkey", "GET /v1/account/usage", `"remaining": 99`},
		{"explicit appkey beats env appcode", append([]string{"call", "usage"}, sign...), map[string]string{"ZHENG_APPCODE": "code1"},
			"appkey", "GET /v1/account/usage", `"remaining": 99`},
		{"idphoto make", []string{"call", "idphoto", "make", "--url", "http://127.0.0.1/me.jpg", "--spec", "一寸", "--bg", "blue", "--appcode", "code1"}, nil,
			"appcode", "POST /idphoto/make", `"result": "http://127.0.0.1/files/x.jpg"`},
		{"idphoto specs without credentials", []string{"call", "idphoto", "specs"}, nil,
			"none", "GET /idphoto/specs", `"name": "一寸"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"ZHENG_URL": srv.URL}
			for k, v := range tt.vars {
				vars[k] = v
			}
			env, out, errb := testEnv(vars)
			if code := Main(context.Background(), tt.args, env); code != 0 {
				t.Fatalf("exit %d, stderr: %s", code, errb)
			}
			srv.mu.Lock()
			scheme, path := srv.schemes[len(srv.schemes)-1], srv.paths[len(srv.paths)-1]
			srv.mu.Unlock()
			if scheme != tt.wantScheme || path != tt.wantPath {
				t.Errorf("server saw %s with %s, want %s with %s", path, scheme, tt.wantPath, tt.wantScheme)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout:\n%s\nwant it to contain %q", out, tt.wantOut)
			}
			if !json.Valid(out.Bytes()) {
				t.Errorf("stdout is not JSON:\n%s", out)
			}
		})
	}
}

func TestCallFailures(t *testing.T) {
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	srv := newCallServer(t, now)
	tests := []struct {
		name     string
		args     []string
		quotaUp  bool
		wantCode int
		wantErr  string
	}{
		{"no credentials", []string{"call", "usage"}, false, 2, "no credentials"},
		{"key without secret", []string{"call", "usage", "--appkey", "k1"}, false, 2, "--appkey needs --appsecret"},
		{"missing keyword", []string{"call", "cert", "list", "--appcode", "code1"}, false, 2, "--keyword is required"},
		{"wrong secret", []string{"call", "cert", "list", "--keyword", "x", "--appkey", "k1", "--appsecret", "nope"}, false, 1, "APIG.0303"},
		{"package used up", []string{"call", "cert", "detail", "--id", "x", "--appcode", "code1"}, true, 1, "APIG.0501 (HTTP 405): The app quota has been used up."},
		{"no photo", []string{"call", "idphoto", "make", "--appcode", "code1"}, false, 2, "give --file, --url or --base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.quotaUp = tt.quotaUp
			env, _, errb := testEnv(map[string]string{"ZHENG_URL": srv.URL})
			if code := Main(context.Background(), tt.args, env); code != tt.wantCode || !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errb, tt.wantCode, tt.wantErr)
			}
		})
	}
}
