package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/zhengapi/zheng/client"
)

func newCallCmd(env *Env) *Command {
	return &Command{
		Name:  "call",
		Usage: "zheng call COMMAND [flags]",
		Short: "Call any API route and print the response.",
		Long: "Each command calls one route through the Go SDK and prints the answer as indented JSON.\n" +
			"Credentials: --appcode (X-Apig-AppCode), --appkey with --appsecret (signed requests), or\n" +
			"--qcc-key with --qcc-secret (企查查 Token). Flags override ZHENG_APPCODE, ZHENG_APPKEY and\n" +
			"ZHENG_APPSECRET; --base-url overrides ZHENG_URL. A refused call prints the server's code\n" +
			"and message on stderr and exits 1.",
		Sub: []*Command{
			{
				Name:  "cert",
				Usage: "zheng call cert COMMAND [flags]",
				Short: "Certificates, 聚美智数 dialect.",
				Sub:   []*Command{newCallCertListCmd(env), newCallCertDetailCmd(env)},
			},
			{
				Name:  "qcc",
				Usage: "zheng call qcc COMMAND [flags]",
				Short: "Certificates, 企查查 dialect.",
				Sub:   []*Command{newCallQCCSearchCmd(env), newCallQCCDetailCmd(env)},
			},
			newCallUsageCmd(env),
			{
				Name:  "idphoto",
				Usage: "zheng call idphoto COMMAND [flags]",
				Short: "ID photos.",
				Sub:   []*Command{newCallIDPhotoMakeCmd(env), newCallIDPhotoSpecsCmd(env)},
			},
		},
	}
}

// callFlags are the connection and credential flags of every call command.
type callFlags struct {
	fs                         *flag.FlagSet
	baseURL                    string
	appCode, appKey, appSecret string
	qccKey, qccSecret          string
	timeout                    time.Duration
	retries                    int
	// authOptional lets the command run without credentials (open routes).
	authOptional bool
}

func (f *callFlags) register(fs *flag.FlagSet, env *Env) {
	f.fs = fs
	fs.StringVar(&f.baseURL, "base-url", envDefault(env, "ZHENG_URL", "http://127.0.0.1:8080"), "server base URL (env ZHENG_URL)")
	fs.StringVar(&f.appCode, "appcode", env.Getenv("ZHENG_APPCODE"), "AppCode for simple authentication (env ZHENG_APPCODE)")
	fs.StringVar(&f.appKey, "appkey", env.Getenv("ZHENG_APPKEY"), "AppKey to sign requests with (env ZHENG_APPKEY)")
	fs.StringVar(&f.appSecret, "appsecret", env.Getenv("ZHENG_APPSECRET"), "AppSecret to sign requests with (env ZHENG_APPSECRET)")
	fs.StringVar(&f.qccKey, "qcc-key", "", "企查查 key: authenticate with key/Token/Timespan instead")
	fs.StringVar(&f.qccSecret, "qcc-secret", "", "企查查 secret key (default: --appsecret)")
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "give up after this long")
	fs.IntVar(&f.retries, "retries", client.DefaultRetries, "retries where safe (GET, throttled, connection refused)")
}

// explicit reports whether the named flag was given on the command line.
func (f *callFlags) explicit(name string) bool {
	set := false
	f.fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// client builds the SDK client. The scheme is chosen in this order:
// --qcc-key; --appcode or --appkey given as a flag; then the environment,
// AppCode first.
func (f *callFlags) client(env *Env) (*client.Client, error) {
	opts := []client.Option{
		client.WithRetries(f.retries),
		client.WithHTTPClient(&http.Client{Timeout: f.timeout}),
		client.WithClock(env.Now),
	}
	useCode := f.appCode != "" && !(f.explicit("appkey") && !f.explicit("appcode"))
	switch {
	case f.qccKey != "":
		secret := f.qccSecret
		if secret == "" {
			secret = f.appSecret
		}
		if secret == "" {
			return nil, usagef("--qcc-key needs --qcc-secret (or --appsecret)")
		}
		opts = append(opts, client.WithQCC(f.qccKey, secret))
	case useCode:
		opts = append(opts, client.WithAppCode(f.appCode))
		if f.appKey != "" {
			opts = append(opts, client.WithQCCKey(f.appKey))
		}
	case f.appKey != "" && f.appSecret != "":
		opts = append(opts, client.WithAppKey(f.appKey, f.appSecret))
	case f.appKey != "" && !f.authOptional:
		return nil, usagef("--appkey needs --appsecret")
	case f.authOptional:
	default:
		return nil, usagef("no credentials: give --appcode, --appkey and --appsecret, or --qcc-key and --qcc-secret")
	}
	return client.New(f.baseURL, opts...)
}

// run calls fn with a client and a deadline and prints its answer.
func (f *callFlags) run(ctx context.Context, env *Env, args []string, fn func(context.Context, *client.Client) (any, error)) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	c, err := f.client(env)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	out, err := fn(ctx, c)
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		return &ExitError{Code: 1, Msg: apiErr.Error()}
	}
	if err != nil {
		return err
	}
	return callPrint(env.Stdout, out)
}

func callPrint(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func newCallCertListCmd(env *Env) *Command {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	var (
		f              callFlags
		keyword        string
		page, pageSize int
	)
	f.register(fs, env)
	fs.StringVar(&keyword, "keyword", "", "company name, registration number or credit code (required)")
	fs.IntVar(&page, "page", 0, "page number from 1 (server default 1)")
	fs.IntVar(&pageSize, "size", 0, "page size, at most 20 (server default 10)")
	return &Command{
		Name:  "list",
		Usage: "zheng call cert list --keyword K [--page N] [--size N] [credentials]",
		Short: "POST /enterprise/certificate/list",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if keyword == "" {
				return usagef("--keyword is required")
			}
			return f.run(ctx, env, args, func(ctx context.Context, c *client.Client) (any, error) {
				return c.CertList(ctx, keyword, page, pageSize)
			})
		},
	}
}

func newCallCertDetailCmd(env *Env) *Command {
	fs := flag.NewFlagSet("detail", flag.ContinueOnError)
	var (
		f  callFlags
		id string
	)
	f.register(fs, env)
	fs.StringVar(&id, "id", "", "certificate id from a list answer (required)")
	return &Command{
		Name:  "detail",
		Usage: "zheng call cert detail --id ID [credentials]",
		Short: "POST /enterprise/certificate/detail",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if id == "" {
				return usagef("--id is required")
			}
			return f.run(ctx, env, args, func(ctx context.Context, c *client.Client) (any, error) {
				return c.CertDetail(ctx, id)
			})
		},
	}
}

func newCallQCCSearchCmd(env *Env) *Command {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	var (
		f     callFlags
		p     client.SearchParams
		exact string
	)
	f.register(fs, env)
	fs.StringVar(&p.SearchKey, "search-key", "", "company name (required)")
	fs.StringVar(&p.CertCategory, "cert-category", "", "certificate type, e.g. C_9")
	fs.IntVar(&p.PageIndex, "page", 0, "page number from 1")
	fs.IntVar(&p.PageSize, "size", 0, "page size, at most 20")
	fs.StringVar(&exact, "exact", "", "isExactlySame: true or false (server default true)")
	return &Command{
		Name:  "search",
		Usage: "zheng call qcc search --search-key K [--cert-category C] [--page N] [--size N] [--exact=false] [credentials]",
		Short: "GET /api/yj/ECICertification/SearchCertification",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if p.SearchKey == "" {
				return usagef("--search-key is required")
			}
			if exact != "" {
				b, err := strconv.ParseBool(exact)
				if err != nil {
					return usagef("--exact: want true or false")
				}
				p.ExactlySame = &b
			}
			return f.run(ctx, env, args, func(ctx context.Context, c *client.Client) (any, error) {
				return c.SearchCertification(ctx, p)
			})
		},
	}
}

func newCallQCCDetailCmd(env *Env) *Command {
	fs := flag.NewFlagSet("detail", flag.ContinueOnError)
	var (
		f      callFlags
		certID string
	)
	f.register(fs, env)
	fs.StringVar(&certID, "cert-id", "", "certificate Id from a search answer (required)")
	return &Command{
		Name:  "detail",
		Usage: "zheng call qcc detail --cert-id ID [credentials]",
		Short: "GET /api/yj/ECICertification/GetCertificationDetailById",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if certID == "" {
				return usagef("--cert-id is required")
			}
			return f.run(ctx, env, args, func(ctx context.Context, c *client.Client) (any, error) {
				return c.GetCertificationDetailById(ctx, certID)
			})
		},
	}
}

func newCallUsageCmd(env *Env) *Command {
	fs := flag.NewFlagSet("usage", flag.ContinueOnError)
	var f callFlags
	f.register(fs, env)
	return &Command{
		Name:  "usage",
		Usage: "zheng call usage [credentials]",
		Short: "GET /v1/account/usage: the app's packages and remaining calls.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			return f.run(ctx, env, args, func(ctx context.Context, c *client.Client) (any, error) {
				return c.Usage(ctx)
			})
		},
	}
}

func newCallIDPhotoMakeCmd(env *Env) *Command {
	fs := flag.NewFlagSet("make", flag.ContinueOnError)
	var (
		f    callFlags
		r    client.IDPhotoRequest
		file string
	)
	f.register(fs, env)
	fs.StringVar(&file, "file", "", "photo file to send (base64-encoded for you)")
	fs.StringVar(&r.Base64, "base64", "", "photo as base64 (instead of --file)")
	fs.StringVar(&r.URL, "url", "", "photo URL the server fetches (instead of --file)")
	fs.StringVar(&r.Spec, "spec", "", "spec from the catalogue (see: zheng call idphoto specs)")
	fs.StringVar(&r.BgColor, "bg", "", "background: blue, red, white, … or #RRGGBB")
	fs.Float64Var(&r.BeautyDegree, "beauty", 0, "beauty degree 1.0–5.0")
	fs.StringVar(&r.Size, "size", "", "pixel size WxH (with --spec 12)")
	fs.StringVar(&r.FileSize, "kb", "", "file size range in KB, min,max")
	fs.IntVar(&r.DPI, "dpi", 0, "output DPI")
	fs.Float64Var(&r.FaceRatio, "face-ratio", 0, "face share of the photo, 0–1")
	fs.Float64Var(&r.FaceCenterRange, "face-center", 0, "face centre height, 0–1")
	fs.StringVar(&r.TopEmpty, "top-empty", "", "pixels above the head, min,max")
	return &Command{
		Name:  "make",
		Usage: "zheng call idphoto make (--file F | --url U | --base64 B) [--spec S] [--bg C] [flags] [credentials]",
		Short: "POST /idphoto/make (billable; never retried once sent)",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if file != "" {
				b, err := os.ReadFile(file)
				if err != nil {
					return fmt.Errorf("read photo: %w", err)
				}
				r.Base64 = base64.StdEncoding.EncodeToString(b)
			}
			if r.Base64 == "" && r.URL == "" {
				return usagef("give --file, --url or --base64")
			}
			return f.run(ctx, env, args, func(ctx context.Context, c *client.Client) (any, error) {
				return c.IDPhotoMake(ctx, r)
			})
		},
	}
}

func newCallIDPhotoSpecsCmd(env *Env) *Command {
	fs := flag.NewFlagSet("specs", flag.ContinueOnError)
	f := callFlags{authOptional: true}
	f.register(fs, env)
	return &Command{
		Name:  "specs",
		Usage: "zheng call idphoto specs [credentials]",
		Short: "GET /idphoto/specs: the catalogue of formats.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			return f.run(ctx, env, args, func(ctx context.Context, c *client.Client) (any, error) {
				return c.IDPhotoSpecs(ctx)
			})
		},
	}
}
