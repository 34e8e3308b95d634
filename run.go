package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// env is everything one run of the program touches, so tests can run it in
// parallel with no globals.
type env struct {
	args   []string // as os.Args: the program name first
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	http   *http.Client
	now    func() time.Time
	// sleep, when set, replaces the API client's real sleep between retries.
	sleep func(context.Context, time.Duration) error
	// fake, when set, is the Vast API fake the demo uses (tests inspect it);
	// otherwise the demo starts its own.
	fake *vasttest.Server
}

// Exit codes, the same for every command and the Action.
const (
	exitOK       = 0
	exitFailure  = 1
	exitFindings = 2
	exitLive     = 3
)

// exitError carries an exit code. With a nil err nothing more is printed:
// the command already said what happened (findings, for instance).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitCode prints err as one line and returns the process exit code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "vastguard: "+safetext.OneLine(ee.err.Error()))
		}
		return ee.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, "vastguard: "+safetext.OneLine(err.Error()))
	return exitFailure
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

const usage = `vastguard: mint short-lived Vast.ai API keys for CI, and find leaked ones.

Usage:
  vastguard scan [PATH] [--since REV | --range A..B | --staged] [--format text|json|sarif]
                 [--output FILE] [--baseline FILE] [--verify]
                                            find Vast.ai keys in a repository's whole history
  vastguard revoke [--key-file FILE] [--dry-run] [--replace (--output FILE | --rotate-secret NAME --repo O/R)]
                                            check leaked keys (read from stdin) and delete the live ones
  vastguard keys list [--json]              list the account's API keys
  vastguard keys create --name N --permissions P [--allow-full-access] [--output FILE]
  vastguard keys delete ID                  delete a key by id
  vastguard keys reset [--output FILE]      replace the key in use with a new one
  vastguard sweep [--dry-run]               delete expired keys the Action minted
  vastguard audit [--json]                  flag full-access, user_write, old and expired keys
  vastguard repos --org NAME [--include-archived] [--include-forks]
                                            an organisation's repositories as a JSON matrix
  vastguard action                          the GitHub Action's main step (reads INPUT_*)
  vastguard demo                            the whole story on an embedded fake API
  vastguard version

Key: --api-key, else VAST_API_KEY, else ~/.config/vastai/vast_api_key.
API: --api-url, else VAST_URL, else https://console.vast.ai.
Exit codes: 0 ok, 1 the tool failed, 2 findings, 3 a live key was found.
Run as vastguard-post (the Action's post step), it deletes the key the main
step minted, whatever its arguments.
`

// run is the whole program. It never exits; main picks the exit code.
// Started as vastguard-post (the Action's post-entrypoint) it is the post
// step, whatever the arguments: the runner gives the post step the main
// step's arguments.
func run(ctx context.Context, e *env) error {
	if len(e.args) > 0 && filepath.Base(e.args[0]) == postProgram {
		return runPost(ctx, e)
	}
	args := e.args[1:]
	if len(args) == 0 {
		return usagef("no command given (see vastguard help)")
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "keys":
		err = runKeys(ctx, e, rest)
	case "scan":
		err = runScan(ctx, e, rest)
	case "revoke":
		err = runRevoke(ctx, e, rest)
	case "sweep":
		err = runSweep(ctx, e, rest)
	case "audit":
		err = runAudit(ctx, e, rest)
	case "repos":
		err = runRepos(ctx, e, rest)
	case "action":
		err = runAction(ctx, e, rest)
	case "demo":
		err = runDemo(ctx, e, rest)
	case "version", "--version", "-version":
		fmt.Fprintln(e.stdout, "vastguard", version())
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usage)
	default:
		err = usagef("unknown command %q (commands: scan, revoke, keys, sweep, audit, repos, action, demo, version; see vastguard help)", cmd)
	}
	return err
}

// newFlagSet returns a flag set that reports errors instead of printing
// usage (a bad flag is one line on stderr, and stdout, perhaps a report or
// $GITHUB_OUTPUT, stays clean), and prints help to stdout for -h or -help.
func newFlagSet(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		if !wantsHelp(fs) {
			return // a parse error: the caller reports it on stderr
		}
		fmt.Fprintf(e.stdout, "Usage: %s\n\nFlags:\n", synopsis)
		fs.SetOutput(e.stdout)
		fs.VisitAll(func(f *flag.Flag) {
			if f.Name != "h" && f.Name != "help" {
				fmt.Fprintf(e.stdout, "  -%s\n    \t%s\n", f.Name, f.Usage)
			}
		})
		fs.SetOutput(io.Discard)
	}
	// Defined here, -h and -help are ordinary flags, so the flag package
	// does not print usage on every parse error.
	fs.Bool("h", false, "show this help")
	fs.Bool("help", false, "show this help")
	return fs
}

// wantsHelp reports whether -h or -help was given.
func wantsHelp(fs *flag.FlagSet) bool {
	for _, n := range []string{"h", "help"} {
		if f := fs.Lookup(n); f != nil && f.Value.String() == "true" {
			return true
		}
	}
	return false
}

// parseFlags parses args allowing flags after positional arguments, as
// people type them ("keys delete 12 --api-url ..."), and returns the
// positional ones.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usagef("%s: %v (see vastguard %s -h)", fs.Name(), err, fs.Name())
		}
		if wantsHelp(fs) {
			fs.Usage()
			return nil, flag.ErrHelp
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
