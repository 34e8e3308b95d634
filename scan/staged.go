package scan

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/vastguard/vastguard/scan/gitobj"
)

// A staged scan reads the index, computes from its entries the tree each
// directory would have in the next commit (as git write-tree does, with no
// object read), and compares those trees with HEAD's from the root down:
// a directory whose tree is HEAD's is skipped whole, so only HEAD's trees
// on the paths of changed entries are read, and no HEAD blob is (a
// blobless partial clone has none to read), but for the files beside a
// staged generic key that only the code next to it can decide (see
// nearby.go). The blobs staged at changed paths are scanned, as the
// history pass scans them, once the walk has found them all. The index's own cache-tree extension is not trusted:
// it is a claim a hostile index could make about directories it changed.

// ixNode is a directory of the index, or one path in it.
type ixNode struct {
	name    string
	entries []indexEntry // a path's entries: one, or one per conflict stage
	kids    []*ixNode    // a directory's, in tree order
	dir     bool
	tree    plumbing.Hash // a directory's tree as the index would write it
	// valid is false for a directory that holds a conflict (it has no tree
	// yet).
	valid bool
}

// buildIndexTree groups the index's entries (sorted, as git keeps them) by
// directory and computes each directory's tree id.
func buildIndexTree(ents []indexEntry) *ixNode {
	root := &ixNode{dir: true}
	var build func(n *ixNode, ents []indexEntry, prefix int)
	build = func(n *ixNode, ents []indexEntry, prefix int) {
		for i := 0; i < len(ents); {
			rest := ents[i].path[prefix:]
			if slash := strings.IndexByte(rest, '/'); slash >= 0 && !(ents[i].sparseDir && slash == len(rest)-1) {
				// A subdirectory: every entry under name/ follows.
				name := rest[:slash]
				sub := ents[i].path[:prefix+slash+1]
				j := i + 1
				for j < len(ents) && strings.HasPrefix(ents[j].path, sub) && !(ents[j].sparseDir && ents[j].path == sub) {
					j++
				}
				kid := &ixNode{name: name, dir: true}
				build(kid, ents[i:j], prefix+slash+1)
				n.kids = append(n.kids, kid)
				i = j
				continue
			}
			kid := &ixNode{name: strings.TrimSuffix(rest, "/")}
			j := i
			for j < len(ents) && ents[j].path == ents[i].path {
				kid.entries = append(kid.entries, ents[j])
				j++
			}
			n.kids = append(n.kids, kid)
			i = j
		}
		n.valid, n.tree = treeOf(n)
	}
	build(root, ents, 0)
	return root
}

// written returns the entries of the tree object git would write for
// directory n, in order, or false if n holds a conflict. Entries added
// with intent to add are left out, as git leaves them out, and so are
// empty directories.
func written(n *ixNode) ([]gitobj.TreeEntry, bool) {
	out := make([]gitobj.TreeEntry, 0, len(n.kids))
	for _, k := range n.kids {
		switch {
		case k.dir:
			if !k.valid {
				return nil, false
			}
			if k.tree == emptyTree {
				continue // git writes no empty trees
			}
			out = append(out, gitobj.TreeEntry{Name: k.name, Mode: filemode.Dir, Hash: k.tree})
		case len(k.entries) != 1 || k.entries[0].stage != 0:
			return nil, false
		case k.entries[0].intentToAdd:
			continue
		default:
			out = append(out, gitobj.TreeEntry{Name: k.name, Mode: filemode.FileMode(k.entries[0].mode), Hash: k.entries[0].hash})
		}
	}
	return out, true
}

// treeOf returns the id of the tree object git would write for directory
// n, or false if n holds a conflict.
func treeOf(n *ixNode) (bool, plumbing.Hash) {
	ents, ok := written(n)
	if !ok {
		return false, plumbing.ZeroHash
	}
	var buf []byte
	for _, e := range ents {
		buf = strconv.AppendUint(buf, uint64(e.Mode), 8)
		buf = append(buf, ' ')
		buf = append(buf, e.Name...)
		buf = append(buf, 0)
		buf = append(buf, e.Hash[:]...)
	}
	hs := sha1.New()
	hs.Write([]byte("tree " + strconv.Itoa(len(buf)) + "\x00"))
	hs.Write(buf)
	var out plumbing.Hash
	copy(out[:], hs.Sum(nil))
	return true, out
}

// emptyTree is the id of the tree with no entries.
var emptyTree = plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904")

// stagedWalk is the state of one staged scan.
type stagedWalk struct {
	ctx   context.Context
	st    *gitobj.Store
	det   []Detector
	stats *Stats
	b     *builder
	// The walk collects the blobs to scan; they are scanned after it, with
	// the total known for Options.Progress.
	pending []stagedBlob
}

// stagedBlob is a blob staged at path; required says the index names it
// (so the clone must hold it).
type stagedBlob struct {
	hash     plumbing.Hash
	path     string
	required bool
}

// staged scans the blobs staged in the index that differ from HEAD.
func (s *scanner) staged(ctx context.Context) (*Report, error) {
	path := s.opts.IndexFile
	if path == "" {
		path = filepath.Join(s.repo.gitDir, "index")
	}
	// The repository's index may not exist yet (nothing was ever staged);
	// one named in Options.IndexFile must: git writes it before the hook.
	ents, err := readIndexFile(path, s.opts.IndexFile != "")
	if err != nil {
		return nil, err
	}
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	var headTree plumbing.Hash
	head, err := s.repo.readRef("HEAD")
	switch {
	case errors.Is(err, errNoRef):
		// An unborn branch: everything staged is new.
	case err != nil:
		return nil, fmt.Errorf("reading HEAD: %w", err)
	default:
		typ, data, err := st.Get(head)
		if err != nil {
			return nil, fmt.Errorf("reading HEAD's commit %s: %w", head, err)
		}
		if typ != plumbing.CommitObject {
			return nil, fmt.Errorf("HEAD names a %s, not a commit", typ)
		}
		c, err := gitobj.ParseCommit(head, data)
		if err != nil {
			return nil, fmt.Errorf("HEAD's commit %s: %w", head, err)
		}
		headTree = c.Tree
	}
	rep := &Report{Stats: Stats{Mode: "staged"}}
	root := buildIndexTree(ents)
	b := newBuilder(s.opts.Detectors, &rep.Stats)
	b.read = st.Get
	b.staged = b.indexLister(root)
	w := &stagedWalk{ctx: ctx, st: st, det: s.opts.Detectors, stats: &rep.Stats, b: b}
	if err := w.compare(root, headTree, ""); err != nil {
		return nil, err
	}
	prog := newProgress(s.opts.Progress, int64(len(w.pending)))
	for _, p := range w.pending {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := w.scanBlob(p, prog); err != nil {
			return nil, err
		}
	}
	prog.done()
	rep.Findings = w.b.findings()
	for i := range rep.Findings {
		rep.Findings[i].Source = SourceStaged
	}
	return rep, nil
}

// headEntries reads tree h (zero: none) into a map by name. A tree the
// clone lacks counts as missing, so everything under it is scanned.
func (w *stagedWalk) headEntries(h plumbing.Hash) (map[string]gitobj.TreeEntry, error) {
	out := map[string]gitobj.TreeEntry{}
	if h.IsZero() {
		return out, nil
	}
	typ, data, err := w.st.Get(h)
	if errors.Is(err, gitobj.ErrNotFound) {
		w.stats.Missing++
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	if typ != plumbing.TreeObject {
		return out, nil
	}
	w.stats.Trees++
	err = gitobj.ParseTree(data, func(e gitobj.TreeEntry) error {
		out[e.Name] = e
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	return out, nil
}

// compare scans what index directory n stages that HEAD's tree head (zero:
// none) does not hold at the same path.
func (w *stagedWalk) compare(n *ixNode, head plumbing.Hash, prefix string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if n.valid && n.tree == head {
		return nil
	}
	if n.valid && n.tree == emptyTree && head.IsZero() {
		return nil
	}
	he, err := w.headEntries(head)
	if err != nil {
		return err
	}
	for _, k := range n.kids {
		path := prefix + k.name
		old, inHead := he[k.name]
		oldDir := inHead && old.Mode == filemode.Dir
		// HEAD's gitlink names a commit elsewhere, not content: one with a
		// staged blob's id holds nothing and was never scanned.
		oldBlob := inHead && !oldDir && old.Mode != filemode.Submodule
		switch {
		case k.dir:
			var sub plumbing.Hash
			if oldDir {
				sub = old.Hash
			}
			if err := w.compare(k, sub, path+"/"); err != nil {
				return err
			}
		case k.entries[0].sparseDir:
			var sub plumbing.Hash
			if oldDir {
				sub = old.Hash
			}
			if err := w.diffTrees(k.entries[0].hash, sub, path+"/"); err != nil {
				return err
			}
		default:
			for _, e := range k.entries {
				if e.mode == modeGitlink || e.intentToAdd || (oldBlob && old.Hash == e.hash) {
					continue
				}
				w.pending = append(w.pending, stagedBlob{e.hash, path, true})
			}
		}
	}
	return nil
}

// diffTrees scans the blobs of tree h (a sparse index's directory entry)
// that tree old (zero: none) does not hold at the same path.
func (w *stagedWalk) diffTrees(h, old plumbing.Hash, prefix string) error {
	if h == old {
		return nil
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	he, err := w.headEntries(old)
	if err != nil {
		return err
	}
	typ, data, err := w.st.Get(h)
	if errors.Is(err, gitobj.ErrNotFound) {
		w.stats.Missing++
		return nil
	}
	if err != nil {
		return err
	}
	if typ != plumbing.TreeObject {
		return nil
	}
	w.stats.Trees++
	var ents []gitobj.TreeEntry
	if err := gitobj.ParseTree(data, func(e gitobj.TreeEntry) error {
		ents = append(ents, e)
		return nil
	}); err != nil {
		return fmt.Errorf("tree %s: %w", h, err)
	}
	for _, e := range ents {
		o, ok := he[e.Name]
		switch {
		case e.Mode == filemode.Dir:
			var sub plumbing.Hash
			if ok && o.Mode == filemode.Dir {
				sub = o.Hash
			}
			if err := w.diffTrees(e.Hash, sub, prefix+e.Name+"/"); err != nil {
				return err
			}
		case e.Mode == filemode.Submodule || (ok && o.Mode != filemode.Dir && o.Mode != filemode.Submodule && o.Hash == e.Hash):
		default:
			w.pending = append(w.pending, stagedBlob{e.Hash, prefix + e.Name, false})
		}
	}
	return nil
}

// scanBlob scans one staged blob. A blob the index names must be in the
// clone (git add wrote it); one reached through a sparse directory may
// have been left on the server.
func (w *stagedWalk) scanBlob(p stagedBlob, prog *progress) error {
	missing := w.stats.Missing
	hit, err := scanOne(w.st, p.hash, w.det, w.stats, prog)
	if err != nil {
		return fmt.Errorf("reading staged %s: %w", sanitizePath(p.path), err)
	}
	if w.stats.Missing > missing && p.required {
		return fmt.Errorf("reading staged %s: blob %s: %w", sanitizePath(p.path), p.hash, gitobj.ErrNotFound)
	}
	if hit != nil {
		w.b.blob(hit, p.path, nil, 0, "")
	}
	return nil
}

// indexLister lists the directories of the tree the index would commit
// (root), for a staged blob's pending match: the entries git write-tree
// would write, and under a sparse index's directory entry, the tree it
// names, read through b.read. Only a pending match (rare) makes it read a
// blob, and one the clone lacks is passed over as unreadable.
func (b *builder) indexLister(root *ixNode) dirLister {
	return func(dir string) (plumbing.Hash, func() []gitobj.TreeEntry, bool) {
		n := root
		if dir != "." && dir != "" {
			parts := strings.Split(dir, "/")
			for i, part := range parts {
				var next *ixNode
				for _, k := range n.kids {
					if k.name == part {
						next = k
						break
					}
				}
				switch {
				case next == nil:
					return plumbing.ZeroHash, nil, false
				case next.dir:
					n = next
				case next.entries[0].sparseDir:
					// The rest of the path is in the tree the entry names.
					return b.treeLister(next.entries[0].hash)(strings.Join(parts[i+1:], "/"))
				default:
					return plumbing.ZeroHash, nil, false
				}
			}
		}
		id := n.tree
		if !n.valid {
			// A directory with a conflict has no tree; its id only keys
			// the readers cache, apart from every real tree's.
			id = plumbing.Hash(sha1.Sum([]byte("conflicted\x00" + dir)))
		}
		return id, func() []gitobj.TreeEntry {
			if ents, ok := written(n); ok {
				return ents
			}
			var out []gitobj.TreeEntry
			for _, k := range n.kids {
				switch {
				case k.dir:
					out = append(out, gitobj.TreeEntry{Name: k.name, Mode: filemode.Dir})
				default:
					e := k.entries[len(k.entries)-1] // stage 0, or "theirs"
					out = append(out, gitobj.TreeEntry{Name: k.name, Mode: filemode.FileMode(e.mode), Hash: e.hash})
				}
			}
			return out
		}, true
	}
}
