package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vastguard/vastguard/ghapi/ghtest"
	"github.com/vastguard/vastguard/internal/golden"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

// The README's examples of baselines, configuration and the new targets
// are transcripts of these runs: each test runs the commands the README
// shows, checks what matters, and keeps the README's copy of the
// transcript current (-update rewrites it).

// session runs commands as a person would in dir, and records what they
// saw.
type session struct {
	t    *testing.T
	dir  string
	vars map[string]string
	b    strings.Builder
}

var seconds = regexp.MustCompile(`in [0-9]+\.[0-9]{2}s`)

// run runs display (a command line as the README shows it) with args (the
// same, with paths made absolute), and records the transcript.
func (s *session) run(display, stdin string, args ...string) result {
	s.t.Helper()
	res := runCLIStdin(s.t, s.vars, stdin, args...)
	out := strings.ReplaceAll(res.stdout+res.stderr, s.dir+string(filepath.Separator), "")
	out = strings.ReplaceAll(out, s.dir, ".")
	out = seconds.ReplaceAllString(out, "in 0.01s")
	fmt.Fprintf(&s.b, "$ %s\n%s", display, out)
	if res.code != 0 {
		fmt.Fprintf(&s.b, "(exit code %d)\n", res.code)
	}
	s.b.WriteString("\n")
	return res
}

func (s *session) note(text string) { s.b.WriteString(text + "\n") }

func (s *session) check(section string) {
	s.t.Helper()
	golden.Section(s.t, "README.md", section, []byte("```text\n"+strings.TrimSuffix(s.b.String(), "\n")+"\n```\n"))
}

func TestREADMEBaselineExample(t *testing.T) {
	// Not parallel: with -update, tests that rewrite README.md sections
	// must not race.
	r := scantest.New(t)
	r.Commit("deploy config", scantest.Files{
		"app/.env":          "DEBUG=0\nVAST_API_KEY=" + scantest.Key(1) + "\n",
		"scripts/launch.sh": "vastai set api-key " + scantest.Key(2) + "\nvastai show instances\n",
	})
	r.Commit("move the key", scantest.Files{"app/.env": "DEBUG=0\n", "config/prod.env": "VAST_API_KEY=" + scantest.Key(1) + "\n"})
	r.CheckoutWorktree()
	s := &session{t: t, dir: r.Dir, vars: map[string]string{"HOME": t.TempDir()}}
	bl := filepath.Join(r.Dir, ".vastguard-baseline")
	res := s.run("vastguard scan --write-baseline .vastguard-baseline", "", "scan", r.Dir, "--write-baseline", bl)
	if res.code != 2 {
		t.Fatalf("exit %d:\n%s", res.code, res.all())
	}
	data, err := os.ReadFile(bl)
	if err != nil {
		t.Fatal(err)
	}
	s.note("$ cat .vastguard-baseline\n" + string(data))
	for _, n := range []int{1, 2} {
		if !strings.Contains(string(data), scan.KeyHash(scantest.Key(n))+"  # ") || !strings.Contains(res.stdout, scan.KeyHash(scantest.Key(n))) {
			t.Errorf("key %d's whole sha256 is not in the report and the baseline", n)
		}
	}
	s.note("(revoke the keys, then accept them: commit the baseline)\n")
	res = s.run("vastguard scan --baseline .vastguard-baseline", "", "scan", r.Dir, "--baseline", bl)
	if res.code != 0 || !strings.Contains(res.stdout, "baseline: 3 findings suppressed, 0 stale entries") {
		t.Errorf("with the baseline: exit %d\n%s", res.code, res.all())
	}
	s.check("baseline-example.txt")
	assertNoSecret(t, "transcript", s.b.String(), scantest.Key(1), scantest.Key(2))

	// A link planted at the baseline's name is refused, never followed.
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("keep me\n"), 0o644)
	link := filepath.Join(r.Dir, "linked-baseline")
	os.Symlink(victim, link)
	if res := runCLI(t, s.vars, "scan", r.Dir, "--write-baseline", link); res.code != 1 || !strings.Contains(res.stderr, "is a symbolic link, which vastguard does not follow") {
		t.Fatalf("exit %d: %s", res.code, res.all())
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me\n" {
		t.Errorf("the write followed the link: %q", b)
	}
	if res := runCLI(t, s.vars, "scan", r.Dir, "--write-baseline", filepath.Join(r.Dir, "no", "such", "dir", "b")); res.code != 1 || !strings.HasPrefix(res.stderr, "vastguard: --write-baseline: cannot write in") {
		t.Errorf("a missing directory: %d %q", res.code, res.stderr)
	}
}

// readmeConfig is the README's example .vastguard.yaml.
func readmeConfig() string {
	return `# .vastguard.yaml
exclude-paths:
  - testdata/**          # fixtures made of fake keys
  - vendor/
disable-rules:
  - vast-named-key-file
min-confidence: high     # leave out the medium-confidence rules
baseline: .vastguard-baseline
examples:
  - sha256: ` + scan.KeyHash(scantest.Key(3)) + `
    why: the key in docs/quickstart.md (revoked; published on purpose)
`
}

func TestREADMEConfigExample(t *testing.T) {
	// Not parallel: with -update, tests that rewrite README.md sections
	// must not race.
	golden.Section(t, "README.md", "config-example.yaml", []byte("```yaml\n"+readmeConfig()+"```\n"))
	r := scantest.New(t)
	r.Commit("work", scantest.Files{
		".vastguard.yaml":            readmeConfig(),
		".vastguard-baseline":        scan.KeyHash(scantest.Key(6)) + "  # revoked 2025-01-02\n",
		"app/.env":                   "VAST_API_KEY=" + scantest.Key(1) + "\n",
		"testdata/fixture.env":       "VAST_API_KEY=" + scantest.Key(2) + "\n",
		"docs/quickstart.md":         "Run `vastai set api-key " + scantest.Key(3) + "`.\n",
		"client/vast.go":             "package client // for vast.ai\nconst token = \"" + scantest.Key(4) + "\"\n",
		"vendor/x/vast/api_key":      scantest.Key(5) + "\n",
		"old/deploy.env":             "VAST_API_KEY=" + scantest.Key(6) + "\n",
		"vendor/github.com/a/b/.env": "VAST_API_KEY=" + scantest.Key(7) + "\n",
	})
	r.CheckoutWorktree()
	res := runCLI(t, map[string]string{"HOME": t.TempDir()}, "scan", r.Dir, "--format", "json")
	if res.code != 2 {
		t.Fatalf("exit %d\n%s", res.code, res.all())
	}
	var got []string
	for _, line := range strings.Split(res.stdout, "\n") {
		if m := regexp.MustCompile(`"path": "([^"]+)"`).FindStringSubmatch(line); m != nil {
			got = append(got, m[1])
		}
	}
	if strings.Join(got, " ") != "app/.env docs/quickstart.md" || !strings.Contains(res.stdout, `"example": "the key in docs/quickstart.md`) {
		t.Errorf("findings at %v\n%s", got, res.stdout)
	}
	for _, want := range []string{`"excluded": 3`, `"below_min_confidence": 1`, `"examples": 1`, `"suppressed": 1`} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("stats lack %s", want)
		}
	}
	// The example alone does not fail the scan.
	os.Remove(filepath.Join(r.Dir, "app", ".env"))
	if res := runCLI(t, map[string]string{"HOME": t.TempDir()}, "scan", r.Dir, "--no-git"); res.code != 0 || !strings.Contains(res.stdout, "known example value") {
		t.Errorf("an example alone: exit %d\n%s", res.code, res.all())
	}
	// A mistake is one line naming the file, the line and the field.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("exclude-paths:\n  - ok/**\n  - \"[abc\"\n"), 0o644)
	if res := runCLI(t, nil, "scan", r.Dir, "--config", bad); res.code != 1 || res.stderr != "vastguard: "+bad+":3: exclude-paths[1]: \"[abc\" is not a valid glob\n" {
		t.Errorf("bad config: %d %q", res.code, res.stderr)
	}
}

func TestREADMETargetsExample(t *testing.T) {
	// Not parallel: with -update, tests that rewrite README.md sections
	// must not race.
	dir := t.TempDir()
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "app/config/prod.env", Method: zip.Deflate, Modified: scantest.Epoch})
	w.Write([]byte("VAST_API_KEY=" + scantest.Key(1) + "\n"))
	zw.Close()
	os.MkdirAll(filepath.Join(dir, "dist"), 0o755)
	os.WriteFile(filepath.Join(dir, "dist", "gpu-runner-1.4.0.zip"), zb.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "dist", "run.sh"), []byte("#!/bin/sh\nexec vastai --api-key \"$VAST_API_KEY\" show instances\n"), 0o755)
	os.Symlink("/etc/passwd", filepath.Join(dir, "dist", "passwd"))

	srv := ghtest.NewServer(t)
	day := time.Date(2026, 9, 7, 9, 15, 20, 0, time.UTC)
	logs := ghtest.LogArchive(day, false, ghtest.LogJob{Name: "train", Steps: []ghtest.LogStep{
		{Name: "Set up job", Lines: []string{"Current runner version: '2.328.0'"}},
		{Name: "Debug config", Lines: []string{"##[group]Run printenv | sort", "##[endgroup]", "HOME=/home/runner", "VAST_API_KEY=" + scantest.Key(2)}},
		{Name: "Train", Lines: []string{"VAST_API_KEY: ***", "training..."}},
	}})
	srv.AddRun("acme", "gpu", ghtest.Run{ID: 17234567890, Name: "gpu-tests", Event: "push", Branch: "main", HeadSHA: strings.Repeat("c", 40), Actor: "octocat", Created: day, Logs: logs})
	srv.AddRun("acme", "gpu", ghtest.Run{ID: 17234567001, Name: "gpu-tests", Event: "schedule", Actor: "octocat", Created: day.Add(-48 * time.Hour), Expired: true})
	srv.AddRun("acme", "gpu", ghtest.Run{ID: 16000000000, Name: "gpu-tests", Actor: "octocat", Created: day.Add(-40 * 24 * time.Hour), Logs: logs})

	s := &session{t: t, dir: dir, vars: map[string]string{"HOME": t.TempDir(), "GITHUB_TOKEN": srv.Token, "GITHUB_API_URL": srv.URL}}
	res := s.run("vastguard scan --no-git dist", "", "scan", "--no-git", filepath.Join(dir, "dist"))
	if res.code != 2 || !strings.Contains(res.stdout, "gpu-runner-1.4.0.zip!app/config/prod.env:1") || !strings.Contains(res.stdout, "1 symbolic or hard link not followed") {
		t.Errorf("--no-git: exit %d\n%s", res.code, res.all())
	}
	ghLog := strings.Repeat("train\tSet up job\t2026-09-07T09:15:21.2345670Z Runner is ready\n", 3) +
		"train\tDebug config\t2026-09-07T09:15:22.4691340Z ##[group]Run printenv | sort\n" +
		"train\tDebug config\t2026-09-07T09:15:22.4691340Z VAST_API_KEY=" + scantest.Key(2) + "\n"
	res = s.run("gh run view 17234567890 --log | vastguard scan -", ghLog, "scan", "-")
	if res.code != 2 || !strings.Contains(res.stdout, "(stdin):5") {
		t.Errorf("stdin: exit %d\n%s", res.code, res.all())
	}
	res = s.run("vastguard scan --github-actions-logs acme/gpu --since 2026-09-01", "", "scan", "--github-actions-logs", "acme/gpu", "--since", "2026-09-01")
	if res.code != 2 || !strings.Contains(res.stdout, "run 17234567890 train/2_Debug config.txt:4") || !strings.Contains(res.stdout, "not scanned: run 17234567001: its logs expired or were deleted") || strings.Contains(res.stdout, "16000000000") {
		t.Errorf("logs: exit %d\n%s", res.code, res.all())
	}
	for _, b := range srv.BlobRequests() {
		if b.Auth != "" {
			t.Errorf("the token went to the log storage host")
		}
	}
	assertNoSecret(t, "logs", res.all(), srv.Token, scantest.Key(1), scantest.Key(2))
	s.check("targets-example.txt")

	// JSON says where in the run.
	res = runCLI(t, s.vars, "scan", "--github-actions-logs", "acme/gpu", "--since", "2026-09-01", "-f", "json")
	for _, want := range []string{`"source": "actions-log"`, `"run_id": 17234567890`, `"job": "train"`, `"step": "Debug config"`, `"step_number": 2`} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	// A token without Actions: read.
	srv.AddToken("ghp_"+strings.Repeat("z", 36), ghtest.PermMetadata)
	res = runCLI(t, map[string]string{"GITHUB_TOKEN": "ghp_" + strings.Repeat("z", 36), "GITHUB_API_URL": srv.URL}, "scan", "--github-actions-logs", "acme/gpu")
	if res.code != 1 || !strings.Contains(res.stderr, "Actions: read") || strings.Count(res.stderr, "\n") != 1 {
		t.Errorf("no Actions: read: %d %q", res.code, res.stderr)
	}
}

// TestREADMERuleAnchors: every rule's SARIF helpUri lands on an anchor in
// the README.
func TestREADMERuleAnchors(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range scan.Detectors {
		u := scan.HelpURI("https://github.com/vastguard/vastguard", d.ID)
		_, anchor, _ := strings.Cut(u, "#")
		if !bytes.Contains(readme, []byte(`<a id="`+anchor+`"></a>`)) {
			t.Errorf("README.md has no anchor %q for rule %s's helpUri", anchor, d.ID)
		}
	}
}
