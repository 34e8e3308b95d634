package ghactions

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// The runner's files (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE,
// GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH) are made by the runner as
// regular files, but an earlier step of the job can swap one for a FIFO
// (a step that opens it blocks forever), a device (/dev/zero reads without
// end) or a symbolic link (a step that writes through it writes wherever
// the link points: the checkout's .git/config, another step's script). So
// each is opened without blocking and without following a link at its
// last component, and used only if it is a regular file.

// ErrNotRegularFile is matched by the error for a runner file that is not a
// regular file.
var ErrNotRegularFile = errors.New("is not a regular file")

// openAppend opens the runner file named by variable v (at path) to append
// to it.
func openAppend(v, path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|noFollow|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		return nil, runnerFileError(v, path, err)
	}
	if err := checkRegular(v, path, f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// readRunnerFile reads the runner file named by variable v (at path), at
// most max bytes. Links are followed here (the runner may give a path
// through one; reading cannot write anywhere), but what they lead to must
// be a regular file.
func readRunnerFile(v, path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, runnerFileError(v, path, err)
	}
	defer f.Close()
	if err := checkRegular(v, path, f); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s (%s): %w", v, path, errors.Unwrap(err))
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s (%s) is larger than %d MiB; GitHub caps event payloads at 25 MB, so this is not the runner's file", v, path, max>>20)
	}
	return b, nil
}

func checkRegular(v, path string, f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s (%s): %w", v, path, err)
	}
	if !fi.Mode().IsRegular() {
		return notRegular(fmt.Sprintf("%s (%s) is a %s, not a regular file; an earlier step may have replaced it: not used", v, path, kind(fi.Mode())))
	}
	return nil
}

// notRegular is an error that matches ErrNotRegularFile.
type notRegular string

func (e notRegular) Error() string        { return string(e) }
func (e notRegular) Is(target error) bool { return target == ErrNotRegularFile }

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m.IsDir():
		return "directory"
	}
	return "special file"
}

func runnerFileError(v, path string, err error) error {
	switch {
	case errors.Is(err, syscall.ELOOP):
		return notRegular(fmt.Sprintf("%s (%s) is a symbolic link, not a regular file; an earlier step may have replaced it, and writing through it would write where it points: not used", v, path))
	case errors.Is(err, syscall.EISDIR):
		return notRegular(fmt.Sprintf("%s (%s) is a directory, not a regular file; an earlier step may have replaced it: not used", v, path))
	case errors.Is(err, syscall.ENXIO):
		// O_NONBLOCK write-open of a FIFO nobody reads.
		return notRegular(fmt.Sprintf("%s (%s) is a FIFO, not a regular file; an earlier step may have replaced it: not used", v, path))
	}
	return fmt.Errorf("%s (%s): %w", v, path, errors.Unwrap(err))
}
