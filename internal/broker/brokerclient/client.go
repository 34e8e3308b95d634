// Package brokerclient is the Action's side of the broker: it asks the
// Actions runner for the job's OIDC token (Runner.IDToken) and trades it
// for a Vast key (Client.Mint), then deletes the key in the post step
// (Client.Delete). Refusals come back as *Error with the broker's stable
// code (package wire), so callers branch with errors.Is on the sentinels
// below.
//
// Neither the OIDC token nor a key's value ever appears in an error: the
// token travels only in an Authorization header, the key only in Key.Secret
// (a vast.Secret, which formats redacted). Redirects are never followed, so
// the token is never sent anywhere else. brokerclient imports wire and vast
// (for Secret); it must not import the broker itself.
package brokerclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/vastguard/vastguard/internal/broker/wire"
	"github.com/vastguard/vastguard/vast"
)

// Sentinels an *Error matches with errors.Is.
var (
	// ErrUnauthenticated: the broker did not accept the token (401).
	ErrUnauthenticated = errors.New("broker: token refused")
	// ErrDenied: the policy does not allow the request (403).
	ErrDenied = errors.New("broker: denied by policy")
	// ErrLimited: too many requests or live keys; try later (409, 429).
	ErrLimited = errors.New("broker: limited")
	// ErrUnavailable: the broker, its database or Vast is down (5xx).
	ErrUnavailable = errors.New("broker: unavailable")
	// ErrNotFound: no such key for this repository (404).
	ErrNotFound = errors.New("broker: no such key")
	// ErrBadRequest: the request itself is wrong (400, 413, 415).
	ErrBadRequest = errors.New("broker: bad request")
)

// Error is a refusal from the broker.
type Error struct {
	Status     int
	Code       string // a wire code; "" if the answer carried none
	Message    string // the broker's message, sanitised
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("broker: %d %s", e.Status, e.Message)
	}
	return fmt.Sprintf("broker: %s (%d): %s", e.Code, e.Status, e.Message)
}

// Is matches the sentinel for the status.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthenticated:
		return e.Status == http.StatusUnauthorized
	case ErrDenied:
		return e.Status == http.StatusForbidden
	case ErrLimited:
		return e.Status == http.StatusTooManyRequests || e.Status == http.StatusConflict
	case ErrUnavailable:
		return e.Status >= 500
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrBadRequest:
		return e.Status == http.StatusBadRequest || e.Status == http.StatusRequestEntityTooLarge || e.Status == http.StatusUnsupportedMediaType
	}
	return false
}

// temporary reports an answer that says "try again": nothing was done.
func (e *Error) temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable
}

// Retry bounds a call's retries.
type Retry struct {
	Budget    time.Duration // total time, sleeps included; 0: no retries
	BaseDelay time.Duration // first backoff when the broker gave no Retry-After
	MaxDelay  time.Duration
}

// DefaultRetry waits through a short outage or a queue behind Vast's rate
// limit.
var DefaultRetry = Retry{Budget: 2 * time.Minute, BaseDelay: time.Second, MaxDelay: 15 * time.Second}

// Client talks to one broker.
type Client struct {
	base  *url.URL
	http  *http.Client
	ua    string
	retry Retry
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (its redirect policy is replaced:
// redirects are never followed).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithUserAgent sets the User-Agent.
func WithUserAgent(ua string) Option { return func(c *Client) { c.ua = ua } }

// WithRetry sets the retry policy.
func WithRetry(r Retry) Option { return func(c *Client) { c.retry = r } }

// WithClock sets the clock and sleep used between retries.
func WithClock(now func() time.Time, sleep func(context.Context, time.Duration) error) Option {
	return func(c *Client) { c.now, c.sleep = now, sleep }
}

// New returns a client of the broker at baseURL: https, or http to a
// loopback address (a local broker or a test).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("broker-url %q is not a URL such as https://vast-broker.example.com", clean(baseURL, 100))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("broker-url must not carry credentials, a query or a fragment")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		return nil, fmt.Errorf("broker-url %q must start with https:// (http:// only to a loopback address)", clean(baseURL, 100))
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c := &Client{base: u, http: &http.Client{Timeout: 90 * time.Second}, ua: "vastguard", retry: DefaultRetry, now: time.Now, sleep: sleep}
	for _, o := range opts {
		o(c)
	}
	h := *c.http
	h.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &h
	return c, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// MintRequest is what a job asks for. Zero fields take the broker's
// defaults (the matching rule's grant and default_ttl).
type MintRequest struct {
	Permissions string // a preset name or a JSON object {"api": {...}}
	TTL         time.Duration
	Label       string
	Job         string
}

// Key is a minted key.
type Key struct {
	ID          int64
	Name        string
	Secret      vast.Secret
	ExpiresAt   time.Time
	Permissions json.RawMessage
	Rule        string
}

// Mint trades the job's OIDC token for a key. A refusal is an *Error;
// answers that say "try again" (429, 503) are retried within the budget,
// honouring Retry-After.
func (c *Client) Mint(ctx context.Context, token string, req MintRequest) (Key, error) {
	body := wire.MintRequest{Label: req.Label, Job: req.Job}
	if p := strings.TrimSpace(req.Permissions); p != "" {
		if strings.HasPrefix(p, "{") {
			if !json.Valid([]byte(p)) {
				return Key{}, errors.New("permissions: not valid JSON")
			}
			body.Permissions = json.RawMessage(p)
		} else {
			body.Permissions = p
		}
	}
	if req.TTL > 0 {
		body.TTL = req.TTL.String()
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return Key{}, err
	}
	var resp wire.MintResponse
	if err := c.call(ctx, http.MethodPost, "/v1/keys", token, payload, &resp, false); err != nil {
		return Key{}, err
	}
	exp, err := time.Parse(time.RFC3339, resp.ExpiresAt)
	if err != nil || resp.ID <= 0 || resp.Key == "" {
		return Key{}, errors.New("broker: the mint answer lacks an id, a key or an expiry")
	}
	perms, _ := json.Marshal(resp.Permissions)
	return Key{ID: resp.ID, Name: resp.Name, Secret: vast.Secret(resp.Key), ExpiresAt: exp, Permissions: perms, Rule: resp.Rule}, nil
}

// Delete asks the broker to delete key id, minted for this repository and
// run; it returns the key's state ("revoked", or "reaped" or "gone" if it
// was already). It retries 429, 5xx and network errors within the budget:
// a delete is safe to repeat.
func (c *Client) Delete(ctx context.Context, token string, id int64) (string, error) {
	if id <= 0 {
		return "", fmt.Errorf("delete: invalid key id %d", id)
	}
	var resp wire.DeleteResponse
	if err := c.call(ctx, http.MethodDelete, "/v1/keys/"+strconv.FormatInt(id, 10), token, nil, &resp, true); err != nil {
		return "", err
	}
	return resp.State, nil
}

// call sends one request and retries as allowed. idempotent requests are
// also retried on network errors and every 5xx.
func (c *Client) call(ctx context.Context, method, path, token string, body []byte, out any, idempotent bool) error {
	start := c.now()
	for n := 0; ; n++ {
		err := c.once(ctx, method, path, token, body, out)
		if err == nil {
			return nil
		}
		var be *Error
		retryable := errors.As(err, &be) && (be.temporary() || (idempotent && be.Status >= 500))
		if !retryable && be == nil {
			retryable = idempotent || dialError(err)
		}
		if !retryable || ctx.Err() != nil {
			return err
		}
		wait := min(c.retry.BaseDelay<<min(n, 10), c.retry.MaxDelay)
		wait = wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1))
		if be != nil && be.RetryAfter > 0 {
			wait = be.RetryAfter
		}
		if c.now().Add(wait).Sub(start) > c.retry.Budget {
			return err
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return err
		}
	}
}

// dialError reports a request that never reached the broker, which is safe
// to send again whatever it was.
func dialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

const maxAnswer = 64 << 10

func (c *Client) once(ctx context.Context, method, path, token string, body []byte, out any) error {
	u := *c.base
	u.Path += path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// net/http errors carry the URL (no token: it is in a header).
		return fmt.Errorf("broker: %s %s: %w", method, path, scrubErr(err, token))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return fmt.Errorf("broker: %s %s: reading the answer: %w", method, path, scrubErr(err, token))
	}
	if len(data) > maxAnswer {
		return fmt.Errorf("broker: %s %s: the answer is over %d bytes", method, path, maxAnswer)
	}
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode}
		var er wire.ErrorResponse
		if json.Unmarshal(data, &er) == nil && er.Code != "" {
			e.Code, e.Message = clean(er.Code, 60), clean(strings.ReplaceAll(er.Message, token, "[token]"), 400)
		} else if resp.StatusCode < 400 {
			e.Message = "the broker answered with a redirect, which is not followed; check broker-url"
		} else {
			e.Message = http.StatusText(resp.StatusCode)
		}
		if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s > 0 && s <= 3600 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return e
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("broker: %s %s: the answer is not the JSON expected", method, path)
	}
	return nil
}

// scrubErr makes sure the token cannot ride along in an error's text.
func scrubErr(err error, token string) error {
	if token != "" && strings.Contains(err.Error(), token) {
		return errors.New(strings.ReplaceAll(err.Error(), token, "[token]"))
	}
	return err
}

// clean makes outside text one printable line of at most n bytes, with
// anything key-shaped redacted.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = vast.Redact(strings.Join(strings.Fields(s), " "))
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
