package scan

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/scan/scantest"
)

// TestParallelAttributionIsTheWalks: a history attributed in parallel runs
// (the thresholds lowered, so that it is short enough to build quickly)
// gives the findings of one walk, oldest first, whatever the number of
// workers: keys that are copied, moved with their directory, deleted and
// brought back, kept on a merged branch, and in a tree a tag names.
func TestParallelAttributionIsTheWalks(t *testing.T) {
	defer func(p, r int) { minParallelCommits, minRunCommits = p, r }(minParallelCommits, minRunCommits)
	minParallelCommits, minRunCommits = 16, 4
	r := scantest.New(t)
	env := func(k int) string { return "VAST_API_KEY=" + scantest.Key(k) + "\n" }
	for i := range 130 {
		files := scantest.Files{fmt.Sprintf("src/f%d.go", i%12): fmt.Sprintf("package f\n\n// edit %d\n", i)}
		switch i {
		case 3:
			files["deploy/a.env"] = env(1)
		case 30:
			files["deploy/b.env"] = env(1) // copied
			files["cfg/deep/x/vast.env"] = env(2)
		case 50:
			files["deploy/a.env"] = scantest.Delete
		case 70: // the directory moves, unchanged
			files["cfg/deep/x/vast.env"] = scantest.Delete
			files["config/deep/x/vast.env"] = env(2)
		case 90:
			r.Branch("side")
			r.Commit("side 1", scantest.Files{"side/.env": env(3)})
			r.Commit("side 2", scantest.Files{"side/other.go": "package side\n"})
			r.Checkout("main")
			r.Merge("side", "merge side", nil)
		case 100:
			files["deploy/a.env"] = env(1) // back again
		case 115:
			files["deploy/b.env"] = scantest.Delete
		}
		r.Commit(fmt.Sprintf("commit %d", i), files)
	}
	r.TagTree("keys-tree", scantest.Files{"vault/vast.env": env(4)})
	r.Pack()
	var want []Finding
	for _, workers := range []int{1, 2, 3} {
		rep, err := Scan(t.Context(), r.Dir, Options{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if workers == 1 {
			want = rep.Findings
			if len(want) < 6 {
				t.Fatalf("%d findings, want at least 6: %v", len(want), want)
			}
			continue
		}
		if diff := cmp.Diff(want, rep.Findings, cmp.AllowUnexported(Finding{})); diff != "" {
			t.Errorf("%d workers: findings differ from one worker's (-1 +%d):\n%s", workers, workers, diff)
		}
	}
	paths := map[string]string{}
	for _, f := range want {
		paths[f.Path] = f.Commit
	}
	for _, p := range []string{"deploy/a.env", "deploy/b.env", "cfg/deep/x/vast.env", "config/deep/x/vast.env", "side/.env", "vault/vast.env"} {
		if _, ok := paths[p]; !ok {
			t.Errorf("no finding at %s", p)
		}
	}
}
