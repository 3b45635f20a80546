package cli

import (
	"bytes"
	"flag"
	"strings"
	"testing"
)

// TestStoreFlagsHideSecret: ZHENG_DB applies, --db overrides it, and the
// help never shows the password the URL holds.
func TestStoreFlagsHideSecret(t *testing.T) {
	const url = "postgres://zheng:s3cr3t@127.0.0.1:5432/zheng?sslmode=disable"
	tests := []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"env applies", url, nil, url},
		{"flag overrides env", url, []string{"--db", "postgres://other@127.0.0.1/x"}, "postgres://other@127.0.0.1/x"},
		{"neither: SQLite", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _, _ := testEnv(map[string]string{"ZHENG_DB": tt.env})
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			var help bytes.Buffer
			fs.SetOutput(&help)
			var s storeFlags
			s.register(fs, env)
			fs.PrintDefaults()
			if strings.Contains(help.String(), "s3cr3t") || !strings.Contains(help.String(), "(env ZHENG_DB)") {
				t.Errorf("help:\n%s", help.String())
			}
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if s.DB != tt.want {
				t.Errorf("DB = %q, want %q", s.DB, tt.want)
			}
			if v := fs.Lookup("db").Value.String(); strings.Contains(v, "s3cr3t") {
				t.Errorf("flag value prints the password: %s", v)
			}
		})
	}
}

// TestCommandsHelpHideDB runs --help of every command that opens the store
// with ZHENG_DB set.
func TestCommandsHelpHideDB(t *testing.T) {
	for _, args := range [][]string{{"serve", "--help"}, {"app", "list", "--help"}, {"cert", "import", "--help"}} {
		env, out, errb := testEnv(map[string]string{"ZHENG_DB": "postgres://zheng:s3cr3t@127.0.0.1/zheng"})
		Main(t.Context(), args, env)
		if all := out.String() + errb.String(); strings.Contains(all, "s3cr3t") || !strings.Contains(all, "-db") {
			t.Errorf("%v help shows the password or lacks --db:\n%s", args, all)
		}
	}
}
