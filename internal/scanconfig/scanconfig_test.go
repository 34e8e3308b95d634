package scanconfig_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vastguard/vastguard/internal/scanconfig"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

func TestParse(t *testing.T) {
	t.Parallel()
	h1, h2 := scan.KeyHash(scantest.Key(1)), scan.KeyHash(scantest.Key(2))
	doc := `# vastguard's configuration
exclude-paths:
  - testdata/**
  - "**/*.md"
disable-rules: [generic-key-in-vast-file]
min-confidence: high
baseline: ./.vastguard-baseline
examples:
  - sha256: ` + strings.ToUpper(h1) + `
    why: the   quickstart's example key (revoked)
  - ` + h2 + `
`
	c, err := scanconfig.Parse(".vastguard.yaml", []byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := scanconfig.File{
		ExcludePaths:  []string{"testdata/**", "**/*.md"},
		DisableRules:  []string{"generic-key-in-vast-file"},
		MinConfidence: "high",
		Baseline:      ".vastguard-baseline",
		Examples:      []scanconfig.Example{{SHA256: strings.ToUpper(h1), Why: "the   quickstart's example key (revoked)"}, {SHA256: h2}},
	}
	if diff := cmp.Diff(want, c.File); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{h1: "the quickstart's example key (revoked)", h2: ""}, c.Filter.Examples); diff != "" {
		t.Errorf("examples (-want +got):\n%s", diff)
	}
	if !c.Filter.ExcludesPath("testdata/x/y.env") || c.Filter.MinConfidence != scan.High {
		t.Error("the filter does not follow the file")
	}
	if c, err := scanconfig.Parse("empty.yaml", []byte("# nothing yet\n"), nil); err != nil || c.Filter == nil {
		t.Errorf("an empty file: %v", err)
	}
}

// TestParseErrors: every field's mistakes are one line naming the file,
// the line and the field.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ doc, want string }{
		{"exclude-path:\n  - x\n", `c.yaml:1: unknown field "exclude-path" (known: baseline, disable-rules, examples, exclude-paths, min-confidence)`},
		{"exclude-paths:\n  - ok/**\n  - \"[abc\"\n", `c.yaml:3: exclude-paths[1]: "[abc" is not a valid glob`},
		{"exclude-paths:\n  - /etc/**\n", `c.yaml:2: exclude-paths[0]: "/etc/**": paths are relative to the repository root`},
		{"exclude-paths: testdata/**\n", "c.yaml:1: exclude-paths: a list is expected"},
		{"min-confidence: [high]\n", "c.yaml:1: min-confidence: a single value is expected"},
		{"disable-rules:\n  - vast-env\n", `c.yaml:2: disable-rules[0]: "vast-env" is not a rule (rules: `},
		{"min-confidence: low\n", `c.yaml:1: min-confidence: "low": use high or medium`},
		{"baseline: ../outside.txt\n", `c.yaml:1: baseline: "../outside.txt" leaves the repository`},
		{"baseline: /etc/baseline\n", `c.yaml:1: baseline: "/etc/baseline": give a path relative to the repository root`},
		{"examples:\n  - sha256: abc\n", "c.yaml:2: examples[0].sha256 is not a 64-character hex key_sha256"},
		{"examples:\n  - why: no hash\n", "c.yaml:2: examples[0].sha256 is missing"},
		{"examples:\n  - sha256: " + strings.Repeat("a", 64) + "\n    note: x\n", `c.yaml:3: examples[0]: unknown field "note" (known: sha256, why)`},
		{"- a\n- b\n", "c.yaml:1: must be a mapping of fields"},
		{"exclude-paths: [\n", "c.yaml:1: did not find expected node content"},
	} {
		_, err := scanconfig.Parse("c.yaml", []byte(tt.doc), nil)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q) = %v\nwant one line starting %q", tt.doc, err, tt.want)
		}
	}
	if _, err := scanconfig.Parse("big.yaml", make([]byte, scanconfig.MaxSize+1), nil); err == nil {
		t.Error("a huge file was read")
	}
}

// TestReadFile: a link at the config's name is not followed.
func TestReadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "passwd")
	os.WriteFile(secret, []byte("root:x:0:0\n"), 0o644)
	os.Symlink(secret, filepath.Join(dir, "link.yaml"))
	os.WriteFile(filepath.Join(dir, "ok.yaml"), []byte("min-confidence: high\n"), 0o644)
	if _, err := scanconfig.ReadFile(filepath.Join(dir, "link.yaml")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a link: %v", err)
	}
	if _, err := scanconfig.ReadFile(filepath.Join(dir, "none.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	if b, err := scanconfig.ReadFile(filepath.Join(dir, "ok.yaml")); err != nil || string(b) != "min-confidence: high\n" {
		t.Errorf("ok: %q %v", b, err)
	}
}
