package vast_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/vast"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// fakeTime is a clock whose sleeps advance it instantly, recording each.
type fakeTime struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newFakeTime() *fakeTime {
	return &fakeTime{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.t = f.t.Add(d)
	return nil
}

func (f *fakeTime) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// setup starts a fake with one account and returns a client for its
// full-access key.
func setup(t *testing.T, opts ...vast.Option) (*vasttest.Server, *vast.Client, string, *fakeTime) {
	t.Helper()
	srv := vasttest.NewServer(t)
	_, key := srv.AddAccount("ops@example.com")
	ft := newFakeTime()
	c := newClient(t, srv, key, ft, opts...)
	return srv, c, key, ft
}

func newClient(t *testing.T, srv *vasttest.Server, key string, ft *fakeTime, opts ...vast.Option) *vast.Client {
	t.Helper()
	all := append([]vast.Option{
		vast.WithBaseURL(srv.URL),
		vast.WithHTTPClient(srv.Client()),
		vast.WithClock(ft.Now),
		vast.WithSleep(ft.Sleep),
		vast.WithJitter(func() float64 { return 0.5 }),
	}, opts...)
	c, err := vast.New(key, all...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCreateKeySendsNameAndPermissionsAndBearerOnly(t *testing.T) {
	t.Parallel()
	srv, c, admin, _ := setup(t)
	perms := vast.MustPermissions("instance-management", false)
	k, err := c.CreateKey(t.Context(), "ci-1", perms)
	if err != nil {
		t.Fatal(err)
	}
	if k.ID == 0 || len(k.Secret.Reveal()) != 64 {
		t.Fatalf("CreateKey = id %d, secret of %d chars; want an id and 64 hex", k.ID, len(k.Secret.Reveal()))
	}
	got, ok := srv.Key(k.ID)
	if !ok {
		t.Fatal("the fake holds no such key")
	}
	if diff := cmp.Diff([]string{"instance_read", "instance_write", "misc"}, got.Scopes()); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	if got.Name != "ci-1" || got.Value != k.Secret.Reveal() {
		t.Errorf("fake holds name %q; value match %v", got.Name, got.Value == k.Secret.Reveal())
	}
	for _, r := range srv.Requests() {
		if r.Query != "" {
			t.Errorf("%s %s sent a query %q; keys go in the header only", r.Method, r.Path, r.Query)
		}
		if r.Token != admin {
			t.Errorf("%s %s authenticated with another token", r.Method, r.Path)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/api/v0/auth/apikeys/" {
		t.Fatalf("requests = %+v, want one POST /api/v0/auth/apikeys/", reqs)
	}
	want := `{"name":"ci-1","permissions":{"api":{"instance_read":{},"instance_write":{},"misc":{}}}}`
	if reqs[0].Body != want {
		t.Errorf("body = %s\nwant %s", reqs[0].Body, want)
	}
}

func TestKeyFormattingNeverShowsTheSecret(t *testing.T) {
	t.Parallel()
	_, c, _, _ := setup(t)
	k, err := c.CreateKey(t.Context(), "fmt", vast.MustPermissions("read-only", false))
	if err != nil {
		t.Fatal(err)
	}
	v := k.Secret.Reveal()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for _, arg := range []any{k, &k, k.Secret} {
			if out := fmt.Sprintf(verb, arg); strings.Contains(out, v) || strings.Contains(out, fmt.Sprintf("%x", v)) {
				t.Errorf("Sprintf(%q, %T) shows the secret", verb, arg)
			}
		}
	}
	if got := k.Secret.Redacted(); got != "..."+v[60:] {
		t.Errorf("Redacted = %q, want ... and the last 4", got)
	}
}

func TestStatusesMapToSentinels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   error
		msg    string
	}{
		{"400 invalid permissions", 400, `{"success": false, "error": "invalid_permissions", "msg": "Invalid permission format"}`, nil, "400 Invalid permission format (invalid_permissions)"},
		{"401 deleted key", 401, `{"success": false, "error": "invalid_user_key", "msg": "Invalid user key"}`, vast.ErrUnauthorized, "401 Invalid user key (invalid_user_key)"},
		{"403 other account", 403, `{"msg": "You do not have permission to delete this API Key."}`, vast.ErrForbidden, "403 You do not have permission to delete this API Key."},
		{"404 gone", 404, `{"msg": "API Key not found."}`, vast.ErrNotFound, "404 API Key not found."},
		{"429 plain text", 429, `API requests too frequent endpoint threshold=2.0`, vast.ErrRateLimited, "429 API requests too frequent endpoint threshold=2.0"},
		{"429 detail", 429, `{"detail": "API requests too frequent endpoint threshold=1.0"}`, vast.ErrRateLimited, "429 API requests too frequent endpoint threshold=1.0"},
		{"500 json", 500, `{"success": false, "error": "server_error", "msg": "boom"}`, vast.ErrServer, "500 boom (server_error)"},
		{"502 html", 502, `<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>`, vast.ErrServer, `502 (an HTML page titled "502 Bad Gateway", not the API: a proxy or an outage page?)`},
		{"503 empty", 503, ``, vast.ErrServer, "503 Service Unavailable"},
		{"401 json string", 401, `"Please log in or sign up"`, vast.ErrUnauthorized, "401 Please log in or sign up"},
		{"400 json without message", 400, `{"success": false}`, nil, "400 (a JSON body with no message)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _, _ := setup(t, vast.WithRetry(vast.RetryPolicy{}))
			srv.Inject(vasttest.Fault{Route: "list", Status: tt.status, Body: tt.body, EmptyBody: tt.body == "", Times: -1})
			_, err := c.ListKeys(t.Context())
			var ve *vast.Error
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *vast.Error", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.want)
			}
			for _, s := range []error{vast.ErrUnauthorized, vast.ErrForbidden, vast.ErrNotFound, vast.ErrRateLimited, vast.ErrServer} {
				if s != tt.want && errors.Is(err, s) {
					t.Errorf("err also matches %v", s)
				}
			}
			if got := ve.Brief(); got != tt.msg && got+" ("+ve.Code+")" != tt.msg {
				if !strings.Contains(ve.Error(), tt.msg) {
					t.Errorf("message = %q (Error %q), want %q", got, ve.Error(), tt.msg)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestEveryMethodAgainstEveryStatus(t *testing.T) {
	t.Parallel()
	type call struct {
		route string
		do    func(context.Context, *vast.Client, int64) error
	}
	calls := map[string]call{
		"CreateKey": {"create", func(ctx context.Context, c *vast.Client, _ int64) error {
			_, err := c.CreateKey(ctx, "status-test", vast.MustPermissions("read-only", false))
			return err
		}},
		"ListKeys":    {"list", func(ctx context.Context, c *vast.Client, _ int64) error { _, err := c.ListKeys(ctx); return err }},
		"DeleteKey":   {"delete", func(ctx context.Context, c *vast.Client, id int64) error { return c.DeleteKey(ctx, id) }},
		"ResetKey":    {"reset", func(ctx context.Context, c *vast.Client, _ int64) error { _, err := c.ResetKey(ctx); return err }},
		"CurrentUser": {"user", func(ctx context.Context, c *vast.Client, _ int64) error { _, err := c.CurrentUser(ctx); return err }},
	}
	statuses := []struct {
		status int
		want   error
	}{
		{200, nil}, {400, nil}, {401, vast.ErrUnauthorized}, {403, vast.ErrForbidden},
		{404, vast.ErrNotFound}, {429, vast.ErrRateLimited}, {500, vast.ErrServer}, {502, vast.ErrServer}, {503, vast.ErrServer},
	}
	for name, cl := range calls {
		for _, st := range statuses {
			t.Run(fmt.Sprintf("%s/%d", name, st.status), func(t *testing.T) {
				t.Parallel()
				srv, c, key, _ := setup(t, vast.WithRetry(vast.RetryPolicy{Budget: time.Minute, BaseDelay: time.Second, MaxDelay: time.Second, MaxAttempts: 3}))
				victim, _ := srv.AddKey(101, "victim", `{"api":{"misc":{}}}`)
				if st.status != 200 {
					srv.Inject(vasttest.Fault{Route: cl.route, Status: st.status, Times: -1})
				}
				err := cl.do(t.Context(), c, victim)
				if st.status == 200 {
					if err != nil {
						t.Fatalf("err = %v", err)
					}
					return
				}
				if err == nil {
					t.Fatal("err = nil")
				}
				if st.want != nil && !errors.Is(err, st.want) {
					t.Errorf("err = %v, want %v", err, st.want)
				}
				if strings.Contains(err.Error(), key) {
					t.Errorf("error contains the key")
				}
				// 429 and 502/503 are retried (3 attempts); others are not.
				n := 0
				for _, r := range srv.Requests() {
					if r.Fault != "" {
						n++
					}
				}
				wantN := 1
				if st.status == 429 || st.status == 502 || st.status == 503 {
					wantN = 3
				}
				if cl.route == "create" && st.status >= 500 {
					// each failed create is followed by a list to look for a stray key
					wantN = map[int]int{500: 1, 502: 3, 503: 3}[st.status]
				}
				if n != wantN {
					t.Errorf("%d attempts, want %d", n, wantN)
				}
			})
		}
	}
}

func TestBackoffIsFullJitterExponentialWithinBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy vast.RetryPolicy
		jitter float64
		want   []time.Duration
	}{
		{"doubles up to the cap, stops at max attempts", vast.RetryPolicy{Budget: time.Hour, BaseDelay: time.Second, MaxDelay: 5 * time.Second, MaxAttempts: 6}, 1,
			[]time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}},
		{"jitter scales each delay", vast.RetryPolicy{Budget: time.Hour, BaseDelay: time.Second, MaxDelay: time.Minute, MaxAttempts: 4}, 0.25,
			[]time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}},
		{"budget ends the retries", vast.RetryPolicy{Budget: 10 * time.Second, BaseDelay: 2 * time.Second, MaxDelay: time.Minute}, 1,
			[]time.Duration{2 * time.Second, 4 * time.Second}},
		{"zero budget means no retry", vast.RetryPolicy{}, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _, ft := setup(t, vast.WithRetry(tt.policy), vast.WithJitter(func() float64 { return tt.jitter }))
			// A 503: a 429 adds the endpoint's window (TestRateLimitBackoff).
			srv.Inject(vasttest.Fault{Route: "list", Status: 503, Times: -1})
			_, err := c.ListKeys(t.Context())
			if !errors.Is(err, vast.ErrServer) {
				t.Fatalf("err = %v, want ErrServer", err)
			}
			if diff := cmp.Diff(tt.want, ft.Sleeps()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if got, want := len(srv.Requests()), len(tt.want)+1; got != want {
				t.Errorf("%d requests, want %d", got, want)
			}
		})
	}
}

func TestRetriesRecoverFromTransientFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault vasttest.Fault
	}{
		{"429 twice", vasttest.Fault{Route: "list", Status: 429, Times: 2}},
		{"502 once", vasttest.Fault{Route: "list", Status: 502, Body: "<html><title>Bad Gateway</title></html>"}},
		{"504 once", vasttest.Fault{Route: "list", Status: 504}},
		{"dropped connection", vasttest.Fault{Route: "list", Drop: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _, ft := setup(t)
			srv.Inject(tt.fault)
			keys, err := c.ListKeys(t.Context())
			if err != nil {
				t.Fatalf("ListKeys: %v", err)
			}
			if len(keys) != 1 || keys[0].Name != "default" {
				t.Errorf("keys = %+v", keys)
			}
			if len(ft.Sleeps()) == 0 {
				t.Error("no backoff sleep before the retry")
			}
		})
	}
}

func TestPerAttemptTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	srv, c, _, _ := setup(t, vast.WithRetry(vast.RetryPolicy{Budget: time.Minute, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Timeout: 50 * time.Millisecond}))
	srv.Inject(vasttest.Fault{Route: "user", Delay: 2 * time.Second})
	u, err := c.CurrentUser(t.Context())
	if err != nil {
		t.Fatalf("CurrentUser: %v", err)
	}
	if u.ID == 0 || u.KeyID == 0 {
		t.Errorf("user = %+v", u)
	}
}

func TestCancelledContextStopsRetrying(t *testing.T) {
	t.Parallel()
	srv, c, _, _ := setup(t, vast.WithSleep(func(ctx context.Context, d time.Duration) error {
		<-ctx.Done()
		return ctx.Err()
	}))
	srv.Inject(vasttest.Fault{Route: "list", Status: 503, Times: -1})
	ctx, cancel := context.WithCancel(t.Context())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err := c.ListKeys(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestCreateIsNeverRepeatedBlindly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		faults    []vasttest.Fault
		wantErr   bool
		uncertain bool
	}{
		{"429 is retried: nothing was created", []vasttest.Fault{{Route: "create", Status: 429}}, false, false},
		{"created but the answer was a 502", []vasttest.Fault{{Route: "create", Status: 502, After: true}}, false, false},
		{"created but the connection dropped", []vasttest.Fault{{Route: "create", Drop: true, After: true}}, false, false},
		{"created but the body was garbage", []vasttest.Fault{{Route: "create", Status: 200, Body: `{"id": 12, "key": `, After: true}}, true, false},
		{"created but the answer was a 500 (not retryable)", []vasttest.Fault{{Route: "create", Status: 500, After: true}}, true, false},
		{"502 before creating", []vasttest.Fault{{Route: "create", Status: 502}}, false, false},
		{"created, answer lost, and the list fails", []vasttest.Fault{{Route: "create", Status: 502, After: true}, {Route: "list", Status: 401, Times: -1}}, true, true},
		{"created, answer lost, and the delete fails", []vasttest.Fault{{Route: "create", Status: 502, After: true}, {Route: "delete", Status: 403, Times: -1}}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _, _ := setup(t)
			for _, f := range tt.faults {
				srv.Inject(f)
			}
			k, err := c.CreateKey(t.Context(), "ci-unique-1", vast.MustPermissions("read-only", false))
			var ue *vast.CreateUncertainError
			if got := errors.As(err, &ue); got != tt.uncertain {
				t.Errorf("CreateUncertainError = %v, want %v (err %v)", got, tt.uncertain, err)
			}
			if tt.uncertain && ue.Name != "ci-unique-1" {
				t.Errorf("uncertain error names %q", ue.Name)
			}
			live := 0
			for _, lk := range srv.LiveKeys() {
				if lk.Name == "ci-unique-1" {
					live++
				}
			}
			switch {
			case tt.wantErr && err == nil:
				t.Fatal("err = nil")
			case !tt.wantErr && err != nil:
				t.Fatalf("err = %v", err)
			case !tt.wantErr:
				if live != 1 {
					t.Errorf("%d live keys named ci-unique-1, want exactly 1", live)
				}
				if lk, _ := srv.Key(k.ID); lk.Deleted || lk.Value != k.Secret.Reveal() {
					t.Error("the returned key is not the live one")
				}
			case tt.uncertain:
				if live > 1 {
					t.Errorf("%d live keys, want at most 1", live)
				}
			default:
				if live != 0 {
					t.Errorf("%d live keys named ci-unique-1 after a failed create, want 0", live)
				}
			}
		})
	}
}

func TestCreateRefusesBadArguments(t *testing.T) {
	t.Parallel()
	srv, c, _, _ := setup(t)
	if _, err := c.CreateKey(t.Context(), "x", vast.Permissions{}); err == nil {
		t.Error("zero permissions accepted")
	}
	if _, err := c.CreateKey(t.Context(), strings.Repeat("n", 256), vast.MustPermissions("read-only", false)); err == nil {
		t.Error("a 256-character name accepted")
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests made for invalid arguments", n)
	}
}

func TestDeleteIsSoftAndSecondDeleteIsNotFound(t *testing.T) {
	t.Parallel()
	srv, c, _, ft := setup(t)
	k, err := c.CreateKey(t.Context(), "ci-del", vast.MustPermissions("read-only", false))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteKey(t.Context(), k.ID); err != nil {
		t.Fatalf("DeleteKey: %v", err)
	}
	if err := c.DeleteKey(t.Context(), k.ID); !errors.Is(err, vast.ErrNotFound) {
		t.Errorf("second DeleteKey = %v, want ErrNotFound", err)
	}
	dead := newClient(t, srv, k.Secret.Reveal(), ft)
	_, err = dead.CurrentUser(t.Context())
	var ve *vast.Error
	if !errors.Is(err, vast.ErrUnauthorized) || !errors.As(err, &ve) || ve.Message != "Invalid user key" {
		t.Errorf("deleted key CurrentUser = %v, want 401 Invalid user key", err)
	}
	if lk, _ := srv.Key(k.ID); !lk.Deleted {
		t.Error("key not marked deleted")
	}
}

func TestDeleteOtherAccountsKeyIsForbidden(t *testing.T) {
	t.Parallel()
	srv, c, _, _ := setup(t)
	other, _ := srv.AddAccount("other@example.com")
	id, _ := srv.AddKey(other, "theirs", "")
	if err := c.DeleteKey(t.Context(), id); !errors.Is(err, vast.ErrForbidden) {
		t.Errorf("err = %v, want ErrForbidden", err)
	}
}

func TestScopesAreEnforced(t *testing.T) {
	t.Parallel()
	srv, _, _, ft := setup(t)
	uid, _ := srv.AddAccount("scoped@example.com")
	_, readOnly := srv.AddKey(uid, "ro", `{"api":{"user_read":{}}}`)
	_, noUser := srv.AddKey(uid, "inst", `{"api":{"instance_read":{}}}`)
	ro := newClient(t, srv, readOnly, ft)
	if _, err := ro.ListKeys(t.Context()); err != nil {
		t.Errorf("user_read ListKeys: %v", err)
	}
	if _, err := ro.CreateKey(t.Context(), "x", vast.MustPermissions("read-only", false)); !errors.Is(err, vast.ErrForbidden) {
		t.Errorf("user_read CreateKey = %v, want ErrForbidden", err)
	}
	ni := newClient(t, srv, noUser, ft)
	if _, err := ni.CurrentUser(t.Context()); !errors.Is(err, vast.ErrForbidden) {
		t.Errorf("instance_read CurrentUser = %v, want ErrForbidden", err)
	}
}

func TestListKeysDecodesTolerantly(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name    string
		body    string
		want    []vast.Key
		wantErr bool
	}{
		{"documented envelope with extra fields", `{"apikeys": [{"id": 7, "user_id": 3, "rights": null, "team_id": null, "team_name": null, "future": {"x": 1}}]}`,
			[]vast.Key{{ID: 7, UserID: 3}}, false},
		{"bare array, epoch float created_at, string id", `[{"id": "8", "name": "ci", "created_at": 1767323045.25}]`,
			[]vast.Key{{ID: 8, Name: "ci", CreatedAt: created.Add(250 * time.Millisecond)}}, false},
		{"RFC 3339 created_at and a deleted key", `{"apikeys": [{"id": 9, "created_at": "2026-01-02T03:04:05Z"}, {"id": 10, "deleted_at": 1767323045}]}`,
			[]vast.Key{{ID: 9, CreatedAt: created}}, false},
		{"empty list", `{"apikeys": []}`, []vast.Key{}, false},
		{"Python str(datetime) created_at", `{"apikeys": [{"id": 11, "created_at": "2026-01-02 03:04:05.250000+00:00"}, {"id": 12, "created_at": "2026-01-02 04:04:05+01:00"}]}`,
			[]vast.Key{{ID: 11, CreatedAt: created.Add(250 * time.Millisecond)}, {ID: 12, CreatedAt: created}}, false},
		{"epoch string created_at", `{"apikeys": [{"id": 13, "created_at": "1767323045.25"}]}`,
			[]vast.Key{{ID: 13, CreatedAt: created.Add(250 * time.Millisecond)}}, false},
		{"success true beside the list", `{"success": true, "apikeys": [{"id": 14}]}`, []vast.Key{{ID: 14}}, false},
		// A null list is no list: never "no keys" (a sweep or a settle
		// would take that as proof that a key is gone).
		{"null list", `{"apikeys": null}`, nil, true},
		// The API documents no pages: part of the list is refused.
		{"a next page", `{"apikeys": [{"id": 15}], "next": "/api/v0/auth/apikeys/?page=2"}`, nil, true},
		{"a count above the entries", `{"apikeys": [{"id": 16}], "count": 2}`, nil, true},
		{"has_more", `{"apikeys": [{"id": 17}], "has_more": true}`, nil, true},
		{"a count equal to the entries and no next page", `{"apikeys": [{"id": 18}], "count": 1, "next": null}`, []vast.Key{{ID: 18}}, false},
		{"a 200 error envelope without success", `{"error": "server_error", "msg": "try again"}`, nil, true},
		{"item without id", `{"apikeys": [{"name": "x"}]}`, nil, true},
		{"not JSON", `Service maintenance`, nil, true},
		{"object without a list", `{"keys_here": 1}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _, _ := setup(t)
			srv.Inject(vasttest.Fault{Route: "list", Status: 200, Body: tt.body})
			got, err := c.ListKeys(t.Context())
			if tt.wantErr {
				if !errors.Is(err, vast.ErrBadResponse) && !errors.Is(err, vast.ErrRefused) {
					t.Fatalf("err = %v, want ErrBadResponse or ErrRefused", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b vast.Permissions) bool { return a.String() == b.String() })); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListKeysReportsPermissions(t *testing.T) {
	t.Parallel()
	srv, c, _, _ := setup(t, vast.WithRetry(vast.RetryPolicy{}))
	if _, err := c.CreateKey(t.Context(), "ro", vast.MustPermissions("read-only", false)); err != nil {
		t.Fatal(err)
	}
	keys, err := c.ListKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("%d keys", len(keys))
	}
	if !keys[0].FullAccess || keys[0].Name != "default" {
		t.Errorf("default key = %+v, want full access", keys[0])
	}
	if keys[1].FullAccess || !keys[1].PermissionsKnown || keys[1].Permissions.Has("user_write") || !keys[1].Permissions.Has("user_read") {
		t.Errorf("read-only key = %+v", keys[1])
	}
	if keys[1].CreatedAt.IsZero() {
		t.Error("created_at not read")
	}
	_ = srv
}

func TestListKeysSkipsDeletedWhenTheAPIListsThem(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t, vasttest.WithDeletedInList())
	_, key := srv.AddAccount("a@example.com")
	c := newClient(t, srv, key, newFakeTime())
	k, err := c.CreateKey(t.Context(), "gone", vast.MustPermissions("read-only", false))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteKey(t.Context(), k.ID); err != nil {
		t.Fatal(err)
	}
	keys, err := c.ListKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, lk := range keys {
		if lk.ID == k.ID {
			t.Error("deleted key listed")
		}
	}
}

func TestResetKey(t *testing.T) {
	t.Parallel()
	for _, shape := range []string{"cli", "old-doc"} {
		t.Run(shape, func(t *testing.T) {
			t.Parallel()
			srv := vasttest.NewServer(t, vasttest.WithResetShape(shape))
			_, old := srv.AddAccount("r@example.com")
			ft := newFakeTime()
			c := newClient(t, srv, old, ft)
			s, err := c.ResetKey(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if s.Reveal() == old || len(s.Reveal()) != 64 {
				t.Fatal("no new key")
			}
			if _, err := c.CurrentUser(t.Context()); !errors.Is(err, vast.ErrUnauthorized) {
				t.Errorf("old key after reset: %v, want ErrUnauthorized", err)
			}
			if _, err := newClient(t, srv, s.Reveal(), ft).CurrentUser(t.Context()); err != nil {
				t.Errorf("new key: %v", err)
			}
			if r := srv.Requests()[0]; r.Method != "PUT" || r.Path != "/api/v0/commands/reset_apikey/" || r.Body != `{"client_id":"me"}` {
				t.Errorf("request = %+v", r)
			}
		})
	}
}

func TestResetKeyWhoseAnswerWasLost(t *testing.T) {
	t.Parallel()
	srv, c, _, _ := setup(t)
	srv.Inject(vasttest.Fault{Route: "reset", Status: 502, After: true})
	_, err := c.ResetKey(t.Context())
	if err == nil || !strings.Contains(err.Error(), "Vast console") {
		t.Fatalf("err = %v, want a message that the reset probably happened", err)
	}
}

func TestResetKeySuccessFalse(t *testing.T) {
	t.Parallel()
	srv, c, _, _ := setup(t)
	srv.Inject(vasttest.Fault{Route: "reset", Status: 200, Body: `{"success": false, "msg": "Two Factor Authentication required"}`})
	_, err := c.ResetKey(t.Context())
	if err == nil || !strings.Contains(err.Error(), "Two Factor") {
		t.Fatalf("err = %v", err)
	}
}

func TestCurrentUser(t *testing.T) {
	t.Parallel()
	srv, c, key, _ := setup(t)
	u, err := c.CurrentUser(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var want vasttest.Key
	for _, k := range srv.Keys() {
		if k.Value == key {
			want = k
		}
	}
	if diff := cmp.Diff(vast.User{ID: want.UserID, KeyID: want.ID}, u); diff != "" {
		t.Errorf("user (-want +got):\n%s", diff)
	}
	if strings.Contains(fmt.Sprintf("%+v", u), key) {
		t.Error("User carries the api_key field")
	}
}

func TestRateLimitedFakeIsRespected(t *testing.T) {
	t.Parallel()
	ft := newFakeTime()
	srv := vasttest.NewServer(t, vasttest.WithRateLimits(), vasttest.WithClock(ft.Now), vasttest.WithPlainText429())
	_, key := srv.AddAccount("rl@example.com")
	c := newClient(t, srv, key, ft, vast.WithJitter(func() float64 { return 1 }))
	for i := range 3 {
		if _, err := c.CreateKey(t.Context(), fmt.Sprintf("rl-%d", i), vast.MustPermissions("read-only", false)); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	limited := 0
	for _, r := range srv.Requests() {
		if r.Status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Error("the fake never rate limited back-to-back creates")
	}
	if n := len(srv.LiveKeys()); n != 4 {
		t.Errorf("%d live keys, want 4 (no duplicates)", n)
	}
}

func TestNoErrorContainsTheKey(t *testing.T) {
	t.Parallel()
	srv, c, key, _ := setup(t, vast.WithRetry(vast.RetryPolicy{}))
	leak := vasttest.NewKeyValue()
	bodies := []string{
		fmt.Sprintf(`{"msg": "Invalid user key %s", "error": "bad_%s"}`, key, key),
		fmt.Sprintf(`<html><title>%s</title></html>`, key),
		fmt.Sprintf(`plain %s and %s`, key, leak),
		fmt.Sprintf(`"%s"`, key),
		fmt.Sprintf(`{"detail": "%s"}`, leak),
	}
	for _, b := range bodies {
		for _, st := range []int{400, 401, 403, 404, 429, 500, 502} {
			srv.ClearFaults()
			srv.Inject(vasttest.Fault{Status: st, Body: b, Times: -1})
			var errs []error
			_, err := c.ListKeys(t.Context())
			errs = append(errs, err)
			_, err = c.CreateKey(t.Context(), "n", vast.MustPermissions("read-only", false))
			errs = append(errs, err)
			errs = append(errs, c.DeleteKey(t.Context(), 5))
			_, err = c.ResetKey(t.Context())
			errs = append(errs, err)
			_, err = c.CurrentUser(t.Context())
			errs = append(errs, err)
			for _, e := range errs {
				if e == nil {
					t.Fatalf("status %d: nil error", st)
				}
				for _, s := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
					if strings.Contains(s, key) || strings.Contains(s, leak) {
						t.Errorf("status %d: error shows a key: %s", st, s)
					}
				}
			}
		}
	}
	// A 200 whose body is garbage around a key must not echo it either.
	srv.ClearFaults()
	srv.Inject(vasttest.Fault{Route: "create", Status: 200, Body: fmt.Sprintf(`{"id": 1, "key": "%s"`, leak), After: true})
	if _, err := c.CreateKey(t.Context(), "garbage", vast.MustPermissions("read-only", false)); err == nil || strings.Contains(err.Error(), leak) {
		t.Errorf("garbage create: %v", err)
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
		opt  vast.Option
	}{
		{"empty key", "  ", nil},
		{"key with a newline", "abc\ndef", nil},
		{"ftp URL", "k", vast.WithBaseURL("ftp://x")},
		{"URL with a query", "k", vast.WithBaseURL("https://console.vast.ai/?api_key=x")},
		{"URL without host", "k", vast.WithBaseURL("https://")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []vast.Option
			if tt.opt != nil {
				opts = append(opts, tt.opt)
			}
			c, err := vast.New(tt.key, opts...)
			if err == nil {
				t.Fatalf("New = %v, want an error", c)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
		})
	}
}

func TestBaseURLAcceptsAPIPrefix(t *testing.T) {
	t.Parallel()
	srv := vasttest.NewServer(t)
	_, key := srv.AddAccount("p@example.com")
	for _, u := range []string{srv.URL, srv.URL + "/", srv.URL + "/api/v0", srv.URL + "/api/v0/"} {
		c := newClient(t, srv, key, newFakeTime(), vast.WithBaseURL(u))
		if _, err := c.CurrentUser(t.Context()); err != nil {
			t.Errorf("base %q: %v", u, err)
		}
	}
}

func TestAllServerErrorsRetriesOnlySafeRequests(t *testing.T) {
	t.Parallel()
	policy := vast.RetryPolicy{Budget: time.Minute, BaseDelay: time.Second, MaxDelay: time.Second, AllServerErrors: true}
	tests := []struct {
		name       string
		opts       []vast.Option
		wantErr    error // nil: the delete succeeds
		wantDelete int   // DELETE requests made
	}{
		{"default policy gives up on 500", nil, vast.ErrServer, 1},
		{"AllServerErrors retries 500 until it passes", []vast.Option{vast.WithRetry(policy)}, nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _, ft := setup(t, tt.opts...)
			k, err := c.CreateKey(t.Context(), "doomed", vast.MustPermissions("read-only", false))
			if err != nil {
				t.Fatal(err)
			}
			srv.Inject(vasttest.Fault{Route: "delete", Status: 500, Times: 2})
			err = c.DeleteKey(t.Context(), k.ID)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("DeleteKey = %v, want %v", err, tt.wantErr)
			}
			deletes := 0
			for _, r := range srv.Requests() {
				if r.Method == "DELETE" {
					deletes++
				}
			}
			if deletes != tt.wantDelete {
				t.Errorf("%d DELETE requests, want %d", deletes, tt.wantDelete)
			}
			if got := len(ft.Sleeps()); got != tt.wantDelete-1 {
				t.Errorf("%d backoff sleeps, want %d", got, tt.wantDelete-1)
			}
		})
	}

	t.Run("create is still never repeated after a 500", func(t *testing.T) {
		t.Parallel()
		srv, c, _, _ := setup(t, vast.WithRetry(policy))
		srv.Inject(vasttest.Fault{Route: "create", Status: 500, Times: -1})
		if _, err := c.CreateKey(t.Context(), "once", vast.MustPermissions("read-only", false)); !errors.Is(err, vast.ErrServer) {
			t.Fatalf("CreateKey = %v, want ErrServer", err)
		}
		posts := 0
		for _, r := range srv.Requests() {
			if r.Method == "POST" {
				posts++
			}
		}
		if posts != 1 {
			t.Errorf("%d POST requests, want 1", posts)
		}
	})
}
