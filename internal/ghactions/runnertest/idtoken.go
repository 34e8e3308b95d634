package runnertest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"github.com/vastguard/vastguard/internal/broker/oidctest"
)

// IDTokens is the runner's OIDC token endpoint for a job whose workflow
// grants `permissions: id-token: write` (actions-runtime.md §1.3): the
// runner then gives every step ACTIONS_ID_TOKEN_REQUEST_URL and
// ACTIONS_ID_TOKEN_REQUEST_TOKEN, and GET on the URL with "&audience=AUD"
// added and the request token as Bearer answers {"count": N, "value":
// JWT}: a token of the job's claims for that audience (GitHub's default,
// https://github.com/OWNER, without one), signed by the issuer. A job
// without the permission gets neither variable: don't call GrantIDTokens.
//
// The endpoint listens on loopback. It refuses a wrong or missing request
// token (401) and a request without api-version (400), as the service
// does, and can be told to fail (FailNext).
type IDTokens struct {
	// URL is ACTIONS_ID_TOKEN_REQUEST_URL; it already has a query.
	URL string

	iss    *oidctest.Issuer
	bearer string
	srv    *httptest.Server

	mu        sync.Mutex
	job       oidctest.Job
	audiences []string
	fail      int // status of the next answers, while failures > 0
	failures  int
}

// GrantIDTokens starts the job's token endpoint, signing with iss, and puts
// its two variables in the job's environment for the steps that follow.
// The token's claims are the job's GITHUB_* variables as they are now
// (repository, run id and attempt, ref, event, actor); SetJob changes
// them. Close stops the endpoint.
func (j *Job) GrantIDTokens(iss *oidctest.Issuer) *IDTokens {
	t := &IDTokens{iss: iss, bearer: randomToken(), job: j.tokenJob()}
	t.srv = httptest.NewServer(t)
	t.URL = t.srv.URL + "/00000000-0000-0000-0000-000000000000/_apis/distributedtask/hubs/Actions/plans/" + randomToken()[:12] + "/jobs/" + randomToken()[:12] + "/idtoken?api-version=2.0"
	j.Env["ACTIONS_ID_TOKEN_REQUEST_URL"] = t.URL
	j.Env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = t.bearer
	return t
}

// tokenJob reads the token's claims from the job's variables.
func (j *Job) tokenJob() oidctest.Job {
	num := func(k string) int64 {
		n, _ := strconv.ParseInt(j.Env[k], 10, 64)
		return n
	}
	return oidctest.Job{
		Repository: j.Env["GITHUB_REPOSITORY"],
		RunID:      num("GITHUB_RUN_ID"),
		Attempt:    num("GITHUB_RUN_ATTEMPT"),
		Ref:        j.Env["GITHUB_REF"],
		Event:      j.Env["GITHUB_EVENT_NAME"],
		Actor:      j.Env["GITHUB_ACTOR"],
	}
}

// SetJob sets the claims of the tokens answered from now on (Audience is
// ignored: it is the request's).
func (t *IDTokens) SetJob(job oidctest.Job) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.job = job
}

// FailNext makes the next n requests answer status.
func (t *IDTokens) FailNext(status, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fail, t.failures = status, n
}

// Audiences returns the audience of every token answered, in order ("" for
// a request without one).
func (t *IDTokens) Audiences() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.audiences...)
}

// Close stops the endpoint; a step asking later cannot connect, as when
// the runner is gone.
func (t *IDTokens) Close() { t.srv.Close() }

// ServeHTTP is the endpoint.
func (t *IDTokens) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/idtoken"):
		http.NotFound(w, r)
		return
	case r.Header.Get("Authorization") != "Bearer "+t.bearer:
		http.Error(w, `{"message":"The user is not authorized"}`, http.StatusUnauthorized)
		return
	case r.URL.Query().Get("api-version") == "":
		http.Error(w, `{"message":"No api-version was supplied for the request"}`, http.StatusBadRequest)
		return
	}
	aud := r.URL.Query().Get("audience")
	t.mu.Lock()
	if t.failures > 0 {
		t.failures--
		status := t.fail
		t.mu.Unlock()
		http.Error(w, http.StatusText(status), status)
		return
	}
	job := t.job
	t.audiences = append(t.audiences, aud)
	n := len(t.audiences)
	t.mu.Unlock()
	job.Audience = aud // "" gives GitHub's default, https://github.com/OWNER
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"count": 1000 + n, "value": t.iss.Sign(t.iss.Claims(job))})
}

func randomToken() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
