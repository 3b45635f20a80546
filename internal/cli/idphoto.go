package cli

func newIDPhotoCmd(env *Env) *Command {
	return &Command{
		Name:  "idphoto",
		Usage: "zheng idphoto COMMAND [flags]",
		Short: "Make ID photos and list the spec catalogue.",
	}
}
