package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/vast/vasttest"
)

func TestKeysCreateListDelete(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	r := runCLI(t, vars, "keys", "create", "--name", "ci-x", "--permissions", "read-only")
	if r.code != 0 {
		t.Fatalf("create: %d %s", r.code, r.stderr)
	}
	value := strings.TrimSpace(r.stdout)
	keys := srv.LiveKeys()
	if len(keys) != 2 || keys[1].Value != value || keys[1].Name != "ci-x" {
		t.Fatalf("stdout is not the new key's value")
	}
	assertNoSecret(t, "create stderr", r.stderr, value, vars["VAST_API_KEY"])
	if !strings.Contains(r.stderr, "only time") {
		t.Errorf("stderr = %q", r.stderr)
	}

	r = runCLI(t, vars, "keys", "list", "--json")
	var got []keyJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 {
		t.Fatalf("list --json: %v %s", err, r.stdout)
	}
	if len(got) != 2 || got[1].Name != "ci-x" || got[1].ID != keys[1].ID || got[0].FullAccess != true {
		t.Errorf("list --json = %+v", got)
	}
	assertNoSecret(t, "list", r.all(), value, vars["VAST_API_KEY"])

	r = runCLI(t, vars, "keys", "list")
	if !strings.Contains(r.stdout, "ci-x") || !strings.Contains(r.stdout, "FULL ACCESS") || !strings.HasPrefix(r.stdout, "ID") {
		t.Errorf("list table = %q", r.stdout)
	}

	id := strings.TrimSpace(strings.Fields(strings.Split(r.stdout, "\n")[2])[0])
	r = runCLI(t, vars, "keys", "delete", id, "--api-url", srv.URL) // flags after the argument
	if r.code != 0 || r.stdout != "deleted key "+id+"\n" {
		t.Errorf("delete = %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, vars, "keys", "delete", id)
	if r.code != 0 || !strings.Contains(r.stdout, "already gone") {
		t.Errorf("second delete = %d %q", r.code, r.stdout)
	}
	if len(srv.LiveKeys()) != 1 {
		t.Error("key not deleted")
	}
}

// TestKeysDeleteReadsTheAnswer: only the API's own 404 "API Key not
// found." is already gone; an auth failure, a web page or success=false
// leaves the key possibly live, and says so.
func TestKeysDeleteReadsTheAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   []vasttest.Option
		fault  *vasttest.Fault
		code   int
		want   string
		delete bool // the key is gone at the end
	}{
		{"the documented JSON string", nil, nil, 0, "deleted key ID\n", true},
		{"an empty 200", []vasttest.Option{vasttest.WithDeleteAnswer(vasttest.DeleteEmpty)}, nil, 0, "deleted key ID\n", true},
		{"404 API Key not found.", nil, &vasttest.Fault{Route: "delete", Status: 404, Body: `{"msg": "API Key not found."}`}, 0, "key ID is already gone (the API answered 404 API Key not found.)\n", false},
		{"404 auth_error", nil, &vasttest.Fault{Route: "delete", Status: 404, Body: vasttest.Dead404.Body}, 1, "vastguard: the Vast API rejected the key (404 Invalid user key): check VAST_API_KEY; key ID may still be live\n", false},
		{"404 web page", nil, &vasttest.Fault{Route: "delete", Status: 404, Body: "<html><title>Not Found</title></html>"}, 1, "has no such endpoint (404 (an HTML page titled", false},
		{"200 success=false", nil, &vasttest.Fault{Route: "delete", Status: 200, Body: `{"success": false, "msg": "not now"}`}, 1, "vastguard: delete key ID: the Vast API answered 200 success=false: not now, so nothing was done; key ID may still be live\n", false},
		{"301 to http", nil, &vasttest.Fault{Route: "delete", Status: 301, Header: http.Header{"Location": {"http://elsewhere.example/x/"}}}, 1, "answered 301 redirecting to http://elsewhere.example (plain http)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, vars := fakeAPI(t, tt.opts...)
			id, _ := srv.AddKey(srv.LiveKeys()[0].UserID, "ci", `{"api":{"user_read":{}}}`)
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			r := runCLI(t, vars, "keys", "delete", itoa(id))
			want := strings.ReplaceAll(tt.want, "ID", itoa(id))
			if r.code != tt.code || !strings.Contains(r.all(), want) {
				t.Errorf("= %d %q %q\nwant %d with %q", r.code, r.stdout, r.stderr, tt.code, want)
			}
			if k, _ := srv.Key(id); k.Deleted != tt.delete {
				t.Errorf("deleted = %v, want %v", k.Deleted, tt.delete)
			}
		})
	}
}

func TestKeysCreateOutputFile(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	path := filepath.Join(t.TempDir(), "ci.key")
	r := runCLI(t, vars, "keys", "create", "--name", "to-file", "--permissions", "autoscaler", "--output", path)
	if r.code != 0 {
		t.Fatalf("%d %s", r.code, r.stderr)
	}
	k := srv.LiveKeys()[1]
	if strings.TrimSpace(r.stdout) != itoa(k.ID) {
		t.Errorf("stdout = %q, want the id only", r.stdout)
	}
	assertNoSecret(t, "output", r.all(), k.Value)
	b, err := os.ReadFile(path)
	if err != nil || string(b) != k.Value {
		t.Fatalf("file holds %d bytes, want the key", len(b))
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

func TestKeysCreateUnwritableOutputMakesNoKey(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	r := runCLI(t, vars, "keys", "create", "--name", "x", "--permissions", "read-only", "--output", filepath.Join(t.TempDir(), "missing-dir", "k"))
	if r.code != 1 || !strings.Contains(r.stderr, "--output") {
		t.Errorf("= %d %q", r.code, r.stderr)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d API calls before the output path was checked", n)
	}
}

func TestKeysReset(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	old := vars["VAST_API_KEY"]
	oldID := srv.LiveKeys()[0].ID
	r := runCLI(t, vars, "keys", "reset", "--yes")
	if r.code != 0 {
		t.Fatalf("%d %s", r.code, r.stderr)
	}
	if nv := strings.TrimSpace(r.stdout); nv == old || nv != srv.LiveKeys()[0].Value {
		t.Error("stdout is not the new key")
	}
	for _, want := range []string{
		fmt.Sprintf("resetting the key from VAST_API_KEY (key %d of account ", oldID),
		fmt.Sprintf("reset: the old value from VAST_API_KEY no longer works (it was key %d of account ", oldID),
		fmt.Sprintf("the new value answers as key %d of account ", oldID),
		"store the new one now (it is shown once)",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	assertNoSecret(t, "stderr", r.stderr, old, strings.TrimSpace(r.stdout))
	r = runCLI(t, vars, "keys", "list")
	if r.code != 1 || !strings.Contains(r.stderr, "rejected the key (401 Invalid user key): check VAST_API_KEY") {
		t.Errorf("old key after reset = %d %q", r.code, r.stderr)
	}
}

// TestKeysResetAsksFirst: which key the API resets is unverified, so
// without --yes reset says what it would do, exits 1 and calls nothing.
func TestKeysResetAsksFirst(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	r := runCLI(t, vars, "keys", "reset")
	want := "vastguard: keys reset replaces the key from VAST_API_KEY with a new value and the old one stops working at once; the Vast API may instead reset the account's main key (unverified); run it again with --yes to go ahead\n"
	if r.code != 1 || r.stderr != want || r.stdout != "" {
		t.Errorf("= %d %q %q\nwant %q", r.code, r.stdout, r.stderr, want)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d API calls without --yes", n)
	}
}

// TestKeysResetOfAnotherKey: an API that resets another key (the
// account's main key) leaves the old value working: reset says so and
// fails, naming the key it could not replace.
func TestKeysResetOfAnotherKey(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	srv.Inject(vasttest.Fault{Route: "reset", Status: 200, Body: `{"success": true, "new_api_key": "` + vasttest.NewKeyValue() + `"}`})
	r := runCLI(t, vars, "keys", "reset", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "reset: the old value from VAST_API_KEY STILL works, so the API reset another key, probably the account's main key") ||
		!strings.Contains(r.stderr, "vastguard: keys reset: the key from VAST_API_KEY was not replaced") {
		t.Errorf("= %d\n%s", r.code, r.stderr)
	}
}

func TestKeySources(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	key := vars["VAST_API_KEY"]
	home := t.TempDir()
	cfg := filepath.Join(home, "cfg")
	if err := os.MkdirAll(filepath.Join(cfg, "vastai"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "vastai", "vast_api_key"), []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dead := vasttest.NewKeyValue()
	tests := []struct {
		name     string
		vars     map[string]string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"key file under XDG_CONFIG_HOME", map[string]string{"VAST_URL": srv.URL, "HOME": home, "XDG_CONFIG_HOME": cfg}, nil, 0, ""},
		{"flag wins over env", map[string]string{"VAST_URL": srv.URL, "VAST_API_KEY": dead}, []string{"--api-key", key}, 0, ""},
		{"env wins over file", map[string]string{"VAST_URL": srv.URL, "VAST_API_KEY": dead, "XDG_CONFIG_HOME": cfg}, nil, 1, "vastguard: the Vast API rejected the key (401 Invalid user key): check VAST_API_KEY\n"},
		{"dead key in the file", map[string]string{"VAST_URL": srv.URL, "HOME": t.TempDir()}, []string{"--api-key", dead}, 1, "vastguard: the Vast API rejected the key (401 Invalid user key): check --api-key\n"},
		{"no key anywhere", map[string]string{"VAST_URL": srv.URL, "HOME": t.TempDir()}, nil, 1, "vastguard: no Vast API key: set VAST_API_KEY"},
		{"bad URL", map[string]string{"VAST_URL": "ftp://x", "VAST_API_KEY": key}, nil, 1, "vastguard: VAST_URL: API URL \"ftp://x\" must start with https://"},
		{"unreachable API", map[string]string{"VAST_URL": "http://127.0.0.1:1", "VAST_API_KEY": key}, nil, 1, "vastguard: list keys: cannot reach the Vast API at http://127.0.0.1:1 (check VAST_URL and the network)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tt.vars, append([]string{"keys", "list"}, tt.args...)...)
			if r.code != tt.wantCode {
				t.Errorf("code = %d, want %d (stderr %q)", r.code, tt.wantCode, r.stderr)
			}
			if !strings.HasPrefix(r.stderr, tt.wantErr) {
				t.Errorf("stderr = %q\nwant prefix %q", r.stderr, tt.wantErr)
			}
			if strings.Count(r.stderr, "\n") > 1 {
				t.Errorf("error is not one line: %q", r.stderr)
			}
			assertNoSecret(t, "output", r.all(), key, dead)
		})
	}
}

func TestBadInputIsOneLineAndMakesNoCall(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "vastguard: no command given"},
		{[]string{"frobnicate"}, `vastguard: unknown command "frobnicate"`},
		{[]string{"keys"}, "vastguard: keys: missing subcommand"},
		{[]string{"keys", "rotate"}, `vastguard: keys: unknown subcommand "rotate"`},
		{[]string{"keys", "create", "--permissions", "read-only"}, "vastguard: keys create: --name is required"},
		{[]string{"keys", "create", "--name", "x"}, "vastguard: keys create: --permissions is required"},
		{[]string{"keys", "create", "--name", "x", "--permissions", "read-write"}, `vastguard: --permissions: unknown preset "read-write"`},
		{[]string{"keys", "create", "--name", "x", "--permissions", `{"api": {"misc": {"api.x": {"constraints": {"id": {"ne": 1}}}}}}`}, `vastguard: --permissions: api.misc."api.x".constraints.id.ne: unknown operator`},
		{[]string{"keys", "create", "--name", "x", "--permissions", "full"}, "vastguard: --permissions: this grants full access"},
		{[]string{"keys", "create", "--name", strings.Repeat("n", 256), "--permissions", "read-only"}, "vastguard: keys create: --name is required, 1 to 255 characters"},
		{[]string{"keys", "delete"}, "vastguard: keys delete takes one key id"},
		{[]string{"keys", "delete", "abc"}, `vastguard: keys delete: "abc" is not a key id`},
		{[]string{"keys", "list", "--bogus"}, "vastguard: keys list: unknown flag: --bogus (see vastguard keys list --help)"},
		{[]string{"keys", "list", "-json"}, "vastguard: keys list: -json: a long flag takes two dashes: --json"},
		{[]string{"keys", "lst"}, `vastguard: keys: unknown subcommand "lst": did you mean list?`},
		{[]string{"sacn"}, `vastguard: unknown command "sacn": did you mean scan?`},
		{[]string{"keys", "list", "extra"}, `vastguard: keys list takes no arguments`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, vars, tt.args...)
			if r.code != 1 {
				t.Errorf("code = %d, want 1", r.code)
			}
			if !strings.HasPrefix(r.stderr, tt.want) {
				t.Errorf("stderr = %q\nwant prefix %q", r.stderr, tt.want)
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("bad input made %d API calls", n)
	}
}

func TestAPIFailuresAreExplained(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault vasttest.Fault
		want  string
	}{
		{"rate limited throughout", vasttest.Fault{Route: "list", Status: 429, Times: -1}, "vastguard: list keys: the Vast API kept rate limiting this key (429 API requests too frequent endpoint threshold=1.0) through every retry"},
		{"outage page", vasttest.Fault{Route: "list", Status: 503, Body: "<html><title>Maintenance</title></html>", Times: -1}, `vastguard: list keys: the Vast API failed (503 (an HTML page titled "Maintenance"`},
		{"forbidden", vasttest.Fault{Route: "list", Status: 403, Times: -1}, "vastguard: list keys: the Vast API refused (403 Forbidden): the key in VAST_API_KEY needs user_read"},
		{"garbage", vasttest.Fault{Route: "list", Status: 200, Body: "hello", Times: -1}, "vastguard: list keys: list keys: GET /api/v0/auth/apikeys/: the API answered 2xx with a body that is not JSON: is http://"},
		{"dropped", vasttest.Fault{Route: "list", Drop: true, Times: -1}, "vastguard: list keys: cannot reach the Vast API"},
		{"a dead key answered 404 auth_error", vasttest.Fault{Route: "list", Status: 404, Body: vasttest.Dead404.Body, Times: -1}, "vastguard: the Vast API rejected the key (404 Invalid user key): check VAST_API_KEY"},
		{"a redirect to plain http", vasttest.RedirectTo("list", 301, "http://elsewhere.example/api/v0/auth/apikeys/"), "vastguard: list keys: http://127.0.0.1"},
		{"success=false", vasttest.SuccessFalse("list", false, "server_error", "try later"), "vastguard: list keys: the Vast API answered 200 success=false: try later, so nothing was done"},
		{"no such endpoint", vasttest.Fault{Route: "list", Status: 404, Body: "<html><title>Not Found</title></html>", Times: -1}, "vastguard: list keys: http://127.0.0.1"},
		{"a Retry-After past the budget", vasttest.RateLimited("list", "3600", -1), "vastguard: list keys: the Vast API is rate limiting this key and asked to wait 1h0m0s, longer than the retry budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, vars := fakeAPI(t)
			srv.Inject(tt.fault)
			r := runCLI(t, vars, "keys", "list")
			if r.code != 1 || !strings.HasPrefix(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("= %d %q\nwant prefix %q", r.code, r.stderr, tt.want)
			}
			switch tt.name {
			case "a redirect to plain http":
				if !strings.Contains(r.stderr, "answered 301 redirecting to http://elsewhere.example (plain http); vastguard does not follow redirects, so the key was not sent there") {
					t.Errorf("the redirect is not named: %q", r.stderr)
				}
			case "no such endpoint":
				if !strings.Contains(r.stderr, "has no such endpoint (404 (an HTML page titled \"Not Found\"") || !strings.Contains(r.stderr, "is VAST_URL the Vast API?") {
					t.Errorf("the missing endpoint is not named: %q", r.stderr)
				}
			}
			for _, q := range srv.Requests() {
				if q.Path != "/api/v0/auth/apikeys/" {
					t.Errorf("the client went to %s %s", q.Method, q.Path)
				}
			}
		})
	}
}

func TestDemoRunsAndShowsNoKey(t *testing.T) {
	t.Parallel()
	r := runDemoChecked(t)
	for _, want := range []string{"keys create --name demo-ci", "403", "401 Invalid user key", "Demo finished", "3 Vast.ai API keys found", "(exit code 2)",
		// The incident as it really goes: the preset's key answers 403, the
		// read-only one is confirmed live and revoked, the 403 one is
		// deleted by hand; where the revoke input and the baseline come from.
		"--permissions instance-management --output $DEMO/runner.key",
		"verification: unknown: 403",
		"verification: live: key",
		"not revoked: could not tell whether it is live (403",
		"deleted with the management key; confirmed dead",
		"1 of 2 keys may still be live",
		"show ", "> $DEMO/leaked.txt",
		"| jq -r '.findings[]", "$ cat $DEMO/incident-baseline.txt",
		"baseline: 2 findings suppressed",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"version"}, {"keys", "create", "-h"}} {
		r := runCLI(t, nil, args...)
		if r.code != 0 || r.stdout == "" {
			t.Errorf("%v = %d %q %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestBinaryWithOnlyKeyAndURL(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	cmd := exec.CommandContext(t.Context(), binary(t), "keys", "list", "--json")
	cmd.Env = []string{"VAST_API_KEY=" + vars["VAST_API_KEY"], "VAST_URL=" + srv.URL}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	var got []keyJSON
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := []keyJSON{{ID: srv.LiveKeys()[0].ID, Name: "default", CreatedAt: got[0].CreatedAt, FullAccess: true, Scopes: got[0].Scopes}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Query != "" || reqs[0].Token != vars["VAST_API_KEY"] {
		t.Errorf("requests = %+v", reqs)
	}
}
