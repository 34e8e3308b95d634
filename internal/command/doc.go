// Package command is every front end of vastguard: the CLI's commands and
// the GitHub Action's steps, one file per feature (keys, scan, revoke,
// repos, sweep, audit, mint, post, inputs), around a table of commands
// (commands.go). cli.go makes the table a cobra command tree for each run,
// so the one table drives dispatch, every help text, shell completion and
// the unknown-command messages; the table also drives the Action's command
// validation and the command input's description. Each feature file
// defines its own flags (pflag). clients.go is the one place Vast and
// GitHub clients are built.
//
// Run is the whole program; main only gives it the process (Env) and
// turns its error into an exit code with ExitCode.
//
// command wires the libraries together (scan and vast never import each
// other; this package is where they meet) and is imported by main alone.
// It imports no fake: the demo's fake lives in internal/demo, which gets
// the program through demo.Config.
package command
