// Package testenv finds what tests share outside a package directory: the
// repository root, the fetched vision models and the optional shared test
// data kept beside the repository. Helpers skip the calling test when an
// optional input is absent, so a bare checkout still passes.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot returns the directory holding go.mod, walking up from the
// test's working directory (its package directory).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Models returns the folder of fetched models ($ZHENG_MODELS, else
// ./models at the repository root) holding name.json, or skips the test
// when it is missing (scripts/fetch-models.sh fetches them).
func Models(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("ZHENG_MODELS")
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), "models")
	}
	if _, err := os.Stat(filepath.Join(dir, name+".json")); err != nil {
		t.Skipf("model %s not fetched (run scripts/fetch-models.sh): %v", name, err)
	}
	return dir
}

// Shared returns the path of rel inside the shared test data kept beside
// the repository (../shared/testdata from the root), or skips the test
// when it is absent: those files are never part of the repository.
func Shared(t testing.TB, rel ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{RepoRoot(t), "..", "shared", "testdata"}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared test data %s not present", filepath.Join(rel...))
	}
	return p
}
