package cli

import (
	"context"
	"flag"
)

// certServeFlags are serve's certificate settings.
type certServeFlags struct{}

func (f *certServeFlags) register(fs *flag.FlagSet, env *Env) {}

// setupCert opens the certificate store (loading the demo data on an empty
// store) and registers both dialects' routes.
func setupCert(ctx context.Context, a *serveApp, f *certServeFlags) error { return nil }
