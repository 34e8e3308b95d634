package command

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/vast"
)

// State saved by the main step for the post step (STATE_<name>).
const (
	stateKeyName = "vastguard_key_name" // saved before the create
	// stateCreateSent is when the create started (RFC 3339, the step's
	// clock), saved with the name: a key it made may appear in the key list
	// until the last attempt's send time plus vast.SettleWindow.
	stateCreateSent = "vastguard_create_sent"
	stateKeyID      = "vastguard_key_id" // saved as soon as the create answers
	// stateUnsettled is when the latest create attempt with an unknown
	// outcome was sent (CreateUncertainError.Since, Key.UnsettledSince):
	// the post step looks for keys of the name until then plus
	// vast.SettleWindow.
	stateUnsettled = "vastguard_key_unsettled"
)

// mintRetry bounds the create: Vast's create endpoint allows one call per
// 2 s per key, so a 429 is waited out with 1 s jittered steps for up to a
// minute.
var mintRetry = vast.RetryPolicy{Budget: time.Minute, BaseDelay: time.Second, MaxDelay: 10 * time.Second, MaxAttempts: 8, Timeout: 20 * time.Second}

// actionMint mints the key. The order is the point:
//
//  1. the key's name and the time go to GITHUB_STATE before the create, so
//     the post step can find a key whose create answer was lost;
//  2. the create runs, and once sent it may finish for createGrace after a
//     cancellation, so its id is known;
//  3. the id (and, if an attempt's outcome stayed unknown, when it was
//     sent) goes to GITHUB_STATE at once (a file, not printed);
//  4. "::add-mask::" is the first line the step prints after the create;
//  5. a key granted more than was asked is deleted, and the step fails;
//  6. outputs, VAST_API_KEY, the summary, one log line.
//
// The key's value goes only to the mask line, the api-key output and, with
// export-env, GITHUB_ENV.
func actionMint(ctx context.Context, e *Env, wf *ghactions.Workflow, cfg actionConfig) error {
	for _, v := range []string{"GITHUB_STATE", "GITHUB_OUTPUT"} {
		if e.Getenv(v) == "" {
			return fmt.Errorf("%s is not set: vastguard action runs as a step of a GitHub Actions job (uses: vastguard/vastguard@v1)", v)
		}
	}
	if cfg.exportEnv && e.Getenv("GITHUB_ENV") == "" {
		return errors.New("GITHUB_ENV is not set, so export-env cannot work: run this as a step of a GitHub Actions job or set export-env: false")
	}
	if cfg.broker.url != "" {
		return actionMintBroker(ctx, e, wf, cfg) // mint_broker.go
	}
	rc := ghactions.ReadRunContext(e.Getenv)
	label := cfg.label
	if label == "" {
		label = rc.Step
	}
	now := e.Now().UTC().Truncate(time.Second)
	kn := keyname.Name{Repository: rc.Repository, RunID: rc.RunID, Attempt: rc.Attempt, Job: rc.Job, Label: label, Expires: now.Add(cfg.ttl), Nonce: keyname.NewNonce()}
	name := kn.String()
	expires := kn.Expires.Format(time.RFC3339)

	a, err := actionAPI(ctx, e, cfg, mintRetry)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return errors.New("cancelled before the key was created; nothing to clean up")
	}
	sent := e.Now()
	if err := wf.SaveState(stateKeyName, name, stateCreateSent, stateTime(sent)); err != nil {
		return fmt.Errorf("saving the key's name for the post step (nothing was created): %w", err)
	}

	k, err := createOutlivingCancel(ctx, a, name, cfg.perms)
	if err != nil {
		return mintFailed(ctx, a, wf, name, sent, err)
	}

	pairs := []string{stateKeyID, strconv.FormatInt(k.ID, 10)}
	if !k.UnsettledSince.IsZero() {
		pairs = append(pairs, stateUnsettled, stateTime(k.UnsettledSince))
	}
	stateErr := wf.SaveState(pairs...)
	if err := wf.Mask(k.Secret.Reveal()); err != nil {
		return errors.Join(err, deleteNow(ctx, a, k))
	}
	if stateErr != nil {
		return fmt.Errorf("saving the key's id for the post step: %w; %v", stateErr, deleteNow(ctx, a, k))
	}
	if len(k.Diff.Broader) > 0 {
		// The server made a broader key than asked: never hand it on.
		return fmt.Errorf("the Vast API made key %d (%s) with more permissions than asked (%s; asked for %s); it is not handed on: %v",
			k.ID, name, safetext.OneLine(k.Diff.String()), cfg.perms, deleteNow(ctx, a, k))
	}
	if ctx.Err() != nil {
		return fmt.Errorf("cancelled just after key %d (%s) was created; its id is saved and the post step deletes it", k.ID, name)
	}

	if err := wf.SetOutput("api-key", k.Secret.Reveal(),
		"key-id", strconv.FormatInt(k.ID, 10),
		"key-name", name,
		"expires-at", expires,
	); err != nil {
		return fmt.Errorf("setting the outputs: %w (key %d is deleted by the post step)", err, k.ID)
	}
	if cfg.exportEnv {
		if err := wf.ExportEnv("VAST_API_KEY", k.Secret.Reveal()); err != nil {
			return fmt.Errorf("exporting VAST_API_KEY: %w (key %d is deleted by the post step)", err, k.ID)
		}
	}
	scopes := safetext.Outside(k.Permissions.String()) // the names are the API's answer
	switch {
	case !k.Echo.Confirmed():
		scopes += " (unconfirmed)"
		wf.Annotate("warning", "vastguard", fmt.Sprintf("the Vast API did not confirm the permissions of key %d %s: %s; it was asked for %s, and the key is used as if it had them",
			k.ID, name, k.Echo, cfg.perms))
	case len(k.Diff.Narrower) > 0:
		wf.Annotate("warning", "vastguard", fmt.Sprintf("the Vast API gave key %d %s fewer permissions than asked (%s): calls that need them will be refused",
			k.ID, name, safetext.OneLine(k.Diff.String())))
	}
	where := "the `api-key` output"
	if cfg.exportEnv {
		where += " and `VAST_API_KEY` in later steps"
	}
	if err := wf.Summary(fmt.Sprintf("### vastguard: minted a Vast.ai API key\n\n"+
		"| | |\n|---|---|\n"+
		"| Name | %s |\n| Id | %d |\n| Permissions | %s |\n| Expires | %s (ttl %s) |\n\n"+
		"The key is in %s, masked in logs. The post step deletes it when the job ends; "+
		"if that never runs, `vastguard sweep` deletes it after it expires.",
		safetext.MarkdownCode(name), k.ID, safetext.MarkdownCell(scopes), expires, fmtDuration(cfg.ttl), where)); err != nil {
		wf.Annotate("warning", "vastguard", safetext.OneLine(err.Error()))
	}
	wf.Logf("minted key %d %s (%s), expires %s; the post step deletes it", k.ID, name, scopes, expires)
	return nil
}

// mintFailed saves what the post step needs after a failed create and says
// what happened. A *vast.CreateUncertainError may have left a key of the
// name: when its attempt was sent goes to the state, and the post step
// looks for it. Any other error means the client accounted for every
// attempt and no key was made, so the name is cleared and the post step
// has nothing to look for (the last state record of a name wins).
func mintFailed(ctx context.Context, a *api, wf *ghactions.Workflow, name string, sent time.Time, err error) error {
	var ue *vast.CreateUncertainError
	if errors.As(err, &ue) {
		since := ue.Since
		if since.IsZero() {
			since = sent
		}
		serr := wf.SaveState(stateUnsettled, stateTime(since))
		after := fmt.Sprintf("the post step looks for a key named %s until %s and deletes it", name, since.Add(vast.SettleWindow).UTC().Format(time.RFC3339))
		if serr != nil {
			after = fmt.Sprintf("the post step looks for a key named %s and deletes it (saving when the create was sent failed: %v)", name, serr)
		}
		var ve *vast.Error
		if errors.As(err, &ve) && ve.StatusCode == http.StatusBadRequest && ve.Code == "invalid_permissions" {
			return fmt.Errorf("create key: the Vast API refused the permissions (%s): check the permissions input. A key is unlikely to exist, but the API may have made one before answering, so %s", ve.Brief(), after)
		}
		return fmt.Errorf("%v; %s", a.Explain("create key", err), after)
	}
	if serr := wf.SaveState(stateKeyName, ""); serr != nil {
		wf.Annotate("warning", "vastguard", safetext.OneLine(serr.Error()))
	}
	if ctx.Err() != nil {
		return fmt.Errorf("cancelled while creating the key (%v); no key was made", a.Explain("create key", err))
	}
	msg := a.Explain("create key", err).Error()
	if !strings.Contains(msg, "no key was left behind") {
		msg += "; no key was left behind"
	}
	return errors.New(msg)
}

// stateTime writes a time for the post step; parseStateTime reads it.
func stateTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseStateTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	return t, err == nil && !t.IsZero()
}

// createOutlivingCancel creates the key on a context that survives the
// step's cancellation by createGrace: a create already on the wire is
// better finished (its id is then saved and the post step deletes it by id)
// than abandoned with its outcome unknown. No retry starts after the
// cancellation (actionAPI's sleep sees it).
func createOutlivingCancel(ctx context.Context, a *api, name string, perms vast.Permissions) (vast.Key, error) {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(createGrace, cancel) })
	defer stop()
	return a.CreateKey(cctx, name, perms)
}

// deleteNow deletes a key the step cannot hand on, on a context that
// outlives a cancellation, and says what happened.
func deleteNow(ctx context.Context, a *api, k vast.Key) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := a.DeleteKey(dctx, k.ID)
	if vast.DeletionOf(err) != vast.DeleteFailed {
		return fmt.Errorf("key %d was deleted again", k.ID)
	}
	return fmt.Errorf("deleting key %d failed too (%v); the post step tries again", k.ID, a.Explain("delete key", err))
}
