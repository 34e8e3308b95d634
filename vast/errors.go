package vast

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Sentinel errors that callers branch on with errors.Is. An *Error matches
// the sentinels for what its answer means, which is not always what its
// status code says: Vast answers a bad caller key with 401, but also with
// 404 {"error": "auth_error", "msg": "Invalid user key"} on several
// endpoints, 404 "Session expired" for an expired 2FA session, and 403
// auth_error from its auth middleware (vast-api.md §9).
var (
	// ErrUnauthorized: the caller's key was not accepted: 401, or a 403/404
	// (or a 2xx success=false) whose body is an authentication failure
	// (error auth_error / invalid_token, "Invalid user key", "Session
	// expired", "requires login"). The key is unknown, deleted or reset.
	ErrUnauthorized = errors.New("vast: unauthorized")
	// ErrInvalidKey: an ErrUnauthorized answer that says the key itself is
	// unknown or dead: "Invalid user key" (what Vast sends for a deleted
	// key, vastai/cli/main.py), the code invalid_user_key, or an expired
	// session. A 401 that says only "Unauthorized" is not proof: Vast's
	// docs give 401 or 403 also for "a scoped key that lacks the required
	// permission" (api-reference/authentication.mdx), so a verifier must
	// not call such a key dead.
	ErrInvalidKey = errors.New("vast: the key is invalid")
	// ErrForbidden: 403 that is not an authentication failure. The key is
	// valid but lacks the scope, or the object belongs to another account.
	ErrForbidden = errors.New("vast: forbidden")
	// ErrTwoFactor: the key was recognised, but the endpoint wants a
	// two-factor session: a 401 or 403 whose message says "Two Factor
	// Authentication" (the Vast CLI's test for it, vastai/cli/main.py) or
	// "2FA". The key is live; the account has 2FA on, and this call needs
	// a session key from `vastai tfa login`. It matches neither
	// ErrUnauthorized nor ErrForbidden.
	ErrTwoFactor = errors.New("vast: a two-factor session is required")
	// ErrNotFound: a 404 with a JSON body that is not an authentication
	// failure: the API looked for the object and it is not there. For
	// DeleteKey it matches only the API's own "API Key not found." (see
	// ErrKeyGone); any other 404 from DeleteKey matches neither.
	ErrNotFound = errors.New("vast: not found")
	// ErrKeyGone: DeleteKey's 404 {"msg": "API Key not found."} on the key's
	// own path: the key is already deleted (or never was in this account).
	// It also matches ErrNotFound.
	ErrKeyGone = errors.New("vast: key already gone")
	// ErrNoEndpoint: a 404 (or 405, 410, 501) whose body is not the API's
	// JSON: a web page, plain text or nothing. The endpoint is not there:
	// a wrong API URL, a proxy, or a route the API dropped.
	ErrNoEndpoint = errors.New("vast: no such endpoint")
	// ErrRateLimited: 429, still answered after every retry in the budget.
	ErrRateLimited = errors.New("vast: rate limited")
	// ErrServer: any 5xx.
	ErrServer = errors.New("vast: server error")
	// ErrRefused: a 2xx answer whose body says {"success": false, ...}.
	// Nothing was done (as far as the answer says).
	ErrRefused = errors.New("vast: the API answered success=false")
	// ErrRedirect: a 3xx answer. Redirects are never followed (see
	// RedirectError).
	ErrRedirect = errors.New("vast: redirect refused")
)

// kind is what an *Error means, decided once from its status and body.
type kind int

const (
	kindOther kind = iota
	kindAuth
	kindForbidden
	kindNotFound
	kindGone
	kindNoEndpoint
	kindTwoFactor
)

// Error is returned for every answer outside 2xx, and for a 2xx whose body
// says success=false. Its fields never contain an API key: Message is the
// API's own message with anything key-shaped replaced by "[redacted]".
type Error struct {
	StatusCode int    // HTTP status (200 for a success=false answer)
	Method     string // HTTP method of the request
	Path       string // request path, e.g. /api/v0/auth/apikeys/ (never a query)
	Code       string // the API's "error" field, e.g. "invalid_permissions"; may be empty
	Message    string // the API's "msg", "message" or "detail", or a description of the body
	// Refused is true for a 2xx answer whose body said success=false.
	Refused bool
	// RetryAfter is how long the API asked the client to wait (a
	// Retry-After header or a JSON retry_after), 0 if it did not say.
	RetryAfter time.Duration
	// OverBudget is set when the client stopped retrying because the wait
	// the API asked for would have ended past the retry budget.
	OverBudget bool

	kind kind
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s", e.Method, e.Path, e.Brief())
	if e.Code != "" && !strings.Contains(e.Message, e.Code) {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.OverBudget {
		fmt.Fprintf(&b, "; the API asked to wait %s, past the retry budget", e.RetryAfter.Round(time.Second))
	}
	return b.String()
}

// Brief is the status and message alone, e.g. "401 Invalid user key", for
// messages that name the operation themselves. A success=false answer reads
// "200 success=false: <message>".
func (e *Error) Brief() string {
	msg := e.Message
	if e.Refused {
		if msg == "" {
			msg = "(no message)"
		}
		msg = "success=false: " + msg
	}
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", e.StatusCode, msg))
}

// Is reports whether e matches one of the package's sentinel errors.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.kind == kindAuth
	case ErrForbidden:
		return e.kind == kindForbidden
	case ErrNotFound:
		return e.kind == kindNotFound || e.kind == kindGone
	case ErrKeyGone:
		return e.kind == kindGone
	case ErrNoEndpoint:
		return e.kind == kindNoEndpoint
	case ErrTwoFactor:
		return e.kind == kindTwoFactor
	case ErrInvalidKey:
		return e.kind == kindAuth && (invalidKeyMessage.MatchString(e.Message) || strings.EqualFold(e.Code, "invalid_user_key"))
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	case ErrRefused:
		return e.Refused
	}
	return false
}

// authCodes are "error" values that mean the caller's credentials were not
// accepted, whatever the status ([DOC] show_invoices.yaml, show_charges.yaml,
// two-factor-authentication-endpoints.mdx).
var authCodes = map[string]bool{"auth_error": true, "invalid_token": true, "invalid_user_key": true, "unauthorized": true}

// authMessage matches messages that mean the same: a deleted or unknown key
// ("Invalid user key"), an expired 2FA session ("Session expired. Please log
// in again."), the middleware's "This action requires login.".
var authMessage = regexp.MustCompile(`(?i)invalid user key|session expired|requires login|please log in`)

// invalidKeyMessage matches messages that say the key itself is dead.
var invalidKeyMessage = regexp.MustCompile(`(?i)invalid user key|invalid api key|session expired|api key (is )?(invalid|deleted|revoked)`)

// twoFactorMessage matches the messages of an endpoint that wants a 2FA
// session: the CLI looks for "Two Factor Authentication" in a 401's msg.
var twoFactorMessage = regexp.MustCompile(`(?i)two[- ]factor authentication|\b2fa\b|\btfa session`)

// classify decides what an answer means. jsonBody is whether the body was a
// JSON object or string (the API's own voice) rather than a page or nothing.
func classify(status int, code, msg string, jsonBody bool) kind {
	auth := authCodes[strings.ToLower(code)] || authMessage.MatchString(msg)
	switch {
	case (status == http.StatusUnauthorized || status == http.StatusForbidden || (status >= 200 && status <= 299)) &&
		twoFactorMessage.MatchString(msg) && !strings.Contains(strings.ToLower(msg), "invalid user key") && !strings.Contains(strings.ToLower(msg), "session expired"):
		// A live key on an account with 2FA, at an endpoint that wants a
		// session: not a dead key (the CLI tells them apart by this text).
		return kindTwoFactor
	case status == http.StatusUnauthorized:
		return kindAuth
	case (status == http.StatusForbidden || status == http.StatusNotFound || (status >= 200 && status <= 299)) && auth:
		return kindAuth
	case status == http.StatusForbidden:
		return kindForbidden
	case status == http.StatusNotFound && jsonBody:
		return kindNotFound
	case status == http.StatusNotFound, status == http.StatusMethodNotAllowed, status == http.StatusGone, status == http.StatusNotImplemented:
		return kindNoEndpoint
	}
	return kindOther
}

// keyNotFound is DeleteKey's documented "gone" message, "API Key not found.".
var keyNotFound = regexp.MustCompile(`(?i)^\s*api key not found\.?\s*$`)

// RedirectError is a 3xx answer. The client never follows a redirect: Go
// would re-send a redirected POST or DELETE as a GET (so a "delete" would
// answer 200 and delete nothing), and would follow a redirect from https to
// http carrying the key in clear.
type RedirectError struct {
	StatusCode int
	Method     string
	Path       string
	// Location is where the answer pointed: scheme, host and path, with
	// anything key-shaped redacted and no query; "" if the answer had none.
	Location string
}

func (e *RedirectError) Error() string {
	where := "nowhere (no Location header)"
	if e.Location != "" {
		where = e.Location
		if strings.HasPrefix(e.Location, "http://") {
			where += " (plain http)"
		}
	}
	return fmt.Sprintf("%s %s: the API answered %d %s redirecting to %s; not followed, so the key was not sent there: check the API URL",
		e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode), where)
}

// Is makes a RedirectError match ErrRedirect.
func (e *RedirectError) Is(target error) bool { return target == ErrRedirect }

// CreateUncertainError is returned by CreateKey when the create may have
// made a key that the client could not find and delete: an answer lost to a
// timeout or a dropped connection, a 5xx, a 400 or success=false that the
// server may have answered after making the key, or a create still running
// at the API when the caller gave up. Such a key's secret is unknown, so it
// can never be used: find it by Name and delete it, for long enough to cover
// the API's delay (SettleName until Since.Add(SettleWindow)), and say so
// loudly if that cannot be proven.
type CreateUncertainError struct {
	Name string
	// Since is when the last attempt whose outcome is unknown was sent; a
	// key from it may appear in the key list up to SettleWindow later.
	Since time.Time
	Err   error // why the outcome is unknown, joined with why it could not be settled
}

func (e *CreateUncertainError) Error() string {
	// Err joins two errors; keep the message on one line.
	why := strings.ReplaceAll(e.Err.Error(), "\n", "; ")
	return fmt.Sprintf("create key %q: the outcome is unknown and a key with that name may exist (delete it if so): %s", e.Name, why)
}

func (e *CreateUncertainError) Unwrap() error { return e.Err }

// UnsettledError is returned by SettleName when it could not prove that no
// key named Name is left: the key list could not be read or carries no
// names, a key of that name could not be deleted, or the context ended
// before the end of the window. Looks is how many times the list was read.
type UnsettledError struct {
	Name  string
	Looks int
	Err   error
}

func (e *UnsettledError) Error() string {
	why := strings.ReplaceAll(e.Err.Error(), "\n", "; ")
	return fmt.Sprintf("a key named %q may still exist, and could not be proven absent after %d look(s) at the key list: %s", e.Name, e.Looks, why)
}

func (e *UnsettledError) Unwrap() error { return e.Err }

// hexRun matches runs of 32 or more hex characters: Vast keys are 64 hex
// characters, and no API message needs such a run to be understood.
var hexRun = regexp.MustCompile(`[0-9a-fA-F]{32,}`)

// Redact replaces every occurrence of each secret, and every run of 32 or
// more hex characters, with "[redacted]". It is applied to everything this
// package copies from a response into an error.
func Redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return hexRun.ReplaceAllString(s, "[redacted]")
}
