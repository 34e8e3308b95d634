package vast

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// DefaultBaseURL is the production API host. Request paths (/api/v0/...) are
// resolved against it.
const DefaultBaseURL = "https://console.vast.ai"

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "vastguard"

// Limits on what the client reads from a response.
const (
	maxBody      = 8 << 20  // success bodies (a key list can be long)
	maxErrorBody = 64 << 10 // error bodies: only a message is wanted
	maxMessage   = 200      // characters of an error message kept
)

// RetryPolicy bounds retries of one call. Delays are full-jitter
// exponential: before attempt n+1 the client sleeps a uniformly random
// duration in [0, min(MaxDelay, BaseDelay·2ⁿ)). It stops when an attempt
// succeeds, fails in a way that is not retryable, MaxAttempts is reached, or
// the next sleep would end past Budget (measured from the call's start).
type RetryPolicy struct {
	Budget      time.Duration // total time for the call, sleeps included; 0 means no retries
	BaseDelay   time.Duration
	MaxDelay    time.Duration
	MaxAttempts int           // 0 means as many as Budget allows (at most 100)
	Timeout     time.Duration // per attempt; 0 means no per-attempt timeout beyond ctx
	// AllServerErrors also retries 500, 501 and every other 5xx (not only
	// 502, 503 and 504) for requests that are safe to repeat: ListKeys,
	// DeleteKey and CurrentUser. CreateKey and ResetKey ignore it. Cleanup
	// code sets it: a DELETE is idempotent, and giving up leaves a live key.
	AllServerErrors bool
}

// hardAttemptLimit bounds attempts when a policy sets none.
const hardAttemptLimit = 100

// DefaultRetry suits interactive use: Vast's rate limits are a minimum
// interval of 1 to 3 seconds per endpoint, so the base delay is 1s.
var DefaultRetry = RetryPolicy{
	Budget:      60 * time.Second,
	BaseDelay:   time.Second,
	MaxDelay:    10 * time.Second,
	MaxAttempts: 8,
	Timeout:     30 * time.Second,
}

// A Client calls the Vast API with one API key. It is safe for concurrent
// use.
type Client struct {
	base  *url.URL
	key   string
	http  *http.Client
	ua    string
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	rand  func() float64
	retry RetryPolicy
}

// An Option configures a Client.
type Option func(*Client) error

// WithBaseURL points the client at another server, such as a
// vasttest.Server. Only the scheme, host and an optional path prefix are
// used; a query string or user info is refused.
func WithBaseURL(raw string) Option {
	return func(c *Client) error {
		u, err := ParseBaseURL(raw)
		if err != nil {
			return err
		}
		c.base = u
		return nil
	}
}

// ParseBaseURL checks an API base URL as WithBaseURL does: http or https,
// a host, no query, fragment or credentials.
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	shown := Redact(raw) // a key pasted into the URL must not reach a log
	if err != nil {
		return nil, fmt.Errorf("API URL %q is not a URL", shown)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("API URL %q must start with https:// (or http:// for a local fake)", shown)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("API URL %q has no host", shown)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("API URL must not carry a query, fragment or credentials")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.Path = strings.TrimSuffix(u.Path, "/api/v0")
	u.RawPath = ""
	return u, nil
}

// WithHTTPClient sets the HTTP client. The default is a client with no
// overall timeout; each attempt is bounded by RetryPolicy.Timeout.
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) error {
		if h == nil {
			return errors.New("nil HTTP client")
		}
		c.http = h
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) error { c.ua = ua; return nil }
}

// WithClock sets the clock used for the retry budget.
func WithClock(now func() time.Time) Option {
	return func(c *Client) error { c.now = now; return nil }
}

// WithSleep sets how the client waits between attempts. The function must
// return ctx.Err() if ctx ends first. Tests inject one that records the
// delays and returns at once.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) error { c.sleep = sleep; return nil }
}

// WithJitter sets the source of jitter: a function returning values in
// [0, 1). Tests pass a constant.
func WithJitter(f func() float64) Option {
	return func(c *Client) error { c.rand = f; return nil }
}

// WithRetry sets the retry policy.
func WithRetry(p RetryPolicy) Option {
	return func(c *Client) error { c.retry = p; return nil }
}

// ErrNoKey is returned by New for an empty key.
var ErrNoKey = errors.New("no API key")

// New returns a client that authenticates with key. The key must be a single
// printable token; its format is not otherwise checked (a 2FA session key or
// a future format must still work).
func New(key string, opts ...Option) (*Client, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return nil, ErrNoKey
	}
	for _, r := range key {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) || r > unicode.MaxASCII {
			return nil, errors.New("the API key contains a space, a control or a non-ASCII character; check how it was copied")
		}
	}
	base, _ := url.Parse(DefaultBaseURL)
	c := &Client{
		base:  base,
		key:   key,
		http:  &http.Client{},
		ua:    DefaultUserAgent,
		now:   time.Now,
		sleep: Sleep,
		rand:  rand.Float64,
		retry: DefaultRetry,
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// BaseURL returns the API host the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// Sleep waits for d or until ctx ends, whichever is first, and returns
// ctx.Err() in the latter case. It is the client's default sleep between
// retries, for callers that wrap it (WithSleep).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attemptResult is what one HTTP exchange produced.
type attemptResult struct {
	status int
	body   []byte
	header http.Header
	err    error // transport error, or the *Error for a non-2xx status
}

// retryable reports whether a failed attempt may be repeated for a request
// that is safe to repeat.
func (r attemptResult) retryable() bool {
	if r.err == nil {
		return false
	}
	switch r.status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case 0:
		return isNetworkError(r.err)
	}
	return false
}

// ambiguous reports whether a failed POST may have been carried out by the
// server: any 5xx, or a transport error after the request may have left.
// A failure to connect (refused, no route, an unknown host) sent nothing.
func (r attemptResult) ambiguous() bool {
	if r.err == nil {
		return false
	}
	if r.status >= 500 {
		return true
	}
	return r.status == 0 && isNetworkError(r.err) && !notSent(r.err)
}

// notSent reports whether a transport error happened before the request
// could reach the server: while dialing or resolving.
func notSent(err error) bool {
	var oe *net.OpError
	var de *net.DNSError
	return errors.As(err, &de) || (errors.As(err, &oe) && oe.Op == "dial")
}

func isNetworkError(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	var oe *net.OpError
	var ue *url.Error
	var de *decodeError
	switch {
	case errors.As(err, &de):
		return false
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	case errors.As(err, &oe), errors.As(err, &ne):
		return true
	case errors.As(err, &ue):
		return true
	}
	return false
}

// decodeError is a 2xx answer whose body could not be understood.
type decodeError struct {
	method, path string
	what         string
}

func (e *decodeError) Error() string {
	return fmt.Sprintf("%s %s: the API answered 2xx with %s", e.method, e.path, e.what)
}

// ErrBadResponse is matched by errors for a 2xx answer whose body is not
// what the API documents (not JSON, wrong shape, missing fields).
var ErrBadResponse = errors.New("vast: unexpected response")

func (e *decodeError) Is(target error) bool { return target == ErrBadResponse }

// once performs a single HTTP exchange.
func (c *Client) once(ctx context.Context, method, path string, body []byte) attemptResult {
	if c.retry.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.retry.Timeout)
		defer cancel()
	}
	u := *c.base
	u.Path = strings.TrimSuffix(c.base.Path, "/") + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return attemptResult{err: fmt.Errorf("%s %s: %w", method, path, err)}
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return attemptResult{err: fmt.Errorf("%s %s: %w", method, path, c.scrubTransport(err))}
	}
	defer resp.Body.Close()
	limit := int64(maxBody)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		limit = maxErrorBody
	}
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, limit))
	if rerr != nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return attemptResult{status: 0, err: fmt.Errorf("%s %s: reading the answer: %w", method, path, c.scrubTransport(rerr))}
	}
	r := attemptResult{status: resp.StatusCode, body: data, header: resp.Header}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.err = c.apiError(method, path, resp, data)
	}
	return r
}

// scrubTransport keeps transport errors free of the key. The key is never in
// a URL, so this is a belt to those braces: a proxy or TLS library could
// still echo a header.
func (c *Client) scrubTransport(err error) error {
	msg := err.Error()
	if strings.Contains(msg, c.key) {
		return errors.New(Redact(msg, c.key))
	}
	return err
}

var htmlTitle = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// apiError builds the *Error for a non-2xx answer. The body is JSON with
// msg/message/detail/error fields, plain text, HTML, or nothing; any of them
// yields a one-line message with keys redacted.
func (c *Client) apiError(method, path string, resp *http.Response, data []byte) *Error {
	e := &Error{StatusCode: resp.StatusCode, Method: method, Path: path}
	trimmed := bytes.TrimSpace(data)
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case len(trimmed) == 0:
		// Status text is filled in by Error().
	case trimmed[0] == '{':
		var env struct {
			Success *bool           `json:"success"`
			Error   json.RawMessage `json:"error"`
			Msg     string          `json:"msg"`
			Message string          `json:"message"`
			Detail  json.RawMessage `json:"detail"`
		}
		if json.Unmarshal(trimmed, &env) == nil {
			var code string
			if json.Unmarshal(env.Error, &code) != nil {
				code = ""
			}
			e.Code = oneLine(Redact(code, c.key), 60)
			var detail string
			if json.Unmarshal(env.Detail, &detail) != nil {
				detail = ""
			}
			for _, m := range []string{env.Msg, env.Message, detail} {
				if strings.TrimSpace(m) != "" {
					e.Message = oneLine(Redact(m, c.key), maxMessage)
					break
				}
			}
			if e.Message == "" && e.Code == "" {
				e.Message = "(a JSON body with no message)"
			}
		} else {
			e.Message = "(a malformed JSON body)"
		}
	case trimmed[0] == '"':
		var s string
		if json.Unmarshal(trimmed, &s) == nil {
			e.Message = oneLine(Redact(s, c.key), maxMessage)
		}
	case ct == "text/html" || bytes.HasPrefix(bytes.ToLower(trimmed), []byte("<!doctype")) || bytes.HasPrefix(bytes.ToLower(trimmed), []byte("<html")):
		desc := "an HTML page"
		if m := htmlTitle.FindSubmatch(trimmed); m != nil {
			if t := oneLine(Redact(string(m[1]), c.key), 80); t != "" {
				desc += fmt.Sprintf(" titled %q", t)
			}
		}
		e.Message = "(" + desc + ", not the API: a proxy or an outage page?)"
	default:
		e.Message = oneLine(Redact(string(trimmed), c.key), maxMessage)
	}
	return e
}

// oneLine collapses whitespace and control characters and truncates to n
// runes, so a message can sit in a one-line error or a workflow command.
func oneLine(s string, n int) string {
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

// backoff returns the full-jitter delay before attempt n+1 (n ≥ 1).
func (c *Client) backoff(n int) time.Duration {
	ceil := c.retry.BaseDelay
	for i := 1; i < n && ceil < c.retry.MaxDelay; i++ {
		ceil *= 2
	}
	if c.retry.MaxDelay > 0 && ceil > c.retry.MaxDelay {
		ceil = c.retry.MaxDelay
	}
	return time.Duration(c.rand() * float64(ceil))
}

// do sends a request that is safe to repeat (GET, DELETE, PUT), retrying per
// the policy, and decodes a 2xx JSON body into out when out is not nil.
func (c *Client) do(ctx context.Context, method, path string, body any, out any) error {
	payload, err := encodeBody(body)
	if err != nil {
		return err
	}
	start := c.now()
	var r attemptResult
	for n := 1; ; n++ {
		r = c.once(ctx, method, path, payload)
		retry := r.retryable() || (c.retry.AllServerErrors && r.status >= 500 && r.status <= 599)
		if r.err == nil || !retry || ctx.Err() != nil {
			break
		}
		if !c.waitBeforeRetry(ctx, start, n) {
			break
		}
	}
	if r.err != nil {
		return finalError(r.err, ctx)
	}
	return decodeInto(method, path, r.body, out)
}

// waitBeforeRetry sleeps before attempt n+1 and reports whether to make it.
func (c *Client) waitBeforeRetry(ctx context.Context, start time.Time, n int) bool {
	if c.retry.Budget <= 0 {
		return false
	}
	limit := c.retry.MaxAttempts
	if limit <= 0 {
		limit = hardAttemptLimit
	}
	if n >= limit {
		return false
	}
	d := c.backoff(n)
	if c.now().Add(d).Sub(start) > c.retry.Budget {
		return false
	}
	if dl, ok := ctx.Deadline(); ok && c.now().Add(d).After(dl) {
		return false
	}
	return c.sleep(ctx, d) == nil
}

// finalError prefers the caller's cancellation over whatever the last
// attempt saw, so a cancelled job reports "canceled", not a timeout.
func finalError(err error, ctx context.Context) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

func encodeBody(body any) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return b, nil
}

func decodeInto(method, path string, data []byte, out any) error {
	if out == nil {
		return nil
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return &decodeError{method, path, "an empty body"}
	}
	if err := json.Unmarshal(data, out); err != nil {
		what := "a body that is not JSON"
		if data[0] == '<' {
			what = "an HTML page instead of JSON"
		} else if json.Valid(data) {
			what = "JSON of an unexpected shape"
		}
		return &decodeError{method, path, what}
	}
	return nil
}
