package scan

import (
	"context"
	"io"
	"time"
)

// ReaderOptions controls ScanReader and ScanActionsLog.
type ReaderOptions struct {
	// Detectors replaces the default Detectors.
	Detectors []Detector
	// Limits bound what is read out of archives (a gzip or tar stream on
	// standard input); the zero value means DefaultLimits.
	Limits Limits
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
	if limits.Depth <= 0 {
		limits.Depth = DefaultLimits.Depth
	}
	c := newContents(det, limits, SourceStdin)
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
