package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/internal/ghactions/runnertest"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/vast"
	"github.com/vastguard/vastguard/vast/vasttest"
)

func TestActionManifest(t *testing.T) {
	t.Parallel()
	m := manifest(t)
	r := m.Runs
	got := []string{r.Using, r.Image, strings.Join(r.Args, " "), r.Entrypoint, r.PostEntrypoint, r.PostIf}
	want := []string{"docker", "Dockerfile", "action", "/vastguard", "/vastguard-post", "always() && env.VASTGUARD_SKIP_CLEANUP != 'true'"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if m.Name == "" || m.Description == "" || m.Branding.Icon == "" || m.Branding.Color == "" {
		t.Errorf("name, description and branding are required for the Marketplace: %+v", m)
	}
	for name, in := range m.Inputs {
		if in.Default == nil {
			t.Errorf("input %s has no default", name)
			continue
		}
		if strings.Contains(*in.Default, "${{") && *in.Default != "${{ github.token }}" {
			t.Errorf("input %s: the tests' runner evaluates no expression default but ${{ github.token }}", name)
		}
	}
	// The inputs and outputs match the code's tables: internal/command's
	// TestActionYMLMatchesTheInputTable.
	for _, a := range r.Args {
		if strings.Contains(a, "${{") {
			t.Errorf("args %q: args are printed in the log; pass values as inputs", a)
		}
	}
}

func TestActionEndToEnd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		with         map[string]string
		before       func(x *e2e) // before the main step
		between      func(x *e2e) // between main and post
		wantMain     int
		wantPost     int
		wantLive     int            // minted keys still live at the end
		wantRequests map[string]int // by method, over the whole job
		wantSleeps   int            // backoff sleeps (in-process); -1: at least one
		modes        []string       // default: both
		check        func(t *testing.T, x *e2e, main, post *runnertest.Step)
	}{
		{
			name: "calm", wantRequests: map[string]int{"POST": 1, "DELETE": 1, "GET": 1},
			check: func(t *testing.T, x *e2e, main, post *runnertest.Step) {
				k := x.minted()[0]
				kn, ok := keyname.Parse(k.Name)
				if !ok {
					t.Fatalf("minted name %q does not parse", k.Name)
				}
				want := keyname.Name{Repository: "acme/gpu-tests", RunID: 9876543210, Attempt: 1, Job: "train", Label: "vast", Expires: kn.Expires, Nonce: kn.Nonce}
				if diff := cmp.Diff(want, kn); diff != "" {
					t.Errorf("name (-want +got):\n%s", diff)
				}
				if d := time.Until(kn.Expires); d < 5*time.Hour || d > 6*time.Hour+time.Minute {
					t.Errorf("expires in %v, want the default ttl 6h", d)
				}
				wantOut := map[string]string{"api-key": k.Value, "key-id": strconv.FormatInt(k.ID, 10), "key-name": k.Name, "expires-at": kn.Expires.Format(time.RFC3339)}
				if diff := cmp.Diff(wantOut, main.Outputs); diff != "" {
					t.Errorf("outputs (-want +got):\n%s", diff)
				}
				if _, err := time.Parse(time.RFC3339Nano, main.State[stateCreateSent]); err != nil {
					t.Errorf("the create's time is not saved: %v", err)
				}
				delete(main.State, stateCreateSent)
				if diff := cmp.Diff(map[string]string{stateKeyName: k.Name, stateKeyID: strconv.FormatInt(k.ID, 10)}, main.State); diff != "" {
					t.Errorf("state (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(map[string]string{"VAST_API_KEY": k.Value}, main.Exported); diff != "" {
					t.Error("GITHUB_ENV is not VAST_API_KEY alone")
				}
				if !hex64.MatchString(k.Value) || k.Permissions != `{"api":{"billing_read":{},"instance_read":{},"machine_read":{},"team_read":{},"user_read":{}}}` {
					t.Errorf("minted key permissions %s, want read-only", k.Permissions)
				}
				lines := strings.Split(strings.TrimSuffix(main.Stdout, "\n"), "\n")
				if len(lines) != 2 || !strings.HasPrefix(lines[1], fmt.Sprintf("vastguard: minted key %d %s (", k.ID, k.Name)) {
					t.Errorf("main stdout = %q", lines)
				}
				for _, w := range []string{k.Name, strconv.FormatInt(k.ID, 10), "billing\\_read", kn.Expires.Format(time.RFC3339)} {
					if !strings.Contains(main.Summary, w) {
						t.Errorf("summary lacks %q:\n%s", w, main.Summary)
					}
				}
				if want := fmt.Sprintf("vastguard: deleted key %d %s\nvastguard: key %d in the audit log: no calls in the audit log\n", k.ID, k.Name, k.ID); post.Stdout != want {
					t.Errorf("post stdout = %q, want %q", post.Stdout, want)
				}
				for _, r := range x.srv.Requests() {
					if r.Token != x.admin || r.Query != "" {
						t.Errorf("request %s %s with token ...%s and query %q: want the management key as bearer only", r.Method, r.Path, r.Token[len(r.Token)-4:], r.Query)
					}
				}
			},
		},
		{
			name: "429 on the first try of every request",
			before: func(x *e2e) {
				x.srv.Inject(vasttest.Fault{Route: "create", Status: 429})
				x.srv.Inject(vasttest.Fault{Route: "delete", Status: 429})
			},
			wantRequests: map[string]int{"POST": 2, "DELETE": 2, "GET": 1}, wantSleeps: 2,
		},
		{
			name: "5xx during the delete",
			before: func(x *e2e) {
				x.srv.Inject(vasttest.Fault{Route: "delete", Status: 500, Times: 2})
				x.srv.Inject(vasttest.Fault{Route: "delete", Status: 503, Body: "<html><title>Maintenance</title></html>"})
			},
			wantRequests: map[string]int{"POST": 1, "DELETE": 4, "GET": 1}, wantSleeps: 3,
		},
		{
			name: "the key is already gone at post time",
			between: func(x *e2e) {
				c, _ := vastClient(x, x.admin)
				if err := c.DeleteKey(x.t.Context(), x.minted()[0].ID); err != nil {
					x.t.Fatal(err)
				}
			},
			wantRequests: map[string]int{"POST": 1, "DELETE": 2, "GET": 1},
			check: func(t *testing.T, x *e2e, main, post *runnertest.Step) {
				if !strings.Contains(post.Stdout, "is already gone (the API answered 404 API Key not found.)") {
					t.Errorf("post stdout = %q", post.Stdout)
				}
			},
		},
		{
			name:     "the API is unreachable during post",
			with:     map[string]string{"cleanup-timeout": "3s"},
			between:  func(x *e2e) { x.srv.Close() },
			wantPost: 1, wantLive: 1, wantRequests: map[string]int{"POST": 1}, wantSleeps: -1,
			check: func(t *testing.T, x *e2e, main, post *runnertest.Step) {
				k := x.minted()[0]
				lines := strings.Split(strings.TrimSuffix(post.Stdout, "\n"), "\n")
				wantAnn := fmt.Sprintf("::error title=vastguard cleanup::could not delete key %d %s: delete key: cannot reach the Vast API at %s", k.ID, k.Name, x.srv.URL)
				if len(lines) != 1 || !strings.HasPrefix(lines[0], wantAnn) {
					t.Errorf("post stdout = %q\nwant one line starting %q", post.Stdout, wantAnn)
				}
				kn, _ := keyname.Parse(k.Name)
				for _, w := range []string{"The key is still live: `vastguard sweep` deletes it after " + kn.Expires.Format(time.RFC3339), fmt.Sprintf("vastguard keys delete %d", k.ID)} {
					if !strings.Contains(post.Stdout, w) || !strings.Contains(post.Summary, w) {
						t.Errorf("annotation and summary should say %q", w)
					}
				}
				if !strings.Contains(post.Summary, fmt.Sprintf("| %d | `%s` |", k.ID, k.Name)) {
					t.Errorf("summary does not name the key:\n%s", post.Summary)
				}
			},
		},
		{
			name:     "nothing minted",
			with:     map[string]string{"api-key": ""},
			wantMain: 1, wantRequests: map[string]int{},
			check: func(t *testing.T, x *e2e, main, post *runnertest.Step) {
				if !strings.Contains(main.Stdout, "Dependabot") || post.Stdout != "vastguard: nothing was minted in this step, so there is nothing to delete\n" {
					t.Errorf("main %q\npost %q", main.Stdout, post.Stdout)
				}
			},
		},
		{
			name: "the create's answer is lost and the main step cannot look for the key",
			before: func(x *e2e) {
				x.srv.Inject(vasttest.Fault{Route: "create", After: true, Drop: true})
				x.srv.Inject(vasttest.Fault{Route: "list", Status: 403, Times: -1})
			},
			between: func(x *e2e) { x.srv.ClearFaults() },
			// The post step looks by name for the whole window after the
			// create was sent: on the fake clock only.
			modes: []string{"in-process"}, wantMain: 1, wantSleeps: -1,
			check: func(t *testing.T, x *e2e, main, post *runnertest.Step) {
				k := x.minted()[0]
				if main.State[stateKeyName] != k.Name || main.State[stateKeyID] != "" || main.State[stateUnsettled] == "" || len(main.Outputs) != 0 {
					t.Errorf("state %v, outputs %v: want the name and when the create was sent", main.State, main.Outputs)
				}
				if n := x.requests(); n["POST"] != 1 || n["DELETE"] != 1 {
					t.Errorf("requests %v: want one create and one delete", n)
				}
				since, err := time.Parse(time.RFC3339Nano, main.State[stateUnsettled])
				if d := x.clock.Now().Sub(since); err != nil || d < vast.SettleWindow {
					t.Errorf("the post step stopped looking %v after the create was sent (%v), before the window of %v ended", d, err, vast.SettleWindow)
				}
				if !strings.Contains(main.Stdout, "the post step looks for a key named "+k.Name) {
					t.Errorf("main stdout = %q", main.Stdout)
				}
				if !strings.Contains(post.Stdout, fmt.Sprintf("deleted key %d %s (found by its name", k.ID, k.Name)) {
					t.Errorf("post stdout = %q", post.Stdout)
				}
			},
		},
	}
	for _, tt := range tests {
		ms := modes
		if tt.modes != nil {
			ms = tt.modes
		}
		for _, mode := range ms {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				x := newE2E(t, mode)
				if tt.before != nil {
					tt.before(x)
				}
				main := x.step("vast", tt.with)
				if main.Code != tt.wantMain {
					t.Errorf("main exit code %d, want %d\nstdout %s\nstderr %s", main.Code, tt.wantMain, main.Stdout, main.Stderr)
				}
				if tt.between != nil {
					tt.between(x)
				}
				posts := x.posts()
				post := posts[0]
				if post.Code != tt.wantPost {
					t.Errorf("post exit code %d, want %d\nstdout %s\nstderr %s", post.Code, tt.wantPost, post.Stdout, post.Stderr)
				}
				if main.Stderr != "" || post.Stderr != "" {
					t.Errorf("stderr: main %q, post %q; want everything as workflow commands on stdout", main.Stderr, post.Stderr)
				}
				if n := len(x.liveMinted()); n != tt.wantLive {
					t.Errorf("%d minted keys live at the end, want %d", n, tt.wantLive)
				}
				if diff := cmp.Diff(tt.wantRequests, x.requests()); tt.wantRequests != nil && diff != "" {
					t.Errorf("requests by method (-want +got):\n%s", diff)
				}
				if x.clock != nil && tt.wantSleeps >= 0 && x.clock.Sleeps() != tt.wantSleeps {
					t.Errorf("%d backoff sleeps, want %d", x.clock.Sleeps(), tt.wantSleeps)
				}
				if x.clock != nil && tt.wantSleeps < 0 && x.clock.Sleeps() == 0 {
					t.Error("no backoff sleep")
				}
				x.assertNoLeak(main, post)
				if tt.check != nil && !t.Failed() {
					tt.check(t, x, main, post)
				}
			})
		}
	}
}

// TestActionTwoMintsInOneJob: two uses of the action in one job each mint
// their own key, and each post step (last first) deletes its own.
func TestActionTwoMintsInOneJob(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			x := newE2E(t, mode)
			gpu := x.step("gpu", map[string]string{"permissions": "instance-management"})
			ro := x.step("__vastguard_vastguard", map[string]string{"key-name": "reader", "export-env": "false"})
			if gpu.Code != 0 || ro.Code != 0 {
				t.Fatalf("main steps = %d %q, %d %q", gpu.Code, gpu.Stdout, ro.Code, ro.Stdout)
			}
			keys := x.minted()
			if len(keys) != 2 || keys[0].Name == keys[1].Name {
				t.Fatalf("minted %+v", keys)
			}
			for i, want := range []struct{ label, out string }{{"gpu", gpu.Outputs["key-id"]}, {"reader", ro.Outputs["key-id"]}} {
				kn, _ := keyname.Parse(keys[i].Name)
				if kn.Label != want.label || strconv.FormatInt(keys[i].ID, 10) != want.out {
					t.Errorf("key %d: label %q id output %s", keys[i].ID, kn.Label, want.out)
				}
			}
			if len(ro.Exported) != 0 || x.job.Env["VAST_API_KEY"] != keys[0].Value {
				t.Errorf("export-env false still exported, or the job's VAST_API_KEY is not the first key")
			}
			posts := x.posts()
			if len(posts) != 2 || posts[0].ID != "__vastguard_vastguard" || posts[1].ID != "gpu" {
				t.Fatalf("post steps ran %v, want the last registered first", []string{posts[0].ID, posts[1].ID})
			}
			for i, p := range posts {
				k := keys[1-i]
				if p.Code != 0 || !strings.HasPrefix(p.Stdout, fmt.Sprintf("vastguard: deleted key %d %s\n", k.ID, k.Name)) {
					t.Errorf("post %s = %d %q", p.ID, p.Code, p.Stdout)
				}
			}
			if n := len(x.liveMinted()); n != 0 {
				t.Errorf("%d keys left", n)
			}
			x.assertNoLeak(gpu, ro, posts[0], posts[1])
		})
	}
}

// TestActionCancelledRightAfterCreate: the job is cancelled (SIGTERM for
// the binary) while the create's answer is on its way. The step lets that
// create finish, saves the id, and stops; the post step deletes the key by
// id.
func TestActionCancelledRightAfterCreate(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			x := newE2E(t, mode)
			x.srv.Inject(vasttest.Fault{Route: "create", Hold: 3 * time.Second})
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
			waitFor(t, func() bool { return len(x.minted()) == 1 })
			cancelled := time.Now()
			cancel()
			main := <-done
			stopped := time.Since(cancelled)
			k := x.minted()[0]
			if main.Code != 1 || main.State[stateKeyID] != strconv.FormatInt(k.ID, 10) || main.State[stateKeyName] != k.Name {
				t.Fatalf("main = %d, state %v; want exit 1 and the id saved\nstdout %s\nstderr %s", main.Code, main.State, main.Stdout, main.Stderr)
			}
			wantErr := fmt.Sprintf("::error title=vastguard::cancelled just after key %d (%s) was created; its id is saved and the post step deletes it\n", k.ID, k.Name)
			if main.Stdout != "::add-mask::"+k.Value+"\n"+wantErr {
				t.Errorf("main stdout = %q\nwant the mask line, then %q", main.Stdout, wantErr)
			}
			if len(main.Outputs) != 0 || len(main.Exported) != 0 {
				t.Errorf("a cancelled step handed the key on: outputs %v env %v", main.Outputs, main.Exported)
			}
			if stopped > createGrace+3*time.Second {
				t.Errorf("took %v to stop after the cancellation", stopped)
			}
			post := x.posts()[0]
			if post.Code != 0 || !strings.HasPrefix(post.Stdout, fmt.Sprintf("vastguard: deleted key %d %s\n", k.ID, k.Name)) {
				t.Errorf("post = %d %q", post.Code, post.Stdout)
			}
			if n := len(x.liveMinted()); n != 0 {
				t.Errorf("%d keys left", n)
			}
			x.assertNoLeak(main, post)
		})
	}
}

// TestActionCancelledWhileRateLimited: a cancellation during the create's
// backoff stops the step at once (real time, the binary), and the post step
// finds no key.
func TestActionCancelledWhileRateLimited(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "binary")
	x.srv.Inject(vasttest.Fault{Route: "create", Status: 429, Times: -1})
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
	waitFor(t, func() bool { return x.requests()["POST"] > 0 })
	cancelled := time.Now()
	cancel()
	main := <-done
	if d := time.Since(cancelled); d > 3*time.Second {
		t.Errorf("took %v to stop after the cancellation", d)
	}
	// Every attempt was refused before any work (429), so the client knows
	// no key was made: the name is cleared and the post step has nothing to
	// look for.
	if main.Code != 1 || !strings.Contains(main.Stdout, "::error title=vastguard::cancelled while creating the key") || !strings.Contains(main.Stdout, "no key was made") || main.State[stateKeyName] != "" {
		t.Errorf("main = %d %q, state %v", main.Code, main.Stdout, main.State)
	}
	post := x.posts()[0]
	if post.Code != 0 || post.Stdout != "vastguard: nothing was minted in this step, so there is nothing to delete\n" {
		t.Errorf("post = %d %q", post.Code, post.Stdout)
	}
	if len(x.minted()) != 0 {
		t.Error("a key was created")
	}
	x.assertNoLeak(main, post)
}

// BenchmarkActionMint measures the main step as the runner runs it: one
// process of the built binary per mint, against vasttest on loopback. The
// ms/mint metric is the process's wall time (start to exit), which is the
// step's own overhead: the fake answers in microseconds.
//
//	go test -run '^$' -bench BenchmarkActionMint -benchtime 100x .
func BenchmarkActionMint(b *testing.B) {
	m := manifest(b)
	dir := binaryDir(b)
	srv := vasttest.NewServer(b)
	_, admin := srv.AddAccount("bench@example.com")
	job, err := runnertest.NewJob(b.TempDir(), m.inputDefaults(), m.Runs.Args, m.Runs.Entrypoint, m.Runs.PostEntrypoint, execBinary(dir))
	if err != nil {
		b.Fatal(err)
	}
	with := map[string]string{"api-key": admin, "api-url": srv.URL, "permissions": "instance-management"}
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := job.RunStep(context.Background(), "vast", with)
		if err != nil || s.Code != 0 {
			b.Fatalf("mint: %v %d %s", err, s.Code, s.Stdout)
		}
		total += s.Duration
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/mint")
}

// TestMintReadsThePermissionsEcho: create's answer may echo the
// permissions as asked, expanded, not at all, false, or broader than
// asked. A broader key is deleted and never handed on; an unconfirmed one
// is handed on with a warning and "(unconfirmed)" in the summary.
func TestMintReadsThePermissionsEcho(t *testing.T) {
	t.Parallel()
	tests := []struct {
		echo        string
		code        int
		warn        string // a warning line holds it
		summary     string // the summary holds it
		handedOn    bool
		deletedMint bool // the main step deleted the key itself
	}{
		{vasttest.EchoObject, 0, "", "| Permissions | billing_read, instance_read, machine_read, team_read, user_read |", true, false},
		{vasttest.EchoExpanded, 0, "", "| Permissions | billing_read, instance_read, machine_read, team_read, user_read |", true, false},
		{vasttest.EchoFalse, 0, "the Vast API did not confirm the permissions of key", "(unconfirmed) |", true, false},
		{vasttest.EchoOmitted, 0, "unconfirmed (the API did not echo them); it was asked for", "(unconfirmed) |", true, false},
		{vasttest.EchoGrantFull, 1, "", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.echo, func(t *testing.T) {
			t.Parallel()
			x := newE2E(t, "in-process", vasttest.WithPermissionsEcho(tt.echo))
			main := x.step("vast", nil)
			if main.Code != tt.code {
				t.Fatalf("main = %d\n%s", main.Code, main.Stdout)
			}
			k := x.minted()[0]
			hasWarn := strings.Contains(main.Stdout, "::warning title=vastguard::")
			if tt.warn != "" && (!hasWarn || !strings.Contains(main.Stdout, tt.warn)) || tt.warn == "" && hasWarn {
				t.Errorf("warning: want %q\n%s", tt.warn, main.Stdout)
			}
			if !strings.Contains(strings.ReplaceAll(main.Summary, `\_`, "_"), tt.summary) {
				t.Errorf("summary lacks %q:\n%s", tt.summary, strings.ReplaceAll(main.Summary, `\_`, "_"))
			}
			if got := main.Outputs["api-key"] != ""; got != tt.handedOn {
				t.Errorf("handed on = %v, want %v", got, tt.handedOn)
			}
			if tt.deletedMint {
				want := fmt.Sprintf("::error title=vastguard::the Vast API made key %d (%s) with more permissions than asked (broader: api.billing_write", k.ID, k.Name)
				if !strings.HasPrefix(strings.SplitN(main.Stdout, "\n", 2)[1], want) || !strings.Contains(main.Stdout, fmt.Sprintf("key %d was deleted again", k.ID)) || !k.Deleted {
					t.Errorf("a broader key was not refused and deleted:\n%s", main.Stdout)
				}
			}
			post := x.posts()[0]
			if post.Code != 0 || len(x.liveMinted()) != 0 {
				t.Errorf("post = %d, %d keys left\n%s", post.Code, len(x.liveMinted()), post.Stdout)
			}
			x.assertNoLeak(main, post)
		})
	}
}

// TestPostSummarisesWhatTheKeyDid: the post step ends the summary with
// what the job's key did, from the audit log; a management key that may
// not read the log (no misc) gets a one-line note and the step passes.
func TestPostSummarisesWhatTheKeyDid(t *testing.T) {
	t.Parallel()
	for _, misc := range []bool{true, false} {
		t.Run(fmt.Sprintf("misc=%v", misc), func(t *testing.T) {
			t.Parallel()
			x := newE2E(t, "in-process")
			if !misc {
				uid := x.srv.Keys()[0].UserID
				_, x.admin = x.srv.AddKey(uid, "mgmt", `{"api":{"user_read":{},"user_write":{}}}`)
			}
			main := x.step("vast", nil)
			if main.Code != 0 {
				t.Fatalf("main = %d\n%s", main.Code, main.Stdout)
			}
			// A later step of the job uses the key.
			c, err := vastClient(x, main.Outputs["api-key"])
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if _, err := c.ListKeys(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			post := x.posts()[0]
			if post.Code != 0 {
				t.Fatalf("post = %d\n%s", post.Code, post.Stdout)
			}
			id := main.Outputs["key-id"]
			want := []string{"#### What key " + id + " did (audit log)", "2 calls from 1 IP (127.0.0.1 ×2) between ", "; key list or creation 2.", "| /api/v0/auth/apikeys/ | 2 |"}
			if !misc {
				want = []string{"Audit log: not readable with this key (403 "}
			}
			for _, w := range want {
				if !strings.Contains(post.Summary, w) {
					t.Errorf("summary lacks %q:\n%s", w, post.Summary)
				}
			}
			if strings.Contains(post.Stdout, "::error") || strings.Contains(post.Stdout, "::warning") {
				t.Errorf("the audit log made an annotation:\n%s", post.Stdout)
			}
			x.assertNoLeak(main, post)
		})
	}
}
