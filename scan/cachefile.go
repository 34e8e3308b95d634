package scan

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
)

// The cache file of an incremental scan holds object ids, commit times and
// positions only: never content, a path, a name or a key.
//
//	magic "VGSCAN\x00\x01", version [32] (cacheVersion), flags u32
//	objects: n u32, n ids, strictly increasing: every object the clone held
//	commits: n u32, then id, tree, committed i64, attributed u8,
//	         parents u16 and their ids
//	tags:    n u32, then id, target, target type u8
//	hits:    n u32, then blob id, places u32, each a commit id and the
//	         position of each entry on the path from its tree, depth u16
//	         and u32s
//	message hits: n u32 commit ids, n u32 tag ids
//	mac [32]: HMAC-SHA256 of everything before it, keyed by Options.CacheKey
//
// All integers are little-endian. A file that fails any check, its MAC
// first, is ignored: the scan is then a full one.

const cacheMagic = "VGSCAN\x00\x01"

// cacheFileLimit bounds the cache file: about 50 bytes an object.
const cacheFileLimit = 2 << 30

// Flags of a cache file. cacheMissingTrees: the scan that wrote it lacked a
// tree or commit the history names, so where it placed keys may be
// incomplete. cachePartial: it scanned a partial clone, whose blobs left on
// the server may arrive later and be held by commits placed already.
const (
	cacheMissingTrees = 1 << iota
	cachePartial
)

// scanCache is a decoded cache file.
type scanCache struct {
	flags   uint32
	objects []byte // sorted 20-byte ids
	commits []cachedCommit
	tags    []cachedTag
	hits    map[plumbing.Hash][]cachedPlace
	msgs    []plumbing.Hash // commits whose messages hold keys
	tagMsgs []plumbing.Hash // tags whose messages hold keys
}

type cachedCommit struct {
	id, tree   plumbing.Hash
	committed  int64
	attributed bool // reachable from the refs when the cache was written
	parents    []plumbing.Hash
}

type cachedTag struct {
	id, target plumbing.Hash
	typ        plumbing.ObjectType
}

// cachedPlace is where a blob with a key first was at one path: the commit
// and the position of each tree entry from the commit's tree down to it.
type cachedPlace struct {
	commit plumbing.Hash
	steps  []uint32
}

// cacheFileName is the cache file for the repository whose objects are in
// objDir: one directory can hold the caches of many repositories.
func cacheFileName(dir, objDir string) string {
	abs, err := filepath.Abs(objDir)
	if err != nil {
		abs = objDir
	}
	s := sha256.Sum256([]byte(abs))
	return filepath.Join(dir, fmt.Sprintf("scan-%x.vgcache", s[:10]))
}

func cacheMAC(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(cacheFormat))
	m.Write(body)
	return m.Sum(nil)
}

// encode writes the cache file's bytes.
func (c *scanCache) encode(version [32]byte, key []byte) []byte {
	le := binary.LittleEndian
	b := make([]byte, 0, len(cacheMagic)+32+len(c.objects)+len(c.commits)*(80)+64)
	b = append(b, cacheMagic...)
	b = append(b, version[:]...)
	b = le.AppendUint32(b, c.flags)
	b = le.AppendUint32(b, uint32(len(c.objects)/20))
	b = append(b, c.objects...)
	b = le.AppendUint32(b, uint32(len(c.commits)))
	for _, cc := range c.commits {
		b = append(b, cc.id[:]...)
		b = append(b, cc.tree[:]...)
		b = le.AppendUint64(b, uint64(cc.committed))
		if cc.attributed {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		b = le.AppendUint16(b, uint16(len(cc.parents)))
		for _, p := range cc.parents {
			b = append(b, p[:]...)
		}
	}
	b = le.AppendUint32(b, uint32(len(c.tags)))
	for _, t := range c.tags {
		b = append(b, t.id[:]...)
		b = append(b, t.target[:]...)
		b = append(b, byte(t.typ))
	}
	b = le.AppendUint32(b, uint32(len(c.hits)))
	for _, h := range sortedHashes(c.hits) {
		b = append(b, h[:]...)
		places := c.hits[h]
		b = le.AppendUint32(b, uint32(len(places)))
		for _, p := range places {
			b = append(b, p.commit[:]...)
			b = le.AppendUint16(b, uint16(len(p.steps)))
			for _, s := range p.steps {
				b = le.AppendUint32(b, s)
			}
		}
	}
	for _, list := range [][]plumbing.Hash{c.msgs, c.tagMsgs} {
		b = le.AppendUint32(b, uint32(len(list)))
		for _, h := range list {
			b = append(b, h[:]...)
		}
	}
	return append(b, cacheMAC(key, b)...)
}

func sortedHashes[V any](m map[plumbing.Hash]V) []plumbing.Hash {
	out := make([]plumbing.Hash, 0, len(m))
	for h := range m {
		out = append(out, h)
	}
	sortHashes(out)
	return out
}

var errCacheFile = errors.New("not a valid cache file")

// decodeCache checks and reads a cache file: its MAC, its version, then
// every count against the bytes left.
func decodeCache(b []byte, version [32]byte, key []byte) (*scanCache, error) {
	if len(b) < len(cacheMagic)+32+32 || string(b[:len(cacheMagic)]) != cacheMagic {
		return nil, errCacheFile
	}
	body, mac := b[:len(b)-32], b[len(b)-32:]
	if !hmac.Equal(mac, cacheMAC(key, body)) {
		return nil, fmt.Errorf("%w: its MAC does not match (written with another key, or altered)", errCacheFile)
	}
	if !bytes.Equal(body[len(cacheMagic):len(cacheMagic)+32], version[:]) {
		return nil, errCacheVersion
	}
	r := &cacheReader{b: body[len(cacheMagic)+32:]}
	c := &scanCache{hits: map[plumbing.Hash][]cachedPlace{}}
	c.flags = r.u32()
	n := r.count(20)
	c.objects = r.bytes(20 * n)
	for i := 20; i < len(c.objects); i += 20 {
		if bytes.Compare(c.objects[i-20:i], c.objects[i:i+20]) >= 0 {
			return nil, fmt.Errorf("%w: objects out of order", errCacheFile)
		}
	}
	n = r.count(20 + 20 + 8 + 1 + 2)
	c.commits = make([]cachedCommit, 0, n)
	for range n {
		cc := cachedCommit{id: r.id(), tree: r.id(), committed: int64(r.u64())}
		switch r.byte() {
		case 0:
		case 1:
			cc.attributed = true
		default:
			return nil, errCacheFile
		}
		np := int(r.u16())
		if np > r.left()/20 {
			return nil, errCacheFile
		}
		cc.parents = make([]plumbing.Hash, np)
		for i := range cc.parents {
			cc.parents[i] = r.id()
		}
		c.commits = append(c.commits, cc)
	}
	n = r.count(41)
	c.tags = make([]cachedTag, 0, n)
	for range n {
		c.tags = append(c.tags, cachedTag{id: r.id(), target: r.id(), typ: plumbing.ObjectType(r.byte())})
	}
	n = r.count(24)
	var prev plumbing.Hash
	for i := range n {
		h := r.id()
		if i > 0 && bytes.Compare(prev[:], h[:]) >= 0 {
			return nil, fmt.Errorf("%w: hits out of order", errCacheFile)
		}
		prev = h
		np := r.count(22)
		places := make([]cachedPlace, 0, np)
		for range np {
			p := cachedPlace{commit: r.id()}
			depth := int(r.u16())
			if depth == 0 || depth > maxIndexPath || depth > r.left()/4 {
				return nil, errCacheFile
			}
			p.steps = make([]uint32, depth)
			for i := range p.steps {
				p.steps[i] = r.u32()
			}
			places = append(places, p)
		}
		c.hits[h] = places
	}
	for _, list := range []*[]plumbing.Hash{&c.msgs, &c.tagMsgs} {
		n = r.count(20)
		*list = make([]plumbing.Hash, n)
		for i := range *list {
			(*list)[i] = r.id()
		}
	}
	if r.bad || r.left() != 0 {
		return nil, errCacheFile
	}
	return c, nil
}

var errCacheVersion = errors.New("written by other detection rules")

// cacheReader reads little-endian fields; past the end it reads zeros and
// sets bad.
type cacheReader struct {
	b   []byte
	bad bool
}

func (r *cacheReader) left() int { return len(r.b) }

func (r *cacheReader) take(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.bad = true
		r.b = nil
		return make([]byte, max(n, 0))
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *cacheReader) byte() byte  { return r.take(1)[0] }
func (r *cacheReader) u16() uint16 { return binary.LittleEndian.Uint16(r.take(2)) }
func (r *cacheReader) u32() uint32 { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *cacheReader) u64() uint64 { return binary.LittleEndian.Uint64(r.take(8)) }
func (r *cacheReader) bytes(n int) []byte {
	return r.take(n)
}

func (r *cacheReader) id() (h plumbing.Hash) {
	copy(h[:], r.take(20))
	return h
}

// count reads a count of items at least size bytes each, capped by the
// bytes left.
func (r *cacheReader) count(size int) int {
	n := int(r.u32())
	if n > r.left()/size {
		r.bad = true
		return 0
	}
	return n
}

// readCache reads the cache file at path; a missing file is (nil, nil).
func readCache(path string, version [32]byte, key []byte) (*scanCache, error) {
	b, err := readRegularFile(path, cacheFileLimit)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeCache(b, version, key)
}

// writeCache replaces the cache file at path atomically: a new file in the
// same directory, renamed over the old name (a rename replaces a symbolic
// link there; it does not follow it). It is not synced: a file cut short
// by a crash fails its MAC, which costs a full scan, not a finding.
func writeCache(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".scan-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
