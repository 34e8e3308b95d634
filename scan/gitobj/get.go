package gitobj

import (
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// cacheKey is where a Reader's cached object is: a pack and its position.
type cacheKey struct {
	p *pack
	i int32
}

// Reader reads objects by id, as DB.Get does, through a cache of its
// own: each goroutine that reads at random uses its own Reader, and any
// number can read one DB at once. The data a Reader returns is never
// reused or modified by it, so it stays valid after later reads.
type Reader struct {
	db    *DB
	cache *objectCache[cacheKey]
	wk    *worker
	chain []int32 // scratch: the links of a delta chain
}

// NewReader returns a Reader whose cache of inflated objects (delta bases,
// mostly) holds at most cacheBytes.
func (db *DB) NewReader(cacheBytes int) *Reader {
	return &Reader{db: db, cache: newObjectCache[cacheKey](cacheBytes), wk: &worker{walk: &walk{db: db}}}
}

// Get reads one object by id through a Reader with a 64 MiB cache; it is
// not safe for concurrent use (NewReader makes one per goroutine). The
// returned data may be shared with the cache: the caller must not modify
// it.
func (db *DB) Get(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	if db.reader == nil {
		db.reader = db.NewReader(64 << 20)
	}
	return db.reader.Get(h)
}

// Get reads one object by id: from a pack (resolving its delta chain
// without recursion, through the Reader's cache), else loose, else
// through the external resolver. Every object held on the way is within
// the DB's MaxDeltaSize. The returned data may be shared with the cache:
// the caller must not modify it.
func (r *Reader) Get(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	db := r.db
	for _, p := range db.packs {
		if i := p.find(h); i >= 0 {
			return r.getPacked(p, i)
		}
	}
	// Loose objects, in this repository or an alternate (go-git does not
	// read an alternate's loose objects).
	db.looseOnce.Do(func() {
		db.looseByHash = make(map[plumbing.Hash]string, len(db.loose))
		for _, l := range db.loose {
			db.looseByHash[l.hash] = l.path
		}
	})
	if path, ok := db.looseByHash[h]; ok {
		return readLoose(path, h, db.limits.MaxDeltaSize)
	}
	return db.externalLocked(h)
}

// externalLocked calls the external resolver one caller at a time: it
// reads through go-git, which Readers in several goroutines must not
// enter at once.
func (db *DB) externalLocked(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	db.extMu.Lock()
	defer db.extMu.Unlock()
	return db.external(h)
}

// getPacked rebuilds object i of p: up its chain to the nearest object the
// cache holds (or the chain's root), then down again, caching each link.
func (r *Reader) getPacked(p *pack, i int32) (plumbing.ObjectType, []byte, error) {
	db := r.db
	var typ plumbing.ObjectType
	var base []byte
	haveBase := false
	chain := r.chain[:0]
	for j := i; ; j = p.base[j] {
		if t, d, ok := r.cache.get(cacheKey{p, j}); ok {
			typ, base, haveBase = t, d, true
			break
		}
		chain = append(chain, j)
		if p.hasExternalBase(j) {
			t, d, err := db.externalLocked(p.extBase[j])
			if err != nil {
				return 0, nil, fmt.Errorf("%s: delta base %s of %s: %w", p.path, p.extBase[j], p.hash(j), err)
			}
			typ, base, haveBase = t, d, true
			break
		}
		if p.base[j] < 0 {
			typ = p.typ[j]
			break
		}
	}
	r.chain = chain
	for k := len(chain) - 1; k >= 0; k-- {
		j := chain[k]
		if p.size[j] > db.limits.MaxDeltaSize {
			return 0, nil, db.limitError(p, j, "an object held whole", p.size[j], db.limits.MaxDeltaSize, "MaxDeltaSize")
		}
		raw := make([]byte, p.size[j])
		if err := r.wk.inflateInto(raw, p, j); err != nil {
			return 0, nil, err
		}
		data := raw
		if haveBase {
			var err error
			if data, err = db.applyDelta(p, j, base, raw); err != nil {
				return 0, nil, err
			}
		}
		r.cache.put(cacheKey{p, j}, typ, data)
		base, haveBase = data, true
	}
	return typ, base, nil
}

// applyDelta applies delta j of p to base, within MaxDeltaSize.
func (db *DB) applyDelta(p *pack, j int32, base, delta []byte) ([]byte, error) {
	src, dst, ops, err := deltaSizes(delta)
	if err == nil && src != uint64(len(base)) {
		err = fmt.Errorf("%w: base is %d bytes, delta expects %d", errDelta, len(base), src)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: object %s: %w", p.path, p.hash(j), err)
	}
	if dst > uint64(db.limits.MaxDeltaSize) {
		return nil, db.limitError(p, j, "a delta result", int64(min(dst, 1<<62)), db.limits.MaxDeltaSize, "MaxDeltaSize")
	}
	out, err := patch(make([]byte, 0, dst), base, ops, int(dst))
	if err != nil {
		return nil, fmt.Errorf("%s: object %s: %w", p.path, p.hash(j), err)
	}
	return out, nil
}
