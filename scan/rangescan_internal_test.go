package scan

import (
	"fmt"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/vastguard/vastguard/scan/scantest"
)

// TestRangeWalkReadsOnlyTheRange checks that finding a range's commits
// reads the range and a few commits below it, not the base's history.
func TestRangeWalkReadsOnlyTheRange(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	var made []plumbing.Hash
	for i := range 150 {
		made = append(made, r.Commit(fmt.Sprintf("c%d", i), scantest.Files{fmt.Sprintf("f%d.txt", i%7): fmt.Sprintf("%d\n", i)}))
	}
	r.Branch("pr")
	for i := range 10 {
		made = append(made, r.Commit(fmt.Sprintf("pr%d", i), scantest.Files{"pr.txt": fmt.Sprintf("%d\n", i)}))
	}
	r.Checkout("main")
	for i := range 3 {
		r.Commit(fmt.Sprintf("main%d", i), scantest.Files{"main.txt": fmt.Sprintf("%d\n", i)})
	}
	r.Pack()
	repo, err := openRepo(r.Dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &scanner{repo: repo}
	defer s.close()
	st, err := s.store()
	if err != nil {
		t.Fatal(err)
	}
	main, _ := repo.readRef("refs/heads/main")
	pr, _ := repo.readRef("refs/heads/pr")
	w := newRangeWalk(t.Context(), st, Detectors, &Stats{})
	in, boundary, err := w.limit(main, pr)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 10 || len(boundary) != 1 || !boundary[made[149]] {
		t.Errorf("%d commits in the range, boundary %v", len(in), boundary)
	}
	if len(w.commits) > 10+3+walkSlop+3 {
		t.Errorf("read %d commits for a 10-commit range over 150", len(w.commits))
	}
}
