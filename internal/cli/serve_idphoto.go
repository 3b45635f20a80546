package cli

import (
	"context"
	"flag"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/zhengapi/zheng/internal/blob"
	"github.com/zhengapi/zheng/internal/idphoto"
	"github.com/zhengapi/zheng/internal/idphotoapi"
	"github.com/zhengapi/zheng/internal/imageio"
	"github.com/zhengapi/zheng/internal/urlfetch"
)

// idphotoServeFlags are serve's ID-photo settings.
type idphotoServeFlags struct {
	Models        string
	Workers       int
	Queue         int
	MaxPixels     int
	FilesLifetime time.Duration
	S3            string
	PublicURL     string
	FetchAllow    string
	FetchTimeout  time.Duration
}

func envInt(env *Env, name string, def int) int {
	if v, err := strconv.Atoi(env.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envDuration(env *Env, name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(env.Getenv(name)); err == nil {
		return v
	}
	return def
}

func (f *idphotoServeFlags) register(fs *flag.FlagSet, env *Env) {
	fs.StringVar(&f.Models, "models", envDefault(env, "ZHENG_MODELS", "./models"),
		"directory of the vision models fetched by scripts/fetch-models.sh (env ZHENG_MODELS)")
	fs.IntVar(&f.Workers, "idphoto-workers", envInt(env, "ZHENG_IDPHOTO_WORKERS", 0),
		"ID photos processed at once; 0 = one per CPU core (env ZHENG_IDPHOTO_WORKERS)")
	fs.IntVar(&f.Queue, "idphoto-queue", envInt(env, "ZHENG_IDPHOTO_QUEUE", 0),
		"requests that may wait for a worker before the busy answer; 0 = 4 per worker, -1 = none (env ZHENG_IDPHOTO_QUEUE)")
	fs.IntVar(&f.MaxPixels, "idphoto-max-pixels", envInt(env, "ZHENG_IDPHOTO_MAX_PIXELS", imageio.DefaultMaxPixels),
		"largest input in pixels, refused from its header with code 204 (env ZHENG_IDPHOTO_MAX_PIXELS)")
	fs.DurationVar(&f.FilesLifetime, "files-lifetime", envDuration(env, "ZHENG_FILES_LIFETIME", blob.DefaultLifetime),
		"how long generated photos stay downloadable (env ZHENG_FILES_LIFETIME)")
	// No env default here: it would print the secret in --help.
	fs.StringVar(&f.S3, "s3", "",
		"store photos in S3: s3://KEY:SECRET@host[:port]/bucket[/prefix][?secure=false&region=R&public=BASEURL]; empty = the data dir (env ZHENG_S3)")
	fs.StringVar(&f.PublicURL, "public-url", env.Getenv("ZHENG_PUBLIC_URL"),
		"base of the file URLs in answers, e.g. https://photos.example.com; empty = the request's host (env ZHENG_PUBLIC_URL)")
	fs.StringVar(&f.FetchAllow, "fetch-allow", env.Getenv("ZHENG_FETCH_ALLOW"),
		"comma-separated CIDRs the url parameter may reach although private or loopback (env ZHENG_FETCH_ALLOW)")
	fs.DurationVar(&f.FetchTimeout, "fetch-timeout", envDuration(env, "ZHENG_FETCH_TIMEOUT", 15*time.Second),
		"time limit for downloading the url parameter (env ZHENG_FETCH_TIMEOUT)")
}

// setupIDPhoto loads the models, opens the blob store and registers the
// ID-photo routes.
func setupIDPhoto(ctx context.Context, a *serveApp, f *idphotoServeFlags) error {
	maker, err := newMaker(f.Models, idphoto.Config{Workers: f.Workers, Queue: f.Queue, MaxPixels: f.MaxPixels})
	if err != nil {
		return err
	}
	allow, err := urlfetch.ParseAllow(f.FetchAllow)
	if err != nil {
		return usagef("--fetch-allow: %v", err)
	}
	h := &idphotoapi.Handler{
		Maker:     maker,
		Fetcher:   urlfetch.New(urlfetch.Config{Timeout: f.FetchTimeout, Allow: allow}),
		PublicURL: f.PublicURL,
		Log:       a.log,
	}
	if f.S3 == "" {
		f.S3 = a.env.Getenv("ZHENG_S3")
	}
	if f.S3 != "" {
		s3, err := blob.NewS3(ctx, f.S3, f.FilesLifetime)
		if err != nil {
			return err
		}
		h.Store = s3
	} else {
		local, err := blob.NewLocal(filepath.Join(a.store.DataDir, "files"), f.FilesLifetime)
		if err != nil {
			return err
		}
		h.Store = local
		a.handleOpen("GET "+blob.Prefix, local)
		sweepCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		go local.RunSweeper(sweepCtx, 0, a.log)
		a.onClose(func() error { cancel(); return nil })
	}
	a.handle("idphoto", "POST /idphoto/make", http.HandlerFunc(h.Make))
	a.handle("idphoto", "GET /idphoto/specs", http.HandlerFunc(h.Specs))
	a.banner = append(a.banner, func(baseURL string) []string {
		auth := a.exampleAuth()
		return []string{
			"",
			"ID photos: the spec catalogue, then a photo from a portrait of yours (portrait.jpg):",
			"  curl -s " + auth + baseURL + "/idphoto/specs",
			"  curl -s " + auth + "-F file=@portrait.jpg -F spec=一寸 -F bgColor=blue " + baseURL + "/idphoto/make",
		}
	})
	return nil
}
