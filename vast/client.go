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
	"strconv"
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
// duration in [0, min(MaxDelay, BaseDelay·2ⁿ)). After a 429 it sleeps what
// the API asked (Retry-After, retry_after) if it did, and otherwise the
// endpoint's window (RateFloor, or the threshold the body states) plus that
// jittered delay. It stops when an attempt succeeds, fails in a way that is
// not retryable, MaxAttempts is reached, or the next sleep would end past
// Budget (measured from the call's start) or the context's deadline.
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

// ParseBaseURL checks an API base URL as WithBaseURL does: https, or http
// only to a loopback host (127.0.0.0/8, ::1, localhost: a local fake), so a
// key never crosses a network in clear; a host; no query, fragment or
// credentials.
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
	// An empty query or fragment ("https://x.test/?") parses as none, but
	// the "?" would swallow every path the client appends.
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.ForceQuery || strings.Contains(raw, "#") {
		return nil, errors.New("API URL must not carry a query, fragment or credentials")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("API URL %q: port %s is not a port (1 to 65535)", shown, p)
		}
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%q: http:// is only for a local fake (127.0.0.1, ::1, localhost); use https://", shown)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.Path = strings.TrimSuffix(u.Path, "/api/v0")
	u.RawPath = ""
	return u, nil
}

// IsLoopback reports whether host (a name or an IP, without brackets or
// port) is localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WithHTTPClient sets the HTTP client. The default is a client with no
// overall timeout; each attempt is bounded by RetryPolicy.Timeout. The
// client is copied and its CheckRedirect replaced: redirects are never
// followed (see RedirectError).
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
	// Never follow a redirect: answer it with a RedirectError instead.
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &hc
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
	err    error // transport error, *RedirectError, or the *Error for a non-2xx status or a success=false body
	sent   bool  // the request may have reached the server
	// hint is how long the API asked the client to wait (Retry-After or
	// retry_after); window is the threshold a 429 body states.
	hint, window time.Duration
}

// retryable reports whether a failed attempt may be repeated for a request
// that is safe to repeat.
func (r attemptResult) retryable() bool {
	if r.err == nil {
		return false
	}
	var ve *Error
	if errors.As(r.err, &ve) && ve.Refused {
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

// mayStillRun reports whether a failed attempt may still be at work on the
// server: the request left (or may have) and no answer came back (a
// timeout, a dropped connection, the caller's cancellation). What it does
// may show up later.
func (r attemptResult) mayStillRun() bool {
	return r.err != nil && r.status == 0 && r.sent && !notSent(r.err)
}

// answeredUnknown reports whether a failed POST was answered in a way that
// does not rule out that the server made the key: any 5xx, a 400, 409 or
// 422 (a server may fail after the effect), a success=false body, or a 2xx
// body that cannot be read. 401, 403, 404, 429 and 3xx are refusals before
// the work.
func (r attemptResult) answeredUnknown() bool {
	if r.err == nil || r.status == 0 {
		return false
	}
	switch {
	case r.status >= 500, r.status == 400, r.status == 409, r.status == 422:
		return true
	case r.status >= 200 && r.status <= 299:
		return true // success=false, or a body that could not be decoded
	}
	return false
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
	var re *RedirectError
	switch {
	case errors.As(err, &de), errors.As(err, &re):
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

// once performs a single HTTP exchange, reading at most limit bytes of a
// 2xx body (0 means maxBody).
func (c *Client) once(ctx context.Context, method, path string, body []byte, limit int64) attemptResult {
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
	if err := ctx.Err(); err != nil {
		return attemptResult{err: fmt.Errorf("%s %s: %w", method, path, err)} // never sent
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return attemptResult{sent: true, err: fmt.Errorf("%s %s: %w", method, path, c.scrubTransport(err))}
	}
	defer resp.Body.Close()
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if limit <= 0 {
		limit = maxBody
	}
	if !ok {
		limit = maxErrorBody
	}
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if rerr != nil && ok {
		return attemptResult{sent: true, err: fmt.Errorf("%s %s: reading the answer: %w", method, path, c.scrubTransport(rerr))}
	}
	if int64(len(data)) > limit {
		if ok {
			return attemptResult{status: resp.StatusCode, sent: true, err: &decodeError{method, path, fmt.Sprintf("a body longer than %d MiB", limit>>20)}}
		}
		data = data[:limit]
	}
	r := attemptResult{status: resp.StatusCode, body: data, header: resp.Header, sent: true}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		r.err = c.redirectError(method, path, resp)
	case !ok:
		e := c.apiError(method, path, resp, data)
		r.hint = retryAfter(resp.Header, data, c.now())
		if resp.StatusCode == http.StatusTooManyRequests {
			r.window = statedThreshold(data)
		}
		e.RetryAfter = r.hint
		r.err = e
	default:
		if e := c.refusal(method, path, resp.StatusCode, data); e != nil {
			r.err = e
		}
	}
	return r
}

// redirectError describes a 3xx answer by where it pointed, never
// following it.
func (c *Client) redirectError(method, path string, resp *http.Response) *RedirectError {
	e := &RedirectError{StatusCode: resp.StatusCode, Method: method, Path: path}
	if loc := resp.Header.Get("Location"); loc != "" {
		if u, err := resp.Request.URL.Parse(loc); err == nil && u.Host != "" {
			e.Location = oneLine(Redact(u.Scheme+"://"+u.Host+u.EscapedPath(), c.key), 120)
		} else {
			e.Location = "(an unreadable Location)"
		}
	}
	return e
}

// refusal returns the *Error for a 2xx body that says the call failed, nil
// for any other body: {"success": false, ...} (every endpoint may answer
// so, vast-api.md §9), or the API's error envelope without its success
// field ({"error": "some_code", "msg": ...}: "some endpoints omit the
// boolean success", rate-limits-and-errors.mdx). A body with "success":
// true is never a refusal.
func (c *Client) refusal(method, path string, status int, data []byte) *Error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil
	}
	var env struct {
		Success *bool           `json:"success"`
		Error   json.RawMessage `json:"error"`
	}
	if json.Unmarshal(trimmed, &env) != nil {
		return nil
	}
	var code string
	failed := env.Success != nil && !*env.Success
	if env.Success == nil && json.Unmarshal(env.Error, &code) == nil && strings.TrimSpace(code) != "" {
		failed = true
	}
	if !failed {
		return nil
	}
	e := &Error{StatusCode: status, Method: method, Path: path, Refused: true}
	e.Code, e.Message, _ = c.envelope(trimmed)
	e.kind = classify(status, e.Code, e.Message, true)
	return e
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

// envelope reads the API's error envelope: the "error" code and the first
// of "msg", "message" and "detail". ok is false for a malformed object.
func (c *Client) envelope(obj []byte) (code, msg string, ok bool) {
	var env struct {
		Error   json.RawMessage `json:"error"`
		Msg     json.RawMessage `json:"msg"`
		Message json.RawMessage `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(obj, &env) != nil {
		return "", "", false
	}
	var s string
	if json.Unmarshal(env.Error, &s) == nil {
		code = oneLine(Redact(s, c.key), 60)
	}
	for _, raw := range []json.RawMessage{env.Msg, env.Message, env.Detail} {
		var m string
		if json.Unmarshal(raw, &m) == nil && strings.TrimSpace(m) != "" {
			return code, oneLine(Redact(m, c.key), maxMessage), true
		}
	}
	return code, "", true
}

// apiError builds the *Error for a non-2xx answer. The body is JSON with
// msg/message/detail/error fields, plain text, HTML, or nothing; any of them
// yields a one-line message with keys redacted.
func (c *Client) apiError(method, path string, resp *http.Response, data []byte) *Error {
	e := &Error{StatusCode: resp.StatusCode, Method: method, Path: path}
	trimmed := bytes.TrimSpace(data)
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	jsonBody := false
	switch {
	case len(trimmed) == 0:
		// Status text is filled in by Error().
	case trimmed[0] == '{':
		code, msg, ok := c.envelope(trimmed)
		switch {
		case !ok:
			e.Message = "(a malformed JSON body)"
		case msg == "" && code == "":
			e.Message = "(a JSON body with no message)"
			jsonBody = true
		default:
			e.Code, e.Message, jsonBody = code, msg, true
		}
	case trimmed[0] == '"':
		var s string
		if json.Unmarshal(trimmed, &s) == nil {
			e.Message = oneLine(Redact(s, c.key), maxMessage)
			jsonBody = true
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
	e.kind = classify(e.StatusCode, e.Code, e.Message, jsonBody)
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

// delay is the wait before attempt n+1 after the failed attempt r of
// method on path. A wait the API asked for (Retry-After, retry_after) is
// honoured as it is. After a 429 without one, the client waits the
// endpoint's window (the larger of the documented floor and the threshold
// the body states) plus the jittered backoff, so it never comes back
// inside the window. Anything else gets the jittered backoff.
func (c *Client) delay(n int, r attemptResult, method, path string) time.Duration {
	switch {
	case r.hint > 0:
		return r.hint
	case r.status == http.StatusTooManyRequests:
		return max(RateFloor(method, path), r.window) + c.backoff(n)
	}
	return c.backoff(n)
}

// do sends a request that is safe to repeat (GET, DELETE, PUT), retrying per
// the policy, and decodes a 2xx JSON body into out when out is not nil.
func (c *Client) do(ctx context.Context, method, path string, body any, out any) error {
	r, err := c.exchange(ctx, method, path, body, 0)
	if err != nil {
		return err
	}
	return decodeInto(method, path, r.body, out)
}

// exchange is do without the decoding: it returns the last attempt's 2xx
// result, or the error of the last attempt.
func (c *Client) exchange(ctx context.Context, method, path string, body any, limit int64) (attemptResult, error) {
	payload, err := encodeBody(body)
	if err != nil {
		return attemptResult{}, err
	}
	start := c.now()
	var r attemptResult
	for n := 1; ; n++ {
		r = c.once(ctx, method, path, payload, limit)
		retry := r.retryable() || (c.retry.AllServerErrors && r.status >= 500 && r.status <= 599)
		if r.err == nil || !retry || ctx.Err() != nil {
			break
		}
		if !c.waitBeforeRetry(ctx, start, n, r, method, path) {
			break
		}
	}
	if r.err != nil {
		return r, finalError(r.err, ctx)
	}
	return r, nil
}

// waitBeforeRetry sleeps before attempt n+1 and reports whether to make it.
// It gives up when the wait would end past the budget or the context's
// deadline; when the API itself asked for that wait, the last error says
// so (Error.OverBudget).
func (c *Client) waitBeforeRetry(ctx context.Context, start time.Time, n int, r attemptResult, method, path string) bool {
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
	d := c.delay(n, r, method, path)
	end := c.now().Add(d)
	dl, hasDL := ctx.Deadline()
	if end.Sub(start) > c.retry.Budget || (hasDL && end.After(dl)) {
		var ve *Error
		if r.hint > 0 && errors.As(r.err, &ve) {
			ve.OverBudget = true
		}
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
