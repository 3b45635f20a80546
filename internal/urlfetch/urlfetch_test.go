package urlfetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestPublic(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		want bool
	}{
		{"8.8.8.8", true},
		{"2606:4700::1111", true},
		{"127.0.0.1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"100.64.0.1", false},      // CGNAT
		{"224.0.0.1", false},
		{"0.0.0.0", false},
		{"::1", false},
		{"fe80::1", false},
		{"fc00::1", false},
		{"::ffff:127.0.0.1", false},
		{"fd00:ec2::254", false},
	} {
		f := New(Config{})
		if got := f.Allowed(netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("Allowed(%s) = %v, want %v", tc.ip, got, tc.want)
		}
	}
}

func loopbackAllowed() []netip.Prefix { return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} }

func TestGet(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/img", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("PNGDATA")) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(strings.Repeat("x", 2048))) })
	mux.HandleFunc("/404", http.NotFound)
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/to-meta", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	})
	mux.HandleFunc("/to-img", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/img", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()

	open := New(Config{Allow: loopbackAllowed(), MaxBytes: 1024})
	strict := New(Config{MaxBytes: 1024})
	for _, tc := range []struct {
		name string
		f    *Fetcher
		path string
		want error // nil = success
	}{
		{"allowed", open, "/img", nil},
		{"redirect followed", open, "/to-img", nil},
		{"loopback refused", strict, "/img", ErrForbidden},
		{"redirect to metadata refused", open, "/to-meta", ErrForbidden},
		{"404", open, "/404", ErrStatus},
		{"too large", open, "/big", ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := tc.f.Get(ctx, srv.URL+tc.path)
			if tc.want == nil {
				if err != nil || string(data) != "PNGDATA" {
					t.Fatalf("Get(%s) = %q, %v; want PNGDATA", tc.path, data, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Get(%s) error = %v, want %v", tc.path, err, tc.want)
			}
		})
	}
	if _, err := open.Get(ctx, srv.URL+"/loop"); err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("redirect loop: err = %v, want a redirect-limit error", err)
	}
	for _, u := range []string{"file:///etc/passwd", "gopher://x/", "http://user:pw@example.com/"} {
		if _, err := open.Get(ctx, u); !errors.Is(err, ErrURL) {
			t.Errorf("Get(%s) = %v, want ErrURL", u, err)
		}
	}
	// A DNS name resolving to loopback is refused at dial time.
	if _, err := strict.Get(ctx, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/img"); !errors.Is(err, ErrForbidden) {
		t.Errorf("localhost: err = %v, want ErrForbidden", err)
	}
}

func TestParseAllow(t *testing.T) {
	got, err := ParseAllow("127.0.0.0/8, 10.0.0.5,")
	if err != nil || len(got) != 2 || got[1].Bits() != 32 {
		t.Fatalf("ParseAllow = %v, %v", got, err)
	}
	if _, err := ParseAllow("nonsense"); err == nil {
		t.Error("ParseAllow(nonsense) succeeded")
	}
}
