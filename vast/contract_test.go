package vast_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vastguard/vastguard/vast"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// TestContractRealAPI runs against the real Vast API and settles what
// vast-api.md leaves unverified. It is skipped unless VAST_API_KEY is set
// (a key with user_read, user_write and misc) and VASTGUARD_CONTRACT=1;
// VAST_URL overrides the API URL. Run it with
//
//	VAST_API_KEY=... VASTGUARD_CONTRACT=1 go test -run TestContractRealAPI -v ./vast/
//
// It creates three keys named vastguard-contract-<time>-ro (read-only),
// -full (every category) and -misc (misc only) and deletes them; nothing
// else in the account is touched. It logs shapes, never values: field names, JSON types, statuses,
// the API's error messages and Location paths (with anything key-shaped
// redacted), never a key, an id, an email or an IP address. It logs:
//
//   - create's answer: the field holding the key (key or api_key), the type
//     of permissions (object or false) and the other fields;
//   - the listed permissions of the read-only and the full key, and the
//     list's item fields;
//   - users/current/'s fields, and whether key_id is the calling key's id;
//   - users/current/ and the list with a live key that lacks user_read (it
//     must not read as a dead key);
//   - a non-canonical path (users/current without its slash): redirect or not;
//   - show-one (GET /auth/apikeys/{id}/) with the management and the
//     read-only key: whether user_read can read another key's secret;
//   - DELETE of a deleted key, of an id that never existed, and with a
//     garbage caller key; users/current with a deleted and a garbage key;
//   - the audit log's entry fields, and whether the minted key's calls are in it;
//   - two back-to-back key lists: a 429's body, content type and headers.
//
// It fails only where the library's assumptions are contradicted.
func TestContractRealAPI(t *testing.T) {
	key := os.Getenv("VAST_API_KEY")
	if key == "" || os.Getenv("VASTGUARD_CONTRACT") != "1" {
		t.Skip("contract test: set VAST_API_KEY and VASTGUARD_CONTRACT=1 to run against the real Vast API")
	}
	base := vast.DefaultBaseURL
	opts := []vast.Option{}
	if u := os.Getenv("VAST_URL"); u != "" {
		base = strings.TrimSuffix(u, "/")
		opts = append(opts, vast.WithBaseURL(u))
	}
	ctx := t.Context()
	c, err := vast.New(key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	raw := &rawAPI{t: t, base: base, hide: []string{key}}
	logf := func(format string, args ...any) { t.Logf("%s", vast.Redact(fmt.Sprintf(format, args...), raw.hide...)) }

	// users/current/ with the management key, and a non-canonical path.
	st, body, _ := raw.do(ctx, key, "GET", "/api/v0/users/current/")
	logf("users/current/: %d %s", st, shapeOf(body))
	me, err := c.CurrentUser(ctx)
	if err != nil {
		t.Fatalf("CurrentUser: %v", err)
	}
	st, body, h := raw.do(ctx, key, "GET", "/api/v0/users/current")
	logf("users/current without the slash: %d, Location %q, body %s", st, locationPath(h), shapeOrText(st, body))

	// The list before.
	st, body, _ = raw.do(ctx, key, "GET", "/api/v0/auth/apikeys/")
	logf("list: %d, envelope %s", st, listShape(body))
	keys, err := c.ListKeys(ctx)
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	logf("list: %d keys, the caller's key_id among them: %v", len(keys), slices.ContainsFunc(keys, func(k vast.Key) bool { return k.ID == me.KeyID }))

	// Create a read-only and a full key.
	stamp := time.Now().UTC().Format("20060102T150405")
	created := map[string]vast.Key{}
	for _, kind := range []struct{ suffix, spec string }{{"ro", "read-only"}, {"full", "full"}, {"misc", `{"api": {"misc": {}}}`}} {
		name := "vastguard-contract-" + stamp + "-" + kind.suffix
		k, err := c.CreateKey(ctx, name, vast.MustPermissions(kind.spec, true))
		if err != nil {
			var ue *vast.CreateUncertainError
			if errors.As(err, &ue) {
				if _, serr := c.SettleName(context.WithoutCancel(ctx), name, ue.Since.Add(vast.SettleWindow)); serr != nil {
					t.Errorf("a key named %s may be left behind: %v", name, serr)
				}
			}
			t.Fatalf("CreateKey %s: %v", kind.spec, err)
		}
		raw.hide = append(raw.hide, k.Secret.Reveal())
		created[kind.suffix] = k
		t.Cleanup(func() {
			if err := c.DeleteKey(context.WithoutCancel(ctx), k.ID); vast.DeletionOf(err) == vast.DeleteFailed {
				t.Errorf("cleanup: key %s may be left behind: %v", name, err)
			}
		})
		logf("create %s: key in %q, permissions %s, fields %v; echo %v, diff %v, full access %v",
			kind.spec, k.Answer.KeyField, k.Answer.PermissionsType, k.Answer.Fields, k.Echo, k.Diff, k.FullAccess)
	}

	// How the list shows them.
	st, body, _ = raw.do(ctx, key, "GET", "/api/v0/auth/apikeys/")
	for suffix, k := range created {
		logf("listed %s key: %s", suffix, itemShape(body, k.ID))
	}
	after, err := c.ListKeys(ctx)
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	for suffix, k := range created {
		i := slices.IndexFunc(after, func(l vast.Key) bool { return l.ID == k.ID })
		if i < 0 {
			t.Errorf("the new %s key is not listed", suffix)
			continue
		}
		l := after[i]
		logf("listed %s key as read: name matches %v, permissions known %v (%s), full access %v, created_at set %v",
			suffix, l.Name == k.Name, l.PermissionsKnown, l.Permissions, l.FullAccess, !l.CreatedAt.IsZero())
	}

	// The minted key: whose id is key_id?
	ro := created["ro"]
	minted, err := vast.New(ro.Secret.Reveal(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	mu, err := minted.CurrentUser(ctx)
	if err != nil {
		t.Errorf("minted key CurrentUser: %v", err)
	} else {
		logf("users/current/ with the minted key: same account %v; key_id is the calling key's id: %v (0 means absent)", mu.ID == me.ID, mu.KeyID == ro.ID)
		if mu.ID != me.ID {
			t.Errorf("the minted key belongs to another account")
		}
	}

	// Show-one: does user_read read a key's secret? With the management key
	// and with the read-only key, on the full key's id (a shape: a "key"
	// field of type string, or a bare string, would mean yes).
	st, body, _ = raw.do(ctx, key, "GET", fmt.Sprintf("/api/v0/auth/apikeys/%d/", created["full"].ID))
	logf("show one key with the management key: %d %s", st, shapeOrText(st, body))
	st, body, _ = raw.do(ctx, ro.Secret.Reveal(), "GET", fmt.Sprintf("/api/v0/auth/apikeys/%d/", created["full"].ID))
	logf("show one key with the read-only key: %d %s", st, shapeOrText(st, body))
	st, body, _ = raw.do(ctx, ro.Secret.Reveal(), "GET", "/api/v0/auth/apikeys/")
	logf("list with the read-only key: %d %s", st, listShape(body))

	// A live key without user_read: what users/current/ and the list
	// answer. The library must not take that for a dead key.
	scoped := created["misc"]
	st, body, _ = raw.do(ctx, scoped.Secret.Reveal(), "GET", "/api/v0/users/current/")
	logf("users/current/ with a live key without user_read: %d %s", st, shapeOrText(st, body))
	st, body, _ = raw.do(ctx, scoped.Secret.Reveal(), "GET", "/api/v0/auth/apikeys/")
	logf("list with a live key without user_read: %d %s", st, shapeOrText(st, body))
	if sc, err := vast.New(scoped.Secret.Reveal(), opts...); err == nil {
		if _, err := sc.CurrentUser(ctx); errors.Is(err, vast.ErrUnauthorized) {
			t.Errorf("a live key without user_read reads as dead: %v", err)
		}
		if entries, err := sc.AuditLog(ctx); err != nil {
			logf("the audit log with a misc-only key: %v", err)
		} else {
			logf("the audit log with a misc-only key: %d entries", len(entries))
		}
	}

	// The audit log.
	st, body, _ = raw.do(ctx, key, "GET", "/api/v0/audit_logs/")
	logf("audit_logs/: %d %s", st, listShape(body))
	if entries, err := c.AuditLog(ctx); err != nil {
		logf("AuditLog: %v", err)
	} else {
		a := vast.SummarizeAudit(entries, ro.ID)
		logf("audit log: %d entries; the minted key's calls recorded: %d, with routes %v", len(entries), a.Calls, routeNames(a))
	}

	// Delete, and the answers around a deleted key.
	st, body, _ = raw.do(ctx, key, "DELETE", fmt.Sprintf("/api/v0/auth/apikeys/%d/", ro.ID))
	logf("DELETE of a live key: %d %s", st, shapeOrText(200, body))
	st, body, _ = raw.do(ctx, key, "DELETE", fmt.Sprintf("/api/v0/auth/apikeys/%d/", ro.ID))
	logf("DELETE of a deleted key: %d %s", st, shapeOrText(st, body))
	if err := c.DeleteKey(ctx, ro.ID); vast.DeletionOf(err) != vast.AlreadyGone {
		t.Errorf("DeleteKey of a deleted key = %v (%v), want already gone", err, vast.DeletionOf(err))
	}
	time.Sleep(vast.RateFloor("DELETE", "/api/v0/auth/apikeys/1/")) // the library's call used the window
	st, body, _ = raw.do(ctx, key, "DELETE", fmt.Sprintf("/api/v0/auth/apikeys/%d/", int64(1)<<50))
	logf("DELETE of an id that never existed: %d %s", st, shapeOrText(st, body))
	st, body, _ = raw.do(ctx, ro.Secret.Reveal(), "GET", "/api/v0/users/current/")
	logf("users/current/ with the deleted key: %d %s", st, shapeOrText(st, body))
	if _, err := minted.CurrentUser(ctx); !errors.Is(err, vast.ErrUnauthorized) {
		t.Errorf("deleted key CurrentUser = %v, want ErrUnauthorized", err)
	}
	garbage := vasttest.NewKeyValue()
	raw.hide = append(raw.hide, garbage)
	st, body, _ = raw.do(ctx, garbage, "GET", "/api/v0/users/current/")
	logf("users/current/ with a garbage key: %d %s", st, shapeOrText(st, body))
	st, body, _ = raw.do(ctx, garbage, "DELETE", fmt.Sprintf("/api/v0/auth/apikeys/%d/", created["full"].ID))
	logf("DELETE with a garbage key: %d %s", st, shapeOrText(st, body))
	if k, ok := listed(ctx, c, created["full"].ID); !ok || k.ID == 0 {
		t.Errorf("a DELETE with a garbage key removed the full key")
	}

	// Rate limits: two lists back to back.
	time.Sleep(vast.RateFloor("GET", "/api/v0/auth/apikeys/"))
	raw.burst = true
	for i := range 2 {
		st, body, h = raw.do(ctx, key, "GET", "/api/v0/auth/apikeys/")
		if st == http.StatusTooManyRequests {
			logf("list %d: 429, Content-Type %q, Retry-After %q, X-RateLimit-Limit %q, body %s", i+1,
				h.Get("Content-Type"), h.Get("Retry-After"), h.Get("X-RateLimit-Limit"), shapeOrText(st, body))
		} else {
			logf("list %d: %d", i+1, st)
		}
	}
}

func listed(ctx context.Context, c *vast.Client, id int64) (vast.Key, bool) {
	keys, err := c.ListKeys(ctx)
	if err != nil {
		return vast.Key{}, false
	}
	i := slices.IndexFunc(keys, func(k vast.Key) bool { return k.ID == id })
	if i < 0 {
		return vast.Key{}, false
	}
	return keys[i], true
}

func routeNames(a vast.KeyActivity) []string {
	var out []string
	for _, r := range a.Routes {
		out = append(out, r.Name)
	}
	return out
}

// rawAPI makes single requests without the library, never following a
// redirect, so the contract test sees the answers as they are.
type rawAPI struct {
	t     *testing.T
	base  string
	hide  []string // secrets to redact from anything logged
	burst bool     // do not wait out the endpoint's window after a call
}

func (r *rawAPI) do(ctx context.Context, key, method, path string) (int, []byte, http.Header) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var body io.Reader
	if method != "GET" {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, body)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		r.t.Logf("%s %s: %s", method, path, vast.Redact(err.Error(), r.hide...))
		return 0, nil, http.Header{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if !r.burst {
		// Stay outside the endpoint's window: this is the real API.
		time.Sleep(vast.RateFloor(method, path) + 200*time.Millisecond)
	}
	return resp.StatusCode, b, resp.Header
}

// locationPath is a redirect's target without its query.
func locationPath(h http.Header) string {
	loc, _, _ := strings.Cut(h.Get("Location"), "?")
	return loc
}

// shapeOf renders JSON as its shape: object keys with the shapes of their
// values, an array's length and first element, "string" and "number" for
// scalars, true/false/null as they are. Never a string or number value.
func shapeOf(body []byte) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return fmt.Sprintf("(not JSON, %d bytes)", len(body))
	}
	var b strings.Builder
	writeShape(&b, v, 0)
	return b.String()
}

func writeShape(b *strings.Builder, v any, depth int) {
	switch x := v.(type) {
	case map[string]any:
		if depth > 5 {
			b.WriteString("{…}")
			return
		}
		names := make([]string, 0, len(x))
		for k := range x {
			names = append(names, k)
		}
		slices.Sort(names)
		b.WriteString("{")
		for i, k := range names {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "%q: ", k)
			writeShape(b, x[k], depth+1)
		}
		b.WriteString("}")
	case []any:
		fmt.Fprintf(b, "[%d items", len(x))
		if len(x) > 0 {
			b.WriteString(", first ")
			writeShape(b, x[0], depth+1)
		}
		b.WriteString("]")
	case string:
		b.WriteString("string")
	case json.Number, float64:
		b.WriteString("number")
	case bool:
		fmt.Fprint(b, x)
	case nil:
		b.WriteString("null")
	}
}

// shapeOrText is the shape of a 2xx body, and for an error the body itself
// (an API message, not a secret; key-shaped runs are redacted), cut short.
func shapeOrText(status int, body []byte) string {
	if status >= 200 && status <= 299 {
		return shapeOf(body)
	}
	s := vast.Redact(strings.Join(strings.Fields(string(body)), " "))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// listShape is the shape of a list answer with its items' fields merged,
// so one key's values never show.
func listShape(body []byte) string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return fmt.Sprintf("(not JSON, %d bytes)", len(body))
	}
	items, _ := v.([]any)
	envelope := "a bare list"
	if m, ok := v.(map[string]any); ok {
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		slices.Sort(names)
		envelope = fmt.Sprintf("an object with %v", names)
		for _, k := range names {
			if l, ok := m[k].([]any); ok {
				items = l
				break
			}
		}
	}
	fields := map[string]map[string]bool{}
	for _, it := range items {
		m, _ := it.(map[string]any)
		for k, val := range m {
			var b strings.Builder
			writeShape(&b, val, 4) // scalars and a shallow view of objects
			if fields[k] == nil {
				fields[k] = map[string]bool{}
			}
			fields[k][b.String()] = true
		}
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		types := make([]string, 0, len(fields[k]))
		for s := range fields[k] {
			types = append(types, s)
		}
		slices.Sort(types)
		names = append(names, k+": "+strings.Join(types, " | "))
	}
	slices.Sort(names)
	return fmt.Sprintf("%s; %d items with fields {%s}", envelope, len(items), strings.Join(names, "; "))
}

// itemShape is the permissions (and the other fields' types) of the listed
// key id.
func itemShape(body []byte, id int64) string {
	var env map[string][]map[string]json.RawMessage
	var items []map[string]json.RawMessage
	if json.Unmarshal(body, &env) == nil {
		items = env["apikeys"]
	} else if json.Unmarshal(body, &items) != nil {
		return "(the list is neither {\"apikeys\": [...]} nor a list)"
	}
	for _, it := range items {
		var got int64
		if json.Unmarshal(it["id"], &got) != nil || got != id {
			continue
		}
		names := make([]string, 0, len(it))
		for k := range it {
			names = append(names, k)
		}
		slices.Sort(names)
		return fmt.Sprintf("fields %v, permissions %s", names, shapeOf(it["permissions"]))
	}
	return "(not in the list)"
}
