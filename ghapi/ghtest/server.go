// Package ghtest is an in-process fake of the few GitHub REST endpoints
// package ghapi calls: a repository's Actions public key and secrets, SARIF
// uploads to code scanning and their status, an organisation's repository
// list, and a repository's workflow runs with their log archives (the
// real layout, served by a 302 to a second, token-less host standing for
// GitHub's blob storage, whose signed links expire). It is written from GitHub's REST documentation and does
// not import ghapi or go-github, so a wrong JSON tag in the client cannot
// hide behind shared types: every answer is literal JSON.
//
// Like the real service it checks the token on every request (401 "Bad
// credentials" otherwise), and each token holds permissions: a token without
// PermSecrets gets 403 "Resource not accessible by integration" on the
// secret routes, as the built-in GITHUB_TOKEN does. It holds a real NaCl key
// pair per repository, opens every secret written with it, and keeps the
// plain values for assertions. SARIF uploads are decoded (base64, then gzip,
// then JSON), checked to be SARIF 2.1.0 and kept. The repository list is
// paginated with per_page, page and Link headers as GitHub does.
//
// Faults are injected per route (a status, GitHub's message, extra headers,
// N times), and every request is logged.
//
// The Server is an http.Handler; NewServer starts it on a loopback port for
// tests, and New plus Start do the same for programs such as a demo.
package ghtest

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/nacl/box"
)

// TB is the part of testing.TB the fake needs; *testing.T satisfies it.
// (Taking an interface keeps package testing out of binaries that embed the
// fake.)
type TB interface {
	Helper()
	Cleanup(func())
}

// Route names, for faults and the request log.
const (
	RoutePublicKey   = "public-key"   // GET /repos/{owner}/{repo}/actions/secrets/public-key
	RouteGetSecret   = "get-secret"   // GET /repos/{owner}/{repo}/actions/secrets/{name}
	RoutePutSecret   = "put-secret"   // PUT /repos/{owner}/{repo}/actions/secrets/{name}
	RouteUploadSARIF = "upload-sarif" // POST /repos/{owner}/{repo}/code-scanning/sarifs
	RouteGetSARIF    = "get-sarif"    // GET /repos/{owner}/{repo}/code-scanning/sarifs/{id}
	RouteOrgRepos    = "org-repos"    // GET /orgs/{org}/repos
)

// A Permission is what a token may do, named after GitHub's permissions.
type Permission string

const (
	// PermSecrets: read the public key, read and write Actions secrets
	// (fine-grained "Secrets", classic "repo"). GITHUB_TOKEN never has it.
	PermSecrets Permission = "secrets"
	// PermSecurityEvents: upload SARIF and read its status
	// (GITHUB_TOKEN's security-events, classic "security_events").
	PermSecurityEvents Permission = "security_events"
	// PermMetadata: list an organisation's repositories.
	PermMetadata Permission = "metadata"
)

// AllPermissions is what Server.Token holds.
var AllPermissions = []Permission{PermSecrets, PermSecurityEvents, PermMetadata, PermActions}

// MaxSARIFGzip is the largest gzip stream the fake accepts, GitHub's
// documented 10 MB read as 10,000,000 bytes.
const MaxSARIFGzip = 10_000_000

// Repo is a repository the fake holds.
type Repo struct {
	Owner         string
	Name          string
	DefaultBranch string // "main" when empty
	Private       bool
	Archived      bool
	Fork          bool
}

// FullName is "owner/name".
func (r Repo) FullName() string { return r.Owner + "/" + r.Name }

// Secret is a repository secret as the fake holds it, decrypted.
type Secret struct {
	Name      string // upper case, as GitHub stores secret names
	Value     string // the plain value, opened with the repository's private key
	CreatedAt time.Time
	UpdatedAt time.Time
	Writes    int // how many PUTs wrote it
}

// Upload is one SARIF upload the fake accepted.
type Upload struct {
	ID          string
	Owner, Repo string
	CommitSHA   string
	Ref         string
	ToolName    string
	CheckoutURI string
	StartedAt   string
	SARIF       []byte // the JSON document after base64 and gzip decoding
	GzipSize    int    // bytes of the gzip stream
	Status      string // processing_status answered by the status route
}

// Request is one logged request.
type Request struct {
	Method     string
	Path       string // without the server's path prefix
	Query      string // raw query
	Route      string // a Route constant, "" for an unknown path
	Auth       string // the Authorization header as sent
	UserAgent  string
	APIVersion string // X-GitHub-Api-Version
	Body       string
	Status     int
	Fault      bool // an injected fault answered
}

// Fault is an injected answer. It applies after the token is checked, so a
// bad token still gets 401.
type Fault struct {
	Route            string      // a Route constant; "" matches every route
	Status           int         // the status to answer
	Message          string      // GitHub's "message"; default: the status text
	DocumentationURL string      // "documentation_url", when not empty
	Header           http.Header // extra headers, e.g. X-RateLimit-Remaining or Retry-After
	Body             string      // a raw body instead of the JSON envelope
	Times            int         // how many matching requests; 0 means 1, -1 means all
}

// PrimaryRateLimit is the answer GitHub gives when a token's hourly quota
// is spent: 403 with X-RateLimit-Remaining: 0 and a reset a minute away.
func PrimaryRateLimit(route string) Fault {
	return Fault{
		Route:            route,
		Status:           http.StatusForbidden,
		Message:          "API rate limit exceeded for user ID 1.",
		DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
		Header: http.Header{
			"X-Ratelimit-Limit":     {"5000"},
			"X-Ratelimit-Remaining": {"0"},
			"X-Ratelimit-Used":      {"5000"},
			"X-Ratelimit-Reset":     {strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)},
		},
	}
}

// SecondaryRateLimit is GitHub's answer to too many requests at once: 403
// with a Retry-After header and the secondary-rate-limits documentation URL.
func SecondaryRateLimit(route string) Fault {
	return Fault{
		Route:            route,
		Status:           http.StatusForbidden,
		Message:          "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
		DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		Header:           http.Header{"Retry-After": {"60"}},
	}
}

// Server is a running or startable fake. Use New or NewServer.
type Server struct {
	// URL is the API base URL once started, as GITHUB_API_URL holds it: no
	// trailing slash, the path prefix included (http://127.0.0.1:PORT/api/v3
	// with WithPathPrefix("/api/v3")).
	URL string
	// Token is a token accepted with every permission.
	Token string

	prefix     string
	maxPerPage int
	mux        *http.ServeMux

	mu      sync.Mutex
	tokens  map[string][]Permission
	orgs    map[string]string // lower case -> as added
	repos   []*repo           // in creation order, which is how the list is sorted
	faults  []*faultState
	log     []Request
	uploads []*Upload
	srv     *httptest.Server
	nextID  int64
	blobs   *blobStore
}

type repo struct {
	Repo
	id      int64
	created time.Time
	keyID   string
	pub     *[32]byte
	priv    *[32]byte
	secrets map[string]*Secret // by upper-case name
	runs    []*Run
}

type faultState struct {
	Fault
	used int
}

// An Option configures a Server.
type Option func(*Server)

// WithPathPrefix serves the API under a prefix, as GitHub Enterprise Server
// does under /api/v3.
func WithPathPrefix(p string) Option {
	return func(s *Server) { s.prefix = "/" + strings.Trim(p, "/") }
}

// WithMaxPerPage caps per_page (GitHub caps it at 100), so pagination can be
// tested with a few repositories.
func WithMaxPerPage(n int) Option { return func(s *Server) { s.maxPerPage = n } }

// WithToken sets Server.Token instead of a random one.
func WithToken(token string) Option { return func(s *Server) { s.Token = token } }

// New returns a fake that is not listening yet; it is an http.Handler.
func New(opts ...Option) *Server {
	s := &Server{
		Token:      "ghp_" + randomAlnum(36),
		maxPerPage: 100,
		tokens:     map[string][]Permission{},
		orgs:       map[string]string{},
		nextID:     100000,
		blobs:      &blobStore{objects: map[string][]byte{}, ttl: time.Minute},
	}
	for _, o := range opts {
		o(s)
	}
	if s.prefix == "/" {
		s.prefix = ""
	}
	s.tokens[s.Token] = slices.Clone(AllPermissions)
	s.mux = http.NewServeMux()
	p := s.prefix
	s.mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/actions/secrets/public-key", s.handler(RoutePublicKey, PermSecrets, s.publicKey))
	s.mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/actions/secrets/{name}", s.handler(RouteGetSecret, PermSecrets, s.getSecret))
	s.mux.HandleFunc("PUT "+p+"/repos/{owner}/{repo}/actions/secrets/{name}", s.handler(RoutePutSecret, PermSecrets, s.putSecret))
	s.mux.HandleFunc("POST "+p+"/repos/{owner}/{repo}/code-scanning/sarifs", s.handler(RouteUploadSARIF, PermSecurityEvents, s.uploadSARIF))
	s.mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/code-scanning/sarifs/{id}", s.handler(RouteGetSARIF, PermSecurityEvents, s.getSARIF))
	s.mux.HandleFunc("GET "+p+"/orgs/{org}/repos", s.handler(RouteOrgRepos, PermMetadata, s.orgRepos))
	s.mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/actions/runs", s.handler(RouteListRuns, PermActions, s.listRuns))
	s.mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/actions/runs/{run_id}/logs", s.handler(RouteRunLogs, PermActions, s.runLogs))
	s.mux.HandleFunc("/", s.handler("", "", nil))
	return s
}

// NewServer starts a fake on a loopback port and closes it when the test
// ends.
func NewServer(tb TB, opts ...Option) *Server {
	tb.Helper()
	s := New(opts...)
	s.Start()
	tb.Cleanup(s.Close)
	return s
}

// Start listens on a loopback port and sets URL; the log storage listens
// on another.
func (s *Server) Start() {
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL + s.prefix
	s.blobs.start()
}

// Close stops the listeners, if any.
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
	if s.blobs.srv != nil {
		s.blobs.srv.Close()
	}
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// AddToken makes the fake accept token with exactly perms (none at all is
// allowed: such a token authenticates and may do nothing). Adding a token
// again replaces its permissions.
func (s *Server) AddToken(token string, perms ...Permission) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = slices.Clone(perms)
}

// AddActionsToken adds and returns a token shaped like the built-in
// GITHUB_TOKEN of a job with "security-events: write" and "actions: read":
// it may upload SARIF, list repositories and read workflow runs and logs,
// but not touch secrets.
func (s *Server) AddActionsToken() string {
	t := "ghs_" + randomAlnum(36)
	s.AddToken(t, PermSecurityEvents, PermMetadata, PermActions)
	return t
}

// AddOrg makes an organisation exist, with no repositories yet.
func (s *Server) AddOrg(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orgs[strings.ToLower(name)] = name
}

// AddRepo creates a repository (and its owner, as an organisation) with a
// fresh NaCl key pair for its secrets. Adding a repository that exists
// changes its flags and keeps its secrets.
func (s *Server) AddRepo(r Repo) {
	if r.DefaultBranch == "" {
		r.DefaultBranch = "main"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[strings.ToLower(r.Owner)]; !ok {
		s.orgs[strings.ToLower(r.Owner)] = r.Owner
	}
	if old := s.findLocked(r.Owner, r.Name); old != nil {
		old.Repo = r
		return
	}
	pub, priv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	s.nextID++
	s.repos = append(s.repos, &repo{
		Repo:    r,
		id:      s.nextID,
		created: time.Now().UTC().Truncate(time.Second),
		keyID:   strconv.FormatInt(568250167242549743+s.nextID, 10),
		pub:     pub,
		priv:    priv,
		secrets: map[string]*Secret{},
	})
}

// findLocked finds a repository by owner and name, case-insensitively as
// GitHub does.
func (s *Server) findLocked(owner, name string) *repo {
	for _, r := range s.repos {
		if strings.EqualFold(r.Owner, owner) && strings.EqualFold(r.Name, name) {
			return r
		}
	}
	return nil
}

// PublicKey returns a repository's key id and its Curve25519 public key.
func (s *Server) PublicKey(owner, name string) (keyID string, key [32]byte, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.findLocked(owner, name)
	if r == nil {
		return "", key, false
	}
	return r.keyID, *r.pub, true
}

// Secret returns a repository secret, decrypted. Names are matched
// case-insensitively.
func (s *Server) Secret(owner, name, secret string) (Secret, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.findLocked(owner, name)
	if r == nil {
		return Secret{}, false
	}
	sec, ok := r.secrets[strings.ToUpper(secret)]
	if !ok {
		return Secret{}, false
	}
	return *sec, true
}

// Secrets returns every secret of a repository, decrypted, by name.
func (s *Server) Secrets(owner, name string) []Secret {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.findLocked(owner, name)
	if r == nil {
		return nil
	}
	var out []Secret
	for _, sec := range r.secrets {
		out = append(out, *sec)
	}
	slices.SortFunc(out, func(a, b Secret) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Uploads returns the SARIF uploads accepted, oldest first.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Upload, 0, len(s.uploads))
	for _, u := range s.uploads {
		c := *u
		c.SARIF = slices.Clone(u.SARIF)
		out = append(out, c)
	}
	return out
}

// SetUploadStatus sets the processing_status the status route answers for
// an upload ("pending", "complete" or "failed"; new uploads are
// "complete").
func (s *Server) SetUploadStatus(id, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.uploads {
		if u.ID == id {
			u.Status = status
		}
	}
}

// Requests returns the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// Inject adds a fault; faults are checked in the order added.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f})
}

// FailNext makes the next n requests to route answer status with message.
func (s *Server) FailNext(route string, status int, message string, n int) {
	s.Inject(Fault{Route: route, Status: status, Message: message, Times: n})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) matchFaultLocked(route string) *faultState {
	for _, f := range s.faults {
		if f.Route != "" && f.Route != route {
			continue
		}
		times := f.Times
		if times == 0 {
			times = 1
		}
		if times > 0 && f.used >= times {
			continue
		}
		f.used++
		return f
	}
	return nil
}

// maxRequestBody bounds what the fake reads: a SARIF upload of 10 MB gzip
// is about 13.4 MB of base64.
const maxRequestBody = 32 << 20

// answer is a response being built, so the log can record its status.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a *answer) json(status int, body string) {
	a.status = status
	a.header.Set("Content-Type", "application/json; charset=utf-8")
	a.body = []byte(body)
}

// errorJSON writes GitHub's error envelope.
func (a *answer) errorJSON(status int, message, docURL string) {
	if docURL == "" {
		docURL = "https://docs.github.com/rest"
	}
	a.json(status, fmt.Sprintf(`{"message":%s,"documentation_url":%s,"status":"%d"}`, quote(message), quote(docURL), status))
}

// quote returns s as a JSON string literal.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

type handlerFunc func(a *answer, r *http.Request, body []byte)

// handler wraps a route with what every GitHub request goes through: the
// body read, the token checked, faults, the permission, the log.
func (s *Server) handler(route string, perm Permission, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
		entry := Request{
			Method:     r.Method,
			Path:       strings.TrimPrefix(r.URL.Path, s.prefix),
			Query:      r.URL.RawQuery,
			Route:      route,
			Auth:       r.Header.Get("Authorization"),
			UserAgent:  r.Header.Get("User-Agent"),
			APIVersion: r.Header.Get("X-GitHub-Api-Version"),
			Body:       string(body),
		}
		a := &answer{header: http.Header{}}
		a.header.Set("X-GitHub-Media-Type", "github.v3; format=json")
		a.header.Set("X-RateLimit-Limit", "5000")
		a.header.Set("X-RateLimit-Remaining", "4999")
		a.header.Set("X-RateLimit-Used", "1")
		a.header.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		a.header.Set("X-RateLimit-Resource", "core")

		token, authed := s.authenticate(a, r)
		switch {
		case !authed:
		case h == nil:
			a.errorJSON(http.StatusNotFound, "Not Found", "")
		default:
			s.mu.Lock()
			f := s.matchFaultLocked(route)
			perms := s.tokens[token]
			s.mu.Unlock()
			switch {
			case f != nil:
				entry.Fault = true
				faultAnswer(a, f.Fault)
			case !slices.Contains(perms, perm):
				a.errorJSON(http.StatusForbidden, "Resource not accessible by integration", docURL(route))
			default:
				h(a, r, body)
			}
		}
		entry.Status = a.status
		s.mu.Lock()
		s.log = append(s.log, entry)
		s.mu.Unlock()
		for k, v := range a.header {
			w.Header()[k] = v
		}
		w.WriteHeader(a.status)
		w.Write(a.body)
	}
}

// authenticate checks the Authorization header ("Bearer T" or "token T",
// as GitHub accepts both) and answers 401 when it fails.
func (s *Server) authenticate(a *answer, r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		a.errorJSON(http.StatusUnauthorized, "Requires authentication", "https://docs.github.com/rest")
		return "", false
	}
	scheme, token, _ := strings.Cut(h, " ")
	s.mu.Lock()
	_, known := s.tokens[token]
	s.mu.Unlock()
	if !known || (!strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token")) {
		a.errorJSON(http.StatusUnauthorized, "Bad credentials", "https://docs.github.com/rest")
		return "", false
	}
	return token, true
}

func docURL(route string) string {
	switch route {
	case RoutePublicKey:
		return "https://docs.github.com/rest/actions/secrets#get-a-repository-public-key"
	case RouteGetSecret:
		return "https://docs.github.com/rest/actions/secrets#get-a-repository-secret"
	case RoutePutSecret:
		return "https://docs.github.com/rest/actions/secrets#create-or-update-a-repository-secret"
	case RouteUploadSARIF:
		return "https://docs.github.com/rest/code-scanning/code-scanning#upload-an-analysis-as-sarif-data"
	case RouteGetSARIF:
		return "https://docs.github.com/rest/code-scanning/code-scanning#get-information-about-a-sarif-upload"
	case RouteOrgRepos:
		return "https://docs.github.com/rest/repos/repos#list-organization-repositories"
	case RouteListRuns:
		return "https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-repository"
	case RouteRunLogs:
		return "https://docs.github.com/rest/actions/workflow-runs#download-workflow-run-logs"
	}
	return ""
}

func faultAnswer(a *answer, f Fault) {
	for k, v := range f.Header {
		a.header[http.CanonicalHeaderKey(k)] = slices.Clone(v)
	}
	switch {
	case f.Body != "":
		a.status = f.Status
		ct := "application/json; charset=utf-8"
		if !strings.HasPrefix(strings.TrimSpace(f.Body), "{") && !strings.HasPrefix(strings.TrimSpace(f.Body), "[") {
			ct = "text/html; charset=utf-8"
		}
		a.header.Set("Content-Type", ct)
		a.body = []byte(f.Body)
	case f.Status >= 200 && f.Status <= 299:
		a.json(f.Status, "{}")
	default:
		msg := f.Message
		if msg == "" {
			msg = http.StatusText(f.Status)
		}
		a.errorJSON(f.Status, msg, f.DocumentationURL)
	}
}

// repoFor finds the repository a request names, answering 404 Not Found as
// GitHub does for a repository that does not exist or that the token
// cannot see.
func (s *Server) repoForLocked(a *answer, r *http.Request) *repo {
	rp := s.findLocked(r.PathValue("owner"), r.PathValue("repo"))
	if rp == nil {
		a.errorJSON(http.StatusNotFound, "Not Found", "")
	}
	return rp
}

func (s *Server) publicKey(a *answer, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoForLocked(a, r)
	if rp == nil {
		return
	}
	a.json(http.StatusOK, fmt.Sprintf(`{"key_id":%s,"key":%s}`, quote(rp.keyID), quote(base64.StdEncoding.EncodeToString(rp.pub[:]))))
}

func (s *Server) getSecret(a *answer, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoForLocked(a, r)
	if rp == nil {
		return
	}
	sec, ok := rp.secrets[strings.ToUpper(r.PathValue("name"))]
	if !ok {
		a.errorJSON(http.StatusNotFound, "Not Found", docURL(RouteGetSecret))
		return
	}
	a.json(http.StatusOK, fmt.Sprintf(`{"name":%s,"created_at":%s,"updated_at":%s}`,
		quote(sec.Name), quote(sec.CreatedAt.Format(time.RFC3339)), quote(sec.UpdatedAt.Format(time.RFC3339))))
}

// secretName is GitHub's rule for secret names: letters, digits and
// underscores, not starting with a digit; the GITHUB_ prefix is reserved.
var secretName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (s *Server) putSecret(a *answer, r *http.Request, body []byte) {
	var req struct {
		EncryptedValue *string `json:"encrypted_value"`
		KeyID          *string `json:"key_id"`
	}
	name := r.PathValue("name")
	switch {
	case !secretName.MatchString(name) || strings.HasPrefix(strings.ToUpper(name), "GITHUB_"):
		// The message is the fake's own; GitHub answers 422 with its own words.
		a.errorJSON(http.StatusUnprocessableEntity, "Invalid secret name: names may contain only letters, digits and underscores, may not start with a digit, and may not start with GITHUB_", docURL(RoutePutSecret))
		return
	case json.Unmarshal(body, &req) != nil:
		a.errorJSON(http.StatusBadRequest, "Problems parsing JSON", docURL(RoutePutSecret))
		return
	case req.EncryptedValue == nil || req.KeyID == nil:
		a.errorJSON(http.StatusUnprocessableEntity, "Invalid request.\n\n\"encrypted_value\" and \"key_id\" are required.", docURL(RoutePutSecret))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoForLocked(a, r)
	if rp == nil {
		return
	}
	if *req.KeyID != rp.keyID {
		a.errorJSON(http.StatusUnprocessableEntity, "Invalid request.\n\nkey_id does not match the repository's public key.", docURL(RoutePutSecret))
		return
	}
	sealed, err := base64.StdEncoding.DecodeString(*req.EncryptedValue)
	if err != nil {
		a.errorJSON(http.StatusUnprocessableEntity, "Invalid request.\n\nencrypted_value is not base64.", docURL(RoutePutSecret))
		return
	}
	plain, ok := box.OpenAnonymous(nil, sealed, rp.pub, rp.priv)
	if !ok {
		a.errorJSON(http.StatusUnprocessableEntity, "Invalid request.\n\nencrypted_value could not be decrypted with the repository's key.", docURL(RoutePutSecret))
		return
	}
	now := time.Now().UTC().Truncate(time.Second)
	key := strings.ToUpper(name)
	if sec, ok := rp.secrets[key]; ok {
		sec.Value = string(plain)
		sec.UpdatedAt = now
		sec.Writes++
		a.status = http.StatusNoContent
		return
	}
	rp.secrets[key] = &Secret{Name: key, Value: string(plain), CreatedAt: now, UpdatedAt: now, Writes: 1}
	a.json(http.StatusCreated, "{}")
}

var (
	commitSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)
	sarifRef  = regexp.MustCompile(`^refs/(heads|tags)/[^\s]+$|^refs/pull/[0-9]+/(merge|head)$`)
)

func (s *Server) uploadSARIF(a *answer, r *http.Request, body []byte) {
	var req struct {
		CommitSHA   string `json:"commit_sha"`
		Ref         string `json:"ref"`
		SARIF       string `json:"sarif"`
		ToolName    string `json:"tool_name"`
		CheckoutURI string `json:"checkout_uri"`
		StartedAt   string `json:"started_at"`
	}
	doc := docURL(RouteUploadSARIF)
	if json.Unmarshal(body, &req) != nil {
		a.errorJSON(http.StatusBadRequest, "Problems parsing JSON", doc)
		return
	}
	if !commitSHA.MatchString(req.CommitSHA) {
		a.errorJSON(http.StatusUnprocessableEntity, "Invalid request.\n\nInvalid commit_sha: it must be 40 hexadecimal characters.", doc)
		return
	}
	if !sarifRef.MatchString(req.Ref) {
		a.errorJSON(http.StatusUnprocessableEntity, "Invalid request.\n\nInvalid ref: it must be refs/heads/<branch>, refs/tags/<tag> or refs/pull/<number>/(merge|head).", doc)
		return
	}
	gz, err := base64.StdEncoding.DecodeString(req.SARIF)
	if err != nil || len(gz) == 0 {
		a.errorJSON(http.StatusBadRequest, "Invalid request.\n\nsarif is not base64.", doc)
		return
	}
	if len(gz) > MaxSARIFGzip {
		a.errorJSON(http.StatusRequestEntityTooLarge, "The SARIF file is too large: 10 MB of gzip at most.", doc)
		return
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		a.errorJSON(http.StatusBadRequest, "Invalid request.\n\nsarif is not gzip.", doc)
		return
	}
	doc1, err := io.ReadAll(io.LimitReader(zr, 256<<20))
	if err != nil {
		a.errorJSON(http.StatusBadRequest, "Invalid request.\n\nsarif is not valid gzip.", doc)
		return
	}
	var log struct {
		Version string            `json:"version"`
		Runs    []json.RawMessage `json:"runs"`
	}
	if err := json.Unmarshal(doc1, &log); err != nil || log.Version != "2.1.0" || log.Runs == nil {
		a.errorJSON(http.StatusBadRequest, "Invalid request.\n\nThe file is not SARIF 2.1.0 (version \"2.1.0\" and a runs array are required).", doc)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoForLocked(a, r)
	if rp == nil {
		return
	}
	u := &Upload{
		ID: newUUID(), Owner: rp.Owner, Repo: rp.Name,
		CommitSHA: req.CommitSHA, Ref: req.Ref, ToolName: req.ToolName,
		CheckoutURI: req.CheckoutURI, StartedAt: req.StartedAt,
		SARIF: doc1, GzipSize: len(gz), Status: "complete",
	}
	s.uploads = append(s.uploads, u)
	a.json(http.StatusAccepted, fmt.Sprintf(`{"id":%s,"url":%s}`, quote(u.ID),
		quote(s.base(r)+"/repos/"+rp.Owner+"/"+rp.Name+"/code-scanning/sarifs/"+u.ID)))
}

func (s *Server) getSARIF(a *answer, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoForLocked(a, r)
	if rp == nil {
		return
	}
	id := r.PathValue("id")
	for _, u := range s.uploads {
		if u.ID == id && u.Owner == rp.Owner && u.Repo == rp.Name {
			analyses := s.base(r) + "/repos/" + rp.Owner + "/" + rp.Name + "/code-scanning/analyses?sarif_id=" + u.ID
			if u.Status == "pending" {
				a.json(http.StatusOK, `{"processing_status":"pending","analyses_url":null}`)
				return
			}
			a.json(http.StatusOK, fmt.Sprintf(`{"processing_status":%s,"analyses_url":%s}`, quote(u.Status), quote(analyses)))
			return
		}
	}
	a.errorJSON(http.StatusNotFound, "Not Found", docURL(RouteGetSARIF))
}

// base is the API URL as the client reached it.
func (s *Server) base(r *http.Request) string {
	return "http://" + r.Host + s.prefix
}

func (s *Server) orgRepos(a *answer, r *http.Request, _ []byte) {
	q := r.URL.Query()
	perPage := 30
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		perPage = n
	}
	perPage = min(perPage, s.maxPerPage, 100)
	page := 1
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		page = n
	}
	typ := q.Get("type")
	if typ == "" {
		typ = "all"
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	org, ok := s.orgs[strings.ToLower(r.PathValue("org"))]
	if !ok {
		a.errorJSON(http.StatusNotFound, "Not Found", docURL(RouteOrgRepos))
		return
	}
	var all []*repo
	for _, rp := range s.repos {
		if !strings.EqualFold(rp.Owner, org) {
			continue
		}
		switch {
		case typ == "public" && rp.Private,
			typ == "private" && !rp.Private,
			typ == "forks" && !rp.Fork,
			typ == "sources" && rp.Fork:
			continue
		}
		all = append(all, rp)
	}
	last := max(1, (len(all)+perPage-1)/perPage)
	start := min((page-1)*perPage, len(all))
	end := min(start+perPage, len(all))

	var b strings.Builder
	b.WriteByte('[')
	for i, rp := range all[start:end] {
		if i > 0 {
			b.WriteByte(',')
		}
		writeRepo(&b, s.base(r), org, rp)
	}
	b.WriteByte(']')
	if link := linkHeader(s.base(r)+strings.TrimPrefix(r.URL.Path, s.prefix), q, page, last); link != "" {
		a.header.Set("Link", link)
	}
	a.json(http.StatusOK, b.String())
}

// writeRepo writes a repository as GitHub's "minimal repository" JSON,
// with the fields a client is likely to read.
func writeRepo(b *strings.Builder, base, org string, rp *repo) {
	visibility := "public"
	if rp.Private {
		visibility = "private"
	}
	fmt.Fprintf(b, `{"id":%d,"node_id":%s,"name":%s,"full_name":%s,"private":%t,`+
		`"owner":{"login":%s,"id":1,"type":"Organization"},"html_url":%s,"description":null,`+
		`"fork":%t,"url":%s,"archived":%t,"disabled":false,"visibility":%s,`+
		`"default_branch":%s,"created_at":%s,"pushed_at":%s,"size":1,"topics":[]}`,
		rp.id, quote(fmt.Sprintf("R_kgDO%08d", rp.id)), quote(rp.Name), quote(org+"/"+rp.Name), rp.Private,
		quote(org), quote("https://github.example/"+org+"/"+rp.Name),
		rp.Fork, quote(base+"/repos/"+org+"/"+rp.Name), rp.Archived, quote(visibility),
		quote(rp.DefaultBranch), quote(rp.created.Format(time.RFC3339)), quote(rp.created.Format(time.RFC3339)))
}

// linkHeader builds GitHub's Link header: next and last while there are
// more pages, prev and first after the first.
func linkHeader(base string, q url.Values, page, last int) string {
	at := func(p int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(p))
		return "<" + base + "?" + v.Encode() + ">"
	}
	var parts []string
	if page > 1 {
		parts = append(parts, at(min(page-1, last))+`; rel="prev"`)
	}
	if page < last {
		parts = append(parts, at(page+1)+`; rel="next"`, at(last)+`; rel="last"`)
	}
	if page > 1 {
		parts = append(parts, at(1)+`; rel="first"`)
	}
	return strings.Join(parts, ", ")
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomAlnum(n int) string {
	b := make([]byte, n)
	for i := range b {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(len(alnum))))
		if err != nil {
			panic(err)
		}
		b[i] = alnum[j.Int64()]
	}
	return string(b)
}
