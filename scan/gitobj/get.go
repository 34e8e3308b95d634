package gitobj

import (
	"container/list"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// objectCache keeps recently inflated objects (delta bases, mostly) within
// a byte budget.
type objectCache struct {
	budget, used int
	ll           *list.List
	items        map[cacheKey]*list.Element
}

type cacheKey struct {
	p *pack
	i int32
}

type cacheEntry struct {
	key  cacheKey
	typ  plumbing.ObjectType
	data []byte
}

func newObjectCache(budget int) *objectCache {
	return &objectCache{budget: budget, ll: list.New(), items: map[cacheKey]*list.Element{}}
}

func (c *objectCache) get(k cacheKey) (plumbing.ObjectType, []byte, bool) {
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		ce := e.Value.(*cacheEntry)
		return ce.typ, ce.data, true
	}
	return 0, nil, false
}

func (c *objectCache) put(k cacheKey, typ plumbing.ObjectType, data []byte) {
	if len(data) > c.budget/4 {
		return
	}
	if _, ok := c.items[k]; ok {
		return
	}
	c.items[k] = c.ll.PushFront(&cacheEntry{k, typ, data})
	c.used += len(data)
	for c.used > c.budget {
		e := c.ll.Back()
		ce := e.Value.(*cacheEntry)
		c.ll.Remove(e)
		delete(c.items, ce.key)
		c.used -= len(ce.data)
	}
}

// Get reads one object by id: from a pack (resolving its delta chain
// through a cache of recently inflated objects), else loose, else through
// the external resolver. The returned data may be shared with the cache:
// the caller must not modify it. Get is not safe for concurrent use.
func (db *DB) Get(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	for _, p := range db.packs {
		if i := p.find(h); i >= 0 {
			return db.getPacked(p, i)
		}
	}
	// Loose objects, in this repository or an alternate (go-git does not
	// read an alternate's loose objects).
	if db.looseByHash == nil {
		db.looseByHash = make(map[plumbing.Hash]string, len(db.loose))
		for _, l := range db.loose {
			db.looseByHash[l.hash] = l.path
		}
	}
	if path, ok := db.looseByHash[h]; ok {
		return readLoose(path, h)
	}
	return db.external(h)
}

func (db *DB) getPacked(p *pack, i int32) (plumbing.ObjectType, []byte, error) {
	if db.cache == nil {
		db.cache = newObjectCache(64 << 20)
		db.reader = &worker{db: db}
	}
	k := cacheKey{p, i}
	if typ, data, ok := db.cache.get(k); ok {
		return typ, data, nil
	}
	// The object's type and its delta base, if it is a delta.
	var typ plumbing.ObjectType
	var base []byte
	var err error
	switch {
	case p.hasExternalBase(i):
		typ, base, err = db.external(p.extBase[i])
	case p.base[i] >= 0:
		typ, base, err = db.getPacked(p, p.base[i])
	default:
		typ = p.typ[i]
	}
	if err != nil {
		return 0, nil, err
	}
	data, err := db.reader.inflate(p, i)
	if err != nil {
		return 0, nil, err
	}
	if base != nil {
		if data, err = applyDelta(base, data); err != nil {
			return 0, nil, fmt.Errorf("%s: object %s: %w", p.path, p.hash(i), err)
		}
	}
	db.cache.put(k, typ, data)
	return typ, data, nil
}
