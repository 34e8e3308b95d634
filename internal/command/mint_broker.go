package command

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vastguard/vastguard/internal/broker/brokerclient"
	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/vast"
)

// Minting through a broker (`vastguard broker`): with the broker-url input
// the main step holds no Vast key at all. It asks the runner for the job's
// OIDC token (which needs `permissions: id-token: write`), trades it for a
// key at the broker, and hands the key on exactly as a key minted with
// api-key: masked first, the same outputs and VAST_API_KEY. The post step
// (post_broker.go) asks the broker to delete it with a fresh token; if it
// never runs, the broker deletes the key at its expiry anyway.

// State the broker path saves for the post step, beside stateKeyID and
// stateKeyName. stateBrokerURL is saved before the mint: it tells the post
// step the key (if any) came from the broker.
const (
	stateBrokerURL      = "vastguard_broker_url"
	stateBrokerAudience = "vastguard_broker_audience"
	stateKeyExpires     = "vastguard_key_expires" // RFC 3339, as the broker answered
)

// brokerInputs are the broker-url and broker-audience inputs, validated.
type brokerInputs struct {
	url      string
	audience string // default: url
}

// maxAudience is the broker's own bound on its audience (its config refuses
// longer ones).
const maxAudience = 200

// parseBrokerInputs checks broker-url and broker-audience, and that they go
// with the command and without api-key. It runs instead of the api-key
// check: with a broker, the job holds no Vast key.
func (c *actionConfig) parseBrokerInputs(getenv func(string) string, cmd *Command) error {
	raw := input(getenv, "broker-url")
	if !cmd.Action.Broker {
		return inputError("broker-url", "command %s does not use the broker (only mint does); it needs api-key", cmd.Name)
	}
	if c.apiKey != "" {
		return inputError("api-key", "leave it out with broker-url: the broker holds the management key, and a job given both would not say which it used")
	}
	if _, err := brokerclient.New(raw); err != nil {
		return inputError("broker-url", "%s", strings.TrimPrefix(err.Error(), "broker-url "))
	}
	aud := input(getenv, "broker-audience")
	if aud == "" {
		// A broker's audience is usually its URL, written without the
		// trailing slash a copied URL may have.
		aud = strings.TrimRight(raw, "/")
	}
	switch {
	case len(aud) > maxAudience || strings.ContainsFunc(aud, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return inputError("broker-audience", "must be one word of at most %d characters, as the broker's config names it", maxAudience)
	case strings.HasPrefix(strings.ToLower(aud), "https://github.com/"):
		return inputError("broker-audience", "%q is GitHub's default audience, which tokens meant for any service carry, and brokers refuse it; use the audience in the broker's config (usually its URL)", safetext.OneLine(aud))
	}
	c.broker = brokerInputs{url: raw, audience: aud}
	return nil
}

// brokerHTTP is the HTTP client for the runner's token endpoint and the
// broker: the environment's, with a timeout if it has none.
func brokerHTTP(e *Env, timeout time.Duration) *http.Client {
	h := &http.Client{}
	if e.HTTP != nil {
		c := *e.HTTP
		h = &c
	}
	if h.Timeout == 0 {
		h.Timeout = timeout
	}
	return h
}

// stepSleep is e's sleep (or a real one) that also ends when the step's
// ctx does, so no retry starts after a cancellation even on a context that
// outlives it.
func stepSleep(ctx context.Context, e *Env) func(context.Context, time.Duration) error {
	inner := e.Sleep
	if inner == nil {
		inner = vast.Sleep
	}
	return func(sctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		sctx, cancel := context.WithCancel(sctx)
		defer cancel()
		stop := context.AfterFunc(ctx, cancel)
		defer stop()
		return inner(sctx, d)
	}
}

// newBrokerClient is the one place the Action's broker client is built.
func newBrokerClient(ctx context.Context, e *Env, url string, retry brokerclient.Retry) (*brokerclient.Client, error) {
	return brokerclient.New(url,
		brokerclient.WithHTTPClient(brokerHTTP(e, 90*time.Second)),
		brokerclient.WithUserAgent(userAgent()),
		brokerclient.WithRetry(retry),
		brokerclient.WithClock(e.Now, stepSleep(ctx, e)))
}

// idToken asks the runner for the job's OIDC token for audience. The token
// is not masked, unlike the toolkit's getIDToken does: it never leaves this
// process but in the Authorization header sent to the broker, nothing here
// prints it, and a second ::add-mask:: line would break the rule that the
// key's mask is the step's first line.
func idToken(ctx context.Context, e *Env, audience string) (string, error) {
	r := brokerclient.Runner{Getenv: e.Getenv, HTTP: brokerHTTP(e, 30*time.Second), Sleep: stepSleep(ctx, e)}
	return r.IDToken(ctx, audience)
}

// safeLabel makes s a label the broker takes: [A-Za-z0-9._-], 1 to 64.
var notLabel = regexp.MustCompile(`[^A-Za-z0-9._-]`)

func safeLabel(s string) string {
	s = notLabel.ReplaceAllString(s, "_")
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// mintRetryBroker bounds the mint: the broker queues mints behind Vast's
// rate limit (one create every 2 s for the whole account) and answers 503
// with Retry-After past its mint_timeout, which is waited out for up to
// two minutes.
var mintRetryBroker = brokerclient.DefaultRetry

// actionMintBroker mints the key through the broker. The order is
// actionMint's:
//
//  1. the broker's URL and audience go to GITHUB_STATE before the mint, so
//     the post step knows where a key would have come from;
//  2. the job's OIDC token is fetched (a missing id-token permission is one
//     line saying so), and the mint sent; once sent it may finish for
//     createGrace after a cancellation, so its id is saved (a caller that
//     goes away before the answer has its key deleted by the broker);
//  3. the id, name and expiry go to GITHUB_STATE at once;
//  4. "::add-mask::" is the first line the step prints after the mint;
//  5. outputs, VAST_API_KEY, the summary, one log line.
func actionMintBroker(ctx context.Context, e *Env, wf *ghactions.Workflow, cfg actionConfig) error {
	rc := ghactions.ReadRunContext(e.Getenv)
	label := cfg.label
	if label == "" {
		label = rc.Step
	}
	req := brokerclient.MintRequest{Permissions: cfg.permSpec, Label: safeLabel(label), Job: safeLabel(rc.Job)}
	if cfg.ttlGiven {
		req.TTL = cfg.ttl
	}
	bc, err := newBrokerClient(ctx, e, cfg.broker.url, mintRetryBroker)
	if err != nil {
		return inputError("broker-url", "%v", err)
	}
	tok, err := idToken(ctx, e, cfg.broker.audience)
	if errors.Is(err, brokerclient.ErrNoIDToken) {
		return err // one line: add permissions: id-token: write
	}
	if err != nil {
		return fmt.Errorf("no key was minted: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return errors.New("cancelled before the key was minted; nothing to clean up")
	}
	if err := wf.SaveState(stateBrokerURL, cfg.broker.url, stateBrokerAudience, cfg.broker.audience); err != nil {
		return fmt.Errorf("saving the broker's URL for the post step (nothing was minted): %w", err)
	}

	k, err := mintOutlivingCancel(ctx, bc, tok, req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("cancelled while minting the key (%v); if the broker made one, it deletes it when it finds the caller gone or at its expiry", explainBroker("mint", cfg.broker.url, err))
		}
		return explainBroker("mint", cfg.broker.url, err)
	}
	expires := k.ExpiresAt.UTC().Format(time.RFC3339)
	name := safetext.OutsideOr(k.Name, "")
	stateErr := wf.SaveState(stateKeyID, strconv.FormatInt(k.ID, 10), stateKeyName, k.Name, stateKeyExpires, expires)
	if err := checkBrokerKey(k, cfg); err != nil {
		return fmt.Errorf("%w; %v", err, deleteAtBroker(ctx, e, cfg.broker, k))
	}
	if err := wf.Mask(k.Secret.Reveal()); err != nil {
		return errors.Join(err, deleteAtBroker(ctx, e, cfg.broker, k))
	}
	if stateErr != nil {
		return fmt.Errorf("saving the key's id for the post step: %w; %v", stateErr, deleteAtBroker(ctx, e, cfg.broker, k))
	}
	if ctx.Err() != nil {
		return fmt.Errorf("cancelled just after key %d (%s) was minted; its id is saved and the post step asks the broker to delete it", k.ID, name)
	}

	if err := wf.SetOutput("api-key", k.Secret.Reveal(),
		"key-id", strconv.FormatInt(k.ID, 10),
		"key-name", k.Name,
		"expires-at", expires,
	); err != nil {
		return fmt.Errorf("setting the outputs: %w (key %d is deleted by the post step)", err, k.ID)
	}
	if cfg.exportEnv {
		if err := wf.ExportEnv("VAST_API_KEY", k.Secret.Reveal()); err != nil {
			return fmt.Errorf("exporting VAST_API_KEY: %w (key %d is deleted by the post step)", err, k.ID)
		}
	}
	scopes := brokerScopes(k)
	where := "the `api-key` output"
	if cfg.exportEnv {
		where += " and `VAST_API_KEY` in later steps"
	}
	if err := wf.Summary(fmt.Sprintf("### vastguard: minted a Vast.ai API key through the broker\n\n"+
		"| | |\n|---|---|\n"+
		"| Name | %s |\n| Id | %d |\n| Permissions | %s |\n| Expires | %s |\n| Broker | %s (rule %s) |\n\n"+
		"The key is in %s, masked in logs. The post step asks the broker to delete it when the job ends; "+
		"if that never runs, the broker deletes it when it expires.",
		safetext.MarkdownCode(k.Name), k.ID, safetext.MarkdownCell(scopes), expires,
		safetext.MarkdownCode(cfg.broker.url), safetext.MarkdownCode(k.Rule), where)); err != nil {
		wf.Annotate("warning", "vastguard", safetext.OneLine(err.Error()))
	}
	wf.Logf("minted key %d %s (%s) through the broker %s, rule %s; expires %s; the post step deletes it, else the broker at its expiry",
		k.ID, name, scopes, cfg.broker.url, safetext.OutsideOr(k.Rule, "-"), expires)
	return nil
}

// mintOutlivingCancel is createOutlivingCancel for the broker: a mint on
// the wire may finish for createGrace after the step is cancelled.
func mintOutlivingCancel(ctx context.Context, bc *brokerclient.Client, tok string, req brokerclient.MintRequest) (brokerclient.Key, error) {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(createGrace, cancel) })
	defer stop()
	return bc.Mint(cctx, tok, req)
}

// checkBrokerKey refuses an answer the step must not hand on: a key that
// could not be masked as one value, a name that is no key name, a key
// granted more than the permissions input asked for, or one that could
// mint keys itself (user_write or full access, which no broker rule may
// grant).
func checkBrokerKey(k brokerclient.Key, cfg actionConfig) error {
	v := k.Secret.Reveal()
	if len(v) > 256 || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return fmt.Errorf("the broker answered key %d with a value that is not a Vast key (not one word of printable ASCII); it is not handed on", k.ID)
	}
	if k.Name == "" || len(k.Name) > vast.MaxNameLength || strings.ContainsFunc(k.Name, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return fmt.Errorf("the broker answered key %d with a name that is not one word of printable ASCII; it is not handed on", k.ID)
	}
	got, err := vast.ParsePermissions(string(k.Permissions), true)
	if err != nil {
		return fmt.Errorf("the broker answered key %d without permissions it can be checked by (%v); it is not handed on", k.ID, err)
	}
	if got.IsFull() || got.Has("user_write") {
		return fmt.Errorf("the broker made key %d with user_write or full access (%s), which could mint keys that never expire; it is not handed on", k.ID, safetext.Outside(got.String()))
	}
	if cfg.permSpec != "" {
		if d, _ := cfg.perms.Compare(got); len(d.Broader) > 0 {
			return fmt.Errorf("the broker made key %d with more permissions than asked (%s; asked for %s); it is not handed on", k.ID, safetext.OneLine(d.String()), cfg.perms)
		}
	}
	return nil
}

// brokerScopes is the key's permissions as the summary shows them.
func brokerScopes(k brokerclient.Key) string {
	if p, err := vast.ParsePermissions(string(k.Permissions), true); err == nil {
		return p.String()
	}
	return safetext.OneLine(string(k.Permissions))
}

// deleteAtBroker asks the broker to delete a key the step cannot hand on,
// with a fresh token, on a context that outlives a cancellation, and says
// what happened.
func deleteAtBroker(ctx context.Context, e *Env, b brokerInputs, k brokerclient.Key) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	bc, err := newBrokerClient(dctx, e, b.url, brokerclient.Retry{Budget: 20 * time.Second, BaseDelay: time.Second, MaxDelay: 5 * time.Second})
	if err == nil {
		var tok string
		if tok, err = idToken(dctx, e, b.audience); err == nil {
			_, err = bc.Delete(dctx, tok, k.ID)
		}
	}
	if err == nil {
		return fmt.Errorf("key %d was deleted again", k.ID)
	}
	return fmt.Errorf("deleting key %d failed too (%v); the post step tries again, and the broker deletes it at %s", k.ID, explainBroker("delete", b.url, err), k.ExpiresAt.UTC().Format(time.RFC3339))
}

// explainBroker turns a broker or token error into one line that says what
// to check. Messages from the broker are already sanitised by brokerclient.
func explainBroker(what, url string, err error) error {
	var be *brokerclient.Error
	if !errors.As(err, &be) {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return fmt.Errorf("%s through the broker %s: no answer in time (%v)", what, url, err)
		}
		return fmt.Errorf("%s through the broker %s: %w", what, url, err)
	}
	hint := ""
	switch {
	case errors.Is(err, brokerclient.ErrUnauthenticated):
		hint = "; check that broker-audience is the audience in the broker's config and that the broker trusts this job's issuer"
	case errors.Is(err, brokerclient.ErrDenied):
		hint = "; the broker's policy decides what each repository, ref and workflow may have: ask its operator"
	case errors.Is(err, brokerclient.ErrLimited):
		hint = "; wait for a key of this repository to expire, or delete one"
	case errors.Is(err, brokerclient.ErrUnavailable):
		hint = "; nothing was handed out, try again later"
	case errors.Is(err, brokerclient.ErrBadRequest):
		hint = "; check the permissions, ttl and key-name inputs"
	}
	return fmt.Errorf("%s refused by the broker %s: %s%s", what, url, be.Error(), hint)
}
