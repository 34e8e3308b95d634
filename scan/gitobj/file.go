package gitobj

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrNotRegular is wrapped by errors about a path where git expects a
// regular file and finds something else: a FIFO (reading it would block
// forever), a device (/dev/zero never ends), a socket or a directory.
var ErrNotRegular = errors.New("not a regular file")

// OpenRegular opens path for reading the way git reads the files of a git
// directory, and refuses what git would not read as a file. Like git it
// follows a symbolic link, but the target must be a regular file: the
// target's type is checked before anything is opened, so a device is never
// opened at all, and the file is opened without blocking (a FIFO swapped in
// after the check cannot stall the open) and checked again once open. The
// returned info is the open file's.
func OpenRegular(path string) (*os.File, os.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, notRegular(path, fi)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, nil, err
	}
	got, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !got.Mode().IsRegular() || !os.SameFile(fi, got) {
		f.Close()
		return nil, nil, notRegular(path, got)
	}
	return f, got, nil
}

func notRegular(path string, fi os.FileInfo) error {
	kind := "not a file"
	switch m := fi.Mode(); {
	case m.IsDir():
		kind = "a directory"
	case m&os.ModeNamedPipe != 0:
		kind = "a FIFO"
	case m&os.ModeDevice != 0:
		kind = "a device"
	case m&os.ModeSocket != 0:
		kind = "a socket"
	}
	return &notRegularError{path, kind}
}

// notRegularError is a path where git expects a regular file and finds
// kind.
type notRegularError struct{ path, kind string }

func (e *notRegularError) Error() string {
	return fmt.Sprintf("%s is %s, where git expects a regular file; refusing to read it", e.path, e.kind)
}

// Is makes errors.Is(err, ErrNotRegular) hold.
func (e *notRegularError) Is(target error) bool { return target == ErrNotRegular }

// ReadRegular reads the whole of the regular file at path (see
// OpenRegular), refusing one larger than limit bytes with an error that
// wraps ErrLimit.
func ReadRegular(path string, limit int64) ([]byte, error) {
	f, fi, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > limit {
		return nil, &LimitError{What: path, Need: "the file", Size: fi.Size(), Limit: limit, Knob: "metadata files"}
	}
	// The size was read before: a file that grows meanwhile is still cut
	// at the limit, and one past it is refused.
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, &LimitError{What: path, Need: "the file", Size: int64(len(b)), Limit: limit, Knob: "metadata files"}
	}
	return b, nil
}
