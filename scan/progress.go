package scan

import (
	"sync"
	"sync/atomic"
	"time"
)

// Progress is how far a scan has read, for Options.Progress.
type Progress struct {
	Objects int64 // objects read so far (commits, tags and blobs)
	Bytes   int64 // bytes of their content
	// TotalObjects is how many objects the scan will read, when known (a
	// whole-history scan); 0 when not. It may exceed Objects at the end by
	// a few loose objects of types the scan skips.
	TotalObjects int64
	// Done is set on the last call: every object has been read. Placing
	// findings in history (reading trees) may follow.
	Done bool
}

// progressEvery is how often, at most, Options.Progress is called.
const progressEvery = 100 * time.Millisecond

// progress counts what the workers read and calls the callback at most
// every progressEvery, from whichever worker passes the mark, one call at
// a time. A nil *progress counts nothing.
type progress struct {
	fn             func(Progress)
	total          int64
	objects, bytes atomic.Int64
	next           atomic.Int64 // monotonic nanoseconds since start of the earliest next call
	start          time.Time
	mu             sync.Mutex
}

func newProgress(fn func(Progress), total int64) *progress {
	if fn == nil {
		return nil
	}
	return &progress{fn: fn, total: total, start: time.Now()}
}

// add counts one object of n bytes.
func (p *progress) add(n int64) {
	if p == nil {
		return
	}
	p.objects.Add(1)
	p.bytes.Add(n)
	t := int64(time.Since(p.start))
	if t < p.next.Load() || !p.mu.TryLock() {
		return
	}
	defer p.mu.Unlock()
	if t < p.next.Load() {
		return
	}
	p.next.Store(t + int64(progressEvery))
	p.fn(p.snapshot(false))
}

// expect sets TotalObjects, once the scan knows it (a range scan, after
// its walk).
func (p *progress) expect(total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = total
}

// done makes the last call.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fn(p.snapshot(true))
}

func (p *progress) snapshot(done bool) Progress {
	return Progress{Objects: p.objects.Load(), Bytes: p.bytes.Load(), TotalObjects: p.total, Done: done}
}
