package scan

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/vastguard/vastguard/scan/gitobj"
)

// Read budgets of the files go-git reads for the scanner. Objects (packs,
// indexes, loose objects) are regular files whose size bounds what is read;
// every other file of a git directory is small in any real repository.
const (
	maxPackedRefs = 1 << 30  // a million refs is about 80 MiB
	maxIndexFile  = 2 << 30  // the staging index of a monorepo
	maxMetadata   = 64 << 20 // HEAD, loose refs, config, shallow, logs, ...
	maxGitFile    = 1 << 20  // a .git file or commondir; git's own limit for .git files
)

// readBudget is what may be read of the file at name (slash-separated,
// relative to a git directory or an object directory); -1 means no budget
// beyond the file's size.
func readBudget(name string) int64 {
	name = strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(name)), "/")
	switch {
	case name == "packed-refs":
		return maxPackedRefs
	case name == "index":
		return maxIndexFile
	case strings.HasPrefix(name, "objects/") && !strings.HasPrefix(name, "objects/info/"):
		// Packs, their indexes and loose objects (an alternate's too:
		// go-git reads one relative to the directory above its objects).
		return -1
	}
	return maxMetadata
}

// guardFS is the filesystem go-git reads a repository through: every file
// it opens for reading must be a regular file (opened without blocking,
// see gitobj.OpenRegular), and reads stop at the file's budget with an
// error instead of going on without end.
type guardFS struct{ billy.Filesystem }

func (g guardFS) Open(name string) (billy.File, error) {
	return g.OpenFile(name, os.O_RDONLY, 0)
}

func (g guardFS) OpenFile(name string, flag int, perm os.FileMode) (billy.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR|os.O_CREATE|os.O_APPEND|os.O_TRUNC) != 0 {
		return nil, fmt.Errorf("%s: %w", name, errReadOnly)
	}
	full := g.full(name)
	f, fi, err := gitobj.OpenRegular(full)
	if err != nil {
		return nil, err
	}
	budget := readBudget(name)
	if budget >= 0 && fi.Size() > budget {
		f.Close()
		return nil, &gitobj.LimitError{What: full, Need: "the file", Size: fi.Size(), Limit: budget, Knob: "a git metadata file's size"}
	}
	return &roFile{File: f, name: name}, nil
}

// Stat is the inner filesystem's, except that a special file (not a
// regular file or a directory) is refused as OpenFile would refuse it.
func (g guardFS) Stat(name string) (os.FileInfo, error) {
	fi, err := g.Filesystem.Stat(name)
	if err != nil || (!fi.Mode().IsRegular() && !fi.IsDir()) {
		full := g.full(name)
		if real, serr := os.Stat(full); serr == nil && !real.Mode().IsRegular() && !real.IsDir() {
			_, _, err := gitobj.OpenRegular(full)
			return nil, err
		}
	}
	return fi, err
}

// full is the path on disk of name.
func (g guardFS) full(name string) string {
	return filepath.Join(g.Root(), filepath.FromSlash(path.Clean("/"+filepath.ToSlash(name))))
}

func (g guardFS) Chroot(p string) (billy.Filesystem, error) {
	fs, err := g.Filesystem.Chroot(p)
	if err != nil {
		return nil, err
	}
	return guardFS{fs}, nil
}

// roFile is a regular file opened for reading. Its size was within its
// budget when it was opened, and a regular file only grows if something
// writes it while the scan runs.
type roFile struct {
	*os.File
	name string
}

var errReadOnly = errors.New("the scanner never writes to a repository")

func (f *roFile) Name() string              { return f.name }
func (f *roFile) Write([]byte) (int, error) { return 0, errReadOnly }
func (f *roFile) Truncate(int64) error      { return errReadOnly }
func (f *roFile) Lock() error               { return nil }
func (f *roFile) Unlock() error             { return nil }
