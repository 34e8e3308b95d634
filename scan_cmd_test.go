package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

func leakyRepo(t *testing.T) *scantest.Repo {
	r := scantest.New(t)
	r.Commit("leak", scantest.Files{"a.env": "VAST_API_KEY=" + scantest.Key(1) + "\n"})
	r.Commit("unleak", scantest.Files{"a.env": "VAST_API_KEY=\n"})
	r.CheckoutWorktree()
	return r
}

func TestScanCommand(t *testing.T) {
	t.Parallel()
	r := leakyRepo(t)
	clean := scantest.New(t)
	clean.Commit("fine", scantest.Files{"a.txt": "hello\n"})
	clean.CheckoutWorktree()
	dir := t.TempDir()
	baseline := filepath.Join(dir, "baseline.txt")
	os.WriteFile(baseline, []byte(scan.KeyHash(scantest.Key(1))+"\n"), 0o644)
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("nope\n"), 0o644)

	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string // substring
		stderr   string // prefix
		jsonFile string
	}{
		{"findings exit 2", []string{"scan", r.Dir}, 2, "1 Vast.ai API key found in 1 place", "", ""},
		{"clean exit 0", []string{"scan", clean.Dir}, 0, "no Vast.ai API keys found", "", ""},
		{"json", []string{"scan", r.Dir, "--format", "json"}, 2, `"key_sha256": "` + scan.KeyHash(scantest.Key(1)), "", ""},
		{"sarif", []string{"scan", "--format", "sarif", r.Dir}, 2, `"version": "2.1.0"`, "", ""},
		{"json to a file, text to stdout", []string{"scan", r.Dir, "--format", "json", "--output", filepath.Join(dir, "out.json")}, 2, "JSON report written to", "", filepath.Join(dir, "out.json")},
		{"baseline accepts the key", []string{"scan", r.Dir, "--baseline", baseline}, 0, "baseline: 1 finding suppressed", "", ""},
		{"not a repository", []string{"scan", dir}, 1, "", "vastguard: scan: " + dir + " is not a git repository", ""},
		{"missing path", []string{"scan", filepath.Join(dir, "nope")}, 1, "", "vastguard: scan: " + filepath.Join(dir, "nope") + " does not exist", ""},
		{"bad format", []string{"scan", r.Dir, "--format", "xml"}, 1, "", `vastguard: scan: --format "xml": use text, json or sarif`, ""},
		{"bad range", []string{"scan", r.Dir, "--range", "main"}, 1, "", `vastguard: scan: --range "main": write it as BASE..HEAD`, ""},
		{"missing range base", []string{"scan", r.Dir, "--range", "origin/main..HEAD"}, 1, "", `vastguard: scan: revision "origin/main" is not in the clone; check out with fetch-depth: 0`, ""},
		{"bad baseline", []string{"scan", r.Dir, "--baseline", bad}, 1, "", "vastguard: --baseline " + bad + ": baseline: line 1 is not a 64-character hex key_sha256", ""},
		{"missing baseline", []string{"scan", r.Dir, "--baseline", filepath.Join(dir, "none")}, 1, "", "vastguard: --baseline: ", ""},
		{"unwritable output", []string{"scan", r.Dir, "--output", filepath.Join(dir, "no", "such", "dir")}, 1, "", "vastguard: --output: cannot write in ", ""},
		{"two paths", []string{"scan", r.Dir, clean.Dir}, 1, "", "vastguard: scan takes one repository path", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runCLI(t, map[string]string{}, tt.args...)
			if res.code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", res.code, tt.code, res.stderr)
			}
			if !strings.Contains(res.stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, res.stdout)
			}
			if !strings.HasPrefix(res.stderr, tt.stderr) || strings.Count(res.stderr, "\n") > 1 {
				t.Errorf("stderr = %q, want one line starting %q", res.stderr, tt.stderr)
			}
			assertNoSecret(t, "output", res.all(), scantest.Key(1))
			if tt.jsonFile != "" {
				b, err := os.ReadFile(tt.jsonFile)
				var rep scan.Report
				if err != nil || json.Unmarshal(b, &rep) != nil || len(rep.Findings) != 1 || rep.Version != 1 {
					t.Errorf("report file: %v", err)
				}
				assertNoSecret(t, "report file", string(b), scantest.Key(1))
			}
		})
	}
}

func TestScanStagedCommand(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("one", scantest.Files{"a.txt": "x\n"})
	r.CheckoutWorktree()
	r.Stage(scantest.Files{"deploy/.env": "VAST_API_KEY=" + scantest.Key(2) + "\n"})
	res := runCLI(t, nil, "scan", "--staged", r.Dir)
	if res.code != 2 || !strings.Contains(res.stdout, "deploy/.env:1") || !strings.Contains(res.stdout, "staged") {
		t.Errorf("= %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// A key that was never committed has not leaked for good: the advice
	// is to unstage it, and to rotate it only if it was pushed anywhere.
	for _, want := range []string{"it is not committed", "git restore --staged FILE", "it never left this machine", "If it was ever pushed", "rotate it"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the staged advice lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "leaked for good") || strings.Contains(res.stdout, "every clone keeps it") {
		t.Errorf("a staged key is called leaked for good:\n%s", res.stdout)
	}
	assertNoSecret(t, "output", res.all(), scantest.Key(2))
}

// TestScanMinConfidence: --min-confidence high drops a medium-confidence
// finding (a generic key name in a file about Vast) and keeps a key bound
// to a Vast name; the default reports both.
func TestScanMinConfidence(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("keys", scantest.Files{
		"deploy/.env":   "VAST_API_KEY=" + scantest.Key(3) + "\n",
		"vast/notes.md": "# Running on Vast.ai\n\napi_key = " + scantest.Key(4) + "\n",
	})
	count := func(args ...string) (int, int) {
		res := runCLI(t, nil, append([]string{"scan", r.Dir, "-f", "json"}, args...)...)
		if res.code != 2 {
			t.Fatalf("scan %v = %d\n%s%s", args, res.code, res.stdout, res.stderr)
		}
		var rep struct {
			Findings []struct{ Confidence string } `json:"findings"`
		}
		if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		high := 0
		for _, f := range rep.Findings {
			if f.Confidence == "high" {
				high++
			}
		}
		return len(rep.Findings), high
	}
	all, high := count()
	if all != 2 || high != 1 {
		t.Fatalf("default: %d findings, %d high; want 2 and 1 (the corpus changed?)", all, high)
	}
	if all, high := count("--min-confidence", "high"); all != 1 || high != 1 {
		t.Errorf("--min-confidence high: %d findings, %d high; want 1 and 1", all, high)
	}
}
