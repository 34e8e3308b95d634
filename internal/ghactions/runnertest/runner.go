// Package runnertest is a model of the GitHub Actions runner, for tests and
// the demo: it runs a Docker action's main and post steps the way the
// runner does (INPUT_* for every declared input, fresh file-command files
// per step, STATE_* for the post step, post steps last first), reads back
// their file commands with the runner's parser, and masks a log as the
// runner would. It is not the runner: what it models is written down in
// actions-runtime.md §1, and it is only as right as that.
//
// With GrantIDTokens the job may request OIDC tokens, as a workflow with
// `permissions: id-token: write` does (idtoken.go).
//
// Production code never imports it, except internal/demo, which shows the
// Action running under it. It imports ghactions only for the names of
// inputs, the test OIDC issuer (oidctest) to sign the job's tokens, and
// nothing that knows of Vast.
package runnertest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vastguard/vastguard/internal/ghactions"
)

// Job plays the GitHub Actions runner for one job, as far as a Docker
// action can see it (actions-runtime.md §1): each use of the action gets
// INPUT_<NAME> for every input (the default unless `with:` sets it; name
// upper-cased, hyphens kept), fresh GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE
// and GITHUB_STEP_SUMMARY files, the job's GITHUB_* variables, and the
// action's args. After a step the runner reads its file commands: outputs,
// state, and environment for the later steps. At the end of the job the post
// steps run, last first, each with its main step's state as STATE_<name>.
//
// The demo runs the program in-process through it; the tests run the built
// binary through it too. ExecFunc is how it starts the program.
type Job struct {
	// Dir is the root of the fake runner's directories.
	Dir string
	// Env is the job's environment: GITHUB_*, HOME, ...; GITHUB_ENV exports
	// are added to it. Tests may change it between steps.
	Env      map[string]string
	defaults map[string]string // input name -> default, as action.yml declares
	args     []string          // runs.args
	main     string            // runs.entrypoint, e.g. /vastguard
	post     string            // runs.post-entrypoint, e.g. /vastguard-post
	exec     ExecFunc
	posts    []*Step // registered post steps, in main-step order
	n        int
	// githubToken is the job's token, which ${{ github.token }} gives.
	githubToken string
}

// ExecFunc runs the program as argv[0] program with args and exactly the
// environment env, and returns its exit code. Cancelling ctx is the job's
// cancellation: the process gets SIGTERM (in-process: its context ends).
type ExecFunc func(ctx context.Context, program string, args []string, env map[string]string, stdout, stderr io.Writer) int

// Step is one step as the runner saw it.
type Step struct {
	ID       string
	Post     bool
	Env      map[string]string // the environment it ran with
	Stdout   string
	Stderr   string
	Code     int
	Duration time.Duration // of the process alone
	Outputs  map[string]string
	Exported map[string]string // GITHUB_ENV
	State    map[string]string
	Summary  string
	// Files holds each file-command file's raw bytes, by variable name.
	Files map[string][]byte
	with  map[string]string
}

// NewJob prepares a job in dir: the workspace, HOME, RUNNER_TEMP and the
// file-command directory, and the job's GITHUB_* variables.
func NewJob(dir string, defaults map[string]string, args []string, mainProgram, postProgram string, exec ExecFunc) (*Job, error) {
	for _, d := range []string{"workspace", "home", "temp", "file_commands", "workflow"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	event := filepath.Join(dir, "workflow", "event.json")
	if err := os.WriteFile(event, []byte(`{"repository":{"full_name":"acme/gpu-tests"}}`), 0o644); err != nil {
		return nil, err
	}
	return &Job{
		Dir: dir,
		Env: map[string]string{
			"CI":                 "true",
			"GITHUB_ACTIONS":     "true",
			"GITHUB_REPOSITORY":  "acme/gpu-tests",
			"GITHUB_RUN_ID":      "9876543210",
			"GITHUB_RUN_ATTEMPT": "1",
			"GITHUB_JOB":         "train",
			"GITHUB_EVENT_NAME":  "push",
			"GITHUB_EVENT_PATH":  event,
			"GITHUB_WORKSPACE":   filepath.Join(dir, "workspace"),
			"HOME":               filepath.Join(dir, "home"),
			"RUNNER_TEMP":        filepath.Join(dir, "temp"),
			"RUNNER_OS":          "Linux",
		},
		defaults:    defaults,
		githubToken: "ghs_jobtoken0123456789abcdefghijklmnopq",
		args:        args,
		main:        mainProgram,
		post:        postProgram,
		exec:        exec,
	}, nil
}

// fileVars are the file-command variables, each a fresh file per step.
var fileVars = []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"}

// RunStep runs a use of the action with step id stepID and the given
// `with:` inputs, and registers its post step. An input not declared by
// the action is an error (the runner only warns; a test wants to know).
func (j *Job) RunStep(ctx context.Context, stepID string, with map[string]string) (*Step, error) {
	for k := range with {
		if _, ok := j.defaults[k]; !ok {
			return nil, fmt.Errorf("input %q is not declared by the action", k)
		}
	}
	s := &Step{ID: stepID, with: with}
	env := j.stepEnv(s)
	if err := j.runProcess(ctx, s, j.main, env); err != nil {
		return s, err
	}
	j.posts = append(j.posts, s)
	return s, nil
}

// RunPosts runs the registered post steps, last registered first, and
// returns them in the order run.
func (j *Job) RunPosts(ctx context.Context) ([]*Step, error) {
	var out []*Step
	for i := len(j.posts) - 1; i >= 0; i-- {
		m := j.posts[i]
		p := &Step{ID: m.ID, Post: true, with: m.with}
		env := j.stepEnv(p)
		for k, v := range m.State {
			env["STATE_"+k] = v
		}
		if err := j.runProcess(ctx, p, j.post, env); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	j.posts = nil
	return out, nil
}

func (j *Job) stepEnv(s *Step) map[string]string {
	env := maps.Clone(j.Env)
	env["GITHUB_ACTION"] = s.ID
	for name, def := range j.defaults {
		v := def
		if def == "${{ github.token }}" {
			// The one expression action.yml uses as a default: the runner
			// puts the job's token there.
			v = j.githubToken
		}
		if w, ok := s.with[name]; ok {
			v = w
		}
		env[ghactions.InputEnvName(name)] = v
	}
	return env
}

func (j *Job) runProcess(ctx context.Context, s *Step, program string, env map[string]string) error {
	j.n++
	prefix := map[string]string{"GITHUB_OUTPUT": "set_output_", "GITHUB_ENV": "set_env_", "GITHUB_STATE": "save_state_", "GITHUB_STEP_SUMMARY": "step_summary_"}
	for _, v := range fileVars {
		p := filepath.Join(j.Dir, "file_commands", fmt.Sprintf("%s%d", prefix[v], j.n))
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return err
		}
		env[v] = p
	}
	s.Env = env
	var stdout, stderr bytes.Buffer
	start := time.Now()
	s.Code = j.exec(ctx, program, j.args, env, &stdout, &stderr)
	s.Duration = time.Since(start)
	s.Stdout, s.Stderr = stdout.String(), stderr.String()
	s.Files = map[string][]byte{}
	for _, v := range fileVars {
		b, err := os.ReadFile(env[v])
		if err != nil {
			return err
		}
		s.Files[v] = b
	}
	var err error
	if s.Outputs, err = FileCommandMap(s.Files["GITHUB_OUTPUT"]); err != nil {
		return fmt.Errorf("step %s: GITHUB_OUTPUT: %w", s.ID, err)
	}
	if s.Exported, err = FileCommandMap(s.Files["GITHUB_ENV"]); err != nil {
		return fmt.Errorf("step %s: GITHUB_ENV: %w", s.ID, err)
	}
	if s.State, err = FileCommandMap(s.Files["GITHUB_STATE"]); err != nil {
		return fmt.Errorf("step %s: GITHUB_STATE: %w", s.ID, err)
	}
	s.Summary = string(s.Files["GITHUB_STEP_SUMMARY"])
	for k, v := range s.Exported {
		j.Env[k] = v
	}
	return nil
}

// MaskLikeRunner shows text as the runner's log would: every value
// registered with ::add-mask:: earlier in text, and in masks, replaced by
// "***".
func MaskLikeRunner(text string, masks ...string) string {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, "::add-mask::"); ok && v != "" {
			masks = append(masks, v)
		}
	}
	slices.SortFunc(masks, func(a, b string) int { return len(b) - len(a) })
	for _, m := range masks {
		if m != "" {
			text = strings.ReplaceAll(text, m, "***")
		}
	}
	return text
}
