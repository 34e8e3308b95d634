package command

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"
	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/internal/respond"
	"github.com/vastguard/vastguard/internal/safetext"
	vgversion "github.com/vastguard/vastguard/internal/version"
	"github.com/vastguard/vastguard/vast"
)

// apiFlags are the flags every command that calls the Vast API takes.
type apiFlags struct {
	key string
	url string
}

func (f *apiFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.key, "api-key", "", "Vast API `KEY` (default $VAST_API_KEY, then the vastai key file); prefer the environment: flags show in ps")
	fs.StringVar(&f.url, "api-url", "", "Vast API `URL` (default $VAST_URL, then "+vast.DefaultBaseURL+")")
}

// credential is an API key and where it came from, so errors can say what
// to fix without showing the key.
type credential struct {
	key    string
	source string // "--api-key", "VAST_API_KEY", or the key file's path
}

// resolveKey finds the API key the way the vastai CLI and SDK do: the flag,
// then VAST_API_KEY, then $XDG_CONFIG_HOME/vastai/vast_api_key (default
// ~/.config/vastai/vast_api_key), then the legacy ~/.vast_api_key.
func resolveKey(e *Env, flagKey string) (credential, error) {
	if k := strings.TrimSpace(flagKey); k != "" {
		return credential{k, "--api-key"}, nil
	}
	if k := strings.TrimSpace(e.Getenv("VAST_API_KEY")); k != "" {
		return credential{k, "VAST_API_KEY"}, nil
	}
	for _, p := range keyFiles(e) {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return credential{}, fmt.Errorf("reading the key file %s: %w", p, err)
		}
		if k := strings.TrimSpace(string(b)); k != "" {
			return credential{k, p}, nil
		}
		return credential{}, fmt.Errorf("the key file %s is empty; run `vastai set api-key` or set VAST_API_KEY", p)
	}
	return credential{}, errors.New("no Vast API key: set VAST_API_KEY, pass --api-key, or run `vastai set api-key` (looked in " + strings.Join(keyFiles(e), ", ") + ")")
}

func keyFiles(e *Env) []string {
	home := e.Getenv("HOME")
	cfg := e.Getenv("XDG_CONFIG_HOME")
	if cfg == "" && home != "" {
		cfg = filepath.Join(home, ".config")
	}
	var out []string
	if cfg != "" {
		out = append(out, filepath.Join(cfg, "vastai", "vast_api_key"))
	}
	if home != "" {
		out = append(out, filepath.Join(home, ".vast_api_key"))
	}
	return out
}

// setting picks a setting as the commands do: the flag, then the
// environment variable, then the default; source names where it came from
// ("" for the default), for messages.
func setting(e *Env, flagValue, flagName, envName, def string) (value, source string) {
	if v := strings.TrimSpace(flagValue); v != "" {
		return v, flagName
	}
	if v := strings.TrimSpace(e.Getenv(envName)); v != "" {
		return v, envName
	}
	return def, ""
}

// apiURL picks the API URL: the flag, then VAST_URL, then the default.
func apiURL(e *Env, flagURL string) (string, string) {
	return setting(e, flagURL, "--api-url", "VAST_URL", vast.DefaultBaseURL)
}

// checkAPIURL accepts https URLs, and http only to a loopback address: a
// key must not cross a network in clear. It is vast.ParseBaseURL, so the
// library and the CLI apply one rule.
func checkAPIURL(raw string) error {
	_, err := vast.ParseBaseURL(raw)
	return err
}

// api is a client plus what the user should be told to check when it fails.
type api struct {
	*vast.Client
	cred      credential
	url       string
	urlSource string
}

// userAgent is every client's User-Agent: the program and its version.
func userAgent() string { return vgversion.UserAgent("vastguard") }

// newVastClient is the one place a Vast client is built. Every client of
// the program, the CLI's, the Action's, each leaked key's and the demo's,
// comes from here with the same options: the base URL, the User-Agent, the
// environment's HTTP client, clock and sleep, the retry policy, and sleeps
// that end when ctx (the command's, or the step's) is cancelled, so no new
// attempt starts after a cancellation, even where a request runs on a
// context that outlives it (a create allowed to finish, the undoing of a
// half-made key).
//
// An API that cannot be reached fails fast: each connection attempt is
// bounded by connectTimeout, and once a connect timed out or two in a row
// failed, the client stops retrying and the call fails with its "cannot
// reach" error, while answers that came over a connection (429, 5xx) keep
// the whole retry budget. Cleanup (a policy with AllServerErrors, the post
// step's) keeps retrying connects too: giving up there leaves a live key.
func newVastClient(ctx context.Context, e *Env, key, baseURL string, retry vast.RetryPolicy) (*vast.Client, error) {
	inner := e.Sleep
	if inner == nil {
		inner = vast.Sleep
	}
	var reach *reachability
	if !retry.AllServerErrors {
		reach = &reachability{}
	}
	sleep := func(sctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if reach.lost() {
			return errUnreachable
		}
		sctx, cancel := context.WithCancel(sctx)
		defer cancel()
		stop := context.AfterFunc(ctx, cancel)
		defer stop()
		return inner(sctx, d)
	}
	opts := []vast.Option{vast.WithBaseURL(baseURL), vast.WithUserAgent(userAgent()), vast.WithRetry(retry), vast.WithSleep(sleep),
		vast.WithHTTPClient(httpClient(e, reach))}
	if e.Now != nil {
		opts = append(opts, vast.WithClock(e.Now))
	}
	return vast.New(key, opts...)
}

// connectTimeout bounds one connection to an API (DNS and TCP): an API
// that cannot be reached says so in seconds, not after the system's TCP
// timeout of a minute or more.
const connectTimeout = 5 * time.Second

// apiDialer and apiTransport are what every client connects with when the
// environment brings no transport of its own (main's): Go's default
// transport with a connect timeout. One transport for all clients, so they
// share its connection pool.
var (
	apiDialer    = &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}
	apiTransport = sync.OnceValue(func() http.RoundTripper {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DialContext = apiDialer.DialContext
		return t
	})
)

// httpClient is e's HTTP client with the connect timeout, and with reach
// (when not nil) watching its connections.
func httpClient(e *Env, reach *reachability) *http.Client {
	hc := &http.Client{}
	if e.HTTP != nil {
		*hc = *e.HTTP
	}
	if hc.Transport == nil {
		hc.Transport = apiTransport()
	}
	if reach != nil {
		hc.Transport = &watchedTransport{base: hc.Transport, reach: reach}
	}
	return hc
}

// errUnreachable ends a client's retries once its API is unreachable; the
// call returns the connection error itself.
var errUnreachable = errors.New("the API cannot be reached; not retrying")

// reachability is what one client's connection attempts showed: how many
// failed in a row, and whether one timed out. A nil *reachability never
// gives up.
type reachability struct {
	failed   atomic.Int32
	timedOut atomic.Bool
}

// lost reports whether retrying is pointless: a connect timed out (another
// try costs as long again), or two in a row failed (refused, no route, an
// unknown host).
func (r *reachability) lost() bool {
	return r != nil && (r.timedOut.Load() || r.failed.Load() >= 2)
}

// watchedTransport tells reach how each request's connection went.
type watchedTransport struct {
	base  http.RoundTripper
	reach *reachability
}

func (t *watchedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	var oe *net.OpError
	var de *net.DNSError
	switch {
	case err == nil:
		t.reach.failed.Store(0)
		t.reach.timedOut.Store(false)
	case req.Context().Err() != nil:
		// The call's own deadline or a cancellation, not the network.
	case errors.As(err, &de) || (errors.As(err, &oe) && oe.Op == "dial"):
		t.reach.failed.Add(1)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.reach.timedOut.Store(true)
		}
	}
	return resp, err
}

// newAPI builds the CLI's client from the flags and environment.
func newAPI(ctx context.Context, e *Env, f apiFlags) (*api, error) {
	cred, err := resolveKey(e, f.key)
	if err != nil {
		return nil, err
	}
	return newAPIWithKey(ctx, e, cred, f.url)
}

// newAPIWithKey builds the CLI's client for a key already found; errors
// name where the key or URL came from.
func newAPIWithKey(ctx context.Context, e *Env, cred credential, flagURL string) (*api, error) {
	u, src := apiURL(e, flagURL)
	if err := checkAPIURL(u); err != nil {
		if src == "" {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	c, err := newVastClient(ctx, e, cred.key, u, vast.DefaultRetry)
	if err != nil {
		if src != "" && strings.Contains(err.Error(), "API URL") {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		if errors.Is(err, vast.ErrNoKey) {
			return nil, fmt.Errorf("%s is empty", cred.source)
		}
		return nil, fmt.Errorf("%s: %w", cred.source, err)
	}
	return &api{Client: c, cred: cred, url: u, urlSource: src}, nil
}

// actionAPI is the Action's client: the key and URL from the inputs, the
// given retry policy, sleeps that end when the step (ctx) is cancelled.
func actionAPI(ctx context.Context, e *Env, cfg actionConfig, retry vast.RetryPolicy) (*api, error) {
	c, err := newVastClient(ctx, e, cfg.apiKey, cfg.apiURL, retry)
	if err != nil {
		return nil, inputError("api-key", "%v", err)
	}
	return &api{Client: c, cred: credential{cfg.apiKey, "the api-key input"}, url: cfg.apiURL, urlSource: "the api-url input"}, nil
}

// leakedKeyDialer gives respond a client for each leaked key, at apiURL.
func leakedKeyDialer(ctx context.Context, e *Env, apiURL string) respond.Dialer {
	return func(key string, retry vast.RetryPolicy) (respond.Client, error) {
		c, err := newVastClient(ctx, e, key, apiURL, retry)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// outsideError is an error whose message quotes a service's answer (an
// API error body): its text goes through the sanitiser (safetext.Message:
// no escapes or control characters, no key, whole or in pieces), its
// chain stays for errors.Is and errors.As.
type outsideError struct{ err error }

func (e outsideError) Error() string { return safetext.Message(e.err.Error()) }
func (e outsideError) Unwrap() error { return e.err }

// Explain turns an API error into one line that says what to fix. what
// names the operation ("create key"). The key never appears: vast errors
// carry none, and the credential is named by its source. It branches on
// what an answer means (vast's sentinels), not on its status: a dead key
// may be answered 401, 403 or 404. What the API
// said is sanitised.
func (a *api) Explain(what string, err error) error {
	if err == nil {
		return nil
	}
	return outsideError{a.explain(what, err)}
}

func (a *api) explain(what string, err error) error {
	var (
		ve *vast.Error
		re *vast.RedirectError
		ce *vast.CreateUncertainError
		ue *vast.UnsettledError
		ae *vast.AuditUnavailableError
		pe *vast.PartialListError
	)
	urlHint := "--api-url or VAST_URL"
	if a.urlSource != "" {
		urlHint = a.urlSource
	}
	switch {
	case errors.As(err, &ce), errors.As(err, &ue):
		// They name the operation and the key, and say what to do (even
		// when a cancellation is why the outcome is unknown).
		return err
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: cancelled", what)
	case errors.As(err, &ae):
		return fmt.Errorf("%s: the audit log is %s", what, ae.Note())
	case errors.As(err, &re):
		return fmt.Errorf("%s: %s answered %d redirecting to %s; vastguard does not follow redirects, so the key was not sent there: check %s (%s)",
			what, a.url, re.StatusCode, redirectHost(re.Location), urlHint, a.url)
	case errors.Is(err, vast.ErrTwoFactor) && errors.As(err, &ve):
		return fmt.Errorf("%s: the Vast API wants a two-factor (2FA) session for this (%s): the key in %s is valid, but its account has 2FA on; use a key whose account has no 2FA, or a session key from `vastai tfa login`", what, ve.Brief(), a.cred.source)
	case errors.As(err, &pe):
		return fmt.Errorf("%s: the Vast API answered only part of the key list (%d keys, %s); it documents no pages, so nothing was done on part of it", what, pe.Listed, pe.Why)
	case errors.Is(err, vast.ErrUnauthorized) && errors.As(err, &ve):
		return fmt.Errorf("the Vast API rejected the key (%s): check %s", ve.Brief(), a.cred.source)
	case errors.Is(err, vast.ErrRefused) && errors.As(err, &ve):
		return fmt.Errorf("%s: the Vast API answered %s, so nothing was done", what, ve.Brief())
	case errors.Is(err, vast.ErrForbidden) && errors.As(err, &ve):
		return fmt.Errorf("%s: the Vast API refused (%s): the key in %s needs user_read to list keys and user_write to create, delete or reset them, and the key must belong to this account", what, ve.Brief(), a.cred.source)
	case errors.Is(err, vast.ErrNoEndpoint) && errors.As(err, &ve):
		return fmt.Errorf("%s: %s has no such endpoint (%s): is %s the Vast API?", what, a.url, ve.Brief(), urlHint)
	case errors.Is(err, vast.ErrRateLimited) && errors.As(err, &ve) && ve.OverBudget:
		return fmt.Errorf("%s: the Vast API is rate limiting this key and asked to wait %s, longer than the retry budget; try again after that", what, ve.RetryAfter.Round(time.Second))
	case errors.Is(err, vast.ErrRateLimited) && errors.As(err, &ve):
		return fmt.Errorf("%s: the Vast API kept rate limiting this key (%s) through every retry; wait a minute and try again", what, ve.Brief())
	case errors.Is(err, vast.ErrServer) && errors.As(err, &ve):
		return fmt.Errorf("%s: the Vast API failed (%s) through every retry; try again later", what, ve.Brief())
	case errors.As(err, &ve):
		return fmt.Errorf("%s: the Vast API answered %s", what, ve.Brief())
	case errors.Is(err, vast.ErrBadResponse):
		return fmt.Errorf("%s: %v: is %s (%s) the Vast API?", what, err, a.url, urlHint)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: the Vast API at %s did not answer in time: %v", what, a.url, err)
	}
	return fmt.Errorf("%s: cannot reach the Vast API at %s (check %s and the network): %v", what, a.url, urlHint, err)
}

// redirectHost names where a redirect pointed: its host, and "plain http"
// when it left https; "nowhere" without a Location.
func redirectHost(location string) string {
	if location == "" {
		return "nowhere (no Location header)"
	}
	u, err := url.Parse(location)
	if err != nil || u.Host == "" {
		return safetext.OneLine(location)
	}
	if u.Scheme == "http" {
		return "http://" + u.Host + " (plain http)"
	}
	return u.Host
}

// githubFlags are the flags of commands that call the GitHub API.
type githubFlags struct {
	token string
	url   string
}

func (f *githubFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.token, "token", "", "GitHub `TOKEN` (default $GITHUB_TOKEN, then $GH_TOKEN); prefer the environment: flags show in ps")
	fs.StringVar(&f.url, "github-api-url", "", "GitHub API `URL` (default $GITHUB_API_URL, then "+ghapi.DefaultAPIURL+"; on Enterprise Server https://HOST/api/v3)")
}

// githubToken finds the GitHub token: the flag, then GITHUB_TOKEN (as a
// workflow step's env sets it), then GH_TOKEN (as the gh CLI reads it).
func githubToken(e *Env, flagToken, source string) (credential, error) {
	if t := strings.TrimSpace(flagToken); t != "" {
		return credential{t, source}, nil
	}
	for _, name := range []string{"GITHUB_TOKEN", "GH_TOKEN"} {
		if t := strings.TrimSpace(e.Getenv(name)); t != "" {
			return credential{t, name}, nil
		}
	}
	return credential{}, errors.New("no GitHub token: set GITHUB_TOKEN (or GH_TOKEN), or pass --token")
}

// githubAPIURL picks the API URL: the flag, then GITHUB_API_URL (set on
// every Actions runner, the Enterprise Server's on GHES), then github.com's.
func githubAPIURL(e *Env, flagURL string) (string, string) {
	return setting(e, flagURL, "--github-api-url", "GITHUB_API_URL", ghapi.DefaultAPIURL)
}

// githubAPI is a GitHub client plus what to tell the user to check when it
// fails.
type githubAPI struct {
	*ghapi.Client
	cred      credential
	url       string
	urlSource string
}

// newGitHub is the one place a GitHub client is built: from a token and an API URL, each taken from
// the environment when empty. source names where a given token came from
// ("--token", "the github-token input"), for messages.
func newGitHub(e *Env, token, source, apiURL string) (*githubAPI, error) {
	cred, err := githubToken(e, token, source)
	if err != nil {
		return nil, err
	}
	u, src := githubAPIURL(e, apiURL)
	opts := []ghapi.Option{ghapi.WithBaseURL(u), ghapi.WithUserAgent(userAgent()), ghapi.WithHTTPClient(httpClient(e, nil))}
	c, err := ghapi.New(cred.key, opts...)
	switch {
	case err == nil:
	case errors.Is(err, ghapi.ErrNoToken):
		return nil, fmt.Errorf("%s is empty", cred.source)
	case strings.Contains(err.Error(), "API URL") && src != "":
		return nil, fmt.Errorf("%s: %w", src, err)
	default:
		return nil, fmt.Errorf("%s: %w", cred.source, err)
	}
	return &githubAPI{Client: c, cred: cred, url: u, urlSource: src}, nil
}

// explain adds to a GitHub error where the token or URL came from, which
// is what the user can change. ghapi errors already name the operation and
// say what permission is missing; none holds the token. What GitHub said
// is sanitised.
func (g *githubAPI) explain(err error) error {
	if err == nil {
		return nil
	}
	return outsideError{g.explainRaw(err)}
}

func (g *githubAPI) explainRaw(err error) error {
	var ge *ghapi.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return errors.New("cancelled")
	case errors.Is(err, ghapi.ErrRateLimited):
		return fmt.Errorf("%w; wait for it to pass and try again (the limit is on the token from %s)", err, g.cred.source)
	case errors.As(err, &ge) && (ge.Status == 401 || ge.Status == 403 || ge.Status == 404):
		return fmt.Errorf("%w; the token came from %s", err, g.cred.source)
	case errors.As(err, &ge):
		return err
	}
	hint := "--github-api-url or GITHUB_API_URL"
	if g.urlSource != "" {
		hint = g.urlSource
	}
	if strings.Contains(err.Error(), "cannot reach GitHub") {
		return fmt.Errorf("%w (check %s and the network)", err, hint)
	}
	return err
}
