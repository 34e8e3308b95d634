package gitobj

import (
	"container/list"

	"github.com/go-git/go-git/v5/plumbing"
)

// objectCache keeps recently inflated objects (delta bases, mostly) within
// a byte budget, the least recently used going first; an object over a
// quarter of the budget is not kept. K says where an object is: a pack and
// its position in the pack order (Reader), or a pack and an offset
// (Store). It is not safe for concurrent use: each reader has its own.
type objectCache[K comparable] struct {
	budget, used int
	ll           *list.List
	items        map[K]*list.Element
}

type cacheEntry[K comparable] struct {
	key  K
	typ  plumbing.ObjectType
	data []byte
}

func newObjectCache[K comparable](budget int) *objectCache[K] {
	return &objectCache[K]{budget: budget, ll: list.New(), items: map[K]*list.Element{}}
}

func (c *objectCache[K]) get(k K) (plumbing.ObjectType, []byte, bool) {
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		ce := e.Value.(*cacheEntry[K])
		return ce.typ, ce.data, true
	}
	return 0, nil, false
}

func (c *objectCache[K]) put(k K, typ plumbing.ObjectType, data []byte) {
	if len(data) > c.budget/4 {
		return
	}
	if _, ok := c.items[k]; ok {
		return
	}
	c.items[k] = c.ll.PushFront(&cacheEntry[K]{k, typ, data})
	c.used += len(data)
	for c.used > c.budget {
		e := c.ll.Back()
		ce := e.Value.(*cacheEntry[K])
		c.ll.Remove(e)
		delete(c.items, ce.key)
		c.used -= len(ce.data)
	}
}
