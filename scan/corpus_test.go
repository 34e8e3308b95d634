package scan_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/corpus"
	"github.com/vastguard/vastguard/scan/scantest"
)

// TestCorpus scans the generated corpus (scan/corpus: leak shapes and
// look-alikes from public code, values made at run time) and prints the
// per-case table; every planted key must be found and no look-alike
// flagged. bench/corpus.sh prints the same table beside gitleaks.
func TestCorpus(t *testing.T) {
	t.Parallel()
	cases := corpus.Cases("test")
	r := scantest.New(t)
	start := time.Now()
	corpus.Build(r, cases)
	t.Logf("built in %v", time.Since(start))
	start = time.Now()
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
	t.Logf("scanned in %v", time.Since(start))
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := scan.WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	m := corpus.Manifest(cases)
	res, err := corpus.VastguardResult(m, &js)
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	corpus.Table(&table, m, []string{"vastguard"}, []corpus.Result{res})
	t.Log("\n" + table.String())
	planted, look := 0, 0
	for _, e := range m {
		if e.Planted {
			planted++
		} else {
			look++
		}
	}
	if planted < 80 || look < 40 {
		t.Errorf("corpus has %d planted shapes and %d look-alikes, want at least 80 and 40", planted, look)
	}
	for _, e := range m {
		switch got := res[e.ID]; {
		case e.Planted && got == "":
			t.Errorf("%s (%s): planted key missed", e.ID, e.Family)
		case !e.Planted && got != "":
			t.Errorf("%s (%s): look-alike flagged by %s", e.ID, e.Family, got)
		}
	}
	// A range over the corpus's commits and an incremental scan, first
	// and again, give the full scan's findings, field by field.
	var root plumbing.Hash
	for h, c := range reach(t, r.Git, r.Head()) {
		if len(c.ParentHashes) == 0 {
			root = h
		}
	}
	ranged, err := scan.Scan(t.Context(), r.Dir, scan.Options{Range: root.String() + "..HEAD"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ranged.Findings) < planted/2 {
		t.Errorf("the corpus as a range: %d findings", len(ranged.Findings))
	}
	if diff := cmp.Diff(rangeReference(t, r, root, r.Head()), sortedFindings(ranged.Findings), cmpopts.IgnoreUnexported(scan.Finding{})); diff != "" {
		t.Errorf("the corpus as a range (-full +range):\n%s", diff)
	}
	cacheDir := t.TempDir()
	sameFindings(t, "the corpus, cache written", rep, cached(t, r.Dir, cacheDir, scan.Options{}))
	again := cached(t, r.Dir, cacheDir, scan.Options{})
	sameFindings(t, "the corpus, cache read", rep, again)
	if again.Stats.Cache != scan.CacheUsed {
		t.Errorf("the second scan's cache: %q", again.Stats.Cache)
	}
	// Nothing the report holds may carry a value of the corpus.
	for _, c := range cases {
		if bytes.Contains(js.Bytes(), []byte(c.Key)) {
			t.Errorf("%s: the JSON report holds the value", c.ID)
		}
	}
}
