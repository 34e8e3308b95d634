package vast_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vastguard/vastguard/vast"
)

// FuzzParsePermissions: no input panics; an accepted value re-encodes to
// JSON that parses to the same categories; an error is one line.
func FuzzParsePermissions(f *testing.F) {
	for _, s := range []string{"read-only", "full", `{"api": {"misc": {}}}`,
		`{"api": {"instance_read": {"api.instance.show": {"constraints": {"id": {"eq": 1227, "lte": "$1"}}}}}}`,
		`{"api": {"x": []}}`, `{`, `{"api": {"misc": {"api.m": {"params": {}}}}} trailing`,
		`{"api": {"instance_read": {}, "instance_read": {"api.instance.show": {}}}}`, `{"api": {"misc": {}}, "api": {"user_write": {}}}`,
		`{"api": {"misc": {"api.m": {"params": {"p": [{"a": 1, "a": 2}]}}}}}`} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, spec string, allowFull bool) {
		p, err := vast.ParsePermissions(spec, allowFull)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if p.IsFull() && !allowFull {
			t.Fatal("full access accepted without allowFull")
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := vast.ParsePermissions(string(b), true)
		if err != nil {
			t.Fatalf("re-encoded %s does not parse: %v", b, err)
		}
		if p.String() != q.String() {
			t.Fatalf("round trip: %q != %q", p, q)
		}
	})
}

// fuzzTransport answers every request with a fixed status and body.
type fuzzTransport struct {
	status int
	body   []byte
	ctype  string
}

func (ft fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	h := http.Header{"Content-Type": {ft.ctype}, "Retry-After": {ft.ctype}}
	if ft.status >= 300 && ft.status <= 399 {
		h.Set("Location", string(ft.body))
	}
	return &http.Response{StatusCode: ft.status, Header: h,
		Body: io.NopCloser(bytes.NewReader(ft.body)), Request: r}, nil
}

// FuzzResponses feeds arbitrary statuses and bodies to every client method:
// no panic, errors are one line and never carry the client's key (even if
// the body echoes it), and a success returns sane values.
func FuzzResponses(f *testing.F) {
	key := strings.Repeat("ab", 32)
	f.Add(200, []byte(`{"apikeys": [{"id": 1, "name": "x"}]}`), "application/json")
	f.Add(200, []byte(`{"id": 5, "key": "`+key+`", "permissions": false}`), "application/json")
	f.Add(401, []byte(`{"success": false, "error": "invalid_user_key", "msg": "Invalid user key `+key+`"}`), "application/json")
	f.Add(502, []byte("<html><title>502</title></html>"), "text/html")
	f.Add(200, []byte(`{"id": 1, "key_id": "7", "api_key": "`+key+`"}`), "application/json")
	f.Add(429, []byte(""), "")
	f.Add(404, []byte(`{"success": false, "error": "auth_error", "msg": "Invalid user key"}`), "application/json")
	f.Add(404, []byte(`{"msg": "API Key not found."}`), "application/json")
	f.Add(200, []byte(`{"success": false, "error": "x", "msg": "no `+key+`"}`), "application/json")
	f.Add(200, []byte(`"Successfully Deleted API Key"`), "application/json")
	f.Add(301, []byte("http://evil.example/"+key+"?api_key="+key), "text/html")
	f.Add(429, []byte(`{"retry_after": 3}`), "5")
	f.Add(200, []byte(`[{"ip_address": "1.2.3.4", "api_key_id": 1, "created_at": "2024-01-01", "api_route": "/test", "args": "{}"}]`), "application/json")
	f.Add(200, []byte(`{"id": 5, "api_key": "`+key+`", "permissions": {"api": {"user_write": {}}}, "key_params": null}`), "application/json")
	f.Fuzz(func(t *testing.T, status int, body []byte, ctype string) {
		if status < 100 || status > 999 {
			return
		}
		c, err := vast.New(key, vast.WithHTTPClient(&http.Client{Transport: fuzzTransport{status, body, ctype}}),
			vast.WithRetry(vast.RetryPolicy{}))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		perms := vast.MustPermissions("read-only", false)
		var errs []error
		k, err := c.CreateKey(ctx, "fuzz", perms)
		errs = append(errs, err)
		if err == nil && (k.ID <= 0 || k.Secret.Reveal() == "" || strings.ContainsAny(k.Secret.Reveal(), " \n\r\t")) {
			t.Fatalf("CreateKey succeeded with %+v", k)
		}
		if err == nil && k.FullAccess && k.Echo != vast.EchoDiffers {
			t.Fatalf("full access reported without an echo that says so: %v", k.Echo)
		}
		keys, err := c.ListKeys(ctx)
		errs = append(errs, err)
		for _, lk := range keys {
			if lk.ID <= 0 {
				t.Fatalf("listed id %d", lk.ID)
			}
		}
		errs = append(errs, c.DeleteKey(ctx, 3))
		_, err = c.ResetKey(ctx)
		errs = append(errs, err)
		u, err := c.CurrentUser(ctx)
		errs = append(errs, err)
		if err == nil && u.ID <= 0 {
			t.Fatalf("CurrentUser succeeded with %+v", u)
		}
		entries, err := c.AuditLog(ctx)
		errs = append(errs, err)
		a := vast.SummarizeAudit(entries, 1)
		for _, s := range append([]string{a.String()}, fmt.Sprint(entries)) {
			if strings.Contains(s, key) {
				t.Fatalf("audit output shows the key: %s", s)
			}
		}
		if len(entries) > 0 && strings.ContainsAny(a.String(), "\n\r") {
			t.Fatalf("multi-line summary %q", a.String())
		}
		for _, e := range errs {
			if e == nil {
				continue
			}
			s := e.Error()
			if strings.Contains(s, key) || strings.Contains(fmt.Sprintf("%+v", e), key) {
				t.Fatalf("error shows the key: %s", s)
			}
			if strings.ContainsAny(s, "\n\r") {
				t.Fatalf("multi-line error %q", s)
			}
		}
	})
}
