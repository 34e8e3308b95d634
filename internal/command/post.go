package command

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/hygiene"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/vast"
)

// postProgram is the name the post step runs the binary under
// (post-entrypoint: /vastguard-post). The runner passes the post step the
// same arguments as the main step, so the name is what tells them apart.
const postProgram = "vastguard-post"

// cleanupRetry is the post step's retry policy for a cleanup budget: every
// 429, 5xx and network error is retried with jittered backoff until the
// budget is spent.
func cleanupRetry(budget time.Duration) vast.RetryPolicy {
	return vast.RetryPolicy{
		Budget:          budget,
		BaseDelay:       time.Second,
		MaxDelay:        10 * time.Second,
		Timeout:         min(20*time.Second, budget),
		AllServerErrors: true,
	}
}

// runPost is the post step: delete the key the main step minted, by the id
// it saved, or, if only the name was saved (the create's answer was lost or
// the job was cancelled mid-create), every key with exactly that name.
// Nothing saved means nothing was minted: no API call is made. A key that
// cannot be deleted is reported loudly (an error annotation and a summary
// line naming its id and name) and left for `vastguard sweep`.
func runPost(ctx context.Context, e *Env) error {
	wf := ghactions.New(e.Stdout, e.Getenv)
	if e.Getenv("STATE_"+stateBrokerURL) != "" {
		return runPostBroker(ctx, e, wf) // post_broker.go
	}
	name := strings.TrimSpace(e.Getenv("STATE_" + stateKeyName))
	idText := strings.TrimSpace(e.Getenv("STATE_" + stateKeyID))
	if name == "" && idText == "" {
		wf.Logf("nothing was minted in this step, so there is nothing to delete")
		return nil
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		id = 0
	}
	if _, ok := keyname.Parse(name); !ok && id == 0 {
		return postFailed(wf, 0, name, "", fmt.Errorf("the saved state names no key this action minted (%q)", safetext.Printable(name, "")))
	}
	what := describeKey(id, name)
	expiry := ""
	if kn, ok := keyname.Parse(name); ok {
		expiry = kn.Expires.Format(time.RFC3339)
	}

	timeout, terr := parseDurationInput(e.Getenv, "cleanup-timeout", minCleanupTimeout, maxCleanupTimeout)
	if terr != nil {
		timeout = 2 * time.Minute
		wf.Annotate("warning", "vastguard cleanup", safetext.OneLine(terr.Error())+"; using 2m")
	}
	cfg := actionConfig{apiKey: input(e.Getenv, "api-key"), apiURL: input(e.Getenv, "api-url")}
	if cfg.apiKey == "" {
		return postFailed(wf, id, name, expiry, errors.New("input api-key is empty in the post step, so the key cannot be deleted"))
	}
	if err := checkAPIURL(cfg.apiURL); err != nil {
		return postFailed(wf, id, name, expiry, inputError("api-url", "%v", err))
	}
	a, err := actionAPI(ctx, e, cfg, cleanupRetry(timeout))
	if err != nil {
		return postFailed(wf, id, name, expiry, err)
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	if id > 0 {
		err := a.DeleteKey(dctx, id)
		switch {
		case err == nil:
			wf.Logf("deleted %s", what)
			wf.Summary(fmt.Sprintf("vastguard: deleted key %d %s.", id, safetext.MarkdownCode(name)))
			return nil
		case errors.Is(err, vast.ErrNotFound):
			wf.Logf("%s is already gone (the API answered 404)", what)
			wf.Summary(fmt.Sprintf("vastguard: key %d %s was already gone.", id, safetext.MarkdownCode(name)))
			return nil
		}
		return postFailed(wf, id, name, expiry, postReason(a, dctx, timeout, "delete key", err))
	}

	// Only the name is known: look for it.
	keys, err := a.ListKeys(dctx)
	if err != nil {
		return postFailed(wf, 0, name, expiry, postReason(a, dctx, timeout, "list keys", err))
	}
	if len(keys) > 0 && !hygiene.AnyNamed(keys) {
		return postFailed(wf, 0, name, expiry, errors.New("the Vast API's key list shows no key names, so the key cannot be found by its name"))
	}
	var found []int64
	for _, k := range keys {
		if k.Name == name {
			found = append(found, k.ID)
		}
	}
	if len(found) == 0 {
		wf.Logf("no key named %s exists: its create never took effect or was undone", name)
		return nil
	}
	for _, kid := range found {
		if err := a.DeleteKey(dctx, kid); err != nil && !errors.Is(err, vast.ErrNotFound) {
			return postFailed(wf, kid, name, expiry, postReason(a, dctx, timeout, "delete key", err))
		}
		wf.Logf("deleted %s (found by its name: its create answer was lost)", describeKey(kid, name))
		wf.Summary(fmt.Sprintf("vastguard: deleted key %d %s (found by name).", kid, safetext.MarkdownCode(name)))
	}
	return nil
}

// describeKey is "key 1234 vastguard:..." or "the key named vastguard:...".
func describeKey(id int64, name string) string {
	if id > 0 {
		return fmt.Sprintf("key %d %s", id, safetext.Printable(name, "(unnamed)"))
	}
	return "the key named " + safetext.Printable(name, "(unnamed)")
}

// postReason explains a failed cleanup call, saying when the budget ran out.
func postReason(a *api, ctx context.Context, budget time.Duration, what string, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("still failing when cleanup-timeout (%s) ran out: %v", fmtDuration(budget), a.Explain(what, err))
	}
	return a.Explain(what, err)
}

// postFailed reports a key left behind: an error annotation and a summary
// line, both naming it, and a failing exit.
func postFailed(wf *ghactions.Workflow, id int64, name, expiry string, reason error) error {
	what := describeKey(id, name)
	later := "`vastguard sweep` deletes it once it has expired"
	if expiry != "" {
		later = fmt.Sprintf("`vastguard sweep` deletes it after %s", expiry)
	}
	fix := "delete it in the Vast console"
	if id > 0 {
		fix = fmt.Sprintf("delete it now with `vastguard keys delete %d`", id)
	}
	msg := fmt.Sprintf("could not delete %s: %s. The key is still live: %s, or %s", what, safetext.OneLine(reason.Error()), later, fix)
	wf.Annotate("error", "vastguard cleanup", msg)
	idCell := "-"
	if id > 0 {
		idCell = strconv.FormatInt(id, 10)
	}
	wf.Summary(fmt.Sprintf("### vastguard: a key was NOT deleted\n\n| Id | Name | Why |\n|---|---|---|\n| %s | %s | %s |\n\nThe key is still live: %s, or %s.",
		idCell, safetext.MarkdownCode(safetext.Printable(name, "-")), safetext.MarkdownCell(safetext.OneLine(reason.Error())), later, fix))
	return &exitError{code: exitFailure}
}
