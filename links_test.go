package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vastguard/vastguard/scan/scantest"
)

// The files the program writes where a repository decides what is on
// disk (issue 12): a pull request that commits the SARIF file's name as a
// link, a directory on its path as a link, or a directory in its place,
// must not make the program write outside the workspace (a container
// action's /github/workflow/event.json sits beside it), write through a
// link inside it (.git/config), or hide the findings.

// linkedWorkspace is a job whose workspace holds a checkout with one
// committed key, and the job's event payload, which later steps read.
func linkedWorkspace(t *testing.T) (*e2e, string) {
	x := newE2E(t, "in-process")
	r := workspaceRepo(x)
	r.Commit("leak", scantest.Files{"deploy/.env": "VAST_API_KEY=" + scantest.Key(3) + "\n"})
	r.CheckoutWorktree()
	return x, x.job.Env["GITHUB_EVENT_PATH"]
}

func fileText(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestActionSARIFNeverFollowsLinks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		layout func(t *testing.T, ws, event string)
		sarif  string
		want   string // in the error annotation about the SARIF file
	}{
		{"the SARIF file is a link to the event payload", func(t *testing.T, ws, event string) {
			rel, _ := filepath.Rel(ws, event)
			must(t, os.Symlink(rel, filepath.Join(ws, "vastguard.sarif")))
		}, "vastguard.sarif", "input sarif-file: vastguard.sarif is a symbolic link"},
		{"the SARIF file is a link to .git/config", func(t *testing.T, ws, _ string) {
			must(t, os.Symlink(".git/config", filepath.Join(ws, "vastguard.sarif")))
		}, "vastguard.sarif", "input sarif-file: vastguard.sarif is a symbolic link"},
		{"a directory on the way is a link out", func(t *testing.T, ws, event string) {
			must(t, os.Symlink(filepath.Dir(event), filepath.Join(ws, "reports")))
		}, "reports/event.json", "input sarif-file: reports is a symbolic link"},
		{"a dangling link", func(t *testing.T, ws, event string) {
			must(t, os.Symlink(filepath.Join(filepath.Dir(event), "new.json"), filepath.Join(ws, "vastguard.sarif")))
		}, "vastguard.sarif", "input sarif-file: vastguard.sarif is a symbolic link"},
		{"a directory where the file should be", func(t *testing.T, ws, _ string) {
			must(t, os.MkdirAll(filepath.Join(ws, "vastguard.sarif", "x"), 0o755))
		}, "vastguard.sarif", "input sarif-file: vastguard.sarif is a directory; name a file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x, event := linkedWorkspace(t)
			ws := x.job.Env["GITHUB_WORKSPACE"]
			eventBefore := fileText(t, event)
			configBefore := fileText(t, filepath.Join(ws, ".git", "config"))
			tt.layout(t, ws, event)
			s := x.step("scan", map[string]string{"command": "scan", "api-key": "", "sarif-file": tt.sarif})
			if got := fileText(t, event); got != eventBefore {
				t.Errorf("the event payload was overwritten:\n%.200s", got)
			}
			if got := fileText(t, filepath.Join(ws, ".git", "config")); got != configBefore {
				t.Errorf(".git/config was overwritten")
			}
			// The findings are reported all the same, then the failure.
			if s.Code != exitFindings {
				t.Errorf("exit %d, want %d (findings)\n%s", s.Code, exitFindings, s.Stdout)
			}
			if !strings.Contains(s.Stdout, "file=deploy/.env,line=1") || !strings.Contains(s.Summary, "1 Vast.ai API key") {
				t.Errorf("the finding was not reported:\n%s\n%s", s.Stdout, s.Summary)
			}
			if !strings.Contains(s.Stdout, "::error title=vastguard::"+tt.want) {
				t.Errorf("no error annotation %q:\n%s", tt.want, s.Stdout)
			}
			if s.Outputs["findings"] != "1" || s.Outputs["sarif-file"] != "" {
				t.Errorf("outputs = %v (no SARIF file was written)", s.Outputs)
			}
		})
	}
}

// TestActionSARIFReplacesAHardLink: a name that is a hard link to a file
// elsewhere gets a new file; the other name keeps its content.
func TestActionSARIFReplacesAHardLink(t *testing.T) {
	t.Parallel()
	x, _ := linkedWorkspace(t)
	ws := x.job.Env["GITHUB_WORKSPACE"]
	outside := filepath.Join(x.job.Dir, "home", "precious")
	must(t, os.WriteFile(outside, []byte("precious\n"), 0o644))
	if err := os.Link(outside, filepath.Join(ws, "vastguard.sarif")); err != nil {
		t.Skipf("no hard links: %v", err)
	}
	s := x.step("scan", map[string]string{"command": "scan", "api-key": "", "sarif-file": "vastguard.sarif"})
	if s.Code != exitFindings {
		t.Fatalf("exit %d\n%s", s.Code, s.Stdout)
	}
	if got := fileText(t, outside); got != "precious\n" {
		t.Errorf("written through the hard link: %.100q", got)
	}
	if got := fileText(t, filepath.Join(ws, "vastguard.sarif")); !strings.Contains(got, `"version": "2.1.0"`) {
		t.Errorf("vastguard.sarif = %.100q", got)
	}
}

func TestCLIOutputsNeverFollowLinks(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	repo := leakRepo(t, scantest.Key(4))
	outside := filepath.Join(t.TempDir(), "victim")
	must(t, os.WriteFile(outside, []byte("victim\n"), 0o644))
	must(t, os.Symlink(outside, filepath.Join(repo, "out.sarif")))
	must(t, os.Symlink(filepath.Dir(outside), filepath.Join(repo, "reports")))
	must(t, os.Mkdir(filepath.Join(repo, "adir"), 0o755))
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"scan", repo, "--format", "sarif", "--output", filepath.Join(repo, "out.sarif")}, "--output " + filepath.Join(repo, "out.sarif") + " is a symbolic link"},
		{[]string{"scan", repo, "--format", "json", "--output", filepath.Join(repo, "reports", "victim")}, "--output " + filepath.Join(repo, "reports") + " is a symbolic link"},
		{[]string{"scan", repo, "--output", filepath.Join(repo, "adir")}, "--output " + filepath.Join(repo, "adir") + " is a directory; name a file"},
		{[]string{"keys", "create", "--name", "x", "--permissions", "read-only", "--output", filepath.Join(repo, "out.sarif")}, "--output " + filepath.Join(repo, "out.sarif") + " is a symbolic link"},
		{[]string{"keys", "reset", "--yes", "--output", filepath.Join(repo, "reports", "k")}, "--output " + filepath.Join(repo, "reports") + " is a symbolic link"},
	}
	for _, tt := range tests {
		res := runCLI(t, vars, tt.args...)
		if res.code != 1 || !strings.HasPrefix(res.stderr, "vastguard: "+tt.want) || strings.Count(res.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q\nwant exit 1 and one line starting %q", tt.args[:2], res.code, res.stderr, tt.want)
		}
		if got := fileText(t, outside); got != "victim\n" {
			t.Fatalf("%v wrote through a link: %.100q", tt.args[:2], got)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d API calls: a refused --output must fail before any key is made or reset", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestActionInputsNeverFollowLinks: the repository and the baseline named
// by the inputs are reached without links too: a pull request cannot point
// the scan at another repository on the runner, or the baseline at a file
// outside the workspace (or at a FIFO, which would block the step).
func TestActionInputsNeverFollowLinks(t *testing.T) {
	t.Parallel()
	x, _ := linkedWorkspace(t)
	ws := x.job.Env["GITHUB_WORKSPACE"]
	elsewhere := leakRepo(t, scantest.Key(9))
	must(t, os.Symlink(elsewhere, filepath.Join(ws, "sub")))
	must(t, os.WriteFile(filepath.Join(x.job.Dir, "home", "accepted.txt"), []byte("# nothing\n"), 0o644))
	must(t, os.Symlink("../home/accepted.txt", filepath.Join(ws, "baseline.txt")))
	must(t, syscall.Mkfifo(filepath.Join(ws, "fifo.txt"), 0o644))
	for _, tt := range []struct{ with, want string }{
		{"path=sub", "input path: sub is a symbolic link, which vastguard does not follow"},
		{"baseline=baseline.txt", "input baseline: baseline.txt is a symbolic link, which vastguard does not follow"},
		{"baseline=fifo.txt", "input baseline: fifo.txt is not a regular file"},
	} {
		name, value, _ := strings.Cut(tt.with, "=")
		s := x.step("scan", map[string]string{"command": "scan", "api-key": "", name: value})
		if s.Code != 1 || !strings.HasPrefix(s.Stdout, "::error title=vastguard::"+tt.want) || strings.Count(s.Stdout, "\n") != 1 {
			t.Errorf("%s: exit %d\n%s", tt.with, s.Code, s.Stdout)
		}
	}
}
