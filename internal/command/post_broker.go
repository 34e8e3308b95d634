package command

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vastguard/vastguard/internal/broker/brokerclient"
	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/safetext"
)

// runPostBroker is the post step of a key minted through the broker: it
// asks the runner for a fresh OIDC token and the broker to delete the key
// by the id the main step saved. "revoked" (deleted now), "reaped" (the
// broker's reaper got there first) and "gone" (deleted outside the
// broker) all mean the key is dead. Anything else is reported loudly, an
// error annotation and a summary line naming the key's id and name, and
// the key is left to the broker, which deletes it at its expiry whatever
// happens here. A main step that saved the broker's URL but no id never got
// a key: the broker deletes a key whose caller went away before its answer.
func runPostBroker(ctx context.Context, e *Env, wf *ghactions.Workflow) error {
	b := brokerInputs{
		url:      strings.TrimSpace(e.Getenv("STATE_" + stateBrokerURL)),
		audience: strings.TrimSpace(e.Getenv("STATE_" + stateBrokerAudience)),
	}
	name := strings.TrimSpace(e.Getenv("STATE_" + stateKeyName))
	idText := strings.TrimSpace(e.Getenv("STATE_" + stateKeyID))
	expiry := strings.TrimSpace(e.Getenv("STATE_" + stateKeyExpires))
	if idText == "" {
		wf.Logf("no key was handed to this step by the broker, so there is nothing to delete (a key the broker made for a caller that went away is deleted by the broker)")
		return nil
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return postBrokerFailed(wf, 0, name, expiry, fmt.Errorf("the saved key id %q is not a key id", safetext.OutsideOr(idText, "")))
	}
	if _, err := time.Parse(time.RFC3339, expiry); err != nil {
		expiry = ""
	}
	if b.audience == "" {
		b.audience = b.url
	}

	timeout, terr := parseDurationInput(e.Getenv, "cleanup-timeout", minCleanupTimeout, maxCleanupTimeout)
	if terr != nil {
		timeout = 2 * time.Minute
		wf.Annotate("warning", "vastguard cleanup", safetext.OneLine(terr.Error())+"; using 2m")
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	bc, err := newBrokerClient(dctx, e, b.url, brokerclient.Retry{Budget: timeout, BaseDelay: time.Second, MaxDelay: 10 * time.Second})
	if err != nil {
		return postBrokerFailed(wf, id, name, expiry, fmt.Errorf("the saved broker URL: %w", err))
	}
	tok, err := idToken(dctx, e, b.audience)
	if err != nil {
		return postBrokerFailed(wf, id, name, expiry, err)
	}
	state, err := bc.Delete(dctx, tok, id)
	if err != nil {
		if errors.Is(dctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("still failing when cleanup-timeout (%s) ran out: %w", fmtDuration(timeout), explainBroker("delete", b.url, err))
		} else {
			err = explainBroker("delete", b.url, err)
		}
		return postBrokerFailed(wf, id, name, expiry, err)
	}
	what := describeKey(id, name)
	switch state {
	case "revoked":
		wf.Logf("the broker deleted %s", what)
		wf.Summary(fmt.Sprintf("vastguard: the broker deleted key %d %s.", id, safetext.MarkdownCode(name)))
		return nil
	case "reaped", "gone":
		why := map[string]string{"reaped": "the broker's reaper deleted it at its expiry", "gone": "it was deleted outside the broker"}[state]
		wf.Logf("%s is already gone: %s", what, why)
		wf.Summary(fmt.Sprintf("vastguard: key %d %s was already gone (%s).", id, safetext.MarkdownCode(name), why))
		return nil
	}
	return postBrokerFailed(wf, id, name, expiry, fmt.Errorf("the broker answered the delete with the state %q, not revoked, reaped or gone", safetext.OutsideOr(state, "")))
}

// postBrokerFailed reports a broker key the post step could not delete: an
// error annotation and a summary line, both naming it, and a failing exit.
// The key is still live, until the broker's reaper deletes it at its
// expiry.
func postBrokerFailed(wf *ghactions.Workflow, id int64, name, expiry string, reason error) error {
	what := describeKey(id, name)
	later := "the broker's reaper deletes it at its expiry"
	if expiry != "" {
		later = fmt.Sprintf("the broker's reaper deletes it at its expiry (%s)", expiry)
	}
	fix := "its operator can delete it sooner"
	if id > 0 {
		fix = fmt.Sprintf("its operator can delete it sooner (`vastguard keys delete %d` with the management key)", id)
	}
	msg := fmt.Sprintf("could not delete %s: %s. The key is still live: %s, or %s", what, safetext.OneLine(reason.Error()), later, fix)
	wf.Annotate("error", "vastguard cleanup", msg)
	idCell := "-"
	if id > 0 {
		idCell = strconv.FormatInt(id, 10)
	}
	wf.Summary(fmt.Sprintf("### vastguard: a key was NOT deleted\n\n| Id | Name | Why |\n|---|---|---|\n| %s | %s | %s |\n\nThe key is still live: %s, or %s.",
		idCell, safetext.MarkdownCode(safetext.OutsideOr(name, "-")), safetext.MarkdownCell(safetext.OneLine(reason.Error())), later, fix))
	return &exitError{code: exitFailure}
}
