package vast

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Vast limits each endpoint to a minimum interval between two calls by one
// identity (bearer token, session, api_key query, client IP), and a call
// inside the window is answered 429 ([DOC] rate-limits-and-errors.mdx). The
// intervals are the OpenAPI files' x-rate-limit thresholds; endpoints
// without one get defaultFloor. A retry after a 429 never comes back
// inside the window: it waits at least the floor, or what the API asked.
var rateFloors = []struct {
	method, pattern string
	floor           time.Duration
}{
	{"POST", "/api/v0/auth/apikeys/", 2 * time.Second},
	{"GET", "/api/v0/auth/apikeys/", 1 * time.Second},
	{"DELETE", "/api/v0/auth/apikeys/{id}/", 2 * time.Second},
	{"GET", "/api/v0/auth/apikeys/{id}/", 1 * time.Second},
	{"PUT", "/api/v0/commands/reset_apikey/", 3 * time.Second},
}

// defaultFloor is the floor of endpoints the docs give no threshold for
// (users/current/, audit_logs/): the smallest documented one.
const defaultFloor = time.Second

// maxHint caps a wait the API asks for, so a hostile header cannot
// overflow the arithmetic; the retry budget is far smaller anyway.
const maxHint = time.Hour

// RateFloor returns the minimum interval Vast documents between two calls
// of method on path by one key: create and delete 2s, list and show 1s,
// reset 3s, anything else 1s.
func RateFloor(method, path string) time.Duration {
	for _, f := range rateFloors {
		if f.method == method && matchPattern(f.pattern, path) {
			return f.floor
		}
	}
	return defaultFloor
}

// matchPattern matches a path against a pattern whose "{id}" segments stand
// for any one segment.
func matchPattern(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if ps[i] != xs[i] && !(strings.HasPrefix(ps[i], "{") && xs[i] != "") {
			return false
		}
	}
	return true
}

// retryAfter reads how long the API asked the client to wait: a
// Retry-After header (seconds or an HTTP date, RFC 9110 §10.2.3) or a JSON
// body's retry_after (seconds; the staff drafts of vast-ai/docs #68). 0
// means it did not say.
func retryAfter(h http.Header, body []byte, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil {
			return seconds(secs)
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := t.Sub(now); d > 0 {
				return min(d, maxHint)
			}
			return 0
		}
	}
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '{' {
		var env struct {
			RetryAfter json.RawMessage `json:"retry_after"`
		}
		if json.Unmarshal(body, &env) == nil && len(env.RetryAfter) > 0 {
			raw := strings.Trim(string(env.RetryAfter), `"`)
			if secs, err := strconv.ParseFloat(raw, 64); err == nil {
				return seconds(secs)
			}
		}
	}
	return 0
}

func seconds(s float64) time.Duration {
	if math.IsNaN(s) || s <= 0 {
		return 0
	}
	if s > maxHint.Seconds() {
		return maxHint
	}
	return time.Duration(s * float64(time.Second))
}

// thresholdText finds "threshold=2.0" in a 429 body: the endpoint's window,
// which the API states in its plain-text and {"detail": ...} answers.
var thresholdText = regexp.MustCompile(`threshold\s*=\s*([0-9]+(?:\.[0-9]+)?)`)

// statedThreshold is the window a 429 body states, 0 if none.
func statedThreshold(body []byte) time.Duration {
	m := thresholdText.FindSubmatch(body)
	if m == nil {
		return 0
	}
	f, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return 0
	}
	return seconds(f)
}
