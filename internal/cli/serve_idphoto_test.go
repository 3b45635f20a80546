package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zhengapi/zheng/internal/imageio"
	"github.com/zhengapi/zheng/internal/server"
)

// startIDPhoto runs the real router with setupIDPhoto (models from the
// repository's models dir, files in a temporary data dir), skipping when
// the models or the shared portraits are absent.
func startIDPhoto(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	root, _ := os.Getwd()
	for ; ; root = filepath.Dir(root) {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
	}
	models := filepath.Join(root, "models")
	portraits := filepath.Join(root, "..", "shared", "testdata", "portraits")
	if _, err := os.Stat(filepath.Join(models, "rvm.json")); err != nil {
		t.Skip("models not present")
	}
	if _, err := os.Stat(portraits); err != nil {
		t.Skip("portraits not present")
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	a := &serveApp{
		env:   &Env{Getenv: func(string) string { return "" }},
		log:   log,
		store: storeFlags{DataDir: t.TempDir()},
		srv:   server.New(server.Config{}, log),
	}
	t.Cleanup(a.close)
	if err := setupIDPhoto(t.Context(), a, &idphotoServeFlags{Models: models, Workers: 1}); err != nil {
		t.Fatalf("setupIDPhoto: %v", err)
	}
	ts := httptest.NewServer(a.srv.Handler())
	t.Cleanup(ts.Close)
	return ts, portraits
}

func TestServeIDPhoto(t *testing.T) {
	ts, portraits := startIDPhoto(t)
	photo, err := os.ReadFile(filepath.Join(portraits, "hivision_test0.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("spec", "一寸")
	mw.WriteField("bgColor", "blue")
	mw.WriteField("fileSize", "20,45")
	fw, _ := mw.CreateFormFile("file", "me.jpg")
	fw.Write(photo)
	mw.Close()
	resp, err := http.Post(ts.URL+"/idphoto/make", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a struct {
		Code   int
		Msg    string
		TaskNo string
		Data   struct {
			Result string
			Size   [2]string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	if a.Code != 200 || a.Data.Size != [2]string{"295", "413"} || a.TaskNo == "" || resp.Header.Get("X-Task-No") != a.TaskNo {
		t.Fatalf("answer %+v (X-Task-No %q)", a, resp.Header.Get("X-Task-No"))
	}
	if !strings.HasPrefix(a.Data.Result, ts.URL+"/files/") {
		t.Fatalf("result %q not served here", a.Data.Result)
	}
	got, err := http.Get(a.Data.Result)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	data, _ := io.ReadAll(got.Body)
	if dpi, ok := imageio.JPEGDensity(data); got.StatusCode != 200 || !ok || dpi != 300 || len(data) < 20*1024 || len(data) > 45*1024 {
		t.Errorf("GET result: %d, %d bytes, dpi %d", got.StatusCode, len(data), dpi)
	}
	// The catalogue.
	sresp, err := http.Get(ts.URL + "/idphoto/specs")
	if err != nil {
		t.Fatal(err)
	}
	defer sresp.Body.Close()
	var specs struct {
		Code int
		Data struct{ Specs []json.RawMessage }
	}
	if err := json.NewDecoder(sresp.Body).Decode(&specs); err != nil || specs.Code != 200 || len(specs.Data.Specs) != 181 {
		t.Errorf("specs: code %d, %d specs, %v", specs.Code, len(specs.Data.Specs), err)
	}
}

func TestServeIDPhotoNoModels(t *testing.T) {
	a := &serveApp{env: &Env{Getenv: func(string) string { return "" }}, store: storeFlags{DataDir: t.TempDir()}}
	err := setupIDPhoto(t.Context(), a, &idphotoServeFlags{Models: filepath.Join(t.TempDir(), "none")})
	if err == nil || !strings.Contains(err.Error(), "scripts/fetch-models.sh") {
		t.Errorf("setupIDPhoto without models: %v, want a message naming scripts/fetch-models.sh", err)
	}
}
