package scan

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// The index (.git/index) is read by hand rather than with go-git's
// plumbing/format/index decoder, which refuses what git writes for large
// work trees (a sparse index's "sdir" extension; index.skipHash, which
// feature.manyFiles turns on, leaves a zero checksum), reads each entry
// through reflection, puts no bound on the entry count, and does not check
// the entries' order, so a hostile index could list a path twice and have
// one of its blobs pass unseen. This reader follows gitformat-index(5):
// versions 2, 3 and 4, extended flags, long names, prefix-compressed
// names; it checks the size, the count against the bytes that hold it,
// every length, the checksum, the paths and their order.

// Limits on an index, far above what git writes for the largest work trees
// (about 100 bytes an entry).
const (
	maxIndexSize    = 1 << 30
	maxIndexEntries = 10_000_000
	maxIndexPath    = 4096
)

// indexEntry is one entry of the index.
type indexEntry struct {
	path  string
	mode  uint32
	hash  plumbing.Hash
	stage int
	// intentToAdd entries (git add -N) are not in the next commit's tree.
	intentToAdd bool
	// sparseDir is a sparse index's directory entry: hash is a tree, path
	// ends with "/".
	sparseDir bool
}

// Index entry modes, as git writes them.
const (
	modeDir     = 0o040000
	modeRegular = 0o100644
	modeExec    = 0o100755
	modeSymlink = 0o120000
	modeGitlink = 0o160000
)

// errIndex is wrapped by every error about an index that does not parse.
var errIndex = errors.New("corrupt index")

// errSplitIndex is the error for a split index (core.splitIndex).
var errSplitIndex = errors.New("the index is split (core.splitIndex), which vastguard cannot read yet; run `git update-index --no-split-index`")

// readIndexFile reads the index at path: a missing file is an empty index
// (a repository where nothing was ever staged) unless required. The file is opened without
// following a symbolic link and must be a regular file no larger than
// maxIndexSize.
func readIndexFile(path string, required bool) ([]indexEntry, error) {
	data, err := readRegularFile(path, maxIndexSize)
	if errors.Is(err, os.ErrNotExist) && !required {
		return nil, nil // no index yet: nothing staged
	}
	if err != nil {
		return nil, fmt.Errorf("reading the index: %w", err)
	}
	ents, err := parseIndex(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ents, nil
}

// parseIndex decodes an index file.
func parseIndex(b []byte) ([]indexEntry, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", errIndex, fmt.Sprintf(format, args...))
	}
	if len(b) < 12+20 || !bytes.Equal(b[:4], []byte("DIRC")) {
		return nil, bad("not an index file")
	}
	version := binary.BigEndian.Uint32(b[4:])
	if version < 2 || version > 4 {
		return nil, bad("version %d (vastguard reads versions 2 to 4)", version)
	}
	body, sum := b[:len(b)-20], b[len(b)-20:]
	// index.skipHash writes a zero checksum; otherwise it must match.
	if !bytes.Equal(sum, make([]byte, 20)) {
		if s := sha1.Sum(body); !bytes.Equal(s[:], sum) {
			return nil, bad("checksum mismatch")
		}
	}
	count := binary.BigEndian.Uint32(b[8:])
	const minEntry = 62 + 2 // the fixed part, a one-byte name and its end
	if count > maxIndexEntries || uint64(count)*minEntry > uint64(len(body)-12) {
		return nil, bad("%d entries cannot fit in %d bytes", count, len(b))
	}
	ents := make([]indexEntry, 0, count)
	pos := 12
	prev := ""
	for i := uint32(0); i < count; i++ {
		if pos+62 > len(body) {
			return nil, bad("entry %d is cut short", i)
		}
		e := body[pos:]
		var ie indexEntry
		ie.mode = binary.BigEndian.Uint32(e[24:])
		copy(ie.hash[:], e[40:60])
		flags := binary.BigEndian.Uint16(e[60:])
		ie.stage = int(flags>>12) & 3
		fixed := 62
		if flags&0x4000 != 0 {
			if version < 3 || pos+64 > len(body) {
				return nil, bad("entry %d: extended flags in a version %d index", i, version)
			}
			ext := binary.BigEndian.Uint16(e[62:])
			ie.intentToAdd = ext&0x2000 != 0
			fixed = 64
		}
		rest := e[fixed:]
		if version == 4 {
			strip, n := indexVarint(rest)
			if n <= 0 || strip > uint64(len(prev)) {
				return nil, bad("entry %d: bad name prefix", i)
			}
			nul := bytes.IndexByte(rest[n:], 0)
			if nul < 0 || len(prev)-int(strip)+nul > maxIndexPath {
				return nil, bad("entry %d: bad name", i)
			}
			ie.path = prev[:len(prev)-int(strip)] + string(rest[n:n+nul])
			pos += fixed + n + nul + 1
		} else {
			nameLen := int(flags & 0xfff)
			if nameLen == 0xfff {
				nameLen = bytes.IndexByte(rest, 0)
			}
			if nameLen < 0 || nameLen > maxIndexPath || nameLen >= len(rest) || rest[nameLen] != 0 {
				return nil, bad("entry %d: bad name", i)
			}
			ie.path = string(rest[:nameLen])
			// Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
			pos += (fixed + nameLen + 8) &^ 7
		}
		if pos > len(body) {
			return nil, bad("entry %d is cut short", i)
		}
		if ie.mode == modeDir && strings.HasSuffix(ie.path, "/") {
			ie.sparseDir = true
		}
		if ie.path == "" {
			// Only a split index's entries that replace the shared index's
			// have no name; its "link" extension comes after the entries.
			return nil, errSplitIndex
		}
		if !validIndexPath(ie.path, ie.sparseDir) {
			return nil, bad("entry %d: invalid path %q", i, sanitizePath(ie.path))
		}
		if n := len(ents); n > 0 {
			last := &ents[n-1]
			if c := strings.Compare(last.path, ie.path); c > 0 || (c == 0 && last.stage >= ie.stage) {
				return nil, bad("entries out of order at %q", sanitizePath(ie.path))
			}
		}
		prev = ie.path
		ents = append(ents, ie)
	}
	// Extensions: optional ones (an upper-case first letter) are skipped;
	// of the required ones only the sparse index's marker is known.
	for pos < len(body) {
		if pos+8 > len(body) {
			return nil, bad("extension header is cut short")
		}
		sig := body[pos : pos+4]
		size := int(binary.BigEndian.Uint32(body[pos+4:]))
		if size < 0 || size > len(body)-pos-8 {
			return nil, bad("extension %q is cut short", sig)
		}
		switch {
		case sig[0] >= 'A' && sig[0] <= 'Z':
		case string(sig) == "sdir":
		case string(sig) == "link":
			return nil, errSplitIndex
		default:
			return nil, bad("unknown required extension %q", sig)
		}
		pos += 8 + size
	}
	return ents, nil
}

// indexVarint decodes the variable-length integer of a version 4 index
// (git's varint.c: each continuation adds one before shifting).
func indexVarint(b []byte) (uint64, int) {
	if len(b) == 0 {
		return 0, -1
	}
	c := b[0]
	v := uint64(c & 0x7f)
	n := 1
	for c&0x80 != 0 {
		if n >= len(b) || n > 9 {
			return 0, -1
		}
		c = b[n]
		n++
		v = ((v + 1) << 7) | uint64(c&0x7f)
	}
	return v, n
}

// validIndexPath applies git's verify_path rules: a relative path of
// non-empty components, none of them ".", ".." or ".git" in any case.
func validIndexPath(p string, dir bool) bool {
	if dir {
		p = strings.TrimSuffix(p, "/")
	}
	if p == "" {
		return false
	}
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." || strings.EqualFold(c, ".git") {
			return false
		}
	}
	return true
}

// sanitizePath makes a path from the repository safe to put in an error:
// control characters become '?', and it is cut at 200 bytes.
func sanitizePath(p string) string {
	if len(p) > 200 {
		p = p[:200] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, p)
}
