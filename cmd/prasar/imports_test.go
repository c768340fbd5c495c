package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// listedPackage is the part of `go list -json` this test reads.
type listedPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Deps         []string
	Standard     bool
}

const module = "github.com/prasar/prasar"

// TestImportBans keeps the architecture's dependency rules true: each
// outside dependency is imported by exactly one package of ours, the
// domain imports only the standard library, and adapters do not import
// each other.
func TestImportBans(t *testing.T) {
	cmd := exec.Command("go", "list", "-tags", "embedui", "-deps=false", "-json", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}

	// owners: an outside module → the only package (prefix) that may import it.
	owners := []struct{ dep, owner string }{
		{"github.com/gin-gonic/gin", module + "/api"},
		{"github.com/hibiken/asynq", module + "/queue"},
		{"github.com/alicebob/miniredis", module + "/queue"},
		{"go.mongodb.org/mongo-driver", module + "/publisher/mongostore"},
		{"github.com/FerretDB/FerretDB", module + "/publisher/mongostore"},
		{"golang.org/x/oauth2", module + "/connectors"},
		{"modernc.org/sqlite", module + "/publisher/sqlitestore"},
		{"github.com/chromedp", module + "/cmd/prasar"},
		{"github.com/xuri/excelize", module + "/publisher/xlsx"},
		{"github.com/go-text/typesetting", module + "/publisher/pdfdoc"},
	}
	// adapters that must not import each other (or the command).
	adapters := []string{"/api", "/queue", "/connectors", "/publisher/mongostore", "/publisher/sqlitestore", "/frontend", "/cmd"}

	for _, p := range pkgs {
		all := map[string]bool{}
		for _, l := range [][]string{p.Imports, p.TestImports, p.XTestImports} {
			for _, imp := range l {
				all[imp] = true
			}
		}
		for imp := range all {
			for _, o := range owners {
				if (imp == o.dep || strings.HasPrefix(imp, o.dep+"/")) && !underPkg(p.ImportPath, o.owner) {
					t.Errorf("%s imports %s; only %s may", p.ImportPath, imp, o.owner)
				}
			}
			if !strings.HasPrefix(imp, module) {
				continue
			}
			for _, a := range adapters {
				self := module + a
				if underPkg(imp, self) && !underPkg(p.ImportPath, self) && !underPkg(p.ImportPath, module+"/cmd") &&
					!(a == "/publisher/sqlitestore" && isTestOnly(p, imp) && !underPkg(p.ImportPath, module+"/publisher/mongostore")) {
					t.Errorf("%s imports adapter %s; adapters depend on the domain, not on each other", p.ImportPath, imp)
				}
			}
		}
		// The domain (publisher, not its adapter sub-packages) imports only
		// the standard library in its non-test code.
		if p.ImportPath == module+"/publisher" {
			for _, imp := range p.Imports {
				if strings.Contains(strings.Split(imp, "/")[0], ".") {
					t.Errorf("the domain %s imports %s; it may import only the standard library", p.ImportPath, imp)
				}
			}
		}
	}
}

// isTestOnly reports whether p imports imp only from its tests (the SQLite
// store is the real store under the API's and the domain's tests).
func isTestOnly(p listedPackage, imp string) bool {
	for _, i := range p.Imports {
		if i == imp {
			return false
		}
	}
	return true
}

func underPkg(path, pkg string) bool { return path == pkg || strings.HasPrefix(path, pkg+"/") }
