package vast_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/vast"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// Point 8: the fake records calls as it serves them; AuditLog reads them
// and SummarizeAudit tells what one key did.
func TestAuditLogRecordsWhatAKeyDid(t *testing.T) {
	t.Parallel()
	for _, times := range []string{"epoch", "iso"} {
		t.Run(times, func(t *testing.T) {
			t.Parallel()
			ft := newFakeTime()
			srv := vasttest.NewServer(t, vasttest.WithClock(ft.Now), vasttest.WithAuditTimes(times))
			uid, admin := srv.AddAccount("ops@example.com")
			mgmt := newClient(t, srv, admin, ft)
			k, err := mgmt.CreateKey(t.Context(), "ci-audit", vast.MustPermissions("read-only", false))
			if err != nil {
				t.Fatal(err)
			}
			minted := newClient(t, srv, k.Secret.Reveal(), ft)
			if _, err := minted.CurrentUser(t.Context()); err != nil {
				t.Fatal(err)
			}
			ft.Sleep(t.Context(), 90*time.Second)
			if _, err := minted.ListKeys(t.Context()); err != nil {
				t.Fatal(err)
			}
			// What a leaked copy of the key did elsewhere, as the log would show it.
			leak := []vasttest.AuditEntry{
				{IP: "203.0.113.9", KeyID: k.ID, Time: ft.Now().Add(time.Minute), Route: "/api/v0/asks/4242/", Args: `{"image": "x", "disk": 10}`},
				{IP: "203.0.113.9", KeyID: k.ID, Time: ft.Now().Add(2 * time.Minute), Route: "/api/v0/asks/4243/", Args: "{}"},
				{IP: "198.51.100.7", KeyID: k.ID, Time: ft.Now().Add(3 * time.Minute), Route: "DELETE /api/v0/instances/77/", Args: "{}"},
				{IP: "198.51.100.7", KeyID: k.ID, Time: ft.Now().Add(4 * time.Minute), Route: "/invoices/", Args: "{}"},
				{IP: "198.51.100.7", KeyID: 0, Time: ft.Now().Add(5 * time.Minute), Route: "/api/v0/instances/", Args: "{}"},
			}
			for _, e := range leak {
				srv.AddAuditEntry(uid, e)
			}
			entries, err := mgmt.AuditLog(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 3+len(leak)+1 { // create, user, list, the seeds, and this read
				t.Errorf("%d entries, want %d", len(entries), 3+len(leak)+1)
			}
			a := vast.SummarizeAudit(entries, k.ID)
			start := newFakeTime().Now()
			want := vast.KeyActivity{
				KeyID: k.ID, Calls: 6,
				First: start, Last: start.Add(90*time.Second + 4*time.Minute),
				IPs: []vast.Count{{"127.0.0.1", 2}, {"198.51.100.7", 2}, {"203.0.113.9", 2}},
				Routes: []vast.Count{{"/api/v0/asks/{id}/", 2}, {"/api/v0/auth/apikeys/", 1}, {"/api/v0/invoices/", 1},
					{"/api/v0/users/current/", 1}, {"DELETE /api/v0/instances/{id}/", 1}},
				Actions: []vast.Count{{"instances created", 2}, {"instances destroyed", 1}, {"billing reads", 1}, {"key list or creation", 1}},
			}
			if diff := cmp.Diff(want, a, cmp.Comparer(func(x, y time.Time) bool { return x.Sub(y).Abs() < time.Millisecond })); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			if got := a.String(); !strings.HasPrefix(got, "6 calls from 3 IPs (127.0.0.1 ×2, 198.51.100.7 ×2, 203.0.113.9 ×2) between 2026-11-26T12:00:00Z and 2026-11-26T12:05:30Z; instances created 2, instances destroyed 1, billing reads 1") {
				t.Errorf("String = %q", got)
			}
			if b, err := json.Marshal(a); err != nil || !strings.Contains(string(b), `"first_use":"2026-11-26T12:00:00`) {
				t.Errorf("JSON = %s, %v", b, err)
			}
			if got := vast.SummarizeAudit(entries, 999999).String(); got != "no calls in the audit log" {
				t.Errorf("an unused key: %q", got)
			}
		})
	}
}

// The audit log's strings come from the API and are sanitised.
func TestAuditLogIsSanitised(t *testing.T) {
	t.Parallel()
	srv, c, key, _ := setup(t)
	leak := vasttest.NewKeyValue()
	srv.Inject(vasttest.Fault{Route: "audit", Status: 200, Body: `{"results": [{"ip_address": "1.2.3.4\n::error::x", "api_key_id": "12", "created_at": "2024-01-01",
		"api_route": "/api/v0/instances/5/?api_key=` + leak + `", "args": {"key": "` + key + `", "note": "` + strings.Repeat("a", 500) + `"}},
		{"ip_address": null, "api_key_id": null, "created_at": null, "api_route": null, "args": null}]}`})
	entries, err := c.AuditLog(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("%d entries", len(entries))
	}
	e := entries[0]
	for _, s := range []string{e.IP, e.Route, e.Args} {
		if strings.ContainsAny(s, "\n\r") || strings.Contains(s, leak) || strings.Contains(s, key) {
			t.Errorf("unsanitised %q", s)
		}
	}
	if e.KeyID != 12 || !e.Time.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) || len([]rune(e.Args)) > 201 {
		t.Errorf("entry = %+v", e)
	}
	if entries[1] != (vast.AuditEntry{}) {
		t.Errorf("null entry = %+v", entries[1])
	}
	if a := vast.SummarizeAudit(entries, 12); len(a.Routes) != 1 || a.Routes[0].Name != "/api/v0/instances/{id}/" {
		t.Errorf("routes = %+v", a.Routes)
	}
}

// Point 8: an unavailable scope or endpoint is a typed error with a
// one-line note, never a bare failure.
func TestAuditLogUnavailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []vasttest.Option
		perm string // the caller key's permissions
		note string
	}{
		{"a key without misc", nil, `{"api":{"user_read":{}}}`, "needs the misc permission"},
		{"an API without the endpoint", []vasttest.Option{vasttest.WithoutAuditLog()}, "", "this API does not offer it (404 (an HTML page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vasttest.NewServer(t, tt.opts...)
			uid, admin := srv.AddAccount("ops@example.com")
			key := admin
			if tt.perm != "" {
				_, key = srv.AddKey(uid, "scoped", tt.perm)
			}
			c := newClient(t, srv, key, newFakeTime())
			_, err := c.AuditLog(t.Context())
			var ue *vast.AuditUnavailableError
			if !errors.Is(err, vast.ErrAuditUnavailable) || !errors.As(err, &ue) || !strings.Contains(ue.Note(), tt.note) {
				t.Fatalf("err = %v, want an unavailable audit log noting %q", err, tt.note)
			}
			if strings.Contains(ue.Note(), "\n") {
				t.Errorf("note spans lines: %q", ue.Note())
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestAuditLogSendsNoQuery(t *testing.T) {
	t.Parallel()
	srv, c, _, _ := setup(t)
	if _, err := c.AuditLog(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Method != "GET" || r.Path != "/api/v0/audit_logs/" || r.Query != "" || r.Body != "" {
		t.Errorf("request = %+v, want GET /api/v0/audit_logs/ with no query and no body", r)
	}
}
