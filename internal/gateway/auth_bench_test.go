package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zhengapi/zheng/apig"
)

// oneApp is a Store holding one app, enough for authentication.
type oneApp struct {
	Store
	app  App
	code string
}

func (s oneApp) AppByKey(_ context.Context, key string) (App, error) {
	if key == s.app.AppKey {
		return s.app, nil
	}
	return App{}, ErrNotFound
}

func (s oneApp) AppByCode(_ context.Context, hash string) (App, error) {
	if hash == s.code {
		return s.app, nil
	}
	return App{}, ErrNotFound
}

// BenchmarkAuthenticate measures credential checks alone (app found in the
// cache), per mode.
func BenchmarkAuthenticate(b *testing.B) {
	keys, _ := NewKeyring(make([]byte, 32))
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	const key, secret, code = "0123456789abcdef0123456789abcdef", "s3cr3t0123456789abcdef0123456789abcdef01", "c0de"
	st := oneApp{app: App{ID: "a", AppKey: key, SealedSecret: keys.Seal("a", secret)}, code: keys.HashCode(code)}
	g := New(st, keys, &Options{Now: func() time.Time { return now }})
	defer g.Close(context.Background())

	appcode := httptest.NewRequest("POST", "/enterprise/certificate/list", nil)
	appcode.Header.Set("X-Apig-AppCode", code)

	signed := httptest.NewRequest("POST", "/enterprise/certificate/list?pageNo=1", nil)
	c, _ := http.NewRequest("POST", "http://example.com/enterprise/certificate/list?pageNo=1", strings.NewReader(""))
	c.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := apig.Sign(c, key, secret, now); err != nil {
		b.Fatal(err)
	}
	signed.Header = c.Header

	qcc := httptest.NewRequest("GET", "/api/yj/ECICertification/SearchCertification?searchKey=x&key="+key, nil)
	ts := apig.QCCTimespan(now)
	qcc.Header.Set("Timespan", ts)
	qcc.Header.Set("Token", apig.QCCToken(key, ts, secret))

	for _, m := range []struct {
		name string
		r    *http.Request
	}{{"appcode", appcode}, {"apig", signed}, {"qcc", qcc}} {
		b.Run("mode="+m.name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				if _, _, f := g.authenticate(ctx, m.r, false, now); f.reason != reasonNone {
					b.Fatalf("refused: %+v", f)
				}
			}
		})
	}
}
