package scan_test

import (
	"bytes"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

var cacheKey = []byte("a test cache key, 32 bytes long!")

// sameFindings fails unless a and b report the same findings, in the same
// order, field by field.
func sameFindings(t *testing.T, what string, want, got *scan.Report) {
	t.Helper()
	if diff := cmp.Diff(want.Findings, got.Findings, cmpopts.IgnoreUnexported(scan.Finding{})); diff != "" {
		t.Fatalf("%s: findings differ from a full scan's (-full +cached):\n%s", what, diff)
	}
	for i := range want.Findings {
		if want.Findings[i].Secret() != got.Findings[i].Secret() {
			t.Fatalf("%s: finding %d carries another key", what, i)
		}
	}
}

func cached(t *testing.T, dir, cache string, opts scan.Options) *scan.Report {
	t.Helper()
	opts.Cache, opts.CacheKey = cache, cacheKey
	rep, err := scan.Scan(t.Context(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func full(t *testing.T, dir string, opts scan.Options) *scan.Report {
	t.Helper()
	rep, err := scan.Scan(t.Context(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestCacheMatchesFullScan grows random histories in rounds, rescanning
// through the cache after each, and checks each result against a full scan
// of the same clone.
func TestCacheMatchesFullScan(t *testing.T) {
	t.Parallel()
	for _, seed := range []int64{11, 12, 13} {
		t.Run(string(rune('a'+seed-11)), func(t *testing.T) {
			t.Parallel()
			g := newHistoryGen(t, seed)
			g.rich = true
			g.steps(25)
			cache := t.TempDir()
			first := cached(t, g.r.Dir, cache, scan.Options{})
			if first.Stats.Cache != scan.CacheAbsent {
				t.Fatalf("first scan: cache %q", first.Stats.Cache)
			}
			sameFindings(t, "first", full(t, g.r.Dir, scan.Options{}), first)
			for round := range 6 {
				switch round {
				case 2:
					g.r.Pack() // same objects, new packs
				case 4:
					// A branch deleted: what only it held is unreachable now.
					if len(g.branches) > 1 {
						g.r.DeleteBranch(g.branches[len(g.branches)-1])
						g.branches = g.branches[:len(g.branches)-1]
					}
				default:
					g.steps(8)
				}
				want := full(t, g.r.Dir, scan.Options{})
				got := cached(t, g.r.Dir, cache, scan.Options{})
				if got.Stats.Cache != scan.CacheUsed {
					t.Fatalf("round %d: cache %q", round, got.Stats.Cache)
				}
				sameFindings(t, "round "+string(rune('0'+round)), want, got)
				if got.Stats.Cached == 0 {
					t.Errorf("round %d: nothing came from the cache", round)
				}
			}
			// Unchanged: nothing is read but the blobs with keys.
			again := cached(t, g.r.Dir, cache, scan.Options{})
			if n := blobsWithKeys(t, g.r); again.Stats.Blobs != n {
				t.Errorf("an unchanged clone: %d blobs scanned again, want the %d with keys", again.Stats.Blobs, n)
			}
		})
	}
}

// blobsWithKeys counts the blobs of r in which the detectors find a key.
func blobsWithKeys(t *testing.T, r *scantest.Repo) int {
	t.Helper()
	iter, err := r.Git.BlobObjects()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	iter.ForEach(func(b *object.Blob) error {
		rd, _ := b.Reader()
		data, _ := io.ReadAll(rd)
		rd.Close()
		if len(scan.Detect(data, scan.Detectors)) > 0 || scan.BareKey(data) != "" {
			n++
		}
		return nil
	})
	return n
}

// TestCacheStory runs the cache over the story repository (tags, a tagged
// tree, stash, notes, unreachable blobs, merges), then over what a later
// push adds.
func TestCacheStory(t *testing.T) {
	t.Parallel()
	r := story(t)
	cache := t.TempDir()
	sameFindings(t, "first", full(t, r.Dir, scan.Options{}), cached(t, r.Dir, cache, scan.Options{}))
	sameFindings(t, "again", full(t, r.Dir, scan.Options{}), cached(t, r.Dir, cache, scan.Options{}))
	k := scantest.Key
	r.Checkout("main")
	r.Commit("more", scantest.Files{"late/.env": "VAST_API_KEY=" + k(40) + "\n", "late/copy.env": "DEBUG=1\nVAST_API_KEY=" + k(1) + "\n"})
	r.Tag("v2", r.Head(), "two\n\nVAST_API_KEY="+k(41))
	r.TagTree("snapshot-2", scantest.Files{"snap/.env": "VAST_API_KEY=" + k(42) + "\n"})
	r.DeleteBranch("experiment") // the only holder of a key: unreachable now
	got := cached(t, r.Dir, cache, scan.Options{})
	if got.Stats.Cache != scan.CacheUsed {
		t.Fatalf("cache %q", got.Stats.Cache)
	}
	sameFindings(t, "after a push", full(t, r.Dir, scan.Options{}), got)
}

func TestCacheInvalidation(t *testing.T) {
	t.Parallel()
	r := story(t)
	cache := t.TempDir()
	cached(t, r.Dir, cache, scan.Options{})
	// Other rules: the cache's "clean" means nothing for them.
	fewer := scan.Options{Detectors: scan.Detectors[:4]}
	got := cached(t, r.Dir, cache, fewer)
	if got.Stats.Cache != scan.CacheVersion {
		t.Errorf("other detectors: cache %q, want %q", got.Stats.Cache, scan.CacheVersion)
	}
	sameFindings(t, "other detectors", full(t, r.Dir, fewer), got)
	// Back to the defaults: the file now holds the other rules' scan.
	got = cached(t, r.Dir, cache, scan.Options{})
	if got.Stats.Cache != scan.CacheVersion {
		t.Errorf("defaults again: cache %q", got.Stats.Cache)
	}
	// Another key: the file cannot be told from a forgery.
	opts := scan.Options{Cache: cache, CacheKey: []byte("another key of sixteen bytes or more")}
	rep, err := scan.Scan(t.Context(), r.Dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stats.Cache != scan.CacheInvalid {
		t.Errorf("another key: cache %q", rep.Stats.Cache)
	}
	sameFindings(t, "another key", full(t, r.Dir, scan.Options{}), rep)
}

// TestCacheHostile alters the cache file every way an attacker with write
// access to a shared cache could: each costs a full scan, none hides a
// finding, and the file is replaced, never followed.
func TestCacheHostile(t *testing.T) {
	t.Parallel()
	r := story(t)
	want := full(t, r.Dir, scan.Options{})
	seed := t.TempDir()
	cached(t, r.Dir, seed, scan.Options{})
	files, _ := filepath.Glob(filepath.Join(seed, "*.vgcache"))
	if len(files) != 1 {
		t.Fatalf("cache files: %v", files)
	}
	good, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(files[0])
	tests := []struct {
		name string
		make func(t *testing.T, path string)
	}{
		{"one bit flipped", func(t *testing.T, p string) {
			b := bytes.Clone(good)
			b[len(b)/2] ^= 1
			os.WriteFile(p, b, 0o600)
		}},
		{"truncated", func(t *testing.T, p string) { os.WriteFile(p, good[:len(good)-100], 0o600) }},
		{"empty", func(t *testing.T, p string) { os.WriteFile(p, nil, 0o600) }},
		{"garbage", func(t *testing.T, p string) { os.WriteFile(p, bytes.Repeat([]byte{0xff}, 4096), 0o600) }},
		{"the objects list emptied, MAC kept", func(t *testing.T, p string) {
			b := bytes.Clone(good)
			copy(b[8+32+4:], []byte{0, 0, 0, 0})
			os.WriteFile(p, b, 0o600)
		}},
		{"a symbolic link to a valid cache", func(t *testing.T, p string) {
			target := filepath.Join(t.TempDir(), "elsewhere")
			os.WriteFile(target, good, 0o600)
			os.Symlink(target, p)
		}},
		{"a directory", func(t *testing.T, p string) { os.Mkdir(p, 0o700) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			tt.make(t, path)
			opts := scan.Options{Cache: dir, CacheKey: cacheKey}
			rep, err := scan.Scan(t.Context(), r.Dir, opts)
			if tt.name == "a directory" {
				// It cannot be replaced: the scan says so.
				if err == nil || !strings.Contains(err.Error(), "cache") {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.Stats.Cache != scan.CacheInvalid {
				t.Errorf("cache %q, want %q", rep.Stats.Cache, scan.CacheInvalid)
			}
			sameFindings(t, tt.name, want, rep)
			fi, err := os.Lstat(path)
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
				t.Errorf("the cache was not replaced by a private regular file: %v %v", fi, err)
			}
			if tt.name == "a symbolic link to a valid cache" {
				if b, _ := os.ReadFile(filepath.Join(filepath.Dir(path), "..", "elsewhere")); b != nil && !bytes.Equal(b, good) {
					t.Error("the link's target was written")
				}
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".scan-*")); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// TestCacheHoldsNoContent checks the cache for keys, their hashes, paths,
// names and messages.
func TestCacheHoldsNoContent(t *testing.T) {
	t.Parallel()
	r := story(t)
	cache := t.TempDir()
	rep := cached(t, r.Dir, cache, scan.Options{})
	files, _ := filepath.Glob(filepath.Join(cache, "*"))
	if len(files) != 1 {
		t.Fatalf("cache dir holds %v", files)
	}
	b, _ := os.ReadFile(files[0])
	needles := []string{"Ada Lovelace", "ada@example.com", "app/.env", "vast_api_key", "VAST_API_KEY", "initial import", "refs/heads", "experiment"}
	for i := 1; i <= 15; i++ {
		needles = append(needles, scantest.Key(i))
		raw, _ := hex.DecodeString(scantest.Key(i))
		needles = append(needles, string(raw))
	}
	for _, f := range rep.Findings {
		needles = append(needles, f.KeySHA256)
		raw, _ := hex.DecodeString(f.KeySHA256)
		needles = append(needles, string(raw))
	}
	for _, n := range needles {
		if bytes.Contains(b, []byte(n)) {
			t.Errorf("the cache holds %q", n[:min(len(n), 12)])
		}
	}
}

func TestCacheNeedsAKey(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("one", scantest.Files{"a": "a"})
	_, err := scan.Scan(t.Context(), r.Dir, scan.Options{Cache: t.TempDir(), CacheKey: []byte("short")})
	if err == nil || !strings.Contains(err.Error(), "cache key") {
		t.Errorf("err = %v", err)
	}
	// Ranges and staged scans do not use the cache.
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Range: "HEAD..HEAD", Cache: t.TempDir(), CacheKey: cacheKey})
	if err != nil || rep.Stats.Cache != "" {
		t.Errorf("range with a cache: %v %+v", err, rep)
	}
}

// TestCacheHistoryRewritten deletes the branch whose commit first held a
// key where a later commit on main holds it too: the key is then reported
// at main's commit, as a full scan reports it.
func TestCacheHistoryRewritten(t *testing.T) {
	t.Parallel()
	k := scantest.Key
	r := scantest.New(t)
	r.Commit("base", scantest.Files{"README": "vast\n"})
	r.Branch("early")
	r.Commit("early key", scantest.Files{"k.env": "VAST_API_KEY=" + k(1) + "\n"})
	r.Checkout("main")
	r.Commit("unrelated", scantest.Files{"x.txt": "x\n"})
	later := r.Commit("same key later", scantest.Files{"k.env": "VAST_API_KEY=" + k(1) + "\n"})
	cache := t.TempDir()
	first := cached(t, r.Dir, cache, scan.Options{})
	if len(first.Findings) != 1 || first.Findings[0].Ref != "refs/heads/early" {
		t.Fatalf("before: %+v", first.Findings)
	}
	r.DeleteBranch("early")
	got := cached(t, r.Dir, cache, scan.Options{})
	want := full(t, r.Dir, scan.Options{})
	sameFindings(t, "after the rewrite", want, got)
	if len(got.Findings) != 1 || got.Findings[0].Commit != later.String() {
		t.Errorf("after: %+v", got.Findings)
	}
}

// TestCachePartialCloneFetchesLater scans a partial clone that lacks a blob
// with a key, then the same clone once the blob has arrived (a lazy fetch):
// the key is placed at the old commit that holds it, as a full scan does.
func TestCachePartialCloneFetchesLater(t *testing.T) {
	t.Parallel()
	k := scantest.Key
	r := scantest.New(t)
	r.Commit("one", scantest.Files{"README": "vast\n"})
	r.Commit("two", scantest.Files{"deploy/.env": "VAST_API_KEY=" + k(1) + "\n"})
	r.Commit("three", scantest.Files{"other.txt": "x\n"})
	r.SetConfig("extensions", "partialclone", "origin")
	blob := plumbing.ComputeHash(plumbing.BlobObject, []byte("VAST_API_KEY="+k(1)+"\n")).String()
	obj := filepath.Join(r.Dir, ".git", "objects", blob[:2], blob[2:])
	saved, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(obj)
	cache := t.TempDir()
	opts := scan.Options{AllowPartial: true}
	if rep := cached(t, r.Dir, cache, opts); len(rep.Findings) != 0 {
		t.Fatalf("the blob is missing, yet: %+v", rep.Findings)
	}
	if err := os.WriteFile(obj, saved, 0o444); err != nil {
		t.Fatal(err)
	}
	got := cached(t, r.Dir, cache, opts)
	if got.Stats.Cache != scan.CacheUsed {
		t.Fatalf("cache %q", got.Stats.Cache)
	}
	sameFindings(t, "after the fetch", full(t, r.Dir, opts), got)
	if len(got.Findings) != 1 || got.Findings[0].Path != "deploy/.env" {
		t.Errorf("findings: %+v", got.Findings)
	}
}
