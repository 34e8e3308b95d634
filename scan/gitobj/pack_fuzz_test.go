package gitobj

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/vastguard/vastguard/scan/gitobj/packtest"
)

// packSeeds are small packs with their indexes: whole objects of each
// type, OFS_DELTA and REF_DELTA chains, a fan of deltas on one base.
func packSeeds(tb testing.TB) [][2][]byte {
	tb.Helper()
	base := []byte("the base blob, long enough to copy from: 0123456789abcdef\n")
	delta := func(src []byte, dst string) []byte {
		return packtest.NewDelta(uint64(len(src)), uint64(len(dst))).Copy(4, 10).Insert([]byte(dst[10:])).Bytes()
	}
	d1 := "the base b and more text\n"
	sets := [][]packtest.Object{
		{
			{Type: plumbing.BlobObject, Data: base},
			{Type: plumbing.CommitObject, Data: []byte("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@b> 1 +0000\ncommitter A <a@b> 1 +0000\n\nmsg\n")},
			{Type: plumbing.TreeObject, Data: []byte("100644 a\x00aaaaaaaaaaaaaaaaaaaa")},
			{Type: plumbing.TagObject, Data: []byte("object 4b825dc642cb6eb9a060e54bf8d69288fbee4904\ntype tree\ntag v1\n\nm")},
		},
		{
			{Type: plumbing.BlobObject, Data: base},
			{Type: plumbing.OFSDeltaObject, Data: delta(base, d1), Base: 0},
			{Type: plumbing.OFSDeltaObject, Data: packtest.NewDelta(uint64(len(d1)), 5).Copy(0, 5).Bytes(), Base: 1},
			{Type: plumbing.OFSDeltaObject, Data: packtest.NewDelta(uint64(len(base)), 3).Insert([]byte("abc")).Bytes(), Base: 0},
		},
	}
	var out [][2][]byte
	for _, objs := range sets {
		pack, idx, err := packtest.Pack(objs...)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, [2][]byte{idx, pack})
	}
	// A REF_DELTA names its base by id.
	baseID := plumbing.ComputeHash(plumbing.BlobObject, base)
	pack, idx, err := packtest.Pack(
		packtest.Object{Type: plumbing.BlobObject, Data: base},
		packtest.Object{Type: plumbing.REFDeltaObject, Data: delta(base, d1), RefBase: baseID},
	)
	if err != nil {
		tb.Fatal(err)
	}
	return append(out, [2][]byte{idx, pack})
}

// FuzzPack feeds the index and pack parsers and both object walkers
// arbitrary bytes: nothing panics, nothing is allocated past the budgets,
// and whenever the walk succeeds every object was visited exactly once,
// with the content random access (Get) rebuilds for it.
func FuzzPack(f *testing.F) {
	for _, s := range packSeeds(f) {
		f.Add(s[0], s[1])
	}
	lim := Limits{MaxObjectSize: 1 << 20, MaxDeltaSize: 1 << 20, MaxMemory: 4 << 20}.WithDefaults()
	f.Fuzz(func(t *testing.T, idx, data []byte) {
		if len(idx) > 1<<20 || len(data) > 1<<20 {
			return
		}
		p := &pack{path: "fuzz.pack", data: data}
		if p.parseIndex(idx) != nil || p.checkHeader() != nil || p.parseHeaders(lim) != nil {
			return
		}
		db := &DB{packs: []*pack{p}, limits: lim, external: func(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
			return 0, nil, fmt.Errorf("%s: %w", h, ErrNotFound)
		}}
		sums := map[plumbing.Hash][32]byte{}
		visits := 0
		record := func(h plumbing.Hash, data []byte) error {
			visits++
			if _, ok := sums[h]; ok {
				return fmt.Errorf("object %s visited twice", h)
			}
			sums[h] = sha256.Sum256(data)
			return nil
		}
		err := db.ForEach(context.Background(), 1, Visitor{
			StreamAbove: 64,
			Want:        func(plumbing.ObjectType) bool { return true },
			Object: func(w int, h plumbing.Hash, typ plumbing.ObjectType, data []byte) error {
				return record(h, data)
			},
			Stream: func(w int, h plumbing.Hash, typ plumbing.ObjectType, size int64, r io.Reader) error {
				data, err := io.ReadAll(r)
				if err != nil {
					return err
				}
				return record(h, data)
			},
		})
		if err != nil {
			return
		}
		if visits != p.count() {
			t.Fatalf("%d objects visited, the pack holds %d", visits, p.count())
		}
		for i := range p.count() {
			h := p.hash(int32(i))
			_, got, err := db.Get(h)
			if err != nil {
				t.Fatalf("Get(%s) after a clean walk: %v", h, err)
			}
			if sha256.Sum256(got) != sums[h] {
				t.Fatalf("Get(%s) differs from the walk", h)
			}
		}
	})
}
