package cli

func newCallCmd(env *Env) *Command {
	return &Command{
		Name:  "call",
		Usage: "zheng call COMMAND [flags]",
		Short: "Call any API route and print the response.",
	}
}
