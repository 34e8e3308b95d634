package scan

import (
	"bytes"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// commitInfo is what the scanner keeps of a commit.
type commitInfo struct {
	hash      plumbing.Hash
	tree      plumbing.Hash
	parents   []plumbing.Hash
	author    string // "Name <email>"
	when      time.Time
	committed int64 // committer time, Unix seconds, for ordering
	message   []byte
	matches   []Match // keys in the message
}

var errObject = errors.New("malformed object")

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

// parseCommit reads a raw commit object. Unknown headers (gpgsig,
// mergetag, encoding) and their continuation lines are skipped.
func parseCommit(h plumbing.Hash, data []byte) (commitInfo, error) {
	c := commitInfo{hash: h}
	haveTree := false
	msg, err := headers(data, func(key, val []byte) error {
		switch string(key) {
		case "tree":
			if !parseHash(val, &c.tree) {
				return errObject
			}
			haveTree = true
		case "parent":
			var p plumbing.Hash
			if !parseHash(val, &p) {
				return errObject
			}
			c.parents = append(c.parents, p)
		case "author":
			c.author, c.when = parseSignature(val)
		case "committer":
			_, t := parseSignature(val)
			c.committed = t.Unix()
		}
		return nil
	})
	if err != nil {
		return c, err
	}
	c.message = msg
	if !haveTree {
		return c, errObject
	}
	if c.when.IsZero() {
		c.when = time.Unix(c.committed, 0).UTC()
	}
	return c, nil
}

func parseHash(b []byte, h *plumbing.Hash) bool {
	if len(b) != 40 || !isHexString(string(b)) {
		return false
	}
	*h = plumbing.NewHash(string(b))
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

// tagInfo is what the scanner keeps of an annotated tag.
type tagInfo struct {
	hash    plumbing.Hash
	target  plumbing.Hash
	typ     byte
	name    string
	tagger  string
	when    time.Time
	message []byte
	matches []Match
}

func parseTag(h plumbing.Hash, data []byte) (tagInfo, error) {
	t := tagInfo{hash: h}
	haveObj := false
	msg, err := headers(data, func(key, val []byte) error {
		switch string(key) {
		case "object":
			if !parseHash(val, &t.target) {
				return errObject
			}
			haveObj = true
		case "type":
			switch string(val) {
			case "commit":
				t.typ = objCommit
			case "tree":
				t.typ = objTree
			case "blob":
				t.typ = objBlob
			case "tag":
				t.typ = objTag
			}
		case "tag":
			t.name = string(val)
		case "tagger":
			t.tagger, t.when = parseSignature(val)
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	t.message = msg
	if !haveObj {
		return t, errObject
	}
	return t, nil
}

// treeEntry is one entry of a tree object.
type treeEntry struct {
	name string
	mode uint32
	hash plumbing.Hash
}

const (
	modeTree   = 0o040000
	modeGitlnk = 0o160000
)

// parseTree calls fn for each entry of a raw tree object.
func parseTree(data []byte, fn func(treeEntry) error) error {
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp <= 0 || sp > 7 {
			return errObject
		}
		var mode uint32
		for _, c := range data[:sp] {
			if c < '0' || c > '7' {
				return errObject
			}
			mode = mode<<3 | uint32(c-'0')
		}
		data = data[sp+1:]
		nul := bytes.IndexByte(data, 0)
		if nul < 0 || nul+21 > len(data) {
			return errObject
		}
		var e treeEntry
		e.mode = mode
		e.name = string(data[:nul])
		copy(e.hash[:], data[nul+1:nul+21])
		data = data[nul+21:]
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}
