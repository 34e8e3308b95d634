package scan

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// rangeScan scans what the commits in a range introduced: blobs reachable
// from them and not from the range's boundary (the parents outside it), and
// their messages.
func (s *scanner) rangeScan(ctx context.Context) (*Report, error) {
	from, to := "", ""
	if s.opts.Since != "" {
		from, to = s.opts.Since, "HEAD"
	} else {
		var ok bool
		from, to, ok = strings.Cut(s.opts.Range, "..")
		if !ok || strings.HasPrefix(to, ".") || from == "" || to == "" {
			return nil, fmt.Errorf("range %q: write it as BASE..HEAD, e.g. origin/main..HEAD: %w", s.opts.Range, ErrBadRange)
		}
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
	commits := map[plumbing.Hash]*commitInfo{}
	load := func(h plumbing.Hash) (*commitInfo, error) {
		if c, ok := commits[h]; ok {
			return c, nil
		}
		t, data, err := s.repo.readObject(h)
		if err != nil {
			return nil, fmt.Errorf("commit %s is not in the clone; %s: %w", h, fetchHint, ErrMissingRevision)
		}
		if t != objCommit {
			return nil, fmt.Errorf("%s is a %s, not a commit: %w", h, typeName(t), ErrBadRange)
		}
		c, err := parseCommit(h, data)
		if err != nil {
			return nil, fmt.Errorf("commit %s: %w", h, err)
		}
		commits[h] = &c
		return &c, nil
	}
	// Everything the base reaches is already known.
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
		c, err := load(h)
		if err != nil {
			return nil, err
		}
		base[h] = true
		stack = append(stack, c.parents...)
	}
	in := map[plumbing.Hash]bool{}
	boundary := map[plumbing.Hash]bool{}
	stack = append(stack[:0], b)
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
		c, err := load(h)
		if err != nil {
			return nil, err
		}
		in[h] = true
		stack = append(stack, c.parents...)
	}
	// Oldest first within the range.
	pending := map[plumbing.Hash]int{}
	children := map[plumbing.Hash][]plumbing.Hash{}
	ready := &commitHeap{}
	for h := range in {
		n := 0
		for _, p := range commits[h].parents {
			if in[p] {
				n++
				children[p] = append(children[p], h)
			}
		}
		pending[h] = n
		if n == 0 {
			heap.Push(ready, commits[h])
		}
	}
	var order []*commitInfo
	for ready.Len() > 0 {
		c := heap.Pop(ready).(*commitInfo)
		order = append(order, c)
		for _, ch := range children[c.hash] {
			if pending[ch]--; pending[ch] == 0 {
				heap.Push(ready, commits[ch])
			}
		}
	}
	rep.Stats.Commits = len(order)

	seenTree := map[plumbing.Hash]bool{}
	known := map[plumbing.Hash]bool{} // blobs the boundary already has
	var mark func(h plumbing.Hash) error
	mark = func(h plumbing.Hash) error {
		if seenTree[h] {
			return nil
		}
		seenTree[h] = true
		_, data, err := s.repo.readObject(h)
		if err != nil {
			rep.Stats.Missing++
			return nil
		}
		return parseTree(data, func(e treeEntry) error {
			switch {
			case e.mode == modeTree:
				return mark(e.hash)
			case e.mode != modeGitlnk:
				known[e.hash] = true
			}
			return nil
		})
	}
	for h := range boundary {
		if err := mark(commits[h].tree); err != nil {
			return nil, err
		}
	}
	hits := map[plumbing.Hash]*blobHit{}
	scanned := map[plumbing.Hash]bool{}
	det := s.opts.Detectors
	var walk func(h plumbing.Hash, prefix string, order int) error
	walk = func(h plumbing.Hash, prefix string, order int) error {
		if seenTree[h] {
			return nil
		}
		seenTree[h] = true
		_, data, err := s.repo.readObject(h)
		if err != nil {
			rep.Stats.Missing++
			return nil
		}
		rep.Stats.Trees++
		return parseTree(data, func(e treeEntry) error {
			switch {
			case e.mode == modeTree:
				return walk(e.hash, prefix+e.name+"/", order)
			case e.mode == modeGitlnk || known[e.hash]:
				return nil
			}
			if !scanned[e.hash] {
				scanned[e.hash] = true
				t, data, err := s.repo.readObject(e.hash)
				if err != nil {
					rep.Stats.Missing++
					return nil
				}
				if t != objBlob {
					return nil
				}
				data = Text(data)
				rep.Stats.Blobs++
				rep.Stats.Bytes += int64(len(data))
				ms, bare := detectBlob(data, det, &rep.Stats.BinaryBlobs)
				if len(ms) > 0 || bare != "" {
					hits[e.hash] = &blobHit{hash: e.hash, matches: ms, bare: bare, first: map[string]int{}}
				}
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
	bld := newBuilder(det, &rep.Stats)
	bld.read = s.repo.readObject
	for i, c := range order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := walk(c.tree, "", i); err != nil {
			return nil, fmt.Errorf("commit %s: %w", c.hash, err)
		}
		// Messages are read again: load kept them.
		for _, m := range Detect(c.message, det) {
			bld.message(m, c, i, to)
		}
	}
	for _, h := range hits {
		for path, i := range h.first {
			bld.blob(h, path, order[i], i, to)
		}
	}
	rep.Findings = bld.findings()
	return rep, nil
}

// resolve turns a revision (a branch, tag, remote branch, commit id, HEAD~2)
// into a commit id, with an error that says to fetch more history if the
// clone lacks it.
func (s *scanner) resolve(rev string) (plumbing.Hash, error) {
	h, err := s.repo.git.ResolveRevision(plumbing.Revision(rev))
	if err != nil || h == nil {
		if errors.Is(err, plumbing.ErrReferenceNotFound) || err != nil {
			return plumbing.ZeroHash, fmt.Errorf("revision %q is not in the clone; %s: %w", rev, fetchHint, ErrMissingRevision)
		}
	}
	return *h, nil
}
