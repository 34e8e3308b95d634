// Package hygiene is what sweep and audit decide about an account's keys:
// which keys the Action minted have expired (by their names alone, see
// keyname), and which keys are risky (full access, user_write, old,
// expired). The CLI and the Action front ends in internal/command print
// and act on its reports.
//
// It reaches the API through the Keys interface and builds no client; it
// imports vast, internal/keyname and internal/safetext, and nothing of
// GitHub or the runner.
package hygiene

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

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
	Deleted     = "deleted"
	Gone        = "already gone"
	WouldDelete = "would delete (dry run)"
	Failed      = "FAILED"
	NotTried    = "not tried (an earlier delete failed)"
	Cancelled   = "not tried (cancelled)"
)

type SweptKey struct {
	ID      int64
	Name    string
	Expires time.Time
	Result  string
	Err     error // with Failed
}

type SweepReport struct {
	DryRun  bool       // nothing was deleted: Expired says what would be
	Expired []SweptKey // by expiry, oldest first
	Live    int        // minted by the Action, not expired yet
	Others  int        // not minted by the Action: left alone
}

// Failed counts the expired keys that are still there because of an error.
func (r SweepReport) Failed() int {
	n := 0
	for _, k := range r.Expired {
		if k.Result != Deleted && k.Result != Gone && k.Result != WouldDelete {
			n++
		}
	}
	return n
}

// Done counts the expired keys deleted, or to delete in a dry run.
func (r SweepReport) Done() int { return len(r.Expired) - r.Failed() }

// AnyNamed reports whether the key list carries names at all (the list's
// fields are not documented; without names nothing can be found by name).
func AnyNamed(keys []vast.Key) bool {
	for _, k := range keys {
		if k.Name != "" {
			return true
		}
	}
	return false
}

// Sweep lists the account's keys and deletes the expired ones the
// Action minted (or, with dryRun, only reports them). It returns an error
// only when the keys cannot be listed; a failed delete is recorded in the
// report, and the keys after it are not tried (each delete already retries
// within its budget, so the next would most likely fail the same way).
func Sweep(ctx context.Context, a Keys, now time.Time, dryRun bool) (SweepReport, error) {
	keys, err := a.ListKeys(ctx)
	if err != nil {
		return SweepReport{}, a.Explain("list keys", err)
	}
	if len(keys) > 0 && !AnyNamed(keys) {
		return SweepReport{}, fmt.Errorf("sweep: the Vast API's key list shows no key names, so the keys vastguard minted cannot be told apart from the others; delete expired ones in the Vast console (%d keys listed)", len(keys))
	}
	r := SweepReport{DryRun: dryRun}
	for _, k := range keys {
		kn, ok := keyname.Parse(k.Name)
		switch {
		case !ok:
			r.Others++
		case !kn.Expires.Before(now):
			r.Live++
		default:
			r.Expired = append(r.Expired, SweptKey{ID: k.ID, Name: k.Name, Expires: kn.Expires})
		}
	}
	sort.SliceStable(r.Expired, func(i, j int) bool { return r.Expired[i].Expires.Before(r.Expired[j].Expires) })
	stopped := ""
	for i := range r.Expired {
		k := &r.Expired[i]
		switch {
		case dryRun:
			k.Result = WouldDelete
			continue
		case stopped != "":
			k.Result = stopped
			continue
		case ctx.Err() != nil:
			k.Result, stopped = Cancelled, Cancelled
			continue
		}
		// Only the API's own "API Key not found." is already gone: a 404
		// auth failure (a management key revoked mid-sweep) is a failure.
		err := a.DeleteKey(ctx, k.ID)
		switch vast.DeletionOf(err) {
		case vast.Deleted:
			k.Result = Deleted
		case vast.AlreadyGone:
			k.Result = Gone
		default:
			k.Result, k.Err = Failed, a.Explain(fmt.Sprintf("delete key %d", k.ID), err)
			stopped = NotTried
			if ctx.Err() != nil {
				stopped = Cancelled
			}
		}
	}
	return r, nil
}

// WriteSweepTable prints the expired keys and what became of them.
func WriteSweepTable(w io.Writer, r SweepReport) {
	if len(r.Expired) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tEXPIRED\tRESULT")
		for _, k := range r.Expired {
			res := k.Result
			if k.Err != nil {
				res += ": " + safetext.Message(k.Err.Error())
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", k.ID, safetext.OutsideOr(k.Name, "-"), k.Expires.Format("2006-01-02 15:04Z"), res)
		}
		tw.Flush()
	}
	fmt.Fprintln(w, SweepSentence(r))
}

// SweepSentence says how many keys were deleted, not deleted and left
// alone.
func SweepSentence(r SweepReport) string {
	verb := "deleted"
	if r.DryRun {
		verb = "to delete"
	}
	s := fmt.Sprintf("%d expired vastguard %s %s", r.Done(), plural(r.Done(), "key", "keys"), verb)
	if f := r.Failed(); f > 0 {
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

// Keys is the account's key API as sweep and audit use it.
type Keys interface {
	ListKeys(ctx context.Context) ([]vast.Key, error)
	DeleteKey(ctx context.Context, id int64) error
	CurrentUser(ctx context.Context) (vast.User, error)
	// Explain turns an error of the operation what into one line that says
	// what to fix, without the key.
	Explain(what string, err error) error
}
