package packtest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/go-git/go-git/v5/plumbing"
)

// Text returns n bytes of source-like text (no NUL, so readers treat it as
// text, not binary), the same for the same seed: 64 KiB of random words,
// repeated.
func Text(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	words := []string{"vast", "gpu", "instance", "return", "func", "config", "the", "key", "if", "err", "nil", "value"}
	var b bytes.Buffer
	for b.Len() < min(n, 64<<10) {
		b.WriteString(words[rng.IntN(len(words))])
		if rng.IntN(8) == 0 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	tile := b.Bytes()[:min(n, 64<<10)]
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, tile[:min(len(tile), n-len(out))]...)
	}
	return out
}

// DeltaBomb writes a two-level delta bomb: a 64 KiB text blob, a delta on
// it that builds a blob of size bytes, and fanout deltas on that blob, each
// building another (distinct) blob of size bytes. The pack takes a few
// kilobytes; rebuilding it all takes (1+fanout)·size bytes.
func (r *Repo) DeltaBomb(size int64, fanout int) (string, error) {
	const chunk = 0x10000
	base := Text(chunk, 1)
	return r.WritePack(2+fanout, func(pw *Writer) error {
		if _, err := pw.Add(Object{Type: plumbing.BlobObject, Data: base}); err != nil {
			return err
		}
		// Level one: the base copied over and over, a byte per 64 KiB.
		d := NewDelta(chunk, uint64(size))
		for left := size; left > 0; left -= chunk {
			d.Copy(0, uint64(min(left, chunk)))
		}
		if _, err := pw.Add(Object{Type: plumbing.OFSDeltaObject, Data: d.Bytes(), Base: 0}); err != nil {
			return err
		}
		// Level two: each a distinct line, then level one again.
		for k := range fanout {
			head := fmt.Appendf(nil, "child %d\n", k)
			d := NewDelta(uint64(size), uint64(size)).Insert(head)
			for off := int64(len(head)); off < size; {
				n := min(size-off, 0xffffff)
				d.Copy(uint64(off), uint64(n))
				off += n
			}
			if _, err := pw.Add(Object{Type: plumbing.OFSDeltaObject, Data: d.Bytes(), Base: 1}); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeepChain writes a chain of n deltas, each on the one before, from one
// small blob: n+1 distinct small blobs, each link's base the previous one.
func (r *Repo) DeepChain(n int) (string, error) {
	return r.WritePack(n+1, func(pw *Writer) error {
		prev := []byte("link 0\n")
		if _, err := pw.Add(Object{Type: plumbing.BlobObject, Data: prev}); err != nil {
			return err
		}
		for k := 1; k <= n; k++ {
			cur := fmt.Appendf(nil, "link %d\n", k)
			d := NewDelta(uint64(len(prev)), uint64(len(cur))).Insert(cur)
			if _, err := pw.Add(Object{Type: plumbing.OFSDeltaObject, Data: d.Bytes(), Base: k - 1}); err != nil {
				return err
			}
			prev = cur
		}
		return nil
	})
}

// Comb writes a chain of depth blobs of size bytes, each a delta on the
// one before, where every link also has a small leaf delta on it: a walker
// that keeps each base until all the deltas on it are done holds the
// whole spine at once, depth·size bytes. Every leaf's id sorts before its
// sibling link's, so a walker taking deltas in index order reaches the
// link last.
func (r *Repo) Comb(depth int, size int64) (string, error) {
	id := func(n int, first byte) plumbing.Hash {
		h := MadeUpID(n)
		h[0] = first
		return h
	}
	return r.WritePack(2*depth, func(pw *Writer) error {
		spine, err := pw.Add(Object{Type: plumbing.BlobObject, Data: Text(int(size), 2)})
		if err != nil {
			return err
		}
		for k := 1; k < depth; k++ {
			head := fmt.Appendf(nil, "spine %d\n", k)
			d := NewDelta(uint64(size), uint64(size)).Insert(head).Copy(uint64(len(head)), uint64(size)-uint64(len(head)))
			next, err := pw.Add(Object{Type: plumbing.OFSDeltaObject, Data: d.Bytes(), Base: spine, ID: id(2*k, 0xff)})
			if err != nil {
				return err
			}
			leaf := fmt.Appendf(nil, "leaf %d\n", k)
			if _, err := pw.Add(Object{Type: plumbing.OFSDeltaObject, Data: NewDelta(uint64(size), uint64(len(leaf))).Insert(leaf).Bytes(), Base: spine, ID: id(2*k+1, 0x00)}); err != nil {
				return err
			}
			spine = next
		}
		leaf := []byte("last leaf\n")
		_, err = pw.Add(Object{Type: plumbing.OFSDeltaObject, Data: NewDelta(uint64(size), uint64(len(leaf))).Insert(leaf).Bytes(), Base: spine})
		return err
	})
}

// Huge writes one whole object of type typ and size bytes of text,
// streamed, so the generator never holds it.
func (r *Repo) Huge(typ plumbing.ObjectType, size int64) (string, error) {
	return r.WritePack(1, func(pw *Writer) error {
		_, err := pw.Add(Object{Type: typ, Stream: &repeater{b: Text(1<<20, 3)}, Size: size})
		return err
	})
}

// Lying writes one whole object whose header declares size bytes while
// its stream holds only the first real bytes of that (incompressible, so
// the claim is plausible from the compressed size alone): a reader that
// trusts the header reads until the stream runs out.
func (r *Repo) Lying(typ plumbing.ObjectType, size int64, real int) (string, error) {
	data := make([]byte, real)
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range data {
		data[i] = byte('a' + rng.IntN(26))
	}
	return r.WritePack(1, func(pw *Writer) error {
		_, err := pw.Add(Object{Type: typ, Data: data, Size: size, ID: MadeUpID(0)})
		return err
	})
}

// repeater repeats b forever.
type repeater struct {
	b   []byte
	off int
}

func (r *repeater) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.b[r.off:])
		n += k
		r.off = (r.off + k) % len(r.b)
	}
	return n, nil
}

var _ io.Reader = (*repeater)(nil)

// Special is a kind of file that git expects to be regular and that a
// reader must refuse.
type Special int

const (
	// FIFO is a named pipe: opening or reading it blocks until a writer
	// comes, which never happens.
	FIFO Special = iota
	// DevZero is a symbolic link to /dev/zero, a device that never ends.
	DevZero
	// Directory is a directory.
	Directory
)

func (s Special) String() string {
	return [...]string{"FIFO", "symlink to /dev/zero", "directory"}[s]
}

// Replace puts a special file of kind s at path, in place of whatever is
// there.
func Replace(path string, s Special) error {
	if err := os.RemoveAll(path); err != nil {
		return err
	}
	switch s {
	case FIFO:
		return mkfifo(path)
	case DevZero:
		return os.Symlink("/dev/zero", path)
	default:
		return os.Mkdir(path, 0o755)
	}
}
