package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Getenv: func(string) string { return "" }}
	code := Main(context.Background(), args, env)
	return code, out.String(), errb.String()
}

func TestIDPhotoSpecs(t *testing.T) {
	code, out, _ := runCLI(t, "idphoto", "specs", "--json")
	var got struct {
		Specs  []struct{ ID, Name string }
		Colors map[string][2]string
		Custom string
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got.Specs) != 181 || got.Custom != "12" {
		t.Fatalf("specs --json: exit %d, %d specs", code, len(got.Specs))
	}
	code, out, _ = runCLI(t, "idphoto", "specs")
	if code != 0 || !strings.Contains(out, "s034") || !strings.Contains(out, "一寸") || !strings.Contains(out, "295x413") {
		t.Errorf("specs table: exit %d:\n%.300s", code, out)
	}
}

func TestIDPhotoMakeFailures(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jpg")
	os.WriteFile(in, []byte("not an image"), 0o644)
	out := filepath.Join(dir, "out.jpg")
	for _, tc := range []struct {
		args []string
		exit int
		want string
	}{
		{[]string{in, "-o", out, "--spec", "七寸"}, 1, "code 207"},
		{[]string{in, "-o", out, "--kb", "45,20"}, 1, "code 400: 参数错误: fileSize"},
		{[]string{in, "-o", out, "--models", filepath.Join(dir, "none")}, 1, "scripts/fetch-models.sh"},
		{[]string{in}, 2, "-o OUT"},
	} {
		code, _, stderr := runCLI(t, append([]string{"idphoto", "make"}, tc.args...)...)
		if code != tc.exit || !strings.Contains(stderr, tc.want) {
			t.Errorf("idphoto make %q: exit %d, stderr %q; want exit %d with %q", tc.args, code, stderr, tc.exit, tc.want)
		}
	}
}

// TestIDPhotoMakeReal runs the command with the real models on two shared
// portraits, when both are present.
func TestIDPhotoMakeReal(t *testing.T) {
	root, _ := os.Getwd()
	for ; ; root = filepath.Dir(root) {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
	}
	models := filepath.Join(root, "models")
	portraits := filepath.Join(root, "..", "shared", "testdata", "portraits")
	if _, err := os.Stat(filepath.Join(models, "rvm.json")); err != nil {
		t.Skip("models not present")
	}
	if _, err := os.Stat(portraits); err != nil {
		t.Skip("portraits not present")
	}
	dir := t.TempDir()
	out, rep := filepath.Join(dir, "out.jpg"), filepath.Join(dir, "r.json")
	code, stdout, stderr := runCLI(t, "idphoto", "make", filepath.Join(portraits, "hivision_test0.jpg"), "-o", out,
		"--spec", "一寸", "--bg", "blue", "--beauty", "2", "--kb", "20,45", "--dpi", "350", "--layout", "6inch", "--report", rep, "--models", models)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{out, rep, filepath.Join(dir, "out-layout.jpg")} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s missing (%v); stdout %s", f, err, stdout)
		}
	}
	code, _, stderr = runCLI(t, "idphoto", "make", filepath.Join(portraits, "inspireface_view_noface.jpg"), "-o", out, "--models", models)
	if code != 1 || !strings.Contains(stderr, "code 205") {
		t.Errorf("no-face photo: exit %d, stderr %q; want 1 with code 205", code, stderr)
	}
}
