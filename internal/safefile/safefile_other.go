//go:build !unix

package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Root is a directory that paths are confined to. Its own path may hold
// links (the caller names it); nothing beneath it is followed.
//
// This is the portable fallback (the CLI on Windows): each component is
// checked with Lstat before it is used. Unlike the Unix walk, which holds
// each directory open, a link swapped in between the check and the use is
// not caught; the Action never runs here.
type Root struct {
	name string
}

// OpenRoot opens dir as a Root.
func OpenRoot(dir string) (*Root, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, &PathError{Path: dir, Err: err}
	}
	if !st.IsDir() {
		return nil, &PathError{Path: dir, Err: ErrNotDir}
	}
	return &Root{name: dir}, nil
}

// Close releases the Root.
func (r *Root) Close() error { return nil }

// Create prepares the file name (relative to r, slash-separated) for
// writing; see File. Nothing exists under the name until Commit.
// Options.Chown does nothing here.
func (r *Root) Create(name string, o Options) (*File, error) {
	p, err := confined(name)
	if err != nil {
		return nil, err
	}
	return create(r.name, p, o)
}

// Open opens the regular file name beneath r for reading.
func (r *Root) Open(name string) (*os.File, error) {
	p, err := confined(name)
	if err != nil {
		return nil, err
	}
	return open(r.name, p)
}

// CheckDir reports whether name is a directory beneath r reached through
// directories alone (no link on the way or at the end). "." is r itself.
func (r *Root) CheckDir(name string) error {
	p, err := confined(name)
	if err != nil {
		return err
	}
	_, err = walk(r.name, p, p.dirs(true), false)
	return err
}

// CreatePath is Create for a path as a user typed it: relative to the
// current directory or absolute. No component may be a link.
func CreatePath(path string, o Options) (*File, error) {
	start, p, err := startOf(path)
	if err != nil {
		return nil, err
	}
	return create(start, p, o)
}

// OpenPath is Open for a path as a user typed it; see CreatePath.
func OpenPath(path string) (*os.File, error) {
	start, p, err := startOf(path)
	if err != nil {
		return nil, err
	}
	return open(start, p)
}

func startOf(path string) (string, parsed, error) {
	if path == "" {
		return "", parsed{}, &PathError{Path: `""`, Err: errors.New("is empty")}
	}
	path = filepath.ToSlash(path)
	if filepath.IsAbs(filepath.FromSlash(path)) {
		vol := filepath.VolumeName(filepath.FromSlash(path))
		rest := strings.TrimPrefix(path, filepath.ToSlash(vol))
		return vol + string(filepath.Separator), split(rest, true), nil
	}
	return ".", split(path, false), nil
}

// walk checks each of dirs beneath start with Lstat (no link, a directory)
// and returns the last one's path.
func walk(start string, p parsed, dirs []string, mkdirs bool) (string, error) {
	dir := start
	for i, name := range dirs {
		next := filepath.Join(dir, name)
		st, err := os.Lstat(next)
		if errors.Is(err, os.ErrNotExist) && mkdirs && name != ".." {
			if err = os.Mkdir(next, 0o755); err == nil || errors.Is(err, os.ErrExist) {
				st, err = os.Lstat(next)
			}
		}
		switch {
		case err != nil:
			return "", &PathError{Path: p.upTo(i), Err: err}
		case st.Mode()&os.ModeSymlink != 0:
			return "", &PathError{Path: p.upTo(i), Err: ErrSymlink}
		case !st.IsDir():
			return "", &PathError{Path: p.upTo(i), Err: ErrNotDir}
		}
		dir = next
	}
	return dir, nil
}

// checkTarget refuses a name that holds a link, a directory or anything
// but a regular file; a missing name is fine.
func checkTarget(path string) error {
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case st.Mode()&os.ModeSymlink != 0:
		return ErrSymlink
	case st.IsDir():
		return ErrIsDir
	case !st.Mode().IsRegular():
		return ErrNotRegular
	}
	return nil
}

func create(start string, p parsed, o Options) (*File, error) {
	if len(p.parts) == 0 || p.parts[len(p.parts)-1] == ".." {
		return nil, &PathError{Path: p.shown, Err: ErrIsDir}
	}
	dir, err := walk(start, p, p.dirs(false), o.MakeDirs)
	if err != nil {
		return nil, err
	}
	name := filepath.Join(dir, p.parts[len(p.parts)-1])
	if err := checkTarget(name); err != nil {
		return nil, &PathError{Path: p.shown, Err: err}
	}
	f, err := os.CreateTemp(dir, ".vastguard-tmp-*")
	if err != nil {
		return nil, &PathError{Path: p.shown, Err: err}
	}
	if err := f.Chmod(o.Perm.Perm()); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		// Windows keeps only the read-only bit; a failure there is not one
		// the caller can act on.
		_ = err
	}
	return &File{f: f, name: name, path: p.shown}, nil
}

func open(start string, p parsed) (*os.File, error) {
	if len(p.parts) == 0 || p.parts[len(p.parts)-1] == ".." {
		return nil, &PathError{Path: p.shown, Err: ErrIsDir}
	}
	dir, err := walk(start, p, p.dirs(false), false)
	if err != nil {
		return nil, err
	}
	name := filepath.Join(dir, p.parts[len(p.parts)-1])
	st, err := os.Lstat(name)
	switch {
	case err != nil:
		return nil, &PathError{Path: p.shown, Err: err}
	case st.Mode()&os.ModeSymlink != 0:
		return nil, &PathError{Path: p.shown, Err: ErrSymlink}
	case st.IsDir():
		return nil, &PathError{Path: p.shown, Err: ErrIsDir}
	case !st.Mode().IsRegular():
		return nil, &PathError{Path: p.shown, Err: ErrNotRegular}
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, &PathError{Path: p.shown, Err: err}
	}
	return f, nil
}

// File is a file being written: a temporary file beside its name, which
// Commit renames over the name and Abort removes. Until then the name is
// untouched.
type File struct {
	f          *os.File
	name, path string
	done       bool
}

var _ io.Writer = (*File)(nil)

// Write writes to the temporary file.
func (f *File) Write(b []byte) (int, error) { return f.f.Write(b) }

// Name is the path as given, cleaned.
func (f *File) Name() string { return f.path }

// Commit flushes the file to disk and moves it into place, replacing what
// the name held. It refuses, and removes the temporary file, if a link or
// directory has appeared at the name since Create.
func (f *File) Commit() error {
	if f.done {
		return &PathError{Path: f.path, Err: errors.New("already committed or aborted")}
	}
	f.done = true
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = checkTarget(f.name)
	}
	if err == nil {
		err = os.Rename(f.f.Name(), f.name)
	}
	if err != nil {
		os.Remove(f.f.Name())
		return &PathError{Path: f.path, Err: err}
	}
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
	os.Remove(f.f.Name())
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

// ChownDir gives a directory and its files the owner of r; here, where no
// container action runs, it does nothing.
func (r *Root) ChownDir(dir string) error { return nil }
