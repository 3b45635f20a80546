package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/zhengapi/zheng/internal/cert"
	"github.com/zhengapi/zheng/internal/cert/certbench"
	"github.com/zhengapi/zheng/internal/cert/certgen"
	"github.com/zhengapi/zheng/internal/cert/certstore"
	"github.com/zhengapi/zheng/internal/cert/demo"
	"github.com/zhengapi/zheng/internal/cert/importer"
)

func newCertCmd(env *Env) *Command {
	return &Command{
		Name:  "cert",
		Usage: "zheng cert COMMAND [flags]",
		Short: "Import, generate and inspect certificate data.",
		Long: "The certificate store is the SQLite file zheng.db in the data directory, or the\n" +
			"PostgreSQL database named by --db; every subcommand that reads or writes it\n" +
			"takes --data-dir and --db like zheng serve.",
		Sub: []*Command{
			newCertImportCmd(env),
			newCertGenCmd(env),
			newCertStatsCmd(env),
			newCertSearchCmd(env),
			newCertGetCmd(env),
			newCertBenchCmd(env),
		},
	}
}

// columnMap is the repeatable --map col=field flag.
type columnMap map[string]string

func (m columnMap) String() string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (m columnMap) Set(s string) error {
	col, field, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(col) == "" || strings.TrimSpace(field) == "" {
		return fmt.Errorf("want col=field, got %q", s)
	}
	m[strings.TrimSpace(col)] = strings.TrimSpace(field)
	return nil
}

func newCertImportCmd(env *Env) *Command {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var (
		store   storeFlags
		format  string
		strict  bool
		batch   int
		columns = columnMap{}
		quiet   bool
	)
	store.register(fs, env)
	fs.StringVar(&format, "format", "", "file format: jsonl, csv or xlsx (default: from each file's extension; required for - )")
	fs.BoolVar(&strict, "strict", false, "stop at the first rejected line (batches before it are kept)")
	fs.IntVar(&batch, "batch", importer.DefaultBatch, "records per transaction")
	fs.Var(columns, "map", "map a CSV/XLSX header to a field, as col=field (repeatable); fields: "+strings.Join(importer.Fields, ", "))
	fs.BoolVar(&quiet, "quiet", false, "do not list rejected lines (the summary still counts them)")
	return &Command{
		Name:  "import",
		Usage: "zheng cert import [flags] FILE...",
		Short: "Import certificates from JSONL, CSV or XLSX files (upsert by id).",
		Long: `Each FILE (or - for standard input) is read in batches; each batch is one
transaction. Records are upserted by certificate id (derived from type and
certificate number when a row has none), so importing a file again changes
nothing, and rerunning an interrupted import completes it.

JSONL lines may be canonical records (as zheng cert gen writes them), 聚美
detail objects or 企查查 detail objects. CSV and XLSX need a header row; the
columns of the CNCA register (certNumber, orgName, authProjCode, certiStatus,
certiEDate, zersda, rzjgId, …), the Chinese labels of the detail (证书编号,
企业名称, 证书状态, …) and the field names themselves are recognised; map any
other header with --map. CSV may be UTF-8 or GBK.

A rejected line is reported with its number and reason and the others go on.
A progress bar with rate and ETA is shown when standard error is a terminal.
The exit status is 1 if any line was rejected.`,
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) == 0 {
				return usagef("import needs at least one FILE")
			}
			if batch < 1 {
				return usagef("--batch must be at least 1")
			}
			for _, a := range args {
				if a == "-" && format == "" {
					return usagef("reading standard input needs --format")
				}
				if a != "-" && format == "" && importer.FormatOf(a) == "" {
					return usagef("cannot tell the format of %s from its extension; set --format", a)
				}
			}
			s, err := certstore.Open(ctx, store.DataDir, store.DB)
			if err != nil {
				return err
			}
			defer s.Close()
			// An import allocates a few hundred short-lived objects per
			// record; collecting less often saves a large share of the CPU
			// for a bounded amount of memory (a batch is some tens of MB).
			defer debug.SetGCPercent(debug.SetGCPercent(400))
			var total importer.Summary
			start := time.Now()
			for _, name := range args {
				sum, err := importFile(ctx, env, s, name, importer.Options{
					Format: format, Columns: columns, Strict: strict, BatchSize: batch, Now: env.Now,
				}, quiet)
				total.Read += sum.Read
				total.Inserted += sum.Inserted
				total.Updated += sum.Updated
				total.Unchanged += sum.Unchanged
				total.Rejected += sum.Rejected
				if err != nil {
					printSummary(env.Stderr, total, time.Since(start))
					return err
				}
			}
			printSummary(env.Stdout, total, time.Since(start))
			if total.Rejected > 0 {
				return &ExitError{Code: 1, Msg: fmt.Sprintf("zheng: %d line(s) rejected", total.Rejected)}
			}
			return nil
		},
	}
}

func importFile(ctx context.Context, env *Env, s cert.Store, name string, opt importer.Options, quiet bool) (importer.Summary, error) {
	var (
		r    io.Reader
		size int64 = -1
	)
	if name == "-" {
		r = env.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return importer.Summary{}, err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && importer.FormatOf(name) != "xlsx" && opt.Format != "xlsx" {
			size = fi.Size()
		}
		r = f
	}
	var bar *progressbar.ProgressBar
	if f, ok := env.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(env.Stderr),
			progressbar.OptionSetDescription(name),
			progressbar.OptionShowBytes(size >= 0),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		opt.OnProgress = func(done int64) { bar.Set64(done) }
		defer bar.Finish()
	}
	opt.OnReject = func(rej importer.Reject) {
		if quiet {
			return
		}
		if bar != nil {
			bar.Clear()
		}
		fmt.Fprintf(env.Stderr, "%s:%d: %s\n", name, rej.Line, rej.Reason)
	}
	sum, err := importer.Import(ctx, s, name, r, opt)
	if len(sum.IgnoredColumns) > 0 {
		fmt.Fprintf(env.Stderr, "%s: ignored columns %q (map them with --map col=field)\n", name, sum.IgnoredColumns)
	}
	if err != nil {
		return sum, fmt.Errorf("%s: %w", name, err)
	}
	return sum, nil
}

func printSummary(w io.Writer, s importer.Summary, d time.Duration) {
	rate := 0.0
	if d > 0 {
		rate = float64(s.Read) / d.Seconds()
	}
	fmt.Fprintf(w, "read %d, inserted %d, updated %d, unchanged %d, rejected %d in %s (%.0f records/s)\n",
		s.Read, s.Inserted, s.Updated, s.Unchanged, s.Rejected, d.Round(time.Millisecond), rate)
}

func newCertGenCmd(env *Env) *Command {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	var (
		count int
		seed  uint64
		out   string
	)
	fs.IntVar(&count, "count", 1000, "number of certificates to generate")
	fs.Uint64Var(&seed, "seed", 1, "random seed; the same seed gives the same records")
	fs.StringVar(&out, "out", "", "write to this file instead of standard output")
	return &Command{
		Name:  "gen",
		Usage: "zheng cert gen [--count N] [--seed S] [--out FILE]",
		Short: "Generate synthetic certificates as canonical JSONL.",
		Long: `Writes deterministic, realistic but made-up certificates: valid check
characters in credit codes, organisation codes and registration numbers,
company names across provinces and industries, certificate numbers in the
formats of their types, plausible issuers, statuses and dates, and detail
sections shaped like the vendors' examples. The output imports with
zheng cert import. The built-in demo data is --count ` + fmt.Sprint(demo.Count) + ` --seed ` + fmt.Sprint(demo.Seed) + `.`,
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("gen takes no arguments, got %q", args)
			}
			if count < 0 {
				return usagef("--count must not be negative")
			}
			w := env.Stdout
			var f *os.File
			if out != "" {
				var err error
				if f, err = os.Create(out); err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			bw := bufio.NewWriterSize(w, 1<<20)
			g := certgen.New(seed)
			buf := make([]byte, 0, 4096)
			for i := 0; i < count; i++ {
				if i%4096 == 0 && ctx.Err() != nil {
					return ctx.Err()
				}
				r := g.Next()
				buf = append(r.AppendJSON(buf[:0]), '\n')
				if _, err := bw.Write(buf); err != nil {
					return err
				}
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			if f != nil {
				return f.Close()
			}
			return nil
		},
	}
}

func newCertStatsCmd(env *Env) *Command {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	var store storeFlags
	store.register(fs, env)
	return &Command{
		Name:  "stats",
		Usage: "zheng cert stats [--data-dir DIR | --db URL]",
		Short: "Print how many certificates the store holds.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("stats takes no arguments")
			}
			s, err := certstore.Open(ctx, store.DataDir, store.DB)
			if err != nil {
				return err
			}
			defer s.Close()
			n, err := s.Count(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "certificates: %d\n", n)
			return nil
		},
	}
}

func newCertSearchCmd(env *Env) *Command {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	var (
		store    storeFlags
		exact    bool
		typeCode string
		page     int
		size     int
	)
	store.register(fs, env)
	fs.BoolVar(&exact, "exact", false, "match whole company names only (codes always match exactly)")
	fs.StringVar(&typeCode, "type", "", "only certificates of this type code (e.g. cnca027)")
	fs.IntVar(&page, "page", 1, "page number, from 1")
	fs.IntVar(&size, "size", 10, fmt.Sprintf("page size, at most %d", cert.MaxPageSize))
	return &Command{
		Name:  "search",
		Usage: "zheng cert search [flags] KEYWORD",
		Short: "Search certificates as the APIs do and print one line per result.",
		Long: "KEYWORD is a company name (or part of one), a unified social credit code, a\n" +
			"15-digit registration number or a 9-character organisation code.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return usagef("search needs exactly one KEYWORD")
			}
			s, err := certstore.Open(ctx, store.DataDir, store.DB)
			if err != nil {
				return err
			}
			defer s.Close()
			p, err := cert.NewService(s).Search(ctx, cert.Query{Keyword: args[0], Exact: exact, TypeCode: typeCode, Page: page, PageSize: size})
			var pe *cert.ParamError
			if errors.As(err, &pe) || errors.Is(err, cert.ErrKeywordTooShort) || errors.Is(err, cert.ErrKeywordGeneric) {
				return usagef("%v", err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%d certificates\n", p.Total)
			for _, r := range p.Items {
				fmt.Fprintf(env.Stdout, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.CertNo, r.Status, r.StartDate.Format(time.DateOnly), r.TypeName, r.EnterpriseName)
			}
			return nil
		},
	}
}

func newCertGetCmd(env *Env) *Command {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	var store storeFlags
	store.register(fs, env)
	return &Command{
		Name:  "get",
		Usage: "zheng cert get [flags] ID",
		Short: "Print one certificate as canonical JSON.",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return usagef("get needs exactly one ID")
			}
			s, err := certstore.Open(ctx, store.DataDir, store.DB)
			if err != nil {
				return err
			}
			defer s.Close()
			r, err := cert.NewService(s).Get(ctx, args[0])
			if err != nil {
				return err
			}
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s\n", b)
			return nil
		},
	}
}

func newCertBenchCmd(env *Env) *Command {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var (
		store   storeFlags
		seed    uint64
		sample  int
		queries int
	)
	store.register(fs, env)
	fs.Uint64Var(&seed, "seed", 1, "seed the store's data was generated with (zheng cert gen --seed)")
	fs.IntVar(&sample, "sample", 100000, "draw lookup targets from the first N generated records (at most the number imported)")
	fs.IntVar(&queries, "queries", 2000, "lookups per kind (a tenth as many two-character fuzzy searches)")
	return &Command{
		Name:  "bench",
		Usage: "zheng cert bench [flags]",
		Short: "Measure search latency (p50/p99) on a store filled by zheng cert gen.",
		Long: `Regenerates the first --sample records of --seed to know ids, names and codes
that are stored, then times one lookup at a time through the same service the
APIs use: detail by id, exact company name, credit code, fuzzy name (trade
name and business, e.g. 云晨装饰工程) and a two-character fuzzy name.`,
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("bench takes no arguments")
			}
			if sample < 1 || queries < 1 {
				return usagef("--sample and --queries must be positive")
			}
			s, err := certstore.Open(ctx, store.DataDir, store.DB)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := certbench.Run(ctx, cert.NewService(s), seed, sample, queries)
			for _, r := range res {
				fmt.Fprintln(env.Stdout, r)
			}
			return err
		},
	}
}
