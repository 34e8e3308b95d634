// Package ghactions is the GitHub Actions runner's protocol as a step sees
// it: inputs (INPUT_*), the run's context (GITHUB_*), the event payload,
// workflow commands on stdout (masks, annotations with the runner's cap,
// stop-commands around untrusted text, log lines) and file commands
// (outputs, environment, state, job summary).
//
// It is go-githubactions minus two things: file commands use a fresh
// random heredoc delimiter per record (as the actions toolkit does) instead
// of one fixed string, and every write returns an error instead of
// panicking. go-githubactions is used only to escape workflow commands.
//
// ghactions knows nothing of Vast or of vastguard's commands: it imports
// only the standard library, go-githubactions and internal/safetext. The
// runner's side of the protocol, for tests and the demo, is runnertest.
package ghactions
