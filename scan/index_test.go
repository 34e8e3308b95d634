package scan

import (
	"crypto/sha1"
	"strings"
	"testing"
)

// FuzzParseIndex: no input panics, and every index accepted has valid
// paths in strictly increasing order, so no path can be listed twice.
func FuzzParseIndex(f *testing.F) {
	entry := func(path string, flags uint16) []byte {
		e := make([]byte, 62)
		e[26], e[27] = 0x81, 0xa4 // 100644
		flags |= uint16(len(path))
		e[60], e[61] = byte(flags>>8), byte(flags)
		e = append(e, path...)
		for pad := 8 - (62+len(path))%8; pad > 0; pad-- {
			e = append(e, 0)
		}
		return e
	}
	file := func(version byte, count byte, body ...[]byte) []byte {
		b := []byte{'D', 'I', 'R', 'C', 0, 0, 0, version, 0, 0, 0, count}
		for _, p := range body {
			b = append(b, p...)
		}
		s := sha1.Sum(b)
		return append(b, s[:]...)
	}
	f.Add(file(2, 2, entry("a/b", 0), entry("c", 0)))
	f.Add(file(3, 1, entry("x", 0x4000), []byte{0x20, 0}))
	f.Add(file(2, 1, entry("a", 0), []byte("TREE\x00\x00\x00\x02ab")))
	f.Add(file(4, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseIndex(data)
		// Past the checksum, as a hostile index would be.
		if len(data) >= 20 {
			s := sha1.Sum(data[:len(data)-20])
			copy(data[len(data)-20:], s[:])
		}
		ents, err := parseIndex(data)
		if err != nil {
			return
		}
		for i, e := range ents {
			if !validIndexPath(e.path, e.sparseDir) {
				t.Fatalf("accepted invalid path %q", e.path)
			}
			if i > 0 {
				p := ents[i-1]
				if c := strings.Compare(p.path, e.path); c > 0 || (c == 0 && p.stage >= e.stage) {
					t.Fatalf("accepted %q after %q", e.path, p.path)
				}
			}
		}
		buildIndexTree(ents)
	})
}
