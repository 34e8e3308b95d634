package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/internal/broker"
	"github.com/vastguard/vastguard/internal/broker/oidctest"
	"github.com/vastguard/vastguard/internal/broker/store"
	"github.com/vastguard/vastguard/internal/broker/store/storetest"
	"github.com/vastguard/vastguard/internal/ghactions/runnertest"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/vast"
)

// The Action minting through a broker, whole jobs: the runner model with
// its OIDC token endpoint (signed by oidctest), a real broker served on
// loopback in this process (SQLite in a temporary file, the Vast fake
// behind it, the fake's management key held by the broker alone), and the
// program run as the runner runs it, built binary and in-process.

const brokerPolicy = `
rules:
  - name: gpu-tests
    match:
      repository: acme/gpu-tests
      ref: refs/heads/main
    permissions: instance-management
    max_ttl: 3h
    default_ttl: 1h
    max_live_keys: 4
`

// settable is the broker's and the issuer's clock: real time plus an
// offset the test moves.
type settable struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *settable) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *settable) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// brokerJob is one job against one broker.
type brokerJob struct {
	*e2e
	clk    *settable
	iss    *oidctest.Issuer
	b      *broker.Broker
	db     *store.DB
	http   *httptest.Server
	url    string
	tokens *runnertest.IDTokens // nil: the job has no id-token: write
	logs   *syncLog
}

type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newBrokerJob starts the broker (its audience is its own URL) and a job
// granted id-token: write unless noIDToken.
func newBrokerJob(t *testing.T, mode string, noIDToken bool) *brokerJob {
	t.Helper()
	x := &brokerJob{e2e: newE2E(t, mode), clk: &settable{}, logs: &syncLog{}}
	x.job.Env["GITHUB_REF"] = "refs/heads/main"
	x.iss = oidctest.NewServer(t, oidctest.WithClock(x.clk.Now))
	x.http = httptest.NewUnstartedServer(nil)
	x.url = "http://" + x.http.Listener.Addr().String()
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte(brokerPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	dsn := storetest.TestSQLite(t)
	cfg := broker.Config{Store: dsn, Audience: x.url, Issuers: []string{x.iss.URL}, PolicyFile: pol,
		ManagementKeyEnv: "VAST_MANAGEMENT_KEY", VastURL: x.srv.URL, CreateInterval: -1, DeleteInterval: -1, ListInterval: -1}
	getenv := func(k string) string { return map[string]string{"VAST_MANAGEMENT_KEY": x.admin}[k] }
	vc, err := broker.NewVastClient(cfg, getenv, nil, vast.WithSleep(func(ctx context.Context, d time.Duration) error { return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	x.db, err = store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.db.Close() })
	x.b, err = broker.New(t.Context(), cfg, broker.Deps{Vast: vc, Namer: broker.KeyNames, Store: x.db, Now: x.clk.Now,
		Logger: slog.New(slog.NewTextHandler(x.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	x.http.Config.Handler = x.b.Handler()
	x.http.Start()
	t.Cleanup(x.http.Close)
	if !noIDToken {
		x.tokens = x.job.GrantIDTokens(x.iss)
		t.Cleanup(x.tokens.Close)
	}
	return x
}

// step runs the Action with broker-url and no api-key, plus extra.
func (x *brokerJob) step(id string, extra map[string]string) *runnertest.Step {
	x.t.Helper()
	w := map[string]string{"broker-url": x.url}
	for k, v := range extra {
		w[k] = v
	}
	s, err := x.job.RunStep(x.t.Context(), id, w)
	if err != nil {
		x.t.Fatal(err)
	}
	return s
}

// record is the broker's record of key id.
func (x *brokerJob) record(id int64) store.Key {
	x.t.Helper()
	k, err := x.db.Key(context.Background(), id)
	if err != nil {
		x.t.Fatalf("record %d: %v", id, err)
	}
	return k
}

// assertOnlyBrokerCalledVast: every request to the key API that the Vast
// fake saw carried the management key, which only the broker holds: no
// step of the job created, listed or deleted a key itself.
func (x *brokerJob) assertOnlyBrokerCalledVast() {
	x.t.Helper()
	for _, r := range x.srv.Requests() {
		if strings.Contains(r.Path, "/auth/apikeys") && r.Token != x.admin {
			x.t.Errorf("the Vast fake got %s %s with another key than the broker's", r.Method, r.Path)
		}
	}
}

func TestBrokerJob(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			x := newBrokerJob(t, mode, false)
			main := x.step("vast", map[string]string{"permissions": "instance-management", "key-name": "train-gpu"})
			if main.Code != 0 {
				t.Fatalf("main step = %d\n%s%s\n%s", main.Code, main.Stdout, main.Stderr, x.logs)
			}
			live := x.liveMinted()
			if len(live) != 1 {
				t.Fatalf("%d live minted keys, want 1", len(live))
			}
			k := live[0]
			kn, ok := keyname.Parse(k.Name)
			if !ok || !kn.Broker {
				t.Fatalf("minted name %q is not a broker name", k.Name)
			}
			want := keyname.Name{Repository: "acme/gpu-tests", RunID: 9876543210, Attempt: 1, Job: "train", Label: "train-gpu", Expires: kn.Expires, Nonce: kn.Nonce, Broker: true}
			if diff := cmp.Diff(want, kn); diff != "" {
				t.Errorf("name (-want +got):\n%s", diff)
			}
			if d := kn.Expires.Sub(time.Now()); d < 55*time.Minute || d > time.Hour+time.Minute {
				t.Errorf("expires in %v, want the rule's default_ttl of 1h (no ttl input)", d)
			}
			if k.Permissions != `{"api":{"instance_read":{},"instance_write":{},"misc":{}}}` {
				t.Errorf("permissions %s", k.Permissions)
			}
			id := strconv.FormatInt(k.ID, 10)
			wantOut := map[string]string{"api-key": k.Value, "key-id": id, "key-name": k.Name, "expires-at": kn.Expires.Format(time.RFC3339)}
			if diff := cmp.Diff(wantOut, main.Outputs); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]string{"VAST_API_KEY": k.Value}, main.Exported); diff != "" {
				t.Error("GITHUB_ENV is not VAST_API_KEY alone")
			}
			wantState := map[string]string{"vastguard_broker_url": x.url, "vastguard_broker_audience": x.url, stateKeyID: id, stateKeyName: k.Name, "vastguard_key_expires": kn.Expires.Format(time.RFC3339)}
			if diff := cmp.Diff(wantState, main.State); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(main.Stdout, "::add-mask::"+k.Value+"\n") {
				t.Errorf("the key's mask is not the first line: %q", runnertest.MaskLikeRunner(main.Stdout, k.Value))
			}
			for _, w := range []string{k.Name, id, "instance\\_write", x.url, "gpu-tests"} {
				if !strings.Contains(main.Summary, w) {
					t.Errorf("summary lacks %q:\n%s", w, main.Summary)
				}
			}
			if rec := x.record(k.ID); rec.State != store.Live || rec.Repository != "acme/gpu-tests" || rec.Rule != "gpu-tests" {
				t.Errorf("broker record %+v", rec)
			}

			// A later step of the job has the key, and Vast takes it (a
			// scoped key without user_read is refused users/current with
			// 403, not 401).
			later, err := vastClient(x.e2e, x.job.Env["VAST_API_KEY"])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := later.CurrentUser(t.Context()); err != nil && !errors.Is(err, vast.ErrForbidden) {
				t.Errorf("a later step's call with VAST_API_KEY: %v", err)
			}

			posts := x.posts()
			if posts[0].Code != 0 {
				t.Fatalf("post step = %d\n%s", posts[0].Code, posts[0].Stdout)
			}
			if want := fmt.Sprintf("vastguard: the broker deleted key %d %s\n", k.ID, k.Name); posts[0].Stdout != want {
				t.Errorf("post stdout = %q, want %q", posts[0].Stdout, want)
			}
			if len(x.liveMinted()) != 0 {
				t.Error("the key is live after the post step")
			}
			if _, err := later.CurrentUser(t.Context()); !errors.Is(err, vast.ErrUnauthorized) {
				t.Errorf("the key after the post step: %v, want 401", err)
			}
			if rec := x.record(k.ID); rec.State != store.Revoked {
				t.Errorf("broker record state %s, want revoked", rec.State)
			}
			if diff := cmp.Diff([]string{x.url, x.url}, x.tokens.Audiences()); diff != "" {
				t.Errorf("OIDC tokens asked for (-want +got):\n%s", diff)
			}
			x.assertOnlyBrokerCalledVast()
			x.assertNoLeak(main, posts[0])
			assertNoSecret(t, "broker log", x.logs.String(), k.Value, x.admin)
		})
	}
}

// TestBrokerJobRunnerDies: the runner dies after the mint, so no post step
// runs; the broker's reaper deletes the key at its TTL. A post step that
// turns up after that (a rerun of the cleanup, say) finds it reaped and
// succeeds.
func TestBrokerJobRunnerDies(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			x := newBrokerJob(t, mode, false)
			// broker-url as copied with a slash: the audience it defaults to
			// has none, as the broker's config has it.
			main := x.step("vast", map[string]string{"ttl": "30m", "broker-url": x.url + "/"})
			if main.Code != 0 {
				t.Fatalf("main step = %d\n%s", main.Code, main.Stdout)
			}
			k := x.liveMinted()[0]
			r := x.b.Reaper()
			if st, err := r.Reap(t.Context()); err != nil || st != (broker.ReapStats{}) {
				t.Fatalf("reap before the TTL: %+v %v", st, err)
			}
			x.clk.Add(29 * time.Minute)
			if st, _ := r.Reap(t.Context()); st.Deleted != 0 || len(x.liveMinted()) != 1 {
				t.Fatalf("a minute before the TTL: %+v", st)
			}
			x.clk.Add(2 * time.Minute)
			if st, err := r.Reap(t.Context()); err != nil || st.Deleted != 1 {
				t.Fatalf("reap after the TTL: %+v %v", st, err)
			}
			if len(x.liveMinted()) != 0 {
				t.Fatal("the key outlived its TTL")
			}
			if rec := x.record(k.ID); rec.State != store.Reaped {
				t.Errorf("record state %s, want reaped", rec.State)
			}
			posts := x.posts()
			if posts[0].Code != 0 || !strings.Contains(posts[0].Stdout, "already gone: the broker's reaper deleted it") {
				t.Errorf("late post step = %d %q", posts[0].Code, posts[0].Stdout)
			}
			x.assertNoLeak(main, posts[0])
		})
	}
}

// TestBrokerJobRefusals: what goes wrong before a key exists costs no key
// and leaves the post step nothing to do; what goes wrong after is loud and
// names the key, which the broker still deletes at its TTL.
func TestBrokerJobRefusals(t *testing.T) {
	t.Parallel()
	t.Run("no id-token: write", func(t *testing.T) {
		t.Parallel()
		x := newBrokerJob(t, "in-process", true)
		main := x.step("vast", nil)
		want := "::error title=vastguard::no OIDC token for this job: this job cannot request an OIDC token: add `permissions: id-token: write` to the job"
		if main.Code != 1 || !strings.HasPrefix(main.Stdout, want) || strings.Count(main.Stdout, "\n") != 1 {
			t.Errorf("main step = %d %q\nwant one line starting %q", main.Code, main.Stdout, want)
		}
		if len(x.minted()) != 0 || len(main.State) != 0 || len(main.Outputs) != 0 {
			t.Errorf("minted %d, state %v, outputs %v", len(x.minted()), main.State, main.Outputs)
		}
		posts := x.posts()
		if posts[0].Code != 0 || !strings.Contains(posts[0].Stdout, "nothing was minted") {
			t.Errorf("post = %d %q", posts[0].Code, posts[0].Stdout)
		}
	})
	t.Run("the policy denies the repository", func(t *testing.T) {
		t.Parallel()
		x := newBrokerJob(t, "in-process", false)
		x.job.Env["GITHUB_REPOSITORY"] = "acme/other"
		x.tokens.SetJob(oidctest.Job{Repository: "acme/other"})
		main := x.step("vast", nil)
		if main.Code != 1 || !strings.Contains(main.Stdout, "mint refused by the broker "+x.url+": broker: policy_denied (403): no policy rule matches this token") ||
			!strings.Contains(main.Stdout, "ask its operator") {
			t.Errorf("main step = %d %q", main.Code, main.Stdout)
		}
		if len(x.minted()) != 0 || len(main.Outputs) != 0 {
			t.Errorf("minted %d keys, outputs %v", len(x.minted()), main.Outputs)
		}
		if posts := x.posts(); posts[0].Code != 0 || !strings.Contains(posts[0].Stdout, "no key was handed to this step by the broker") {
			t.Errorf("post = %d %q", posts[0].Code, posts[0].Stdout)
		}
	})
	t.Run("a ttl over the rule's max_ttl", func(t *testing.T) {
		t.Parallel()
		x := newBrokerJob(t, "in-process", false)
		main := x.step("vast", map[string]string{"ttl": "6h"})
		if main.Code != 1 || !strings.Contains(main.Stdout, "ttl_too_long (403): ttl 6h0m0s is longer than rule gpu-tests allows (max_ttl 3h0m0s)") {
			t.Errorf("main step = %d %q", main.Code, main.Stdout)
		}
		if len(x.minted()) != 0 {
			t.Errorf("minted %d keys", len(x.minted()))
		}
	})
	t.Run("a wrong broker-audience", func(t *testing.T) {
		t.Parallel()
		x := newBrokerJob(t, "in-process", false)
		main := x.step("vast", map[string]string{"broker-audience": "https://other.example.com"})
		if main.Code != 1 || !strings.Contains(main.Stdout, "wrong_audience (401)") || !strings.Contains(main.Stdout, "check that broker-audience is the audience in the broker's config") {
			t.Errorf("main step = %d %q", main.Code, main.Stdout)
		}
	})
	t.Run("the runner's token endpoint fails twice, then answers", func(t *testing.T) {
		t.Parallel()
		x := newBrokerJob(t, "in-process", false)
		x.tokens.FailNext(http.StatusServiceUnavailable, 2)
		before := x.clock.Sleeps()
		main := x.step("vast", nil)
		if main.Code != 0 || len(x.liveMinted()) != 1 {
			t.Fatalf("main = %d %q", main.Code, main.Stdout)
		}
		if n := x.clock.Sleeps() - before; n != 2 {
			t.Errorf("%d sleeps between token requests, want 2", n)
		}
	})
	t.Run("the broker is down at the post step", func(t *testing.T) {
		t.Parallel()
		x := newBrokerJob(t, "in-process", false)
		main := x.step("vast", map[string]string{"cleanup-timeout": "3s"})
		if main.Code != 0 {
			t.Fatalf("main = %d %q", main.Code, main.Stdout)
		}
		k := x.liveMinted()[0]
		x.http.Close()
		posts := x.posts()
		p := posts[0]
		kn, _ := keyname.Parse(k.Name)
		want := fmt.Sprintf("::error title=vastguard cleanup::could not delete key %d %s: delete through the broker %s: ", k.ID, k.Name, x.url)
		if p.Code != 1 || !strings.HasPrefix(p.Stdout, want) || !strings.Contains(p.Stdout, "the broker's reaper deletes it at its expiry ("+kn.Expires.Format(time.RFC3339)+")") {
			t.Errorf("post = %d %q\nwant a line starting %q", p.Code, p.Stdout, want)
		}
		if !strings.Contains(p.Summary, "NOT deleted") || !strings.Contains(p.Summary, strconv.FormatInt(k.ID, 10)) {
			t.Errorf("summary %q", p.Summary)
		}
		if len(x.liveMinted()) != 1 {
			t.Fatal("the key is gone, though nobody could delete it")
		}
		// The broker (its reaper runs whether or not it serves) still
		// deletes it at its TTL.
		x.clk.Add(time.Hour + time.Minute)
		if st, err := x.b.Reaper().Reap(t.Context()); err != nil || st.Deleted != 1 || len(x.liveMinted()) != 0 {
			t.Errorf("reap: %+v %v", st, err)
		}
		x.assertNoLeak(main, p)
	})
}

// TestBrokerAnswersNotHandedOn: a broker (here a hand-written one) that
// answers a key the step must not hand on, one that could mint keys, one
// broader than asked, one that cannot be masked as one value, gets it
// deleted again, and the step fails saying why; nothing reaches the
// outputs or the environment.
func TestBrokerAnswersNotHandedOn(t *testing.T) {
	t.Parallel()
	key := vasttestKey
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	name := keyname.Name{Repository: "acme/gpu-tests", RunID: 9876543210, Attempt: 1, Job: "train", Label: "vast", Expires: exp, Nonce: "abcdef", Broker: true}.String()
	tests := []struct {
		name, value, perms, asked, want string
	}{
		{"user_write", key(), `{"api":{"user_write":{},"user_read":{}}}`, "", "with user_write or full access"},
		{"broader than asked", key(), `{"api":{"instance_read":{},"instance_write":{},"misc":{}}}`, `{"api":{"instance_read":{}}}`, "with more permissions than asked (broader: api.instance_write, api.misc"},
		{"a value with a line break", key() + "\nx", `{"api":{"instance_read":{}}}`, "", "with a value that is not a Vast key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			deletes := 0
			fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch {
				case r.Method == http.MethodPost && r.URL.Path == "/v1/keys":
					w.WriteHeader(http.StatusCreated)
					json.NewEncoder(w).Encode(map[string]any{"id": 7, "name": name, "key": tt.value, "expires_at": exp.Format(time.RFC3339), "permissions": json.RawMessage(tt.perms), "rule": "r"})
				case r.Method == http.MethodDelete && r.URL.Path == "/v1/keys/7":
					mu.Lock()
					deletes++
					mu.Unlock()
					json.NewEncoder(w).Encode(map[string]any{"id": 7, "state": "revoked"})
				default:
					http.NotFound(w, r)
				}
			}))
			defer fake.Close()
			x := newE2E(t, "in-process")
			tokens := x.job.GrantIDTokens(oidctest.NewServer(t))
			defer tokens.Close()
			with := map[string]string{"api-key": "", "broker-url": fake.URL}
			if tt.asked != "" {
				with["permissions"] = tt.asked
			}
			main := x.step("vast", with)
			if main.Code != 1 || !strings.Contains(main.Stdout, tt.want) || !strings.Contains(main.Stdout, "it is not handed on; key 7 was deleted again") {
				t.Errorf("main = %d %q\nwant %q", main.Code, main.Stdout, tt.want)
			}
			if len(main.Outputs) != 0 || len(main.Exported) != 0 || strings.Contains(main.Stdout, "add-mask") {
				t.Errorf("handed on: outputs %v, env %v, stdout %q", main.Outputs, main.Exported, main.Stdout)
			}
			assertNoSecret(t, "main step", main.Stdout+main.Stderr, strings.Split(tt.value, "\n")[0])
			mu.Lock()
			defer mu.Unlock()
			if deletes != 1 {
				t.Errorf("%d deletes at the broker, want 1", deletes)
			}
		})
	}
}

// vasttestKey is a key-shaped value made at run time.
func vasttestKey() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// TestSweepBackstopsTheBroker: sweep deletes an expired broker key (the
// broker's reaper being down) as it does the Action's, leaves a live one,
// and never touches a name that only starts like the broker's; the broker
// then finds the key gone.
func TestSweepBackstopsTheBroker(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	user := srv.LiveKeys()[0].UserID
	now := time.Now().UTC().Truncate(time.Second)
	ro := `{"api":{"instance_read":{}}}`
	name := func(exp time.Time, broker bool) string {
		return keyname.Name{Repository: "acme/gpu-tests", RunID: 42, Attempt: 1, Job: "train", Label: "vast", Expires: exp, Nonce: keyname.NewNonce(), Broker: broker}.String()
	}
	expiredBroker, _ := srv.AddKey(user, name(now.Add(-time.Hour), true), ro)
	expiredAction, _ := srv.AddKey(user, name(now.Add(-time.Hour), false), ro)
	liveBroker, _ := srv.AddKey(user, name(now.Add(time.Hour), true), ro)
	lookalike, _ := srv.AddKey(user, "vastguard-broker:acme/gpu-tests:run-42-1:train:vast:exp-20200101T000000Z", ro)
	r := runCLI(t, vars, "sweep")
	if r.code != 0 || !strings.Contains(r.stdout, "2 expired vastguard keys deleted; 1 not expired yet; 2 other keys left alone.") {
		t.Errorf("sweep = %d %q %q", r.code, r.stdout, r.stderr)
	}
	var live []int64
	for _, k := range srv.LiveKeys() {
		live = append(live, k.ID)
	}
	for _, id := range []int64{expiredBroker, expiredAction} {
		if slices.Contains(live, id) {
			t.Errorf("expired key %d is still live", id)
		}
	}
	for _, id := range []int64{liveBroker, lookalike} {
		if !slices.Contains(live, id) {
			t.Errorf("key %d was deleted", id)
		}
	}
}
