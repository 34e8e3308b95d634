package command

import (
	"context"
	"errors"
	"slices"

	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/safetext"
)

// The GitHub Action. action.yml runs the image's /vastguard with the single
// argument "action" as the main step, and the same binary as
// /vastguard-post as the post step (which gets the same arguments; Run
// tells the two apart by the program name). Inputs arrive as INPUT_<NAME>
// with the name upper-cased and hyphens kept (INPUT_API-KEY).

// runAction is the main step, `vastguard action`. Whatever goes wrong is
// reported as one error annotation, and the exit code says so.
func runAction(ctx context.Context, e *Env, args []string) (err error) {
	if len(args) > 0 {
		return usagef("action takes no arguments; it reads the step's inputs (INPUT_*), as action.yml declares them")
	}
	wf := ghactions.New(e.Stdout, e.Getenv)
	defer func() {
		// A bug is an error annotation and exit code 1, as any failure.
		if p := recover(); p != nil {
			wf.Annotate("error", "vastguard", panicError(p).Error())
			err = &exitError{code: exitFailure}
		}
	}()
	err = actionMain(ctx, e, wf)
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return err // already reported
	}
	code := exitFailure
	if errors.As(err, &ee) {
		code = ee.code
	}
	wf.Annotate("error", "vastguard", safetext.OneLine(err.Error()))
	return &exitError{code: code}
}

// actionMain parses the inputs and runs the command they name, from the
// command table. github-token defaults to the job's token for every use of
// the action, so a command that does not call GitHub with it (see
// ActionCommand.UsesGitHubToken) runs without it: neither its inputs nor
// its environment hold a GitHub token.
func actionMain(ctx context.Context, e *Env, wf *ghactions.Workflow) error {
	cfg, err := parseActionInputs(e.Getenv)
	if err != nil {
		return err
	}
	e, cfg = scoped(e, cfg)
	return actionCommandNamed(cfg.command).Action.Run(ctx, e, wf, cfg)
}

// scoped is the environment and inputs as cfg's command sees them: with no
// GitHub token unless it uses one.
func scoped(e *Env, cfg actionConfig) (*Env, actionConfig) {
	a := actionCommandNamed(cfg.command).Action
	if a.UsesGitHubToken == nil || !a.UsesGitHubToken(cfg) {
		cfg.githubToken = ""
		e = withoutGitHubToken(e)
	}
	return e, cfg
}

// gitHubTokenVars are where a GitHub token reaches the program: the
// github-token input, and the variables the GitHub client falls back on.
var gitHubTokenVars = []string{ghactions.InputEnvName("github-token"), "GITHUB_TOKEN", "GH_TOKEN"}

// withoutGitHubToken is e with no GitHub token in its environment.
func withoutGitHubToken(e *Env) *Env {
	c := *e
	getenv := e.Getenv
	c.Getenv = func(k string) string {
		if slices.Contains(gitHubTokenVars, k) {
			return ""
		}
		return getenv(k)
	}
	return &c
}
