package scan

import (
	"bytes"
	"container/heap"
	"context"
	"fmt"
	"hash/maphash"

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
	g := &graph{index: map[plumbing.Hash]int{}, refs: refs, taggedBlobs: map[plumbing.Hash][]ref{}}
	// Roots, in ref order, and the commits reachable from them.
	reach := map[plumbing.Hash]bool{}
	seenTag := map[plumbing.Hash]bool{}
	missing := map[plumbing.Hash]bool{}
	rootOf := make([]plumbing.Hash, len(refs))
	var stack []plumbing.Hash
	for i, r := range refs {
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
		if _, ok := commits[h]; !ok {
			if typ == 0 || typ == plumbing.CommitObject {
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
		stack = append(stack, c.Parents...)
	}
	g.missing = len(missing)

	g.order = oldestFirst(reach, commits)
	for i, c := range g.order {
		g.index[c.Hash] = i
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
			stack = append(stack, commits[h].Parents...)
		}
	}
	return g
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

// attribute walks the commits oldest first, descending only into trees not
// seen before at their path, and records for each hit blob the first commit
// that holds it at each path. It returns how many trees it read and how
// many it could not find.
func (g *graph) attribute(ctx context.Context, get func(plumbing.Hash) (plumbing.ObjectType, []byte, error), hits map[plumbing.Hash]*blobHit) (trees, missing int, err error) {
	for _, h := range hits {
		h.first = map[string]int{}
	}
	seen := map[treeKey]struct{}{}
	var walk func(h plumbing.Hash, prefix string, order, depth int) error
	walk = func(h plumbing.Hash, prefix string, order, depth int) error {
		if depth > maxTreeDepth {
			return treeTooDeep(h, prefix)
		}
		k := treeKey{h, maphash.String(pathSeed, prefix)}
		if _, ok := seen[k]; ok {
			return nil
		}
		seen[k] = struct{}{}
		typ, data, err := get(h)
		if err != nil {
			missing++
			return nil
		}
		if typ != plumbing.TreeObject {
			return fmt.Errorf("object %s at %q is a %s, not a tree", h, prefix, typ)
		}
		trees++
		return gitobj.ParseTree(data, func(e gitobj.TreeEntry) error {
			switch e.Mode {
			case filemode.Dir:
				return walk(e.Hash, prefix+e.Name+"/", order, depth+1)
			case filemode.Submodule:
				return nil
			}
			if hit, ok := hits[e.Hash]; ok {
				p := prefix + e.Name
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
		if err := walk(c.Tree, "", order, 0); err != nil {
			return trees, missing, fmt.Errorf("commit %s: %w", c.Hash, err)
		}
	}
	// Trees a tag names directly come after every commit: their positions
	// are len(g.order)+k for the k-th tagged tree.
	for k, t := range g.taggedTrees {
		if err := walk(t.hash, "", len(g.order)+k, 0); err != nil {
			return trees, missing, fmt.Errorf("%s: %w", t.name, err)
		}
	}
	return trees, missing, nil
}
