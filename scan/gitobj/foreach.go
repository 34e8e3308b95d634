package gitobj

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/klauspost/compress/zlib"
)

// Visitor receives objects from ForEach. Calls run concurrently, one
// goroutine per worker index w (0 <= w < workers), so a visitor can keep
// per-worker state in a slice without locks; data is only valid during the
// call.
type Visitor struct {
	// Want reports whether objects of a type are needed; chains of unwanted
	// types are never inflated. Required.
	Want func(plumbing.ObjectType) bool
	// Object receives an object's content. Required.
	Object func(w int, h plumbing.Hash, typ plumbing.ObjectType, data []byte) error
	// Stream, if set, receives objects larger than StreamAbove that are not
	// the base of any delta, as a reader of exactly size bytes, so they are
	// never held whole. It must read r to the end.
	Stream func(w int, h plumbing.Hash, typ plumbing.ObjectType, size int64, r io.Reader) error
	// StreamAbove is the size above which Stream receives an object;
	// 0 means DefaultStreamAbove.
	StreamAbove int64
}

// DefaultStreamAbove is the size above which a standalone object is
// streamed when the Visitor names no other.
const DefaultStreamAbove int64 = 32 << 20

type task struct {
	p     *pack
	pi    int // index of p in db.packs
	i     int32
	base  []byte // content of the delta base; nil for a root
	loose *looseObject
	ext   bool                // i's base is external
	typ   plumbing.ObjectType // the chain's type, for a delta
}

// ForEach visits every object once with the given number of workers
// (0 means GOMAXPROCS). Delta chains are resolved depth first from their
// roots, so each object is inflated once and only the chain being walked
// is held in memory; a worker hands sibling subtrees to idle workers.
// An object held by several packs, or by a pack and a loose file, is
// visited once. The first error from the visitor or from a corrupt object
// stops the walk and is returned.
func (db *DB) ForEach(ctx context.Context, workers int, v Visitor) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if v.StreamAbove <= 0 {
		v.StreamAbove = DefaultStreamAbove
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	roots := make(chan task, 4*workers)
	kids := make(chan task, 4*workers)
	done := make(chan struct{})
	var pending sync.WaitGroup
	var failed atomic.Bool
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
		for pi, p := range db.packs {
			for _, i := range p.order {
				if p.base[i] >= 0 {
					continue
				}
				ext := p.hasExternalBase(i)
				if !ext && !v.Want(p.typ[i]) {
					continue
				}
				if !send(task{p: p, pi: pi, i: i, ext: ext}) {
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
			wk := &worker{id: w, db: db, v: v, kids: kids, pending: &pending}
			rc := roots
			for {
				var t task
				select {
				case t = <-kids:
				default:
					var ok bool
					select {
					case t = <-kids:
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
					if err := wk.run(t); err != nil {
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
	if failed.Load() {
		return context.Cause(ctx)
	}
	return ctx.Err()
}

// worker holds one goroutine's reusable state.
type worker struct {
	id      int
	db      *DB
	v       Visitor
	kids    chan task
	pending *sync.WaitGroup
	zr      io.ReadCloser
	br      bytes.Reader
}

func (wk *worker) run(t task) error {
	if t.loose != nil {
		return wk.runLoose(t.loose)
	}
	p := t.p
	var typ plumbing.ObjectType
	var data []byte
	switch {
	case t.ext:
		bt, base, err := wk.db.external(p.extBase[t.i])
		if err != nil {
			return fmt.Errorf("%s: delta base %s of %s: %w", p.path, p.extBase[t.i], p.hash(t.i), err)
		}
		delta, err := wk.inflate(p, t.i)
		if err != nil {
			return err
		}
		if data, err = applyDelta(base, delta); err != nil {
			return fmt.Errorf("%s: object %s: %w", p.path, p.hash(t.i), err)
		}
		typ = bt
		if !wk.v.Want(typ) {
			return nil
		}
	case t.base != nil:
		delta, err := wk.inflate(p, t.i)
		if err != nil {
			return err
		}
		if data, err = applyDelta(t.base, delta); err != nil {
			return fmt.Errorf("%s: object %s: %w", p.path, p.hash(t.i), err)
		}
		typ = t.typ
	default:
		typ = p.typ[t.i]
		if p.size[t.i] > wk.v.StreamAbove && len(p.children[t.i]) == 0 && wk.v.Stream != nil {
			if wk.isDup(t) {
				return nil
			}
			return wk.streamPacked(p, t.i, typ)
		}
		var err error
		if data, err = wk.inflate(p, t.i); err != nil {
			return err
		}
	}
	if !wk.isDup(t) {
		if err := wk.v.Object(wk.id, p.hash(t.i), typ, data); err != nil {
			return err
		}
	}
	kids := p.children[t.i]
	for k, c := range kids {
		ct := task{p: p, pi: t.pi, i: c, base: data, typ: typ}
		if k < len(kids)-1 {
			// Offer all but the last child to idle workers.
			wk.pending.Add(1)
			select {
			case wk.kids <- ct:
				continue
			default:
				wk.pending.Done()
			}
		}
		if err := wk.run(ct); err != nil {
			return err
		}
	}
	return nil
}

func (wk *worker) isDup(t task) bool {
	d := wk.db.dup[t.pi]
	return d != nil && d[t.i]
}

// reset points the worker's zlib reader at b.
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

// inflate returns object i's inflated bytes (the delta, for a delta).
func (wk *worker) inflate(p *pack, i int32) ([]byte, error) {
	size := p.size[i]
	if size < 0 || size > 1<<32 {
		return nil, fmt.Errorf("%s: object %s: bad size %d", p.path, p.hash(i), size)
	}
	wk.br.Reset(p.read(i))
	if err := wk.reset(&wk.br); err != nil {
		return nil, fmt.Errorf("%s: object %s: %w", p.path, p.hash(i), err)
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(wk.zr, out); err != nil {
		return nil, fmt.Errorf("%s: object %s: inflating: %w", p.path, p.hash(i), err)
	}
	return out, nil
}

func (wk *worker) streamPacked(p *pack, i int32, typ plumbing.ObjectType) error {
	wk.br.Reset(p.read(i))
	if err := wk.reset(&wk.br); err != nil {
		return fmt.Errorf("%s: object %s: %w", p.path, p.hash(i), err)
	}
	r := &exactReader{r: wk.zr, n: p.size[i]}
	if err := wk.v.Stream(wk.id, p.hash(i), typ, p.size[i], r); err != nil {
		return err
	}
	if r.n != 0 {
		return fmt.Errorf("%s: object %s: stream not read to the end", p.path, p.hash(i))
	}
	return nil
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
	if e.n == 0 && err == nil {
		err = nil
	}
	return k, err
}
