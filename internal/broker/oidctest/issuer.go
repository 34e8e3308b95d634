// Package oidctest is an in-process OpenID Connect issuer shaped like GitHub
// Actions' (token.actions.githubusercontent.com): a discovery document, a
// JWKS, RSA keys generated when it starts, and tokens carrying the claims a
// workflow job's token carries. Tests and `vastguard demo` sign tokens with
// it; it also signs the tokens an attacker would try (alg none, HS256 keyed
// with the public key, a key the JWKS does not publish) and can fail its
// endpoints on request.
//
// It does not import package testing (the demo embeds it) nor anything of
// the project's.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// TB is the part of testing.TB NewServer needs.
type TB interface {
	Helper()
	Cleanup(func())
}

// Issuer is an OIDC issuer. Its zero value is not usable; call New or
// NewServer.
type Issuer struct {
	// URL is the issuer ("iss") once started: http://127.0.0.1:PORT plus
	// the path given with WithPath.
	URL string

	path string
	now  func() time.Time

	mu        sync.Mutex
	keys      []*signingKey // published; keys[0] signs
	hidden    *signingKey   // signs, never published
	fails     map[string]failure
	fetches   map[string]int
	discovery map[string]any // overrides merged into the discovery document
	srv       *httptest.Server
}

type signingKey struct {
	id   string
	priv *rsa.PrivateKey
}

type failure struct {
	status int
	times  int // -1: until cleared
}

// Option configures an Issuer.
type Option func(*Issuer)

// WithPath serves the issuer under a path, as GitHub Enterprise Server does
// (https://HOST/_services/token).
func WithPath(p string) Option {
	return func(i *Issuer) { i.path = "/" + strings.Trim(p, "/") }
}

// WithClock sets the clock used for iat, nbf and exp in Claims.
func WithClock(now func() time.Time) Option { return func(i *Issuer) { i.now = now } }

// New returns an issuer with one published key and one unpublished key,
// not listening yet.
func New(opts ...Option) *Issuer {
	i := &Issuer{now: time.Now, fails: map[string]failure{}, fetches: map[string]int{}}
	for _, o := range opts {
		o(i)
	}
	i.keys = []*signingKey{newKey()}
	i.hidden = newKey()
	return i
}

// NewServer starts an issuer on a loopback port and stops it when the test
// ends.
func NewServer(tb TB, opts ...Option) *Issuer {
	tb.Helper()
	i := New(opts...)
	i.Start()
	tb.Cleanup(i.Close)
	return i
}

// Start listens on a loopback port and sets URL.
func (i *Issuer) Start() {
	i.srv = httptest.NewServer(i)
	i.URL = i.srv.URL + i.path
}

// Close stops the listener.
func (i *Issuer) Close() {
	if i.srv != nil {
		i.srv.Close()
	}
}

func newKey() *signingKey {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return &signingKey{id: fmt.Sprintf("%X", b[:]), priv: priv}
}

// Endpoints, by the names Fail and Fetches take.
const (
	Discovery = "discovery"
	JWKS      = "jwks"
)

// Fail makes the next times requests to endpoint (Discovery or JWKS) answer
// status; times -1 means until Clear.
func (i *Issuer) Fail(endpoint string, status, times int) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.fails[endpoint] = failure{status: status, times: times}
}

// Clear removes every injected failure.
func (i *Issuer) Clear() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.fails = map[string]failure{}
}

// Fetches returns how many times endpoint was requested.
func (i *Issuer) Fetches(endpoint string) int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.fetches[endpoint]
}

// SetDiscovery overrides fields of the discovery document, e.g. a wrong
// "issuer".
func (i *Issuer) SetDiscovery(fields map[string]any) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.discovery = fields
}

// Rotate publishes a new signing key beside the old ones; new tokens are
// signed with it.
func (i *Issuer) Rotate() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = append([]*signingKey{newKey()}, i.keys...)
}

// ServeHTTP answers the discovery document and the JWKS at GitHub's paths.
func (i *Issuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var endpoint string
	switch r.URL.Path {
	case i.path + "/.well-known/openid-configuration":
		endpoint = Discovery
	case i.path + "/.well-known/jwks":
		endpoint = JWKS
	default:
		http.NotFound(w, r)
		return
	}
	i.mu.Lock()
	i.fetches[endpoint]++
	f, failing := i.fails[endpoint]
	if failing && f.times != 0 {
		if f.times > 0 {
			f.times--
			i.fails[endpoint] = f
		}
		i.mu.Unlock()
		http.Error(w, http.StatusText(f.status), f.status)
		return
	}
	var body any
	if endpoint == Discovery {
		doc := map[string]any{
			"issuer":                                i.URL,
			"jwks_uri":                              i.URL + "/.well-known/jwks",
			"subject_types_supported":               []string{"public", "pairwise"},
			"response_types_supported":              []string{"id_token"},
			"claims_supported":                      []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "repository", "repository_id", "repository_owner", "repository_owner_id", "run_id", "run_number", "run_attempt", "actor", "actor_id", "workflow", "workflow_ref", "workflow_sha", "head_ref", "base_ref", "event_name", "ref_type", "environment", "environment_node_id", "job_workflow_ref", "job_workflow_sha", "repository_visibility", "runner_environment"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"scopes_supported":                      []string{"openid"},
		}
		for k, v := range i.discovery {
			doc[k] = v
		}
		body = doc
	} else {
		var set jose.JSONWebKeySet
		for _, k := range i.keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.id, Algorithm: "RS256", Use: "sig"})
		}
		body = set
	}
	i.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

// Job describes the workflow job a token is for. Zero fields get defaults.
type Job struct {
	Repository  string // OWNER/REPO; default acme/gpu-tests
	RunID       int64  // default 9876543210
	Attempt     int64  // default 1
	Ref         string // default refs/heads/main
	Event       string // default push
	Environment string // "" for a job with no environment (the claim is then absent)
	Workflow    string // file name under .github/workflows; default ci.yml
	Actor       string // default octocat
	Runner      string // runner_environment; default github-hosted
	Audience    string // aud; default the owner's URL, as GitHub sets it
}

// Claims returns the claims GitHub puts in a job's token, issued now by
// this issuer: nbf ten minutes before iat and exp five minutes after, as
// GitHub's tokens have them.
func (i *Issuer) Claims(j Job) map[string]any {
	if j.Repository == "" {
		j.Repository = "acme/gpu-tests"
	}
	if j.RunID == 0 {
		j.RunID = 9876543210
	}
	if j.Attempt == 0 {
		j.Attempt = 1
	}
	if j.Ref == "" {
		j.Ref = "refs/heads/main"
	}
	if j.Event == "" {
		j.Event = "push"
	}
	if j.Workflow == "" {
		j.Workflow = "ci.yml"
	}
	if j.Actor == "" {
		j.Actor = "octocat"
	}
	if j.Runner == "" {
		j.Runner = "github-hosted"
	}
	owner, _, _ := strings.Cut(j.Repository, "/")
	if j.Audience == "" {
		j.Audience = "https://github.com/" + owner
	}
	now := i.now().Truncate(time.Second)
	refType := "branch"
	if strings.HasPrefix(j.Ref, "refs/tags/") {
		refType = "tag"
	}
	sub := "repo:" + j.Repository + ":ref:" + j.Ref
	if j.Environment != "" {
		sub = "repo:" + j.Repository + ":environment:" + j.Environment
	}
	wf := j.Repository + "/.github/workflows/" + j.Workflow + "@" + j.Ref
	c := map[string]any{
		"jti":                   newJTI(),
		"sub":                   sub,
		"aud":                   j.Audience,
		"ref":                   j.Ref,
		"sha":                   "0123456789abcdef0123456789abcdef01234567",
		"repository":            j.Repository,
		"repository_owner":      owner,
		"repository_owner_id":   "65",
		"repository_id":         "74",
		"repository_visibility": "private",
		"actor_id":              "12",
		"actor":                 j.Actor,
		"run_id":                strconv.FormatInt(j.RunID, 10),
		"run_number":            "10",
		"run_attempt":           strconv.FormatInt(j.Attempt, 10),
		"runner_environment":    j.Runner,
		"workflow":              "CI",
		"workflow_ref":          wf,
		"workflow_sha":          "0123456789abcdef0123456789abcdef01234567",
		"job_workflow_ref":      wf,
		"job_workflow_sha":      "0123456789abcdef0123456789abcdef01234567",
		"head_ref":              "",
		"base_ref":              "",
		"event_name":            j.Event,
		"ref_type":              refType,
		"ref_protected":         "true",
		"iss":                   i.URL,
		"nbf":                   now.Add(-10 * time.Minute).Unix(),
		"iat":                   now.Unix(),
		"exp":                   now.Add(5 * time.Minute).Unix(),
	}
	if j.Environment != "" {
		c["environment"] = j.Environment
	}
	return c
}

func newJTI() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Sign signs claims with the current published key (RS256, its kid in the
// header).
func (i *Issuer) Sign(claims map[string]any) string {
	i.mu.Lock()
	k := i.keys[0]
	i.mu.Unlock()
	return sign(k.priv, jose.RS256, k.id, claims)
}

// SignUnpublished signs with a key the JWKS does not list, under a key id
// the JWKS does not list either.
func (i *Issuer) SignUnpublished(claims map[string]any) string {
	return sign(i.hidden.priv, jose.RS256, i.hidden.id, claims)
}

// SignWithKID signs with the current key but puts kid in the header.
func (i *Issuer) SignWithKID(kid string, claims map[string]any) string {
	i.mu.Lock()
	k := i.keys[0]
	i.mu.Unlock()
	return sign(k.priv, jose.RS256, kid, claims)
}

// SignNone returns an unsigned token with "alg": "none".
func (i *Issuer) SignNone(claims map[string]any) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	return header + "." + base64.RawURLEncoding.EncodeToString(payload) + "."
}

// SignHS256WithPublicKey signs with HMAC-SHA256 keyed by the published
// key's PEM encoding: the classic confusion attack on verifiers that take
// the algorithm from the token.
func (i *Issuer) SignHS256WithPublicKey(claims map[string]any) string {
	i.mu.Lock()
	k := i.keys[0]
	i.mu.Unlock()
	der, err := x509.MarshalPKIXPublicKey(&k.priv.PublicKey)
	if err != nil {
		panic(err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return sign(secret, jose.HS256, k.id, claims)
}

func sign(key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		panic(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		panic(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return out
}
