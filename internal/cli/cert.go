package cli

func newCertCmd(env *Env) *Command {
	return &Command{
		Name:  "cert",
		Usage: "zheng cert COMMAND [flags]",
		Short: "Import, generate and inspect certificate data.",
	}
}
