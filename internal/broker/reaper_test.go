package broker_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vastguard/vastguard/internal/broker"
	"github.com/vastguard/vastguard/internal/broker/oidctest"
	"github.com/vastguard/vastguard/internal/broker/store"
	"github.com/vastguard/vastguard/internal/broker/store/storetest"
	"github.com/vastguard/vastguard/vast/vasttest"
)

func mustMint(t *testing.T, h *harness, j oidctest.Job, body string) int64 {
	t.Helper()
	a := h.mint(h.token(j), body)
	if a.status != http.StatusCreated {
		t.Fatalf("mint: %d %s", a.status, a.body)
	}
	return a.mint.ID
}

func TestReapAtExpiry(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	short := mustMint(t, h, oidctest.Job{}, `{"ttl": "10m"}`)
	long := mustMint(t, h, oidctest.Job{}, `{"ttl": "2h"}`)
	ctx := context.Background()
	if st, err := h.b.Reaper().Reap(ctx); err != nil || st != (broker.ReapStats{}) {
		t.Fatalf("early reap: %+v %v", st, err)
	}
	h.clk.Add(10 * time.Minute)
	st, err := h.b.Reaper().Reap(ctx)
	if err != nil || st != (broker.ReapStats{Deleted: 1}) {
		t.Fatalf("reap at 10m: %+v %v", st, err)
	}
	if _, ok := h.fake.Key(short); !ok {
		t.Fatal("no such key")
	}
	if k, _ := h.fake.Key(short); !k.Deleted {
		t.Errorf("the 10m key is not deleted")
	}
	if k, _ := h.fake.Key(long); k.Deleted {
		t.Errorf("the 2h key was deleted early")
	}
	if r := h.record(short); r.State != store.Reaped {
		t.Errorf("record: %s", r.State)
	}
	// A key the post step already deleted is not touched again.
	if d := h.delete(h.token(oidctest.Job{}), long); d.status != 200 {
		t.Fatal(d.status)
	}
	h.clk.Add(3 * time.Hour)
	if st, _ := h.b.Reaper().Reap(ctx); st != (broker.ReapStats{}) {
		t.Errorf("reap after revoke: %+v", st)
	}
	if diff := cmp.Diff(map[string]int{fmt.Sprintf("/api/v0/auth/apikeys/%d/", short): 1, fmt.Sprintf("/api/v0/auth/apikeys/%d/", long): 1}, h.deletes()); diff != "" {
		t.Errorf("deletes (-want +got):\n%s", diff)
	}
	if n := len(h.events(store.EventReap)); n != 1 {
		t.Errorf("%d reap events", n)
	}
}

// A key deleted outside the broker is reaped as already gone.
func TestReapAlreadyGone(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := mustMint(t, h, oidctest.Job{}, `{"ttl": "10m"}`)
	// Delete it behind the broker's back, with the management key.
	vc := vastClient(t, h)
	if err := vc.DeleteKey(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	h.clk.Add(11 * time.Minute)
	if st, err := h.b.Reaper().Reap(context.Background()); err != nil || st != (broker.ReapStats{AlreadyGone: 1}) {
		t.Errorf("reap: %+v %v", st, err)
	}
	if r := h.record(id); r.State != store.Reaped {
		t.Errorf("record: %s", r.State)
	}
}

// The broker restarted between mint and expiry: the new process, with the
// same database, deletes the key on time.
func TestRestartBetweenMintAndExpiry(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := mustMint(t, h, oidctest.Job{}, `{"ttl": "15m"}`)
	h.stop()
	h2 := newHarness(t, withDSN(h.dsn), withFake(h.fake, h.mgmt), withClock(h.clk), withIssuer(h.iss))
	h.clk.Add(16 * time.Minute)
	if st, err := h2.b.Reaper().Reap(context.Background()); err != nil || st.Deleted != 1 {
		t.Fatalf("reap after restart: %+v %v", st, err)
	}
	if len(h.minted()) != 0 {
		t.Errorf("key %d alive after restart and expiry", id)
	}
}

func TestReconcile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	r := h.b.Reaper()
	live := mustMint(t, h, oidctest.Job{}, `{"ttl": "2h"}`)
	// An orphan: a key with the broker's name and no record (a lost
	// database, say). And a key that is none of the broker's business.
	orphanName := namePrefix + "acme/gpu-tests:run-1-1:_:_:exp-20261126T190000Z:999"
	orphan, _ := h.fake.AddKey(h.userID(), orphanName, `{"api":{"instance_read":{}}}`)
	other, _ := h.fake.AddKey(h.userID(), "ci-deploy", `{"api":{"instance_read":{}}}`)
	// A mint interrupted between create and record: pending, and the key
	// exists.
	interrupted := h.namer.Name(broker.NameParts{Repository: "acme/gpu-tests", RunID: 5, Attempt: 1, Expires: epoch.Add(time.Hour)})
	if err := h.db.Reserve(ctx, store.Key{Name: interrupted, Repository: "acme/other", RunID: 5, RunAttempt: 1, Rule: "gpu-tests", Permissions: "{}", Claims: "{}", CreatedAt: epoch, ExpiresAt: epoch.Add(time.Hour)}, 10); err != nil {
		t.Fatal(err)
	}
	interruptedID, _ := h.fake.AddKey(h.userID(), interrupted, `{"api":{"instance_read":{}}}`)
	// A pending record whose create never happened.
	never := h.namer.Name(broker.NameParts{Repository: "acme/gpu-tests", RunID: 6, Attempt: 1, Expires: epoch.Add(time.Hour)})
	if err := h.db.Reserve(ctx, store.Key{Name: never, Repository: "acme/other", RunID: 6, RunAttempt: 1, Rule: "gpu-tests", Permissions: "{}", Claims: "{}", CreatedAt: epoch, ExpiresAt: epoch.Add(time.Hour)}, 10); err != nil {
		t.Fatal(err)
	}
	// A live record whose key someone deleted in the console.
	vanished := mustMint(t, h, oidctest.Job{}, `{"ttl": "2h"}`)
	if err := vastClient(t, h).DeleteKey(ctx, vanished); err != nil {
		t.Fatal(err)
	}

	st, err := r.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(broker.ReconcileStats{Waiting: 1}, st); diff != "" {
		t.Errorf("first pass, inside the grace period (-want +got):\n%s", diff)
	}
	h.clk.Add(16 * time.Minute)
	st, err = r.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(broker.ReconcileStats{DeletedUnrecorded: 1, DeletedInterrupted: 1, MarkedGone: 1, FailedPending: 1}, st); diff != "" {
		t.Errorf("after the grace period (-want +got):\n%s", diff)
	}
	alive := map[int64]bool{}
	for _, k := range h.minted() {
		alive[k.ID] = true
	}
	if diff := cmp.Diff(map[int64]bool{live: true, other: true}, alive); diff != "" {
		t.Errorf("alive after reconcile (-want +got):\n%s", diff)
	}
	_ = orphan
	_ = interruptedID
	if !strings.Contains(h.logs.String(), "DELETING A KEY WITH THE BROKER'S NAME AND NO RECORD") {
		t.Errorf("the orphan's deletion was not logged loudly")
	}
	if got := h.record(vanished).State; got != store.Gone {
		t.Errorf("vanished record: %s", got)
	}
	// A third pass finds nothing to do.
	if st, _ := r.Reconcile(ctx); st != (broker.ReconcileStats{}) {
		t.Errorf("third pass: %+v", st)
	}
}

// Two broker replicas share a store and race their reapers: every due key
// is deleted exactly once.
func TestReplicasReapEachKeyOnce(t *testing.T) {
	t.Parallel()
	for _, b := range []struct {
		name string
		dsn  func(storetest.TB) string
	}{{"sqlite", storetest.TestSQLite}, {"postgres", storetest.TestPostgres}} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dsn := b.dsn(t)
			a := newHarness(t, withDSN(dsn))
			c := newHarness(t, withDSN(dsn), withFake(a.fake, a.mgmt), withClock(a.clk), withIssuer(a.iss))
			const n = 40
			for i := range n {
				h := a
				if i%2 == 1 {
					h = c
				}
				mustMint(t, h, oidctest.Job{Repository: fmt.Sprintf("acme/r%d", i), RunID: int64(100 + i)}, `{"ttl": "10m"}`)
			}
			a.clk.Add(11 * time.Minute)
			var wg sync.WaitGroup
			stats := make([]broker.ReapStats, 2)
			for i, h := range []*harness{a, c} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					st, err := h.b.Reaper().Reap(context.Background())
					if err != nil {
						t.Errorf("reap: %v", err)
					}
					stats[i] = st
				}()
			}
			wg.Wait()
			if total := stats[0].Deleted + stats[1].Deleted; total != n || stats[0].AlreadyGone+stats[1].AlreadyGone != 0 {
				t.Errorf("reapers deleted %+v and %+v, want %d in all and none twice", stats[0], stats[1], n)
			}
			for path, count := range a.deletes() {
				if count != 1 {
					t.Errorf("%s deleted %d times", path, count)
				}
			}
			if len(a.deletes()) != n || len(a.minted()) != 0 {
				t.Errorf("%d keys deleted, %d alive", len(a.deletes()), len(a.minted()))
			}
			t.Logf("%s: replica a deleted %d, replica b %d", b.name, stats[0].Deleted, stats[1].Deleted)
			// One replica at a time reconciles.
			s1, _ := a.b.Reaper().Reconcile(context.Background())
			s2, _ := c.b.Reaper().Reconcile(context.Background())
			if s1.Skipped || !s2.Skipped {
				t.Errorf("reconcile: a skipped %v, b skipped %v; want only b", s1.Skipped, s2.Skipped)
			}
		})
	}
}

// Run reaps on its own schedule.
func TestRunLoop(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	mustMint(t, h, oidctest.Job{}, `{"ttl": "10m"}`)
	passes := make(chan struct{}, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A broker whose sleep advances the shared clock by the interval and
	// reports each pass.
	vc := vastClient(t, h)
	b, err := broker.New(ctx, h.cfg, broker.Deps{Vast: vc, Namer: h.namer, Store: h.st, Now: h.clk.Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			h.clk.Add(d)
			select {
			case passes <- struct{}{}:
			case <-ctx.Done():
			}
			return ctx.Err()
		}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { b.Reaper().Run(ctx); close(done) }()
	for i := 0; i < 40 && len(h.minted()) > 0; i++ { // 40 passes of 30s: 20 minutes
		<-passes
	}
	cancel()
	<-done
	if len(h.minted()) != 0 {
		t.Errorf("Run did not reap the key within 20 minutes of passes")
	}
}

func TestReload(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tok := h.token(oidctest.Job{Repository: "acme/new"})
	// acme/new matches the owner-wide reader rule only.
	if a := h.mint(tok, `{"permissions": "instance-management"}`); a.err.Code != "permissions_not_granted" {
		t.Fatalf("before reload: %d %s", a.status, a.body)
	}
	good := testPolicy + `
  - name: new
    match: {repository: acme/new}
    permissions: instance-management
    max_ttl: 1h
`
	if err := os.WriteFile(h.cfg.PolicyFile, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.b.Reload(); err != nil {
		t.Fatal(err)
	}
	if a := h.mint(tok, `{"permissions": "instance-management"}`); a.status != http.StatusCreated {
		t.Fatalf("after reload: %d %s", a.status, a.body)
	}
	// A bad policy is refused whole: the old one stays in force.
	if err := os.WriteFile(h.cfg.PolicyFile, []byte(good+"    max_live: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := h.b.Reload()
	if err == nil || !strings.Contains(err.Error(), `rules[2]: unknown field "max_live"`) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("bad reload: %v", err)
	}
	if a := h.mint(tok, `{"permissions": "instance-management"}`); a.status != http.StatusCreated {
		t.Errorf("after a bad reload: %d %s", a.status, a.body)
	}
	os.Remove(h.cfg.PolicyFile)
	if err := h.b.Reload(); err == nil {
		t.Errorf("reload of a missing file succeeded")
	}
	m := string(h.do("GET", "/metrics", "", "", "").body)
	for _, want := range []string{`vastguard_broker_policy_reloads_total{result="ok"} 1`, `vastguard_broker_policy_reloads_total{result="error"} 2`, `vastguard_broker_policy_rules 3`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !strings.Contains(h.logs.String(), "policy reload failed; keeping the policy in force") {
		t.Errorf("a failed reload was not logged")
	}
}

// Serve runs the API and the reaper, and returns cleanly when its context
// ends.
func TestServe(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b, err := broker.New(context.Background(), h.cfg, broker.Deps{Vast: vastClient(t, h), Namer: h.namer, Store: h.st, Now: h.clk.Now,
		Sleep: func(ctx context.Context, d time.Duration) error { <-ctx.Done(); return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Serve(ctx, ln) }()
	req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/v1/keys", nil)
	req.Header.Set("Authorization", "Bearer "+h.token(oidctest.Job{}))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("mint through Serve: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v", err)
	}
}

// A management key revoked behind the broker's back is answered 404
// auth_error "Invalid user key" (vast-api.md §9): that is not "API Key not
// found.", so no expired key is taken for gone. The reaper and reconcile
// keep the records open, say so loudly, and count the refusal.
func TestReapAndReconcileWithARevokedManagementKey(t *testing.T) {
	t.Parallel()
	clk := &clock{t: epoch}
	fake := vasttest.NewServer(t, vasttest.WithClock(clk.Now), vasttest.WithDeadKeyAnswer(vasttest.Dead404))
	_, mgmt := fake.AddAccount("owner@example.com")
	h := newHarness(t, withClock(clk), withFake(fake, mgmt))
	id := mustMint(t, h, oidctest.Job{}, `{"ttl": "10m"}`)
	fake.Revoke(h.mgmtID)
	h.clk.Add(2 * time.Hour)
	ctx := context.Background()
	st, err := h.b.Reaper().Reap(ctx)
	if err != nil || st != (broker.ReapStats{Failed: 1}) {
		t.Errorf("reap: %+v %v, want one failure", st, err)
	}
	rst, err := h.b.Reaper().Reconcile(ctx)
	if err == nil || !strings.Contains(err.Error(), "REJECTS THE BROKER'S MANAGEMENT KEY") || rst.MarkedGone != 0 {
		t.Errorf("reconcile: %+v %v, want the rejection and nothing marked gone", rst, err)
	}
	if r := h.record(id); r.State != store.Live {
		t.Errorf("record %s, want live: the key is still in the account", r.State)
	}
	if k, _ := fake.Key(id); k.Deleted {
		t.Error("the fake deleted the key; the test is wrong")
	}
	if !strings.Contains(h.logs.String(), "THE VAST API REJECTS THE BROKER'S MANAGEMENT KEY") {
		t.Errorf("no loud log line:\n%s", h.logs.String())
	}
	if m := string(h.do("GET", "/metrics", "", "", "").body); !strings.Contains(m, `vastguard_broker_reaps_total{result="refused"} 1`) {
		t.Errorf("metrics lack the refused reap:\n%s", m)
	}
}

// A key list that says it goes on (vasttest.WithPagedList) is not the
// whole list: a live record whose key is not on the first page is not
// marked gone.
func TestReconcileRefusesAPartialList(t *testing.T) {
	t.Parallel()
	clk := &clock{t: epoch}
	fake := vasttest.NewServer(t, vasttest.WithClock(clk.Now), vasttest.WithPagedList(1))
	_, mgmt := fake.AddAccount("owner@example.com")
	h := newHarness(t, withClock(clk), withFake(fake, mgmt))
	id := mustMint(t, h, oidctest.Job{}, `{"ttl": "2h"}`)
	h.clk.Add(time.Hour)
	st, err := h.b.Reaper().Reconcile(context.Background())
	if err == nil || st.MarkedGone != 0 {
		t.Errorf("reconcile: %+v %v, want an error and nothing marked gone", st, err)
	}
	if r := h.record(id); r.State != store.Live {
		t.Errorf("record %s, want live", r.State)
	}
}

// A server that makes a broader key than the rule grants (its echo says
// so) gets no key handed out: the broker deletes it and refuses the mint.
func TestMintRefusesABroaderKey(t *testing.T) {
	t.Parallel()
	clk := &clock{t: epoch}
	fake := vasttest.NewServer(t, vasttest.WithClock(clk.Now), vasttest.WithPermissionsEcho(vasttest.EchoGrantFull))
	_, mgmt := fake.AddAccount("owner@example.com")
	h := newHarness(t, withClock(clk), withFake(fake, mgmt))
	a := h.mint(h.token(oidctest.Job{}), `{"ttl": "10m"}`)
	if a.status != http.StatusBadGateway || a.err.Code != "vast_refused" || !strings.Contains(a.err.Message, "more permissions than asked") || a.mint.Key != "" {
		t.Errorf("mint = %d %s", a.status, a.body)
	}
	if n := len(h.minted()); n != 0 {
		t.Errorf("%d keys left live", n)
	}
}
