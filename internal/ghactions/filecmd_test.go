package ghactions_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/ghactions/runnertest"
)

func TestFileCommandWriterRoundTripsAndUsesFreshDelimiters(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out")
	w := ghactions.FileCommandWriter{Getenv: func(k string) string {
		if k == "GITHUB_OUTPUT" {
			return path
		}
		return ""
	}}
	values := []string{
		"plain",
		"",
		"multi\nline\nvalue",
		"_GitHubActionsFileCommandDelimeter_\ninjected=1", // go-githubactions' fixed delimiter is just text here
		"ends with newline\n",
		"EOF",
	}
	for i, v := range values {
		if err := w.Write("GITHUB_OUTPUT", "v"+string(rune('a'+i)), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write("GITHUB_OUTPUT", "x", "1", "y", "2"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := runnertest.ParseFileCommands(data)
	if err != nil {
		t.Fatal(err)
	}
	var want []runnertest.Record
	for i, v := range values {
		want = append(want, runnertest.Record{Name: "v" + string(rune('a'+i)), Value: v})
	}
	want = append(want, runnertest.Record{Name: "x", Value: "1"}, runnertest.Record{Name: "y", Value: "2"})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	delims := regexp.MustCompile(`<<(ghadelimiter_[0-9a-f]{32})\n`).FindAllStringSubmatch(string(data), -1)
	if len(delims) != len(want) {
		t.Fatalf("%d random delimiters for %d records:\n%s", len(delims), len(want), data)
	}
	seen := map[string]bool{}
	for _, d := range delims {
		if seen[d[1]] {
			t.Errorf("delimiter %s used twice", d[1])
		}
		seen[d[1]] = true
	}
}

func TestFileCommandWriterRefusesInjection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "env")
	fixed := "ghadelimiter_00000000000000000000000000000000"
	w := ghactions.FileCommandWriter{
		Getenv: func(k string) string { return map[string]string{"GITHUB_ENV": path}[k] },
		Delim:  func() string { return fixed },
	}
	tests := []struct {
		name, key, value, wantErr string
	}{
		{"value holding the delimiter line", "A", "x\n" + fixed + "\nEVIL=1", "the value contains the delimiter"},
		{"value holding the delimiter inline", "A", "x" + fixed, "the value contains the delimiter"},
		{"name with a newline", "A\nEVIL", "v", "is not a valid name"},
		{"name with =", "A=B", "v", "is not a valid name"},
		{"name with <<", "A<<B", "v", "is not a valid name"},
		{"empty name", "", "v", "is not a valid name"},
	}
	for _, tt := range tests {
		if err := w.Write("GITHUB_ENV", tt.key, tt.value); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Errorf("refused records were written: %q", b)
	}
	// A refused pair refuses the whole call: no half-written batch.
	if err := w.Write("GITHUB_ENV", "OK", "1", "BAD\n", "2"); err == nil {
		t.Error("batch with a bad name accepted")
	}
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Errorf("part of a refused batch was written: %q", b)
	}
	if err := (&ghactions.FileCommandWriter{Getenv: func(string) string { return "" }}).Write("GITHUB_OUTPUT", "a", "b"); err == nil || !strings.Contains(err.Error(), "GITHUB_OUTPUT is not set") {
		t.Errorf("unset file variable: %v", err)
	}
}

// FuzzFileCommand: whatever the name and value, a record either is refused
// or reads back, the way the runner reads it, as exactly that one record:
// no value can inject another output or environment variable.
func FuzzFileCommand(f *testing.F) {
	const delim = "ghadelimiter_0123456789abcdef0123456789abcdef"
	f.Add("api-key", "value")
	f.Add("VAST_API_KEY", "line1\nline2")
	f.Add("x", "a\n"+delim+"\nINJECTED=1")
	f.Add("key", "v\r\nEVIL<<EOF\nx\nEOF")
	f.Add("a=b", "c")
	f.Fuzz(func(t *testing.T, name, value string) {
		rec, err := ghactions.FormatFileCommand(name, value, delim)
		if err != nil {
			return
		}
		got, err := runnertest.ParseFileCommands([]byte(rec))
		if err != nil {
			t.Fatalf("record %q does not parse: %v", rec, err)
		}
		if strings.Contains(value, "\r") {
			t.Fatalf("%q=%q: a value with a carriage return was written", name, value)
		}
		if len(got) != 1 || got[0].Name != name || got[0].Value != value {
			t.Fatalf("%q=%q reads back as %+v", name, value, got)
		}
	})
}
