package command

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vastguard/vastguard/vast"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// dialFailure is a transport whose every connection attempt fails as err
// does, as http.Transport reports a failed dial.
type dialFailure struct {
	err   error
	tries atomic.Int32
}

func (d *dialFailure) RoundTrip(*http.Request) (*http.Response, error) {
	d.tries.Add(1)
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: d.err}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// TestUnreachableAPIFailsFast: an API that cannot be reached fails the
// call in one or two attempts with the "cannot reach" line (a refused
// connection is tried twice, a connect that timed out once), while 429s and
// 5xx answers still get the whole retry budget, and cleanup (the post
// step's policy) keeps retrying connects.
func TestUnreachableAPIFailsFast(t *testing.T) {
	t.Parallel()
	if apiDialer.Timeout <= 0 || apiDialer.Timeout > 10*time.Second {
		t.Errorf("connect timeout %v, want a few seconds", apiDialer.Timeout)
	}
	tests := []struct {
		name      string
		err       error
		retry     vast.RetryPolicy
		wantTries int32
	}{
		{"refused", errors.New("connect: connection refused"), vast.DefaultRetry, 2},
		{"no such host", &net.DNSError{Err: "no such host", Name: "console.vast.ai", IsNotFound: true}, vast.DefaultRetry, 2},
		{"connect timed out", timeoutError{}, vast.DefaultRetry, 1},
		{"cleanup keeps trying", errors.New("connect: connection refused"), cleanupRetry(time.Minute), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rt := &dialFailure{err: tt.err}
			var sleeps atomic.Int32
			e := &Env{HTTP: &http.Client{Transport: rt}, Now: time.Now, Sleep: func(ctx context.Context, d time.Duration) error {
				sleeps.Add(1)
				return ctx.Err()
			}}
			c, err := newVastClient(t.Context(), e, vasttest.NewKeyValue(), "https://console.vast.ai", tt.retry)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ListKeys(t.Context())
			a := &api{Client: c, cred: credential{source: "VAST_API_KEY"}, url: "https://console.vast.ai"}
			msg := a.Explain("list keys", err).Error()
			if !strings.HasPrefix(msg, "list keys: cannot reach the Vast API at https://console.vast.ai (check --api-url or VAST_URL and the network)") {
				t.Errorf("error = %q", msg)
			}
			switch got := rt.tries.Load(); {
			case tt.wantTries == 0 && got <= 2:
				t.Errorf("cleanup gave up after %d attempts", got)
			case tt.wantTries != 0 && got != tt.wantTries:
				t.Errorf("%d attempts, want %d", got, tt.wantTries)
			}
		})
	}

	// Answers that came over a connection keep the retry budget.
	srv := vasttest.NewServer(t)
	_, key := srv.AddAccount("fast@example.com")
	srv.Inject(vasttest.Fault{Route: "list", Status: 503, Times: -1})
	e := &Env{HTTP: srv.Client(), Now: time.Now, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
	c, err := newVastClient(t.Context(), e, key, srv.URL, vast.DefaultRetry)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListKeys(t.Context()); err == nil {
		t.Fatal("a 503 storm succeeded")
	}
	if n := len(srv.Requests()); n != vast.DefaultRetry.MaxAttempts {
		t.Errorf("a 503 storm was tried %d times, want the policy's %d", n, vast.DefaultRetry.MaxAttempts)
	}
}

// TestUnreachableAPIOneLine: `vastguard keys list` against a closed port
// on loopback is one "cannot reach" line and exit code 1.
func TestUnreachableAPIOneLine(t *testing.T) {
	t.Parallel()
	var out, errs bytes.Buffer
	vars := map[string]string{"VAST_API_KEY": vasttest.NewKeyValue(), "VAST_URL": "http://127.0.0.1:1"}
	var sleeps atomic.Int32
	e := &Env{Args: []string{"vastguard", "keys", "list"}, Getenv: func(k string) string { return vars[k] }, Stdout: &out, Stderr: &errs, Now: time.Now,
		Sleep: func(ctx context.Context, _ time.Duration) error { sleeps.Add(1); return ctx.Err() }}
	code := ExitCode(Run(t.Context(), e), &errs)
	if code != 1 || out.Len() != 0 || strings.Count(errs.String(), "\n") != 1 || !strings.HasPrefix(errs.String(), "vastguard: list keys: cannot reach the Vast API at http://127.0.0.1:1 (check VAST_URL and the network)") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errs.String())
	}
	if n := sleeps.Load(); n > 1 {
		t.Errorf("%d retries against a refused connection, want at most one", n)
	}
}
