package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/ghapi/ghtest"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/vast/vasttest"
)

func TestScanVerify(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	uid, _ := srv.AddAccount("victim@example.com")
	_, live := srv.AddKey(uid, "prod", `{"api":{"instance_read":{},"user_read":{}}}`)
	_, scoped := srv.AddKey(uid, "scoped", `{"api":{"instance_read":{}}}`)
	deadID, dead := srv.AddKey(uid, "old", `{"api":{"user_read":{}}}`)
	srv.AddKey(uid, "x", "")
	if err := deleteOnFake(srv, deadID); err != nil {
		t.Fatal(err)
	}
	never := vasttest.NewKeyValue()
	dir := leakRepo(t, live, scoped, dead, never)
	srv.ResetLog()

	res := runCLI(t, vars, "scan", dir, "--verify", "--format", "json")
	if res.code != 3 {
		t.Fatalf("exit %d, want 3 (a live key)\n%s", res.code, res.stderr)
	}
	var rep scan.Report
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		got[f.KeySHA256] = f.Verification + ": " + f.VerificationDetail
	}
	want := map[string]string{
		scan.KeyHash(live):   "live: key " + itoa(keyID(srv, live)) + " of account " + itoa(uid),
		scan.KeyHash(scoped): "unknown: 403: the key may be live without user_read (a scoped key); revoke it in the Vast console to be sure",
		scan.KeyHash(dead):   "invalid: the API answers 401 Invalid user key",
		scan.KeyHash(never):  "invalid: the API answers 401 Invalid user key",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verification (-want +got):\n%s", diff)
	}
	for _, r := range srv.Requests() {
		if r.Method != "GET" || r.Path != "/api/v0/users/current/" || r.Query != "" {
			t.Errorf("verification sent %s %s?%s; only GET /users/current/ with the key in the header", r.Method, r.Path, r.Query)
		}
	}
	if n := len(srv.Requests()); n != 4 {
		t.Errorf("%d checks for 4 distinct keys", n)
	}
	assertNoSecret(t, "output", res.all(), live, scoped, dead, never, vars["VAST_API_KEY"])
	if srv.LiveKeys() == nil {
		t.Fatal("verification deleted something")
	}
}

func TestVerifyUnknowns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault vasttest.Fault
		url   string
		want  string
	}{
		{"rate limited throughout", vasttest.Fault{Route: "user", Status: 429, Times: -1}, "", "unknown: still rate limited (429) after retries"},
		{"server error", vasttest.Fault{Route: "user", Status: 500, Times: -1}, "", "unknown: the API answered 500"},
		{"html page", vasttest.Fault{Route: "user", Status: 200, Body: "<html><title>Login</title></html>", Times: -1}, "", "unknown: the API answered something that is not its JSON"},
		{"unreachable", vasttest.Fault{}, "http://127.0.0.1:1", "unknown: the API could not be reached"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, vars := fakeAPI(t)
			_, key := srv.AddAccount("v@example.com")
			if tt.fault.Route != "" {
				srv.Inject(tt.fault)
			}
			if tt.url != "" {
				vars["VAST_URL"] = tt.url
			}
			res := runCLI(t, vars, "scan", leakRepo(t, key), "--verify", "--format", "json")
			var rep scan.Report
			json.Unmarshal([]byte(res.stdout), &rep)
			if res.code != 2 || len(rep.Findings) != 1 {
				t.Fatalf("exit %d (want 2: not verified live), %s", res.code, res.stderr)
			}
			if got := rep.Findings[0].Verification + ": " + rep.Findings[0].VerificationDetail; !strings.HasPrefix(got, tt.want) {
				t.Errorf("= %q, want prefix %q", got, tt.want)
			}
			assertNoSecret(t, "output", res.all(), key)
		})
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	type setup struct {
		srv     *vasttest.Server
		vars    map[string]string
		leaked  string
		leakID  int64
		account int64
	}
	tests := []struct {
		name     string
		prepare  func(s *setup)
		args     []string
		code     int
		wantOut  string
		wantDead bool
	}{
		{"with the management key", nil, nil, 0, "revoked: confirmed by listing that key LEAKID is in the account (listed with the management key); the management key reports another key_id (MGMTID), so key_id names the calling key; deleted with the management key; confirmed dead", true},
		{"dry run deletes nothing", nil, []string{"--dry-run"}, 0, "would revoke (dry run): confirmed by listing that key LEAKID is in the account (listed with the management key); the management key reports another key_id (MGMTID), so key_id names the calling key; with the management key", false},
		{"with the leaked key itself, no management key", func(s *setup) { delete(s.vars, "VAST_API_KEY") }, nil, 0, "revoked: confirmed by listing that key LEAKID is in the account (listed with the leaked key itself); that key_id names the calling key rather than the account's main key is not proven (no other key of the account to compare with); deleted with the leaked key itself; confirmed dead", true},
		{"management key lacks user_write, the key revokes itself", func(s *setup) {
			_, ro := s.srv.AddKey(s.account, "ro", `{"api":{"user_read":{}}}`)
			s.vars["VAST_API_KEY"] = ro
		}, nil, 0, "; 403: the management key lacks user_write; deleted with the leaked key itself; confirmed dead", true},
		{"key of another account, without user_write", func(s *setup) {
			other, _ := s.srv.AddAccount("other@example.com")
			s.leakID, s.leaked = s.srv.AddKey(other, "theirs", `{"api":{"user_read":{}}}`)
		}, nil, 1, "; the key belongs to another account", false},
		{"already dead", func(s *setup) { deleteOnFake(s.srv, s.leakID) }, nil, 0, "invalid: the API answers 401", true},
		{"scoped key without user_read cannot be identified", func(s *setup) {
			s.leakID, s.leaked = s.srv.AddKey(s.account, "ci", `{"api":{"instance_read":{}}}`)
		}, nil, 1, "not revoked: could not tell whether it is live (403", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, vars := fakeAPI(t)
			uid, _ := srv.AddAccount("team@example.com")
			mgmtID, mgmt := srv.AddKey(uid, "mgmt", `{"api":{"user_read":{},"user_write":{}}}`)
			vars["VAST_API_KEY"] = mgmt
			id, leaked := srv.AddKey(uid, "leaked", `{"api":{"user_read":{},"user_write":{},"instance_read":{}}}`)
			s := &setup{srv, vars, leaked, id, uid}
			if tt.prepare != nil {
				tt.prepare(s)
			}
			res := runCLIStdin(t, s.vars, "# incident 42\n"+s.leaked+"\n", append([]string{"revoke"}, tt.args...)...)
			want := strings.NewReplacer("LEAKID", itoa(s.leakID), "MGMTID", itoa(mgmtID)).Replace(tt.wantOut)
			if res.code != tt.code || !strings.Contains(res.stdout, want) {
				t.Errorf("exit %d, want %d; stdout:\n%s\nstderr: %s\nwant %q", res.code, tt.code, res.stdout, res.stderr, want)
			}
			k, _ := srv.Key(s.leakID)
			if k.Deleted != tt.wantDead {
				t.Errorf("key deleted = %v, want %v", k.Deleted, tt.wantDead)
			}
			assertNoSecret(t, "output", res.all(), s.leaked, mgmt)
		})
	}
}

func TestRevokeReplace(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	uid, _ := srv.AddAccount("team@example.com")
	_, mgmt := srv.AddKey(uid, "mgmt", `{"api":{"user_read":{},"user_write":{}}}`)
	vars["VAST_API_KEY"] = mgmt
	id, leaked := srv.AddKey(uid, "scaler", `{"api":{"instance_read":{},"instance_write":{},"misc":{},"user_read":{}}}`)
	out := filepath.Join(t.TempDir(), "new.key")
	keyFile := filepath.Join(t.TempDir(), "leaked.txt")
	os.WriteFile(keyFile, []byte(leaked), 0o600)
	res := runCLI(t, vars, "revoke", "--key-file", keyFile, "--replace", "--output", out)
	if res.code != 0 || !strings.Contains(res.stdout, "revoked and replaced") {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if k, _ := srv.Key(id); !k.Deleted {
		t.Error("the leaked key is alive")
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var repl vasttest.Key
	for _, k := range srv.LiveKeys() {
		if k.Value == string(b) {
			repl = k
		}
	}
	if repl.ID == 0 || strings.Join(repl.Scopes(), ",") != "instance_read,instance_write,misc,user_read" || !strings.HasPrefix(repl.Name, "vastguard-replacement-of-") {
		t.Errorf("replacement = %+v", repl)
	}
	assertNoSecret(t, "output", res.all(), leaked, mgmt, string(b))
}

func TestRevokeBadInput(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	tests := []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"revoke", vasttest.NewKeyValue()}, "", "vastguard: revoke takes no key on the command line"},
		{[]string{"revoke"}, "", "vastguard: no key in stdin"},
		{[]string{"revoke"}, "two words\n", "vastguard: reading keys from stdin: line 1 is not a single key"},
		{[]string{"revoke", "--replace"}, "k\n", "vastguard: revoke --replace needs --output FILE"},
		{[]string{"revoke", "--output", "x"}, "k\n", "vastguard: --output, --rotate-secret and --replacement-permissions go with --replace"},
		{[]string{"revoke", "--replace", "--output", "x", "--rotate-secret", "A", "--repo", "a/b"}, "k\n", "vastguard: revoke --replace takes --output or --rotate-secret, not both"},
		{[]string{"revoke", "--replace", "--output", "x", "--replacement-permissions", "nope"}, "k\n", `vastguard: --replacement-permissions: unknown preset "nope"`},
		{[]string{"revoke", "--key-file", "/nonexistent"}, "", "vastguard: --key-file: open /nonexistent"},
	}
	for _, tt := range tests {
		res := runCLIStdin(t, vars, tt.stdin, tt.args...)
		if res.code != 1 || !strings.HasPrefix(res.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tt.args, res.code, res.stderr, tt.want)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d API calls for bad input", n)
	}
}

func TestRevokeRotateSecret(t *testing.T) {
	t.Parallel()
	for _, ok := range []bool{true, false} {
		t.Run(fmt.Sprintf("secret writable=%v", ok), func(t *testing.T) {
			t.Parallel()
			srv, vars := fakeAPI(t)
			uid, _ := srv.AddAccount("team@example.com")
			_, mgmt := srv.AddKey(uid, "mgmt", `{"api":{"user_read":{},"user_write":{}}}`)
			id, leaked := srv.AddKey(uid, "ci", `{"api":{"user_read":{},"misc":{}}}`)
			gh := ghtest.NewServer(t)
			gh.AddRepo(ghtest.Repo{Owner: "acme", Name: "infra"})
			token := gh.Token
			if !ok {
				token = gh.AddActionsToken()
			}
			vars["VAST_API_KEY"] = mgmt
			vars["GITHUB_TOKEN"] = token
			vars["GITHUB_API_URL"] = gh.URL
			res := runCLIStdin(t, vars, leaked+"\n", "revoke", "--replace", "--rotate-secret", "VAST_API_KEY", "--repo", "acme/infra")
			if k, _ := srv.Key(id); !k.Deleted {
				t.Error("the leaked key is alive")
			}
			var repl vasttest.Key
			for _, k := range srv.Keys() {
				if strings.HasPrefix(k.Name, "vastguard-replacement-of-") {
					repl = k
				}
			}
			sec, stored := gh.Secret("acme", "infra", "VAST_API_KEY")
			if ok {
				if res.code != 0 || !stored || sec.Value != repl.Value || repl.Deleted {
					t.Errorf("exit %d, stored %v, replacement deleted %v\n%s%s", res.code, stored, repl.Deleted, res.stdout, res.stderr)
				}
			} else {
				if res.code != 1 || stored || !repl.Deleted || !strings.Contains(res.stdout, "was deleted again") || !strings.Contains(res.stdout, "GITHUB_TOKEN cannot write secrets") {
					t.Errorf("exit %d, stored %v, replacement deleted %v\n%s%s", res.code, stored, repl.Deleted, res.stdout, res.stderr)
				}
			}
			assertNoSecret(t, "output", res.all(), leaked, mgmt, repl.Value, token)
		})
	}
}

// TestResetOwnManagementKey: the key that leaked is the management key
// itself. The replacement is made (by it) and stored before it is deleted.
func TestResetOwnManagementKey(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	uid, _ := srv.AddAccount("solo@example.com")
	id, leaked := srv.AddKey(uid, "mgmt", `{"api":{"user_read":{},"user_write":{},"instance_read":{}}}`)
	vars["VAST_API_KEY"] = leaked
	out := filepath.Join(t.TempDir(), "new.key")
	res := runCLIStdin(t, vars, leaked+"\n", "revoke", "--replace", "--output", out)
	if res.code != 0 || !strings.Contains(res.stdout, "revoked and replaced") {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if k, _ := srv.Key(id); !k.Deleted {
		t.Error("the leaked key is alive")
	}
	b, _ := os.ReadFile(out)
	ok := false
	for _, k := range srv.LiveKeys() {
		ok = ok || (k.Value == string(b) && k.UserID == uid)
	}
	if !ok {
		t.Error("no live replacement in the account")
	}
	assertNoSecret(t, "output", res.all(), leaked, string(b))
}

// TestResetFullAccessIsNotReplacedInKind: without allow-full-access the
// key is revoked, the report says it was not replaced, and exit is 1.
func TestResetFullAccessIsNotReplacedInKind(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	uid, _ := srv.AddAccount("f@example.com")
	_, mgmt := srv.AddKey(uid, "mgmt", `{"api":{"user_read":{},"user_write":{}}}`)
	id, leaked := srv.AddKey(uid, "full", "")
	vars["VAST_API_KEY"] = mgmt
	res := runCLIStdin(t, vars, leaked+"\n", "revoke", "--replace", "--output", filepath.Join(t.TempDir(), "k"))
	if res.code != 1 || !strings.Contains(res.stdout, "revoked, not replaced") || !strings.Contains(res.stderr, "1 revoked key was not replaced") || strings.Contains(res.stderr, "may still be live") {
		t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if k, _ := srv.Key(id); !k.Deleted {
		t.Error("the leaked key is alive")
	}
}

// TestRevokeReportsWhatTheKeyDid: before it deletes a leaked key, revoke
// reads the audit log and says what the key did (first and last use, IPs,
// what the calls did); a log no key may read is a one-line note, and the
// key is revoked all the same.
func TestRevokeReportsWhatTheKeyDid(t *testing.T) {
	t.Parallel()
	at := func(m int) time.Time { return time.Date(2026, 11, 2, 10, m, 0, 0, time.UTC) }
	for _, readable := range []bool{true, false} {
		t.Run(fmt.Sprintf("readable=%v", readable), func(t *testing.T) {
			t.Parallel()
			srv, vars := fakeAPI(t)
			uid, _ := srv.AddAccount("team@example.com")
			mgmtPerms := `{"api":{"user_read":{},"user_write":{},"misc":{}}}`
			if !readable {
				mgmtPerms = `{"api":{"user_read":{},"user_write":{}}}`
			}
			_, mgmt := srv.AddKey(uid, "mgmt", mgmtPerms)
			vars["VAST_API_KEY"] = mgmt
			id, leaked := srv.AddKey(uid, "leaked", `{"api":{"user_read":{},"user_write":{},"instance_write":{}}}`)
			for _, e := range []vasttest.AuditEntry{
				{IP: "203.0.113.9", KeyID: id, Time: at(0), Route: "/api/v0/asks/4242/", Args: `{"image": "pytorch"}`},
				{IP: "203.0.113.9", KeyID: id, Time: at(3), Route: "/api/v0/invoices/"},
				{IP: "198.51.100.7", KeyID: id, Time: at(9), Route: "/api/v0/asks/4243/"},
			} {
				srv.AddAuditEntry(uid, e)
			}
			res := runCLIStdin(t, vars, leaked+"\n", "revoke")
			if res.code != 0 || !strings.Contains(res.stdout, "revoked: confirmed by listing") {
				t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			if k, _ := srv.Key(id); !k.Deleted {
				t.Error("the leaked key is alive")
			}
			want := "what it did (audit log): 4 calls from 3 IPs (203.0.113.9 ×2, 127.0.0.1 ×1, 198.51.100.7 ×1) between 2026-11-02T10:00:00Z and "
			if !readable {
				want = "audit log: the audit log could not be read (with the management key: not readable with this key (403 "
			}
			if !strings.Contains(res.stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, res.stdout)
			}
			if readable && !strings.Contains(res.stdout, "; instances created 2, billing reads 1\n") {
				t.Errorf("what the calls did is not summarised:\n%s", res.stdout)
			}
			assertNoSecret(t, "output", res.all(), leaked, mgmt)
		})
	}
}

// TestRevokeConfirmsTheKeyByListing: users/current/'s key_id is documented
// only as "the API key ID associated with the user". If it named the
// account's main key (or any other), deleting by it would kill the wrong
// key and leave the leak live: revoke checks it against the key list and
// against the management key's own key_id first, and deletes nothing
// when they disagree.
func TestRevokeConfirmsTheKeyByListing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		keyID  func(mgmtID int64) int64 // what users/current/ answers as key_id, for every key
		manage bool                     // a management key is given
		want   string
	}{
		{"key_id is the management key's for both", func(m int64) int64 { return m }, true,
			"not revoked: users/current/ gives key_id MGMTID for the leaked key and for the management key alike, so key_id does not name the leaked key; nothing was deleted"},
		{"key_id is not in the key list", func(int64) int64 { return 99999 }, true,
			"not revoked: key 99999, the key_id users/current/ gave, is not in the key list (listed with the management key), so it may not be the leaked key; nothing was deleted"},
		{"key_id is not in the key list, no management key", func(int64) int64 { return 99999 }, false,
			"not revoked: key 99999, the key_id users/current/ gave, is not in the key list (listed with the leaked key itself)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, vars := fakeAPI(t)
			uid, _ := srv.AddAccount("team@example.com")
			mgmtID, mgmt := srv.AddKey(uid, "mgmt", `{"api":{"user_read":{},"user_write":{}}}`)
			vars["VAST_API_KEY"] = mgmt
			if !tt.manage {
				delete(vars, "VAST_API_KEY")
			}
			_, leaked := srv.AddKey(uid, "leaked", `{"api":{"user_read":{},"user_write":{}}}`)
			f := vasttest.Fault{Route: "user", Status: 200, Times: -1, Body: fmt.Sprintf(`{"id": %d, "key_id": %d}`, uid, tt.keyID(mgmtID))}
			if tt.keyID(mgmtID) != mgmtID && tt.manage {
				f.Skip = 1 // the management key's own check (first) is answered truly
			}
			srv.Inject(f)
			res := runCLIStdin(t, vars, leaked+"\n", "revoke")
			want := strings.ReplaceAll(tt.want, "MGMTID", itoa(mgmtID))
			if res.code != 1 || !strings.Contains(res.stdout, want) || !strings.Contains(res.stderr, "1 of 1 keys may still be live") {
				t.Errorf("exit %d\n%s%s\nwant %q", res.code, res.stdout, res.stderr, want)
			}
			for _, k := range srv.Keys() {
				if k.Deleted {
					t.Errorf("key %d %s was deleted", k.ID, k.Name)
				}
			}
			if n := countMethod(srv, "DELETE"); n != 0 {
				t.Errorf("%d deletes", n)
			}
			assertNoSecret(t, "output", res.all(), leaked, mgmt)
		})
	}
}

func countMethod(srv *vasttest.Server, method string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method {
			n++
		}
	}
	return n
}
