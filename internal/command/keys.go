package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"
	"github.com/vastguard/vastguard/internal/hygiene"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/vast"
)

// keyJSON is a key in `keys list --json`.
type keyJSON struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	Scopes     []string  `json:"scopes,omitempty"`
	FullAccess bool      `json:"full_access,omitempty"`
}

func keysListCommand(fs *pflag.FlagSet) runFunc {
	var af apiFlags
	af.register(fs)
	asJSON := fs.Bool("json", false, "print JSON: an array of {id, name, created_at, scopes, full_access}")
	return func(ctx context.Context, e *Env, pos []string) error {
		if len(pos) > 0 {
			return usagef("keys list takes no arguments (got %q)", pos[0])
		}
		a, err := newAPI(ctx, e, af)
		if err != nil {
			return err
		}
		keys, err := a.ListKeys(ctx)
		if err != nil {
			return a.Explain("list keys", err)
		}
		if *asJSON {
			out := make([]keyJSON, 0, len(keys))
			for _, k := range keys {
				j := keyJSON{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, FullAccess: k.FullAccess}
				if k.PermissionsKnown {
					j.Scopes = k.Permissions.Categories()
				}
				out = append(out, j)
			}
			return writeJSON(e.Stdout, out)
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCREATED\tSCOPES")
		for _, k := range keys {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", k.ID, safetext.OutsideOr(k.Name, "-"), hygiene.DateOrDash(k.CreatedAt), scopesText(k))
		}
		return tw.Flush()
	}
}

// writeJSON writes v as indented JSON, with the characters a terminal may
// act on escaped (see safetext.JSON): names in it are the API's.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(safetext.JSON(b), '\n'))
	return err
}

func scopesText(k vast.Key) string {
	switch {
	case k.FullAccess:
		return "FULL ACCESS"
	case !k.PermissionsKnown:
		return "(not reported)"
	}
	return safetext.Outside(k.Permissions.String()) // the names are the API's
}

func keysCreateCommand(fs *pflag.FlagSet) runFunc {
	var af apiFlags
	af.register(fs)
	name := fs.String("name", "", "`NAME` of the new key (1 to 255 characters)")
	permSpec := fs.String("permissions", "", "`PERMS`: a preset ("+strings.Join(vast.PresetNames, ", ")+") or a JSON object {\"api\": {...}}")
	allowFull := fs.Bool("allow-full-access", false, "allow a key with every permission (the full preset)")
	output := fs.StringP("output", "o", "", "write the key to `FILE` (mode 0600) and print only its id")
	enumFlag(fs, "permissions", vast.PresetNames...)
	fileFlag(fs, "output")
	return func(ctx context.Context, e *Env, pos []string) error {
		if len(pos) > 0 {
			return usagef("keys create takes no arguments (got %q); use --name", pos[0])
		}
		if *name == "" || len(*name) > vast.MaxNameLength {
			return usagef("keys create: --name is required, 1 to %d characters", vast.MaxNameLength)
		}
		if *permSpec == "" {
			return usagef("keys create: --permissions is required: a preset (%s) or a JSON object {\"api\": {...}}", strings.Join(vast.PresetNames, ", "))
		}
		perms, err := vast.ParsePermissions(*permSpec, *allowFull)
		if err != nil {
			return fmt.Errorf("--%w", err)
		}
		a, err := newAPI(ctx, e, af)
		if err != nil {
			return err
		}
		var file *secretFile
		if *output != "" {
			if file, err = openSecretFile(*output); err != nil {
				return err
			}
		}
		k, err := a.CreateKey(ctx, *name, perms)
		if err != nil {
			if file != nil {
				file.abort()
			}
			return a.Explain("create key", err)
		}
		if len(k.Diff.Broader) > 0 {
			// The server made a broader key than asked: never hand it out.
			if file != nil {
				file.abort()
			}
			msg := fmt.Sprintf("the Vast API made key %d %q with more permissions than asked (%s; asked for %s)", k.ID, safetext.Outside(k.Name), safetext.OneLine(k.Diff.String()), perms)
			if derr := a.DeleteKey(context.WithoutCancel(ctx), k.ID); vast.DeletionOf(derr) == vast.DeleteFailed {
				return fmt.Errorf("%s, and deleting it failed (%v): delete it yourself with `vastguard keys delete %d`", msg, a.Explain("delete key", derr), k.ID)
			}
			return fmt.Errorf("%s; it was deleted again", msg)
		}
		if !k.Echo.Confirmed() {
			fmt.Fprintf(e.Stderr, "vastguard: the Vast API did not confirm the new key's permissions (%s); it was asked for %s\n", k.Echo, perms)
		}
		if file != nil {
			if err := file.commit(k.Secret.Reveal()); err != nil {
				derr := a.DeleteKey(context.WithoutCancel(ctx), k.ID)
				if derr != nil {
					return fmt.Errorf("%v; and deleting the new key %d failed too, delete it yourself: %v", err, k.ID, a.Explain("delete key", derr))
				}
				return fmt.Errorf("%v (the new key %d was deleted again)", err, k.ID)
			}
			fmt.Fprintln(e.Stdout, k.ID)
			fmt.Fprintf(e.Stderr, "created key %d %q (%s), written to %s\n", k.ID, safetext.Outside(k.Name), safetext.Outside(perms.String()), safetext.Path(*output))
			return nil
		}
		fmt.Fprintln(e.Stdout, k.Secret.Reveal())
		fmt.Fprintf(e.Stderr, "created key %d %q (%s); this is the only time its value is shown\n", k.ID, safetext.Outside(k.Name), safetext.Outside(perms.String()))
		return nil
	}
}

func keysDeleteCommand(fs *pflag.FlagSet) runFunc {
	var af apiFlags
	af.register(fs)
	return func(ctx context.Context, e *Env, pos []string) error {
		if len(pos) != 1 {
			return usagef("keys delete takes one key id (see vastguard keys list)")
		}
		// Digits only: ParseInt would take "+7" (and delete key 7).
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil || id <= 0 || strings.Trim(pos[0], "0123456789") != "" {
			return usagef("keys delete: %q is not a key id; ids are positive integers (see vastguard keys list)", pos[0])
		}
		a, err := newAPI(ctx, e, af)
		if err != nil {
			return err
		}
		err = a.DeleteKey(ctx, id)
		switch vast.DeletionOf(err) {
		case vast.Deleted:
			fmt.Fprintf(e.Stdout, "deleted key %d\n", id)
			return nil
		case vast.AlreadyGone:
			fmt.Fprintf(e.Stdout, "key %d is already gone (the API answered 404 API Key not found.)\n", id)
			return nil
		}
		// Anything else, a 404 auth failure included, may leave it live.
		return fmt.Errorf("%v; key %d may still be live", a.Explain(fmt.Sprintf("delete key %d", id), err), id)
	}
}

// keysResetCommand is `vastguard keys reset --yes [--output FILE]`. Which
// key the API's reset_apikey replaces is unverified (the CLI says the
// current key, its SKILL.md the account's main key), so without --yes it
// says what it would do and does nothing; with it, it checks afterwards
// whether the old value still works and says which key was reset.
func keysResetCommand(fs *pflag.FlagSet) runFunc {
	var af apiFlags
	af.register(fs)
	output := fs.StringP("output", "o", "", "write the new key to `FILE` (mode 0600) instead of printing it")
	fileFlag(fs, "output")
	yes := fs.Bool("yes", false, "go ahead: the old value stops working at once (and which key the API resets, this one or the account's main key, is not verified)")
	return func(ctx context.Context, e *Env, pos []string) error {
		if len(pos) > 0 {
			return usagef("keys reset takes no arguments; it resets the key in use")
		}
		if !*yes {
			src := "the key in use"
			if cred, err := resolveKey(e, af.key); err == nil {
				src = "the key from " + cred.source
			}
			return usagef("keys reset replaces %s with a new value and the old one stops working at once; the Vast API may instead reset the account's main key (unverified); run it again with --yes to go ahead", src)
		}
		a, err := newAPI(ctx, e, af)
		if err != nil {
			return err
		}
		var file *secretFile
		if *output != "" {
			if file, err = openSecretFile(*output); err != nil {
				return err
			}
		}
		// Who the key is, to say afterwards which key was reset. A key
		// without user_read cannot ask (403) and is reset all the same.
		before, err := a.CurrentUser(ctx)
		if err != nil && !errors.Is(err, vast.ErrForbidden) {
			if file != nil {
				file.abort()
			}
			return a.Explain("check the key before the reset (nothing was reset)", err)
		}
		fmt.Fprintf(e.Stderr, "resetting the key from %s (%s)\n", a.cred.source, describeUser(before))
		s, err := a.ResetKey(ctx)
		if err != nil {
			if file != nil {
				file.abort()
			}
			return a.Explain("reset key", err)
		}
		if file != nil {
			if err := file.commit(s.Reveal()); err != nil {
				return fmt.Errorf("the key was reset but %v; the new key is only in the Vast console now", err)
			}
		} else {
			fmt.Fprintln(e.Stdout, s.Reveal())
		}
		where := "store the new one now (it is shown once)"
		if file != nil {
			where = "the new one is in " + *output
		}
		msg, err := whichKeyWasReset(ctx, e, a, before, s)
		fmt.Fprintf(e.Stderr, "reset: %s; %s\n", msg, where)
		return err
	}
}

// whichKeyWasReset asks the API, with the old value and then the new one,
// which key the reset replaced. An old value that still works means the
// API reset another key (the account's main key, as its SKILL.md says);
// that is an error, since the key in use was not replaced.
func whichKeyWasReset(ctx context.Context, e *Env, a *api, before vast.User, s vast.Secret) (string, error) {
	newKey := "the new value was not checked"
	if c, err := newVastClient(ctx, e, s.Reveal(), a.url, vast.DefaultRetry); err == nil {
		if u, err := c.CurrentUser(ctx); err == nil {
			newKey = "the new value answers as " + describeUser(u)
		} else {
			newKey = "the new value does not answer yet: " + safetext.OneLine(err.Error())
		}
	}
	_, err := a.CurrentUser(ctx)
	switch {
	case errors.Is(err, vast.ErrUnauthorized):
		return fmt.Sprintf("the old value from %s no longer works (it was %s); %s", a.cred.source, describeUser(before), newKey), nil
	case err == nil, errors.Is(err, vast.ErrForbidden), errors.Is(err, vast.ErrTwoFactor): // a 403 is a live key without user_read; a 2FA demand, a key the API knows
		return fmt.Sprintf("the old value from %s STILL works, so the API reset another key, probably the account's main key; %s", a.cred.source, newKey),
			fmt.Errorf("keys reset: the key from %s was not replaced: the API reset another key (%s); check the Vast console", a.cred.source, newKey)
	}
	return fmt.Sprintf("could not check whether the old value still works (%s); %s", safetext.OneLine(a.Explain("check the old key", err).Error()), newKey), nil
}

// describeUser is "key 1234 of account 56", or "account 56" when the API
// gave no key id.
func describeUser(u vast.User) string {
	switch {
	case u.ID == 0:
		return "its id unknown: it lacks user_read"
	case u.KeyID != 0:
		return fmt.Sprintf("key %d of account %d", u.KeyID, u.ID)
	}
	return fmt.Sprintf("account %d", u.ID)
}
