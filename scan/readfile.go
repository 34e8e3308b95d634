package scan

import (
	"fmt"
	"io"
	"os"
)

// readRegularFile reads the whole of the file at path from a repository's
// git directory, which may be hostile: a symbolic link is not followed
// (the last component must be the file itself), a FIFO, device or
// directory is refused without blocking on it, and a file over limit bytes
// is an error.
func readRegularFile(path string, limit int64) ([]byte, error) {
	if isSymlink(path) {
		return nil, fmt.Errorf("%s is a symbolic link; vastguard does not follow links inside a git directory", path)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		if isSymlink(path) {
			return nil, fmt.Errorf("%s is a symbolic link; vastguard does not follow links inside a git directory", path)
		}
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit", path, fi.Size(), limit)
	}
	// One read into a buffer of the file's size, one byte over to see it
	// grow (a cache file is megabytes: growing a buffer costs more).
	b := make([]byte, min(fi.Size(), limit)+1)
	n, err := io.ReadFull(f, b)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	if int64(n) > fi.Size() {
		return nil, fmt.Errorf("%s grew while it was read; run the scan again once git is done with it", path)
	}
	b = b[:n]
	return b, nil
}

func isSymlink(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&os.ModeSymlink != 0
}
