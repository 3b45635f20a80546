package cli

func newNNCmd(env *Env) *Command {
	return &Command{
		Name:  "nn",
		Usage: "zheng nn COMMAND [flags]",
		Short: "Run and time the neural-network models.",
	}
}
