package scan

import (
	"container/heap"
	"container/list"
	"context"
	"fmt"
	"hash/maphash"

	"github.com/go-git/go-git/v5/plumbing"
)

// graph is the commit history reachable from the refs, oldest first.
type graph struct {
	order []*commitInfo         // parents before children, then by commit time
	index map[plumbing.Hash]int // commit -> position in order
	refs  []ref
	refOf []int32 // per position: index in refs of a ref that reaches it
	// taggedBlobs are blobs a tag names directly (git.git's junio-gpg-pub),
	// taggedTrees trees (both rare, and both in every clone).
	taggedBlobs   map[plumbing.Hash][]ref
	taggedTrees   []ref
	reachableTags []*tagInfo
	missing       int // commits named as parents or ref targets but absent
}

// peel follows annotated tags to the object they finally name.
func peel(h plumbing.Hash, tags map[plumbing.Hash]*tagInfo, visit func(*tagInfo)) (plumbing.Hash, byte) {
	for range 100 {
		t, ok := tags[h]
		if !ok {
			return h, 0
		}
		if visit != nil {
			visit(t)
		}
		h = t.target
		if t.typ != objTag && t.typ != 0 {
			if _, isTag := tags[h]; !isTag {
				return h, t.typ
			}
		}
	}
	return h, 0
}

func buildGraph(commits map[plumbing.Hash]*commitInfo, tags map[plumbing.Hash]*tagInfo, refs []ref) *graph {
	g := &graph{index: map[plumbing.Hash]int{}, refs: refs, taggedBlobs: map[plumbing.Hash][]ref{}}
	// Roots, in ref order, and the commits reachable from them.
	reach := map[plumbing.Hash]bool{}
	seenTag := map[plumbing.Hash]bool{}
	missing := map[plumbing.Hash]bool{}
	rootOf := make([]plumbing.Hash, len(refs))
	var stack []plumbing.Hash
	for i, r := range refs {
		h, typ := peel(r.hash, tags, func(t *tagInfo) {
			if !seenTag[t.hash] {
				seenTag[t.hash] = true
				g.reachableTags = append(g.reachableTags, t)
			}
		})
		if typ == objBlob {
			g.taggedBlobs[h] = append(g.taggedBlobs[h], r)
			continue
		}
		if typ == objTree {
			g.taggedTrees = append(g.taggedTrees, ref{name: r.name, hash: h, rank: r.rank})
			continue
		}
		if _, ok := commits[h]; !ok {
			if typ == 0 || typ == objCommit {
				missing[h] = true
			}
			continue
		}
		rootOf[i] = h
		stack = append(stack, h)
	}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if reach[h] {
			continue
		}
		c, ok := commits[h]
		if !ok {
			missing[h] = true
			continue
		}
		reach[h] = true
		stack = append(stack, c.parents...)
	}
	g.missing = len(missing)

	// Kahn's algorithm: a commit is ready once its parents are out; ready
	// commits leave oldest first.
	pending := map[plumbing.Hash]int{}
	children := map[plumbing.Hash][]plumbing.Hash{}
	ready := &commitHeap{}
	for h := range reach {
		c := commits[h]
		n := 0
		for _, p := range c.parents {
			if reach[p] {
				n++
				children[p] = append(children[p], h)
			}
		}
		pending[h] = n
		if n == 0 {
			heap.Push(ready, c)
		}
	}
	g.order = make([]*commitInfo, 0, len(reach))
	for ready.Len() > 0 {
		c := heap.Pop(ready).(*commitInfo)
		g.index[c.hash] = len(g.order)
		g.order = append(g.order, c)
		for _, ch := range children[c.hash] {
			pending[ch]--
			if pending[ch] == 0 {
				heap.Push(ready, commits[ch])
			}
		}
	}
	// Name each commit after the most preferred ref that reaches it.
	g.refOf = make([]int32, len(g.order))
	for i := range g.refOf {
		g.refOf[i] = -1
	}
	for i, root := range rootOf {
		if root.IsZero() {
			continue
		}
		stack = append(stack[:0], root)
		for len(stack) > 0 {
			h := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			pos, ok := g.index[h]
			if !ok || g.refOf[pos] >= 0 {
				continue
			}
			g.refOf[pos] = int32(i)
			stack = append(stack, commits[h].parents...)
		}
	}
	return g
}

func (g *graph) refName(order int) string {
	if order < 0 || order >= len(g.refOf) || g.refOf[order] < 0 {
		return ""
	}
	return g.refs[g.refOf[order]].name
}

type commitHeap []*commitInfo

func (h commitHeap) Len() int { return len(h) }
func (h commitHeap) Less(i, j int) bool {
	if h[i].committed != h[j].committed {
		return h[i].committed < h[j].committed
	}
	return h[i].hash.String() < h[j].hash.String()
}
func (h commitHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *commitHeap) Push(x any)   { *h = append(*h, x.(*commitInfo)) }
func (h *commitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// treeKey identifies a tree at a path: a directory moved unchanged is
// walked again at its new path, so its files are attributed there too.
type treeKey struct {
	hash plumbing.Hash
	path uint64
}

var pathSeed = maphash.MakeSeed()

// attribute walks the commits oldest first, descending only into trees not
// seen before at their path, and records for each hit blob the first commit
// that holds it at each path. It returns how many trees it read and how
// many it could not find.
func (g *graph) attribute(ctx context.Context, db *odb, hits map[plumbing.Hash]*blobHit) (trees, missing int, err error) {
	for _, h := range hits {
		h.first = map[string]int{}
	}
	seen := map[treeKey]struct{}{}
	var walk func(h plumbing.Hash, prefix string, order int) error
	walk = func(h plumbing.Hash, prefix string, order int) error {
		k := treeKey{h, maphash.String(pathSeed, prefix)}
		if _, ok := seen[k]; ok {
			return nil
		}
		seen[k] = struct{}{}
		typ, data, err := db.get(h)
		if err != nil {
			missing++
			return nil
		}
		if typ != objTree {
			return fmt.Errorf("object %s at %q is a %s, not a tree", h, prefix, typeName(typ))
		}
		trees++
		return parseTree(data, func(e treeEntry) error {
			switch {
			case e.mode == modeTree:
				return walk(e.hash, prefix+e.name+"/", order)
			case e.mode == modeGitlnk:
				return nil
			}
			if hit, ok := hits[e.hash]; ok {
				p := prefix + e.name
				if _, ok := hit.first[p]; !ok {
					hit.first[p] = order
				}
			}
			return nil
		})
	}
	for order, c := range g.order {
		if err := ctx.Err(); err != nil {
			return trees, missing, err
		}
		if err := walk(c.tree, "", order); err != nil {
			return trees, missing, fmt.Errorf("commit %s: %w", c.hash, err)
		}
	}
	// Trees a tag names directly come after every commit: their positions
	// are len(g.order)+k for the k-th tagged tree.
	for k, t := range g.taggedTrees {
		if err := walk(t.hash, "", len(g.order)+k); err != nil {
			return trees, missing, fmt.Errorf("%s: %w", t.name, err)
		}
	}
	return trees, missing, nil
}

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
	typ  byte
	data []byte
}

func newObjectCache(budget int) *objectCache {
	return &objectCache{budget: budget, ll: list.New(), items: map[cacheKey]*list.Element{}}
}

func (c *objectCache) get(k cacheKey) (byte, []byte, bool) {
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		ce := e.Value.(*cacheEntry)
		return ce.typ, ce.data, true
	}
	return 0, nil, false
}

func (c *objectCache) put(k cacheKey, typ byte, data []byte) {
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

// get reads one object by id: from a pack (resolving its delta chain
// through a cache), else loose or through go-git. Not safe for concurrent
// use; the attribution walk is sequential.
func (db *odb) get(h plumbing.Hash) (byte, []byte, error) {
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

func (db *odb) getPacked(p *pack, i int32) (byte, []byte, error) {
	if db.cache == nil {
		db.cache = newObjectCache(64 << 20)
		db.reader = &worker{db: db}
	}
	k := cacheKey{p, i}
	if typ, data, ok := db.cache.get(k); ok {
		return typ, data, nil
	}
	// The object's type and its delta base, if it is a delta.
	var typ byte
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
