package vast

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// Sentinel errors that callers branch on with errors.Is. An *Error matches
// the sentinel for its status code.
var (
	// ErrUnauthorized: 401. The key is unknown, deleted or reset.
	ErrUnauthorized = errors.New("vast: unauthorized")
	// ErrForbidden: 403. The key is valid but lacks the scope, or the
	// object belongs to another account.
	ErrForbidden = errors.New("vast: forbidden")
	// ErrNotFound: 404. For DeleteKey it means the key is already gone.
	ErrNotFound = errors.New("vast: not found")
	// ErrRateLimited: 429, still answered after every retry in the budget.
	ErrRateLimited = errors.New("vast: rate limited")
	// ErrServer: any 5xx.
	ErrServer = errors.New("vast: server error")
)

// Error is returned for every answer outside 2xx. Its fields never contain
// an API key: Message is the API's own message with anything key-shaped
// replaced by "[redacted]".
type Error struct {
	StatusCode int    // HTTP status
	Method     string // HTTP method of the request
	Path       string // request path, e.g. /api/v0/auth/apikeys/ (never a query)
	Code       string // the API's "error" field, e.g. "invalid_permissions"; may be empty
	Message    string // the API's "msg", "message" or "detail", or a description of the body
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.StatusCode)
	if e.Message != "" {
		b.WriteString(" ")
		b.WriteString(e.Message)
	} else if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" ")
		b.WriteString(t)
	}
	if e.Code != "" && !strings.Contains(e.Message, e.Code) {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	return b.String()
}

// Brief is the status and message alone, e.g. "401 Invalid user key", for
// messages that name the operation themselves.
func (e *Error) Brief() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", e.StatusCode, msg))
}

// Is reports whether e matches one of the package's sentinel errors.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	}
	return false
}

// CreateUncertainError is returned by CreateKey when a create may have
// succeeded on the server but its answer was lost, and the client could not
// make sure no key with that name was left behind (the key list could not be
// read, did not carry names, or the stray key could not be deleted). Name is
// the name to look for; the key's secret is unknown, so such a key is useless
// and should be deleted.
type CreateUncertainError struct {
	Name string
	Err  error // why the outcome is unknown, joined with why it could not be settled
}

func (e *CreateUncertainError) Error() string {
	// Err joins two errors; keep the message on one line.
	why := strings.ReplaceAll(e.Err.Error(), "\n", "; ")
	return fmt.Sprintf("create key %q: the outcome is unknown and a key with that name may exist (delete it if so): %s", e.Name, why)
}

func (e *CreateUncertainError) Unwrap() error { return e.Err }

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
