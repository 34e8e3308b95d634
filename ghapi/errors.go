package ghapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/go-github/v62/github"
)

// Sentinel errors that callers branch on with errors.Is. An *Error matches
// the ones its status calls for.
var (
	// ErrUnauthorized: 401. GitHub did not accept the token (mistyped,
	// expired or revoked).
	ErrUnauthorized = errors.New("github: unauthorized")
	// ErrForbidden: 403 that is not a rate limit. The token lacks a
	// permission (GitHub says "Resource not accessible by integration" to
	// an App or Actions token), or an organisation policy refuses it.
	ErrForbidden = errors.New("github: forbidden")
	// ErrNotFound: 404. The repository or organisation does not exist, or
	// the token cannot see it: GitHub does not tell the two apart.
	ErrNotFound = errors.New("github: not found")
	// ErrRateLimited: a primary rate limit (403 or 429 with
	// X-RateLimit-Remaining: 0), a secondary one (403 or 429 with
	// Retry-After, or GitHub's secondary-rate-limit message), or any 429.
	// Error.Reset says when to try again, when GitHub said.
	ErrRateLimited = errors.New("github: rate limited")
	// ErrBadResponse: GitHub answered 2xx, but not what the API documents
	// (a SARIF upload answered with another status than 202, a body that is
	// not the JSON expected, a public key that is not 32 bytes).
	ErrBadResponse = errors.New("github: unexpected response")
	// ErrTooLarge: a SARIF report over 10 MB once gzipped, or a secret
	// value over 48 KB. Nothing was sent.
	ErrTooLarge = errors.New("too large for GitHub")
)

// Error is returned for every answer from GitHub that the operation could
// not use. None of its fields holds the token or a secret value: Message is
// GitHub's "message" field, on one line, truncated, with anything shaped
// like a GitHub token redacted; nothing else of the response body is kept.
type Error struct {
	Op      string // what was attempted, e.g. "write secret VAST_API_KEY to octo/app"
	Status  int    // the HTTP status GitHub answered
	Message string // GitHub's message, or a description of what was wrong with a 2xx answer
	// Hint says what to change, when the status tells: which token or
	// permission an operation needs. It is part of Error().
	Hint string
	// RateLimited is set for GitHub's primary and secondary rate limits.
	RateLimited bool
	// Reset is when a rate limit ends, if GitHub said; zero otherwise.
	Reset time.Time
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.Status >= 200 && e.Status <= 299 {
		fmt.Fprintf(&b, "GitHub answered %d: %s", e.Status, e.Message)
	} else {
		b.WriteString(e.Brief())
	}
	if e.RateLimited {
		b.WriteString(" (rate limited")
		if !e.Reset.IsZero() {
			b.WriteString(" until " + e.Reset.UTC().Format("15:04:05 UTC"))
		}
		b.WriteString(")")
	}
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Brief is the status and GitHub's message alone, e.g. "403 Resource not
// accessible by integration", for messages that name the operation
// themselves.
func (e *Error) Brief() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return strings.TrimSpace(strconv.Itoa(e.Status) + " " + msg)
}

// Is reports whether e matches one of the package's sentinel errors.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden && !e.RateLimited
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrRateLimited:
		return e.RateLimited
	case ErrBadResponse:
		return e.Status >= 200 && e.Status <= 299
	}
	return false
}

// maxMessage is how many characters of GitHub's message an Error keeps.
const maxMessage = 200

// tokenShaped matches GitHub token formats (ghp_, gho_, ghu_, ghs_, ghr_,
// github_pat_), which no message needs to be understood.
var tokenShaped = regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})`)

// clean makes text from GitHub safe for an error: one line, at most n
// runes, every secret and anything token-shaped replaced by "[redacted]".
func clean(s string, n int, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	s = tokenShaped.ReplaceAllString(s, "[redacted]")
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}

// hints says what to fix for an operation, by status. A nil func gives
// none.
type hints func(status int) string

// wrap turns what go-github returned into this package's errors. op names
// the operation; secrets are values that must not appear in the result (the
// token is always among them).
func (c *Client) wrap(op string, err error, h hints, secrets ...string) error {
	if err == nil {
		return nil
	}
	secrets = append(secrets, c.token)
	var (
		rle *github.RateLimitError
		are *github.AbuseRateLimitError
		er  *github.ErrorResponse
		tfa *github.TwoFactorAuthError
		acc *github.AcceptedError
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
	)
	var e *Error
	var (
		na *noAnswer
		tl *tooLarge
	)
	switch {
	case errors.As(err, &na):
		return fmt.Errorf("%s: no answer from GitHub at %s in %s: %w", op, c.host(), na.after, ErrNoAnswer)
	case errors.As(err, &tl):
		e = &Error{Op: op, Status: http.StatusOK, Message: tl.Error()}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", op, err)
	case errors.As(err, &rle):
		e = &Error{Op: op, Status: statusOf(rle.Response, http.StatusForbidden), Message: rle.Message, RateLimited: true, Reset: rle.Rate.Reset.Time}
	case errors.As(err, &are):
		e = &Error{Op: op, Status: statusOf(are.Response, http.StatusForbidden), Message: are.Message, RateLimited: true}
		if are.RetryAfter != nil {
			e.Reset = time.Now().Add(*are.RetryAfter).Truncate(time.Second)
		}
	case errors.As(err, &tfa):
		e = &Error{Op: op, Status: http.StatusUnauthorized, Message: tfa.Message}
	case errors.As(err, &er):
		e = &Error{Op: op, Status: statusOf(er.Response, 0), Message: er.Message}
		if er.Response != nil {
			e.RateLimited, e.Reset = rateLimited(e.Status, e.Message, er.Response.Header)
		}
	case errors.As(err, &acc):
		e = &Error{Op: op, Status: http.StatusAccepted, Message: "202 Accepted: GitHub has not finished preparing the answer; try again shortly"}
	case errors.As(err, &se), errors.As(err, &ute):
		e = &Error{Op: op, Status: http.StatusOK, Message: "a body that is not the JSON the API documents"}
	default:
		msg := err.Error()
		if strings.Contains(msg, c.token) {
			msg = clean(msg, 400, secrets...)
			return fmt.Errorf("%s: cannot reach GitHub at %s: %s", op, c.host(), msg)
		}
		return fmt.Errorf("%s: cannot reach GitHub at %s: %w", op, c.host(), err)
	}
	e.Message = clean(e.Message, maxMessage, secrets...)
	if h != nil && !e.RateLimited {
		e.Hint = h(e.Status)
	}
	return e
}

func statusOf(r *http.Response, def int) int {
	if r == nil {
		return def
	}
	return r.StatusCode
}

// rateLimited tells a rate limit from another 403 or 429 that go-github did
// not classify: any 429; a 403 or 429 with X-RateLimit-Remaining: 0 or
// Retry-After; or GitHub's "rate limit" wording. It returns when the limit
// ends, if the headers say.
func rateLimited(status int, message string, h http.Header) (bool, time.Time) {
	if status != http.StatusForbidden && status != http.StatusTooManyRequests {
		return false, time.Time{}
	}
	// GitHub's advice: wait Retry-After seconds if given; else, when
	// X-RateLimit-Remaining is 0, until X-RateLimit-Reset; else at least a
	// minute (the Reset header then tells of another limit).
	var reset time.Time
	if s := h.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			reset = time.Now().Add(time.Duration(n) * time.Second).Truncate(time.Second)
		}
	} else if s := h.Get("X-RateLimit-Reset"); s != "" && h.Get("X-RateLimit-Remaining") == "0" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			reset = time.Unix(n, 0)
		}
	}
	limited := status == http.StatusTooManyRequests ||
		h.Get("X-RateLimit-Remaining") == "0" ||
		h.Get("Retry-After") != "" ||
		strings.Contains(strings.ToLower(message), "rate limit")
	if !limited {
		return false, time.Time{}
	}
	return true, reset
}
