package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vastguard/vastguard/internal/broker/store"
	"github.com/vastguard/vastguard/internal/broker/store/storetest"
)

var t0 = time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)

// backends runs f against a fresh SQLite file and a fresh PostgreSQL
// database. dsn opens the same database again, as another replica would.
func backends(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Helper()
	for _, b := range []struct {
		name string
		dsn  func(storetest.TB) string
	}{{"sqlite", storetest.TestSQLite}, {"postgres", storetest.TestPostgres}} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, b.dsn(t))
		})
	}
}

func open(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func key(repo string, n int, expires time.Time) store.Key {
	return store.Key{
		Name:        fmt.Sprintf("vgb:%s:%d", repo, n),
		Repository:  repo,
		RunID:       100 + int64(n),
		RunAttempt:  1,
		Rule:        "r",
		Permissions: `{"api":{"instance_read":{}}}`,
		Subject:     "repo:" + repo + ":ref:refs/heads/main",
		Actor:       "octocat",
		Claims:      `{"repository":"` + repo + `"}`,
		CreatedAt:   t0,
		ExpiresAt:   expires,
	}
}

func TestMigrations(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		// Replicas starting together migrate once between them.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := store.Open(ctx, dsn)
				if err == nil {
					db.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("concurrent open: %v", err)
			}
		}
		db := open(t, dsn)
		if v, err := db.Version(ctx); err != nil || v != 1 {
			t.Fatalf("version = %d, %v", v, err)
		}
		// Opening again changes nothing and keeps the data.
		if err := db.Reserve(ctx, key("acme/a", 1, t0), 5); err != nil {
			t.Fatal(err)
		}
		db2 := open(t, dsn)
		if n, err := db2.Counts(ctx); err != nil || n[store.Pending] != 1 {
			t.Fatalf("counts after reopen = %v, %v", n, err)
		}
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		if err := db.Record(context.Background(), store.Event{At: t0, Event: "x"}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetVersion(99); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		_, err := store.Open(context.Background(), dsn)
		if err == nil || !strings.Contains(err.Error(), "schema version 99, newer than this vastguard knows (1)") {
			t.Fatalf("Open = %v", err)
		}
	})
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn)
		k := key("acme/a", 1, t0.Add(time.Hour))
		if err := db.Reserve(ctx, k, 5); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Key(ctx, 5001); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("pending key by id: %v", err)
		}
		if err := db.Activate(ctx, k.Name, 5001); err != nil {
			t.Fatal(err)
		}
		if err := db.Activate(ctx, k.Name, 5001); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second activate: %v", err)
		}
		got, err := db.Key(ctx, 5001)
		if err != nil {
			t.Fatal(err)
		}
		want := k
		want.Seq, want.VastID, want.State = got.Seq, 5001, store.Live
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("key (-want +got):\n%s", diff)
		}
		ok, err := db.End(ctx, 5001, "", store.Revoked, t0.Add(time.Minute))
		if err != nil || !ok {
			t.Fatalf("End = %v, %v", ok, err)
		}
		if ok, err := db.End(ctx, 5001, "", store.Reaped, t0.Add(2*time.Minute)); err != nil || ok {
			t.Fatalf("End of an ended key = %v, %v", ok, err)
		}
		got, _ = db.Key(ctx, 5001)
		if got.State != store.Revoked || !got.EndedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("after revoke: %+v", got)
		}

		// A failed create, and a pending key ended by name.
		f := key("acme/a", 2, t0.Add(time.Hour))
		if err := db.Reserve(ctx, f, 5); err != nil {
			t.Fatal(err)
		}
		if err := db.Fail(ctx, f.Name, "503 from Vast", t0); err != nil {
			t.Fatal(err)
		}
		p := key("acme/a", 3, t0.Add(time.Hour))
		if err := db.Reserve(ctx, p, 5); err != nil {
			t.Fatal(err)
		}
		if err := db.Note(ctx, p.Name, "outcome unknown"); err != nil {
			t.Fatal(err)
		}
		open, err := db.OpenKeys(ctx)
		if err != nil || len(open) != 1 || open[0].Name != p.Name || open[0].LastError != "outcome unknown" {
			t.Fatalf("open keys = %+v, %v", open, err)
		}
		if ok, err := db.End(ctx, 0, p.Name, store.Gone, t0); err != nil || !ok {
			t.Fatalf("End by name = %v, %v", ok, err)
		}
		counts, err := db.Counts(ctx)
		if diff := cmp.Diff(map[store.State]int{store.Revoked: 1, store.Failed: 1, store.Gone: 1}, counts); diff != "" || err != nil {
			t.Errorf("counts (-want +got):\n%s %v", diff, err)
		}
	})
}

func TestLiveKeyLimitUnderConcurrency(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		// Two replicas, 40 concurrent mints for one repository, limit 5.
		dbs := []*store.DB{open(t, dsn), open(t, dsn)}
		var wg sync.WaitGroup
		var mu sync.Mutex
		okCount, limited := 0, 0
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := dbs[i%2].Reserve(ctx, key("acme/a", i, t0.Add(time.Hour)), 5)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					okCount++
				case errors.Is(err, store.ErrLimit):
					limited++
				default:
					t.Errorf("Reserve: %v", err)
				}
			}()
		}
		// Another repository is not held back by the first.
		if err := dbs[0].Reserve(ctx, key("acme/b", 0, t0.Add(time.Hour)), 1); err != nil {
			t.Errorf("other repository: %v", err)
		}
		wg.Wait()
		if okCount != 5 || limited != 35 {
			t.Errorf("reserved %d, limited %d; want 5 and 35", okCount, limited)
		}
		// Ended keys do not count.
		open, _ := dbs[0].OpenKeys(ctx)
		for _, k := range open {
			if k.Repository == "acme/a" {
				dbs[0].Fail(ctx, k.Name, "x", t0)
			}
		}
		if err := dbs[1].Reserve(ctx, key("acme/a", 99, t0.Add(time.Hour)), 5); err != nil {
			t.Errorf("after ending: %v", err)
		}
	})
}

func TestClaimDue(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn)
		for i, exp := range []time.Duration{-2 * time.Minute, -time.Minute, 10 * time.Minute} {
			k := key("acme/a", i, t0.Add(exp))
			if err := db.Reserve(ctx, k, 10); err != nil {
				t.Fatal(err)
			}
			if err := db.Activate(ctx, k.Name, int64(7000+i)); err != nil {
				t.Fatal(err)
			}
		}
		// A pending key is never claimed, due or not.
		if err := db.Reserve(ctx, key("acme/a", 9, t0.Add(-time.Hour)), 10); err != nil {
			t.Fatal(err)
		}
		ids := func(ks []store.Key) []int64 {
			var out []int64
			for _, k := range ks {
				out = append(out, k.VastID)
			}
			return out
		}
		a, err := db.ClaimDue(ctx, "a", t0, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{7000, 7001}, ids(a)); diff != "" {
			t.Errorf("claimed (-want +got):\n%s", diff)
		}
		if b, _ := db.ClaimDue(ctx, "b", t0.Add(30*time.Second), time.Minute, 10); len(b) != 0 {
			t.Errorf("leased keys claimed again: %v", ids(b))
		}
		// a fails one delete: it is retried not before next.
		if err := db.Retry(ctx, 7000, "a", t0.Add(5*time.Minute), "503"); err != nil {
			t.Fatal(err)
		}
		// b takes 7001 over once a's lease has run out (a died).
		b, _ := db.ClaimDue(ctx, "b", t0.Add(61*time.Second), time.Minute, 10)
		if diff := cmp.Diff([]int64{7001}, ids(b)); diff != "" {
			t.Errorf("after lease expiry (-want +got):\n%s", diff)
		}
		// At 6m: 7000's retry time has come, b's lease on 7001 has run out,
		// 7002 is not due until 10m.
		c, _ := db.ClaimDue(ctx, "c", t0.Add(6*time.Minute), time.Minute, 10)
		if diff := cmp.Diff([]int64{7000, 7001}, ids(c)); diff != "" {
			t.Errorf("after retry time (-want +got):\n%s", diff)
		}
		if k, _ := db.Key(ctx, 7000); k.Attempts != 1 || k.LastError != "503" {
			t.Errorf("retried key: %+v", k)
		}
		// A Retry by a reaper whose lease was taken over is ignored.
		if err := db.Retry(ctx, 7001, "b", t0.Add(time.Hour), "late"); err != nil {
			t.Fatal(err)
		}
		if k, _ := db.Key(ctx, 7001); k.Attempts != 0 {
			t.Errorf("stale Retry applied: %+v", k)
		}
	})
}

// Two reapers on two connections race over the same due keys: every key is
// claimed exactly once and none is left.
func TestTwoReapersRace(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		seed := open(t, dsn)
		const n = 120
		for i := range n {
			k := key(fmt.Sprintf("acme/r%d", i%7), i, t0.Add(-time.Duration(i)*time.Second))
			if err := seed.Reserve(ctx, k, n); err != nil {
				t.Fatal(err)
			}
			if err := seed.Activate(ctx, k.Name, int64(10000+i)); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		claims := map[int64][]string{}
		var wg sync.WaitGroup
		for _, owner := range []string{"replica-a", "replica-b"} {
			db := open(t, dsn)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					ks, err := db.ClaimDue(ctx, owner, t0, time.Minute, 7)
					if err != nil {
						t.Errorf("%s: %v", owner, err)
						return
					}
					if len(ks) == 0 {
						return
					}
					for _, k := range ks {
						mu.Lock()
						claims[k.VastID] = append(claims[k.VastID], owner)
						mu.Unlock()
						if ok, err := db.End(ctx, k.VastID, "", store.Reaped, t0); err != nil || !ok {
							t.Errorf("%s End %d = %v, %v", owner, k.VastID, ok, err)
						}
					}
				}
			}()
		}
		wg.Wait()
		if len(claims) != n {
			t.Errorf("%d keys claimed, want %d", len(claims), n)
		}
		per := map[string]int{}
		for id, owners := range claims {
			if len(owners) != 1 {
				t.Errorf("key %d claimed by %v", id, owners)
			}
			per[owners[0]]++
		}
		t.Logf("claims per reaper: %v", per)
		if c, _ := seed.Counts(ctx); c[store.Reaped] != n || c[store.Live] != 0 {
			t.Errorf("counts = %v", c)
		}
	})
}

func TestLease(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		a, b := open(t, dsn), open(t, dsn)
		take := func(db *store.DB, owner string, at time.Time) bool {
			ok, err := db.Lease(ctx, "reconcile", owner, at, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !take(a, "a", t0) {
			t.Fatal("a could not take a free lease")
		}
		if take(b, "b", t0.Add(30*time.Second)) {
			t.Fatal("b took a held lease")
		}
		if !take(a, "a", t0.Add(50*time.Second)) {
			t.Fatal("a could not renew")
		}
		if take(b, "b", t0.Add(100*time.Second)) {
			t.Fatal("b took a renewed lease")
		}
		if !take(b, "b", t0.Add(111*time.Second)) {
			t.Fatal("b could not take an expired lease")
		}
	})
}

func TestAuditAndPrune(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := open(t, dsn)
		evs := []store.Event{
			{At: t0, Event: store.EventDeny, Repository: "evil/x", Code: "policy_denied", Message: "no rule", Claims: `{"repository":"evil/x"}`},
			{At: t0.Add(time.Hour), Event: store.EventMint, Repository: "acme/a", RunID: 7, VastID: 5, KeyName: "n", Rule: "r", Claims: `{}`},
		}
		for _, e := range evs {
			if err := db.Record(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.Events(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			evs[i].Seq = got[i].Seq
		}
		if diff := cmp.Diff(evs, got); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		k := key("acme/a", 1, t0)
		db.Reserve(ctx, k, 5)
		db.Fail(ctx, k.Name, "x", t0)
		live := key("acme/a", 2, t0)
		db.Reserve(ctx, live, 5)
		n, err := db.Prune(ctx, t0.Add(time.Minute))
		if err != nil || n != 2 {
			t.Fatalf("Prune = %d, %v; want 2 (one event, one ended key)", n, err)
		}
		if c, _ := db.Counts(ctx); c[store.Pending] != 1 || c[store.Failed] != 0 {
			t.Errorf("after prune: %v", c)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct{ dsn, want string }{
		{"mysql://x", `store: "mysql://x": use sqlite:PATH or postgres://USER@HOST/DB`},
		{"sqlite:", "store: \"sqlite:\": give a file path after sqlite: (without ? or #)"},
		{"sqlite:/nonexistent-dir/x/broker.db", "store: open /nonexistent-dir/x/broker.db: no such file or directory"},
		{"postgres://vg:s3cretpw@127.0.0.1:1/db?connect_timeout=2", "store: cannot reach postgres://vg:xxxxx@127.0.0.1:1/db?connect_timeout=2: "},
	} {
		_, err := store.Open(ctx, tt.dsn)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Open(%q) = %v, want %q...", tt.dsn, err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), "s3cretpw") || strings.Contains(err.Error(), "\n")) {
			t.Errorf("Open(%q) error shows the password or spans lines: %v", tt.dsn, err)
		}
	}
}
