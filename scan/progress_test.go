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
