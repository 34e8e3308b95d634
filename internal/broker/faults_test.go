package broker_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vastguard/vastguard/internal/broker/oidctest"
	"github.com/vastguard/vastguard/internal/broker/store"
	"github.com/vastguard/vastguard/internal/broker/wire"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// errDBDown is what a driver says when the database is gone.
var errDBDown = errors.New("dial unix /var/run/postgresql/.s.PGSQL.5432: connect: connection refused")

// faultyStore fails the named methods ("*" for all) until healed.
type faultyStore struct {
	store.Store
	mu   sync.Mutex
	down map[string]bool
}

func (f *faultyStore) fail(methods ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = map[string]bool{}
	for _, m := range methods {
		f.down[m] = true
	}
}

func (f *faultyStore) heal() { f.fail() }

func (f *faultyStore) is(m string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down["*"] || f.down[m]
}

func (f *faultyStore) Reserve(ctx context.Context, k store.Key, n int) error {
	if f.is("Reserve") {
		return errDBDown
	}
	return f.Store.Reserve(ctx, k, n)
}

func (f *faultyStore) Activate(ctx context.Context, name string, id int64) error {
	if f.is("Activate") {
		return errDBDown
	}
	return f.Store.Activate(ctx, name, id)
}

func (f *faultyStore) Fail(ctx context.Context, name, reason string, at time.Time) error {
	if f.is("Fail") {
		return errDBDown
	}
	return f.Store.Fail(ctx, name, reason, at)
}

func (f *faultyStore) Key(ctx context.Context, id int64) (store.Key, error) {
	if f.is("Key") {
		return store.Key{}, errDBDown
	}
	return f.Store.Key(ctx, id)
}

func (f *faultyStore) End(ctx context.Context, id int64, name string, s store.State, at time.Time) (bool, error) {
	if f.is("End") {
		return false, errDBDown
	}
	return f.Store.End(ctx, id, name, s, at)
}

func (f *faultyStore) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]store.Key, error) {
	if f.is("ClaimDue") {
		return nil, errDBDown
	}
	return f.Store.ClaimDue(ctx, owner, now, lease, limit)
}

func (f *faultyStore) OpenKeys(ctx context.Context) ([]store.Key, error) {
	if f.is("OpenKeys") {
		return nil, errDBDown
	}
	return f.Store.OpenKeys(ctx)
}

func (f *faultyStore) Lease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	if f.is("Lease") {
		return false, errDBDown
	}
	return f.Store.Lease(ctx, name, owner, now, ttl)
}

func (f *faultyStore) Record(ctx context.Context, e store.Event) error {
	if f.is("Record") {
		return errDBDown
	}
	return f.Store.Record(ctx, e)
}

func (f *faultyStore) Ping(ctx context.Context) error {
	if f.is("Ping") {
		return errDBDown
	}
	return f.Store.Ping(ctx)
}

// fault is one scenario of the fault table: it acts on a fresh broker and
// returns what the mint answered. The table then lets every TTL pass, runs
// the reaper and reconcile until nothing changes (faults healed), and
// counts the keys alive in the account.
type fault struct {
	name string
	run  func(t *testing.T, h *harness, fs *faultyStore) answer
	// What the workflow was told, and how many keys it holds.
	status int
	code   string
	handed int
	// Keys alive right after the fault (handed out or not).
	aliveAfter int
}

func vastDown(route string) vasttest.Fault {
	return vasttest.Fault{Route: route, Status: http.StatusServiceUnavailable, Times: -1}
}

func vastLimited(route string) vasttest.Fault {
	return vasttest.Fault{Route: route, Status: http.StatusTooManyRequests, Times: -1}
}

var faults = []fault{
	{
		name: "Vast down during mint",
		run: func(t *testing.T, h *harness, _ *faultyStore) answer {
			h.fake.Inject(vastDown("create"))
			return h.mint(h.token(oidctest.Job{}), "")
		},
		status: 503, code: wire.CodeVastUnavailable,
	},
	{
		name: "Vast rate limiting during mint (every retry)",
		run: func(t *testing.T, h *harness, _ *faultyStore) answer {
			h.fake.Inject(vastLimited("create"))
			return h.mint(h.token(oidctest.Job{}), "")
		},
		status: 503, code: wire.CodeVastUnavailable,
	},
	{
		name: "Vast rate limiting during mint (twice, then not)",
		run: func(t *testing.T, h *harness, _ *faultyStore) answer {
			h.fake.Inject(vasttest.Fault{Route: "create", Status: http.StatusTooManyRequests, Times: 2})
			return h.mint(h.token(oidctest.Job{}), "")
		},
		status: 201, handed: 1, aliveAfter: 1,
	},
	{
		name: "Vast created the key but the answer was lost",
		run: func(t *testing.T, h *harness, _ *faultyStore) answer {
			h.fake.Inject(vasttest.Fault{Route: "create", After: true, Drop: true})
			return h.mint(h.token(oidctest.Job{}), "")
		},
		status: 201, handed: 1, aliveAfter: 1,
	},
	{
		name: "Answer lost and the key list down (outcome unknown)",
		run: func(t *testing.T, h *harness, _ *faultyStore) answer {
			h.fake.Inject(vasttest.Fault{Route: "create", After: true, Drop: true})
			h.fake.Inject(vastDown("list"))
			return h.mint(h.token(oidctest.Job{}), "")
		},
		status: 503, code: wire.CodeVastUnavailable, aliveAfter: 1,
	},
	{
		name: "Management key revoked",
		run: func(t *testing.T, h *harness, _ *faultyStore) answer {
			if err := vastClient(t, h).DeleteKey(context.Background(), h.mgmtID); err != nil {
				t.Fatal(err)
			}
			a := h.mint(h.token(oidctest.Job{}), "")
			// The owner puts in a new management key and restarts.
			_, h.mgmt = h.fake.AddKey(h.user, "management", "")
			h.start()
			return a
		},
		status: 502, code: wire.CodeVastRefused,
	},
	{
		name: "Vast down during reap",
		run: func(t *testing.T, h *harness, _ *faultyStore) answer {
			a := h.mint(h.token(oidctest.Job{}), `{"ttl": "10m"}`)
			h.fake.Inject(vastDown("delete"))
			h.clk.Add(11 * time.Minute)
			if st, _ := h.b.Reaper().Reap(context.Background()); st.Failed != 1 {
				t.Errorf("reap with Vast down: %+v", st)
			}
			return a
		},
		status: 201, handed: 1, aliveAfter: 1,
	},
	{
		name: "Vast rate limiting during reap",
		run: func(t *testing.T, h *harness, _ *faultyStore) answer {
			a := h.mint(h.token(oidctest.Job{}), `{"ttl": "10m"}`)
			h.fake.Inject(vastLimited("delete"))
			h.clk.Add(11 * time.Minute)
			if st, _ := h.b.Reaper().Reap(context.Background()); st.Failed != 1 {
				t.Errorf("reap with Vast limiting: %+v", st)
			}
			return a
		},
		status: 201, handed: 1, aliveAfter: 1,
	},
	{
		name: "Vast down during the post step's delete",
		run: func(t *testing.T, h *harness, _ *faultyStore) answer {
			a := h.mint(h.token(oidctest.Job{}), `{"ttl": "10m"}`)
			h.fake.Inject(vastDown("delete"))
			if d := h.delete(h.token(oidctest.Job{}), a.mint.ID); d.status != 503 || d.err.Code != wire.CodeVastUnavailable || !strings.Contains(d.err.Message, "deletes the key at its expiry") {
				t.Errorf("delete with Vast down: %d %s", d.status, d.body)
			}
			return a
		},
		status: 201, handed: 1, aliveAfter: 1,
	},
	{
		name: "Vast down and rate limiting during reconcile",
		run: func(t *testing.T, h *harness, _ *faultyStore) answer {
			h.fake.AddKey(h.user, namePrefix+"acme/x:run-1-1:_:_:exp-20261126T190000Z:77", `{"api":{"instance_read":{}}}`)
			h.clk.Add(16 * time.Minute)
			h.fake.Inject(vasttest.Fault{Route: "list", Status: 503, Times: 6})
			h.fake.Inject(vastLimited("list"))
			if _, err := h.b.Reaper().Reconcile(context.Background()); err == nil {
				t.Errorf("reconcile with the list down succeeded")
			}
			return answer{}
		},
		aliveAfter: 1,
	},
	{
		name: "Database unavailable during mint",
		run: func(t *testing.T, h *harness, fs *faultyStore) answer {
			fs.fail("*")
			a := h.mint(h.token(oidctest.Job{}), "")
			if n := h.creates(); n != 0 {
				t.Errorf("%d creates with the database down", n)
			}
			return a
		},
		status: 503, code: wire.CodeStoreUnavailable,
	},
	{
		name: "Database lost between create and record",
		run: func(t *testing.T, h *harness, fs *faultyStore) answer {
			fs.fail("Activate")
			return h.mint(h.token(oidctest.Job{}), "")
		},
		status: 503, code: wire.CodeStoreUnavailable,
	},
	{
		name: "Database and Vast lost between create and record",
		run: func(t *testing.T, h *harness, fs *faultyStore) answer {
			fs.fail("Activate")
			// The broker's own delete of the unrecorded key fails too.
			h.fake.Inject(vasttest.Fault{Route: "delete", Status: 503, Times: 6})
			a := h.mint(h.token(oidctest.Job{}), "")
			if !strings.Contains(h.logs.String(), "KEY LEFT BEHIND") {
				t.Errorf("the key left behind was not logged")
			}
			return a
		},
		status: 503, code: wire.CodeStoreUnavailable, aliveAfter: 1,
	},
	{
		name: "Database unavailable during reap",
		run: func(t *testing.T, h *harness, fs *faultyStore) answer {
			a := h.mint(h.token(oidctest.Job{}), `{"ttl": "10m"}`)
			fs.fail("*")
			h.clk.Add(11 * time.Minute)
			if _, err := h.b.Reaper().Reap(context.Background()); err == nil {
				t.Errorf("reap with the database down succeeded")
			}
			if a := h.do("GET", "/healthz", "", "", ""); a.status != 503 || a.err.Code != wire.CodeStoreUnavailable {
				t.Errorf("healthz with the database down: %d %s", a.status, a.body)
			}
			return a
		},
		status: 201, handed: 1, aliveAfter: 1,
	},
	{
		name: "Broker restarted between mint and TTL",
		run: func(t *testing.T, h *harness, _ *faultyStore) answer {
			a := h.mint(h.token(oidctest.Job{}), `{"ttl": "10m"}`)
			h.stop()
			h.start() // a new process on the same database
			return a
		},
		status: 201, handed: 1, aliveAfter: 1,
	},
	{
		name: "Broker crashed between create and record",
		run: func(t *testing.T, h *harness, _ *faultyStore) answer {
			// What a crash leaves: the pending record and the key.
			name := namePrefix + "acme/gpu-tests:run-9-1:_:_:exp-20261126T190000Z:crash"
			if err := h.db.Reserve(context.Background(), store.Key{Name: name, Repository: "acme/gpu-tests", RunID: 9, RunAttempt: 1, Rule: "gpu-tests", Permissions: "{}", Claims: "{}", CreatedAt: epoch, ExpiresAt: epoch.Add(time.Hour)}, 10); err != nil {
				t.Fatal(err)
			}
			h.fake.AddKey(h.user, name, `{"api":{"instance_read":{}}}`)
			h.stop()
			h.start()
			return answer{}
		},
		aliveAfter: 1,
	},
	{
		name: "Record lost (key with the broker's name, no record)",
		run: func(t *testing.T, h *harness, _ *faultyStore) answer {
			h.fake.AddKey(h.user, namePrefix+"acme/x:run-1-1:_:_:exp-20261126T190000Z:lost", `{"api":{"instance_read":{}}}`)
			return answer{}
		},
		aliveAfter: 1,
	},
}

// TestFaults runs the fault table. Its log lines (go test -v -run
// TestFaults) are the table reported in the issue.
func TestFaults(t *testing.T) {
	t.Parallel()
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			fs := &faultyStore{}
			h := newHarness(t, withStore(func(s store.Store) store.Store { fs.Store = s; return fs }))
			a := f.run(t, h, fs)
			if a.status != f.status || a.err.Code != f.code {
				t.Errorf("answer %d %s, want %d %s", a.status, a.body, f.status, f.code)
			}
			if a.status == 503 && a.header.Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
			handed := 0
			if a.status == http.StatusCreated {
				handed = 1
				if k, ok := h.fake.Key(a.mint.ID); !ok || k.Deleted || k.Value != a.mint.Key {
					t.Errorf("the key handed out is not the live key %d", a.mint.ID)
				}
			}
			if handed != f.handed {
				t.Errorf("handed out %d keys, want %d", handed, f.handed)
			}
			after := len(h.minted())
			if after != f.aliveAfter {
				t.Errorf("%d keys alive after the fault, want %d", after, f.aliveAfter)
			}
			// Heal everything, let every TTL and the grace period pass, and
			// run the reaper and reconcile as Run would.
			fs.heal()
			h.fake.ClearFaults()
			for range 3 {
				h.clk.Add(2*time.Hour + 16*time.Minute)
				if _, err := h.b.Reaper().Reap(context.Background()); err != nil {
					t.Errorf("reap: %v", err)
				}
				if _, err := h.b.Reaper().Reconcile(context.Background()); err != nil {
					t.Errorf("reconcile: %v", err)
				}
			}
			end := len(h.minted())
			if end != 0 {
				t.Errorf("%d keys alive at the end, want 0", end)
			}
			if open, _ := h.db.OpenKeys(context.Background()); len(open) != 0 {
				t.Errorf("%d records still open at the end", len(open))
			}
			h.assertNoSecrets()
			t.Logf("FAULT | %s | %d %s | handed out %d | alive after the fault %d | alive at the end %d", f.name, a.status, a.err.Code, handed, after, end)
		})
	}
}
