package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestAppCommands(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"ZHENG_DATA_DIR": dir}
	run := func(args ...string) (int, string, string) {
		env, out, errb := testEnv(vars)
		code := Main(context.Background(), args, env)
		return code, out.String(), errb.String()
	}
	code, out, errOut := run("app", "create", "--name", "shop", "--package", "cert=1000", "--package", "idphoto=100", "--qps", "10", "--json")
	if code != 0 {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	var created struct {
		AppID, AppKey, AppSecret string
		AppCodes                 []string
		Packages                 []struct {
			Product          string
			Total, Remaining int64
		}
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("create --json output %q: %v", out, err)
	}
	if created.AppID == "" || len(created.AppKey) != 32 || len(created.AppSecret) != 40 || len(created.AppCodes) != 1 ||
		len(created.Packages) != 2 || created.Packages[0].Remaining != 1000 {
		t.Fatalf("create --json = %+v", created)
	}
	id := created.AppID

	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{[]string{"app", "list"}, 0, "shop", ""},
		{[]string{"app", "list", "--json"}, 0, `"appKey": "` + created.AppKey, ""},
		{[]string{"app", "show", id}, 0, "idphoto", ""},
		{[]string{"app", "show", created.AppKey, "--json"}, 0, `"packages"`, ""},
		{[]string{"app", "show", "nosuch"}, 1, "", "not found"},
		{[]string{"app", "show"}, 2, "", "want exactly one"},
		{[]string{"app", "topup", "--package", "cert=5", "--daily-cap", "2", id}, 0, "2 (0 today)", ""},
		{[]string{"app", "topup", id}, 2, "", "--package is required"},
		{[]string{"app", "topup", "--package", "cert=x", id}, 2, "", "want PRODUCT=CALLS"},
		{[]string{"app", "disable", id}, 0, "disabled", ""},
		{[]string{"app", "enable", id, "--json"}, 0, `"disabled": false`, ""},
		{[]string{"app", "rotate-secret", id}, 0, "New AppSecret", ""},
		{[]string{"app", "add-appcode", id, "--json"}, 0, `"appCode"`, ""},
		{[]string{"app", "add-appcode", "--code", "short", id}, 1, "", "AppCode"},
		{[]string{"app", "create", "--package", "cert=1"}, 2, "", "--name is required"},
		{[]string{"app", "create", "--name", "x", "--expires", "tomorrow"}, 2, "", "--expires"},
		{[]string{"app", "--help"}, 0, "rotate-secret", ""},
		{[]string{"app", "create", "--help"}, 0, "-package", ""},
	}
	for _, tc := range tests {
		code, out, errOut := run(tc.args...)
		if code != tc.wantCode || !strings.Contains(out, tc.wantOut) || !strings.Contains(errOut, tc.wantErr) {
			t.Errorf("zheng %s: exit %d, stdout %q, stderr %q; want exit %d, stdout containing %q, stderr containing %q",
				strings.Join(tc.args, " "), code, out, errOut, tc.wantCode, tc.wantOut, tc.wantErr)
		}
	}
	// A different master key is refused instead of failing every signature.
	vars["ZHENG_MASTER_KEY"] = strings.Repeat("ab", 32)
	if code, _, errOut := run("app", "list"); code != 1 || !strings.Contains(errOut, "master key does not match") {
		t.Errorf("wrong master key: exit %d, stderr %q", code, errOut)
	}
}

func TestHelpDoesNotPrintSecrets(t *testing.T) {
	vars := map[string]string{
		"ZHENG_MASTER_KEY":  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"ZHENG_ADMIN_TOKEN": "admin-s3cret",
		"ZHENG_REDIS":       "redis://:redis-s3cret@127.0.0.1:6379/0",
	}
	for _, args := range [][]string{{"serve", "--help"}, {"app", "create", "--help"}} {
		env, out, errb := testEnv(vars)
		Main(context.Background(), args, env)
		text := out.String() + errb.String()
		for _, secret := range []string{"0123456789abcdef", "admin-s3cret", "redis-s3cret"} {
			if strings.Contains(text, secret) {
				t.Errorf("zheng %s prints %q", strings.Join(args, " "), secret)
			}
		}
	}
}
