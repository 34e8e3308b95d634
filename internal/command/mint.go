package command

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/vast"
)

// State saved by the main step for the post step (STATE_<name>).
const (
	stateKeyName = "vastguard_key_name" // saved before the create
	stateKeyID   = "vastguard_key_id"   // saved as soon as the create answers
)

// mintRetry bounds the create: Vast's create endpoint allows one call per
// 2 s per key, so a 429 is waited out with 1 s jittered steps for up to a
// minute.
var mintRetry = vast.RetryPolicy{Budget: time.Minute, BaseDelay: time.Second, MaxDelay: 10 * time.Second, MaxAttempts: 8, Timeout: 20 * time.Second}

// actionMint mints the key. The order is the point:
//
//  1. the key's name goes to GITHUB_STATE before the create, so the post
//     step can find a key whose create answer was lost;
//  2. the create runs, and once sent it may finish for createGrace after a
//     cancellation, so its id is known;
//  3. the id goes to GITHUB_STATE at once (a file, not printed);
//  4. "::add-mask::" is the first line the step prints after the create;
//  5. outputs, VAST_API_KEY, the summary, one log line.
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
	if err := wf.SaveState(stateKeyName, name); err != nil {
		return fmt.Errorf("saving the key's name for the post step (nothing was created): %w", err)
	}

	k, err := createOutlivingCancel(ctx, a, name, cfg.perms)
	if err != nil {
		var ue *vast.CreateUncertainError
		if errors.As(err, &ue) {
			return fmt.Errorf("%v; the post step looks for a key named %s and deletes it", a.Explain("create key", err), name)
		}
		if ctx.Err() == nil {
			// The create certainly made no key: the post step has nothing to
			// look for (the last state record of a name wins).
			wf.SaveState(stateKeyName, "")
		}
		if ctx.Err() != nil {
			return fmt.Errorf("cancelled while creating the key (%v); the post step deletes any key named %s", a.Explain("create key", err), name)
		}
		return a.Explain("create key", err)
	}

	stateErr := wf.SaveState(stateKeyID, strconv.FormatInt(k.ID, 10))
	if err := wf.Mask(k.Secret.Reveal()); err != nil {
		return errors.Join(err, deleteNow(ctx, a, k))
	}
	if stateErr != nil {
		return fmt.Errorf("saving the key's id for the post step: %w; %v", stateErr, deleteNow(ctx, a, k))
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
	scopes := k.Permissions.String()
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
	if err == nil || errors.Is(err, vast.ErrNotFound) {
		return fmt.Errorf("key %d was deleted again", k.ID)
	}
	return fmt.Errorf("deleting key %d failed too (%v); the post step tries again", k.ID, a.Explain("delete key", err))
}
