package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zhengapi/zheng/internal/gateway"
)

func newAppCmd(env *Env) *Command {
	return &Command{
		Name:  "app",
		Usage: "zheng app COMMAND [flags]",
		Short: "Manage apps, credentials and call packages.",
		Long: "Apps are the callers of the APIs. Each has an AppKey and AppSecret (for signed\n" +
			"requests and the 企查查 Token), up to 5 AppCodes (simple authentication), and\n" +
			"packages granting N calls of one product (cert, idphoto) until an expiry date.\n" +
			"Secrets and AppCodes are shown once, when made; only the AppKey is stored in clear.\n" +
			"These commands work on the store directly; a running server sees changes within 2 s.",
		Sub: []*Command{
			newAppCreateCmd(env),
			newAppListCmd(env),
			newAppShowCmd(env),
			newAppTopupCmd(env),
			newAppStateCmd(env, "disable", true),
			newAppStateCmd(env, "enable", false),
			newAppRotateCmd(env),
			newAppAddCodeCmd(env),
		},
	}
}

// appFlags are the flags every app subcommand shares.
type appFlags struct {
	store     storeFlags
	masterKey string
	json      bool
}

func (f *appFlags) register(fs *flag.FlagSet, env *Env) {
	f.store.register(fs, env)
	registerMasterKey(fs, &f.masterKey)
	fs.BoolVar(&f.json, "json", false, "print machine-readable JSON")
}

// with opens the store, runs fn with the app manager and closes the store.
func (f *appFlags) with(ctx context.Context, env *Env, fn func(*gateway.Apps) error) error {
	st, keys, err := openGateway(ctx, f.store, orEnv(env, f.masterKey, "ZHENG_MASTER_KEY"))
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(gateway.NewApps(st, keys, env.Now))
}

// packageFlag collects repeated --package product=calls values.
type packageFlag []gateway.PackageSpec

func (p *packageFlag) String() string { return "" }

func (p *packageFlag) Set(v string) error {
	product, calls, ok := strings.Cut(v, "=")
	n, err := strconv.ParseInt(calls, 10, 64)
	if !ok || err != nil || n <= 0 {
		return fmt.Errorf("want PRODUCT=CALLS, e.g. cert=1000, got %q", v)
	}
	*p = append(*p, gateway.PackageSpec{Product: strings.TrimSpace(product), Calls: n})
	return nil
}

// termFlags set a package's expiry and daily cap.
type termFlags struct {
	days     int
	expires  string
	dailyCap int64
}

func (t *termFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&t.days, "days", 365, "days the packages are valid")
	fs.StringVar(&t.expires, "expires", "", "expiry date YYYY-MM-DD (end of that day, UTC+8) or RFC 3339 time; overrides --days")
	fs.Int64Var(&t.dailyCap, "daily-cap", 0, "most calls per day (UTC+8) of each package; 0 = no cap")
}

func (t *termFlags) apply(specs []gateway.PackageSpec, now time.Time) ([]gateway.PackageSpec, error) {
	exp := now.AddDate(0, 0, t.days)
	if t.days <= 0 {
		return nil, usagef("--days must be positive")
	}
	if t.expires != "" {
		d, err := time.ParseInLocation(time.DateOnly, t.expires, time.FixedZone("CST", 8*3600))
		if err == nil {
			exp = d.AddDate(0, 0, 1)
		} else if exp, err = time.Parse(time.RFC3339, t.expires); err != nil {
			return nil, usagef("--expires %q: want YYYY-MM-DD or an RFC 3339 time", t.expires)
		}
	}
	if t.dailyCap < 0 {
		return nil, usagef("--daily-cap must not be negative")
	}
	out := make([]gateway.PackageSpec, len(specs))
	for i, s := range specs {
		s.ExpiresAt, s.DailyCap = exp, t.dailyCap
		out[i] = s
	}
	return out, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func printPackages(w io.Writer, pkgs []gateway.PackageView) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  PACKAGE\tPRODUCT\tTOTAL\tUSED\tREMAINING\tDAILY CAP\tEXPIRES")
	for _, p := range pkgs {
		capText := "-"
		if p.DailyCap > 0 {
			capText = fmt.Sprintf("%d (%d today)", p.DailyCap, p.UsedToday)
		}
		exp := p.ExpiresAt.Format(time.RFC3339)
		if p.Expired {
			exp += " (expired)"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%d\t%d\t%d\t%s\t%s\n", p.ID, p.Product, p.Total, p.Used, p.Remaining, capText, exp)
	}
	tw.Flush()
}

// oneArg returns the single positional argument; flags written after it
// (zheng app show ID --json) are parsed too.
func oneArg(fs *flag.FlagSet, args []string, what string) (string, error) {
	if len(args) > 1 {
		if err := fs.Parse(args[1:]); err != nil {
			return "", usagef("%v", err)
		}
		args = append(args[:1], fs.Args()...)
	}
	if len(args) != 1 {
		return "", usagef("want exactly one %s, got %d arguments", what, len(args))
	}
	return args[0], nil
}

func newAppCreateCmd(env *Env) *Command {
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	var (
		f     appFlags
		t     termFlags
		name  string
		pkgs  packageFlag
		qps   float64
		burst int
	)
	f.register(fs, env)
	t.register(fs)
	fs.StringVar(&name, "name", "", "app name (required)")
	fs.Var(&pkgs, "package", "grant PRODUCT=CALLS, e.g. cert=1000; repeat for several products")
	fs.Float64Var(&qps, "qps", 0, "rate limit in requests per second; 0 = none")
	fs.IntVar(&burst, "burst", 0, "requests allowed at once under --qps; 0 = ceil(qps)")
	return &Command{
		Name:  "create",
		Usage: "zheng app create --name NAME [--package cert=1000 --package idphoto=100] [--qps 10] [--json]",
		Short: "Create an app and print its credentials (shown once).",
		Long: "With --json it prints {\"appId\",\"appKey\",\"appSecret\",\"appCodes\":[…],\"packages\":[…]}.\n" +
			"The AppSecret and AppCode cannot be shown again; rotate-secret and add-appcode make new ones.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("create takes no arguments, got %q", args)
			}
			if name == "" {
				return usagef("--name is required")
			}
			specs, err := t.apply(pkgs, env.Now())
			if err != nil {
				return err
			}
			return f.with(ctx, env, func(apps *gateway.Apps) error {
				c, err := apps.Create(ctx, gateway.NewApp{Name: name, Packages: specs, QPS: qps, Burst: burst})
				if err != nil {
					return err
				}
				if f.json {
					return printJSON(env.Stdout, c)
				}
				fmt.Fprintf(env.Stdout, "App %s (%s) created. Keep these; the secret and AppCode are not shown again.\n", c.AppID, c.Name)
				fmt.Fprintf(env.Stdout, "  AppKey    %s\n  AppSecret %s\n", c.AppKey, c.AppSecret)
				for _, code := range c.AppCodes {
					fmt.Fprintf(env.Stdout, "  AppCode   %s\n", code)
				}
				printPackages(env.Stdout, c.Packages)
				return nil
			})
		},
	}
}

func newAppListCmd(env *Env) *Command {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	var f appFlags
	f.register(fs, env)
	return &Command{
		Name:  "list",
		Usage: "zheng app list [--json]",
		Short: "List apps.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("list takes no arguments, got %q", args)
			}
			return f.with(ctx, env, func(apps *gateway.Apps) error {
				list, err := apps.List(ctx)
				if err != nil {
					return err
				}
				if f.json {
					if list == nil {
						list = []gateway.App{}
					}
					return printJSON(env.Stdout, list)
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "APP ID\tNAME\tAPPKEY\tSTATE\tQPS\tAPPCODES\tCREATED")
				for _, a := range list {
					state := "enabled"
					if a.Disabled {
						state = "disabled"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%g\t%d\t%s\n", a.ID, a.Name, a.AppKey, state, a.QPS, a.AppCodes, a.CreatedAt.Format(time.DateOnly))
				}
				return tw.Flush()
			})
		},
	}
}

func newAppShowCmd(env *Env) *Command {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	var f appFlags
	f.register(fs, env)
	return &Command{
		Name:  "show",
		Usage: "zheng app show [--json] APP",
		Short: "Show an app (by id or AppKey), its packages and its daily usage.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			id, err := oneArg(fs, args, "app id or AppKey")
			if err != nil {
				return err
			}
			return f.with(ctx, env, func(apps *gateway.Apps) error {
				d, err := apps.Show(ctx, id)
				if err != nil {
					return err
				}
				if f.json {
					return printJSON(env.Stdout, d)
				}
				state := "enabled"
				if d.App.Disabled {
					state = "disabled"
				}
				fmt.Fprintf(env.Stdout, "App %s (%s), %s\n  AppKey   %s\n  AppCodes %d\n", d.App.ID, d.App.Name, state, d.App.AppKey, d.App.AppCodes)
				if d.App.QPS > 0 {
					fmt.Fprintf(env.Stdout, "  Rate     %g/s, burst %d\n", d.App.QPS, d.App.Burst)
				}
				printPackages(env.Stdout, d.Packages)
				if len(d.Usage) > 0 {
					fmt.Fprintln(env.Stdout, "Usage (last 30 days, UTC+8):")
					tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "  DAY\tPRODUCT\tCALLS\tBILLABLE")
					for _, u := range d.Usage {
						fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\n", u.Day, u.Product, u.Calls, u.Billable)
					}
					tw.Flush()
				}
				return nil
			})
		},
	}
}

func newAppTopupCmd(env *Env) *Command {
	fs := flag.NewFlagSet("topup", flag.ContinueOnError)
	var (
		f    appFlags
		t    termFlags
		pkgs packageFlag
	)
	f.register(fs, env)
	t.register(fs)
	fs.Var(&pkgs, "package", "grant PRODUCT=CALLS, e.g. cert=500; repeatable")
	return &Command{
		Name:  "topup",
		Usage: "zheng app topup --package cert=500 [--days 365|--expires DATE] [--daily-cap N] [--json] APP",
		Short: "Grant an app another package.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			id, err := oneArg(fs, args, "app id or AppKey")
			if err != nil {
				return err
			}
			if len(pkgs) == 0 {
				return usagef("--package is required")
			}
			specs, err := t.apply(pkgs, env.Now())
			if err != nil {
				return err
			}
			return f.with(ctx, env, func(apps *gateway.Apps) error {
				var added []gateway.PackageView
				for _, s := range specs {
					p, err := apps.Topup(ctx, id, s)
					if err != nil {
						return err
					}
					added = append(added, p)
				}
				if f.json {
					return printJSON(env.Stdout, added)
				}
				fmt.Fprintf(env.Stdout, "Added to %s:\n", id)
				printPackages(env.Stdout, added)
				return nil
			})
		},
	}
}

func newAppStateCmd(env *Env, name string, disabled bool) *Command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var f appFlags
	f.register(fs, env)
	short := "Enable a disabled app."
	if disabled {
		short = "Disable an app: its calls are refused until it is enabled."
	}
	return &Command{
		Name:  name,
		Usage: "zheng app " + name + " [--json] APP",
		Short: short,
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			id, err := oneArg(fs, args, "app id or AppKey")
			if err != nil {
				return err
			}
			return f.with(ctx, env, func(apps *gateway.Apps) error {
				app, err := apps.SetDisabled(ctx, id, disabled)
				if err != nil {
					return err
				}
				if f.json {
					return printJSON(env.Stdout, app)
				}
				fmt.Fprintf(env.Stdout, "App %s %sd.\n", app.ID, name)
				return nil
			})
		},
	}
}

func newAppRotateCmd(env *Env) *Command {
	fs := flag.NewFlagSet("rotate-secret", flag.ContinueOnError)
	var f appFlags
	f.register(fs, env)
	return &Command{
		Name:  "rotate-secret",
		Usage: "zheng app rotate-secret [--json] APP",
		Short: "Replace an app's AppSecret and print the new one (shown once).",
		Long:  "Signatures and 企查查 Tokens made with the old secret stop verifying at once.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			id, err := oneArg(fs, args, "app id or AppKey")
			if err != nil {
				return err
			}
			return f.with(ctx, env, func(apps *gateway.Apps) error {
				app, secret, err := apps.RotateSecret(ctx, id)
				if err != nil {
					return err
				}
				if f.json {
					return printJSON(env.Stdout, map[string]any{"appId": app.ID, "appKey": app.AppKey, "appSecret": secret})
				}
				fmt.Fprintf(env.Stdout, "New AppSecret of %s (AppKey %s), shown once:\n  %s\n", app.ID, app.AppKey, secret)
				return nil
			})
		},
	}
}

func newAppAddCodeCmd(env *Env) *Command {
	fs := flag.NewFlagSet("add-appcode", flag.ContinueOnError)
	var (
		f    appFlags
		code string
	)
	f.register(fs, env)
	fs.StringVar(&code, "code", "", "the AppCode to add (64-180 characters); empty = generate one")
	return &Command{
		Name:  "add-appcode",
		Usage: "zheng app add-appcode [--code CODE] [--json] APP",
		Short: "Add an AppCode to an app (at most 5) and print it (shown once).",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			id, err := oneArg(fs, args, "app id or AppKey")
			if err != nil {
				return err
			}
			return f.with(ctx, env, func(apps *gateway.Apps) error {
				app, c, err := apps.AddAppCode(ctx, id, code)
				if err != nil {
					return err
				}
				if f.json {
					return printJSON(env.Stdout, map[string]any{"appId": app.ID, "appCode": c})
				}
				fmt.Fprintf(env.Stdout, "New AppCode of %s, shown once:\n  %s\n", app.ID, c)
				return nil
			})
		},
	}
}
