// Package cli implements the zheng command line: a tree of subcommands, each
// a small value with its own flag set that calls into the library packages
// the server uses. Nothing here holds behaviour of its own beyond parsing
// arguments and printing results.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"
)

// Env is the outside world a command sees; tests substitute their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Now    func() time.Time
}

// OSEnv returns the process's real environment.
func OSEnv() *Env {
	return &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Now: time.Now}
}

// Command is one node of the command tree. A node either runs (Run) or
// groups subcommands (Sub).
type Command struct {
	Name  string
	Usage string // one line, e.g. "zheng cert import [flags] FILE..."
	Short string // one sentence for the parent's list
	Long  string // optional paragraphs for --help
	Flags *flag.FlagSet
	Run   func(ctx context.Context, args []string) error
	Sub   []*Command
}

// UsageError is returned for a bad command line; Main prints the command's
// help after it and exits 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ExitError asks Main to exit with Code after printing Msg (if any), for
// commands whose exit status carries meaning (e.g. "auth verify").
type ExitError struct {
	Code int
	Msg  string
}

func (e *ExitError) Error() string { return e.Msg }

// Main runs the command line args and returns the process exit code.
func Main(ctx context.Context, args []string, env *Env) int {
	root := newRoot(env)
	cmd, rest, err := root.find(args)
	if err == nil {
		err = cmd.run(ctx, rest, env)
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		fmt.Fprintf(env.Stderr, "zheng: %s\n\n", ue.Msg)
		cmd.printHelp(env.Stderr)
		return 2
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Msg != "" {
			fmt.Fprintln(env.Stderr, ee.Msg)
		}
		return ee.Code
	}
	fmt.Fprintf(env.Stderr, "zheng: %v\n", err)
	return 1
}

func newRoot(env *Env) *Command {
	return &Command{
		Name:  "zheng",
		Usage: "zheng COMMAND [flags]",
		Short: "Enterprise-certificate and ID-photo APIs behind an API gateway.",
		Long: "zheng serves two products behind one gateway: enterprise certificate search\n" +
			"(the 聚美智数 and 企查查 wire dialects) and ID photos. Every command accepts --help.",
		Sub: []*Command{
			newServeCmd(env),
			newCertCmd(env),
			newAppCmd(env),
			newAuthCmd(env),
			newCallCmd(env),
			newIDPhotoCmd(env),
			newNNCmd(env),
			newVersionCmd(env),
		},
	}
}

// find walks args down the tree and returns the deepest command named.
func (c *Command) find(args []string) (*Command, []string, error) {
	cmd := c
	for len(args) > 0 && len(cmd.Sub) > 0 {
		name := args[0]
		if name == "help" || name == "-h" || name == "--help" || name == "-help" {
			return cmd, []string{"--help"}, nil
		}
		next := cmd.sub(name)
		if next == nil {
			return cmd, nil, usagef("unknown command %q", name)
		}
		cmd, args = next, args[1:]
	}
	return cmd, args, nil
}

func (c *Command) sub(name string) *Command {
	for _, s := range c.Sub {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func (c *Command) run(ctx context.Context, args []string, env *Env) error {
	if c.Run == nil {
		if len(args) == 1 && (args[0] == "--help" || args[0] == "-h" || args[0] == "-help") {
			c.printHelp(env.Stdout)
			return nil
		}
		return usagef("%s needs a subcommand", c.Name)
	}
	fs := c.Flags
	if fs == nil {
		fs = flag.NewFlagSet(c.Name, flag.ContinueOnError)
	}
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.printHelp(env.Stdout)
			return flag.ErrHelp
		}
		return usagef("%v", err)
	}
	return c.Run(ctx, fs.Args())
}

func (c *Command) printHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n", c.Usage)
	if c.Short != "" {
		fmt.Fprintf(w, "%s\n", c.Short)
	}
	if c.Long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.Long))
	}
	if len(c.Sub) > 0 {
		fmt.Fprintf(w, "\nCommands:\n")
		for _, s := range c.Sub {
			fmt.Fprintf(w, "  %-10s %s\n", s.Name, s.Short)
		}
	}
	if c.Flags != nil {
		has := false
		c.Flags.VisitAll(func(*flag.Flag) { has = true })
		if has {
			fmt.Fprintf(w, "\nFlags:\n")
			c.Flags.SetOutput(w)
			c.Flags.PrintDefaults()
			c.Flags.SetOutput(io.Discard)
		}
	}
}

// envDefault returns the environment value of name, or def when unset.
func envDefault(env *Env, name, def string) string {
	if v := env.Getenv(name); v != "" {
		return v
	}
	return def
}

// storeFlags are the flags every command touching the store shares.
type storeFlags struct {
	DataDir string
	DB      string
}

func (s *storeFlags) register(fs *flag.FlagSet, env *Env) {
	fs.StringVar(&s.DataDir, "data-dir", envDefault(env, "ZHENG_DATA_DIR", "./data"),
		"directory for the SQLite database, generated files and keys (env ZHENG_DATA_DIR)")
	// The flag is registered while s.DB is empty, so --help shows no
	// default (a PostgreSQL URL may hold a password); the environment's
	// value is filled in afterwards, and --db overrides it when parsed.
	fs.Var(dbValue{&s.DB}, "db",
		"database: empty = SQLite file in the data dir, or a postgres:// URL (env ZHENG_DB)")
	s.DB = env.Getenv("ZHENG_DB")
}

// dbValue is the --db flag; it prints a URL's password as "xxxxx" so that
// nothing echoing flag values leaks it.
type dbValue struct{ p *string }

func (v dbValue) Set(s string) error { *v.p = s; return nil }

func (v dbValue) String() string {
	if v.p == nil {
		return ""
	}
	return redactURL(*v.p)
}

// redactURL hides the password of a URL; other strings are returned as
// they are.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); !ok {
		return s
	}
	return u.Redacted()
}
