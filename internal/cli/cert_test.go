package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCertCLI runs the command line in-process and returns its exit code and
// outputs.
func runCertCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" },
		Now:    func() time.Time { return time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC) },
	}
	code := Main(context.Background(), args, env)
	return code, out.String(), errOut.String()
}

func TestCertGenImportSearch(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gen.jsonl")
	if code, _, stderr := runCertCLI(t, "cert", "gen", "--count", "300", "--seed", "9", "--out", file); code != 0 {
		t.Fatalf("cert gen exit %d: %s", code, stderr)
	}
	code, stdout, _ := runCertCLI(t, "cert", "gen", "--count", "300", "--seed", "9")
	b, err := os.ReadFile(file)
	if err != nil || code != 0 || stdout != string(b) {
		t.Fatalf("cert gen to stdout differs from --out (exit %d, %v)", code, err)
	}
	if n := strings.Count(stdout, "\n"); n != 300 {
		t.Errorf("cert gen --count 300 wrote %d lines", n)
	}

	data := filepath.Join(dir, "data")
	code, stdout, stderr := runCertCLI(t, "cert", "import", "--data-dir", data, file)
	if code != 0 || !strings.Contains(stdout, "read 300, inserted 300, updated 0, unchanged 0, rejected 0") {
		t.Fatalf("first import: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runCertCLI(t, "cert", "import", "--data-dir", data, file)
	if code != 0 || !strings.Contains(stdout, "inserted 0, updated 0, unchanged 300") {
		t.Errorf("second import: exit %d, %q; want all unchanged", code, stdout)
	}
	if code, stdout, _ = runCertCLI(t, "cert", "stats", "--data-dir", data); code != 0 || stdout != "certificates: 300\n" {
		t.Errorf("cert stats = %d, %q", code, stdout)
	}

	first := strings.SplitN(string(b), "\n", 2)[0]
	id := certCutBetween(first, `"id":"`, `"`)
	holder := certCutBetween(first, `"enterpriseName":"`, `"`)
	code, stdout, stderr = runCertCLI(t, "cert", "search", "--data-dir", data, "--exact", holder)
	if code != 0 || !strings.Contains(stdout, id) {
		t.Errorf("cert search --exact %q: exit %d, stdout %q, stderr %q; want id %s", holder, code, stdout, stderr, id)
	}
	if code, stdout, _ = runCertCLI(t, "cert", "get", "--data-dir", data, id); code != 0 || !strings.Contains(stdout, holder) {
		t.Errorf("cert get %s: exit %d, %q", id, code, stdout)
	}
	if code, _, _ = runCertCLI(t, "cert", "search", "--data-dir", data, "有限公司"); code != 2 {
		t.Errorf("cert search 有限公司 exit %d, want 2 (usage: generic keyword)", code)
	}
}

func TestCertImportRejects(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.csv")
	csv := "证书编号,企业名称,证书类型,证书状态\nA1,甲乙有限公司,软件产品证书,有效\nA2,,软件产品证书,有效\n"
	if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCertCLI(t, "cert", "import", "--data-dir", filepath.Join(dir, "data"), file)
	if code != 1 || !strings.Contains(stderr, "bad.csv:3: missing enterprise name") || !strings.Contains(stdout, "inserted 1") {
		t.Errorf("import with a bad row: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, _ := runCertCLI(t, "cert", "import", "--data-dir", dir, filepath.Join(dir, "x.txt")); code != 2 {
		t.Errorf("import of an unknown extension exit %d, want 2", code)
	}
}

func TestCertHelp(t *testing.T) {
	for _, sub := range []string{"import", "gen", "stats", "search", "get"} {
		code, stdout, _ := runCertCLI(t, "cert", sub, "--help")
		if code != 0 || !strings.Contains(stdout, "Usage: zheng cert "+sub) {
			t.Errorf("zheng cert %s --help: exit %d, %q", sub, code, stdout)
		}
	}
}

func certCutBetween(s, start, end string) string {
	_, rest, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(rest, end)
	return v
}
