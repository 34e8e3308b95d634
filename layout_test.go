package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/vastguard/vastguard"

// moduleImports parses every package of the module (its non-test files)
// and returns, by package path relative to the module ("" for the root),
// the module's packages it imports directly.
func moduleImports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		if pkg == "." {
			pkg = ""
		}
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if rel, ok := strings.CutPrefix(p, module+"/"); ok && !slices.Contains(out[pkg], rel) {
				out[pkg] = append(out[pkg], rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// closure is every module package pkg imports, directly or not.
func closure(graph map[string][]string, pkg string) []string {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(p string) {
		for _, q := range graph[p] {
			if !seen[q] {
				seen[q] = true
				visit(q)
			}
		}
	}
	visit(pkg)
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// TestImportRules keeps the layout the README's Code map describes: who
// may import whom, checked on every package's non-test files (imports of
// imports count).
func TestImportRules(t *testing.T) {
	t.Parallel()
	graph := moduleImports(t)
	for _, p := range []string{"", "internal/command", "internal/ghactions", "vast", "scan", "ghapi"} {
		if _, ok := graph[p]; !ok {
			t.Fatalf("package %q not found: the test walks the wrong tree", p)
		}
	}
	fakes := []string{"vast/vasttest", "ghapi/ghtest", "scan/scantest", "internal/ghactions/runnertest", "internal/golden", "internal/broker/oidctest", "internal/broker/store/storetest", "scan/corpus", "scan/corpus/heldout", "scan/gitobj/packtest", "scan/internal/hostile"}
	tools := func(p string) bool { return strings.HasPrefix(p, "bench/") || strings.HasPrefix(p, "internal/tools/") }
	rules := []struct {
		pkg string
		// may lists the module's packages pkg may import, directly or
		// not (with what they import); nil: only the standard library and
		// outside modules.
		may []string
	}{
		{"internal/safetext", nil},
		{"internal/safefile", nil}, // knows nothing of vastguard
		{"internal/golden", nil},
		{"internal/version", nil},     // the standard library only
		{"internal/broker/wire", nil}, // the broker's wire codes and types
		{"internal/broker/yamlfile", nil},
		{"internal/broker/identity", []string{"internal/broker/wire"}}, // OIDC tokens: knows nothing of Vast
		{"internal/broker/policy", []string{"internal/broker/wire", "internal/broker/yamlfile", "vast"}},
		{"internal/broker/store", nil},
		// The service: vast, the key names (its Namer) and its own
		// subpackages, never a front end.
		{"internal/broker", []string{"internal/broker/identity", "internal/broker/policy", "internal/broker/store", "internal/broker/wire", "internal/broker/yamlfile", "internal/keyname", "vast"}},
		{"internal/broker/brokerclient", []string{"internal/broker/wire", "vast"}}, // the Action's side: no store, no policy
		{"internal/broker/oidctest", nil},                                          // embedded by the demo and runnertest: no package testing either
		{"internal/broker/store/storetest", nil},
		{"vast", nil},
		{"scan", []string{"scan/gitobj"}},
		{"scan/gitobj", nil}, // the git object reader knows nothing of keys
		{"ghapi", nil},
		{"vast/vasttest", nil}, // a wire-level fake: it does not import what it fakes
		{"ghapi/ghtest", nil},
		{"scan/scantest", nil},
		{"scan/gitobj/packtest", nil}, // builds hostile packs at run time, for tests
		{"scan/internal/hostile", []string{"scan", "scan/gitobj/packtest"}}, // a test binary: scans one crafted class in its own process
		{"scan/corpus", []string{"scan/scantest"}},                          // the detection corpus, for tests and bench/corpus.sh
		{"scan/corpus/heldout", []string{"scan/scantest"}},                  // the held-out corpus, for its test and bench/heldout
		{"internal/keyname", []string{"vast"}},
		{"internal/ghactions", []string{"internal/safetext"}}, // knows nothing of Vast
		// The runner model's OIDC token endpoint signs with the test issuer.
		{"internal/ghactions/runnertest", []string{"internal/ghactions", "internal/safetext", "internal/broker/oidctest"}},
		{"internal/respond", []string{"internal/safetext", "scan", "vast"}},
		{"internal/hygiene", []string{"internal/keyname", "internal/safetext", "vast"}},
		{"internal/scanconfig", []string{"scan", "internal/broker/yamlfile"}},
		{"internal/demo", []string{"internal/ghactions", "internal/ghactions/runnertest", "internal/keyname", "internal/safetext", "scan", "scan/scantest", "vast", "vast/vasttest",
			"internal/broker", "internal/broker/oidctest"}},
	}
	checked := map[string]bool{}
	for _, r := range rules {
		checked[r.pkg] = true
		// What an allowed package brings along is allowed too.
		allowed := slices.Clone(r.may)
		for _, p := range r.may {
			allowed = append(allowed, closure(graph, p)...)
		}
		for _, q := range closure(graph, r.pkg) {
			if !slices.Contains(allowed, q) {
				t.Errorf("%s imports %s (it may import only %v)", r.pkg, q, r.may)
			}
		}
	}
	for pkg := range graph {
		if tools(pkg) {
			continue
		}
		// Production code imports no fake, except the demo (above): the
		// binary holds the fakes only for `vastguard demo`.
		if !slices.Contains(fakes, pkg) && pkg != "internal/demo" {
			for _, q := range graph[pkg] {
				if slices.Contains(fakes, q) {
					t.Errorf("%s imports the fake %s", pkg, q)
				}
			}
		}
		for _, q := range graph[pkg] {
			// internal/command is main's alone, internal/demo command's.
			if q == "internal/command" && pkg != "" {
				t.Errorf("%s imports internal/command; only main does", pkg)
			}
			if q == "internal/demo" && pkg != "internal/command" {
				t.Errorf("%s imports internal/demo; only internal/command does", pkg)
			}
		}
		if !checked[pkg] && pkg != "" && pkg != "internal/command" && !tools(pkg) {
			t.Errorf("package %s has no import rule here: add one (and a line to the README's Code map)", pkg)
		}
	}
	// main imports internal/command and nothing else of the module.
	if diff := slices.Compare(graph[""], []string{"internal/command"}); diff != 0 {
		t.Errorf("main imports %v, want internal/command alone", graph[""])
	}
}

// TestRootHoldsOnlyMain: the only non-test Go file in the repository root
// is main.go.
func TestRootHoldsOnlyMain(t *testing.T) {
	t.Parallel()
	ents, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") && n != "main.go" {
			t.Errorf("%s: the root holds main.go alone; put code in its package under internal/", n)
		}
	}
}
