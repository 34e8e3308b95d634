package ghapi_test

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/ghapi/ghtest"
)

// acme is an organisation of seven repositories, added out of name order,
// one archived, one a fork, one both.
func acme(t *testing.T, opts ...ghtest.Option) *ghtest.Server {
	t.Helper()
	srv := ghtest.NewServer(t, opts...)
	for _, r := range []ghtest.Repo{
		{Owner: "acme", Name: "web", Private: true},
		{Owner: "acme", Name: "Api", DefaultBranch: "trunk"},
		{Owner: "acme", Name: "old", Archived: true},
		{Owner: "acme", Name: "upstream-fork", Fork: true},
		{Owner: "acme", Name: "old-fork", Fork: true, Archived: true},
		{Owner: "acme", Name: "docs"},
		{Owner: "acme", Name: "zeta"},
	} {
		srv.AddRepo(r)
	}
	srv.AddRepo(ghtest.Repo{Owner: "other", Name: "elsewhere"})
	return srv
}

func names(rs []ghapi.Repo) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.FullName)
	}
	return out
}

func TestOrgReposFilters(t *testing.T) {
	t.Parallel()
	srv := acme(t, ghtest.WithMaxPerPage(2)) // four pages of at most two
	tests := []struct {
		name   string
		filter ghapi.RepoFilter
		want   []string
	}{
		{"default: no archived, no forks", ghapi.RepoFilter{}, []string{"acme/Api", "acme/docs", "acme/web", "acme/zeta"}},
		{"archived too", ghapi.RepoFilter{Archived: true}, []string{"acme/Api", "acme/docs", "acme/old", "acme/web", "acme/zeta"}},
		{"forks too", ghapi.RepoFilter{Forks: true}, []string{"acme/Api", "acme/docs", "acme/upstream-fork", "acme/web", "acme/zeta"}},
		{"everything", ghapi.RepoFilter{Archived: true, Forks: true}, []string{"acme/Api", "acme/docs", "acme/old", "acme/old-fork", "acme/upstream-fork", "acme/web", "acme/zeta"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := newClient(t, srv, srv.Token).OrgRepos(t.Context(), "acme", tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, names(got)); diff != "" {
				t.Errorf("repositories (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOrgReposFields(t *testing.T) {
	t.Parallel()
	srv := acme(t)
	got, err := newClient(t, srv, srv.Token).OrgRepos(t.Context(), "ACME", ghapi.RepoFilter{Archived: true, Forks: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []ghapi.Repo{
		{FullName: "acme/Api", DefaultBranch: "trunk"},
		{FullName: "acme/docs", DefaultBranch: "main"},
		{FullName: "acme/old", DefaultBranch: "main", Archived: true},
		{FullName: "acme/old-fork", DefaultBranch: "main", Archived: true, Fork: true},
		{FullName: "acme/upstream-fork", DefaultBranch: "main", Fork: true},
		{FullName: "acme/web", DefaultBranch: "main", Private: true},
		{FullName: "acme/zeta", DefaultBranch: "main"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
}

func TestOrgReposFollowsEveryPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		repos     int
		maxPer    int
		wantPages []string // the page parameter of each request
	}{
		{"250 repositories, 100 a page", 250, 0, []string{"", "2", "3"}},
		{"7 repositories, 2 a page", 7, 2, []string{"", "2", "3", "4"}},
		{"exactly one full page", 100, 0, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []ghtest.Option
			if tt.maxPer > 0 {
				opts = append(opts, ghtest.WithMaxPerPage(tt.maxPer))
			}
			srv := ghtest.NewServer(t, opts...)
			var want []string
			for i := range tt.repos {
				n := fmt.Sprintf("repo-%03d", tt.repos-i) // added in reverse name order
				srv.AddRepo(ghtest.Repo{Owner: "big", Name: n})
				want = append([]string{"big/" + n}, want...)
			}
			got, err := newClient(t, srv, srv.Token).OrgRepos(t.Context(), "big", ghapi.RepoFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, names(got)); diff != "" {
				t.Errorf("repositories (-want +got):\n%s", diff)
			}
			var pages []string
			for _, r := range srv.Requests() {
				q, _ := url.ParseQuery(r.Query)
				if q.Get("per_page") != "100" {
					t.Errorf("per_page = %q, want 100", q.Get("per_page"))
				}
				pages = append(pages, q.Get("page"))
			}
			if diff := cmp.Diff(tt.wantPages, pages); diff != "" {
				t.Errorf("pages requested (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOrgReposEmptyAndMissing(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	srv.AddOrg("quiet")
	c := newClient(t, srv, srv.Token)
	got, err := c.OrgRepos(t.Context(), "quiet", ghapi.RepoFilter{})
	if err != nil || len(got) != 0 {
		t.Errorf("empty org = %v, %v", got, err)
	}
	_, err = c.OrgRepos(t.Context(), "ghost", ghapi.RepoFilter{})
	if !errors.Is(err, ghapi.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	wantErr(t, err, `list the repositories of ghost: 404 Not Found: there is no organisation "ghost", or the token cannot see it`)
	if _, err := c.OrgRepos(t.Context(), "a/b", ghapi.RepoFilter{}); err == nil || len(srv.Requests()) != 2 {
		t.Errorf("a path in the org name: %v", err)
	}
}

func TestOrgReposBadPagination(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	srv.AddOrg("loop")
	srv.Inject(ghtest.Fault{Route: ghtest.RouteOrgRepos, Status: 200, Body: `[]`, Times: -1,
		Header: map[string][]string{"Link": {`<` + srv.URL + `/orgs/loop/repos?page=1>; rel="next"`}}})
	_, err := newClient(t, srv, srv.Token).OrgRepos(t.Context(), "loop", ghapi.RepoFilter{})
	if !errors.Is(err, ghapi.ErrBadResponse) {
		t.Fatalf("err = %v, want ErrBadResponse", err)
	}
	wantErr(t, err, "is not after this one")
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fault     ghtest.Fault
		wantReset bool
	}{
		{"primary: 403 with X-RateLimit-Remaining 0", ghtest.PrimaryRateLimit(ghtest.RouteOrgRepos), true},
		{"secondary: 403 with Retry-After", ghtest.SecondaryRateLimit(ghtest.RouteOrgRepos), true},
		{"429 with no headers", ghtest.Fault{Route: ghtest.RouteOrgRepos, Status: 429}, false},
		{"429 with Retry-After", ghtest.Fault{Route: ghtest.RouteOrgRepos, Status: 429, Header: map[string][]string{"Retry-After": {"30"}}}, true},
		{"429 with X-RateLimit-Remaining 0", ghtest.Fault{Route: ghtest.RouteOrgRepos, Status: 429, Header: map[string][]string{"X-RateLimit-Remaining": {"0"}}}, true},
		{"403 with GitHub's wording only", ghtest.Fault{Route: ghtest.RouteOrgRepos, Status: 403, Message: "You have exceeded a secondary rate limit."}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := acme(t)
			srv.Inject(tt.fault)
			_, err := newClient(t, srv, srv.Token).OrgRepos(t.Context(), "acme", ghapi.RepoFilter{})
			if !errors.Is(err, ghapi.ErrRateLimited) {
				t.Fatalf("err = %v, want ErrRateLimited", err)
			}
			if errors.Is(err, ghapi.ErrForbidden) {
				t.Errorf("a rate limit matches ErrForbidden: %v", err)
			}
			var ge *ghapi.Error
			if !errors.As(err, &ge) {
				t.Fatalf("err is %T", err)
			}
			if got := !ge.Reset.IsZero(); got != tt.wantReset {
				t.Errorf("Reset = %v, want set=%v", ge.Reset, tt.wantReset)
			}
			wantErr(t, err, "list the repositories of acme", "rate limited")
		})
	}
}

func TestRateLimitOnEveryOperation(t *testing.T) {
	t.Parallel()
	srv := acme(t)
	srv.Inject(ghtest.Fault{Status: 429, Times: -1})
	c := newClient(t, srv, srv.Token)
	errs := map[string]error{
		"upload": func() error {
			_, err := c.UploadSARIF(t.Context(), "acme", "web", []byte(`{"version":"2.1.0","runs":[]}`), sha, "refs/heads/main")
			return err
		}(),
		"secret": c.SetRepoSecret(t.Context(), "acme", "web", "K", replacement),
		"status": func() error { _, err := c.SARIFStatus(t.Context(), "acme", "web", "abc"); return err }(),
		"repos":  func() error { _, err := c.OrgRepos(t.Context(), "acme", ghapi.RepoFilter{}); return err }(),
	}
	for op, err := range errs {
		if !errors.Is(err, ghapi.ErrRateLimited) {
			t.Errorf("%s: err = %v, want ErrRateLimited", op, err)
		}
		if strings.Contains(err.Error(), "GITHUB_TOKEN cannot") {
			t.Errorf("%s: a rate limit is explained as a permission: %v", op, err)
		}
	}
}
