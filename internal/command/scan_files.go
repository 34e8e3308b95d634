package command

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// pendingFile is a file written whole or not at all: a new file made
// beside the target with O_EXCL, renamed over the target once complete.
// The rename replaces whatever is at the name (a link included) without
// following it, so a link planted at the name cannot redirect the write,
// and the target is always a new inode: a reader holding the old file
// never sees half of the new one.
//
// TODO(safefile): use internal/safefile's CreatePath once it is on main;
// it also refuses links on the way to the directory.
type pendingFile struct {
	name string
	tmp  *os.File
}

// newPendingFile makes the temporary file at once, so that a name that
// cannot be written fails before a long scan.
func newPendingFile(name string) (*pendingFile, error) {
	if fi, err := os.Lstat(name); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", name)
	}
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("cannot write in %s: %w", dir, unwrapPath(err))
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return &pendingFile{name: name, tmp: tmp}, nil
}

// Write fills the file with write and puts it at its name.
func (p *pendingFile) Write(write func(io.Writer) error) error {
	if p.tmp == nil {
		return fmt.Errorf("%s: already written", p.name)
	}
	err := write(p.tmp)
	if err == nil {
		err = p.tmp.Sync()
	}
	if cerr := p.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(p.tmp.Name(), p.name)
	}
	if err != nil {
		os.Remove(p.tmp.Name())
	}
	p.tmp = nil
	return err
}

// Abort removes the temporary file if it was not written.
func (p *pendingFile) Abort() {
	if p.tmp != nil {
		p.tmp.Close()
		os.Remove(p.tmp.Name())
		p.tmp = nil
	}
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
