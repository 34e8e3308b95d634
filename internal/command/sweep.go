package command

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/hygiene"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/vast"
)

// runSweep is `vastguard sweep [--dry-run]`.
func sweepCommand(fs *pflag.FlagSet) runFunc {
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
		r, err := hygiene.Sweep(ctx, a, e.Now(), *dryRun)
		if err != nil {
			return err
		}
		hygiene.WriteSweepTable(e.Stdout, r)
		if f := r.Failed(); f > 0 {
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
	r, err := hygiene.Sweep(ctx, a, e.Now(), cfg.dryRun)
	if err != nil {
		return err
	}
	var log strings.Builder
	hygiene.WriteSweepTable(&log, r)
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
				res += ": " + safetext.Message(k.Err.Error())
			}
			fmt.Fprintf(&md, "| %d | %s | %s | %s |\n", k.ID, safetext.MarkdownCode(k.Name), k.Expires.Format(time.RFC3339), safetext.MarkdownCell(res))
		}
		md.WriteString("\n")
	}
	md.WriteString(hygiene.SweepSentence(r))
	if err := wf.Summary(md.String()); err != nil {
		wf.Annotate("warning", "vastguard", safetext.OneLine(err.Error()))
	}
	if err := wf.SetOutput("swept", strconv.Itoa(r.Done())); err != nil {
		return fmt.Errorf("setting the output swept: %w", err)
	}
	var msgs []string
	skipped := 0
	for _, k := range r.Expired {
		switch k.Result {
		case hygiene.Failed:
			msgs = append(msgs, fmt.Sprintf("could not delete expired key %d %s: %s", k.ID, safetext.Outside(k.Name), safetext.Message(k.Err.Error())))
		case hygiene.NotTried, hygiene.Cancelled:
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

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
