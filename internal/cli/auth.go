package cli

func newAuthCmd(env *Env) *Command {
	return &Command{
		Name:  "auth",
		Usage: "zheng auth COMMAND [flags]",
		Short: "Sign requests and verify signatures (APIG SDK-HMAC-SHA256).",
	}
}
