package qcc

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLayering states a policy: a dialect is a codec over cert.Searcher.
// It may not reach past the cert service into a store or a database, nor
// into another dialect.
func TestLayering(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !strings.Contains(path, ".") && path != "database/sql" {
				continue // standard library
			}
			switch path {
			case "github.com/zhengapi/zheng/internal/cert", "github.com/zhengapi/zheng/internal/reqinfo", "github.com/zhengapi/zheng/internal/qcc/qccwire":
			default:
				t.Errorf("%s imports %s; a dialect may import only cert, reqinfo, qccwire and the standard library (not database/sql)", f, path)
			}
		}
	}
}
