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

// readerFor returns the check ResolvePending calls for a blob at path in
// commit c, or nil when objects cannot be read (staged scans, or no
// commit).
func (b *builder) readerFor(c *commitInfo, p string) func() (string, bool) {
	if b.read == nil || c == nil {
		return nil
	}
	return func() (string, bool) { return b.readByVastCode(c.Tree, p) }
}

// readByVastCode looks in the directory of p, then its parent, in the tree
// root, for a text file that mentions Vast and contains p's base name.
func (b *builder) readByVastCode(root plumbing.Hash, p string) (string, bool) {
	if b.readers == nil {
		b.readers = map[readerKey]readerResult{}
	}
	base := path.Base(p)
	if len(base) < 3 {
		return "", false
	}
	dir := path.Dir(p)
	for level := 0; level < 2; level++ {
		tree, ok := b.treeAt(root, dir)
		if !ok {
			return "", false
		}
		k := readerKey{tree, base}
		r, seen := b.readers[k]
		if !seen {
			r = b.scanDir(tree, dir, p, base)
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

func (b *builder) scanDir(tree plumbing.Hash, dir, self, base string) readerResult {
	t, data, err := b.read(tree)
	if err != nil || t != plumbing.TreeObject {
		return readerResult{}
	}
	var found readerResult
	read, entries := 0, 0
	needle := []byte(base)
	gitobj.ParseTree(data, func(e gitobj.TreeEntry) error {
		entries++
		if found.ok || entries > readerEntries || read >= readerBlobs || e.Mode == filemode.Dir || e.Mode == filemode.Submodule {
			return nil
		}
		name := e.Name
		if dir != "." && dir != "" {
			name = dir + "/" + e.Name
		}
		if name == self {
			return nil
		}
		read++
		ot, blob, err := b.read(e.Hash)
		if err != nil || ot != plumbing.BlobObject || len(blob) > readerMaxBytes || isBinary(blob) {
			return nil
		}
		if bytes.Contains(blob, needle) && mentionsVast(blob) {
			found = readerResult{reader: name, ok: true}
		}
		return nil
	})
	return found
}
