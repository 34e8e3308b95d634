package command

import (
	"errors"
	"fmt"
	"path/filepath"
	"syscall"

	"github.com/vastguard/vastguard/internal/safefile"
)

// secretFile writes a key to a file readable only by its owner (0600),
// atomically and without following links: the temporary file is created
// first, so an unwritable path, or a link or directory at the name or on
// the way, fails before any key is made, and the final name appears only
// complete, as a new file (a hard link elsewhere is replaced, never
// written through).
type secretFile struct {
	f *safefile.File
}

func openSecretFile(path string) (*secretFile, error) {
	if path == "" {
		return nil, errors.New("--output: empty path")
	}
	f, err := safefile.CreatePath(path, safefile.Options{Perm: 0o600})
	if err != nil {
		return nil, pathFlagError("--output", path, err)
	}
	return &secretFile{f: f}, nil
}

// pathFlagError is a refused or failed --output or --baseline, on one line
// that names the path: "--output DIR/x is a symbolic link, ...", "--output:
// cannot write in DIR: permission denied".
func pathFlagError(flag, path string, err error) error {
	var pe *safefile.PathError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", flag, err)
	}
	var sys syscall.Errno
	switch {
	case !errors.As(pe.Err, &sys):
		return fmt.Errorf("%s %w", flag, err) // a link, a directory, ...
	case flag == "--output" || flag == "--write-baseline":
		return fmt.Errorf("%s: cannot write in %s: %w", flag, filepath.Dir(path), sys)
	}
	return fmt.Errorf("%s: %w", flag, err)
}

// commit writes value with no trailing newline (the vastai key file's
// format) and moves the file into place.
func (s *secretFile) commit(value string) error {
	if _, err := s.f.Write([]byte(value)); err != nil {
		s.f.Abort()
		return fmt.Errorf("writing %s: %w", s.f.Name(), err)
	}
	if err := s.f.Commit(); err != nil {
		return fmt.Errorf("writing %w", err)
	}
	return nil
}

// abort removes the temporary file.
func (s *secretFile) abort() { s.f.Abort() }
