package blob

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestLocal(t *testing.T) {
	l, err := NewLocal(t.TempDir(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	l.now = func() time.Time { return now }
	ref, err := l.Put(context.Background(), []byte("photo"), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ref.Path, Prefix) || !strings.HasSuffix(ref.Path, ".jpg") || len(ref.Path) < len(Prefix)+32 {
		t.Fatalf("Put path = %q, want /files/<32 hex>.jpg", ref.Path)
	}
	if got := ref.Resolve("https://x.example/"); got != "https://x.example"+ref.Path {
		t.Errorf("Resolve = %q", got)
	}
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		l.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		body, _ := io.ReadAll(rec.Body)
		return rec.Code, string(body)
	}
	if code, body := get(ref.Path); code != 200 || body != "photo" {
		t.Fatalf("GET %s = %d %q", ref.Path, code, body)
	}
	for _, p := range []string{"/files/", "/files/../blob.go", "/files/.hidden", "/files/nothere.jpg"} {
		if code, _ := get(p); code != 404 {
			t.Errorf("GET %s = %d, want 404", p, code)
		}
	}
	// After the lifetime: not served, and swept.
	now = now.Add(2 * time.Hour)
	if code, _ := get(ref.Path); code != 404 {
		t.Errorf("expired GET = %d, want 404", code)
	}
	if n, err := l.Sweep(); err != nil || n != 1 {
		t.Errorf("Sweep = %d, %v; want 1", n, err)
	}
}

func TestParseS3URL(t *testing.T) {
	ep, bucket, prefix, ak, sk, region, public, secure, err := ParseS3URL("s3://AK:SK@127.0.0.1:9000/photos/idphoto?secure=false&region=cn-east-3")
	if err != nil || ep != "127.0.0.1:9000" || bucket != "photos" || prefix != "idphoto/" || ak != "AK" || sk != "SK" || region != "cn-east-3" || public != "" || secure {
		t.Errorf("ParseS3URL = %q %q %q %q %q %q %q %v %v", ep, bucket, prefix, ak, sk, region, public, secure, err)
	}
	for _, bad := range []string{"http://h/b", "s3://h", "s3://h/b?secure=maybe", "::"} {
		if _, _, _, _, _, _, _, _, err := ParseS3URL(bad); err == nil {
			t.Errorf("ParseS3URL(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "SK") {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}
