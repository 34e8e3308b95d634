//go:build unix

package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Root is a directory that paths are confined to. Its own path may hold
// links (the caller names it); nothing beneath it is followed.
type Root struct {
	fd   int
	name string
}

// OpenRoot opens dir as a Root.
func OpenRoot(dir string) (*Root, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &PathError{Path: dir, Err: err}
	}
	return &Root{fd: fd, name: dir}, nil
}

// Close releases the Root's directory.
func (r *Root) Close() error { return unix.Close(r.fd) }

// Create prepares the file name (relative to r, slash-separated) for
// writing; see File. Nothing exists under the name until Commit.
func (r *Root) Create(name string, o Options) (*File, error) {
	p, err := confined(name)
	if err != nil {
		return nil, err
	}
	var own *owner
	if o.Chown && os.Geteuid() == 0 {
		var st unix.Stat_t
		if err := unix.Fstat(r.fd, &st); err != nil {
			return nil, &PathError{Path: r.name, Err: err}
		}
		own = &owner{uid: int(st.Uid), gid: int(st.Gid)}
	}
	return create(r.fd, p, o, own)
}

// Open opens the regular file name beneath r for reading.
func (r *Root) Open(name string) (*os.File, error) {
	p, err := confined(name)
	if err != nil {
		return nil, err
	}
	return open(r.fd, p)
}

// CheckDir reports whether name is a directory beneath r reached through
// directories alone (no link on the way or at the end). "." is r itself.
func (r *Root) CheckDir(name string) error {
	p, err := confined(name)
	if err != nil {
		return err
	}
	fd, err := walk(r.fd, p, p.dirs(true), false, nil)
	if err != nil {
		return err
	}
	closeUnlessStart(fd, r.fd)
	return nil
}

// CreatePath is Create for a path as a user typed it: relative to the
// current directory (a leading ".." climbs to its real parent) or
// absolute (from "/"). No component may be a link; Options.Chown does not
// apply.
func CreatePath(path string, o Options) (*File, error) {
	start, p, err := startOf(path)
	if err != nil {
		return nil, err
	}
	defer unix.Close(start)
	o.Chown = false
	return create(start, p, o, nil)
}

// OpenPath is Open for a path as a user typed it; see CreatePath.
func OpenPath(path string) (*os.File, error) {
	start, p, err := startOf(path)
	if err != nil {
		return nil, err
	}
	defer unix.Close(start)
	return open(start, p)
}

// startOf opens where a user's path starts: "/" or the current directory.
func startOf(path string) (int, parsed, error) {
	if path == "" {
		return -1, parsed{}, &PathError{Path: `""`, Err: errors.New("is empty")}
	}
	dir, abs := ".", filepath.IsAbs(path)
	if abs {
		dir = "/"
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, parsed{}, &PathError{Path: dir, Err: err}
	}
	return fd, split(path, abs), nil
}

type owner struct{ uid, gid int }

// walk opens each of dirs in turn beneath start, never following a link,
// and returns the last one's descriptor (start itself for none; the
// caller closes any other). ".." is only ever a leading component here
// (the path is cleaned), and is the directory's real parent.
func walk(start int, p parsed, dirs []string, mkdirs bool, own *owner) (int, error) {
	fd := start
	fail := func(i int, err error) (int, error) {
		closeUnlessStart(fd, start)
		return -1, &PathError{Path: p.upTo(i), Err: err}
	}
	for i, name := range dirs {
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) && mkdirs && name != ".." {
			if err = unix.Mkdirat(fd, name, 0o755); err == nil || errors.Is(err, unix.EEXIST) {
				next, err = unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
				if err == nil && own != nil {
					unix.Fchown(next, own.uid, own.gid)
				}
			}
		}
		if err != nil {
			return fail(i, why(fd, name, err, true))
		}
		closeUnlessStart(fd, start)
		fd = next
	}
	return fd, nil
}

// why turns a failed open of name in dir into the reason a person can act
// on: a link, or not a directory, rather than ELOOP or ENOTDIR.
func why(dir int, name string, err error, wantDir bool) error {
	var st unix.Stat_t
	if serr := unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW); serr == nil {
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			return ErrSymlink
		case unix.S_IFDIR:
			if !wantDir {
				return ErrIsDir
			}
		default:
			if wantDir {
				return ErrNotDir
			}
			if st.Mode&unix.S_IFMT != unix.S_IFREG {
				return ErrNotRegular
			}
		}
	}
	return err
}

func closeUnlessStart(fd, start int) {
	if fd != start && fd >= 0 {
		unix.Close(fd)
	}
}

// checkTarget refuses a name that holds a link, a directory or anything
// but a regular file; a missing name is fine.
func checkTarget(dir int, name string) error {
	var st unix.Stat_t
	err := unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case errors.Is(err, unix.ENOENT):
		return nil
	case err != nil:
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return nil
	case unix.S_IFLNK:
		return ErrSymlink
	case unix.S_IFDIR:
		return ErrIsDir
	}
	return ErrNotRegular
}

func create(start int, p parsed, o Options, own *owner) (*File, error) {
	if len(p.parts) == 0 || p.parts[len(p.parts)-1] == ".." {
		return nil, &PathError{Path: p.shown, Err: ErrIsDir}
	}
	dir, err := walk(start, p, p.dirs(false), o.MakeDirs, own)
	if err != nil {
		return nil, err
	}
	// The directory is now held open: dir is what every later call is
	// relative to, whatever happens to the path meanwhile.
	if dir == start {
		if dir, err = unix.Dup(start); err != nil {
			return nil, &PathError{Path: p.shown, Err: err}
		}
	}
	name := p.parts[len(p.parts)-1]
	if err := checkTarget(dir, name); err != nil {
		unix.Close(dir)
		return nil, &PathError{Path: p.shown, Err: err}
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := ".vastguard-tmp-" + hex.EncodeToString(rnd[:])
	perm := uint32(o.Perm.Perm())
	fd, err := unix.Openat(dir, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
	if err != nil {
		unix.Close(dir)
		return nil, &PathError{Path: p.shown, Err: err}
	}
	if own != nil {
		unix.Fchown(fd, own.uid, own.gid)
	}
	return &File{f: os.NewFile(uintptr(fd), p.shown), dir: dir, tmp: tmp, name: name, path: p.shown}, nil
}

func open(start int, p parsed) (*os.File, error) {
	if len(p.parts) == 0 || p.parts[len(p.parts)-1] == ".." {
		return nil, &PathError{Path: p.shown, Err: ErrIsDir}
	}
	dir, err := walk(start, p, p.dirs(false), false, nil)
	if err != nil {
		return nil, err
	}
	defer closeUnlessStart(dir, start)
	name := p.parts[len(p.parts)-1]
	// O_NONBLOCK: opening a FIFO must not wait for a writer; it is
	// refused below.
	fd, err := unix.Openat(dir, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &PathError{Path: p.shown, Err: why(dir, name, err, false)}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &PathError{Path: p.shown, Err: err}
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		unix.Close(fd)
		return nil, &PathError{Path: p.shown, Err: ErrIsDir}
	default:
		unix.Close(fd)
		return nil, &PathError{Path: p.shown, Err: ErrNotRegular}
	}
	return os.NewFile(uintptr(fd), p.shown), nil
}

// File is a file being written: a temporary file beside its name, which
// Commit renames over the name and Abort removes. Until then the name is
// untouched.
type File struct {
	f         *os.File
	dir       int
	tmp, name string
	path      string
	done      bool
}

var _ io.Writer = (*File)(nil)

// Write writes to the temporary file.
func (f *File) Write(b []byte) (int, error) { return f.f.Write(b) }

// Name is the path as given, cleaned.
func (f *File) Name() string { return f.path }

// Commit flushes the file to disk and moves it into place, replacing what
// the name held (never writing through it). It refuses, and removes the
// temporary file, if a link or directory has appeared at the name since
// Create.
func (f *File) Commit() error {
	if f.done {
		return &PathError{Path: f.path, Err: errors.New("already committed or aborted")}
	}
	f.done = true
	defer unix.Close(f.dir)
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = checkTarget(f.dir, f.name)
	}
	if err == nil {
		// renameat never follows a link at the destination: a link that
		// appears after the check is replaced, not written through.
		err = unix.Renameat(f.dir, f.tmp, f.dir, f.name)
		if errors.Is(err, unix.EISDIR) || errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
			err = ErrIsDir
		}
	}
	if err != nil {
		unix.Unlinkat(f.dir, f.tmp, 0)
		return &PathError{Path: f.path, Err: err}
	}
	unix.Fsync(f.dir)
	return nil
}

// Abort removes the temporary file; the name is left as it was. It does
// nothing after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.f.Close()
	unix.Unlinkat(f.dir, f.tmp, 0)
	unix.Close(f.dir)
}

// WriteFile writes data to name beneath r in one go (Create, Write,
// Commit).
func (r *Root) WriteFile(name string, data []byte, o Options) error {
	f, err := r.Create(name, o)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	return f.Commit()
}

// ChownDir gives directory dir and the regular files directly in it the
// owner of r, when the program runs as root (a container action writes as
// root where later steps, run as the runner's user, must read: a cache
// that actions/cache saves). dir is opened with O_NOFOLLOW, so a link at
// its last component is refused (the path before it is the caller's);
// each file is opened beneath it with O_NOFOLLOW and changed with fchown,
// so a link in dir is passed over, never followed. Subdirectories are left
// as they are. Not running as root, it does nothing.
func (r *Root) ChownDir(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(r.fd, &st); err != nil {
		return &PathError{Path: r.name, Err: err}
	}
	uid, gid := int(st.Uid), int(st.Gid)
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
			err = why(unix.AT_FDCWD, dir, err, true)
		}
		return &PathError{Path: dir, Err: err}
	}
	d := os.NewFile(uintptr(fd), dir)
	defer d.Close()
	if err := unix.Fchown(fd, uid, gid); err != nil {
		return &PathError{Path: dir, Err: err}
	}
	ents, err := d.ReadDir(-1)
	if err != nil {
		return &PathError{Path: dir, Err: err}
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		ffd, err := unix.Openat(fd, e.Name(), unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			continue // gone, or swapped for a link: passed over
		}
		var fst unix.Stat_t
		if unix.Fstat(ffd, &fst) == nil && fst.Mode&unix.S_IFMT == unix.S_IFREG {
			err = unix.Fchown(ffd, uid, gid)
		}
		unix.Close(ffd)
		if err != nil {
			return &PathError{Path: filepath.Join(dir, e.Name()), Err: err}
		}
	}
	return nil
}
