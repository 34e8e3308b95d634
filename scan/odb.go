package scan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/klauspost/compress/zlib"
)

// odb is a repository's object database on disk: its packs and loose
// objects, alternates included, read without go-git's per-object lookups so
// that every object can be inflated exactly once, in parallel.
type odb struct {
	dirs  []string
	packs []*pack
	dup   [][]bool // per pack: objects already held by an earlier pack
	loose []looseObject
	// external returns an object that no pack or loose file here holds
	// whole: the base of a REF_DELTA from another pack.
	external func(plumbing.Hash) (byte, []byte, error)
	// For random access (get): a cache of inflated objects and a reader.
	cache       *objectCache
	reader      *worker
	looseByHash map[plumbing.Hash]string
}

type looseObject struct {
	path string
	hash plumbing.Hash
}

// openODB opens the object directory objDir and its alternates.
func openODB(objDir string, external func(plumbing.Hash) (byte, []byte, error)) (*odb, error) {
	db := &odb{external: external}
	seen := map[string]bool{}
	var add func(dir string, depth int) error
	add = func(dir string, depth int) error {
		dir = filepath.Clean(dir)
		if seen[dir] || depth > 5 {
			return nil
		}
		seen[dir] = true
		db.dirs = append(db.dirs, dir)
		f, err := os.Open(filepath.Join(dir, "info", "alternates"))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 || line[0] == '#' {
				continue
			}
			alt := string(line)
			if !filepath.IsAbs(alt) {
				alt = filepath.Join(dir, alt)
			}
			if err := add(alt, depth+1); err != nil {
				return err
			}
		}
		return sc.Err()
	}
	if err := add(objDir, 0); err != nil {
		return nil, err
	}
	for _, dir := range db.dirs {
		idxs, err := filepath.Glob(filepath.Join(dir, "pack", "pack-*.idx"))
		if err != nil {
			return nil, err
		}
		sort.Strings(idxs)
		for _, idx := range idxs {
			if _, err := os.Stat(idx[:len(idx)-4] + ".pack"); err != nil {
				continue // an index without its pack: a fetch in progress
			}
			p, err := openPack(idx)
			if err != nil {
				db.close()
				return nil, err
			}
			db.packs = append(db.packs, p)
		}
		if err := db.listLoose(dir); err != nil {
			db.close()
			return nil, err
		}
	}
	for _, p := range db.packs {
		if err := p.parseHeaders(); err != nil {
			db.close()
			return nil, err
		}
	}
	db.dedupe()
	return db, nil
}

func (db *odb) close() {
	for _, p := range db.packs {
		p.close()
	}
}

func (db *odb) listLoose(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		name := e.Name()
		if !e.IsDir() || len(name) != 2 || !isHexString(name) {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		for _, f := range files {
			rest := f.Name()
			if len(rest) != 38 || !isHexString(rest) {
				continue
			}
			db.loose = append(db.loose, looseObject{filepath.Join(dir, name, rest), plumbing.NewHash(name + rest)})
		}
	}
	return nil
}

func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// dedupe marks objects that an earlier pack already holds, and drops loose
// objects that a pack holds, so each object is visited once.
func (db *odb) dedupe() {
	db.dup = make([][]bool, len(db.packs))
	for j := 1; j < len(db.packs); j++ {
		for i := 0; i < db.packs[j].count(); i++ {
			h := db.packs[j].hash(int32(i))
			for _, earlier := range db.packs[:j] {
				if earlier.find(h) >= 0 {
					if db.dup[j] == nil {
						db.dup[j] = make([]bool, db.packs[j].count())
					}
					db.dup[j][i] = true
					break
				}
			}
		}
	}
	if len(db.packs) == 0 || len(db.loose) == 0 {
		return
	}
	keep := db.loose[:0]
	seen := map[plumbing.Hash]bool{}
	for _, l := range db.loose {
		if seen[l.hash] || db.packed(l.hash) {
			continue
		}
		seen[l.hash] = true
		keep = append(keep, l)
	}
	db.loose = keep
}

func (db *odb) packed(h plumbing.Hash) bool {
	for _, p := range db.packs {
		if p.find(h) >= 0 {
			return true
		}
	}
	return false
}

// visitor receives objects. Calls run concurrently, one goroutine per
// worker index w; data is only valid during the call.
type visitor struct {
	// want reports whether objects of a type are needed; chains of unwanted
	// types are never inflated.
	want func(typ byte) bool
	// object receives an object's content.
	object func(w int, h plumbing.Hash, typ byte, data []byte) error
	// stream receives objects larger than streamThreshold that are not the
	// base of any delta, as a reader, so they are never held whole.
	stream func(w int, h plumbing.Hash, typ byte, size int64, r io.Reader) error
}

// streamThreshold is the size above which a standalone object is streamed.
var streamThreshold int64 = 32 << 20

type task struct {
	p     *pack
	pi    int // index of p in db.packs
	i     int32
	base  []byte // content of the delta base; nil for a root
	loose *looseObject
	ext   bool // i's base is external
	typ   byte // the chain's type, for a delta
}

// forEach visits every object once with the given number of workers. Delta
// chains are resolved depth first from their roots, so each object is
// inflated once and only the chain being walked is held in memory; a worker
// hands sibling subtrees to idle workers.
func (db *odb) forEach(ctx context.Context, workers int, v visitor) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
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
				if !ext && !v.want(p.typ[i]) {
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
	db      *odb
	v       visitor
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
	var typ byte
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
		if !wk.v.want(typ) {
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
		if p.size[t.i] > streamThreshold && len(p.children[t.i]) == 0 && wk.v.stream != nil {
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
		if err := wk.v.object(wk.id, p.hash(t.i), typ, data); err != nil {
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

func (wk *worker) streamPacked(p *pack, i int32, typ byte) error {
	wk.br.Reset(p.read(i))
	if err := wk.reset(&wk.br); err != nil {
		return fmt.Errorf("%s: object %s: %w", p.path, p.hash(i), err)
	}
	r := &exactReader{r: wk.zr, n: p.size[i]}
	if err := wk.v.stream(wk.id, p.hash(i), typ, p.size[i], r); err != nil {
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

// readLoose reads a whole loose object, for random access.
func readLoose(path string, h plumbing.Hash) (byte, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	zr, err := zlib.NewReader(bufio.NewReader(f))
	if err != nil {
		return 0, nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	defer zr.Close()
	raw, err := io.ReadAll(io.LimitReader(zr, 1<<32))
	if err != nil {
		return 0, nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	hdr, data, ok := bytes.Cut(raw, []byte{0})
	if !ok {
		return 0, nil, fmt.Errorf("loose object %s: bad header", h)
	}
	name, sizeText, _ := bytes.Cut(hdr, []byte(" "))
	if size, err := strconv.Atoi(string(sizeText)); err != nil || size != len(data) {
		return 0, nil, fmt.Errorf("loose object %s: bad size", h)
	}
	typ, ok := typeByName(name)
	if !ok {
		return 0, nil, fmt.Errorf("loose object %s: unknown type %q", h, name)
	}
	return typ, data, nil
}

// typeByName maps a loose object header's type name to its number.
func typeByName(name []byte) (byte, bool) {
	switch string(name) {
	case "commit":
		return objCommit, true
	case "tree":
		return objTree, true
	case "blob":
		return objBlob, true
	case "tag":
		return objTag, true
	}
	return 0, false
}

// runLoose reads one loose object: zlib("<type> <size>\x00<content>").
func (wk *worker) runLoose(l *looseObject) error {
	f, err := os.Open(l.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := wk.reset(bufio.NewReaderSize(f, 64<<10)); err != nil {
		return fmt.Errorf("loose object %s: %w", l.hash, err)
	}
	hdr := make([]byte, 0, 32)
	var one [1]byte
	for {
		if _, err := io.ReadFull(wk.zr, one[:]); err != nil {
			return fmt.Errorf("loose object %s: header: %w", l.hash, err)
		}
		if one[0] == 0 {
			break
		}
		if len(hdr) >= 32 {
			return fmt.Errorf("loose object %s: header too long", l.hash)
		}
		hdr = append(hdr, one[0])
	}
	name, sizeText, ok := bytes.Cut(hdr, []byte(" "))
	size, err := strconv.ParseInt(string(sizeText), 10, 64)
	if !ok || err != nil || size < 0 {
		return fmt.Errorf("loose object %s: bad header", l.hash)
	}
	typ, known := typeByName(name)
	if !known {
		return fmt.Errorf("loose object %s: unknown type %q", l.hash, name)
	}
	if !wk.v.want(typ) {
		return nil
	}
	if size > streamThreshold && wk.v.stream != nil {
		r := &exactReader{r: wk.zr, n: size}
		return wk.v.stream(wk.id, l.hash, typ, size, r)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(wk.zr, data); err != nil {
		return fmt.Errorf("loose object %s: %w", l.hash, err)
	}
	return wk.v.object(wk.id, l.hash, typ, data)
}
