package broker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vastguard/vastguard/internal/broker"
	"github.com/vastguard/vastguard/internal/broker/oidctest"
	"github.com/vastguard/vastguard/internal/broker/store"
	"github.com/vastguard/vastguard/internal/broker/store/storetest"
	"github.com/vastguard/vastguard/internal/broker/wire"
	"github.com/vastguard/vastguard/vast"
	"github.com/vastguard/vastguard/vast/vasttest"
)

const audience = "https://vast-broker.example.com"

var epoch = time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)

// clock is the one clock of a test: issuer, broker and Vast fake.
// It stands still unless moved (Add), or, when scaled, runs scale times
// faster than real time.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	scale float64   // 0: stands still
	start time.Time // real time at t, when scaled
}

// scaledClock runs from epoch scale times faster than real time, so a
// test can honour Vast's rate limits (seconds) in milliseconds.
func scaledClock(scale float64) *clock {
	return &clock{t: epoch, scale: scale, start: time.Now()}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.scale > 0 {
		return c.t.Add(time.Duration(float64(time.Since(c.start)) * c.scale))
	}
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Sleep advances a still clock to the end of the wait instead of waiting,
// so paced calls take no real time; a scaled clock sleeps d/scale.
func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	scale := c.scale
	if scale == 0 {
		c.t = c.t.Add(d)
	}
	c.mu.Unlock()
	if scale > 0 {
		t := time.NewTimer(time.Duration(float64(d) / scale))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// namer is a test name scheme: the real one (internal/keyname) is wired by
// the command.
type namer struct{ n atomic.Int64 }

const namePrefix = "vgbroker-test:"

func (n *namer) Name(p broker.NameParts) string {
	return fmt.Sprintf("%s%s:run-%d-%d:%s:%s:exp-%s:%d", namePrefix, p.Repository, p.RunID, p.Attempt, p.Job, p.Label, p.Expires.UTC().Format("20060102T150405Z"), n.n.Add(1))
}

func (n *namer) Minted(name string) bool { return strings.HasPrefix(name, namePrefix) }

// syncBuffer collects log output from concurrent goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const testPolicy = `
rules:
  - name: gpu-tests
    match:
      repository: acme/gpu-tests
      ref: refs/heads/main
    permissions: instance-management
    max_ttl: 2h
    default_ttl: 1h
    max_live_keys: 3
  - name: reader
    match:
      repository_owner: acme
    permissions: read-only
    max_ttl: 30m
    max_live_keys: 100
`

type harness struct {
	t      testing.TB
	clk    *clock
	iss    *oidctest.Issuer
	fake   *vasttest.Server
	mgmt   string // the management key's value
	mgmtID int64
	user   int64 // the account's user id
	cfg    broker.Config
	dsn    string
	db     *store.DB   // the store, opened by the harness
	st     store.Store // what the broker uses (db, or a wrapper)
	b      *broker.Broker
	srv    *httptest.Server
	logs   *syncBuffer
	namer  *namer
	names  broker.Namer // if set, used instead of namer
	policy string
	wrap   func(store.Store) store.Store
	edit   func(*broker.Config)
}

type option func(*harness)

type brokerConfig = broker.Config

// withStore wraps the harness's store before the broker gets it.
func withStore(wrap func(store.Store) store.Store) option {
	return func(h *harness) { h.wrap = wrap }
}

// withConfig edits the config before the broker starts.
func withConfig(edit func(*broker.Config)) option {
	return func(h *harness) { h.edit = edit }
}

// withDSN uses a given store DSN (another broker's, to share its database).
func withDSN(dsn string) option { return func(h *harness) { h.dsn = dsn } }

// withFake uses a given Vast fake and management key.
func withFake(f *vasttest.Server, key string) option {
	return func(h *harness) { h.fake, h.mgmt = f, key }
}

func withPolicy(p string) option { return func(h *harness) { h.policy = p } }

// withNames uses a given name scheme instead of the test's.
func withNames(n broker.Namer) option { return func(h *harness) { h.names = n } }

func withClock(c *clock) option { return func(h *harness) { h.clk = c } }

func withIssuer(i *oidctest.Issuer) option { return func(h *harness) { h.iss = i } }

func newHarness(t testing.TB, opts ...option) *harness {
	t.Helper()
	h := &harness{t: t, logs: &syncBuffer{}, namer: &namer{}}
	for _, o := range opts {
		o(h)
	}
	if h.clk == nil {
		h.clk = &clock{t: epoch}
	}
	if h.iss == nil {
		h.iss = oidctest.NewServer(t, oidctest.WithClock(h.clk.Now))
	}
	if h.fake == nil {
		h.fake = vasttest.NewServer(t, vasttest.WithClock(h.clk.Now))
		_, h.mgmt = h.fake.AddAccount("owner@example.com")
	}
	for _, k := range h.fake.LiveKeys() {
		if k.Value == h.mgmt {
			h.mgmtID, h.user = k.ID, k.UserID
		}
	}
	if h.dsn == "" {
		h.dsn = storetest.TestSQLite(t)
	}
	dir := t.TempDir()
	policyPath := filepath.Join(dir, "policy.yaml")
	if h.policy == "" {
		h.policy = testPolicy
	}
	if err := os.WriteFile(policyPath, []byte(h.policy), 0o600); err != nil {
		t.Fatal(err)
	}
	h.cfg = broker.Config{
		Store:            h.dsn,
		Audience:         audience,
		Issuers:          []string{h.iss.URL},
		PolicyFile:       policyPath,
		ManagementKeyEnv: "VAST_MANAGEMENT_KEY",
		VastURL:          h.fake.URL,
		CreateInterval:   -1,
		DeleteInterval:   -1,
		ListInterval:     -1,
		RatePerMinute:    600,
		RateBurst:        100,
	}
	db, err := store.Open(context.Background(), h.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h.db, h.st = db, db
	if h.wrap != nil {
		h.st = h.wrap(db)
	}
	if h.edit != nil {
		h.edit(&h.cfg)
	}
	h.start()
	return h
}

// start builds the broker (again, after stop: a restart).
func (h *harness) start() {
	h.t.Helper()
	getenv := func(k string) string {
		if k == "VAST_MANAGEMENT_KEY" {
			return h.mgmt
		}
		return ""
	}
	vc, err := broker.NewVastClient(h.cfg, getenv, nil,
		vast.WithSleep(func(ctx context.Context, d time.Duration) error { return ctx.Err() }),
		vast.WithJitter(func() float64 { return 0.5 }))
	if err != nil {
		h.t.Fatal(err)
	}
	var names broker.Namer = h.namer
	if h.names != nil {
		names = h.names
	}
	h.b, err = broker.New(context.Background(), h.cfg, broker.Deps{
		Vast: vc, Namer: names, Store: h.st, Now: h.clk.Now, Sleep: h.clk.Sleep,
		Logger: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.srv = httptest.NewServer(h.b.Handler())
	h.t.Cleanup(h.srv.Close)
}

// stop takes the broker down as a crash would: nothing is flushed.
func (h *harness) stop() {
	h.srv.Close()
	h.b.Close()
}

// token signs a token for job with the broker's audience.
func (h *harness) token(j oidctest.Job) string {
	j.Audience = audience
	return h.iss.Sign(h.iss.Claims(j))
}

type answer struct {
	status int
	header http.Header
	body   []byte
	err    wire.ErrorResponse
	mint   wire.MintResponse
	del    wire.DeleteResponse
}

func (h *harness) do(method, path, token, contentType, body string) answer {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	a.body, _ = io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode >= 400:
		json.Unmarshal(a.body, &a.err)
	case method == http.MethodPost:
		json.Unmarshal(a.body, &a.mint)
	case method == http.MethodDelete:
		json.Unmarshal(a.body, &a.del)
	}
	return a
}

func (h *harness) mint(token, body string) answer {
	h.t.Helper()
	return h.do(http.MethodPost, "/v1/keys", token, "application/json", body)
}

func (h *harness) delete(token string, id int64) answer {
	h.t.Helper()
	return h.do(http.MethodDelete, fmt.Sprintf("/v1/keys/%d", id), token, "", "")
}

// minted returns the live keys in the fake other than the management key.
func (h *harness) minted() []vasttest.Key {
	var out []vasttest.Key
	for _, k := range h.fake.LiveKeys() {
		if k.ID != h.mgmtID && k.Value != h.mgmt {
			out = append(out, k)
		}
	}
	return out
}

// creates counts create requests the fake received.
func (h *harness) creates() int {
	n := 0
	for _, r := range h.fake.Requests() {
		if r.Method == http.MethodPost && r.Path == "/api/v0/auth/apikeys/" {
			n++
		}
	}
	return n
}

// deletes counts DELETE requests per key id.
func (h *harness) deletes() map[string]int {
	out := map[string]int{}
	for _, r := range h.fake.Requests() {
		if r.Method == http.MethodDelete {
			out[r.Path]++
		}
	}
	return out
}

func (h *harness) record(id int64) store.Key {
	h.t.Helper()
	k, err := h.db.Key(context.Background(), id)
	if err != nil {
		h.t.Fatalf("record %d: %v", id, err)
	}
	return k
}

func (h *harness) events(kind string) []store.Event {
	h.t.Helper()
	all, err := h.db.Events(context.Background(), 0)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []store.Event
	for _, e := range all {
		if kind == "" || e.Event == kind {
			out = append(out, e)
		}
	}
	return out
}

// assertNoSecrets checks that no minted key value and not the management
// key appear in the logs, the metrics, or the store's tables.
func (h *harness) assertNoSecrets() {
	h.t.Helper()
	metrics := h.do(http.MethodGet, "/metrics", "", "", "")
	var dump strings.Builder
	for _, e := range h.events("") {
		fmt.Fprintf(&dump, "%+v\n", e)
	}
	if open, err := h.db.OpenKeys(context.Background()); err == nil {
		for _, k := range open {
			fmt.Fprintf(&dump, "%+v\n", k)
		}
	}
	for _, k := range h.fake.Keys() {
		for where, text := range map[string]string{"log": h.logs.String(), "metrics": string(metrics.body), "store": dump.String()} {
			if strings.Contains(text, k.Value) {
				h.t.Errorf("the value of key %d (%s) appears in the %s", k.ID, k.Name, where)
			}
		}
	}
}

func (h *harness) userID() int64 { return h.user }

// vastClient is a management-key client of the fake, for acting behind the
// broker's back.
func vastClient(t testing.TB, h *harness) *vast.Client {
	t.Helper()
	c, err := vast.New(h.mgmt, vast.WithBaseURL(h.fake.URL), vast.WithSleep(func(ctx context.Context, d time.Duration) error { return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
