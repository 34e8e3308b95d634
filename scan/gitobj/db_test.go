package gitobj

import (
	"context"
	"crypto/sha1"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/vastguard/vastguard/scan/scantest"
)

// objectID is git's id of an object: SHA-1 of "<type> <size>\x00<content>".
func objectID(typ plumbing.ObjectType, data []byte) plumbing.Hash {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", typ, len(data))
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
	g, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(filepath.Join(dir, ".git", "objects"), Options{External: goGitResolver(g)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mu sync.Mutex
	seen := map[plumbing.Hash]int{}
	record := func(h plumbing.Hash) {
		mu.Lock()
		seen[h]++
		mu.Unlock()
	}
	err = db.ForEach(context.Background(), 3, Visitor{
		StreamAbove: streamAbove,
		Want:        func(plumbing.ObjectType) bool { return true },
		Object: func(w int, h plumbing.Hash, typ plumbing.ObjectType, data []byte) error {
			if got := objectID(typ, data); got != h {
				return fmt.Errorf("object %s decodes to content hashing to %s", h, got)
			}
			record(h)
			return nil
		},
		Stream: func(w int, h plumbing.Hash, typ plumbing.ObjectType, size int64, rd io.Reader) error {
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
	iter, err := g.Storer.IterEncodedObjects(plumbing.AnyObject)
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

// TestHeadersReadInParallel: a pack whose headers are read in runs by
// several goroutines still gives every object once, decoded to its id. Not
// parallel: it lowers a package threshold.
func TestHeadersReadInParallel(t *testing.T) {
	defer func(n int) { parallelHeaders = n }(parallelHeaders)
	parallelHeaders = 2
	r := scantest.New(t)
	body := strings.Repeat("line of source text for the delta chain\n", 200)
	for i := range 30 {
		r.Commit(fmt.Sprintf("edit %d", i), scantest.Files{"src/a.txt": body + fmt.Sprintf("change %d\n", i)})
	}
	r.Pack()
	checkEveryObject(t, r.Dir, 1<<30)
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

// goGitResolver reads objects through go-git, as the scanner's external
// resolver does.
func goGitResolver(g *git.Repository) Resolver {
	return func(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
		o, err := g.Storer.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return 0, nil, err
		}
		rd, err := o.Reader()
		if err != nil {
			return 0, nil, err
		}
		defer rd.Close()
		data, err := io.ReadAll(rd)
		return o.Type(), data, err
	}
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
