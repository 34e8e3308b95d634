package gitobj

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/vastguard/vastguard/scan/scantest"
)

// checkStore reads every object go-git lists through a Store, checks that
// each decodes to its id, and that the store's id listing is the same set.
func checkStore(t *testing.T, dir string, opts StoreOptions) {
	t.Helper()
	checkStoreHolds(t, dir, opts, goGitObjects(t, dir))
}

// goGitObjects lists the objects of the repository at dir through go-git.
func goGitObjects(t *testing.T, dir string) map[plumbing.Hash]bool {
	t.Helper()
	g, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	iter, err := g.Storer.IterEncodedObjects(plumbing.AnyObject)
	if err != nil {
		t.Fatal(err)
	}
	want := map[plumbing.Hash]bool{}
	iter.ForEach(func(o plumbing.EncodedObject) error {
		want[o.Hash()] = true
		return nil
	})
	return want
}

func checkStoreHolds(t *testing.T, dir string, opts StoreOptions, want map[plumbing.Hash]bool) {
	t.Helper()
	s, err := OpenStore(filepath.Join(dir, ".git", "objects"), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for h := range want {
		typ, data, err := s.Get(h)
		if err != nil {
			t.Fatalf("Get(%s): %v", h, err)
		}
		if got := objectID(typ, data); got != h {
			t.Fatalf("object %s decodes to content hashing to %s", h, got)
		}
		if !s.Has(h) {
			t.Errorf("Has(%s) is false", h)
		}
	}
	listed := map[plumbing.Hash]bool{}
	err = s.SortedIDs(func(ids []byte) error {
		for i := 0; i+20 <= len(ids); i += 20 {
			if i > 0 && bytes.Compare(ids[i-20:i], ids[i:i+20]) >= 0 {
				return fmt.Errorf("ids out of order at %d", i/20)
			}
			var h plumbing.Hash
			copy(h[:], ids[i:])
			listed[h] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	loose, err := s.LooseIDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range loose {
		listed[h] = true
	}
	if len(listed) != len(want) {
		t.Errorf("the store lists %d objects, go-git %d", len(listed), len(want))
	}
	for h := range want {
		if !listed[h] {
			t.Errorf("%s is not listed", h)
		}
	}
	missing := plumbing.NewHash(strings.Repeat("12", 20))
	if _, _, err := s.Get(missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of an absent object: %v, want ErrNotFound", err)
	}
	if s.Has(missing) {
		t.Error("Has of an absent object is true")
	}
}

func TestStoreReadsEveryObject(t *testing.T) {
	t.Parallel()
	build := func(t *testing.T) *scantest.Repo {
		r := scantest.New(t)
		body := strings.Repeat("line of source text for the delta chain\n", 200)
		for i := range 60 {
			r.Commit(fmt.Sprintf("edit %d", i), scantest.Files{
				"src/a.txt":                     body + fmt.Sprintf("change %d\n", i),
				fmt.Sprintf("src/b%d.txt", i%5): strings.Repeat(fmt.Sprintf("%d ", i), 500),
			})
		}
		return r
	}
	t.Run("loose", func(t *testing.T) {
		t.Parallel()
		checkStore(t, build(t).Dir, StoreOptions{})
	})
	t.Run("go-git pack", func(t *testing.T) {
		t.Parallel()
		r := build(t)
		r.Pack()
		checkStore(t, r.Dir, StoreOptions{})
	})
	t.Run("no cache", func(t *testing.T) {
		t.Parallel()
		r := build(t)
		r.Pack()
		checkStore(t, r.Dir, StoreOptions{CacheBytes: 1})
	})
	t.Run("git gc aggressive pack plus loose objects", func(t *testing.T) {
		t.Parallel()
		if _, err := exec.LookPath("git"); err != nil {
			t.Skip("git is not installed")
		}
		r := build(t)
		gitCmd(t, r.Dir, "gc", "--aggressive", "--quiet")
		r.Commit("after gc", scantest.Files{"late.txt": "loose object\n"})
		checkStore(t, r.Dir, StoreOptions{})
	})
	t.Run("version 1 index", func(t *testing.T) {
		t.Parallel()
		if _, err := exec.LookPath("git"); err != nil {
			t.Skip("git is not installed")
		}
		r := build(t)
		want := goGitObjects(t, r.Dir) // go-git cannot read a version 1 index
		gitCmd(t, r.Dir, "-c", "pack.indexVersion=1", "repack", "-a", "-d", "-q")
		checkStoreHolds(t, r.Dir, StoreOptions{}, want)
	})
}

func TestStoreRefusesHostilePacks(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	for i := range 5 {
		r.Commit(fmt.Sprintf("c%d", i), scantest.Files{"f.txt": strings.Repeat(fmt.Sprintf("%d\n", i), 300)})
	}
	r.Pack()
	head := r.Head()
	packDir := filepath.Join(r.Dir, ".git", "objects", "pack")
	idxs, _ := filepath.Glob(filepath.Join(packDir, "*.idx"))
	if len(idxs) != 1 {
		t.Fatalf("%d indexes", len(idxs))
	}
	idx, err := os.ReadFile(idxs[0])
	if err != nil {
		t.Fatal(err)
	}
	packPath := strings.TrimSuffix(idxs[0], ".idx") + ".pack"
	pack, err := os.ReadFile(packPath)
	if err != nil {
		t.Fatal(err)
	}
	n := len(idx[8+1024:]) / 28
	tests := []struct {
		name      string
		idx, pack func() []byte
		open      bool // OpenStore itself must fail
	}{
		{"truncated index", func() []byte { return idx[:len(idx)/2] }, nil, true},
		{"fanout decreasing", func() []byte {
			b := bytes.Clone(idx)
			copy(b[8+4*10:], []byte{0xff, 0xff, 0xff, 0xff})
			return b
		}, nil, true},
		{"offsets past the pack", func() []byte {
			b := bytes.Clone(idx)
			off := 8 + 1024 + 24*n
			for i := 0; i < n; i++ {
				copy(b[off+4*i:], []byte{0x7f, 0xff, 0xff, 0xf0})
			}
			return b
		}, nil, false},
		{"garbage pack", nil, func() []byte {
			b := bytes.Clone(pack)
			for i := 12; i < len(b)-20; i++ {
				b[i] = 0xff
			}
			return b
		}, false},
		{"not a pack", nil, func() []byte { return []byte("not a packfile at all, but long enough") }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			objs := filepath.Join(dir, "objects")
			os.MkdirAll(filepath.Join(objs, "pack"), 0o755)
			i, p := idx, pack
			if tt.idx != nil {
				i = tt.idx()
			}
			if tt.pack != nil {
				p = tt.pack()
			}
			os.WriteFile(filepath.Join(objs, "pack", "pack-x.idx"), i, 0o644)
			os.WriteFile(filepath.Join(objs, "pack", "pack-x.pack"), p, 0o644)
			s, err := OpenStore(objs, StoreOptions{})
			if tt.open {
				if err == nil {
					s.Close()
					t.Fatal("OpenStore accepted it")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, _, err := s.Get(head); err == nil {
				t.Fatal("Get read an object from it")
			}
		})
	}
}

func TestStoreObjectLimit(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("big", scantest.Files{"big.txt": strings.Repeat("x", 100000)})
	r.Pack()
	s, err := OpenStore(filepath.Join(r.Dir, ".git", "objects"), StoreOptions{Limits: Limits{MaxDeltaSize: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g, _ := git.PlainOpen(r.Dir)
	c, _ := g.CommitObject(r.Head())
	tree, _ := c.Tree()
	if _, _, err := s.Get(tree.Entries[0].Hash); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "MaxDeltaSize") {
		t.Fatalf("a 100000-byte blob under a 1000-byte limit: %v", err)
	}
}

func TestStoreStreamsLargeObjects(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("streamed line\n", 20000)
	for _, packed := range []bool{false, true} {
		r := scantest.New(t)
		r.Commit("big", scantest.Files{"big.txt": big, "small.txt": "s\n"})
		if packed {
			r.Pack()
		}
		s, err := OpenStore(filepath.Join(r.Dir, ".git", "objects"), StoreOptions{StreamAbove: 1000})
		if err != nil {
			t.Fatal(err)
		}
		h := plumbing.ComputeHash(plumbing.BlobObject, []byte(big))
		if _, _, err := s.Get(h); !errors.Is(err, ErrLarge) {
			t.Errorf("packed %v: Get of a large object: %v, want ErrLarge", packed, err)
		}
		var got []byte
		err = s.Stream(h, func(typ plumbing.ObjectType, size int64, rd io.Reader) error {
			b, err := io.ReadAll(rd)
			if typ != plumbing.BlobObject || int64(len(b)) != size {
				return fmt.Errorf("type %s, %d of %d bytes", typ, len(b), size)
			}
			got = b
			return err
		})
		if err != nil || string(got) != big {
			t.Errorf("packed %v: Stream: %v, %d bytes", packed, err, len(got))
		}
		small := plumbing.ComputeHash(plumbing.BlobObject, []byte("s\n"))
		if _, data, err := s.Get(small); err != nil || string(data) != "s\n" {
			t.Errorf("packed %v: a small object: %v %q", packed, err, data)
		}
		s.Close()
	}
}
