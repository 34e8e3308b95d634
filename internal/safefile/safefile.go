// Package safefile writes and reads files without ever following a
// symbolic link: the files vastguard writes where a repository's content
// decides what is on disk (a SARIF report in a pull request's checkout, a
// key file, a scan report), and the files it reads there (a baseline).
//
// A path is walked one component at a time from a directory the caller
// trusts (a Root, such as the Actions workspace; or, for a path a user
// typed, the current directory or "/"), each directory opened with
// O_NOFOLLOW relative to the one before (openat), so a link anywhere on the
// way is refused and a link swapped in mid-walk cannot redirect it. A file
// is written as a new inode: a temporary file created with O_EXCL beside
// the name, then renamed over it, so whatever was there (a hard link to a
// file elsewhere, a file another process holds open) is replaced, never
// written through; a symbolic link or a directory at the name is refused.
// Ownership is given with fchown on the open descriptor, never by path.
//
// It is written by hand because nothing in the standard library or a
// well-kept module does this: os.Root (and filepath-securejoin) confine a
// walk to a directory but follow the links that stay inside it, and a
// checkout's links may point anywhere inside the workspace (its .git/config,
// the SARIF file the next step uploads). openat2's RESOLVE_NO_SYMLINKS would
// do the walk in one call, but not on every kernel or under every seccomp
// profile, and not with the messages that name the offending component;
// one walk that works everywhere is kept instead of two.
//
// safefile imports only the standard library and golang.org/x/sys/unix; it
// knows nothing of vastguard. The Action runs on Linux; elsewhere (the
// CLI on Windows) a portable fallback checks each component with Lstat
// before it is used, which a concurrent swap could race, and says so.
package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// The reasons a path is refused. Errors wrap one of them in a *PathError
// that names the component.
var (
	// ErrSymlink: a component of the path is a symbolic link.
	ErrSymlink = errors.New("is a symbolic link, which vastguard does not follow")
	// ErrIsDir: the file to write or read is a directory.
	ErrIsDir = errors.New("is a directory; name a file")
	// ErrNotDir: a component before the last is not a directory.
	ErrNotDir = errors.New("is not a directory")
	// ErrNotRegular: the name holds something other than a regular file
	// (a FIFO, a device, a socket).
	ErrNotRegular = errors.New("is not a regular file")
	// ErrOutside: the path is absolute or climbs out of its Root with "..".
	ErrOutside = errors.New("leaves the directory it must stay in")
)

// PathError is a refused or failed path: Path is the path as given, up to
// the component at fault; Err is one of the sentinels above, or the
// system's error.
type PathError struct {
	Path string
	Err  error
}

func (e *PathError) Error() string {
	if errors.Is(e.Err, ErrSymlink) || errors.Is(e.Err, ErrIsDir) || errors.Is(e.Err, ErrNotDir) ||
		errors.Is(e.Err, ErrNotRegular) || errors.Is(e.Err, ErrOutside) {
		return e.Path + " " + e.Err.Error()
	}
	return e.Path + ": " + e.Err.Error()
}

func (e *PathError) Unwrap() error { return e.Err }

// Options say how a file is created.
type Options struct {
	// Perm is the new file's mode before the umask (0o600 for a key,
	// 0o644 for a report).
	Perm os.FileMode
	// MakeDirs creates missing directories on the way (mode 0o755, no
	// links followed there either).
	MakeDirs bool
	// Chown, when the program runs as root, gives the file and the
	// directories it creates the owner of the Root directory: a container
	// action runs as root, and a root-owned file in the workspace breaks
	// the next checkout on a self-hosted runner. Only for Root.Create.
	Chown bool
}

// parsed is a cleaned path split into components.
type parsed struct {
	shown string   // for messages: as given, cleaned
	abs   bool     // shown from "/"
	parts []string // components; empty for the start directory itself
}

// dirs is the components to walk as directories: all of them with whole,
// else all but the last.
func (p parsed) dirs(whole bool) []string {
	if whole || len(p.parts) == 0 {
		return p.parts
	}
	return p.parts[:len(p.parts)-1]
}

// upTo is the path shown up to component i.
func (p parsed) upTo(i int) string {
	s := strings.Join(p.parts[:i+1], "/")
	if p.abs {
		return "/" + s
	}
	return s
}

func split(path string, abs bool) parsed {
	clean := filepath.Clean(path)
	p := parsed{shown: clean, abs: abs}
	rest := strings.TrimPrefix(clean, "/")
	if rest != "" && rest != "." {
		p.parts = strings.Split(rest, "/")
	}
	return p
}

// confined parses a name that must stay beneath its Root.
func confined(name string) (parsed, error) {
	if name == "" {
		return parsed{}, &PathError{Path: `""`, Err: errors.New("is empty")}
	}
	if filepath.IsAbs(name) {
		return parsed{}, &PathError{Path: name, Err: ErrOutside}
	}
	p := split(name, false)
	if len(p.parts) > 0 && p.parts[0] == ".." {
		return parsed{}, &PathError{Path: name, Err: ErrOutside}
	}
	return p, nil
}
