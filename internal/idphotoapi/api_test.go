package idphotoapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zhengapi/zheng/internal/blob"
	"github.com/zhengapi/zheng/internal/idphoto"
	"github.com/zhengapi/zheng/internal/reqinfo"
	"github.com/zhengapi/zheng/internal/urlfetch"
)

// fakeMaker records the request and answers with a fixed photo, or with
// err when set.
type fakeMaker struct {
	got *idphoto.Request
	err error
}

func (f *fakeMaker) Make(ctx context.Context, req *idphoto.Request) (*idphoto.Result, error) {
	f.got = req
	if f.err != nil {
		return nil, f.err
	}
	if string(req.Image) != "IMG" {
		return nil, &idphoto.Error{Code: idphoto.CodeNotFound}
	}
	spec, _ := idphoto.Specs().Lookup("一寸")
	res := &idphoto.Result{Photo: []byte("JPEG"), ContentType: "image/jpeg", Width: 295, Height: 413, DPI: 300, Spec: spec,
		Report: &idphoto.Report{FileKB: 0.1}}
	if req.Layout != "" {
		res.Layout = []byte("SHEET")
	}
	return res, nil
}

type answer struct {
	Code   int    `json:"code"`
	Msg    string `json:"msg"`
	TaskNo string `json:"taskNo"`
	Data   struct {
		Result string    `json:"result"`
		Size   [2]string `json:"size"`
		Spec   string    `json:"spec"`
		DPI    int       `json:"dpi"`
		Layout string    `json:"layout"`
		Report any       `json:"report"`
	} `json:"data"`
}

func setup(t *testing.T, m *fakeMaker) (*Handler, *blob.Local) {
	store, err := blob.NewLocal(t.TempDir(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	return &Handler{Maker: m, Store: store, Fetcher: urlfetch.New(urlfetch.Config{Allow: allow})}, store
}

func do(t *testing.T, h http.HandlerFunc, r *http.Request) (*httptest.ResponseRecorder, answer, *reqinfo.Info) {
	t.Helper()
	info := &reqinfo.Info{TaskNo: "123"}
	r = r.WithContext(reqinfo.NewContext(r.Context(), info))
	rec := httptest.NewRecorder()
	h(rec, r)
	var a answer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, rec.Body)
	}
	if info.Code != a.Code {
		t.Errorf("reqinfo code = %d, envelope code = %d", info.Code, a.Code)
	}
	if a.TaskNo != "123" {
		t.Errorf("taskNo = %q", a.TaskNo)
	}
	return rec, a, info
}

func TestMakeInputs(t *testing.T) {
	img := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/p.jpg" {
			w.Write([]byte("IMG"))
			return
		}
		http.NotFound(w, r)
	}))
	defer img.Close()
	b64 := base64.StdEncoding.EncodeToString([]byte("IMG"))

	form := func(v url.Values) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/idphoto/make", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	jsonReq := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/idphoto/make", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	multi := func(fields map[string]string, file []byte) *http.Request {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range fields {
			mw.WriteField(k, v)
		}
		if file != nil {
			fw, _ := mw.CreateFormFile("file", "me.heic")
			fw.Write(file)
		}
		mw.Close()
		r := httptest.NewRequest(http.MethodPost, "/idphoto/make", &buf)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		return r
	}
	for _, tc := range []struct {
		name  string
		req   *http.Request
		code  int
		param string // expected in msg for 400
	}{
		{"form base64", form(url.Values{"base64": {b64}, "spec": {"一寸"}, "layout": {"6inch"}}), 200, ""},
		{"form base64 with data prefix and spaces for plus", form(url.Values{"base64": {"data:image/jpeg;base64," + b64}}), 200, ""},
		{"json with numbers", jsonReq(`{"base64":"` + b64 + `","dpi":350,"faceRatio":0.4,"spec":"一寸"}`), 200, ""},
		{"multipart upload", multi(map[string]string{"spec": "一寸"}, []byte("IMG")), 200, ""},
		{"query string", httptest.NewRequest(http.MethodPost, "/idphoto/make?url="+url.QueryEscape(img.URL+"/p.jpg"), nil), 200, ""},
		{"url", form(url.Values{"url": {img.URL + "/p.jpg"}}), 200, ""},
		{"base64 wins over url", form(url.Values{"base64": {b64}, "url": {img.URL + "/missing"}}), 200, ""},
		{"url 404", form(url.Values{"url": {img.URL + "/missing"}}), 203, ""},
		{"url refused", form(url.Values{"url": {"http://169.254.169.254/latest/"}}), 203, ""},
		{"no image", form(url.Values{"spec": {"一寸"}}), 400, "base64"},
		{"bad base64", form(url.Values{"base64": {"***"}}), 400, "base64"},
		{"bad json", jsonReq(`{"base64":`), 400, "body"},
		{"bad param", form(url.Values{"base64": {b64}, "dpi": {"abc"}}), 400, "dpi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, store := setup(t, &fakeMaker{})
			_, a, _ := do(t, h.Make, tc.req)
			if a.Code != tc.code {
				t.Fatalf("code = %d (%s), want %d", a.Code, a.Msg, tc.code)
			}
			if tc.param != "" && !strings.Contains(a.Msg, tc.param) {
				t.Errorf("msg %q does not name %s", a.Msg, tc.param)
			}
			if a.Code != 200 {
				return
			}
			if a.Msg != "成功" || a.Data.Size != [2]string{"295", "413"} || a.Data.Spec != "s034" || a.Data.DPI != 300 {
				t.Errorf("data = %+v", a.Data)
			}
			if !strings.HasPrefix(a.Data.Result, "http://example.com/files/") {
				t.Fatalf("result = %q, want a URL on the request's host", a.Data.Result)
			}
			// The URL serves the photo.
			rec := httptest.NewRecorder()
			store.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, strings.TrimPrefix(a.Data.Result, "http://example.com"), nil))
			if body, _ := io.ReadAll(rec.Body); string(body) != "JPEG" {
				t.Errorf("GET result = %q", body)
			}
		})
	}
}

func TestMakeErrors(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte("IMG"))
	for _, code := range []int{201, 202, 203, 204, 205, 206, 207, 209, 210} {
		h, _ := setup(t, &fakeMaker{err: &idphoto.Error{Code: code, Detail: "x"}})
		r := httptest.NewRequest(http.MethodPost, "/idphoto/make", strings.NewReader(url.Values{"base64": {b64}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec, a, _ := do(t, h.Make, r)
		if a.Code != code || rec.Code != 200 || !strings.HasPrefix(a.Msg, idphoto.Message(code)) {
			t.Errorf("error %d: HTTP %d, envelope %d %q", code, rec.Code, a.Code, a.Msg)
		}
	}
	h, _ := setup(t, &fakeMaker{err: idphoto.ErrBusy})
	r := httptest.NewRequest(http.MethodPost, "/idphoto/make?base64="+url.QueryEscape(b64), nil)
	rec, a, _ := do(t, h.Make, r)
	if rec.Code != http.StatusServiceUnavailable || a.Code != idphoto.CodeBusy || rec.Header().Get("Retry-After") == "" {
		t.Errorf("busy: HTTP %d, code %d, Retry-After %q", rec.Code, a.Code, rec.Header().Get("Retry-After"))
	}
}

func TestPublicURLAndLayout(t *testing.T) {
	h, _ := setup(t, &fakeMaker{})
	h.PublicURL = "https://photos.example.org"
	b64 := base64.StdEncoding.EncodeToString([]byte("IMG"))
	r := httptest.NewRequest(http.MethodPost, "/idphoto/make?layout=a4&base64="+url.QueryEscape(b64), nil)
	_, a, _ := do(t, h.Make, r)
	if !strings.HasPrefix(a.Data.Result, "https://photos.example.org/files/") || !strings.HasPrefix(a.Data.Layout, "https://photos.example.org/files/") {
		t.Errorf("result %q, layout %q: want the public URL", a.Data.Result, a.Data.Layout)
	}
}

func TestSpecs(t *testing.T) {
	h, _ := setup(t, &fakeMaker{})
	rec := httptest.NewRecorder()
	h.Specs(rec, httptest.NewRequest(http.MethodGet, "/idphoto/specs", nil))
	var a struct {
		Code int
		Data SpecsData
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if a.Code != 200 || len(a.Data.Specs) != 181 || a.Data.Colors["blue"][0] != "#438EDB" || a.Data.Custom != "12" {
		t.Errorf("specs: code %d, %d specs, blue %v, custom %q", a.Code, len(a.Data.Specs), a.Data.Colors["blue"], a.Data.Custom)
	}
	// Face ratios are the seed's: 0.5, and 0.4 for the wide formats.
	ratios := map[float64]int{}
	for _, s := range a.Data.Specs {
		ratios[s.FaceRatio]++
	}
	if len(ratios) != 2 || ratios[0.5] == 0 || ratios[0.4] == 0 {
		t.Errorf("specs' face ratios %v, want only 0.5 and 0.4", ratios)
	}
}

func TestDecodeBase64(t *testing.T) {
	want := []byte{0x01, 0xFB, 0xFF, 0xBF, 0x01, 0x02}
	std := base64.StdEncoding.EncodeToString(want)
	for _, in := range []string{
		std,
		"data:image/png;base64," + std,
		strings.ReplaceAll(std, "+", " "),
		base64.URLEncoding.EncodeToString(want),
		base64.RawStdEncoding.EncodeToString(want),
		std[:4] + "\r\n" + std[4:],
	} {
		got, err := DecodeBase64(in)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("DecodeBase64(%q) = %x, %v", in, got, err)
		}
	}
}

// FuzzMakeBody feeds random bodies of each content type to the handler:
// it must always answer with an envelope, never panic.
func FuzzMakeBody(f *testing.F) {
	f.Add("application/json", []byte(`{"base64":"SU1H","spec":"一寸","dpi":350}`))
	f.Add("application/x-www-form-urlencoded", []byte("base64=SU1H&fileSize=20%2C45"))
	f.Add("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nIMG\r\n--x--\r\n"))
	f.Add("application/json", []byte(`{"base64":{"a":1}}`))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		h, _ := setup(t, &fakeMaker{})
		h.Fetcher = noNetwork{} // random bodies may name any URL
		r := httptest.NewRequest(http.MethodPost, "/idphoto/make", bytes.NewReader(body))
		r.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		h.Make(rec, r)
		var a answer
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.Code == 0 {
			t.Fatalf("answer %q: %v", rec.Body, err)
		}
	})
}

// noNetwork refuses every download.
type noNetwork struct{}

func (noNetwork) Get(ctx context.Context, u string) ([]byte, error) {
	return nil, urlfetch.ErrForbidden
}
