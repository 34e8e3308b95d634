package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/internal/ghactions/runnertest"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// sweepFixture seeds an account: two expired keys the Action minted, one
// still valid, and keys it must never touch (hand-made names, names that
// only look like the Action's).
type sweepFixture struct {
	srv     *vasttest.Server
	vars    map[string]string
	expired []int64 // oldest first
}

func newSweepFixture(t *testing.T) *sweepFixture {
	t.Helper()
	srv, vars := fakeAPI(t)
	f := &sweepFixture{srv: srv, vars: vars}
	user := srv.LiveKeys()[0].UserID
	now := time.Now().UTC().Truncate(time.Second)
	ro := `{"api":{"user_read":{}}}`
	name := func(exp time.Time) string {
		return keyname.Name{Repository: "acme/gpu-tests", RunID: 42, Attempt: 1, Job: "train", Label: "vast", Expires: exp, Nonce: keyname.NewNonce()}.String()
	}
	id, _ := srv.AddKey(user, name(now.Add(-time.Hour)), ro)
	old, _ := srv.AddKey(user, name(now.Add(-48*time.Hour)), ro)
	f.expired = []int64{old, id}
	srv.AddKey(user, name(now.Add(time.Hour)), ro) // not expired yet
	for _, n := range []string{
		"laptop",
		"vastguard",
		"vastguard:acme/gpu-tests:run-42-1:train:vast:exp-20200101T000000Z",        // no nonce
		"vastguard:acme/gpu-tests:run-42-1:train:vast:exp-2020-01-01:abcdef",       // not our time format
		"ci-vastguard:acme/gpu-tests:run-42-1:train:vast:exp-20200101T000000Z:abc", // another prefix
	} {
		srv.AddKey(user, n, ro)
	}
	return f
}

func (f *sweepFixture) liveIDs() []int64 {
	var ids []int64
	for _, k := range f.srv.LiveKeys() {
		ids = append(ids, k.ID)
	}
	return ids
}

func (f *sweepFixture) deletes() int {
	n := 0
	for _, r := range f.srv.Requests() {
		if r.Method == "DELETE" {
			n++
		}
	}
	return n
}

func TestSweepDeletesOnlyExpiredKeysItMinted(t *testing.T) {
	t.Parallel()
	f := newSweepFixture(t)
	all := f.liveIDs()

	r := runCLI(t, f.vars, "sweep", "--dry-run")
	if r.code != 0 || f.deletes() != 0 {
		t.Fatalf("dry run = %d, %d deletes\n%s%s", r.code, f.deletes(), r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "2 expired vastguard keys to delete; 1 not expired yet; 6 other keys left alone.") ||
		strings.Count(r.stdout, "would delete (dry run)") != 2 {
		t.Errorf("dry run stdout:\n%s", r.stdout)
	}

	r = runCLI(t, f.vars, "sweep")
	if r.code != 0 {
		t.Fatalf("sweep = %d %s", r.code, r.stderr)
	}
	want := slices.DeleteFunc(slices.Clone(all), func(id int64) bool { return slices.Contains(f.expired, id) })
	if diff := cmp.Diff(want, f.liveIDs()); diff != "" {
		t.Errorf("live keys after sweep (-want +got):\n%s", diff)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], strconv.FormatInt(f.expired[0], 10)+" ") || !strings.HasSuffix(lines[1], "deleted") {
		t.Errorf("sweep stdout (oldest first):\n%s", r.stdout)
	}
	if lines[3] != "2 expired vastguard keys deleted; 1 not expired yet; 6 other keys left alone." {
		t.Errorf("last line %q", lines[3])
	}

	r = runCLI(t, f.vars, "sweep")
	if r.code != 0 || r.stdout != "0 expired vastguard keys deleted; 1 not expired yet; 6 other keys left alone.\n" {
		t.Errorf("second sweep = %d %q", r.code, r.stdout)
	}
	assertNoSecret(t, "sweep", r.all(), f.vars["VAST_API_KEY"])
}

func TestSweepFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fault    vasttest.Fault
		wantCode int
		want     []string
		deleted  int
	}{
		{"a key deleted meanwhile is already gone", vasttest.Fault{Route: "delete", Status: 404}, 0,
			[]string{"already gone", "2 expired vastguard keys deleted"}, 1},
		{"a refused delete stops the sweep", vasttest.Fault{Route: "delete", Status: 403, Times: -1}, 1,
			[]string{"FAILED: delete key", "not tried (an earlier delete failed)", "0 expired vastguard keys deleted, 2 NOT deleted", "vastguard: sweep: 2 expired keys not deleted"}, 0},
		{"a 404 auth failure is not already gone", vasttest.Fault{Route: "delete", Status: 404, Body: vasttest.Dead404.Body, Times: -1}, 1,
			[]string{"FAILED: the Vast API rejected the key (404 Invalid user key)", "0 expired vastguard keys deleted, 2 NOT deleted"}, 0},
		{"a 404 web page is not already gone", vasttest.Fault{Route: "delete", Status: 404, Body: "<html><title>Not Found</title></html>", Times: -1}, 1,
			[]string{"FAILED: delete key", "has no such endpoint", "2 NOT deleted"}, 0},
		{"success=false is not deleted", withTimes(vasttest.SuccessFalse("delete", false, "error", "nope"), -1), 1,
			[]string{"FAILED: delete key", "success=false: nope", "2 NOT deleted"}, 0},
		{"listing fails", vasttest.Fault{Route: "list", Status: 401, Times: -1}, 1,
			[]string{"vastguard: the Vast API rejected the key"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newSweepFixture(t)
			f.srv.Inject(tt.fault)
			before := len(f.srv.LiveKeys())
			r := runCLI(t, f.vars, "sweep")
			if r.code != tt.wantCode {
				t.Errorf("code = %d, want %d", r.code, tt.wantCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.all(), w) {
					t.Errorf("output lacks %q:\n%s%s", w, r.stdout, r.stderr)
				}
			}
			if got := before - len(f.srv.LiveKeys()); got != tt.deleted {
				t.Errorf("%d keys deleted, want %d", got, tt.deleted)
			}
		})
	}
}

// TestActionSweep runs sweep as the Action's command: the table goes to the
// log with workflow commands off, and to the job summary; swept is set.
func TestActionSweep(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			x := newE2E(t, mode)
			user := x.srv.LiveKeys()[0].UserID
			exp := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
			name := keyname.Name{Repository: "acme/old", RunID: 7, Attempt: 2, Job: "j", Label: "s", Expires: exp, Nonce: "abcdef"}.String()
			expired, _ := x.srv.AddKey(user, name, `{"api":{"misc":{}}}`)
			x.srv.AddKey(user, "::error::not a command", `{"api":{"misc":{}}}`)

			dry := x.step("sweep", map[string]string{"command": "sweep", "dry-run": "true"})
			if dry.Code != 0 || dry.Outputs["swept"] != "1" || len(x.srv.LiveKeys()) != 3 {
				t.Fatalf("dry run = %d %v\n%s", dry.Code, dry.Outputs, dry.Stdout)
			}
			s := x.step("sweep", map[string]string{"command": "sweep"})
			if s.Code != 0 || s.Outputs["swept"] != "1" {
				t.Fatalf("sweep = %d %v\n%s", s.Code, s.Outputs, s.Stdout)
			}
			if k, _ := x.srv.Key(expired); !k.Deleted {
				t.Error("the expired key is still live")
			}
			if len(x.srv.LiveKeys()) != 2 {
				t.Errorf("sweep deleted more than the expired key")
			}
			lines := strings.Split(strings.TrimSuffix(s.Stdout, "\n"), "\n")
			tok, ok := strings.CutPrefix(lines[0], "::stop-commands::")
			if !ok || lines[len(lines)-1] != "::"+tok+"::" || len(tok) < 16 {
				t.Errorf("the log is not wrapped in stop-commands:\n%s", s.Stdout)
			}
			wantRow := fmt.Sprintf("| %d | `%s` | %s | deleted |", expired, name, exp.Format(time.RFC3339))
			if !strings.HasPrefix(s.Summary, "### vastguard sweep\n") || !strings.Contains(s.Summary, wantRow) {
				t.Errorf("summary lacks %q:\n%s", wantRow, s.Summary)
			}
			posts := x.posts()
			for _, p := range posts {
				if p.Code != 0 || !strings.Contains(p.Stdout, "nothing was minted") {
					t.Errorf("post after sweep = %d %q", p.Code, p.Stdout)
				}
			}
			x.assertNoLeak(append([]*runnertest.Step{dry, s}, posts...)...)
		})
	}
}

func TestActionSweepFailureIsAnnotated(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	user := x.srv.LiveKeys()[0].UserID
	var ids []int64
	for i := range 12 {
		exp := time.Now().Add(-time.Duration(i+1) * time.Hour).UTC().Truncate(time.Second)
		id, _ := x.srv.AddKey(user, keyname.Name{Repository: "a/b", RunID: int64(i), Attempt: 1, Job: "j", Label: "s", Expires: exp, Nonce: "abcdef"}.String(), `{"api":{"misc":{}}}`)
		ids = append(ids, id)
	}
	x.srv.Inject(vasttest.Fault{Route: "delete", Status: 403, Times: -1})
	s := x.step("sweep", map[string]string{"command": "sweep"})
	if s.Code != 1 {
		t.Fatalf("sweep = %d", s.Code)
	}
	var anns []string
	for _, l := range strings.Split(s.Stdout, "\n") {
		if strings.HasPrefix(l, "::error") {
			anns = append(anns, l)
		}
	}
	want := []string{
		fmt.Sprintf("::error title=vastguard sweep::could not delete expired key %d %s: delete key %d: the Vast API refused (403 Forbidden)", ids[11], x.srv.LiveKeys()[12].Name, ids[11]),
		"::error title=vastguard sweep::11 more expired keys were not tried after that; the job summary lists them",
	}
	if len(anns) != 2 || !strings.HasPrefix(anns[0], want[0]) || anns[1] != want[1] {
		t.Errorf("annotations:\n%s\nwant:\n%s", strings.Join(anns, "\n"), strings.Join(want, "\n"))
	}
	for _, id := range ids {
		if !strings.Contains(s.Summary, fmt.Sprintf("| %d |", id)) {
			t.Errorf("summary lacks key %d", id)
		}
	}
}

// TestSweepAndAuditRefuseANamelessList: the Vast docs list no name field
// for keys; if the list really has none, sweep and audit must say they
// cannot do their job, not pass.
func TestSweepAndAuditRefuseANamelessList(t *testing.T) {
	t.Parallel()
	srv, vars := fakeAPI(t)
	srv.Inject(vasttest.Fault{Route: "list", Status: 200, Body: `{"apikeys": [{"id": 1001, "user_id": 101, "rights": null}]}`, Times: -1})
	res := runCLI(t, vars, "sweep")
	if res.code != 1 || !strings.Contains(res.stderr, "shows no key names") {
		t.Errorf("sweep = %d %q", res.code, res.stderr)
	}
	res = runCLI(t, vars, "audit")
	if res.code != 1 || !strings.Contains(res.stderr, "audit: incomplete: the key list shows no names") || !strings.Contains(res.stderr, "shows no permissions") {
		t.Errorf("audit = %d %q", res.code, res.stderr)
	}
}
