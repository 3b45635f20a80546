// Command zheng serves enterprise-certificate and ID-photo APIs behind an
// API gateway. Run "zheng help" for the list of subcommands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/zhengapi/zheng/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
