package ghapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-github/v62/github"
)

// Repo is a repository of an organisation.
type Repo struct {
	FullName      string // "org/name"
	DefaultBranch string
	Private       bool
	Archived      bool
	Fork          bool
}

// RepoFilter says which repositories OrgRepos keeps. The zero value drops
// archived repositories and forks.
type RepoFilter struct {
	Archived bool // keep archived repositories
	Forks    bool // keep forks
}

// maxPages bounds the pages OrgRepos reads (100,000 repositories), so a
// server whose pagination never ends cannot keep it looping.
const maxPages = 1000

func orgHints(org string) hints {
	return func(status int) string {
		switch status {
		case http.StatusUnauthorized:
			return "GitHub did not accept the token (mistyped, expired or revoked)"
		case http.StatusForbidden:
			return "listing an organisation's repositories needs a token with \"Metadata: read\" on them (fine-grained PAT or App token; classic PAT: repo for private repositories); the organisation may also require SAML single sign-on authorisation of the token"
		case http.StatusNotFound:
			return fmt.Sprintf("there is no organisation %q, or the token cannot see it (a user account's repositories are not listed here)", org)
		}
		return ""
	}
}

// OrgRepos lists the repositories of organisation org that the token can
// see, following every page (100 a page), keeps those f asks for (by
// default neither archived repositories nor forks), and returns them sorted
// by full name, case-insensitively, each once (a repository created while
// the pages are read can shift one onto the next page twice). An
// organisation with no repositories, or none left after filtering, gives a
// nil list and no error. The
// built-in GITHUB_TOKEN sees only public repositories and its own, so the
// list is complete only with a token that can read them all ("Metadata:
// read").
//
// GitHub API: GET /orgs/{org}/repos
func (c *Client) OrgRepos(ctx context.Context, org string, f RepoFilter) ([]Repo, error) {
	op := fmt.Sprintf("list the repositories of %s", org)
	if !ownerName.MatchString(org) {
		return nil, fmt.Errorf("list repositories: %q is not a GitHub organisation name", org)
	}
	opts := &github.RepositoryListByOrgOptions{Type: "all", ListOptions: github.ListOptions{PerPage: 100}}
	var out []Repo
	for pages := 0; ; pages++ {
		if pages == maxPages {
			return nil, &Error{Op: op, Status: http.StatusOK, Message: fmt.Sprintf("more than %d pages of repositories", maxPages)}
		}
		repos, resp, err := c.gh.Repositories.ListByOrg(ctx, org, opts)
		if err != nil {
			return nil, c.wrap(op, err, orgHints(org))
		}
		for _, r := range repos {
			if r == nil || r.GetFullName() == "" {
				return nil, &Error{Op: op, Status: http.StatusOK, Message: "a repository without full_name in the list"}
			}
			if (r.GetArchived() && !f.Archived) || (r.GetFork() && !f.Forks) {
				continue
			}
			out = append(out, Repo{
				FullName:      r.GetFullName(),
				DefaultBranch: r.GetDefaultBranch(),
				Private:       r.GetPrivate(),
				Archived:      r.GetArchived(),
				Fork:          r.GetFork(),
			})
		}
		if resp.NextPage == 0 {
			break
		}
		if resp.NextPage <= max(opts.Page, 1) {
			return nil, &Error{Op: op, Status: http.StatusOK, Message: fmt.Sprintf("the next page (%d) is not after this one (%d)", resp.NextPage, max(opts.Page, 1))}
		}
		opts.Page = resp.NextPage
	}
	slices.SortFunc(out, func(a, b Repo) int {
		if c := strings.Compare(strings.ToLower(a.FullName), strings.ToLower(b.FullName)); c != 0 {
			return c
		}
		return strings.Compare(a.FullName, b.FullName)
	})
	return slices.CompactFunc(out, func(a, b Repo) bool { return a.FullName == b.FullName }), nil
}
