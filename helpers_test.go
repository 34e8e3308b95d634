package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vastguard/vastguard/ghapi/ghtest"
	"github.com/vastguard/vastguard/internal/command"
	"github.com/vastguard/vastguard/internal/demo"
	"github.com/vastguard/vastguard/internal/ghactions/runnertest"
	"github.com/vastguard/vastguard/scan/scantest"
	"github.com/vastguard/vastguard/vast"
	"github.com/vastguard/vastguard/vast/vasttest"
	"gopkg.in/yaml.v3"
)

// The whole-program tests' helpers: running the program in-process
// (runCLI) and as the runner runs the image (newE2E, in-process or the
// built binary), fakes set up as a user would meet them, and the leak
// checks. The tests see the program from outside: through command.Run and
// its output, with the names and numbers the README promises.

// result is what one run of the program wrote.
type result struct {
	stdout, stderr string
	code           int
}

// all is everything the run wrote, for leak checks.
func (r result) all() string { return r.stdout + r.stderr }

// runCLI runs the program in-process with the given environment.
func runCLI(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	return runCLIStdin(t, vars, "", args...)
}

func runCLIStdin(t *testing.T, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &command.Env{
		Args:   append([]string{"vastguard"}, args...),
		Getenv: func(k string) string { return vars[k] },
		Stdin:  strings.NewReader(stdin),
		Stdout: &stdout,
		Stderr: &stderr,
		Now:    time.Now,
		Sleep:  func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	}
	err := command.Run(t.Context(), e)
	code := command.ExitCode(err, &stderr)
	return result{stdout.String(), stderr.String(), code}
}

// fakeAPI starts vasttest with one account and returns the environment a
// user would set: VAST_API_KEY and VAST_URL, HOME pointing at an empty dir.
func fakeAPI(t *testing.T, opts ...vasttest.Option) (*vasttest.Server, map[string]string) {
	t.Helper()
	srv := vasttest.NewServer(t, opts...)
	_, key := srv.AddAccount("cli@example.com")
	return srv, map[string]string{"VAST_API_KEY": key, "VAST_URL": srv.URL, "HOME": t.TempDir()}
}

// assertNoSecret fails if any of the secrets appears in out.
func assertNoSecret(t *testing.T, where, out string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("%s contains a secret ...%s", where, s[len(s)-4:])
		}
	}
}

// runDemoChecked runs the demo as `vastguard demo` does, but against a
// fake the test can inspect, and checks
// that no key the demo handled (the fake's, the demo repositories') appears
// in anything it printed.
func runDemoChecked(t *testing.T) result {
	t.Helper()
	srv := vasttest.NewServer(t)
	var stdout, stderr bytes.Buffer
	cfg := command.DemoConfig(&command.Env{Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr, Now: time.Now})
	cfg.Fake = srv
	code := command.ExitCode(demo.Run(t.Context(), cfg), &stderr)
	r := result{stdout.String(), stderr.String(), code}
	if r.code != 0 {
		t.Fatalf("demo = %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var secrets []string
	for _, k := range srv.Keys() {
		secrets = append(secrets, k.Value)
	}
	if len(secrets) < 2 {
		t.Fatalf("the demo made %d keys on the fake", len(secrets))
	}
	for n := 0; n < 200; n++ {
		secrets = append(secrets, scantest.Key(n))
	}
	assertNoSecret(t, "demo output", r.all(), secrets...)
	return r
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

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

// fakeClock is a clock whose sleeps pass at once and move it on.
type fakeClock struct {
	mu      sync.Mutex
	t       time.Time
	sleeps  []time.Duration
	onSleep func() // called at each sleep, before the clock moves
}

// setOnSleep sets a function called at each sleep, so a test can act
// "while" the program waits.
func (c *fakeClock) setOnSleep(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onSleep = f
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
	hook := c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook()
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

// newE2E starts a job against a fake Vast API with opts (its modes). In
// process, the program and the fake share one fake clock, so the fake's
// rate limits see the program's waits.
func newE2E(t *testing.T, mode string, opts ...vasttest.Option) *e2e {
	t.Helper()
	m := manifest(t)
	x := &e2e{t: t, mode: mode}
	var ex runnertest.ExecFunc
	switch mode {
	case "binary":
		ex = execBinary(binaryDir(t))
	case "in-process":
		x.clock = &fakeClock{t: time.Now()}
		opts = append([]vasttest.Option{vasttest.WithClock(x.clock.Now)}, opts...)
		ex = inProcess(command.Env{Now: x.clock.Now, Sleep: x.clock.Sleep})
	default:
		t.Fatalf("mode %q", mode)
	}
	x.srv = vasttest.NewServer(t, opts...)
	_, x.admin = x.srv.AddAccount("ci@example.com")
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

// vastClient is a client for the fake with the given key.
func vastClient(x *e2e, key string) (*vast.Client, error) {
	return vast.New(key, vast.WithBaseURL(x.srv.URL), vast.WithHTTPClient(x.srv.Client()))
}

// withGitHub points the job at a fake GitHub API with acme/gpu-tests, as
// a runner sets GITHUB_API_URL, GITHUB_SHA and GITHUB_REF.
func withGitHub(t *testing.T, x *e2e) *ghtest.Server {
	gh := ghtest.NewServer(t)
	gh.AddRepo(ghtest.Repo{Owner: "acme", Name: "gpu-tests"})
	x.job.Env["GITHUB_API_URL"] = gh.URL
	x.job.Env["GITHUB_SHA"] = strings.Repeat("c", 40)
	x.job.Env["GITHUB_REF"] = "refs/heads/main"
	return gh
}

// workspaceTB builds a scantest repository in the job's workspace.
type workspaceTB struct {
	*testing.T
	dir string
}

func (w workspaceTB) TempDir() string { return w.dir }

func workspaceRepo(x *e2e) *scantest.Repo {
	return scantest.New(workspaceTB{x.t, x.job.Env["GITHUB_WORKSPACE"]})
}

// assertNoScanLeak checks that no key of the repository appears in
// anything the step wrote, the SARIF file included.
func assertNoScanLeak(t *testing.T, s *runnertest.Step, extra ...string) {
	t.Helper()
	texts := map[string]string{"stdout": s.Stdout, "stderr": s.Stderr}
	for k, v := range s.Files {
		texts[k] = string(v)
	}
	for _, p := range extra {
		if b, err := os.ReadFile(p); err == nil {
			texts[p] = string(b)
		}
	}
	for n := 0; n < 50; n++ {
		for name, text := range texts {
			if strings.Contains(text, scantest.Key(n)) {
				t.Errorf("%s contains test key %d", name, n)
			}
		}
	}
}

// leakRepo commits each key into its own file of a fresh repository.
func leakRepo(t *testing.T, keys ...string) string {
	r := scantest.New(t)
	files := scantest.Files{}
	for i, k := range keys {
		files[filepath.Join("env", string(rune('a'+i))+".env")] = "VAST_API_KEY=" + k + "\n"
	}
	r.Commit("leak", files)
	r.CheckoutWorktree()
	return r.Dir
}

func keyID(srv *vasttest.Server, value string) int64 {
	for _, k := range srv.Keys() {
		if k.Value == value {
			return k.ID
		}
	}
	return 0
}

// deleteOnFake deletes a key on the fake through its own API, as its
// owner would.
func deleteOnFake(srv *vasttest.Server, id int64) error {
	k, ok := srv.Key(id)
	if !ok {
		return os.ErrNotExist
	}
	var owner string
	for _, o := range srv.Keys() {
		if o.UserID == k.UserID && o.Name == "default" {
			owner = o.Value
		}
	}
	req, _ := http.NewRequest("DELETE", srv.URL+"/api/v0/auth/apikeys/"+itoa(id)+"/", nil)
	req.Header.Set("Authorization", "Bearer "+owner)
	resp, err := srv.Client().Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return errors.New(resp.Status)
	}
	return nil
}

// fakeGitHub starts ghtest with organisation acme (seven repositories, one
// archived, one fork, one both, two to a page so listing takes four pages)
// and returns the environment a workflow step would have: GITHUB_TOKEN and
// GITHUB_API_URL only.
func fakeGitHub(t *testing.T, opts ...ghtest.Option) (*ghtest.Server, map[string]string) {
	t.Helper()
	srv := ghtest.NewServer(t, append([]ghtest.Option{ghtest.WithMaxPerPage(2)}, opts...)...)
	for _, r := range []ghtest.Repo{
		{Owner: "acme", Name: "web", Private: true},
		{Owner: "acme", Name: "Api"},
		{Owner: "acme", Name: "old", Archived: true},
		{Owner: "acme", Name: "upstream-fork", Fork: true},
		{Owner: "acme", Name: "old-fork", Fork: true, Archived: true},
		{Owner: "acme", Name: "docs"},
		{Owner: "acme", Name: "zeta"},
	} {
		srv.AddRepo(r)
	}
	return srv, map[string]string{"GITHUB_TOKEN": srv.Token, "GITHUB_API_URL": srv.URL}
}

// runPostProcess runs the program as /vastguard-post with vars as its
// whole environment.
func runPostProcess(t *testing.T, vars map[string]string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	clock := &fakeClock{t: time.Now()}
	e := &command.Env{
		Args:   []string{"/vastguard-post", "action"},
		Getenv: func(k string) string { return vars[k] },
		Stdout: &stdout, Stderr: &stderr,
		Now:   clock.Now,
		Sleep: clock.Sleep,
	}
	code := command.ExitCode(command.Run(t.Context(), e), &stderr)
	return result{stdout.String(), stderr.String(), code}
}

// inProcess is a runnertest.ExecFunc that runs the program in this
// process, as the runner would start it, with base's clock, sleep and HTTP
// client.
func inProcess(base command.Env) runnertest.ExecFunc {
	return func(ctx context.Context, program string, args []string, vars map[string]string, stdout, stderr io.Writer) int {
		e := base
		e.Args = append([]string{program}, args...)
		e.Getenv = func(k string) string { return vars[k] }
		e.Stdin = strings.NewReader("")
		e.Stdout, e.Stderr = stdout, stderr
		return command.ExitCode(command.Run(ctx, &e), stderr)
	}
}

// What the program promises, as the tests check it.
const (
	exitFindings = 2 // exit code for findings (README: Exit codes)

	// The state the main step saves for the post step (STATE_<name>).
	stateKeyName    = "vastguard_key_name"
	stateKeyID      = "vastguard_key_id"
	stateCreateSent = "vastguard_create_sent"
	stateUnsettled  = "vastguard_key_unsettled"

	// createGrace is how long a create already sent may run after the job
	// is cancelled: the runner sends SIGINT, then SIGTERM 7.5 s later, and
	// kills the container 2.5 s after that.
	createGrace = 5 * time.Second
)

// keyJSON is a key in `keys list --json`.
type keyJSON struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	Scopes     []string  `json:"scopes,omitempty"`
	FullAccess bool      `json:"full_access,omitempty"`
}
