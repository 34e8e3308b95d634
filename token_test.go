package main

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vastguard/vastguard/internal/command"
	"github.com/vastguard/vastguard/internal/ghactions/runnertest"
	"github.com/vastguard/vastguard/scan/scantest"
)

// tokenSpy records where every request of the program goes and whether it
// carries the GitHub token.
type tokenSpy struct {
	mu    sync.Mutex
	token string
	seen  map[string]int // "host carried" or "host clean" -> requests
}

func (s *tokenSpy) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	what := "clean"
	if strings.Contains(r.Header.Get("Authorization"), s.token) {
		what = "carried"
	}
	s.seen[r.URL.Host+" "+what]++
	s.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// TestGitHubTokenOnlyWhereUsed: github-token defaults to the job's token
// for every use of the action; only the commands that call GitHub with it
// (scan with upload-sarif or on-leak: reset, repos) send it, and only to
// GitHub. The Vast API never sees it.
func TestGitHubTokenOnlyWhereUsed(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	gh := withGitHub(t, x)
	gh.AddOrg("acme")
	token := gh.Token
	x.job.Env["GITHUB_TOKEN"] = token // as a job's env: may set it
	spy := &tokenSpy{token: token, seen: map[string]int{}}
	// The runner model gives the default github-token input the job's
	// token; here every step gets gh's token, which may do everything.
	job, err := runnertest.NewJob(x.job.Dir+"/job2", manifest(t).inputDefaults(), manifest(t).Runs.Args, manifest(t).Runs.Entrypoint, manifest(t).Runs.PostEntrypoint,
		inProcess(command.Env{Now: time.Now, HTTP: &http.Client{Transport: spy}, Sleep: x.clock.Sleep}))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range x.job.Env {
		if k != "GITHUB_WORKSPACE" && k != "GITHUB_EVENT_PATH" && k != "HOME" && k != "RUNNER_TEMP" {
			job.Env[k] = v
		}
	}
	x.job = job
	r := workspaceRepo(x)
	r.Commit("leak", scantest.Files{"a.env": "VAST_API_KEY=" + scantest.Key(3) + "\n"})
	ghHost := strings.TrimPrefix(gh.URL, "http://")
	vastHost := strings.TrimPrefix(x.srv.URL, "http://")
	steps := []struct {
		with     map[string]string
		usesGH   bool
		wantCode int
	}{
		{map[string]string{"command": "mint", "github-token": token}, false, 0},
		{map[string]string{"command": "audit", "github-token": token}, false, 2},
		{map[string]string{"command": "sweep", "github-token": token}, false, 0},
		{map[string]string{"command": "scan", "github-token": token, "verify": "true"}, false, 2},
		{map[string]string{"command": "scan", "github-token": token, "upload-sarif": "true"}, true, 2},
		{map[string]string{"command": "repos", "github-token": token, "org": "acme"}, true, 0},
	}
	for _, st := range steps {
		spy.mu.Lock()
		clear(spy.seen)
		spy.mu.Unlock()
		s := x.step("s", st.with)
		if s.Code != st.wantCode {
			t.Errorf("%v: exit %d\n%s", st.with, s.Code, s.Stdout)
		}
		spy.mu.Lock()
		if n := spy.seen[vastHost+" carried"]; n > 0 {
			t.Errorf("%s: %d requests to the Vast API carried the GitHub token", st.with["command"], n)
		}
		if got := spy.seen[ghHost+" carried"] > 0; got != st.usesGH {
			t.Errorf("%v: GitHub got the token: %v, want %v (%v)", st.with, got, st.usesGH, spy.seen)
		}
		spy.mu.Unlock()
	}
	x.posts()
	spy.mu.Lock()
	defer spy.mu.Unlock()
	if n := spy.seen[vastHost+" carried"]; n > 0 {
		t.Errorf("post steps: %d requests carried the GitHub token", n)
	}
}
