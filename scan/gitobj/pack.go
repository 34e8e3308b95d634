package gitobj

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
)

// pack is one packfile with its index, mapped into memory.
type pack struct {
	path   string
	data   []byte // the .pack file
	unmap  func() error
	hashes []byte  // 20·n sorted object ids, from the .idx
	crcs   []byte  // 4·n CRC-32s of the objects' bytes, from a version 2 .idx; nil for version 1
	fanout []byte  // 256 big-endian counts of ids whose first byte is at most k
	offs   []int64 // offset of the object with the i-th hash
	// By offset: order[k] is the hash index of the k-th object in the pack.
	order []int32
	// Per object (by hash index), filled by parseHeaders.
	typ     []plumbing.ObjectType // resolved type (of the delta chain's root)
	dataOff []int64               // start of the zlib stream
	end     []int64               // end of the object's bytes
	size    []int64               // inflated size (of the delta, for deltas)
	base    []int32               // hash index of the base in this pack, -1 if none
	extBase []plumbing.Hash       // a REF_DELTA's base held elsewhere; nil if no object has one
	// The deltas built on object i are kids[kidStart[i]:kidStart[i+1]],
	// the smallest subtree first, so the largest is walked last.
	kidStart []int32
	kids     []int32
	dup      []bool // objects an earlier pack holds too; nil if none
	// heavy are the roots of the largest delta families, heaviest first:
	// ForEach starts them first, so that none is left to one worker at
	// the end.
	heavy   []int32
	mapped  bool         // data is a file mapping (not a heap copy)
	touched atomic.Int64 // compressed bytes read since the pages were last dropped
}

// residentBudget bounds how much of a mapped pack the process keeps
// resident: after this many compressed bytes are read, the mapping's pages
// are dropped (they stay in the page cache). Peak memory then does not grow
// with the size of the pack.
const residentBudget = 64 << 20

// read returns object i's compressed bytes and, now and then, drops the
// pack's pages from the process.
func (p *pack) read(i int32) []byte {
	b := p.data[p.dataOff[i]:p.end[i]]
	p.touch(len(b))
	return b
}

// touch accounts for n bytes read from the mapping (at least a page: a
// small object still faults one in) and drops the pages past the budget.
func (p *pack) touch(n int) {
	if !p.mapped {
		return
	}
	if p.touched.Add(int64(max(n, 4096))) > residentBudget {
		p.touched.Store(0)
		dropPages(p.data)
	}
}

// children returns the deltas built on object i.
func (p *pack) children(i int32) []int32 {
	return p.kids[p.kidStart[i]:p.kidStart[i+1]]
}

func readWhole(f *os.File, size int64) ([]byte, func() error, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, nil, err
	}
	return b, func() error { return nil }, nil
}

// minObjectBytes is the fewest bytes an object takes in a pack: a one-byte
// header and the shortest zlib stream (2 header bytes, an empty block, 4
// check bytes).
const minObjectBytes = 9

// openPack reads the index at idxPath and maps the pack beside it. Both
// must be regular files.
func openPack(idxPath string) (*pack, error) {
	p := &pack{path: idxPath[:len(idxPath)-len(".idx")] + ".pack"}
	f, fi, err := OpenRegular(p.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() < 32 {
		return nil, fmt.Errorf("%s: too short to be a pack", p.path)
	}
	idx, err := readIndexFile(idxPath, fi.Size())
	if err != nil {
		return nil, err
	}
	if err := p.parseIndex(idx); err != nil {
		return nil, fmt.Errorf("%s: %w", idxPath, err)
	}
	p.data, p.unmap, p.mapped, err = mapFile(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.path, err)
	}
	if err := p.checkHeader(); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// readIndexFile reads a pack index, refusing one larger than an index of
// as many objects as the pack (packSize bytes) could hold.
func readIndexFile(path string, packSize int64) ([]byte, error) {
	f, fi, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	most := maxIndexSize(packSize)
	if fi.Size() > most {
		return nil, fmt.Errorf("%s: %s is more than an index of its pack can be (%s): %w", path, Bytes(fi.Size()), Bytes(most), errIndex)
	}
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// maxIndexSize is the size of a version 2 index of the most objects a pack
// of packSize bytes can hold, each with a 64-bit offset.
func maxIndexSize(packSize int64) int64 {
	n := packSize / minObjectBytes
	return 8 + 1024 + n*(20+4+4+8) + 40
}

// checkHeader checks the pack's signature, version and object count.
func (p *pack) checkHeader() error {
	if len(p.data) < 32 {
		return fmt.Errorf("%s: too short to be a pack", p.path)
	}
	if !bytes.Equal(p.data[:4], []byte("PACK")) {
		return fmt.Errorf("%s: not a packfile", p.path)
	}
	if v := binary.BigEndian.Uint32(p.data[4:]); v != 2 && v != 3 {
		return fmt.Errorf("%s: unsupported pack version %d", p.path, v)
	}
	if n := binary.BigEndian.Uint32(p.data[8:]); int64(n) != int64(len(p.offs)) {
		return fmt.Errorf("%s: the pack holds %d objects, its index %d", p.path, n, len(p.offs))
	}
	if int64(len(p.offs))*minObjectBytes > int64(len(p.data)) {
		return fmt.Errorf("%s: %d objects cannot fit in %d bytes: %w", p.path, len(p.offs), len(p.data), errIndex)
	}
	return nil
}

func (p *pack) close() {
	if p.unmap != nil {
		p.unmap()
		p.unmap = nil
	}
	p.data = nil
}

var errIndex = errors.New("corrupt pack index")

// parseIndex reads a version 1 or 2 .idx file.
func (p *pack) parseIndex(b []byte) error {
	if len(b) >= 8 && bytes.Equal(b[:4], []byte("\xfftOc")) {
		if binary.BigEndian.Uint32(b[4:]) != 2 {
			return fmt.Errorf("%w: version %d", errIndex, binary.BigEndian.Uint32(b[4:]))
		}
		if len(b) < 8+1024 {
			return errIndex
		}
		if err := checkFanout(b[8 : 8+1024]); err != nil {
			return err
		}
		p.fanout = b[8 : 8+1024]
		n := int(binary.BigEndian.Uint32(b[8+1020:]))
		need := 8 + 1024 + n*(20+4+4) + 40
		if n < 0 || len(b) < need {
			return errIndex
		}
		h := 8 + 1024
		p.hashes = b[h : h+20*n]
		p.crcs = b[h+20*n : h+24*n]
		o32 := b[h+24*n : h+28*n]
		o64 := b[h+28*n : len(b)-40]
		p.offs = make([]int64, n)
		for i := range n {
			v := binary.BigEndian.Uint32(o32[4*i:])
			if v&0x80000000 == 0 {
				p.offs[i] = int64(v)
				continue
			}
			j := int(v & 0x7fffffff)
			if 8*j+8 > len(o64) {
				return errIndex
			}
			off := binary.BigEndian.Uint64(o64[8*j:])
			if off > 1<<62 {
				return errIndex
			}
			p.offs[i] = int64(off)
		}
		return p.checkSorted()
	}
	// Version 1: fanout, then n × (4-byte offset, 20-byte id).
	if len(b) < 1024+40 {
		return errIndex
	}
	if err := checkFanout(b[:1024]); err != nil {
		return err
	}
	p.fanout = b[:1024]
	n := int(binary.BigEndian.Uint32(b[1020:]))
	if len(b) < 1024+24*n+40 {
		return errIndex
	}
	p.hashes = make([]byte, 20*n)
	p.offs = make([]int64, n)
	for i := range n {
		e := b[1024+24*i:]
		p.offs[i] = int64(binary.BigEndian.Uint32(e))
		copy(p.hashes[20*i:], e[4:24])
	}
	return p.checkSorted()
}

// checkFanout checks that the 256 cumulative counts never decrease.
func checkFanout(f []byte) error {
	prev := uint32(0)
	for k := 0; k < 256; k++ {
		v := binary.BigEndian.Uint32(f[4*k:])
		if v < prev {
			return fmt.Errorf("%w: fanout decreases", errIndex)
		}
		prev = v
	}
	return nil
}

// checkSorted checks that the ids are strictly increasing and that the
// fanout counts them, as find's search needs.
func (p *pack) checkSorted() error {
	n := p.count()
	for i := 1; i < n; i++ {
		if bytes.Compare(p.hashes[20*(i-1):20*i], p.hashes[20*i:20*i+20]) >= 0 {
			return fmt.Errorf("%w: object ids out of order", errIndex)
		}
	}
	i := 0
	for k := range 256 {
		for i < n && int(p.hashes[20*i]) <= k {
			i++
		}
		if int(binary.BigEndian.Uint32(p.fanout[4*k:])) != i {
			return fmt.Errorf("%w: the fanout does not count the ids", errIndex)
		}
	}
	return nil
}

func (p *pack) count() int { return len(p.offs) }

func (p *pack) hash(i int32) (h plumbing.Hash) {
	copy(h[:], p.hashes[20*int(i):])
	return h
}

// find returns the hash index of h, or -1: a binary search among the
// ids with h's first byte, which the fanout delimits.
func (p *pack) find(h plumbing.Hash) int32 {
	n := p.count()
	lo, hi := 0, n
	if len(p.fanout) == 1024 {
		if h[0] > 0 {
			lo = int(binary.BigEndian.Uint32(p.fanout[4*int(h[0])-4:]))
		}
		hi = int(binary.BigEndian.Uint32(p.fanout[4*int(h[0]):]))
		lo, hi = min(lo, n), min(hi, n) // checkSorted held them to the ids
	}
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if bytes.Compare(p.hashes[20*m:20*m+20], h[:]) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < n && bytes.Equal(p.hashes[20*lo:20*lo+20], h[:]) {
		return int32(lo)
	}
	return -1
}

// name is the pack's file name, for errors.
func (p *pack) name() string { return filepath.Base(p.path) }

// maxInflated is the most bytes n compressed bytes can inflate to: deflate
// encodes at best a 258-byte match in 2 bits, 1032:1.
func maxInflated(n int64) int64 { return 1032*n + 1032 }

// parseHeaders reads every object's header, links each delta to its base,
// resolves each object's type through its chain, and checks every declared
// size against lim and against the bytes that hold it.
func (p *pack) parseHeaders(lim Limits) error {
	n := p.count()
	p.order = make([]int32, n)
	for i := range p.order {
		p.order[i] = int32(i)
	}
	slices.SortFunc(p.order, func(a, b int32) int { return cmp.Compare(p.offs[a], p.offs[b]) })
	p.typ = make([]plumbing.ObjectType, n)
	p.dataOff = make([]int64, n)
	p.end = make([]int64, n)
	p.size = make([]int64, n)
	p.base = make([]int32, n)
	packEnd := int64(len(p.data)) - 20
	for k, i := range p.order {
		if k+1 < n {
			p.end[i] = p.offs[p.order[k+1]]
		} else {
			p.end[i] = packEnd
		}
		p.base[i] = -1
	}
	// Headers are independent: a large pack's are read by every core, in
	// runs of the pack order; the error reported is the first in that
	// order, as one reader's would be.
	runs := 1
	if n >= parallelHeaders {
		runs = runtime.GOMAXPROCS(0)
	}
	errs := make([]error, runs)
	ext := make([][]extRef, runs)
	var wg sync.WaitGroup
	for r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, i := range p.order[r*n/runs : (r+1)*n/runs] {
				if err := p.parseHeader(i, packEnd, lim, &ext[r]); err != nil {
					errs[r] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for _, refs := range ext {
		for _, e := range refs {
			if p.extBase == nil {
				p.extBase = make([]plumbing.Hash, n)
			}
			p.extBase[e.i] = e.base
		}
	}
	p.link()
	return p.resolveTypes()
}

// parallelHeaders is the fewest objects whose headers are read in
// parallel (a variable, which a test lowers).
var parallelHeaders = 1 << 15

// extRef is a REF_DELTA whose base no object of its pack is.
type extRef struct {
	i    int32
	base plumbing.Hash
}

// parseHeader reads object i's header.
func (p *pack) parseHeader(i int32, packEnd int64, lim Limits, ext *[]extRef) error {
	off := p.offs[i]
	p.touch(int(min(p.end[i]-off, 64)))
	if off < 12 || off >= p.end[i] || p.end[i] > packEnd {
		return fmt.Errorf("%s: object at offset %d: %w", p.path, off, errIndex)
	}
	b := p.data[off:p.end[i]]
	c := b[0]
	t := plumbing.ObjectType((c >> 4) & 7)
	size := int64(c & 15)
	shift := uint(4)
	pos := 1
	for c&0x80 != 0 {
		if pos >= len(b) || shift > 56 {
			return fmt.Errorf("%s: object at offset %d: bad header", p.path, off)
		}
		c = b[pos]
		pos++
		size |= int64(c&0x7f) << shift
		shift += 7
	}
	if size < 0 {
		return fmt.Errorf("%s: object at offset %d: bad size", p.path, off)
	}
	p.size[i] = size
	switch t {
	case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject, plumbing.TagObject:
		p.typ[i] = t
		if size > lim.MaxObjectSize {
			return &LimitError{What: fmt.Sprintf("%s: object %s", p.name(), p.hash(i)), Need: "a " + t.String(), Size: size, Limit: lim.MaxObjectSize, Knob: "MaxObjectSize"}
		}
	case plumbing.OFSDeltaObject:
		if pos >= len(b) {
			return fmt.Errorf("%s: object at offset %d: bad delta header", p.path, off)
		}
		c = b[pos]
		pos++
		rel := int64(c & 0x7f)
		for c&0x80 != 0 {
			if pos >= len(b) || rel > 1<<48 {
				return fmt.Errorf("%s: object at offset %d: bad delta offset", p.path, off)
			}
			c = b[pos]
			pos++
			rel = ((rel + 1) << 7) | int64(c&0x7f)
		}
		bi := p.byOffset(off - rel)
		if bi < 0 || rel == 0 {
			return fmt.Errorf("%s: object at offset %d: delta base at %d is not an object", p.path, off, off-rel)
		}
		p.base[i] = bi
	case plumbing.REFDeltaObject:
		if pos+20 > len(b) {
			return fmt.Errorf("%s: object at offset %d: bad delta header", p.path, off)
		}
		var h plumbing.Hash
		copy(h[:], b[pos:pos+20])
		pos += 20
		if bi := p.find(h); bi >= 0 {
			p.base[i] = bi
		} else {
			*ext = append(*ext, extRef{i, h})
		}
	default:
		return fmt.Errorf("%s: object at offset %d: unknown type %d", p.path, off, int(t))
	}
	if (t == plumbing.OFSDeltaObject || t == plumbing.REFDeltaObject) && size > lim.MaxDeltaSize {
		return &LimitError{What: fmt.Sprintf("%s: object %s", p.name(), p.hash(i)), Need: "a delta", Size: size, Limit: lim.MaxDeltaSize, Knob: "MaxDeltaSize"}
	}
	p.dataOff[i] = off + int64(pos)
	if most := maxInflated(p.end[i] - p.dataOff[i]); size > most {
		return fmt.Errorf("%s: object %s claims %d bytes, more than its %d compressed bytes can hold: %w", p.path, p.hash(i), size, p.end[i]-p.dataOff[i], errIndex)
	}
	return nil
}

// byOffset returns the hash index of the object at off, or -1.
func (p *pack) byOffset(off int64) int32 {
	lo, hi := 0, len(p.order)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if p.offs[p.order[m]] < off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(p.order) && p.offs[p.order[lo]] == off {
		return p.order[lo]
	}
	return -1
}

// link lists each object's deltas, the one with the smallest subtree
// first. Walking the largest subtree last lets a walker drop a base before
// it descends there, so the bases it holds at once are at most log2 of the
// chain's size, however deep the chain (a chain of a million links holds
// two objects at a time).
func (p *pack) link() {
	n := p.count()
	p.kidStart = make([]int32, n+1)
	for i := range n {
		if b := p.base[i]; b >= 0 {
			p.kidStart[b+1]++
		}
	}
	for i := range n {
		p.kidStart[i+1] += p.kidStart[i]
	}
	p.kids = make([]int32, p.kidStart[n])
	next := slices.Clone(p.kidStart[:n])
	for i := range n {
		if b := p.base[i]; b >= 0 {
			p.kids[next[b]] = int32(i)
			next[b]++
		}
	}
	// Subtree sizes, children before parents: an object's subtree is
	// complete once every child's is. Objects in a cycle (a corrupt pack)
	// never complete and are caught by resolveTypes.
	sub := make([]int32, n)
	weight := make([]int64, n) // bytes inflated in the subtree
	left := make([]int32, n)   // children not yet complete
	var ready []int32
	for i := range n {
		left[i] = p.kidStart[i+1] - p.kidStart[i]
		sub[i] = 1
		weight[i] = p.size[i]
		if left[i] == 0 {
			ready = append(ready, int32(i))
		}
	}
	for len(ready) > 0 {
		i := ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		if b := p.base[i]; b >= 0 {
			sub[b] += sub[i]
			weight[b] += weight[i]
			if left[b]--; left[b] == 0 {
				ready = append(ready, b)
			}
		}
	}
	p.heavy = heaviest(p.base, weight, heavyRoots)
	for i := range n {
		k := p.children(int32(i))
		if len(k) > 1 {
			slices.SortStableFunc(k, func(a, b int32) int { return int(sub[a]) - int(sub[b]) })
		}
	}
}

// heavyRoots is how many of a pack's heaviest delta families ForEach
// starts first.
const heavyRoots = 32

// heaviest returns the k roots (objects with no base here) of the most
// weight, heaviest first, leaving out those too light to matter (under
// 1 MiB).
func heaviest(base []int32, weight []int64, k int) []int32 {
	var top []int32 // kept sorted, heaviest first
	for i, b := range base {
		w := weight[i]
		if b >= 0 || w < 1<<20 || (len(top) == k && w <= weight[top[k-1]]) {
			continue
		}
		at, _ := slices.BinarySearchFunc(top, w, func(j int32, w int64) int { return cmp.Compare(w, weight[j]) })
		if len(top) == k {
			top = top[:k-1]
		}
		top = slices.Insert(top, at, int32(i))
	}
	return top
}

// resolveTypes gives every delta its root's type, and fails on a delta
// whose chain reaches neither a whole object nor an outside base (a cycle
// in a corrupt pack).
func (p *pack) resolveTypes() error {
	n := p.count()
	reached := make([]bool, n)
	var stack []int32
	for i := range n {
		if p.base[i] >= 0 {
			continue
		}
		// A root: a whole object, or a delta on an outside base (its type
		// is known only once the base is read).
		reached[i] = true
		stack = append(stack[:0], int32(i))
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, c := range p.children(j) {
				p.typ[c] = p.typ[j]
				reached[c] = true
				stack = append(stack, c)
			}
		}
	}
	for i := range n {
		if !reached[i] {
			return fmt.Errorf("%s: object %s: delta chain has no base", p.path, p.hash(int32(i)))
		}
	}
	return nil
}

// hasExternalBase reports whether object i is a delta whose base another
// pack (or a loose object) holds.
func (p *pack) hasExternalBase(i int32) bool {
	return p.extBase != nil && !p.extBase[i].IsZero()
}
