package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/vastguard/vastguard/internal/command"
	"github.com/vastguard/vastguard/internal/ghactions/runnertest"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// The fault matrix runs the three flows that delete keys (a job's mint and
// post steps, the Action's sweep, and `vastguard revoke`) against a Vast
// API that answers in each documented way a real one can (vasttest's
// modes) and misbehaves in each way one can (injected faults), in-process
// on a fake clock the fake API shares (so its rate limits see the
// program's waits). For every scenario and flow it checks the promises:
// nothing panics; a failure is one clear line; no duplicate key is ever
// created; the flow ends in bounded time; and every key left live at the
// end is named by a loud error (an error annotation and a job-summary line
// for the Action, a "may still be live" line and exit 1 for revoke). It
// prints what each run left live and how long it took:
//
//	go test -run TestFaultMatrix -v .

// flowWant is what one flow must end with.
type flowWant struct {
	code  int    // exit code (for a job, the post step's)
	msg   string // a substring of the one error line when code is 1
	alive int    // keys left live at the end: the minted ones, the expired ones, the leaked one
}

// jobWant is what a job must end with.
type jobWant struct {
	mintCode int
	mintMsg  string // a substring of the main step's one error line (code 1) or of a warning (code 0)
	post     flowWant
}

// scenario is one way the API answers, and what each flow must do. A nil
// want skips that flow (the scenario does not touch it).
type scenario struct {
	name   string
	opts   []vasttest.Option
	faults map[string][]vasttest.Fault // by flow: "job", "sweep", "revoke"
	// between runs in a job between the main and the post step.
	between func(x *e2e)
	// cancel runs the job's main step itself, cancelling it: it returns
	// the step and prepares the post step.
	cancel func(t *testing.T, x *e2e) *runnertest.Step
	job    *jobWant
	sweep  *flowWant
	revoke *flowWant
}

// every applies fs in every flow; job applies them in the job alone.
func every(fs ...vasttest.Fault) map[string][]vasttest.Fault {
	return map[string][]vasttest.Fault{"job": fs, "sweep": fs, "revoke": fs}
}

func job(fs ...vasttest.Fault) map[string][]vasttest.Fault {
	return map[string][]vasttest.Fault{"job": fs}
}

func ok0() *flowWant { return &flowWant{} }

// matrixRow is one line of the printed table.
type matrixRow struct {
	scenario, flow string
	codes          string
	alive          int
	loud           string
	fake, real     time.Duration
}

func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	dead404 := vasttest.Fault{Route: "delete", Status: 404, Body: vasttest.Dead404.Body, Times: -1, Name: "404 auth_error"}
	trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("a key was sent to the redirect's target: %s %s", r.Method, r.URL.Path)
		}
	}))
	defer trap.Close()
	plainHTTP := "http://attacker.example/api/v0/auth/apikeys/1/"

	scenarios := []scenario{
		{name: "calm", job: &jobWant{}, sweep: ok0(), revoke: ok0()},

		// A dead caller key is not "already gone" (vast-api.md §9).
		{name: "404 auth_error: the management key revoked mid-job", opts: []vasttest.Option{vasttest.WithDeadKeyAnswer(vasttest.Dead404)},
			between: func(x *e2e) { x.srv.Revoke(keyID(x.srv, x.admin)) },
			faults:  map[string][]vasttest.Fault{"sweep": {withSkip(dead404, 1)}, "revoke": {withTimes(dead404, 1)}},
			job:     &jobWant{post: flowWant{1, "the Vast API rejected the key (404 Invalid user key): check the api-key input", 1}},
			sweep:   &flowWant{1, "could not delete expired key", 2},
			revoke:  ok0()}, // the leaked key deletes itself
		{name: "404 Session expired: the caller's session ends mid-job", opts: []vasttest.Option{vasttest.WithDeadKeyAnswer(vasttest.DeadSession404)},
			between: func(x *e2e) { x.srv.Revoke(keyID(x.srv, x.admin)) },
			job:     &jobWant{post: flowWant{1, "the Vast API rejected the key (404 Session expired. Please log in again.)", 1}}},
		{name: "403 auth_error: the management key revoked mid-job", opts: []vasttest.Option{vasttest.WithDeadKeyAnswer(vasttest.Dead403)},
			between: func(x *e2e) { x.srv.Revoke(keyID(x.srv, x.admin)) },
			job:     &jobWant{post: flowWant{1, "the Vast API rejected the key (403 This action requires login.)", 1}}},

		// Redirects are never followed with the key.
		{name: "301 on non-canonical paths", opts: []vasttest.Option{vasttest.WithSlashRedirects()}, job: &jobWant{}, sweep: ok0(), revoke: ok0()},
		{name: "301 on delete to plain http elsewhere", faults: every(vasttest.RedirectTo("delete", 301, plainHTTP)),
			job:    &jobWant{post: flowWant{1, "answered 301 redirecting to http://attacker.example (plain http); vastguard does not follow redirects", 1}},
			sweep:  &flowWant{1, "answered 301 redirecting to http://attacker.example (plain http)", 3},
			revoke: &flowWant{1, "may still be live", 1}},
		{name: "307 on create to http on another port", faults: job(vasttest.RedirectTo("create", 307, trap.URL+"/api/v0/auth/apikeys/")),
			job: &jobWant{mintCode: 1, mintMsg: "answered 307 redirecting to " + trap.URL + " (plain http); vastguard does not follow redirects, so the key was not sent there"}},
		{name: "308 on delete to the same host", faults: every(vasttest.RedirectTo("delete", 308, "/api/v0/auth/apikeys/elsewhere/")),
			job: &jobWant{post: flowWant{1, "answered 308 redirecting to http://127.0.0.1", 1}}, sweep: &flowWant{1, "answered 308", 3}, revoke: &flowWant{1, "may still be live", 1}},

		// Create's answer in its documented shapes.
		{name: "create answers api_key instead of key", opts: []vasttest.Option{vasttest.WithCreateKeyField("api_key")}, job: &jobWant{}},
		{name: "create echoes permissions: false", opts: []vasttest.Option{vasttest.WithPermissionsEcho(vasttest.EchoFalse)},
			job: &jobWant{mintMsg: "the Vast API did not confirm the permissions of key"}},
		{name: "create echoes no permissions", opts: []vasttest.Option{vasttest.WithPermissionsEcho(vasttest.EchoOmitted)},
			job: &jobWant{mintMsg: "unconfirmed (the API did not echo them)"}},
		{name: "create echoes {} expanded into operations", opts: []vasttest.Option{vasttest.WithPermissionsEcho(vasttest.EchoExpanded)}, job: &jobWant{}},
		{name: "the server grants full access instead", opts: []vasttest.Option{vasttest.WithPermissionsEcho(vasttest.EchoGrantFull)},
			job: &jobWant{mintCode: 1, mintMsg: "with more permissions than asked (broader: api.billing_write"}},

		// success=false on a 2xx, and delete's other bodies.
		{name: "delete answers 200 success=false", faults: every(withTimes(vasttest.SuccessFalse("delete", false, "server_error", "could not delete"), -1)),
			job:    &jobWant{post: flowWant{1, "the Vast API answered 200 success=false: could not delete, so nothing was done", 1}},
			sweep:  &flowWant{1, "success=false", 3},
			revoke: &flowWant{1, "may still be live", 1}},
		{name: "create made the key, then answered success=false", faults: job(vasttest.SuccessFalse("create", true, "server_error", "try again")),
			job: &jobWant{mintCode: 1, mintMsg: "no key was left behind"}},
		{name: "delete answers the JSON string", opts: []vasttest.Option{vasttest.WithDeleteAnswer(vasttest.DeleteString)}, job: &jobWant{}, sweep: ok0(), revoke: ok0()},
		{name: "delete answers {\"success\": true}", opts: []vasttest.Option{vasttest.WithDeleteAnswer(vasttest.DeleteSuccessTrue)}, job: &jobWant{}, sweep: ok0(), revoke: ok0()},
		{name: "delete answers nothing", opts: []vasttest.Option{vasttest.WithDeleteAnswer(vasttest.DeleteEmpty)}, job: &jobWant{}, sweep: ok0(), revoke: ok0()},

		{name: "delete answers 200 {error, msg} without success", faults: every(withTimes(vasttest.ErrorWithoutSuccess("delete", false, "delete_failed", "could not delete"), -1)),
			job:    &jobWant{post: flowWant{1, "the Vast API answered 200 success=false: could not delete, so nothing was done", 1}},
			sweep:  &flowWant{1, "success=false", 3},
			revoke: &flowWant{1, "may still be live", 1}},

		// A live key whose account wants a 2FA session is not a dead key.
		{name: "delete needs a 2FA session", opts: []vasttest.Option{vasttest.WithTwoFactor("delete")},
			job:    &jobWant{post: flowWant{1, "the Vast API wants a two-factor (2FA) session for this", 1}},
			sweep:  &flowWant{1, "two-factor (2FA) session", 3},
			revoke: &flowWant{1, "may still be live", 1}},

		// A key list that says it goes on is not the whole list.
		{name: "the key list answers one page of several", opts: []vasttest.Option{vasttest.WithPagedList(1)},
			job: &jobWant{}, revoke: ok0()},

		// Rate limits: the real per-endpoint thresholds on the shared clock.
		{name: "429 plain text at the real thresholds", opts: []vasttest.Option{vasttest.WithRateLimitStyle(vasttest.LimitText)}, job: &jobWant{}, sweep: ok0(), revoke: ok0()},
		{name: "429 {detail} at the real thresholds", opts: []vasttest.Option{vasttest.WithRateLimitStyle(vasttest.LimitDetail)}, job: &jobWant{}, sweep: ok0(), revoke: ok0()},
		{name: "429 {success, error, msg}", opts: []vasttest.Option{vasttest.WithRateLimitStyle(vasttest.LimitEnvelope)}, job: &jobWant{}, sweep: ok0(), revoke: ok0()},
		{name: "429 with penalty: a retry inside the window restarts it", opts: []vasttest.Option{vasttest.WithRateLimitStyle(vasttest.LimitText), vasttest.WithRateLimitPenalty()}, job: &jobWant{}, sweep: ok0(), revoke: ok0()},
		{name: "429 with Retry-After seconds and retry_after", opts: []vasttest.Option{vasttest.WithRateLimitStyle(vasttest.LimitRetryAfter)}, job: &jobWant{}, sweep: ok0(), revoke: ok0()},
		{name: "429 with Retry-After as a date", opts: []vasttest.Option{vasttest.WithRateLimitStyle(vasttest.LimitRetryAfterDate)}, job: &jobWant{}, sweep: ok0(), revoke: ok0()},
		{name: "429 with a Retry-After past the budget", faults: every(vasttest.RateLimited("delete", "3600", -1)),
			job:    &jobWant{post: flowWant{1, "asked to wait 1h0m0s, longer than the retry budget", 1}},
			sweep:  &flowWant{1, "asked to wait 1h0m0s", 3},
			revoke: &flowWant{1, "may still be live", 1}},
		{name: "429 storm on create", faults: job(vasttest.Fault{Route: "create", Status: 429, Times: -1}),
			job: &jobWant{mintCode: 1, mintMsg: "kept rate limiting"}},
		{name: "429 storm during delete", faults: every(vasttest.Fault{Route: "delete", Status: 429, Times: -1}),
			job:    &jobWant{post: flowWant{1, "kept rate limiting this key", 1}},
			sweep:  &flowWant{1, "kept rate limiting this key", 3},
			revoke: &flowWant{1, "may still be live", 1}},

		// Creates whose outcome the answer does not tell.
		{name: "create carried out, answered 400", faults: job(vasttest.CreatedButAnswered(400, "")),
			job: &jobWant{mintCode: 1, mintMsg: "no key was left behind"}},
		{name: "create carried out, answered 400 invalid_permissions, list refused in the main step",
			faults:  job(vasttest.CreatedButAnswered(400, `{"success": false, "error": "invalid_permissions", "msg": "unknown operation"}`), vasttest.Fault{Route: "list", Status: 403, Times: -1}),
			between: func(x *e2e) { x.srv.ClearFaults() },
			job:     &jobWant{mintCode: 1, mintMsg: "the Vast API refused the permissions (400 unknown operation): check the permissions input. A key is unlikely to exist"}},
		{name: "create carried out, answered 400, list broken throughout",
			faults: job(vasttest.CreatedButAnswered(400, ""), vasttest.Fault{Route: "list", Status: 500, Times: -1}),
			job:    &jobWant{mintCode: 1, mintMsg: "the outcome is unknown and a key with that name may exist", post: flowWant{1, "may still be live: a key named", 1}}},
		{name: "create answered after the step's grace (job cancelled)", cancel: cancelDuringLateCreate,
			job: &jobWant{mintCode: 1, mintMsg: "context canceled; no key of that name is listed, but the server may still be making it; the post step looks for a key named"}},
		{name: "connection reset after the key was created", faults: job(vasttest.Fault{Route: "create", Drop: true, After: true}), job: &jobWant{}},
		{name: "truncated create answer", faults: job(vasttest.Fault{Route: "create", Status: 200, Body: `{"id": 12, "key": "ab`, After: true}),
			job: &jobWant{mintCode: 1, mintMsg: "no key was left behind"}},
		{name: "create answer lost and list broken", faults: job(vasttest.Fault{Route: "create", Status: 502, After: true}, vasttest.Fault{Route: "list", Status: 500, Times: -1}),
			job: &jobWant{mintCode: 1, mintMsg: "the outcome is unknown and a key with that name may exist", post: flowWant{1, "may still be live: a key named", 1}}},
		{name: "create answer lost and the list shows no names",
			faults: job(vasttest.Fault{Route: "create", Status: 502, After: true}, vasttest.Fault{Route: "list", Status: 200, Body: `{"apikeys": [{"id": 1001, "user_id": 101}, {"id": 1002, "user_id": 101}]}`, Times: -1}),
			job:    &jobWant{mintCode: 1, mintMsg: "the key list carries no names", post: flowWant{1, "could not be proven absent after 1 look(s) at the key list: the key list carries no names", 1}}},

		// Outages.
		{name: "5xx burst then recovery", faults: every(vasttest.Fault{Status: 503, Times: 3}), job: &jobWant{}, sweep: ok0(), revoke: ok0()},
		{name: "HTML outage pages during delete", faults: every(vasttest.Fault{Route: "delete", Status: 502, Body: "<html><title>502 Bad Gateway</title></html>", Times: 4}),
			job: &jobWant{}, sweep: ok0(), revoke: ok0()},
		{name: "API down between mint and post", between: func(x *e2e) { x.srv.ClearFaults(); x.srv.Inject(vasttest.Fault{Drop: true, Times: -1}) },
			job: &jobWant{post: flowWant{1, "cannot reach the Vast API", 1}}},
	}

	var mu sync.Mutex
	var rows []matrixRow
	record := func(r matrixRow) {
		mu.Lock()
		defer mu.Unlock()
		rows = append(rows, r)
	}
	t.Cleanup(func() {
		order := map[string]int{}
		for i, sc := range scenarios {
			order[sc.name] = i
		}
		flows := map[string]int{"job": 0, "sweep": 1, "revoke": 2}
		slices.SortFunc(rows, func(a, b matrixRow) int {
			if d := order[a.scenario] - order[b.scenario]; d != 0 {
				return d
			}
			return flows[a.flow] - flows[b.flow]
		})
		var b bytes.Buffer
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SCENARIO\tFLOW\tEXIT\tALIVE\tWHEN ALIVE\tFAKE TIME\tREAL TIME")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.scenario, r.flow, r.codes, r.alive, r.loud, r.fake.Round(time.Second), r.real.Round(time.Millisecond))
		}
		tw.Flush()
		t.Logf("fault matrix (ALIVE: keys live at the end; FAKE TIME: on the shared fake clock):\n%s", b.String())
	})

	for _, sc := range scenarios {
		if sc.job != nil {
			t.Run(sc.name+"/job", func(t *testing.T) { t.Parallel(); record(runMatrixJob(t, sc)) })
		}
		if sc.sweep != nil {
			t.Run(sc.name+"/sweep", func(t *testing.T) { t.Parallel(); record(runMatrixSweep(t, sc)) })
		}
		if sc.revoke != nil {
			t.Run(sc.name+"/revoke", func(t *testing.T) { t.Parallel(); record(runMatrixRevoke(t, sc)) })
		}
	}
}

func withSkip(f vasttest.Fault, n int) vasttest.Fault  { f.Skip = n; return f }
func withTimes(f vasttest.Fault, n int) vasttest.Fault { f.Times = n; return f }

// checkStep checks a step's exit code, that it did not panic, and that a
// failure is exactly one error line holding msg (sweep: one per key it
// could not delete, the first holding msg, and one for the keys not tried
// after it); with code 0 and a msg, msg is in a warning.
func checkStep(t *testing.T, step string, s *runnertest.Step, code int, msg string) {
	t.Helper()
	if s.Code != code {
		t.Errorf("%s: exit %d, want %d\n%s%s", step, s.Code, code, s.Stdout, s.Stderr)
	}
	if strings.Contains(s.Stdout+s.Stderr, "panic") || strings.Contains(s.Stdout+s.Stderr, "goroutine ") {
		t.Errorf("%s panicked:\n%s%s", step, s.Stdout, s.Stderr)
	}
	if code == 0 {
		if msg != "" && (!strings.Contains(s.Stdout, "::warning") || !strings.Contains(s.Stdout, msg)) {
			t.Errorf("%s: no warning with %q:\n%s", step, msg, s.Stdout)
		}
		return
	}
	var errs []string
	for _, l := range strings.Split(s.Stdout, "\n") {
		if strings.HasPrefix(l, "::error") {
			errs = append(errs, l)
		}
	}
	switch {
	case len(errs) == 0:
		t.Errorf("%s: no error line:\n%s", step, s.Stdout)
	case !strings.Contains(errs[0], msg):
		t.Errorf("%s: error line %q lacks %q", step, errs[0], msg)
	case len(errs) > 1 && (step != "sweep" || len(errs) > 2 || !strings.Contains(errs[1], "not tried after that")):
		t.Errorf("%s: %d error lines, want 1:\n%s", step, len(errs), s.Stdout)
	}
}

// loudness says whether every key left live is named by a loud error, and
// fails the test if one is not.
func loudness(t *testing.T, alive int, named func() bool) string {
	t.Helper()
	switch {
	case alive == 0:
		return "-"
	case named():
		return "named error"
	}
	t.Errorf("%d keys left live without an error naming each", alive)
	return "SILENT"
}

func runMatrixJob(t *testing.T, sc scenario) matrixRow {
	x := newE2E(t, "in-process", sc.opts...)
	for _, f := range sc.faults["job"] {
		x.srv.Inject(f)
	}
	start, wall := x.clock.Now(), time.Now()
	var main *runnertest.Step
	if sc.cancel != nil {
		main = sc.cancel(t, x)
	} else {
		main = x.step("vast", nil)
	}
	// Never two keys for one mint: a key whose create answer was lost is
	// deleted before the create is tried again (see also
	// vast.TestCreateIsNeverRepeatedBlindly).
	if n := len(x.liveMinted()); n > 1 {
		t.Errorf("%d live keys after one mint", n)
	}
	if sc.between != nil {
		sc.between(x)
	}
	post := x.posts()[0]
	fake, real := x.clock.Now().Sub(start), time.Since(wall)
	if fake > 15*time.Minute {
		t.Errorf("the job took %v on the fake clock", fake)
	}
	checkStep(t, "main", main, sc.job.mintCode, sc.job.mintMsg)
	checkStep(t, "post", post, sc.job.post.code, sc.job.post.msg)
	left := x.liveMinted()
	if len(left) != sc.job.post.alive {
		t.Errorf("%d minted keys left live, want %d", len(left), sc.job.post.alive)
	}
	loud := loudness(t, len(left), func() bool {
		for _, k := range left {
			if !strings.Contains(post.Stdout, "::error title=vastguard cleanup::") || !strings.Contains(post.Stdout, k.Name) ||
				!strings.Contains(post.Summary, k.Name) || !strings.Contains(post.Summary, "NOT") {
				return false
			}
		}
		return true
	})
	x.assertNoLeak(main, post)
	return matrixRow{sc.name, "job", fmt.Sprintf("%d/%d", main.Code, post.Code), len(left), loud, fake, real}
}

// runMatrixSweep seeds three expired keys the Action minted and one it
// did not, and runs the Action's sweep.
func runMatrixSweep(t *testing.T, sc scenario) matrixRow {
	x := newE2E(t, "in-process", sc.opts...)
	uid := x.srv.Keys()[0].UserID
	now := x.clock.Now().UTC().Truncate(time.Second)
	var expired []int64
	for i := range 3 {
		n := keyname.Name{Repository: "acme/gpu-tests", RunID: int64(40 + i), Attempt: 1, Job: "train", Label: "vast", Expires: now.Add(-time.Duration(i+1) * time.Hour), Nonce: keyname.NewNonce()}
		id, _ := x.srv.AddKey(uid, n.String(), `{"api":{"user_read":{}}}`)
		expired = append(expired, id)
	}
	x.srv.AddKey(uid, "laptop", `{"api":{"user_read":{}}}`)
	for _, f := range sc.faults["sweep"] {
		x.srv.Inject(f)
	}
	start, wall := x.clock.Now(), time.Now()
	s := x.step("sweep", map[string]string{"command": "sweep"})
	fake, real := x.clock.Now().Sub(start), time.Since(wall)
	checkStep(t, "sweep", s, sc.sweep.code, sc.sweep.msg)
	var left []vasttest.Key
	for _, id := range expired {
		if k, _ := x.srv.Key(id); !k.Deleted {
			left = append(left, k)
		}
	}
	if len(left) != sc.sweep.alive {
		t.Errorf("%d expired keys left live, want %d", len(left), sc.sweep.alive)
	}
	if k, _ := x.srv.Key(expired[0] + 3); k.Deleted || k.Name != "laptop" {
		t.Errorf("sweep touched a key it did not mint: %+v", k)
	}
	loud := loudness(t, len(left), func() bool {
		for _, k := range left {
			if !strings.Contains(s.Summary, k.Name) || !strings.Contains(s.Summary, fmt.Sprint(k.ID)) {
				return false
			}
		}
		return strings.Contains(s.Stdout, "::error title=vastguard sweep::") && strings.Contains(s.Summary, "NOT deleted")
	})
	x.assertNoLeak(s)
	return matrixRow{sc.name, "sweep", fmt.Sprint(s.Code), len(left), loud, fake, real}
}

// runMatrixRevoke runs `vastguard revoke` with the management key for a
// leaked key of the same account that may delete keys itself.
func runMatrixRevoke(t *testing.T, sc scenario) matrixRow {
	x := newE2E(t, "in-process", sc.opts...)
	uid := x.srv.Keys()[0].UserID
	id, leaked := x.srv.AddKey(uid, "leaked", `{"api":{"user_read":{},"user_write":{},"instance_read":{}}}`)
	for _, f := range sc.faults["revoke"] {
		x.srv.Inject(f)
	}
	var stdout, stderr bytes.Buffer
	vars := map[string]string{"VAST_API_KEY": x.admin, "VAST_URL": x.srv.URL, "HOME": t.TempDir()}
	e := &command.Env{Args: []string{"vastguard", "revoke"}, Getenv: func(k string) string { return vars[k] },
		Stdin: strings.NewReader(leaked + "\n"), Stdout: &stdout, Stderr: &stderr, Now: x.clock.Now, Sleep: x.clock.Sleep}
	start, wall := x.clock.Now(), time.Now()
	code := command.ExitCode(command.Run(t.Context(), e), &stderr)
	fake, real := x.clock.Now().Sub(start), time.Since(wall)
	out := stdout.String() + stderr.String()
	if code != sc.revoke.code || !strings.Contains(out, sc.revoke.msg) {
		t.Errorf("revoke = %d, want %d with %q:\n%s", code, sc.revoke.code, sc.revoke.msg, out)
	}
	k, _ := x.srv.Key(id)
	alive := 0
	if !k.Deleted {
		alive = 1
	}
	if alive != sc.revoke.alive {
		t.Errorf("leaked key alive = %d, want %d:\n%s", alive, sc.revoke.alive, out)
	}
	redacted := "..." + leaked[len(leaked)-4:]
	loud := loudness(t, alive, func() bool {
		return code == 1 && strings.Contains(stdout.String(), redacted+"  sha256 ") && strings.Contains(stderr.String(), "1 of 1 keys may still be live")
	})
	assertNoSecret(t, "revoke", out, leaked, x.admin)
	return matrixRow{sc.name, "revoke", fmt.Sprint(code), alive, loud, fake, real}
}

// cancelDuringLateCreate cancels the job while the API is still making
// the key, and lets the API finish only once the post step is looking for
// it: the main step gives the create its grace (5 s, real time), cannot
// find the key, and saves when it sent the create; the post step keeps
// looking by name and deletes the key when it appears.
func cancelDuringLateCreate(t *testing.T, x *e2e) *runnertest.Step {
	release := make(chan struct{})
	x.srv.Inject(vasttest.CreateWhenReleased(release))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan *runnertest.Step, 1)
	go func() {
		s, err := x.job.RunStep(ctx, "vast", x.with(nil))
		if err != nil {
			s = &runnertest.Step{Code: -1, Stderr: err.Error()}
		}
		done <- s
	}()
	waitFor(t, func() bool { return x.srv.Holding() == 1 })
	cancel()
	main := <-done
	if main.State[stateUnsettled] == "" {
		t.Errorf("the main step did not save when the create was sent: %v", main.State)
	}
	// The key appears while the post step waits between two looks.
	var once atomic.Bool
	x.clock.setOnSleep(func() {
		if once.CompareAndSwap(false, true) {
			close(release)
			waitFor(t, func() bool { return len(x.minted()) == 1 })
		}
	})
	return main
}

// TestPostLatencyIsBounded: an API that stops answering makes the post step
// give up at cleanup-timeout, loudly, in real time.
func TestPostLatencyIsBounded(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "binary")
	main := x.step("vast", map[string]string{"cleanup-timeout": "2s"})
	if main.Code != 0 {
		t.Fatalf("mint: %d %s", main.Code, main.Stdout)
	}
	x.srv.Inject(vasttest.Fault{Route: "delete", Delay: time.Minute, Times: -1})
	start := time.Now()
	post := x.posts()[0]
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("post took %v with cleanup-timeout 2s", d)
	}
	if post.Code != 1 || !strings.Contains(post.Stdout, "::error title=vastguard cleanup::could not delete key") {
		t.Errorf("post = %d\n%s", post.Code, post.Stdout)
	}
	if len(x.liveMinted()) != 1 {
		t.Error("the key should be left for sweep")
	}
}

// TestMintAgainstAnUnreachableAPI: nothing was sent, so nothing can exist:
// the main step says the API is unreachable and the post step, having
// nothing to look for, passes quietly instead of warning of a live key.
func TestMintAgainstAnUnreachableAPI(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	main := x.step("vast", map[string]string{"api-url": "http://127.0.0.1:1"})
	if main.Code != 1 || !strings.Contains(main.Stdout, "cannot reach the Vast API at http://127.0.0.1:1 (check the api-url input") {
		t.Errorf("main = %d\n%s", main.Code, main.Stdout)
	}
	post := x.posts()[0]
	if post.Code != 0 || !strings.Contains(post.Stdout, "nothing was minted") {
		t.Errorf("post = %d\n%s", post.Code, post.Stdout)
	}
}
