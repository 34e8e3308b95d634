package scan_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

// TestRangeRevisionsGoGitWouldMisread: revision forms go-git's
// ResolveRevision parses but skips (a reflog entry, an upstream, a path,
// ^{tree}) answered with the ref they start from, so HEAD@{1}..HEAD was
// HEAD..HEAD: an empty range, exit 0, while git lists the commits (and the
// key) the last move of HEAD brought. They must be a clear error; the forms
// read must still be read as git reads them.
func TestRangeRevisionsGoGitWouldMisread(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	k := scantest.Key
	dir := t.TempDir()
	gitIn(t, dir, "init", "-q", "-b", "main")
	writeFile(t, dir, "a.txt", "one\n")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "one")
	gitIn(t, dir, "tag", "-a", "-m", "first", "v1")
	writeFile(t, dir, "b.env", "VAST_API_KEY="+k(1)+"\n")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "fix: the key")
	// The reflog now holds HEAD@{1} (one) and HEAD@{0} (the key).
	tests := []struct {
		rng     string
		want    []string
		badForm bool // refused as a form vastguard does not resolve
	}{
		{"HEAD@{1}..HEAD", nil, true},
		{"main@{1}..main", nil, true},
		{"v1..HEAD@{0}", nil, true},
		{"@{u}..HEAD", nil, true},
		{"@{-1}..HEAD", nil, true},
		{"main^{tree}..main", nil, true},
		{"v1..main:b.env", nil, true},
		{"HEAD^!..HEAD", nil, true},
		// Read as git reads them.
		{"v1..main", []string{"file:b.env"}, false},
		{"v1^{}..main", []string{"file:b.env"}, false},
		{"HEAD^{/one}..HEAD", []string{"file:b.env"}, false},
		{"HEAD^{/fix: the}~1..HEAD", []string{"file:b.env"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.rng, func(t *testing.T) {
			rep, err := scan.Scan(t.Context(), dir, scan.Options{Range: tt.rng})
			if tt.badForm {
				if !errors.Is(err, scan.ErrBadRange) || !strings.Contains(err.Error(), "does not resolve") {
					t.Fatalf("range %s: got %v, %v; want an error saying the form is not resolved", tt.rng, rep, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, paths(rep)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestStagedSplitIndexAsGitWritesIt: a split index whose entries replace
// the shared index's (a file already in it staged again, as every edit
// after `git update-index --split-index` is) has entries with no name
// before its "link" extension; the scan must say the index is split, not
// that it is corrupt at an "invalid path".
func TestStagedSplitIndexAsGitWritesIt(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	gitIn(t, dir, "init", "-q", "-b", "main")
	writeFile(t, dir, "a.env", "one\n")
	writeFile(t, dir, "b.txt", "two\n")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "one")
	gitIn(t, dir, "update-index", "--split-index")
	writeFile(t, dir, "a.env", "VAST_API_KEY="+scantest.Key(2)+"\n")
	gitIn(t, dir, "add", "a.env")
	_, err := scan.Scan(t.Context(), dir, scan.Options{Staged: true})
	if err == nil || !strings.Contains(err.Error(), "the index is split (core.splitIndex)") {
		t.Fatalf("got %v; want the split index named", err)
	}
}

// TestDeletedTagMessage: `git tag -d` leaves the annotated tag's object
// (and its message) in the clone until gc prunes it, as a reset leaves a
// commit's. A full scan reported the unreachable commit's message key but
// not the deleted tag's; the incremental scan must agree with it, before
// and after the tag is deleted.
func TestDeletedTagMessage(t *testing.T) {
	t.Parallel()
	k := scantest.Key
	r := scantest.New(t)
	c := r.Commit("one", scantest.Files{"a.txt": "one\n"})
	r.Tag("v1", c, "release\n\nVAST_API_KEY="+k(1)+"\n")
	cache := t.TempDir()
	kinds := func(rep *scan.Report) []string {
		var out []string
		for _, f := range rep.Findings {
			out = append(out, f.Source+" "+f.Tag+" "+f.Ref+" "+f.Redacted)
		}
		return out
	}
	tagged := []string{scan.SourceTagMessage + " v1 refs/tags/v1 ..." + k(1)[60:]}
	if diff := cmp.Diff(tagged, kinds(full(t, r.Dir, scan.Options{}))); diff != "" {
		t.Fatalf("tagged (-want +got):\n%s", diff)
	}
	sameFindings(t, "tagged", full(t, r.Dir, scan.Options{}), cached(t, r.Dir, cache, scan.Options{}))
	if err := r.Git.Storer.RemoveReference(plumbing.NewTagReferenceName("v1")); err != nil {
		t.Fatal(err)
	}
	want := full(t, r.Dir, scan.Options{})
	if diff := cmp.Diff([]string{scan.SourceTagMessage + " v1  ..." + k(1)[60:]}, kinds(want)); diff != "" {
		t.Fatalf("deleted (-want +got):\n%s", diff)
	}
	if want.Stats.Unreachable != 1 {
		t.Errorf("deleted: %d unreachable, want 1", want.Stats.Unreachable)
	}
	sameFindings(t, "deleted", want, cached(t, r.Dir, cache, scan.Options{}))
	sameFindings(t, "deleted, again", want, cached(t, r.Dir, cache, scan.Options{}))
}
