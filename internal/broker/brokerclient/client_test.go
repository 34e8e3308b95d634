package brokerclient_test

import (
	"context"
	"errors"
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

	"github.com/google/go-cmp/cmp"

	"github.com/vastguard/vastguard/internal/broker"
	"github.com/vastguard/vastguard/internal/broker/brokerclient"
	"github.com/vastguard/vastguard/internal/broker/oidctest"
	"github.com/vastguard/vastguard/internal/broker/store/storetest"
	"github.com/vastguard/vastguard/internal/broker/wire"
	"github.com/vastguard/vastguard/vast/vasttest"
)

const audience = "https://vast-broker.example.com"

type namer struct{ n atomic.Int64 }

func (n *namer) Name(p broker.NameParts) string {
	return fmt.Sprintf("vgbroker-test:%s:%d:%d", p.Repository, p.RunID, n.n.Add(1))
}
func (n *namer) Minted(name string) bool { return strings.HasPrefix(name, "vgbroker-test:") }

// startBroker runs a real broker against the Vast fake.
func startBroker(t *testing.T) (*httptest.Server, *oidctest.Issuer, *vasttest.Server) {
	t.Helper()
	iss := oidctest.NewServer(t)
	fake := vasttest.NewServer(t)
	_, key := fake.AddAccount("owner@example.com")
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	os.WriteFile(pol, []byte("rules:\n  - name: ci\n    match: {repository: acme/gpu-tests}\n    permissions: instance-management\n    max_ttl: 2h\n"), 0o600)
	cfg := broker.Config{Store: storetest.TestSQLite(t), Audience: audience, Issuers: []string{iss.URL}, PolicyFile: pol,
		ManagementKeyEnv: "K", VastURL: fake.URL, CreateInterval: -1, DeleteInterval: -1, ListInterval: -1}
	vc, err := broker.NewVastClient(cfg, func(string) string { return key }, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(context.Background(), cfg, broker.Deps{Vast: vc, Namer: &namer{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(srv.Close)
	return srv, iss, fake
}

func TestMintAndDeleteThroughTheBroker(t *testing.T) {
	t.Parallel()
	srv, iss, fake := startBroker(t)
	c, err := brokerclient.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tok := iss.Sign(iss.Claims(oidctest.Job{Audience: audience}))
	k, err := c.Mint(context.Background(), tok, brokerclient.MintRequest{Permissions: `{"api": {"instance_read": {}}}`, TTL: 30 * time.Minute, Label: "train"})
	if err != nil {
		t.Fatal(err)
	}
	fk, ok := fake.Key(k.ID)
	if !ok || fk.Value != k.Secret.Reveal() || fk.Name != k.Name || k.Rule != "ci" || time.Until(k.ExpiresAt) < 29*time.Minute {
		t.Errorf("key = %+v", k)
	}
	if s := fmt.Sprintf("%v %+v", k, k); strings.Contains(s, fk.Value) {
		t.Errorf("formatting the key shows its value: %s", s)
	}
	state, err := c.Delete(context.Background(), tok, k.ID)
	if err != nil || state != "revoked" {
		t.Fatalf("Delete = %q, %v", state, err)
	}
	if fk, _ := fake.Key(k.ID); !fk.Deleted {
		t.Errorf("not deleted")
	}

	// Refusals come back typed.
	_, err = c.Mint(context.Background(), iss.Sign(iss.Claims(oidctest.Job{Audience: audience, Repository: "evil/x"})), brokerclient.MintRequest{})
	var be *brokerclient.Error
	if !errors.Is(err, brokerclient.ErrDenied) || !errors.As(err, &be) || be.Code != wire.CodePolicyDenied {
		t.Errorf("other repository: %v", err)
	}
	_, err = c.Mint(context.Background(), iss.Sign(iss.Claims(oidctest.Job{})), brokerclient.MintRequest{})
	if !errors.Is(err, brokerclient.ErrUnauthenticated) || !errors.As(err, &be) || be.Code != wire.CodeWrongAudience {
		t.Errorf("default audience: %v", err)
	}
	_, err = c.Mint(context.Background(), tok, brokerclient.MintRequest{TTL: 5 * time.Hour})
	if !errors.Is(err, brokerclient.ErrDenied) || !errors.As(err, &be) || be.Code != wire.CodeTTLTooLong {
		t.Errorf("ttl too long: %v", err)
	}
	_, err = c.Delete(context.Background(), tok, 424242)
	if !errors.Is(err, brokerclient.ErrNotFound) {
		t.Errorf("unknown key: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), tok) {
		t.Errorf("error holds the token")
	}
}

// fakeBroker answers from a script, one answer per request, and records
// the requests.
type fakeBroker struct {
	mu      sync.Mutex
	answers []func(w http.ResponseWriter)
	reqs    []*http.Request
	bodies  []string
}

func (f *fakeBroker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.bodies = append(f.bodies, string(body))
	var a func(http.ResponseWriter)
	if len(f.answers) > 0 {
		a, f.answers = f.answers[0], f.answers[1:]
	}
	f.mu.Unlock()
	if a == nil {
		http.Error(w, "script ran out", 500)
		return
	}
	a(w)
}

func refuse(status int, code, msg string, retryAfter string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"code": %q, "message": %q}`, code, msg)
	}
}

func minted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(201)
	fmt.Fprint(w, `{"id": 77, "name": "n", "key": "k-value-for-tests-only", "expires_at": "2026-11-26T19:00:00Z", "permissions": {"api": {}}, "rule": "ci"}`)
}

func deleted(w http.ResponseWriter) {
	fmt.Fprint(w, `{"id": 77, "state": "revoked"}`)
}

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
	t  time.Time
}

func (s *sleeps) now() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.t }
func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	s.t = s.t.Add(d)
	return nil
}

func client(t *testing.T, f *fakeBroker, r brokerclient.Retry) (*brokerclient.Client, *sleeps) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	s := &sleeps{t: time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)}
	c, err := brokerclient.New(srv.URL+"/", brokerclient.WithRetry(r), brokerclient.WithClock(s.now, s.sleep))
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func TestMintRetries(t *testing.T) {
	t.Parallel()
	retry := brokerclient.Retry{Budget: time.Minute, BaseDelay: time.Second, MaxDelay: 4 * time.Second}
	t.Run("waits for Retry-After on 503 and 429", func(t *testing.T) {
		t.Parallel()
		f := &fakeBroker{answers: []func(http.ResponseWriter){
			refuse(503, wire.CodeVastUnavailable, "queue", "7"),
			refuse(429, wire.CodeRateLimited, "slow down", "3"),
			minted,
		}}
		c, s := client(t, f, retry)
		k, err := c.Mint(context.Background(), "tok", brokerclient.MintRequest{Permissions: "read-only", TTL: 90 * time.Minute, Label: "x", Job: "j"})
		if err != nil || k.ID != 77 || k.Secret.Reveal() != "k-value-for-tests-only" {
			t.Fatalf("Mint = %+v, %v", k, err)
		}
		if diff := cmp.Diff([]time.Duration{7 * time.Second, 3 * time.Second}, s.d); diff != "" {
			t.Errorf("sleeps (-want +got):\n%s", diff)
		}
		if got, want := f.bodies[0], `{"permissions":"read-only","ttl":"1h30m0s","label":"x","job":"j"}`; got != want {
			t.Errorf("body %s, want %s", got, want)
		}
		r := f.reqs[0]
		if r.URL.Path != "/v1/keys" || r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %v", r.URL.Path, r.Header)
		}
	})
	t.Run("gives up when the budget is spent", func(t *testing.T) {
		t.Parallel()
		var answers []func(http.ResponseWriter)
		for range 20 {
			answers = append(answers, refuse(503, wire.CodeStoreUnavailable, "db", "30"))
		}
		c, _ := client(t, &fakeBroker{answers: answers}, retry)
		_, err := c.Mint(context.Background(), "tok", brokerclient.MintRequest{})
		var be *brokerclient.Error
		if !errors.Is(err, brokerclient.ErrUnavailable) || !errors.As(err, &be) || be.Code != wire.CodeStoreUnavailable || be.RetryAfter != 30*time.Second {
			t.Errorf("Mint = %v", err)
		}
	})
	t.Run("a 500 or a refusal is not repeated", func(t *testing.T) {
		t.Parallel()
		for _, a := range []func(http.ResponseWriter){refuse(500, wire.CodeInternal, "boom", ""), refuse(403, wire.CodePolicyDenied, "no", ""), refuse(502, wire.CodeVastRefused, "bad key", "")} {
			f := &fakeBroker{answers: []func(http.ResponseWriter){a, minted}}
			c, _ := client(t, f, retry)
			if _, err := c.Mint(context.Background(), "tok", brokerclient.MintRequest{}); err == nil || len(f.reqs) != 1 {
				t.Errorf("Mint = %v after %d requests", err, len(f.reqs))
			}
		}
	})
	t.Run("a JSON permissions object is sent as an object", func(t *testing.T) {
		t.Parallel()
		f := &fakeBroker{answers: []func(http.ResponseWriter){minted}}
		c, _ := client(t, f, retry)
		if _, err := c.Mint(context.Background(), "tok", brokerclient.MintRequest{Permissions: `{"api": {"misc": {}}}`}); err != nil {
			t.Fatal(err)
		}
		if got, want := f.bodies[0], `{"permissions":{"api":{"misc":{}}}}`; got != want {
			t.Errorf("body %s, want %s", got, want)
		}
		if _, err := c.Mint(context.Background(), "tok", brokerclient.MintRequest{Permissions: `{"api": `}); err == nil {
			t.Errorf("bad JSON sent")
		}
	})
}

func TestDeleteRetries(t *testing.T) {
	t.Parallel()
	f := &fakeBroker{answers: []func(http.ResponseWriter){
		refuse(500, wire.CodeInternal, "boom", ""),
		func(w http.ResponseWriter) { panic(http.ErrAbortHandler) }, // dropped connection
		refuse(503, wire.CodeVastUnavailable, "vast", "2"),
		deleted,
	}}
	c, s := client(t, f, brokerclient.Retry{Budget: time.Minute, BaseDelay: time.Second, MaxDelay: 4 * time.Second})
	state, err := c.Delete(context.Background(), "tok", 77)
	if err != nil || state != "revoked" || len(f.reqs) != 4 {
		t.Fatalf("Delete = %q, %v after %d requests", state, err, len(f.reqs))
	}
	if f.reqs[0].Method != "DELETE" || f.reqs[0].URL.Path != "/v1/keys/77" {
		t.Errorf("request %s %s", f.reqs[0].Method, f.reqs[0].URL.Path)
	}
	if len(s.d) != 3 || s.d[2] != 2*time.Second {
		t.Errorf("sleeps %v", s.d)
	}
}

func TestNoRedirectsNoLeaks(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	f := &fakeBroker{answers: []func(http.ResponseWriter){
		func(w http.ResponseWriter) {
			w.Header().Set("Location", other.URL+"/steal")
			w.WriteHeader(http.StatusTemporaryRedirect)
		},
		refuse(401, wire.CodeInvalidToken, "bad token tok-SECRET-VALUE\x1b[2J", ""),
	}}
	c, _ := client(t, f, brokerclient.Retry{})
	_, err := c.Mint(context.Background(), "tok-SECRET-VALUE", brokerclient.MintRequest{})
	if err == nil || !strings.Contains(err.Error(), "redirect, which is not followed") || elsewhere.Load() != 0 {
		t.Errorf("redirect: %v (requests elsewhere: %d)", err, elsewhere.Load())
	}
	_, err = c.Mint(context.Background(), "tok-SECRET-VALUE", brokerclient.MintRequest{})
	if err == nil || strings.Contains(err.Error(), "tok-SECRET-VALUE") || strings.Contains(err.Error(), "\x1b") {
		t.Errorf("error = %q", err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"https://broker.example.com", ""},
		{"https://broker.example.com/vast/", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://localhost:8080", ""},
		{"http://broker.example.com", `broker-url "http://broker.example.com" must start with https:// (http:// only to a loopback address)`},
		{"broker.example.com", `broker-url "broker.example.com" is not a URL such as https://vast-broker.example.com`},
		{"https://u:p@broker.example.com", "broker-url must not carry credentials, a query or a fragment"},
		{"https://broker.example.com/?x=1", "broker-url must not carry credentials, a query or a fragment"},
	} {
		_, err := brokerclient.New(tt.in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("New(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
