package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vastguard/vastguard/internal/broker/identity"
	"github.com/vastguard/vastguard/internal/broker/policy"
	"github.com/vastguard/vastguard/internal/broker/store"
	"github.com/vastguard/vastguard/internal/broker/wire"
	"github.com/vastguard/vastguard/vast"
)

// maxBody caps a request body: a mint request is a few hundred bytes.
const maxBody = 16 << 10

// apiError is a refusal on its way to the caller.
type apiError struct {
	code       string
	message    string
	retryAfter time.Duration
}

func refusal(code, format string, args ...any) *apiError {
	return &apiError{code: code, message: fmt.Sprintf(format, args...)}
}

type handler func(w http.ResponseWriter, r *http.Request) *apiError

// route wraps the handlers of one path: methods, JSON errors, metrics.
func (b *Broker) route(name string, methods map[string]handler) http.Handler {
	var allow []string
	for m := range methods {
		allow = append(allow, m)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h, ok := methods[r.Method]
		var aerr *apiError
		switch {
		case methods == nil:
			aerr = refusal(wire.CodeNotFound, "no such endpoint; the API is POST /v1/keys, DELETE /v1/keys/{id}, GET /healthz, GET /metrics")
		case !ok:
			w.Header().Set("Allow", strings.Join(allow, ", "))
			aerr = refusal(wire.CodeMethodNotAllowed, "%s is not allowed here; use %s", safeMethod(r.Method), strings.Join(allow, " or "))
		default:
			aerr = h(w, r)
		}
		code := "ok"
		if aerr != nil {
			code = aerr.code
			writeError(w, aerr)
		}
		b.metrics.requests.WithLabelValues(name, code).Inc()
		b.metrics.duration.WithLabelValues(name).Observe(time.Since(start).Seconds())
	})
}

func safeMethod(m string) string {
	if len(m) > 10 || strings.ContainsFunc(m, func(r rune) bool { return r < 'A' || r > 'Z' }) {
		return "this method"
	}
	return m
}

func (b *Broker) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/keys", b.route("mint", map[string]handler{http.MethodPost: b.mint}))
	mux.Handle("/v1/keys/{id}", b.route("delete", map[string]handler{http.MethodDelete: b.revoke}))
	mux.Handle("/healthz", b.route("healthz", map[string]handler{http.MethodGet: b.healthz, http.MethodHead: b.healthz}))
	prom := promhttp.HandlerFor(b.metrics.reg, promhttp.HandlerOpts{})
	mux.Handle("/metrics", b.route("metrics", map[string]handler{http.MethodGet: func(w http.ResponseWriter, r *http.Request) *apiError {
		prom.ServeHTTP(w, r)
		return nil
	}}))
	mux.Handle("/", b.route("other", nil))
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.retryAfter.Seconds()))))
	}
	writeJSON(w, wire.StatusOf(e.code), wire.ErrorResponse{Code: e.code, Message: e.message})
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// authenticate verifies the request's token. A refusal is logged and, at a
// bounded rate (anyone can send one), audited without claims.
func (b *Broker) authenticate(r *http.Request, route string) (*identity.Claims, *apiError) {
	c, err := b.verifier.Verify(r.Context(), bearer(r))
	if err == nil {
		return c, nil
	}
	var ie *identity.Error
	if !errors.As(err, &ie) {
		ie = &identity.Error{Code: wire.CodeInternal, Message: "the token could not be checked", Err: err}
	}
	b.metrics.denials.WithLabelValues(ie.Code).Inc()
	attrs := []any{"route", route, "code", ie.Code, "reason", ie.Message}
	if ie.Err != nil {
		attrs = append(attrs, "cause", oneLine(ie.Err.Error(), 300))
	}
	level := b.log.Info
	if ie.Code == wire.CodeIssuerUnavailable || ie.Code == wire.CodeInternal {
		level = b.log.Error
	}
	level("token refused", attrs...)
	if b.auditDenials.AllowN(b.now(), 1) {
		b.record(r.Context(), store.Event{Event: store.EventDeny, Code: ie.Code, Message: ie.Message})
	} else {
		b.metrics.auditDrops.Inc()
	}
	return nil, &apiError{code: ie.Code, message: ie.Message}
}

// deny refuses an authenticated caller: logged, counted and audited with
// the token's claims.
func (b *Broker) deny(ctx context.Context, c *identity.Claims, e *apiError, vastID int64) *apiError {
	b.metrics.denials.WithLabelValues(e.code).Inc()
	b.log.Info("request denied", "repository", c.Repository, "run_id", c.RunID, "code", e.code, "reason", e.message)
	b.record(ctx, store.Event{Event: store.EventDeny, Repository: c.Repository, RunID: c.RunID, VastID: vastID, Code: e.code, Message: e.message, Claims: string(c.JSON)})
	return e
}

// record writes an audit event; a failure is logged, never fatal to the
// request (the key records are what the TTL rests on).
func (b *Broker) record(ctx context.Context, e store.Event) {
	if e.At.IsZero() {
		e.At = b.now()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := b.store.Record(ctx, e); err != nil {
		b.log.Error("audit write failed", "event", e.Event, "repository", e.Repository, "key_id", e.VastID, "error", oneLine(err.Error(), 300))
	}
}

var labelRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

type mintInput struct {
	req   policy.Request
	label string
	job   string
}

func readMint(w http.ResponseWriter, r *http.Request) (mintInput, *apiError) {
	var in mintInput
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return in, refusal(wire.CodeBodyTooLarge, "the body is over %d bytes", maxBody)
		}
		return in, refusal(wire.CodeBadRequest, "the body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return in, nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return in, refusal(wire.CodeUnsupportedMedia, "send the body as application/json")
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var mr wire.MintRequest
	if err := dec.Decode(&mr); err != nil {
		return in, refusal(wire.CodeBadRequest, "the body is not a mint request: %s", oneLine(strings.TrimPrefix(err.Error(), "json: "), 120))
	}
	if dec.More() {
		return in, refusal(wire.CodeBadRequest, "the body has text after its JSON object")
	}
	switch p := mr.Permissions.(type) {
	case nil:
	case string, map[string]any:
		spec, _ := p.(string)
		if m, ok := p.(map[string]any); ok {
			b, err := json.Marshal(m)
			if err != nil {
				return in, refusal(wire.CodeInvalidPermissions, "the permissions object cannot be read")
			}
			spec = string(b)
		}
		perms, err := vast.ParsePermissions(spec, true)
		if err != nil {
			return in, refusal(wire.CodeInvalidPermissions, "%s", oneLine(err.Error(), 300))
		}
		in.req.Permissions = perms
	default:
		return in, refusal(wire.CodeInvalidPermissions, "permissions must be a preset name or a permissions object {\"api\": {...}}")
	}
	switch t := mr.TTL.(type) {
	case nil:
	case string:
		d, err := time.ParseDuration(strings.TrimSpace(t))
		if err != nil {
			return in, refusal(wire.CodeInvalidTTL, "ttl %q is not a duration such as 45m or 2h", oneLine(t, 40))
		}
		in.req.TTL = d
	case json.Number:
		n, err := t.Int64()
		if err != nil || n > int64(policy.MaxTTL/time.Second)*10 {
			return in, refusal(wire.CodeInvalidTTL, "ttl must be a whole number of seconds or a duration such as 45m")
		}
		in.req.TTL = time.Duration(n) * time.Second
	default:
		return in, refusal(wire.CodeInvalidTTL, "ttl must be a duration such as 45m or a number of seconds")
	}
	if mr.TTL != nil && in.req.TTL < policy.MinTTL {
		return in, refusal(wire.CodeInvalidTTL, "ttl must be at least %s", policy.MinTTL)
	}
	in.req.TTL = in.req.TTL.Truncate(time.Second)
	for _, f := range []struct{ name, v string }{{"label", mr.Label}, {"job", mr.Job}} {
		if f.v != "" && !labelRE.MatchString(f.v) {
			return in, refusal(wire.CodeInvalidLabel, "%s must be 1 to 64 of A-Z a-z 0-9 . _ -", f.name)
		}
	}
	in.label, in.job = mr.Label, mr.Job
	return in, nil
}

func (b *Broker) mint(w http.ResponseWriter, r *http.Request) *apiError {
	c, aerr := b.authenticate(r, "mint")
	if aerr != nil {
		return aerr
	}
	if ok, wait := b.limits.allow(strings.ToLower(c.Repository), b.now()); !ok {
		e := refusal(wire.CodeRateLimited, "too many mints for %s; retry after %s", c.Repository, wait.Round(time.Second))
		e.retryAfter = wait
		return b.deny(r.Context(), c, e, 0)
	}
	in, aerr := readMint(w, r)
	if aerr != nil {
		return b.deny(r.Context(), c, aerr, 0)
	}
	g, err := b.policy.Load().Decide(c.Issuer, policy.Claims(c.Strings), in.req)
	if err != nil {
		var d *policy.Denial
		if !errors.As(err, &d) {
			return b.deny(r.Context(), c, refusal(wire.CodeInternal, "the policy could not decide"), 0)
		}
		return b.deny(r.Context(), c, refusal(d.Code, "%s", d.Message), 0)
	}

	// The mint runs to its end even if the caller goes away: a key created
	// must be recorded (or deleted), never left in between.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), b.cfg.MintTimeout)
	defer cancel()
	now := b.now().UTC().Truncate(time.Second)
	expires := now.Add(g.TTL)
	name := b.namer.Name(NameParts{Repository: c.Repository, RunID: c.RunID, Attempt: c.RunAttempt, Job: in.job, Label: in.label, Expires: expires})
	perms, _ := g.Permissions.MarshalJSON()
	rec := store.Key{
		Name: name, Repository: c.Repository, RunID: c.RunID, RunAttempt: c.RunAttempt,
		Rule: g.Rule, Permissions: string(perms), Subject: c.Subject, Actor: c.Actor, Claims: string(c.JSON),
		CreatedAt: now, ExpiresAt: expires,
	}
	if err := b.store.Reserve(ctx, rec, g.MaxLiveKeys); err != nil {
		if errors.Is(err, store.ErrLimit) {
			return b.deny(ctx, c, refusal(wire.CodeLiveKeyLimit, "%s already has its maximum of %d live keys under rule %s; delete one or wait for one to expire", c.Repository, g.MaxLiveKeys, g.Rule), 0)
		}
		return b.storeDown(ctx, "mint", err)
	}
	k, err := b.vast.CreateKey(ctx, name, g.Permissions)
	if err != nil {
		var unc *vast.CreateUncertainError
		if errors.As(err, &unc) {
			// A key of that name may exist; the record stays pending and
			// reconcile deletes the key when it shows in the list.
			b.store.Note(ctx, name, oneLine(err.Error(), 500))
		} else {
			b.store.Fail(ctx, name, oneLine(err.Error(), 500), b.now())
		}
		e := vastRefusal(err)
		b.metrics.denials.WithLabelValues(e.code).Inc()
		b.log.Error("mint failed at Vast", "repository", c.Repository, "run_id", c.RunID, "name", name, "code", e.code, "error", oneLine(err.Error(), 300))
		b.record(ctx, store.Event{Event: store.EventMintFailed, Repository: c.Repository, RunID: c.RunID, KeyName: name, Rule: g.Rule, Code: e.code, Message: oneLine(err.Error(), 500), Claims: string(c.JSON)})
		return e
	}
	if len(k.Diff.Broader) > 0 {
		// The server made a broader key than the rule grants (its echo
		// says so): never hand it out.
		why := fmt.Sprintf("the Vast API made key %d with more permissions than asked (%s)", k.ID, oneLine(k.Diff.String(), 200))
		if derr := b.vast.DeleteKey(ctx, k.ID); vast.DeletionOf(derr) == vast.DeleteFailed {
			// The record stays pending: reconcile deletes the key by name.
			b.store.Note(ctx, name, oneLine(why, 500))
			b.log.Error("KEY LEFT BEHIND: a key broader than asked could not be deleted; reconcile will delete it", "key_id", k.ID, "name", name, "error", oneLine(derr.Error(), 300))
		} else {
			b.store.Fail(ctx, name, oneLine(why, 500), b.now())
		}
		b.metrics.denials.WithLabelValues(wire.CodeVastRefused).Inc()
		b.log.Error("mint refused: "+why, "repository", c.Repository, "run_id", c.RunID, "name", name, "rule", g.Rule)
		b.record(ctx, store.Event{Event: store.EventMintFailed, Repository: c.Repository, RunID: c.RunID, KeyName: name, Rule: g.Rule, Code: wire.CodeVastRefused, Message: oneLine(why, 500), Claims: string(c.JSON)})
		return refusal(wire.CodeVastRefused, "%s; it was not handed out: the broker's operator must check the management key's account", why)
	}
	if err := b.store.Activate(ctx, name, k.ID); err != nil {
		// The key exists but its record is not live, so the reaper would not
		// know it: take it back now rather than hand it out.
		b.log.Error("could not record a minted key as live; deleting it", "key_id", k.ID, "name", name, "error", oneLine(err.Error(), 300))
		if derr := b.vast.DeleteKey(ctx, k.ID); vast.DeletionOf(derr) == vast.DeleteFailed {
			b.log.Error("KEY LEFT BEHIND: a minted key could be neither recorded nor deleted; reconcile will delete it", "key_id", k.ID, "name", name, "error", oneLine(derr.Error(), 300))
		}
		return b.storeDown(ctx, "mint", err)
	}
	if r.Context().Err() != nil {
		// The caller left before the answer: nobody holds the key.
		b.log.Warn("caller went away during the mint; deleting the key", "key_id", k.ID, "name", name, "repository", c.Repository)
		if derr := b.vast.DeleteKey(ctx, k.ID); vast.DeletionOf(derr) != vast.DeleteFailed {
			b.store.End(ctx, k.ID, "", store.Revoked, b.now())
			b.record(ctx, store.Event{Event: store.EventRevoke, Repository: c.Repository, RunID: c.RunID, VastID: k.ID, KeyName: name, Rule: g.Rule, Message: "the caller went away before the answer", Claims: string(c.JSON)})
		}
		return nil
	}
	b.metrics.mints.Inc()
	b.log.Info("key minted", "repository", c.Repository, "run_id", c.RunID, "attempt", c.RunAttempt, "actor", c.Actor, "key_id", k.ID, "name", name, "rule", g.Rule, "permissions", g.Permissions.String(), "expires", expires.Format(time.RFC3339))
	b.record(ctx, store.Event{Event: store.EventMint, Repository: c.Repository, RunID: c.RunID, VastID: k.ID, KeyName: name, Rule: g.Rule, Message: "expires " + expires.Format(time.RFC3339), Claims: string(c.JSON)})
	var permsJSON any = json.RawMessage(perms)
	writeJSON(w, http.StatusCreated, wire.MintResponse{
		ID: k.ID, Name: name, Key: k.Secret.Reveal(), ExpiresAt: expires.Format(time.RFC3339),
		Permissions: permsJSON, Rule: g.Rule,
	})
	return nil
}

func (b *Broker) revoke(w http.ResponseWriter, r *http.Request) *apiError {
	c, aerr := b.authenticate(r, "delete")
	if aerr != nil {
		return aerr
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return b.deny(r.Context(), c, refusal(wire.CodeInvalidID, "the key id must be a positive integer"), 0)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), b.cfg.MintTimeout)
	defer cancel()
	k, err := b.store.Key(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !strings.EqualFold(k.Repository, c.Repository)) {
		// Another repository's key is answered like a missing one.
		return b.deny(ctx, c, refusal(wire.CodeKeyNotFound, "no key %d was minted for %s", id, c.Repository), id)
	}
	if err != nil {
		return b.storeDown(ctx, "delete", err)
	}
	if k.RunID != c.RunID {
		return b.deny(ctx, c, refusal(wire.CodeWrongRun, "key %d was minted for run %d, not run %d", id, k.RunID, c.RunID), id)
	}
	if !k.State.Open() {
		writeJSON(w, http.StatusOK, wire.DeleteResponse{ID: id, State: string(k.State)})
		return nil
	}
	// Only the API's own 404 "API Key not found." is gone: a 404 auth_error
	// (the management key revoked) leaves the key live.
	if err := b.vast.DeleteKey(ctx, id); vast.DeletionOf(err) == vast.DeleteFailed {
		e := vastRefusal(err)
		e.message += fmt.Sprintf("; the broker deletes the key at its expiry (%s) regardless", k.ExpiresAt.Format(time.RFC3339))
		b.log.Error("delete failed at Vast", "repository", c.Repository, "key_id", id, "name", k.Name, "code", e.code, "error", oneLine(err.Error(), 300))
		return e
	}
	if _, err := b.store.End(ctx, id, "", store.Revoked, b.now()); err != nil {
		// The key is deleted; the record is still live, so the reaper will
		// find the key gone at its expiry and close the record.
		b.log.Error("key deleted but its record could not be closed", "key_id", id, "error", oneLine(err.Error(), 300))
	}
	b.metrics.revokes.Inc()
	b.log.Info("key revoked", "repository", c.Repository, "run_id", c.RunID, "key_id", id, "name", k.Name)
	b.record(ctx, store.Event{Event: store.EventRevoke, Repository: c.Repository, RunID: c.RunID, VastID: id, KeyName: k.Name, Rule: k.Rule, Claims: string(c.JSON)})
	writeJSON(w, http.StatusOK, wire.DeleteResponse{ID: id, State: string(store.Revoked)})
	return nil
}

func (b *Broker) healthz(w http.ResponseWriter, r *http.Request) *apiError {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := b.store.Ping(ctx); err != nil {
		return b.storeDown(ctx, "healthz", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "rules": len(b.policy.Load().Rules())})
	return nil
}

func (b *Broker) storeDown(_ context.Context, route string, err error) *apiError {
	b.metrics.denials.WithLabelValues(wire.CodeStoreUnavailable).Inc()
	b.log.Error("store unavailable", "route", route, "error", oneLine(err.Error(), 300))
	return &apiError{code: wire.CodeStoreUnavailable, message: "the broker's database is unavailable; nothing was minted or changed; retry", retryAfter: 5 * time.Second}
}

// vastRefusal turns a Vast error into the caller's answer.
func vastRefusal(err error) *apiError {
	var busy *busyError
	var ve *vast.Error
	switch vastOutcome(err) {
	case "busy":
		errors.As(err, &busy)
		return &apiError{code: wire.CodeVastUnavailable, message: fmt.Sprintf("the broker is waiting on Vast's rate limit for key %s; retry after %s", busy.op, busy.retry.Round(time.Second)), retryAfter: busy.retry}
	case "rate_limited":
		return &apiError{code: wire.CodeVastUnavailable, message: "the Vast API is rate limiting the broker; retry shortly", retryAfter: 10 * time.Second}
	case "refused":
		msg := "the Vast API refused the broker's management key"
		if errors.As(err, &ve) {
			msg += " (" + oneLine(ve.Brief(), 120) + ")"
		}
		return refusal(wire.CodeVastRefused, "%s; the broker's operator must check it", msg)
	case "uncertain":
		return &apiError{code: wire.CodeVastUnavailable, message: "the Vast API did not confirm the key's creation; nothing was handed out; retry", retryAfter: 5 * time.Second}
	case "timeout":
		return &apiError{code: wire.CodeVastUnavailable, message: "the Vast API did not answer in time; retry", retryAfter: 5 * time.Second}
	}
	if errors.As(err, &ve) && ve.StatusCode >= 400 && ve.StatusCode < 500 {
		return refusal(wire.CodeVastRefused, "the Vast API refused the request (%s)", oneLine(ve.Brief(), 120))
	}
	return &apiError{code: wire.CodeVastUnavailable, message: "the Vast API is unavailable; retry", retryAfter: 10 * time.Second}
}

// oneLine flattens s and cuts it to n bytes, redacting anything key-shaped.
func oneLine(s string, n int) string {
	s = vast.Redact(strings.Join(strings.Fields(s), " "))
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
