package command

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/safetext"
)

// maxMatrixJobs is GitHub's limit on the jobs one matrix makes.
const maxMatrixJobs = 256

// orgMatrix lists the repositories of org that f keeps and returns them as
// one line of JSON for strategy.matrix, {"repository":["org/a",...]}, with
// notes for a person (an empty list, a list over GitHub's matrix limit, a
// token that may not see private repositories). An empty token or apiURL is
// taken from the environment as the repos command does (GITHUB_TOKEN, then
// GH_TOKEN; GITHUB_API_URL). Errors are one line and never hold the token.
func orgMatrix(ctx context.Context, e *Env, org string, f ghapi.RepoFilter, token, source, apiURL string) (matrix string, notes []string, err error) {
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
	// The names are GitHub's: what a terminal would act on is escaped.
	return string(safetext.JSON(b)), notes, nil
}

func reposCommand(fs *pflag.FlagSet) runFunc {
	var gf githubFlags
	gf.register(fs)
	org := fs.String("org", "", "the organisation `NAME` whose repositories to list")
	archived := fs.Bool("include-archived", false, "list archived repositories too")
	forks := fs.Bool("include-forks", false, "list forks too")
	return func(ctx context.Context, e *Env, pos []string) error {
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
		fmt.Fprintln(e.Stdout, matrix)
		for _, n := range notes {
			fmt.Fprintln(e.Stderr, "vastguard: note: "+safetext.OneLine(n))
		}
		return nil
	}
}

// githubTokenInput names the github-token input in messages.
const githubTokenInput = "the github-token input"

// checkReposInputs is the repos command's rules for the inputs.
func checkReposInputs(c actionConfig) error {
	switch {
	case c.org == "":
		return inputError("org", "is empty: name the organisation whose repositories to list")
	case c.githubToken == "":
		return inputError("github-token", "is empty: listing an organisation's repositories needs a token with Metadata: read on them")
	}
	return nil
}

// actionRepos is the Action's repos command: the organisation's
// repositories (not archived, not forks) as the output matrix, for a later
// job's strategy.matrix.
func actionRepos(ctx context.Context, e *Env, wf *ghactions.Workflow, cfg actionConfig) error {
	matrix, notes, err := orgMatrix(ctx, e, cfg.org, ghapi.RepoFilter{}, cfg.githubToken, githubTokenInput, "")
	if err != nil {
		return err
	}
	for _, n := range notes {
		wf.Annotate("warning", "vastguard repos", n)
	}
	if err := wf.SetOutput("matrix", matrix); err != nil {
		return fmt.Errorf("setting the output matrix: %w", err)
	}
	n := strings.Count(matrix, `"`) / 2
	if n > 0 {
		n-- // the "repository" key
	}
	wf.Logf("%d repositories of %s in the matrix", n, cfg.org)
	wf.Summary(fmt.Sprintf("### vastguard repos\n\n%d repositories of %s to scan.", n, safetext.MarkdownCell(cfg.org)))
	return nil
}
