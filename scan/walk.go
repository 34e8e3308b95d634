package scan

import (
	"bytes"
	"container/heap"
	"context"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/vastguard/vastguard/scan/gitobj"
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
func peel(h plumbing.Hash, tags map[plumbing.Hash]*tagInfo, visit func(*tagInfo)) (plumbing.Hash, plumbing.ObjectType) {
	for range 100 {
		t, ok := tags[h]
		if !ok {
			return h, 0
		}
		if visit != nil {
			visit(t)
		}
		h = t.Target
		if t.TargetType != plumbing.TagObject && t.TargetType != 0 {
			if _, isTag := tags[h]; !isTag {
				return h, t.TargetType
			}
		}
	}
	return h, 0
}

func buildGraph(commits map[plumbing.Hash]*commitInfo, tags map[plumbing.Hash]*tagInfo, refs []ref) *graph {
	g := &graph{refs: refs, taggedBlobs: map[plumbing.Hash][]ref{}}
	// Commits by number, and their parents as numbers (-1: absent), so
	// that the walks below index slices instead of maps.
	all := make([]*commitInfo, 0, len(commits))
	num := make(map[plumbing.Hash]int32, len(commits))
	for h, c := range commits {
		num[h] = int32(len(all))
		all = append(all, c)
	}
	parentStart := make([]int32, len(all)+1)
	for k, c := range all {
		parentStart[k+1] = parentStart[k] + int32(len(c.Parents))
	}
	parents := make([]int32, parentStart[len(all)])
	missing := map[plumbing.Hash]bool{}
	for k, c := range all {
		for j, p := range c.Parents {
			n, ok := num[p]
			if !ok {
				n = -1
			}
			parents[int(parentStart[k])+j] = n
		}
	}
	// Roots, in ref order, and the commits reachable from them.
	reach := make([]bool, len(all))
	seenTag := map[plumbing.Hash]bool{}
	rootOf := make([]int32, len(refs))
	var stack []int32
	for i, r := range refs {
		rootOf[i] = -1
		h, typ := peel(r.hash, tags, func(t *tagInfo) {
			if !seenTag[t.Hash] {
				seenTag[t.Hash] = true
				g.reachableTags = append(g.reachableTags, t)
			}
		})
		if typ == plumbing.BlobObject {
			g.taggedBlobs[h] = append(g.taggedBlobs[h], r)
			continue
		}
		if typ == plumbing.TreeObject {
			g.taggedTrees = append(g.taggedTrees, ref{name: r.name, hash: h, rank: r.rank})
			continue
		}
		n, ok := num[h]
		if !ok {
			if typ == 0 || typ == plumbing.CommitObject {
				missing[h] = true
			}
			continue
		}
		rootOf[i] = n
		stack = append(stack, n)
	}
	reached := 0
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if reach[k] {
			continue
		}
		reach[k] = true
		reached++
		for j, p := range parents[parentStart[k]:parentStart[k+1]] {
			if p < 0 {
				missing[all[k].Parents[j]] = true
				continue
			}
			stack = append(stack, p)
		}
	}
	g.missing = len(missing)

	// Oldest first: parents before children, and commits that are ready
	// together by commit time (Kahn's algorithm), as oldestFirst orders.
	pending := make([]int32, len(all))
	childStart := make([]int32, len(all)+1)
	for k := range all {
		if !reach[k] {
			continue
		}
		for _, p := range parents[parentStart[k]:parentStart[k+1]] {
			if p >= 0 && reach[p] {
				pending[k]++
				childStart[p+1]++
			}
		}
	}
	for k := range all {
		childStart[k+1] += childStart[k]
	}
	children := make([]int32, childStart[len(all)])
	next := slices.Clone(childStart[:len(all)])
	ready := &numHeap{all: all}
	for k := range all {
		if !reach[k] {
			continue
		}
		for _, p := range parents[parentStart[k]:parentStart[k+1]] {
			if p >= 0 && reach[p] {
				children[next[p]] = int32(k)
				next[p]++
			}
		}
		if pending[k] == 0 {
			ready.ks = append(ready.ks, int32(k))
		}
	}
	heap.Init(ready)
	g.order = make([]*commitInfo, 0, reached)
	pos := make([]int32, len(all)) // position in g.order; -1 for none
	for k := range pos {
		pos[k] = -1
	}
	for ready.Len() > 0 {
		k := heap.Pop(ready).(int32)
		pos[k] = int32(len(g.order))
		g.order = append(g.order, all[k])
		for _, ch := range children[childStart[k]:childStart[k+1]] {
			if pending[ch]--; pending[ch] == 0 {
				heap.Push(ready, ch)
			}
		}
	}
	g.index = make(map[plumbing.Hash]int, len(g.order))
	for i, c := range g.order {
		g.index[c.Hash] = i
	}
	// Name each commit after the most preferred ref that reaches it.
	g.refOf = make([]int32, len(g.order))
	for i := range g.refOf {
		g.refOf[i] = -1
	}
	for i, root := range rootOf {
		if root < 0 {
			continue
		}
		stack = append(stack[:0], root)
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if pos[k] < 0 || g.refOf[pos[k]] >= 0 {
				continue
			}
			g.refOf[pos[k]] = int32(i)
			for _, p := range parents[parentStart[k]:parentStart[k+1]] {
				if p >= 0 {
					stack = append(stack, p)
				}
			}
		}
	}
	return g
}

// numHeap orders commits by number as commitHeap orders them.
type numHeap struct {
	all []*commitInfo
	ks  []int32
}

func (h *numHeap) Len() int { return len(h.ks) }
func (h *numHeap) Less(i, j int) bool {
	a, b := h.all[h.ks[i]], h.all[h.ks[j]]
	if a.Committed != b.Committed {
		return a.Committed < b.Committed
	}
	return bytes.Compare(a.Hash[:], b.Hash[:]) < 0
}
func (h *numHeap) Swap(i, j int) { h.ks[i], h.ks[j] = h.ks[j], h.ks[i] }
func (h *numHeap) Push(x any)    { h.ks = append(h.ks, x.(int32)) }
func (h *numHeap) Pop() any {
	x := h.ks[len(h.ks)-1]
	h.ks = h.ks[:len(h.ks)-1]
	return x
}

// oldestFirst orders the commits of set parents before children, and
// commits that are ready together by commit time (Kahn's algorithm). Every
// commit of set must be in commits.
func oldestFirst(set map[plumbing.Hash]bool, commits map[plumbing.Hash]*commitInfo) []*commitInfo {
	pending := make(map[plumbing.Hash]int, len(set))
	children := map[plumbing.Hash][]plumbing.Hash{}
	ready := &commitHeap{}
	for h := range set {
		c := commits[h]
		n := 0
		for _, p := range c.Parents {
			if set[p] {
				n++
				children[p] = append(children[p], h)
			}
		}
		pending[h] = n
		if n == 0 {
			heap.Push(ready, c)
		}
	}
	order := make([]*commitInfo, 0, len(set))
	for ready.Len() > 0 {
		c := heap.Pop(ready).(*commitInfo)
		order = append(order, c)
		for _, ch := range children[c.Hash] {
			if pending[ch]--; pending[ch] == 0 {
				heap.Push(ready, commits[ch])
			}
		}
	}
	return order
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
	if h[i].Committed != h[j].Committed {
		return h[i].Committed < h[j].Committed
	}
	return bytes.Compare(h[i].Hash[:], h[j].Hash[:]) < 0
}
func (h commitHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *commitHeap) Push(x any)   { *h = append(*h, x.(*commitInfo)) }
func (h *commitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// maxTreeDepth is how deep trees may nest, git's core.maxTreeDepth: the
// tree walks recurse, and a hostile history could nest a million deep.
const maxTreeDepth = 4096

func treeTooDeep(h plumbing.Hash, prefix string) error {
	return &gitobj.LimitError{What: fmt.Sprintf("tree %s at %.80q", h, prefix), Need: "a nesting", Size: maxTreeDepth + 1, Limit: maxTreeDepth, Knob: "git's core.maxTreeDepth, in directories"}
}

// treeKey identifies a tree at a path: a directory moved unchanged is
// walked again at its new path, so its files are attributed there too.
type treeKey struct {
	hash plumbing.Hash
	path uint64
}

var pathSeed = maphash.MakeSeed()

// getFunc reads one object by id.
type getFunc func(plumbing.Hash) (plumbing.ObjectType, []byte, error)

// hitAt is a blob with keys at a path.
type hitAt struct {
	hit  *blobHit
	path string
}

// attribution is one attributing goroutine's state: the trees it has seen
// at their paths and, for each blob with keys at each path, the first
// position at which it saw it there.
type attribution struct {
	get     getFunc
	hits    map[plumbing.Hash]*blobHit
	filter  *hitFilter
	seen    map[treeKey]struct{}
	first   map[hitAt]int
	missing map[plumbing.Hash]struct{}
	trees   int
	path    []byte // the directory being walked, "a/b/"
}

// hitFilter has a bit for each 16-bit prefix of a hit's id, so that most
// tree entries are passed over without a map lookup.
type hitFilter [1 << 16 / 64]uint64

func (f *hitFilter) add(h plumbing.Hash) {
	k := uint(h[0])<<8 | uint(h[1])
	f[k/64] |= 1 << (k % 64)
}

func (f *hitFilter) has(h *plumbing.Hash) bool {
	k := uint(h[0])<<8 | uint(h[1])
	return f[k/64]&(1<<(k%64)) != 0
}

// attribute records for each hit blob the first commit that holds it at
// each path (setting each hit's first), walking the commits oldest first
// and descending only into trees not seen before at their path. With more
// than one reader in gets, the history is cut into runs of consecutive
// commits that the readers' goroutines take in order, each walking its
// runs with its own trees seen, so that both cores work; the first
// position of a blob at a path is the least any goroutine saw, so the
// result is the one walk's. Only a run's first commit is walked whole
// again (its trees were seen by the run before, in another goroutine). It
// returns how many trees it read and how many it could not find; an error
// is the oldest commit's, as one walk's would be.
func (g *graph) attribute(ctx context.Context, gets []getFunc, hits map[plumbing.Hash]*blobHit) (trees, missing int, err error) {
	filter := new(hitFilter)
	for h, hit := range hits {
		hit.first = map[string]int{}
		filter.add(h)
	}
	n := len(g.order)
	run := n
	if len(gets) > 1 && n >= minParallelCommits {
		run = max(minRunCommits, (n+4*len(gets)-1)/(4*len(gets)))
	}
	runs := 1
	if run > 0 {
		runs = (n + run - 1) / run
	}
	// The trees a tag names directly come after every commit (their
	// positions are len(g.order)+k for the k-th): the last run.
	if len(g.taggedTrees) > 0 {
		runs++
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, runs)
	var next, failedAt atomic.Int64
	failedAt.Store(int64(runs))
	states := make([]*attribution, min(len(gets), runs))
	var wg sync.WaitGroup
	for w := range states {
		a := &attribution{get: gets[w], hits: hits, filter: filter, seen: map[treeKey]struct{}{}, first: map[hitAt]int{}, missing: map[plumbing.Hash]struct{}{}}
		states[w] = a
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				r := next.Add(1) - 1
				if r >= int64(runs) || r > failedAt.Load() {
					return
				}
				if err := a.run(ctx, g, int(r), run); err != nil {
					errs[r] = err
					for f := failedAt.Load(); r < f && !failedAt.CompareAndSwap(f, r); f = failedAt.Load() {
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, 0, err
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	gone := map[plumbing.Hash]struct{}{}
	for _, a := range states {
		trees += a.trees
		for k, order := range a.first {
			if old, ok := k.hit.first[k.path]; !ok || order < old {
				k.hit.first[k.path] = order
			}
		}
		for h := range a.missing {
			gone[h] = struct{}{}
		}
	}
	return trees, len(gone), nil
}

// Attribution runs in parallel only for histories of at least
// minParallelCommits commits, in runs of at least minRunCommits
// (variables, which a test lowers).
var (
	minParallelCommits = 512
	minRunCommits      = 64
)

// run walks the r-th run of commits (of run commits each), or the trees
// tags name when r is past the commits.
func (a *attribution) run(ctx context.Context, g *graph, r, run int) error {
	if r*run >= len(g.order) {
		for k, t := range g.taggedTrees {
			if err := a.walk(t.hash, len(g.order)+k, 0); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
		}
		return nil
	}
	for order := r * run; order < min(len(g.order), (r+1)*run); order++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := g.order[order]
		if err := a.walk(c.Tree, order, 0); err != nil {
			return fmt.Errorf("commit %s: %w", c.Hash, err)
		}
	}
	return nil
}

// walk records the hits under tree h, which is at a.path, at position
// order.
func (a *attribution) walk(h plumbing.Hash, order, depth int) error {
	if depth > maxTreeDepth {
		return treeTooDeep(h, string(a.path))
	}
	k := treeKey{h, maphash.Bytes(pathSeed, a.path)}
	if _, ok := a.seen[k]; ok {
		return nil
	}
	a.seen[k] = struct{}{}
	typ, data, err := a.get(h)
	if err != nil {
		a.missing[h] = struct{}{}
		return nil
	}
	if typ != plumbing.TreeObject {
		return fmt.Errorf("object %s at %q is a %s, not a tree", h, a.path, typ)
	}
	a.trees++
	it := gitobj.NewTreeIter(data)
	var e gitobj.RawTreeEntry
	for {
		ok, err := it.Next(&e)
		if !ok {
			return err
		}
		switch e.Mode {
		case filemode.Dir:
			n := len(a.path)
			a.path = append(append(a.path, e.Name...), '/')
			err := a.walk(e.Hash, order, depth+1)
			a.path = a.path[:n]
			if err != nil {
				return err
			}
			continue
		case filemode.Submodule:
			continue
		}
		if !a.filter.has(&e.Hash) {
			continue
		}
		if hit, ok := a.hits[e.Hash]; ok {
			k := hitAt{hit, string(a.path) + string(e.Name)}
			if _, ok := a.first[k]; !ok {
				a.first[k] = order // the goroutine's runs come in order
			}
		}
	}
}
