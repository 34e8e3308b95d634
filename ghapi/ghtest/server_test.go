package ghtest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/ghapi/ghtest"
	"golang.org/x/crypto/nacl/box"
)

// call sends one request as a client would and returns the status, the
// body and the headers.
func call(t *testing.T, method, url, token, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func message(t *testing.T, body string) string {
	t.Helper()
	var m struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body %q is not GitHub's error JSON: %v", body, err)
	}
	return m.Message
}

func TestAuth(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
	url := srv.URL + "/repos/octo/app/actions/secrets/public-key"
	tests := []struct {
		name       string
		header     string
		wantStatus int
		wantMsg    string
	}{
		{"no token", "", 401, "Requires authentication"},
		{"unknown token", "Bearer ghp_nope", 401, "Bad credentials"},
		{"Basic is not a token", "Basic " + srv.Token, 401, "Bad credentials"},
		{"token scheme", "token " + srv.Token, 200, ""},
		{"Bearer scheme", "Bearer " + srv.Token, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tt.wantStatus, b)
			}
			if tt.wantMsg != "" {
				if got := message(t, string(b)); got != tt.wantMsg {
					t.Errorf("message = %q, want %q", got, tt.wantMsg)
				}
			}
		})
	}
}

func TestSecretRoundTrip(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
	base := srv.URL + "/repos/octo/app/actions/secrets/"

	status, body, _ := call(t, "GET", base+"public-key", srv.Token, "")
	if status != 200 {
		t.Fatalf("public key: %d %s", status, body)
	}
	var pk struct {
		KeyID string `json:"key_id"`
		Key   string `json:"key"`
	}
	json.Unmarshal([]byte(body), &pk)
	raw, err := base64.StdEncoding.DecodeString(pk.Key)
	if err != nil || len(raw) != 32 || pk.KeyID == "" {
		t.Fatalf("public key answer %s", body)
	}
	var key [32]byte
	copy(key[:], raw)
	put := func(value string) int {
		sealed, err := box.SealAnonymous(nil, []byte(value), &key, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(map[string]string{"key_id": pk.KeyID, "encrypted_value": base64.StdEncoding.EncodeToString(sealed)})
		status, _, _ := call(t, "PUT", base+"Vast_Key", srv.Token, string(b))
		return status
	}
	if got := put("first"); got != 201 {
		t.Errorf("first PUT = %d, want 201", got)
	}
	if got := put("second"); got != 204 {
		t.Errorf("second PUT = %d, want 204", got)
	}
	sec, ok := srv.Secret("OCTO", "App", "vast_key")
	if !ok || sec.Value != "second" || sec.Name != "VAST_KEY" || sec.Writes != 2 {
		t.Errorf("Secret = %+v, %v", sec, ok)
	}
	if status, body, _ := call(t, "GET", base+"VAST_KEY", srv.Token, ""); status != 200 || !strings.Contains(body, `"name":"VAST_KEY"`) || strings.Contains(body, "second") {
		t.Errorf("GET secret = %d %s", status, body)
	}

	bad := []struct {
		name, path, body string
		want             int
	}{
		{"reserved name", "GITHUB_X", `{"key_id":"` + pk.KeyID + `","encrypted_value":"AAAA"}`, 422},
		{"wrong key id", "X", `{"key_id":"1","encrypted_value":"AAAA"}`, 422},
		{"not sealed to the key", "X", `{"key_id":"` + pk.KeyID + `","encrypted_value":"AAAA"}`, 422},
		{"not JSON", "X", `{`, 400},
	}
	for _, b := range bad {
		if status, _, _ := call(t, "PUT", base+b.path, srv.Token, b.body); status != b.want {
			t.Errorf("%s: status %d, want %d", b.name, status, b.want)
		}
	}
	if len(srv.Secrets("octo", "app")) != 1 {
		t.Errorf("secrets = %v", srv.Secrets("octo", "app"))
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
	actions := srv.AddActionsToken()
	status, body, _ := call(t, "GET", srv.URL+"/repos/octo/app/actions/secrets/public-key", actions, "")
	if status != 403 || message(t, body) != "Resource not accessible by integration" {
		t.Errorf("GITHUB_TOKEN-like public key = %d %s", status, body)
	}
	if status, body, _ := call(t, "GET", srv.URL+"/orgs/octo/repos", actions, ""); status != 200 {
		t.Errorf("GITHUB_TOKEN-like list = %d %s", status, body)
	}
	srv.AddToken("ghp_none")
	if status, _, _ := call(t, "GET", srv.URL+"/orgs/octo/repos", "ghp_none", ""); status != 403 {
		t.Errorf("no permission list = %d", status)
	}
	if status, body, _ := call(t, "GET", srv.URL+"/repos/octo/nope/actions/secrets/public-key", srv.Token, ""); status != 404 || message(t, body) != "Not Found" {
		t.Errorf("unknown repo = %d %s", status, body)
	}
}

func gzipBase64(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

func TestSARIF(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	srv.AddRepo(ghtest.Repo{Owner: "octo", Name: "app"})
	url := srv.URL + "/repos/octo/app/code-scanning/sarifs"
	const doc = `{"version":"2.1.0","runs":[]}`
	sha := strings.Repeat("a", 40)
	req := func(sha, ref, sarif string) string {
		b, _ := json.Marshal(map[string]string{"commit_sha": sha, "ref": ref, "sarif": sarif, "tool_name": "t"})
		return string(b)
	}
	status, body, _ := call(t, "POST", url, srv.Token, req(sha, "refs/heads/main", gzipBase64(t, doc)))
	if status != 202 {
		t.Fatalf("upload = %d %s", status, body)
	}
	var id struct{ ID, URL string }
	json.Unmarshal([]byte(body), &id)
	ups := srv.Uploads()
	if len(ups) != 1 || ups[0].ID != id.ID || string(ups[0].SARIF) != doc || ups[0].Ref != "refs/heads/main" || ups[0].ToolName != "t" {
		t.Fatalf("uploads = %+v, answer %s", ups, body)
	}
	if !strings.HasSuffix(id.URL, "/repos/octo/app/code-scanning/sarifs/"+id.ID) {
		t.Errorf("url = %q", id.URL)
	}
	if status, body, _ := call(t, "GET", id.URL, srv.Token, ""); status != 200 || !strings.Contains(body, `"processing_status":"complete"`) {
		t.Errorf("status = %d %s", status, body)
	}

	bad := []struct{ name, body string }{
		{"short sha", req("abc", "refs/heads/main", gzipBase64(t, doc))},
		{"branch name without refs/heads", req(sha, "main", gzipBase64(t, doc))},
		{"not base64", req(sha, "refs/heads/main", "%%%")},
		{"not gzip", req(sha, "refs/heads/main", base64.StdEncoding.EncodeToString([]byte(doc)))},
		{"SARIF 2.0", req(sha, "refs/heads/main", gzipBase64(t, `{"version":"2.0.0","runs":[]}`))},
	}
	for _, b := range bad {
		if status, _, _ := call(t, "POST", url, srv.Token, b.body); status < 400 {
			t.Errorf("%s: status %d, want an error", b.name, status)
		}
	}
	if len(srv.Uploads()) != 1 {
		t.Errorf("a bad upload was kept")
	}
}

func TestOrgReposPagination(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t, ghtest.WithMaxPerPage(2))
	for _, n := range []string{"e", "d", "c", "b", "a"} {
		srv.AddRepo(ghtest.Repo{Owner: "acme", Name: n})
	}
	var names []string
	url := srv.URL + "/orgs/acme/repos?per_page=50"
	var links []string
	for url != "" {
		status, body, h := call(t, "GET", url, srv.Token, "")
		if status != 200 {
			t.Fatalf("%s: %d %s", url, status, body)
		}
		var page []struct {
			FullName string `json:"full_name"`
		}
		json.Unmarshal([]byte(body), &page)
		for _, r := range page {
			names = append(names, r.FullName)
		}
		links = append(links, h.Get("Link"))
		url = ""
		for _, part := range strings.Split(h.Get("Link"), ", ") {
			if strings.HasSuffix(part, `rel="next"`) {
				url = strings.TrimSuffix(strings.TrimPrefix(strings.Split(part, ";")[0], "<"), ">")
			}
		}
	}
	if diff := cmp.Diff([]string{"acme/e", "acme/d", "acme/c", "acme/b", "acme/a"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if len(links) != 3 || !strings.Contains(links[0], `?page=3&per_page=50>; rel="last"`) || strings.Contains(links[2], `rel="next"`) {
		t.Errorf("Link headers = %q", links)
	}
	if status, body, _ := call(t, "GET", srv.URL+"/orgs/nobody/repos", srv.Token, ""); status != 404 {
		t.Errorf("unknown org = %d %s", status, body)
	}
	srv.AddOrg("empty")
	if status, body, h := call(t, "GET", srv.URL+"/orgs/empty/repos", srv.Token, ""); status != 200 || body != "[]" || h.Get("Link") != "" {
		t.Errorf("empty org = %d %s %q", status, body, h.Get("Link"))
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t, ghtest.WithPathPrefix("/api/v3"))
	srv.AddOrg("acme")
	if !strings.HasSuffix(srv.URL, "/api/v3") {
		t.Fatalf("URL = %q", srv.URL)
	}
	url := srv.URL + "/orgs/acme/repos"
	srv.FailNext(ghtest.RouteOrgRepos, 502, "Server Error", 2)
	srv.Inject(ghtest.PrimaryRateLimit(ghtest.RoutePublicKey)) // another route: not hit
	var got []int
	for range 3 {
		status, _, _ := call(t, "GET", url, srv.Token, "")
		got = append(got, status)
	}
	if diff := cmp.Diff([]int{502, 502, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	srv.ClearFaults()
	srv.Inject(ghtest.PrimaryRateLimit(""))
	status, body, h := call(t, "GET", url, srv.Token, "")
	if status != 403 || h.Get("X-RateLimit-Remaining") != "0" || !strings.Contains(body, "rate limit") {
		t.Errorf("rate limit = %d %s %v", status, body, h)
	}
	// A bad token is refused before any fault.
	srv.Inject(ghtest.Fault{Status: 500, Times: -1})
	if status, _, _ := call(t, "GET", url, "ghp_wrong", ""); status != 401 {
		t.Errorf("bad token under a fault = %d", status)
	}
	reqs := srv.Requests()
	if len(reqs) != 5 || reqs[0].Path != "/orgs/acme/repos" || reqs[0].Route != ghtest.RouteOrgRepos || !reqs[0].Fault || reqs[2].Fault {
		t.Errorf("log = %+v", reqs)
	}
}

// TestHostileAnswers: the faults a hostile or broken server answers with.
// Hang sends nothing, Trickle a 200 whose body never ends, Huge a body of
// the size asked; a run's Location is its redirect, and Stall makes its
// download stop after the first bytes.
func TestHostileAnswers(t *testing.T) {
	t.Parallel()
	srv := ghtest.NewServer(t)
	moved := srv.AddRun("acme", "gpu", ghtest.Run{Logs: []byte("PK\x05\x06" + strings.Repeat("\x00", 18)), Location: "http://192.0.2.1/x.zip"})
	stalled := srv.AddRun("acme", "gpu", ghtest.Run{Logs: []byte(strings.Repeat("z", 100)), Stall: true})
	get := func(url string, wait time.Duration) (*http.Response, []byte, error) {
		ctx, cancel := context.WithTimeout(t.Context(), wait)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	runs := srv.URL + "/repos/acme/gpu/actions/runs"
	srv.Inject(ghtest.Fault{Route: ghtest.RouteListRuns, Hang: true})
	if _, _, err := get(runs, 200*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hang: err = %v", err)
	}
	srv.Inject(ghtest.Fault{Route: ghtest.RouteListRuns, Trickle: true, TrickleEvery: 10 * time.Millisecond})
	if resp, b, err := get(runs, 300*time.Millisecond); resp == nil || resp.StatusCode != 200 || !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(string(b), "[ ") {
		t.Errorf("Trickle: %v %q %v", resp, b, err)
	}
	srv.Inject(ghtest.Fault{Route: ghtest.RouteListRuns, Huge: 1 << 20})
	if _, b, err := get(runs, 10*time.Second); err != nil || len(b) != 1<<20+4 {
		t.Errorf("Huge: %d bytes, %v", len(b), err)
	}
	resp, _, err := get(fmt.Sprintf("%s/repos/acme/gpu/actions/runs/%d/logs", srv.URL, moved), 10*time.Second)
	if err != nil || resp.StatusCode != 302 || resp.Header.Get("Location") != "http://192.0.2.1/x.zip" {
		t.Errorf("Location: %v %v", resp, err)
	}
	resp, _, err = get(fmt.Sprintf("%s/repos/acme/gpu/actions/runs/%d/logs", srv.URL, stalled), 10*time.Second)
	if err != nil || resp.StatusCode != 302 {
		t.Fatalf("stalled run: %v %v", resp, err)
	}
	if resp, b, err := get(resp.Header.Get("Location"), 300*time.Millisecond); resp == nil || resp.StatusCode != 200 || !errors.Is(err, context.DeadlineExceeded) || string(b) != strings.Repeat("z", 16) {
		t.Errorf("Stall: %v %q %v", resp, b, err)
	}
}
