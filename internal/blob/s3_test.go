package blob

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// fakeS3 serves an in-memory S3 API on loopback with one bucket, "photos".
func fakeS3(t *testing.T) (host string) {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("photos"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestS3PutAndFetch(t *testing.T) {
	host := fakeS3(t)
	photo := []byte("\xff\xd8 not really a jpeg \xff\xd9")
	tests := []struct {
		name      string
		url       string
		wantStart string // prefix of the returned URL
	}{
		{"presigned", "s3://KEY:SECRET@" + host + "/photos/idphoto?secure=false&region=us-east-1",
			"http://" + host + "/photos/idphoto/"},
		{"public base", "s3://KEY:SECRET@" + host + "/photos?secure=false&region=us-east-1&public=https://cdn.example.com/p",
			"https://cdn.example.com/p/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := NewS3(t.Context(), tc.url, time.Hour)
			if err != nil {
				t.Fatalf("NewS3: %v", err)
			}
			ref, err := st.Put(t.Context(), photo, "image/jpeg")
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if !strings.HasPrefix(ref.URL, tc.wantStart) || !strings.Contains(ref.URL, ".jpg") {
				t.Fatalf("Put URL = %q, want a .jpg under %q", ref.URL, tc.wantStart)
			}
			if tc.name != "presigned" {
				return // the public base is a CDN we cannot reach from a test
			}
			resp, err := http.Get(ref.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(got, photo) {
				t.Errorf("GET %s = %d %q, want 200 and the stored bytes", ref.URL, resp.StatusCode, got)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "image/jpeg" {
				t.Errorf("Content-Type = %q, want image/jpeg", ct)
			}
		})
	}
}

func TestS3MissingBucket(t *testing.T) {
	host := fakeS3(t)
	if _, err := NewS3(t.Context(), "s3://KEY:SECRET@"+host+"/nosuchbucket?secure=false&region=us-east-1", time.Hour); err == nil {
		t.Error("NewS3 with a missing bucket succeeded, want an error naming it")
	}
}
