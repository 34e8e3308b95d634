package demo

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vastguard/vastguard/internal/broker"
	"github.com/vastguard/vastguard/internal/broker/oidctest"
	"github.com/vastguard/vastguard/internal/ghactions/runnertest"
)

// demoPolicy is the broker's policy in the demo.
const demoPolicy = `rules:
  - name: gpu-tests-main
    match:
      repository: acme/gpu-tests
      ref: refs/heads/main
    permissions: instance-management
    max_ttl: 3h
    default_ttl: 1h
`

// demoClock is the broker's and the issuer's clock: the demo's, plus time
// the chapter fast-forwards.
type demoClock struct {
	now    func() time.Time
	mu     sync.Mutex
	offset time.Duration
}

func (c *demoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now().Add(c.offset)
}

func (c *demoClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// lockedBuffer is the broker's log, written from its handler goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// take returns what was logged since the last take.
func (l *lockedBuffer) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
}

// demoBroker runs `vastguard broker`'s service in this process, with
// stand-ins for everything outside: an OIDC issuer shaped like GitHub's
// (oidctest) signs the job's token, the Vast fake is the account, and the
// broker's database is a SQLite file in the scratch directory. A job mints
// through it with no api-key, its runner "dies" before the post step, and
// the broker's reaper deletes the key at its TTL (the clock is
// fast-forwarded, not waited for).
func demoBroker(ctx context.Context, d *demo) error {
	clk := &demoClock{now: d.cfg.Now}
	iss := oidctest.New(oidctest.WithClock(clk.Now))
	iss.Start()
	defer iss.Close()
	dir := filepath.Join(d.dir, "broker")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(demoPolicy), 0o600); err != nil {
		return err
	}
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	cfg := broker.Config{
		Store: "sqlite:" + filepath.Join(dir, "broker.db"), Audience: url, Issuers: []string{iss.URL}, PolicyFile: policy,
		ManagementKeyEnv: "VAST_MANAGEMENT_KEY", VastURL: d.srv.URL,
		CreateInterval: -1, DeleteInterval: -1, ListInterval: -1, // the fake does not rate limit
	}
	vc, err := broker.NewVastClient(cfg, func(k string) string {
		if k == "VAST_MANAGEMENT_KEY" {
			return d.adminKey
		}
		return ""
	}, nil)
	if err != nil {
		return err
	}
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{} // the demo's clock is fast-forwarded: times would confuse
		}
		return a
	}}))
	b, err := broker.New(ctx, cfg, broker.Deps{Vast: vc, Namer: broker.KeyNames, Now: clk.Now, Logger: logger})
	if err != nil {
		return err
	}
	defer b.Close()
	srv.Config.Handler = b.Handler()
	srv.Start()
	defer srv.Close()
	showLog := func() {
		if s := strings.TrimSpace(logs.take()); s != "" {
			d.say("[broker log]")
			fmt.Fprint(d.out, indent(d.redact(s)))
		}
	}

	d.say(`THIS CHAPTER IS A DEMO of the broker's parts: an in-process OIDC issuer stands in for GitHub's
(token.actions.githubusercontent.com), the Vast fake for Vast, and a SQLite file in $DEMO for the
broker's database; the runner is runnertest's model of it. The broker and the Action, its request
for the job's OIDC token included, are the real code.

The account owner runs the broker (vastguard broker --config broker.yaml) with the management key;
no repository stores one. Its policy, deny by default:

%s
A job of acme/gpu-tests on main, with permissions: id-token: write, has this step:

  - id: vast
    uses: vastguard/vastguard@v1
    with:
      broker-url: %s
      ttl: 30m`, indent(demoPolicy), url)
	job, err := runnertest.NewJob(filepath.Join(d.dir, "runner-broker"), d.cfg.ActionDefaults, []string{"action"}, "/vastguard", "/vastguard-post", d.exec)
	if err != nil {
		return err
	}
	job.Env["GITHUB_REF"] = "refs/heads/main"
	tokens := job.GrantIDTokens(iss)
	defer tokens.Close()
	step, err := job.RunStep(ctx, "vast", map[string]string{"broker-url": url, "ttl": "30m"})
	if err != nil {
		return err
	}
	secret := step.Outputs["api-key"]
	d.showStep("main step: /vastguard action (it asked the runner for an OIDC token, then the broker for a key)", step, secret)
	if step.Code != 0 {
		showLog()
		return fmt.Errorf("main step failed with exit code %d", step.Code)
	}
	showLog()
	d.say("\nThe account now holds the key the broker minted for the job (its name starts vastguard-broker):")
	if _, err := d.vastguard(ctx, nil, "keys", "list"); err != nil {
		return err
	}

	d.say("\nThe runner dies here: the post step never runs, and no step of the job will delete the key.")
	d.say("The broker recorded it before creating it; fast-forward its clock 31 minutes, past the TTL, and")
	d.say("run one pass of its reaper (the broker runs one every 30 s):")
	clk.Add(31 * time.Minute)
	st, err := b.Reaper().Reap(ctx)
	if err != nil {
		return err
	}
	d.say("  reaped: %d deleted, %d already gone, %d failed", st.Deleted, st.AlreadyGone, st.Failed)
	showLog()
	if _, err := d.vastguard(ctx, nil, "keys", "list"); err != nil {
		return err
	}
	c, err := d.client(ctx, secret)
	if err != nil {
		return err
	}
	_, err = c.CurrentUser(ctx)
	d.say("The job's key is dead although its post step never ran; the API answers it with: %s", briefAPIError(err))
	if st.Deleted != 1 {
		return fmt.Errorf("the reaper deleted %d keys, want 1", st.Deleted)
	}
	return nil
}
