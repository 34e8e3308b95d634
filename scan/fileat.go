package scan

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// FileAt reads the file name (slash-separated, from the root) as it is in
// revision rev of the repository at path: what a configuration says on the
// base branch of a pull request, whatever the pull request changed in the
// work tree. A missing file matches fs.ErrNotExist; a symbolic link, a
// submodule or a directory at name is an error (nothing is followed); more
// than max bytes is an error.
func FileAt(path, rev, name string, max int64) ([]byte, error) {
	r, err := openRepo(path, Options{})
	if err != nil {
		return nil, err
	}
	h, err := r.git.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, fmt.Errorf("revision %q is not in the clone; %s: %w", rev, fetchHint, ErrMissingRevision)
	}
	c, err := r.git.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", h, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading the tree of %s: %w", short(h.String()), err)
	}
	e, err := tree.FindEntry(name)
	if err != nil {
		if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
			return nil, fmt.Errorf("%s is not in %s: %w", name, short(h.String()), fs.ErrNotExist)
		}
		return nil, err
	}
	if e.Mode != filemode.Regular && e.Mode != filemode.Executable {
		return nil, fmt.Errorf("%s in %s is not a regular file (mode %s); not read", name, short(h.String()), e.Mode)
	}
	b, err := r.git.BlobObject(e.Hash)
	if err != nil {
		return nil, err
	}
	if b.Size > max {
		return nil, fmt.Errorf("%s in %s is %d bytes, more than %d", name, short(h.String()), b.Size, max)
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(io.LimitReader(rd, max))
}
