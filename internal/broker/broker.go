// Package broker is `vastguard broker`: a small HTTP service, run by the
// Vast account's owner, that holds the management key and mints short-lived
// Vast keys for GitHub Actions workflows that prove who they are with the
// job's OIDC token. No repository then stores a management key.
//
// A mint is decided by a deny-by-default policy (package policy) on the
// token's verified claims (package identity). Every key minted is recorded
// (package store) before it is created, and deleted at its expiry by the
// reaper whether or not the job's post step ran; reconcile compares the
// account's key list with the records and deletes keys that carry the
// broker's names but have no record. The API:
//
//	POST   /v1/keys       mint (body wire.MintRequest; answer wire.MintResponse, the only place a key's value is sent)
//	DELETE /v1/keys/{id}  delete a key minted for the same repository and run
//	GET    /healthz       200 when the store answers
//	GET    /metrics       Prometheus
//
// Errors are JSON wire.ErrorResponse with stable codes (package wire). No
// key value reaches a log line, a metric, an error or the store.
//
// Every side effect comes in through Deps: the Vast client, the store, the
// HTTP client for OIDC discovery and keys, the clock and sleep, the logger,
// file reading, and the name scheme of minted keys. broker imports vast and
// its own subpackages; it must not import the CLI or Action front ends.
package broker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/vastguard/vastguard/internal/broker/identity"
	"github.com/vastguard/vastguard/internal/broker/policy"
	"github.com/vastguard/vastguard/internal/broker/store"
)

// NameParts are what a minted key's name is built from.
type NameParts struct {
	Repository string // OWNER/REPO from the token
	RunID      int64
	Attempt    int64
	Job        string // from the request (GITHUB_JOB); "" if not given
	Label      string // from the request; "" if not given
	Expires    time.Time
}

// Namer is the name scheme of the keys the broker mints; the project's key
// names (internal/keyname) provide it. Names must be unique per call (they
// carry a nonce), at most vast.MaxNameLength long, and recognisable:
// reconcile deletes a key with no record only when Minted says the broker
// made it. The scheme must therefore tell the broker's keys apart from keys
// the Action mints directly with a management key, or reconcile would
// delete those.
type Namer interface {
	Name(p NameParts) string
	Minted(name string) bool
}

// Deps are the broker's side effects.
type Deps struct {
	// Vast is the management-key client (NewVastClient builds it).
	// Required.
	Vast VastAPI
	// Namer builds and recognises key names. Required.
	Namer Namer
	// Store, if set, is used instead of opening the config's DSN (the
	// broker then does not close it).
	Store store.Store
	// HTTPClient fetches OIDC discovery documents and keys; nil means a
	// client with a 10 s timeout.
	HTTPClient *http.Client
	// Now and Sleep are the clock; nil means time.Now and a timer.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives the broker's log; nil discards it.
	Logger *slog.Logger
	// Getenv reads store_env; nil means os.Getenv.
	Getenv func(string) string
	// ReadFile reads the policy (at New and on Reload); nil means
	// os.ReadFile.
	ReadFile func(string) ([]byte, error)
	// Replica names this process in leases; "" means host-pid-random.
	Replica string
}

// Broker is a configured broker. Its Handler serves the API; its Reaper
// must run beside it (Serve does both).
type Broker struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	readFile func(string) ([]byte, error)
	namer    Namer
	verifier *identity.Verifier
	policy   atomic.Pointer[policy.Policy]
	store    store.Store
	ownStore bool
	vast     *pacer
	limits   *repoLimits
	metrics  *metrics
	// auditDenials bounds audit rows for unverified tokens, which anyone can
	// send.
	auditDenials *rate.Limiter
	replica      string
	reaper       *Reaper
	handler      http.Handler
}

// New validates cfg, loads the policy, opens the store (migrating it) and
// returns a broker. ctx bounds only the opening.
func New(ctx context.Context, cfg Config, deps Deps) (*Broker, error) {
	if err := cfg.validate(""); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if deps.Vast == nil {
		return nil, errors.New("broker: no Vast client")
	}
	if deps.Namer == nil {
		return nil, errors.New("broker: no key namer")
	}
	b := &Broker{cfg: cfg, log: deps.Logger, now: deps.Now, sleep: deps.Sleep, readFile: deps.ReadFile, namer: deps.Namer, replica: deps.Replica}
	if b.log == nil {
		b.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.sleep == nil {
		b.sleep = sleep
	}
	if b.readFile == nil {
		b.readFile = os.ReadFile
	}
	if b.replica == "" {
		host, _ := os.Hostname()
		var r [4]byte
		rand.Read(r[:])
		b.replica = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(r[:]))
	}
	getenv := deps.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	p, err := b.loadPolicy()
	if err != nil {
		return nil, err
	}
	b.policy.Store(p)
	if len(p.Rules()) == 0 {
		b.log.Warn("the policy has no rules: every request will be denied", "policy", cfg.policyPath())
	}
	v, err := identity.New(identity.Config{Issuers: cfg.Issuers, Audience: cfg.Audience, Skew: cfg.ClockSkew, Now: b.now, HTTPClient: deps.HTTPClient})
	if err != nil {
		return nil, err
	}
	b.verifier = v
	b.store = deps.Store
	if b.store == nil {
		dsn, err := cfg.StoreDSN(getenv)
		if err != nil {
			return nil, err
		}
		db, err := store.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		b.store, b.ownStore = db, true
	}
	b.metrics = newMetrics(b.store)
	b.metrics.rules.Set(float64(len(p.Rules())))
	b.vast = newPacer(deps.Vast, cfg, b.now, b.sleep, func(op string, waited time.Duration, err error) {
		b.metrics.vastCalls.WithLabelValues(op, vastOutcome(err)).Inc()
		b.metrics.vastWait.WithLabelValues(op).Observe(waited.Seconds())
	})
	b.limits = newRepoLimits(cfg.RatePerMinute, cfg.RateBurst)
	b.auditDenials = rate.NewLimiter(5, 50)
	b.reaper = &Reaper{b: b, firstSeen: map[int64]time.Time{}}
	b.handler = b.routes()
	return b, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *Broker) loadPolicy() (*policy.Policy, error) {
	path := b.cfg.policyPath()
	data, err := b.readFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return policy.Parse(path, data, policy.Options{Issuers: b.cfg.Issuers})
}

// Reload reads the policy file again. On any error the policy in force
// stays, and the error (one line, naming the file and field) says why. The
// command calls it on SIGHUP.
func (b *Broker) Reload() error {
	p, err := b.loadPolicy()
	if err != nil {
		b.metrics.reloads.WithLabelValues("error").Inc()
		b.log.Error("policy reload failed; keeping the policy in force", "error", err)
		return err
	}
	b.policy.Store(p)
	b.metrics.reloads.WithLabelValues("ok").Inc()
	b.metrics.rules.Set(float64(len(p.Rules())))
	b.log.Info("policy reloaded", "rules", len(p.Rules()))
	return nil
}

// Handler serves the API.
func (b *Broker) Handler() http.Handler { return b.handler }

// Reaper returns the broker's reaper.
func (b *Broker) Reaper() *Reaper { return b.reaper }

// Config returns the configuration in force, defaults filled in.
func (b *Broker) Config() Config { return b.cfg }

// Serve serves the API on ln and runs the reaper until ctx ends, then shuts
// down gracefully (in-flight mints finish, up to mint_timeout).
func (b *Broker) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           b.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      b.cfg.MintTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    identity.MaxTokenSize + 16<<10,
		ErrorLog:          slog.NewLogLogger(b.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	reaperDone := make(chan struct{})
	go func() {
		defer close(reaperDone)
		b.reaper.Run(ctx)
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	b.log.Info("broker listening", "addr", ln.Addr().String(), "issuers", b.cfg.Issuers, "audience", b.cfg.Audience)
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), b.cfg.MintTimeout+5*time.Second)
		defer cancel()
		err = srv.Shutdown(sctx)
	}
	<-reaperDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close closes the store if the broker opened it.
func (b *Broker) Close() error {
	if b.ownStore {
		return b.store.Close()
	}
	return nil
}

// repoLimits is a token bucket per repository.
type repoLimits struct {
	perMinute float64
	burst     int
	mu        sync.Mutex
	m         map[string]*repoLimit
}

type repoLimit struct {
	l    *rate.Limiter
	used time.Time
}

func newRepoLimits(perMinute float64, burst int) *repoLimits {
	return &repoLimits{perMinute: perMinute, burst: burst, m: map[string]*repoLimit{}}
}

// allow takes a token for repo at now, or says how long until one is free.
func (r *repoLimits) allow(repo string, now time.Time) (bool, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.m) > 10000 {
		for k, v := range r.m {
			if now.Sub(v.used) > time.Hour {
				delete(r.m, k)
			}
		}
	}
	e := r.m[repo]
	if e == nil {
		e = &repoLimit{l: rate.NewLimiter(rate.Limit(r.perMinute/60), r.burst)}
		r.m[repo] = e
	}
	e.used = now
	res := e.l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}
