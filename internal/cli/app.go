package cli

func newAppCmd(env *Env) *Command {
	return &Command{
		Name:  "app",
		Usage: "zheng app COMMAND [flags]",
		Short: "Manage apps, credentials and call packages.",
	}
}
