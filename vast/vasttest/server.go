// Package vasttest is an in-process fake of the Vast.ai API-key endpoints
// and the audit log, written from vast-api.md and Vast's public sources
// (vast-ai/vast-cli, vast-ai/docs) and independent of package vast: it
// must not import it, so a wrong JSON tag in the client cannot hide behind
// shared types.
//
// It keeps accounts and keys in memory and answers like the real service:
// real paths with their trailing slashes, JSON bodies and error envelopes,
// scopes enforced per route (user_read to list keys and show the user,
// user_write to create, delete and reset, misc for the audit log), soft
// delete (a deleted key then gets 401 "Invalid user key", a second delete
// 404 "API Key not found."), keys minted as 64 lowercase hex, and the
// api_key query parameter still accepted (tests assert clients never use
// it). Every call it serves for a live key is recorded in the account's
// audit log, as GET /api/v0/audit_logs/ returns it (vastai/api/auth.py,
// vastai/cli/display.py: ip_address, api_key_id, created_at, api_route,
// args).
//
// Options switch on each documented variant of the answers: a dead caller
// key answered 404 or 403 auth_error (WithDeadKeyAnswer), 301 on
// non-canonical paths (WithSlashRedirects), the key in api_key
// (WithCreateKeyField), a permissions echo of false, none, expanded or
// broadened (WithPermissionsEcho), other delete bodies (WithDeleteAnswer),
// a live key whose endpoint wants a 2FA session (WithTwoFactor), a live
// key lacking a permission answered 401 (WithMissingScopeAnswer), a paged
// key list (WithPagedList), created_at as Python writes it (WithListTimes),
// and rate limits with the real per-endpoint thresholds on the fake's clock,
// answered as plain text, {"detail"}, {success, error, msg} or the staff
// drafts' JSON with Retry-After (WithRateLimits, WithRateLimitStyle,
// WithRateLimitPenalty).
//
// Faults are injected per request: a status and body (with headers, such as
// a Location or a Retry-After), latency, a malformed body, a dropped
// connection, before or after the real handler ran (the latter models "the
// key was created but the answer was lost", or "created but answered
// 400"), and a create the server keeps working on after the client gave up
// (Linger, Wait). Presets build the documented ones (CreatedButAnswered,
// SuccessFalse, RedirectTo, CreateAnsweredLate). Every request is logged
// for assertions.
//
// The Server is an http.Handler; NewServer starts it on a loopback port for
// tests, and Start does the same for programs such as `vastguard demo`.
package vasttest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Categories are the eleven public permission categories (vast-api.md §3)
// plus the two the route table also knows.
var Categories = []string{
	"instance_read", "instance_write", "user_read", "user_write",
	"billing_read", "billing_write", "machine_read", "machine_write",
	"misc", "team_read", "team_write", "agents_read", "agents_write",
}

// Route thresholds from the OpenAPI x-rate-limit values: the minimum
// interval between two calls to one endpoint by one identity.
var thresholds = map[string]time.Duration{
	"create": 2 * time.Second,
	"delete": 2 * time.Second,
	"list":   1 * time.Second,
	"show":   1 * time.Second,
	"reset":  3 * time.Second,
	"user":   1 * time.Second, // undocumented; the smallest documented threshold
	"audit":  1 * time.Second, // undocumented; likewise
}

// TB is the part of testing.TB the fake needs; *testing.T satisfies it.
// (Taking an interface keeps package testing out of binaries that embed the
// fake for a demo.)
type TB interface {
	Helper()
	Cleanup(func())
}

// Key is a key as the fake holds it.
type Key struct {
	ID          int64
	UserID      int64
	Name        string
	Value       string // the secret; tests use it to assert nothing leaks
	Permissions string // JSON object as stored; "" for a full-access key
	CreatedAt   time.Time
	Deleted     bool
}

// Scopes returns the categories the key holds.
func (k Key) Scopes() []string {
	if k.Permissions == "" {
		return slices.Clone(Categories)
	}
	return scopesOf(k.Permissions)
}

// Request is one logged request.
type Request struct {
	Method string
	Path   string
	Query  string // raw query; clients should send none
	Token  string // the bearer token sent, "" if none
	KeyID  int64  // the key the token resolved to, 0 if none
	Body   string
	Status int    // status answered; 0 if the connection was dropped
	Fault  string // which injected fault applied, if any
}

// Fault is an injected misbehaviour. Zero fields match anything.
type Fault struct {
	Method string // "GET", "POST", ...; "" matches any
	Route  string // "list", "create", "show", "delete", "reset", "user"; "" matches any
	Skip   int    // let this many matching requests through first
	Times  int    // how many matching requests to affect; 0 means 1, -1 means all

	// What happens. After means the real handler runs first and its effect
	// (a created or deleted key) stands, and only the answer is replaced.
	Status      int           // answer with this status (and Body); 0 keeps the real answer
	Body        string        // body for Status; default: a JSON error envelope
	ContentType string        // default: guessed from Body
	EmptyBody   bool          // answer Status with no body at all
	Delay       time.Duration // wait before handling
	// Hold waits this long after the real handler ran (its effect, such as
	// a created key, already stands) and before answering or dropping, so a
	// test can act in the window between the effect and the answer. It ends
	// early if the client goes away.
	Hold  time.Duration
	Drop  bool // close the connection without an answer
	After bool
	Name  string // shown in the request log

	// Header is added to the injected answer (Status), e.g. a Location for
	// a 3xx or a Retry-After for a 429.
	Header http.Header
	// Linger: the server keeps working after the client went away, as a
	// WSGI server does: Delay (and Wait) run to the end even if the client
	// disconnects, and the real handler then runs (its effect stands,
	// its answer goes nowhere). Without Linger a client that leaves during
	// Delay leaves nothing done.
	Linger bool
	// Wait blocks the request, after Delay, until the channel is closed
	// (or the server is closed): a test decides when a lingering create
	// takes effect.
	Wait <-chan struct{}
}

// Server is a running or startable fake. Use New or NewServer.
type Server struct {
	// URL is the base URL (http://127.0.0.1:port) once started.
	URL string

	mu          sync.Mutex
	keys        map[int64]*Key
	byValue     map[string]*Key
	users       map[int64]string // user id -> email
	nextKey     int64
	nextUser    int64
	faults      []*faultState
	log         []Request
	now         func() time.Time
	rateLimit   bool
	lastCall    map[string]time.Time // route+identity -> time
	listDeleted bool
	resetShape  string
	limitStyle  string
	penalty     bool
	deadAnswer  DeadKeyAnswer
	scopeAnswer DeadKeyAnswer
	slashRedir  bool
	keyField    string
	echo        string
	deleteShape string
	noAudit     bool
	auditTimes  string
	listTimes   string
	pageSize    int
	twoFactor   map[string]bool
	audit       map[int64][]AuditEntry // user id -> entries, oldest first
	closed      chan struct{}
	closeOnce   sync.Once
	holding     atomic.Int32
	srv         *httptest.Server
}

type faultState struct {
	Fault
	seen, used int
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock used for creation times and rate limits.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithRateLimits enforces the documented minimum interval per endpoint and
// identity (create 2s, delete 2s, list 1s, show 1s, reset 3s; users/current
// and the audit log, undocumented, 1s) on the fake's clock. A call inside
// the window is answered 429 in the style WithRateLimitStyle picks
// (default {"detail": "API requests too frequent endpoint threshold=2.0"},
// no Retry-After header, as the OpenAPI files show).
func WithRateLimits() Option { return func(s *Server) { s.rateLimit = true } }

// Rate-limit answer styles for WithRateLimitStyle.
const (
	// LimitDetail: {"detail": "API requests too frequent endpoint threshold=2.0"} (the OpenAPI files).
	LimitDetail = "detail"
	// LimitText: plain text "API requests too frequent: endpoint threshold=2.0" (rate-limits-and-errors.mdx).
	LimitText = "text"
	// LimitEnvelope: {"success": false, "error": "rate_limited", "msg": "API requests too frequent"},
	// the "JSON with success/error/msg" the docs mention, with no threshold.
	LimitEnvelope = "envelope"
	// LimitRetryAfter: the staff drafts' token-bucket answer (vast-ai/docs
	// #68): {"error": "HTTPTooManyRequests", "msg": "API requests too
	// frequent", "retry_after": N, "limit": 1, "remaining": 0} with
	// Retry-After: N (whole seconds left in the window, rounded up) and
	// X-RateLimit-* headers.
	LimitRetryAfter = "retry-after"
	// LimitRetryAfterDate: as LimitRetryAfter, with Retry-After as an HTTP date.
	LimitRetryAfterDate = "retry-after-date"
)

// WithRateLimitStyle picks how a rate-limited call is answered (LimitDetail,
// LimitText, LimitEnvelope, LimitRetryAfter, LimitRetryAfterDate); it
// implies WithRateLimits.
func WithRateLimitStyle(style string) Option {
	return func(s *Server) { s.rateLimit, s.limitStyle = true, style }
}

// WithPlainText429 is WithRateLimitStyle(LimitText).
func WithPlainText429() Option { return WithRateLimitStyle(LimitText) }

// WithRateLimitPenalty makes a call refused with 429 restart its window
// (the drafts' penalty tokens): a client that comes back inside the window
// is refused again for a full window.
func WithRateLimitPenalty() Option { return func(s *Server) { s.rateLimit, s.penalty = true, true } }

// DeadKeyAnswer is how the API answers a caller key that is unknown,
// deleted or reset.
type DeadKeyAnswer struct {
	Status int
	Body   string
}

// Documented answers for a dead caller key (vast-api.md §9).
var (
	// Dead401: 401 {"success": false, "error": "invalid_user_key", "msg": "Invalid user key"} (the CLI's comment).
	Dead401 = DeadKeyAnswer{401, `{"success": false, "error": "invalid_user_key", "msg": "Invalid user key"}`}
	// Dead404: 404 {"success": false, "error": "auth_error", "msg": "Invalid user key"} (show_invoices.yaml and others).
	Dead404 = DeadKeyAnswer{404, `{"success": false, "error": "auth_error", "msg": "Invalid user key"}`}
	// Dead403: 403 {"success": false, "error": "auth_error", "msg": "This action requires login."} (the auth middleware).
	Dead403 = DeadKeyAnswer{403, `{"success": false, "error": "auth_error", "msg": "This action requires login."}`}
	// DeadSession404: 404 "Session expired. Please log in again." (an expired 2FA session, per the CLI).
	DeadSession404 = DeadKeyAnswer{404, `{"success": false, "msg": "Session expired. Please log in again."}`}
)

// WithDeadKeyAnswer sets how a dead caller key is answered on every route
// (default Dead401). Dead404 models a management key revoked mid-job on an
// API that answers the way several documented endpoints do.
func WithDeadKeyAnswer(a DeadKeyAnswer) Option { return func(s *Server) { s.deadAnswer = a } }

// Scope401 answers a live key that lacks the route's permission 401 with
// the OpenAPI files' Error example: Vast's docs say a 401 or a 403 may mean
// "a scoped key that lacks the required permission"
// (api-reference/authentication.mdx), so a 401 is no proof of a dead key.
var Scope401 = DeadKeyAnswer{401, `{"success": false, "error": "unauthorized", "msg": "Authentication required"}`}

// WithMissingScopeAnswer sets how a live key lacking the route's
// permission is answered (default 403 {"success": false, "error":
// "forbidden", "msg": "API key lacks the ... permission ..."}).
func WithMissingScopeAnswer(a DeadKeyAnswer) Option { return func(s *Server) { s.scopeAnswer = a } }

// WithSlashRedirects answers a known path without its trailing slash (or
// with a doubled slash) with 301 to the canonical path, as the real API
// redirects non-canonical paths; without it the fake serves
// /api/v0/users/current as the CLI calls it.
func WithSlashRedirects() Option { return func(s *Server) { s.slashRedir = true } }

// WithCreateKeyField names the field create's answer carries the key in:
// "key" (the OpenAPI, default) or "api_key" (the SDK docs).
func WithCreateKeyField(name string) Option { return func(s *Server) { s.keyField = name } }

// Permissions echoes of create's answer, for WithPermissionsEcho.
const (
	// EchoObject: the permissions stored, as an object (default).
	EchoObject = "object"
	// EchoFalse: "permissions": false, even for a scoped key (the 2025-07 doc tests).
	EchoFalse = "false"
	// EchoOmitted: no permissions field.
	EchoOmitted = "omitted"
	// EchoExpanded: each category asked for whole ({}) listed as its
	// operations, without constraints: the same grant, spelled out; the
	// answer also carries "key_params": null.
	EchoExpanded = "expanded"
	// EchoGrantFull: the server ignores the request's permissions, makes a
	// full-access key and echoes every category: a broader key than asked.
	EchoGrantFull = "grant-full"
)

// WithPermissionsEcho picks create's permissions echo (EchoObject,
// EchoFalse, EchoOmitted, EchoExpanded, EchoGrantFull).
func WithPermissionsEcho(mode string) Option { return func(s *Server) { s.echo = mode } }

// Delete answers for WithDeleteAnswer.
const (
	// DeleteString: the JSON string "Successfully Deleted API Key" (the OpenAPI, default).
	DeleteString = "string"
	// DeleteSuccessTrue: {"success": true} (a CLI test mock).
	DeleteSuccessTrue = "success-true"
	// DeleteEmpty: 200 with no body.
	DeleteEmpty = "empty"
)

// WithDeleteAnswer picks the body of a successful delete.
func WithDeleteAnswer(shape string) Option { return func(s *Server) { s.deleteShape = shape } }

// WithoutAuditLog makes /api/v0/audit_logs/ an unknown route (an HTML 404),
// as an API without the endpoint would answer.
func WithoutAuditLog() Option { return func(s *Server) { s.noAudit = true } }

// WithAuditTimes picks how the audit log writes created_at: "epoch" (a
// float of seconds, as the key list does; default) or "iso"
// ("2006-01-02T15:04:05.000000", as the CLI's test mock suggests).
func WithAuditTimes(format string) Option { return func(s *Server) { s.auditTimes = format } }

// WithListTimes picks how the key list writes created_at: "epoch" (a float
// of seconds, default), "iso" ("2006-01-02T15:04:05.000000+00:00",
// Python's isoformat()) or "python" ("2006-01-02 15:04:05.000000+00:00",
// Python's str() of a datetime, as a backend that formats it by hand
// would).
func WithListTimes(format string) Option { return func(s *Server) { s.listTimes = format } }

// WithPagedList answers the key list with its first n entries only, and
// "count" (all of them) and "next" (a page 2 link) beside them, as a
// paginated API would. The API documents no pages: a client must refuse
// such a list rather than take it for the whole.
func WithPagedList(n int) Option { return func(s *Server) { s.pageSize = n } }

// WithTwoFactor makes the given routes ("create", "delete", "list",
// "user", ...) answer a live caller 401 {"success": false, "msg": "This
// endpoint requires Two Factor Authentication. ..."}: an account with 2FA
// on whose endpoint wants a session key (vastai/cli/main.py tells this 401
// from a dead key by "Two Factor Authentication" in the message). The key
// is live; nothing is done.
func WithTwoFactor(routes ...string) Option {
	return func(s *Server) {
		if s.twoFactor == nil {
			s.twoFactor = map[string]bool{}
		}
		for _, r := range routes {
			s.twoFactor[r] = true
		}
	}
}

// TwoFactorBody is the body WithTwoFactor answers with.
const TwoFactorBody = `{"success": false, "msg": "This endpoint requires Two Factor Authentication. Log in with vastai tfa login and try again."}`

// WithDeletedInList makes the key list include soft-deleted keys with their
// deleted_at set, as the real list may.
func WithDeletedInList() Option { return func(s *Server) { s.listDeleted = true } }

// WithResetShape picks the reset answer: "cli" (default) is
// {"success": true, "new_api_key": ...}; "old-doc" is {"sent": true, "key": ...}.
func WithResetShape(shape string) Option { return func(s *Server) { s.resetShape = shape } }

// New returns a fake that is not listening yet; it is an http.Handler.
func New(opts ...Option) *Server {
	s := &Server{
		keys:     map[int64]*Key{},
		byValue:  map[string]*Key{},
		users:    map[int64]string{},
		nextKey:  1000,
		nextUser: 100,
		now:      time.Now,
		lastCall: map[string]time.Time{},
		audit:    map[int64][]AuditEntry{},
		closed:   make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
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

// Start listens on a loopback port and sets URL.
func (s *Server) Start() {
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL
}

// Holding is the number of requests a fault's Delay or Wait is holding
// right now, so a test can act while one is in flight.
func (s *Server) Holding() int { return int(s.holding.Load()) }

// Close stops the listener, if any. Requests still held by a Linger or
// Wait fault end without their effect.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
	if s.srv != nil {
		s.srv.Close()
	}
}

// Client returns an HTTP client for the started server.
func (s *Server) Client() *http.Client {
	if s.srv != nil {
		return s.srv.Client()
	}
	return http.DefaultClient
}

// AddAccount creates an account with one full-access key (the kind the Vast
// console makes by default) and returns the user id and that key's value.
func (s *Server) AddAccount(email string) (userID int64, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUser++
	s.users[s.nextUser] = email
	k := s.addKeyLocked(s.nextUser, "default", "")
	return s.nextUser, k.Value
}

// AddKey seeds a key for an account. permissions is a JSON object such as
// {"api":{"user_read":{}}}; "" makes a full-access key.
func (s *Server) AddKey(userID int64, name, permissions string) (id int64, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.addKeyLocked(userID, name, permissions)
	return k.ID, k.Value
}

// SetCreatedAt backdates a key, for audits of old keys.
func (s *Server) SetCreatedAt(id int64, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[id]; ok {
		k.CreatedAt = t
	}
}

// Revoke soft-deletes a key out of band, as the console would: a
// management key revoked mid-job. It reports whether the key was live.
func (s *Server) Revoke(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	if !ok || k.Deleted {
		return false
	}
	k.Deleted = true
	return true
}

// KeyByValue returns the key whose secret is value, deleted or not.
func (s *Server) KeyByValue(value string) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.byValue[value]
	if !ok {
		return Key{}, false
	}
	return *k, true
}

func (s *Server) addKeyLocked(userID int64, name, perms string) *Key {
	s.nextKey++
	k := &Key{ID: s.nextKey, UserID: userID, Name: name, Value: newKeyValue(), Permissions: perms, CreatedAt: s.now().UTC()}
	s.keys[k.ID] = k
	s.byValue[k.Value] = k
	return k
}

// NewKeyValue returns a fresh key-shaped value: 64 lowercase hex characters
// from crypto/rand. Tests use it for keys that must not exist on the server.
func NewKeyValue() string { return newKeyValue() }

func newKeyValue() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// Keys returns every key the fake holds, deleted ones included, by id.
func (s *Server) Keys() []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Key, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, *k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// LiveKeys returns the keys not deleted, by id.
func (s *Server) LiveKeys() []Key {
	var out []Key
	for _, k := range s.Keys() {
		if !k.Deleted {
			out = append(out, k)
		}
	}
	return out
}

// Key returns the key with id, deleted or not.
func (s *Server) Key(id int64) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	if !ok {
		return Key{}, false
	}
	return *k, true
}

// Requests returns the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// ResetLog empties the request log.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// Inject adds a fault; faults are checked in the order added.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// FailNext makes the next n requests to route answer status with the
// API's usual body for it.
func (s *Server) FailNext(route string, status, n int) {
	s.Inject(Fault{Route: route, Status: status, Times: n})
}

var (
	reKeyPath = regexp.MustCompile(`^/api/v0/auth/apikeys/([^/]+)/$`)
)

// route names the endpoint of a request, or "" for an unknown path.
func route(method, path string) string {
	switch {
	case path == "/api/v0/auth/apikeys/" && method == http.MethodGet:
		return "list"
	case path == "/api/v0/auth/apikeys/" && method == http.MethodPost:
		return "create"
	case reKeyPath.MatchString(path) && method == http.MethodGet:
		return "show"
	case reKeyPath.MatchString(path) && method == http.MethodDelete:
		return "delete"
	case path == "/api/v0/commands/reset_apikey/" && method == http.MethodPut:
		return "reset"
	case (path == "/api/v0/users/current/" || path == "/api/v0/users/current") && method == http.MethodGet:
		return "user"
	case path == "/api/v0/audit_logs/" && method == http.MethodGet:
		return "audit"
	}
	return ""
}

// canonical returns the canonical form of a non-canonical path to a known
// route (no trailing slash, doubled slashes), or "" if path is canonical or
// unknown.
func canonical(method, path string) string {
	c := path
	for strings.Contains(c, "//") {
		c = strings.ReplaceAll(c, "//", "/")
	}
	if !strings.HasSuffix(c, "/") {
		c += "/"
	}
	if c == path || route(method, c) == "" {
		return ""
	}
	return c
}

// scope is the category each route needs ([SCOPE] route table).
var scope = map[string]string{
	"list": "user_read", "show": "user_read", "user": "user_read",
	"create": "user_write", "delete": "user_write", "reset": "user_write",
	"audit": "misc",
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	token := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		token = strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
	}
	if token == "" {
		token = r.URL.Query().Get("api_key") // still accepted by the real API
	}
	rt := route(r.Method, r.URL.Path)
	if s.slashRedir && canonical(r.Method, r.URL.Path) != "" {
		rt = "redirect"
	}
	entry := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Token: token, Body: string(body)}

	s.mu.Lock()
	if k := s.byValue[token]; k != nil {
		entry.KeyID = k.ID
	}
	f := s.matchFaultLocked(r.Method, rt)
	s.mu.Unlock()

	rec := &recorder{header: http.Header{}}
	if f != nil {
		entry.Fault = f.Name
		if entry.Fault == "" {
			entry.Fault = describe(f.Fault)
		}
		if !s.wait(r, f.Fault) {
			s.logEntry(entry)
			return
		}
		// The real handler runs first with After, or when the fault changes
		// nothing but timing (a Hold with no Status and no Drop, or a
		// lingering delay).
		handled := f.After || (f.Status == 0 && !f.Drop)
		if handled {
			s.handle(rec, r, rt, token, body)
		}
		if f.Hold > 0 && handled {
			select {
			case <-time.After(f.Hold):
			case <-r.Context().Done():
			case <-s.closed:
			}
		}
		if f.Drop {
			s.logEntry(entry)
			drop(w)
			return
		}
		if f.Status != 0 {
			rec = &recorder{header: http.Header{}}
			faultAnswer(rec, f.Fault, rt)
		}
	} else {
		s.handle(rec, r, rt, token, body)
	}
	entry.Status = rec.status
	s.logEntry(entry)
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	w.Write(rec.body.Bytes())
}

// wait applies a fault's Delay and Wait. It reports whether to go on: a
// client that leaves stops the request, unless the fault lingers (the
// server keeps working); closing the server stops it either way.
func (s *Server) wait(r *http.Request, f Fault) bool {
	s.holding.Add(1)
	defer s.holding.Add(-1)
	gone := r.Context().Done()
	if f.Linger {
		gone = nil
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-gone:
			return false
		case <-s.closed:
			return false
		}
	}
	if f.Wait != nil {
		select {
		case <-f.Wait:
		case <-gone:
			return false
		case <-s.closed:
			return false
		}
	}
	return true
}

func describe(f Fault) string {
	switch {
	case f.Drop:
		return "drop"
	case f.Status != 0:
		return strconv.Itoa(f.Status)
	case f.Delay > 0:
		return "delay " + f.Delay.String()
	case f.Hold > 0:
		return "hold " + f.Hold.String()
	case f.Wait != nil:
		return "wait"
	}
	return "fault"
}

func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (s *Server) logEntry(e Request) {
	s.mu.Lock()
	s.log = append(s.log, e)
	s.mu.Unlock()
}

func (s *Server) matchFaultLocked(method, rt string) *faultState {
	for _, f := range s.faults {
		if f.Method != "" && f.Method != method {
			continue
		}
		if f.Route != "" && f.Route != rt {
			continue
		}
		f.seen++
		if f.seen <= f.Skip {
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

// faultAnswer writes an injected status with a realistic body: the API's
// documented one for the route where there is one.
func faultAnswer(w *recorder, f Fault, rt string) {
	for k, v := range f.Header {
		w.header[k] = v
	}
	ct := f.ContentType
	body := f.Body
	if f.EmptyBody {
		w.status = f.Status
		return
	}
	if body == "" {
		switch {
		case f.Status == http.StatusTooManyRequests:
			body = fmt.Sprintf(`{"detail": "API requests too frequent endpoint threshold=%.1f"}`, thresholds[rt].Seconds())
		case f.Status >= 500:
			body = `{"success": false, "error": "server_error", "msg": "Internal server error"}`
		case f.Status == http.StatusNotFound && (rt == "delete" || rt == "show"):
			body = `{"msg": "API Key not found."}`
		case f.Status >= 300 && f.Status <= 399:
			body = ""
		default:
			body = fmt.Sprintf(`{"success": false, "error": "fault", "msg": "%s"}`, http.StatusText(f.Status))
		}
	}
	if ct == "" {
		ct = "application/json"
		if strings.HasPrefix(strings.TrimSpace(body), "<") {
			ct = "text/html; charset=utf-8"
		} else if !strings.HasPrefix(strings.TrimSpace(body), "{") && !strings.HasPrefix(strings.TrimSpace(body), "[") && !strings.HasPrefix(strings.TrimSpace(body), `"`) {
			ct = "text/plain; charset=utf-8"
		}
	}
	w.header.Set("Content-Type", ct)
	w.status = f.Status
	w.body.WriteString(body)
}

// recorder buffers an answer so faults can replace it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) json(status int, v any) {
	r.header.Set("Content-Type", "application/json")
	r.status = status
	b, _ := json.Marshal(v)
	r.body.Write(b)
}

func (r *recorder) raw(status int, contentType, body string) {
	r.header.Set("Content-Type", contentType)
	r.status = status
	r.body.WriteString(body)
}

func errBody(code, msg string) map[string]any {
	return map[string]any{"success": false, "error": code, "msg": msg}
}

func notFoundPage(w *recorder) {
	w.raw(http.StatusNotFound, "text/html; charset=utf-8", "<!doctype html>\n<html><head><title>Not Found</title></head><body><h1>Not Found</h1><p>The requested resource was not found on this server.</p></body></html>")
}

func (s *Server) handle(w *recorder, r *http.Request, rt, token string, body []byte) {
	if rt == "redirect" {
		u := url.URL{Scheme: "http", Host: r.Host, Path: canonical(r.Method, r.URL.Path), RawQuery: r.URL.RawQuery}
		if r.TLS != nil {
			u.Scheme = "https"
		}
		w.header.Set("Location", u.String())
		w.raw(http.StatusMovedPermanently, "text/html; charset=utf-8", "<html><head><title>301 Moved Permanently</title></head><body>Moved</body></html>")
		return
	}
	if rt == "" || (rt == "audit" && s.noAudit) {
		notFoundPage(w)
		return
	}
	if token == "" {
		w.json(http.StatusBadRequest, map[string]any{"msg": "API Key not provided as bearer token."})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	caller := s.byValue[token]
	if caller == nil || caller.Deleted {
		a := s.deadAnswer
		if a.Status == 0 {
			a = Dead401
		}
		w.raw(a.Status, "application/json", a.Body)
		return
	}
	if s.rateLimit && s.limitedLocked(w, rt, token) {
		return
	}
	if s.twoFactor[rt] {
		w.raw(http.StatusUnauthorized, "application/json", TwoFactorBody)
		return
	}
	if !slices.Contains(caller.Scopes(), scope[rt]) {
		if s.scopeAnswer.Status != 0 {
			w.raw(s.scopeAnswer.Status, "application/json", s.scopeAnswer.Body)
			return
		}
		w.json(http.StatusForbidden, errBody("forbidden", fmt.Sprintf("API key lacks the %s permission required for this endpoint.", scope[rt])))
		return
	}
	s.recordLocked(r, caller, body)
	switch rt {
	case "list":
		s.list(w, caller)
	case "create":
		s.create(w, caller, body)
	case "show":
		s.show(w, caller, reKeyPath.FindStringSubmatch(r.URL.Path)[1])
	case "delete":
		s.delete(w, caller, reKeyPath.FindStringSubmatch(r.URL.Path)[1])
	case "reset":
		s.reset(w, caller, body)
	case "user":
		s.user(w, caller)
	case "audit":
		s.auditLog(w, caller)
	}
}

// limitedLocked enforces the minimum interval of rt for token and writes
// the 429 if the call is inside it.
func (s *Server) limitedLocked(w *recorder, rt, token string) bool {
	id := rt + "|" + token
	now := s.now()
	window := thresholds[rt]
	last, ok := s.lastCall[id]
	if !ok || now.Sub(last) >= window {
		s.lastCall[id] = now
		return false
	}
	left := window - now.Sub(last)
	if s.penalty {
		s.lastCall[id] = now
		left = window
	}
	w.status = http.StatusTooManyRequests
	secs := int((left + time.Second - 1) / time.Second)
	switch s.limitStyle {
	case LimitText:
		w.raw(429, "text/plain; charset=utf-8", fmt.Sprintf("API requests too frequent: endpoint threshold=%.1f", window.Seconds()))
	case LimitEnvelope:
		w.json(429, errBody("rate_limited", "API requests too frequent"))
	case LimitRetryAfter, LimitRetryAfterDate:
		if s.limitStyle == LimitRetryAfter {
			w.header.Set("Retry-After", strconv.Itoa(secs))
		} else {
			w.header.Set("Retry-After", now.Add(time.Duration(secs)*time.Second).UTC().Format(http.TimeFormat))
		}
		w.header.Set("X-RateLimit-Limit", "1")
		w.header.Set("X-RateLimit-Remaining", "0")
		w.header.Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(left).Unix(), 10))
		w.json(429, map[string]any{"error": "HTTPTooManyRequests", "msg": "API requests too frequent", "retry_after": secs, "limit": 1, "remaining": 0})
	default:
		w.json(429, map[string]any{"detail": fmt.Sprintf("API requests too frequent endpoint threshold=%.1f", window.Seconds())})
	}
	return true
}

func (s *Server) item(k *Key) map[string]any {
	it := map[string]any{
		"id":         k.ID,
		"user_id":    k.UserID,
		"name":       k.Name,
		"rights":     nil,
		"team_id":    nil,
		"team_name":  nil,
		"created_at": float64(k.CreatedAt.UnixNano()) / 1e9,
		"deleted_at": nil,
	}
	switch s.listTimes {
	case "iso":
		it["created_at"] = k.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000+00:00")
	case "python":
		it["created_at"] = k.CreatedAt.UTC().Format("2006-01-02 15:04:05.000000+00:00")
	}
	if k.Permissions == "" {
		it["permissions"] = false
	} else {
		it["permissions"] = json.RawMessage(k.Permissions)
	}
	if k.Deleted {
		it["deleted_at"] = float64(s.now().Unix())
	}
	return it
}

func (s *Server) list(w *recorder, caller *Key) {
	items := []map[string]any{}
	ids := make([]int64, 0, len(s.keys))
	for id := range s.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		k := s.keys[id]
		if k.UserID != caller.UserID || (k.Deleted && !s.listDeleted) {
			continue
		}
		items = append(items, s.item(k))
	}
	if s.pageSize > 0 && len(items) > s.pageSize {
		w.json(http.StatusOK, map[string]any{"apikeys": items[:s.pageSize], "count": len(items), "next": "/api/v0/auth/apikeys/?page=2"})
		return
	}
	w.json(http.StatusOK, map[string]any{"apikeys": items})
}

// operations spells out a category granted whole, for EchoExpanded: the
// operation names the docs show where there are some, else one per
// category. (The real list is not public; the client must only see that
// the grant is the same.)
var operations = map[string][]string{
	"instance_read":  {"api.instance.show", "api.instance.request_logs"},
	"instance_write": {"api.instance.destroy", "api.instance.reboot"},
	"team_read":      {"api.team.members"},
}

func expand(perms string) json.RawMessage {
	var top map[string]map[string]json.RawMessage
	if json.Unmarshal([]byte(perms), &top) != nil {
		return json.RawMessage(perms)
	}
	for c, v := range top["api"] {
		if strings.TrimSpace(string(v)) != "{}" {
			continue
		}
		ops := operations[c]
		if ops == nil {
			ops = []string{"api." + strings.TrimSuffix(strings.TrimSuffix(c, "_read"), "_write") + ".all"}
		}
		m := map[string]json.RawMessage{}
		for _, op := range ops {
			m[op] = json.RawMessage(`{}`)
		}
		b, _ := json.Marshal(m)
		top["api"][c] = b
	}
	b, _ := json.Marshal(top)
	return b
}

// fullPermissions is every public category, as an object.
func fullPermissions() string {
	m := map[string]json.RawMessage{}
	for _, c := range Categories[:11] {
		m[c] = json.RawMessage(`{}`)
	}
	b, _ := json.Marshal(map[string]any{"api": m})
	return string(b)
}

func (s *Server) create(w *recorder, caller *Key, body []byte) {
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		w.json(http.StatusBadRequest, errBody("invalid_args", "Invalid JSON body"))
		return
	}
	var name string
	if err := json.Unmarshal(req["name"], &name); err != nil || name == "" {
		w.json(http.StatusBadRequest, errBody("invalid_args", "name is required"))
		return
	}
	if len(name) > 255 {
		w.json(http.StatusBadRequest, errBody("invalid_args", "name must be at most 255 characters"))
		return
	}
	perms := ""
	if raw, ok := req["permissions"]; ok && string(bytes.TrimSpace(raw)) != "null" {
		canon, ok := validPermissions(raw)
		if !ok {
			w.json(http.StatusBadRequest, errBody("invalid_permissions", "Invalid permission format"))
			return
		}
		perms = canon
	}
	stored := perms
	if s.echo == EchoGrantFull {
		stored = fullPermissions()
	}
	k := s.addKeyLocked(caller.UserID, name, stored)
	field := s.keyField
	if field == "" {
		field = "key"
	}
	resp := map[string]any{"id": k.ID, field: k.Value}
	switch {
	case s.echo == EchoOmitted:
	case s.echo == EchoFalse || stored == "":
		resp["permissions"] = false
	case s.echo == EchoExpanded:
		resp["permissions"] = expand(stored)
		resp["key_params"] = nil
	default:
		resp["permissions"] = json.RawMessage(stored)
	}
	w.json(http.StatusOK, resp)
}

func (s *Server) show(w *recorder, caller *Key, idStr string) {
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil {
		w.json(http.StatusBadRequest, map[string]any{"msg": "API Key ID not provided."})
		return
	}
	k, ok := s.keys[id]
	if !ok || k.Deleted {
		w.json(http.StatusNotFound, map[string]any{"msg": "API Key not found."})
		return
	}
	if k.UserID != caller.UserID {
		w.json(http.StatusForbidden, map[string]any{"msg": "You do not have permission to access this key."})
		return
	}
	w.json(http.StatusOK, s.item(k))
}

func (s *Server) delete(w *recorder, caller *Key, idStr string) {
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil {
		w.json(http.StatusBadRequest, map[string]any{"msg": "API Key ID not provided."})
		return
	}
	k, ok := s.keys[id]
	if !ok || k.Deleted {
		w.json(http.StatusNotFound, map[string]any{"msg": "API Key not found."})
		return
	}
	if k.UserID != caller.UserID {
		w.json(http.StatusForbidden, map[string]any{"msg": "You do not have permission to delete this API Key."})
		return
	}
	k.Deleted = true
	switch s.deleteShape {
	case DeleteSuccessTrue:
		w.json(http.StatusOK, map[string]any{"success": true})
	case DeleteEmpty:
		w.status = http.StatusOK
	default:
		w.json(http.StatusOK, "Successfully Deleted API Key")
	}
}

func (s *Server) reset(w *recorder, caller *Key, body []byte) {
	var req struct {
		ClientID string `json:"client_id"`
	}
	if json.Unmarshal(body, &req) != nil || req.ClientID != "me" {
		w.json(http.StatusBadRequest, errBody("invalid_args", "client_id must be \"me\""))
		return
	}
	delete(s.byValue, caller.Value)
	caller.Value = newKeyValue()
	s.byValue[caller.Value] = caller
	if s.resetShape == "old-doc" {
		w.json(http.StatusOK, map[string]any{"sent": true, "key": caller.Value})
		return
	}
	w.json(http.StatusOK, map[string]any{"success": true, "new_api_key": caller.Value})
}

func (s *Server) user(w *recorder, caller *Key) {
	w.json(http.StatusOK, map[string]any{
		"id":                caller.UserID,
		"key_id":            caller.ID,
		"email":             s.users[caller.UserID],
		"username":          strings.SplitN(s.users[caller.UserID], "@", 2)[0],
		"balance":           12.5,
		"credit":            0,
		"ssh_key":           "",
		"sid":               "s-" + strconv.FormatInt(caller.UserID, 10),
		"api_key":           caller.Value, // the real API returns it; clients must drop it
		"email_verified":    true,
		"has_billing":       true,
		"balance_threshold": 0,
	})
}

// validPermissions checks the API's permission format: {"api": {<known
// category>: {...}}}, and returns it re-encoded.
func validPermissions(raw json.RawMessage) (string, bool) {
	var top map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return "", false
	}
	api, ok := top["api"]
	if !ok || len(top) != 1 {
		return "", false
	}
	for c, v := range api {
		if !slices.Contains(Categories, c) {
			return "", false
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(v, &obj) != nil || obj == nil {
			return "", false
		}
	}
	b, _ := json.Marshal(top)
	return string(b), true
}

func scopesOf(perms string) []string {
	var top map[string]map[string]json.RawMessage
	if json.Unmarshal([]byte(perms), &top) != nil {
		return nil
	}
	var out []string
	for c := range top["api"] {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
