package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/vastguard/vastguard/ghapi"
)

// githubFlags are the flags of commands that call the GitHub API.
type githubFlags struct {
	token string
	url   string
}

func (f *githubFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.token, "token", "", "GitHub token (default $GITHUB_TOKEN, then $GH_TOKEN); prefer the environment: flags show in ps")
	fs.StringVar(&f.url, "github-api-url", "", "GitHub API URL (default $GITHUB_API_URL, then "+ghapi.DefaultAPIURL+"; on Enterprise Server https://HOST/api/v3)")
}

// githubToken finds the GitHub token: the flag, then GITHUB_TOKEN (as a
// workflow step's env sets it), then GH_TOKEN (as the gh CLI reads it).
func githubToken(e *env, flagToken, source string) (credential, error) {
	if t := strings.TrimSpace(flagToken); t != "" {
		return credential{t, source}, nil
	}
	for _, name := range []string{"GITHUB_TOKEN", "GH_TOKEN"} {
		if t := strings.TrimSpace(e.getenv(name)); t != "" {
			return credential{t, name}, nil
		}
	}
	return credential{}, errors.New("no GitHub token: set GITHUB_TOKEN (or GH_TOKEN), or pass --token")
}

// githubAPIURL picks the API URL: the flag, then GITHUB_API_URL (set on
// every Actions runner, the Enterprise Server's on GHES), then github.com's.
func githubAPIURL(e *env, flagURL string) (string, string) {
	return setting(e, flagURL, "--github-api-url", "GITHUB_API_URL", ghapi.DefaultAPIURL)
}

// githubAPI is a GitHub client plus what to tell the user to check when it
// fails.
type githubAPI struct {
	*ghapi.Client
	cred      credential
	url       string
	urlSource string
}

// newGitHub builds a client from a token and an API URL, each taken from
// the environment when empty. source names where a given token came from
// ("--token", "the github-token input"), for messages.
func newGitHub(e *env, token, source, apiURL string) (*githubAPI, error) {
	cred, err := githubToken(e, token, source)
	if err != nil {
		return nil, err
	}
	u, src := githubAPIURL(e, apiURL)
	opts := []ghapi.Option{ghapi.WithBaseURL(u), ghapi.WithUserAgent("vastguard/" + version())}
	if e.http != nil {
		opts = append(opts, ghapi.WithHTTPClient(e.http))
	}
	c, err := ghapi.New(cred.key, opts...)
	switch {
	case err == nil:
	case errors.Is(err, ghapi.ErrNoToken):
		return nil, fmt.Errorf("%s is empty", cred.source)
	case strings.Contains(err.Error(), "API URL") && src != "":
		return nil, fmt.Errorf("%s: %w", src, err)
	default:
		return nil, fmt.Errorf("%s: %w", cred.source, err)
	}
	return &githubAPI{Client: c, cred: cred, url: u, urlSource: src}, nil
}

// explain adds to a GitHub error where the token or URL came from, which
// is what the user can change. ghapi errors already name the operation and
// say what permission is missing; none holds the token.
func (g *githubAPI) explain(err error) error {
	var ge *ghapi.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return errors.New("cancelled")
	case errors.Is(err, ghapi.ErrRateLimited):
		return fmt.Errorf("%w; wait for it to pass and try again (the limit is on the token from %s)", err, g.cred.source)
	case errors.As(err, &ge) && (ge.Status == 401 || ge.Status == 403 || ge.Status == 404):
		return fmt.Errorf("%w; the token came from %s", err, g.cred.source)
	case errors.As(err, &ge):
		return err
	}
	hint := "--github-api-url or GITHUB_API_URL"
	if g.urlSource != "" {
		hint = g.urlSource
	}
	if strings.Contains(err.Error(), "cannot reach GitHub") {
		return fmt.Errorf("%w (check %s and the network)", err, hint)
	}
	return err
}

// maxMatrixJobs is GitHub's limit on the jobs one matrix makes.
const maxMatrixJobs = 256

// orgMatrix lists the repositories of org that f keeps and returns them as
// one line of JSON for strategy.matrix, {"repository":["org/a",...]}, with
// notes for a person (an empty list, a list over GitHub's matrix limit, a
// token that may not see private repositories). An empty token or apiURL is
// taken from the environment as the repos command does (GITHUB_TOKEN, then
// GH_TOKEN; GITHUB_API_URL). Errors are one line and never hold the token.
func orgMatrix(ctx context.Context, e *env, org string, f ghapi.RepoFilter, token, source, apiURL string) (matrix string, notes []string, err error) {
	g, err := newGitHub(e, token, source, apiURL)
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	repos, err := g.OrgRepos(ctx, org, f)
	if err != nil {
		return "", nil, g.explain(err)
	}
	names := make([]string, 0, len(repos))
	for _, r := range repos {
		names = append(names, r.FullName)
	}
	b, err := json.Marshal(struct {
		Repository []string `json:"repository"`
	}{names})
	if err != nil {
		return "", nil, err
	}
	except := " other than archived repositories and forks"
	switch {
	case f.Archived && f.Forks:
		except = ""
	case f.Archived:
		except = " other than forks"
	case f.Forks:
		except = " other than archived repositories"
	}
	switch {
	case len(names) == 0:
		notes = append(notes, fmt.Sprintf("%s has no repositories this token can see%s: GitHub fails a job whose matrix is empty, so guard the matrix job with `if: fromJSON(needs.<job>.outputs.matrix).repository[0] != null`", org, except))
	case len(names) > maxMatrixJobs:
		notes = append(notes, fmt.Sprintf("%d repositories: GitHub refuses a matrix of more than %d jobs, so split them over several workflows", len(names), maxMatrixJobs))
	}
	if strings.HasPrefix(g.cred.key, "ghs_") {
		notes = append(notes, fmt.Sprintf("the token from %s is a GitHub App installation token; if it is a job's built-in GITHUB_TOKEN, the list holds only public repositories and the job's own: use a token with \"Metadata: read\" on the organisation's repositories", g.cred.source))
	}
	return string(b), notes, nil
}

func runRepos(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "repos", "vastguard repos --org NAME [--include-archived] [--include-forks] [--token T] [--github-api-url U]")
	var gf githubFlags
	gf.register(fs)
	org := fs.String("org", "", "the organisation whose repositories to list")
	archived := fs.Bool("include-archived", false, "list archived repositories too")
	forks := fs.Bool("include-forks", false, "list forks too")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("repos takes no arguments (got %q); use --org", pos[0])
	}
	if strings.TrimSpace(*org) == "" {
		return usagef("repos: --org is required: the organisation whose repositories to list")
	}
	matrix, notes, err := orgMatrix(ctx, e, strings.TrimSpace(*org), ghapi.RepoFilter{Archived: *archived, Forks: *forks}, gf.token, "--token", gf.url)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, matrix)
	for _, n := range notes {
		fmt.Fprintln(e.stderr, "vastguard: note: "+n)
	}
	return nil
}
