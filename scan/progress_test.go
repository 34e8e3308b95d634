package scan_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

// TestProgress: a whole-history scan reports how far it has read: counts
// that only grow, the total known from the packs' headers, and one last
// call with Done once every commit and blob has been read.
func TestProgress(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	for i := range 30 {
		r.Commit(fmt.Sprintf("c%d", i), scantest.Files{fmt.Sprintf("f%d.txt", i): fmt.Sprintf("content %d\n", i)})
	}
	r.Pack()
	var mu sync.Mutex
	var got []scan.Progress
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Workers: 4, Progress: func(p scan.Progress) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, p)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 2 {
		t.Fatalf("%d calls, want at least the first object's and the last", len(got))
	}
	last := got[len(got)-1]
	// 30 commits, 30 blobs; trees are not read.
	if want := int64(60); !last.Done || last.Objects != want || last.TotalObjects != want {
		t.Errorf("last call = %+v, want Done with %d of %d objects", last, want, want)
	}
	if last.Bytes < rep.Stats.Bytes {
		t.Errorf("%d bytes reported, the scan counted %d of blobs alone", last.Bytes, rep.Stats.Bytes)
	}
	for i, p := range got[:len(got)-1] {
		if p.Done || (i > 0 && (p.Objects < got[i-1].Objects || p.Bytes < got[i-1].Bytes)) {
			t.Errorf("call %d = %+v after %+v", i, p, got[max(i-1, 0)])
		}
	}

}

// TestProgressOfPartialScans: a range, a staged and an incremental scan
// report progress too, ending with one call with Done whose count is the
// total it came to know: a range's commits read and blobs scanned, a
// staged scan's blobs, an incremental scan's objects not in its cache.
func TestProgressOfPartialScans(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	for i := range 20 {
		r.Commit(fmt.Sprintf("c%d", i), scantest.Files{fmt.Sprintf("f%d.txt", i): fmt.Sprintf("content %d\n", i)})
	}
	r.CheckoutWorktree()
	r.Stage(scantest.Files{"staged.env": "VAST_API_KEY=" + scantest.Key(1) + "\n", "other.txt": "x\n"})
	cache := t.TempDir()
	if _, err := scan.Scan(t.Context(), r.Dir, scan.Options{Cache: cache, CacheKey: []byte("a progress test key")}); err != nil {
		t.Fatal(err)
	}
	r.Commit("new", scantest.Files{"new.txt": "new\n"})
	for _, tt := range []struct {
		name string
		opts scan.Options
		want int64 // -least: at least that many, as many as the total
	}{
		{"range", scan.Options{Range: "HEAD~3..HEAD"}, -6},                                       // at least its 3 commits and 3 blobs, and the walk's commits below them
		{"staged", scan.Options{Staged: true}, 2},                                                // staged.env and other.txt
		{"incremental", scan.Options{Cache: cache, CacheKey: []byte("a progress test key")}, -3}, // at least the new commit, its tree and blob
	} {
		var mu sync.Mutex
		var got []scan.Progress
		tt.opts.Progress = func(p scan.Progress) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, p)
		}
		if _, err := scan.Scan(t.Context(), r.Dir, tt.opts); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(got) == 0 {
			t.Errorf("%s: no progress", tt.name)
			continue
		}
		last := got[len(got)-1]
		want := tt.want
		if want < 0 {
			want = max(last.TotalObjects, -want)
		}
		if !last.Done || last.Objects != want || last.TotalObjects != want {
			t.Errorf("%s: last call %+v, want Done with %d of %d objects", tt.name, last, want, want)
		}
		for i, p := range got[:len(got)-1] {
			if p.Done {
				t.Errorf("%s: call %d of %d is Done", tt.name, i, len(got))
			}
		}
	}
}
