package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vastguard/vastguard/internal/ghactions/runnertest"
	"github.com/vastguard/vastguard/scan/scantest"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// leakAudit collects every key a test run handles and every byte the
// program wrote, and fails if a key appears anywhere it may not. The only
// places a key may appear are the product's explicit outputs: the single
// ::add-mask:: line and the api-key output (and VAST_API_KEY in GITHUB_ENV)
// of a mint, the value `keys create`/`keys reset` print once, and a 0600
// file the user named.
type leakAudit struct {
	t       *testing.T
	srv     *vasttest.Server
	extra   []string // keys not on the fake: committed test keys
	allowed map[string]string
}

// secrets is every key the fake has ever held, plus the extra ones.
func (a *leakAudit) secrets() []string {
	var out []string
	for _, k := range a.srv.Keys() {
		out = append(out, k.Value)
	}
	return append(out, a.extra...)
}

// check fails if any key appears in text, which `where` names.
func (a *leakAudit) check(where, text string) {
	a.t.Helper()
	for _, k := range a.secrets() {
		if strings.Contains(text, k) {
			a.t.Errorf("%s: contains key ...%s", where, k[len(k)-4:])
		}
	}
}

func TestLeakAudit(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	a := &leakAudit{t: t, srv: srv}
	uid := srv.Keys()[0].UserID
	_, liveLeak := srv.AddKey(uid, "leaked", `{"api":{"user_read":{},"user_write":{},"instance_read":{}}}`)
	a.extra = append(a.extra, scantest.Key(1), scantest.Key(2))
	r := scantest.New(t)
	r.Commit("leaks", scantest.Files{
		"a.env":   "VAST_API_KEY=" + liveLeak + "\n",
		"b.py":    "VastAI(api_key='" + scantest.Key(1) + "')\n",
		"c.ipynb": `{"source": ["!vastai set api-key ` + scantest.Key(2) + `"]}`,
	})
	r.CheckoutWorktree()
	dir := t.TempDir()
	run := func(name string, stdin string, args ...string) result {
		t.Helper()
		res := runCLIStdin(t, vars, stdin, args...)
		a.check(name+" stdout", res.stdout)
		a.check(name+" stderr", res.stderr)
		return res
	}

	// Every scan format, to stdout and to files.
	for _, f := range []string{"text", "json", "sarif"} {
		run("scan "+f, "", "scan", r.Dir, "--format", f)
		out := filepath.Join(dir, "report."+f)
		run("scan "+f+" --output", "", "scan", r.Dir, "--format", f, "--output", out)
		b, _ := os.ReadFile(out)
		a.check(out, string(b))
	}
	run("scan --verify", "", "scan", r.Dir, "--verify", "--format", "json")
	run("scan --staged", "", "scan", "--staged", r.Dir)

	// Keys: list, create (prints the new key once: allowed, and only that),
	// delete, and errors whose bodies echo keys back.
	run("keys list", "", "keys", "list")
	run("keys list --json", "", "keys", "list", "--json")
	created := runCLI(t, vars, "keys", "create", "--name", "audit", "--permissions", "read-only")
	newKey := strings.TrimSpace(created.stdout)
	a.check("keys create stderr", created.stderr)
	if len(newKey) != 64 || strings.Count(created.all(), newKey) != 1 {
		t.Errorf("keys create: the new key must be on stdout exactly once")
	}
	run("keys create --output", "", "keys", "create", "--name", "audit2", "--permissions", "read-only", "--output", filepath.Join(dir, "k"))
	for _, st := range []int{400, 401, 403, 404, 429, 500, 502} {
		srv.ClearFaults()
		srv.Inject(vasttest.Fault{Status: st, Body: `{"msg": "echo ` + vars["VAST_API_KEY"] + ` ` + liveLeak + `"}`, Times: -1})
		run("keys list with an echoing error", "", "keys", "list")
		run("keys create with an echoing error", "", "keys", "create", "--name", "x", "--permissions", "read-only")
		run("keys delete with an echoing error", "", "keys", "delete", "5")
		run("scan --verify with an echoing error", "", "scan", r.Dir, "--verify")
		run("revoke with an echoing error", liveLeak+"\n", "revoke")
	}
	srv.ClearFaults()

	// Sweep and audit, and bad input with keys in the environment.
	run("sweep", "", "sweep", "--dry-run")
	run("audit", "", "audit")
	run("audit --json", "", "audit", "--json")
	run("bad flag", "", "keys", "create", "--name", "x", "--permissions", `{"api": {"`+liveLeak+`": {}}}`)
	run("bad url", "", "keys", "list", "--api-url", "ftp://"+liveLeak)

	// Incident response: revoke, then replace into a 0600 file (the file
	// holds the replacement: allowed, and only there).
	run("revoke --dry-run", liveLeak+"\n", "revoke", "--dry-run")
	out := filepath.Join(dir, "replacement.key")
	run("revoke --replace", liveLeak+"\n", "revoke", "--replace", "--output", out, "--replacement-permissions", "read-only")

	// The demo.
	runDemoChecked(t)
}

// TestLeakAuditAction runs the Action's every command as the runner would
// and checks every file and stream with the e2e harness's rules.
func TestLeakAuditAction(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	gh := withGitHub(t, x)
	uid := x.srv.Keys()[0].UserID
	_, leaked := x.srv.AddKey(uid, "leaked", `{"api":{"user_read":{},"user_write":{}}}`)
	_, leaked2 := x.srv.AddKey(uid, "leaked2", `{"api":{"user_read":{},"misc":{}}}`)
	r := workspaceRepo(x)
	// Committed, not checked out: the harness also checks that no key is
	// written into the workspace.
	r.Commit("leak", scantest.Files{"x.env": "VAST_API_KEY=" + leaked + "\n"})
	steps := []*runnertest.Step{
		x.step("mint", nil),
		x.step("mint2", map[string]string{"export-env": "false", "permissions": "instance-management"}),
		x.step("sweep", map[string]string{"command": "sweep"}),
		x.step("audit", map[string]string{"command": "audit"}),
		x.step("scan", map[string]string{"command": "scan", "sarif-file": "out.sarif", "on-leak": "revoke", "upload-sarif": "true", "github-token": gh.Token}),
		x.step("repos", map[string]string{"command": "repos", "org": "acme", "github-token": gh.Token}),
		x.step("bad", map[string]string{"permissions": `{"api": {"` + leaked + `": {}}}`}),
	}
	r.Commit("another", scantest.Files{"y.env": "VAST_API_KEY=" + leaked2 + "\n"})
	reset := x.step("reset", map[string]string{"command": "scan", "on-leak": "reset", "rotate-secret": "VAST_API_KEY", "github-token": gh.Token, "range": "HEAD~1..HEAD"})
	steps = append(steps, x.posts()...)
	x.assertNoLeak(steps...)
	for _, s := range append(steps, reset) {
		text := s.Stdout + s.Stderr
		for _, f := range s.Files {
			text += string(f)
		}
		for _, k := range []string{leaked, leaked2, gh.Token} {
			if strings.Contains(text, k) {
				t.Errorf("step %s shows a leaked key or the GitHub token", s.ID)
			}
		}
	}
	// The reset's replacement appears once, as the step's first line, a
	// mask, and is in the secret.
	sec, ok := gh.Secret("acme", "gpu-tests", "VAST_API_KEY")
	if !ok || !strings.HasPrefix(reset.Stdout, "::add-mask::"+sec.Value+"\n") || strings.Count(reset.Stdout+reset.Stderr+string(reset.Files["GITHUB_STEP_SUMMARY"])+string(reset.Files["GITHUB_OUTPUT"])+string(reset.Files["GITHUB_ENV"])+string(reset.Files["GITHUB_STATE"]), sec.Value) != 1 {
		t.Errorf("reset: the replacement is not exactly one mask line (stored %v)", ok)
	}
	for _, u := range gh.Uploads() {
		if strings.Contains(string(u.SARIF), leaked) {
			t.Error("the uploaded SARIF holds the key")
		}
	}
	b, _ := os.ReadFile(filepath.Join(x.job.Env["GITHUB_WORKSPACE"], "out.sarif"))
	if len(b) == 0 || strings.Contains(string(b), leaked) {
		t.Errorf("SARIF missing or leaking")
	}
}
