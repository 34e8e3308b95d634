package gitobj

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/klauspost/compress/zlib"
)

// Visitor receives objects from ForEach. Calls run concurrently, one
// goroutine per worker index w (0 <= w < workers), so a visitor can keep
// per-worker state in a slice without locks; data is only valid during the
// call (its buffer is reused).
type Visitor struct {
	// Want reports whether objects of a type are needed; chains of unwanted
	// types are never inflated. Required.
	Want func(plumbing.ObjectType) bool
	// Object receives an object's content. Required.
	Object func(w int, h plumbing.Hash, typ plumbing.ObjectType, data []byte) error
	// Stream, if set, receives objects larger than StreamAbove that are not
	// the base of any delta, as a reader of exactly size bytes, so they are
	// never held whole. It must read r to the end or return an error.
	Stream func(w int, h plumbing.Hash, typ plumbing.ObjectType, size int64, r io.Reader) error
	// StreamAbove is the size above which Stream receives an object;
	// 0 means DefaultStreamAbove. It is never more than the DB's
	// MaxDeltaSize: an object too large to hold is streamed.
	StreamAbove int64
}

// DefaultStreamAbove is the size above which a standalone object is
// streamed when the Visitor names no other.
const DefaultStreamAbove int64 = 32 << 20

// handOffMax is the largest base whose deltas a worker offers to idle
// workers: a handed-off delta keeps its base alive off the books, so only
// small bases travel.
const handOffMax = 1 << 20

type task struct {
	p     *pack
	pi    int // index of p in db.packs
	i     int32
	base  []byte              // a handed-off delta's base; nil for a root
	typ   plumbing.ObjectType // the chain's type, for a handed-off delta
	loose *looseObject
}

// walk is what ForEach's workers share.
type walk struct {
	db      *DB
	v       Visitor
	ctx     context.Context
	kids    chan task
	pending *sync.WaitGroup
	// large is the large-memory token: a worker holding more than
	// PerWorkerMemory holds it, and with it the pool of large buffers.
	large chan struct{}
	pool  bufPool
}

// ForEach visits every object once with the given number of workers
// (0 means GOMAXPROCS). Delta chains are resolved from their roots without
// recursion, each object inflated once: a worker keeps only the bases it
// still needs (two objects at a time along a chain, however deep) and
// hands small bases' sibling subtrees to idle workers. Memory is bounded
// by the DB's Limits: PerWorkerMemory per worker, and MaxMemory for the one
// worker at a time that needs more. An object held by several packs, or by
// a pack and a loose file, is visited once. The first error from the
// visitor or from a corrupt object stops the walk and is returned; a panic
// in a worker (in the visitor, say) stops it too, and is raised again in
// ForEach's goroutine as a *WorkerPanic, for the caller to recover.
func (db *DB) ForEach(ctx context.Context, workers int, v Visitor) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if v.StreamAbove <= 0 {
		v.StreamAbove = DefaultStreamAbove
	}
	v.StreamAbove = min(v.StreamAbove, db.limits.MaxDeltaSize)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	roots := make(chan task, 4*workers)
	done := make(chan struct{})
	var pending sync.WaitGroup
	wl := &walk{db: db, v: v, ctx: ctx, kids: make(chan task, 4*workers), pending: &pending, large: make(chan struct{}, 1)}
	var failed atomic.Bool
	var panicked atomic.Pointer[WorkerPanic]
	fail := func(err error) {
		if failed.CompareAndSwap(false, true) {
			cancel(err)
		}
	}
	pending.Add(1) // the feeder
	go func() {
		defer pending.Done()
		defer close(roots)
		send := func(t task) bool {
			pending.Add(1)
			select {
			case roots <- t:
				return true
			case <-ctx.Done():
				pending.Done()
				return false
			}
		}
		// The heaviest delta families first, then everything in pack
		// order (the order the bytes lie in).
		for pi, p := range db.packs {
			for _, i := range p.heavy {
				if (p.hasExternalBase(i) || v.Want(p.typ[i])) && !send(task{p: p, pi: pi, i: i}) {
					return
				}
			}
		}
		for pi, p := range db.packs {
			for _, i := range p.order {
				if p.base[i] >= 0 || slices.Contains(p.heavy, i) {
					continue
				}
				if !p.hasExternalBase(i) && !v.Want(p.typ[i]) {
					continue
				}
				if !send(task{p: p, pi: pi, i: i}) {
					return
				}
			}
		}
		for li := range db.loose {
			if !send(task{loose: &db.loose[li]}) {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := &worker{id: w, walk: wl}
			defer wk.drop()
			rc := roots
			for {
				var t task
				select {
				case t = <-wl.kids:
				default:
					var ok bool
					select {
					case t = <-wl.kids:
					case t, ok = <-rc:
						if !ok {
							rc = nil
							continue
						}
					case <-done:
						return
					}
				}
				if !failed.Load() && ctx.Err() == nil {
					if err := wk.runGuarded(t, &panicked); err != nil {
						fail(err)
					}
				}
				pending.Done()
			}
		}()
	}
	pending.Wait()
	close(done)
	wg.Wait()
	if p := panicked.Load(); p != nil {
		// A worker's panic would end the process with Go's exit status 2
		// (which vastguard's exit codes read as "findings"): it is raised
		// again here, in the caller's goroutine, where the caller can
		// recover it.
		panic(p)
	}
	if failed.Load() {
		return context.Cause(ctx)
	}
	return ctx.Err()
}

// runGuarded is run, with a panic (a bug in the reader or the visitor)
// recorded in panicked, the first one only, and returned as an error that
// stops the walk.
func (wk *worker) runGuarded(t task, panicked *atomic.Pointer[WorkerPanic]) (err error) {
	defer func() {
		if p := recover(); p != nil {
			wp := NewWorkerPanic(p)
			panicked.CompareAndSwap(nil, wp)
			err = wp
		}
	}()
	return wk.run(t)
}

// WorkerPanic is a panic in a worker goroutine (ForEach's, or a caller's
// own), raised again in the goroutine that started the workers so that it
// can be recovered there. Where is the function and line that panicked.
type WorkerPanic struct {
	Value any
	Where string
}

func (p *WorkerPanic) Error() string {
	if p.Where == "" {
		return fmt.Sprintf("%v (in a worker goroutine)", p.Value)
	}
	return fmt.Sprintf("%v (in a worker goroutine, at %s)", p.Value, p.Where)
}

// NewWorkerPanic describes p, recovered by the deferred function that
// calls it: the value, and the first frame below the panic that is not
// the runtime's.
func NewWorkerPanic(p any) *WorkerPanic {
	if wp, ok := p.(*WorkerPanic); ok {
		return wp
	}
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	seen := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			seen = true
		case seen && !strings.HasPrefix(f.Function, "runtime."):
			return &WorkerPanic{Value: p, Where: fmt.Sprintf("%s (%s:%d)", f.Function, filepath.Base(f.File), f.Line)}
		}
		if !more {
			return &WorkerPanic{Value: p}
		}
	}
}

// worker holds one goroutine's reusable state.
type worker struct {
	id int
	*walk
	zr    io.ReadCloser // for streams and objects of over dropEvery compressed bytes
	inf   inflater      // for everything else
	br    bytes.Reader
	dr    dropReader
	stack []frame
	held  int64 // bytes of the objects on this worker's books
	token bool  // the worker holds the large-memory token
	spare spares
	holds []*holding // holdings given up, for reuse
}

// frame is an object waiting on a worker's stack: a root, or a delta
// waiting to be rebuilt from its base.
type frame struct {
	i    int32
	base *holding // nil for a root
}

// holding is an object's content, kept while deltas on the stack still
// need it as their base.
type holding struct {
	data    []byte
	typ     plumbing.ObjectType
	waiting int32 // deltas on the stack still to be rebuilt from it
	books   bool  // counted in the worker's held bytes
	own     bool  // allocated by the worker (a caller's buffer is never reused)
	shared  bool  // a base handed to another worker with a delta: never reused
}

// hold returns a holding for data, reusing one given up.
func (wk *worker) hold(data []byte, typ plumbing.ObjectType, waiting int32, own bool) *holding {
	var h *holding
	if n := len(wk.holds); n > 0 {
		h = wk.holds[n-1]
		wk.holds = wk.holds[:n-1]
	} else {
		h = new(holding)
	}
	*h = holding{data: data, typ: typ, waiting: waiting, books: own, own: own}
	return h
}

// run walks one task: a loose object, a chain from its root, or a
// handed-off delta and what is built on it.
func (wk *worker) run(t task) error {
	if t.loose != nil {
		return wk.runLoose(t.loose)
	}
	var base *holding
	if t.base != nil {
		base = wk.hold(t.base, t.typ, 1, false)
	}
	wk.stack = append(wk.stack[:0], frame{i: t.i, base: base})
	for len(wk.stack) > 0 {
		f := wk.stack[len(wk.stack)-1]
		wk.stack = wk.stack[:len(wk.stack)-1]
		h, err := wk.build(t.p, f)
		if err == nil && h != nil {
			err = wk.visit(t, f.i, h)
		}
		if err != nil {
			wk.unwind()
			return err
		}
	}
	return nil
}

// build returns object i's content, with its base given up once no other
// delta on the stack needs it; nil if the object was streamed or is not
// wanted.
func (wk *worker) build(p *pack, f frame) (*holding, error) {
	i := f.i
	if f.base != nil {
		h, err := wk.rebuild(p, i, f.base.data, f.base.typ)
		wk.letGo(f.base)
		return h, err
	}
	if p.hasExternalBase(i) {
		bt, base, err := wk.db.external(p.extBase[i])
		if err != nil {
			return nil, fmt.Errorf("%s: delta base %s of %s: %w", p.path, p.extBase[i], p.hash(i), err)
		}
		if !wk.v.Want(bt) {
			return nil, nil
		}
		if err := wk.acquire(int64(len(base)), p, i); err != nil {
			return nil, err
		}
		h, err := wk.rebuild(p, i, base, bt)
		wk.release(int64(len(base)))
		return h, err
	}
	typ := p.typ[i]
	if p.size[i] > wk.v.StreamAbove && p.kidStart[i] == p.kidStart[i+1] && wk.v.Stream != nil {
		if wk.isDup(p, i) {
			return nil, nil
		}
		return nil, wk.streamPacked(p, i, typ)
	}
	if err := wk.checkHeld(p.size[i], p, i, "an object held whole"); err != nil {
		return nil, err
	}
	data, err := wk.alloc(p.size[i], p, i)
	if err != nil {
		return nil, err
	}
	if err := wk.inflateInto(data, p, i); err != nil {
		wk.free(data, true)
		return nil, err
	}
	return wk.hold(data, typ, 0, true), nil
}

// rebuild inflates delta i and applies it to base.
func (wk *worker) rebuild(p *pack, i int32, base []byte, typ plumbing.ObjectType) (*holding, error) {
	delta, err := wk.alloc(p.size[i], p, i)
	if err != nil {
		return nil, err
	}
	defer wk.free(delta, true)
	if err := wk.inflateInto(delta, p, i); err != nil {
		return nil, err
	}
	src, dst, ops, err := deltaSizes(delta)
	if err == nil && src != uint64(len(base)) {
		err = fmt.Errorf("%w: base is %d bytes, delta expects %d", errDelta, len(base), src)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: object %s: %w", p.path, p.hash(i), err)
	}
	if dst > uint64(wk.db.limits.MaxDeltaSize) {
		return nil, wk.db.limitError(p, i, "a delta result", int64(min(dst, 1<<62)), wk.db.limits.MaxDeltaSize, "MaxDeltaSize")
	}
	out, err := wk.alloc(int64(dst), p, i)
	if err != nil {
		return nil, err
	}
	data, err := patch(out[:0], base, ops, int(dst))
	if err != nil {
		wk.free(out, true)
		return nil, fmt.Errorf("%s: object %s: %w", p.path, p.hash(i), err)
	}
	return wk.hold(data, typ, 0, true), nil
}

// visit hands object i to the visitor and pushes the deltas built on it,
// the largest subtree deepest on the stack so that it is walked last.
func (wk *worker) visit(t task, i int32, h *holding) error {
	p := t.p
	if !wk.isDup(p, i) {
		if err := wk.v.Object(wk.id, p.hash(i), h.typ, h.data); err != nil {
			wk.letGo(h)
			return err
		}
	}
	kids := p.children(i)
	if len(kids) == 0 {
		h.waiting = 1
		wk.letGo(h)
		return nil
	}
	handed := 0
	// A base handed off is marked shared, so giving it up below cannot
	// recycle it under another worker.
	if len(h.data) <= handOffMax {
		// Offer all but the largest subtree to idle workers.
		for _, c := range kids[:len(kids)-1] {
			wk.pending.Add(1)
			select {
			case wk.kids <- task{p: p, pi: t.pi, i: c, base: h.data, typ: h.typ}:
				h.shared = true
				handed++
				continue
			default:
				wk.pending.Done()
			}
			break
		}
	}
	h.waiting = int32(len(kids) - handed)
	for k := len(kids) - 1; k >= handed; k-- {
		wk.stack = append(wk.stack, frame{i: kids[k], base: h})
	}
	return nil
}

// letGo records that one delta waiting on h no longer needs it, and gives
// h up when none does.
func (wk *worker) letGo(h *holding) {
	if h.waiting--; h.waiting > 0 {
		return
	}
	if h.books {
		if h.own {
			wk.free(h.data, !h.shared)
		} else {
			wk.release(int64(len(h.data)))
		}
	}
	*h = holding{}
	wk.holds = append(wk.holds, h)
}

// unwind gives up everything on the stack after an error.
func (wk *worker) unwind() {
	for _, f := range wk.stack {
		if f.base != nil {
			wk.letGo(f.base)
		}
	}
	wk.stack = wk.stack[:0]
}

// drop returns the token when the worker stops.
func (wk *worker) drop() {
	if wk.token {
		wk.pool.reset()
		<-wk.large
		wk.token = false
	}
}

// checkHeld refuses an object too large to hold whole.
func (wk *worker) checkHeld(n int64, p *pack, i int32, need string) error {
	if n > wk.db.limits.MaxDeltaSize {
		return wk.db.limitError(p, i, need, n, wk.db.limits.MaxDeltaSize, "MaxDeltaSize")
	}
	return nil
}

// acquire puts n bytes on the worker's books, taking the large-memory
// token first if they would pass PerWorkerMemory. Only the token's holder
// waits for nothing, so the walk cannot deadlock: a worker waiting for the
// token holds at most PerWorkerMemory.
func (wk *worker) acquire(n int64, p *pack, i int32) error {
	if !wk.token && wk.held+n > PerWorkerMemory {
		select {
		case wk.large <- struct{}{}:
			wk.token = true
		case <-wk.ctx.Done():
			return context.Cause(wk.ctx)
		}
	}
	if wk.token && wk.held+n > wk.db.limits.MaxMemory {
		return wk.db.limitError(p, i, "the memory for its delta chain", wk.held+n, wk.db.limits.MaxMemory, "MaxMemory")
	}
	wk.held += n
	return nil
}

// release takes n bytes off the books, and returns the token once the
// worker is back within PerWorkerMemory.
func (wk *worker) release(n int64) {
	wk.held -= n
	if wk.token && wk.held <= PerWorkerMemory {
		<-wk.large
		wk.token = false
	}
}

// alloc returns a buffer of n bytes on the worker's books: a spare one
// if the worker has one of its size class, a pooled one if it holds the
// token. Its content is not zeroed: every caller overwrites all of it.
func (wk *worker) alloc(n int64, p *pack, i int32) ([]byte, error) {
	if err := wk.acquire(n, p, i); err != nil {
		return nil, err
	}
	if b := wk.spare.take(n); b != nil {
		return b, nil
	}
	if wk.token {
		if b := wk.pool.take(n); b != nil {
			return b, nil
		}
	}
	if n <= 1<<spareMax {
		_, size := spareClass(n)
		return make([]byte, n, size), nil
	}
	return make([]byte, n), nil
}

// free takes b off the books and, if reuse is set (no other worker can
// still read b), keeps it for the next alloc: a small one among the
// worker's spares, a large one in the pool of the token's holder. So the
// heap does not grow by an object per object rebuilt before the collector
// runs, and buffers are not zeroed again.
func (wk *worker) free(b []byte, reuse bool) {
	if reuse {
		if !wk.spare.put(b) && wk.token {
			// The pool and the books together stay within MaxMemory.
			wk.pool.put(b, wk.db.limits.MaxMemory-(wk.held-int64(len(b))))
		}
	}
	wk.release(int64(len(b)))
}

// spares are a worker's buffers given up, by size class, for reuse: along
// a delta chain the same few sizes come and go.
type spares struct {
	bufs  [spareClasses][][]byte
	bytes int64
}

const (
	spareMin = 9  // the smallest class: 512 bytes
	spareMax = 23 // the largest: 8 MiB
	// Classes are powers of two up to 64 KiB, then quarter steps between
	// powers of two, so a buffer is at most a quarter larger than asked.
	spareFine    = 16
	spareClasses = spareFine - spareMin + 1 + (spareMax-spareFine)*4
	// spareBytes bounds the spares a worker keeps, off its books.
	spareBytes = 4 << 20
)

// spareClass returns the class of a buffer of n bytes (n <= 2^spareMax)
// and the capacity of that class's buffers.
func spareClass(n int64) (int, int64) {
	if n <= 1<<spareMin {
		return 0, 1 << spareMin
	}
	e := bits.Len64(uint64(n - 1)) // 2^(e-1) < n <= 2^e
	if e <= spareFine {
		return e - spareMin, 1 << e
	}
	q := (n - 1 - 1<<(e-1)) >> (e - 3)
	return spareFine - spareMin + 1 + (e-spareFine-1)*4 + int(q), 1<<(e-1) + (q+1)<<(e-3)
}

// take returns a spare of n bytes, or nil.
func (sp *spares) take(n int64) []byte {
	if n > 1<<spareMax {
		return nil
	}
	c, _ := spareClass(n)
	l := sp.bufs[c]
	if len(l) == 0 {
		return nil
	}
	b := l[len(l)-1]
	sp.bufs[c] = l[:len(l)-1]
	sp.bytes -= int64(cap(b))
	return b[:n]
}

// put keeps b if it is a class's size and there is room, and reports
// whether it did.
func (sp *spares) put(b []byte) bool {
	n := int64(cap(b))
	if n < 1<<spareMin || n > 1<<spareMax || sp.bytes+n > spareBytes {
		return false
	}
	c, size := spareClass(n)
	if size != n {
		return false
	}
	sp.bufs[c] = append(sp.bufs[c], b[:0])
	sp.bytes += n
	return true
}

// bufPool keeps the large buffers the token's holder gave up; only the
// token's holder touches it.
type bufPool struct {
	bufs  [][]byte
	bytes int64
}

// poolMin is the smallest buffer worth keeping.
const poolMin = 4 << 20

// take returns a pooled buffer of n bytes, or nil.
func (bp *bufPool) take(n int64) []byte {
	if n < poolMin {
		return nil
	}
	best := -1
	for k, b := range bp.bufs {
		if int64(cap(b)) >= n && (best < 0 || cap(b) < cap(bp.bufs[best])) {
			best = k
		}
	}
	if best < 0 {
		return nil
	}
	b := bp.bufs[best]
	bp.bufs = append(bp.bufs[:best], bp.bufs[best+1:]...)
	bp.bytes -= int64(cap(b))
	return b[:n]
}

// put keeps b if it is large and the pool (with b) stays within room.
func (bp *bufPool) put(b []byte, room int64) {
	if cap(b) < poolMin || bp.bytes+int64(cap(b)) > room || len(bp.bufs) >= 8 {
		return
	}
	bp.bufs = append(bp.bufs, b[:cap(b)])
	bp.bytes += int64(cap(b))
}

func (bp *bufPool) reset() { *bp = bufPool{} }

// isDup reports whether an earlier pack holds object i too (and visits
// it there).
func (wk *worker) isDup(p *pack, i int32) bool {
	return p.dup != nil && p.dup[i]
}

// reset points the worker's zlib reader at r.
func (wk *worker) reset(r io.Reader) error {
	if wk.zr == nil {
		zr, err := zlib.NewReader(r)
		if err != nil {
			return err
		}
		wk.zr = zr
		return nil
	}
	return wk.zr.(zlib.Resetter).Reset(r, nil)
}

// resetTo points the worker's zlib reader at object i's compressed bytes.
// A large object's are read through a dropReader, so that a mapped pack's
// pages leave the process as they are consumed instead of all of them
// staying resident until the object is done.
func (wk *worker) resetTo(p *pack, i int32) error {
	if !p.mapped || p.end[i]-p.dataOff[i] <= dropEvery {
		wk.br.Reset(p.read(i))
		return wk.reset(&wk.br)
	}
	wk.dr = dropReader{b: p.data[p.dataOff[i]:p.end[i]]}
	if p.crcs != nil {
		// The header's bytes first: the index's CRC-32 covers them too.
		wk.dr.crc = crc32.Update(0, crc32.IEEETable, p.data[p.offs[i]:p.dataOff[i]])
	}
	return wk.reset(&wk.dr)
}

// checkCRC checks object i's bytes against the CRC-32 in a version 2
// index after resetTo's reader has been read from, so that the streaming
// and large paths refuse what inflateInto refuses: one object, one answer,
// whichever path reads it. A dropReader has summed what it read; the rest
// of the object's bytes (past the end of the zlib stream) are summed here.
func (wk *worker) checkCRC(p *pack, i int32) error {
	if p.crcs == nil {
		return nil
	}
	var sum uint32
	if p.mapped && p.end[i]-p.dataOff[i] > dropEvery {
		wk.dr.sum()
		sum = crc32.Update(wk.dr.crc, crc32.IEEETable, wk.dr.b[wk.dr.summed:])
	} else {
		sum = crc32.ChecksumIEEE(p.data[p.offs[i]:p.end[i]])
	}
	if sum != binary.BigEndian.Uint32(p.crcs[4*i:]) {
		return fmt.Errorf("%s: object %s: its bytes do not match the CRC-32 in the pack's index: %w (git fsck tells more)", p.path, p.hash(i), errIndex)
	}
	return nil
}

// dropEvery is how many compressed bytes a dropReader reads between
// dropping pages.
const dropEvery = 8 << 20

// dropReader reads a mapped pack's bytes and drops each stretch of pages
// once read past.
type dropReader struct {
	b            []byte
	off, dropped int
	crc          uint32 // the CRC-32 of b[:summed], after the header's
	summed       int
}

// sum adds what was read since the last sum to the CRC-32.
func (r *dropReader) sum() {
	r.crc = crc32.Update(r.crc, crc32.IEEETable, r.b[r.summed:r.off])
	r.summed = r.off
}

func (r *dropReader) Read(buf []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(buf, r.b[r.off:])
	r.off += n
	r.drop()
	return n, nil
}

func (r *dropReader) ReadByte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	c := r.b[r.off]
	r.off++
	r.drop()
	return c, nil
}

func (r *dropReader) drop() {
	if r.off-r.dropped >= dropEvery {
		r.sum() // before the pages go: summing them later would read them back
		dropPages(r.b[r.dropped:r.off])
		r.dropped = r.off
	}
}

// inflateInto inflates object i (the delta, for a delta) into out, which
// is exactly its size: a stream that makes more or fewer bytes is corrupt,
// as git holds it.
//
// Checksums: a version 2 index has the CRC-32 of each object's bytes in
// the pack, which git wrote as it checked them; checking it costs about a
// hundredth of the Adler-32 at the end of the zlib stream (it runs over
// the compressed bytes, with the CPU's carry-less multiply, where Adler-32
// runs over the inflated ones a byte at a time), and it catches what
// Adler-32 would: a pack damaged on disk since. So the Adler-32 is checked
// only where there is no CRC-32 (a version 1 index) and on the streaming
// path, which checks the CRC-32 as well once read (checkCRC), so that every
// path refuses the same objects. Neither is a defence against a hostile repository, which can write
// any checksum it likes; the bounds checks are.
func (wk *worker) inflateInto(out []byte, p *pack, i int32) error {
	if p.mapped && p.end[i]-p.dataOff[i] > dropEvery {
		return wk.inflateLarge(out, p, i)
	}
	src := p.read(i)
	check := true
	if p.crcs != nil {
		if crc32.ChecksumIEEE(p.data[p.offs[i]:p.end[i]]) != binary.BigEndian.Uint32(p.crcs[4*i:]) {
			return fmt.Errorf("%s: object %s: its bytes do not match the CRC-32 in the pack's index: %w (git fsck tells more)", p.path, p.hash(i), errIndex)
		}
		check = false
	}
	if err := wk.inf.zlibInto(out, src, check); err != nil {
		return fmt.Errorf("%s: object %s: inflating: %w", p.path, p.hash(i), err)
	}
	return nil
}

// inflateLarge inflates an object of many compressed bytes through the
// streaming decoder, which drops the mapping's pages as it reads past them
// (see resetTo), and checks that the stream ends there and then, with its
// Adler-32.
func (wk *worker) inflateLarge(out []byte, p *pack, i int32) error {
	if err := wk.resetTo(p, i); err != nil {
		return fmt.Errorf("%s: object %s: %w", p.path, p.hash(i), err)
	}
	if _, err := io.ReadFull(wk.zr, out); err != nil {
		return fmt.Errorf("%s: object %s: inflating: %w", p.path, p.hash(i), err)
	}
	var more [1]byte
	if n, err := io.ReadFull(wk.zr, more[:]); n != 0 || err != io.EOF {
		if err == nil || err == io.ErrUnexpectedEOF {
			err = fmt.Errorf("%w: more bytes than the header says", errInflate)
		}
		return fmt.Errorf("%s: object %s: inflating: %w", p.path, p.hash(i), err)
	}
	return wk.checkCRC(p, i)
}

func (wk *worker) streamPacked(p *pack, i int32, typ plumbing.ObjectType) error {
	if err := wk.resetTo(p, i); err != nil {
		return fmt.Errorf("%s: object %s: %w", p.path, p.hash(i), err)
	}
	r := &exactReader{r: wk.zr, n: p.size[i]}
	if err := wk.v.Stream(wk.id, p.hash(i), typ, p.size[i], r); err != nil {
		return err
	}
	if r.n != 0 {
		return fmt.Errorf("%s: object %s: stream not read to the end", p.path, p.hash(i))
	}
	return wk.checkCRC(p, i)
}

// exactReader reads exactly n bytes and fails on a short stream.
type exactReader struct {
	r io.Reader
	n int64
}

func (e *exactReader) Read(b []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > e.n {
		b = b[:e.n]
	}
	k, err := e.r.Read(b)
	e.n -= int64(k)
	if err == io.EOF && e.n > 0 {
		err = io.ErrUnexpectedEOF
	}
	return k, err
}
