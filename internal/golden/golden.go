// Package golden checks text a test generates against the files that hold
// it: a golden file, or a generated section of a Markdown document (the
// README) between "<!-- NAME -->" and "<!-- end NAME -->" lines. Run the
// tests with -update to rewrite them.
//
// It is for tests only: production code never imports it.
package golden

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files and the README's generated sections")

// Updating reports whether the tests run with -update.
func Updating() bool { return *update }

// File compares got with the file at path, or writes it there with
// -update.
func File(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(want, got) {
		t.Errorf("%s is out of date: run go test -run %s -update", path, topName(t))
	}
}

// Section compares got with the section name of the Markdown file at path
// (between "<!-- name -->\n" and "<!-- end name -->"), or rewrites the
// section with -update.
func Section(t testing.TB, path, name string, got []byte) {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- "+name+" -->\n", "<!-- end "+name+" -->"
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Errorf("%s has no section %q ... %q", path, strings.TrimSpace(begin), end)
		return
	}
	if *update {
		out := append(append(append([]byte{}, doc[:i+len(begin)]...), got...), doc[j:]...)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(doc[i+len(begin):j], got) {
		t.Errorf("%s's copy of %s (between %q and %q) is out of date: run go test -run %s -update", path, name, strings.TrimSpace(begin), end, topName(t))
	}
}

// topName is the top-level test's name, for -run.
func topName(t testing.TB) string {
	n, _, _ := strings.Cut(t.Name(), "/")
	return n
}
