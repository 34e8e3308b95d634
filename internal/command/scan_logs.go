package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/scan"
)

// maxLogArchive bounds one run's log archive download.
const maxLogArchive = 1 << 30

// parseSince reads --since for run logs: a date (2026-09-01, taken as
// UTC), an RFC 3339 time, or an age in days or hours ("30d", "12h").
func parseSince(v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02", time.RFC3339} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	if n, err := strconv.Atoi(strings.TrimSuffix(v, "d")); err == nil && strings.HasSuffix(v, "d") && n > 0 {
		return now.Add(-time.Duration(n) * 24 * time.Hour), nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, usagef("scan: --since %q: give a date (2026-09-01), an RFC 3339 time, or an age (30d, 12h)", v)
}

// scanActionsLogs lists OWNER/REPO's workflow runs (since --since, at most
// --max-runs, newest first), downloads each run's log archive to a
// temporary file and scans it. A run without logs (expired, deleted, never
// run) is listed in the report as not scanned; any other failure stops the
// scan.
func scanActionsLogs(ctx context.Context, e *Env, f *scanFlags) (*scan.Report, error) {
	owner, repo, _ := strings.Cut(f.actionsLogs, "/")
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	since, err := parseSince(f.since, now())
	if err != nil {
		return nil, err
	}
	g, err := newGitHub(e, f.gh.token, "--token", f.gh.url)
	if err != nil {
		return nil, err
	}
	runs, err := g.WorkflowRuns(ctx, owner, repo, since, f.maxRuns)
	var cut string
	switch {
	case errors.Is(err, ghapi.ErrTruncated):
		cut = err.Error()
	case err != nil:
		return nil, g.explain(err)
	}
	rep := &scan.Report{Version: 1, Findings: []scan.Finding{}, Stats: scan.Stats{Mode: "actions-logs"}}
	if cut != "" {
		rep.Stats.Unscanned = append(rep.Stats.Unscanned, scan.Unscanned{Path: f.actionsLogs, Reason: cut})
		rep.Stats.UnscannedCount++
	}
	tmp, err := os.CreateTemp("", "vastguard-run-logs-*.zip")
	if err != nil {
		return nil, fmt.Errorf("a temporary file for the logs: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	for _, run := range runs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := tmp.Truncate(0); err != nil {
			return nil, err
		}
		if _, err := tmp.Seek(0, 0); err != nil {
			return nil, err
		}
		n, err := g.RunLogs(ctx, owner, repo, run.ID, tmp, maxLogArchive)
		if errors.Is(err, ghapi.ErrNoLogs) {
			reason := "no logs (still queued, no job ran, or deleted)"
			if strings.Contains(err.Error(), "410") {
				reason = "its logs expired or were deleted"
			}
			rep.Stats.UnscannedCount++
			if len(rep.Stats.Unscanned) < 100 {
				rep.Stats.Unscanned = append(rep.Stats.Unscanned, scan.Unscanned{Path: fmt.Sprintf("run %d", run.ID), Reason: reason})
			}
			continue
		}
		if err != nil {
			return nil, g.explain(err)
		}
		r, err := scan.ScanActionsLog(ctx, tmp, n, scan.LogRun{
			ID: run.ID, Attempt: run.Attempt, Workflow: run.Name, URL: run.URL, Event: run.Event,
			Branch: run.Branch, HeadSHA: run.HeadSHA, Actor: run.Actor, Created: run.Created,
		}, scan.ReaderOptions{Limits: f.limits()})
		if err != nil {
			return nil, err
		}
		rep.Merge(r)
	}
	return rep, nil
}
