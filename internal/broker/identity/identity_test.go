package identity

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vastguard/vastguard/internal/broker/oidctest"
	"github.com/vastguard/vastguard/internal/broker/wire"
)

const aud = "https://vast-broker.example.com"

// clock is a settable clock shared by the issuer and the verifier.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func setup(t *testing.T, opts ...oidctest.Option) (*oidctest.Issuer, *Verifier, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)}
	iss := oidctest.NewServer(t, append([]oidctest.Option{oidctest.WithClock(clk.Now)}, opts...)...)
	v, err := New(Config{Issuers: []string{iss.URL}, Audience: aud, Skew: time.Minute, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return iss, v, clk
}

func code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return "untyped: " + err.Error()
	}
	return ""
}

func TestVerify(t *testing.T) {
	t.Parallel()
	iss, v, _ := setup(t)
	other := oidctest.NewServer(t)
	claims := func(edit func(map[string]any)) map[string]any {
		c := iss.Claims(oidctest.Job{Audience: aud})
		if edit != nil {
			edit(c)
		}
		return c
	}
	set := func(k string, val any) func(map[string]any) {
		return func(c map[string]any) {
			if val == nil {
				delete(c, k)
			} else {
				c[k] = val
			}
		}
	}
	now := time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"valid", iss.Sign(claims(nil)), ""},
		{"audience in a list", iss.Sign(claims(set("aud", []string{"other", aud}))), ""},
		{"expired", iss.Sign(claims(set("exp", now.Add(-2*time.Minute).Unix()))), wire.CodeTokenExpired},
		{"expired within skew", iss.Sign(claims(set("exp", now.Add(-30*time.Second).Unix()))), ""},
		{"no exp", iss.Sign(claims(set("exp", nil))), wire.CodeInvalidClaims},
		{"nbf beyond skew", iss.Sign(claims(set("nbf", now.Add(2*time.Minute).Unix()))), wire.CodeTokenNotYetValid},
		{"nbf far ahead", iss.Sign(claims(set("nbf", now.Add(time.Hour).Unix()))), wire.CodeTokenNotYetValid},
		{"nbf within skew", iss.Sign(claims(set("nbf", now.Add(30*time.Second).Unix()))), ""},
		{"iat in the future", iss.Sign(claims(set("iat", now.Add(3*time.Minute).Unix()))), wire.CodeTokenNotYetValid},
		{"no iat", iss.Sign(claims(set("iat", nil))), wire.CodeInvalidClaims},
		{"iat not a number", iss.Sign(claims(set("iat", "yesterday"))), wire.CodeInvalidClaims},
		{"wrong audience", iss.Sign(claims(set("aud", "https://github.com/acme"))), wire.CodeWrongAudience},
		{"no audience", iss.Sign(claims(set("aud", nil))), wire.CodeWrongAudience},
		{"wrong issuer", other.Sign(other.Claims(oidctest.Job{Audience: aud})), wire.CodeUnknownIssuer},
		{"trusted iss, other issuer's key", other.Sign(claims(nil)), wire.CodeInvalidToken},
		{"unknown key id", iss.SignUnpublished(claims(nil)), wire.CodeInvalidToken},
		{"published kid, wrong key", iss.SignWithKID("nope", claims(nil)), wire.CodeInvalidToken},
		{"alg none", iss.SignNone(claims(nil)), wire.CodeInvalidToken},
		{"HS256 with the public key", iss.SignHS256WithPublicKey(claims(nil)), wire.CodeInvalidToken},
		{"not a JWT", "hello", wire.CodeInvalidToken},
		{"empty", "", wire.CodeMissingToken},
		{"huge", strings.Repeat("a", MaxTokenSize+1), wire.CodeInvalidToken},
		{"signature cut", iss.Sign(claims(nil))[:200], wire.CodeInvalidToken},
		{"no repository", iss.Sign(claims(set("repository", nil))), wire.CodeInvalidClaims},
		{"repository not OWNER/REPO", iss.Sign(claims(set("repository", "acme"))), wire.CodeInvalidClaims},
		{"repository with newline", iss.Sign(claims(set("repository", "acme/x\nforged"))), wire.CodeInvalidClaims},
		{"owner mismatch", iss.Sign(claims(set("repository_owner", "evil"))), wire.CodeInvalidClaims},
		{"no run_id", iss.Sign(claims(set("run_id", nil))), wire.CodeInvalidClaims},
		{"run_id a number", iss.Sign(claims(set("run_id", 5))), wire.CodeInvalidClaims},
		{"run_id not decimal", iss.Sign(claims(set("run_id", "0x10"))), wire.CodeInvalidClaims},
		{"run_attempt zero", iss.Sign(claims(set("run_attempt", "0"))), wire.CodeInvalidClaims},
		{"ref not a string", iss.Sign(claims(set("ref", []string{"refs/heads/main"}))), wire.CodeInvalidClaims},
		{"environment with control character", iss.Sign(claims(set("environment", "prod\x1b[2J"))), wire.CodeInvalidClaims},
		{"claim too long", iss.Sign(claims(set("workflow", strings.Repeat("w", 2000)))), wire.CodeInvalidClaims},
		{"no sub", iss.Sign(claims(set("sub", nil))), wire.CodeInvalidClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := v.Verify(context.Background(), tt.token)
			if got := code(err); got != tt.want {
				t.Fatalf("Verify = %q (%v), want %q", got, err, tt.want)
			}
			if err != nil {
				msg := err.(*Error).Message
				if strings.ContainsAny(msg, "\n\x1b") || msg == "" {
					t.Errorf("message %q", msg)
				}
				return
			}
			if c.Repository != "acme/gpu-tests" || c.RunID != 9876543210 || c.RunAttempt != 1 || c.Strings["ref"] != "refs/heads/main" {
				t.Errorf("claims = %+v", c)
			}
			if strings.Contains(string(c.JSON), tt.token) || !strings.Contains(string(c.JSON), `"repository":"acme/gpu-tests"`) {
				t.Errorf("JSON = %s", c.JSON)
			}
		})
	}
}

func TestMessagesNameTheProblem(t *testing.T) {
	t.Parallel()
	iss, v, _ := setup(t)
	c := iss.Claims(oidctest.Job{Audience: aud})
	_, err := v.Verify(context.Background(), iss.SignNone(c))
	if want := `the token is signed with alg "none"; only RS256 is accepted`; err == nil || err.(*Error).Message != want {
		t.Errorf("alg none: %v, want %q", err, want)
	}
	_, err = v.Verify(context.Background(), iss.SignHS256WithPublicKey(c))
	if want := `the token is signed with alg "HS256"; only RS256 is accepted`; err == nil || err.(*Error).Message != want {
		t.Errorf("HS256: %v, want %q", err, want)
	}
	c["aud"] = "https://github.com/acme"
	_, err = v.Verify(context.Background(), iss.Sign(c))
	if want := `the token's audience is not "` + aud + `"; request the token with that audience`; err == nil || err.(*Error).Message != want {
		t.Errorf("audience: %v, want %q", err, want)
	}
}

func TestEnterpriseIssuerPath(t *testing.T) {
	t.Parallel()
	iss, v, _ := setup(t, oidctest.WithPath("/_services/token"))
	if !strings.HasSuffix(iss.URL, "/_services/token") {
		t.Fatalf("URL = %s", iss.URL)
	}
	if _, err := v.Verify(context.Background(), iss.Sign(iss.Claims(oidctest.Job{Audience: aud}))); err != nil {
		t.Fatal(err)
	}
}

func TestIssuerUnavailableThenBack(t *testing.T) {
	t.Parallel()
	iss, v, clk := setup(t)
	tok := iss.Sign(iss.Claims(oidctest.Job{Audience: aud}))
	iss.Fail(oidctest.Discovery, http.StatusServiceUnavailable, -1)
	if _, err := v.Verify(context.Background(), tok); code(err) != wire.CodeIssuerUnavailable {
		t.Fatalf("discovery down: %v", err)
	}
	// Within the retry interval the issuer is not asked again.
	if _, err := v.Verify(context.Background(), tok); code(err) != wire.CodeIssuerUnavailable {
		t.Fatalf("discovery down again: %v", err)
	}
	if n := iss.Fetches(oidctest.Discovery); n != 1 {
		t.Errorf("discovery fetched %d times within the retry interval, want 1", n)
	}
	iss.Clear()
	clk.Add(6 * time.Second)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestDiscoveryIssuerMismatch(t *testing.T) {
	t.Parallel()
	iss, v, _ := setup(t)
	iss.SetDiscovery(map[string]any{"issuer": "https://token.actions.githubusercontent.com"})
	_, err := v.Verify(context.Background(), iss.Sign(iss.Claims(oidctest.Job{Audience: aud})))
	if code(err) != wire.CodeIssuerUnavailable {
		t.Fatalf("mismatched discovery: %v", err)
	}
}

func TestJWKSDownOnUnknownKey(t *testing.T) {
	t.Parallel()
	iss, v, _ := setup(t)
	c := iss.Claims(oidctest.Job{Audience: aud})
	if _, err := v.Verify(context.Background(), iss.Sign(c)); err != nil {
		t.Fatal(err)
	}
	iss.Fail(oidctest.JWKS, http.StatusBadGateway, -1)
	// Cached keys still verify.
	if _, err := v.Verify(context.Background(), iss.Sign(c)); err != nil {
		t.Fatalf("cached key: %v", err)
	}
	iss.Rotate()
	if _, err := v.Verify(context.Background(), iss.Sign(c)); code(err) != wire.CodeIssuerUnavailable {
		t.Fatalf("rotated key with JWKS down: %v", err)
	}
	iss.Clear()
	if _, err := v.Verify(context.Background(), iss.Sign(c)); err != nil {
		t.Fatalf("rotated key with JWKS back: %v", err)
	}
}

func TestUnknownKeyFloodIsRateLimited(t *testing.T) {
	t.Parallel()
	iss, v, _ := setup(t)
	c := iss.Claims(oidctest.Job{Audience: aud})
	for range 50 {
		if _, err := v.Verify(context.Background(), iss.SignUnpublished(c)); err == nil {
			t.Fatal("unpublished key accepted")
		}
	}
	// One fetch on discovery's first use (the initial key load happens on
	// the first verification) plus the burst of 3 refreshes.
	if n := iss.Fetches(oidctest.JWKS); n > 4 {
		t.Errorf("JWKS fetched %d times for 50 forged tokens, want at most 4", n)
	}
	if _, err := v.Verify(context.Background(), iss.Sign(c)); err != nil {
		t.Errorf("a good token after the flood: %v", err)
	}
}

func TestOversizedJWKS(t *testing.T) {
	t.Parallel()
	iss, v, _ := setup(t)
	iss.SetDiscovery(map[string]any{"padding": strings.Repeat("x", 200<<10)})
	_, err := v.Verify(context.Background(), iss.Sign(iss.Claims(oidctest.Job{Audience: aud})))
	if code(err) != wire.CodeIssuerUnavailable {
		t.Fatalf("oversized discovery: %v", err)
	}
}

func TestClaims(t *testing.T) {
	t.Parallel()
	iss, v, _ := setup(t)
	c, err := v.Verify(context.Background(), iss.Sign(iss.Claims(oidctest.Job{Audience: aud, Repository: "acme/deploy", RunID: 42, Attempt: 3, Environment: "production", Event: "workflow_dispatch", Ref: "refs/tags/v1.0.0"})))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, k := range []string{"repository", "repository_owner", "environment", "event_name", "ref", "ref_type", "sub", "job_workflow_ref", "runner_environment", "head_ref"} {
		got[k] = c.Strings[k]
	}
	want := map[string]string{
		"repository": "acme/deploy", "repository_owner": "acme", "environment": "production",
		"event_name": "workflow_dispatch", "ref": "refs/tags/v1.0.0", "ref_type": "tag",
		"sub": "repo:acme/deploy:environment:production", "job_workflow_ref": "acme/deploy/.github/workflows/ci.yml@refs/tags/v1.0.0",
		"runner_environment": "github-hosted", "head_ref": "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	if c.RunID != 42 || c.RunAttempt != 3 || c.Actor != "octocat" || c.ID == "" {
		t.Errorf("claims = %+v", c)
	}
}
