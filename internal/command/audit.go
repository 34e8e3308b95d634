package command

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/hygiene"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/vast"
)

// runAudit is `vastguard audit [--json]`. It exits 2 when a key is flagged.
func auditCommand(fs *pflag.FlagSet) runFunc {
	var af apiFlags
	af.register(fs)
	asJSON := fs.Bool("json", false, "print JSON: version, checked_at, flagged, and keys, each with id, name, created_at, scopes, full_access, in_use, minted and flags")
	return func(ctx context.Context, e *Env, pos []string) error {
		if len(pos) > 0 {
			return usagef("audit takes no arguments (got %q)", pos[0])
		}
		a, err := newAPI(ctx, e, af)
		if err != nil {
			return err
		}
		r, err := hygiene.Audit(ctx, a, e.Now())
		if err != nil {
			return err
		}
		if *asJSON {
			if err := writeJSON(e.Stdout, r); err != nil {
				return err
			}
		} else {
			hygiene.WriteAuditTable(e.Stdout, r)
		}
		if err := hygiene.Incomplete(r); err != nil {
			return err
		}
		if r.Flagged > 0 {
			return &exitError{code: exitFindings}
		}
		return nil
	}
}

// actionAudit is the Action's audit command: the table in the log and the
// job summary, a warning annotation per flagged key, the output flagged,
// and exit code 2 when a key is flagged.
func actionAudit(ctx context.Context, e *Env, wf *ghactions.Workflow, cfg actionConfig) error {
	a, err := actionAPI(ctx, e, cfg, vast.DefaultRetry)
	if err != nil {
		return err
	}
	r, err := hygiene.Audit(ctx, a, e.Now())
	if err != nil {
		return err
	}
	var log strings.Builder
	hygiene.WriteAuditTable(&log, r)
	wf.Untrusted(log.String())

	var md strings.Builder
	md.WriteString("### vastguard audit\n\n| Id | Name | Created | Scopes | Flags |\n|---|---|---|---|---|\n")
	for _, k := range r.Keys {
		fmt.Fprintf(&md, "| %d | %s | %s | %s | %s |\n", k.ID, safetext.MarkdownCell(k.Name), hygiene.DateOrDash(k.CreatedAt), safetext.MarkdownCell(hygiene.AuditScopes(k)), safetext.MarkdownCell(hygiene.AuditFlagsText(k)))
	}
	md.WriteString("\n" + hygiene.AuditSentence(r) + " Flags: `full-access` (every permission), `user-write` (may create and delete keys), `older-than-90-days` (rotate it), `expired-vastguard-key` (`vastguard sweep` deletes it).")
	if err := wf.Summary(md.String()); err != nil {
		wf.Annotate("warning", "vastguard", safetext.OneLine(err.Error()))
	}
	if err := wf.SetOutput("flagged", strconv.Itoa(r.Flagged)); err != nil {
		return fmt.Errorf("setting the output flagged: %w", err)
	}
	var msgs []string
	for _, k := range r.Keys {
		if len(k.Flags) > 0 {
			msgs = append(msgs, fmt.Sprintf("key %d %s: %s", k.ID, safetext.OutsideOr(k.Name, "(unnamed)"), strings.Join(k.Flags, ", ")))
		}
	}
	wf.AnnotateAll("warning", "vastguard audit", msgs)
	if err := hygiene.Incomplete(r); err != nil {
		return err
	}
	if r.Flagged > 0 {
		return &exitError{code: exitFindings}
	}
	return nil
}
