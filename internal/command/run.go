package command

import (
	"context"
	"errors"
	"fmt"
	vgversion "github.com/vastguard/vastguard/internal/version"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
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
	// Notify, when set, subscribes to the process's signals sig (as
	// os/signal's Notify) and returns their channel and a function that
	// ends the subscription: `vastguard broker` reloads its policy on
	// SIGHUP. nil: no signals but ctx's cancellation.
	Notify func(sig ...os.Signal) (<-chan os.Signal, func())
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
// the main step's arguments. Otherwise the arguments are a command line of
// the command table (cli.go).
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
	var args []string
	if len(e.Args) > 0 {
		args = e.Args[1:]
	}
	return runCLI(ctx, e, args)
}

// version is the binary's version (internal/version: injected by release
// builds, else the module's build info, else "dev").
func version() string { return vgversion.Version() }
