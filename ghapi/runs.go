package ghapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// WorkflowRun is one run of a repository's workflows, as
// GET /repos/{owner}/{repo}/actions/runs lists it.
type WorkflowRun struct {
	ID         int64
	Name       string // the workflow's name
	Number     int    // run_number
	Attempt    int    // run_attempt
	Event      string // push, pull_request, ...
	Status     string // queued, in_progress, completed
	Conclusion string
	Branch     string // head_branch
	HeadSHA    string
	Actor      string // the login of who triggered it
	URL        string // the run's page (html_url)
	Created    time.Time
}

// maxRunSearch is how many runs GitHub returns for a search of the run list
// (with created, branch, event, ...): "up to 1,000 results for each search"
// (docs: List workflow runs for a repository).
const maxRunSearch = 1000

// ErrTruncated marks a list GitHub cut: WorkflowRuns returns what it got
// along with an error matching it.
var ErrTruncated = errors.New("list cut short")

func runsHints(owner, repo string) hints {
	return func(status int) string {
		switch status {
		case http.StatusUnauthorized:
			return "GitHub did not accept the token (mistyped, expired or revoked)"
		case http.StatusForbidden:
			return "reading workflow runs and their logs needs a token with \"Actions: read\" on the repository (fine-grained PAT or App token; classic PAT: repo for a private repository; in a workflow, permissions: actions: read)"
		case http.StatusNotFound:
			return fmt.Sprintf("there is no repository %s/%s, or the token cannot see it", owner, repo)
		}
		return ""
	}
}

// WorkflowRuns lists the runs of every workflow of owner/repo created at or
// after since (zero: all of them), newest first, following every page (100
// a page) up to limit runs (0: no limit of its own). GitHub answers a
// search of the list (since is one) with at most 1,000 runs; when it holds
// more than WorkflowRuns returns, the runs come with an error matching
// ErrTruncated that says how many there were.
//
// GitHub API: GET /repos/{owner}/{repo}/actions/runs
func (c *Client) WorkflowRuns(ctx context.Context, owner, repo string, since time.Time, limit int) ([]WorkflowRun, error) {
	if err := checkRepo(owner, repo); err != nil {
		return nil, fmt.Errorf("list workflow runs: %w", err)
	}
	op := fmt.Sprintf("list the workflow runs of %s/%s", owner, repo)
	opts := &github.ListWorkflowRunsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	if !since.IsZero() {
		opts.Created = ">=" + since.UTC().Format(time.RFC3339)
	}
	var out []WorkflowRun
	seen := map[int64]bool{}
	total := 0
	for pages := 0; ; pages++ {
		if pages == maxPages {
			return nil, &Error{Op: op, Status: http.StatusOK, Message: fmt.Sprintf("more than %d pages of runs", maxPages)}
		}
		runs, resp, err := c.gh.Actions.ListRepositoryWorkflowRuns(ctx, owner, repo, opts)
		if err != nil {
			return nil, c.wrap(op, err, runsHints(owner, repo))
		}
		if runs == nil {
			return nil, &Error{Op: op, Status: http.StatusOK, Message: "an answer without workflow_runs"}
		}
		total = max(total, runs.GetTotalCount())
		for _, r := range runs.WorkflowRuns {
			if r == nil || r.GetID() == 0 {
				return nil, &Error{Op: op, Status: http.StatusOK, Message: "a run without an id in the list"}
			}
			// A run started while the pages are read shifts the list: the
			// same run can come twice.
			if seen[r.GetID()] {
				continue
			}
			seen[r.GetID()] = true
			out = append(out, WorkflowRun{
				ID: r.GetID(), Name: r.GetName(), Number: r.GetRunNumber(), Attempt: r.GetRunAttempt(),
				Event: r.GetEvent(), Status: r.GetStatus(), Conclusion: r.GetConclusion(),
				Branch: r.GetHeadBranch(), HeadSHA: r.GetHeadSHA(), Actor: r.GetActor().GetLogin(),
				URL: r.GetHTMLURL(), Created: r.GetCreatedAt().Time,
			})
			if limit > 0 && len(out) == limit {
				break
			}
		}
		if resp.NextPage == 0 || (limit > 0 && len(out) >= limit) {
			break
		}
		if resp.NextPage <= max(opts.Page, 1) {
			return nil, &Error{Op: op, Status: http.StatusOK, Message: fmt.Sprintf("the next page (%d) is not after this one (%d)", resp.NextPage, max(opts.Page, 1))}
		}
		opts.Page = resp.NextPage
	}
	if total > len(out) {
		why := fmt.Sprintf("%s/%s has %d runs in that time, %d were listed", owner, repo, total, len(out))
		switch {
		case limit > 0 && len(out) >= limit:
			why += fmt.Sprintf(" (the limit of %d)", limit)
		case len(out) >= maxRunSearch:
			why += fmt.Sprintf(" (GitHub returns at most %d runs for a search: give a later --since to cover the rest)", maxRunSearch)
		}
		return out, fmt.Errorf("%s: %w", why, ErrTruncated)
	}
	return out, nil
}

// ErrNoLogs marks a run without logs to download: GitHub answered 404 (the
// run is still queued, had no jobs, or its logs were deleted) or 410 (they
// expired; GitHub keeps them 90 days by default).
var ErrNoLogs = errors.New("no logs")

// RunLogs downloads the log archive of a workflow run (a zip: a whole-log
// file per job, and a directory per job with a file per step) into w, and
// returns its size. GitHub answers the API with a 302 to a URL on its blob
// storage, valid for a minute; that URL is fetched with a client that
// carries no token (the token goes to the API host only), and fetched
// anew once if it has already expired. More than limit bytes is an error
// (limit <= 0: 1 GiB).
//
// GitHub API: GET /repos/{owner}/{repo}/actions/runs/{run_id}/logs
func (c *Client) RunLogs(ctx context.Context, owner, repo string, runID int64, w io.Writer, limit int64) (int64, error) {
	if err := checkRepo(owner, repo); err != nil {
		return 0, fmt.Errorf("download run logs: %w", err)
	}
	if limit <= 0 {
		limit = 1 << 30
	}
	op := fmt.Sprintf("download the logs of run %d of %s/%s", runID, owner, repo)
	for attempt := 1; ; attempt++ {
		u, resp, err := c.gh.Actions.GetWorkflowRunLogs(ctx, owner, repo, runID, 3)
		if err != nil {
			return 0, c.logsError(op, owner, repo, runID, resp, err)
		}
		if u == nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return 0, &Error{Op: op, Status: http.StatusFound, Message: "a redirect without a usable Location"}
		}
		n, expired, err := c.download(ctx, op, u, w, limit)
		if expired && attempt == 1 && n == 0 {
			continue // the link died before it was used: ask for another
		}
		return n, err
	}
}

// logsError explains the logs endpoint's answer: go-github returns an
// unclassified error for anything but 302, with the response.
func (c *Client) logsError(op, owner, repo string, runID int64, resp *github.Response, err error) error {
	if resp == nil || resp.Response == nil {
		return c.wrap(op, err, nil)
	}
	e := &Error{Op: op, Status: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}
	e.RateLimited, e.Reset = rateLimited(e.Status, "", resp.Header)
	switch {
	case e.RateLimited:
	case e.Status == http.StatusNotFound:
		e.Hint = fmt.Sprintf("run %d has no logs (still queued, no jobs ran, or they were deleted), or the token cannot see %s/%s", runID, owner, repo)
		return noLogsError{e}
	case e.Status == http.StatusGone:
		e.Hint = "the logs expired or were deleted (GitHub keeps them 90 days by default)"
		return noLogsError{e}
	default:
		e.Hint = runsHints(owner, repo)(e.Status)
	}
	return e
}

// noLogsError is an *Error that also matches ErrNoLogs.
type noLogsError struct{ e *Error }

func (n noLogsError) Error() string        { return n.e.Error() }
func (n noLogsError) Is(target error) bool { return target == ErrNoLogs }
func (n noLogsError) Unwrap() error        { return n.e }

// download fetches a blob-storage URL into w. The URL's query is a
// signature: it never goes into an error.
func (c *Client) download(ctx context.Context, op string, u *url.URL, w io.Writer, limit int64) (n int64, expired bool, err error) {
	host := u.Scheme + "://" + u.Host
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, false, fmt.Errorf("%s: %v", op, err)
	}
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, false, fmt.Errorf("%s: cannot reach %s: %v", op, host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		msg := http.StatusText(resp.StatusCode)
		// Azure Blob Storage says why in XML: <Code>AuthenticationFailed</Code>.
		if _, after, ok := strings.Cut(string(body), "<Code>"); ok {
			code, _, _ := strings.Cut(after, "</Code>")
			msg += ": " + clean(code, 80)
		}
		e := &Error{Op: op, Status: resp.StatusCode, Message: "the log storage at " + host + " answered " + msg}
		expired = resp.StatusCode == http.StatusForbidden
		if expired {
			e.Hint = "the download link expired (it lives a minute); try again"
		}
		return 0, expired, e
	}
	n, err = io.Copy(w, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return n, false, fmt.Errorf("%s: reading from %s: %v", op, host, err)
	}
	if n > limit {
		return n, false, &Error{Op: op, Status: http.StatusOK, Message: fmt.Sprintf("the log archive is larger than %d MiB", limit>>20)}
	}
	return n, false, nil
}
