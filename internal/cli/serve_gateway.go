package cli

import (
	"context"
	"flag"
)

// gatewayServeFlags are serve's gateway settings.
type gatewayServeFlags struct{}

func (f *gatewayServeFlags) register(fs *flag.FlagSet, env *Env) {}

// setupGateway opens the gateway's store and sets a.gate.
func setupGateway(ctx context.Context, a *serveApp, f *gatewayServeFlags) error { return nil }
