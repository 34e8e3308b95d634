package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/vastguard/vastguard/scan/gitobj"
)

// An incremental history scan (Options.Cache) remembers, per repository,
// every object id the clone held when it was scanned and the commit graph
// (ids, trees, parents, commit times), and for each blob or message with a
// key, where it was first found, as commit ids and tree-entry positions.
// The next scan reads only the objects not listed: new blobs are scanned,
// new commits read and compared with their parents tree by tree, which
// places the keys they added; the blobs and messages listed with keys are
// read again (the cache never holds a key), so their findings come out as
// a full scan reports them. A scan with other detection rules, a file that
// fails its MAC or any check, or a clone mostly made of new objects, is a
// full scan, and a file written after it replaces the old one.
//
// Why the result is the full scan's: an object's id names its content, so
// what was clean under these rules is clean; a commit's tree is its id's,
// so where a key first was among the commits already placed does not
// change, and adding commits keeps those commits' order (each new commit
// comes after its parents, none of which is new to them). A key's first
// place is then the earlier of its remembered one and the first new commit
// that holds it where none of its parents does; a remembered commit no ref
// reaches any more sends that blob to a full attribution.
//
// The file is authenticated with an HMAC under Options.CacheKey, which is
// never in the cache: a cache restored from a shared store (actions/cache
// in a pull request) that someone altered can cost a full scan, never hide
// a finding.

// minCacheKey is the shortest Options.CacheKey accepted.
const minCacheKey = 16

// Cache states, in Stats.Cache.
const (
	CacheUsed    = "used"    // the cache was read; only new objects were
	CacheAbsent  = "absent"  // no cache yet: full scan, cache written
	CacheInvalid = "invalid" // the file failed a check: full scan, rewritten
	CacheVersion = "version" // other detection rules: full scan, rewritten
	CacheFull    = "full"    // too much is new: full scan, rewritten
)

// CacheNote says in a line how an incremental scan used its cache, or ""
// for a scan without one.
func (st Stats) CacheNote() string {
	switch st.Cache {
	case CacheUsed:
		return fmt.Sprintf("incremental: %s known from the cache not read again", count(st.Cached, "object"))
	case CacheAbsent:
		return "no cache yet: scanned in full and the cache written, so the next scan reads only what is new"
	case CacheInvalid:
		return "the cache failed its check (altered, cut short, or written under another key): scanned in full and the cache rewritten"
	case CacheVersion:
		return "the cache was written by other detection rules: scanned in full and the cache rewritten"
	case CacheFull:
		return "most objects are new since the cache: scanned in full and the cache rewritten"
	}
	return ""
}

// cachedHistory is a history scan through the cache in Options.Cache.
func (s *scanner) cachedHistory(ctx context.Context) (*Report, error) {
	if len(s.opts.CacheKey) < minCacheKey {
		return nil, fmt.Errorf("an incremental scan needs a cache key of at least %d bytes (Options.CacheKey) to authenticate its cache", minCacheKey)
	}
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	current, err := currentObjects(st)
	if err != nil {
		return nil, fmt.Errorf("listing the objects: %w", err)
	}
	version := cacheVersion(s.opts.Detectors)
	path := cacheFileName(s.opts.Cache, s.repo.objDir)
	status := CacheAbsent
	c, err := readCache(path, version, s.opts.CacheKey)
	switch {
	case errors.Is(err, errCacheVersion):
		status = CacheVersion
	case err != nil:
		status = CacheInvalid
	case c != nil:
		fresh := newObjects(current, c.objects)
		same := len(fresh) == 0 && len(current) == len(c.objects)
		if same && len(c.hits) == 0 && len(c.msgs) == 0 && len(c.tagMsgs) == 0 {
			// The same objects, none with a key: nothing to read or place,
			// and the file stands. Stats.Commits counts the commits held.
			refs, err := s.repo.refs()
			if err != nil {
				return nil, err
			}
			return &Report{Stats: Stats{Mode: "history", Refs: len(refs), Commits: len(c.commits), Partial: s.repo.partial(), Cache: CacheUsed, Cached: len(current) / 20}}, nil
		}
		if len(fresh) <= max(2000, len(current)/3) {
			rep, next, err := s.incremental(ctx, st, c, current, fresh)
			if err != nil {
				return nil, err
			}
			rep.Stats.Cache = CacheUsed
			rep.Stats.Cached = len(current)/20 - len(fresh)
			if same {
				return rep, nil // the file stands
			}
			nc, err := next()
			if err != nil {
				return nil, err
			}
			if err := writeCache(path, nc.encode(version, s.opts.CacheKey)); err != nil {
				return nil, fmt.Errorf("writing the scan cache: %w", err)
			}
			return rep, nil
		}
		status = CacheFull
	}
	rep, state, err := s.fullHistory(ctx)
	if err != nil {
		return nil, err
	}
	rep.Stats.Cache = status
	next, err := s.newCache(st, state, current, rep.Stats.Missing > 0)
	if err != nil {
		return nil, err
	}
	if err := writeCache(path, next.encode(version, s.opts.CacheKey)); err != nil {
		return nil, fmt.Errorf("writing the scan cache: %w", err)
	}
	return rep, nil
}

// currentObjects lists every object id the clone holds, sorted, once.
func currentObjects(st *gitobj.Store) ([]byte, error) {
	var all []byte
	err := st.SortedIDs(func(ids []byte) error {
		if len(all) == 0 {
			all = append([]byte(nil), ids...) // ids is valid only during the call
		} else {
			all = mergeIDs(all, ids)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	loose, err := st.LooseIDs()
	if err != nil {
		return nil, err
	}
	sortHashes(loose)
	lb := make([]byte, 0, 20*len(loose))
	for _, h := range loose {
		lb = append(lb, h[:]...)
	}
	all = mergeIDs(all, lb)
	// A corrupt index's ids out of order would make holds miss objects:
	// put them in order (then merge them with themselves, for duplicates).
	for i := 20; i < len(all); i += 20 {
		if bytes.Compare(all[i-20:i], all[i:i+20]) >= 0 {
			recs := make([]plumbing.Hash, len(all)/20)
			for k := range recs {
				copy(recs[k][:], all[20*k:])
			}
			sortHashes(recs)
			out := make([]byte, 0, len(all))
			for k, h := range recs {
				if k == 0 || h != recs[k-1] {
					out = append(out, h[:]...)
				}
			}
			return out, nil
		}
	}
	return all, nil
}

// mergeIDs merges two sorted lists of 20-byte ids, each id once.
func mergeIDs(a, b []byte) []byte {
	if len(a) == 0 {
		a, b = b, a
	}
	if len(b) == 0 {
		return a
	}
	out := make([]byte, 0, len(a)+len(b))
	add := func(id []byte) {
		if n := len(out); n >= 20 && bytes.Equal(out[n-20:], id) {
			return
		}
		out = append(out, id...)
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if bytes.Compare(a[i:i+20], b[j:j+20]) <= 0 {
			add(a[i : i+20])
			i += 20
		} else {
			add(b[j : j+20])
			j += 20
		}
	}
	for ; i < len(a); i += 20 {
		add(a[i : i+20])
	}
	for ; j < len(b); j += 20 {
		add(b[j : j+20])
	}
	return out
}

// newObjects returns the ids of current that old does not list.
func newObjects(current, old []byte) []plumbing.Hash {
	var out []plumbing.Hash
	j := 0
	for i := 0; i < len(current); i += 20 {
		id := current[i : i+20]
		for j < len(old) && bytes.Compare(old[j:j+20], id) < 0 {
			j += 20
		}
		if j < len(old) && bytes.Equal(old[j:j+20], id) {
			continue
		}
		var h plumbing.Hash
		copy(h[:], id)
		out = append(out, h)
	}
	return out
}

// holds reports whether the sorted id list ids has h.
func holds(ids []byte, h plumbing.Hash) bool {
	n := len(ids) / 20
	i := sort.Search(n, func(i int) bool { return bytes.Compare(ids[20*i:20*i+20], h[:]) >= 0 })
	return i < n && bytes.Equal(ids[20*i:20*i+20], h[:])
}

func sortHashes(hs []plumbing.Hash) {
	sort.Slice(hs, func(i, j int) bool { return bytes.Compare(hs[i][:], hs[j][:]) < 0 })
}

// incremental scans what the cache does not list and places every key.
// It returns the report and how to make the cache to write next.
func (s *scanner) incremental(ctx context.Context, st *gitobj.Store, c *scanCache, current []byte, fresh []plumbing.Hash) (*Report, func() (*scanCache, error), error) {
	rep := &Report{Stats: Stats{Mode: "history", Partial: s.repo.partial()}}
	det := s.opts.Detectors
	commits := map[plumbing.Hash]*commitInfo{}
	tags := map[plumbing.Hash]*tagInfo{}
	hits := map[plumbing.Hash]*blobHit{}
	placed := map[plumbing.Hash]bool{} // commits the cache's places cover
	for _, cc := range c.commits {
		if holds(current, cc.id) {
			commits[cc.id] = &commitInfo{Commit: gitobj.Commit{Hash: cc.id, Tree: cc.tree, Parents: cc.parents, Committed: cc.committed}}
			if cc.attributed {
				placed[cc.id] = true
			}
		}
	}
	for _, ct := range c.tags {
		if holds(current, ct.id) {
			tags[ct.id] = &tagInfo{Tag: gitobj.Tag{Hash: ct.id, Target: ct.target, TargetType: ct.typ}}
		}
	}
	// What the cache says holds a key is read again, and so is what it
	// does not know.
	old := sortedHashes(c.hits)
	var total int64
	for _, list := range [][]plumbing.Hash{c.msgs, c.tagMsgs, old} {
		for _, h := range list {
			if holds(current, h) {
				total++
			}
		}
	}
	prog := newProgress(s.opts.Progress, total+int64(len(fresh)))
	readCommit := func(h plumbing.Hash) error {
		typ, data, err := st.Get(h)
		if err != nil || typ != plumbing.CommitObject {
			return fmt.Errorf("commit %s: %v", h, err)
		}
		prog.add(int64(len(data)))
		cm, err := gitobj.ParseCommit(h, data)
		if err != nil {
			return fmt.Errorf("commit %s: %w", h, err)
		}
		ci := &commitInfo{Commit: cm, matches: Detect(cm.Message, det)}
		ci.Message = nil
		commits[h] = ci
		return nil
	}
	readTag := func(h plumbing.Hash) error {
		typ, data, err := st.Get(h)
		if err != nil || typ != plumbing.TagObject {
			return fmt.Errorf("tag %s: %v", h, err)
		}
		prog.add(int64(len(data)))
		tg, err := gitobj.ParseTag(h, data)
		if err != nil {
			return fmt.Errorf("tag %s: %w", h, err)
		}
		ti := &tagInfo{Tag: tg, matches: Detect(tg.Message, det)}
		ti.Message = nil
		tags[h] = ti
		return nil
	}
	for _, h := range c.msgs {
		if holds(current, h) {
			if err := readCommit(h); err != nil {
				return nil, nil, err
			}
		}
	}
	for _, h := range c.tagMsgs {
		if holds(current, h) {
			if err := readTag(h); err != nil {
				return nil, nil, err
			}
		}
	}
	for _, list := range [][]plumbing.Hash{old, fresh} {
		for _, h := range list {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			if !holds(current, h) {
				continue
			}
			typ, data, err := st.Get(h)
			if errors.Is(err, gitobj.ErrLarge) {
				typ, err = plumbing.BlobObject, nil // only blobs are that large
			}
			if err != nil {
				return nil, nil, err
			}
			switch typ {
			case plumbing.BlobObject:
				hit, err := scanOne(st, h, det, &rep.Stats, prog)
				if err != nil {
					return nil, nil, err
				}
				if hit != nil {
					hit.first = nil
					hits[h] = hit
				}
			case plumbing.CommitObject:
				if err := readCommit(h); err != nil {
					return nil, nil, err
				}
			case plumbing.TagObject:
				if err := readTag(h); err != nil {
					return nil, nil, err
				}
			default:
				prog.add(int64(len(data))) // a new tree, read when placing keys
			}
		}
	}
	prog.done()
	if len(hits) == 0 && !anyMatches(commits, tags) {
		// Nothing to place or report: the commit graph is not built.
		// Every commit is then vacuously placed (no blob it holds has a
		// key), and Stats.Commits counts the commits the clone holds.
		refs, err := s.repo.refs()
		if err != nil {
			return nil, nil, err
		}
		rep.Stats.Refs = len(refs)
		rep.Stats.Commits = len(commits)
		return rep, func() (*scanCache, error) {
			return s.newCache(st, &scanState{commits: commits, tags: tags, hits: hits}, current, c.flags&cacheMissingTrees != 0)
		}, nil
	}
	complete := func(ci *commitInfo) error {
		if ci.Author != "" || !ci.When.IsZero() {
			return nil
		}
		typ, data, err := st.Get(ci.Hash)
		if err != nil || typ != plumbing.CommitObject {
			return fmt.Errorf("commit %s: %v", ci.Hash, err)
		}
		cm, err := gitobj.ParseCommit(ci.Hash, data)
		if err != nil {
			return err
		}
		ci.Author, ci.When = cm.Author, cm.When
		return nil
	}
	attribute := func(g *graph) (int, int, error) {
		return s.placeHits(ctx, st, g, c, placed, commits, hits)
	}
	rep, g, err := s.finish(ctx, rep, commits, tags, hits, st.Get, attribute, complete)
	if err != nil {
		return nil, nil, err
	}
	missingTrees := rep.Stats.Missing > 0
	return rep, func() (*scanCache, error) {
		return s.newCache(st, &scanState{commits: commits, tags: tags, hits: hits, g: g}, current, missingTrees)
	}, nil
}

func anyMatches(commits map[plumbing.Hash]*commitInfo, tags map[plumbing.Hash]*tagInfo) bool {
	for _, c := range commits {
		if len(c.matches) > 0 {
			return true
		}
	}
	for _, t := range tags {
		if len(t.matches) > 0 {
			return true
		}
	}
	return false
}

// placeHits sets each hit's first places: from the cache where its commits
// are still reached, from a tree-by-tree comparison of every commit the
// cache did not place with its parents, and by a full attribution for a
// hit the cache cannot vouch for.
func (s *scanner) placeHits(ctx context.Context, st *gitobj.Store, g *graph, c *scanCache, placed map[plumbing.Hash]bool, commits map[plumbing.Hash]*commitInfo, hits map[plumbing.Hash]*blobHit) (trees, missing int, err error) {
	var stats Stats
	w := newRangeWalk(ctx, st, s.opts.Detectors, &stats)
	w.hits = hits
	w.placeOnly = true
	full := map[plumbing.Hash]*blobHit{}
	for h, hit := range hits {
		hit.first = map[string]int{}
		if c.flags&cacheMissingTrees != 0 {
			full[h] = hit // the last scan may have missed where it was
			continue
		}
		places, known := c.hits[h]
		if !known {
			if c.flags&cachePartial != 0 && !holds(c.objects, h) {
				full[h] = hit // fetched since: old commits may hold it
			}
			continue
		}
		for _, p := range places {
			order, ok := g.index[p.commit]
			if !ok {
				full[h] = hit
				break
			}
			path, blob, err := followSteps(st, g.order[order].Tree, p.steps, &stats)
			if err != nil || blob != h {
				full[h] = hit
				break
			}
			if o, ok := hit.first[path]; !ok || order < o {
				hit.first[path] = order
			}
		}
	}
	for order, ci := range g.order {
		if placed[ci.Hash] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		var parents []plumbing.Hash
		for _, p := range ci.Parents {
			if pc, ok := commits[p]; ok {
				parents = append(parents, pc.Tree)
			}
		}
		if err := w.diffTree(ci.Tree, parents, "", order, 0); err != nil {
			return 0, 0, fmt.Errorf("commit %s: %w", ci.Hash, err)
		}
	}
	// Trees a tag names directly are few: walk them whole, as attribute
	// does.
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
		ents, err := w.readTree(h)
		if err != nil {
			return err
		}
		for _, e := range ents {
			switch e.Mode {
			case filemode.Dir:
				if err := walk(e.Hash, prefix+e.Name+"/", order, depth+1); err != nil {
					return err
				}
			case filemode.Submodule:
			default:
				if hit, ok := hits[e.Hash]; ok {
					if _, ok := hit.first[prefix+e.Name]; !ok {
						hit.first[prefix+e.Name] = order
					}
				}
			}
		}
		return nil
	}
	for k, t := range g.taggedTrees {
		if err := walk(t.hash, "", len(g.order)+k, 0); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", t.name, err)
		}
	}
	trees, missing = stats.Trees, stats.Missing
	if len(full) > 0 {
		t, m, err := g.attribute(ctx, []getFunc{st.Get}, full)
		if err != nil {
			return 0, 0, err
		}
		trees += t
		missing += m
	}
	return trees, missing, nil
}

// followSteps walks from tree root down the entries at the given positions
// and returns the path and the blob it ends at.
func followSteps(st *gitobj.Store, root plumbing.Hash, steps []uint32, stats *Stats) (string, plumbing.Hash, error) {
	var path strings.Builder
	h := root
	for i, s := range steps {
		typ, data, err := st.Get(h)
		if err != nil {
			return "", plumbing.ZeroHash, err
		}
		if typ != plumbing.TreeObject {
			return "", plumbing.ZeroHash, errCacheFile
		}
		stats.Trees++
		var got *gitobj.TreeEntry
		k := uint32(0)
		err = gitobj.ParseTree(data, func(e gitobj.TreeEntry) error {
			if k == s {
				got = &e
				return errStop
			}
			k++
			return nil
		})
		if got == nil || (err != nil && err != errStop) {
			return "", plumbing.ZeroHash, errCacheFile
		}
		last := i == len(steps)-1
		if last != (got.Mode != filemode.Dir) || got.Mode == filemode.Submodule {
			return "", plumbing.ZeroHash, errCacheFile
		}
		path.WriteString(got.Name)
		if !last {
			path.WriteByte('/')
		}
		h = got.Hash
	}
	return path.String(), h, nil
}

var errStop = errors.New("stop")

// stepsTo returns the positions of the tree entries on path from tree
// root.
func stepsTo(st *gitobj.Store, root plumbing.Hash, path string) ([]uint32, error) {
	parts := strings.Split(path, "/")
	steps := make([]uint32, 0, len(parts))
	h := root
	for i, name := range parts {
		typ, data, err := st.Get(h)
		if err != nil {
			return nil, err
		}
		if typ != plumbing.TreeObject {
			return nil, fmt.Errorf("%s is not a tree", h)
		}
		var found *gitobj.TreeEntry
		k := uint32(0)
		err = gitobj.ParseTree(data, func(e gitobj.TreeEntry) error {
			if e.Name == name && (e.Mode == filemode.Dir) == (i < len(parts)-1) {
				found = &e
				return errStop
			}
			k++
			return nil
		})
		if found == nil || (err != nil && err != errStop) {
			return nil, fmt.Errorf("%q is not in tree %s", sanitizePath(path), root)
		}
		steps = append(steps, k)
		h = found.Hash
	}
	return steps, nil
}

// newCache is the cache to write after a scan that learnt state;
// missingTrees says it lacked trees or commits the history names.
func (s *scanner) newCache(st *gitobj.Store, state *scanState, current []byte, missingTrees bool) (*scanCache, error) {
	c := &scanCache{objects: current, hits: map[plumbing.Hash][]cachedPlace{}}
	if missingTrees {
		c.flags |= cacheMissingTrees
	}
	if s.repo.partial() {
		c.flags |= cachePartial
	}
	g := state.g
	for _, h := range sortedHashes(state.commits) {
		ci := state.commits[h]
		reached := true // with no graph, nothing has a key to place
		if g != nil {
			_, reached = g.index[h]
		}
		c.commits = append(c.commits, cachedCommit{id: h, tree: ci.Tree, committed: ci.Committed, attributed: reached, parents: ci.Parents})
		if len(ci.matches) > 0 {
			c.msgs = append(c.msgs, h)
		}
	}
	for _, h := range sortedHashes(state.tags) {
		t := state.tags[h]
		c.tags = append(c.tags, cachedTag{id: h, target: t.Target, typ: t.TargetType})
		if len(t.matches) > 0 {
			c.tagMsgs = append(c.tagMsgs, h)
		}
	}
	for h, hit := range state.hits {
		places := []cachedPlace{}
		for path, order := range hit.first {
			if order >= len(g.order) {
				continue // a tagged tree's: walked again each time
			}
			ci := g.order[order]
			steps, err := stepsTo(st, ci.Tree, path)
			if err != nil {
				return nil, fmt.Errorf("placing a key for the cache: %w", err)
			}
			places = append(places, cachedPlace{commit: ci.Hash, steps: steps})
		}
		c.hits[h] = places
	}
	return c, nil
}
