package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// testEnv returns an Env writing to buffers with the given variables.
func testEnv(vars map[string]string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Env{
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) string { return vars[k] },
		Now:    func() time.Time { return time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) },
	}, &out, &errb
}

func TestMainDispatch(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string // substring of stdout
		wantErr  string // substring of stderr
	}{
		{[]string{"--help"}, 0, "Commands:", ""},
		{[]string{"help"}, 0, "serve", ""},
		{[]string{"version"}, 0, "zheng ", ""},
		{[]string{"serve", "--help"}, 0, "-data-dir", ""},
		{[]string{"nosuch"}, 2, "", `unknown command "nosuch"`},
		{[]string{"serve", "--bogus"}, 2, "", "flag provided but not defined"},
		{[]string{"serve", "extra"}, 2, "", "serve takes no arguments"},
		{[]string{}, 2, "", "needs a subcommand"},
	}
	for _, tc := range tests {
		env, out, errb := testEnv(nil)
		code := Main(context.Background(), tc.args, env)
		if code != tc.wantCode {
			t.Errorf("Main(%q) = %d, want %d (stderr %q)", tc.args, code, tc.wantCode, errb)
		}
		if !strings.Contains(out.String(), tc.wantOut) {
			t.Errorf("Main(%q) stdout = %q, want it to contain %q", tc.args, out, tc.wantOut)
		}
		if !strings.Contains(errb.String(), tc.wantErr) {
			t.Errorf("Main(%q) stderr = %q, want it to contain %q", tc.args, errb, tc.wantErr)
		}
	}
}

func TestEnvFallbackForFlags(t *testing.T) {
	env, out, _ := testEnv(map[string]string{"ZHENG_ADDR": "127.0.0.1:9999", "ZHENG_DATA_DIR": "/srv/zheng"})
	if code := Main(context.Background(), []string{"serve", "--help"}, env); code != 0 {
		t.Fatalf("serve --help exit %d", code)
	}
	for _, want := range []string{`"127.0.0.1:9999"`, `"/srv/zheng"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve --help does not show env default %s:\n%s", want, out)
		}
	}
}
