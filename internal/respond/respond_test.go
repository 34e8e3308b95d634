package respond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/vast"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// account is a hand-made stand-in for the Vast API behind the interfaces:
// one management key of account 7 and one leaked key, id 42. It logs what
// is done, in order.
type account struct {
	mu      sync.Mutex
	leaked  string
	dead    map[int64]bool
	log     []string
	storeOK bool

	mgmtKeyID int64      // the key_id users/current/ gives the management key
	keys      []vast.Key // the key list; nil: key 42, read-only
	listErr   error      // the management key's list fails so
	audit     []vast.AuditEntry
	auditErr  error // the management key's audit log fails so
	selfAudit error // the leaked key's audit log fails so
	broader   bool  // the server makes replacements broader than asked
}

func (a *account) record(s string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.log = append(a.log, s)
}

func (a *account) CurrentUser(context.Context) (vast.User, error) {
	return vast.User{ID: 7, KeyID: a.mgmtKeyID}, nil
}
func (a *account) DeleteKey(_ context.Context, id int64) error {
	a.record(fmt.Sprintf("delete %d", id))
	a.mu.Lock()
	defer a.mu.Unlock()
	a.dead[id] = true
	return nil
}
func (a *account) ListKeys(context.Context) ([]vast.Key, error) {
	a.record("list")
	if a.listErr != nil {
		return nil, a.listErr
	}
	return a.keyList(), nil
}
func (a *account) keyList() []vast.Key {
	if a.keys != nil {
		return a.keys
	}
	return []vast.Key{{ID: 42, UserID: 7, PermissionsKnown: true, Permissions: vast.MustPermissions("read-only", false)}}
}
func (a *account) AuditLog(context.Context) ([]vast.AuditEntry, error) {
	a.record("audit")
	if a.auditErr != nil {
		return nil, a.auditErr
	}
	return a.audit, nil
}
func (a *account) CreateKey(_ context.Context, name string, _ vast.Permissions) (vast.Key, error) {
	a.record("create " + name)
	k := vast.Key{ID: 99, Secret: vast.Secret(vasttest.NewKeyValue())}
	if a.broader {
		k.Diff.Broader = []string{"api.user_write"}
	}
	return k, nil
}
func (a *account) Explain(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }

// leakedClient is the leaked key's own client: live until key 42 is dead.
type leakedClient struct{ a *account }

func (c leakedClient) CurrentUser(context.Context) (vast.User, error) {
	c.a.mu.Lock()
	defer c.a.mu.Unlock()
	if c.a.dead[42] {
		return vast.User{}, errors.Join(vast.ErrUnauthorized, vast.ErrInvalidKey)
	}
	return vast.User{ID: 7, KeyID: 42}, nil
}
func (c leakedClient) DeleteKey(context.Context, int64) error { return errors.New("unused") }
func (c leakedClient) ListKeys(context.Context) ([]vast.Key, error) {
	c.a.record("list (leaked)")
	return c.a.keyList(), nil
}
func (c leakedClient) AuditLog(context.Context) ([]vast.AuditEntry, error) {
	c.a.record("audit (leaked)")
	if c.a.selfAudit != nil {
		return nil, c.a.selfAudit
	}
	return c.a.audit, nil
}

func (a *account) Store(_ context.Context, value string) error {
	a.record("store")
	if !a.storeOK {
		return errors.New("storing it in secret X failed: 403")
	}
	return nil
}
func (a *account) Describe() string { return "secret X" }

// TestResetOrder: a reset makes the replacement, shows it to Reveal, stores
// it, and only then deletes the leaked key; a replacement that cannot be
// stored is deleted again and the response says so.
func TestResetOrder(t *testing.T) {
	t.Parallel()
	for _, storeOK := range []bool{true, false} {
		t.Run(fmt.Sprintf("stored=%v", storeOK), func(t *testing.T) {
			t.Parallel()
			a := &account{leaked: vasttest.NewKeyValue(), dead: map[int64]bool{}, storeOK: storeOK}
			dial := func(key string, _ vast.RetryPolicy) (Client, error) {
				if key != a.leaked {
					return nil, errors.New("unexpected key")
				}
				return leakedClient{a}, nil
			}
			r := &Responder{Verifier: NewVerifier(dial), Manager: a, Action: ActionReset, Sink: a,
				Name:   func(id int64) string { return fmt.Sprintf("repl-%d", id) },
				Reveal: func(string) error { a.record("reveal"); return nil }}
			if note := r.Prepare(t.Context()); note != "" {
				t.Fatal(note)
			}
			rep := &scan.Report{Findings: []scan.Finding{scan.KeyFinding(a.leaked)}}
			r.Respond(t.Context(), rep, r.Verifier.VerifyReport(t.Context(), rep))
			if len(rep.Responses) != 1 {
				t.Fatalf("responses = %+v", rep.Responses)
			}
			x := rep.Responses[0]
			want := []string{"list", "audit", "list", "create repl-42", "reveal", "store", "delete 42"}
			outcome, done := "revoked and replaced", true
			if !storeOK {
				want = []string{"list", "audit", "list", "create repl-42", "reveal", "store", "delete 99", "delete 42"}
				outcome, done = "revoked, not replaced", false
				if !strings.Contains(x.Detail, "the replacement key 99 was deleted again") {
					t.Errorf("detail = %q", x.Detail)
				}
			}
			if diff := cmp.Diff(want, a.log); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if x.Outcome != outcome || x.Done != done || !Revoked(x) {
				t.Errorf("response = %+v", x)
			}
		})
	}
}

// TestBroaderReplacementIsNeverStored: a replacement whose create echo is
// broader than asked is deleted again, never revealed or stored.
func TestBroaderReplacementIsNeverStored(t *testing.T) {
	t.Parallel()
	a := &account{leaked: vasttest.NewKeyValue(), dead: map[int64]bool{}, storeOK: true, broader: true}
	dial := func(string, vast.RetryPolicy) (Client, error) { return leakedClient{a}, nil }
	r := &Responder{Verifier: NewVerifier(dial), Manager: a, Action: ActionReset, Sink: a,
		Name:   func(id int64) string { return fmt.Sprintf("repl-%d", id) },
		Reveal: func(string) error { a.record("reveal"); return nil }}
	r.Prepare(t.Context())
	rep := &scan.Report{Findings: []scan.Finding{scan.KeyFinding(a.leaked)}}
	r.Respond(t.Context(), rep, r.Verifier.VerifyReport(t.Context(), rep))
	x := rep.Responses[0]
	if diff := cmp.Diff([]string{"list", "audit", "list", "create repl-42", "delete 99", "delete 42"}, a.log); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if x.Outcome != "revoked, not replaced" || x.Done || !strings.Contains(x.Detail, "the Vast API made the replacement key 99 with more permissions than asked (broader: api.user_write") ||
		!strings.Contains(x.Detail, "the replacement key 99 was deleted again") {
		t.Errorf("response = %+v", x)
	}
}

// TestVerifyPanicReachesTheCaller: a check that panics (a bug) does not
// end the process from its goroutine, where nothing can recover it; the
// panic is raised again in VerifyReport's caller, once every check is done.
func TestVerifyPanicReachesTheCaller(t *testing.T) {
	t.Parallel()
	rep := &scan.Report{}
	for range 6 {
		rep.Findings = append(rep.Findings, scan.KeyFinding(vasttest.NewKeyValue()))
	}
	v := NewVerifier(func(string, vast.RetryPolicy) (Client, error) { panic("dialer bug") })
	defer func() {
		if p := recover(); p != "dialer bug" {
			t.Errorf("recovered %v, want the dialer's panic", p)
		}
	}()
	v.VerifyReport(t.Context(), rep)
	t.Error("VerifyReport returned after a check panicked")
}

// TestConfirmBeforeDelete: the key users/current/ names is deleted only
// when the key list agrees that it is the leaked key; evidence that key_id
// names another key leaves everything as it was, and a list that cannot
// be read is said.
func TestConfirmBeforeDelete(t *testing.T) {
	t.Parallel()
	readOnly := vast.MustPermissions("read-only", false)
	tests := []struct {
		name        string
		setup       func(a *account)
		wantOutcome string
		wantDetail  string
		wantDeleted bool
	}{
		{"listed, and the management key has another key_id", func(a *account) { a.mgmtKeyID = 5 }, "revoked",
			"confirmed by listing that key 42 is in the account (listed with the management key); the management key reports another key_id (5), so key_id names the calling key", true},
		{"listed, nothing to compare with", nil, "revoked",
			"that key_id names the calling key rather than the account's main key is not proven", true},
		{"the management key reports the same key_id", func(a *account) { a.mgmtKeyID = 42 }, "not revoked",
			"users/current/ gives key_id 42 for the leaked key and for the management key alike", false},
		{"not in the list", func(a *account) { a.keys = []vast.Key{{ID: 41, UserID: 7}} }, "not revoked",
			"key 42, the key_id users/current/ gave, is not in the key list (listed with the management key)", false},
		{"listed without user_read", func(a *account) {
			a.keys = []vast.Key{{ID: 42, UserID: 7, PermissionsKnown: true, Permissions: vast.MustPermissions(`{"api": {"misc": {}}}`, false)}}
		}, "not revoked", "key 42 is listed without user_read, which the leaked key has", false},
		{"listed under another account", func(a *account) {
			a.keys = []vast.Key{{ID: 42, UserID: 8, PermissionsKnown: true, Permissions: readOnly}}
		},
			"not revoked", "key 42 is listed under account 8, not the leaked key's 7", false},
		{"the management key cannot list: the leaked key lists", func(a *account) { a.listErr = vast.ErrForbidden }, "revoked",
			"confirmed by listing that key 42 is in the account (listed with the leaked key itself)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := &account{leaked: vasttest.NewKeyValue(), dead: map[int64]bool{}}
			if tt.setup != nil {
				tt.setup(a)
			}
			dial := func(string, vast.RetryPolicy) (Client, error) { return leakedClient{a}, nil }
			r := &Responder{Verifier: NewVerifier(dial), Manager: a, Action: ActionRevoke}
			if note := r.Prepare(t.Context()); note != "" {
				t.Fatal(note)
			}
			rep := &scan.Report{Findings: []scan.Finding{scan.KeyFinding(a.leaked)}}
			r.Respond(t.Context(), rep, r.Verifier.VerifyReport(t.Context(), rep))
			x := rep.Responses[0]
			if x.Outcome != tt.wantOutcome || !strings.Contains(x.Detail, tt.wantDetail) {
				t.Errorf("response = %q: %q\nwant %q with %q", x.Outcome, x.Detail, tt.wantOutcome, tt.wantDetail)
			}
			if a.dead[42] != tt.wantDeleted {
				t.Errorf("key 42 deleted = %v, want %v (log %v)", a.dead[42], tt.wantDeleted, a.log)
			}
		})
	}
}

// TestLeakedKeyActivity: what the leaked key did is read from the audit
// log, with the management key, else the leaked key itself; a log neither
// may read is a one-line note and the revoke goes on.
func TestLeakedKeyActivity(t *testing.T) {
	t.Parallel()
	at := func(m int) time.Time { return time.Date(2026, 11, 2, 10, m, 0, 0, time.UTC) }
	entries := []vast.AuditEntry{
		{IP: "203.0.113.9", KeyID: 42, Time: at(0), Route: "/api/v0/asks/123/"},
		{IP: "203.0.113.9", KeyID: 42, Time: at(5), Route: "/api/v0/invoices/"},
		{IP: "198.51.100.7", KeyID: 42, Time: at(9), Method: "DELETE", Route: "/api/v0/instances/123/"},
		{IP: "192.0.2.1", KeyID: 41, Time: at(7), Route: "/api/v0/instances/"},
	}
	forbidden := &vast.AuditUnavailableError{Err: &vast.Error{StatusCode: 403, Method: "GET", Path: "/api/v0/audit_logs/", Message: "no misc"}}
	tests := []struct {
		name       string
		setup      func(a *account)
		wantSum    string
		wantNote   string
		wantReader string
	}{
		{"the management key reads it", nil, "3 calls from 2 IPs (203.0.113.9 ×2, 198.51.100.7 ×1) between 2026-11-02T10:00:00Z and 2026-11-02T10:09:00Z; instances created 1, instances destroyed 1, billing reads 1", "", "audit"},
		{"only the leaked key may", func(a *account) { a.auditErr = forbidden }, "3 calls from 2 IPs", "", "audit (leaked)"},
		{"neither may", func(a *account) { a.auditErr, a.selfAudit = forbidden, forbidden }, "",
			"the audit log could not be read (with the management key: not readable with this key (403 no misc): reading it needs the misc permission; with the leaked key: not readable with this key", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := &account{leaked: vasttest.NewKeyValue(), dead: map[int64]bool{}, audit: entries, mgmtKeyID: 5}
			if tt.setup != nil {
				tt.setup(a)
			}
			dial := func(string, vast.RetryPolicy) (Client, error) { return leakedClient{a}, nil }
			r := &Responder{Verifier: NewVerifier(dial), Manager: a, Action: ActionRevoke}
			r.Prepare(t.Context())
			rep := &scan.Report{Findings: []scan.Finding{scan.KeyFinding(a.leaked)}}
			r.Respond(t.Context(), rep, r.Verifier.VerifyReport(t.Context(), rep))
			x := rep.Responses[0]
			if x.Outcome != "revoked" {
				t.Errorf("an audit log problem stopped the revoke: %+v", x)
			}
			got := ""
			if x.Activity != nil {
				got = x.Activity.Summary
				if x.Activity.Calls != 3 || len(x.Activity.IPs) != 2 {
					t.Errorf("activity = %+v", x.Activity)
				}
			}
			if !strings.HasPrefix(got, tt.wantSum) || (tt.wantSum == "") != (got == "") {
				t.Errorf("summary = %q, want %q", got, tt.wantSum)
			}
			if !strings.HasPrefix(x.ActivityNote, tt.wantNote) || (tt.wantNote == "") != (x.ActivityNote == "") {
				t.Errorf("note = %q, want %q", x.ActivityNote, tt.wantNote)
			}
			if tt.wantReader != "" && !slices.Contains(a.log, tt.wantReader) {
				t.Errorf("log %v lacks %q", a.log, tt.wantReader)
			}
		})
	}
}
