package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vastguard/vastguard/internal/command"
	"github.com/vastguard/vastguard/scan/scantest"
	"gopkg.in/yaml.v3"
)

// What a newcomer meets the first time: scan as a git hook, Ctrl-C, a
// directory that is not a repository.

// stageInTemporaryIndex leaves r as `git commit -a` leaves it while the
// pre-commit hook runs: .git/index as it was (HEAD's files), and the commit
// staged in .git/index.lock, whose name the hook gets in GIT_INDEX_FILE.
func stageInTemporaryIndex(t *testing.T, r *scantest.Repo, files scantest.Files) string {
	t.Helper()
	index := filepath.Join(r.Dir, ".git", "index")
	clean, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	r.Stage(files)
	lock := filepath.Join(r.Dir, ".git", "index.lock")
	if err := os.Rename(index, lock); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(index, clean, 0o644); err != nil {
		t.Fatal(err)
	}
	return lock
}

func TestScanStagedReadsGitIndexFile(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("init", scantest.Files{"app.env": "DEBUG=0\n"})
	r.CheckoutWorktree()
	lock := stageInTemporaryIndex(t, r, scantest.Files{"app.env": "VAST_API_KEY=" + scantest.Key(1) + "\n"})

	res := runCLI(t, map[string]string{"HOME": t.TempDir()}, "scan", r.Dir, "--staged")
	if res.code != 0 {
		t.Fatalf("without GIT_INDEX_FILE (.git/index holds no key): exit %d\n%s", res.code, res.all())
	}
	res = runCLI(t, map[string]string{"HOME": t.TempDir(), "GIT_INDEX_FILE": lock}, "scan", r.Dir, "--staged")
	if res.code != 2 || !strings.Contains(res.stdout, "app.env:1") {
		t.Errorf("with GIT_INDEX_FILE: exit %d, want 2 and app.env:1\n%s", res.code, res.all())
	}
	// A history scan does not read the index, so a GIT_INDEX_FILE that
	// names nothing is no error (it finds the staged blob as unreachable).
	res = runCLI(t, map[string]string{"HOME": t.TempDir(), "GIT_INDEX_FILE": filepath.Join(r.Dir, "missing")}, "scan", r.Dir)
	if res.code != 2 {
		t.Errorf("history scan with GIT_INDEX_FILE set: exit %d\n%s", res.code, res.all())
	}
}

// TestPreCommitHookWithCommitAll runs `vastguard scan --staged` as a real
// git pre-commit hook and commits with `git commit -a`, `git commit PATH`
// and a plain `git commit`: each must be refused.
func TestPreCommitHookWithCommitAll(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	bin := binary(t)
	dir := t.TempDir()
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+dir, "GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com",
			"GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.com")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	must := func(args ...string) {
		t.Helper()
		if out, err := git(args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	must("init", "-q")
	os.WriteFile(filepath.Join(dir, "app.env"), []byte("DEBUG=0\n"), 0o644)
	must("add", "app.env")
	must("commit", "-q", "-m", "init")
	hook := filepath.Join(dir, ".git", "hooks", "pre-commit")
	os.MkdirAll(filepath.Dir(hook), 0o755)
	if err := os.WriteFile(hook, []byte("#!/bin/sh\nexec '"+bin+"' scan --staged -q\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	leak := []byte("VAST_API_KEY=" + scantest.Key(1) + "\n")
	for _, args := range [][]string{{"commit", "-a", "-m", "leak"}, {"commit", "-m", "leak", "app.env"}, {"commit", "-m", "leak"}} {
		if err := os.WriteFile(filepath.Join(dir, "app.env"), leak, 0o644); err != nil {
			t.Fatal(err)
		}
		if args[len(args)-1] == "leak" && len(args) == 3 {
			must("add", "app.env")
		}
		out, err := git(args...)
		if err == nil {
			t.Errorf("git %v: the hook let the key through:\n%s", args, out)
			must("reset", "-q", "--hard", "HEAD~1")
			continue
		}
		if !strings.Contains(out, "app.env:1") {
			t.Errorf("git %v: the hook's report does not name app.env:1:\n%s", args, out)
		}
		must("reset", "-q", "--hard", "HEAD")
	}
}

func TestScanInterruptedWritesNothing(t *testing.T) {
	t.Parallel()
	r := leakyRepo(t)
	out := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(out, []byte("the last report\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // Ctrl-C before the scan read anything
	var stdout, stderr bytes.Buffer
	err := command.Run(ctx, &command.Env{
		Args:   []string{"vastguard", "scan", r.Dir, "-f", "json", "-o", out},
		Getenv: func(string) string { return "" },
		Stdin:  strings.NewReader(""),
		Stdout: &stdout, Stderr: &stderr,
		Now: time.Now,
	})
	code := command.ExitCode(err, &stderr)
	if want := "vastguard: scan: interrupted before it finished; no report was written\n"; code != 1 || stderr.String() != want || stdout.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing, %q", code, stdout.String(), stderr.String(), want)
	}
	if b, _ := os.ReadFile(out); string(b) != "the last report\n" {
		t.Errorf("the report file was touched: %q", b)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "*")); len(m) != 1 {
		t.Errorf("files left beside the report: %v", m)
	}
}

// TestScanErrorsSayItOnce: the errors a newcomer meets first are one line
// that says what is wrong and what to do, once (not "...: not a git
// repository" after a sentence that said so).
func TestScanErrorsSayItOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := leakyRepo(t)
	shallow := scantest.New(t)
	c := shallow.Commit("one", scantest.Files{"a.txt": "a\n"})
	shallow.MakeShallow(c)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"not a repository", []string{"scan", dir},
			"vastguard: scan: " + dir + " is not a git repository (no .git in it or its parents); to scan a plain directory or file instead, add --no-git\n"},
		{"range base missing", []string{"scan", r.Dir, "--range", "origin/main..HEAD"},
			"vastguard: scan: revision \"origin/main\" is not in the clone; check out with fetch-depth: 0 (actions/checkout) or run `git fetch --unshallow`\n"},
		{"shallow", []string{"scan", shallow.Dir}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runCLI(t, map[string]string{"HOME": t.TempDir()}, tt.args...)
			if res.code != 1 || strings.Count(res.stderr, "\n") != 1 || res.stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q: want 1, nothing, one line", res.code, res.stdout, res.stderr)
			}
			if tt.want != "" && res.stderr != tt.want {
				t.Errorf("stderr %q\nwant   %q", res.stderr, tt.want)
			}
			for _, tail := range []string{": not a git repository\n", ": shallow clone\n", ": partial clone\n", ": revision not in the clone\n"} {
				if strings.HasSuffix(res.stderr, tail) {
					t.Errorf("stderr %q repeats itself at its end", res.stderr)
				}
			}
		})
	}
}

// TestREADMEDockerRunScans runs the README's `docker run ... scan /repo`
// line as the image would: the Dockerfile's ENTRYPOINT with the line's
// arguments after the image name, on a repository owned by another user
// (as a bind mount is, seen from the container's root). The scanner reads
// git's files itself, so git's "dubious ownership" refusal, which gitleaks
// and TruffleHog users meet in containers, does not apply.
func TestREADMEDockerRunScans(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const image = "ghcr.io/vastguard/vastguard"
	var args []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "docker run ") && strings.Contains(line, `-v "$PWD:/repo"`) {
			_, after, ok := strings.Cut(line, " "+image+" ")
			if !ok {
				t.Fatalf("README: %q does not run %s", line, image)
			}
			args = strings.Fields(after)
		}
	}
	if len(args) == 0 {
		t.Fatal(`README has no docker run -v "$PWD:/repo" line`)
	}
	d, err := readDockerfile()
	if err != nil {
		t.Fatal(err)
	}
	root := binaryDir(t)
	r := leakyRepo(t)
	if os.Geteuid() == 0 {
		// Another owner, as a bind mount's files are to the container.
		err := filepath.Walk(r.Dir, func(p string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, 4321, 4321)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "/repo", r.Dir)
	}
	argv := append(slices.Clone(d.entrypoint[1:]), args...)
	cmd := exec.Command(filepath.Join(root, filepath.Base(d.entrypoint[0])), argv...)
	cmd.Args[0] = d.entrypoint[0]
	cmd.Env = []string{"PATH=/usr/bin:/bin"} // distroless sets no HOME for root beyond /etc/passwd
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFindings || !strings.Contains(stdout.String(), "a.env:1") {
		t.Errorf("%s %q: %v, want exit 2 and a.env:1\nstdout:\n%s\nstderr:\n%s", d.entrypoint[0], argv, err, stdout.String(), stderr.String())
	}
}

// preCommitHook is a hook of .pre-commit-hooks.yaml, with every field
// pre-commit's manifest schema (pre_commit/clientlib.py, MANIFEST_HOOK_DICT)
// allows: decoding it strictly refuses a field pre-commit would not know.
type preCommitHook struct {
	MinimumPreCommitVersion string   `yaml:"minimum_pre_commit_version"`
	ID                      string   `yaml:"id"`
	Name                    string   `yaml:"name"`
	Entry                   string   `yaml:"entry"`
	Language                string   `yaml:"language"`
	Alias                   string   `yaml:"alias"`
	Files                   string   `yaml:"files"`
	Exclude                 string   `yaml:"exclude"`
	Types                   []string `yaml:"types"`
	TypesOr                 []string `yaml:"types_or"`
	ExcludeTypes            []string `yaml:"exclude_types"`
	AdditionalDependencies  []string `yaml:"additional_dependencies"`
	Args                    []string `yaml:"args"`
	AlwaysRun               *bool    `yaml:"always_run"`
	FailFast                bool     `yaml:"fail_fast"`
	PassFilenames           *bool    `yaml:"pass_filenames"`
	Description             string   `yaml:"description"`
	LanguageVersion         string   `yaml:"language_version"`
	LogFile                 string   `yaml:"log_file"`
	RequireSerial           bool     `yaml:"require_serial"`
	Stages                  []string `yaml:"stages"`
	Verbose                 bool     `yaml:"verbose"`
}

// TestPreCommitManifest: .pre-commit-hooks.yaml is what pre-commit reads
// from a tag (language golang: `go install ./...` of the repository), its
// hook runs `vastguard scan --staged` on the whole index (no file names:
// the scan reads the index itself, and pre-commit's default, one run per
// batch of staged file names, would scan it several times), and the
// README's .pre-commit-config.yaml names it.
func TestPreCommitManifest(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(".pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var hooks []preCommitHook
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&hooks); err != nil {
		t.Fatalf(".pre-commit-hooks.yaml: %v", err)
	}
	ids := map[string]bool{}
	for _, h := range hooks {
		if h.ID == "" || h.Name == "" || h.Entry == "" || h.Language == "" {
			t.Errorf("hook %+v: id, name, entry and language are required", h)
		}
		ids[h.ID] = true
		if h.Language != "golang" {
			t.Errorf("hook %s: language %q, want golang (built from the tag with go install ./...)", h.ID, h.Language)
		}
		if !strings.HasPrefix(h.Entry, "vastguard scan --staged") {
			t.Errorf("hook %s: entry %q, want vastguard scan --staged", h.ID, h.Entry)
		}
		if h.PassFilenames == nil || *h.PassFilenames || h.AlwaysRun == nil || !*h.AlwaysRun {
			t.Errorf("hook %s: want pass_filenames: false and always_run: true (the scan reads the index)", h.ID)
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```yaml\n# .pre-commit-config.yaml\n")
	if !ok {
		t.Fatal("README.md has no .pre-commit-config.yaml block")
	}
	block, _, _ = strings.Cut(block, "```")
	var cfg struct {
		Repos []struct {
			Repo  string `yaml:"repo"`
			Rev   string `yaml:"rev"`
			Hooks []struct {
				ID string `yaml:"id"`
			} `yaml:"hooks"`
		} `yaml:"repos"`
	}
	if err := yaml.Unmarshal([]byte(block), &cfg); err != nil || len(cfg.Repos) != 1 {
		t.Fatalf("README's .pre-commit-config.yaml: %v %+v", err, cfg)
	}
	r := cfg.Repos[0]
	if r.Repo != "https://github.com/vastguard/vastguard" || !strings.HasPrefix(r.Rev, "v") {
		t.Errorf("README's pre-commit repo %q rev %q: want this repository at a release tag", r.Repo, r.Rev)
	}
	for _, h := range r.Hooks {
		if !ids[h.ID] {
			t.Errorf("README's pre-commit hook %q is not in .pre-commit-hooks.yaml", h.ID)
		}
	}
}
