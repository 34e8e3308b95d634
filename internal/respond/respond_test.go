package respond

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

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
}

func (a *account) record(s string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.log = append(a.log, s)
}

func (a *account) CurrentUser(context.Context) (vast.User, error) { return vast.User{ID: 7}, nil }
func (a *account) DeleteKey(_ context.Context, id int64) error {
	a.record(fmt.Sprintf("delete %d", id))
	a.mu.Lock()
	defer a.mu.Unlock()
	a.dead[id] = true
	return nil
}
func (a *account) ListKeys(context.Context) ([]vast.Key, error) {
	return []vast.Key{{ID: 42, PermissionsKnown: true, Permissions: vast.MustPermissions("read-only", false)}}, nil
}
func (a *account) CreateKey(_ context.Context, name string, _ vast.Permissions) (vast.Key, error) {
	a.record("create " + name)
	return vast.Key{ID: 99, Secret: vast.Secret(vasttest.NewKeyValue())}, nil
}
func (a *account) Explain(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }

// leakedClient is the leaked key's own client: live until key 42 is dead.
type leakedClient struct{ a *account }

func (c leakedClient) CurrentUser(context.Context) (vast.User, error) {
	c.a.mu.Lock()
	defer c.a.mu.Unlock()
	if c.a.dead[42] {
		return vast.User{}, vast.ErrUnauthorized
	}
	return vast.User{ID: 7, KeyID: 42}, nil
}
func (c leakedClient) DeleteKey(context.Context, int64) error { return errors.New("unused") }

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
			want := []string{"create repl-42", "reveal", "store", "delete 42"}
			outcome, done := "revoked and replaced", true
			if !storeOK {
				want = []string{"create repl-42", "reveal", "store", "delete 99", "delete 42"}
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
