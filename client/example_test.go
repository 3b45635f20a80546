package client_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/zhengapi/zheng/apig"
	"github.com/zhengapi/zheng/client"
)

// demoServer stands in for a zheng deployment: it checks APIG signatures
// and 企查查 tokens with package apig and answers like the real routes.
func demoServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		authorized := false
		switch {
		case r.Header.Get("Authorization") != "":
			_, err := apig.Verify(r, body, "demo-secret", time.Now(), apig.DefaultSkew)
			authorized = err == nil
		case r.Header.Get("Token") != "":
			err := apig.VerifyQCC(r.URL.Query().Get("key"), r.Header.Get("Timespan"), r.Header.Get("Token"), "demo-secret", time.Now(), apig.DefaultSkew)
			authorized = err == nil
		case r.Header.Get("X-Apig-AppCode") == "demo-appcode":
			authorized = true
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case !authorized:
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error_msg":"Incorrect app authentication information: verify signature fail","error_code":"APIG.0303","request_id":"1"}`)
		case r.URL.Path == client.PathCertList:
			io.WriteString(w, `{"code":200,"msg":"成功","taskNo":"41020892700032664119","data":{"page":{"pageNo":1,"pageSize":10,"recordCount":1},`+
				`"items":[{"Type":"软件产品证书","Id":"85f8355cd221d46f5c5cfa6f1daae80b","CertNo":"浙RC-2020-0106","StartDate":"2025-03-30 00:00:00","EndDate":"2028-03-30 00:00:00"}]}}`)
		case r.URL.Path == client.PathSearchCertification:
			io.WriteString(w, `{"Paging":{"PageSize":10,"PageIndex":1,"TotalRecords":1},"Result":[{"Id":"145695151793ad28f7ffd5d8a24cd6191","Name":"",`+
				`"Type":"cnca027","StartDate":"2021-04-12 00:00:00","EndDate":"2024-05-15 00:00:00","No":"17418Q20358R1M","TypeDesc":"质量管理体系认证（ISO9000）"}],`+
				`"Status":"200","Message":"【有效请求】查询成功","OrderNumber":null}`)
		case r.URL.Path == client.PathIDPhotoMake:
			w.WriteHeader(http.StatusMethodNotAllowed)
			io.WriteString(w, `{"error_msg":"The app quota has been used up.","error_code":"APIG.0501","request_id":"2"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
}

// Sign every request with the AppKey and AppSecret (APIG APP authentication).
func Example() {
	srv := demoServer()
	defer srv.Close()

	c, err := client.New(srv.URL, client.WithAppKey("demo-key", "demo-secret"))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.CertList(ctx, "阿里巴巴", 1, 10)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Data.Page.RecordCount, "certificate(s)")
	for _, it := range res.Data.Items {
		fmt.Println(it.CertNo, it.Type, it.ID)
	}
	// Output:
	// 1 certificate(s)
	// 浙RC-2020-0106 软件产品证书 85f8355cd221d46f5c5cfa6f1daae80b
}

// The 企查查 dialect with its own key/Token/Timespan scheme.
func ExampleClient_SearchCertification() {
	srv := demoServer()
	defer srv.Close()

	c, err := client.New(srv.URL, client.WithQCC("demo-key", "demo-secret"))
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.SearchCertification(context.Background(), client.SearchParams{SearchKey: "企查查科技有限公司"})
	if client.IsNoResult(err) {
		fmt.Println("no certificate")
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range res.Result {
		fmt.Println(it.No, it.TypeDesc)
	}
	// Output:
	// 17418Q20358R1M 质量管理体系认证（ISO9000）
}

// Branch on the kind of failure instead of matching message text.
func ExampleIsQuotaExhausted() {
	srv := demoServer()
	defer srv.Close()

	c, err := client.New(srv.URL, client.WithAppCode("demo-appcode"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.IDPhotoMake(context.Background(), client.IDPhotoRequest{URL: "https://example.com/me.jpg", Spec: "一寸", BgColor: "blue"})
	switch {
	case client.IsQuotaExhausted(err):
		fmt.Println("package used up:", err)
	case err != nil:
		log.Fatal(err)
	}
	// Output:
	// package used up: zheng: APIG.0501 (HTTP 405): The app quota has been used up. (taskNo 2)
}

// A wrong secret is refused by the gateway.
func ExampleIsUnauthorized() {
	srv := demoServer()
	defer srv.Close()

	c, err := client.New(srv.URL, client.WithAppKey("demo-key", "not-the-secret"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.CertList(context.Background(), "阿里巴巴", 0, 0)
	fmt.Println(client.IsUnauthorized(err))
	// Output:
	// true
}
