package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/vast"
)

// sweep deletes the keys the Action minted whose expiry, read from their
// names, has passed: the backstop for jobs whose post step never ran (a
// runner that died, a cancelled job on a shut-down runner). A key whose name
// does not parse as one the Action minted is never touched.

// Results of one swept key.
const (
	sweepDeleted   = "deleted"
	sweepGone      = "already gone"
	sweepWould     = "would delete (dry run)"
	sweepFailed    = "FAILED"
	sweepNotTried  = "not tried (an earlier delete failed)"
	sweepCancelled = "not tried (cancelled)"
)

type sweptKey struct {
	ID      int64
	Name    string
	Expires time.Time
	Result  string
	Err     error // with sweepFailed
}

type sweepReport struct {
	Expired []sweptKey // by expiry, oldest first
	Live    int        // minted by the Action, not expired yet
	Others  int        // not minted by the Action: left alone
}

// failed counts the expired keys that are still there because of an error.
func (r sweepReport) failed() int {
	n := 0
	for _, k := range r.Expired {
		if k.Result != sweepDeleted && k.Result != sweepGone && k.Result != sweepWould {
			n++
		}
	}
	return n
}

// done counts the expired keys deleted, or to delete in a dry run.
func (r sweepReport) done() int { return len(r.Expired) - r.failed() }

// anyNamed reports whether the key list carries names at all (the list's
// fields are not documented; without names nothing can be found by name).
func anyNamed(keys []vast.Key) bool {
	for _, k := range keys {
		if k.Name != "" {
			return true
		}
	}
	return false
}

// sweepKeys lists the account's keys and deletes the expired ones the
// Action minted (or, with dryRun, only reports them). It returns an error
// only when the keys cannot be listed; a failed delete is recorded in the
// report, and the keys after it are not tried (each delete already retries
// within its budget, so the next would most likely fail the same way).
func sweepKeys(ctx context.Context, a *api, now time.Time, dryRun bool) (sweepReport, error) {
	keys, err := a.ListKeys(ctx)
	if err != nil {
		return sweepReport{}, a.Explain("list keys", err)
	}
	if len(keys) > 0 && !anyNamed(keys) {
		return sweepReport{}, fmt.Errorf("sweep: the Vast API's key list shows no key names, so the keys vastguard minted cannot be told apart from the others; delete expired ones in the Vast console (%d keys listed)", len(keys))
	}
	var r sweepReport
	for _, k := range keys {
		kn, ok := keyname.Parse(k.Name)
		switch {
		case !ok:
			r.Others++
		case !kn.Expires.Before(now):
			r.Live++
		default:
			r.Expired = append(r.Expired, sweptKey{ID: k.ID, Name: k.Name, Expires: kn.Expires})
		}
	}
	sort.SliceStable(r.Expired, func(i, j int) bool { return r.Expired[i].Expires.Before(r.Expired[j].Expires) })
	stopped := ""
	for i := range r.Expired {
		k := &r.Expired[i]
		switch {
		case dryRun:
			k.Result = sweepWould
			continue
		case stopped != "":
			k.Result = stopped
			continue
		case ctx.Err() != nil:
			k.Result, stopped = sweepCancelled, sweepCancelled
			continue
		}
		err := a.DeleteKey(ctx, k.ID)
		switch {
		case err == nil:
			k.Result = sweepDeleted
		case errors.Is(err, vast.ErrNotFound):
			k.Result = sweepGone
		default:
			k.Result, k.Err = sweepFailed, a.Explain(fmt.Sprintf("delete key %d", k.ID), err)
			stopped = sweepNotTried
			if ctx.Err() != nil {
				stopped = sweepCancelled
			}
		}
	}
	return r, nil
}

// writeSweepTable prints the expired keys and what became of them.
func writeSweepTable(w io.Writer, r sweepReport) {
	if len(r.Expired) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tEXPIRED\tRESULT")
		for _, k := range r.Expired {
			res := k.Result
			if k.Err != nil {
				res += ": " + safetext.OneLine(k.Err.Error())
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", k.ID, safetext.Printable(k.Name, "-"), k.Expires.Format("2006-01-02 15:04Z"), res)
		}
		tw.Flush()
	}
	fmt.Fprintln(w, sweepSentence(r))
}

func sweepSentence(r sweepReport) string {
	verb := "deleted"
	if len(r.Expired) > 0 && r.Expired[0].Result == sweepWould {
		verb = "to delete"
	}
	s := fmt.Sprintf("%d expired vastguard %s %s", r.done(), plural(r.done(), "key", "keys"), verb)
	if f := r.failed(); f > 0 {
		s += fmt.Sprintf(", %d NOT deleted", f)
	}
	return s + fmt.Sprintf("; %d not expired yet; %d other %s left alone.", r.Live, r.Others, plural(r.Others, "key", "keys"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// runSweep is `vastguard sweep [--dry-run]`.
func sweepCommand(fs *flag.FlagSet) runFunc {
	var af apiFlags
	af.register(fs)
	dryRun := fs.Bool("dry-run", false, "list the expired keys without deleting them")
	return func(ctx context.Context, e *Env, pos []string) error {
		if len(pos) > 0 {
			return usagef("sweep takes no arguments (got %q)", pos[0])
		}
		a, err := newAPI(ctx, e, af)
		if err != nil {
			return err
		}
		r, err := sweepKeys(ctx, a, e.Now(), *dryRun)
		if err != nil {
			return err
		}
		writeSweepTable(e.Stdout, r)
		if f := r.failed(); f > 0 {
			return fmt.Errorf("sweep: %d expired %s not deleted (see above)", f, plural(f, "key", "keys"))
		}
		return nil
	}
}

// actionSweep is the Action's sweep command: the table in the log and the
// job summary, an error annotation per key it could not delete, and the
// output swept.
func actionSweep(ctx context.Context, e *Env, wf *ghactions.Workflow, cfg actionConfig) error {
	a, err := actionAPI(ctx, e, cfg, vast.DefaultRetry)
	if err != nil {
		return err
	}
	r, err := sweepKeys(ctx, a, e.Now(), cfg.dryRun)
	if err != nil {
		return err
	}
	var log strings.Builder
	writeSweepTable(&log, r)
	wf.Untrusted(log.String())

	var md strings.Builder
	title := "### vastguard sweep"
	if cfg.dryRun {
		title += " (dry run)"
	}
	md.WriteString(title + "\n\n")
	if len(r.Expired) > 0 {
		md.WriteString("| Id | Name | Expired | Result |\n|---|---|---|---|\n")
		for _, k := range r.Expired {
			res := k.Result
			if k.Err != nil {
				res += ": " + safetext.OneLine(k.Err.Error())
			}
			fmt.Fprintf(&md, "| %d | %s | %s | %s |\n", k.ID, safetext.MarkdownCode(k.Name), k.Expires.Format(time.RFC3339), safetext.MarkdownCell(res))
		}
		md.WriteString("\n")
	}
	md.WriteString(sweepSentence(r))
	if err := wf.Summary(md.String()); err != nil {
		wf.Annotate("warning", "vastguard", safetext.OneLine(err.Error()))
	}
	if err := wf.SetOutput("swept", strconv.Itoa(r.done())); err != nil {
		return fmt.Errorf("setting the output swept: %w", err)
	}
	var msgs []string
	skipped := 0
	for _, k := range r.Expired {
		switch k.Result {
		case sweepFailed:
			msgs = append(msgs, fmt.Sprintf("could not delete expired key %d %s: %s", k.ID, safetext.Printable(k.Name, ""), safetext.OneLine(k.Err.Error())))
		case sweepNotTried, sweepCancelled:
			skipped++
		}
	}
	if skipped > 0 {
		msgs = append(msgs, fmt.Sprintf("%d more expired %s not tried after that; the job summary lists them", skipped, plural(skipped, "key was", "keys were")))
	}
	if len(msgs) > 0 {
		wf.AnnotateAll("error", "vastguard sweep", msgs)
		return &exitError{code: exitFailure}
	}
	return nil
}
