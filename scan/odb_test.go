package scan

import (
	"context"
	"crypto/sha1"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/vastguard/vastguard/scan/scantest"
)

// objectID is git's id of an object: SHA-1 of "<type> <size>\x00<content>".
func objectID(typ byte, data []byte) plumbing.Hash {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", typeName(typ), len(data))
	h.Write(data)
	var out plumbing.Hash
	copy(out[:], h.Sum(nil))
	return out
}

// checkEveryObject decodes every object of the repository at dir with the
// parallel reader and checks that each one hashes to its id, that each is
// seen exactly once, and that the set equals what go-git lists.
func checkEveryObject(t *testing.T, dir string, streamAbove int64) {
	t.Helper()
	r, err := openRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openODB(r.objDir, r.readObject)
	if err != nil {
		t.Fatal(err)
	}
	defer db.close()
	var mu sync.Mutex
	seen := map[plumbing.Hash]int{}
	record := func(h plumbing.Hash) {
		mu.Lock()
		seen[h]++
		mu.Unlock()
	}
	old := streamThreshold
	streamThreshold = streamAbove
	defer func() { streamThreshold = old }()
	err = db.forEach(context.Background(), 3, visitor{
		want: func(byte) bool { return true },
		object: func(w int, h plumbing.Hash, typ byte, data []byte) error {
			if got := objectID(typ, data); got != h {
				return fmt.Errorf("object %s decodes to content hashing to %s", h, got)
			}
			record(h)
			return nil
		},
		stream: func(w int, h plumbing.Hash, typ byte, size int64, rd io.Reader) error {
			data, err := io.ReadAll(rd)
			if err != nil {
				return err
			}
			if int64(len(data)) != size || objectID(typ, data) != h {
				return fmt.Errorf("streamed object %s is wrong", h)
			}
			record(h)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	iter, err := r.git.Storer.IterEncodedObjects(plumbing.AnyObject)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[plumbing.Hash]bool{}
	iter.ForEach(func(o plumbing.EncodedObject) error {
		distinct[o.Hash()] = true
		if seen[o.Hash()] != 1 {
			t.Errorf("object %s seen %d times, want once", o.Hash(), seen[o.Hash()])
		}
		return nil
	})
	if len(seen) != len(distinct) {
		t.Errorf("decoded %d objects, go-git lists %d", len(seen), len(distinct))
	}
}

func TestEveryObjectDecodesToItsID(t *testing.T) {
	t.Parallel()
	// Many versions of a few files, so a pack holds long delta chains.
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
		checkEveryObject(t, build(t).Dir, 1<<30)
	})
	t.Run("go-git pack", func(t *testing.T) {
		t.Parallel()
		r := build(t)
		r.Pack()
		checkEveryObject(t, r.Dir, 1<<30)
	})
	t.Run("streamed", func(t *testing.T) {
		t.Parallel()
		r := build(t)
		r.Pack()
		checkEveryObject(t, r.Dir, 1024)
	})
	t.Run("git gc aggressive pack plus loose objects", func(t *testing.T) {
		t.Parallel()
		if _, err := exec.LookPath("git"); err != nil {
			t.Skip("git is not installed")
		}
		r := build(t)
		gitCmd(t, r.Dir, "gc", "--aggressive", "--quiet")
		r.Commit("after gc", scantest.Files{"late.txt": "loose object\n"})
		checkEveryObject(t, r.Dir, 1<<30)
	})
	t.Run("two packs with overlapping objects", func(t *testing.T) {
		t.Parallel()
		if _, err := exec.LookPath("git"); err != nil {
			t.Skip("git is not installed")
		}
		r := build(t)
		gitCmd(t, r.Dir, "repack", "-a", "-d", "-q")
		r.Commit("more", scantest.Files{"more.txt": strings.Repeat("more\n", 100)})
		// A second pack holding everything again: every object is in two packs.
		gitCmd(t, r.Dir, "repack", "-a", "-q")
		checkEveryObject(t, r.Dir, 1<<30)
	})
}

func gitCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestApplyDeltaRejectsCorruption(t *testing.T) {
	t.Parallel()
	base := []byte("hello world")
	tests := []struct {
		name  string
		delta []byte
	}{
		{"empty", nil},
		{"wrong base size", []byte{5, 5, 0x90, 5}},
		{"copy out of range", []byte{11, 20, 0x91, 8, 20}},
		{"insert too long", []byte{11, 2, 5, 'a', 'b', 'c', 'd', 'e'}},
		{"short result", []byte{11, 20, 0x90, 5}},
		{"reserved op", []byte{11, 1, 0}},
		{"truncated insert", []byte{11, 3, 3, 'a'}},
	}
	for _, tt := range tests {
		if _, err := applyDelta(base, tt.delta); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	out, err := applyDelta(base, []byte{11, 8, 0x91, 6, 5, 3, '!', '!', '!'})
	if err != nil || string(out) != "world!!!" {
		t.Errorf("applyDelta = %q, %v", out, err)
	}
}

func FuzzApplyDelta(f *testing.F) {
	f.Add([]byte("hello world"), []byte{11, 8, 0x91, 6, 5, 3, '!', '!', '!'})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		out, err := applyDelta(base, delta)
		if err == nil {
			_, dst, _, _ := deltaSizes(delta)
			if len(out) != dst {
				t.Fatalf("len %d, header says %d", len(out), dst)
			}
		}
	})
}

func FuzzParseObjects(f *testing.F) {
	f.Add([]byte("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@b> 1700000000 +0100\ncommitter A <a@b> 1700000000 +0100\ngpgsig -----BEGIN\n x\n\nmsg\n"))
	f.Add([]byte("object 4b825dc642cb6eb9a060e54bf8d69288fbee4904\ntype commit\ntag v1\ntagger A <a@b> 1 +0000\n\nm"))
	f.Add([]byte("100644 a\x00aaaaaaaaaaaaaaaaaaaa40000 d\x00bbbbbbbbbbbbbbbbbbbb"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseCommit(plumbing.ZeroHash, data)
		parseTag(plumbing.ZeroHash, data)
		parseTree(data, func(treeEntry) error { return nil })
	})
}
