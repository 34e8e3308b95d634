package scan

import (
	"context"
	"fmt"
	"io"
	"time"
)

// ReaderOptions controls ScanReader and ScanActionsLog.
type ReaderOptions struct {
	// Detectors replaces the default Detectors.
	Detectors []Detector
	// Limits bound what is read out of archives (a gzip or tar stream on
	// standard input); the zero value means DefaultLimits (Depth 0
	// included: set Limits.Depth to -1 to open no archive).
	Limits Limits
	// Budget, if set, is what the scan spends of Limits' Entries and
	// Bytes, shared with every other scan given it (see Budget); nil: the
	// scan's own.
	Budget *Budget
	// Now is the clock for timing; nil means time.Now.
	Now func() time.Time
}

// ScanReader scans text read from r to its end (standard input, a CI log
// piped in) as it streams: memory stays bounded however long the input or
// its lines are (detection reads 4 MiB windows that overlap by 4 KiB, so a
// key is never cut in two), and a gzip or tar stream is opened. A read
// error is an error; ctx stops the scan between reads.
//
// Findings have Source SourceStdin, no path and no commit; Line counts the
// input's lines.
func ScanReader(ctx context.Context, r io.Reader, opts ReaderOptions) (*Report, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	det := opts.Detectors
	if det == nil {
		det = Detectors
	}
	limits := opts.Limits
	switch {
	case limits.Depth == 0:
		limits.Depth = DefaultLimits.Depth
	case limits.Depth < 0:
		limits.Depth = 0 // open no archive, as ScanDir
	case limits.Depth > MaxArchiveDepth:
		return nil, fmt.Errorf("archive depth %d is more than %d", limits.Depth, MaxArchiveDepth)
	}
	c := newContents(det, limits, SourceStdin)
	if opts.Budget != nil {
		c.spent = opts.Budget
	}
	cr := &ctxReader{ctx: ctx, r: r}
	if err := c.stream(ctx, "", "", cr, nil, -1, 0); err != nil && err != errBudget {
		return nil, err
	}
	if cr.err != nil {
		return nil, cr.err
	}
	rep := c.report("stdin")
	rep.Stats.Seconds = now().Sub(start).Seconds()
	return rep, nil
}

// ctxReader stops a stream when ctx is done, and keeps the first read
// error (detection reports it as unscanned content; a reader's failure is
// the scan's).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		c.err = err
		return 0, err
	}
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}
