package gitobj

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/klauspost/compress/zlib"
)

// typeByName maps a type name, as loose object headers and tags write it,
// to its number.
func typeByName(name []byte) (plumbing.ObjectType, bool) {
	switch string(name) {
	case "commit":
		return plumbing.CommitObject, true
	case "tree":
		return plumbing.TreeObject, true
	case "blob":
		return plumbing.BlobObject, true
	case "tag":
		return plumbing.TagObject, true
	}
	return 0, false
}

// looseHeader reads a loose object's "<type> <size>\x00" from its inflated
// stream, and checks the size against the file's compressed size and
// against limit (knob names it).
func looseHeader(r io.Reader, h plumbing.Hash, fileSize, limit int64, knob string) (plumbing.ObjectType, int64, error) {
	var hdr [32]byte
	n := 0
	for {
		if _, err := io.ReadFull(r, hdr[n:n+1]); err != nil {
			return 0, 0, fmt.Errorf("loose object %s: header: %w", h, err)
		}
		if hdr[n] == 0 {
			break
		}
		if n++; n == len(hdr) {
			return 0, 0, fmt.Errorf("loose object %s: header too long", h)
		}
	}
	name, sizeText, ok := bytes.Cut(hdr[:n], []byte(" "))
	size, err := strconv.ParseInt(string(sizeText), 10, 64)
	if !ok || err != nil || size < 0 {
		return 0, 0, fmt.Errorf("loose object %s: bad header", h)
	}
	typ, known := typeByName(name)
	if !known {
		return 0, 0, fmt.Errorf("loose object %s: unknown type %q", h, name)
	}
	if size > maxInflated(fileSize) {
		return 0, 0, fmt.Errorf("loose object %s claims %d bytes, more than its %d compressed bytes can hold", h, size, fileSize)
	}
	if size > limit {
		return 0, 0, &LimitError{What: "loose object " + h.String(), Need: "a " + typ.String(), Size: size, Limit: limit, Knob: knob}
	}
	return typ, size, nil
}

// readLoose reads a whole loose object of at most limit bytes, for random
// access.
func readLoose(path string, h plumbing.Hash, limit int64) (plumbing.ObjectType, []byte, error) {
	f, fi, err := OpenRegular(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	zr, err := zlib.NewReader(bufio.NewReader(f))
	if err != nil {
		return 0, nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	defer zr.Close()
	typ, size, err := looseHeader(zr, h, fi.Size(), limit, "MaxDeltaSize")
	if err != nil {
		return 0, nil, err
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(zr, data); err != nil {
		return 0, nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	return typ, data, nil
}

// runLoose reads one loose object: zlib("<type> <size>\x00<content>"),
// streaming it if it is large.
func (wk *worker) runLoose(l *looseObject) error {
	f, fi, err := OpenRegular(l.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := wk.reset(bufio.NewReaderSize(f, 64<<10)); err != nil {
		return fmt.Errorf("loose object %s: %w", l.hash, err)
	}
	typ, size, err := looseHeader(wk.zr, l.hash, fi.Size(), wk.db.limits.MaxObjectSize, "MaxObjectSize")
	if err != nil {
		return err
	}
	if !wk.v.Want(typ) {
		return nil
	}
	if size > wk.v.StreamAbove && wk.v.Stream != nil {
		r := &exactReader{r: wk.zr, n: size}
		return wk.v.Stream(wk.id, l.hash, typ, size, r)
	}
	if size > wk.db.limits.MaxDeltaSize {
		return &LimitError{What: "loose object " + l.hash.String(), Need: "an object held whole", Size: size, Limit: wk.db.limits.MaxDeltaSize, Knob: "MaxDeltaSize"}
	}
	data, err := wk.alloc(size, nil, 0)
	if err != nil {
		return err
	}
	defer wk.free(data, true)
	if _, err := io.ReadFull(wk.zr, data); err != nil {
		return fmt.Errorf("loose object %s: %w", l.hash, err)
	}
	return wk.v.Object(wk.id, l.hash, typ, data)
}
