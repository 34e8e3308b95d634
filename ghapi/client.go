package ghapi

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/go-github/v62/github"
)

// DefaultAPIURL is GitHub.com's REST API, GITHUB_API_URL's value there.
const DefaultAPIURL = "https://api.github.com"

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "vastguard"

// A Client calls the GitHub REST API with one token. It is safe for
// concurrent use. After GitHub answers a primary rate limit, go-github
// refuses further calls in that category until the limit resets, without
// sending them; those calls fail with ErrRateLimited too.
type Client struct {
	gh    *github.Client
	base  *url.URL
	token string
	http  *http.Client
	ua    string
}

// An Option configures a Client.
type Option func(*Client) error

// WithBaseURL sets the API URL, as GITHUB_API_URL holds it:
// https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise
// Server. The URL is used as given (a trailing slash is added); nothing is
// appended to it. http is accepted only to a loopback address (127.0.0.1,
// ::1, localhost), for a local fake: the token must not cross a network in
// clear. A query or fragment (even an empty one: "?" or "#" would swallow
// the paths appended to it), credentials, and a port that is not 1 to
// 65535 are refused.
func WithBaseURL(apiURL string) Option {
	return func(c *Client) error {
		u, err := parseAPIURL(apiURL)
		if err != nil {
			return err
		}
		c.base = u
		return nil
	}
}

func parseAPIURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("GitHub API URL %q is not a URL", raw)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("GitHub API URL %q must start with https:// (or http:// for a local fake)", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("GitHub API URL %q has no host", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || strings.ContainsAny(raw, "?#") {
		return nil, errors.New("GitHub API URL must not carry credentials, a query or a fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("GitHub API URL %q: port %s is not a port (1 to 65535)", raw, p)
		}
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("GitHub API URL %q: http:// is only for a local fake (127.0.0.1, ::1, localhost); use https://", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	u.RawPath = ""
	return u, nil
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WithHTTPClient sets the HTTP client requests go through. The client is
// copied, not changed. The default has a 60 s timeout.
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) error {
		if h == nil {
			return errors.New("nil HTTP client")
		}
		c.http = h
		return nil
	}
}

// WithUserAgent sets the User-Agent header (GitHub asks for one that names
// the program).
func WithUserAgent(ua string) Option {
	return func(c *Client) error { c.ua = ua; return nil }
}

// ErrNoToken is returned by New for an empty token.
var ErrNoToken = errors.New("no GitHub token")

// New returns a client that authenticates with token, against
// DefaultAPIURL unless WithBaseURL says otherwise. The token's format is not
// checked beyond being one printable ASCII word: GitHub has several formats
// and may add more.
func New(token string, opts ...Option) (*Client, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, ErrNoToken
	}
	for _, r := range token {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) || r > unicode.MaxASCII {
			return nil, errors.New("the GitHub token contains a space, a control or a non-ASCII character; check how it was copied")
		}
	}
	base, _ := url.Parse(DefaultAPIURL + "/")
	c := &Client{
		base:  base,
		token: token,
		http:  &http.Client{Timeout: 60 * time.Second},
		ua:    DefaultUserAgent,
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	hc := *c.http
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = &authTransport{next: next, token: token, scheme: c.base.Scheme, host: c.base.Host}
	gh := github.NewClient(&hc)
	gh.BaseURL = c.base
	gh.UserAgent = c.ua
	c.gh = gh
	return c, nil
}

// BaseURL returns the API URL the client talks to, with a trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// host names the API for errors: scheme and host, no path.
func (c *Client) host() string { return c.base.Scheme + "://" + c.base.Host }

// authTransport adds the token to requests for the API's own scheme and
// host only. go-github's WithAuthToken adds it to every request, so a
// redirect to another host would carry it there.
type authTransport struct {
	next         http.RoundTripper
	token        string
	scheme, host string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == t.scheme && strings.EqualFold(req.URL.Host, t.host) {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	return t.next.RoundTrip(req)
}

// GitHub's rules for names that go into a request path: an owner is a
// user or organisation login (letters, digits, hyphens; Enterprise Managed
// Users add an underscore), a repository name is letters, digits, '.', '-'
// and '_'. Checking them keeps a stray "/" or ".." out of the path.
var (
	ownerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$`)
	repoName  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
)

// checkRepo checks an owner and repository name before they go into a URL.
func checkRepo(owner, repo string) error {
	if !ownerName.MatchString(owner) {
		return fmt.Errorf("%q is not a GitHub user or organisation name", owner)
	}
	if !repoName.MatchString(repo) || repo == "." || repo == ".." {
		return fmt.Errorf("%q is not a GitHub repository name", repo)
	}
	return nil
}
