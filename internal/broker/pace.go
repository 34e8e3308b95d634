package broker

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/vastguard/vastguard/vast"
)

// Vast limits each key to one call per endpoint every 1 to 3 seconds
// (vast-api.md §5) and answers 429 otherwise. The broker holds one key for
// everyone, so it spaces its own calls: one call at a time per endpoint, at
// least the endpoint's interval after the previous one ended. Callers queue;
// a caller whose context would end before its turn is told at once how long
// the queue is (busyError) instead of waiting to fail.

// busyError says the queue for a Vast endpoint is longer than the caller
// can wait.
type busyError struct {
	op    string
	retry time.Duration
}

func (e *busyError) Error() string {
	return "the queue for Vast's " + e.op + " endpoint is longer than the request may wait"
}

type slot struct {
	op       string
	interval time.Duration
	turn     chan struct{} // holds one token: the right to call
	waiting  atomic.Int64
	last     time.Time // end of the previous call; guarded by turn
}

func newSlot(op string, interval time.Duration) *slot {
	s := &slot{op: op, interval: max(interval, 0), turn: make(chan struct{}, 1)}
	s.turn <- struct{}{}
	return s
}

// pacer wraps a VastAPI with one slot per endpoint.
type pacer struct {
	api                  VastAPI
	now                  func() time.Time
	sleep                func(context.Context, time.Duration) error
	create, delete, list *slot
	observe              func(op string, waited time.Duration, err error)
}

func newPacer(api VastAPI, cfg Config, now func() time.Time, sleep func(context.Context, time.Duration) error, observe func(string, time.Duration, error)) *pacer {
	return &pacer{
		api: api, now: now, sleep: sleep, observe: observe,
		create: newSlot("create", cfg.CreateInterval),
		delete: newSlot("delete", cfg.DeleteInterval),
		list:   newSlot("list", cfg.ListInterval),
	}
}

// estimate is the wait for a new caller at the end of the queue: the
// queue ahead times the interval (a lower bound: each call also takes its
// own time).
func (s *slot) estimate() time.Duration {
	return time.Duration(s.waiting.Load()) * s.interval
}

func (p *pacer) do(ctx context.Context, s *slot, call func(context.Context) error) error {
	start := p.now()
	if dl, ok := ctx.Deadline(); ok {
		if est := s.estimate(); est > 0 && est > time.Until(dl) {
			err := &busyError{op: s.op, retry: est}
			p.observe(s.op, 0, err)
			return err
		}
	}
	s.waiting.Add(1)
	select {
	case <-s.turn:
		s.waiting.Add(-1)
	case <-ctx.Done():
		s.waiting.Add(-1)
		return ctx.Err()
	}
	defer func() { s.turn <- struct{}{} }()
	if !s.last.IsZero() {
		if wait := s.last.Add(s.interval).Sub(p.now()); wait > 0 {
			if err := p.sleep(ctx, wait); err != nil {
				return err
			}
		}
	}
	waited := p.now().Sub(start)
	err := call(ctx)
	// Vast measures from when it handled the call, which is before the
	// answer arrived: timing from the answer keeps a margin.
	s.last = p.now()
	p.observe(s.op, waited, err)
	return err
}

func (p *pacer) CreateKey(ctx context.Context, name string, perms vast.Permissions) (vast.Key, error) {
	var k vast.Key
	err := p.do(ctx, p.create, func(ctx context.Context) error {
		var err error
		k, err = p.api.CreateKey(ctx, name, perms)
		return err
	})
	return k, err
}

func (p *pacer) DeleteKey(ctx context.Context, id int64) error {
	return p.do(ctx, p.delete, func(ctx context.Context) error { return p.api.DeleteKey(ctx, id) })
}

func (p *pacer) ListKeys(ctx context.Context) ([]vast.Key, error) {
	var ks []vast.Key
	err := p.do(ctx, p.list, func(ctx context.Context) error {
		var err error
		ks, err = p.api.ListKeys(ctx)
		return err
	})
	return ks, err
}

// vastOutcome classifies a Vast error for metrics and answers.
func vastOutcome(err error) string {
	var busy *busyError
	var unc *vast.CreateUncertainError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &busy):
		return "busy"
	case errors.Is(err, vast.ErrNotFound):
		return "not_found"
	case errors.Is(err, vast.ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, vast.ErrUnauthorized), errors.Is(err, vast.ErrForbidden), errors.Is(err, vast.ErrTwoFactor):
		return "refused"
	case errors.As(err, &unc):
		return "uncertain"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "timeout"
	}
	return "error"
}
