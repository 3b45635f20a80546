package client

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/zhengapi/zheng/apig"
)

// Test credentials of the fake server.
const (
	testKey     = "a1b2c3d4e5f6"
	testSecret  = "s3cret-s3cret-s3cret"
	testAppCode = "appcode-0123456789"
)

// Canned answers in the seeds' shapes.
const (
	listJSON = `{"code":200,"msg":"成功","taskNo":"41020892700032664119","data":{"page":{"pageNo":1,"pageSize":10,"recordCount":1},` +
		`"items":[{"Type":"软件产品证书","Id":"85f8355cd221d46f5c5cfa6f1daae80b","CertNo":"浙RC-2020-0106","StartDate":"2025-03-30 00:00:00","EndDate":"2025-03-30 00:00:00"}]}}`
	detailJSON = `{"code":200,"msg":"成功","taskNo":"41020892700032664120","data":{"certNo":"浙RC-2020-0106","type":"软件产品证书","enterpriseName":"阿里巴巴（中国）有限公司",` +
		`"startDate":"2025-03-30 00:00:00","endDate":"2025-03-30 00:00:00","detail":{"认证委托人基本信息":{"组织名称":"合肥金德电力设备制造有限公司","所在国别地区":"中国 安徽省"},` +
		`"证书信息":{"证书编号":"2012010301569774","证书状态":"撤销"},"发证机构信息":{"机构名称":"中国质量认证中心","处罚信息":null}}}}`
	searchJSON = `{"Paging":{"PageSize":2,"PageIndex":1,"TotalRecords":5},"Result":[{"Id":"145695151793ad28f7ffd5d8a24cd6191","Name":"","Type":"cnca027",` +
		`"StartDate":"2021-04-12 00:00:00","EndDate":"2024-05-15 00:00:00","No":"17418Q20358R1M","TypeDesc":"质量管理体系认证（ISO9000）"}],"Status":"200","Message":"【有效请求】查询成功","OrderNumber":null}`
	qccDetailJSON = `{"Result":{"Id":"145695151793ad28f7ffd5d8a24cd6191","Data":{"证书编号":"17418Q20358R1M","企业名称":"企查查科技有限公司","变更日期":""},"Schema":null},` +
		`"Status":"200","Message":"【有效请求】查询成功","OrderNumber":null}`
	usageJSON = `{"code":200,"msg":"成功","taskNo":"7","data":{"appId":"app_1","name":"demo","packages":[{"id":1,"product":"cert","total":1000,"used":10,"remaining":990,` +
		`"expiresAt":"2027-01-01T00:00:00Z","expired":false,"usedToday":3}]}}`
	photoJSON = `{"code":200,"msg":"成功","taskNo":"254900443205524179659164","data":{"result":"http://127.0.0.1/files/a.jpg","size":["295","413"],"spec":"s1","specName":"一寸","dpi":300,"fileSize":42.5,"report":{"faces":1}}}`
	specsJSON = `{"code":200,"msg":"成功","taskNo":"9","data":{"specs":[{"id":"s1","name":"一寸","width":25,"height":35,"unit":"mm","dpi":300,"colors":["blue","white"],` +
		`"pixelWidth":295,"pixelHeight":413,"faceRatio":0.33}],"colors":{"blue":["#438EDB","#438EDB"]},"custom":"12","layouts":["6inch"]}}`
)

// received is what the fake server saw of one request.
type received struct {
	method, path string
	query        url.Values
	form         url.Values
	header       http.Header
	authErr      error // nil when the credentials checked out
	scheme       string
}

// fakeServer answers the routes with canned JSON and checks every request's
// credentials with package apig, as the gateway does.
type fakeServer struct {
	*httptest.Server
	now time.Time

	mu   sync.Mutex
	reqs []received
	// answer, when set, replaces the canned answer (status, body).
	answer func(n int, r *http.Request) (int, string)
}

func newFakeServer(t testing.TB, now time.Time) *fakeServer {
	f := &fakeServer{now: now}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := received{method: r.Method, path: r.URL.Path, query: r.URL.Query(), header: r.Header.Clone()}
	rec.form, _ = url.ParseQuery(string(body))
	switch {
	case r.Header.Get("X-Apig-AppCode") != "":
		rec.scheme = "appcode"
		if r.Header.Get("X-Apig-AppCode") != testAppCode {
			rec.authErr = apig.ErrBadSignature
		}
	case r.Header.Get("Authorization") != "":
		rec.scheme = "appkey"
		_, rec.authErr = apig.Verify(r, body, testSecret, f.now, apig.DefaultSkew)
	case r.Header.Get("Token") != "":
		rec.scheme = "qcc"
		rec.authErr = apig.VerifyQCC(r.URL.Query().Get("key"), r.Header.Get("Timespan"), r.Header.Get("Token"), testSecret, f.now, apig.DefaultSkew)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, rec)
	n := len(f.reqs)
	answer := f.answer
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Task-No", "hdr-task")
	if answer != nil {
		status, body := answer(n, r)
		w.WriteHeader(status)
		io.WriteString(w, body)
		return
	}
	canned := map[string]string{
		"POST " + PathCertList:           listJSON,
		"POST " + PathCertDetail:         detailJSON,
		"GET " + PathSearchCertification: searchJSON,
		"GET " + PathCertificationDetail: qccDetailJSON,
		"GET " + PathUsage:               usageJSON,
		"POST " + PathIDPhotoMake:        photoJSON,
		"GET " + PathIDPhotoSpecs:        specsJSON,
	}[r.Method+" "+r.URL.Path]
	if canned == "" {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error_msg":"The API does not exist or has not been published in the environment.","error_code":"APIG.0101","request_id":"r1"}`)
		return
	}
	io.WriteString(w, canned)
}

func (f *fakeServer) received() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.reqs...)
}
