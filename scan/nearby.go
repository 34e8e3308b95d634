package scan

import (
	"bytes"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"

	"github.com/vastguard/vastguard/scan/gitobj"
)

// This file decides the "files that code next to a Vast client reads"
// case: a generic key (api_key: …) in a file that does not mention Vast,
// whose path does not either, holds when a file in the same directory (or
// the one above) mentions Vast and names this file (open("config.json")
// in run.py beside a VastAI client). It is asked only for pending matches,
// which are rare, and reads at most readerBlobs blobs of readerMaxBytes
// each per directory.

const (
	readerBlobs    = 64
	readerMaxBytes = 1 << 20
	readerEntries  = 512
)

type readerKey struct {
	dir  plumbing.Hash // the directory's tree
	base string        // the file's base name
}

type readerResult struct {
	reader string // the path of the file that reads it, if any
	ok     bool
}

// dirLister finds directory dir ("." for the root) of the tree a file is
// in: an id that names the directory's content (the readers cache is keyed
// by it) and a way to list its entries in tree order.
type dirLister func(dir string) (id plumbing.Hash, entries func() []gitobj.TreeEntry, ok bool)

// readerFor returns the check ResolvePending calls for a blob at path in
// commit c (nil: staged, in the tree b.staged lists), or nil when objects
// cannot be read (no reader, or a blob no commit or index holds).
func (b *builder) readerFor(c *commitInfo, p string) func() (string, bool) {
	switch {
	case b.read == nil:
		return nil
	case c != nil:
		return func() (string, bool) { return b.readByVastCode(b.treeLister(c.Tree), p) }
	case b.staged != nil:
		return func() (string, bool) { return b.readByVastCode(b.staged, p) }
	}
	return nil
}

// treeLister lists the directories of the tree root through b.read.
func (b *builder) treeLister(root plumbing.Hash) dirLister {
	return func(dir string) (plumbing.Hash, func() []gitobj.TreeEntry, bool) {
		tree, ok := b.treeAt(root, dir)
		if !ok {
			return plumbing.ZeroHash, nil, false
		}
		return tree, func() []gitobj.TreeEntry {
			t, data, err := b.read(tree)
			if err != nil || t != plumbing.TreeObject {
				return nil
			}
			var out []gitobj.TreeEntry
			gitobj.ParseTree(data, func(e gitobj.TreeEntry) error {
				out = append(out, e)
				return nil
			})
			return out
		}, true
	}
}

// readByVastCode looks in the directory of p, then its parent, in the tree
// dirs lists, for a text file that mentions Vast and contains p's base
// name.
func (b *builder) readByVastCode(dirs dirLister, p string) (string, bool) {
	if b.readers == nil {
		b.readers = map[readerKey]readerResult{}
	}
	base := path.Base(p)
	if len(base) < 3 {
		return "", false
	}
	dir := path.Dir(p)
	for level := 0; level < 2; level++ {
		tree, entries, ok := dirs(dir)
		if !ok {
			return "", false
		}
		k := readerKey{tree, base}
		r, seen := b.readers[k]
		if !seen {
			r = b.scanDir(entries(), dir, p, base)
			b.readers[k] = r
		}
		if r.ok {
			return r.reader, true
		}
		if dir == "." || dir == "/" || dir == "" {
			break
		}
		dir = path.Dir(dir)
	}
	return "", false
}

// treeAt returns the tree of directory dir ("." for the root) under root.
func (b *builder) treeAt(root plumbing.Hash, dir string) (plumbing.Hash, bool) {
	h := root
	if dir == "." || dir == "" {
		return h, true
	}
	for _, part := range strings.Split(dir, "/") {
		t, data, err := b.read(h)
		if err != nil || t != plumbing.TreeObject {
			return plumbing.ZeroHash, false
		}
		found := false
		err = gitobj.ParseTree(data, func(e gitobj.TreeEntry) error {
			if e.Name == part && e.Mode == filemode.Dir {
				h, found = e.Hash, true
			}
			return nil
		})
		if err != nil || !found {
			return plumbing.ZeroHash, false
		}
	}
	return h, true
}

// scanDir looks through the entries of directory dir for a text file
// other than self that mentions Vast and contains base.
func (b *builder) scanDir(ents []gitobj.TreeEntry, dir, self, base string) readerResult {
	var found readerResult
	read := 0
	needle := []byte(base)
	for entries, e := range ents {
		if found.ok || entries >= readerEntries || read >= readerBlobs {
			break
		}
		if e.Mode == filemode.Dir || e.Mode == filemode.Submodule {
			continue
		}
		name := e.Name
		if dir != "." && dir != "" {
			name = dir + "/" + e.Name
		}
		if name == self {
			continue
		}
		read++
		ot, blob, err := b.read(e.Hash)
		if err != nil || ot != plumbing.BlobObject || len(blob) > readerMaxBytes || isBinary(blob) {
			continue
		}
		if bytes.Contains(blob, needle) && mentionsVast(blob) {
			found = readerResult{reader: name, ok: true}
		}
	}
	return found
}
