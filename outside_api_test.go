package main

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// outsideAPI is a second, independent fake of the Vast API: written from
// Vast's public sources alone (vast-ai/docs: the OpenAPI files
// create_api_key.yaml, show_api_keys.yaml, delete_api_key.yaml,
// show_user.yaml, rate-limits-and-errors.mdx, two-factor-authentication-
// endpoints.mdx; vast-ai/vast-cli: vastai/api/{client,keys,auth,billing}.py,
// vastai/cli/main.py; vast-api.md §9), never from vast or vast/vasttest,
// neither of which this file imports. It is what an outside team would
// test the program against: every documented answer, the unhappy ones
// too, switched on per scenario (outsideAnswers), plus whatever a scenario
// injects per request (outsideAnswers.hook). The suite driving the
// program through it is outside_suite_test.go.
//
// Where the docs say one thing it says that thing: the envelope
// {"apikeys": [...]} with id, user_id, rights, team_id, team_name (and, per
// a third-party client's live tests, name and created_at as an epoch
// float); create's {"id", "key", "permissions": false | {...}}; delete's
// JSON string "Successfully Deleted API Key"; a soft delete; 401
// {"success": false, "error": "auth_error", "msg": "Invalid user key"} for
// a deleted caller key; 400 "API Key not provided as bearer token."; a
// minimum interval per endpoint and bearer (create and delete 2 s, list
// 1 s, reset 3 s) answered 429 {"detail": "API requests too frequent
// endpoint threshold=2.0"}; strict validation (no query parameters, no
// body on a GET, since 2026-04); users/current/ with id, key_id, email,
// balance, ssh_key, sid and the caller's api_key.
type outsideAPI struct {
	now func() time.Time
	a   outsideAnswers

	mu       sync.Mutex
	users    map[int64]string
	keys     map[int64]*outsideKey
	bySecret map[string]*outsideKey
	nextKey  int64
	nextUser int64
	audit    []outsideAudit
	last     map[string]time.Time // route + bearer -> last call, for rate limits
	seen     map[string]int       // route -> requests so far
	reqs     []outsideRequest
	srv      *httptest.Server
	// violations are requests that came back inside a wait the API asked
	// for (limitFirst).
	violations []string
}

// outsideKey is a key as the fake holds it. perms nil is a full-access key
// (the console's default), whose list entry and create echo say false.
type outsideKey struct {
	id, uid int64
	name    string
	secret  string
	perms   json.RawMessage
	created time.Time
	deleted bool
}

type outsideAudit struct {
	keyID int64
	uid   int64
	at    time.Time
	route string
	args  string
}

// outsideRequest is one request as it arrived.
type outsideRequest struct {
	Method, Path, Query, Bearer, Body string
	Route                             string
	Status                            int
	Header                            http.Header
}

// outsideReply is an answer before it is written.
type outsideReply struct {
	status int
	header http.Header
	body   []byte
}

// outsideAnswers is how the fake answers. The zero value answers as the
// OpenAPI files do.
type outsideAnswers struct {
	// dead answers a caller key that is unknown or deleted; default 401
	// {"success": false, "error": "auth_error", "msg": "Invalid user key"}.
	dead *outsideReply
	// createShape: "" ({"id", "key", "permissions"}, the OpenAPI),
	// "api_key" (the SDK docs' result["api_key"]), "success" (the same
	// with "success": true, as other endpoints answer), "nested"
	// ({"success": true, "apikey": {...}}, an envelope like the list's:
	// shown by no doc).
	createShape string
	// echo: "" (the permissions stored), "false" (the 2025-07 doc tests:
	// false even for a scoped key), "absent", "expanded" (each category
	// asked for whole listed as operations, as a third-party client saw),
	// "grant-full" (the server ignores the permissions asked for, makes a
	// full-access key, and echoes every category).
	echo string
	// scope answers a live key that lacks the route's permission; default
	// 403. authentication.mdx: "If you get a 401 Unauthorized or 403
	// Forbidden ... a scoped key that lacks the required permission".
	scope *outsideReply
	// keyID is what users/current/ says key_id is: "" the calling key's
	// id, "main" the account's oldest key's (what "the API key ID
	// associated with the user" may mean), "absent" none.
	keyID string
	// deleteShape: "" (the JSON string), "success-true" (a CLI test mock),
	// "empty" (200, no body), "204".
	deleteShape string
	// item builds a list entry; default: the documented fields plus name,
	// created_at (epoch float) and permissions.
	item func(k *outsideKey) map[string]any
	// list wraps the entries; default {"apikeys": items}.
	list func(items []map[string]any) any
	// listDeleted includes soft-deleted keys with deleted_at set.
	listDeleted bool
	// limits enforces the minimum intervals; limitStyle picks the 429:
	// "" ({"detail": ... threshold=N}), "text" ("API requests too
	// frequent: endpoint threshold=N"), "bare" ("API requests too
	// frequent", no threshold), "envelope" ({success, error, msg}),
	// "retry-after" (the staff drafts: Retry-After seconds and a JSON
	// retry_after), "retry-after-date" (Retry-After as an HTTP date).
	limits     bool
	limitStyle string
	// gzip compresses every body the client accepts gzip for.
	gzip bool
	// twoFA makes these routes answer a live key 401 "This endpoint
	// requires Two Factor Authentication" (the CLI's message test: the
	// endpoint needs a 2FA session key).
	twoFA map[string]bool
	// resetMain makes reset replace the account's oldest key (vastai's
	// SKILL.md: "Reset main key") instead of the caller's; resetShape ""
	// answers {"success": true, "new_api_key"} (the CLI), "old-doc"
	// {"sent": true, "key"}.
	resetMain  bool
	resetShape string
	// canonical answers a path without its trailing slash with this
	// redirect status (PR vast-cli#280: "a few had it missing causing 302
	// redirect"); 0 serves it.
	canonical int
	// hook sees every authenticated request first, with n the number of
	// requests to the route before it, and may answer it itself: it calls
	// real() for the real handler's answer (whose effect then stands) or
	// writes its own. It returns false to let the request through.
	hook func(w http.ResponseWriter, r *http.Request, route string, n int, real func() outsideReply) bool
}

// thresholds are the OpenAPI files' x-rate-limit values; users/current/ and
// the audit log have none documented and get the smallest.
var outsideThresholds = map[string]time.Duration{
	"create": 2 * time.Second, "delete": 2 * time.Second, "list": time.Second,
	"show": time.Second, "reset": 3 * time.Second, "user": time.Second, "audit": time.Second,
}

// outsideScopes is the route table's scope per route (scripts/data/api_scopes.json).
var outsideScopes = map[string]string{
	"create": "user_write", "delete": "user_write", "reset": "user_write",
	"list": "user_read", "show": "user_read", "user": "user_read", "audit": "misc",
}

var outsideCategories = []string{"instance_read", "instance_write", "user_read", "user_write", "billing_read",
	"billing_write", "machine_read", "machine_write", "misc", "team_read", "team_write"}

func newOutsideAPI(t testing.TB, now func() time.Time, a outsideAnswers) *outsideAPI {
	f := &outsideAPI{now: now, a: a, users: map[int64]string{}, keys: map[int64]*outsideKey{}, bySecret: map[string]*outsideKey{},
		nextKey: 7000, nextUser: 300, last: map[string]time.Time{}, seen: map[string]int{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *outsideAPI) URL() string { return f.srv.URL }

func outsideSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// account adds an account whose first key, "default", has full access.
func (f *outsideAPI) account(email string) (uid int64, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextUser++
	f.users[f.nextUser] = email
	k := f.addLocked(f.nextUser, "default", nil)
	return f.nextUser, k.secret
}

// add adds a key; perms "" is full access.
func (f *outsideAPI) add(uid int64, name, perms string) (int64, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var p json.RawMessage
	if perms != "" {
		p = json.RawMessage(perms)
	}
	k := f.addLocked(uid, name, p)
	return k.id, k.secret
}

func (f *outsideAPI) addLocked(uid int64, name string, perms json.RawMessage) *outsideKey {
	f.nextKey++
	k := &outsideKey{id: f.nextKey, uid: uid, name: name, secret: outsideSecret(), perms: perms, created: f.now()}
	f.keys[k.id] = k
	f.bySecret[k.secret] = k
	return k
}

// key returns a copy of the key with id.
func (f *outsideAPI) key(id int64) outsideKey {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k := f.keys[id]; k != nil {
		return *k
	}
	return outsideKey{}
}

// bySecretNow returns a copy of the key whose value is secret now.
func (f *outsideAPI) bySecretNow(secret string) (outsideKey, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := f.bySecret[secret]
	if k == nil || k.deleted {
		return outsideKey{}, false
	}
	return *k, true
}

// live returns the keys not deleted, by id.
func (f *outsideAPI) live() []outsideKey {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []outsideKey
	for _, k := range f.keys {
		if !k.deleted {
			out = append(out, *k)
		}
	}
	slices.SortFunc(out, func(a, b outsideKey) int { return int(a.id - b.id) })
	return out
}

// revoke soft-deletes a key out of band, as the console's Delete does.
func (f *outsideAPI) revoke(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k := f.keys[id]; k != nil {
		k.deleted = true
	}
}

func (f *outsideAPI) requests() []outsideRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

// secrets is every key value the fake ever made, for leak checks.
func (f *outsideAPI) secrets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for s := range f.bySecret {
		out = append(out, s)
	}
	return out
}

var outsideKeyPath = regexp.MustCompile(`^/api/v0/auth/apikeys/([^/]*)/$`)

// outsideRoute names the route of a request, "" for none.
func outsideRoute(method, path string) string {
	switch {
	case path == "/api/v0/auth/apikeys/" && method == "GET":
		return "list"
	case path == "/api/v0/auth/apikeys/" && method == "POST":
		return "create"
	case outsideKeyPath.MatchString(path) && method == "DELETE":
		return "delete"
	case outsideKeyPath.MatchString(path) && method == "GET":
		return "show"
	case path == "/api/v0/commands/reset_apikey/" && method == "PUT":
		return "reset"
	case path == "/api/v0/users/current/" && method == "GET":
		return "user"
	case path == "/api/v0/audit_logs/" && method == "GET":
		return "audit"
	}
	return ""
}

func jsonReply(status int, v any) outsideReply {
	b, _ := json.Marshal(v)
	return outsideReply{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: b}
}

func rawReply(status int, ctype, body string) outsideReply {
	return outsideReply{status: status, header: http.Header{"Content-Type": {ctype}}, body: []byte(body)}
}

// outsideMaintenance is an outage page as a proxy in front of the API
// serves it.
const outsideMaintenance = "<!DOCTYPE html><html><head><title>Vast.ai | Maintenance</title></head><body><h1>We'll be back soon</h1><p>Vast.ai is undergoing scheduled maintenance.</p></body></html>"

func (f *outsideAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	bearer := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		bearer = strings.TrimPrefix(h, "Bearer ")
	}
	rt := outsideRoute(r.Method, r.URL.Path)
	if rt == "" && f.a.canonical != 0 && !strings.HasSuffix(r.URL.Path, "/") && outsideRoute(r.Method, r.URL.Path+"/") != "" {
		rt = "redirect"
	}
	f.mu.Lock()
	n := f.seen[rt]
	f.seen[rt]++
	f.reqs = append(f.reqs, outsideRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Bearer: bearer, Body: string(body), Route: rt, Header: r.Header.Clone()})
	idx := len(f.reqs) - 1
	f.mu.Unlock()
	status := 0
	defer func() {
		f.mu.Lock()
		f.reqs[idx].Status = status
		f.mu.Unlock()
	}()
	write := func(rep outsideReply) {
		status = rep.status
		f.write(w, r, rep)
	}
	switch {
	case rt == "redirect":
		w.Header().Set("Location", r.URL.Path+"/")
		write(rawReply(f.a.canonical, "text/html; charset=utf-8", "<html><body>Redirecting</body></html>"))
		return
	case rt == "":
		write(rawReply(404, "text/html; charset=utf-8", "<!doctype html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"))
		return
	case r.URL.RawQuery != "":
		write(jsonReply(400, map[string]any{"success": false, "error": "invalid_args", "msg": "Unexpected query parameters."}))
		return
	case r.Method == "GET" && len(bytes.TrimSpace(body)) > 0:
		write(jsonReply(400, map[string]any{"success": false, "error": "invalid_args", "msg": "GET requests must not have a body."}))
		return
	case bearer == "":
		write(jsonReply(400, map[string]any{"msg": "API Key not provided as bearer token."}))
		return
	}
	real := func() outsideReply { return f.serve(r, rt, bearer, body) }
	if f.a.hook != nil && f.a.hook(w, r, rt, n, func() outsideReply { rep := real(); status = rep.status; return rep }) {
		if status == 0 {
			status = -1 // answered by the hook
		}
		return
	}
	write(real())
}

// write sends an answer, gzipped when asked to and the client accepts it.
func (f *outsideAPI) write(w http.ResponseWriter, r *http.Request, rep outsideReply) {
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	if f.a.gzip && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") && len(rep.body) > 0 {
		var b bytes.Buffer
		z := gzip.NewWriter(&b)
		z.Write(rep.body)
		z.Close()
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
		w.WriteHeader(rep.status)
		w.Write(b.Bytes())
		return
	}
	w.WriteHeader(rep.status)
	w.Write(rep.body)
}

// serve is the real handler: authentication, the rate limit, the scope,
// then the route.
func (f *outsideAPI) serve(r *http.Request, rt, bearer string, body []byte) outsideReply {
	f.mu.Lock()
	defer f.mu.Unlock()
	caller := f.bySecret[bearer]
	if caller == nil || caller.deleted {
		if f.a.dead != nil {
			return *f.a.dead
		}
		return jsonReply(401, map[string]any{"success": false, "error": "auth_error", "msg": "Invalid user key"})
	}
	if f.a.limits {
		if rep, limited := f.limitLocked(rt, bearer); limited {
			return rep
		}
	}
	if f.a.twoFA[rt] {
		return jsonReply(401, map[string]any{"success": false, "error": "auth_error", "msg": "This endpoint requires Two Factor Authentication. Please log in with 2FA."})
	}
	if !f.grantsLocked(caller, outsideScopes[rt]) {
		if f.a.scope != nil {
			return *f.a.scope
		}
		return jsonReply(403, map[string]any{"success": false, "error": "forbidden", "msg": "Your API key does not have permission to access this endpoint."})
	}
	f.audit = append(f.audit, outsideAudit{keyID: caller.id, uid: caller.uid, at: f.now(), route: r.URL.Path, args: string(body)})
	switch rt {
	case "create":
		return f.createLocked(caller, body)
	case "list":
		return f.listLocked(caller)
	case "delete", "show":
		return f.oneLocked(rt, caller, outsideKeyPath.FindStringSubmatch(r.URL.Path)[1])
	case "reset":
		return f.resetLocked(caller, body)
	case "user":
		u := map[string]any{"id": caller.uid, "key_id": caller.id, "email": f.users[caller.uid], "balance": 3.25,
			"ssh_key": "", "sid": "s" + strconv.FormatInt(caller.uid, 10), "api_key": caller.secret, "username": "ci", "credit": 0}
		switch f.a.keyID {
		case "main":
			main := caller.id
			for id, k := range f.keys {
				if k.uid == caller.uid && id < main {
					main = id
				}
			}
			u["key_id"] = main
		case "absent":
			delete(u, "key_id")
		}
		return jsonReply(200, u)
	case "audit":
		var out []map[string]any
		for _, e := range f.audit {
			if e.uid == caller.uid {
				out = append(out, map[string]any{"ip_address": "203.0.113.7", "api_key_id": e.keyID, "created_at": float64(e.at.UnixMicro()) / 1e6, "api_route": e.route, "args": e.args})
			}
		}
		return jsonReply(200, out)
	}
	return rawReply(500, "text/plain", "unreachable")
}

func (f *outsideAPI) grantsLocked(k *outsideKey, scope string) bool {
	if k.perms == nil {
		return true
	}
	var p struct {
		API map[string]json.RawMessage `json:"api"`
	}
	json.Unmarshal(k.perms, &p)
	_, ok := p.API[scope]
	return ok
}

func (f *outsideAPI) limitLocked(rt, bearer string) (outsideReply, bool) {
	id := rt + " " + bearer
	now := f.now()
	win := outsideThresholds[rt]
	if last, ok := f.last[id]; ok && now.Sub(last) < win {
		left := win - now.Sub(last)
		secs := int((left + time.Second - 1) / time.Second)
		th := fmt.Sprintf("%.1f", win.Seconds())
		switch f.a.limitStyle {
		case "text":
			return rawReply(429, "text/plain; charset=utf-8", "API requests too frequent: endpoint threshold="+th), true
		case "bare":
			return rawReply(429, "text/plain; charset=utf-8", "API requests too frequent"), true
		case "envelope":
			return jsonReply(429, map[string]any{"success": false, "error": "rate_limited", "msg": "API requests too frequent"}), true
		case "retry-after", "retry-after-date":
			rep := jsonReply(429, map[string]any{"success": false, "error": "too_many_requests", "msg": "API requests too frequent", "retry_after": secs})
			if f.a.limitStyle == "retry-after" {
				rep.header.Set("Retry-After", strconv.Itoa(secs))
			} else {
				rep.header.Set("Retry-After", now.Add(time.Duration(secs)*time.Second).UTC().Format(http.TimeFormat))
			}
			return rep, true
		}
		return jsonReply(429, map[string]any{"detail": "API requests too frequent endpoint threshold=" + th}), true
	}
	f.last[id] = now
	return outsideReply{}, false
}

func (f *outsideAPI) createLocked(caller *outsideKey, body []byte) outsideReply {
	var req struct {
		Name        *string         `json:"name"`
		Permissions json.RawMessage `json:"permissions"`
	}
	if json.Unmarshal(body, &req) != nil || req.Name == nil || len(*req.Name) > 255 {
		return jsonReply(400, map[string]any{"success": false, "error": "invalid_args", "msg": "Invalid request body"})
	}
	var perms json.RawMessage
	if p := bytes.TrimSpace(req.Permissions); len(p) > 0 && string(p) != "null" {
		var top map[string]map[string]json.RawMessage
		if json.Unmarshal(p, &top) != nil || len(top) != 1 || top["api"] == nil {
			return jsonReply(400, map[string]any{"success": false, "error": "invalid_permissions", "msg": "Invalid permission format"})
		}
		for c := range top["api"] {
			if !slices.Contains(outsideCategories, c) {
				return jsonReply(400, map[string]any{"success": false, "error": "invalid_permissions", "msg": "Invalid permission format"})
			}
		}
		perms = append(json.RawMessage(nil), p...)
	}
	stored := perms
	if f.a.echo == "grant-full" {
		stored = nil
	}
	k := f.addLocked(caller.uid, *req.Name, stored)
	var echo any = json.RawMessage(perms)
	switch {
	case f.a.echo == "grant-full":
		all := map[string]any{}
		for _, c := range outsideCategories {
			all[c] = map[string]any{}
		}
		echo = map[string]any{"api": all}
	case perms == nil, f.a.echo == "false":
		echo = false
	case f.a.echo == "expanded":
		echo = outsideExpand(perms)
	}
	out := map[string]any{"id": k.id, "key": k.secret, "permissions": echo}
	if f.a.echo == "absent" {
		delete(out, "permissions")
	}
	switch f.a.createShape {
	case "api_key":
		out["api_key"] = out["key"]
		delete(out, "key")
	case "success":
		out["success"] = true
	case "nested":
		out = map[string]any{"success": true, "apikey": out}
	}
	return jsonReply(200, out)
}

// outsideExpand lists each category asked for whole as operations.
func outsideExpand(perms json.RawMessage) any {
	var top map[string]map[string]json.RawMessage
	json.Unmarshal(perms, &top)
	for c, v := range top["api"] {
		if string(bytes.TrimSpace(v)) == "{}" {
			top["api"][c] = json.RawMessage(fmt.Sprintf(`{"api.%s.view": {}, "api.%s.list": {}}`, c, c))
		}
	}
	return top
}

func (f *outsideAPI) item(k *outsideKey) map[string]any {
	if f.a.item != nil {
		return f.a.item(k)
	}
	var perms any = false
	if k.perms != nil {
		perms = k.perms
	}
	it := map[string]any{"id": k.id, "user_id": k.uid, "rights": nil, "team_id": nil, "team_name": nil,
		"name": k.name, "created_at": float64(k.created.UnixMicro()) / 1e6, "permissions": perms}
	if f.a.listDeleted {
		it["deleted_at"] = nil
		if k.deleted {
			it["deleted_at"] = float64(f.now().Unix())
		}
	}
	return it
}

func (f *outsideAPI) listLocked(caller *outsideKey) outsideReply {
	items := []map[string]any{}
	ids := make([]int64, 0, len(f.keys))
	for id, k := range f.keys {
		if k.uid == caller.uid && (!k.deleted || f.a.listDeleted) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		items = append(items, f.item(f.keys[id]))
	}
	if f.a.list != nil {
		return jsonReply(200, f.a.list(items))
	}
	return jsonReply(200, map[string]any{"apikeys": items})
}

func (f *outsideAPI) oneLocked(rt string, caller *outsideKey, idText string) outsideReply {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return jsonReply(400, map[string]any{"msg": "API Key ID not provided."})
	}
	k := f.keys[id]
	if k == nil || k.deleted {
		return jsonReply(404, map[string]any{"msg": "API Key not found."})
	}
	if k.uid != caller.uid {
		if rt == "show" {
			return jsonReply(403, map[string]any{"msg": "You do not have permission to access this key."})
		}
		return jsonReply(403, map[string]any{"msg": "You do not have permission to delete this API Key."})
	}
	if rt == "show" {
		return jsonReply(200, f.item(k))
	}
	k.deleted = true
	switch f.a.deleteShape {
	case "success-true":
		return jsonReply(200, map[string]any{"success": true})
	case "empty":
		return rawReply(200, "application/json", "")
	case "204":
		return outsideReply{status: 204, header: http.Header{}}
	}
	return jsonReply(200, "Successfully Deleted API Key")
}

func (f *outsideAPI) resetLocked(caller *outsideKey, body []byte) outsideReply {
	var req struct {
		ClientID string `json:"client_id"`
	}
	if json.Unmarshal(body, &req) != nil || req.ClientID != "me" {
		return jsonReply(400, map[string]any{"success": false, "error": "invalid_args", "msg": "client_id is required"})
	}
	target := caller
	if f.a.resetMain {
		for _, k := range f.keys {
			if k.uid == caller.uid && !k.deleted && (target == caller || k.id < target.id) {
				target = k
			}
		}
	}
	delete(f.bySecret, target.secret)
	target.secret = outsideSecret()
	f.bySecret[target.secret] = target
	if f.a.resetShape == "old-doc" {
		return jsonReply(200, map[string]any{"sent": true, "key": target.secret})
	}
	return jsonReply(200, map[string]any{"success": true, "new_api_key": target.secret})
}

// Hooks a scenario injects.

// onRoute answers the route's requests from the skip-th on (times of them;
// -1 all) with rep; after runs the real handler first, so its effect
// stands and only its answer is lost.
func onRoute(route string, skip, times int, after bool, rep outsideReply) func(http.ResponseWriter, *http.Request, string, int, func() outsideReply) bool {
	return func(w http.ResponseWriter, r *http.Request, rt string, n int, real func() outsideReply) bool {
		if rt != route || n < skip || (times >= 0 && n >= skip+times) {
			return false
		}
		if after {
			real()
		}
		for k, v := range rep.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rep.status)
		w.Write(rep.body)
		return true
	}
}

// hooks chains hooks: the first that answers wins.
func hooks(hs ...func(http.ResponseWriter, *http.Request, string, int, func() outsideReply) bool) func(http.ResponseWriter, *http.Request, string, int, func() outsideReply) bool {
	return func(w http.ResponseWriter, r *http.Request, rt string, n int, real func() outsideReply) bool {
		for _, h := range hs {
			if h(w, r, rt, n, real) {
				return true
			}
		}
		return false
	}
}

func redirectReply(status int, location string) outsideReply {
	rep := rawReply(status, "text/html; charset=utf-8", "<html><body>Moved</body></html>")
	rep.header.Set("Location", location)
	return rep
}

// slowloris answers the route with headers and a body that never ends:
// a byte every 50 ms until the client goes away.
func slowloris(route string) func(http.ResponseWriter, *http.Request, string, int, func() outsideReply) bool {
	return func(w http.ResponseWriter, r *http.Request, rt string, _ int, _ func() outsideReply) bool {
		if rt != route {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		io.WriteString(w, `{"apikeys": [`)
		fl, _ := w.(http.Flusher)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if fl != nil {
				fl.Flush()
			}
			select {
			case <-r.Context().Done():
				return true
			case <-t.C:
				io.WriteString(w, " ")
			}
		}
	}
}

// huge answers the route 200 with a JSON body of n MiB (a list whose
// entries are padded), streamed.
func huge(route string, mib int) func(http.ResponseWriter, *http.Request, string, int, func() outsideReply) bool {
	return func(w http.ResponseWriter, r *http.Request, rt string, _ int, _ func() outsideReply) bool {
		if rt != route {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		io.WriteString(w, `{"apikeys": [`)
		pad := strings.Repeat("x", 1000)
		for i := 0; i < mib*1024; i++ {
			if i > 0 {
				io.WriteString(w, ",")
			}
			if _, err := fmt.Fprintf(w, `{"id": %d, "user_id": 1, "name": "pad-%s"}`, 100000+i, pad); err != nil {
				return true
			}
		}
		io.WriteString(w, `]}`)
		return true
	}
}

// limitFirst answers the route's first request 429 and asks the client to
// wait window: with a Retry-After header of seconds (header "seconds"), of
// an HTTP date (header "date"), or none (header "": the window is the
// documented threshold, which body may state). A request that comes back
// inside the window is answered 429 again and recorded as a violation (the
// drafts' penalty); one after it goes through.
func limitFirst(f *outsideAPI, route string, window time.Duration, header string, body outsideReply) func(http.ResponseWriter, *http.Request, string, int, func() outsideReply) bool {
	var mu sync.Mutex
	var until time.Time
	return func(w http.ResponseWriter, r *http.Request, rt string, n int, real func() outsideReply) bool {
		if rt != route {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		now := f.now()
		if n > 0 && !now.Before(until) {
			return false
		}
		if n > 0 {
			f.mu.Lock()
			f.violations = append(f.violations, fmt.Sprintf("%s came back %v before the end of the wait the API asked for", route, until.Sub(now)))
			f.mu.Unlock()
		}
		until = now.Add(window)
		for k, v := range body.header {
			w.Header()[k] = v
		}
		switch header {
		case "seconds":
			w.Header().Set("Retry-After", strconv.Itoa(int(window/time.Second)))
		case "date":
			w.Header().Set("Retry-After", until.UTC().Format(http.TimeFormat))
		}
		w.WriteHeader(429)
		w.Write(body.body)
		return true
	}
}
