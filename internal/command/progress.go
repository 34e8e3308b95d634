package command

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/vastguard/vastguard/scan"
	"golang.org/x/term"
)

// progressLine shows a scan's progress on stderr, where it never mixes with
// a report on stdout. On a terminal it is one line rewritten in place
// (objects and bytes read, rate, time left) and erased when the scan ends;
// in a GitHub Actions log (GITHUB_ACTIONS=true), which shows no rewritten
// line, it is a plain line every actionsEvery once a scan has run that
// long; anywhere else (a pipe, a file, --quiet) nothing. A nil
// *progressLine shows nothing.
type progressLine struct {
	w     io.Writer
	tty   bool
	width int // the terminal's, 0 if unknown
	now   func() time.Time
	start time.Time
	last  time.Time // of the last line in a log
	drawn bool      // a terminal line is showing
}

// actionsEvery is how often a long scan says how far it is in a log.
const actionsEvery = 10 * time.Second

// newProgressLine is the progress display for e's stderr, or nil when
// there is nothing to show it on (or quiet).
func newProgressLine(e *Env, quiet bool) *progressLine {
	if quiet || e.Stderr == nil {
		return nil
	}
	now := e.Now
	if now == nil {
		now = time.Now
	}
	p := &progressLine{w: e.Stderr, now: now, start: now()}
	p.last = p.start
	if f, ok := e.Stderr.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
		if w, _, err := term.GetSize(int(f.Fd())); err == nil {
			p.width = w
		}
		return p
	}
	if e.Getenv != nil && e.Getenv("GITHUB_ACTIONS") == "true" {
		return p
	}
	return nil
}

// callback is the scan.Options.Progress for p (nil for a nil p).
func (p *progressLine) callback() func(scan.Progress) {
	if p == nil {
		return nil
	}
	return p.update
}

// update shows pr: on a terminal every time (the scan calls at most ten
// times a second), in a log every actionsEvery.
func (p *progressLine) update(pr scan.Progress) {
	t := p.now()
	line := progressText(pr, t.Sub(p.start))
	if !p.tty {
		if t.Sub(p.last) >= actionsEvery {
			p.last = t
			fmt.Fprintln(p.w, "vastguard: "+line)
		}
		return
	}
	if p.width > 1 && len(line) > p.width-1 {
		line = line[:p.width-1] // one line: a wrapped one cannot be rewritten
	}
	fmt.Fprint(p.w, "\r\x1b[K"+line)
	p.drawn = true
}

// end erases the terminal line, so what follows starts on a clean line.
func (p *progressLine) end() {
	if p != nil && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// progressText is "scanning: 41,234 of 104,211 objects (39%), 310 MiB, 85
// MiB/s, about 4 s left", or at the end "scanning: read 104,211 objects
// (790 MiB) in 9 s; finishing" (findings are placed in history next).
func progressText(pr scan.Progress, elapsed time.Duration) string {
	if pr.Done {
		return fmt.Sprintf("scanning: read %s objects (%s) in %s; finishing", thousands(pr.Objects), humanSize(pr.Bytes), roughDuration(elapsed))
	}
	var b strings.Builder
	b.WriteString("scanning: " + thousands(pr.Objects))
	if pr.TotalObjects > 0 {
		done := min(pr.Objects, pr.TotalObjects)
		fmt.Fprintf(&b, " of %s objects (%d%%)", thousands(pr.TotalObjects), done*100/pr.TotalObjects)
	} else {
		b.WriteString(" objects")
	}
	b.WriteString(", " + humanSize(pr.Bytes))
	if secs := elapsed.Seconds(); secs >= 1 {
		fmt.Fprintf(&b, ", %s/s", humanSize(int64(float64(pr.Bytes)/secs)))
		if pr.TotalObjects > pr.Objects && pr.Objects > 0 {
			left := time.Duration(float64(elapsed) * float64(pr.TotalObjects-pr.Objects) / float64(pr.Objects))
			b.WriteString(", about " + roughDuration(left) + " left")
		}
	}
	return b.String()
}

// thousands writes n with comma separators: 1,104,211.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return s
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// humanSize is n bytes in binary units: 512 B, 4.0 KiB, 310 MiB, 5.5 GiB.
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, exp := float64(n)/unit, 0
	for v >= unit && exp < 4 {
		v /= unit
		exp++
	}
	suffix := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}[exp]
	if v < 10 {
		return fmt.Sprintf("%.1f %s", v, suffix)
	}
	return fmt.Sprintf("%.0f %s", v, suffix)
}

// roughDuration is d as a person reads a countdown: 4 s, 2 min 10 s, 1 h 5 min.
func roughDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	}
	return fmt.Sprintf("%d h %d min", s/3600, s%3600/60)
}
