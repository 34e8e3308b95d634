package gitobj

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// Commit is a parsed commit object.
type Commit struct {
	Hash    plumbing.Hash
	Tree    plumbing.Hash
	Parents []plumbing.Hash
	Author  string    // "Name <email>"
	When    time.Time // the author date, in the author's zone; the committer date if it has none
	// Committed is the committer time in Unix seconds, for ordering.
	Committed int64
	// Message is everything after the headers. It aliases the object's
	// data.
	Message []byte
}

// ErrMalformed is wrapped by errors about an object whose content does not
// parse.
var ErrMalformed = errors.New("malformed object")

// headers calls fn for each "key value" header line of a commit or tag,
// skipping continuation lines (gpgsig, mergetag), and returns the message
// after the blank line.
func headers(data []byte, fn func(key, val []byte) error) ([]byte, error) {
	rest := data
	for len(rest) > 0 {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			nl = len(rest)
		}
		line := rest[:nl]
		if nl < len(rest) {
			rest = rest[nl+1:]
		} else {
			rest = nil
		}
		if len(line) == 0 {
			return rest, nil
		}
		if line[0] == ' ' {
			continue // continuation of a multi-line header
		}
		key, val, _ := bytes.Cut(line, []byte{' '})
		if err := fn(key, val); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// ParseCommit reads a raw commit object. Unknown headers (gpgsig,
// mergetag, encoding) and their continuation lines are skipped.
func ParseCommit(h plumbing.Hash, data []byte) (Commit, error) {
	c := Commit{Hash: h}
	haveTree := false
	msg, err := headers(data, func(key, val []byte) error {
		switch string(key) {
		case "tree":
			if !ParseHash(val, &c.Tree) {
				return ErrMalformed
			}
			haveTree = true
		case "parent":
			var p plumbing.Hash
			if !ParseHash(val, &p) {
				return ErrMalformed
			}
			c.Parents = append(c.Parents, p)
		case "author":
			c.Author, c.When = parseSignature(val)
		case "committer":
			_, t := parseSignature(val)
			c.Committed = t.Unix()
		}
		return nil
	})
	if err != nil {
		return c, err
	}
	c.Message = msg
	if !haveTree {
		return c, ErrMalformed
	}
	if c.When.IsZero() {
		c.When = time.Unix(c.Committed, 0).UTC()
	}
	return c, nil
}

// ParseHash reads a 40-character lowercase hex object id into h, and
// reports whether b is one.
func ParseHash(b []byte, h *plumbing.Hash) bool {
	if len(b) != 40 || !isHex(b) {
		return false
	}
	_, err := hex.Decode(h[:], b)
	return err == nil
}

// isHex reports whether b is all lowercase hex digits.
func isHex(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// parseSignature reads "Name <email> 1700000000 +0100".
func parseSignature(b []byte) (string, time.Time) {
	gt := bytes.LastIndexByte(b, '>')
	if gt < 0 {
		return string(b), time.Time{}
	}
	who := string(b[:gt+1])
	fields := bytes.Fields(b[gt+1:])
	if len(fields) == 0 {
		return who, time.Time{}
	}
	sec, err := strconv.ParseInt(string(fields[0]), 10, 64)
	if err != nil {
		return who, time.Time{}
	}
	t := time.Unix(sec, 0).UTC()
	if len(fields) > 1 && len(fields[1]) == 5 {
		z := fields[1]
		hh, e1 := strconv.Atoi(string(z[1:3]))
		mm, e2 := strconv.Atoi(string(z[3:5]))
		if e1 == nil && e2 == nil && (z[0] == '+' || z[0] == '-') {
			off := hh*3600 + mm*60
			if z[0] == '-' {
				off = -off
			}
			t = t.In(zone(string(z), off))
		}
	}
	return who, t
}

// zones shares one *time.Location per UTC offset: a history has few.
var zones sync.Map // "+0100" -> *time.Location

func zone(name string, off int) *time.Location {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location)
	}
	l, _ := zones.LoadOrStore(name, time.FixedZone(name, off))
	return l.(*time.Location)
}

// Tag is a parsed annotated tag object.
type Tag struct {
	Hash   plumbing.Hash
	Target plumbing.Hash
	// TargetType is the type the tag says its target has; 0 if it names
	// none git knows.
	TargetType plumbing.ObjectType
	Name       string
	Tagger     string // "Name <email>"
	When       time.Time
	Message    []byte // aliases the object's data
}

// ParseTag reads a raw tag object.
func ParseTag(h plumbing.Hash, data []byte) (Tag, error) {
	t := Tag{Hash: h}
	haveObj := false
	msg, err := headers(data, func(key, val []byte) error {
		switch string(key) {
		case "object":
			if !ParseHash(val, &t.Target) {
				return ErrMalformed
			}
			haveObj = true
		case "type":
			t.TargetType, _ = typeByName(val)
		case "tag":
			t.Name = string(val)
		case "tagger":
			t.Tagger, t.When = parseSignature(val)
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	t.Message = msg
	if !haveObj {
		return t, ErrMalformed
	}
	return t, nil
}

// TreeEntry is one entry of a tree object. Mode is compared with
// filemode.Dir (a subtree) and filemode.Submodule (a gitlink).
type TreeEntry struct {
	Name string
	Mode filemode.FileMode
	Hash plumbing.Hash
}

// ParseTree calls fn for each entry of a raw tree object, stopping at the
// first error fn returns.
func ParseTree(data []byte, fn func(TreeEntry) error) error {
	it := TreeIter{data: data}
	var e RawTreeEntry
	for {
		ok, err := it.Next(&e)
		if !ok {
			return err
		}
		if err := fn(TreeEntry{Name: string(e.Name), Mode: e.Mode, Hash: e.Hash}); err != nil {
			return err
		}
	}
}

// RawTreeEntry is a tree entry whose name aliases the tree's data.
type RawTreeEntry struct {
	Name []byte
	Mode filemode.FileMode
	Hash plumbing.Hash
}

// TreeIter reads a raw tree object's entries in order without copying
// their names: for walks that look at every entry of many trees and keep
// few.
type TreeIter struct {
	data []byte
}

// NewTreeIter returns an iterator over the raw tree object data.
func NewTreeIter(data []byte) TreeIter { return TreeIter{data: data} }

// Next reads the next entry into e and reports whether there was one; at
// the end it returns false and nil, on a malformed entry false and an
// error wrapping ErrMalformed.
func (it *TreeIter) Next(e *RawTreeEntry) (bool, error) {
	data := it.data
	if len(data) == 0 {
		return false, nil
	}
	sp := bytes.IndexByte(data, ' ')
	if sp <= 0 || sp > 7 {
		return false, ErrMalformed
	}
	var mode filemode.FileMode
	for _, c := range data[:sp] {
		if c < '0' || c > '7' {
			return false, ErrMalformed
		}
		mode = mode<<3 | filemode.FileMode(c-'0')
	}
	data = data[sp+1:]
	nul := bytes.IndexByte(data, 0)
	if nul < 0 || nul+21 > len(data) {
		return false, ErrMalformed
	}
	e.Mode = mode
	e.Name = data[:nul:nul]
	copy(e.Hash[:], data[nul+1:nul+21])
	it.data = data[nul+21:]
	return true, nil
}
