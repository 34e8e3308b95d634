package scan

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/vastguard/vastguard/scan/gitobj"
)

// A range scan costs what the range introduces, not what the history
// holds. Its commits are found as git's rev-list finds A..B: both ends go
// into one queue, newest commit first; what A reaches is marked
// uninteresting and passes the mark to its parents (and, when clocks are
// skewed, down through commits already taken), and the walk stops once
// every commit left in the queue is uninteresting and older than the
// oldest commit taken, plus a few more for skewed clocks. Only the
// commits of the range and the ones just below it are read, through the
// pack reader, never the base's whole history.
//
// Each commit of the range, oldest first, is then compared with its
// parents tree by tree: a subtree or blob that some parent holds at the
// same path is skipped, so only the trees on changed paths are read, and
// a blob is scanned where the commit holds it and no parent does (for a
// merge, that is content only the merge introduced). A blob with a key is
// reported unless the range's base holds it anywhere in its history, at any
// path: what the base already had is not the range's. The base's trees are
// read only when there is such a blob, the boundary's (the uninteresting
// parents of the range) first, and only until every such blob is placed.

// walkSlop is how many more commits the walk takes once it could stop, as
// git's limit_list does, for commits whose clocks were wrong.
const walkSlop = 5

// walkSkew is how much older than the oldest commit of the range the queue
// must be before the walk counts down its slop. A skew the walk misses
// costs work, never a result: a commit of the base taken for one of the
// range is scanned, but a blob of the base is never reported (dropKnown
// checks every blob with a key against the base's whole history).
const walkSkew = 60 * 60

// Flags of a commit in the walk.
const (
	flagSeen uint8 = 1 << iota
	flagUninteresting
	flagTaken // popped from the queue
)

// rangeScan scans what the commits in a range introduced: blobs reachable
// from them and not from the range's boundary, and their messages.
func (s *scanner) rangeScan(ctx context.Context) (*Report, error) {
	from, to, err := rangeEnds(s.opts)
	if err != nil {
		return nil, err
	}
	a, err := s.resolveRev(from)
	if err != nil {
		return nil, err
	}
	b, err := s.resolveRev(to)
	if err != nil {
		return nil, err
	}
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	rep := &Report{Stats: Stats{Mode: "range", Refs: 1}}
	w := newRangeWalk(ctx, st, s.opts.Detectors, &rep.Stats)
	w.prog = newProgress(s.opts.Progress, 0)
	in, boundary, err := w.limit(a, b)
	if err != nil {
		return nil, err
	}
	order := oldestFirst(in, w.commits)
	rep.Stats.Commits = len(order)
	for i, c := range order {
		if err := w.diffCommit(c, i); err != nil {
			return nil, fmt.Errorf("commit %s: %w", c.Hash, err)
		}
	}
	w.prog.expect(int64(len(w.commits) + len(w.pending)))
	if err := w.scanPending(s.repo.objDir, s.repo.limits, s.opts.Workers); err != nil {
		return nil, err
	}
	w.prog.done()
	if len(w.hits) > 0 {
		if err := w.dropKnown(a, boundary); err != nil {
			return nil, err
		}
	}
	bld := newBuilder(s.opts.Detectors, &rep.Stats)
	bld.read = st.Get
	for i, c := range order {
		for _, m := range Detect(c.Message, s.opts.Detectors) {
			bld.message(m, c, i, to)
		}
	}
	for _, h := range w.hits {
		for path, i := range h.first {
			bld.blob(h, path, order[i], i, to)
		}
	}
	rep.Findings = bld.findings()
	return rep, nil
}

// rangeEnds returns the revisions at the two ends of Options.Range or
// Options.Since.
func rangeEnds(opts Options) (from, to string, err error) {
	if opts.Since != "" {
		return opts.Since, "HEAD", nil
	}
	from, to, ok := strings.Cut(opts.Range, "..")
	if !ok || strings.HasPrefix(to, ".") || from == "" || to == "" {
		return "", "", fmt.Errorf("range %q: write it as BASE..HEAD, e.g. origin/main..HEAD: %w", sanitizePath(opts.Range), ErrBadRange)
	}
	return from, to, nil
}

// rangeWalk is the state of one range scan.
type rangeWalk struct {
	ctx     context.Context
	st      *gitobj.Store
	det     []Detector
	stats   *Stats
	commits map[plumbing.Hash]*commitInfo // loaded; messages kept
	flags   map[plumbing.Hash]uint8
	seen    map[treeKey]struct{} // trees walked, at their path
	scanned map[plumbing.Hash]bool
	hits    map[plumbing.Hash]*blobHit
	// placeOnly records where the blobs of hits are, and scans nothing
	// (an incremental scan has scanned the blobs already).
	placeOnly bool
	// Otherwise the walk collects the blobs to scan, and where each is
	// new, for scanPending.
	pending []plumbing.Hash
	found   []occurrence
	prog    *progress // counts commits loaded and blobs scanned; nil counts nothing
}

// occurrence is a blob new at path in the order-th commit of the range.
type occurrence struct {
	blob  plumbing.Hash
	path  string
	order int
}

func newRangeWalk(ctx context.Context, st *gitobj.Store, det []Detector, stats *Stats) *rangeWalk {
	return &rangeWalk{
		ctx:     ctx,
		st:      st,
		det:     det,
		stats:   stats,
		commits: map[plumbing.Hash]*commitInfo{},
		flags:   map[plumbing.Hash]uint8{},
		seen:    map[treeKey]struct{}{},
		scanned: map[plumbing.Hash]bool{},
		hits:    map[plumbing.Hash]*blobHit{},
	}
}

// load reads commit h once.
func (w *rangeWalk) load(h plumbing.Hash) (*commitInfo, error) {
	if c, ok := w.commits[h]; ok {
		return c, nil
	}
	t, data, err := w.st.Get(h)
	if errors.Is(err, gitobj.ErrNotFound) {
		return nil, fmt.Errorf("commit %s is not in the clone; %s: %w", h, fetchHint, ErrMissingRevision)
	}
	if err != nil {
		return nil, err
	}
	if t != plumbing.CommitObject {
		return nil, fmt.Errorf("%s is a %s, not a commit: %w", h, t, ErrBadRange)
	}
	c, err := gitobj.ParseCommit(h, data)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", h, err)
	}
	w.prog.add(int64(len(data)))
	// The data may be the store's cached copy: keep a message of our own.
	c.Message = append([]byte(nil), c.Message...)
	ci := &commitInfo{Commit: c}
	w.commits[h] = ci
	return ci, nil
}

// limit finds the commits b reaches and a does not (in), and the commits
// just below them that a reaches (boundary).
func (w *rangeWalk) limit(a, b plumbing.Hash) (in, boundary map[plumbing.Hash]bool, err error) {
	q := &dateQueue{}
	push := func(h plumbing.Hash, uninteresting bool) error {
		c, err := w.load(h)
		if err != nil {
			return err
		}
		f := w.flags[h]
		if uninteresting {
			f |= flagUninteresting
		}
		if f&flagSeen == 0 {
			f |= flagSeen
			heap.Push(q, c)
		}
		w.flags[h] = f
		return nil
	}
	if err := push(a, true); err != nil {
		return nil, nil, err
	}
	if err := push(b, false); err != nil {
		return nil, nil, err
	}
	var taken []*commitInfo
	var oldest int64 // commit time of the oldest interesting commit taken
	slop := walkSlop
	for q.Len() > 0 {
		if err := w.ctx.Err(); err != nil {
			return nil, nil, err
		}
		c := heap.Pop(q).(*commitInfo)
		w.flags[c.Hash] |= flagTaken
		if w.flags[c.Hash]&flagUninteresting != 0 {
			for _, p := range c.Parents {
				if err := w.markUninteresting(p, q); err != nil {
					return nil, nil, err
				}
			}
			if w.stillInteresting(q, oldest, len(taken) > 0) {
				slop = walkSlop
				continue
			}
			if slop--; slop <= 0 {
				break
			}
			continue
		}
		taken = append(taken, c)
		oldest = c.Committed
		for _, p := range c.Parents {
			if err := push(p, false); err != nil {
				return nil, nil, err
			}
		}
	}
	in = map[plumbing.Hash]bool{}
	boundary = map[plumbing.Hash]bool{}
	for _, c := range taken {
		if w.flags[c.Hash]&flagUninteresting != 0 {
			continue // an ancestor of a after all (skewed clocks)
		}
		in[c.Hash] = true
	}
	for h := range in {
		for _, p := range w.commits[h].Parents {
			if !in[p] {
				boundary[p] = true
			}
		}
	}
	return in, boundary, nil
}

// markUninteresting marks h uninteresting and, if it was already taken,
// its ancestors that were read, as git's mark_parents_uninteresting does.
func (w *rangeWalk) markUninteresting(h plumbing.Hash, q *dateQueue) error {
	stack := []plumbing.Hash{h}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		f := w.flags[h]
		if f&flagUninteresting != 0 {
			continue
		}
		if f&flagSeen == 0 {
			c, err := w.load(h)
			if err != nil {
				return err
			}
			w.flags[h] = flagSeen | flagUninteresting
			heap.Push(q, c)
			continue
		}
		w.flags[h] = f | flagUninteresting
		if f&flagTaken != 0 {
			stack = append(stack, w.commits[h].Parents...)
		}
	}
	return nil
}

// stillInteresting is git's still_interesting: the walk must go on while
// the queue holds an interesting commit, or one not older than the oldest
// commit of the range taken (give or take walkSkew).
func (w *rangeWalk) stillInteresting(q *dateQueue, oldest int64, any bool) bool {
	if q.Len() == 0 {
		return false
	}
	if any && (*q)[0].Committed+walkSkew >= oldest {
		return true
	}
	for _, c := range *q {
		if w.flags[c.Hash]&flagUninteresting == 0 {
			return true
		}
	}
	return false
}

// dateQueue is a max-heap of commits by commit time (then id, for a fixed
// order).
type dateQueue []*commitInfo

func (q dateQueue) Len() int { return len(q) }
func (q dateQueue) Less(i, j int) bool {
	if q[i].Committed != q[j].Committed {
		return q[i].Committed > q[j].Committed
	}
	return string(q[i].Hash[:]) < string(q[j].Hash[:])
}
func (q dateQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *dateQueue) Push(x any)   { *q = append(*q, x.(*commitInfo)) }
func (q *dateQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// diffCommit scans what commit c, the order-th of the range, holds and its
// parents do not.
func (w *rangeWalk) diffCommit(c *commitInfo, order int) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	parents := make([]plumbing.Hash, 0, len(c.Parents))
	for _, p := range c.Parents {
		pc, err := w.load(p)
		if err != nil {
			return err
		}
		parents = append(parents, pc.Tree)
	}
	return w.diffTree(c.Tree, parents, "", order, 0)
}

// readTree returns the entries of tree h; nil (counted missing) if the
// clone lacks it.
func (w *rangeWalk) readTree(h plumbing.Hash) ([]gitobj.TreeEntry, error) {
	typ, data, err := w.st.Get(h)
	if errors.Is(err, gitobj.ErrNotFound) {
		w.stats.Missing++
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if typ != plumbing.TreeObject {
		return nil, fmt.Errorf("object %s is a %s, not a tree", h, typ)
	}
	w.stats.Trees++
	var out []gitobj.TreeEntry
	err = gitobj.ParseTree(data, func(e gitobj.TreeEntry) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	return out, nil
}

// diffTree scans the blobs under tree h at prefix (depth directories
// down) that no parent tree holds at the same path.
func (w *rangeWalk) diffTree(h plumbing.Hash, parents []plumbing.Hash, prefix string, order, depth int) error {
	if depth > maxTreeDepth {
		return treeTooDeep(h, prefix)
	}
	for _, p := range parents {
		if p == h {
			return nil
		}
	}
	k := treeKey{h, maphash.String(pathSeed, prefix)}
	if _, ok := w.seen[k]; ok {
		return nil
	}
	w.seen[k] = struct{}{}
	ents, err := w.readTree(h)
	if err != nil {
		return err
	}
	if len(ents) == 0 {
		return nil
	}
	pmaps := make([]map[string]gitobj.TreeEntry, 0, len(parents))
	for _, p := range parents {
		if p.IsZero() {
			continue
		}
		pe, err := w.readTree(p)
		if err != nil {
			return err
		}
		m := make(map[string]gitobj.TreeEntry, len(pe))
		for _, e := range pe {
			m[e.Name] = e
		}
		pmaps = append(pmaps, m)
	}
	for _, e := range ents {
		switch e.Mode {
		case filemode.Submodule:
			continue
		case filemode.Dir:
			var subs []plumbing.Hash
			for _, m := range pmaps {
				if pe, ok := m[e.Name]; ok && pe.Mode == filemode.Dir {
					subs = append(subs, pe.Hash)
				}
			}
			if err := w.diffTree(e.Hash, subs, prefix+e.Name+"/", order, depth+1); err != nil {
				return err
			}
			continue
		}
		held := false
		for _, m := range pmaps {
			// A parent's gitlink names a commit in another repository,
			// not content: one with the blob's id (a PR can write any id
			// into a gitlink) holds nothing, and was never scanned.
			if pe, ok := m[e.Name]; ok && pe.Mode != filemode.Dir && pe.Mode != filemode.Submodule && pe.Hash == e.Hash {
				held = true
				break
			}
		}
		if held {
			continue
		}
		if !w.placeOnly {
			// Scanned after the walk, in parallel; placed then.
			if !w.scanned[e.Hash] {
				w.scanned[e.Hash] = true
				w.pending = append(w.pending, e.Hash)
			}
			w.found = append(w.found, occurrence{e.Hash, prefix + e.Name, order})
			continue
		}
		if hit, ok := w.hits[e.Hash]; ok {
			p := prefix + e.Name
			if o, ok := hit.first[p]; !ok || order < o {
				hit.first[p] = order
			}
		}
	}
	return nil
}

// scanPending scans the blobs the walk collected, with up to workers
// goroutines (each with its own reader of the objects in objDir, under
// limits), and places those with keys.
func (w *rangeWalk) scanPending(objDir string, limits gitobj.Limits, workers int) error {
	type result struct {
		stats Stats
		hits  []*blobHit
		err   error
	}
	const chunk = 32
	if len(w.pending) < 4*chunk {
		workers = 1
	}
	results := make([]result, workers)
	var next atomic.Int64
	scan := func(st *gitobj.Store, r *result) {
		for {
			i := int(next.Add(chunk)) - chunk
			if i >= len(w.pending) || w.ctx.Err() != nil {
				return
			}
			for _, h := range w.pending[i:min(i+chunk, len(w.pending))] {
				hit, err := scanOne(st, h, w.det, &r.stats, w.prog)
				if err != nil {
					r.err = err
					return
				}
				if hit != nil {
					r.hits = append(r.hits, hit)
				}
			}
		}
	}
	if workers == 1 {
		scan(w.st, &results[0])
	} else {
		var wg sync.WaitGroup
		for k := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := openStore(objDir, limits)
				if err != nil {
					results[k].err = err
					return
				}
				defer st.Close()
				scan(st, &results[k])
			}()
		}
		wg.Wait()
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	for _, r := range results {
		if r.err != nil {
			return r.err
		}
		w.stats.Blobs += r.stats.Blobs
		w.stats.Bytes += r.stats.Bytes
		w.stats.BinaryBlobs += r.stats.BinaryBlobs
		w.stats.Missing += r.stats.Missing
		for _, h := range r.hits {
			w.hits[h.hash] = h
		}
	}
	for _, o := range w.found {
		if hit, ok := w.hits[o.blob]; ok {
			if prev, ok := hit.first[o.path]; !ok || o.order < prev {
				hit.first[o.path] = o.order
			}
		}
	}
	w.pending, w.found = nil, nil
	return nil
}

// scanOne runs the detectors over blob h, as the history pass does, and
// returns the hit, or nil; prog counts it. A blob stored whole over the
// store's StreamAbove is streamed, and one rebuilt from a delta over it is
// scanned as a stream from memory, so every blob meets the detection a
// full scan gives it.
func scanOne(st *gitobj.Store, h plumbing.Hash, det []Detector, stats *Stats, prog *progress) (*blobHit, error) {
	streamed := func(size int64, r io.Reader) (*blobHit, error) {
		prog.add(size)
		ms, binary, err := detectStream(r, det)
		if err != nil {
			return nil, fmt.Errorf("blob %s: %w", h, err)
		}
		if binary {
			stats.BinaryBlobs++
		}
		stats.Blobs++
		stats.Bytes += size
		if len(ms) > 0 {
			return &blobHit{hash: h, matches: ms, first: map[string]int{}}, nil
		}
		return nil, nil
	}
	t, data, err := st.Get(h)
	if errors.Is(err, gitobj.ErrLarge) {
		var hit *blobHit
		err = st.Stream(h, func(t plumbing.ObjectType, size int64, r io.Reader) error {
			if t != plumbing.BlobObject {
				return &gitobj.LimitError{What: t.String() + " " + h.String(), Need: "a " + t.String(), Size: size, Limit: st.StreamAbove(), Knob: "the largest commit, tag or tree read"}
			}
			var err error
			hit, err = streamed(size, r)
			return err
		})
		return hit, err
	}
	if errors.Is(err, gitobj.ErrNotFound) {
		stats.Missing++
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if t != plumbing.BlobObject {
		return nil, nil
	}
	if above := st.StreamAbove(); above > 0 && int64(len(data)) > above {
		return streamed(int64(len(data)), bytes.NewReader(data))
	}
	prog.add(int64(len(data)))
	data = Text(data)
	stats.Blobs++
	stats.Bytes += int64(len(data))
	ms, bare := detectBlob(data, det, &stats.BinaryBlobs)
	if len(ms) > 0 || bare != "" {
		return &blobHit{hash: h, matches: ms, bare: bare, first: map[string]int{}}, nil
	}
	return nil, nil
}

// dropKnown forgets the blobs with keys that the range's base a holds in
// any tree of its history, at any path: the base had them already. The
// boundary's trees come first (a file the range moved or copied), then the
// rest of a's history, newest first, until no such blob is left: the whole
// history is read only for a key the range really introduced.
func (w *rangeWalk) dropKnown(a plumbing.Hash, boundary map[plumbing.Hash]bool) error {
	seen := map[plumbing.Hash]bool{}
	var walk func(h plumbing.Hash, depth int) error
	walk = func(h plumbing.Hash, depth int) error {
		if depth > maxTreeDepth {
			return treeTooDeep(h, "")
		}
		if seen[h] || len(w.hits) == 0 {
			return nil
		}
		seen[h] = true
		ents, err := w.readTree(h)
		if err != nil {
			return err
		}
		for _, e := range ents {
			switch e.Mode {
			case filemode.Dir:
				if err := walk(e.Hash, depth+1); err != nil {
					return err
				}
			case filemode.Submodule:
			default:
				delete(w.hits, e.Hash)
			}
		}
		return nil
	}
	q := &dateQueue{}
	queued := map[plumbing.Hash]bool{}
	for h := range boundary {
		if err := walk(w.commits[h].Tree, 0); err != nil {
			return err
		}
	}
	c, err := w.load(a)
	if err != nil {
		return err
	}
	heap.Push(q, c)
	queued[a] = true
	for q.Len() > 0 && len(w.hits) > 0 {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		c := heap.Pop(q).(*commitInfo)
		if err := walk(c.Tree, 0); err != nil {
			return err
		}
		for _, p := range c.Parents {
			if queued[p] {
				continue
			}
			queued[p] = true
			pc, err := w.load(p)
			if err != nil {
				return err
			}
			heap.Push(q, pc)
		}
	}
	return nil
}
