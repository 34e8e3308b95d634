package ghapi_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/ghapi/ghtest"
)

// replacement is a value shaped like a Vast key, as `reset` stores, made
// at run time: no key-shaped value is committed.
var replacement = func() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}()

func TestSetRepoSecretRoundTrip(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
	c := newClient(t, srv, srv.Token)

	if err := c.SetRepoSecret(t.Context(), "octo", "app", "VAST_API_KEY", "first-value"); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := c.SetRepoSecret(t.Context(), "octo", "app", "VAST_API_KEY", replacement); err != nil {
		t.Fatalf("update: %v", err)
	}
	got, ok := srv.Secret("octo", "app", "VAST_API_KEY")
	if !ok {
		t.Fatal("the fake holds no secret")
	}
	if got.Value != replacement || got.Writes != 2 {
		t.Errorf("decrypted value matches: %v, writes %d; want the replacement, 2", got.Value == replacement, got.Writes)
	}

	var statuses []int
	for _, r := range srv.Requests() {
		statuses = append(statuses, r.Status)
		if r.Method == "PUT" {
			assertNoSecret(t, "the PUT body", r.Body, replacement, "first-value")
			if !strings.Contains(r.Body, `"encrypted_value":"`) || !strings.Contains(r.Body, `"key_id":"`) {
				t.Errorf("PUT body = %s", r.Body)
			}
		}
		if r.Auth != "Bearer "+srv.Token || strings.Contains(r.Path+r.Query, srv.Token) {
			t.Errorf("the token went elsewhere than the Authorization header: %s %s?%s", r.Method, r.Path, r.Query)
		}
	}
	if diff := cmp.Diff([]int{200, 201, 200, 204}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestValidateSecretName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want string // "" for valid
	}{
		{"VAST_API_KEY", ""},
		{"_private", ""},
		{"lower_case_1", ""},
		{"", "empty"},
		{"1ST", "do not start with a digit"},
		{"VAST-KEY", "only letters, digits and underscores"},
		{"VAST KEY", "only letters, digits and underscores"},
		{"ÉCLAIR", "only letters"},
		{"GITHUB_TOKEN", "reserved"},
		{"github_x", "reserved"},
		{"GITHUB", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ghapi.ValidateSecretName(tt.name)
			if tt.want == "" {
				if err != nil {
					t.Errorf("ValidateSecretName(%q) = %v", tt.name, err)
				}
				return
			}
			wantErr(t, err, tt.want)
		})
	}
}

func TestSetRepoSecretRefusesBadArguments(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
	c := newClient(t, srv, srv.Token)
	tests := []struct {
		name, repo, secret, value string
		want                      string
	}{
		{"reserved name", "app", "GITHUB_TOKEN", replacement, "reserved"},
		{"bad name", "app", "A-B", replacement, "not a valid secret name"},
		{"empty value", "app", "X", "", "the value is empty"},
		{"value over 48 KB", "app", "X", strings.Repeat("k", ghapi.MaxSecretSize+1), "over GitHub's limit"},
		{"path in the repo", "../../orgs/x", "X", replacement, "not a GitHub repository name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := c.SetRepoSecret(t.Context(), "octo", tt.repo, tt.secret, tt.value)
			wantErr(t, err, tt.want)
			assertNoSecret(t, "the error", err.Error(), tt.value)
		})
	}
	t.Cleanup(func() {
		if n := len(srv.Requests()); n != 0 {
			t.Errorf("%d requests sent for bad arguments", n)
		}
	})
}

func TestSetRepoSecretRefused(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
	actions := srv.AddActionsToken()
	bad := "ghp_" + strings.Repeat("x", 36)
	needs := []string{
		`a fine-grained personal access token or GitHub App token with "Secrets: write"`,
		"classic PAT: the repo scope",
		"the built-in GITHUB_TOKEN cannot write secrets",
	}
	tests := []struct {
		name     string
		token    string
		repo     string
		fault    *ghtest.Fault
		sentinel error
		want     []string
	}{
		{"the built-in GITHUB_TOKEN", actions, "app", nil, ghapi.ErrForbidden,
			append([]string{"write secret VAST_API_KEY to octo/app: get the repository's public key: 403 Resource not accessible by integration"}, needs...)},
		{"a bad token", bad, "app", nil, ghapi.ErrUnauthorized,
			append([]string{"401 Bad credentials", "did not accept the token"}, needs...)},
		{"a repository the token cannot see", srv.Token, "hidden", nil, ghapi.ErrNotFound,
			append([]string{"404 Not Found", "does not exist or the token cannot see it"}, needs...)},
		{"the PUT refused", srv.Token, "app", &ghtest.Fault{Route: ghtest.RoutePutSecret, Status: 403, Message: "Resource not accessible by personal access token"}, ghapi.ErrForbidden,
			append([]string{"write secret VAST_API_KEY to octo/app: 403 Resource not accessible by personal access token"}, needs...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := srv
			if tt.fault != nil {
				srv = ghtest.NewServer(t)
				srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
				srv.Inject(*tt.fault)
				tt.token = srv.Token
			}
			err := newClient(t, srv, tt.token).SetRepoSecret(t.Context(), "octo", tt.repo, "VAST_API_KEY", replacement)
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v, want %v", err, tt.sentinel)
			}
			wantErr(t, err, tt.want...)
			assertNoSecret(t, "the error", err.Error(), replacement, tt.token)
			var ge *ghapi.Error
			if !errors.As(err, &ge) || ge.Hint == "" {
				t.Errorf("err is not an *Error with a hint: %#v", err)
			}
		})
	}
	if len(srv.Secrets("octo", "app")) != 0 {
		t.Error("a refused write left a secret")
	}
}

func TestSetRepoSecretBadPublicKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, body string }{
		{"short key", `{"key_id":"1","key":"AAAA"}`},
		{"not base64", `{"key_id":"1","key":"%%%"}`},
		{"no key id", `{"key":"` + strings.Repeat("A", 43) + `="}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ghtest.NewServer(t)
			srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
			srv.Inject(ghtest.Fault{Route: ghtest.RoutePublicKey, Status: 200, Body: tt.body})
			err := newClient(t, srv, srv.Token).SetRepoSecret(t.Context(), "octo", "app", "K", replacement)
			if !errors.Is(err, ghapi.ErrBadResponse) {
				t.Fatalf("err = %v, want ErrBadResponse", err)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want only the key's", n)
			}
		})
	}
}
