package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/ghapi/ghtest"
)

func TestReposMatrix(t *testing.T) {
	t.Parallel()
	srv, vars := fakeGitHub(t)
	r := runCLI(t, vars, "repos", "--org", "acme")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if diff := cmp.Diff(`{"repository":["acme/Api","acme/docs","acme/web","acme/zeta"]}`+"\n", r.stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if r.stderr != "" {
		t.Errorf("stderr = %q, want nothing", r.stderr)
	}
	// What fromJSON sees: an object with one array of strings.
	var m map[string][]string
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || len(m) != 1 || len(m["repository"]) != 4 {
		t.Errorf("stdout is not a matrix: %v %v", m, err)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Errorf("%d requests, want 4 pages", n)
	}
	assertNoSecret(t, "output", r.all(), srv.Token)
}

func TestReposFlags(t *testing.T) {
	t.Parallel()
	srv, vars := fakeGitHub(t)
	ghes, ghesVars := fakeGitHub(t, ghtest.WithPathPrefix("/api/v3"))
	other := "ghp_" + strings.Repeat("o", 36)
	srv.AddToken(other, ghtest.PermMetadata)
	bogus := "ghp_" + strings.Repeat("b", 36)
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want []string
	}{
		{"archived too", vars, []string{"--include-archived"}, []string{"acme/Api", "acme/docs", "acme/old", "acme/web", "acme/zeta"}},
		{"forks too", vars, []string{"--include-forks"}, []string{"acme/Api", "acme/docs", "acme/upstream-fork", "acme/web", "acme/zeta"}},
		{"everything", vars, []string{"--include-archived", "--include-forks"}, []string{"acme/Api", "acme/docs", "acme/old", "acme/old-fork", "acme/upstream-fork", "acme/web", "acme/zeta"}},
		{"org name in another case", vars, []string{"--org", "ACME"}, []string{"acme/Api", "acme/docs", "acme/web", "acme/zeta"}},
		{"--token over GITHUB_TOKEN", map[string]string{"GITHUB_TOKEN": bogus, "GITHUB_API_URL": srv.URL}, []string{"--token", other}, []string{"acme/Api", "acme/docs", "acme/web", "acme/zeta"}},
		{"GH_TOKEN when GITHUB_TOKEN is unset", map[string]string{"GH_TOKEN": other, "GITHUB_API_URL": srv.URL}, nil, []string{"acme/Api", "acme/docs", "acme/web", "acme/zeta"}},
		{"--github-api-url over GITHUB_API_URL", map[string]string{"GITHUB_TOKEN": srv.Token, "GITHUB_API_URL": "https://ghe.invalid/api/v3"}, []string{"--github-api-url", srv.URL}, []string{"acme/Api", "acme/docs", "acme/web", "acme/zeta"}},
		{"Enterprise Server URL", ghesVars, nil, []string{"acme/Api", "acme/docs", "acme/web", "acme/zeta"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"repos"}, tt.args...)
			if !strings.Contains(strings.Join(tt.args, " "), "--org") {
				args = append(args, "--org", "acme")
			}
			r := runCLI(t, tt.vars, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var got struct{ Repository []string }
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("stdout %q: %v", r.stdout, err)
			}
			if diff := cmp.Diff(tt.want, got.Repository); diff != "" {
				t.Errorf("repositories (-want +got):\n%s", diff)
			}
			assertNoSecret(t, "output", r.all(), srv.Token, ghes.Token, other, bogus)
		})
	}
}

func TestReposEmptyOrg(t *testing.T) {
	t.Parallel()
	srv, vars := fakeGitHub(t)
	srv.AddOrg("quiet")
	srv.AddRepo(ghtest.Repo{Owner: "dusty", Name: "attic", Archived: true})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no repositories", []string{"--org", "quiet", "--include-archived", "--include-forks"}, "quiet has no repositories this token can see: GitHub fails a job whose matrix is empty"},
		{"only archived ones", []string{"--org", "dusty"}, "dusty has no repositories this token can see other than archived repositories and forks: GitHub fails"},
		{"only archived ones, forks included", []string{"--org", "dusty", "--include-forks"}, "dusty has no repositories this token can see other than archived repositories: GitHub fails"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, vars, append([]string{"repos"}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if r.stdout != `{"repository":[]}`+"\n" {
				t.Errorf("stdout = %q", r.stdout)
			}
			if !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "repository[0] != null") || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr = %q, want one note containing %q", r.stderr, tt.want)
			}
		})
	}
}

func TestReposNotes(t *testing.T) {
	t.Parallel()
	srv, vars := fakeGitHub(t, ghtest.WithMaxPerPage(100))
	for i := range 300 {
		srv.AddRepo(ghtest.Repo{Owner: "huge", Name: fmt.Sprintf("r%03d", i)})
	}
	r := runCLI(t, vars, "repos", "--org", "huge")
	if r.code != 0 || !strings.Contains(r.stderr, "300 repositories: GitHub refuses a matrix of more than 256 jobs") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if strings.Count(r.stdout, `"huge/r`) != 300 {
		t.Errorf("stdout holds %d repositories, want all 300", strings.Count(r.stdout, `"huge/r`))
	}

	actions := srv.AddActionsToken()
	r = runCLI(t, map[string]string{"GITHUB_TOKEN": actions, "GITHUB_API_URL": srv.URL}, "repos", "--org", "acme")
	if r.code != 0 || !strings.Contains(r.stderr, "if it is a job's built-in GITHUB_TOKEN, the list holds only public repositories") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	assertNoSecret(t, "output", r.all(), actions)
}

func TestReposErrors(t *testing.T) {
	t.Parallel()
	srv, vars := fakeGitHub(t)
	gone, goneVars := fakeGitHub(t)
	gone.Close()
	limited, limitedVars := fakeGitHub(t)
	limited.Inject(ghtest.PrimaryRateLimit(ghtest.RouteOrgRepos))
	noPerm := "ghp_" + strings.Repeat("n", 36)
	srv.AddToken(noPerm)
	bad := "ghp_" + strings.Repeat("x", 36)
	with := func(k, v string) map[string]string {
		m := map[string]string{"GITHUB_TOKEN": srv.Token, "GITHUB_API_URL": srv.URL}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want []string
	}{
		{"no --org", vars, []string{"repos"}, []string{"repos: --org is required"}},
		{"an argument", vars, []string{"repos", "acme"}, []string{`repos takes no arguments (got "acme"); use --org`}},
		{"an unknown flag", vars, []string{"repos", "--org", "acme", "--all"}, []string{"repos: unknown flag: --all (see vastguard repos --help)"}},
		{"no token", with("GITHUB_TOKEN", ""), []string{"repos", "--org", "acme"}, []string{"no GitHub token: set GITHUB_TOKEN (or GH_TOKEN), or pass --token"}},
		{"a token with a space", with("GITHUB_TOKEN", "ghp_a b"), []string{"repos", "--org", "acme"}, []string{"GITHUB_TOKEN: the GitHub token contains a space"}},
		{"a bad token", with("GITHUB_TOKEN", bad), []string{"repos", "--org", "acme"}, []string{"list the repositories of acme: 401 Bad credentials: GitHub did not accept the token", "the token came from GITHUB_TOKEN"}},
		{"a bad --token", vars, []string{"repos", "--org", "acme", "--token", bad}, []string{"401 Bad credentials", "the token came from --token"}},
		{"no Metadata permission", with("GITHUB_TOKEN", noPerm), []string{"repos", "--org", "acme"}, []string{"403 Resource not accessible by integration", `"Metadata: read"`, "the token came from GITHUB_TOKEN"}},
		{"an unknown organisation", vars, []string{"repos", "--org", "ghost"}, []string{`404 Not Found: there is no organisation "ghost", or the token cannot see it`}},
		{"not an organisation name", vars, []string{"repos", "--org", "a/b"}, []string{`"a/b" is not a GitHub organisation name`}},
		{"rate limited", limitedVars, []string{"repos", "--org", "acme"}, []string{"403 API rate limit exceeded", "(rate limited until", "wait for it to pass and try again"}},
		{"GitHub unreachable", goneVars, []string{"repos", "--org", "acme"}, []string{"cannot reach GitHub at http://127.0.0.1", "check GITHUB_API_URL and the network"}},
		{"a bad GITHUB_API_URL", with("GITHUB_API_URL", "ftp://ghe.example"), []string{"repos", "--org", "acme"}, []string{`GITHUB_API_URL: GitHub API URL "ftp://ghe.example" must start with https://`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tt.vars, tt.args...)
			if r.code != 1 {
				t.Errorf("exit %d, want 1", r.code)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			if !strings.HasPrefix(r.stderr, "vastguard: ") || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr = %q\nwant it to contain %q", r.stderr, w)
				}
			}
			assertNoSecret(t, "output", r.all(), srv.Token, gone.Token, limited.Token, bad, noPerm)
		})
	}
}

func TestReposHelp(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "repos", "-h")
	if r.code != 0 || !strings.Contains(r.stdout, "vastguard repos --org NAME") || !strings.Contains(r.stdout, "-include-forks") {
		t.Errorf("exit %d, stdout %q", r.code, r.stdout)
	}
	r = runCLI(t, nil, "help")
	if !strings.Contains(r.stdout, "\n  repos ") {
		t.Errorf("help does not list repos: %q", r.stdout)
	}
}
