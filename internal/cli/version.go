package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is set at build time with -ldflags "-X github.com/zhengapi/zheng/internal/cli.Version=…".
var Version = "dev"

func newVersionCmd(env *Env) *Command {
	return &Command{
		Name:  "version",
		Usage: "zheng version",
		Short: "Print the version of zheng and of Go it was built with.",
		Run: func(ctx context.Context, args []string) error {
			rev := ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						rev = " " + s.Value
					}
				}
			}
			fmt.Fprintf(env.Stdout, "zheng %s%s (%s %s/%s)\n", Version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
