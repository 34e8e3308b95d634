package ghactions

import (
	"strconv"
	"strings"
)

// InputEnvName is the variable the runner sets for an input: INPUT_ and the
// name upper-cased with spaces as underscores (hyphens stay: INPUT_API-KEY).
func InputEnvName(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// Input returns an input's value, trimmed. The runner sets every input
// action.yml declares, to its default unless the step's with: sets it; ""
// here means the caller's default applies.
func Input(getenv func(string) string, name string) string {
	return strings.TrimSpace(getenv(InputEnvName(name)))
}

// RunContext is where in GitHub Actions the step runs, from GITHUB_*.
// (go-githubactions' Context also reads and parses the whole event payload,
// and fails on an unreadable one; a step that must always work, such as a
// cleanup, must not.)
type RunContext struct {
	Repository string // OWNER/NAME
	RunID      int64
	Attempt    int64
	Job        string
	Step       string // GITHUB_ACTION: the step's id, or __owner_repo[_N]
}

// ReadRunContext reads the run's context; a value the runner did not set
// is zero.
func ReadRunContext(getenv func(string) string) RunContext {
	id, _ := strconv.ParseInt(getenv("GITHUB_RUN_ID"), 10, 64)
	at, _ := strconv.ParseInt(getenv("GITHUB_RUN_ATTEMPT"), 10, 64)
	return RunContext{
		Repository: getenv("GITHUB_REPOSITORY"),
		RunID:      id,
		Attempt:    at,
		Job:        getenv("GITHUB_JOB"),
		Step:       getenv("GITHUB_ACTION"),
	}
}
