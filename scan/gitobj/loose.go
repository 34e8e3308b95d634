package gitobj

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/klauspost/compress/zlib"
)

// readLoose reads a whole loose object, for random access.
func readLoose(path string, h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	zr, err := zlib.NewReader(bufio.NewReader(f))
	if err != nil {
		return 0, nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	defer zr.Close()
	raw, err := io.ReadAll(io.LimitReader(zr, 1<<32))
	if err != nil {
		return 0, nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	hdr, data, ok := bytes.Cut(raw, []byte{0})
	if !ok {
		return 0, nil, fmt.Errorf("loose object %s: bad header", h)
	}
	name, sizeText, _ := bytes.Cut(hdr, []byte(" "))
	if size, err := strconv.Atoi(string(sizeText)); err != nil || size != len(data) {
		return 0, nil, fmt.Errorf("loose object %s: bad size", h)
	}
	typ, ok := typeByName(name)
	if !ok {
		return 0, nil, fmt.Errorf("loose object %s: unknown type %q", h, name)
	}
	return typ, data, nil
}

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

// runLoose reads one loose object: zlib("<type> <size>\x00<content>").
func (wk *worker) runLoose(l *looseObject) error {
	f, err := os.Open(l.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := wk.reset(bufio.NewReaderSize(f, 64<<10)); err != nil {
		return fmt.Errorf("loose object %s: %w", l.hash, err)
	}
	hdr := make([]byte, 0, 32)
	var one [1]byte
	for {
		if _, err := io.ReadFull(wk.zr, one[:]); err != nil {
			return fmt.Errorf("loose object %s: header: %w", l.hash, err)
		}
		if one[0] == 0 {
			break
		}
		if len(hdr) >= 32 {
			return fmt.Errorf("loose object %s: header too long", l.hash)
		}
		hdr = append(hdr, one[0])
	}
	name, sizeText, ok := bytes.Cut(hdr, []byte(" "))
	size, err := strconv.ParseInt(string(sizeText), 10, 64)
	if !ok || err != nil || size < 0 {
		return fmt.Errorf("loose object %s: bad header", l.hash)
	}
	typ, known := typeByName(name)
	if !known {
		return fmt.Errorf("loose object %s: unknown type %q", l.hash, name)
	}
	if !wk.v.Want(typ) {
		return nil
	}
	if size > wk.v.StreamAbove && wk.v.Stream != nil {
		r := &exactReader{r: wk.zr, n: size}
		return wk.v.Stream(wk.id, l.hash, typ, size, r)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(wk.zr, data); err != nil {
		return fmt.Errorf("loose object %s: %w", l.hash, err)
	}
	return wk.v.Object(wk.id, l.hash, typ, data)
}
