package scan

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// LogRun is the workflow run whose log archive ScanActionsLog reads, as
// GET /repos/{owner}/{repo}/actions/runs lists it.
type LogRun struct {
	ID       int64
	Attempt  int
	Workflow string // the run's name (the workflow's)
	URL      string // the run's page (html_url)
	Event    string
	Branch   string
	HeadSHA  string
	Actor    string // who triggered it
	Created  time.Time
}

// LogPlace is where in a workflow run's logs a key was printed.
type LogPlace struct {
	RunID      int64  `json:"run_id"`
	RunAttempt int    `json:"run_attempt,omitempty"`
	Workflow   string `json:"workflow,omitempty"`
	RunURL     string `json:"run_url,omitempty"`
	Event      string `json:"event,omitempty"`
	HeadSHA    string `json:"head_sha,omitempty"`
	// Job is the job's name as the archive spells it (GitHub drops '/'
	// and ':' and cuts it at 90 characters).
	Job string `json:"job"`
	// Step is the step's name, StepNumber its number, for a line of a
	// step's own log file; both empty for the job's whole log, and Step
	// "system" for the runner's system.txt.
	Step       string `json:"step,omitempty"`
	StepNumber int    `json:"step_number,omitempty"`
}

// The layout of a run's log archive (GET .../actions/runs/{id}/logs), as
// GitHub serves it and as the GitHub CLI reads it (cli/cli
// pkg/cmd/run/view/logs.go):
//
//	0_build.txt               the whole log of job "build" (a negative
//	1_test (3.12).txt         number is a job id of the old service)
//	build/1_Set up job.txt    one file per step (archives made since 2026
//	build/2_Run tests.txt     may hold only the whole-job files)
//	build/system.txt          the runner's own log
//
// Every line starts with a timestamp ("2026-09-07T09:15:20.1234567Z ").
var (
	wholeJobLog = regexp.MustCompile(`^-?[0-9]+_(.+)\.txt$`)
	stepLog     = regexp.MustCompile(`^([0-9]+)_(.+)\.txt$`)
)

// logPlace reads what an entry's name says of where it is in the run.
func logPlace(run LogRun, name string) *LogPlace {
	p := &LogPlace{RunID: run.ID, RunAttempt: run.Attempt, Workflow: run.Workflow, RunURL: run.URL, Event: run.Event, HeadSHA: run.HeadSHA}
	dir, file := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	switch {
	case dir == "":
		if m := wholeJobLog.FindStringSubmatch(file); m != nil {
			p.Job = m[1]
		} else {
			p.Job = strings.TrimSuffix(file, ".txt")
		}
	case file == "system.txt":
		p.Job, p.Step = dir, "system"
	default:
		p.Job = dir
		if m := stepLog.FindStringSubmatch(file); m != nil {
			p.StepNumber, _ = strconv.Atoi(m[1])
			p.Step = m[2]
		} else {
			p.Step = strings.TrimSuffix(file, ".txt")
		}
	}
	return p
}

// ScanActionsLog scans the log archive of one GitHub Actions workflow run
// (the zip GET /repos/{owner}/{repo}/actions/runs/{run_id}/logs redirects
// to), size bytes read through zr: every text file in it, each entry
// decompressed within opts.Limits (a zip bomb stops at Limits.Bytes). Keys
// printed in a log were never committed, but anyone who can read the run's
// logs has them: for a public repository, everyone.
//
// Findings have Source SourceActionsLog, Path the entry's name in the
// archive, Line the line in that file, Date the run's creation, Author who
// triggered it, and Log the run, job and step. A key found both in a
// step's file and in its job's whole log is reported once, at the step.
func ScanActionsLog(ctx context.Context, zr io.ReaderAt, size int64, run LogRun, opts ReaderOptions) (*Report, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	det := opts.Detectors
	if det == nil {
		det = Detectors
	}
	z, err := zip.NewReader(zr, size)
	if err != nil {
		return nil, fmt.Errorf("run %d: the log archive is not a zip file: %w", run.ID, err)
	}
	c := newContents(det, opts.Limits, SourceActionsLog)
	// Logs are text: nothing inside them is opened as an archive.
	c.limits.Depth = 0
	places := map[string]*LogPlace{}
	for _, f := range z.File {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if f.Mode().IsDir() || strings.HasSuffix(f.Name, "/") {
			continue
		}
		name := entryName(f.Name)
		if !f.Mode().IsRegular() {
			c.note(func(st *Stats) { st.SkippedSpecial++ })
			continue
		}
		if !c.take(name) {
			break
		}
		if f.UncompressedSize64 > uint64(c.limits.Bytes) {
			c.unscanned(name, fmt.Sprintf("declares %d bytes, more than the decompression budget of %s", f.UncompressedSize64, humanBytes(c.limits.Bytes)))
			continue
		}
		places[name] = logPlace(run, name)
		rc, err := f.Open()
		if err != nil {
			c.unscanned(name, err.Error())
			continue
		}
		err = c.entry(ctx, name, "", c.budget(rc), int64(f.UncompressedSize64), 0)
		rc.Close()
		if err == errBudget {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	rep := c.report("actions-logs")
	rep.Stats.Runs = 1
	// A step's line is also in its job's whole log: keep the step's.
	inStep := map[string]bool{}
	for _, f := range rep.Findings {
		if p := places[f.Path]; p != nil && p.Step != "" {
			inStep[p.Job+"\x00"+f.KeySHA256] = true
		}
	}
	keep := rep.Findings[:0]
	for _, f := range rep.Findings {
		p := places[f.Path]
		if p != nil && p.Step == "" && inStep[p.Job+"\x00"+f.KeySHA256] {
			continue
		}
		f.Log = p
		f.Date = run.Created
		f.Author = run.Actor
		keep = append(keep, f)
	}
	rep.Findings = keep
	rep.Stats.Seconds = now().Sub(start).Seconds()
	return rep, nil
}

// Merge adds o's findings and counts to r, for a report over several
// sources (the runs of a repository's logs).
func (r *Report) Merge(o *Report) {
	r.Findings = append(r.Findings, o.Findings...)
	a, b := &r.Stats, &o.Stats
	if a.Mode == "" {
		a.Mode = b.Mode
	}
	a.Refs += b.Refs
	a.Commits += b.Commits
	a.Blobs += b.Blobs
	a.Bytes += b.Bytes
	a.SkippedBinaries += b.SkippedBinaries
	a.Trees += b.Trees
	a.Seconds += b.Seconds
	a.Allowed += b.Allowed
	a.Unreachable += b.Unreachable
	a.Missing += b.Missing
	a.Archives += b.Archives
	a.ArchiveEntries += b.ArchiveEntries
	a.SkippedLinks += b.SkippedLinks
	a.SkippedSpecial += b.SkippedSpecial
	for _, u := range b.Unscanned {
		if len(a.Unscanned) < maxUnscanned {
			a.Unscanned = append(a.Unscanned, u)
		}
	}
	a.UnscannedCount += b.UnscannedCount
	a.Runs += b.Runs
	a.Excluded += b.Excluded
	a.Disabled += b.Disabled
	a.BelowConfidence += b.BelowConfidence
	a.Examples += b.Examples
	if r.Version == 0 {
		r.Version = o.Version
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
}
