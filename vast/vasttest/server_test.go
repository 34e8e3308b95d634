package vasttest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// call makes one raw request, so these tests check the wire protocol
// without package vast.
func call(t *testing.T, srv *vasttest.Server, method, path, token, body string) (int, string, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestWireProtocol(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t)
	uid, admin := srv.AddAccount("w@example.com")
	if !hex64.MatchString(admin) {
		t.Fatalf("seeded key is not 64 lowercase hex")
	}

	st, body, _ := call(t, srv, "POST", "/api/v0/auth/apikeys/", admin, `{"name":"ci","permissions":{"api":{"misc":{}}}}`)
	var created struct {
		ID          int64           `json:"id"`
		Key         string          `json:"key"`
		Permissions json.RawMessage `json:"permissions"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &created) != nil || !hex64.MatchString(created.Key) || created.ID == 0 {
		t.Fatalf("create = %d %s", st, body)
	}
	if string(created.Permissions) != `{"api":{"misc":{}}}` {
		t.Errorf("create permissions = %s", created.Permissions)
	}

	st, body, _ = call(t, srv, "GET", "/api/v0/auth/apikeys/", admin, "")
	if st != 200 || !strings.HasPrefix(body, `{"apikeys":[`) || strings.Contains(body, created.Key) || strings.Contains(body, admin) {
		t.Errorf("list = %d %s (must be the envelope and carry no key values)", st, body)
	}

	// The new key lacks user_read: 403 on list and user.
	if st, _, _ = call(t, srv, "GET", "/api/v0/auth/apikeys/", created.Key, ""); st != 403 {
		t.Errorf("scoped list = %d, want 403", st)
	}

	st, body, _ = call(t, srv, "GET", "/api/v0/users/current/", admin, "")
	var user map[string]any
	if st != 200 || json.Unmarshal([]byte(body), &user) != nil || user["api_key"] != admin || int64(user["id"].(float64)) != uid {
		t.Errorf("user = %d (fields %v)", st, keysOf(user))
	}

	path := "/api/v0/auth/apikeys/" + itoa(created.ID) + "/"
	if st, body, _ = call(t, srv, "DELETE", path, admin, "{}"); st != 200 || body != `"Successfully Deleted API Key"` {
		t.Errorf("delete = %d %s", st, body)
	}
	if st, body, _ = call(t, srv, "DELETE", path, admin, "{}"); st != 404 || body != `{"msg":"API Key not found."}` {
		t.Errorf("second delete = %d %s", st, body)
	}
	if st, body, _ = call(t, srv, "GET", "/api/v0/users/current/", created.Key, ""); st != 401 || !strings.Contains(body, "Invalid user key") {
		t.Errorf("deleted key = %d %s", st, body)
	}
	if st, body, _ = call(t, srv, "GET", "/api/v0/auth/apikeys/", "", ""); st != 400 || !strings.Contains(body, "not provided as bearer token") {
		t.Errorf("no token = %d %s", st, body)
	}
	if st, body, h := call(t, srv, "GET", "/api/v0/nope/", admin, ""); st != 404 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("unknown path = %d %s", st, body)
	}
	if st, _, _ = call(t, srv, "GET", "/api/v0/users/current/?api_key="+admin, "", ""); st != 200 {
		t.Errorf("api_key query = %d, want 200 (the real API still accepts it)", st)
	}
	if got := srv.Requests()[len(srv.Requests())-1].Query; !strings.HasPrefix(got, "api_key=") {
		t.Errorf("log query = %q", got)
	}
}

func TestCreateValidatesLikeTheAPI(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t)
	_, admin := srv.AddAccount("v@example.com")
	tests := []struct{ body, want string }{
		{`{"name":"x","permissions":{"api":{"bogus":{}}}}`, "invalid_permissions"},
		{`{"name":"x","permissions":{"read":true}}`, "invalid_permissions"},
		{`{"permissions":{"api":{"misc":{}}}}`, "invalid_args"},
		{`{"name":"` + strings.Repeat("n", 256) + `","permissions":{"api":{"misc":{}}}}`, "invalid_args"},
		{`not json`, "invalid_args"},
	}
	for _, tt := range tests {
		st, body, _ := call(t, srv, "POST", "/api/v0/auth/apikeys/", admin, tt.body)
		if st != 400 || !strings.Contains(body, tt.want) {
			t.Errorf("create %.30s = %d %s, want 400 %s", tt.body, st, body, tt.want)
		}
	}
	// No permissions at all makes a full-access key, reported as false.
	st, body, _ := call(t, srv, "POST", "/api/v0/auth/apikeys/", admin, `{"name":"full"}`)
	if st != 200 || !strings.Contains(body, `"permissions":false`) {
		t.Errorf("create without permissions = %d %s", st, body)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t)
	_, admin := srv.AddAccount("f@example.com")
	srv.Inject(vasttest.Fault{Route: "list", Status: 429, Skip: 1, Times: 2})
	var got []int
	for range 4 {
		st, _, _ := call(t, srv, "GET", "/api/v0/auth/apikeys/", admin, "")
		got = append(got, st)
	}
	if diff := cmp.Diff([]int{200, 429, 429, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}

	// After: the key is created, then the answer is lost.
	srv.Inject(vasttest.Fault{Route: "create", Drop: true, After: true})
	req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/api/v0/auth/apikeys/", strings.NewReader(`{"name":"lost","permissions":{"api":{"misc":{}}}}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("dropped connection answered")
	}
	found := false
	for _, k := range srv.LiveKeys() {
		found = found || k.Name == "lost"
	}
	if !found {
		t.Error("After+Drop did not create the key")
	}

	srv.Inject(vasttest.Fault{Route: "user", Delay: 30 * time.Millisecond, Status: 200, Body: `{"id": 1,`})
	start := time.Now()
	if st, body, _ := call(t, srv, "GET", "/api/v0/users/current/", admin, ""); st != 200 || body != `{"id": 1,` || time.Since(start) < 30*time.Millisecond {
		t.Errorf("delayed malformed = %d %q", st, body)
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := vasttest.NewServer(t, vasttest.WithRateLimits(), vasttest.WithClock(func() time.Time { return now }))
	_, admin := srv.AddAccount("r@example.com")
	if st, _, _ := call(t, srv, "GET", "/api/v0/auth/apikeys/", admin, ""); st != 200 {
		t.Fatal(st)
	}
	st, body, h := call(t, srv, "GET", "/api/v0/auth/apikeys/", admin, "")
	if st != 429 || !strings.Contains(body, "API requests too frequent endpoint threshold=1.0") || h.Get("Retry-After") != "" {
		t.Errorf("second list = %d %s", st, body)
	}
	// Another endpoint has its own bucket.
	if st, _, _ := call(t, srv, "GET", "/api/v0/users/current/", admin, ""); st != 200 {
		t.Errorf("user after list = %d", st)
	}
	now = now.Add(time.Second)
	if st, _, _ := call(t, srv, "GET", "/api/v0/auth/apikeys/", admin, ""); st != 200 {
		t.Errorf("list after 1s = %d", st)
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t)
	_, admin := srv.AddAccount("x@example.com")
	if st, _, _ := call(t, srv, "PUT", "/api/v0/commands/reset_apikey/", admin, `{"client_id":"you"}`); st != 400 {
		t.Errorf("bad client_id = %d", st)
	}
	st, body, _ := call(t, srv, "PUT", "/api/v0/commands/reset_apikey/", admin, `{"client_id":"me"}`)
	var r struct {
		Success   bool   `json:"success"`
		NewAPIKey string `json:"new_api_key"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &r) != nil || !r.Success || !hex64.MatchString(r.NewAPIKey) {
		t.Fatalf("reset = %d", st)
	}
	if st, _, _ := call(t, srv, "GET", "/api/v0/users/current/", admin, ""); st != 401 {
		t.Errorf("old key = %d", st)
	}
	if st, _, _ := call(t, srv, "GET", "/api/v0/users/current/", r.NewAPIKey, ""); st != 200 {
		t.Errorf("new key = %d", st)
	}
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestHoldAnswersAfterTheEffect(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t)
	_, admin := srv.AddAccount("h@example.com")
	srv.Inject(vasttest.Fault{Route: "create", Hold: 2 * time.Second})
	type answer struct {
		status int
		body   string
	}
	done := make(chan answer, 1)
	go func() { // no t.Fatal off the test goroutine: a failure is status 0
		req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/api/v0/auth/apikeys/", strings.NewReader(`{"name":"held","permissions":{"api":{"misc":{}}}}`))
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := srv.Client().Do(req)
		if err != nil {
			done <- answer{0, err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- answer{resp.StatusCode, string(b)}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.ContainsFunc(srv.LiveKeys(), func(k vasttest.Key) bool { return k.Name == "held" }) {
		if time.Now().After(deadline) {
			t.Fatal("the held create never took effect")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case a := <-done:
		t.Fatalf("answered %d before the hold ended", a.status)
	default:
	}
	a := <-done
	if a.status != 200 || !strings.Contains(a.body, `"key"`) {
		t.Errorf("held answer = %d %q", a.status, a.body)
	}
	if n := len(srv.LiveKeys()); n != 2 {
		t.Errorf("%d live keys, want 2 (one create)", n)
	}
}
