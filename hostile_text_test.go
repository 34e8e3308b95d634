package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/scan/scantest"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// Text from outside (issue 12): every string an API answer, a repository
// or an event payload supplies reaches a log line, an annotation, a table,
// a job summary or a terminal only through the sanitiser. Each test feeds
// hostile strings through the sinks of one command and checks what came
// out with harmless.

// hostile is text that tries everything at once: terminal escapes (CSI,
// OSC title and hyperlink, 8-bit CSI), a bidi override, HTML, Markdown
// table breakers, and line breaks into workflow commands of both syntaxes.
func hostile(tag string) string {
	return "x\x1b[2J\x1b]0;owned\x07\x1b]8;;https://evil.test\x1b\\" + tag + "\u009b31m\u202e<img src=x onerror=alert(1)>|`*_[" +
		"\n::error title=PWNED::pwned\r\n::add-mask::pwned ##[error]pwned\n\t::set-env name=X::pwned"
}

// pieces is a key cut as an error body might quote it: a 16-hex chunk,
// dashed groups, and groups split by quotes.
func pieces(k string) string {
	return fmt.Sprintf("chunk %s, dashed %s-%s-%s-%s, quoted '%s' '%s'", k[:16], k[16:24], k[24:28], k[28:32], k[32:40], k[40:52], k[52:])
}

// errorBody is a Vast error envelope whose message is hostile and quotes
// the keys in pieces.
func errorBody(keys ...string) string {
	msg := hostile("error")
	for _, k := range keys {
		msg += " " + pieces(k)
	}
	b, _ := json.Marshal(map[string]any{"success": false, "error": "bad_request", "msg": msg})
	return string(b)
}

// harmless fails unless out (one stream or file the program wrote) is
// free of what hostile and pieces carry: no control character but line
// breaks and tabs, no bidi control, no line the runner would read as a
// command injected from outside, no HTML from outside (in a summary), and
// no part of a key that is 16 hex characters or more.
func harmless(t *testing.T, where, out string, keys ...string) {
	t.Helper()
	harmlessText(t, where, out, false, keys...)
}

// harmlessSummary is harmless for a job summary, which renders HTML.
func harmlessSummary(t *testing.T, where, out string, keys ...string) {
	t.Helper()
	harmlessText(t, where, out, true, keys...)
}

func harmlessText(t *testing.T, where, out string, html bool, keys ...string) {
	t.Helper()
	for _, r := range out {
		if (unicode.IsControl(r) && r != '\n' && r != '\t') || r == '\u202e' {
			t.Errorf("%s holds the control character %U:\n%q", where, r, out)
			break
		}
	}
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimLeftFunc(l, unicode.IsSpace)
		if strings.HasPrefix(l, "::error title=PWNED") || strings.HasPrefix(l, "::add-mask::pwned") || strings.HasPrefix(l, "::set-env") {
			t.Errorf("%s: a workflow command from outside: %q", where, l)
		}
		if strings.Contains(l, "##[") {
			t.Errorf("%s: an old-syntax workflow command: %q", where, l)
		}
	}
	if html && strings.Contains(out, "<img") {
		t.Errorf("%s holds HTML from outside:\n%s", where, out)
	}
	for _, k := range keys {
		for _, p := range []string{k[:16], k[16:32], k[32:48], k[48:], k[40:52] + "' '" + k[52:]} {
			if strings.Contains(out, p) {
				t.Errorf("%s holds a piece of a key: %q", where, p)
			}
		}
	}
}

// hostilePerms is a permissions object whose category is hostile.
func hostilePerms(tag string) string {
	b, _ := json.Marshal(map[string]any{"api": map[string]any{hostile(tag): map[string]any{}, "user_read": map[string]any{}}})
	return string(b)
}

func TestHostileTextCLI(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	mgmt := vars["VAST_API_KEY"]
	uid := srv.Keys()[0].UserID
	_, other := srv.AddKey(uid, hostile("name"), hostilePerms("scope"))
	now := time.Now().UTC()
	expired := keyname.Name{Repository: "acme/gpu-tests", RunID: 1, Attempt: 1, Job: "j", Label: "s", Expires: now.Add(-time.Hour), Nonce: keyname.NewNonce()}.String()
	srv.AddKey(uid, expired, `{"api":{"user_read":{}}}`)
	newKey := vasttest.NewKeyValue()
	createEcho, _ := json.Marshal(map[string]any{"success": true, "id": 990, "key": newKey, "permissions": json.RawMessage(hostilePerms("echo"))})

	tests := []struct {
		name  string
		fault *vasttest.Fault
		stdin string
		args  []string
	}{
		{"keys list", nil, "", []string{"keys", "list"}},
		{"keys list --json", nil, "", []string{"keys", "list", "--json"}},
		{"audit", nil, "", []string{"audit"}},
		{"audit --json", nil, "", []string{"audit", "--json"}},
		{"keys create, a hostile echo", &vasttest.Fault{Route: "create", Status: 200, Body: string(createEcho)}, "", []string{"keys", "create", "--name", "n", "--permissions", "read-only", "--output", filepath.Join(t.TempDir(), "k")}},
		{"keys create, a hostile error", &vasttest.Fault{Route: "create", Status: 403, Body: errorBody(mgmt, other)}, "", []string{"keys", "create", "--name", "n", "--permissions", "read-only"}},
		{"keys delete, a hostile error", &vasttest.Fault{Route: "delete", Status: 400, Body: errorBody(mgmt, other), Times: -1}, "", []string{"keys", "delete", "12345"}},
		{"keys list, a hostile error", &vasttest.Fault{Route: "list", Status: 400, Body: errorBody(mgmt, other), Times: -1}, "", []string{"keys", "list"}},
		{"sweep, a hostile delete error", &vasttest.Fault{Route: "delete", Status: 400, Body: errorBody(mgmt, other), Times: -1}, "", []string{"sweep"}},
		{"revoke, a hostile verification", &vasttest.Fault{Route: "user", Status: 400, Body: errorBody(mgmt, other), Times: -1}, other + "\n", []string{"revoke"}},
	}
	for _, tt := range tests {
		// One at a time: the faults are the fake's.
		srv.ClearFaults()
		if tt.fault != nil {
			srv.Inject(*tt.fault)
		}
		res := runCLIStdin(t, vars, tt.stdin, tt.args...)
		harmless(t, tt.name+" stdout", res.stdout, mgmt, other)
		harmless(t, tt.name+" stderr", res.stderr, mgmt, other)
		for _, l := range strings.Split(res.all(), "\n") {
			if strings.HasPrefix(strings.TrimLeftFunc(l, unicode.IsSpace), "::") {
				t.Errorf("%s: a line a runner would read as a command: %q", tt.name, l)
			}
		}
		if strings.Contains(tt.name, "hostile error") && !strings.Contains(res.all(), "[redacted]") {
			t.Errorf("%s: nothing was redacted; output:\n%s", tt.name, res.all())
		}
		if tt.name == "keys list" && tt.fault == nil && !strings.Contains(res.stdout, "xname") {
			t.Errorf("%s: the hostile name is not shown at all:\n%s", tt.name, res.stdout)
		}
	}
}

// hostileRepo commits a key at a hostile path, by a hostile author, under
// a hostile tag.
func hostileRepo(t *testing.T, tb scantest.TB) *scantest.Repo {
	r := scantest.New(tb)
	author := object.Signature{Name: "Mallory \x1b]0;owned\x07\u009b2J ##[error]pwned <img src=x>", Email: "m@example.com", When: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	path := "deploy/x\x1b[2J\u202e\n::error title=PWNED::pwned\n.env"
	r.Commit("base", scantest.Files{"ok.txt": "fine\n"})
	r.Branch("side")
	c := r.CommitAs(author, "add config", scantest.Files{path: "VAST_API_KEY=" + scantest.Key(8) + "\n"})
	r.Checkout("main")
	r.DeleteBranch("side")
	// A ref name git itself would refuse, written as a hostile repository
	// can hold it: the finding is reachable only through it.
	ref := filepath.Join(r.Dir, ".git", "refs", "tags", "v1\x1b[31m\u202e::error title=PWNED::x ##[error]y")
	if err := os.WriteFile(ref, []byte(c.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHostileTextScan(t *testing.T) {
	t.Parallel()
	r := hostileRepo(t, t)
	for _, format := range []string{"text", "json", "sarif"} {
		res := runCLI(t, nil, "scan", r.Dir, "--format", format)
		if res.code != exitFindings {
			t.Fatalf("%s: exit %d\n%s%s", format, res.code, res.stdout, res.stderr)
		}
		harmless(t, "scan --format "+format, res.stdout+res.stderr)
		for _, l := range strings.Split(res.stdout, "\n") {
			if strings.HasPrefix(strings.TrimLeftFunc(l, unicode.IsSpace), "::") {
				t.Errorf("scan --format %s: a line a runner would read as a command: %q", format, l)
			}
		}
		if format == "json" {
			// The report still carries the real path, escaped.
			var rep struct {
				Findings []struct{ Path, Author string }
			}
			if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil || len(rep.Findings) != 1 || !strings.HasPrefix(rep.Findings[0].Path, "deploy/x\x1b[2J") {
				t.Errorf("JSON report: %v %+v", err, rep)
			}
		}
	}
}

func TestHostileTextAction(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	hostileRepo(t, workspaceTB{x.t, x.job.Env["GITHUB_WORKSPACE"]})
	uid := x.srv.Keys()[0].UserID
	_, other := x.srv.AddKey(uid, hostile("name"), hostilePerms("scope"))
	expired := keyname.Name{Repository: "acme/gpu-tests", RunID: 1, Attempt: 1, Job: "j", Label: "s", Expires: time.Now().Add(-time.Hour), Nonce: keyname.NewNonce()}.String()
	x.srv.AddKey(uid, expired, `{"api":{"user_read":{}}}`)
	newKey := vasttest.NewKeyValue()
	createEcho, _ := json.Marshal(map[string]any{"success": true, "id": 990, "key": newKey, "permissions": json.RawMessage(hostilePerms("echo"))})

	check := func(name, stdout, summary string) {
		t.Helper()
		harmless(t, name+" log", stdout, x.admin, other)
		harmlessSummary(t, name+" summary", summary, x.admin, other)
	}
	steps := []struct {
		name  string
		fault *vasttest.Fault
		with  map[string]string
	}{
		{"scan", nil, map[string]string{"command": "scan", "api-key": "", "sarif-file": "out.sarif"}},
		{"audit", nil, map[string]string{"command": "audit"}},
		{"sweep", &vasttest.Fault{Route: "delete", Status: 400, Body: errorBody(x.admin, other), Times: -1}, map[string]string{"command": "sweep"}},
		{"mint, a hostile echo", &vasttest.Fault{Route: "create", Status: 200, Body: string(createEcho)}, map[string]string{"command": "mint"}},
		{"mint, a hostile error", &vasttest.Fault{Route: "create", Status: 403, Body: errorBody(x.admin, other)}, map[string]string{"command": "mint"}},
	}
	for i, st := range steps {
		x.srv.ClearFaults()
		if st.fault != nil {
			x.srv.Inject(*st.fault)
		}
		s := x.step("s"+strconv.Itoa(i), st.with)
		check(st.name, s.Stdout+s.Stderr, s.Summary)
		for k, v := range s.Outputs {
			if k != "api-key" {
				harmless(t, st.name+" output "+k, v, x.admin, other)
			}
		}
		if st.name == "scan" {
			if s.Code != exitFindings || !strings.Contains(s.Stdout, "::error title=Vast.ai API key") {
				t.Errorf("scan: exit %d\n%s", s.Code, s.Stdout)
			}
			// The annotation names no file the runner cannot point at.
			if strings.Contains(s.Stdout, "file=deploy") {
				t.Errorf("an annotation points at a path with control characters:\n%s", s.Stdout)
			}
		}
	}
	x.srv.ClearFaults()
	for _, p := range x.posts() {
		check("post", p.Stdout+p.Stderr, p.Summary)
	}
	if b, err := os.ReadFile(filepath.Join(x.job.Env["GITHUB_WORKSPACE"], "out.sarif")); err != nil || !strings.Contains(string(b), `\u001b[2J`) {
		t.Errorf("the SARIF file does not carry the real path, escaped: %v", err)
	}
}
