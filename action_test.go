package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/internal/ghactions/runnertest"
	"github.com/vastguard/vastguard/internal/keyname"
	"github.com/vastguard/vastguard/vast"
	"github.com/vastguard/vastguard/vast/vasttest"
	"gopkg.in/yaml.v3"
)

// actionManifest is the part of action.yml the runner reads.
type actionManifest struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Author      string `yaml:"author"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string  `yaml:"description"`
		Required    bool    `yaml:"required"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using          string            `yaml:"using"`
		Image          string            `yaml:"image"`
		Args           []string          `yaml:"args"`
		Entrypoint     string            `yaml:"entrypoint"`
		PostEntrypoint string            `yaml:"post-entrypoint"`
		PostIf         string            `yaml:"post-if"`
		Env            map[string]string `yaml:"env"`
	} `yaml:"runs"`
}

var readManifest = sync.OnceValues(func() (*actionManifest, error) {
	b, err := os.ReadFile("action.yml")
	if err != nil {
		return nil, err
	}
	var m actionManifest
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("action.yml: %w", err)
	}
	return &m, nil
})

func manifest(t testing.TB) *actionManifest {
	t.Helper()
	m, err := readManifest()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// inputDefaults is what the runner sets for inputs a step does not pass.
func (m *actionManifest) inputDefaults() map[string]string {
	d := map[string]string{}
	for name, in := range m.Inputs {
		if in.Default != nil {
			d[name] = *in.Default
		} else {
			d[name] = ""
		}
	}
	return d
}

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
	// Every input of the code is in action.yml with the same default and
	// description, and nothing else is.
	wantIn, gotIn := map[string][2]string{}, map[string][2]string{}
	for _, in := range actionInputs {
		wantIn[in.name] = [2]string{in.def, in.desc}
	}
	for name, in := range m.Inputs {
		if in.Default == nil {
			t.Errorf("input %s has no default", name)
			continue
		}
		gotIn[name] = [2]string{*in.Default, in.Description}
		if strings.Contains(*in.Default, "${{") && *in.Default != "${{ github.token }}" {
			t.Errorf("input %s: the tests' runner evaluates no expression default but ${{ github.token }}", name)
		}
	}
	if diff := cmp.Diff(wantIn, gotIn); diff != "" {
		t.Errorf("inputs: action.yml vs actionInputs (-code +action.yml):\n%s", diff)
	}
	wantOut, gotOut := map[string]string{}, map[string]string{}
	for _, o := range actionOutputs {
		wantOut[o.name] = o.desc
	}
	for name, o := range m.Outputs {
		gotOut[name] = o.Description
	}
	if diff := cmp.Diff(wantOut, gotOut); diff != "" {
		t.Errorf("outputs (-code +action.yml):\n%s", diff)
	}
	for _, a := range r.Args {
		if strings.Contains(a, "${{") {
			t.Errorf("args %q: args are printed in the log; pass values as inputs", a)
		}
	}
}

// fakeClock is a clock whose sleeps pass at once and move it on.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleeps)
}

// execBinary runs the built binary as the runner's `docker run` would:
// argv[0] is the entrypoint path, the environment is exactly the step's,
// and cancelling ctx sends SIGTERM (as the runner does after SIGINT).
func execBinary(dir string) runnertest.ExecFunc {
	return func(ctx context.Context, program string, args []string, vars map[string]string, stdout, stderr io.Writer) int {
		cmd := exec.CommandContext(ctx, filepath.Join(dir, filepath.Base(program)), args...)
		cmd.Args[0] = program
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		cmd.WaitDelay = 30 * time.Second
		for _, k := range slices.Sorted(maps.Keys(vars)) {
			cmd.Env = append(cmd.Env, k+"="+vars[k])
		}
		cmd.Stdout, cmd.Stderr = stdout, stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			fmt.Fprintf(stderr, "exec: %v\n", err)
			return -1
		}
		return 0
	}
}

// modes are the two ways the end-to-end tests run the program: the built
// binary, as the runner runs the image (real time: retries really wait),
// and in-process through run (a fake clock: retries do not wait, and the
// test sees how often they slept).
var modes = []string{"binary", "in-process"}

// e2e is one job against one fake Vast API.
type e2e struct {
	t     *testing.T
	mode  string
	srv   *vasttest.Server
	admin string // the management key (the api-key input)
	job   *runnertest.Job
	clock *fakeClock // in-process only
}

func newE2E(t *testing.T, mode string) *e2e {
	t.Helper()
	m := manifest(t)
	x := &e2e{t: t, mode: mode, srv: vasttest.NewServer(t)}
	_, x.admin = x.srv.AddAccount("ci@example.com")
	var ex runnertest.ExecFunc
	switch mode {
	case "binary":
		ex = execBinary(binaryDir(t))
	case "in-process":
		x.clock = &fakeClock{t: time.Now()}
		ex = inProcess(env{now: x.clock.Now, sleep: x.clock.Sleep})
	default:
		t.Fatalf("mode %q", mode)
	}
	job, err := runnertest.NewJob(t.TempDir(), m.inputDefaults(), m.Runs.Args, m.Runs.Entrypoint, m.Runs.PostEntrypoint, ex)
	if err != nil {
		t.Fatal(err)
	}
	x.job = job
	return x
}

// with is a step's `with:`: the management key and the fake's URL, plus
// extra (which may override them).
func (x *e2e) with(extra map[string]string) map[string]string {
	w := map[string]string{"api-key": x.admin, "api-url": x.srv.URL}
	maps.Copy(w, extra)
	return w
}

func (x *e2e) step(id string, extra map[string]string) *runnertest.Step {
	x.t.Helper()
	s, err := x.job.RunStep(x.t.Context(), id, x.with(extra))
	if err != nil {
		x.t.Fatal(err)
	}
	return s
}

func (x *e2e) posts() []*runnertest.Step {
	x.t.Helper()
	p, err := x.job.RunPosts(x.t.Context())
	if err != nil {
		x.t.Fatal(err)
	}
	return p
}

// minted returns the keys the job created (all but the management key).
func (x *e2e) minted() []vasttest.Key {
	var out []vasttest.Key
	for _, k := range x.srv.Keys() {
		if k.Value != x.admin {
			out = append(out, k)
		}
	}
	return out
}

func (x *e2e) liveMinted() []vasttest.Key {
	var out []vasttest.Key
	for _, k := range x.minted() {
		if !k.Deleted {
			out = append(out, k)
		}
	}
	return out
}

// requests counts the API requests by method.
func (x *e2e) requests() map[string]int {
	n := map[string]int{}
	for _, r := range x.srv.Requests() {
		n[r.Method]++
	}
	return n
}

// assertNoLeak checks every byte the steps wrote (stdout, stderr, every
// file-command file) and every file under the fake runner's directories.
// The management key appears nowhere. A minted key appears only as the one
// "::add-mask::" line, which is the first line the step printed, as the
// api-key output, and as VAST_API_KEY in GITHUB_ENV; nowhere else, and
// never in a file of the workspace, HOME or RUNNER_TEMP.
func (x *e2e) assertNoLeak(steps ...*runnertest.Step) {
	t := x.t
	t.Helper()
	var minted []string
	for _, k := range x.minted() {
		minted = append(minted, k.Value)
	}
	for _, s := range steps {
		where := fmt.Sprintf("%s step %s", map[bool]string{false: "main", true: "post"}[s.Post], s.ID)
		streams := map[string]string{"stdout": s.Stdout, "stderr": s.Stderr}
		for k, v := range s.Files {
			streams[k] = string(v)
		}
		for name, text := range streams {
			if strings.Contains(text, x.admin) {
				t.Errorf("%s: %s contains the management key", where, name)
			}
		}
		if n := strings.Count(s.Stdout, "::add-mask::"); n > 1 {
			t.Errorf("%s: %d add-mask lines, want at most one", where, n)
		}
		for _, v := range minted {
			masked := strings.Count(s.Stdout, v) == 1
			for name, text := range streams {
				n := strings.Count(text, v)
				allowed := 0
				switch name {
				case "stdout":
					allowed = 1
					if n == 1 && !strings.HasPrefix(s.Stdout, "::add-mask::"+v+"\n") {
						t.Errorf("%s: the key appears on stdout other than as the first line ::add-mask::KEY", where)
					}
				case "GITHUB_OUTPUT":
					allowed = 1
					if n == 1 && (s.Outputs["api-key"] != v || !masked) {
						t.Errorf("%s: the key is in GITHUB_OUTPUT other than as the masked api-key output", where)
					}
				case "GITHUB_ENV":
					allowed = 1
					if n == 1 && (s.Exported["VAST_API_KEY"] != v || !masked) {
						t.Errorf("%s: the key is in GITHUB_ENV other than as the masked VAST_API_KEY", where)
					}
				}
				if n > allowed {
					t.Errorf("%s: %s holds the minted key ...%s %d times", where, name, v[len(v)-4:], n)
				}
			}
		}
	}
	filepath.WalkDir(x.job.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(filepath.Dir(path)) == "file_commands" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, v := range append(minted, x.admin) {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s holds a key", path)
			}
		}
		return nil
	})
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

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
		check        func(t *testing.T, x *e2e, main, post *runnertest.Step)
	}{
		{
			name: "calm", wantRequests: map[string]int{"POST": 1, "DELETE": 1},
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
				if want := fmt.Sprintf("vastguard: deleted key %d %s\n", k.ID, k.Name); post.Stdout != want {
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
			wantRequests: map[string]int{"POST": 2, "DELETE": 2}, wantSleeps: 2,
		},
		{
			name: "5xx during the delete",
			before: func(x *e2e) {
				x.srv.Inject(vasttest.Fault{Route: "delete", Status: 500, Times: 2})
				x.srv.Inject(vasttest.Fault{Route: "delete", Status: 503, Body: "<html><title>Maintenance</title></html>"})
			},
			wantRequests: map[string]int{"POST": 1, "DELETE": 4}, wantSleeps: 3,
		},
		{
			name: "the key is already gone at post time",
			between: func(x *e2e) {
				c, _ := vastClient(x, x.admin)
				if err := c.DeleteKey(x.t.Context(), x.minted()[0].ID); err != nil {
					x.t.Fatal(err)
				}
			},
			wantRequests: map[string]int{"POST": 1, "DELETE": 2},
			check: func(t *testing.T, x *e2e, main, post *runnertest.Step) {
				if !strings.Contains(post.Stdout, "is already gone (the API answered 404)") {
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
			between:  func(x *e2e) { x.srv.ClearFaults() },
			wantMain: 1, wantRequests: map[string]int{"POST": 1, "GET": 2, "DELETE": 1},
			check: func(t *testing.T, x *e2e, main, post *runnertest.Step) {
				k := x.minted()[0]
				if main.State[stateKeyName] != k.Name || main.State[stateKeyID] != "" || len(main.Outputs) != 0 {
					t.Errorf("state %v, outputs %v: want the name alone", main.State, main.Outputs)
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
		for _, mode := range modes {
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
				if diff := cmp.Diff(tt.wantRequests, x.requests()); diff != "" {
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
				if p.Code != 0 || p.Stdout != fmt.Sprintf("vastguard: deleted key %d %s\n", k.ID, k.Name) {
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
			if post.Code != 0 || post.Stdout != fmt.Sprintf("vastguard: deleted key %d %s\n", k.ID, k.Name) {
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
	if main.Code != 1 || !strings.Contains(main.Stdout, "::error title=vastguard::cancelled while creating the key") || main.State[stateKeyName] == "" {
		t.Errorf("main = %d %q, state %v", main.Code, main.Stdout, main.State)
	}
	post := x.posts()[0]
	if post.Code != 0 || !strings.Contains(post.Stdout, "no key named "+main.State[stateKeyName]+" exists") {
		t.Errorf("post = %d %q", post.Code, post.Stdout)
	}
	if len(x.minted()) != 0 {
		t.Error("a key was created")
	}
	x.assertNoLeak(main, post)
}

// waitFor polls cond for up to 30 s (a loaded machine is slow, never that
// slow).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(2 * time.Millisecond)
	}
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

// vastClient is a client for the fake with the given key.
func vastClient(x *e2e, key string) (*vast.Client, error) {
	return vast.New(key, vast.WithBaseURL(x.srv.URL), vast.WithHTTPClient(x.srv.Client()))
}
