package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/vast"
)

// What to do about a live key, the Action's on-leak input.
const (
	onLeakReport = "report" // nothing: the findings say it (the default)
	onLeakRevoke = "revoke" // delete the live key
	onLeakReset  = "reset"  // delete it and store a replacement in a secret
)

// secretStore writes a repository secret (GitHub Actions secrets through
// the GitHub API).
type secretStore interface {
	SetRepoSecret(ctx context.Context, owner, repo, name, value string) error
}

// replacementSink is where a reset puts the new key: a repository secret,
// or (at a terminal) a 0600 file.
type replacementSink struct {
	store       secretStore
	owner, repo string
	secret      string
	file        string // alternative to store
}

func (s replacementSink) describe() string {
	if s.store != nil {
		return fmt.Sprintf("repository secret %s of %s/%s", s.secret, s.owner, s.repo)
	}
	return s.file
}

// responder revokes live keys and, for a reset, replaces them.
type responder struct {
	v      *verifier
	mgmt   *api  // management key client; nil if none was given
	mgmtID int64 // the management key's account, 0 if unknown
	dryRun bool
	action string // onLeakRevoke or onLeakReset

	// For a reset:
	perms     *vast.Permissions // replacement-permissions; nil: the leaked key's own
	allowFull bool
	sink      replacementSink
	name      func(leaked int64) string
	// reveal is called with a replacement's value before anything else
	// happens with it (the Action masks it).
	reveal func(value string) error
}

// prepare learns the management key's account, so keys of other accounts
// are recognised. A management key that does not work is dropped with a
// reason, and revocation falls back to the leaked keys themselves.
func (r *responder) prepare(ctx context.Context) string {
	if r.mgmt == nil {
		return ""
	}
	u, err := r.mgmt.CurrentUser(ctx)
	if err != nil {
		why := r.mgmt.explain("check the management key", err)
		r.mgmt = nil
		return fmt.Sprintf("the management key does not work (%v); trying each leaked key on itself", why)
	}
	r.mgmtID = u.ID
	return ""
}

// respond acts on every live key of rep and records it in rep.Responses.
// A key that is not live is left alone (an Unknown one is reported, since
// it may be live).
func (r *responder) respond(ctx context.Context, rep *scan.Report, checks map[string]keyCheck) {
	type leaked struct {
		key, hash, redacted string
		check               keyCheck
	}
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
			rep.Responses = append(rep.Responses, scan.Response{KeySHA256: f.KeySHA256, Redacted: f.Redacted, Action: r.action,
				Outcome: "not revoked", Detail: "could not tell whether it is live (" + c.Detail + "); check and revoke it in the Vast console"})
		}
	}
	resetOK := true
	if r.action == onLeakReset && len(live) > 1 {
		resetOK = false
	}
	for _, l := range live {
		x := r.revoke(ctx, l.key, l.hash, l.redacted, l.check, resetOK)
		rep.Responses = append(rep.Responses, x)
	}
	if !resetOK {
		for i := range rep.Responses {
			if rep.Responses[i].Action == onLeakReset && rep.Responses[i].Replacement == 0 {
				rep.Responses[i].Detail = strings.TrimPrefix(rep.Responses[i].Detail+"; not replaced: several live keys were found and one secret cannot hold them all, so replace each by hand", "; ")
				rep.Responses[i].Done = false
			}
		}
	}
}

// revoke deletes one live key (and replaces it, for a reset).
func (r *responder) revoke(ctx context.Context, key, hash, redacted string, c keyCheck, replace bool) scan.Response {
	x := scan.Response{KeySHA256: hash, Redacted: redacted, KeyID: c.KeyID, Action: r.action}
	if c.KeyID == 0 {
		x.Outcome = "not revoked"
		x.Detail = "the API did not say which key id this is; delete it in the Vast console"
		return x
	}
	reset := r.action == onLeakReset && replace
	// A reset needs the leaked key's permissions, which only the key list
	// shows, and only while the key exists.
	var perms vast.Permissions
	permsErr := ""
	if reset {
		perms, permsErr = r.replacementPerms(ctx, c)
	}
	sameAccount := r.mgmt != nil && (r.mgmtID == 0 || r.mgmtID == c.UserID)
	if r.dryRun {
		x.Outcome = "would revoke (dry run)"
		switch {
		case sameAccount:
			x.Detail = fmt.Sprintf("with the management key (account %d)", c.UserID)
		case r.mgmt != nil:
			x.Detail = fmt.Sprintf("the key belongs to account %d, not the management key's (%d); would try the leaked key itself", c.UserID, r.mgmtID)
		default:
			x.Detail = "with the leaked key itself (it needs user_write)"
		}
		switch {
		case reset && permsErr != "":
			x.Detail += "; would not replace it: " + permsErr
		case reset:
			x.Detail += fmt.Sprintf("; first a replacement (%s) would be stored in %s", perms, r.sink.describe())
		}
		return x
	}
	var notes []string
	// Replace first, then revoke: the management key may be the leaked key
	// itself, which cannot create anything once it is deleted, and the
	// service using the secret keeps working across the swap.
	var replaced int64
	if reset {
		if permsErr != "" {
			notes = append(notes, "not replaced: "+permsErr)
		} else if id, err := r.replace(ctx, c, perms); err != nil {
			notes = append(notes, "not replaced: "+err.Error())
		} else {
			replaced = id
			notes = append(notes, fmt.Sprintf("replacement key %d (%s) stored in %s", id, perms, r.sink.describe()))
		}
	}
	deleted := false
	if sameAccount {
		err := r.mgmt.DeleteKey(ctx, c.KeyID)
		switch {
		case err == nil, errors.Is(err, vast.ErrNotFound):
			deleted = true
			notes = append(notes, "deleted with the management key")
		case errors.Is(err, vast.ErrForbidden):
			notes = append(notes, "403: the management key lacks user_write")
		default:
			notes = append(notes, "the management key could not delete it: "+safetext.OneLine(r.mgmt.explain("delete key", err).Error()))
		}
	} else if r.mgmt != nil {
		notes = append(notes, fmt.Sprintf("the key belongs to another account (%d, not the management key's %d)", c.UserID, r.mgmtID))
	}
	if !deleted {
		self, err := r.v.client(key, verifyRetry)
		if err == nil {
			err = self.DeleteKey(ctx, c.KeyID)
		}
		switch {
		case err == nil, errors.Is(err, vast.ErrNotFound):
			deleted = true
			notes = append(notes, "deleted with the leaked key itself")
		case errors.Is(err, vast.ErrForbidden):
			notes = append(notes, "the leaked key may not delete keys (no user_write): delete it in the Vast console")
		default:
			notes = append(notes, "the leaked key could not delete itself: "+safetext.OneLine(err.Error()))
		}
	}
	x.Replacement = replaced
	switch {
	case !deleted:
		x.Outcome = "not revoked"
		if replaced != 0 {
			x.Outcome = "replaced, not revoked"
		}
	default:
		// Confirm: the deleted key must now be refused.
		if after := classify(r.checkNow(ctx, key)); after.Status != scan.Invalid {
			x.Outcome = "deleted, not confirmed"
			notes = append(notes, "but the API still answers it: "+after.Status+" "+after.Detail)
			break
		}
		notes = append(notes, "confirmed dead")
		x.Outcome = "revoked"
		switch {
		case !reset:
			x.Done = true
		case replaced != 0:
			x.Outcome = "revoked and replaced"
			x.Done = true
		default:
			x.Outcome = "revoked, not replaced"
		}
	}
	x.Detail = strings.Join(notes, "; ")
	return x
}

// revoked reports whether a response left the leaked key dead.
func revoked(x scan.Response) bool { return strings.HasPrefix(x.Outcome, "revoked") }

// checkNow asks the API about key again, bypassing the cache.
func (r *responder) checkNow(ctx context.Context, key string) (vast.User, error) {
	cl, err := r.v.client(key, verifyRetry)
	if err != nil {
		return vast.User{}, err
	}
	return cl.CurrentUser(ctx)
}

// replacementPerms decides the replacement's permissions: the
// replacement-permissions input if given, else the leaked key's own, read
// from the key list.
func (r *responder) replacementPerms(ctx context.Context, c keyCheck) (vast.Permissions, string) {
	if r.perms != nil {
		return *r.perms, ""
	}
	if r.mgmt == nil || (r.mgmtID != 0 && r.mgmtID != c.UserID) {
		return vast.Permissions{}, "the leaked key's permissions cannot be read without a management key of its account; set replacement-permissions"
	}
	keys, err := r.mgmt.ListKeys(ctx)
	if err != nil {
		return vast.Permissions{}, "listing keys to read the leaked key's permissions: " + safetext.OneLine(r.mgmt.explain("list keys", err).Error())
	}
	for _, k := range keys {
		if k.ID != c.KeyID {
			continue
		}
		if !k.PermissionsKnown {
			return vast.Permissions{}, "the key list does not show the leaked key's permissions; set replacement-permissions"
		}
		if k.Permissions.IsFull() && !r.allowFull {
			return vast.Permissions{}, "the leaked key had full access; set replacement-permissions to something narrower, or allow-full-access"
		}
		return k.Permissions, ""
	}
	return vast.Permissions{}, "the leaked key is not in the key list; set replacement-permissions"
}

// replace creates the replacement and stores it; if storing fails, the
// replacement is deleted again, so nothing is left half-done.
func (r *responder) replace(ctx context.Context, c keyCheck, perms vast.Permissions) (int64, error) {
	if r.mgmt == nil {
		return 0, errors.New("a replacement needs a management key (api-key)")
	}
	k, err := r.mgmt.CreateKey(ctx, r.name(c.KeyID), perms)
	if err != nil {
		return 0, errors.New(safetext.OneLine(r.mgmt.explain("create the replacement", err).Error()))
	}
	undo := func(why error) error {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if derr := r.mgmt.DeleteKey(dctx, k.ID); derr != nil && !errors.Is(derr, vast.ErrNotFound) {
			return fmt.Errorf("%v; and deleting the replacement key %d failed too (delete it yourself): %v", why, k.ID, safetext.OneLine(derr.Error()))
		}
		return fmt.Errorf("%v; the replacement key %d was deleted again", why, k.ID)
	}
	if r.reveal != nil {
		if err := r.reveal(k.Secret.Reveal()); err != nil {
			return 0, undo(err)
		}
	}
	switch {
	case r.sink.store != nil:
		if err := r.sink.store.SetRepoSecret(ctx, r.sink.owner, r.sink.repo, r.sink.secret, k.Secret.Reveal()); err != nil {
			return 0, undo(fmt.Errorf("storing it in secret %s failed: %s", r.sink.secret, safetext.OneLine(err.Error())))
		}
	case r.sink.file != "":
		f, err := openSecretFile(r.sink.file)
		if err == nil {
			err = f.commit(k.Secret.Reveal())
		}
		if err != nil {
			return 0, undo(err)
		}
	default:
		return 0, undo(errors.New("nowhere to store it"))
	}
	return k.ID, nil
}

// replacementName names a replacement key after the key it replaces.
func replacementName(now time.Time, leaked int64) string {
	return fmt.Sprintf("vastguard-replacement-of-%d-%s", leaked, now.UTC().Format("20060102T150405Z"))
}
