package cli

import (
	"context"
	"flag"
)

// idphotoServeFlags are serve's ID-photo settings.
type idphotoServeFlags struct{}

func (f *idphotoServeFlags) register(fs *flag.FlagSet, env *Env) {}

// setupIDPhoto loads the models, opens the blob store and registers the
// ID-photo routes.
func setupIDPhoto(ctx context.Context, a *serveApp, f *idphotoServeFlags) error { return nil }
