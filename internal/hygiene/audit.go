package hygiene

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/vast"
)

// audit lists the account's keys and flags the risky ones.

// Audit flags, as they appear in the JSON and the tables.
const (
	FlagFullAccess = "full-access"           // every permission
	FlagUserWrite  = "user-write"            // may create and delete keys (not counted for the key in use: it needs it)
	FlagOld        = "older-than-90-days"    // rotation baseline, where the API reports a creation time
	FlagExpired    = "expired-vastguard-key" // minted by the Action, past its expiry: sweep deletes it
)

// rotationAge is the age past which a key should have been rotated.
const rotationAge = 90 * 24 * time.Hour

// Minted is what a key's name says about the job that minted it.
type Minted struct {
	Repository string    `json:"repository"`
	RunID      int64     `json:"run_id"`
	RunAttempt int64     `json:"run_attempt"`
	Job        string    `json:"job"`
	Label      string    `json:"label"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// AuditKey is one key in the audit. Scopes is absent when the API did not
// report the key's permissions.
type AuditKey struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	Scopes     []string  `json:"scopes,omitempty"`
	FullAccess bool      `json:"full_access"`
	InUse      bool      `json:"in_use,omitempty"` // the key this audit ran with
	Minted     *Minted   `json:"minted,omitempty"`
	Flags      []string  `json:"flags"`
}

// AuditReport is `vastguard audit --json`.
type AuditReport struct {
	Version   int        `json:"version"`
	CheckedAt time.Time  `json:"checked_at"`
	Keys      []AuditKey `json:"keys"`
	Flagged   int        `json:"flagged"` // keys with at least one flag
	// Limits says what the audit could not judge because the API's key
	// list did not carry the fields for it; an incomplete audit exits 1.
	Limits []string `json:"limits"`
}

// Audit lists the keys and flags them as of now.
func Audit(ctx context.Context, a Keys, now time.Time) (AuditReport, error) {
	keys, err := a.ListKeys(ctx)
	if err != nil {
		return AuditReport{}, a.Explain("list keys", err)
	}
	// Which key is ours, so its (necessary) user_write is not a finding.
	// Best effort: without it every key is judged alike.
	var inUse int64
	if u, err := a.CurrentUser(ctx); err == nil {
		inUse = u.KeyID
	}
	r := AuditReport{Version: 1, CheckedAt: now.UTC().Truncate(time.Second), Keys: make([]AuditKey, 0, len(keys)), Limits: []string{}}
	if len(keys) > 0 && !AnyNamed(keys) {
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
		ak := AuditKey{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, FullAccess: k.FullAccess, InUse: k.ID == inUse, Flags: []string{}}
		if k.PermissionsKnown {
			ak.Scopes = k.Permissions.Categories()
		}
		if kn, ok := keyname.Parse(k.Name); ok {
			ak.Minted = &Minted{Repository: kn.Repository, RunID: kn.RunID, RunAttempt: kn.Attempt, Job: kn.Job, Label: kn.Label, ExpiresAt: kn.Expires}
		}
		ak.Flags = flagsOf(k, ak, now)
		if len(ak.Flags) > 0 {
			r.Flagged++
		}
		r.Keys = append(r.Keys, ak)
	}
	return r, nil
}

func flagsOf(k vast.Key, ak AuditKey, now time.Time) []string {
	flags := []string{}
	if k.FullAccess {
		flags = append(flags, FlagFullAccess)
	} else if k.PermissionsKnown && k.Permissions.Has("user_write") && !ak.InUse {
		flags = append(flags, FlagUserWrite)
	}
	if !k.CreatedAt.IsZero() && now.Sub(k.CreatedAt) > rotationAge {
		flags = append(flags, FlagOld)
	}
	if ak.Minted != nil && ak.Minted.ExpiresAt.Before(now) {
		flags = append(flags, FlagExpired)
	}
	return flags
}

// AuditScopes is the scopes column, each scope (a name the API gave) made
// safe to print.
func AuditScopes(k AuditKey) string {
	switch {
	case k.FullAccess:
		return "FULL ACCESS"
	case k.Scopes == nil:
		return "(not reported)"
	}
	return safetext.Outside(strings.Join(k.Scopes, ", "))
}

// AuditFlagsText is the flags column: the flags, and "(key in use)" for
// the key the audit ran with.
func AuditFlagsText(k AuditKey) string {
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

// WriteAuditTable prints the audit as a table and a closing sentence.
func WriteAuditTable(w io.Writer, r AuditReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED\tSCOPES\tFLAGS")
	for _, k := range r.Keys {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", k.ID, safetext.OutsideOr(k.Name, "-"), DateOrDash(k.CreatedAt), AuditScopes(k), AuditFlagsText(k))
	}
	tw.Flush()
	fmt.Fprintln(w, AuditSentence(r))
}

// AuditSentence is "N of M keys flagged.", and what the audit could not
// judge.
func AuditSentence(r AuditReport) string {
	s := fmt.Sprintf("%d of %d %s flagged.", r.Flagged, len(r.Keys), plural(len(r.Keys), "key", "keys"))
	for _, l := range r.Limits {
		s += " Incomplete: " + l + "."
	}
	return s
}

// Incomplete is the error for an audit the API's answers limit: it
// must not pass as clean.
func Incomplete(r AuditReport) error {
	if len(r.Limits) == 0 {
		return nil
	}
	return fmt.Errorf("audit: incomplete: %s", strings.Join(r.Limits, "; "))
}

// DateOrDash shows a creation time in a table: UTC to the minute, or "-"
// when the API gave none.
func DateOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}
