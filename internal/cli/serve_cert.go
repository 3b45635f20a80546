package cli

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strconv"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certstore"
	"github.com/zhengapi/zheng/internal/cert/demo"
	"github.com/zhengapi/zheng/internal/jumei"
	"github.com/zhengapi/zheng/internal/qcc"
)

// certServeFlags are serve's certificate settings.
type certServeFlags struct {
	demo bool
}

func (f *certServeFlags) register(fs *flag.FlagSet, env *Env) {
	def, err := strconv.ParseBool(envDefault(env, "ZHENG_DEMO", "true"))
	if err != nil {
		def = true
	}
	fs.BoolVar(&f.demo, "demo", def,
		"load the built-in synthetic demo certificates when the certificate store is empty (env ZHENG_DEMO)")
}

// setupCert opens the certificate store (loading the demo data on an empty
// store) and registers both dialects' routes.
func setupCert(ctx context.Context, a *serveApp, f *certServeFlags) error {
	store, err := certstore.Open(ctx, a.store.DataDir, a.store.DB)
	if err != nil {
		return err
	}
	a.onClose(store.Close)
	if f.demo {
		n, err := demo.Load(ctx, store)
		if err != nil {
			return err
		}
		if n > 0 {
			a.log.Info("loaded the synthetic demo certificates into an empty store", "count", n)
		}
	}
	svc := cert.NewService(store)
	handle := func(pattern string, h http.Handler) { a.handle("cert", pattern, h) }
	jumei.New(svc, a.log).Install(handle)
	qcc.New(svc, a.log).Install(handle)
	a.banner = append(a.banner, func(base string) []string { return certExamples(base, a.exampleAuth()) })
	return nil
}

// certExamples are the start-up banner's ready-to-paste requests, one per
// dialect; both find certificates of the demo data. auth is what
// authenticates them (empty when the gateway is off). Without the gateway
// the 企查查 route still wants a key, and any value passes.
func certExamples(base, auth string) []string {
	key := ""
	if auth == "" {
		key = "-d key=demo "
	}
	return []string{
		"",
		"Certificates:",
		"  聚美智数 dialect:",
		fmt.Sprintf("    curl -s %s%s/enterprise/certificate/list --data-urlencode 'keyword=阿里巴巴' -d pageSize=5", auth, base),
		"  企查查 dialect:",
		fmt.Sprintf("    curl -s -G %s%s/api/yj/ECICertification/SearchCertification %s--data-urlencode 'searchKey=企查查科技有限公司'", auth, base, key),
	}
}
