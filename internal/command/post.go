package command

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/internal/respond"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/scan"
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

// auditRetry keeps the post step's read of the audit log short: it is a
// note in the summary, not part of the cleanup.
var auditRetry = vast.RetryPolicy{Budget: 20 * time.Second, BaseDelay: time.Second, MaxDelay: 5 * time.Second, MaxAttempts: 3, Timeout: 30 * time.Second}

// postState is what the main step saved for the post step.
type postState struct {
	name   string
	idText string
	id     int64     // 0 when none was saved, or it was garbled
	sent   time.Time // when the create started; zero if not saved
	// unsettled is when the latest create attempt with an unknown outcome
	// was sent; zero when every attempt was accounted for.
	unsettled time.Time
}

func readPostState(getenv func(string) string) postState {
	st := postState{
		name:   strings.TrimSpace(getenv("STATE_" + stateKeyName)),
		idText: strings.TrimSpace(getenv("STATE_" + stateKeyID)),
	}
	if id, err := strconv.ParseInt(st.idText, 10, 64); err == nil && id > 0 {
		st.id = id
	}
	st.sent, _ = parseStateTime(getenv("STATE_" + stateCreateSent))
	st.unsettled, _ = parseStateTime(getenv("STATE_" + stateUnsettled))
	return st
}

// settleUntil is until when a key of the name may still appear: the
// unsettled attempt's send time plus vast.SettleWindow; without one (the
// main step never learnt how its create ended: it was killed), the create's
// start plus the create's retry budget (the last attempt may have been sent
// that much later) plus the window; without that either, the whole window
// from now. SettleName brings it back to at most now plus the window.
func (st postState) settleUntil(now time.Time) time.Time {
	switch {
	case !st.unsettled.IsZero():
		return st.unsettled.Add(vast.SettleWindow)
	case !st.sent.IsZero():
		return st.sent.Add(mintRetry.Budget + vast.SettleWindow)
	}
	return now.Add(vast.SettleWindow)
}

// runPost is the post step: delete the key the main step minted, by the id
// it saved, or, if only the name was saved (the create's answer was lost or
// the job was cancelled mid-create), every key with exactly that name, for
// as long as a key from the create may still appear (vast.SettleName);
// also after a delete by id when an earlier attempt of the create had an
// unknown outcome. Nothing saved means nothing was minted: no API call is
// made. A key that cannot be deleted, or that cannot be proven absent, is
// reported loudly (an error annotation and a summary line naming it) and
// left for `vastguard sweep`. The summary ends with what the deleted key
// did, from the account's audit log, when the management key may read it.
func runPost(ctx context.Context, e *Env) (err error) {
	e = withoutGitHubToken(e) // the post step never calls GitHub
	wf := ghactions.New(e.Stdout, e.Getenv)
	defer func() {
		if p := recover(); p != nil {
			wf.Annotate("error", "vastguard cleanup", panicError(p).Error()+"; the key may still be live: `vastguard sweep` deletes it once it has expired")
			err = &exitError{code: exitFailure}
		}
	}()
	if e.Getenv("STATE_"+stateBrokerURL) != "" {
		return runPostBroker(ctx, e, wf) // post_broker.go
	}
	st := readPostState(e.Getenv)
	if st.name == "" && st.idText == "" {
		wf.Logf("nothing was minted in this step, so there is nothing to delete")
		return nil
	}
	if _, ok := keyname.Parse(st.name); !ok && st.id == 0 {
		return postFailed(wf, leftKey{name: st.name}, fmt.Errorf("the saved state names no key this action minted (%q)", safetext.OutsideOr(st.name, "")))
	}
	left := leftKey{id: st.id, name: st.name}
	if kn, ok := keyname.Parse(st.name); ok {
		left.expiry = kn.Expires.Format(time.RFC3339)
	}

	timeout, terr := parseDurationInput(e.Getenv, "cleanup-timeout", minCleanupTimeout, maxCleanupTimeout)
	if terr != nil {
		timeout = 2 * time.Minute
		wf.Annotate("warning", "vastguard cleanup", safetext.OneLine(terr.Error())+"; using 2m")
	}
	cfg := actionConfig{apiKey: input(e.Getenv, "api-key"), apiURL: input(e.Getenv, "api-url")}
	if cfg.apiKey == "" {
		return postFailed(wf, left, errors.New("input api-key is empty in the post step, so the key cannot be deleted"))
	}
	if err := checkAPIURL(cfg.apiURL); err != nil {
		return postFailed(wf, left, inputError("api-url", "%v", err))
	}
	a, err := actionAPI(ctx, e, cfg, cleanupRetry(timeout))
	if err != nil {
		return postFailed(wf, left, err)
	}

	var gone []int64 // keys of this step deleted now or found gone
	if st.id > 0 {
		dctx, cancel := context.WithTimeout(ctx, timeout)
		err := a.DeleteKey(dctx, st.id)
		cancel()
		what := describeKey(st.id, st.name)
		switch vast.DeletionOf(err) {
		case vast.Deleted:
			wf.Logf("deleted %s", what)
			wf.Summary(fmt.Sprintf("vastguard: deleted key %d %s.", st.id, safetext.MarkdownCode(st.name)))
		case vast.AlreadyGone:
			wf.Logf("%s is already gone (the API answered 404 API Key not found.)", what)
			wf.Summary(fmt.Sprintf("vastguard: key %d %s was already gone.", st.id, safetext.MarkdownCode(st.name)))
		default:
			// A 404 auth failure (the management key revoked mid-job) is
			// not "already gone": the key may be live.
			return postFailed(wf, left, postReason(a, dctx, timeout, "delete key", err))
		}
		gone = append(gone, st.id)
		if st.unsettled.IsZero() {
			postActivity(ctx, e, wf, cfg, gone)
			return nil
		}
		wf.Logf("an earlier attempt of this key's create had an unknown outcome: looking for other keys named %s", st.name)
	}

	// Look for keys of the name until none can appear any more.
	until := st.settleUntil(e.Now())
	sctx, cancel := context.WithTimeout(ctx, max(timeout, until.Sub(e.Now())+timeout))
	defer cancel()
	s, err := a.SettleName(sctx, st.name, until)
	for _, kid := range s.Deleted {
		wf.Logf("deleted %s (found by its name: its create answer was lost)", describeKey(kid, st.name))
		wf.Summary(fmt.Sprintf("vastguard: deleted key %d %s (found by name).", kid, safetext.MarkdownCode(st.name)))
	}
	gone = append(gone, s.Deleted...)
	if err != nil {
		return postFailed(wf, leftKey{name: st.name, expiry: left.expiry, maybe: true}, err)
	}
	if st.id > 0 && len(s.Deleted) == 0 {
		wf.Logf("no other key named %s appeared (%d %s at the key list)", st.name, s.Looks, plural(s.Looks, "look", "looks"))
	}
	if len(gone) == 0 {
		wf.Logf("no key named %s is in the key list (%d %s, the last at or after %s, when no key from the create can still appear): its create never took effect or was undone",
			st.name, s.Looks, plural(s.Looks, "look", "looks"), until.UTC().Format(time.RFC3339))
	}
	postActivity(ctx, e, wf, cfg, gone)
	return nil
}

// postActivity ends the summary with what each of the step's keys did,
// from the account's audit log. The management key needs misc to read it;
// an unavailable log is a one-line note, never a failure.
func postActivity(ctx context.Context, e *Env, wf *ghactions.Workflow, cfg actionConfig, ids []int64) {
	if len(ids) == 0 {
		return
	}
	a, err := actionAPI(ctx, e, cfg, auditRetry)
	if err != nil {
		return
	}
	entries, err := a.AuditLog(ctx)
	if err != nil {
		note := activityNote(a, err)
		wf.Logf("audit log: %s", note)
		wf.Summary("Audit log: " + safetext.MarkdownCell(note) + ".")
		return
	}
	for _, id := range ids {
		act := respond.ActivityOf(vast.SummarizeAudit(entries, id))
		wf.Logf("key %d in the audit log: %s", id, safetext.OneLine(act.Summary))
		wf.Summary(activityMarkdown(fmt.Sprintf("What key %d did (audit log)", id), act))
	}
}

// activityNote says in one line why the audit log could not be read.
func activityNote(a *api, err error) string {
	var ae *vast.AuditUnavailableError
	if errors.As(err, &ae) {
		return ae.Note()
	}
	return safetext.OneLine(a.Explain("read the audit log", err).Error())
}

// maxActivityRows bounds the routes an activity section lists.
const maxActivityRows = 10

// activityMarkdown is a short job-summary section: the one-line summary,
// then the routes with their counts. Everything in it came from the API
// and is escaped; title is Markdown.
func activityMarkdown(title string, act *scan.Activity) string {
	var b strings.Builder
	summary := act.Summary
	if r := []rune(summary); len(r) > 0 {
		summary = strings.ToUpper(string(r[0])) + string(r[1:])
	}
	fmt.Fprintf(&b, "#### %s\n\n%s.", title, safetext.MarkdownCell(summary))
	if len(act.Routes) == 0 {
		return b.String()
	}
	b.WriteString("\n\n| Route | Calls |\n|---|---|\n")
	other := act.OtherRoutes
	for i, r := range act.Routes {
		if i >= maxActivityRows {
			other += r.N
			continue
		}
		fmt.Fprintf(&b, "| %s | %d |\n", safetext.MarkdownCell(r.Name), r.N)
	}
	if other > 0 {
		fmt.Fprintf(&b, "| (other routes) | %d |\n", other)
	}
	return b.String()
}

// describeKey is "key 1234 vastguard:..." or "the key named vastguard:...".
func describeKey(id int64, name string) string {
	if id > 0 {
		return fmt.Sprintf("key %d %s", id, safetext.OutsideOr(name, "(unnamed)"))
	}
	return "the key named " + safetext.OutsideOr(name, "(unnamed)")
}

// postReason explains a failed cleanup call, saying when the budget ran out.
func postReason(a *api, ctx context.Context, budget time.Duration, what string, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("still failing when cleanup-timeout (%s) ran out: %v", fmtDuration(budget), a.Explain(what, err))
	}
	return a.Explain(what, err)
}

// leftKey is a key the post step could not delete, or (maybe) could not
// prove absent.
type leftKey struct {
	id           int64
	name, expiry string
	maybe        bool // a key of the name may exist: it could not be proven absent
}

// postFailed reports a key left behind: an error annotation and a summary
// line, both naming it, and a failing exit.
func postFailed(wf *ghactions.Workflow, k leftKey, reason error) error {
	what := describeKey(k.id, k.name)
	later := "`vastguard sweep` deletes it once it has expired"
	if k.expiry != "" {
		later = fmt.Sprintf("`vastguard sweep` deletes it after %s", k.expiry)
	}
	fix := "delete it in the Vast console"
	if k.id > 0 {
		fix = fmt.Sprintf("delete it now with `vastguard keys delete %d`", k.id)
	}
	why := safetext.OneLine(reason.Error())
	msg := fmt.Sprintf("could not delete %s: %s. The key is still live: %s, or %s", what, why, later, fix)
	title := "### vastguard: a key was NOT deleted"
	status := "The key is still live"
	if k.maybe {
		msg = fmt.Sprintf("%s may still be live: %s. Look for it in the Vast console (`vastguard keys list`): %s, or %s", what, why, later, fix)
		title = "### vastguard: a key may be left behind, NOT proven deleted"
		status = "A key of this name may be live"
	}
	wf.Annotate("error", "vastguard cleanup", msg)
	idCell := "-"
	if k.id > 0 {
		idCell = strconv.FormatInt(k.id, 10)
	}
	wf.Summary(fmt.Sprintf("%s\n\n| Id | Name | Why |\n|---|---|---|\n| %s | %s | %s |\n\n%s: %s, or %s.",
		title, idCell, safetext.MarkdownCode(safetext.OutsideOr(k.name, "-")), safetext.MarkdownCell(why), status, later, fix))
	return &exitError{code: exitFailure}
}
