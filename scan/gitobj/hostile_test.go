package gitobj

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/vastguard/vastguard/scan/gitobj/packtest"
)

// hostileRepo starts a repository for a generated pack.
func hostileRepo(t *testing.T) *packtest.Repo {
	t.Helper()
	r, err := packtest.Init(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func openDB(t *testing.T, r *packtest.Repo, lim Limits) *DB {
	t.Helper()
	db, err := Open(filepath.Join(r.GitDir, "objects"), Options{Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// countBlobs visits every object and returns how many blobs it saw.
func countBlobs(db *DB, workers int, check func(data []byte) error) (int64, error) {
	var n atomic.Int64
	err := db.ForEach(context.Background(), workers, Visitor{
		Want: func(plumbing.ObjectType) bool { return true },
		Object: func(w int, h plumbing.Hash, typ plumbing.ObjectType, data []byte) error {
			if typ == plumbing.BlobObject {
				n.Add(1)
			}
			if check != nil {
				return check(data)
			}
			return nil
		},
		Stream: func(w int, h plumbing.Hash, typ plumbing.ObjectType, size int64, r io.Reader) error {
			n.Add(1)
			_, err := io.Copy(io.Discard, r)
			return err
		},
	})
	return n.Load(), err
}

// TestDeepChainWithoutRecursion walks a delta chain 1.5 million links deep
// (300,000 under the race detector, which slows it tenfold; the scan
// package's memory test walks the full depth in a process of its own):
// every link is rebuilt, with no recursion (the old walker overflowed the
// stack, a crash), and Get rebuilds the deepest.
func TestDeepChainWithoutRecursion(t *testing.T) {
	t.Parallel()
	n := deepChainLinks
	r := hostileRepo(t)
	if _, err := r.DeepChain(n); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, r, Limits{})
	var mu sync.Mutex
	seen := make([]bool, n+1)
	got, err := countBlobs(db, 2, func(data []byte) error {
		var k int
		if _, err := fmt.Sscanf(string(data), "link %d\n", &k); err != nil || k < 0 || k > n {
			return fmt.Errorf("link content %q", data)
		}
		mu.Lock()
		seen[k] = true
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != int64(n)+1 {
		t.Errorf("%d blobs, want %d", got, n+1)
	}
	for k, ok := range seen {
		if !ok {
			t.Fatalf("link %d never visited", k)
		}
	}
	// Random access to the deepest link rebuilds the whole chain.
	typ, data, err := db.Get(packtest.MadeUpID(n))
	if err != nil || typ != plumbing.BlobObject || string(data) != fmt.Sprintf("link %d\n", n) {
		t.Errorf("Get(deepest) = %v, %q, %v", typ, data, err)
	}
}

// TestDeltaBombIsRefused: a pack of a few kilobytes whose deltas build
// blobs of 2 GiB each is refused from the first delta's header, before
// anything is allocated, under the default limits.
func TestDeltaBombIsRefused(t *testing.T) {
	t.Parallel()
	r := hostileRepo(t)
	path, err := r.DeltaBomb(2<<30, 8)
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t, r, Limits{})
	_, err = countBlobs(db, 2, nil)
	var le *LimitError
	if !errors.As(err, &le) || le.Knob != "MaxDeltaSize" || le.Size != 2<<30 {
		t.Fatalf("err = %v, want a MaxDeltaSize LimitError for 2 GiB", err)
	}
	if !errors.Is(err, ErrLimit) || !bytes.Contains([]byte(err.Error()), []byte(filepath.Base(path))) {
		t.Errorf("err = %v: not ErrLimit, or names no pack", err)
	}
	if _, _, err := db.Get(packtest.MadeUpID(1)); !errors.Is(err, ErrLimit) {
		t.Errorf("Get = %v, want ErrLimit", err)
	}
}

// TestLimitsAreOverridable: each budget refuses what passes it, with its
// name in the error, and lets through what fits.
func TestLimitsAreOverridable(t *testing.T) {
	t.Parallel()
	r := hostileRepo(t)
	if _, err := r.DeltaBomb(16<<20, 4); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lim  Limits
		knob string // "" when the walk must succeed
	}{
		{Limits{MaxDeltaSize: 8 << 20}, "MaxDeltaSize"},
		// A base and the blob rebuilt from it: 32 MiB at once.
		{Limits{MaxDeltaSize: 16 << 20, MaxMemory: 24 << 20}, "MaxMemory"},
		{Limits{MaxDeltaSize: 16 << 20, MaxMemory: 48 << 20}, ""},
		{Limits{}, ""},
		// Declared sizes of whole objects: the 64 KiB base.
		{Limits{MaxObjectSize: 1 << 10}, "MaxObjectSize"},
	}
	for _, tt := range tests {
		db, err := Open(filepath.Join(r.GitDir, "objects"), Options{Limits: tt.lim})
		if err == nil {
			_, err = countBlobs(db, 2, nil)
			db.Close()
		}
		var le *LimitError
		switch {
		case tt.knob == "" && err != nil:
			t.Errorf("%+v: %v", tt.lim, err)
		case tt.knob != "" && (!errors.As(err, &le) || le.Knob != tt.knob):
			t.Errorf("%+v: err = %v, want a %s LimitError", tt.lim, err, tt.knob)
		}
	}
}

// TestSpecialFilesAreRefused puts a FIFO, a link to /dev/zero or a
// directory where the reader expects a regular file: it fails at once,
// naming the file, never blocks or reads without end.
func TestSpecialFilesAreRefused(t *testing.T) {
	t.Parallel()
	build := func(t *testing.T) (*packtest.Repo, string) {
		r := hostileRepo(t)
		pack, err := r.DeepChain(3)
		if err != nil {
			t.Fatal(err)
		}
		return r, pack
	}
	for _, kind := range []packtest.Special{packtest.FIFO, packtest.DevZero, packtest.Directory} {
		for _, target := range []string{"idx", "pack", "alternates", "loose"} {
			t.Run(kind.String()+" "+target, func(t *testing.T) {
				t.Parallel()
				r, pack := build(t)
				objects := filepath.Join(r.GitDir, "objects")
				var path string
				switch target {
				case "idx":
					path = pack[:len(pack)-len(".pack")] + ".idx"
				case "pack":
					path = pack
				case "alternates":
					path = filepath.Join(objects, "info", "alternates")
				case "loose":
					path = filepath.Join(objects, "ab", "cdef0123456789abcdef0123456789abcdef01")
					if err := mkdirAll(filepath.Dir(path)); err != nil {
						t.Fatal(err)
					}
				}
				if err := packtest.Replace(path, kind); err != nil {
					t.Skip(err)
				}
				done := make(chan error, 1)
				go func() {
					db, err := Open(objects, Options{})
					if err == nil {
						_, err = countBlobs(db, 2, nil)
						db.Close()
					}
					done <- err
				}()
				err := waitFor(t, done)
				if !errors.Is(err, ErrNotRegular) || !bytes.Contains([]byte(err.Error()), []byte(filepath.Base(path))) {
					t.Errorf("err = %v, want ErrNotRegular naming %s", err, filepath.Base(path))
				}
				// The Store (staged and range scans) reads the same files
				// and must refuse them the same way.
				go func() {
					st, err := OpenStore(objects, StoreOptions{})
					if err == nil {
						var id plumbing.Hash
						ParseHash([]byte("abcdef0123456789abcdef0123456789abcdef01"), &id)
						_, _, err = st.Get(id)
						st.Close()
					}
					done <- err
				}()
				err = waitFor(t, done)
				if !errors.Is(err, ErrNotRegular) || !bytes.Contains([]byte(err.Error()), []byte(filepath.Base(path))) {
					t.Errorf("Store: err = %v, want ErrNotRegular naming %s", err, filepath.Base(path))
				}
			})
		}
	}
}
