package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zhengapi/zheng/internal/testenv"
)

// nnModelsDir returns the fetched models folder or skips.
func nnModelsDir(t *testing.T) string { return testenv.Models(t, "facemesh") }

func nnEnv(models string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "ZHENG_MODELS" {
			return models
		}
		return ""
	}}, &out, &errb
}

func TestNNRun(t *testing.T) {
	models := nnModelsDir(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.f32")
	if err := os.WriteFile(in, make([]byte, 4*192*192*3), 0o644); err != nil {
		t.Fatal(err)
	}
	env, stdout, stderr := nnEnv(models)
	outDir := filepath.Join(dir, "out")
	code := Main(context.Background(), []string{"nn", "run", "facemesh", "--in", "input_1=" + in + ":1x192x192x3", "--out", outDir}, env)
	if code != 0 {
		t.Fatalf("nn run exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(outDir, "outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Outputs []struct {
			Name  string
			File  string
			Shape []int
		}
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Outputs) != 3 {
		t.Fatalf("outputs.json lists %d outputs, want 3: %s", len(got.Outputs), raw)
	}
	for _, o := range got.Outputs {
		st, err := os.Stat(filepath.Join(outDir, o.File))
		n := 4
		for _, d := range o.Shape {
			n *= d
		}
		if err != nil || st.Size() != int64(n) {
			t.Errorf("output %s: file %s size %v, want %d bytes (%v)", o.Name, o.File, st, n, err)
		}
	}
	if !strings.Contains(stdout.String(), "output_mesh [1 1404]") {
		t.Errorf("stdout %q does not list output_mesh", stdout)
	}
}

func TestNNRunErrors(t *testing.T) {
	models := nnModelsDir(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.f32")
	if err := os.WriteFile(in, make([]byte, 12), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing model names the fetch script", []string{"nn", "run", "nosuch", "--in", "x=" + in + ":3", "--out", dir}, 1, "scripts/fetch-models.sh"},
		{"shape does not match file", []string{"nn", "run", "facemesh", "--in", "input_1=" + in + ":1x192x192x3", "--out", dir}, 1, "bytes"},
		{"wrong input shape", []string{"nn", "run", "facemesh", "--in", "input_1=" + in + ":1x1x1x3", "--out", dir}, 1, "input_1"},
		{"bad --in", []string{"nn", "run", "facemesh", "--in", "input_1", "--out", dir}, 2, "NAME=FILE"},
		{"no --out", []string{"nn", "run", "facemesh", "--in", "input_1=" + in + ":3"}, 2, "--out"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env, _, stderr := nnEnv(models)
			if code := Main(context.Background(), c.args, env); code != c.code || !strings.Contains(stderr.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, c.code, c.want)
			}
		})
	}
}

func TestNNBench(t *testing.T) {
	env, stdout, stderr := nnEnv(nnModelsDir(t))
	if code := Main(context.Background(), []string{"nn", "bench", "facemesh", "--runs", "2", "--warmup", "0", "--threads", "1"}, env); code != 0 {
		t.Fatalf("nn bench exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout.String(), "median") {
		t.Errorf("stdout %q has no median", stdout)
	}
}
