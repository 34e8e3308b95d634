package brokerclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrNoIDToken is matched by the error IDToken returns when the job may
// not request an OIDC token.
var ErrNoIDToken = errors.New("no OIDC token for this job")

// noIDTokenMessage is the one line a workflow author sees.
const noIDTokenMessage = "this job cannot request an OIDC token: add `permissions: id-token: write` to the job (pull requests from forks never get one); ACTIONS_ID_TOKEN_REQUEST_URL is not set"

// Runner fetches the job's OIDC token from the Actions runner, as
// actions/core's getIDToken does: GET $ACTIONS_ID_TOKEN_REQUEST_URL with
// &audience=..., authorised by $ACTIONS_ID_TOKEN_REQUEST_TOKEN, answering
// {"value": TOKEN}.
//
// Written here rather than taken from go-githubactions' GetIDToken, which
// echoes the answer's body into its errors, does not retry, and does not
// tell a missing id-token permission from other failures.
type Runner struct {
	Getenv func(string) string // nil: no environment
	HTTP   *http.Client        // nil: a client with a 30 s timeout
	Sleep  func(context.Context, time.Duration) error
}

// IDToken returns the job's OIDC token for audience. It retries network
// errors and 5xx answers three times.
func (r Runner) IDToken(ctx context.Context, audience string) (string, error) {
	getenv := r.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	reqURL := strings.TrimSpace(getenv("ACTIONS_ID_TOKEN_REQUEST_URL"))
	reqToken := strings.TrimSpace(getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"))
	if reqURL == "" || reqToken == "" {
		return "", fmt.Errorf("%w: %s", ErrNoIDToken, noIDTokenMessage)
	}
	if strings.TrimSpace(audience) == "" {
		return "", errors.New("broker-audience is empty: set it to the audience the broker expects")
	}
	u, err := url.Parse(reqURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("ACTIONS_ID_TOKEN_REQUEST_URL is not an http(s) URL")
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	h := r.HTTP
	if h == nil {
		h = &http.Client{Timeout: 30 * time.Second}
	}
	hc := *h
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	sleepFn := r.Sleep
	if sleepFn == nil {
		sleepFn = sleep
	}
	var last error
	for attempt := range 4 {
		if attempt > 0 {
			if err := sleepFn(ctx, time.Duration(attempt)*time.Second); err != nil {
				return "", last
			}
		}
		tok, retry, err := fetchToken(ctx, &hc, u.String(), reqToken)
		if err == nil {
			return tok, nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return "", last
}

func fetchToken(ctx context.Context, h *http.Client, u, reqToken string) (string, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", false, errors.New("the OIDC token request could not be built")
	}
	req.Header.Set("Authorization", "Bearer "+reqToken)
	req.Header.Set("Accept", "application/json; api-version=2.0")
	resp, err := h.Do(req)
	if err != nil {
		// The URL's query holds no secret; the request token is a header.
		return "", true, fmt.Errorf("requesting the job's OIDC token: %w", scrubErr(err, reqToken))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", true, errors.New("reading the job's OIDC token: the runner's answer was cut")
	}
	if resp.StatusCode != http.StatusOK {
		return "", resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests,
			fmt.Errorf("requesting the job's OIDC token: the runner answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	var body struct {
		Value string `json:"value"`
	}
	if json.Unmarshal(data, &body) != nil || strings.Count(body.Value, ".") != 2 {
		return "", false, errors.New("requesting the job's OIDC token: the runner's answer holds no token")
	}
	return body.Value, false, nil
}
