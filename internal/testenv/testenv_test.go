package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRepoRootHoldsGoMod(t *testing.T) {
	root := RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("RepoRoot() = %s, which has no go.mod: %v", root, err)
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "zheng")); err != nil {
		t.Errorf("RepoRoot() = %s, which is not zheng's root: %v", root, err)
	}
}

func TestSharedSkipsWhenAbsent(t *testing.T) {
	ran := false
	t.Run("absent", func(t *testing.T) {
		Shared(t, "no-such-folder-in-shared-data")
		ran = true
	})
	if ran {
		t.Error("Shared did not skip for a missing path")
	}
}
