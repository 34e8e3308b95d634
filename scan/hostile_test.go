package scan_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/gitobj/packtest"
	"github.com/vastguard/vastguard/scan/scantest"
)

// scanWithin scans dir, failing the test if the scan has not returned
// within a minute: what it guards against is blocking forever, not speed.
func scanWithin(t *testing.T, dir string, opts scan.Options) (*scan.Report, error) {
	t.Helper()
	type result struct {
		rep *scan.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := scan.Scan(t.Context(), dir, opts)
		done <- result{rep, err}
	}()
	select {
	case r := <-done:
		return r.rep, r.err
	case <-time.After(time.Minute):
		t.Fatalf("scan of %s still blocked after a minute", dir)
		return nil, nil
	}
}

// TestSpecialFilesAreRefused puts a FIFO or a link to /dev/zero in place of
// each file git expects to be regular: the scan fails at once with
// ErrNotRegular naming the file, instead of blocking forever (a FIFO) or
// reading without end (/dev/zero).
func TestSpecialFilesAreRefused(t *testing.T) {
	t.Parallel()
	build := func(t *testing.T) *scantest.Repo {
		r := scantest.New(t)
		r.Commit("one", scantest.Files{"a.env": "VAST_API_KEY=" + scantest.Key(1) + "\n"})
		r.Stash("wip", scantest.Files{"b.txt": "b\n"})
		r.Pack()
		r.Commit("two", scantest.Files{"c.txt": "loose\n"})
		r.CheckoutWorktree()
		return r
	}
	// Files relative to the .git directory; "%loose" and "%idx" are found
	// in the repository as built.
	files := []string{"HEAD", "config", "packed-refs", "refs/heads/main", "shallow", "logs/refs/stash", "objects/info/alternates", "%loose", "%idx", "commondir", "../.git"}
	for _, kind := range []packtest.Special{packtest.FIFO, packtest.DevZero} {
		for _, file := range files {
			t.Run(kind.String()+" as "+file, func(t *testing.T) {
				t.Parallel()
				r := build(t)
				gitDir := filepath.Join(r.Dir, ".git")
				scanDir := r.Dir
				var path string
				switch file {
				case "%loose":
					m, _ := filepath.Glob(filepath.Join(gitDir, "objects", "??", "*"))
					path = m[0]
				case "%idx":
					m, _ := filepath.Glob(filepath.Join(gitDir, "objects", "pack", "*.idx"))
					path = m[0]
				case "packed-refs":
					// A real packed-refs file first, so the test is about its kind.
					path = filepath.Join(gitDir, file)
					if err := os.WriteFile(path, []byte("# pack-refs with: peeled\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				case "commondir":
					// A linked work tree's git directory names the common one.
					scanDir = linkedWorkTree(t, r)
					path = filepath.Join(gitDir, "worktrees", "wt", "commondir")
				default:
					path = filepath.Join(gitDir, filepath.FromSlash(file))
				}
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := packtest.Replace(path, kind); err != nil {
					t.Skip(err)
				}
				_, err := scanWithin(t, scanDir, scan.Options{})
				if !errors.Is(err, scan.ErrNotRegular) {
					t.Fatalf("err = %v, want ErrNotRegular", err)
				}
				if !strings.Contains(err.Error(), filepath.Base(path)) {
					t.Errorf("err = %v: does not name %s", err, filepath.Base(path))
				}
			})
		}
	}
}

// linkedWorkTree lays out a linked work tree of r by hand, as git worktree
// add does, and returns its directory.
func linkedWorkTree(t *testing.T, r *scantest.Repo) string {
	t.Helper()
	gd := filepath.Join(r.Dir, ".git", "worktrees", "wt")
	wt := filepath.Join(t.TempDir(), "wt")
	for _, d := range []string{gd, wt} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(gd, "HEAD"):      "ref: refs/heads/main\n",
		filepath.Join(gd, "commondir"): "../..\n",
		filepath.Join(gd, "gitdir"):    filepath.Join(wt, ".git") + "\n",
		filepath.Join(wt, ".git"):      "gitdir: " + gd + "\n",
	}
	for p, body := range files {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := scan.Scan(t.Context(), wt, scan.Options{}); err != nil {
		t.Fatalf("the linked work tree does not scan: %v", err)
	}
	return wt
}

// TestBareLayoutInWorkTree: a bare repository layout inside a work tree (a
// decoy a pull request can commit under the scanned path) is refused, as
// git's safe.bareRepository=explicit refuses it, unless asked for.
func TestBareLayoutInWorkTree(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("leak", scantest.Files{"sub/app.env": "VAST_API_KEY=" + scantest.Key(1) + "\n"})
	r.CheckoutWorktree()
	decoy := scantest.New(t)
	decoy.Commit("clean", scantest.Files{"README": "nothing here\n"})
	copyDir(t, filepath.Join(decoy.Dir, ".git"), filepath.Join(r.Dir, "sub"))
	for _, dir := range []string{filepath.Join(r.Dir, "sub"), filepath.Join(r.Dir, "sub", "refs")} {
		_, err := scan.Scan(t.Context(), dir, scan.Options{})
		if !errors.Is(err, scan.ErrBareInWorkTree) {
			t.Errorf("%s: err = %v, want ErrBareInWorkTree", dir, err)
		} else if !strings.Contains(err.Error(), r.Dir) {
			t.Errorf("%s: err = %v: does not name the work tree", dir, err)
		}
	}
	rep, err := scan.Scan(t.Context(), filepath.Join(r.Dir, "sub"), scan.Options{AllowBareInWorkTree: true})
	if err != nil || len(rep.Findings) != 0 {
		t.Errorf("allowed: %v, %v; want the decoy scanned", rep, err)
	}
	// The work tree itself, and its .git directory, are not bare layouts
	// inside a work tree.
	for _, dir := range []string{r.Dir, filepath.Join(r.Dir, ".git")} {
		rep, err := scan.Scan(t.Context(), dir, scan.Options{})
		if err != nil || len(rep.Findings) != 1 {
			t.Errorf("%s: %v findings, %v; want the key", dir, rep, err)
		}
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWorkerCountIsCapped: an absurd worker count is refused with one clear
// error, instead of allocating per-worker state for each.
func TestWorkerCountIsCapped(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("one", scantest.Files{"a": "a\n"})
	_, err := scan.Scan(t.Context(), r.Dir, scan.Options{Workers: 1_000_000_000})
	if !errors.Is(err, scan.ErrLimit) || !strings.Contains(err.Error(), "1000000000") || !strings.Contains(err.Error(), fmt.Sprint(scan.MaxWorkers)) {
		t.Errorf("err = %v", err)
	}
	if _, err := scan.Scan(t.Context(), r.Dir, scan.Options{Workers: scan.MaxWorkers}); err != nil {
		t.Errorf("MaxWorkers: %v", err)
	}
}

// TestHugeCommitIsNotRead: a commit whose header declares 256 MiB is
// refused from its header; its content (here cut short after 1 MiB, which
// a reader would only find by reading it) is never read.
func TestHugeCommitIsNotRead(t *testing.T) {
	t.Parallel()
	r, err := packtest.Init(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Lying(plumbing.CommitObject, 256<<20, 1<<20); err != nil {
		t.Fatal(err)
	}
	_, err = scan.Scan(t.Context(), r.Dir, scan.Options{})
	if !errors.Is(err, scan.ErrLimit) || !strings.Contains(err.Error(), "256.0 MiB") {
		t.Errorf("err = %v, want ErrLimit naming 256.0 MiB", err)
	}
}

// deepTrees writes a repository whose one commit holds a key at the
// bottom of depth nested directories, written as raw objects (go-git's
// writer is slow at this depth).
func deepTrees(t *testing.T, depth int) string {
	t.Helper()
	r, err := packtest.Init(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	blob := []byte("VAST_API_KEY=" + scantest.Key(1) + "\n")
	tree := func(name string, mode string, h plumbing.Hash) []byte {
		return append([]byte(mode+" "+name+"\x00"), h[:]...)
	}
	var commit plumbing.Hash
	_, err = r.WritePack(depth+2, func(pw *packtest.Writer) error {
		n, err := pw.Add(packtest.Object{Type: plumbing.BlobObject, Data: blob})
		if err != nil {
			return err
		}
		entry := tree("app.env", "100644", pw.ID(n))
		for range depth {
			if n, err = pw.Add(packtest.Object{Type: plumbing.TreeObject, Data: entry}); err != nil {
				return err
			}
			entry = tree("d", "40000", pw.ID(n))
		}
		c := fmt.Sprintf("tree %s\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n\ndeep\n", pw.ID(n))
		if n, err = pw.Add(packtest.Object{Type: plumbing.CommitObject, Data: []byte(c)}); err != nil {
			return err
		}
		commit = pw.ID(n)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetRef("refs/heads/main", commit); err != nil {
		t.Fatal(err)
	}
	return r.Dir
}

// TestTreesNestTooDeep: trees nested deeper than git's core.maxTreeDepth
// (4096) are refused, not recursed into; 4000 deep is scanned.
func TestTreesNestTooDeep(t *testing.T) {
	t.Parallel()
	_, err := scan.Scan(t.Context(), deepTrees(t, 4100), scan.Options{})
	if !errors.Is(err, scan.ErrLimit) || !strings.Contains(err.Error(), "maxTreeDepth") {
		t.Errorf("err = %v, want ErrLimit about tree depth", err)
	}
	rep, err := scan.Scan(t.Context(), deepTrees(t, 4000), scan.Options{})
	if err != nil || len(rep.Findings) != 1 || !strings.HasSuffix(rep.Findings[0].Path, "/d/app.env") {
		t.Errorf("4000 deep: %+v, %v", rep, err)
	}
}
