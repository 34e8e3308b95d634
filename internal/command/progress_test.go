package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

func TestProgressText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p       scan.Progress
		elapsed time.Duration
		want    string
	}{
		{scan.Progress{Objects: 12, Bytes: 900, TotalObjects: 1000}, 200 * time.Millisecond, "scanning: 12 of 1,000 objects (1%), 900 B"},
		{scan.Progress{Objects: 41234, Bytes: 310 << 20, TotalObjects: 104211}, 4 * time.Second, "scanning: 41,234 of 104,211 objects (39%), 310 MiB, 78 MiB/s, about 6 s left"},
		{scan.Progress{Objects: 1104211, Bytes: 5632 << 20, TotalObjects: 2208422}, 150 * time.Second, "scanning: 1,104,211 of 2,208,422 objects (50%), 5.5 GiB, 38 MiB/s, about 2 min 30 s left"},
		{scan.Progress{Objects: 7, Bytes: 4 << 10}, 2 * time.Second, "scanning: 7 objects, 4.0 KiB, 2.0 KiB/s"},
		{scan.Progress{Objects: 104215, Bytes: 790 << 20, TotalObjects: 104211}, 9 * time.Second, "scanning: 104,215 of 104,211 objects (100%), 790 MiB, 88 MiB/s"},
		{scan.Progress{Objects: 104211, Bytes: 790 << 20, TotalObjects: 104211, Done: true}, 9 * time.Second, "scanning: read 104,211 objects (790 MiB) in 9 s; finishing"},
		{scan.Progress{Objects: 10000, Bytes: 3 << 30, TotalObjects: 1000000}, 2 * time.Minute, "scanning: 10,000 of 1,000,000 objects (1%), 3.0 GiB, 26 MiB/s, about 3 h 18 min left"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, progressText(tt.p, tt.elapsed)); diff != "" {
			t.Errorf("%+v after %v (-want +got):\n%s", tt.p, tt.elapsed, diff)
		}
	}
}

// TestProgressInActionsLog: in a GitHub Actions log (not a terminal) a
// long scan says how far it is in a plain line every 10 s, and a short one
// says nothing.
func TestProgressInActionsLog(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e := &Env{Stderr: &out, Now: func() time.Time { return clock }, Getenv: func(k string) string {
		return map[string]string{"GITHUB_ACTIONS": "true"}[k]
	}}
	p := newProgressLine(e, false)
	for s := 1; s <= 25; s++ {
		clock = clock.Add(time.Second)
		p.update(scan.Progress{Objects: int64(s) * 100, Bytes: int64(s) << 20, TotalObjects: 3000})
	}
	p.end()
	want := "vastguard: scanning: 1,000 of 3,000 objects (33%), 10 MiB, 1.0 MiB/s, about 20 s left\n" +
		"vastguard: scanning: 2,000 of 3,000 objects (66%), 20 MiB, 1.0 MiB/s, about 10 s left\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if newProgressLine(e, true) != nil {
		t.Error("--quiet shows progress")
	}
	if newProgressLine(&Env{Stderr: &out, Getenv: func(string) string { return "" }}, false) != nil {
		t.Error("progress on a buffer outside Actions")
	}
}

// progressRepo is a packed repository with enough history to report.
func progressRepo(t *testing.T) string {
	t.Helper()
	r := scantest.New(t)
	for i := range 40 {
		r.Commit(fmt.Sprintf("c%d", i), scantest.Files{fmt.Sprintf("f%d.txt", i): strings.Repeat(fmt.Sprintf("line %d\n", i), 50)})
	}
	r.Pack()
	return r.Dir
}

// scanOnTerminal runs vastguard scan with stderr on a pseudo-terminal and
// returns what the terminal showed, and stdout.
func scanOnTerminal(t *testing.T, args ...string) (term, stdout string, code int) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 200}); err != nil {
		t.Fatal(err)
	}
	shown := make(chan string)
	go func() {
		var b bytes.Buffer
		_, err := io.Copy(&b, ptmx)
		if err != nil && !errors.Is(err, syscall.EIO) && !errors.Is(err, os.ErrClosed) {
			t.Errorf("reading the terminal: %v", err)
		}
		shown <- b.String()
	}()
	var out bytes.Buffer
	e := &Env{Args: append([]string{"vastguard", "scan"}, args...), Stdout: &out, Stderr: tty, Stdin: strings.NewReader(""),
		Getenv: func(string) string { return "" }, Now: time.Now}
	code = ExitCode(Run(context.Background(), e), tty)
	tty.Close() // the reader sees EIO once it has read everything
	return <-shown, out.String(), code
}

// TestProgressOnTerminal: on a terminal the scan shows one line rewritten
// in place (\r, erase to the end of the line), with the objects read of the
// total, and erases it before the report; --quiet shows nothing.
func TestProgressOnTerminal(t *testing.T) {
	t.Parallel()
	dir := progressRepo(t)
	shown, stdout, code := scanOnTerminal(t, dir)
	if code != 0 || !strings.Contains(stdout, "no Vast.ai API keys found") {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	if strings.Contains(stdout, "scanning") {
		t.Errorf("progress on stdout: %q", stdout)
	}
	for _, want := range []string{"\r\x1b[Kscanning: ", " of 80 objects (", "\r\x1b[Kscanning: read 80 objects ("} {
		if !strings.Contains(shown, want) {
			t.Errorf("terminal shows %q, want %q in it", shown, want)
		}
	}
	if !strings.HasSuffix(shown, "\r\x1b[K") || strings.Contains(shown, "\n") {
		t.Errorf("the progress line is not one line erased at the end: %q", shown)
	}

	shown, _, code = scanOnTerminal(t, dir, "--quiet")
	if code != 0 || shown != "" {
		t.Errorf("--quiet: exit %d, terminal shows %q", code, shown)
	}
}

// TestNoProgressWhenPiped: with stderr a pipe (and outside Actions) the
// scan writes nothing there.
func TestNoProgressWhenPiped(t *testing.T) {
	t.Parallel()
	dir := progressRepo(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out bytes.Buffer
	e := &Env{Args: []string{"vastguard", "scan", dir}, Stdout: &out, Stderr: w, Stdin: strings.NewReader(""), Getenv: func(string) string { return "" }, Now: time.Now}
	code := ExitCode(Run(context.Background(), e), w)
	w.Close()
	piped, _ := io.ReadAll(r)
	if code != 0 || len(piped) != 0 {
		t.Errorf("exit %d, stderr (a pipe) got %q", code, piped)
	}
}
