package broker_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vastguard/vastguard/internal/broker"
	"github.com/vastguard/vastguard/internal/broker/oidctest"
	"github.com/vastguard/vastguard/internal/keyname"
)

// TestKeyNames: the broker's keys carry the project's names with the
// broker's prefix, and reconcile, going by those names, deletes an
// unrecorded broker key but never a key the Action minted with a
// management key, not even an expired one, nor a name that only starts
// like the broker's.
func TestKeyNames(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withNames(broker.KeyNames))
	ctx := context.Background()
	a := h.mint(h.token(oidctest.Job{}), `{"ttl": "1h", "label": "train-step", "job": "train"}`)
	if a.status != 201 {
		t.Fatalf("mint: %d %s", a.status, a.body)
	}
	kn, ok := keyname.Parse(a.mint.Name)
	if !ok || !keyname.Minted(a.mint.Name) {
		t.Fatalf("minted name %q is not a broker name", a.mint.Name)
	}
	want := keyname.Name{Repository: "acme/gpu-tests", RunID: 9876543210, Attempt: 1, Job: "train", Label: "train-step", Expires: epoch.Add(time.Hour), Nonce: kn.Nonce, Broker: true}
	if diff := cmp.Diff(want, kn); diff != "" {
		t.Errorf("minted name %s (-want +got):\n%s", a.mint.Name, diff)
	}
	// Unlabelled mints get "_" fields, and two names never collide.
	b := h.mint(h.token(oidctest.Job{}), `{"ttl": "1h"}`)
	if b.status != 201 || b.mint.Name == a.mint.Name || !keyname.Minted(b.mint.Name) {
		t.Fatalf("second mint: %d %q", b.status, b.mint.Name)
	}

	perms := `{"api":{"instance_read":{}}}`
	orphan, _ := h.fake.AddKey(h.userID(), keyname.Name{Repository: "acme/gpu-tests", RunID: 1, Attempt: 1, Job: "j", Label: "l", Expires: epoch.Add(time.Hour), Nonce: "abcdef", Broker: true}.String(), perms)
	action, _ := h.fake.AddKey(h.userID(), keyname.Name{Repository: "acme/gpu-tests", RunID: 2, Attempt: 1, Job: "j", Label: "l", Expires: epoch.Add(-time.Hour), Nonce: "ghijkl"}.String(), perms)
	lookalike, _ := h.fake.AddKey(h.userID(), "vastguard-broker:hand-made", perms)
	h.clk.Add(16 * time.Minute)
	h.fake.SetCreatedAt(orphan, epoch)
	h.fake.SetCreatedAt(action, epoch)
	h.fake.SetCreatedAt(lookalike, epoch)
	st, err := h.b.Reaper().Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(broker.ReconcileStats{DeletedUnrecorded: 1}, st); diff != "" {
		t.Errorf("reconcile (-want +got):\n%s", diff)
	}
	alive := map[int64]bool{}
	for _, k := range h.minted() {
		alive[k.ID] = true
	}
	if diff := cmp.Diff(map[int64]bool{a.mint.ID: true, b.mint.ID: true, action: true, lookalike: true}, alive); diff != "" {
		t.Errorf("alive after reconcile (-want +got):\n%s", diff)
	}
}
