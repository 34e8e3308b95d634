package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/vastguard/vastguard/internal/command"
	"github.com/vastguard/vastguard/internal/ghactions/runnertest"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

// TestOutsideAPI is the outside team's suite: every flow of the program
// that talks to Vast (the Action's mint and post steps through the runner
// model, `vastguard sweep`, `audit`, `keys list`, `keys create`, `keys
// delete`, `keys reset --yes`, `revoke`, `scan --verify`, and the Action's
// scan with on-leak: revoke) against outsideAPI, an independent fake
// written from Vast's docs, in each documented way the API answers. Per
// scenario and flow it checks, from outside: the exit code, the keys left
// live at the end, that every key left live is named by a loud error
// (annotation and summary for the Action), that nothing panicked, hung or
// printed a key where it must not, and that what the program reports
// matches what the API holds (a listed key, a minted key's value, a live
// or dead verdict). It prints a table of what each run left behind:
//
//	go test -run 'TestOutsideAPI$' -v .
func TestOutsideAPI(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var rows []outsideRow
	for _, sc := range outsideCases() {
		flows := sc.flows
		if flows == nil {
			flows = outsideFlowNames
		}
		for _, fl := range flows {
			t.Run(sc.name+"/"+fl, func(t *testing.T) {
				t.Parallel()
				row := runOutside(t, sc, fl)
				mu.Lock()
				rows = append(rows, row)
				mu.Unlock()
			})
		}
	}
	t.Cleanup(func() {
		order := map[string]int{}
		for i, sc := range outsideCases() {
			order[sc.name] = i
		}
		sort.SliceStable(rows, func(i, j int) bool {
			if a, b := order[rows[i].scenario], order[rows[j].scenario]; a != b {
				return a < b
			}
			return slices.Index(outsideFlowNames, rows[i].flow) < slices.Index(outsideFlowNames, rows[j].flow)
		})
		var b bytes.Buffer
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SCENARIO\tFLOW\tEXIT\tALIVE\tWHEN ALIVE\tFAKE TIME\tREAL TIME\tPROBLEMS")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", r.scenario, r.flow, r.codes, r.alive, r.loud, r.fake.Round(time.Second), r.real.Round(time.Millisecond), strings.Join(r.problems, "; "))
		}
		tw.Flush()
		t.Logf("outside API suite:\n%s", b.String())
	})
}

// The flows, in table order.
var outsideFlowNames = []string{"job", "sweep", "audit", "keys-list", "keys-create", "keys-delete", "keys-reset", "revoke", "verify", "on-leak"}

// Expectations of a flow in a scenario.
const (
	wantOK   = "ok"   // as in the calm scenario: the usual exit code, nothing left live
	wantFail = "fail" // a non-zero exit (for verify, not 3), every key left live named
	wantAny  = "any"  // only the invariants: never success while a key lives, never silent
)

type outsideCase struct {
	name  string
	a     outsideAnswers
	flows []string // nil: every flow
	// want is what each flow must end with; a flow not listed is wantOK.
	want map[string]string
	// setup runs once the account exists, before the flow; mgmt is the
	// management key's id. It may set a hook that needs the fake.
	setup func(f *outsideAPI, mgmt int64)
	// between runs in the job between the main and the post step.
	between func(f *outsideAPI, mgmt int64)
	// with adds to the job's inputs.
	with map[string]string
}

func (sc outsideCase) expect(flow string) string {
	if w, ok := sc.want[flow]; ok {
		return w
	}
	return wantOK
}

// all says every flow wants w, except those in except.
func all(w string, except map[string]string) map[string]string {
	out := map[string]string{}
	for _, f := range outsideFlowNames {
		out[f] = w
	}
	for k, v := range except {
		out[k] = v
	}
	return out
}

func outsideCases() []outsideCase {
	dead404 := jsonReply(404, map[string]any{"success": false, "error": "auth_error", "msg": "Invalid user key"})
	dead403 := jsonReply(403, map[string]any{"success": false, "error": "auth_error", "msg": "This action requires login."})
	dead401text := rawReply(401, "text/plain; charset=utf-8", "Unauthorized")
	session404 := jsonReply(404, map[string]any{"success": false, "msg": "Session expired. Please log in again."})
	scope401 := jsonReply(401, map[string]any{"success": false, "error": "unauthorized", "msg": "Authentication required"})
	html200 := rawReply(200, "text/html; charset=utf-8", outsideMaintenance)
	html503 := rawReply(503, "text/html; charset=utf-8", outsideMaintenance)
	// Flows that never use the management key for the answer under test.
	mgmtFree := map[string]string{"keys-reset": wantOK, "verify": wantOK, "revoke": wantOK, "on-leak": wantOK}
	// Flows that delete a key (and so meet an answer injected on delete).
	deleting := []string{"job", "sweep", "keys-delete", "revoke", "on-leak"}
	isoItem := func(layout string) func(k *outsideKey) map[string]any {
		return func(k *outsideKey) map[string]any {
			return map[string]any{"id": k.id, "user_id": k.uid, "name": k.name, "rights": nil, "team_id": nil, "team_name": nil,
				"created_at": k.created.UTC().Format(layout), "permissions": outsidePerms(k)}
		}
	}
	return []outsideCase{
		{name: "calm"},

		// A dead caller key, in each documented shape.
		{name: "management key revoked, 404 auth_error Invalid user key", a: outsideAnswers{dead: &dead404},
			between: revokeMgmt, want: all(wantFail, mgmtFree)},
		{name: "management key revoked, 401 auth_error Invalid user key", between: revokeMgmt, want: all(wantFail, mgmtFree)},
		{name: "management key revoked, 403 auth_error", a: outsideAnswers{dead: &dead403},
			between: revokeMgmt, want: all(wantFail, mgmtFree)},
		{name: "management key revoked, 401 plain text", a: outsideAnswers{dead: &dead401text},
			between: revokeMgmt, want: all(wantFail, mgmtFree)},
		{name: "management key's 2FA session expired, 404 Session expired", a: outsideAnswers{dead: &session404},
			between: revokeMgmt, want: all(wantFail, mgmtFree)},
		{name: "management key revoked after the sweep listed, 404 auth_error", a: outsideAnswers{dead: &dead404}, flows: []string{"sweep"},
			setup: func(f *outsideAPI, mgmt int64) {
				f.a.hook = func(w http.ResponseWriter, r *http.Request, rt string, n int, real func() outsideReply) bool {
					if rt == "delete" && n == 0 {
						f.revoke(mgmt)
					}
					return false
				}
			}, want: map[string]string{"sweep": wantFail}},
		{name: "a live key lacking a permission answered 401 Authentication required", flows: []string{"verify", "revoke", "on-leak"},
			a: outsideAnswers{scope: &scope401}},
		{name: "a live key whose endpoint needs a 2FA session (401 Two Factor Authentication)", a: outsideAnswers{twoFA: map[string]bool{"create": true, "delete": true, "reset": true}},
			want: map[string]string{"job": wantFail, "sweep": wantFail, "keys-create": wantFail, "keys-delete": wantFail, "keys-reset": wantFail, "revoke": wantFail, "on-leak": wantFail}},
		{name: "users/current needs a 2FA session (401 Two Factor Authentication)", a: outsideAnswers{twoFA: map[string]bool{"user": true}},
			flows: []string{"verify", "revoke", "on-leak", "audit", "keys-reset"},
			want:  map[string]string{"verify": wantFail, "revoke": wantFail, "on-leak": wantFail, "keys-reset": wantFail, "audit": wantAny}},

		// Rate limits at the documented thresholds, in each documented answer.
		{name: "429 {detail} at the thresholds", a: outsideAnswers{limits: true}},
		{name: "429 plain text with threshold", a: outsideAnswers{limits: true, limitStyle: "text"}},
		{name: "429 plain text without threshold", a: outsideAnswers{limits: true, limitStyle: "bare"}},
		{name: "429 {success, error, msg}", a: outsideAnswers{limits: true, limitStyle: "envelope"}},
		{name: "429 Retry-After seconds and retry_after", a: outsideAnswers{limits: true, limitStyle: "retry-after"}},
		{name: "429 Retry-After as an HTTP date", a: outsideAnswers{limits: true, limitStyle: "retry-after-date"}},
		{name: "429 on the first delete, Retry-After: 7", flows: deleting, setup: func(f *outsideAPI, _ int64) {
			f.a.hook = limitFirst(f, "delete", 7*time.Second, "seconds", jsonReply(429, map[string]any{"success": false, "error": "too_many_requests", "msg": "API requests too frequent"}))
		}},
		{name: "429 on the first delete, Retry-After as a date 9 s ahead", flows: deleting, setup: func(f *outsideAPI, _ int64) {
			f.a.hook = limitFirst(f, "delete", 9*time.Second, "date", rawReply(429, "text/plain", "API requests too frequent"))
		}},
		{name: "429 plain text without threshold on the first create", flows: []string{"job", "keys-create"}, setup: func(f *outsideAPI, _ int64) {
			f.a.hook = limitFirst(f, "create", 2*time.Second, "", rawReply(429, "text/plain; charset=utf-8", "API requests too frequent"))
		}},
		{name: "429 {detail threshold=2.0} on the first list", flows: []string{"sweep", "audit", "keys-list", "revoke"}, setup: func(f *outsideAPI, _ int64) {
			f.a.hook = limitFirst(f, "list", 2*time.Second, "", jsonReply(429, map[string]any{"detail": "API requests too frequent endpoint threshold=2.0"}))
		}},
		{name: "429 on delete with Retry-After an hour away", flows: deleting,
			a:    outsideAnswers{hook: onRoute("delete", 0, -1, false, withHeader(jsonReply(429, map[string]any{"detail": "API requests too frequent endpoint threshold=2.0"}), "Retry-After", "3600"))},
			want: all(wantFail, nil)},

		// Redirects: never followed with the key.
		{name: "301 on delete to another host", flows: deleting,
			a: outsideAnswers{hook: onRoute("delete", 0, -1, false, redirectReply(301, "https://console.vast.example/api/v0/auth/apikeys/1/"))}, want: all(wantFail, nil)},
		{name: "302 on delete to plain http", flows: deleting,
			a: outsideAnswers{hook: onRoute("delete", 0, -1, false, redirectReply(302, "http://console.vast.ai/api/v0/auth/apikeys/1/"))}, want: all(wantFail, nil)},
		{name: "307 on create to plain http", flows: []string{"job", "keys-create"},
			a: outsideAnswers{hook: onRoute("create", 0, -1, false, redirectReply(307, "http://console.vast.ai/api/v0/auth/apikeys/"))}, want: all(wantFail, nil)},
		{name: "308 on the key list to another host", flows: []string{"sweep", "audit", "keys-list", "revoke"},
			a:    outsideAnswers{hook: onRoute("list", 0, -1, false, redirectReply(308, "https://elsewhere.example/api/v0/auth/apikeys/"))},
			want: map[string]string{"sweep": wantFail, "audit": wantFail, "keys-list": wantFail, "revoke": wantOK}},
		{name: "302 on users/current", flows: []string{"verify", "revoke", "keys-reset", "audit"},
			a:    outsideAnswers{hook: onRoute("user", 0, -1, false, redirectReply(302, "https://cloud.vast.ai/login/"))},
			want: map[string]string{"verify": wantFail, "revoke": wantFail, "keys-reset": wantFail, "audit": wantOK}},
		{name: "301 on paths without the trailing slash", a: outsideAnswers{canonical: 301}},

		// Outage pages.
		{name: "maintenance page with 200 everywhere", a: outsideAnswers{hook: func(w http.ResponseWriter, r *http.Request, rt string, n int, real func() outsideReply) bool {
			return onRoute(rt, 0, -1, false, html200)(w, r, rt, n, real)
		}}, want: all(wantFail, nil)},
		{name: "maintenance page with 503 everywhere", a: outsideAnswers{hook: func(w http.ResponseWriter, r *http.Request, rt string, n int, real func() outsideReply) bool {
			return onRoute(rt, 0, -1, false, html503)(w, r, rt, n, real)
		}}, want: all(wantFail, nil)},
		{name: "maintenance page with 200 on delete", flows: deleting, a: outsideAnswers{hook: onRoute("delete", 0, -1, false, html200)}, want: all(wantFail, nil)},
		{name: "maintenance page with 503 on the first call to each endpoint", a: outsideAnswers{hook: func(w http.ResponseWriter, r *http.Request, rt string, n int, real func() outsideReply) bool {
			return n < 1 && onRoute(rt, 0, 1, false, html503)(w, r, rt, n, real)
		}}},

		// Create's answer in each shape.
		{name: "create answers {success: true, key}", flows: []string{"job", "keys-create"}, a: outsideAnswers{createShape: "success"}},
		{name: "create answers api_key instead of key", flows: []string{"job", "keys-create"}, a: outsideAnswers{createShape: "api_key"}},
		{name: "create answers a nested {success, apikey: {...}} (no doc shows it)", flows: []string{"job", "keys-create"}, a: outsideAnswers{createShape: "nested"}, want: all(wantAny, nil)},
		{name: "create echoes permissions: false", flows: []string{"job", "keys-create"}, a: outsideAnswers{echo: "false"}},
		{name: "create echoes no permissions", flows: []string{"job", "keys-create"}, a: outsideAnswers{echo: "absent"}},
		{name: "create echoes {} expanded into operations", flows: []string{"job", "keys-create"}, a: outsideAnswers{echo: "expanded"}},
		{name: "the server makes a full-access key instead", flows: []string{"job", "keys-create"}, a: outsideAnswers{echo: "grant-full"}, want: all(wantFail, nil)},
		{name: "create carried out, answered 400", flows: []string{"job", "keys-create"},
			a:    outsideAnswers{hook: onRoute("create", 0, 1, true, jsonReply(400, map[string]any{"success": false, "error": "invalid_args", "msg": "Bad request"}))},
			want: all(wantFail, nil)},
		{name: "create carried out, answered 200 success=false", flows: []string{"job", "keys-create"},
			a:    outsideAnswers{hook: onRoute("create", 0, 1, true, jsonReply(200, map[string]any{"success": false, "error": "server_error", "msg": "Could not create key"}))},
			want: all(wantFail, nil)},
		{name: "create carried out, answered with a maintenance page", flows: []string{"job", "keys-create"},
			a: outsideAnswers{hook: onRoute("create", 0, 1, true, html200)}, want: all(wantFail, nil)},
		{name: "create carried out, connection dropped", flows: []string{"job", "keys-create"},
			a: outsideAnswers{hook: dropAfter("create")}},

		// The key list in each shape.
		{name: "list items with rights and no name", a: outsideAnswers{item: func(k *outsideKey) map[string]any {
			return map[string]any{"id": k.id, "user_id": k.uid, "rights": "read", "team_id": nil, "team_name": nil}
		}}, want: map[string]string{"sweep": wantFail, "audit": wantFail, "keys-create": wantAny}},
		{name: "list created_at as an ISO string", flows: []string{"audit", "keys-list", "sweep"}, a: outsideAnswers{item: isoItem("2006-01-02T15:04:05.000000+00:00")}},
		{name: "list created_at as Python's str(datetime)", flows: []string{"audit", "keys-list", "sweep"}, a: outsideAnswers{item: isoItem("2006-01-02 15:04:05.000000+00:00")}},
		{name: "list created_at as an epoch string", flows: []string{"audit", "keys-list", "sweep"}, a: outsideAnswers{item: func(k *outsideKey) map[string]any {
			return map[string]any{"id": k.id, "user_id": k.uid, "name": k.name, "created_at": fmt.Sprintf("%.6f", float64(k.created.UnixMicro())/1e6), "permissions": outsidePerms(k)}
		}}},
		{name: "list permissions as a JSON string", a: outsideAnswers{item: func(k *outsideKey) map[string]any {
			var perms any = false
			if k.perms != nil {
				perms = string(k.perms)
			}
			return map[string]any{"id": k.id, "user_id": k.uid, "name": k.name, "created_at": float64(k.created.UnixMicro()) / 1e6, "permissions": perms}
		}}},
		{name: "list as a bare array", a: outsideAnswers{list: func(items []map[string]any) any { return items }}},
		{name: "list with success: true", a: outsideAnswers{list: func(items []map[string]any) any { return map[string]any{"success": true, "apikeys": items} }}},
		{name: "list with deleted keys and deleted_at", a: outsideAnswers{listDeleted: true}},
		{name: "list enveloped as {results} (no doc shows it)", a: outsideAnswers{list: func(items []map[string]any) any { return map[string]any{"results": items} }},
			want: map[string]string{"sweep": wantFail, "audit": wantFail, "keys-list": wantFail, "keys-create": wantAny, "revoke": wantAny, "on-leak": wantAny}},
		{name: "list paginated, page 1 of 2 (no doc shows it)", a: outsideAnswers{list: func(items []map[string]any) any {
			return map[string]any{"apikeys": items[:1], "count": len(items), "next": "/api/v0/auth/apikeys/?page=2"}
		}}, want: all(wantAny, map[string]string{"job": wantOK, "verify": wantOK, "keys-reset": wantOK})},
		{name: "a 9 MiB key list", flows: []string{"sweep", "audit", "keys-list", "revoke"}, a: outsideAnswers{}, setup: func(f *outsideAPI, _ int64) {
			f.a.hook = padList(9)
		}},
		{name: "an 80 MiB answer", flows: []string{"sweep", "audit", "keys-list"}, a: outsideAnswers{hook: huge("list", 80)}, want: all(wantFail, nil)},
		{name: "10000 keys in the account", setup: func(f *outsideAPI, _ int64) {
			uid := f.key(outsideFirstKey(f)).uid
			for i := range 10000 {
				f.add(uid, fmt.Sprintf("bulk-%05d", i), `{"api":{"instance_read":{}}}`)
			}
		}},

		// Delete's answer in each shape.
		{name: "delete answers {success: true}", flows: deleting, a: outsideAnswers{deleteShape: "success-true"}},
		{name: "delete answers 200 with no body", flows: deleting, a: outsideAnswers{deleteShape: "empty"}},
		{name: "delete answers 204", flows: deleting, a: outsideAnswers{deleteShape: "204"}},
		{name: "delete answers 200 {success: false, msg}", flows: deleting,
			a: outsideAnswers{hook: onRoute("delete", 0, -1, false, jsonReply(200, map[string]any{"success": false, "msg": "Could not delete API key"}))}, want: all(wantFail, nil)},
		{name: "delete answers 200 {error, msg} without success", flows: deleting,
			a: outsideAnswers{hook: onRoute("delete", 0, -1, false, jsonReply(200, map[string]any{"error": "delete_failed", "msg": "Could not delete API key"}))}, want: all(wantFail, nil)},
		{name: "delete answers 400 API Key ID not provided.", flows: deleting,
			a: outsideAnswers{hook: onRoute("delete", 0, -1, false, jsonReply(400, map[string]any{"msg": "API Key ID not provided."}))}, want: all(wantFail, nil)},
		{name: "delete answers 403 not yours", flows: deleting,
			a: outsideAnswers{hook: onRoute("delete", 0, -1, false, jsonReply(403, map[string]any{"msg": "You do not have permission to delete this API Key."}))}, want: all(wantFail, nil)},

		// users/current/'s key_id.
		{name: "users/current key_id is the account's main key", a: outsideAnswers{keyID: "main"}, flows: []string{"revoke", "on-leak", "verify", "audit", "keys-reset"},
			want: map[string]string{"revoke": wantFail, "on-leak": wantFail, "audit": wantAny}},
		{name: "users/current without key_id", a: outsideAnswers{keyID: "absent"}, flows: []string{"revoke", "on-leak", "verify", "audit", "keys-reset"},
			want: map[string]string{"revoke": wantFail, "on-leak": wantFail}},

		// The audit log: a note, never a failure.
		{name: "audit log answered with a maintenance page", flows: []string{"job", "revoke", "on-leak"}, a: outsideAnswers{hook: onRoute("audit", 0, -1, false, html200)}},
		{name: "audit log not there (an HTML 404)", flows: []string{"job", "revoke", "on-leak"},
			a: outsideAnswers{hook: onRoute("audit", 0, -1, false, rawReply(404, "text/html", "<html><title>404 Not Found</title></html>"))}},
		{name: "audit log far over its bound", flows: []string{"job"}, a: outsideAnswers{hook: huge("audit", 40)}},

		// Reset.
		{name: "reset replaces the account's main key", flows: []string{"keys-reset"}, a: outsideAnswers{resetMain: true}, want: map[string]string{"keys-reset": wantFail}},
		{name: "reset answers {sent, key}", flows: []string{"keys-reset"}, a: outsideAnswers{resetShape: "old-doc"}},

		// Transport.
		{name: "gzip bodies", a: outsideAnswers{gzip: true}},
		{name: "delete answered by a body that never ends", flows: []string{"job"}, a: outsideAnswers{hook: slowloris("delete")},
			with: map[string]string{"cleanup-timeout": "5s"}, want: map[string]string{"job": wantFail}},
	}
}

func withHeader(rep outsideReply, k, v string) outsideReply {
	rep.header = rep.header.Clone()
	rep.header.Set(k, v)
	return rep
}

func outsidePerms(k *outsideKey) any {
	if k.perms == nil {
		return false
	}
	return k.perms
}

func outsideFirstKey(f *outsideAPI) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	first := int64(0)
	for id := range f.keys {
		if first == 0 || id < first {
			first = id
		}
	}
	return first
}

// revokeMgmt deletes the management key out of band (the console's
// Delete, or a reset elsewhere).
func revokeMgmt(f *outsideAPI, mgmt int64) { f.revoke(mgmt) }

// dropAfter runs the create, then closes the connection without an answer.
func dropAfter(route string) func(http.ResponseWriter, *http.Request, string, int, func() outsideReply) bool {
	return func(w http.ResponseWriter, r *http.Request, rt string, n int, real func() outsideReply) bool {
		if rt != route || n > 0 {
			return false
		}
		real()
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	}
}

// padIDs are the ids of padList's entries.
const padIDs = 900000

// padList answers the key list with its real items followed by padding
// entries of other keys, to mib MiB.
func padList(mib int) func(http.ResponseWriter, *http.Request, string, int, func() outsideReply) bool {
	return func(w http.ResponseWriter, r *http.Request, rt string, _ int, real func() outsideReply) bool {
		if rt != "list" {
			return false
		}
		rep := real()
		if rep.status != 200 {
			return false
		}
		var env struct {
			APIKeys []json.RawMessage `json:"apikeys"`
		}
		json.Unmarshal(rep.body, &env)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		var b bytes.Buffer
		b.WriteString(`{"apikeys": [`)
		for i, it := range env.APIKeys {
			if i > 0 {
				b.WriteString(",")
			}
			b.Write(it)
		}
		pad := strings.Repeat("p", 900)
		for i := 0; b.Len() < mib<<20; i++ {
			fmt.Fprintf(&b, `,{"id": %d, "user_id": 1, "name": "other-%d-%s", "rights": null, "team_id": null, "team_name": null, "created_at": 1767225600.5, "permissions": {"api": {"instance_read": {}}}}`, padIDs+i, i, pad)
		}
		b.WriteString(`]}`)
		w.Write(b.Bytes())
		return true
	}
}

// outsideRow is one line of the table.
type outsideRow struct {
	scenario, flow string
	codes          string
	alive          int
	loud           string
	fake, real     time.Duration
	problems       []string
}

// outsideEnv is one flow's world: the fake, its clock, the management key.
type outsideEnv struct {
	t      *testing.T
	f      *outsideAPI
	clock  *fakeClock
	mgmt   string
	mgmtID int64
	uid    int64
	gone   map[int64]bool // keys the scenario deleted before the flow
	// exec runs the program for the runner; nil: in-process on clock.
	exec runnertest.ExecFunc
}

func (x *outsideEnv) vars() map[string]string {
	return map[string]string{"VAST_API_KEY": x.mgmt, "VAST_URL": x.f.URL(), "HOME": x.t.TempDir()}
}

// cli runs the program in-process on the shared fake clock.
func (x *outsideEnv) cli(vars map[string]string, stdin string, args ...string) result {
	var stdout, stderr bytes.Buffer
	e := &command.Env{Args: append([]string{"vastguard"}, args...), Getenv: func(k string) string { return vars[k] },
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr, Now: x.clock.Now, Sleep: x.clock.Sleep}
	code := command.ExitCode(command.Run(x.t.Context(), e), &stderr)
	return result{stdout.String(), stderr.String(), code}
}

// job is a runner job running the program in-process on the fake clock.
func (x *outsideEnv) job() *runnertest.Job {
	m := manifest(x.t)
	ex := x.exec
	if ex == nil {
		ex = inProcess(command.Env{Now: x.clock.Now, Sleep: x.clock.Sleep})
	}
	j, err := runnertest.NewJob(x.t.TempDir(), m.inputDefaults(), m.Runs.Args, m.Runs.Entrypoint, m.Runs.PostEntrypoint, ex)
	if err != nil {
		x.t.Fatal(err)
	}
	return j
}

// outcome is what one flow ended with.
type outcome struct {
	codes    string
	code     int    // the exit code that decides (the post step's for a job)
	out      string // everything printed, summaries and files included
	alive    []string
	named    bool
	problems []string
}

func runOutside(t *testing.T, sc outsideCase, flow string) outsideRow {
	return runOutsideWith(t, sc, flow, nil)
}

// runOutsideWith runs one flow of a scenario; with exec, the job's steps
// run through it (the built binary, on the real clock).
func runOutsideWith(t *testing.T, sc outsideCase, flow string, exec runnertest.ExecFunc) outsideRow {
	clock := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	now := clock.Now
	if exec != nil {
		now = time.Now
	}
	f := newOutsideAPI(t, now, sc.a)
	uid, mgmt := f.account("ci@example.com")
	x := &outsideEnv{t: t, f: f, clock: clock, mgmt: mgmt, uid: uid, exec: exec}
	x.mgmtID = outsideFirstKey(f)
	if sc.setup != nil {
		sc.setup(f, x.mgmtID)
	}
	if sc.between != nil && flow != "job" {
		sc.between(f, x.mgmtID) // a revoked key is revoked from the start
	}
	x.gone = map[int64]bool{}
	f.mu.Lock()
	for id, k := range f.keys {
		x.gone[id] = k.deleted
	}
	f.mu.Unlock()
	start, wall := clock.Now(), time.Now()
	var o outcome
	switch flow {
	case "job":
		o = x.flowJob(sc)
	case "sweep":
		o = x.flowSweep()
	case "audit":
		o = x.flowAudit()
	case "keys-list":
		o = x.flowKeysList()
	case "keys-create":
		o = x.flowKeysCreate()
	case "keys-delete":
		o = x.flowKeysDelete()
	case "keys-reset":
		o = x.flowKeysReset()
	case "revoke":
		o = x.flowRevoke()
	case "verify":
		o = x.flowVerify()
	case "on-leak":
		o = x.flowOnLeak()
	}
	row := outsideRow{scenario: sc.name, flow: flow, codes: o.codes, alive: len(o.alive), loud: "-", fake: clock.Now().Sub(start), real: time.Since(wall)}
	problems := o.problems
	f.mu.Lock()
	for _, v := range f.violations {
		problems = append(problems, "MISREAD: "+v)
	}
	f.mu.Unlock()
	if strings.Contains(o.out, "panic") || strings.Contains(o.out, "goroutine ") {
		problems = append(problems, "CRASH: panicked")
	}
	if row.fake > 20*time.Minute || row.real > 2*time.Minute {
		problems = append(problems, fmt.Sprintf("HANG: took %v (fake) %v (real)", row.fake, row.real))
	}
	if len(o.alive) > 0 {
		row.loud = "named error"
		if !o.named {
			row.loud = "SILENT"
			problems = append(problems, "SILENT: left live without a loud error naming it: "+strings.Join(o.alive, ", "))
		}
		if o.code == 0 {
			problems = append(problems, "FALSE SUCCESS: exit 0 while live: "+strings.Join(o.alive, ", "))
		}
	}
	switch sc.expect(flow) {
	case wantOK:
		if o.code != outsideCalmCode[flow] {
			problems = append(problems, fmt.Sprintf("MISREAD: exit %d, want %d as when the API is calm", o.code, outsideCalmCode[flow]))
		}
		if len(o.alive) > 0 {
			problems = append(problems, "LEFT LIVE where the flow should have cleaned up: "+strings.Join(o.alive, ", "))
		}
	case wantFail:
		if o.code == 0 || (flow == "verify" && o.code == 3) {
			problems = append(problems, fmt.Sprintf("FALSE SUCCESS: exit %d where the API's answer allows no success", o.code))
		}
	}
	// The one-line rule: a failure says so, and what to fix, in one line
	// (an Action's failure is one error annotation; a CLI's one stderr line
	// after the tables).
	row.problems = problems
	for _, p := range problems {
		t.Errorf("%s: %s", flow, p)
	}
	switch {
	case t.Failed():
		t.Logf("output:\n%s", o.out)
	case testing.Verbose():
		tail := o.out
		if len(tail) > 3000 {
			tail = "…" + tail[len(tail)-3000:]
		}
		t.Logf("output:\n%s", tail)
	}
	return row
}

// outsideCalmCode is each flow's exit code against a calm API: the audit
// flags the account's full-access key (2), the scan finds a live key (3).
var outsideCalmCode = map[string]int{"job": 0, "sweep": 0, "audit": 2, "keys-list": 0, "keys-create": 0, "keys-delete": 0, "keys-reset": 0, "revoke": 0, "verify": 3, "on-leak": 3}

// leaks checks out for secrets that must not be there. Keys are 64 hex
// characters: each such run in out is looked up (the suite's accounts hold
// up to 10,000 keys, too many to search for one by one).
func leaks(out string, secrets ...string) []string {
	set := map[string]bool{}
	for _, s := range secrets {
		set[s] = true
	}
	var p []string
	for _, run := range hexRuns.FindAllString(out, -1) {
		for i := 0; i+64 <= len(run); i++ {
			if s := run[i : i+64]; set[s] {
				p = append(p, "LEAK: a key value ..."+s[60:]+" in the output")
				set[s] = false
			}
		}
	}
	return p
}

var hexRuns = regexp.MustCompile(`[0-9a-f]{64,}`)

func redacted(secret string) string { return "..." + secret[len(secret)-4:] }

func stepText(s *runnertest.Step) string {
	if s == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(s.Stdout + s.Stderr)
	keys := mapKeys(s.Files)
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString("\n[" + k + "]\n" + string(s.Files[k]))
	}
	return b.String()
}

func mapKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// flowJob mints a key with the Action and lets its post step delete it.
func (x *outsideEnv) flowJob(sc outsideCase) outcome {
	j := x.job()
	with := map[string]string{"api-key": x.mgmt, "api-url": x.f.URL()}
	for k, v := range sc.with {
		with[k] = v
	}
	before := map[int64]bool{}
	for _, k := range x.f.live() {
		before[k.id] = true
	}
	main, err := j.RunStep(x.t.Context(), "vast", with)
	if err != nil {
		x.t.Fatal(err)
	}
	var o outcome
	// What the main step handed on must be what the API made.
	if main.Code == 0 {
		id, _ := strconv.ParseInt(main.Outputs["key-id"], 10, 64)
		k := x.f.key(id)
		switch {
		case k.id == 0:
			o.problems = append(o.problems, "MISREAD: the key-id output names no key the API made")
		case k.secret != main.Outputs["api-key"]:
			o.problems = append(o.problems, "MISREAD: the api-key output is not the key's value")
		case k.name != main.Outputs["key-name"]:
			o.problems = append(o.problems, "MISREAD: the key-name output is not the key's name")
		}
	}
	if sc.between != nil {
		sc.between(x.f, x.mgmtID)
	}
	posts, err := j.RunPosts(x.t.Context())
	if err != nil {
		x.t.Fatal(err)
	}
	post := posts[0]
	o.codes = fmt.Sprintf("%d/%d", main.Code, post.Code)
	o.code = post.Code
	if main.Code != 0 && o.code == 0 {
		o.code = main.Code // the job failed at mint
	}
	o.out = stepText(main) + "\n--- post ---\n" + stepText(post)
	var minted []string
	o.named = true
	for _, k := range x.f.live() {
		if before[k.id] {
			continue
		}
		o.alive = append(o.alive, fmt.Sprintf("key %d %s", k.id, k.name))
		if !strings.Contains(post.Stdout, "::error title=vastguard cleanup::") || !strings.Contains(post.Stdout, k.name) ||
			!strings.Contains(post.Summary, k.name) || !strings.Contains(post.Summary, "NOT") {
			o.named = false
		}
	}
	for _, s := range x.f.secrets() {
		if s != x.mgmt {
			minted = append(minted, s)
		}
	}
	// The management key appears nowhere; a minted key only as the first
	// line ::add-mask::KEY, the api-key output and VAST_API_KEY in GITHUB_ENV.
	o.problems = append(o.problems, leaks(o.out, x.mgmt)...)
	for _, s := range minted {
		for _, step := range []*runnertest.Step{main, post} {
			n := strings.Count(step.Stdout, s)
			if n > 1 || (n == 1 && !strings.HasPrefix(step.Stdout, "::add-mask::"+s+"\n")) || strings.Contains(step.Stderr, s) ||
				strings.Count(string(step.Files["GITHUB_OUTPUT"]), s) > 1 || strings.Count(string(step.Files["GITHUB_ENV"]), s) > 1 ||
				strings.Contains(string(step.Files["GITHUB_STEP_SUMMARY"]), s) || strings.Contains(string(step.Files["GITHUB_STATE"]), s) || (step.Post && n > 0) {
				o.problems = append(o.problems, "LEAK: a minted key's value outside the mask line and the outputs")
			}
		}
	}
	// A failure is one error line.
	for _, s := range []*runnertest.Step{main, post} {
		if n := strings.Count(s.Stdout, "::error"); s.Code != 0 && n != 1 {
			o.problems = append(o.problems, fmt.Sprintf("NOT ONE LINE: %d error annotations in a failed step", n))
		}
	}
	return o
}

// seedExpired adds two expired keys the Action minted, one not expired,
// and one of the user's.
func (x *outsideEnv) seedExpired() (expired []int64, keep []int64) {
	now := x.clock.Now().UTC().Truncate(time.Second)
	for i, exp := range []time.Duration{-3 * time.Hour, -time.Hour, time.Hour} {
		n := keyname.Name{Repository: "acme/gpu-tests", RunID: int64(500 + i), Attempt: 1, Job: "train", Label: "vast", Expires: now.Add(exp), Nonce: keyname.NewNonce()}
		id, _ := x.f.add(x.uid, n.String(), `{"api":{"instance_read":{}}}`)
		if exp < 0 {
			expired = append(expired, id)
		} else {
			keep = append(keep, id)
		}
	}
	id, _ := x.f.add(x.uid, "laptop", `{"api":{"user_read":{}}}`)
	return expired, append(keep, id, x.mgmtID)
}

func (x *outsideEnv) flowSweep() outcome {
	expired, keep := x.seedExpired()
	r := x.cli(x.vars(), "", "sweep")
	o := outcome{codes: strconv.Itoa(r.code), code: r.code, out: r.all(), named: true}
	for _, id := range expired {
		if k := x.f.key(id); !k.deleted {
			o.alive = append(o.alive, fmt.Sprintf("key %d %s", id, k.name))
			// Named: the key's row says FAILED, or the sweep failed before
			// it touched any key (it could not read the list, or the list
			// does not tell its keys apart).
			if r.code == 0 || !(strings.Contains(r.stdout, strconv.FormatInt(id, 10)) || x.sent("delete") == 0) {
				o.named = false
			}
		}
	}
	for _, id := range keep {
		if x.f.key(id).deleted && id != x.mgmtID {
			o.problems = append(o.problems, fmt.Sprintf("MISREAD: sweep deleted key %d, which it must leave alone", id))
		}
	}
	o.problems = append(o.problems, leaks(o.out, x.f.secrets()...)...)
	o.problems = append(o.problems, oneErrorLine(r)...)
	return o
}

// sent counts the requests to route.
func (x *outsideEnv) sent(route string) int {
	n := 0
	for _, q := range x.f.requests() {
		if q.Route == route {
			n++
		}
	}
	return n
}

// oneErrorLine checks that a failed CLI run ends with one line on stderr.
func oneErrorLine(r result) []string {
	if r.code == 0 || r.code == 2 || r.code == 3 {
		return nil
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if strings.TrimSpace(lines[len(lines)-1]) == "" {
		return []string{"NOT ONE LINE: a failure without an error line"}
	}
	return nil
}

// listedJSON is what `keys list --json` and `audit --json` show of a key.
type listedJSON struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	Scopes     []string  `json:"scopes"`
	FullAccess bool      `json:"full_access"`
}

// checkListed compares what the program listed with what the API holds.
func (x *outsideEnv) checkListed(got []listedJSON, names, times, perms bool) []string {
	var p []string
	live := x.f.live()
	got = slices.DeleteFunc(slices.Clone(got), func(k listedJSON) bool { return k.ID >= padIDs }) // padList's
	if len(got) != len(live) {
		p = append(p, fmt.Sprintf("MISREAD: listed %d keys, the API holds %d", len(got), len(live)))
	}
	byID := map[int64]listedJSON{}
	for _, k := range got {
		byID[k.ID] = k
	}
	for _, k := range live {
		l, ok := byID[k.id]
		switch {
		case !ok:
			p = append(p, fmt.Sprintf("MISREAD: key %d is not listed", k.id))
		case names && l.Name != k.name:
			p = append(p, fmt.Sprintf("MISREAD: key %d listed as %q, named %q", k.id, l.Name, k.name))
		case times && !l.CreatedAt.Equal(k.created.Truncate(time.Microsecond)) && l.CreatedAt.Sub(k.created).Abs() > time.Second:
			p = append(p, fmt.Sprintf("MISREAD: key %d listed as created %v, created %v", k.id, l.CreatedAt, k.created))
		case perms && k.perms == nil && !l.FullAccess:
			p = append(p, fmt.Sprintf("MISREAD: full-access key %d not listed as full access", k.id))
		case perms && k.perms != nil && l.FullAccess:
			p = append(p, fmt.Sprintf("MISREAD: scoped key %d listed as full access", k.id))
		}
		if len(p) > 5 {
			break
		}
	}
	return p
}

// listShows says which fields the scenario's list carries.
func (x *outsideEnv) listShows() (names, times, perms bool) {
	if x.f.a.item == nil {
		return true, true, true
	}
	it := x.f.a.item(&outsideKey{id: 1, uid: 1, name: "n", created: x.clock.Now()})
	_, names = it["name"]
	_, times = it["created_at"]
	_, perms = it["permissions"]
	return names, times, perms
}

func (x *outsideEnv) flowAudit() outcome {
	x.seedExpired()
	r := x.cli(x.vars(), "", "audit", "--json")
	o := outcome{codes: strconv.Itoa(r.code), code: r.code, out: r.all(), named: true}
	if r.code == 0 || r.code == 2 {
		var rep struct {
			Keys []listedJSON `json:"keys"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			o.problems = append(o.problems, "MISREAD: audit --json is not JSON: "+err.Error())
		}
		names, times, perms := x.listShows()
		o.problems = append(o.problems, x.checkListed(rep.Keys, names, times, perms)...)
	}
	o.problems = append(o.problems, leaks(o.out, x.f.secrets()...)...)
	o.problems = append(o.problems, oneErrorLine(r)...)
	return o
}

func (x *outsideEnv) flowKeysList() outcome {
	x.seedExpired()
	r := x.cli(x.vars(), "", "keys", "list", "--json")
	o := outcome{codes: strconv.Itoa(r.code), code: r.code, out: r.all(), named: true}
	if r.code == 0 {
		var got []listedJSON
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			o.problems = append(o.problems, "MISREAD: keys list --json is not JSON: "+err.Error())
		}
		names, times, perms := x.listShows()
		o.problems = append(o.problems, x.checkListed(got, names, times, perms)...)
	}
	o.problems = append(o.problems, leaks(o.out, x.f.secrets()...)...)
	o.problems = append(o.problems, oneErrorLine(r)...)
	return o
}

func (x *outsideEnv) flowKeysCreate() outcome {
	const name = "outside-ci"
	r := x.cli(x.vars(), "", "keys", "create", "--name", name, "--permissions", "read-only")
	o := outcome{codes: strconv.Itoa(r.code), code: r.code, out: r.all(), named: true}
	var mine []outsideKey
	for _, k := range x.f.live() {
		if k.name == name {
			mine = append(mine, k)
		}
	}
	secret := strings.TrimSpace(r.stdout)
	switch {
	case len(mine) > 1:
		o.problems = append(o.problems, fmt.Sprintf("MISREAD: %d live keys named %s after one create", len(mine), name))
	case r.code == 0 && (len(mine) != 1 || mine[0].secret != secret):
		o.problems = append(o.problems, "MISREAD: keys create printed a value that is not the new key's")
	case r.code != 0:
		for _, k := range mine {
			o.alive = append(o.alive, fmt.Sprintf("key %d %s", k.id, k.name))
			if !strings.Contains(r.stderr, name) {
				o.named = false
			}
		}
	}
	var others []string
	for _, s := range x.f.secrets() {
		if r.code != 0 || s != secret {
			others = append(others, s)
		}
	}
	o.problems = append(o.problems, leaks(r.stderr, x.f.secrets()...)...)
	o.problems = append(o.problems, leaks(r.stdout, others...)...)
	o.problems = append(o.problems, oneErrorLine(r)...)
	return o
}

func (x *outsideEnv) flowKeysDelete() outcome {
	id, _ := x.f.add(x.uid, "old-ci", `{"api":{"instance_read":{}}}`)
	r := x.cli(x.vars(), "", "keys", "delete", strconv.FormatInt(id, 10))
	o := outcome{codes: strconv.Itoa(r.code), code: r.code, out: r.all(), named: true}
	if !x.f.key(id).deleted {
		o.alive = append(o.alive, fmt.Sprintf("key %d old-ci", id))
		o.named = r.code == 1 && strings.Contains(r.stderr, fmt.Sprintf("key %d may still be live", id))
	}
	o.problems = append(o.problems, leaks(o.out, x.f.secrets()...)...)
	o.problems = append(o.problems, oneErrorLine(r)...)
	return o
}

func (x *outsideEnv) flowKeysReset() outcome {
	id, old := x.f.add(x.uid, "rotating", `{"api":{"user_read":{},"user_write":{}}}`)
	vars := x.vars()
	vars["VAST_API_KEY"] = old
	r := x.cli(vars, "", "keys", "reset", "--yes")
	o := outcome{codes: strconv.Itoa(r.code), code: r.code, out: r.all(), named: true}
	printed := strings.TrimSpace(r.stdout)
	if r.code == 0 {
		k, ok := x.f.bySecretNow(printed)
		switch {
		case !ok || k.id != id:
			o.problems = append(o.problems, "MISREAD: keys reset succeeded but the printed value is not the reset key's")
		case x.f.key(id).secret == old:
			o.problems = append(o.problems, "MISREAD: keys reset succeeded but the old value still works")
		}
	}
	var others []string
	for _, s := range x.f.secrets() {
		if s != printed {
			others = append(others, s)
		}
	}
	o.problems = append(o.problems, leaks(r.stderr, x.f.secrets()...)...)
	o.problems = append(o.problems, leaks(r.stdout, others...)...)
	o.problems = append(o.problems, oneErrorLine(r)...)
	return o
}

// othersAlive checks that a revoke deleted no key but the leaked one.
func (x *outsideEnv) othersAlive(leaked int64) []string {
	var p []string
	for _, id := range []int64{x.mgmtID} {
		if id != leaked && x.f.key(id).deleted && !x.gone[id] {
			p = append(p, fmt.Sprintf("WRONG KEY: key %d, not the leaked key, was deleted", id))
		}
	}
	return p
}

// leakedKey adds the leaked key: in the management key's account, allowed
// to read the account and to delete keys itself.
func (x *outsideEnv) leakedKey() (int64, string) {
	return x.f.add(x.uid, "prod-scaler", `{"api":{"user_read":{},"user_write":{},"instance_read":{}}}`)
}

func (x *outsideEnv) flowRevoke() outcome {
	id, leaked := x.leakedKey()
	r := x.cli(x.vars(), leaked+"\n", "revoke")
	o := outcome{codes: strconv.Itoa(r.code), code: r.code, out: r.all(), named: true}
	if !x.f.key(id).deleted {
		o.alive = append(o.alive, fmt.Sprintf("key %d (leaked %s)", id, redacted(leaked)))
		o.named = r.code == 1 && strings.Contains(r.stdout, redacted(leaked)) && strings.Contains(r.stderr, "may still be live")
	}
	o.problems = append(o.problems, x.othersAlive(id)...)
	o.problems = append(o.problems, leaks(o.out, x.f.secrets()...)...)
	o.problems = append(o.problems, oneErrorLine(r)...)
	return o
}

func (x *outsideEnv) flowVerify() outcome {
	_, liveKey := x.f.add(x.uid, "prod", `{"api":{"user_read":{},"instance_read":{}}}`)
	deadID, deadKey := x.f.add(x.uid, "old", `{"api":{"user_read":{}}}`)
	x.f.revoke(deadID)
	_, scopedKey := x.f.add(x.uid, "scoped", `{"api":{"instance_read":{}}}`) // live, without user_read
	dir := leakRepo(x.t, liveKey, deadKey, scopedKey)
	r := x.cli(x.vars(), "", "scan", dir, "--verify", "--format", "json")
	o := outcome{codes: strconv.Itoa(r.code), code: r.code, out: r.all(), named: true}
	var rep scan.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		o.problems = append(o.problems, "MISREAD: scan --format json is not JSON: "+err.Error())
	}
	for _, fd := range rep.Findings {
		switch {
		case fd.KeySHA256 == scan.KeyHash(liveKey) && fd.Verification == scan.Invalid:
			o.problems = append(o.problems, "MISREAD: a live key reported invalid (dead): "+fd.VerificationDetail)
		case fd.KeySHA256 == scan.KeyHash(scopedKey) && fd.Verification == scan.Invalid:
			o.problems = append(o.problems, "MISREAD: a live key without user_read reported invalid (dead): "+fd.VerificationDetail)
		case fd.KeySHA256 == scan.KeyHash(deadKey) && fd.Verification == scan.Live:
			o.problems = append(o.problems, "MISREAD: a dead key reported live")
		}
	}
	if len(rep.Findings) != 3 && r.code != 1 {
		o.problems = append(o.problems, fmt.Sprintf("MISREAD: %d findings for 3 leaked keys", len(rep.Findings)))
	}
	o.problems = append(o.problems, leaks(o.out, x.f.secrets()...)...)
	return o
}

// workspaceDir is a scantest TB whose temporary directory is the job's
// workspace.
type workspaceDir struct {
	*testing.T
	dir string
}

func (w workspaceDir) TempDir() string { return w.dir }

func (x *outsideEnv) flowOnLeak() outcome {
	id, leaked := x.leakedKey()
	j := x.job()
	r := scantest.New(workspaceDir{x.t, j.Env["GITHUB_WORKSPACE"]})
	r.Commit("oops", scantest.Files{"deploy/.env": "VAST_API_KEY=" + leaked + "\n"})
	r.CheckoutWorktree()
	s, err := j.RunStep(x.t.Context(), "scan", map[string]string{"command": "scan", "on-leak": "revoke", "api-key": x.mgmt, "api-url": x.f.URL()})
	if err != nil {
		x.t.Fatal(err)
	}
	o := outcome{codes: strconv.Itoa(s.Code), code: s.Code, out: stepText(s), named: true}
	o.problems = append(o.problems, x.othersAlive(id)...)
	if !x.f.key(id).deleted {
		o.alive = append(o.alive, fmt.Sprintf("key %d (leaked %s)", id, redacted(leaked)))
		o.named = strings.Contains(s.Stdout, "::error title=vastguard response::leaked key "+redacted(leaked)) && strings.Contains(s.Stdout, "may still be live") &&
			strings.Contains(s.Summary, redacted(leaked))
	}
	o.problems = append(o.problems, leaks(o.out, x.f.secrets()...)...)
	return o
}

// TestOutsideAPIBinary runs the job of the scenarios that leave a key
// behind, and the calm one, with the built binary as the runner starts
// it (argv[0] /vastguard, then /vastguard-post; the real clock).
func TestOutsideAPIBinary(t *testing.T) {
	t.Parallel()
	ex := execBinary(binaryDir(t))
	for _, sc := range outsideCases() {
		switch sc.name {
		case "calm", "management key revoked, 404 auth_error Invalid user key", "a live key whose endpoint needs a 2FA session (401 Two Factor Authentication)",
			"delete answers 200 {error, msg} without success", "302 on delete to plain http", "create carried out, answered 400", "the server makes a full-access key instead":
		default:
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			runOutsideWith(t, sc, "job", ex)
		})
	}
}

// TestOutsideAPIRedirectsCarryNoKey: whatever a redirect points at, the
// program sends it nothing (a listener stands at the target), and no
// redirected DELETE or POST comes back as a GET.
func TestOutsideAPIRedirectsCarryNoKey(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	trap, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" auth="+strconv.FormatBool(r.Header.Get("Authorization") != ""))
		mu.Unlock()
	})}
	go srv.Serve(trap)
	t.Cleanup(func() { srv.Close() })
	target := "http://" + trap.Addr().String()
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
			f := newOutsideAPI(t, clock.Now, outsideAnswers{hook: hooks(
				onRoute("delete", 0, -1, false, redirectReply(status, target+"/api/v0/auth/apikeys/1/")),
				onRoute("create", 0, -1, false, redirectReply(status, target+"/api/v0/auth/apikeys/")),
				onRoute("list", 0, -1, false, redirectReply(status, target+"/api/v0/auth/apikeys/")),
			)})
			uid, mgmt := f.account("ci@example.com")
			x := &outsideEnv{t: t, f: f, clock: clock, mgmt: mgmt, uid: uid, mgmtID: outsideFirstKey(f)}
			id, _ := f.add(uid, "old-ci", `{"api":{"instance_read":{}}}`)
			for _, args := range [][]string{{"keys", "delete", strconv.FormatInt(id, 10)}, {"keys", "create", "--name", "n", "--permissions", "read-only"}, {"sweep"}} {
				r := x.cli(x.vars(), "", args...)
				if r.code != 1 || !strings.Contains(r.stderr, "does not follow redirects") {
					t.Errorf("%v = %d:\n%s", args, r.code, r.all())
				}
			}
			for _, q := range f.requests() {
				if q.Method == "GET" && q.Route != "list" && q.Route != "user" && q.Route != "audit" {
					t.Errorf("a redirected request came back as %s %s", q.Method, q.Path)
				}
			}
		})
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if len(got) > 0 {
			t.Errorf("the redirect's target was sent: %v", got)
		}
	})
}
