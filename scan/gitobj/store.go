package gitobj

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/klauspost/compress/zlib"
)

// Store reads objects one at a time by id, for the walks that touch a few
// objects of a large repository (a pre-commit check, a pull request's
// range, an incremental re-scan). Unlike Open, OpenStore reads no object
// header up front: it maps each pack index and packfile and does nothing
// else, so its cost does not grow with the history. Each Get reads the
// object's header where the index says it is, follows its delta chain
// through a small cache of inflated objects, and checks every length,
// offset and size against the bytes that hold it.
//
// It duplicates a little of what DB does (index parsing, header parsing)
// because DB's contract is the opposite one: every header parsed and
// linked up front so that ForEach can visit each object exactly once.
//
// A Store is not safe for concurrent use.
type Store struct {
	streamAbove int64
	dirs        []string
	packs       []*storePack
	limits      Limits
	cache       *objectCache[storeKey]
	zr          io.ReadCloser
	br          bytes.Reader
	// loose caches which of dirs hold a loose object, by id.
	loose map[plumbing.Hash]string
}

// StoreOptions configures OpenStore.
type StoreOptions struct {
	// Limits are the budgets the repository's content must fit in, as
	// for DB: Get holds nothing over MaxDeltaSize (an object, a delta, a
	// delta result) and no delta step over MaxMemory (base, delta and
	// result at once); Stream reads nothing over MaxObjectSize. Zero
	// fields take their defaults. Content over a budget is a *LimitError.
	Limits Limits
	// CacheBytes bounds the inflated objects kept for delta chains that
	// share bases. 0 means 32 MiB.
	CacheBytes int
	// StreamAbove, if set, makes Get refuse (with ErrLarge) an object
	// stored whole, not as a delta, that is larger: the caller reads it
	// with Stream instead, never holding it.
	StreamAbove int64
}

// ErrLarge is returned, wrapped, by Get for an object over
// StoreOptions.StreamAbove that Stream can read.
var ErrLarge = errors.New("object to be streamed")

type storePack struct {
	path   string
	idx    []byte
	unIdx  func() error
	data   []byte
	unPack func() error
	n      int
	v1     bool
	fanout []byte // 256 big-endian counts
	hashes []byte // v2: 20·n sorted ids
	off32  []byte // v2: 4·n
	off64  []byte // v2: 8·k
}

// maxChain bounds a delta chain's length (git's own pack.depth is at most
// 4095).
const maxChain = 10000

// OpenStore opens the object directory objDir and its alternates for
// random access. Close releases the mappings.
func OpenStore(objDir string, opts StoreOptions) (*Store, error) {
	s := &Store{limits: opts.Limits.WithDefaults(), streamAbove: opts.StreamAbove}
	budget := opts.CacheBytes
	if budget <= 0 {
		budget = 32 << 20
	}
	s.cache = newObjectCache[storeKey](budget)
	dirs, err := objectDirs(objDir)
	if err != nil {
		return nil, err
	}
	s.dirs = dirs
	for _, dir := range dirs {
		idxs, err := packIndexes(dir)
		if err != nil {
			s.Close()
			return nil, err
		}
		for _, idx := range idxs {
			packPath := idx[:len(idx)-len(".idx")] + ".pack"
			p, err := openStorePack(idx, packPath)
			if err != nil {
				s.Close()
				return nil, err
			}
			s.packs = append(s.packs, p)
		}
	}
	return s, nil
}

// mapRegular maps the file at path, which must be a regular file
// (OpenRegular: a FIFO or device is refused, not waited on).
func mapRegular(path string) ([]byte, func() error, error) {
	f, fi, err := OpenRegular(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	b, unmap, _, err := mapFile(f, fi.Size())
	return b, unmap, err
}

var errStoreIndex = errors.New("corrupt pack index")

func openStorePack(idxPath, packPath string) (*storePack, error) {
	p := &storePack{path: packPath}
	var err error
	if p.idx, p.unIdx, err = mapRegular(idxPath); err != nil {
		return nil, err
	}
	if err := p.parseIndex(); err != nil {
		p.close()
		return nil, fmt.Errorf("%s: %w", idxPath, err)
	}
	if p.data, p.unPack, err = mapRegular(packPath); err != nil {
		p.close()
		return nil, err
	}
	d := p.data
	switch {
	case len(d) < 32 || !bytes.Equal(d[:4], []byte("PACK")):
		err = fmt.Errorf("%s: not a packfile", packPath)
	case binary.BigEndian.Uint32(d[4:]) != 2 && binary.BigEndian.Uint32(d[4:]) != 3:
		err = fmt.Errorf("%s: unsupported pack version %d", packPath, binary.BigEndian.Uint32(d[4:]))
	case int(binary.BigEndian.Uint32(d[8:])) != p.n:
		err = fmt.Errorf("%s: the pack holds %d objects, its index %d", packPath, binary.BigEndian.Uint32(d[8:]), p.n)
	}
	if err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// parseIndex checks a version 1 or 2 index's layout: its size and a
// fanout that never decreases.
func (p *storePack) parseIndex() error {
	b := p.idx
	if len(b) >= 8 && bytes.Equal(b[:4], []byte("\xfftOc")) {
		if v := binary.BigEndian.Uint32(b[4:]); v != 2 {
			return fmt.Errorf("%w: version %d", errStoreIndex, v)
		}
		if len(b) < 8+1024+40 {
			return errStoreIndex
		}
		p.fanout = b[8 : 8+1024]
		n := int(binary.BigEndian.Uint32(p.fanout[1020:]))
		if n < 0 || n > (len(b)-8-1024-40)/28 {
			return errStoreIndex
		}
		h := 8 + 1024
		p.n = n
		p.hashes = b[h : h+20*n]
		p.off32 = b[h+24*n : h+28*n]
		p.off64 = b[h+28*n : len(b)-40]
	} else {
		if len(b) < 1024+40 {
			return errStoreIndex
		}
		p.v1 = true
		p.fanout = b[:1024]
		n := int(binary.BigEndian.Uint32(p.fanout[1020:]))
		if n < 0 || n > (len(b)-1024-40)/24 {
			return errStoreIndex
		}
		p.n = n
	}
	prev := uint32(0)
	for i := 0; i < 256; i++ {
		c := binary.BigEndian.Uint32(p.fanout[4*i:])
		if c < prev || int(c) > p.n {
			return fmt.Errorf("%w: fanout", errStoreIndex)
		}
		prev = c
	}
	// The ids are not checked one by one (that would cost as much as the
	// walks a Store is for): ids out of order can only make find miss an
	// object, never return another, and SortedIDs's callers check order.
	return nil
}

func (p *storePack) id(i int) []byte {
	if p.v1 {
		e := 1024 + 24*i
		return p.idx[e+4 : e+24]
	}
	return p.hashes[20*i : 20*i+20]
}

// offset returns the pack offset of the i-th id, checked to lie inside the
// pack's objects.
func (p *storePack) offset(i int) (int64, error) {
	var off int64
	if p.v1 {
		off = int64(binary.BigEndian.Uint32(p.idx[1024+24*i:]))
	} else {
		v := binary.BigEndian.Uint32(p.off32[4*i:])
		off = int64(v)
		if v&0x80000000 != 0 {
			j := int(v & 0x7fffffff)
			if 8*j+8 > len(p.off64) {
				return 0, fmt.Errorf("%s: %w: 64-bit offset %d", p.path, errStoreIndex, j)
			}
			off = int64(binary.BigEndian.Uint64(p.off64[8*j:]))
		}
	}
	if off < 12 || off >= int64(len(p.data))-20 {
		return 0, fmt.Errorf("%s: object %x: offset %d is outside the pack", p.path, p.id(i), off)
	}
	return off, nil
}

// find returns the index of h in the pack, or -1.
func (p *storePack) find(h plumbing.Hash) int {
	lo := 0
	if h[0] > 0 {
		lo = int(binary.BigEndian.Uint32(p.fanout[4*(int(h[0])-1):]))
	}
	hi := int(binary.BigEndian.Uint32(p.fanout[4*int(h[0]):]))
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(p.id(m), h[:]); {
		case c == 0:
			return m
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return -1
}

func (p *storePack) close() {
	if p.unIdx != nil {
		p.unIdx()
		p.unIdx = nil
	}
	if p.unPack != nil {
		p.unPack()
		p.unPack = nil
	}
	p.idx, p.data = nil, nil
}

// Close releases the packs. The Store must not be used after.
func (s *Store) Close() {
	for _, p := range s.packs {
		p.close()
	}
	s.packs = nil
}

// Has reports whether the store holds object h (in a pack or loose).
func (s *Store) Has(h plumbing.Hash) bool {
	for _, p := range s.packs {
		if p.find(h) >= 0 {
			return true
		}
	}
	return s.loosePath(h) != ""
}

// SortedIDs calls fn with each pack's object ids: 20-byte records in the
// index's order, which is increasing unless the index is corrupt; valid
// only during the call.
func (s *Store) SortedIDs(fn func(ids []byte) error) error {
	for _, p := range s.packs {
		ids := p.hashes
		if p.v1 {
			ids = make([]byte, 0, 20*p.n)
			for i := 0; i < p.n; i++ {
				ids = append(ids, p.id(i)...)
			}
		}
		if err := fn(ids); err != nil {
			return err
		}
	}
	return nil
}

// LooseIDs lists the loose objects of the store's directories.
func (s *Store) LooseIDs() ([]plumbing.Hash, error) {
	var out []plumbing.Hash
	for _, dir := range s.dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			name := e.Name()
			if !e.IsDir() || len(name) != 2 || !isHex([]byte(name)) {
				continue
			}
			files, err := os.ReadDir(filepath.Join(dir, name))
			if err != nil {
				return nil, err
			}
			for _, f := range files {
				var h plumbing.Hash
				if rest := f.Name(); len(rest) == 38 && ParseHash([]byte(name+rest), &h) {
					out = append(out, h)
				}
			}
		}
	}
	return out, nil
}

func (s *Store) loosePath(h plumbing.Hash) string {
	if p, ok := s.loose[h]; ok {
		return p
	}
	hex := h.String()
	for _, dir := range s.dirs {
		p := filepath.Join(dir, hex[:2], hex[2:])
		// Anything at the name is the object, as for the DB: reading it
		// (OpenRegular) refuses a FIFO, device or directory there, rather
		// than passing it over as missing.
		if _, err := os.Lstat(p); err == nil {
			if s.loose == nil {
				s.loose = map[plumbing.Hash]string{}
			}
			s.loose[h] = p
			return p
		}
	}
	return ""
}

// StreamAbove is StoreOptions.StreamAbove: Get refuses an object stored
// whole over it with ErrLarge.
func (s *Store) StreamAbove() int64 { return s.streamAbove }

// Get reads object h whole. The data may be shared with the store's cache:
// the caller must not modify it. An object the store does not hold is an
// error matching ErrNotFound.
func (s *Store) Get(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	for k, p := range s.packs {
		if i := p.find(h); i >= 0 {
			off, err := p.offset(i)
			if err != nil {
				return 0, nil, err
			}
			return s.getPacked(k, off, h)
		}
	}
	if path := s.loosePath(h); path != "" {
		return s.getLoose(path, h)
	}
	return 0, nil, fmt.Errorf("%s: %w", h, ErrNotFound)
}

// header reads the object header at off: its type, its inflated size, the
// start of its zlib stream and, for a delta, where its base is.
func (p *storePack) header(off int64) (typ plumbing.ObjectType, size int64, data int64, baseOff int64, baseID plumbing.Hash, err error) {
	b := p.data[off : len(p.data)-20]
	bad := func(what string) error { return fmt.Errorf("%s: object at offset %d: bad %s", p.path, off, what) }
	c := b[0]
	typ = plumbing.ObjectType((c >> 4) & 7)
	size = int64(c & 15)
	shift := uint(4)
	pos := 1
	for c&0x80 != 0 {
		if pos >= len(b) || shift > 56 {
			return 0, 0, 0, 0, baseID, bad("header")
		}
		c = b[pos]
		pos++
		size |= int64(c&0x7f) << shift
		shift += 7
	}
	switch typ {
	case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject, plumbing.TagObject:
	case plumbing.OFSDeltaObject:
		if pos >= len(b) {
			return 0, 0, 0, 0, baseID, bad("delta header")
		}
		c = b[pos]
		pos++
		rel := int64(c & 0x7f)
		for c&0x80 != 0 {
			if pos >= len(b) || rel > 1<<48 {
				return 0, 0, 0, 0, baseID, bad("delta offset")
			}
			c = b[pos]
			pos++
			rel = ((rel + 1) << 7) | int64(c&0x7f)
		}
		baseOff = off - rel
		if rel <= 0 || baseOff < 12 {
			return 0, 0, 0, 0, baseID, bad("delta offset")
		}
	case plumbing.REFDeltaObject:
		if pos+20 > len(b) {
			return 0, 0, 0, 0, baseID, bad("delta header")
		}
		copy(baseID[:], b[pos:pos+20])
		pos += 20
	default:
		return 0, 0, 0, 0, baseID, fmt.Errorf("%s: object at offset %d: unknown type %d", p.path, off, int(typ))
	}
	return typ, size, off + int64(pos), baseOff, baseID, nil
}

// inflate reads size bytes of the zlib stream at data.
func (s *Store) inflate(p *storePack, data, size int64, h plumbing.Hash) ([]byte, error) {
	if size < 0 || size > s.limits.MaxDeltaSize {
		return nil, &LimitError{What: p.path + ": object " + h.String(), Need: "an object held whole", Size: size, Limit: s.limits.MaxDeltaSize, Knob: "MaxDeltaSize"}
	}
	s.br.Reset(p.data[data : len(p.data)-20])
	if err := s.reset(&s.br); err != nil {
		return nil, fmt.Errorf("%s: object %s: %w", p.path, h, err)
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(s.zr, out); err != nil {
		return nil, fmt.Errorf("%s: object %s: inflating: %w", p.path, h, err)
	}
	return out, nil
}

func (s *Store) reset(r io.Reader) error {
	if s.zr == nil {
		zr, err := zlib.NewReader(r)
		if err != nil {
			return err
		}
		s.zr = zr
		return nil
	}
	return s.zr.(zlib.Resetter).Reset(r, nil)
}

// getPacked reads the object at off in pack k, building its delta chain
// from the nearest base it has (in the cache, or whole in the pack).
func (s *Store) getPacked(k int, off int64, h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	type link struct {
		k         int
		off, data int64
		size      int64
	}
	var chain []link
	var typ plumbing.ObjectType
	var base []byte
	for {
		key := storeKey{k, off}
		if t, d, ok := s.cache.get(key); ok {
			typ, base = t, d
			break
		}
		if len(chain) >= maxChain {
			return 0, nil, fmt.Errorf("%s: object %s: delta chain longer than %d", s.packs[k].path, h, maxChain)
		}
		p := s.packs[k]
		t, size, data, baseOff, baseID, err := p.header(off)
		if err != nil {
			return 0, nil, err
		}
		if t != plumbing.OFSDeltaObject && t != plumbing.REFDeltaObject {
			if size > s.limits.MaxObjectSize {
				return 0, nil, &LimitError{What: p.path + ": object " + h.String(), Need: "an object", Size: size, Limit: s.limits.MaxObjectSize, Knob: "MaxObjectSize"}
			}
			if len(chain) == 0 && s.streamAbove > 0 && size > s.streamAbove {
				return 0, nil, fmt.Errorf("%s: %d bytes: %w", h, size, ErrLarge)
			}
			d, err := s.inflate(p, data, size, h)
			if err != nil {
				return 0, nil, err
			}
			typ, base = t, d
			s.cache.put(key, typ, base)
			break
		}
		chain = append(chain, link{k, off, data, size})
		if t == plumbing.OFSDeltaObject {
			off = baseOff
			continue
		}
		found := false
		for k2, p2 := range s.packs {
			if i := p2.find(baseID); i >= 0 {
				if off, err = p2.offset(i); err != nil {
					return 0, nil, err
				}
				k, found = k2, true
				break
			}
		}
		if !found {
			path := s.loosePath(baseID)
			if path == "" {
				return 0, nil, fmt.Errorf("%s: delta base %s of %s: %w", p.path, baseID, h, ErrNotFound)
			}
			if typ, base, err = s.getLoose(path, baseID); err != nil {
				return 0, nil, err
			}
			break
		}
	}
	for j := len(chain) - 1; j >= 0; j-- {
		l := chain[j]
		p := s.packs[l.k]
		delta, err := s.inflate(p, l.data, l.size, h)
		if err != nil {
			return 0, nil, err
		}
		if _, n := uvarint(delta); n > 0 {
			if dst, m := uvarint(delta[n:]); m > 0 {
				if dst > uint64(s.limits.MaxDeltaSize) {
					return 0, nil, &LimitError{What: p.path + ": object " + h.String(), Need: "a delta result", Size: int64(min(dst, 1<<62)), Limit: s.limits.MaxDeltaSize, Knob: "MaxDeltaSize"}
				}
				if held := int64(len(base)) + int64(len(delta)) + int64(dst); held > s.limits.MaxMemory {
					return 0, nil, &LimitError{What: p.path + ": object " + h.String(), Need: "the memory for its delta chain", Size: held, Limit: s.limits.MaxMemory, Knob: "MaxMemory"}
				}
			}
		}
		if base, err = applyDelta(base, delta); err != nil {
			return 0, nil, fmt.Errorf("%s: object %s: %w", p.path, h, err)
		}
		s.cache.put(storeKey{l.k, l.off}, typ, base)
	}
	return typ, base, nil
}

// getLoose reads a loose object: zlib("<type> <size>\x00<content>").
func (s *Store) getLoose(path string, h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	f, _, err := OpenRegular(path) // a FIFO is refused, not waited on
	if err != nil {
		return 0, nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	defer f.Close()
	if err := s.reset(bufio.NewReaderSize(f, 32<<10)); err != nil {
		return 0, nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	var hdr []byte
	var one [1]byte
	for {
		if _, err := io.ReadFull(s.zr, one[:]); err != nil {
			return 0, nil, fmt.Errorf("loose object %s: header: %w", h, err)
		}
		if one[0] == 0 {
			break
		}
		if len(hdr) >= 32 {
			return 0, nil, fmt.Errorf("loose object %s: header too long", h)
		}
		hdr = append(hdr, one[0])
	}
	name, sizeText, ok := bytes.Cut(hdr, []byte(" "))
	size, err := strconv.ParseInt(string(sizeText), 10, 64)
	if !ok || err != nil || size < 0 {
		return 0, nil, fmt.Errorf("loose object %s: bad header", h)
	}
	typ, known := typeByName(name)
	if !known {
		return 0, nil, fmt.Errorf("loose object %s: unknown type %q", h, name)
	}
	if size > s.limits.MaxObjectSize {
		return 0, nil, &LimitError{What: "loose object " + h.String(), Need: "an object", Size: size, Limit: s.limits.MaxObjectSize, Knob: "MaxObjectSize"}
	}
	if s.streamAbove > 0 && size > s.streamAbove {
		return 0, nil, fmt.Errorf("%s: %d bytes: %w", h, size, ErrLarge)
	}
	if size > s.limits.MaxDeltaSize {
		return 0, nil, &LimitError{What: "loose object " + h.String(), Need: "an object held whole", Size: size, Limit: s.limits.MaxDeltaSize, Knob: "MaxDeltaSize"}
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(s.zr, data); err != nil {
		return 0, nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	return typ, data, nil
}

// Stream calls fn with a reader of exactly size bytes of object h's
// content, for an object Get refused with ErrLarge (one stored whole);
// any other object is read with Get and handed over from memory. fn must
// not keep r.
func (s *Store) Stream(h plumbing.Hash, fn func(typ plumbing.ObjectType, size int64, r io.Reader) error) error {
	for _, p := range s.packs {
		i := p.find(h)
		if i < 0 {
			continue
		}
		off, err := p.offset(i)
		if err != nil {
			return err
		}
		t, size, data, _, _, err := p.header(off)
		if err != nil {
			return err
		}
		if t == plumbing.OFSDeltaObject || t == plumbing.REFDeltaObject {
			break
		}
		if size > s.limits.MaxObjectSize {
			return &LimitError{What: p.path + ": object " + h.String(), Need: "an object", Size: size, Limit: s.limits.MaxObjectSize, Knob: "MaxObjectSize"}
		}
		zr, err := zlib.NewReader(bytes.NewReader(p.data[data : len(p.data)-20]))
		if err != nil {
			return fmt.Errorf("%s: object %s: %w", p.path, h, err)
		}
		defer zr.Close()
		r := &exactReader{r: zr, n: size}
		if err := fn(t, size, r); err != nil {
			return err
		}
		if r.n != 0 {
			return fmt.Errorf("%s: object %s: stream not read to the end", p.path, h)
		}
		return nil
	}
	if path := s.loosePath(h); path != "" && !s.packed(h) {
		return s.streamLoose(path, h, fn)
	}
	saved := s.streamAbove
	s.streamAbove = 0
	t, data, err := s.Get(h)
	s.streamAbove = saved
	if err != nil {
		return err
	}
	return fn(t, int64(len(data)), bytes.NewReader(data))
}

func (s *Store) packed(h plumbing.Hash) bool {
	for _, p := range s.packs {
		if p.find(h) >= 0 {
			return true
		}
	}
	return false
}

func (s *Store) streamLoose(path string, h plumbing.Hash, fn func(plumbing.ObjectType, int64, io.Reader) error) error {
	f, _, err := OpenRegular(path)
	if err != nil {
		return fmt.Errorf("loose object %s: %w", h, err)
	}
	defer f.Close()
	zr, err := zlib.NewReader(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		return fmt.Errorf("loose object %s: %w", h, err)
	}
	defer zr.Close()
	var hdr []byte
	var one [1]byte
	for {
		if _, err := io.ReadFull(zr, one[:]); err != nil {
			return fmt.Errorf("loose object %s: header: %w", h, err)
		}
		if one[0] == 0 {
			break
		}
		if len(hdr) >= 32 {
			return fmt.Errorf("loose object %s: header too long", h)
		}
		hdr = append(hdr, one[0])
	}
	name, sizeText, ok := bytes.Cut(hdr, []byte(" "))
	size, err := strconv.ParseInt(string(sizeText), 10, 64)
	typ, known := typeByName(name)
	if !ok || err != nil || size < 0 || !known {
		return fmt.Errorf("loose object %s: bad header", h)
	}
	if size > s.limits.MaxObjectSize {
		return &LimitError{What: "loose object " + h.String(), Need: "an object", Size: size, Limit: s.limits.MaxObjectSize, Knob: "MaxObjectSize"}
	}
	r := &exactReader{r: zr, n: size}
	if err := fn(typ, size, r); err != nil {
		return err
	}
	if r.n != 0 {
		return fmt.Errorf("loose object %s: stream not read to the end", h)
	}
	return nil
}

// storeKey is where a Store's cached object is: a pack and an offset.
type storeKey struct {
	pack int
	off  int64
}
