package scan

import (
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// FuzzDecodeCache: a cache file with a valid MAC (someone who has the key)
// and any body never panics, and every count it accepts is backed by
// bytes.
func FuzzDecodeCache(f *testing.F) {
	key := []byte("fuzzing key, sixteen bytes+")
	version := cacheVersion(Detectors)
	c := &scanCache{
		objects: make([]byte, 40),
		commits: []cachedCommit{{id: plumbing.NewHash("1111111111111111111111111111111111111111"), parents: []plumbing.Hash{{2}}}},
		tags:    []cachedTag{{id: plumbing.Hash{3}, typ: plumbing.CommitObject}},
		hits:    map[plumbing.Hash][]cachedPlace{{4}: {{commit: plumbing.Hash{1}, steps: []uint32{0, 2}}}},
		msgs:    []plumbing.Hash{{5}},
	}
	c.objects[39] = 1
	good := c.encode(version, key)
	f.Add(good[:len(good)-32])
	f.Add([]byte(cacheMagic))
	f.Fuzz(func(t *testing.T, body []byte) {
		file := append(append([]byte(nil), body...), cacheMAC(key, body)...)
		d, err := decodeCache(file, version, key)
		if err != nil {
			return
		}
		if len(d.objects)%20 != 0 {
			t.Fatal("objects not in whole ids")
		}
		// What decodes re-encodes to the same bytes.
		again := d.encode(version, key)
		if string(again) != string(file) {
			t.Fatal("decode and encode disagree")
		}
	})
}
