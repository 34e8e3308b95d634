package gitobj

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
)

// pack is one packfile with its index, mapped into memory.
type pack struct {
	path   string
	data   []byte // the .pack file
	unmap  func() error
	hashes []byte  // 20·n sorted object ids, from the .idx
	offs   []int64 // offset of the object with the i-th hash
	// By offset: order[k] is the hash index of the k-th object in the pack.
	order []int32
	// Per object (by hash index), filled by parseHeaders.
	typ      []plumbing.ObjectType // resolved type (of the delta chain's root)
	dataOff  []int64               // start of the zlib stream
	end      []int64               // end of the object's bytes
	size     []int64               // inflated size (of the delta, for deltas)
	base     []int32               // hash index of the base in this pack, -1 if none
	extBase  []plumbing.Hash       // a REF_DELTA's base held elsewhere; nil if no object has one
	children [][]int32
	mapped   bool         // data is a file mapping (not a heap copy)
	touched  atomic.Int64 // compressed bytes read since the pages were last dropped
}

// residentBudget bounds how much of a mapped pack the process keeps
// resident: after this many compressed bytes are read, the mapping's pages
// are dropped (they stay in the page cache). Peak memory then does not grow
// with the size of the pack.
const residentBudget = 256 << 20

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

func readWhole(f *os.File, size int64) ([]byte, func() error, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, nil, err
	}
	return b, func() error { return nil }, nil
}

// openPack reads the index at idxPath and maps the pack beside it.
func openPack(idxPath string) (*pack, error) {
	idx, err := os.ReadFile(idxPath)
	if err != nil {
		return nil, err
	}
	p := &pack{path: idxPath[:len(idxPath)-len(".idx")] + ".pack"}
	if err := p.parseIndex(idx); err != nil {
		return nil, fmt.Errorf("%s: %w", idxPath, err)
	}
	f, err := os.Open(p.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() < 32 {
		return nil, fmt.Errorf("%s: too short to be a pack", p.path)
	}
	p.data, p.unmap, p.mapped, err = mapFile(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.path, err)
	}
	if !bytes.Equal(p.data[:4], []byte("PACK")) {
		p.close()
		return nil, fmt.Errorf("%s: not a packfile", p.path)
	}
	if v := binary.BigEndian.Uint32(p.data[4:]); v != 2 && v != 3 {
		p.close()
		return nil, fmt.Errorf("%s: unsupported pack version %d", p.path, v)
	}
	if n := binary.BigEndian.Uint32(p.data[8:]); int(n) != len(p.offs) {
		p.close()
		return nil, fmt.Errorf("%s: the pack holds %d objects, its index %d", p.path, n, len(p.offs))
	}
	return p, nil
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
		n := int(binary.BigEndian.Uint32(b[8+1020:]))
		need := 8 + 1024 + n*(20+4+4) + 40
		if n < 0 || len(b) < need {
			return errIndex
		}
		h := 8 + 1024
		p.hashes = b[h : h+20*n]
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
			p.offs[i] = int64(binary.BigEndian.Uint64(o64[8*j:]))
		}
		return nil
	}
	// Version 1: fanout, then n × (4-byte offset, 20-byte id).
	if len(b) < 1024+40 {
		return errIndex
	}
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
	return nil
}

func (p *pack) count() int { return len(p.offs) }

func (p *pack) hash(i int32) (h plumbing.Hash) {
	copy(h[:], p.hashes[20*int(i):])
	return h
}

// find returns the hash index of h, or -1.
func (p *pack) find(h plumbing.Hash) int32 {
	n := p.count()
	i := sort.Search(n, func(i int) bool { return bytes.Compare(p.hashes[20*i:20*i+20], h[:]) >= 0 })
	if i < n && bytes.Equal(p.hashes[20*i:20*i+20], h[:]) {
		return int32(i)
	}
	return -1
}

// parseHeaders reads every object's header, links each delta to its base
// and resolves each object's type through its chain.
func (p *pack) parseHeaders() error {
	n := p.count()
	p.order = make([]int32, n)
	for i := range p.order {
		p.order[i] = int32(i)
	}
	sort.Slice(p.order, func(a, b int) bool { return p.offs[p.order[a]] < p.offs[p.order[b]] })
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
	byOffset := func(off int64) int32 {
		k := sort.Search(n, func(k int) bool { return p.offs[p.order[k]] >= off })
		if k < n && p.offs[p.order[k]] == off {
			return p.order[k]
		}
		return -1
	}
	for _, i := range p.order {
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
		p.size[i] = size
		switch t {
		case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject, plumbing.TagObject:
			p.typ[i] = t
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
			bi := byOffset(off - rel)
			if bi < 0 {
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
				if p.extBase == nil {
					p.extBase = make([]plumbing.Hash, n)
				}
				p.extBase[i] = h
			}
		default:
			return fmt.Errorf("%s: object at offset %d: unknown type %d", p.path, off, int(t))
		}
		p.dataOff[i] = off + int64(pos)
	}
	p.children = make([][]int32, n)
	for i := range n {
		if b := p.base[i]; b >= 0 {
			p.children[b] = append(p.children[b], int32(i))
		}
	}
	// Types flow from roots down their chains.
	var stack []int32
	for i := range n {
		if p.base[i] >= 0 || p.typ[i] == 0 {
			continue
		}
		stack = append(stack[:0], int32(i))
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, c := range p.children[j] {
				p.typ[c] = p.typ[j]
				stack = append(stack, c)
			}
		}
	}
	// A chain may never reach a root (a cycle in a corrupt pack).
	for i := range n {
		if p.typ[i] == 0 && !p.hasExternalBase(int32(i)) && p.base[i] >= 0 {
			if !p.reachesExternal(int32(i)) {
				return fmt.Errorf("%s: object %s: delta chain has no base", p.path, p.hash(int32(i)))
			}
		}
	}
	return nil
}

// hasExternalBase reports whether object i is a delta whose base another
// pack (or a loose object) holds.
func (p *pack) hasExternalBase(i int32) bool {
	return p.extBase != nil && !p.extBase[i].IsZero()
}

// reachesExternal reports whether i's chain ends at an external base.
func (p *pack) reachesExternal(i int32) bool {
	for steps := 0; steps < 100000; steps++ {
		if p.hasExternalBase(i) {
			return true
		}
		if p.base[i] < 0 {
			return false
		}
		i = p.base[i]
	}
	return false
}
