package scan_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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

// TestGitlinkWithABlobsID: a gitlink names a commit in another repository,
// and git writes whatever id it is given into one (git update-index
// --cacheinfo 160000,ID,PATH), so a pull request can put the id of a blob
// with a key in a gitlink, then turn the gitlink into a file holding that
// blob. No commit's gitlink is scanned, and the range and staged scans
// took the parent's (HEAD's) gitlink for the blob itself, so the key was
// never read; git fsck passes the history, and a full scan reports it.
func TestGitlinkWithABlobsID(t *testing.T) {
	t.Parallel()
	content := "VAST_API_KEY=" + scantest.Key(3) + "\n"
	id := plumbing.ComputeHash(plumbing.BlobObject, []byte(content))
	t.Run("range", func(t *testing.T) {
		t.Parallel()
		r := scantest.New(t)
		r.Commit("base", scantest.Files{"README": "hi\n"})
		base := r.Head()
		r.Commit("a submodule", scantest.Files{"a.env": scantest.Gitlink(id)})
		r.Commit("a file", scantest.Files{"a.env": content})
		for _, rng := range []string{base.String() + "..HEAD", "HEAD~1..HEAD"} {
			rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Range: rng})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"file:a.env"}, paths(rep)); diff != "" {
				t.Errorf("range %s (-want +got):\n%s", rng, diff)
			}
		}
		if diff := cmp.Diff([]string{"file:a.env"}, paths(full(t, r.Dir, scan.Options{}))); diff != "" {
			t.Errorf("full scan (-want +got):\n%s", diff)
		}
	})
	t.Run("staged", func(t *testing.T) {
		t.Parallel()
		r := scantest.New(t)
		r.Commit("the blob, written as git add writes it", scantest.Files{"README": "hi\n", "a.env": content})
		r.Commit("a submodule", scantest.Files{"a.env": scantest.Gitlink(id)})
		readme := plumbing.ComputeHash(plumbing.BlobObject, []byte("hi\n"))
		// The index git update-index --cacheinfo 100644,ID,a.env writes.
		idx := indexFile(2, 2, [][]byte{indexEntryOf("README", 0o100644, readme, 0), indexEntryOf("a.env", 0o100644, id, 0)})
		path := filepath.Join(t.TempDir(), "index")
		if err := os.WriteFile(path, idx, 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true, IndexFile: path})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"staged:a.env"}, paths(rep)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("staged sparse directory", func(t *testing.T) {
		t.Parallel()
		r := scantest.New(t)
		old := r.Commit("old", scantest.Files{"top.txt": "t\n", "other/k.env": content})
		r.Commit("head", scantest.Files{"other/k.env": scantest.Gitlink(id)})
		r.CheckoutWorktree()
		c, _ := r.Git.CommitObject(old)
		tree, _ := c.Tree()
		sub, err := tree.FindEntry("other")
		if err != nil {
			t.Fatal(err)
		}
		top, _ := tree.FindEntry("top.txt")
		idx := indexFile(3, 2, [][]byte{indexEntryOf("other/", 0o040000, sub.Hash, 0), indexEntryOf("top.txt", 0o100644, top.Hash, 0), []byte("sdir\x00\x00\x00\x00")})
		path := filepath.Join(t.TempDir(), "index")
		if err := os.WriteFile(path, idx, 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true, IndexFile: path})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"staged:other/k.env"}, paths(rep)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}
