package gateway

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// AdminHandler serves the admin JSON API under /admin/v1/, the same
// operations as the "zheng app" commands. Every request must carry
// "Authorization: Bearer <token>"; the caller registers the handler only
// when a token is configured.
//
//	GET  /admin/v1/apps                      list apps
//	POST /admin/v1/apps                      create: NewApp → Created
//	GET  /admin/v1/apps/{id}                 app, packages, daily usage (Detail)
//	POST /admin/v1/apps/{id}/topup           PackageSpec → PackageView
//	POST /admin/v1/apps/{id}/disable         → App
//	POST /admin/v1/apps/{id}/enable          → App
//	POST /admin/v1/apps/{id}/rotate-secret   → {"appId","appKey","appSecret"}
//	POST /admin/v1/apps/{id}/appcodes        {"appCode":optional} → {"appId","appCode"}
//
// {id} is an app id or AppKey. Errors are {"error": "..."} with 400, 401,
// 404 or 500; the cause of a 500 goes to log (nil: discarded).
func AdminHandler(apps *Apps, token string, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reply := func(w http.ResponseWriter, r *http.Request, v any, err error) { replyTo(w, r, log, v, err) }
	want := sha256.Sum256([]byte(token))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/v1/apps", func(w http.ResponseWriter, r *http.Request) {
		list, err := apps.List(r.Context())
		if list == nil {
			list = []App{}
		}
		reply(w, r, list, err)
	})
	mux.HandleFunc("POST /admin/v1/apps", func(w http.ResponseWriter, r *http.Request) {
		var n NewApp
		if !decode(w, r, &n) {
			return
		}
		created, err := apps.Create(r.Context(), n)
		reply(w, r, created, err)
	})
	mux.HandleFunc("GET /admin/v1/apps/{id}", func(w http.ResponseWriter, r *http.Request) {
		d, err := apps.Show(r.Context(), r.PathValue("id"))
		reply(w, r, d, err)
	})
	mux.HandleFunc("POST /admin/v1/apps/{id}/topup", func(w http.ResponseWriter, r *http.Request) {
		var s PackageSpec
		if !decode(w, r, &s) {
			return
		}
		p, err := apps.Topup(r.Context(), r.PathValue("id"), s)
		reply(w, r, p, err)
	})
	for _, op := range []struct {
		name     string
		disabled bool
	}{{"disable", true}, {"enable", false}} {
		mux.HandleFunc("POST /admin/v1/apps/{id}/"+op.name, func(w http.ResponseWriter, r *http.Request) {
			app, err := apps.SetDisabled(r.Context(), r.PathValue("id"), op.disabled)
			reply(w, r, app, err)
		})
	}
	mux.HandleFunc("POST /admin/v1/apps/{id}/rotate-secret", func(w http.ResponseWriter, r *http.Request) {
		app, secret, err := apps.RotateSecret(r.Context(), r.PathValue("id"))
		reply(w, r, map[string]any{"appId": app.ID, "appKey": app.AppKey, "appSecret": secret}, err)
	})
	mux.HandleFunc("POST /admin/v1/apps/{id}/appcodes", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			AppCode string `json:"appCode"`
		}
		if r.ContentLength != 0 && !decode(w, r, &in) {
			return
		}
		app, code, err := apps.AddAppCode(r.Context(), r.PathValue("id"), in.AppCode)
		reply(w, r, map[string]any{"appId": app.ID, "appCode": code}, err)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(bearer))
		// Hashes keep the comparison constant-time whatever the lengths.
		if !ok || token == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="zheng admin"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "admin token missing or wrong"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON body: " + err.Error()})
		return false
	}
	return true
}

func replyTo(w http.ResponseWriter, r *http.Request, log *slog.Logger, v any, err error) {
	var inv *InvalidError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, v)
	case errors.As(err, &inv), errors.Is(err, ErrTooManyCodes), errors.Is(err, ErrDuplicate):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	case errors.Is(err, ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	default:
		log.ErrorContext(r.Context(), "gateway: admin", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
