package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zhengapi/zheng/internal/gateway"
)

func TestAdminAPI(t *testing.T) {
	s := newStack(t, openSQLite(t), nil)
	h := gateway.AdminHandler(s.gw.Apps(), "tok3n", nil)
	call := func(method, path, token, body string) (int, map[string]any) {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var v map[string]any
		json.Unmarshal(rec.Body.Bytes(), &v)
		return rec.Code, v
	}
	for _, tc := range []struct{ name, token string }{{"no token", ""}, {"wrong token", "tok3m"}, {"prefix of token", "tok"}} {
		if code, _ := call("GET", "/admin/v1/apps", tc.token, ""); code != http.StatusUnauthorized {
			t.Errorf("%s: HTTP %d, want 401", tc.name, code)
		}
	}
	code, created := call("POST", "/admin/v1/apps", "tok3n", `{"name":"shop","packages":[{"product":"cert","calls":3}],"qps":5}`)
	if code != 200 || created["appSecret"] == "" || len(created["appCodes"].([]any)) != 1 {
		t.Fatalf("create: HTTP %d %v", code, created)
	}
	id := created["appId"].(string)
	appCode := created["appCodes"].([]any)[0].(string)
	if code, v := call("POST", "/admin/v1/apps", "tok3n", `{"name":"","packages":[]}`); code != 400 {
		t.Errorf("create without name: HTTP %d %v, want 400", code, v)
	}
	if code, v := call("POST", "/admin/v1/apps", "tok3n", `{"name":"x","packages":[{"product":"cert","calls":-1}]}`); code != 400 {
		t.Errorf("create with negative calls: HTTP %d %v, want 400", code, v)
	}
	if code, v := call("POST", "/admin/v1/apps/"+id+"/topup", "tok3n", `{"product":"idphoto","calls":7,"dailyCap":2}`); code != 200 || v["remaining"] != 7.0 {
		t.Errorf("topup: HTTP %d %v", code, v)
	}
	if code, v := call("GET", "/admin/v1/apps/"+created["appKey"].(string), "tok3n", ""); code != 200 || len(v["packages"].([]any)) != 2 {
		t.Errorf("show by AppKey: HTTP %d %v", code, v)
	}
	if code, _ := call("GET", "/admin/v1/apps/nosuch", "tok3n", ""); code != 404 {
		t.Errorf("show unknown app: HTTP %d, want 404", code)
	}
	if code, v := call("POST", "/admin/v1/apps/"+id+"/disable", "tok3n", ""); code != 200 || v["disabled"] != true {
		t.Errorf("disable: HTTP %d %v", code, v)
	}
	if a := serve(s.handler, request("POST", "/enterprise/certificate/list", "", withAppCode(appCode))); a.ErrorCode != "APIG.0502" {
		t.Errorf("call of a disabled app: HTTP %d %s, want APIG.0502", a.status, a.ErrorCode)
	}
	if code, _ := call("POST", "/admin/v1/apps/"+id+"/enable", "tok3n", ""); code != 200 {
		t.Errorf("enable: HTTP %d", code)
	}
	if code, v := call("POST", "/admin/v1/apps/"+id+"/rotate-secret", "tok3n", ""); code != 200 || v["appSecret"] == created["appSecret"] {
		t.Errorf("rotate-secret: HTTP %d %v", code, v)
	}
	for i := range 4 {
		if code, v := call("POST", "/admin/v1/apps/"+id+"/appcodes", "tok3n", ""); code != 200 || len(v["appCode"].(string)) != 64 {
			t.Errorf("add AppCode %d: HTTP %d %v", i+2, code, v)
		}
	}
	if code, v := call("POST", "/admin/v1/apps/"+id+"/appcodes", "tok3n", ""); code != 400 {
		t.Errorf("sixth AppCode: HTTP %d %v, want 400", code, v)
	}
	if code, v := call("GET", "/admin/v1/apps", "tok3n", ""); code != 200 {
		t.Errorf("list: HTTP %d %v", code, v)
	}
}

func TestAddAppCodeRules(t *testing.T) {
	s := newStack(t, openSQLite(t), nil)
	app := createApp(t, s.gw, gateway.NewApp{Name: "t", Packages: []gateway.PackageSpec{pkg("cert", 10)}})
	good := "A" + strings.Repeat("b", 63)
	for _, tc := range []struct {
		code string
		ok   bool
	}{
		{good, true},
		{good, false}, // already in use
		{"short", false},
		{"-" + strings.Repeat("b", 63), false},
		{strings.Repeat("c", 181), false},
		{"+/" + strings.Repeat("x_!@#$%-/=", 7), true},
	} {
		_, _, err := s.gw.Apps().AddAppCode(t.Context(), app.AppID, tc.code)
		if (err == nil) != tc.ok {
			t.Errorf("AddAppCode(%q) error = %v, want ok=%v", tc.code, err, tc.ok)
		}
	}
	if a := serve(s.handler, request("POST", "/enterprise/certificate/list", "", withAppCode(good))); a.status != 200 {
		t.Errorf("call with the added AppCode: HTTP %d %s", a.status, a.ErrorMsg)
	}
}
