package scan_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

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
