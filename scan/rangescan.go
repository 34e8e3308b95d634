package scan

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/vastguard/vastguard/scan/gitobj"
)

// rangeScan scans what the commits in a range introduced: blobs reachable
// from them and not from the range's boundary (the parents outside it), and
// their messages.
func (s *scanner) rangeScan(ctx context.Context) (*Report, error) {
	from, to, err := rangeEnds(s.opts)
	if err != nil {
		return nil, err
	}
	a, err := s.resolve(from)
	if err != nil {
		return nil, err
	}
	b, err := s.resolve(to)
	if err != nil {
		return nil, err
	}
	rep := &Report{Stats: Stats{Mode: "range", Refs: 1}}
	w := &rangeWalk{
		s:        s,
		stats:    &rep.Stats,
		commits:  map[plumbing.Hash]*commitInfo{},
		seenTree: map[plumbing.Hash]bool{},
		known:    map[plumbing.Hash]bool{},
		scanned:  map[plumbing.Hash]bool{},
		hits:     map[plumbing.Hash]*blobHit{},
	}
	base, err := w.ancestors(ctx, a)
	if err != nil {
		return nil, err
	}
	in, boundary, err := w.inRange(ctx, b, base)
	if err != nil {
		return nil, err
	}
	order := oldestFirst(in, w.commits)
	rep.Stats.Commits = len(order)
	for h := range boundary {
		if err := w.markKnown(w.commits[h].Tree, 0); err != nil {
			return nil, err
		}
	}
	bld := newBuilder(s.opts.Detectors, &rep.Stats)
	bld.read = s.repo.readObject
	for i, c := range order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := w.scanTree(c.Tree, "", i, 0); err != nil {
			return nil, fmt.Errorf("commit %s: %w", c.Hash, err)
		}
		// Messages are read again: load kept them.
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
		return "", "", fmt.Errorf("range %q: write it as BASE..HEAD, e.g. origin/main..HEAD: %w", opts.Range, ErrBadRange)
	}
	return from, to, nil
}

// rangeWalk is the state of one range scan.
type rangeWalk struct {
	s        *scanner
	stats    *Stats
	commits  map[plumbing.Hash]*commitInfo // loaded, messages kept
	seenTree map[plumbing.Hash]bool
	known    map[plumbing.Hash]bool // blobs the boundary already has
	scanned  map[plumbing.Hash]bool // blobs read
	hits     map[plumbing.Hash]*blobHit
}

// load reads commit h once.
func (w *rangeWalk) load(h plumbing.Hash) (*commitInfo, error) {
	if c, ok := w.commits[h]; ok {
		return c, nil
	}
	t, data, err := w.s.repo.readObject(h)
	if err != nil {
		return nil, fmt.Errorf("commit %s is not in the clone; %s: %w", h, fetchHint, ErrMissingRevision)
	}
	if t != plumbing.CommitObject {
		return nil, fmt.Errorf("%s is a %s, not a commit: %w", h, t, ErrBadRange)
	}
	c, err := gitobj.ParseCommit(h, data)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", h, err)
	}
	ci := &commitInfo{Commit: c}
	w.commits[h] = ci
	return ci, nil
}

// ancestors returns every commit a reaches, a included: everything the
// range's base already knows.
func (w *rangeWalk) ancestors(ctx context.Context, a plumbing.Hash) (map[plumbing.Hash]bool, error) {
	base := map[plumbing.Hash]bool{}
	stack := []plumbing.Hash{a}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if base[h] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := w.load(h)
		if err != nil {
			return nil, err
		}
		base[h] = true
		stack = append(stack, c.Parents...)
	}
	return base, nil
}

// inRange returns the commits b reaches that base does not (in), and the
// commits of base where that walk stopped (boundary).
func (w *rangeWalk) inRange(ctx context.Context, b plumbing.Hash, base map[plumbing.Hash]bool) (in, boundary map[plumbing.Hash]bool, err error) {
	in = map[plumbing.Hash]bool{}
	boundary = map[plumbing.Hash]bool{}
	stack := []plumbing.Hash{b}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if in[h] {
			continue
		}
		if base[h] {
			boundary[h] = true
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		c, err := w.load(h)
		if err != nil {
			return nil, nil, err
		}
		in[h] = true
		stack = append(stack, c.Parents...)
	}
	return in, boundary, nil
}

// markKnown records every blob under tree h as known to the boundary.
func (w *rangeWalk) markKnown(h plumbing.Hash, depth int) error {
	if depth > maxTreeDepth {
		return treeTooDeep(h, "")
	}
	if w.seenTree[h] {
		return nil
	}
	w.seenTree[h] = true
	_, data, err := w.s.repo.readObject(h)
	if err != nil {
		w.stats.Missing++
		return nil
	}
	return gitobj.ParseTree(data, func(e gitobj.TreeEntry) error {
		switch e.Mode {
		case filemode.Dir:
			return w.markKnown(e.Hash, depth+1)
		case filemode.Submodule:
		default:
			w.known[e.Hash] = true
		}
		return nil
	})
}

// scanTree scans the blobs under tree h (at path prefix) that the boundary
// does not know, recording where the order-th commit of the range holds
// each blob with a key.
func (w *rangeWalk) scanTree(h plumbing.Hash, prefix string, order, depth int) error {
	if depth > maxTreeDepth {
		return treeTooDeep(h, prefix)
	}
	if w.seenTree[h] {
		return nil
	}
	w.seenTree[h] = true
	_, data, err := w.s.repo.readObject(h)
	if err != nil {
		w.stats.Missing++
		return nil
	}
	w.stats.Trees++
	return gitobj.ParseTree(data, func(e gitobj.TreeEntry) error {
		switch {
		case e.Mode == filemode.Dir:
			return w.scanTree(e.Hash, prefix+e.Name+"/", order, depth+1)
		case e.Mode == filemode.Submodule || w.known[e.Hash]:
			return nil
		}
		w.scanBlob(e.Hash)
		if hit, ok := w.hits[e.Hash]; ok {
			p := prefix + e.Name
			if _, ok := hit.first[p]; !ok {
				hit.first[p] = order
			}
		}
		return nil
	})
}

// scanBlob runs the detectors over blob h once.
func (w *rangeWalk) scanBlob(h plumbing.Hash) {
	if w.scanned[h] {
		return
	}
	w.scanned[h] = true
	t, data, err := w.s.repo.readObject(h)
	if err != nil {
		w.stats.Missing++
		return
	}
	if t != plumbing.BlobObject {
		return
	}
	data = Text(data)
	w.stats.Blobs++
	w.stats.Bytes += int64(len(data))
	ms, bare := detectBlob(data, w.s.opts.Detectors, &w.stats.BinaryBlobs)
	if len(ms) > 0 || bare != "" {
		w.hits[h] = &blobHit{hash: h, matches: ms, bare: bare, first: map[string]int{}}
	}
}

// resolve turns a revision (a branch, tag, remote branch, commit id, HEAD~2)
// into a commit id, with an error that says to fetch more history if the
// clone lacks it.
func (s *scanner) resolve(rev string) (plumbing.Hash, error) {
	return s.repo.resolveCommit(rev)
}
