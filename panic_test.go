package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vastguard/vastguard/internal/command"
	"github.com/vastguard/vastguard/scan/scantest"
)

// panicTransport is an HTTP transport with a bug: every request panics.
type panicTransport struct{}

func (panicTransport) RoundTrip(*http.Request) (*http.Response, error) {
	panic("transport bug")
}

// TestPanicIsExitOne: a bug that panics, in the command's goroutine or in
// one it started (the verifier's), ends as exit code 1 and one line, never
// as Go's status 2, which reads as "findings" (issue 12).
func TestPanicIsExitOne(t *testing.T) {
	t.Parallel()
	repo := leakRepo(t, scantest.Key(5))
	tests := []struct {
		name string
		args []string
	}{
		{"in the command", []string{"keys", "list"}},
		{"in a verifier goroutine", []string{"scan", repo, "--verify"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			e := &command.Env{
				Args:   append([]string{"vastguard"}, tt.args...),
				Stdin:  strings.NewReader(""),
				Stdout: &stdout, Stderr: &stderr,
				HTTP:  &http.Client{Transport: panicTransport{}},
				Now:   time.Now,
				Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
			}
			vars := map[string]string{"VAST_API_KEY": strings.Repeat("k", 64), "VAST_URL": "http://127.0.0.1:1", "HOME": t.TempDir()}
			e.Getenv = func(k string) string { return vars[k] }
			code := command.ExitCode(command.Run(t.Context(), e), &stderr)
			if code != 1 || strings.Count(stderr.String(), "\n") != 1 ||
				!strings.HasPrefix(stderr.String(), "vastguard: internal error, a bug in vastguard") || !strings.Contains(stderr.String(), "transport bug") {
				t.Errorf("exit %d, stderr %q; want exit 1 and one line naming the bug", code, stderr.String())
			}
		})
	}
}

// TestActionPanicIsAnAnnotation: in the Action a bug is an error
// annotation and exit code 1, like any failure.
func TestActionPanicIsAnAnnotation(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	ex := inProcess(command.Env{Now: time.Now, HTTP: &http.Client{Transport: panicTransport{}}})
	var stdout, stderr bytes.Buffer
	env := map[string]string{"INPUT_COMMAND": "audit", "INPUT_API-KEY": x.admin, "INPUT_API-URL": x.srv.URL}
	code := ex(t.Context(), "/vastguard", []string{"action"}, env, &stdout, &stderr)
	if code != 1 || !strings.HasPrefix(stdout.String(), "::error title=vastguard::internal error, a bug in vastguard") || strings.Count(stdout.String(), "\n") != 1 || stderr.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// TestHugeWorkerCount: --workers is capped with a one-line error, not a
// crash (it used to allocate a billion workers' state and die with exit 2).
func TestHugeWorkerCount(t *testing.T) {
	t.Parallel()
	repo := leakRepo(t, scantest.Key(6))
	for _, n := range []string{"1000000000", "257", "9223372036854775807"} {
		res := runCLI(t, nil, "scan", repo, "--workers", n)
		if res.code != 1 || !strings.HasPrefix(res.stderr, "vastguard: scan: --workers "+n+" is more than 256") || strings.Count(res.stderr, "\n") != 1 {
			t.Errorf("--workers %s: exit %d, stderr %q", n, res.code, res.stderr)
		}
	}
	if res := runCLI(t, nil, "scan", repo, "--workers", "256"); res.code != exitFindings {
		t.Errorf("--workers 256: exit %d, stderr %q", res.code, res.stderr)
	}
}
