package vast_test

// Tests of the API's documented-but-unhappy answers (issue 11), each
// through a mode of the fake.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/vast"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// liveNamed counts the fake's live keys named name.
func liveNamed(srv *vasttest.Server, name string) int {
	n := 0
	for _, k := range srv.LiveKeys() {
		if k.Name == name {
			n++
		}
	}
	return n
}

// callerID is the fake's id of the key whose value is key.
func callerID(t *testing.T, srv *vasttest.Server, key string) int64 {
	t.Helper()
	k, ok := srv.KeyByValue(key)
	if !ok {
		t.Fatal("no such key in the fake")
	}
	return k.ID
}

// Point 1: only the API's own 404 on the key's path means "already gone";
// a dead caller key answered 404 or 403 auth_error is an auth failure, and
// the key it tried to delete is still live.
func TestDeleteTellsGoneFromAuthFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		dead  vasttest.DeadKeyAnswer
		fault *vasttest.Fault // instead of revoking the caller
		want  vast.Deletion
		is    []error
		isNot []error
	}{
		{"401 Invalid user key", vasttest.Dead401, nil, vast.DeleteFailed, []error{vast.ErrUnauthorized}, []error{vast.ErrNotFound, vast.ErrKeyGone}},
		{"404 auth_error Invalid user key", vasttest.Dead404, nil, vast.DeleteFailed, []error{vast.ErrUnauthorized}, []error{vast.ErrNotFound, vast.ErrKeyGone}},
		{"404 Session expired", vasttest.DeadSession404, nil, vast.DeleteFailed, []error{vast.ErrUnauthorized}, []error{vast.ErrNotFound, vast.ErrKeyGone}},
		{"403 auth_error requires login", vasttest.Dead403, nil, vast.DeleteFailed, []error{vast.ErrUnauthorized}, []error{vast.ErrForbidden, vast.ErrKeyGone}},
		{"404 web page", vasttest.Dead401, &vasttest.Fault{Route: "delete", Status: 404, Body: "<html><title>Not Found</title></html>"}, vast.DeleteFailed, []error{vast.ErrNoEndpoint}, []error{vast.ErrNotFound, vast.ErrKeyGone}},
		{"404 with no body", vasttest.Dead401, &vasttest.Fault{Route: "delete", Status: 404, EmptyBody: true}, vast.DeleteFailed, []error{vast.ErrNoEndpoint}, []error{vast.ErrNotFound, vast.ErrKeyGone}},
		{"404 JSON of another kind", vasttest.Dead401, &vasttest.Fault{Route: "delete", Status: 404, Body: `{"msg": "Not Found"}`}, vast.DeleteFailed, nil, []error{vast.ErrNotFound, vast.ErrKeyGone}},
		{"404 API Key not found", vasttest.Dead401, &vasttest.Fault{Route: "delete", Status: 404, Body: `{"msg": "API Key not found."}`}, vast.AlreadyGone, []error{vast.ErrKeyGone, vast.ErrNotFound}, []error{vast.ErrUnauthorized}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vasttest.NewServer(t, vasttest.WithDeadKeyAnswer(tt.dead))
			_, admin := srv.AddAccount("ops@example.com")
			c := newClient(t, srv, admin, newFakeTime(), vast.WithRetry(vast.RetryPolicy{}))
			k, err := c.CreateKey(t.Context(), "ci-job", vast.MustPermissions("read-only", false))
			if err != nil {
				t.Fatal(err)
			}
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			} else {
				srv.Revoke(callerID(t, srv, admin)) // the management key dies mid-job
			}
			err = c.DeleteKey(t.Context(), k.ID)
			if got := vast.DeletionOf(err); got != tt.want {
				t.Errorf("DeletionOf(%v) = %v, want %v", err, got, tt.want)
			}
			for _, e := range tt.is {
				if !errors.Is(err, e) {
					t.Errorf("err = %v, want it to match %v", err, e)
				}
			}
			for _, e := range tt.isNot {
				if errors.Is(err, e) {
					t.Errorf("err = %v matches %v", err, e)
				}
			}
			if lk, _ := srv.Key(k.ID); tt.want == vast.DeleteFailed && lk.Deleted {
				t.Error("the fake deleted the key; the test is wrong")
			}
		})
	}
}

// The same answers on the other endpoints: a leaked key probed with
// CurrentUser, and the key list.
func TestAuthFailureAnswersOnEveryEndpoint(t *testing.T) {
	t.Parallel()
	for _, dead := range []vasttest.DeadKeyAnswer{vasttest.Dead401, vasttest.Dead404, vasttest.Dead403, vasttest.DeadSession404} {
		t.Run(fmt.Sprint(dead.Status, dead.Body), func(t *testing.T) {
			t.Parallel()
			srv := vasttest.NewServer(t, vasttest.WithDeadKeyAnswer(dead))
			srv.AddAccount("ops@example.com")
			c := newClient(t, srv, vasttest.NewKeyValue(), newFakeTime(), vast.WithRetry(vast.RetryPolicy{}))
			_, err := c.CurrentUser(t.Context())
			if !errors.Is(err, vast.ErrUnauthorized) || errors.Is(err, vast.ErrNotFound) || errors.Is(err, vast.ErrForbidden) {
				t.Errorf("CurrentUser = %v, want only ErrUnauthorized", err)
			}
			if _, err := c.ListKeys(t.Context()); !errors.Is(err, vast.ErrUnauthorized) {
				t.Errorf("ListKeys = %v, want ErrUnauthorized", err)
			}
			if _, err := c.AuditLog(t.Context()); !errors.Is(err, vast.ErrUnauthorized) || errors.Is(err, vast.ErrAuditUnavailable) {
				t.Errorf("AuditLog = %v, want ErrUnauthorized, not unavailable", err)
			}
		})
	}
}

// Point 2: a redirect is an error naming where it pointed; the key is
// never sent there, and a redirected DELETE is not turned into a GET.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	t.Parallel()
	var sunk atomic.Int32
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sunk.Add(1)
		w.WriteHeader(200)
		fmt.Fprint(w, `{"apikeys": [], "id": 1, "key_id": 1}`)
	}))
	t.Cleanup(sink.Close)
	type call func(context.Context, *vast.Client, int64) error
	calls := map[string]call{
		"create": func(ctx context.Context, c *vast.Client, _ int64) error {
			_, err := c.CreateKey(ctx, "redirected", vast.MustPermissions("read-only", false))
			return err
		},
		"delete": func(ctx context.Context, c *vast.Client, id int64) error { return c.DeleteKey(ctx, id) },
		"list":   func(ctx context.Context, c *vast.Client, _ int64) error { _, err := c.ListKeys(ctx); return err },
		"user":   func(ctx context.Context, c *vast.Client, _ int64) error { _, err := c.CurrentUser(ctx); return err },
		"reset":  func(ctx context.Context, c *vast.Client, _ int64) error { _, err := c.ResetKey(ctx); return err },
		"audit":  func(ctx context.Context, c *vast.Client, _ int64) error { _, err := c.AuditLog(ctx); return err },
	}
	for route, do := range calls {
		for _, status := range []int{301, 302, 307, 308} {
			t.Run(fmt.Sprintf("%s/%d", route, status), func(t *testing.T) {
				t.Parallel()
				srv, c, admin, _ := setup(t)
				victim, _ := srv.AddKey(101, "victim", `{"api":{"misc":{}}}`)
				// To plain http on another host (the sink), as a 307 from https would.
				srv.Inject(vasttest.RedirectTo(route, status, sink.URL+"/api/v0/auth/apikeys/"))
				before := sunk.Load()
				err := do(t.Context(), c, victim)
				var re *vast.RedirectError
				if !errors.Is(err, vast.ErrRedirect) || !errors.As(err, &re) {
					t.Fatalf("err = %v, want a RedirectError", err)
				}
				host := strings.TrimPrefix(sink.URL, "http://")
				if !strings.Contains(err.Error(), host) || !strings.Contains(err.Error(), "plain http") || re.StatusCode != status {
					t.Errorf("err = %q, want the status, the Location host %s and a note of plain http", err, host)
				}
				if strings.Contains(err.Error(), admin) || strings.Contains(err.Error(), "\n") {
					t.Errorf("err = %q", err)
				}
				if sunk.Load() != before {
					t.Error("the redirect was followed")
				}
				if n := len(srv.Requests()); n != 1 {
					t.Errorf("%d requests to the API, want 1 (no retry, no GET in place of the call)", n)
				}
				if lk, _ := srv.Key(victim); lk.Deleted {
					t.Error("the victim was deleted")
				}
				if route == "create" && liveNamed(srv, "redirected") != 0 {
					t.Error("a key was created")
				}
			})
		}
	}
}

// The fake's canonical-path redirects never reach a client that sends
// canonical paths (vasttest's own tests check the 301 itself).
func TestSlashRedirectsMode(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t, vasttest.WithSlashRedirects())
	_, admin := srv.AddAccount("ops@example.com")
	c := newClient(t, srv, admin, newFakeTime())
	if _, err := c.CurrentUser(t.Context()); err != nil {
		t.Fatalf("CurrentUser: %v", err)
	}
	if _, err := c.ListKeys(t.Context()); err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	for _, r := range srv.Requests() {
		if r.Status == 301 {
			t.Errorf("%s %s was redirected", r.Method, r.Path)
		}
	}
}

// Point 2: http:// only to loopback, in the library.
func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://console.vast.ai", true},
		{"http://127.0.0.1:8080", true},
		{"http://127.9.9.9", true},
		{"http://localhost:1234/api/v0", true},
		{"http://[::1]:9", true},
		{"http://console.vast.ai", false},
		{"http://10.0.0.1:8080", false},
		{"http://localhost.example.com", false},
		{"http://0.0.0.0:80", false},
	}
	for _, tt := range tests {
		_, err := vast.New("k", vast.WithBaseURL(tt.url))
		if (err == nil) != tt.ok {
			t.Errorf("New(WithBaseURL(%q)) = %v, want ok %v", tt.url, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "https://") {
			t.Errorf("error %q does not name the remedy", err)
		}
	}
}

// Point 3: create's answer in each documented shape.
func TestCreateAnswerShapes(t *testing.T) {
	t.Parallel()
	requested := vast.MustPermissions("read-only", false)
	tests := []struct {
		name       string
		opts       []vasttest.Option
		echo       vast.Echo
		field      string
		full       bool     // what the client reports
		broader    []string // Diff.Broader
		fakeIsFull bool     // what the fake made
	}{
		{"key and an object echo", nil, vast.EchoSame, "key", false, nil, false},
		{"api_key", []vasttest.Option{vasttest.WithCreateKeyField("api_key")}, vast.EchoSame, "api_key", false, nil, false},
		{"permissions false for a scoped key", []vasttest.Option{vasttest.WithPermissionsEcho(vasttest.EchoFalse)}, vast.EchoFalse, "key", false, nil, false},
		{"no permissions echo", []vasttest.Option{vasttest.WithPermissionsEcho(vasttest.EchoOmitted)}, vast.EchoAbsent, "key", false, nil, false},
		{"categories expanded into operations, key_params null", []vasttest.Option{vasttest.WithPermissionsEcho(vasttest.EchoExpanded)}, vast.EchoExpanded, "key", false, nil, false},
		{"the server granted every category", []vasttest.Option{vasttest.WithPermissionsEcho(vasttest.EchoGrantFull), vasttest.WithCreateKeyField("api_key")}, vast.EchoDiffers, "api_key", true,
			[]string{"api.billing_write", "api.instance_write", "api.machine_write", "api.misc", "api.team_write", "api.user_write"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vasttest.NewServer(t, tt.opts...)
			_, admin := srv.AddAccount("ops@example.com")
			c := newClient(t, srv, admin, newFakeTime())
			k, err := c.CreateKey(t.Context(), "ci-shape", requested)
			if err != nil {
				t.Fatal(err)
			}
			fk, _ := srv.Key(k.ID)
			if k.Secret.Reveal() != fk.Value || k.Answer.KeyField != tt.field {
				t.Errorf("secret matches %v, key field %q; want %q", k.Secret.Reveal() == fk.Value, k.Answer.KeyField, tt.field)
			}
			if k.Echo != tt.echo || k.FullAccess != tt.full {
				t.Errorf("echo %v, full access %v; want %v, %v", k.Echo, k.FullAccess, tt.echo, tt.full)
			}
			if diff := cmp.Diff(tt.broader, k.Diff.Broader); diff != "" {
				t.Errorf("Diff.Broader (-want +got):\n%s", diff)
			}
			if !tt.echo.Confirmed() && (k.PermissionsKnown || k.Permissions.String() != requested.String()) {
				t.Errorf("unconfirmed echo: known %v, permissions %s; want as requested and not known", k.PermissionsKnown, k.Permissions)
			}
			if k.Requested.String() != requested.String() {
				t.Errorf("Requested = %s", k.Requested)
			}
			if got := slices.Contains(fk.Scopes(), "user_write"); got != tt.fakeIsFull {
				t.Errorf("the fake made a full key: %v", got)
			}
			if strings.Contains(fmt.Sprintf("%+v %v", k.Answer, k.Diff), fk.Value) {
				t.Error("the answer's shape shows the key")
			}
		})
	}
}

func TestCreateAnswerBodies(t *testing.T) {
	t.Parallel()
	leak := vasttest.NewKeyValue()
	tests := []struct {
		name    string
		body    string
		wantErr bool
		echo    vast.Echo
	}{
		{"key_params object and extra fields", `{"id": 77, "key": "` + leak + `", "permissions": {"api": {"user_read": {}}}, "key_params": {"ip_whitelist": ["1.2.3.4"]}, "created_at": 1.5}`, false, vast.EchoDiffers},
		{"permissions as a JSON string", `{"id": 77, "api_key": "` + leak + `", "permissions": "{\"api\": {\"user_read\": {}}}"}`, false, vast.EchoDiffers},
		{"permissions true", `{"id": 77, "key": "` + leak + `", "permissions": true}`, false, vast.EchoUnreadable},
		{"a key with a newline", `{"id": 77, "key": "abc\ndef"}`, true, 0},
		{"a key in neither field", `{"id": 77, "apikey": "` + leak + `"}`, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _, _ := setup(t)
			srv.Inject(vasttest.Fault{Route: "create", Status: 200, Body: tt.body})
			k, err := c.CreateKey(t.Context(), "ci-body", vast.MustPermissions("read-only", false))
			if tt.wantErr {
				if !errors.Is(err, vast.ErrBadResponse) || strings.Contains(err.Error(), leak) {
					t.Fatalf("err = %v, want ErrBadResponse without the key", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.ID != 77 || k.Secret.Reveal() != leak || k.Echo != tt.echo {
				t.Errorf("key %d, echo %v; want 77, %v", k.ID, k.Echo, tt.echo)
			}
			if tt.echo == vast.EchoDiffers && (k.Permissions.String() != "user_read" || !slices.Contains(k.Diff.Narrower, "api.billing_read")) {
				t.Errorf("permissions %s, diff %v", k.Permissions, k.Diff)
			}
		})
	}
}

// Point 4: delete's answers.
func TestDeleteAnswerShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    []vasttest.Option
		fault   *vasttest.Fault
		want    vast.Deletion
		is      error
		deleted bool // in the fake
	}{
		{"JSON string", nil, nil, vast.Deleted, nil, true},
		{"success true", []vasttest.Option{vasttest.WithDeleteAnswer(vasttest.DeleteSuccessTrue)}, nil, vast.Deleted, nil, true},
		{"empty 200", []vasttest.Option{vasttest.WithDeleteAnswer(vasttest.DeleteEmpty)}, nil, vast.Deleted, nil, true},
		{"success false", nil, ptr(vasttest.SuccessFalse("delete", false, "delete_failed", "Could not delete the API key")), vast.DeleteFailed, vast.ErrRefused, false},
		{"success false with an auth message", nil, ptr(vasttest.SuccessFalse("delete", false, "auth_error", "Invalid user key")), vast.DeleteFailed, vast.ErrUnauthorized, false},
		{"an HTML page answered 200", nil, &vasttest.Fault{Route: "delete", Status: 200, Body: "<html><title>Login</title></html>"}, vast.DeleteFailed, vast.ErrBadResponse, false},
		{"an error envelope without success answered 200", nil, ptr(vasttest.ErrorWithoutSuccess("delete", false, "delete_failed", "Could not delete the API key")), vast.DeleteFailed, vast.ErrRefused, false},
		{"an endpoint that wants a 2FA session", []vasttest.Option{vasttest.WithTwoFactor("delete")}, nil, vast.DeleteFailed, vast.ErrTwoFactor, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vasttest.NewServer(t, tt.opts...)
			_, admin := srv.AddAccount("ops@example.com")
			c := newClient(t, srv, admin, newFakeTime())
			k, err := c.CreateKey(t.Context(), "ci-del", vast.MustPermissions("read-only", false))
			if err != nil {
				t.Fatal(err)
			}
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			err = c.DeleteKey(t.Context(), k.ID)
			if got := vast.DeletionOf(err); got != tt.want {
				t.Errorf("DeletionOf(%v) = %v, want %v", err, got, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
			if lk, _ := srv.Key(k.ID); lk.Deleted != tt.deleted {
				t.Errorf("deleted in the fake: %v, want %v", lk.Deleted, tt.deleted)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Point 4: success=false is a failure on every endpoint.
func TestSuccessFalseOnEveryEndpoint(t *testing.T) {
	t.Parallel()
	calls := map[string]func(context.Context, *vast.Client) error{
		"list":  func(ctx context.Context, c *vast.Client) error { _, err := c.ListKeys(ctx); return err },
		"user":  func(ctx context.Context, c *vast.Client) error { _, err := c.CurrentUser(ctx); return err },
		"reset": func(ctx context.Context, c *vast.Client) error { _, err := c.ResetKey(ctx); return err },
		"audit": func(ctx context.Context, c *vast.Client) error { _, err := c.AuditLog(ctx); return err },
	}
	for route, do := range calls {
		t.Run(route, func(t *testing.T) {
			t.Parallel()
			srv, c, _, _ := setup(t)
			srv.Inject(vasttest.SuccessFalse(route, false, "invalid_args", "Two Factor Authentication required"))
			err := do(t.Context(), c)
			if !errors.Is(err, vast.ErrRefused) || !strings.Contains(err.Error(), "success=false: Two Factor Authentication required") {
				t.Errorf("err = %v, want ErrRefused with the message", err)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want 1 (a refusal is not retried)", n)
			}
		})
	}
}

// Point 5: after a 429 the client never comes back inside the endpoint's
// window, whatever the answer's style; a retry inside it would be refused
// again (and, with penalties, restart the window).
func TestRateLimitBackoff(t *testing.T) {
	t.Parallel()
	type op struct {
		floor time.Duration
		twice func(context.Context, *vast.Client, *vasttest.Server) error
	}
	perms := vast.MustPermissions("read-only", false)
	ops := map[string]op{
		"create": {2 * time.Second, func(ctx context.Context, c *vast.Client, _ *vasttest.Server) error {
			if _, err := c.CreateKey(ctx, "rl-1", perms); err != nil {
				return err
			}
			_, err := c.CreateKey(ctx, "rl-2", perms)
			return err
		}},
		"delete": {2 * time.Second, func(ctx context.Context, c *vast.Client, srv *vasttest.Server) error {
			a, _ := srv.AddKey(101, "a", `{"api":{"misc":{}}}`)
			b, _ := srv.AddKey(101, "b", `{"api":{"misc":{}}}`)
			if err := c.DeleteKey(ctx, a); err != nil {
				return err
			}
			return c.DeleteKey(ctx, b)
		}},
		"list": {time.Second, func(ctx context.Context, c *vast.Client, _ *vasttest.Server) error {
			if _, err := c.ListKeys(ctx); err != nil {
				return err
			}
			_, err := c.ListKeys(ctx)
			return err
		}},
	}
	styles := []string{vasttest.LimitDetail, vasttest.LimitText, vasttest.LimitEnvelope, vasttest.LimitRetryAfter, vasttest.LimitRetryAfterDate}
	for name, o := range ops {
		for _, style := range styles {
			for _, penalty := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/penalty=%v", name, style, penalty), func(t *testing.T) {
					t.Parallel()
					ft := newFakeTime()
					opts := []vasttest.Option{vasttest.WithClock(ft.Now), vasttest.WithRateLimitStyle(style)}
					if penalty {
						opts = append(opts, vasttest.WithRateLimitPenalty())
					}
					srv := vasttest.NewServer(t, opts...)
					_, admin := srv.AddAccount("rl@example.com")
					// Jitter 0: the smallest wait the client would ever choose.
					c := newClient(t, srv, admin, ft, vast.WithJitter(func() float64 { return 0 }))
					if err := o.twice(t.Context(), c, srv); err != nil {
						t.Fatalf("%s twice: %v", name, err)
					}
					limited := 0
					for _, r := range srv.Requests() {
						if r.Status == 429 {
							limited++
						}
					}
					if limited != 1 {
						t.Errorf("%d answers 429, want 1: the retry came back inside the window", limited)
					}
					for _, d := range ft.Sleeps() {
						if d < o.floor {
							t.Errorf("slept %v after a 429, less than the %s window %v", d, name, o.floor)
						}
					}
				})
			}
		}
	}
}

// Reset's window is 3 s: the fake buckets by token and a reset changes the
// token, so its 429 is injected.
func TestRateLimitBackoffForReset(t *testing.T) {
	t.Parallel()
	srv, c, _, ft := setup(t, vast.WithJitter(func() float64 { return 0 }))
	srv.Inject(vasttest.RateLimited("reset", "", 1))
	if _, err := c.ResetKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{3 * time.Second}, ft.Sleeps()); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}

// Point 5: a wait the API asks for is honoured, within the budget.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	base := newFakeTime().Now()
	tests := []struct {
		name      string
		fault     vasttest.Fault
		wantSleep time.Duration
		wantErr   bool
	}{
		{"seconds", vasttest.RateLimited("list", "7", 1), 7 * time.Second, false},
		{"fractional seconds", vasttest.RateLimited("list", "1.5", 1), 1500 * time.Millisecond, false},
		{"an HTTP date", vasttest.RateLimited("list", base.Add(9*time.Second).Format(http.TimeFormat), 1), 9 * time.Second, false},
		{"JSON retry_after", vasttest.Fault{Route: "list", Status: 429, Body: `{"error": "HTTPTooManyRequests", "msg": "API requests too frequent", "retry_after": 5, "limit": 5, "remaining": 0}`}, 5 * time.Second, false},
		{"a 503 with Retry-After", vasttest.Fault{Route: "list", Status: 503, Header: http.Header{"Retry-After": {"4"}}}, 4 * time.Second, false},
		{"beyond the budget", vasttest.RateLimited("list", "120", -1), 0, true},
		{"garbage falls back to the window", vasttest.RateLimited("list", "soon", 1), time.Second + 500*time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _, ft := setup(t, vast.WithRetry(vast.RetryPolicy{Budget: time.Minute, BaseDelay: time.Second, MaxDelay: 10 * time.Second}))
			srv.Inject(tt.fault)
			_, err := c.ListKeys(t.Context())
			if tt.wantErr {
				var ve *vast.Error
				if !errors.Is(err, vast.ErrRateLimited) || !errors.As(err, &ve) || !ve.OverBudget || ve.RetryAfter != 2*time.Minute ||
					!strings.Contains(err.Error(), "the API asked to wait 2m0s, past the retry budget") {
					t.Fatalf("err = %v, want a rate limit past the budget", err)
				}
				if n := len(srv.Requests()); n != 1 || len(ft.Sleeps()) != 0 {
					t.Errorf("%d requests, %d sleeps; want 1 and none", n, len(ft.Sleeps()))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]time.Duration{tt.wantSleep}, ft.Sleeps()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
		})
	}
}

// Point 6: a create carried out but answered 400 or success=false is
// found by name and deleted; a create that may still run at the API ends
// in a CreateUncertainError naming the key, and SettleName finds and
// deletes the key once it appears.
func TestCreateCarriedOutButAnsweredAFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fault     vasttest.Fault
		is        error
		uncertain bool
	}{
		{"created, answered 400", vasttest.CreatedButAnswered(400, `{"success": false, "error": "invalid_args", "msg": "Invalid request"}`), nil, false},
		{"created, answered 422", vasttest.CreatedButAnswered(422, ""), nil, false},
		{"created, answered success=false", vasttest.SuccessFalse("create", true, "create_failed", "Could not create the key"), vast.ErrRefused, false},
		{"not created, answered 400", vasttest.Fault{Route: "create", Status: 400}, nil, true},
		{"not created, answered success=false", vasttest.SuccessFalse("create", false, "create_failed", "Could not create the key"), vast.ErrRefused, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _, ft := setup(t)
			srv.Inject(tt.fault)
			_, err := c.CreateKey(t.Context(), "ci-400", vast.MustPermissions("read-only", false))
			if err == nil {
				t.Fatal("err = nil")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
			var ue *vast.CreateUncertainError
			if got := errors.As(err, &ue); got != tt.uncertain {
				t.Fatalf("uncertain = %v, want %v (err %v)", got, tt.uncertain, err)
			}
			if !tt.uncertain && !strings.Contains(err.Error(), "no key was left behind") {
				t.Errorf("err = %q, want it to say no key was left behind", err)
			}
			if n := liveNamed(srv, "ci-400"); n != 0 {
				t.Errorf("%d live keys named ci-400", n)
			}
			if tt.uncertain {
				if ue.Name != "ci-400" || !ue.Since.Equal(newFakeTime().Now()) {
					t.Errorf("uncertain error names %q since %v", ue.Name, ue.Since)
				}
				s, err := c.SettleName(t.Context(), ue.Name, ue.Since.Add(vast.SettleWindow))
				if err != nil || len(s.Deleted) != 0 || s.Looks < 2 {
					t.Errorf("SettleName = %+v, %v; want a clean window of looks", s, err)
				}
				if ft.Now().Before(ue.Since.Add(vast.SettleWindow)) {
					t.Errorf("SettleName stopped at %v, before the window's end", ft.Now())
				}
			}
		})
	}
}

// Point 6: a create still at work at the API when the caller gives up.
func TestCreateStillRunningWhenTheCallerGivesUp(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"cancelled", "attempt timeout"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			srv := vasttest.NewServer(t)
			_, admin := srv.AddAccount("ops@example.com")
			ft := newFakeTime()
			release := make(chan struct{})
			srv.Inject(vasttest.CreateWhenReleased(release))
			policy := vast.RetryPolicy{}
			if how == "attempt timeout" {
				policy = vast.RetryPolicy{Timeout: 100 * time.Millisecond}
			}
			c := newClient(t, srv, admin, ft, vast.WithRetry(policy))
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if how == "cancelled" {
				go func() {
					waitUntil(t, func() bool { return srv.Holding() > 0 })
					cancel()
				}()
			}
			_, err := c.CreateKey(ctx, "ci-late", vast.MustPermissions("read-only", false))
			var ue *vast.CreateUncertainError
			if !errors.As(err, &ue) || ue.Name != "ci-late" {
				t.Fatalf("err = %v, want a CreateUncertainError naming ci-late", err)
			}
			if !strings.Contains(err.Error(), `"ci-late"`) {
				t.Errorf("err = %q does not name the key", err)
			}
			// The server finishes the create after the caller left.
			close(release)
			waitUntil(t, func() bool { return liveNamed(srv, "ci-late") == 1 })
			s, err := c.SettleName(t.Context(), ue.Name, ue.Since.Add(vast.SettleWindow))
			if err != nil || len(s.Deleted) != 1 {
				t.Fatalf("SettleName = %+v, %v; want the late key deleted", s, err)
			}
			if n := liveNamed(srv, "ci-late"); n != 0 {
				t.Errorf("%d live keys named ci-late after SettleName", n)
			}
		})
	}
}

// waitUntil polls cond in real time for up to 10 s: the fake's held
// request runs on another goroutine.
func waitUntil(t *testing.T, cond func() bool) {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Error("timed out waiting")
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// An attempt whose outcome stayed unknown, then a successful retry: the
// key is returned with UnsettledSince, so cleanup settles the name too.
func TestCreateRetriedAfterAnUnknownOutcomeIsFlagged(t *testing.T) {
	t.Parallel()
	srv, c, _, _ := setup(t)
	srv.Inject(vasttest.Fault{Route: "create", Status: 502}) // nothing made, but the client cannot know
	k, err := c.CreateKey(t.Context(), "ci-flag", vast.MustPermissions("read-only", false))
	if err != nil {
		t.Fatal(err)
	}
	if k.UnsettledSince.IsZero() {
		t.Error("UnsettledSince not set after an attempt with an unknown outcome")
	}
	srv2, c2, _, _ := setup(t)
	srv2.Inject(vasttest.Fault{Route: "create", Status: 502, After: true}) // made, found and deleted
	k2, err := c2.CreateKey(t.Context(), "ci-flag", vast.MustPermissions("read-only", false))
	if err != nil || !k2.UnsettledSince.IsZero() || liveNamed(srv2, "ci-flag") != 1 {
		t.Errorf("key %+v, err %v, %d live; want settled and one key", k2.UnsettledSince, err, liveNamed(srv2, "ci-flag"))
	}
}

func TestSettleNameSaysWhenItCannotProveAbsence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults []vasttest.Fault
		ctx    func(context.Context) (context.Context, context.CancelFunc)
		want   string
	}{
		{"the list fails", []vasttest.Fault{{Route: "list", Status: 500, Times: -1}}, nil, "500"},
		{"the list carries no names", []vasttest.Fault{{Route: "list", Status: 200, Body: `{"apikeys": [{"id": 5}]}`, Times: -1}}, nil, "the key list carries no names"},
		{"the delete is refused", []vasttest.Fault{{Route: "delete", Status: 403, Times: -1}}, nil, "403"},
		{"the time runs out first", nil, func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 25*time.Second) // shorter than the window
		}, "the time ran out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _, ft := setup(t, vast.WithRetry(vast.RetryPolicy{}))
			ft.mu.Lock()
			ft.t = time.Now() // so the context's real deadline and the client's clock agree
			ft.mu.Unlock()
			srv.AddKey(101, "ci-stuck", `{"api":{"misc":{}}}`)
			for _, f := range tt.faults {
				srv.Inject(f)
			}
			ctx := t.Context()
			until := ft.Now().Add(vast.SettleWindow)
			if tt.ctx != nil {
				var cancel context.CancelFunc
				ctx, cancel = tt.ctx(ctx)
				defer cancel()
			}
			_, err := c.SettleName(ctx, "ci-stuck", until)
			var ue *vast.UnsettledError
			if !errors.As(err, &ue) || ue.Name != "ci-stuck" || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"ci-stuck"`) {
				t.Fatalf("err = %v, want an UnsettledError naming ci-stuck and %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
		})
	}
}

// A name whose window is long past costs one look.
func TestSettleNameAfterTheWindowLooksOnce(t *testing.T) {
	t.Parallel()
	srv, c, _, ft := setup(t)
	id, _ := srv.AddKey(101, "ci-old", `{"api":{"misc":{}}}`)
	s, err := c.SettleName(t.Context(), "ci-old", ft.Now().Add(-time.Hour))
	if err != nil || !slices.Equal(s.Deleted, []int64{id}) {
		t.Fatalf("SettleName = %+v, %v", s, err)
	}
	// It deleted one, so it looks again at once (after the list's window).
	if s.Looks != 2 || len(ft.Sleeps()) != 1 || ft.Sleeps()[0] != time.Second {
		t.Errorf("looks %d, sleeps %v; want 2 looks one second apart", s.Looks, ft.Sleeps())
	}
	s, err = c.SettleName(t.Context(), "ci-none", ft.Now().Add(-time.Hour))
	if err != nil || s.Looks != 1 {
		t.Errorf("SettleName of an absent name = %+v, %v; want one look", s, err)
	}
}

// A 401 that asks for a two-factor session (the CLI tells it from a dead
// key by "Two Factor Authentication" in the message) is a live key: never
// ErrUnauthorized, which callers read as dead.
func TestTwoFactorIsNotADeadKey(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t, vasttest.WithTwoFactor("user", "list", "create", "delete", "reset"))
	_, admin := srv.AddAccount("ops@example.com")
	id, _ := srv.AddKey(101, "old", `{"api":{"instance_read":{}}}`)
	c := newClient(t, srv, admin, newFakeTime())
	errs := map[string]error{}
	_, errs["user"] = c.CurrentUser(t.Context())
	_, errs["list"] = c.ListKeys(t.Context())
	_, errs["create"] = c.CreateKey(t.Context(), "ci", vast.MustPermissions("read-only", false))
	errs["delete"] = c.DeleteKey(t.Context(), id)
	_, errs["reset"] = c.ResetKey(t.Context())
	for route, err := range errs {
		if !errors.Is(err, vast.ErrTwoFactor) || errors.Is(err, vast.ErrUnauthorized) || errors.Is(err, vast.ErrForbidden) {
			t.Errorf("%s: %v, want ErrTwoFactor only", route, err)
		}
	}
	if vast.DeletionOf(errs["delete"]) != vast.DeleteFailed {
		t.Error("a delete refused for 2FA counted as done")
	}
	if n := len(srv.LiveKeys()); n != 2 {
		t.Errorf("%d live keys, want the 2 there were", n)
	}
	// The same message on a dead key's answer is the dead key.
	dead := newClient(t, srv, vasttest.NewKeyValue(), newFakeTime())
	if _, err := dead.CurrentUser(t.Context()); !errors.Is(err, vast.ErrUnauthorized) {
		t.Errorf("a dead key: %v, want ErrUnauthorized", err)
	}
}

// A key list that says it goes on is refused whole: a sweep or a settle
// must not take part of the list for all of it.
func TestPagedListIsRefused(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t, vasttest.WithPagedList(1))
	_, admin := srv.AddAccount("ops@example.com")
	srv.AddKey(101, "ci-job", `{"api":{"instance_read":{}}}`)
	c := newClient(t, srv, admin, newFakeTime())
	if _, err := c.ListKeys(t.Context()); !errors.Is(err, vast.ErrPartialList) || !strings.Contains(err.Error(), "part of the key list (1 keys, a next field)") {
		t.Errorf("ListKeys = %v, want ErrPartialList", err)
	}
	_, err := c.SettleName(t.Context(), "ci-job", time.Time{})
	var ue *vast.UnsettledError
	if !errors.As(err, &ue) || !errors.Is(err, vast.ErrPartialList) {
		t.Errorf("SettleName = %v, want an UnsettledError for the partial list", err)
	}
}

// created_at as Python writes it, with an offset.
func TestListTimes(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"epoch", "iso", "python"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			at := time.Date(2026, 3, 4, 5, 6, 7, 250000000, time.UTC)
			srv := vasttest.NewServer(t, vasttest.WithListTimes(format), vasttest.WithClock(func() time.Time { return at }))
			_, admin := srv.AddAccount("ops@example.com")
			keys, err := newClient(t, srv, admin, newFakeTime()).ListKeys(t.Context())
			if err != nil || len(keys) != 1 || keys[0].CreatedAt.Sub(at).Abs() > time.Microsecond {
				t.Errorf("ListKeys = %v, %v; want created %v", keys, err, at)
			}
		})
	}
}

// An account with many keys: a list past the 8 MiB of other answers is
// still read (up to 32 MiB).
func TestLongKeyListIsRead(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t)
	uid, admin := srv.AddAccount("ops@example.com")
	long := strings.Repeat("n", 250)
	for i := range 22000 {
		srv.AddKey(uid, fmt.Sprintf("%s-%05d", long, i), `{"api":{"instance_read":{},"user_read":{}}}`)
	}
	keys, err := newClient(t, srv, admin, newFakeTime()).ListKeys(t.Context())
	if err != nil || len(keys) != 22001 {
		t.Fatalf("ListKeys = %d keys, %v", len(keys), err)
	}
}

// Only "Invalid user key" (or an expired session) says a key is dead: a
// live key lacking user_read may be answered 401 too (authentication.mdx),
// and that is ErrUnauthorized without ErrInvalidKey.
func TestInvalidKeyIsSaidInWords(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t, vasttest.WithMissingScopeAnswer(vasttest.Scope401))
	srv.AddAccount("ops@example.com")
	_, scoped := srv.AddKey(101, "scoped", `{"api":{"instance_read":{}}}`)
	_, err := newClient(t, srv, scoped, newFakeTime()).CurrentUser(t.Context())
	if !errors.Is(err, vast.ErrUnauthorized) || errors.Is(err, vast.ErrInvalidKey) {
		t.Errorf("a live key lacking user_read: %v, want ErrUnauthorized without ErrInvalidKey", err)
	}
	for _, dead := range []vasttest.DeadKeyAnswer{vasttest.Dead401, vasttest.Dead404, vasttest.DeadSession404} {
		srv := vasttest.NewServer(t, vasttest.WithDeadKeyAnswer(dead))
		_, err := newClient(t, srv, vasttest.NewKeyValue(), newFakeTime()).CurrentUser(t.Context())
		if !errors.Is(err, vast.ErrInvalidKey) {
			t.Errorf("%d %s: %v, want ErrInvalidKey", dead.Status, dead.Body, err)
		}
	}
}
