package scan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"

	"github.com/vastguard/vastguard/scan/gitobj"
)

// FileAt reads the file name (slash-separated, from the root) as it is in
// revision rev of the repository at path: what a configuration says on the
// base branch of a pull request, whatever the pull request changed in the
// work tree. A missing file matches fs.ErrNotExist; a symbolic link, a
// submodule or a directory at name is an error (nothing is followed); more
// than max bytes is an error, raised before the file is read. Of opts only
// AllowBareInWorkTree counts, as for Scan. It reads through the pack reader
// a range scan uses (the revision, the trees on name's path and the blob,
// under the repository's budgets), never loading every pack index as
// go-git would.
func FileAt(path, rev, name string, max int64, opts Options) ([]byte, error) {
	r, err := openRepo(path, Options{AllowBareInWorkTree: opts.AllowBareInWorkTree})
	if err != nil {
		return nil, err
	}
	s := &scanner{repo: r}
	defer s.close()
	h, err := s.resolveRev(rev)
	if err != nil {
		return nil, err
	}
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	typ, data, err := st.Get(h)
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", h, err)
	}
	if typ != plumbing.CommitObject {
		return nil, fmt.Errorf("%s is a %s, not a commit: %w", h, typ, ErrBadRange)
	}
	c, err := gitobj.ParseCommit(h, data)
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", h, err)
	}
	at := short(h.String())
	notThere := fmt.Errorf("%s is not in %s: %w", name, at, fs.ErrNotExist)
	parts := strings.Split(name, "/")
	tree := c.Tree
	var e gitobj.TreeEntry
	for i, part := range parts {
		if part == "" || part == "." || part == ".." {
			return nil, notThere
		}
		typ, data, err := st.Get(tree)
		if err != nil {
			return nil, fmt.Errorf("reading the tree of %s: %w", at, err)
		}
		if typ != plumbing.TreeObject {
			return nil, fmt.Errorf("object %s in %s is a %s, not a tree", tree, at, typ)
		}
		found := false
		err = gitobj.ParseTree(data, func(te gitobj.TreeEntry) error {
			if te.Name == part {
				e, found = te, true
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return nil, fmt.Errorf("reading the tree of %s: %w", at, err)
		}
		if !found {
			return nil, notThere
		}
		if i < len(parts)-1 {
			if e.Mode != filemode.Dir {
				return nil, notThere
			}
			tree = e.Hash
		}
	}
	if e.Mode != filemode.Regular && e.Mode != filemode.Executable {
		return nil, fmt.Errorf("%s in %s is not a regular file (mode %s); not read", name, at, e.Mode)
	}
	var out []byte
	err = st.Stream(e.Hash, func(typ plumbing.ObjectType, size int64, rd io.Reader) error {
		if typ != plumbing.BlobObject {
			return fmt.Errorf("%s in %s is a %s, not a file", name, at, typ)
		}
		if size > max {
			return fmt.Errorf("%s in %s is %d bytes, more than %d", name, at, size, max)
		}
		var b bytes.Buffer
		b.Grow(int(size))
		_, err := io.Copy(&b, io.LimitReader(rd, max))
		out = b.Bytes()
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
