package runnertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vastguard/vastguard/internal/broker/brokerclient"
	"github.com/vastguard/vastguard/internal/broker/oidctest"
)

// claimsOf decodes a JWT's payload (the signature is the broker's to check).
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestIDTokens: a job granted id-token: write answers the client the
// Action uses with a token of the job's claims for the audience asked, and
// refuses what the service refuses.
func TestIDTokens(t *testing.T) {
	t.Parallel()
	iss := oidctest.NewServer(t)
	job, err := NewJob(t.TempDir(), nil, nil, "/p", "/p-post", nil)
	if err != nil {
		t.Fatal(err)
	}
	if job.Env["ACTIONS_ID_TOKEN_REQUEST_URL"] != "" {
		t.Fatal("a job without the permission has a token URL")
	}
	job.Env["GITHUB_RUN_ATTEMPT"] = "2"
	tokens := job.GrantIDTokens(iss)
	defer tokens.Close()
	r := brokerclient.Runner{Getenv: func(k string) string { return job.Env[k] }}
	tok, err := r.IDToken(context.Background(), "https://vast-broker.example.com")
	if err != nil {
		t.Fatal(err)
	}
	c := claimsOf(t, tok)
	got := map[string]any{}
	for _, k := range []string{"aud", "iss", "repository", "repository_owner", "run_id", "run_attempt", "event_name"} {
		got[k] = c[k]
	}
	want := map[string]any{"aud": "https://vast-broker.example.com", "iss": iss.URL, "repository": "acme/gpu-tests", "repository_owner": "acme",
		"run_id": "9876543210", "run_attempt": "2", "event_name": "push"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"https://vast-broker.example.com"}, tokens.Audiences()); diff != "" {
		t.Errorf("audiences (-want +got):\n%s", diff)
	}

	// SetJob changes the claims of later tokens.
	tokens.SetJob(oidctest.Job{Repository: "acme/other", RunID: 7})
	tok, _ = r.IDToken(context.Background(), "aud")
	if c := claimsOf(t, tok); c["repository"] != "acme/other" || c["run_id"] != "7" {
		t.Errorf("after SetJob: %v %v", c["repository"], c["run_id"])
	}

	// What the service refuses.
	for _, tt := range []struct {
		name, url, bearer string
		want              int
	}{
		{"no request token", tokens.URL + "&audience=a", "", http.StatusUnauthorized},
		{"a wrong request token", tokens.URL + "&audience=a", "Bearer x", http.StatusUnauthorized},
		{"no api-version", strings.Split(tokens.URL, "?")[0] + "?audience=a", "Bearer " + job.Env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"], http.StatusBadRequest},
	} {
		req, _ := http.NewRequest(http.MethodGet, tt.url, nil)
		if tt.bearer != "" {
			req.Header.Set("Authorization", tt.bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}

	// A failing endpoint: the client retries 5xx.
	tokens.FailNext(http.StatusServiceUnavailable, 2)
	r.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	if _, err := r.IDToken(context.Background(), "aud"); err != nil {
		t.Errorf("after two 503s: %v", err)
	}
}
