// Package identity verifies GitHub Actions OIDC tokens for the broker.
//
// Signatures, the issuer and the audience, and expiry are checked by
// github.com/coreos/go-oidc/v3 against each trusted issuer's discovery
// document and JWKS, with RS256 as the only algorithm. This package adds
// only what go-oidc leaves to its caller: a configurable clock skew (go-oidc
// allows a fixed five minutes on nbf and none on iat), GitHub's required
// claims and their shapes, and a stable code for every refusal (go-oidc's
// errors are strings). Before verification it reads the token's unverified
// header and payload only to refuse early and to say why (an alg that is not
// RS256, an issuer it does not trust, an audience that is not its own); it
// never accepts anything on them.
//
// Discovery and key fetches go through the HTTP client given in Config, with
// responses capped at 100 KiB, no redirects, and JWKS refreshes (which a
// token with an unknown key id triggers) limited per issuer, so a flood of
// forged tokens cannot turn the broker against GitHub.
//
// identity imports wire (the codes) and nothing else of the project's.
package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/time/rate"

	"github.com/vastguard/vastguard/internal/broker/wire"
)

// GitHubIssuer is the issuer of GitHub.com's Actions tokens.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// Limits on what is read.
const (
	MaxTokenSize    = 16 << 10  // a GitHub token is about 1.5 KiB
	maxResponseSize = 100 << 10 // discovery and JWKS (GitHub's: about 5 KiB)
	maxClaimLength  = 1024
)

// Config configures a Verifier.
type Config struct {
	// Issuers are the exact issuer URLs trusted, e.g. GitHubIssuer or
	// https://ghe.example.com/_services/token.
	Issuers []string
	// Audience must be one of the token's aud values.
	Audience string
	// Skew is the clock difference tolerated on exp, nbf and iat.
	Skew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// HTTPClient fetches discovery documents and keys; nil means a client
	// with a 10 s timeout. It is copied, not modified.
	HTTPClient *http.Client
	// RetryDiscovery is how long after a failed discovery the next request
	// may try again; 0 means 5 s.
	RetryDiscovery time.Duration
	// KeyRefresh bounds JWKS fetches per issuer: one per KeyRefresh, with a
	// burst of 3; 0 means 10 s.
	KeyRefresh time.Duration
}

// Error is a refusal. Code is a wire code; Message is safe to send to the
// caller; Err, if set, is the underlying cause for the broker's log.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

func refuse(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Claims are a verified token's claims.
type Claims struct {
	Issuer          string
	Subject         string
	Audience        []string
	ID              string // jti; may be empty
	IssuedAt        time.Time
	Expiry          time.Time
	Repository      string // OWNER/REPO
	RepositoryOwner string
	RunID           int64
	RunAttempt      int64
	Actor           string
	// Strings holds every string-valued claim, for policy matching.
	Strings map[string]string
	// JSON is the verified payload (never the token: no signature), for the
	// audit table.
	JSON json.RawMessage
}

// Verifier verifies tokens. It is safe for concurrent use.
type Verifier struct {
	audience string
	skew     time.Duration
	now      func() time.Time
	client   *http.Client
	retry    time.Duration
	issuers  map[string]*issuerState
	other    *rate.Limiter // key fetches from hosts outside every issuer's URL
}

type issuerState struct {
	url      string
	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	lastTry  time.Time
	lastErr  error
	limiter  *rate.Limiter
}

// New returns a Verifier. Issuers are contacted lazily, on the first token
// each signs, so a broker starts while GitHub is unreachable.
func New(cfg Config) (*Verifier, error) {
	if len(cfg.Issuers) == 0 {
		return nil, errors.New("identity: no issuers")
	}
	if cfg.Audience == "" {
		return nil, errors.New("identity: no audience")
	}
	v := &Verifier{audience: cfg.Audience, skew: cfg.Skew, now: cfg.Now, retry: cfg.RetryDiscovery, issuers: map[string]*issuerState{}}
	if v.now == nil {
		v.now = time.Now
	}
	if v.retry <= 0 {
		v.retry = 5 * time.Second
	}
	refresh := cfg.KeyRefresh
	if refresh <= 0 {
		refresh = 10 * time.Second
	}
	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{Timeout: 10 * time.Second}
	}
	for _, iss := range cfg.Issuers {
		v.issuers[iss] = &issuerState{url: iss, limiter: rate.NewLimiter(rate.Every(refresh), 3)}
	}
	v.other = rate.NewLimiter(rate.Every(refresh), 3)
	c := *base
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.Transport = &guard{base: base.Transport, v: v}
	v.client = &c
	return v, nil
}

// guard caps responses and rate-limits JWKS fetches per issuer.
type guard struct {
	base http.RoundTripper
	v    *Verifier
}

// errRefreshLimited is returned instead of fetching keys too often.
var errRefreshLimited = errors.New("key refresh rate-limited")

func (g *guard) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration") {
		// A key fetch: charge it to the issuer whose keys it fetches.
		lim := g.v.other
		for _, st := range g.v.issuers {
			if strings.HasPrefix(r.URL.String(), st.url+"/") {
				lim = st.limiter
			}
		}
		if !lim.AllowN(g.v.now(), 1) {
			return nil, errRefreshLimited
		}
	}
	rt := g.base
	if rt == nil {
		rt = http.DefaultTransport
	}
	resp, err := rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &capped{r: resp.Body, left: maxResponseSize}
	return resp, nil
}

type capped struct {
	r    io.ReadCloser
	left int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, fmt.Errorf("response over %d bytes", maxResponseSize)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *capped) Close() error { return c.r.Close() }

// verifierFor returns the go-oidc verifier of a trusted issuer, doing
// discovery on first use and at most once per retry interval after a
// failure.
func (v *Verifier) verifierFor(ctx context.Context, st *issuerState) (*oidc.IDTokenVerifier, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.verifier != nil {
		return st.verifier, nil
	}
	now := v.now()
	if !st.lastTry.IsZero() && now.Sub(st.lastTry) < v.retry && st.lastErr != nil {
		return nil, st.lastErr
	}
	st.lastTry = now
	dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, v.client), 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, st.url)
	if err != nil {
		st.lastErr = err
		return nil, err
	}
	st.verifier = p.Verifier(&oidc.Config{
		ClientID:             v.audience,
		SupportedSigningAlgs: []string{oidc.RS256},
		// exp gets the skew here; nbf and iat are checked below with it.
		Now: func() time.Time { return v.now().Add(-v.skew) },
	})
	st.lastErr = nil
	return st.verifier, nil
}

// Verify checks raw and returns its claims, or an *Error.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, refuse(wire.CodeMissingToken, "no token: send the job's OIDC token as Authorization: Bearer")
	}
	if len(raw) > MaxTokenSize {
		return nil, refuse(wire.CodeInvalidToken, "the token is over %d bytes", MaxTokenSize)
	}
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		if alg := headerAlg(raw); alg != "" && alg != string(jose.RS256) {
			return nil, refuse(wire.CodeInvalidToken, "the token is signed with alg %q; only RS256 is accepted", printable(alg, 20))
		}
		return nil, refuse(wire.CodeInvalidToken, "not a signed JWT in compact form")
	}
	var pre struct {
		Iss string          `json:"iss"`
		Aud json.RawMessage `json:"aud"`
	}
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &pre); err != nil {
		return nil, refuse(wire.CodeInvalidToken, "the token's payload is not a JSON object")
	}
	st, ok := v.issuers[pre.Iss]
	if !ok {
		return nil, refuse(wire.CodeUnknownIssuer, "the token's issuer %q is not one this broker trusts", printable(pre.Iss, 200))
	}
	if !slices.Contains(audiences(pre.Aud), v.audience) {
		return nil, refuse(wire.CodeWrongAudience, "the token's audience is not %q; request the token with that audience", v.audience)
	}
	verifier, err := v.verifierFor(ctx, st)
	if err != nil {
		return nil, &Error{Code: wire.CodeIssuerUnavailable, Message: fmt.Sprintf("the issuer %s could not be reached to verify the token; try again", st.url), Err: err}
	}
	tok, err := verifier.Verify(ctx, raw)
	if err != nil {
		var exp *oidc.TokenExpiredError
		switch {
		case errors.As(err, &exp) && exp.Expiry.Unix() <= 0:
			return nil, refuse(wire.CodeInvalidClaims, "the token has no exp claim")
		case errors.As(err, &exp):
			return nil, refuse(wire.CodeTokenExpired, "the token expired at %s; request a fresh one", exp.Expiry.UTC().Format(time.RFC3339))
		case strings.Contains(err.Error(), "before the nbf"):
			return nil, refuse(wire.CodeTokenNotYetValid, "the token is not valid yet (nbf)")
		case strings.Contains(err.Error(), "failed to unmarshal claims"):
			return nil, refuse(wire.CodeInvalidClaims, "the token's registered claims (iss, sub, aud, exp, iat) are malformed")
		case strings.Contains(err.Error(), errRefreshLimited.Error()):
			// Its key id is unknown and the keys were fetched moments ago:
			// a forged token far more often than a rotation.
			return nil, &Error{Code: wire.CodeInvalidToken, Message: "the token's signature does not verify with the issuer's published keys", Err: err}
		case strings.Contains(err.Error(), "fetching keys"):
			return nil, &Error{Code: wire.CodeIssuerUnavailable, Message: fmt.Sprintf("the keys of %s could not be fetched to verify the token; try again", st.url), Err: err}
		}
		return nil, &Error{Code: wire.CodeInvalidToken, Message: "the token's signature does not verify with the issuer's published keys", Err: err}
	}
	return v.claims(tok)
}

func (v *Verifier) claims(tok *oidc.IDToken) (*Claims, error) {
	var all map[string]json.RawMessage
	if err := tok.Claims(&all); err != nil {
		return nil, refuse(wire.CodeInvalidClaims, "the token's claims are not a JSON object")
	}
	now := v.now()
	nbf, err := numericDate(all, "nbf", false)
	if err != nil {
		return nil, err
	}
	iat, err := numericDate(all, "iat", true)
	if err != nil {
		return nil, err
	}
	if nbf.After(now.Add(v.skew)) {
		return nil, refuse(wire.CodeTokenNotYetValid, "the token is not valid until %s (nbf)", nbf.UTC().Format(time.RFC3339))
	}
	if iat.After(now.Add(v.skew)) {
		return nil, refuse(wire.CodeTokenNotYetValid, "the token was issued in the future (iat %s); check the clocks", iat.UTC().Format(time.RFC3339))
	}
	c := &Claims{
		Issuer:   tok.Issuer,
		Subject:  tok.Subject,
		Audience: tok.Audience,
		IssuedAt: iat,
		Expiry:   tok.Expiry,
		Strings:  map[string]string{},
	}
	c.JSON, _ = json.Marshal(all)
	for name, rawv := range all {
		var s string
		if len(rawv) == 0 || rawv[0] != '"' || json.Unmarshal(rawv, &s) != nil {
			continue
		}
		if len(s) > maxClaimLength || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
			return nil, refuse(wire.CodeInvalidClaims, "the token's %s claim is over %d bytes or holds control characters", printable(name, 40), maxClaimLength)
		}
		c.Strings[name] = s
	}
	// Claims that rules match must be strings when present: a rule must
	// never be skipped because a value had another type.
	for _, name := range matchable {
		if rawv, ok := all[name]; ok && string(rawv) != "null" {
			if _, isString := c.Strings[name]; !isString {
				return nil, refuse(wire.CodeInvalidClaims, "the token's %s claim is not a string", name)
			}
		}
	}
	if c.Subject == "" {
		return nil, refuse(wire.CodeInvalidClaims, "the token has no sub claim")
	}
	c.ID = c.Strings["jti"]
	c.Repository = c.Strings["repository"]
	c.RepositoryOwner = c.Strings["repository_owner"]
	c.Actor = c.Strings["actor"]
	if !repoName.MatchString(c.Repository) {
		return nil, refuse(wire.CodeInvalidClaims, "the token's repository claim is missing or not OWNER/REPO")
	}
	owner, _, _ := strings.Cut(c.Repository, "/")
	if !strings.EqualFold(owner, c.RepositoryOwner) {
		return nil, refuse(wire.CodeInvalidClaims, "the token's repository_owner claim is missing or does not match its repository")
	}
	if c.RunID, err = positive(c.Strings, "run_id"); err != nil {
		return nil, err
	}
	if c.RunAttempt, err = positive(c.Strings, "run_attempt"); err != nil {
		return nil, err
	}
	return c, nil
}

// matchable are the claims policy rules can match (policy.claimKinds).
var matchable = []string{
	"repository", "repository_owner", "repository_id", "repository_owner_id",
	"repository_visibility", "ref", "ref_type", "ref_protected", "base_ref",
	"head_ref", "environment", "job_workflow_ref", "workflow_ref", "workflow",
	"event_name", "runner_environment", "actor", "actor_id", "sub",
}

// GitHub's limits: owner 39 characters, repository 100.
var repoName = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)

var digits = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)

func positive(s map[string]string, name string) (int64, error) {
	v, ok := s[name]
	if !ok || !digits.MatchString(v) {
		return 0, refuse(wire.CodeInvalidClaims, "the token's %s claim is missing or not a positive decimal number", name)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, refuse(wire.CodeInvalidClaims, "the token's %s claim is out of range", name)
	}
	return n, nil
}

func numericDate(all map[string]json.RawMessage, name string, required bool) (time.Time, error) {
	raw, ok := all[name]
	if !ok {
		if required {
			return time.Time{}, refuse(wire.CodeInvalidClaims, "the token has no %s claim", name)
		}
		return time.Time{}, nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || f < 0 || f > 1e11 {
		return time.Time{}, refuse(wire.CodeInvalidClaims, "the token's %s claim is not a NumericDate", name)
	}
	return time.Unix(int64(f), 0), nil
}

func audiences(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

// headerAlg reads the alg of a compact JWS header without trusting it.
func headerAlg(raw string) string {
	h, _, ok := strings.Cut(raw, ".")
	if !ok {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return ""
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(b, &hdr) != nil {
		return ""
	}
	return hdr.Alg
}

// printable cuts outside text to n bytes and replaces what a terminal or a
// log would act on.
func printable(s string, n int) string {
	if len(s) > n {
		s = s[:n] + "..."
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
}
