package broker_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vastguard/vastguard/internal/broker/oidctest"
	"github.com/vastguard/vastguard/internal/broker/store"
	"github.com/vastguard/vastguard/internal/broker/wire"
)

func TestMintAndDelete(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tok := h.token(oidctest.Job{})
	a := h.mint(tok, `{"ttl": "45m", "label": "train", "job": "build", "permissions": {"api": {"instance_read": {}, "misc": {}}}}`)
	if a.status != http.StatusCreated {
		t.Fatalf("mint: %d %s", a.status, a.body)
	}
	keys := h.minted()
	if len(keys) != 1 {
		t.Fatalf("fake holds %d minted keys, want 1", len(keys))
	}
	k := keys[0]
	wantExp := epoch.Add(45 * time.Minute).Format(time.RFC3339)
	if a.mint.ID != k.ID || a.mint.Key != k.Value || a.mint.Name != k.Name || a.mint.ExpiresAt != wantExp || a.mint.Rule != "gpu-tests" {
		t.Errorf("answer = %+v, fake key = %+v", a.mint, k)
	}
	if got, want := k.Name, namePrefix+"acme/gpu-tests:run-9876543210-1:build:train:exp-20261126T184500Z:1"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	if diff := cmp.Diff([]string{"instance_read", "misc"}, k.Scopes()); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	if cc := a.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	rec := h.record(k.ID)
	if rec.State != store.Live || rec.Repository != "acme/gpu-tests" || rec.RunID != 9876543210 || rec.Actor != "octocat" ||
		rec.Subject != "repo:acme/gpu-tests:ref:refs/heads/main" || !rec.ExpiresAt.Equal(epoch.Add(45*time.Minute)) || rec.Rule != "gpu-tests" {
		t.Errorf("record = %+v", rec)
	}
	if strings.Contains(rec.Claims, tok) || !strings.Contains(rec.Claims, `"job_workflow_ref"`) {
		t.Errorf("record claims = %s", rec.Claims)
	}

	// The post step deletes it with a fresh token from the same run.
	d := h.delete(h.token(oidctest.Job{}), k.ID)
	if d.status != http.StatusOK || d.del.State != "revoked" {
		t.Fatalf("delete: %d %s", d.status, d.body)
	}
	if len(h.minted()) != 0 {
		t.Errorf("key still live after delete")
	}
	if rec := h.record(k.ID); rec.State != store.Revoked {
		t.Errorf("record after delete: %s", rec.State)
	}
	// A second delete is answered with the state it already has.
	if d := h.delete(h.token(oidctest.Job{}), k.ID); d.status != http.StatusOK || d.del.State != "revoked" {
		t.Errorf("second delete: %d %s", d.status, d.body)
	}
	var kinds []string
	for _, e := range h.events("") {
		kinds = append(kinds, e.Event)
		if strings.Contains(e.Claims, tok) {
			t.Errorf("audit row holds the token")
		}
	}
	if diff := cmp.Diff([]string{"mint", "revoke"}, kinds); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
	h.assertNoSecrets()
}

func TestDefaultsFromTheRule(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.do(http.MethodPost, "/v1/keys", h.token(oidctest.Job{}), "", "")
	if a.status != http.StatusCreated {
		t.Fatalf("mint with no body: %d %s", a.status, a.body)
	}
	if a.mint.ExpiresAt != epoch.Add(time.Hour).Format(time.RFC3339) {
		t.Errorf("expiry %s, want the rule's default_ttl 1h", a.mint.ExpiresAt)
	}
	k := h.minted()[0]
	if diff := cmp.Diff([]string{"instance_read", "instance_write", "misc"}, k.Scopes()); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	// A number of seconds and a preset name work too; a later rule grants
	// what the first does not.
	a = h.mint(h.token(oidctest.Job{}), `{"ttl": 600, "permissions": "read-only"}`)
	if a.status != http.StatusCreated || a.mint.Rule != "reader" || a.mint.ExpiresAt != epoch.Add(10*time.Minute).Format(time.RFC3339) {
		t.Errorf("second mint: %d %s", a.status, a.body)
	}
}

// Every refusal has its status and code, a one-line message, and mints
// nothing.
func TestRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	other := oidctest.NewServer(t, oidctest.WithClock(h.clk.Now))
	claims := func(edit func(map[string]any)) map[string]any {
		c := h.iss.Claims(oidctest.Job{Audience: audience})
		if edit != nil {
			edit(c)
		}
		return c
	}
	set := func(k string, v any) func(map[string]any) {
		return func(c map[string]any) {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
	}
	good := h.iss.Sign(claims(nil))
	tests := []struct {
		name, token, ctype, body string
		status                   int
		code                     string
	}{
		{"expired", h.iss.Sign(claims(set("exp", epoch.Add(-5*time.Minute).Unix()))), "", "", 401, wire.CodeTokenExpired},
		{"not yet valid", h.iss.Sign(claims(set("nbf", epoch.Add(4*time.Minute).Unix()))), "", "", 401, wire.CodeTokenNotYetValid},
		{"issued in the future", h.iss.Sign(claims(set("iat", epoch.Add(4*time.Minute).Unix()))), "", "", 401, wire.CodeTokenNotYetValid},
		{"wrong audience", h.iss.Sign(claims(set("aud", "https://github.com/acme"))), "", "", 401, wire.CodeWrongAudience},
		{"wrong issuer", other.Sign(other.Claims(oidctest.Job{Audience: audience})), "", "", 401, wire.CodeUnknownIssuer},
		{"trusted iss signed by another issuer", other.Sign(claims(nil)), "", "", 401, wire.CodeInvalidToken},
		{"unknown key id", h.iss.SignUnpublished(claims(nil)), "", "", 401, wire.CodeInvalidToken},
		{"alg none", h.iss.SignNone(claims(nil)), "", "", 401, wire.CodeInvalidToken},
		{"HS256 signed with the public key", h.iss.SignHS256WithPublicKey(claims(nil)), "", "", 401, wire.CodeInvalidToken},
		{"no token", "", "", "", 401, wire.CodeMissingToken},
		{"garbage token", "not-a-jwt", "", "", 401, wire.CodeInvalidToken},
		{"missing repository claim", h.iss.Sign(claims(set("repository", nil))), "", "", 401, wire.CodeInvalidClaims},
		{"missing run_id claim", h.iss.Sign(claims(set("run_id", nil))), "", "", 401, wire.CodeInvalidClaims},
		{"malformed run_attempt", h.iss.Sign(claims(set("run_attempt", "first"))), "", "", 401, wire.CodeInvalidClaims},
		{"malformed ref", h.iss.Sign(claims(set("ref", 12))), "", "", 401, wire.CodeInvalidClaims},
		{"policy does not match (other owner)", h.iss.Sign(h.iss.Claims(oidctest.Job{Audience: audience, Repository: "evil/gpu-tests"})), "", "", 403, wire.CodePolicyDenied},
		{"policy does not match (owner lookalike)", h.iss.Sign(h.iss.Claims(oidctest.Job{Audience: audience, Repository: "acme-evil/gpu-tests"})), "", "", 403, wire.CodePolicyDenied},
		{"ttl over the maximum", good, "application/json", `{"ttl": "3h"}`, 403, wire.CodeTTLTooLong},
		{"permissions over the grant", good, "application/json", `{"permissions": {"api": {"billing_write": {}}}}`, 403, wire.CodePermissionsNotGranted},
		{"full access asked", good, "application/json", `{"permissions": "full"}`, 403, wire.CodePermissionsNotGranted},
		{"user_write asked", good, "application/json", `{"permissions": {"api": {"user_write": {}}}}`, 403, wire.CodePermissionsNotGranted},
		{"ttl too short", good, "application/json", `{"ttl": "1m"}`, 400, wire.CodeInvalidTTL},
		{"ttl not a duration", good, "application/json", `{"ttl": "an hour"}`, 400, wire.CodeInvalidTTL},
		{"ttl negative seconds", good, "application/json", `{"ttl": -600}`, 400, wire.CodeInvalidTTL},
		{"ttl fractional seconds", good, "application/json", `{"ttl": 600.5}`, 400, wire.CodeInvalidTTL},
		{"unknown preset", good, "application/json", `{"permissions": "admin"}`, 400, wire.CodeInvalidPermissions},
		{"permissions a number", good, "application/json", `{"permissions": 7}`, 400, wire.CodeInvalidPermissions},
		{"bad label", good, "application/json", `{"label": "a b"}`, 400, wire.CodeInvalidLabel},
		{"bad job", good, "application/json", `{"job": "x:y"}`, 400, wire.CodeInvalidLabel},
		{"unknown field", good, "application/json", `{"name": "mine"}`, 400, wire.CodeBadRequest},
		{"not JSON", good, "application/json", `{"ttl": `, 400, wire.CodeBadRequest},
		{"two objects", good, "application/json", `{} {}`, 400, wire.CodeBadRequest},
		{"form body", good, "application/x-www-form-urlencoded", `ttl=1h`, 415, wire.CodeUnsupportedMedia},
		{"body too large", good, "application/json", `{"label": "` + strings.Repeat("a", 20<<10) + `"}`, 413, wire.CodeBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := h.do(http.MethodPost, "/v1/keys", tt.token, tt.ctype, tt.body)
			if a.status != tt.status || a.err.Code != tt.code {
				t.Fatalf("answer %d %s, want %d %s", a.status, a.body, tt.status, tt.code)
			}
			if a.err.Message == "" || strings.Contains(a.err.Message, "\n") {
				t.Errorf("message %q", a.err.Message)
			}
			if ct := a.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	if n := h.creates(); n != 0 {
		t.Errorf("the refusals sent %d creates to Vast, want 0", n)
	}
	if ks := h.minted(); len(ks) != 0 {
		t.Errorf("%d keys minted by refusals", len(ks))
	}
	if c, _ := h.db.Counts(t.Context()); len(c) != 0 {
		t.Errorf("records after refusals: %v", c)
	}
	// Denials are audited; those of verified tokens carry the claims.
	denials := h.events(store.EventDeny)
	if len(denials) != len(tests) {
		t.Errorf("%d denials audited, want %d", len(denials), len(tests))
	}
	withClaims := 0
	for _, e := range denials {
		if e.Claims != "" {
			withClaims++
			if e.Repository == "" {
				t.Errorf("denial with claims but no repository: %+v", e)
			}
		}
	}
	if withClaims != 19 {
		t.Errorf("%d denials carry claims, want 19 (the verified ones)", withClaims)
	}
	h.assertNoSecrets()
}

func TestLiveKeyLimitAndRateLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withConfig(func(c *brokerConfig) { c.RatePerMinute, c.RateBurst = 6, 5 }))
	tok := h.token(oidctest.Job{})
	for i := range 3 {
		if a := h.mint(tok, ""); a.status != http.StatusCreated {
			t.Fatalf("mint %d: %d %s", i, a.status, a.body)
		}
	}
	a := h.mint(tok, "")
	if a.status != http.StatusConflict || a.err.Code != wire.CodeLiveKeyLimit {
		t.Fatalf("fourth mint: %d %s", a.status, a.body)
	}
	if n := h.creates(); n != 3 {
		t.Errorf("%d creates, want 3", n)
	}
	// The fifth request in the burst is allowed by the rate limit, the
	// sixth is not.
	h.mint(tok, "")
	a = h.mint(tok, "")
	if a.status != http.StatusTooManyRequests || a.err.Code != wire.CodeRateLimited || a.header.Get("Retry-After") != "10" {
		t.Fatalf("sixth request: %d %s (Retry-After %q)", a.status, a.body, a.header.Get("Retry-After"))
	}
	// Another repository has its own bucket.
	if a := h.mint(h.token(oidctest.Job{Repository: "acme/other"}), ""); a.status != http.StatusCreated {
		t.Errorf("other repository: %d %s", a.status, a.body)
	}
	// Deleting one frees a place; after 10s the bucket has a token again.
	id := h.minted()[0].ID
	if d := h.delete(tok, id); d.status != 200 {
		t.Fatalf("delete: %d %s", d.status, d.body)
	}
	h.clk.Add(10 * time.Second)
	if a := h.mint(tok, ""); a.status != http.StatusCreated {
		t.Errorf("after a delete: %d %s", a.status, a.body)
	}
}

func TestDeleteRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.mint(h.token(oidctest.Job{}), "")
	if a.status != http.StatusCreated {
		t.Fatal(a.status, string(a.body))
	}
	id := a.mint.ID
	tests := []struct {
		name   string
		token  string
		path   string
		status int
		code   string
	}{
		{"other repository", h.token(oidctest.Job{Repository: "acme/other"}), "", 404, wire.CodeKeyNotFound},
		{"other owner", h.token(oidctest.Job{Repository: "evil/gpu-tests"}), "", 404, wire.CodeKeyNotFound},
		{"other run", h.token(oidctest.Job{RunID: 1}), "", 403, wire.CodeWrongRun},
		{"no token", "", "", 401, wire.CodeMissingToken},
		{"expired token", func() string {
			c := h.iss.Claims(oidctest.Job{Audience: audience})
			c["exp"] = epoch.Add(-time.Hour).Unix()
			return h.iss.Sign(c)
		}(), "", 401, wire.CodeTokenExpired},
		{"unknown id", h.token(oidctest.Job{}), "/v1/keys/999999", 404, wire.CodeKeyNotFound},
		{"bad id", h.token(oidctest.Job{}), "/v1/keys/abc", 400, wire.CodeInvalidID},
		{"zero id", h.token(oidctest.Job{}), "/v1/keys/0", 400, wire.CodeInvalidID},
	}
	for _, tt := range tests {
		path := tt.path
		if path == "" {
			path = "/v1/keys/" + jsonNumber(id)
		}
		d := h.do(http.MethodDelete, path, tt.token, "", "")
		if d.status != tt.status || d.err.Code != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, d.status, d.body, tt.status, tt.code)
		}
	}
	if len(h.minted()) != 1 {
		t.Errorf("a refused delete deleted the key")
	}
	// Another attempt of the same run may delete it.
	if d := h.delete(h.token(oidctest.Job{Attempt: 2}), id); d.status != 200 {
		t.Errorf("same run, next attempt: %d %s", d.status, d.body)
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestRoutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tt := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/v1/keys", 405, wire.CodeMethodNotAllowed, "POST"},
		{"PUT", "/v1/keys/5", 405, wire.CodeMethodNotAllowed, "DELETE"},
		{"POST", "/healthz", 405, wire.CodeMethodNotAllowed, ""},
		{"GET", "/v2/keys", 404, wire.CodeNotFound, ""},
		{"GET", "/", 404, wire.CodeNotFound, ""},
	} {
		a := h.do(tt.method, tt.path, "", "", "")
		if a.status != tt.status || a.err.Code != tt.code {
			t.Errorf("%s %s: %d %s", tt.method, tt.path, a.status, a.body)
		}
		if tt.allow != "" && a.header.Get("Allow") != tt.allow {
			t.Errorf("%s %s: Allow %q", tt.method, tt.path, a.header.Get("Allow"))
		}
	}
	a := h.do("GET", "/healthz", "", "", "")
	if a.status != 200 || !strings.Contains(string(a.body), `"status":"ok"`) {
		t.Errorf("healthz: %d %s", a.status, a.body)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.mint(h.token(oidctest.Job{}), "")
	h.mint(h.token(oidctest.Job{Repository: "evil/x"}), "")
	h.mint("", "")
	m := string(h.do("GET", "/metrics", "", "", "").body)
	for _, want := range []string{
		`vastguard_broker_keys_minted_total 1`,
		`vastguard_broker_denials_total{code="policy_denied"} 1`,
		`vastguard_broker_denials_total{code="missing_token"} 1`,
		`vastguard_broker_requests_total{code="ok",route="mint"} 1`,
		`vastguard_broker_keys{state="live"} 1`,
		`vastguard_broker_vast_calls_total{op="create",outcome="ok"} 1`,
		`vastguard_broker_policy_rules 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	for _, never := range []string{"acme/gpu-tests", "evil/x", namePrefix} {
		if strings.Contains(m, never) {
			t.Errorf("metrics carry %q", never)
		}
	}
	h.assertNoSecrets()
}
