package ghapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/ghapi/ghtest"
)

func TestNew(t *testing.T) {
	t.Parallel()
	const tok = "ghp_newnewnewnewnewnewnewnewnew123456"
	tests := []struct {
		name  string
		token string
		opts  []ghapi.Option
		want  string // "" for success
	}{
		{"defaults", "ghp_x", nil, ""},
		{"empty token", "  ", nil, "no GitHub token"},
		{"token with a space", "ghp_a b", nil, "contains a space"},
		{"token with a newline", "ghp_a\nb", nil, "contains a space"},
		{"ftp URL", tok, []ghapi.Option{ghapi.WithBaseURL("ftp://x")}, "must start with https://"},
		{"URL without a host", tok, []ghapi.Option{ghapi.WithBaseURL("https://")}, "has no host"},
		{"URL with credentials", tok, []ghapi.Option{ghapi.WithBaseURL("https://u:p@ghe.example/api/v3")}, "must not carry credentials"},
		{"URL with a query", tok, []ghapi.Option{ghapi.WithBaseURL("https://ghe.example/api/v3?x=1")}, "must not carry"},
		{"nil HTTP client", tok, []ghapi.Option{ghapi.WithHTTPClient(nil)}, "nil HTTP client"},
		// The token must not cross a network in clear: http only to a
		// loopback address, as the Vast client allows.
		{"http to a host", tok, []ghapi.Option{ghapi.WithBaseURL("http://ghe.example/api/v3")}, `GitHub API URL "http://ghe.example/api/v3": http:// is only for a local fake (127.0.0.1, ::1, localhost); use https://`},
		{"http to a private address", tok, []ghapi.Option{ghapi.WithBaseURL("http://10.0.0.8:8080/api/v3")}, "http:// is only for a local fake"},
		{"http to a name that starts like loopback", tok, []ghapi.Option{ghapi.WithBaseURL("http://127.0.0.1.evil.test/")}, "http:// is only for a local fake"},
		{"an empty query", tok, []ghapi.Option{ghapi.WithBaseURL("https://ghe.example/api/v3?")}, "must not carry credentials, a query or a fragment"},
		{"an empty fragment", tok, []ghapi.Option{ghapi.WithBaseURL("https://ghe.example/api/v3#")}, "must not carry credentials, a query or a fragment"},
		{"port out of range", tok, []ghapi.Option{ghapi.WithBaseURL("https://ghe.example:99999/api/v3")}, `GitHub API URL "https://ghe.example:99999/api/v3": port 99999 is not a port (1 to 65535)`},
		{"port zero", tok, []ghapi.Option{ghapi.WithBaseURL("https://ghe.example:0/")}, "port 0 is not a port"},
		{"port not a number", tok, []ghapi.Option{ghapi.WithBaseURL("https://ghe.example:abc/")}, "is not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := ghapi.New(tt.token, tt.opts...)
			if tt.want == "" {
				if err != nil || c.BaseURL() != "https://api.github.com/" {
					t.Errorf("New = %v, %v", c, err)
				}
				return
			}
			wantErr(t, err, tt.want)
			if tt.token != "" && strings.TrimSpace(tt.token) != "" {
				assertNoSecret(t, "the error", err.Error(), tt.token)
			}
		})
	}
}

func TestBaseURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		prefix string
		suffix string
		want   string
	}{
		{"github.com shape", "", "", "/orgs/acme/repos"},
		{"with a trailing slash", "", "/", "/orgs/acme/repos"},
		{"Enterprise Server /api/v3", "/api/v3", "", "/api/v3/orgs/acme/repos"},
		{"Enterprise Server /api/v3/", "/api/v3", "/", "/api/v3/orgs/acme/repos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ghtest.NewServer(t, ghtest.WithPathPrefix(tt.prefix))
			srv.AddRepo(ghtest.Repo{Owner: "acme", Name: "x"})
			c, err := ghapi.New(srv.Token, ghapi.WithBaseURL(srv.URL+tt.suffix))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(c.BaseURL(), "/") || strings.HasSuffix(c.BaseURL(), "//") {
				t.Errorf("BaseURL = %q", c.BaseURL())
			}
			if _, err := c.OrgRepos(t.Context(), "acme", ghapi.RepoFilter{}); err != nil {
				t.Fatalf("OrgRepos: %v", err)
			}
			if got := srv.Requests()[0].Path; tt.prefix+got != tt.want {
				t.Errorf("path = %q, want %q", tt.prefix+got, tt.want)
			}
		})
	}
}

// TestTokenStaysOnTheAPIHost follows a redirect to another host: the token
// must not go with it.
func TestTokenStaysOnTheAPIHost(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var elsewhere []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhere = append(elsewhere, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[]`)
	}))
	t.Cleanup(other.Close)
	var apiAuth string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		apiAuth = r.Header.Get("Authorization")
		mu.Unlock()
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	t.Cleanup(api.Close)

	const token = "ghp_redirectredirectredirect123456"
	c, err := ghapi.New(token, ghapi.WithBaseURL(api.URL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.OrgRepos(t.Context(), "acme", ghapi.RepoFilter{}); err != nil {
		t.Fatalf("OrgRepos: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if apiAuth != "Bearer "+token {
		t.Errorf("the API host got no token")
	}
	if len(elsewhere) != 1 || elsewhere[0] != "" {
		t.Errorf("the other host got Authorization %q", elsewhere)
	}
}

// TestWithHTTPClient checks requests go through the given client, which is
// not changed.
func TestWithHTTPClient(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	srv.AddOrg("acme")
	var seen int
	rt := roundTripper(func(r *http.Request) (*http.Response, error) {
		seen++
		return http.DefaultTransport.RoundTrip(r)
	})
	hc := &http.Client{Transport: rt}
	c := newClient(t, srv, srv.Token, ghapi.WithHTTPClient(hc), ghapi.WithUserAgent("vastguard/test"))
	if _, err := c.OrgRepos(t.Context(), "acme", ghapi.RepoFilter{}); err != nil {
		t.Fatal(err)
	}
	if seen != 1 {
		t.Errorf("the HTTP client saw %d requests, want 1", seen)
	}
	if _, ok := hc.Transport.(roundTripper); !ok {
		t.Error("the caller's client was changed")
	}
	if ua := srv.Requests()[0].UserAgent; ua != "vastguard/test" {
		t.Errorf("User-Agent = %q", ua)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestNoSecretInErrors drives every failure the client can meet, with a
// token and a secret value planted wherever GitHub or the network could echo
// them, and checks neither appears in any error.
func TestNoSecretInErrors(t *testing.T) {
	t.Parallel()
	const token = "ghp_leakleakleakleakleakleakleak123456"
	const value = "vast-secret-value-that-must-not-leak"
	srv := ghtest.NewServer(t, ghtest.WithToken(token))
	srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
	// GitHub could only ever echo the value to the secret routes; the
	// token to any.
	echo := func(route string, status int) ghtest.Fault {
		msg := "token " + token + " and another ghp_" + strings.Repeat("Z", 36)
		if route == ghtest.RoutePublicKey || route == ghtest.RoutePutSecret {
			msg += " and value " + value
		}
		return ghtest.Fault{Route: route, Status: status, Times: -1, Message: msg}
	}
	for _, f := range []ghtest.Fault{
		echo(ghtest.RoutePublicKey, 403), echo(ghtest.RouteUploadSARIF, 422),
		echo(ghtest.RouteGetSARIF, 500), echo(ghtest.RouteOrgRepos, 429),
	} {
		srv.Inject(f)
	}
	c := newClient(t, srv, token)
	good := []byte(`{"version":"2.1.0","runs":[]}`)

	var errs []error
	errs = append(errs, c.SetRepoSecret(t.Context(), "octo", "app", "K", value))
	_, err := c.UploadSARIF(t.Context(), "octo", "app", good, sha, "refs/heads/main")
	errs = append(errs, err)
	_, err = c.SARIFStatus(t.Context(), "octo", "app", "abc")
	errs = append(errs, err)
	_, err = c.OrgRepos(t.Context(), "octo", ghapi.RepoFilter{})
	errs = append(errs, err)
	errs = append(errs, c.SetRepoSecret(t.Context(), "octo", "app", "GITHUB_X", value))
	errs = append(errs, c.SetRepoSecret(t.Context(), "octo", "app", "K", strings.Repeat(value, 2000)))

	// A server that is gone, and a cancelled context.
	gone := ghtest.NewServer(t, ghtest.WithToken(token))
	gone.Close()
	c2 := newClient(t, gone, token)
	errs = append(errs, c2.SetRepoSecret(t.Context(), "octo", "app", "K", value))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	errs = append(errs, c.SetRepoSecret(ctx, "octo", "app", "K", value))
	_, err = ghapi.New(token + " " + value)
	errs = append(errs, err)

	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", errors.Unwrap(err))} {
			assertNoSecret(t, fmt.Sprintf("error %d", i), s, token, value, "ghp_"+strings.Repeat("Z", 36))
		}
		var ge *ghapi.Error
		if errors.As(err, &ge) && !strings.Contains(ge.Message, "[redacted]") {
			t.Errorf("error %d: GitHub's message was not redacted: %q", i, ge.Message)
		}
	}
	if !errors.Is(errs[7], context.Canceled) {
		t.Errorf("cancelled: %v", errs[7])
	}
	if !strings.Contains(errs[6].Error(), "cannot reach GitHub at http://127.0.0.1") {
		t.Errorf("server gone: %v", errs[6])
	}
}

// TestTokenOnlyInTheHeader checks every request of every operation carries
// the token in the Authorization header and nowhere else.
func TestTokenOnlyInTheHeader(t *testing.T) {
	t.Parallel()
	srv := acme(t)
	c := newClient(t, srv, srv.Token)
	up, err := c.UploadSARIF(t.Context(), "acme", "web", []byte(`{"version":"2.1.0","runs":[]}`), sha, "refs/tags/v1")
	if err != nil {
		t.Fatal(err)
	}
	c.SARIFStatus(t.Context(), "acme", "web", up.ID)
	c.SetRepoSecret(t.Context(), "acme", "web", "K", replacement)
	c.OrgRepos(t.Context(), "acme", ghapi.RepoFilter{})
	reqs := srv.Requests()
	if len(reqs) != 5 {
		t.Fatalf("%d requests, want 5", len(reqs))
	}
	for _, r := range reqs {
		if r.Auth != "Bearer "+srv.Token {
			t.Errorf("%s %s: Authorization is not the bearer token", r.Method, r.Path)
		}
		assertNoSecret(t, r.Method+" "+r.Path, r.Path+"?"+r.Query+" "+r.Body, srv.Token)
		if r.Status >= 300 {
			t.Errorf("%s %s: %d", r.Method, r.Path, r.Status)
		}
	}
}

// TestLoopbackHTTP: plain http stays allowed to a local fake, as ghtest
// serves.
func TestLoopbackHTTP(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://127.0.0.1:8080/", "http://[::1]:8080/api/v3", "http://localhost:1/", "http://LOCALHOST/", "http://127.8.9.10/", "https://ghe.example:8443/api/v3"} {
		if _, err := ghapi.New("ghp_x", ghapi.WithBaseURL(u)); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}
