package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/zhengapi/zheng/internal/cert/importer"
	"github.com/zhengapi/zheng/internal/cert/sqlite"
)

func TestScratchImportFile(t *testing.T) {
	p := os.Getenv("SCRATCH_FILE")
	if p == "" {
		t.Skip()
	}
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "z.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, _ := os.Open(p)
	defer f.Close()
	sum, err := importer.Import(context.Background(), s, "x.jsonl", f, importer.Options{})
	t.Log(sum, err)
}
