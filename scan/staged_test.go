package scan_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
}

// gitIn runs git in dir with a fixed identity and clock, and returns its
// output.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null",
		"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.com", "GIT_AUTHOR_DATE=2025-01-02T03:04:05Z",
		"GIT_COMMITTER_NAME=Ada Lovelace", "GIT_COMMITTER_EMAIL=ada@example.com", "GIT_COMMITTER_DATE=2025-01-02T03:04:05Z")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func writeFile(t *testing.T, dir, path, content string) {
	t.Helper()
	full := filepath.Join(dir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// stagedRepo is a work tree whose HEAD holds keys and clean files in
// nested directories.
func stagedRepo(t *testing.T) *scantest.Repo {
	t.Helper()
	k := scantest.Key
	r := scantest.New(t)
	r.Commit("one", scantest.Files{
		"README.md":            "vast jobs\n",
		"old.env":              "VAST_API_KEY=" + k(1) + "\n",
		"a/b/c/deep.txt":       "deep\n",
		"a/b/sibling.txt":      "sibling\n",
		"other/x/y.txt":        "y\n",
		"other/x/z/config.env": "VAST_API_KEY=" + k(2) + "\n",
		"tools/run.sh":         "\x00exec\x00#!/bin/sh\n",
	})
	r.CheckoutWorktree()
	return r
}

// uncommitted is a report's findings without their commit, author, date,
// ref and source, sorted.
func uncommitted(rep *scan.Report) []scan.Finding {
	out := sortedFindings(rep.Findings)
	for i := range out {
		out[i].Commit, out[i].Author, out[i].Date, out[i].Source = "", "", time.Time{}, ""
	}
	return out
}

func keyLines(rep *scan.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.Path+" "+f.Rule+" "+f.KeySHA256[:12]+" "+strconv.Itoa(f.Line)+":"+strconv.Itoa(f.Column))
	}
	sort.Strings(out)
	return out
}

func TestStagedChanges(t *testing.T) {
	t.Parallel()
	needGit(t)
	k := scantest.Key
	tests := []struct {
		name  string
		stage func(t *testing.T, dir string)
		want  []string // staged findings' paths
		trees int      // HEAD trees read (-1: not checked)
	}{
		{"nothing staged", func(t *testing.T, dir string) {}, nil, 0},
		{"a new file at the top", func(t *testing.T, dir string) {
			writeFile(t, dir, "new.env", "VAST_API_KEY="+k(3)+"\n")
			gitIn(t, dir, "add", "new.env")
		}, []string{"staged:new.env"}, 1},
		{"an edit deep down reads only the trees on its path", func(t *testing.T, dir string) {
			writeFile(t, dir, "a/b/c/deep.txt", "deep\nVAST_API_KEY="+k(4)+"\n")
			gitIn(t, dir, "add", "a/b/c/deep.txt")
		}, []string{"staged:a/b/c/deep.txt"}, 4},
		{"a new directory", func(t *testing.T, dir string) {
			writeFile(t, dir, "fresh/dir/k.env", "VAST_API_KEY="+k(5)+"\n")
			gitIn(t, dir, "add", "fresh")
		}, []string{"staged:fresh/dir/k.env"}, 1},
		{"a deletion scans nothing", func(t *testing.T, dir string) {
			gitIn(t, dir, "rm", "-q", "old.env")
		}, nil, 1},
		{"a mode change alone scans nothing", func(t *testing.T, dir string) {
			gitIn(t, dir, "update-index", "--chmod=+x", "old.env")
		}, nil, 1},
		{"a key already in HEAD, copied to a new path", func(t *testing.T, dir string) {
			writeFile(t, dir, "copy.env", "VAST_API_KEY="+k(1)+"\n")
			gitIn(t, dir, "add", "copy.env")
		}, []string{"staged:copy.env"}, 1},
		{"a file that replaces a directory", func(t *testing.T, dir string) {
			gitIn(t, dir, "rm", "-rq", "other/x")
			writeFile(t, dir, "other/x", "VAST_API_KEY="+k(6)+"\n")
			gitIn(t, dir, "add", "other/x")
		}, []string{"staged:other/x"}, 2},
		{"a directory that replaces a file", func(t *testing.T, dir string) {
			gitIn(t, dir, "rm", "-q", "README.md")
			writeFile(t, dir, "README.md/inner.env", "VAST_API_KEY="+k(7)+"\n")
			gitIn(t, dir, "add", "README.md")
		}, []string{"staged:README.md/inner.env"}, 1},
		{"intent to add is not staged content", func(t *testing.T, dir string) {
			writeFile(t, dir, "later.env", "VAST_API_KEY="+k(8)+"\n")
			gitIn(t, dir, "add", "-N", "later.env")
		}, nil, -1},
		{"a submodule is not scanned", func(t *testing.T, dir string) {
			gitIn(t, dir, "update-index", "--add", "--cacheinfo", "160000,"+strings.Repeat("ab", 20)+",vendor/sub")
		}, nil, 1},
		{"index version 4", func(t *testing.T, dir string) {
			writeFile(t, dir, "a/b/v4.env", "VAST_API_KEY="+k(9)+"\n")
			gitIn(t, dir, "add", "a/b/v4.env")
			gitIn(t, dir, "update-index", "--index-version", "4")
		}, []string{"staged:a/b/v4.env"}, 3},
		{"index.skipHash leaves a zero checksum", func(t *testing.T, dir string) {
			gitIn(t, dir, "config", "index.skipHash", "true")
			writeFile(t, dir, "skip.env", "VAST_API_KEY="+k(10)+"\n")
			gitIn(t, dir, "add", "skip.env")
		}, []string{"staged:skip.env"}, 1},
		{"a symlink's target is its content", func(t *testing.T, dir string) {
			os.Symlink("VAST_API_KEY="+k(11), filepath.Join(dir, "link"))
			gitIn(t, dir, "add", "link")
		}, []string{"staged:link"}, 1},
		{"a generic key that code staged beside it reads", func(t *testing.T, dir string) {
			writeFile(t, dir, "app/config.json", `{"api_key": "`+k(12)+`"}`+"\n")
			writeFile(t, dir, "app/run.py", "from vastai import VastAI\nclient = VastAI(open(\"config.json\").read())\n")
			gitIn(t, dir, "add", "app")
		}, []string{"staged:app/config.json"}, 1},
		{"a generic key that code in HEAD beside it reads", func(t *testing.T, dir string) {
			writeFile(t, dir, "tools/config.json", `{"api_key": "`+k(13)+`"}`+"\n")
			writeFile(t, dir, "tools/vast.py", "import vastai\nkey = open('config.json').read()\n")
			gitIn(t, dir, "add", "tools/vast.py")
			gitIn(t, dir, "commit", "-q", "--no-verify", "-m", "reader")
			gitIn(t, dir, "add", "tools/config.json")
		}, []string{"staged:tools/config.json"}, 2},
		{"a generic key no Vast code reads", func(t *testing.T, dir string) {
			writeFile(t, dir, "svc/config.json", `{"api_key": "`+k(14)+`"}`+"\n")
			writeFile(t, dir, "svc/run.py", "print(open('config.json').read())\n")
			gitIn(t, dir, "add", "svc")
		}, nil, 1},
		{"a generic key at a path named for Vast", func(t *testing.T, dir string) {
			writeFile(t, dir, "vast/settings.yaml", "api_key: "+k(15)+"\n")
			gitIn(t, dir, "add", "vast")
		}, []string{"staged:vast/settings.yaml"}, 1},
		{"a key in a binary blob's printable text", func(t *testing.T, dir string) {
			writeFile(t, dir, "data/blob.bin", "\x00\x01bin\x00VAST_API_KEY="+k(16)+"\x00")
			gitIn(t, dir, "add", "data")
		}, []string{"staged:data/blob.bin"}, 1},
		{"a bare key file", func(t *testing.T, dir string) {
			writeFile(t, dir, ".vast_api_key", k(17)+"\n")
			gitIn(t, dir, "add", ".vast_api_key")
		}, []string{"staged:.vast_api_key"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := stagedRepo(t)
			tt.stage(t, r.Dir)
			rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, paths(rep)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if tt.trees >= 0 && rep.Stats.Trees != tt.trees {
				t.Errorf("read %d trees, want %d", rep.Stats.Trees, tt.trees)
			}
			// The same content, committed, is what a range over that
			// commit finds (the full scan restricted to its objects),
			// except that a staged scan compares paths, as git diff
			// --cached does: a blob HEAD holds at another path is new
			// here, while a range knows it from the base.
			if strings.Contains(tt.name, "intent") || strings.Contains(tt.name, "submodule") || strings.Contains(tt.name, "copied") {
				return
			}
			gitIn(t, r.Dir, "commit", "-q", "--allow-empty", "--no-verify", "-m", "staged")
			ranged, err := scan.Scan(t.Context(), r.Dir, scan.Options{Range: "HEAD~1..HEAD"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(keyLines(ranged), keyLines(rep)); diff != "" {
				t.Errorf("staged findings differ from the committed range's (-range +staged):\n%s", diff)
			}
			// Field by field, rule and why included, but for what only a
			// commit has.
			if diff := cmp.Diff(uncommitted(ranged), uncommitted(rep), cmpopts.IgnoreUnexported(scan.Finding{})); diff != "" {
				t.Errorf("staged findings differ from the committed range's (-range +staged):\n%s", diff)
			}
		})
	}
}

func TestStagedConflict(t *testing.T) {
	t.Parallel()
	needGit(t)
	k := scantest.Key
	r := scantest.New(t)
	r.Commit("base", scantest.Files{"conf.env": "x\n", "other.txt": "o\n"})
	r.Branch("side")
	r.Commit("side", scantest.Files{"conf.env": "VAST_API_KEY=" + k(1) + "\n"})
	r.Checkout("main")
	r.Commit("main", scantest.Files{"conf.env": "VAST_API_KEY=" + k(2) + "\n"})
	r.CheckoutWorktree()
	cmd := exec.Command("git", "merge", "-q", "side")
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@b", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@b")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("the merge did not conflict: %s", out)
	}
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true})
	if err != nil {
		t.Fatal(err)
	}
	// Stage 3 (theirs) holds a key HEAD does not; stage 2 is HEAD's.
	got := map[string]bool{}
	for _, f := range rep.Findings {
		got[f.Secret()] = true
	}
	if !got[k(1)] || got[k(2)] {
		t.Errorf("conflict stages: found %v, want theirs only", rep.Findings)
	}
}

// TestStagedReadsNoHeadBlob removes every blob of HEAD's tree from the
// clone: a staged scan still works, as in a blobless partial clone.
func TestStagedReadsNoHeadBlob(t *testing.T) {
	t.Parallel()
	r := stagedRepo(t)
	r.Stage(scantest.Files{"a/b/c/new.env": "VAST_API_KEY=" + scantest.Key(3) + "\n"})
	c, err := r.Git.CommitObject(r.Head())
	if err != nil {
		t.Fatal(err)
	}
	tree, _ := c.Tree()
	removed := 0
	tree.Files().ForEach(func(f *object.File) error {
		h := f.Hash.String()
		if os.Remove(filepath.Join(r.Dir, ".git", "objects", h[:2], h[2:])) == nil {
			removed++
		}
		return nil
	})
	if removed == 0 {
		t.Fatal("no blob removed")
	}
	r.SetConfig("extensions", "partialclone", "origin")
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"staged:a/b/c/new.env"}, paths(rep)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestStagedBloblessClone(t *testing.T) {
	t.Parallel()
	needGit(t)
	origin := stagedRepo(t)
	gitIn(t, origin.Dir, "config", "uploadpack.allowFilter", "true")
	clone := filepath.Join(t.TempDir(), "clone")
	gitIn(t, "", "clone", "-q", "--no-checkout", "--filter=blob:none", "file://"+origin.Dir, clone)
	gitIn(t, clone, "read-tree", "HEAD") // the index, without fetching a blob
	writeFile(t, clone, "other/x/new.env", "VAST_API_KEY="+scantest.Key(4)+"\n")
	gitIn(t, clone, "add", "other/x/new.env")
	rep, err := scan.Scan(t.Context(), clone, scan.Options{Staged: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"staged:other/x/new.env"}, paths(rep)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestStagedSparseIndex(t *testing.T) {
	t.Parallel()
	needGit(t)
	r := stagedRepo(t)
	gitIn(t, r.Dir, "config", "core.repositoryformatversion", "1") // go-git leaves it unset
	gitIn(t, r.Dir, "sparse-checkout", "init", "--cone", "--sparse-index")
	gitIn(t, r.Dir, "sparse-checkout", "set", "a")
	idx, _ := os.ReadFile(filepath.Join(r.Dir, ".git", "index"))
	if !strings.Contains(string(idx), "sdir") {
		t.Skip("this git does not write sparse indexes")
	}
	writeFile(t, r.Dir, "a/b/new.env", "VAST_API_KEY="+scantest.Key(5)+"\n")
	gitIn(t, r.Dir, "add", "a/b/new.env")
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"staged:a/b/new.env"}, paths(rep)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestStagedSparseDirectoryChanged stages, as a sparse index's directory
// entry, a tree that differs from HEAD's: its new blobs are scanned.
func TestStagedSparseDirectoryChanged(t *testing.T) {
	t.Parallel()
	k := scantest.Key
	r := scantest.New(t)
	old := r.Commit("old", scantest.Files{"top.txt": "t\n", "other/k.env": "VAST_API_KEY=" + k(1) + "\n", "other/same.txt": "s\n"})
	r.Commit("head", scantest.Files{"other/k.env": scantest.Delete, "other/new.txt": "n\n"})
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
	os.WriteFile(path, idx, 0o644)
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true, IndexFile: path})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"staged:other/k.env"}, paths(rep)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if rep.Stats.Blobs != 1 {
		t.Errorf("scanned %d blobs, want 1 (other/same.txt is HEAD's)", rep.Stats.Blobs)
	}
}

// TestStagedIndexFile reads the temporary index git hands a pre-commit
// hook in GIT_INDEX_FILE (git commit PATH, git commit -a).
func TestStagedIndexFile(t *testing.T) {
	t.Parallel()
	needGit(t)
	r := stagedRepo(t)
	tmp := filepath.Join(t.TempDir(), "next-index")
	cmd := exec.Command("git", "read-tree", "HEAD")
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(), "GIT_INDEX_FILE="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	writeFile(t, r.Dir, "partial.env", "VAST_API_KEY="+scantest.Key(6)+"\n")
	cmd = exec.Command("git", "add", "partial.env")
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(), "GIT_INDEX_FILE="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true})
	if err != nil || len(rep.Findings) != 0 {
		t.Fatalf("the real index has nothing staged: %v %v", err, rep)
	}
	rep, err = scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true, IndexFile: tmp})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"staged:partial.env"}, paths(rep)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestStagedHostileIndex(t *testing.T) {
	t.Parallel()
	r := stagedRepo(t)
	r.Stage(scantest.Files{"new.env": "VAST_API_KEY=" + scantest.Key(3) + "\n"})
	good, err := os.ReadFile(filepath.Join(r.Dir, ".git", "index"))
	if err != nil {
		t.Fatal(err)
	}
	// A valid index of two entries, written by hand, with its checksum.
	tests := []struct {
		name     string
		make     func(t *testing.T, path string)
		contains string
	}{
		{"truncated", func(t *testing.T, p string) { os.WriteFile(p, good[:len(good)/2], 0o644) }, "corrupt index"},
		{"bad checksum", func(t *testing.T, p string) {
			b := append([]byte(nil), good...)
			b[len(b)-1] ^= 1
			os.WriteFile(p, b, 0o644)
		}, "checksum"},
		{"entry count past the file", func(t *testing.T, p string) {
			os.WriteFile(p, indexFile(2, 1<<30, nil), 0o644)
		}, "cannot fit"},
		{"entries out of order", func(t *testing.T, p string) {
			os.WriteFile(p, indexFile(2, 2, [][]byte{indexEntry("b.env", 0), indexEntry("a.env", 0)}), 0o644)
		}, "out of order"},
		{"a path listed twice", func(t *testing.T, p string) {
			os.WriteFile(p, indexFile(2, 2, [][]byte{indexEntry("a.env", 0), indexEntry("a.env", 0)}), 0o644)
		}, "out of order"},
		{"a path that climbs out", func(t *testing.T, p string) {
			os.WriteFile(p, indexFile(2, 1, [][]byte{indexEntry("../x", 0)}), 0o644)
		}, "invalid path"},
		{"a path into .git", func(t *testing.T, p string) {
			os.WriteFile(p, indexFile(2, 1, [][]byte{indexEntry("a/.GIT/hooks", 0)}), 0o644)
		}, "invalid path"},
		{"an unknown required extension", func(t *testing.T, p string) {
			os.WriteFile(p, indexFile(2, 1, [][]byte{indexEntry("a.env", 0), []byte("zzzz\x00\x00\x00\x00")}), 0o644)
		}, "unknown required extension"},
		{"a split index", func(t *testing.T, p string) {
			os.WriteFile(p, indexFile(2, 1, [][]byte{indexEntry("a.env", 0), append([]byte("link\x00\x00\x00\x14"), make([]byte, 20)...)}), 0o644)
		}, "split"},
		{"version 5", func(t *testing.T, p string) { os.WriteFile(p, indexFile(5, 0, nil), 0o644) }, "version 5"},
		{"a symbolic link", func(t *testing.T, p string) {
			target := filepath.Join(t.TempDir(), "elsewhere")
			os.WriteFile(target, good, 0o644)
			os.Symlink(target, p)
		}, "symbolic link"},
		{"a FIFO", func(t *testing.T, p string) {
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skip(err)
			}
		}, "not a regular file"},
		{"a directory", func(t *testing.T, p string) { os.Mkdir(p, 0o755) }, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "index")
			tt.make(t, path)
			done := make(chan error, 1)
			go func() {
				_, err := scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true, IndexFile: path})
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tt.contains) || strings.Contains(err.Error(), "\n") {
					t.Errorf("err = %v, want one line containing %q", err, tt.contains)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the scan blocked on the index")
			}
		})
	}
}

// indexEntry is a version 2 index entry for path, padded as git pads it.
func indexEntry(path string, stage int) []byte {
	return indexEntryOf(path, 0o100644, plumbing.ComputeHash(plumbing.BlobObject, []byte("x")), stage)
}

func indexEntryOf(path string, mode uint32, h plumbing.Hash, stage int) []byte {
	e := make([]byte, 62)
	be32(e[24:], mode)
	copy(e[40:60], h[:])
	flags := uint16(len(path)) | uint16(stage)<<12
	e[60], e[61] = byte(flags>>8), byte(flags)
	e = append(e, path...)
	for pad := 8 - (62+len(path))%8; pad > 0; pad-- {
		e = append(e, 0)
	}
	return e
}

func be32(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v) }

// indexFile assembles an index: header, the given parts, a zero checksum
// (as index.skipHash writes).
func indexFile(version, count uint32, parts [][]byte) []byte {
	b := []byte("DIRC")
	var v [8]byte
	be32(v[:], version)
	be32(v[4:], count)
	b = append(b, v[:]...)
	for _, p := range parts {
		b = append(b, p...)
	}
	return append(b, make([]byte, 20)...)
}

// TestLargeBlobsAreStreamedEverywhere: a 40 MiB blob with keys is found by
// a staged scan (loose object), a range (packed) and an incremental scan,
// at the lines a full scan gives.
func TestLargeBlobsAreStreamedEverywhere(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	line := strings.Repeat("y", 99) + "\n"
	for b.Len() < 40<<20 {
		b.WriteString(line)
	}
	text := b.String()
	k1, k2 := scantest.Key(1), scantest.Key(2)
	cut := 4<<20 - 30
	text = text[:cut] + "VAST_API_KEY=" + k1 + "\n" + text[cut:] + "VAST_API_KEY=" + k2 + "\n"
	wantLine := func(k string) int { return strings.Count(text[:strings.Index(text, k)], "\n") + 1 }
	want := map[string]int{k1: wantLine(k1), k2: wantLine(k2)}
	lines := func(rep *scan.Report) map[string]int {
		got := map[string]int{}
		for _, f := range rep.Findings {
			got[f.Secret()] = f.Line
		}
		return got
	}
	r := scantest.New(t)
	r.Commit("one", scantest.Files{"small.txt": "s\n"})
	r.CheckoutWorktree()
	r.Stage(scantest.Files{"big.txt": text})
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, lines(rep)); diff != "" {
		t.Errorf("staged (-want +got):\n%s", diff)
	}
	r.Commit("big", scantest.Files{"big.txt": text})
	r.Pack()
	rep, err = scan.Scan(t.Context(), r.Dir, scan.Options{Range: "HEAD~1..HEAD"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, lines(rep)); diff != "" {
		t.Errorf("range (-want +got):\n%s", diff)
	}
	cache := t.TempDir()
	for i := range 2 {
		rep, err = scan.Scan(t.Context(), r.Dir, scan.Options{Cache: cache, CacheKey: []byte("sixteen bytes or more")})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, lines(rep)); diff != "" {
			t.Errorf("incremental, run %d (-want +got):\n%s", i, diff)
		}
	}
}
