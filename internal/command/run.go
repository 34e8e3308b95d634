package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/vastguard/vastguard/internal/safetext"
)

// Env is everything one run of the program touches, so tests run it in
// parallel with no globals. main fills it from the process.
type Env struct {
	Args   []string // as os.Args: the program name first
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	HTTP   *http.Client // nil: http.DefaultClient's transport
	Now    func() time.Time
	// Sleep, when set, replaces the API clients' real sleep between retries.
	Sleep func(context.Context, time.Duration) error
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

// ExitCode prints err as one line on stderr and returns the process exit
// code: 0 ok, 1 the tool failed, 2 findings, 3 a finding is a live key.
func ExitCode(err error, stderr io.Writer) int {
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

// panicError describes a recovered panic on one line: its value and the
// function and line that panicked (the first frame below the panic that is
// not the runtime's), for a bug report. Call it from the deferred function
// that recovered.
func panicError(p any) error {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(1, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	where, seenPanic := "", false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			seenPanic = true
		case seenPanic && !strings.HasPrefix(f.Function, "runtime."):
			where = fmt.Sprintf(" at %s (%s:%d)", f.Function, filepath.Base(f.File), f.Line)
		}
		if where != "" || !more {
			break
		}
	}
	return fmt.Errorf("internal error, a bug in vastguard (please report it with the command that caused it): %s%s",
		safetext.OneLine(fmt.Sprint(p)), where)
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// Run is the whole program. It never exits; main picks the exit code with
// ExitCode. Started as vastguard-post (the Action's post-entrypoint) it is
// the post step, whatever the arguments: the runner gives the post step
// the main step's arguments. Otherwise the first argument names a row of
// the command table.
//
// A panic anywhere in the command (or in a goroutine that hands its panic
// back, as respond's verifier does) is a bug, and ends as exit code 1 with
// one line saying where, never as Go's exit status 2, which the exit-code
// contract reads as "findings". (What no program can recover from, a stack
// overflow or running out of memory, the program avoids: it recurses on no
// input's depth, and bounds what it holds.)
func Run(ctx context.Context, e *Env) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &exitError{code: exitFailure, err: panicError(p)}
		}
	}()
	if len(e.Args) > 0 && filepath.Base(e.Args[0]) == postProgram {
		return runPost(ctx, e)
	}
	args := e.Args[1:]
	if len(args) == 0 {
		return usagef("no command given (see vastguard help)")
	}
	c := lookup(commands, args[0])
	if c == nil {
		return usagef("unknown command %q (commands: %s; see vastguard help)", args[0], names(commands, ", "))
	}
	return c.runCLI(ctx, e, c.Name, args[1:])
}

// newFlagSet returns a flag set that reports errors instead of printing
// usage (a bad flag is one line on stderr, and stdout, perhaps a report or
// $GITHUB_OUTPUT, stays clean), and prints help to stdout for -h or -help.
func newFlagSet(e *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		if !wantsHelp(fs) {
			return // a parse error: the caller reports it on stderr
		}
		fmt.Fprintf(e.Stdout, "Usage: %s\n\nFlags:\n", synopsis)
		fs.SetOutput(e.Stdout)
		fs.VisitAll(func(f *flag.Flag) {
			if f.Name != "h" && f.Name != "help" {
				fmt.Fprintf(e.Stdout, "  -%s\n    \t%s\n", f.Name, f.Usage)
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

// version is the module version the binary was built from, or "dev".
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
