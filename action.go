package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/internal/respond"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/vast"
)

// The GitHub Action. action.yml runs the image's /vastguard with the single
// argument "action" as the main step, and the same binary as
// /vastguard-post as the post step (which gets the same arguments; run
// tells the two apart by the program name). Inputs arrive as INPUT_<NAME>
// with the name upper-cased and hyphens kept (INPUT_API-KEY).

// actionInput is one input of action.yml. actionInputs is the single source
// of the inputs' names and defaults: a test checks action.yml against it,
// and the demo feeds the defaults to the step as the runner would.
type actionInput struct {
	name, def, desc string
}

var actionInputs = []actionInput{
	{"command", "mint", "What to do: mint (a scoped key for this job, deleted in the post step), scan (find Vast.ai keys committed to the repository's history), sweep (delete expired keys this action minted), audit (flag risky keys), or repos (list an organisation's repositories as a matrix)."},
	{"api-key", "", "Vast.ai management key (user_read and user_write), from a secret such as secrets.VAST_API_KEY. Secrets are not passed to pull requests from forks or to Dependabot runs. Not needed to scan (only to revoke or reset) or for repos."},
	{"api-url", vast.DefaultBaseURL, "Vast API URL. https only (http is allowed for 127.0.0.1, ::1 and localhost, for a local fake)."},
	{"permissions", "read-only", "Permissions of the minted key: read-only, instance-management, autoscaler, full (needs allow-full-access), or a JSON object {\"api\": {...}}."},
	{"allow-full-access", "false", "Allow minting a key with every permission (the full preset). true or false."},
	{"key-name", "", "A label for the minted key (letters, digits, '.', '_', '-'; at most 64), shown inside its name in the Vast console. Default: the step's id."},
	{"ttl", "6h", "How long the minted key may live, as a Go duration (5m to 168h). The post step deletes it at the end of the job; sweep deletes it once this has passed if the post step never ran."},
	{"export-env", "true", "Also set VAST_API_KEY for the later steps of the job. true or false."},
	{"cleanup-timeout", "2m", "How long the post step keeps retrying the delete (rate limits, outages), as a Go duration (1s to 30m)."},
	{"dry-run", "false", "For sweep: list the expired keys without deleting them. true or false."},
	{"path", ".", "For scan: the repository to scan, relative to the workspace. Check it out with fetch-depth: 0: a shallow clone is refused."},
	{"range", "", "For scan: scan only what the commits in BASE..HEAD introduced. Default: the pull request's commits for pull_request events, else the whole history."},
	{"baseline", "", "For scan: a file (in the workspace) of accepted keys' key_sha256 values, or an earlier JSON report; those findings are suppressed."},
	{"sarif-file", "", "For scan: write a SARIF 2.1.0 report to this path in the workspace (for github/codeql-action/upload-sarif)."},
	{"allow-partial", "false", "For scan: scan a partial clone's present objects (actions/checkout with filter:) instead of refusing it. true or false."},
	{"verify", "false", "For scan: ask the Vast API whether each found key is live (GET /users/current/ with the key as Bearer token); a live key fails the step with exit code 3. true or false."},
	{"on-leak", "report", "For scan: what to do about a live key: report (nothing more), revoke (delete it, with api-key or the key itself), or reset (revoke it and store a replacement with the same permissions in the secret rotate-secret). revoke and reset imply verify."},
	{"replacement-permissions", "", "For on-leak: reset: the replacement's permissions, when the leaked key's cannot be read from the key list."},
	{"rotate-secret", "", "For on-leak: reset: the repository secret (e.g. VAST_API_KEY) that receives the replacement key. Writing secrets needs github-token to be a PAT or GitHub App token with Secrets: write; the built-in GITHUB_TOKEN cannot."},
	{"upload-sarif", "false", "For scan: upload the findings to GitHub code scanning (needs github-token with security-events: write). true or false."},
	{"github-token", "${{ github.token }}", "GitHub token: for upload-sarif (security-events: write), for on-leak: reset (Secrets: write: a PAT or App token), and for repos (Metadata: read on the organisation's repositories)."},
	{"org", "", "For repos: the organisation whose repositories to list as a matrix (output matrix)."},
}

// actionOutputs are the outputs of action.yml, checked against it by a test.
var actionOutputs = []struct{ name, desc string }{
	{"api-key", "The minted key (masked in logs). mint only."},
	{"key-id", "The minted key's id. mint only."},
	{"key-name", "The minted key's name. mint only."},
	{"expires-at", "When sweep may delete the minted key (RFC 3339, UTC). mint only."},
	{"swept", "How many expired keys sweep deleted (or would delete, with dry-run)."},
	{"flagged", "How many keys audit flagged."},
	{"findings", "How many findings scan reported (after the baseline)."},
	{"sarif-file", "The SARIF report's path relative to the workspace, when sarif-file was given."},
	{"sarif-id", "The code scanning upload's id, with upload-sarif."},
	{"matrix", "For repos: the organisation's repositories as {\"repository\": [...]}, for strategy.matrix with fromJSON."},
}

// State saved by the main step for the post step (STATE_<name>).
const (
	stateKeyName = "vastguard_key_name" // saved before the create
	stateKeyID   = "vastguard_key_id"   // saved as soon as the create answers
)

// Bounds of the duration inputs.
const (
	minTTL            = 5 * time.Minute
	maxTTL            = 168 * time.Hour
	minCleanupTimeout = time.Second
	maxCleanupTimeout = 30 * time.Minute
	// createGrace is how long a create already sent may still run after
	// the job is cancelled, so its id can be saved and the post step delete
	// it by id. The runner sends SIGINT, then SIGTERM 7.5 s later, and kills
	// the container 2.5 s after that.
	createGrace = 5 * time.Second
)

// actionConfig is the validated inputs.
type actionConfig struct {
	command        string
	apiKey         string
	apiURL         string
	perms          vast.Permissions
	label          string // the key-name input; "" means the step id
	ttl            time.Duration
	exportEnv      bool
	cleanupTimeout time.Duration
	dryRun         bool
	verify         bool
	onLeak         string
	replPerms      *vast.Permissions
	allowFull      bool
	rotateSecret   string
	allowPartial   bool
	uploadSARIF    bool
	githubToken    string
	org            string
}

// input returns an input's value, trimmed; empty means its default.
func input(getenv func(string) string, name string) string {
	v := ghactions.Input(getenv, name)
	if v != "" {
		return v
	}
	for _, in := range actionInputs {
		if in.name == name {
			return in.def
		}
	}
	return ""
}

// inputError is a bad input: one line naming it.
func inputError(name, format string, args ...any) error {
	return fmt.Errorf("input %s: %s", name, fmt.Sprintf(format, args...))
}

// parseBoolInput accepts the YAML 1.2 core schema's booleans, as the
// actions toolkit's getBooleanInput does.
func parseBoolInput(getenv func(string) string, name string) (bool, error) {
	switch v := input(getenv, name); v {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	default:
		return false, inputError(name, "%q is not a boolean; use true or false", v)
	}
}

func parseDurationInput(getenv func(string) string, name string, lo, hi time.Duration) (time.Duration, error) {
	v := input(getenv, name)
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, inputError(name, "%q is not a duration; write it as Go does, e.g. 90s, 30m, 6h or 1h30m", v)
	}
	if d < lo || d > hi {
		return 0, inputError(name, "%s is out of range; use %s to %s", v, fmtDuration(lo), fmtDuration(hi))
	}
	return d, nil
}

// fmtDuration prints 6h0m0s as 6h and 5m0s as 5m.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

var labelInput = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// parseActionInputs validates every input before anything is called, so a
// mistake costs no API call and gets one line naming the input.
func parseActionInputs(getenv func(string) string) (actionConfig, error) {
	var c actionConfig
	c.command = input(getenv, "command")
	switch c.command {
	case "mint", "scan", "sweep", "audit", "repos":
	default:
		return c, inputError("command", "%q is not a command; use mint, scan, sweep, audit or repos", c.command)
	}
	c.apiKey = input(getenv, "api-key")
	switch {
	case c.apiKey == "" && (c.command == "scan" || c.command == "repos"):
		// A scan needs no Vast key (only to revoke or reset), repos none.
	case c.apiKey == "":
		return c, errors.New("input api-key is empty: the secret holding the Vast management key (user_read and user_write) is missing; store it as a repository or organization secret and pass it as api-key: ${{ secrets.VAST_API_KEY }}. If it is set, note that secrets are not passed to workflows run for pull requests from forks or by Dependabot")
	default:
		if _, err := vast.New(c.apiKey); err != nil {
			return c, inputError("api-key", "%v", err)
		}
	}
	c.apiURL = input(getenv, "api-url")
	if err := checkAPIURL(c.apiURL); err != nil {
		return c, inputError("api-url", "%v", err)
	}
	var err error
	if c.exportEnv, err = parseBoolInput(getenv, "export-env"); err != nil {
		return c, err
	}
	allowFull, err := parseBoolInput(getenv, "allow-full-access")
	if err != nil {
		return c, err
	}
	if c.perms, err = vast.ParsePermissions(input(getenv, "permissions"), allowFull); err != nil {
		return c, fmt.Errorf("input %w", err)
	}
	c.label = input(getenv, "key-name")
	if c.label != "" && !labelInput.MatchString(c.label) {
		return c, inputError("key-name", "use 1 to 64 letters, digits, '.', '_' or '-' (it becomes part of the key's name, which must also say where and until when the key lives)")
	}
	if c.ttl, err = parseDurationInput(getenv, "ttl", minTTL, maxTTL); err != nil {
		return c, err
	}
	if c.cleanupTimeout, err = parseDurationInput(getenv, "cleanup-timeout", minCleanupTimeout, maxCleanupTimeout); err != nil {
		return c, err
	}
	if c.dryRun, err = parseBoolInput(getenv, "dry-run"); err != nil {
		return c, err
	}
	c.allowFull = allowFull
	if c.verify, err = parseBoolInput(getenv, "verify"); err != nil {
		return c, err
	}
	switch c.onLeak = input(getenv, "on-leak"); c.onLeak {
	case respond.ActionReport:
	case respond.ActionRevoke, respond.ActionReset:
		c.verify = true
	default:
		return c, inputError("on-leak", "%q: use report, revoke or reset", c.onLeak)
	}
	if v := input(getenv, "replacement-permissions"); v != "" {
		p, err := vast.ParsePermissions(v, allowFull)
		if err != nil {
			return c, inputError("replacement-permissions", "%v", strings.TrimPrefix(err.Error(), "permissions: "))
		}
		c.replPerms = &p
	}
	if c.uploadSARIF, err = parseBoolInput(getenv, "upload-sarif"); err != nil {
		return c, err
	}
	if c.allowPartial, err = parseBoolInput(getenv, "allow-partial"); err != nil {
		return c, err
	}
	c.githubToken = input(getenv, "github-token")
	if strings.HasPrefix(c.githubToken, "${{") {
		c.githubToken = "" // not evaluated: no runner filled it in
	}
	c.rotateSecret = input(getenv, "rotate-secret")
	if c.rotateSecret != "" {
		if err := ghapi.ValidateSecretName(c.rotateSecret); err != nil {
			return c, inputError("rotate-secret", "%v", err)
		}
	}
	c.org = input(getenv, "org")
	switch {
	case c.command == "scan" && c.onLeak == respond.ActionReset && c.rotateSecret == "":
		return c, inputError("rotate-secret", "on-leak: reset needs the name of the repository secret to store the replacement in (e.g. VAST_API_KEY)")
	case c.command == "scan" && c.onLeak == respond.ActionReset && c.apiKey == "":
		return c, errors.New("input api-key is empty: on-leak: reset creates the replacement with the management key (user_read and user_write)")
	case c.command == "scan" && (c.onLeak == respond.ActionReset || c.uploadSARIF) && c.githubToken == "":
		return c, inputError("github-token", "is empty: upload-sarif needs a token with security-events: write, and on-leak: reset one that may write secrets (a PAT or GitHub App token with Secrets: write)")
	case c.command == "repos" && c.org == "":
		return c, inputError("org", "is empty: name the organisation whose repositories to list")
	case c.command == "repos" && c.githubToken == "":
		return c, inputError("github-token", "is empty: listing an organisation's repositories needs a token with Metadata: read on them")
	}
	return c, nil
}

// runAction is the main step, `vastguard action`. Whatever goes wrong is
// reported as one error annotation, and the exit code says so.
func runAction(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("action takes no arguments; it reads the step's inputs (INPUT_*), as action.yml declares them")
	}
	wf := ghactions.New(e.stdout, e.getenv)
	err := actionMain(ctx, e, wf)
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return err // already reported
	}
	code := exitFailure
	if errors.As(err, &ee) {
		code = ee.code
	}
	wf.Annotate("error", "vastguard", safetext.OneLine(err.Error()))
	return &exitError{code: code}
}

func actionMain(ctx context.Context, e *env, wf *ghactions.Workflow) error {
	cfg, err := parseActionInputs(e.getenv)
	if err != nil {
		return err
	}
	switch cfg.command {
	case "mint":
		return actionMint(ctx, e, wf, cfg)
	case "sweep":
		return actionSweep(ctx, e, wf, cfg)
	case "audit":
		return actionAudit(ctx, e, wf, cfg)
	case "scan":
		return runActionScan(ctx, e, wf, cfg)
	case "repos":
		return actionRepos(ctx, e, wf, cfg)
	}
	return inputError("command", "%q is not a command", cfg.command)
}

// actionAPI is a Vast client for the Action: the key and URL from the
// inputs, the given retry policy, and sleeps that end when the step is
// cancelled (stepCtx), so no new attempt starts after a cancellation even
// where a request runs on a context that outlives it.
func actionAPI(e *env, stepCtx context.Context, cfg actionConfig, retry vast.RetryPolicy) (*api, error) {
	inner := e.sleep
	if inner == nil {
		inner = vast.Sleep
	}
	sleep := func(ctx context.Context, d time.Duration) error {
		if err := stepCtx.Err(); err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(stepCtx, cancel)
		defer stop()
		return inner(ctx, d)
	}
	opts := []vast.Option{vast.WithBaseURL(cfg.apiURL), vast.WithUserAgent("vastguard-action/" + version()), vast.WithRetry(retry), vast.WithSleep(sleep)}
	if e.http != nil {
		opts = append(opts, vast.WithHTTPClient(e.http))
	}
	if e.now != nil {
		opts = append(opts, vast.WithClock(e.now))
	}
	c, err := vast.New(cfg.apiKey, opts...)
	if err != nil {
		return nil, inputError("api-key", "%v", err)
	}
	return &api{Client: c, cred: credential{cfg.apiKey, "the api-key input"}, url: cfg.apiURL, urlSource: "the api-url input"}, nil
}

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
func actionMint(ctx context.Context, e *env, wf *ghactions.Workflow, cfg actionConfig) error {
	for _, v := range []string{"GITHUB_STATE", "GITHUB_OUTPUT"} {
		if e.getenv(v) == "" {
			return fmt.Errorf("%s is not set: vastguard action runs as a step of a GitHub Actions job (uses: vastguard/vastguard@v1)", v)
		}
	}
	if cfg.exportEnv && e.getenv("GITHUB_ENV") == "" {
		return errors.New("GITHUB_ENV is not set, so export-env cannot work: run this as a step of a GitHub Actions job or set export-env: false")
	}
	rc := ghactions.ReadRunContext(e.getenv)
	label := cfg.label
	if label == "" {
		label = rc.Step
	}
	now := e.now().UTC().Truncate(time.Second)
	kn := keyname.Name{Repository: rc.Repository, RunID: rc.RunID, Attempt: rc.Attempt, Job: rc.Job, Label: label, Expires: now.Add(cfg.ttl), Nonce: keyname.NewNonce()}
	name := kn.String()
	expires := kn.Expires.Format(time.RFC3339)

	a, err := actionAPI(e, ctx, cfg, mintRetry)
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
