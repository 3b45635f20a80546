package deps

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/zhengapi/zheng/"

// forbidden lists, per package prefix, import prefixes it must not reach,
// directly or indirectly.
var forbidden = []struct {
	pkg    string
	reason string
	not    []string
}{
	{"internal/cert", "the certificate domain knows no transport and no SQL driver",
		[]string{"net/http", "database/sql", "modernc.org/sqlite", "github.com/jackc/pgx"}},
	{"internal/jumei", "a dialect is a codec over the service, never over a store",
		[]string{"database/sql", "modernc.org/sqlite", "github.com/jackc/pgx", mod + "internal/cert/sqlite", mod + "internal/cert/postgres", mod + "internal/gateway"}},
	{"internal/qcc", "a dialect is a codec over the service, never over a store",
		[]string{"database/sql", "modernc.org/sqlite", "github.com/jackc/pgx", mod + "internal/cert/sqlite", mod + "internal/cert/postgres", mod + "internal/gateway"}},
	{"internal/gateway", "the gateway never knows a product's logic or store",
		[]string{mod + "internal/cert", mod + "internal/jumei", mod + "internal/idphoto", mod + "internal/face", mod + "internal/matte", mod + "internal/nn"}},
	{"internal/nn", "the runtime knows nothing about faces or HTTP",
		[]string{"net/http", mod + "internal/idphoto", mod + "internal/face", mod + "internal/matte"}},
	{"internal/face", "models' pre- and post-processing sit below the pipeline",
		[]string{"net/http", mod + "internal/idphoto"}},
	{"internal/matte", "models' pre- and post-processing sit below the pipeline",
		[]string{"net/http", mod + "internal/idphoto"}},
	{"internal/idphoto", "the pipeline is a library with no store",
		[]string{"database/sql", mod + "internal/cert", mod + "internal/gateway"}},
	{"apig", "public packages must not depend on internal ones",
		[]string{mod + "internal/"}},
	{"client", "public packages must not depend on internal ones",
		[]string{mod + "internal/"}},
	{"internal/", "only main wires the command line",
		[]string{mod + "internal/cli"}},
}

// dialects may import, from this module, only what is listed: a dialect is
// a codec over the certificate service.
var dialects = map[string][]string{
	"internal/jumei":       {"internal/cert", "internal/reqinfo"},
	"internal/qcc":         {"internal/cert", "internal/reqinfo", "internal/qcc/qccwire"},
	"internal/qcc/qccwire": {"internal/reqinfo"},
}

type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func TestImportPolicy(t *testing.T) {
	out, err := exec.Command("go", "list", "-e", "-deps=false", "-json=ImportPath,Imports,Deps", mod+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	n := 0
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		n++
		rel := strings.TrimPrefix(p.ImportPath, mod)
		if allowed, ok := dialects[rel]; ok {
			for _, imp := range p.Imports {
				if strings.HasPrefix(imp, mod) && !slices.Contains(allowed, strings.TrimPrefix(imp, mod)) {
					t.Errorf("%s imports %s; a dialect may import only %v from this module", rel, imp, allowed)
				}
				if imp == "database/sql" {
					t.Errorf("%s imports database/sql; a dialect never touches a store", rel)
				}
			}
		}
		for _, rule := range forbidden {
			if !strings.HasPrefix(rel, rule.pkg) || rel == "internal/cli" {
				continue
			}
			for _, dep := range p.Deps {
				for _, bad := range rule.not {
					if matches(dep, bad) {
						if rule.pkg == "internal/cert" && strings.HasPrefix(rel, "internal/cert/") && !isDomain(rel) {
							continue // stores and tools under cert/ may use drivers
						}
						t.Errorf("%s imports %s: %s", rel, dep, rule.reason)
					}
				}
			}
		}
	}
	if n < 5 {
		t.Fatalf("go list saw %d packages; the policy checked nothing", n)
	}
}

// isDomain reports whether a package under internal/cert is part of the
// domain proper (which must stay free of drivers and HTTP).
func isDomain(rel string) bool { return rel == "internal/cert" }

// matches reports whether dep is the package bad or, for a module path, lies
// under it. Standard-library names match exactly, so "database/sql" does not
// forbid "database/sql/driver" (which value types implement without a store).
func matches(dep, bad string) bool {
	if dep == bad {
		return true
	}
	first, _, _ := strings.Cut(bad, "/")
	if !strings.Contains(first, ".") {
		return false
	}
	return strings.HasPrefix(dep, strings.TrimSuffix(bad, "/")+"/")
}
