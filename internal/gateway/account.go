package gateway

import (
	"encoding/json"
	"net/http"

	"github.com/zhengapi/zheng/internal/reqinfo"
)

// AccountUsage is the data of GET /v1/account/usage: the calling app and
// its packages (套餐使用情况次数).
type AccountUsage struct {
	AppID    string        `json:"appId"`
	Name     string        `json:"name"`
	Packages []PackageView `json:"packages"`
}

// UsageHandler serves GET /v1/account/usage: the calling app, authenticated
// by any of its credentials, sees its packages with total, used and
// remaining calls and expiry. It spends nothing. The envelope is the 聚美
// one: {"code":200,"msg":"成功","taskNo":…,"data":AccountUsage}.
func (g *Gateway) UsageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := g.opts.Now()
		info := reqinfo.FromContext(r.Context())
		if info == nil {
			info = &reqinfo.Info{Start: now}
			r = r.WithContext(reqinfo.NewContext(r.Context(), info))
		}
		ctx := r.Context()
		c, _, f := g.authenticate(ctx, r, false, now)
		if f.reason != reasonNone {
			writeRefusal(w, r, false, f)
			return
		}
		info.AppID = c.app.ID
		pkgs, err := g.apps.Packages(ctx, c.app.ID)
		if err != nil {
			g.log.ErrorContext(ctx, "gateway: usage", "taskNo", info.TaskNo, "err", err)
			writeRefusal(w, r, false, refusal{reason: reasonInternal})
			return
		}
		if pkgs == nil {
			pkgs = []PackageView{}
		}
		if g.leases != nil {
			// Calls reserved by this process but not served are not used.
			for i := range pkgs {
				n := g.leases.unserved(pkgs[i].ID)
				pkgs[i].Used -= n
				pkgs[i].Remaining += n
				pkgs[i].UsedToday = max(pkgs[i].UsedToday-n, 0)
			}
		}
		reqinfo.SetCode(ctx, http.StatusOK)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(struct {
			Code   int          `json:"code"`
			Msg    string       `json:"msg"`
			TaskNo string       `json:"taskNo"`
			Data   AccountUsage `json:"data"`
		}{200, "成功", info.TaskNo, AccountUsage{AppID: c.app.ID, Name: c.app.Name, Packages: pkgs}})
		g.record(r, info, now, false)
	})
}
