package vasttest_test

import (
	"context"
	"encoding/json"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// rawNoRedirect is call without following redirects.
func rawNoRedirect(t *testing.T, srv *vasttest.Server, method, path, token string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestDeadKeyAnswers(t *testing.T) {
	t.Parallel()
	for _, a := range []vasttest.DeadKeyAnswer{vasttest.Dead401, vasttest.Dead404, vasttest.Dead403, vasttest.DeadSession404} {
		srv := vasttest.NewServer(t, vasttest.WithDeadKeyAnswer(a))
		_, admin := srv.AddAccount("d@example.com")
		id, other := srv.AddKey(101, "other", "")
		// A management key revoked mid-job.
		k, _ := srv.KeyByValue(admin)
		if !srv.Revoke(k.ID) || srv.Revoke(k.ID) {
			t.Fatal("Revoke: want true once, then false")
		}
		for _, rt := range []struct{ method, path string }{
			{"GET", "/api/v0/auth/apikeys/"}, {"DELETE", "/api/v0/auth/apikeys/" + strconv.FormatInt(id, 10) + "/"},
			{"GET", "/api/v0/users/current/"}, {"GET", "/api/v0/audit_logs/"},
		} {
			st, body, _ := call(t, srv, rt.method, rt.path, admin, "")
			if st != a.Status || body != a.Body {
				t.Errorf("%d: %s %s = %d %s", a.Status, rt.method, rt.path, st, body)
			}
		}
		if k, _ := srv.Key(id); k.Deleted {
			t.Error("a dead caller deleted a key")
		}
		if st, _, _ := call(t, srv, "GET", "/api/v0/users/current/", other, ""); st != 200 {
			t.Errorf("a live key = %d", st)
		}
	}
}

func TestSlashRedirects(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t, vasttest.WithSlashRedirects())
	_, admin := srv.AddAccount("s@example.com")
	tests := []struct{ method, path, want string }{
		{"GET", "/api/v0/users/current", "/api/v0/users/current/"},
		{"GET", "/api/v0/auth/apikeys", "/api/v0/auth/apikeys/"},
		{"DELETE", "/api/v0/auth/apikeys/5", "/api/v0/auth/apikeys/5/"},
		{"GET", "/api/v0//audit_logs/", "/api/v0/audit_logs/"},
	}
	for _, tt := range tests {
		st, _, h := rawNoRedirect(t, srv, tt.method, tt.path, admin)
		if st != 301 || h.Get("Location") != srv.URL+tt.want {
			t.Errorf("%s %s = %d Location %q, want 301 to %s", tt.method, tt.path, st, h.Get("Location"), tt.want)
		}
	}
	if st, _, _ := rawNoRedirect(t, srv, "GET", "/api/v0/users/current/", admin); st != 200 {
		t.Errorf("canonical path = %d", st)
	}
	if st, _, _ := rawNoRedirect(t, srv, "GET", "/api/v0/nowhere", admin); st != 404 {
		t.Errorf("unknown path = %d, want 404 (not a redirect)", st)
	}
	// The redirect itself did nothing: no delete happened on the 301.
	if len(srv.LiveKeys()) != 1 {
		t.Error("a key went away")
	}
}

func TestRedirectFault(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t)
	_, admin := srv.AddAccount("r@example.com")
	srv.Inject(vasttest.RedirectTo("list", 307, "http://elsewhere.example/api/v0/auth/apikeys/"))
	st, body, h := rawNoRedirect(t, srv, "GET", "/api/v0/auth/apikeys/", admin)
	if st != 307 || h.Get("Location") != "http://elsewhere.example/api/v0/auth/apikeys/" || body != "" {
		t.Errorf("= %d %q Location %q", st, body, h.Get("Location"))
	}
}

func TestCreateAnswerModes(t *testing.T) {
	t.Parallel()
	asked := `{"name":"ci","permissions":{"api":{"instance_read":{},"misc":{}}},"key_params":{"ip_whitelist":["1.2.3.4"]}}`
	tests := []struct {
		name  string
		opts  []vasttest.Option
		field string
		perms string // the echo as JSON, "" if absent
		full  bool   // what the fake stored
	}{
		{"default", nil, "key", `{"api":{"instance_read":{},"misc":{}}}`, false},
		{"api_key", []vasttest.Option{vasttest.WithCreateKeyField("api_key")}, "api_key", `{"api":{"instance_read":{},"misc":{}}}`, false},
		{"false", []vasttest.Option{vasttest.WithPermissionsEcho(vasttest.EchoFalse)}, "key", `false`, false},
		{"omitted", []vasttest.Option{vasttest.WithPermissionsEcho(vasttest.EchoOmitted)}, "key", ``, false},
		{"expanded", []vasttest.Option{vasttest.WithPermissionsEcho(vasttest.EchoExpanded)}, "key",
			`{"api":{"instance_read":{"api.instance.request_logs":{},"api.instance.show":{}},"misc":{"api.misc.all":{}}}}`, false},
		{"grant-full", []vasttest.Option{vasttest.WithPermissionsEcho(vasttest.EchoGrantFull)}, "key",
			`{"api":{"billing_read":{},"billing_write":{},"instance_read":{},"instance_write":{},"machine_read":{},"machine_write":{},"misc":{},"team_read":{},"team_write":{},"user_read":{},"user_write":{}}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vasttest.NewServer(t, tt.opts...)
			_, admin := srv.AddAccount("c@example.com")
			st, body, _ := call(t, srv, "POST", "/api/v0/auth/apikeys/", admin, asked)
			var got map[string]json.RawMessage
			if st != 200 || json.Unmarshal([]byte(body), &got) != nil {
				t.Fatalf("create = %d %s", st, body)
			}
			var secret string
			if json.Unmarshal(got[tt.field], &secret) != nil || !hex64.MatchString(secret) {
				t.Errorf("no key in %q: fields %v", tt.field, keysOfRaw(got))
			}
			if other := map[string]string{"key": "api_key", "api_key": "key"}[tt.field]; got[other] != nil {
				t.Errorf("the key is also in %q", other)
			}
			if string(got["permissions"]) != tt.perms {
				t.Errorf("permissions = %s, want %s", got["permissions"], tt.perms)
			}
			k, _ := srv.KeyByValue(secret)
			if full := len(k.Scopes()) == 11; full != tt.full {
				t.Errorf("stored %s", k.Permissions)
			}
		})
	}
}

func keysOfRaw(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDeleteAnswerModes(t *testing.T) {
	t.Parallel()
	for shape, want := range map[string]string{vasttest.DeleteString: `"Successfully Deleted API Key"`, vasttest.DeleteSuccessTrue: `{"success":true}`, vasttest.DeleteEmpty: ``} {
		srv := vasttest.NewServer(t, vasttest.WithDeleteAnswer(shape))
		_, admin := srv.AddAccount("d@example.com")
		id, _ := srv.AddKey(101, "x", "")
		if st, body, _ := call(t, srv, "DELETE", "/api/v0/auth/apikeys/"+strconv.FormatInt(id, 10)+"/", admin, "{}"); st != 200 || body != want {
			t.Errorf("%s: delete = %d %q, want %q", shape, st, body, want)
		}
	}
	// success=false: nothing deleted unless after.
	srv := vasttest.NewServer(t)
	_, admin := srv.AddAccount("d@example.com")
	id, _ := srv.AddKey(101, "x", "")
	srv.Inject(vasttest.SuccessFalse("delete", false, "delete_failed", "no"))
	st, body, _ := call(t, srv, "DELETE", "/api/v0/auth/apikeys/"+strconv.FormatInt(id, 10)+"/", admin, "{}")
	if k, _ := srv.Key(id); st != 200 || !strings.Contains(body, `"success": false`) || k.Deleted {
		t.Errorf("success=false delete = %d %s, deleted %v", st, body, k.Deleted)
	}
}

func TestRateLimitStyles(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		style, body, ctype, retryAfter string
	}{
		{vasttest.LimitDetail, `{"detail":"API requests too frequent endpoint threshold=2.0"}`, "application/json", ""},
		{vasttest.LimitText, `API requests too frequent: endpoint threshold=2.0`, "text/plain; charset=utf-8", ""},
		{vasttest.LimitEnvelope, `{"error":"rate_limited","msg":"API requests too frequent","success":false}`, "application/json", ""},
		{vasttest.LimitRetryAfter, `{"error":"HTTPTooManyRequests","limit":1,"msg":"API requests too frequent","remaining":0,"retry_after":2}`, "application/json", "2"},
		{vasttest.LimitRetryAfterDate, `{"error":"HTTPTooManyRequests","limit":1,"msg":"API requests too frequent","remaining":0,"retry_after":2}`, "application/json", "Thu, 01 Jan 2026 00:00:02 GMT"},
	}
	for _, tt := range tests {
		t.Run(tt.style, func(t *testing.T) {
			t.Parallel()
			srv := vasttest.NewServer(t, vasttest.WithRateLimitStyle(tt.style), vasttest.WithClock(func() time.Time { return now }))
			_, admin := srv.AddAccount("r@example.com")
			id1, _ := srv.AddKey(101, "a", "")
			id2, _ := srv.AddKey(101, "b", "")
			if st, _, _ := call(t, srv, "DELETE", "/api/v0/auth/apikeys/"+strconv.FormatInt(id1, 10)+"/", admin, "{}"); st != 200 {
				t.Fatal(st)
			}
			st, body, h := call(t, srv, "DELETE", "/api/v0/auth/apikeys/"+strconv.FormatInt(id2, 10)+"/", admin, "{}")
			if st != 429 || body != tt.body || h.Get("Content-Type") != tt.ctype || h.Get("Retry-After") != tt.retryAfter {
				t.Errorf("second delete = %d %s (%s, Retry-After %q)", st, body, h.Get("Content-Type"), h.Get("Retry-After"))
			}
			if k, _ := srv.Key(id2); k.Deleted {
				t.Error("a rate-limited delete deleted")
			}
		})
	}
}

func TestRateLimitThresholdsAndPenalty(t *testing.T) {
	t.Parallel()
	for _, penalty := range []bool{false, true} {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		opts := []vasttest.Option{vasttest.WithRateLimits(), vasttest.WithClock(func() time.Time { return now })}
		if penalty {
			opts = append(opts, vasttest.WithRateLimitPenalty())
		}
		srv := vasttest.NewServer(t, opts...)
		_, admin := srv.AddAccount("p@example.com")
		create := func() int {
			st, _, _ := call(t, srv, "POST", "/api/v0/auth/apikeys/", admin, `{"name":"x","permissions":{"api":{"misc":{}}}}`)
			return st
		}
		var got []int
		got = append(got, create()) // t=0
		now = now.Add(1500 * time.Millisecond)
		got = append(got, create()) // t=1.5: inside the 2 s window
		now = now.Add(time.Second)
		got = append(got, create()) // t=2.5: past the first window, but with a penalty 1 s after the refused call
		now = now.Add(2 * time.Second)
		got = append(got, create()) // t=4.5: 2 s after the last accepted (or, with a penalty, refused) call
		want := []int{200, 429, 200, 200}
		if penalty {
			want = []int{200, 429, 429, 200}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("penalty %v: statuses (-want +got):\n%s", penalty, diff)
		}
	}
}

func TestLingeringCreate(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t)
	_, admin := srv.AddAccount("l@example.com")
	release := make(chan struct{})
	srv.Inject(vasttest.CreateWhenReleased(release))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/api/v0/auth/apikeys/", strings.NewReader(`{"name":"late","permissions":{"api":{"misc":{}}}}`))
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for srv.Holding() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel() // the client gives up
	if err := <-errc; err == nil {
		t.Fatal("the cancelled request was answered")
	}
	if len(srv.LiveKeys()) != 1 {
		t.Fatal("the key was made before the release")
	}
	close(release) // the server finishes anyway
	deadline := time.Now().Add(10 * time.Second)
	for len(srv.LiveKeys()) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the lingering create never took effect")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestAuditLogShape(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := vasttest.NewServer(t, vasttest.WithClock(func() time.Time { return now }))
	uid, admin := srv.AddAccount("a@example.com")
	id, scoped := srv.AddKey(uid, "scoped", `{"api":{"user_read":{}}}`)
	call(t, srv, "GET", "/api/v0/users/current/", scoped, "")
	call(t, srv, "GET", "/api/v0/audit_logs/", scoped, "") // 403: no misc, not recorded
	if st, body, _ := call(t, srv, "GET", "/api/v0/audit_logs/", scoped, ""); st != 403 || !strings.Contains(body, "misc") {
		t.Errorf("audit without misc = %d %s", st, body)
	}
	srv.AddAuditEntry(uid, vasttest.AuditEntry{IP: "203.0.113.9", Time: now, Route: "/api/v0/invoices/", Args: "{}"})
	st, body, _ := call(t, srv, "GET", "/api/v0/audit_logs/", admin, "")
	var entries []map[string]any
	if st != 200 || json.Unmarshal([]byte(body), &entries) != nil {
		t.Fatalf("audit = %d %s", st, body)
	}
	adminKey, _ := srv.KeyByValue(admin)
	want := []map[string]any{ // newest first, this read included
		{"ip_address": "127.0.0.1", "api_key_id": float64(adminKey.ID), "created_at": float64(now.Unix()), "api_route": "/api/v0/audit_logs/", "args": "{}"},
		{"ip_address": "203.0.113.9", "api_key_id": nil, "created_at": float64(now.Unix()), "api_route": "/api/v0/invoices/", "args": "{}"},
		{"ip_address": "127.0.0.1", "api_key_id": float64(id), "created_at": float64(now.Unix()), "api_route": "/api/v0/users/current/", "args": "{}"},
	}
	if diff := cmp.Diff(want, entries); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}
	if got := srv.AuditLog(uid); len(got) != 3 || got[2].Route != "/api/v0/audit_logs/" || got[2].KeyID != adminKey.ID {
		t.Errorf("AuditLog = %+v, want the read recorded last", got)
	}
	noLog := vasttest.NewServer(t, vasttest.WithoutAuditLog())
	_, k := noLog.AddAccount("n@example.com")
	if st, _, h := call(t, noLog, "GET", "/api/v0/audit_logs/", k, ""); st != 404 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("without the audit log = %d", st)
	}
}

// The fake is independent of the client it fakes for: none of its files
// imports package vast (a shared type would hide a wrong JSON tag).
func TestFakeDoesNotImportTheClient(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			if p := strings.Trim(imp.Path.Value, `"`); p == "github.com/vastguard/vastguard/vast" {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}

// CreateAnsweredLate: the client's deadline ends before the server
// answers; the key is made anyway, later.
func TestCreateAnsweredLate(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t)
	_, admin := srv.AddAccount("l@example.com")
	srv.Inject(vasttest.CreateAnsweredLate(100 * time.Millisecond))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/api/v0/auth/apikeys/", strings.NewReader(`{"name":"late","permissions":{"api":{"misc":{}}}}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("answered before the client's deadline")
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(srv.LiveKeys()) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the late create never took effect")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTwoFactorMode(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t, vasttest.WithTwoFactor("delete", "user"))
	_, admin := srv.AddAccount("tfa@example.com")
	id, _ := srv.AddKey(101, "x", `{"api":{"user_read":{}}}`)
	for _, rt := range []struct{ method, path string }{{"DELETE", "/api/v0/auth/apikeys/" + strconv.FormatInt(id, 10) + "/"}, {"GET", "/api/v0/users/current/"}} {
		st, body, _ := call(t, srv, rt.method, rt.path, admin, "")
		if st != 401 || body != vasttest.TwoFactorBody || !strings.Contains(body, "Two Factor Authentication") {
			t.Errorf("%s %s = %d %s", rt.method, rt.path, st, body)
		}
	}
	if k, _ := srv.Key(id); k.Deleted {
		t.Error("a delete refused for 2FA deleted the key")
	}
	if st, _, _ := call(t, srv, "GET", "/api/v0/auth/apikeys/", admin, ""); st != 200 {
		t.Errorf("an endpoint without 2FA = %d", st)
	}
	// A dead key is still answered as dead.
	if st, body, _ := call(t, srv, "GET", "/api/v0/users/current/", vasttest.NewKeyValue(), ""); st != 401 || strings.Contains(body, "Two Factor") {
		t.Errorf("a dead key = %d %s", st, body)
	}
}

func TestPagedListMode(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t, vasttest.WithPagedList(2))
	uid, admin := srv.AddAccount("p@example.com")
	srv.AddKey(uid, "a", "")
	srv.AddKey(uid, "b", "")
	_, body, _ := call(t, srv, "GET", "/api/v0/auth/apikeys/", admin, "")
	var env struct {
		APIKeys []map[string]any `json:"apikeys"`
		Count   int              `json:"count"`
		Next    string           `json:"next"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil || len(env.APIKeys) != 2 || env.Count != 3 || env.Next == "" {
		t.Errorf("list = %s (%v)", body, err)
	}
}

func TestListTimesMode(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for format, want := range map[string]any{"epoch": float64(at.Unix()), "iso": "2026-03-04T05:06:07.000000+00:00", "python": "2026-03-04 05:06:07.000000+00:00"} {
		srv := vasttest.NewServer(t, vasttest.WithListTimes(format), vasttest.WithClock(func() time.Time { return at }))
		_, admin := srv.AddAccount("t@example.com")
		_, body, _ := call(t, srv, "GET", "/api/v0/auth/apikeys/", admin, "")
		var env struct {
			APIKeys []map[string]any `json:"apikeys"`
		}
		json.Unmarshal([]byte(body), &env)
		if len(env.APIKeys) != 1 || env.APIKeys[0]["created_at"] != want {
			t.Errorf("%s: list = %s, want created_at %v", format, body, want)
		}
	}
}

func TestErrorWithoutSuccessPreset(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t)
	_, admin := srv.AddAccount("e@example.com")
	id, _ := srv.AddKey(101, "x", "")
	srv.Inject(vasttest.ErrorWithoutSuccess("delete", false, "delete_failed", "no"))
	st, body, _ := call(t, srv, "DELETE", "/api/v0/auth/apikeys/"+strconv.FormatInt(id, 10)+"/", admin, "")
	if st != 200 || body != `{"error": "delete_failed", "msg": "no"}` {
		t.Errorf("= %d %s", st, body)
	}
	if k, _ := srv.Key(id); k.Deleted {
		t.Error("the key was deleted without After")
	}
}

func TestMissingScopeAnswerMode(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t, vasttest.WithMissingScopeAnswer(vasttest.Scope401))
	srv.AddAccount("s@example.com")
	_, scoped := srv.AddKey(101, "scoped", `{"api":{"instance_read":{}}}`)
	if st, body, _ := call(t, srv, "GET", "/api/v0/users/current/", scoped, ""); st != 401 || body != vasttest.Scope401.Body {
		t.Errorf("= %d %s", st, body)
	}
}
