// Package packtest writes git packfiles, their indexes and minimal
// repositories byte by byte, for tests and benchmarks of readers: valid
// ones, and hostile ones that no git would write (delta bombs, delta
// chains a million links deep, objects of gigabytes, headers that lie),
// all generated at run time so that no binary fixture is ever committed.
//
// Nothing here checks that what it writes makes sense; that is the point.
// It must not import the readers it feeds.
package packtest

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/klauspost/compress/zlib"
)

// Object is one entry of a pack.
type Object struct {
	// Type is a whole object's type, or plumbing.OFSDeltaObject or
	// plumbing.REFDeltaObject for a delta.
	Type plumbing.ObjectType
	// Data is the content of a whole object, or a delta's instructions
	// (see Delta). It is written compressed.
	Data []byte
	// Stream, if set, replaces Data: Size bytes are read from it, so an
	// object of gigabytes is never held.
	Stream io.Reader
	// Size is the size the header declares; 0 means the real one. A Size
	// that lies makes a corrupt object.
	Size int64
	// Base is, for an OFS_DELTA, the index (in the order added) of its
	// base, an earlier object of the pack.
	Base int
	// RefBase is, for a REF_DELTA, its base's id.
	RefBase plumbing.Hash
	// ID is the object's id in the index. Zero means git's id of a whole
	// object's content, and a made-up unique id for a delta (readers that
	// do not check ids cannot tell).
	ID plumbing.Hash
}

// Writer writes a pack of a known number of objects.
type Writer struct {
	w    *bufio.Writer
	sum  hash.Hash
	crc  hash.Hash32
	off  int64
	want int
	ents []entry
	zw   *zlib.Writer
}

type entry struct {
	id  plumbing.Hash
	off int64
	crc uint32
}

// NewWriter starts a pack of count objects on w.
func NewWriter(w io.Writer, count int) *Writer {
	pw := &Writer{sum: sha1.New(), crc: crc32.NewIEEE(), want: count}
	pw.w = bufio.NewWriterSize(io.MultiWriter(w, pw.sum), 1<<20)
	var hdr [12]byte
	copy(hdr[:], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	binary.BigEndian.PutUint32(hdr[8:], uint32(count))
	pw.write(hdr[:])
	return pw
}

func (pw *Writer) write(b []byte) {
	pw.w.Write(b)
	pw.crc.Write(b)
	pw.off += int64(len(b))
}

// Add writes o and returns its index.
func (pw *Writer) Add(o Object) (int, error) {
	start := pw.off
	pw.crc.Reset()
	content := io.Reader(bytes.NewReader(o.Data))
	real := int64(len(o.Data))
	if o.Stream != nil {
		content, real = io.LimitReader(o.Stream, o.Size), o.Size
	}
	size := o.Size
	if size == 0 {
		size = real
	}
	// Header: type and size, 4 bits then 7 bits a byte.
	hdr := []byte{byte(o.Type)<<4 | byte(size&15)}
	for s := uint64(size) >> 4; s != 0; s >>= 7 {
		hdr[len(hdr)-1] |= 0x80
		hdr = append(hdr, byte(s&0x7f))
	}
	id := o.ID
	var objSum hash.Hash
	switch o.Type {
	case plumbing.OFSDeltaObject:
		if o.Base < 0 || o.Base >= len(pw.ents) {
			return 0, fmt.Errorf("packtest: base %d of object %d is not an earlier object", o.Base, len(pw.ents))
		}
		hdr = append(hdr, ofsOffset(start-pw.ents[o.Base].off)...)
	case plumbing.REFDeltaObject:
		hdr = append(hdr, o.RefBase[:]...)
	default:
		if id.IsZero() {
			objSum = sha1.New()
			fmt.Fprintf(objSum, "%s %d\x00", o.Type, real)
			content = io.TeeReader(content, objSum)
		}
	}
	pw.write(hdr)
	if pw.zw == nil {
		zw, err := zlib.NewWriterLevel(crcWriter{pw}, zlib.BestSpeed)
		if err != nil {
			return 0, err
		}
		pw.zw = zw
	} else {
		pw.zw.Reset(crcWriter{pw})
	}
	zw := pw.zw
	if n, err := io.Copy(zw, content); err != nil || n != real {
		return 0, fmt.Errorf("packtest: object %d: wrote %d of %d bytes: %v", len(pw.ents), n, real, err)
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	switch {
	case objSum != nil:
		copy(id[:], objSum.Sum(nil))
	case id.IsZero():
		id = MadeUpID(len(pw.ents))
	}
	pw.ents = append(pw.ents, entry{id: id, off: start, crc: pw.crc.Sum32()})
	return len(pw.ents) - 1, nil
}

type crcWriter struct{ pw *Writer }

func (c crcWriter) Write(b []byte) (int, error) {
	c.pw.write(b)
	return len(b), nil
}

// ofsOffset encodes an OFS_DELTA's distance back to its base.
func ofsOffset(rel int64) []byte {
	b := []byte{byte(rel & 0x7f)}
	for rel >>= 7; rel != 0; rel >>= 7 {
		rel--
		b = append([]byte{0x80 | byte(rel&0x7f)}, b...)
	}
	return b
}

// MadeUpID is the id Add gives the n-th object when it has none.
func MadeUpID(n int) plumbing.Hash {
	return plumbing.Hash(sha1.Sum(fmt.Appendf(nil, "packtest object %d", n)))
}

// ID returns the id of the n-th object added.
func (pw *Writer) ID(n int) plumbing.Hash { return pw.ents[n].id }

// Close ends the pack with its checksum and returns the pack's id and its
// version 2 index.
func (pw *Writer) Close() (plumbing.Hash, []byte, error) {
	if len(pw.ents) != pw.want {
		return plumbing.ZeroHash, nil, fmt.Errorf("packtest: %d objects added, the header says %d", len(pw.ents), pw.want)
	}
	if err := pw.w.Flush(); err != nil {
		return plumbing.ZeroHash, nil, err
	}
	var packID plumbing.Hash
	copy(packID[:], pw.sum.Sum(nil))
	if _, err := pw.w.Write(packID[:]); err != nil {
		return plumbing.ZeroHash, nil, err
	}
	if err := pw.w.Flush(); err != nil {
		return plumbing.ZeroHash, nil, err
	}
	return packID, Index(pw.ents, packID), nil
}

// Index builds a version 2 index of ents.
func Index(ents []entry, packID plumbing.Hash) []byte {
	ents = append([]entry(nil), ents...)
	sort.Slice(ents, func(i, j int) bool { return bytes.Compare(ents[i].id[:], ents[j].id[:]) < 0 })
	var b bytes.Buffer
	b.WriteString("\xfftOc")
	binary.Write(&b, binary.BigEndian, uint32(2))
	var fan [256]uint32
	for _, e := range ents {
		fan[e.id[0]]++
	}
	for k := 1; k < 256; k++ {
		fan[k] += fan[k-1]
	}
	binary.Write(&b, binary.BigEndian, fan)
	for _, e := range ents {
		b.Write(e.id[:])
	}
	for _, e := range ents {
		binary.Write(&b, binary.BigEndian, e.crc)
	}
	var large []uint64
	for _, e := range ents {
		if e.off < 1<<31 {
			binary.Write(&b, binary.BigEndian, uint32(e.off))
			continue
		}
		binary.Write(&b, binary.BigEndian, uint32(0x80000000|len(large)))
		large = append(large, uint64(e.off))
	}
	for _, o := range large {
		binary.Write(&b, binary.BigEndian, o)
	}
	b.Write(packID[:])
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	return b.Bytes()
}

// Pack writes objs as a pack in memory and returns it with its index.
func Pack(objs ...Object) (pack, idx []byte, err error) {
	var buf bytes.Buffer
	pw := NewWriter(&buf, len(objs))
	for _, o := range objs {
		if _, err := pw.Add(o); err != nil {
			return nil, nil, err
		}
	}
	_, idx, err = pw.Close()
	return buf.Bytes(), idx, err
}

// Delta builds a git delta: the base's size, the result's, then copy and
// insert instructions (gitformat-pack).
type Delta struct{ b []byte }

// NewDelta starts a delta from a src-byte base to a dst-byte result.
func NewDelta(src, dst uint64) *Delta {
	d := &Delta{}
	d.b = binary.AppendUvarint(d.b, src)
	d.b = binary.AppendUvarint(d.b, dst)
	return d
}

// Copy copies size bytes (1 to 0xffffff; 0x10000 takes a single byte)
// from off in the base.
func (d *Delta) Copy(off, size uint64) *Delta {
	cmd := byte(0x80)
	var args []byte
	for i := range 4 {
		if v := byte(off >> (8 * i)); v != 0 {
			cmd |= 1 << i
			args = append(args, v)
		}
	}
	if size != 0x10000 {
		for i := range 3 {
			if v := byte(size >> (8 * i)); v != 0 {
				cmd |= 0x10 << i
				args = append(args, v)
			}
		}
	}
	d.b = append(append(d.b, cmd), args...)
	return d
}

// Insert inserts b, in instructions of up to 127 bytes.
func (d *Delta) Insert(b []byte) *Delta {
	for len(b) > 0 {
		n := min(len(b), 127)
		d.b = append(append(d.b, byte(n)), b[:n]...)
		b = b[n:]
	}
	return d
}

// Bytes returns the delta.
func (d *Delta) Bytes() []byte { return d.b }

// Repo is a minimal repository on disk: a .git directory with HEAD naming
// refs/heads/main, a config, and packs written into it.
type Repo struct {
	Dir    string // the work tree
	GitDir string
}

// Init creates an empty repository in dir.
func Init(dir string) (*Repo, error) {
	r := &Repo{Dir: dir, GitDir: filepath.Join(dir, ".git")}
	for _, d := range []string{"objects/pack", "objects/info", "refs/heads", "refs/tags"} {
		if err := os.MkdirAll(filepath.Join(r.GitDir, d), 0o755); err != nil {
			return nil, err
		}
	}
	files := map[string]string{
		"HEAD":   "ref: refs/heads/main\n",
		"config": "[core]\n\trepositoryformatversion = 0\n\tbare = false\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(r.GitDir, name), []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// WritePack writes a pack of count objects that add adds, and its index,
// into the repository, and returns the pack's path.
func (r *Repo) WritePack(count int, add func(*Writer) error) (string, error) {
	tmp := filepath.Join(r.GitDir, "objects", "pack", "tmp.pack")
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	defer f.Close()
	pw := NewWriter(f, count)
	if err := add(pw); err != nil {
		return "", err
	}
	id, idx, err := pw.Close()
	if err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	base := filepath.Join(r.GitDir, "objects", "pack", "pack-"+id.String())
	if err := os.WriteFile(base+".idx", idx, 0o644); err != nil {
		return "", err
	}
	return base + ".pack", os.Rename(tmp, base+".pack")
}

// SetRef points ref (e.g. "refs/heads/main") at h.
func (r *Repo) SetRef(ref string, h plumbing.Hash) error {
	p := filepath.Join(r.GitDir, filepath.FromSlash(ref))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(h.String()+"\n"), 0o644)
}

// ErrNoFIFO is returned by Replace on systems without FIFOs.
var ErrNoFIFO = errors.New("packtest: FIFOs are not supported here")
