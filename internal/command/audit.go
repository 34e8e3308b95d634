package command

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/vast"
)

// audit lists the account's keys and flags the risky ones.

// Audit flags, as they appear in the JSON and the tables.
const (
	flagFullAccess = "full-access"           // every permission
	flagUserWrite  = "user-write"            // may create and delete keys (not counted for the key in use: it needs it)
	flagOld        = "older-than-90-days"    // rotation baseline, where the API reports a creation time
	flagExpired    = "expired-vastguard-key" // minted by the Action, past its expiry: sweep deletes it
)

// rotationAge is the age past which a key should have been rotated.
const rotationAge = 90 * 24 * time.Hour

// auditMinted is what a key's name says about the job that minted it.
type auditMinted struct {
	Repository string    `json:"repository"`
	RunID      int64     `json:"run_id"`
	RunAttempt int64     `json:"run_attempt"`
	Job        string    `json:"job"`
	Label      string    `json:"label"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// auditKey is one key in the audit. Scopes is absent when the API did not
// report the key's permissions.
type auditKey struct {
	ID         int64        `json:"id"`
	Name       string       `json:"name"`
	CreatedAt  time.Time    `json:"created_at,omitzero"`
	Scopes     []string     `json:"scopes,omitempty"`
	FullAccess bool         `json:"full_access"`
	InUse      bool         `json:"in_use,omitempty"` // the key this audit ran with
	Minted     *auditMinted `json:"minted,omitempty"`
	Flags      []string     `json:"flags"`
}

// auditReport is `vastguard audit --json`.
type auditReport struct {
	Version   int        `json:"version"`
	CheckedAt time.Time  `json:"checked_at"`
	Keys      []auditKey `json:"keys"`
	Flagged   int        `json:"flagged"` // keys with at least one flag
	// Limits says what the audit could not judge because the API's key
	// list did not carry the fields for it; an incomplete audit exits 1.
	Limits []string `json:"limits"`
}

// auditKeys lists the keys and flags them as of now.
func auditKeys(ctx context.Context, a *api, now time.Time) (auditReport, error) {
	keys, err := a.ListKeys(ctx)
	if err != nil {
		return auditReport{}, a.Explain("list keys", err)
	}
	// Which key is ours, so its (necessary) user_write is not a finding.
	// Best effort: without it every key is judged alike.
	var inUse int64
	if u, err := a.CurrentUser(ctx); err == nil {
		inUse = u.KeyID
	}
	r := auditReport{Version: 1, CheckedAt: now.UTC().Truncate(time.Second), Keys: make([]auditKey, 0, len(keys)), Limits: []string{}}
	if len(keys) > 0 && !anyNamed(keys) {
		r.Limits = append(r.Limits, "the key list shows no names, so expired vastguard keys cannot be recognised")
	}
	known := false
	for _, k := range keys {
		known = known || k.PermissionsKnown
	}
	if len(keys) > 0 && !known {
		r.Limits = append(r.Limits, "the key list shows no permissions, so full-access and user_write keys cannot be recognised")
	}
	for _, k := range keys {
		ak := auditKey{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, FullAccess: k.FullAccess, InUse: k.ID == inUse, Flags: []string{}}
		if k.PermissionsKnown {
			ak.Scopes = k.Permissions.Categories()
		}
		if kn, ok := keyname.Parse(k.Name); ok {
			ak.Minted = &auditMinted{Repository: kn.Repository, RunID: kn.RunID, RunAttempt: kn.Attempt, Job: kn.Job, Label: kn.Label, ExpiresAt: kn.Expires}
		}
		ak.Flags = auditKeyFlags(k, ak, now)
		if len(ak.Flags) > 0 {
			r.Flagged++
		}
		r.Keys = append(r.Keys, ak)
	}
	return r, nil
}

func auditKeyFlags(k vast.Key, ak auditKey, now time.Time) []string {
	flags := []string{}
	if k.FullAccess {
		flags = append(flags, flagFullAccess)
	} else if k.PermissionsKnown && k.Permissions.Has("user_write") && !ak.InUse {
		flags = append(flags, flagUserWrite)
	}
	if !k.CreatedAt.IsZero() && now.Sub(k.CreatedAt) > rotationAge {
		flags = append(flags, flagOld)
	}
	if ak.Minted != nil && ak.Minted.ExpiresAt.Before(now) {
		flags = append(flags, flagExpired)
	}
	return flags
}

// auditScopes is the scopes column.
func auditScopes(k auditKey) string {
	switch {
	case k.FullAccess:
		return "FULL ACCESS"
	case k.Scopes == nil:
		return "(not reported)"
	}
	return strings.Join(k.Scopes, ", ")
}

func auditFlagsText(k auditKey) string {
	s := strings.Join(k.Flags, ", ")
	if k.InUse {
		if s != "" {
			s += " "
		}
		s += "(key in use)"
	}
	if s == "" {
		return "-"
	}
	return s
}

func writeAuditTable(w io.Writer, r auditReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED\tSCOPES\tFLAGS")
	for _, k := range r.Keys {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", k.ID, safetext.Printable(k.Name, "-"), dateOrDash(k.CreatedAt), auditScopes(k), auditFlagsText(k))
	}
	tw.Flush()
	fmt.Fprintln(w, auditSentence(r))
}

func auditSentence(r auditReport) string {
	s := fmt.Sprintf("%d of %d %s flagged.", r.Flagged, len(r.Keys), plural(len(r.Keys), "key", "keys"))
	for _, l := range r.Limits {
		s += " Incomplete: " + l + "."
	}
	return s
}

// auditIncomplete is the error for an audit the API's answers limit: it
// must not pass as clean.
func auditIncomplete(r auditReport) error {
	if len(r.Limits) == 0 {
		return nil
	}
	return fmt.Errorf("audit: incomplete: %s", strings.Join(r.Limits, "; "))
}

// runAudit is `vastguard audit [--json]`. It exits 2 when a key is flagged.
func auditCommand(fs *flag.FlagSet) runFunc {
	var af apiFlags
	af.register(fs)
	asJSON := fs.Bool("json", false, `print JSON: {"version":1,"checked_at":...,"keys":[{id,name,created_at,scopes,full_access,in_use,minted,flags}],"flagged":N}`)
	return func(ctx context.Context, e *Env, pos []string) error {
		if len(pos) > 0 {
			return usagef("audit takes no arguments (got %q)", pos[0])
		}
		a, err := newAPI(ctx, e, af)
		if err != nil {
			return err
		}
		r, err := auditKeys(ctx, a, e.Now())
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(e.Stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(r); err != nil {
				return err
			}
		} else {
			writeAuditTable(e.Stdout, r)
		}
		if err := auditIncomplete(r); err != nil {
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
	r, err := auditKeys(ctx, a, e.Now())
	if err != nil {
		return err
	}
	var log strings.Builder
	writeAuditTable(&log, r)
	wf.Untrusted(log.String())

	var md strings.Builder
	md.WriteString("### vastguard audit\n\n| Id | Name | Created | Scopes | Flags |\n|---|---|---|---|---|\n")
	for _, k := range r.Keys {
		fmt.Fprintf(&md, "| %d | %s | %s | %s | %s |\n", k.ID, safetext.MarkdownCell(k.Name), dateOrDash(k.CreatedAt), safetext.MarkdownCell(auditScopes(k)), safetext.MarkdownCell(auditFlagsText(k)))
	}
	md.WriteString("\n" + auditSentence(r) + " Flags: `full-access` (every permission), `user-write` (may create and delete keys), `older-than-90-days` (rotate it), `expired-vastguard-key` (`vastguard sweep` deletes it).")
	if err := wf.Summary(md.String()); err != nil {
		wf.Annotate("warning", "vastguard", safetext.OneLine(err.Error()))
	}
	if err := wf.SetOutput("flagged", strconv.Itoa(r.Flagged)); err != nil {
		return fmt.Errorf("setting the output flagged: %w", err)
	}
	var msgs []string
	for _, k := range r.Keys {
		if len(k.Flags) > 0 {
			msgs = append(msgs, fmt.Sprintf("key %d %s: %s", k.ID, safetext.Printable(k.Name, "(unnamed)"), strings.Join(k.Flags, ", ")))
		}
	}
	wf.AnnotateAll("warning", "vastguard audit", msgs)
	if err := auditIncomplete(r); err != nil {
		return err
	}
	if r.Flagged > 0 {
		return &exitError{code: exitFindings}
	}
	return nil
}
