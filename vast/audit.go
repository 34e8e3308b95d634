package vast

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// auditPath is the account's audit log. The route table also has
// /api/v1/audit_logs/ and /api/v0/audit_log_filters/ (scope misc); the CLI
// uses only this one.
const auditPath = "/api/v0/audit_logs/"

// maxAuditBody bounds the audit log read into memory: it is the account's
// whole history, larger than any key list.
const maxAuditBody = 32 << 20

// ErrAuditUnavailable is matched by the error AuditLog returns when the
// log cannot be read with this key or at this API: the key lacks the misc
// permission (403), or the endpoint is not there (404, 405, 410, 501).
// Callers turn it into a one-line note (AuditUnavailableError.Note), never
// a failure.
var ErrAuditUnavailable = errors.New("vast: audit log unavailable")

// AuditUnavailableError is why the audit log could not be read. It wraps
// the API's *Error.
type AuditUnavailableError struct {
	Err error
}

func (e *AuditUnavailableError) Error() string { return "audit log: " + e.Note() }

// Note is a one-line explanation for a report, e.g. "not readable with
// this key (403 ...): reading it needs the misc permission".
func (e *AuditUnavailableError) Note() string {
	var ve *Error
	if errors.As(e.Err, &ve) {
		if ve.StatusCode == http.StatusForbidden {
			return fmt.Sprintf("not readable with this key (%s): reading it needs the misc permission", ve.Brief())
		}
		return fmt.Sprintf("this API does not offer it (%s)", ve.Brief())
	}
	return "unavailable: " + oneLine(e.Err.Error(), maxMessage)
}

func (e *AuditUnavailableError) Unwrap() error { return e.Err }

// Is makes an AuditUnavailableError match ErrAuditUnavailable.
func (e *AuditUnavailableError) Is(target error) bool { return target == ErrAuditUnavailable }

// AuditEntry is one line of the account's audit log. Every string in it
// comes from the API and is sanitised: one line, bounded, anything
// key-shaped redacted.
type AuditEntry struct {
	IP     string    // ip_address
	KeyID  int64     // api_key_id; 0 when the API gives none (a console session)
	Time   time.Time // created_at; zero if unreadable
	Method string    // an HTTP method, when api_route starts with one; usually ""
	Route  string    // api_route, without a leading method
	Args   string    // args, as JSON text, at most 200 characters
}

// AuditLog returns the account's audit log: its "history of important
// actions", one entry per call with the calling key's id, the caller's IP
// address, the route and its arguments. It is the only per-key record of
// use: API keys have no "last used" field.
//
// Vast API: GET /api/v0/audit_logs/ (scope misc), with no query: the CLI
// (vastai/api/auth.py show_audit_logs) sends none, so it neither pages nor
// filters, and the API refuses unknown query parameters. The answer is a
// list (the CLI's live test) or an envelope holding one. A key without misc
// or an API without the endpoint gives an *AuditUnavailableError.
func (c *Client) AuditLog(ctx context.Context) ([]AuditEntry, error) {
	r, err := c.exchange(ctx, "GET", auditPath, nil, maxAuditBody)
	if err != nil {
		var ve *Error
		if errors.As(err, &ve) && !ve.Refused && (errors.Is(ve, ErrForbidden) || errors.Is(ve, ErrNotFound) || errors.Is(ve, ErrNoEndpoint)) {
			return nil, &AuditUnavailableError{Err: err}
		}
		return nil, fmt.Errorf("audit log: %w", err)
	}
	items, err := auditItems(r.body)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", &decodeError{"GET", auditPath, err.Error()})
	}
	out := make([]AuditEntry, 0, len(items))
	for _, it := range items {
		out = append(out, c.auditEntry(it))
	}
	return out, nil
}

func auditItems(body []byte) ([]map[string]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	var items []map[string]json.RawMessage
	if len(body) > 0 && body[0] == '[' {
		if json.Unmarshal(body, &items) != nil {
			return nil, errors.New("a list whose items are not objects")
		}
		return items, nil
	}
	var env map[string]json.RawMessage
	if json.Unmarshal(body, &env) != nil {
		return nil, errors.New("neither a list nor an object")
	}
	for _, name := range []string{"audit_logs", "logs", "results", "entries", "data"} {
		if v, ok := env[name]; ok {
			if json.Unmarshal(v, &items) != nil {
				return nil, fmt.Errorf("%q is not a list of objects", name)
			}
			return items, nil
		}
	}
	return nil, errors.New("an object without a list of entries")
}

var methodPrefix = regexp.MustCompile(`^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+`)

func (c *Client) auditEntry(it map[string]json.RawMessage) AuditEntry {
	str := func(raw json.RawMessage, n int) string {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = strings.TrimSpace(string(raw))
			if s == "null" {
				s = ""
			}
		}
		return oneLine(Redact(s, c.key), n)
	}
	e := AuditEntry{IP: str(it["ip_address"], 64), Route: str(it["api_route"], 200)}
	e.KeyID, _ = parseID(it["api_key_id"])
	e.Time, _ = parseTime(it["created_at"])
	if m := methodPrefix.FindStringSubmatch(e.Route); m != nil {
		e.Method, e.Route = m[1], strings.TrimSpace(e.Route[len(m[0]):])
	}
	args := it["args"]
	var s string
	if json.Unmarshal(args, &s) != nil {
		var compact bytes.Buffer
		if json.Compact(&compact, args) == nil {
			s = compact.String()
		}
	}
	if s == "null" {
		s = ""
	}
	e.Args = oneLine(Redact(s, c.key), 200)
	return e
}

// Count is a name and how often it occurred.
type Count struct {
	Name string `json:"name"`
	N    int    `json:"count"`
}

// KeyActivity summarises what one key did, from the audit log.
type KeyActivity struct {
	KeyID       int64     `json:"key_id"`
	Calls       int       `json:"calls"`
	First       time.Time `json:"first_use,omitzero"`
	Last        time.Time `json:"last_use,omitzero"`
	IPs         []Count   `json:"ips"`     // distinct IP addresses, most calls first
	Routes      []Count   `json:"routes"`  // routes, ids shown as {id}, most calls first
	Actions     []Count   `json:"actions"` // what the calls did (see auditActions), in table order
	OtherRoutes int       `json:"other_routes,omitempty"`
}

// maxRoutes bounds KeyActivity.Routes; the rest are counted in OtherRoutes.
const maxRoutes = 20

// auditActions classifies routes into what a report names (routes from
// the route table, scripts/data/api_scopes.json). api_route carries no
// method unless it starts with one, so a row without a method matches any
// method (or none), and the rows with one come first; an empty action
// means a call the report does not single out.
var auditActions = []struct {
	method, pattern, action string
}{
	{"", "/api/v0/asks/{id}/", "instances created"},
	{"", "/api/v0/asks/bulk/", "instances created"},
	{"", "/api/v0/launch_instance/", "instances created"},
	{"DELETE", "/api/v0/instances/{id}/", "instances destroyed"},
	{"DELETE", "/api/v0/instances/", "instances destroyed"},
	{"PUT", "/api/v0/instances/{id}/", "instances changed"},
	{"GET", "/api/v0/instances/{id}/", ""},
	{"GET", "/api/v0/instances/", ""},
	{"", "/api/v0/instances/{id}/", "instances changed or destroyed"},
	{"", "/api/v0/instances/", "instances changed or destroyed"},
	{"", "/api/v0/invoices/", "billing reads"},
	{"", "/api/v0/charges/", "billing reads"},
	{"", "/api/v0/user/earnings", "billing reads"},
	{"", "/api/v0/users/{id}/invoices/", "billing reads"},
	{"", "/api/v0/users/{id}/machine-earnings/", "billing reads"},
	{"", "/api/v0/commands/transfer_credit/", "credit transfers"},
	{"", "/api/v0/users/{id}/credit/", "credit transfers"},
	{"POST", "/api/v0/auth/apikeys/", "keys created"},
	{"DELETE", "/api/v0/auth/apikeys/{id}/", "keys deleted"},
	{"GET", "/api/v0/auth/apikeys/", ""},
	{"GET", "/api/v0/auth/apikeys/{id}/", ""},
	{"", "/api/v0/auth/apikeys/", "key list or creation"},
	{"", "/api/v0/auth/apikeys/{id}/", "key read or deletion"},
	{"", "/api/v0/commands/reset_apikey/", "key resets"},
}

// normaliseRoute puts a logged route in the route table's form: a path
// under /api/v0 (the CLI's "/audit_logs/" style gains the prefix), no
// query, numeric segments as {id}, a trailing slash.
func normaliseRoute(route string) string {
	route, _, _ = strings.Cut(route, "?")
	if i := strings.Index(route, "://"); i >= 0 { // a full URL
		if j := strings.IndexByte(route[i+3:], '/'); j >= 0 {
			route = route[i+3+j:]
		}
	}
	if !strings.HasPrefix(route, "/") {
		route = "/" + route
	}
	if !apiVersion.MatchString(route) {
		route = "/api/v0" + route
	}
	segs := strings.Split(strings.Trim(route, "/"), "/")
	for i, s := range segs {
		if s != "" && strings.Trim(s, "0123456789") == "" {
			segs[i] = "{id}"
		}
	}
	return "/" + strings.Join(segs, "/") + "/"
}

var apiVersion = regexp.MustCompile(`^/api/v[0-9]+/`)

// action names what a call did, "" if nothing the table names.
func action(method, route string) string {
	r := strings.TrimSuffix(route, "/")
	for _, a := range auditActions {
		if a.method != "" && a.method != method {
			continue
		}
		if strings.TrimSuffix(normaliseRoute(a.pattern), "/") == r {
			return a.action
		}
	}
	return ""
}

// SummarizeAudit summarises the entries of one key: how many calls, the
// first and last, from which IPs, on which routes, and what they did
// (instances created or destroyed, billing reads, key changes). It reads
// only what AuditLog sanitised.
func SummarizeAudit(entries []AuditEntry, keyID int64) KeyActivity {
	a := KeyActivity{KeyID: keyID, IPs: []Count{}, Routes: []Count{}, Actions: []Count{}}
	ips, routes, actions := map[string]int{}, map[string]int{}, map[string]int{}
	for _, e := range entries {
		if e.KeyID != keyID {
			continue
		}
		a.Calls++
		if !e.Time.IsZero() {
			if a.First.IsZero() || e.Time.Before(a.First) {
				a.First = e.Time
			}
			if e.Time.After(a.Last) {
				a.Last = e.Time
			}
		}
		ip := e.IP
		if ip == "" {
			ip = "(none)"
		}
		ips[ip]++
		route := normaliseRoute(e.Route)
		name := route
		if e.Method != "" {
			name = e.Method + " " + route
		}
		routes[name]++
		if act := action(e.Method, route); act != "" {
			actions[act]++
		}
	}
	a.IPs = counts(ips)
	a.Routes = counts(routes)
	if len(a.Routes) > maxRoutes {
		for _, r := range a.Routes[maxRoutes:] {
			a.OtherRoutes += r.N
		}
		a.Routes = a.Routes[:maxRoutes]
	}
	seen := map[string]bool{}
	for _, row := range auditActions {
		if n := actions[row.action]; n > 0 && !seen[row.action] {
			seen[row.action] = true
			a.Actions = append(a.Actions, Count{row.action, n})
		}
	}
	return a
}

// counts sorts a tally: most first, then by name.
func counts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{k, n})
	}
	slices.SortFunc(out, func(x, y Count) int {
		if c := cmp.Compare(y.N, x.N); c != 0 {
			return c
		}
		return strings.Compare(x.Name, y.Name)
	})
	return out
}

// String is a one-line summary, e.g. "12 calls from 3 IPs (203.0.113.9 ×8,
// ...) between 2026-11-02T10:00:00Z and ...; instances created 2, billing
// reads 4", or "no calls in the audit log".
func (a KeyActivity) String() string {
	if a.Calls == 0 {
		return "no calls in the audit log"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d call%s from %d IP%s (", a.Calls, plural(a.Calls), len(a.IPs), plural(len(a.IPs)))
	for i, ip := range a.IPs {
		if i == 3 {
			fmt.Fprintf(&b, ", …")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s ×%d", ip.Name, ip.N)
	}
	b.WriteString(")")
	if !a.First.IsZero() {
		fmt.Fprintf(&b, " between %s and %s", a.First.UTC().Format(time.RFC3339), a.Last.UTC().Format(time.RFC3339))
	}
	if len(a.Actions) > 0 {
		b.WriteString("; ")
		for i, act := range a.Actions {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %d", act.Name, act.N)
		}
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
