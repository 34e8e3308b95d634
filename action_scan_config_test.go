package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vastguard/vastguard/internal/golden"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

// TestActionScanConfigFromBase: a pull request that adds a key and, in
// the same commits, excludes its path, turns its rule off, lists it as an
// example and adds it to the baseline is still reported: the Action reads
// the tracked configuration and baseline from the base commit. On a push
// the same files are honoured.
func TestActionScanConfigFromBase(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	r := workspaceRepo(x)
	r.Commit("config", scantest.Files{
		".vastguard.yaml":     "baseline: .vastguard-baseline\nexclude-paths: [testdata/**]\n",
		".vastguard-baseline": "# accepted\n",
		"README.md":           "gpu jobs\n",
	})
	base := r.Head()
	r.Branch("pr")
	h := scan.KeyHash(scantest.Key(2))
	r.Commit("add a key, and hide it", scantest.Files{
		"src/deploy.env":      "VAST_API_KEY=" + scantest.Key(2) + "\n",
		".vastguard.yaml":     "baseline: .vastguard-baseline\nexclude-paths: [testdata/**, src/**]\ndisable-rules: [vast-env-assignment]\nexamples: [" + h + "]\n",
		".vastguard-baseline": h + "\n",
	})
	head := r.Head()
	r.CheckoutWorktree()
	event := fmt.Sprintf(`{"number": 9, "pull_request": {"number": 9, "base": {"sha": %q}, "head": {"sha": %q}}}`, base, head)
	os.WriteFile(x.job.Env["GITHUB_EVENT_PATH"], []byte(event), 0o644)
	x.job.Env["GITHUB_EVENT_NAME"] = "pull_request"
	s := x.step("scan", map[string]string{"command": "scan", "api-key": ""})
	if s.Code != 2 || s.Outputs["findings"] != "1" || !strings.Contains(s.Stdout, "file=src/deploy.env,line=1") {
		t.Fatalf("the pull request hid its key: exit %d, outputs %v\n%s", s.Code, s.Outputs, s.Stdout)
	}
	for _, want := range []string{
		".vastguard.yaml was read from the base branch (" + base.String()[:10] + "): a pull request cannot change what it is scanned with",
		"this pull request changes .vastguard.yaml; the change applies once it is merged",
		"this pull request changes .vastguard-baseline",
	} {
		if !strings.Contains(s.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, s.Summary)
		}
	}
	// The same commits pushed: the work tree's files are the repository's.
	x.job.Env["GITHUB_EVENT_NAME"] = "push"
	s = x.step("scan-push", map[string]string{"command": "scan", "api-key": ""})
	if s.Code != 0 {
		t.Errorf("push: exit %d\n%s", s.Code, s.Stdout)
	}
	// A configuration the repository does not track (made by an earlier
	// step) is read from the workspace even on a pull request.
	x.job.Env["GITHUB_EVENT_NAME"] = "pull_request"
	ws := x.job.Env["GITHUB_WORKSPACE"]
	os.WriteFile(filepath.Join(ws, "..", "ci-config.yaml"), []byte("exclude-paths: [src/**]\n"), 0o644)
	os.MkdirAll(filepath.Join(ws, ".ci"), 0o755)
	os.WriteFile(filepath.Join(ws, ".ci", "vastguard.yaml"), []byte("exclude-paths: [src/**]\n"), 0o644)
	s = x.step("scan-untracked", map[string]string{"command": "scan", "api-key": "", "config": ".ci/vastguard.yaml"})
	if s.Code != 0 {
		t.Errorf("untracked config: exit %d\n%s", s.Code, s.Stdout)
	}
	// A broken configuration fails the step with one line.
	os.WriteFile(filepath.Join(ws, ".ci", "vastguard.yaml"), []byte("exclude-paths: [\"[x\"]\n"), 0o644)
	s = x.step("scan-bad", map[string]string{"command": "scan", "api-key": "", "config": ".ci/vastguard.yaml"})
	if s.Code != 1 || !strings.Contains(s.Stdout, `::error title=vastguard::input config: .ci/vastguard.yaml:1: exclude-paths[0]: "[x" is not a valid glob`) {
		t.Errorf("bad config: exit %d\n%s", s.Code, s.Stdout)
	}
	assertNoScanLeak(t, s)
}

// TestActionScanSummaryGolden: the job summary of a scan with findings of
// every kind, linked to commit, file and line on the server the run came
// from (an Enterprise Server here).
func TestActionScanSummaryGolden(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	r := workspaceRepo(x)
	r.Commit("config", scantest.Files{"README.md": "gpu jobs on vast.ai\n", "ops/(prod) env.env": "VAST_API_KEY=" + scantest.Key(1) + "\n"})
	r.Commit("rotate\n\nold: VAST_API_KEY="+scantest.Key(2)+"\n", scantest.Files{"src/app.py": "vast = VastAI(api_key=\"" + scantest.Key(3) + "\")\n"})
	r.Tag("v1.0.0", r.Head(), "release\n\nvastai set api-key "+scantest.Key(4)+"\n")
	r.Stash("wip", scantest.Files{"wip.sh": "vastai --api-key " + scantest.Key(5) + " show instances\n"})
	r.CheckoutWorktree()
	x.job.Env["GITHUB_SERVER_URL"] = "https://ghe.example.com"
	x.job.Env["GITHUB_REPOSITORY"] = "acme/gpu"
	x.job.Env["GITHUB_SHA"] = r.Head().String()
	s := x.step("scan", map[string]string{"command": "scan", "api-key": "", "sarif-file": "vastguard.sarif"})
	if s.Code != 2 {
		t.Fatalf("exit %d\n%s", s.Code, s.Stdout)
	}
	sum := regexp.MustCompile(`(\d+) blobs`).ReplaceAllString(s.Summary, "N blobs")
	golden.File(t, filepath.Join("testdata", "golden", "scan-summary.md"), []byte(sum+"\n"))
	for _, want := range []string{
		"[ops/(prod) env.env:1](https://ghe.example.com/acme/gpu/blob/",
		"/ops/%28prod%29%20env.env#L1)",
		"(https://ghe.example.com/acme/gpu/commit/",
		"[(tag v1.0.0 message):3](https://ghe.example.com/acme/gpu/releases/tag/v1.0.0)",
		"wip.sh:1 (not on the server: refs/stash)",
		"`sha256:" + scan.KeyHash(scantest.Key(3)) + "`",
	} {
		if !strings.Contains(s.Summary, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	b, err := os.ReadFile(filepath.Join(x.job.Env["GITHUB_WORKSPACE"], "vastguard.sarif"))
	if err != nil || !strings.Contains(string(b), `"repositoryUri": "https://ghe.example.com/acme/gpu"`) || !strings.Contains(string(b), `"revisionId": "`+r.Head().String()+`"`) {
		t.Errorf("SARIF provenance: %v", err)
	}
	assertNoScanLeak(t, s)
}
