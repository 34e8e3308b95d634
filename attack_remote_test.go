package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vastguard/vastguard/ghapi/ghtest"
	"github.com/vastguard/vastguard/internal/respond"
	"github.com/vastguard/vastguard/scan/scantest"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// The outside team's attacks through the network (issue 15): a GitHub API
// or log storage that never answers, answers forever, answers gigabytes
// or redirects somewhere it should not, and a Vast API that never
// answers while many keys wait to be checked. The program ends in bounded
// time with one line, memory bounded, never sending logs in clear.

func logsRepo(t *testing.T, run ghtest.Run, faults ...ghtest.Fault) (*ghtest.Server, map[string]string) {
	t.Helper()
	srv := ghtest.NewServer(t)
	if run.Logs == nil {
		run.Logs = ghtest.LogArchive(time.Date(2026, 9, 7, 9, 0, 0, 0, time.UTC), false, ghtest.LogJob{Name: "build", Steps: []ghtest.LogStep{{Name: "Run", Lines: []string{"VAST_API_KEY=" + scantest.Key(61)}}}})
	}
	run.Name, run.Event, run.Actor = "ci", "push", "octocat"
	srv.AddRun("acme", "gpu", run)
	for _, f := range faults {
		srv.Inject(f)
	}
	return srv, map[string]string{"HOME": t.TempDir(), "GITHUB_TOKEN": srv.Token, "GITHUB_API_URL": srv.URL}
}

// TestAttackGitHubAnswers: --github-actions-logs against a GitHub that
// misbehaves.
func TestAttackGitHubAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		run    ghtest.Run
		faults []ghtest.Fault
		want   []string
	}{
		{"the run list never answers", ghtest.Run{}, []ghtest.Fault{{Route: ghtest.RouteListRuns, Hang: true, Times: -1}}, []string{"list the workflow runs", "no answer"}},
		{"the run list answers forever", ghtest.Run{}, []ghtest.Fault{{Route: ghtest.RouteListRuns, Trickle: true, Times: -1}}, []string{"list the workflow runs", "no answer"}},
		{"the run list is 3 GiB", ghtest.Run{}, []ghtest.Fault{{Route: ghtest.RouteListRuns, Huge: 3 << 30, Times: -1}}, []string{"list the workflow runs", "larger than"}},
		{"the logs endpoint never answers", ghtest.Run{}, []ghtest.Fault{{Route: ghtest.RouteRunLogs, Hang: true, Times: -1}}, []string{"download the logs", "no answer"}},
		{"the log storage stalls", ghtest.Run{Stall: true}, nil, []string{"download the logs", "no answer"}},
		{"the logs redirect to http:// elsewhere", ghtest.Run{Location: "http://192.0.2.10/logs.zip"}, nil, []string{"download the logs", "http://192.0.2.10", "https"}},
		{"the logs redirect to file://", ghtest.Run{Location: "file:///etc/passwd"}, nil, []string{"download the logs", "Location"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, vars := logsRepo(t, tt.run, tt.faults...)
			res := runCLIWithin(t, 3*time.Minute, vars, nil, "scan", "--github-actions-logs", "acme/gpu")
			oneLine(t, res, tt.want...)
		})
	}
}

// TestAttackLogArchiveBomb: a run's log archive that inflates to far more
// than any log: many entries of gigabytes of zeros. The decompression
// budget is the scan's, not each run's: many such runs cost one budget.
func TestAttackLogArchiveBomb(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("inflates the budget")
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	zero := make([]byte, 1<<20)
	for i := range 3 {
		w, _ := zw.Create(fmt.Sprintf("%d_job.txt", i))
		for range 1024 { // 1 GiB each, about 1 MiB deflated
			w.Write(zero)
		}
	}
	zw.Close()
	srv := ghtest.NewServer(t)
	for range 4 {
		srv.AddRun("acme", "gpu", ghtest.Run{Name: "ci", Event: "push", Actor: "octocat", Logs: b.Bytes()})
	}
	vars := map[string]string{"HOME": t.TempDir(), "GITHUB_TOKEN": srv.Token, "GITHUB_API_URL": srv.URL}
	res := runCLIWithin(t, 5*time.Minute, vars, nil, "scan", "--github-actions-logs", "acme/gpu", "--format", "json")
	if res.code != 0 || strings.Count(res.stdout, "was spent here") != 1 || !strings.Contains(res.stdout, "not downloaded, nor the") {
		t.Errorf("exit %d; want one budget spent for the whole scan\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// TestAttackSARIFUploadHangs: the Action's SARIF upload to a GitHub that
// never answers ends in bounded time; the findings are still reported.
func TestAttackSARIFUploadHangs(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	gh := withGitHub(t, x)
	gh.Inject(ghtest.Fault{Route: ghtest.RouteUploadSARIF, Hang: true, Times: -1})
	prWithKey(x, nil)
	s := stepWithin(t, x, 3*time.Minute, "scan", map[string]string{"command": "scan", "api-key": "", "upload-sarif": "true", "github-token": gh.AddActionsToken()})
	if s.Code != 2 || !strings.Contains(s.Stdout, "upload-sarif") || !strings.Contains(s.Stdout, "no answer") {
		t.Errorf("exit %d\n%s", s.Code, s.Stdout)
	}
}

// TestAttackVerifyManyKeys: a pull request that adds thousands of distinct
// key-shaped values, scanned with verify: true, would have the job ask the
// Vast API about each one (five a second: hours). At most respond.MaxVerified
// of keys are checked; the rest are reported unknown, saying why.
func TestAttackVerifyManyKeys(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t)
	r := scantest.New(t)
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "VAST_API_KEY_%d=%s\n", i, scantest.Key(1000+i))
	}
	r.Commit("many", scantest.Files{"keys.env": b.String()})
	r.CheckoutWorktree()
	start := time.Now()
	res := runCLIWithin(t, 5*time.Minute, map[string]string{"HOME": t.TempDir(), "VAST_URL": srv.URL}, nil, "scan", r.Dir, "--verify", "--format", "json")
	if res.code != 2 || !strings.Contains(res.stdout, "not checked") {
		t.Errorf("exit %d after %s\n%.2000s%s", res.code, time.Since(start), res.stdout, res.stderr)
	}
	if n := len(srv.Requests()); n > respond.MaxVerified {
		t.Errorf("%d verification requests for one scan", n)
	}
}

// TestAttackVerifyHungAPI: a Vast API that accepts connections and never
// answers: each check gives up ("no answer in time"), and the scan ends.
func TestAttackVerifyHungAPI(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t)
	srv.Inject(vasttest.Fault{Route: "user", Delay: time.Hour, Times: -1})
	repo := leakRepo(t, scantest.Key(62), scantest.Key(63))
	res := runCLIWithin(t, 3*time.Minute, map[string]string{"HOME": t.TempDir(), "VAST_URL": srv.URL}, nil, "scan", repo, "--verify")
	if res.code != 2 || !strings.Contains(res.stdout, "no answer in time") {
		t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}
