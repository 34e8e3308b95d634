package respond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/vast"
)

// What to do about a live key: the Action's on-leak input, and the Action
// field of a scan.Response.
const (
	ActionReport = "report" // nothing: the findings say it (the default)
	ActionRevoke = "revoke" // delete the live key
	ActionReset  = "reset"  // store a replacement, then delete it
)

// Responder revokes live keys and, for a reset, replaces them.
type Responder struct {
	Verifier *Verifier
	Manager  KeyManager // the management key's client; nil if none was given
	// ManagerSHA256 is scan.KeyHash of the management key, so a leaked key
	// that is the management key itself is recognised; "" if unknown.
	ManagerSHA256 string
	DryRun        bool
	Action        string // ActionRevoke or ActionReset

	// For a reset:
	Perms     *vast.Permissions // the replacement's; nil: the leaked key's own
	AllowFull bool
	Sink      Sink
	Name      func(leaked int64) string // the replacement's name
	// Reveal is called with a replacement's value before anything else
	// happens with it (the Action masks it).
	Reveal func(value string) error

	mgmtID    int64 // the management key's account, 0 if unknown
	mgmtKeyID int64 // the key_id users/current/ gives the management key, 0 if none
}

// Prepare learns the management key's account, so keys of other accounts
// are recognised. A management key that does not work is dropped, with the
// reason returned as a note, and revocation falls back to the leaked keys
// themselves.
func (r *Responder) Prepare(ctx context.Context) string {
	if r.Manager == nil {
		return ""
	}
	u, err := r.Manager.CurrentUser(ctx)
	if err != nil {
		why := r.Manager.Explain("check the management key", err)
		r.Manager = nil
		return fmt.Sprintf("the management key does not work (%v); trying each leaked key on itself", why)
	}
	r.mgmtID, r.mgmtKeyID = u.ID, u.KeyID
	return ""
}

// leaked is one distinct live key of a report.
type leaked struct {
	key, hash, redacted string
	check               Check
}

// Respond acts on every live key of rep and records it in rep.Responses.
// A key that is not live is left alone (an Unknown one is reported, since
// it may be live).
func (r *Responder) Respond(ctx context.Context, rep *scan.Report, checks map[string]Check) {
	var live []leaked
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		if seen[f.KeySHA256] {
			continue
		}
		seen[f.KeySHA256] = true
		c := checks[f.KeySHA256]
		switch c.Status {
		case scan.Live:
			live = append(live, leaked{f.Secret(), f.KeySHA256, f.Redacted, c})
		case scan.Unknown:
			rep.Responses = append(rep.Responses, scan.Response{KeySHA256: f.KeySHA256, Redacted: f.Redacted, Action: r.Action,
				Outcome: "not revoked", Detail: "could not tell whether it is live (" + c.Detail + "); check and revoke it in the Vast console"})
		}
	}
	// One secret cannot hold several replacements.
	resetOK := !(r.Action == ActionReset && len(live) > 1)
	for _, l := range live {
		rep.Responses = append(rep.Responses, r.revoke(ctx, l, resetOK))
	}
	if !resetOK {
		for i := range rep.Responses {
			if rep.Responses[i].Action == ActionReset && rep.Responses[i].Replacement == 0 {
				rep.Responses[i].Detail = strings.TrimPrefix(rep.Responses[i].Detail+"; not replaced: several live keys were found and one secret cannot hold them all, so replace each by hand", "; ")
				rep.Responses[i].Done = false
			}
		}
	}
}

// revoke deletes one live key, and for a reset with replace replaces it
// first: the management key may be the leaked key itself, which cannot
// create anything once it is deleted, and the service using the secret
// keeps working across the swap.
func (r *Responder) revoke(ctx context.Context, l leaked, replace bool) scan.Response {
	c := l.check
	x := scan.Response{KeySHA256: l.hash, Redacted: l.redacted, KeyID: c.KeyID, Action: r.Action}
	if c.KeyID == 0 {
		x.Outcome = "not revoked"
		x.Detail = "the API did not say which key id this is; delete it in the Vast console"
		return x
	}
	reset := r.Action == ActionReset && replace
	sameAccount := r.Manager != nil && (r.mgmtID == 0 || r.mgmtID == c.UserID)
	confirmed, refuse := r.confirm(ctx, l, c, sameAccount)
	if refuse != "" {
		x.Outcome, x.Detail = "not revoked", refuse
		return x
	}
	// What the key did, before anything changes: the audit log is the only
	// record of its use.
	x.Activity, x.ActivityNote = r.activity(ctx, l, c, sameAccount)
	// A reset needs the leaked key's permissions, which only the key list
	// shows, and only while the key exists.
	var perms vast.Permissions
	permsErr := ""
	if reset {
		perms, permsErr = r.replacementPerms(ctx, c)
	}
	if r.DryRun {
		x.Outcome, x.Detail = "would revoke (dry run)", confirmed+"; "+r.dryRunDetail(c, sameAccount, reset, perms, permsErr)
		return x
	}
	notes := []string{confirmed}
	if reset {
		var note string
		x.Replacement, note = r.replaceFirst(ctx, c, perms, permsErr)
		notes = append(notes, note)
	}
	deleted, how := r.delete(ctx, l.key, c, sameAccount)
	notes = append(notes, how...)
	var after []string
	x.Outcome, x.Done, after = r.outcome(ctx, l.key, deleted, reset, x.Replacement)
	if deleted && !Revoked(x) {
		after = append(after, fmt.Sprintf("key %d may not have been the leaked key: check the Vast console", c.KeyID))
	}
	x.Detail = strings.Join(append(notes, after...), "; ")
	return x
}

// isManager reports whether the leaked key is the management key itself.
func (r *Responder) isManager(l leaked) bool {
	return r.ManagerSHA256 != "" && r.ManagerSHA256 == l.hash
}

// confirm checks, before anything is deleted, that the key_id
// users/current/ gave names the leaked key, by listing: the API documents
// key_id only as "the API key ID associated with the user", and if it
// named the account's main key, a revoke would delete the wrong key and
// leave the leak live. The management key, a different key, must not
// report the same key_id; the key list (the management key's, else the
// leaked key's own) must show the id in the leaked key's account; and the
// listed key must hold user_read, which the leaked key just used to answer
// users/current/. It returns a note saying what was confirmed (or that it
// could not be), or why the key is not revoked when the evidence says
// key_id is another key.
func (r *Responder) confirm(ctx context.Context, l leaked, c Check, sameAccount bool) (note, refuse string) {
	self := r.isManager(l)
	if sameAccount && !self && r.mgmtKeyID != 0 && r.mgmtKeyID == c.KeyID {
		return "", fmt.Sprintf("users/current/ gives key_id %d for the leaked key and for the management key alike, so key_id does not name the leaked key; nothing was deleted: delete it in the Vast console", c.KeyID)
	}
	keys, who, err := r.listFor(ctx, l, sameAccount)
	if err != nil {
		return fmt.Sprintf("not confirmed by listing (%s): deleting key %d, the key_id users/current/ gave", err, c.KeyID), ""
	}
	i := slices.IndexFunc(keys, func(k vast.Key) bool { return k.ID == c.KeyID })
	if i < 0 {
		return "", fmt.Sprintf("key %d, the key_id users/current/ gave, is not in the key list (listed with %s), so it may not be the leaked key; nothing was deleted: delete it in the Vast console", c.KeyID, who)
	}
	k := keys[i]
	switch {
	case k.UserID != 0 && c.UserID != 0 && k.UserID != c.UserID:
		return "", fmt.Sprintf("key %d is listed under account %d, not the leaked key's %d; nothing was deleted: delete it in the Vast console", c.KeyID, k.UserID, c.UserID)
	case k.PermissionsKnown && !k.FullAccess && !k.Permissions.Has("user_read"):
		return "", fmt.Sprintf("key %d is listed without user_read, which the leaked key has (it answered users/current/), so key_id does not name the leaked key; nothing was deleted: delete it in the Vast console", c.KeyID)
	}
	note = fmt.Sprintf("confirmed by listing that key %d is in the account (listed with %s)", c.KeyID, who)
	switch {
	case self:
		note += "; it is the management key itself"
	case sameAccount && r.mgmtKeyID != 0:
		note += fmt.Sprintf("; the management key reports another key_id (%d), so key_id names the calling key", r.mgmtKeyID)
	default:
		note += "; that key_id names the calling key rather than the account's main key is not proven (no other key of the account to compare with)"
	}
	return note, ""
}

// listFor lists the leaked key's account: with the management key when it
// is of the same account, else (or when that fails) with the leaked key
// itself. who names the key used.
func (r *Responder) listFor(ctx context.Context, l leaked, sameAccount bool) (keys []vast.Key, who string, err error) {
	var why []string
	if sameAccount {
		keys, err := r.Manager.ListKeys(ctx)
		if err == nil {
			return keys, "the management key", nil
		}
		why = append(why, "the management key: "+safetext.OneLine(r.Manager.Explain("list keys", err).Error()))
	}
	self, err := r.Verifier.dial(l.key, verifyRetry)
	if err == nil {
		if keys, err = self.ListKeys(ctx); err == nil {
			return keys, "the leaked key itself", nil
		}
	}
	why = append(why, "the leaked key: "+safetext.OneLine(err.Error()))
	return nil, "", errors.New(strings.Join(why, "; "))
}

// activity reads what the leaked key did from the account's audit log:
// with the management key when it is of the same account, else (or when it
// may not read the log: the misc permission) with the leaked key itself.
// An unreadable log is a one-line note, never a failure.
func (r *Responder) activity(ctx context.Context, l leaked, c Check, sameAccount bool) (*scan.Activity, string) {
	var why []string
	read := func(who string, cl Client) *scan.Activity {
		entries, err := cl.AuditLog(ctx)
		if err != nil {
			var ae *vast.AuditUnavailableError
			if errors.As(err, &ae) {
				why = append(why, who+": "+ae.Note())
			} else {
				why = append(why, who+": "+safetext.OneLine(err.Error()))
			}
			return nil
		}
		return ActivityOf(vast.SummarizeAudit(entries, c.KeyID))
	}
	if sameAccount {
		if a := read("with the management key", r.Manager); a != nil {
			return a, ""
		}
	}
	if self, err := r.Verifier.dial(l.key, verifyRetry); err == nil {
		if a := read("with the leaked key", self); a != nil {
			return a, ""
		}
	}
	return nil, "the audit log could not be read (" + strings.Join(why, "; ") + ")"
}

// ActivityOf converts the library's summary of a key's audit log into
// the report's.
func ActivityOf(a vast.KeyActivity) *scan.Activity {
	conv := func(cs []vast.Count) []scan.Count {
		out := make([]scan.Count, len(cs))
		for i, c := range cs {
			out[i] = scan.Count{Name: c.Name, N: c.N}
		}
		return out
	}
	return &scan.Activity{Summary: a.String(), Calls: a.Calls, First: a.First, Last: a.Last,
		IPs: conv(a.IPs), Routes: conv(a.Routes), Actions: conv(a.Actions), OtherRoutes: a.OtherRoutes}
}

// dryRunDetail says what a revoke would do.
func (r *Responder) dryRunDetail(c Check, sameAccount, reset bool, perms vast.Permissions, permsErr string) string {
	var d string
	switch {
	case sameAccount:
		d = fmt.Sprintf("with the management key (account %d)", c.UserID)
	case r.Manager != nil:
		d = fmt.Sprintf("the key belongs to account %d, not the management key's (%d); would try the leaked key itself", c.UserID, r.mgmtID)
	default:
		d = "with the leaked key itself (it needs user_write)"
	}
	switch {
	case reset && permsErr != "":
		d += "; would not replace it: " + permsErr
	case reset:
		d += fmt.Sprintf("; first a replacement (%s) would be stored in %s", perms, r.sinkName())
	}
	return d
}

// replaceFirst makes and stores the replacement; it returns its id (0 if
// none) and a note for the report.
func (r *Responder) replaceFirst(ctx context.Context, c Check, perms vast.Permissions, permsErr string) (int64, string) {
	if permsErr != "" {
		return 0, "not replaced: " + permsErr
	}
	id, err := r.replace(ctx, c, perms)
	if err != nil {
		return 0, "not replaced: " + err.Error()
	}
	return id, fmt.Sprintf("replacement key %d (%s) stored in %s", id, perms, r.sinkName())
}

// delete deletes the leaked key: with the management key when it is of the
// same account, else (or when that fails) with the leaked key itself. It
// reports whether the key is gone, and notes on how.
func (r *Responder) delete(ctx context.Context, key string, c Check, sameAccount bool) (bool, []string) {
	var notes []string
	if sameAccount {
		err := r.Manager.DeleteKey(ctx, c.KeyID)
		switch {
		case vast.DeletionOf(err) != vast.DeleteFailed:
			return true, append(notes, "deleted with the management key")
		case errors.Is(err, vast.ErrForbidden):
			notes = append(notes, "403: the management key lacks user_write")
		default:
			notes = append(notes, "the management key could not delete it: "+safetext.Message(r.Manager.Explain("delete key", err).Error()))
		}
	} else if r.Manager != nil {
		notes = append(notes, fmt.Sprintf("the key belongs to another account (%d, not the management key's %d)", c.UserID, r.mgmtID))
	}
	self, err := r.Verifier.dial(key, verifyRetry)
	if err == nil {
		err = self.DeleteKey(ctx, c.KeyID)
	}
	switch {
	case vast.DeletionOf(err) != vast.DeleteFailed:
		return true, append(notes, "deleted with the leaked key itself")
	case errors.Is(err, vast.ErrForbidden):
		return false, append(notes, "the leaked key may not delete keys (no user_write): delete it in the Vast console")
	default:
		return false, append(notes, "the leaked key could not delete itself: "+safetext.Message(err.Error()))
	}
}

// outcome confirms a deleted key is dead (the API must now refuse it) and
// names what the response achieved; done is true when nothing is left to
// do by hand.
func (r *Responder) outcome(ctx context.Context, key string, deleted, reset bool, replaced int64) (outcome string, done bool, notes []string) {
	if !deleted {
		if replaced != 0 {
			return "replaced, not revoked", false, nil
		}
		return "not revoked", false, nil
	}
	// The key answered users/current/ before the delete, so it holds the
	// permission: any refusal of it now is the delete taking effect, even
	// one that does not say "Invalid user key".
	u, err := r.checkNow(ctx, key)
	if after := classify(u, err); after.Status != scan.Invalid && !errors.Is(err, vast.ErrUnauthorized) {
		return "deleted, not confirmed", false, []string{"but the API still answers it: " + after.Status + " " + after.Detail}
	}
	notes = []string{"confirmed dead"}
	switch {
	case !reset:
		return "revoked", true, notes
	case replaced != 0:
		return "revoked and replaced", true, notes
	default:
		return "revoked, not replaced", false, notes
	}
}

// Revoked reports whether a response left the leaked key dead.
func Revoked(x scan.Response) bool { return strings.HasPrefix(x.Outcome, "revoked") }

// checkNow asks the API about key again, bypassing the cache.
func (r *Responder) checkNow(ctx context.Context, key string) (vast.User, error) {
	cl, err := r.Verifier.dial(key, verifyRetry)
	if err != nil {
		return vast.User{}, err
	}
	return cl.CurrentUser(ctx)
}

// replacementPerms decides the replacement's permissions: Perms if given,
// else the leaked key's own, read from the key list.
func (r *Responder) replacementPerms(ctx context.Context, c Check) (vast.Permissions, string) {
	if r.Perms != nil {
		return *r.Perms, ""
	}
	if r.Manager == nil || (r.mgmtID != 0 && r.mgmtID != c.UserID) {
		return vast.Permissions{}, "the leaked key's permissions cannot be read without a management key of its account; set replacement-permissions"
	}
	keys, err := r.Manager.ListKeys(ctx)
	if err != nil {
		return vast.Permissions{}, "listing keys to read the leaked key's permissions: " + safetext.Message(r.Manager.Explain("list keys", err).Error())
	}
	for _, k := range keys {
		if k.ID != c.KeyID {
			continue
		}
		if !k.PermissionsKnown {
			return vast.Permissions{}, "the key list does not show the leaked key's permissions; set replacement-permissions"
		}
		if k.Permissions.IsFull() && !r.AllowFull {
			return vast.Permissions{}, "the leaked key had full access; set replacement-permissions to something narrower, or allow-full-access"
		}
		return k.Permissions, ""
	}
	return vast.Permissions{}, "the leaked key is not in the key list; set replacement-permissions"
}

// replace creates the replacement and stores it; if storing fails, the
// replacement is deleted again, so nothing is left half-done.
func (r *Responder) replace(ctx context.Context, c Check, perms vast.Permissions) (int64, error) {
	if r.Manager == nil {
		return 0, errors.New("a replacement needs a management key (api-key)")
	}
	k, err := r.Manager.CreateKey(ctx, r.Name(c.KeyID), perms)
	if err != nil {
		return 0, errors.New(safetext.Message(r.Manager.Explain("create the replacement", err).Error()))
	}
	undo := func(why error) error {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if derr := r.Manager.DeleteKey(dctx, k.ID); vast.DeletionOf(derr) == vast.DeleteFailed {
			return fmt.Errorf("%v; and deleting the replacement key %d failed too (delete it yourself): %v", why, k.ID, safetext.Message(derr.Error()))
		}
		return fmt.Errorf("%v; the replacement key %d was deleted again", why, k.ID)
	}
	if len(k.Diff.Broader) > 0 {
		// A replacement broader than asked is never stored.
		return 0, undo(fmt.Errorf("the Vast API made the replacement key %d with more permissions than asked (%s; asked for %s)", k.ID, safetext.OneLine(k.Diff.String()), perms))
	}
	if r.Reveal != nil {
		if err := r.Reveal(k.Secret.Reveal()); err != nil {
			return 0, undo(err)
		}
	}
	if r.Sink == nil {
		return 0, undo(errors.New("nowhere to store it"))
	}
	if err := r.Sink.Store(ctx, k.Secret.Reveal()); err != nil {
		return 0, undo(err)
	}
	return k.ID, nil
}

func (r *Responder) sinkName() string {
	if r.Sink == nil {
		return ""
	}
	return r.Sink.Describe()
}

// ReplacementName names a replacement key after the key it replaces.
func ReplacementName(now time.Time, leaked int64) string {
	return fmt.Sprintf("vastguard-replacement-of-%d-%s", leaked, now.UTC().Format("20060102T150405Z"))
}
