package ghapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// A GitHub that never answers, answers forever (a body that trickles a
// byte at a time), or answers gigabytes must not hold a command or an
// Action step for hours or take the machine's memory: every API call has
// a deadline that covers reading the answer, and an answer's body is
// bounded. go-github has neither (it reads and decodes whatever comes,
// for as long as it comes), and an *http.Client's own Timeout would also
// cut a large upload or download short, so the API's transport applies
// them per request.

// Defaults of the per-request bounds.
const (
	// DefaultCallTimeout bounds one API call, its answer read included.
	// GitHub itself ends a REST request that takes more than 10 seconds.
	DefaultCallTimeout = 30 * time.Second
	// uploadTimeout bounds a call that sends a large body (a SARIF upload
	// of up to 10 MB gzip, 13 MB in base64).
	uploadTimeout = 5 * time.Minute
	// largeBody is the request body above which uploadTimeout applies.
	largeBody = 1 << 20
	// maxAnswer bounds an API answer's body: a page of 100 workflow runs
	// is about 700 KB.
	maxAnswer = 32 << 20
	// DefaultIdleTimeout bounds the wait for the next bytes of a log
	// archive download, downloadTimeout the whole download (1 GiB at 2 MB/s
	// takes 9 minutes).
	DefaultIdleTimeout = 30 * time.Second
	downloadTimeout    = 15 * time.Minute
)

// ErrNoAnswer is matched by the error of a call that got no (whole) answer
// within its deadline.
var ErrNoAnswer = errors.New("no answer in time")

// ErrAnswerTooLarge is matched by the error of a call whose answer's body
// is larger than any the API sends.
var ErrAnswerTooLarge = errors.New("answer too large")

// noAnswer is a deadline of the transport's (not the caller's) that passed.
type noAnswer struct{ after time.Duration }

func (e *noAnswer) Error() string {
	return fmt.Sprintf("no answer in %s", e.after)
}
func (e *noAnswer) Is(target error) bool { return target == ErrNoAnswer }

type tooLarge struct{ limit int64 }

func (e *tooLarge) Error() string {
	return fmt.Sprintf("the answer is larger than %d MiB, more than the API ever sends", e.limit>>20)
}
func (e *tooLarge) Is(target error) bool { return target == ErrAnswerTooLarge }

// deadlineTransport gives each request a deadline (timeout, or
// uploadTimeout for a large body) that covers reading the answer, and caps
// the answer's body at maxAnswer bytes.
type deadlineTransport struct {
	next    http.RoundTripper
	timeout time.Duration
}

func (t *deadlineTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	d := t.timeout
	if req.ContentLength > largeBody {
		d = max(d, uploadTimeout)
	}
	ctx, cancel := context.WithTimeout(req.Context(), d)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		err = ownDeadline(req.Context(), ctx, d, err)
		cancel()
		return nil, err
	}
	resp.Body = &boundedBody{r: resp.Body, parent: req.Context(), ctx: ctx, cancel: cancel, after: d, left: maxAnswer}
	return resp, nil
}

// ownDeadline replaces err by a *noAnswer when it is the transport's own
// deadline (ctx's, not the caller's parent) that passed.
func ownDeadline(parent, ctx context.Context, d time.Duration, err error) error {
	if parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &noAnswer{after: d}
	}
	return err
}

// boundedBody is an answer's body read within its request's deadline and
// size cap.
type boundedBody struct {
	r           io.ReadCloser
	parent, ctx context.Context
	cancel      context.CancelFunc
	after       time.Duration
	left        int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, &tooLarge{limit: maxAnswer}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if err != nil && err != io.EOF {
		err = ownDeadline(b.parent, b.ctx, b.after, err)
	}
	return n, err
}

func (b *boundedBody) Close() error {
	b.cancel()
	return b.r.Close()
}

// idleReader reads r, calling cancel when no byte has come for idle, and
// says so with a *noAnswer.
type idleReader struct {
	r     io.Reader
	idle  time.Duration
	timer *time.Timer
	fired func() bool
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.timer.Reset(r.idle)
	}
	if err != nil && err != io.EOF && r.fired() {
		err = &noAnswer{after: r.idle}
	}
	return n, err
}
