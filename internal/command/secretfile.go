package command

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// secretFile writes a key to a file readable only by its owner (0600),
// atomically: the temporary file is created first, so an unwritable path
// fails before any key is made, and the final name appears only complete.
type secretFile struct {
	tmp   *os.File
	final string
}

func openSecretFile(path string) (*secretFile, error) {
	if path == "" {
		return nil, errors.New("--output: empty path")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("--output %s is a directory; name a file", path)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("--output: cannot write in %s: %w", dir, errors.Unwrap(err))
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("--output: %w", err)
	}
	return &secretFile{tmp: tmp, final: path}, nil
}

// commit writes value with no trailing newline (the vastai key file's
// format) and moves the file into place.
func (s *secretFile) commit(value string) error {
	_, err := s.tmp.WriteString(value)
	if err == nil {
		err = s.tmp.Sync()
	}
	if cerr := s.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(s.tmp.Name(), s.final)
	}
	if err != nil {
		os.Remove(s.tmp.Name())
		return fmt.Errorf("writing %s: %w", s.final, err)
	}
	return nil
}

// abort removes the temporary file.
func (s *secretFile) abort() {
	s.tmp.Close()
	os.Remove(s.tmp.Name())
}
