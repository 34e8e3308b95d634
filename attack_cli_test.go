package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/vastguard/vastguard/internal/command"
	"github.com/vastguard/vastguard/scan/gitobj/packtest"
	"github.com/vastguard/vastguard/scan/scantest"
)

// The outside team's attacks on `vastguard scan` (issue 15): hostile
// clones, directories, archives and standard input, each built by a
// generator at run time. Each test states the safe outcome.

// runCLIWithin is runCLI that fails the test if the command has not ended
// within d.
func runCLIWithin(t *testing.T, d time.Duration, vars map[string]string, stdin io.Reader, args ...string) result {
	t.Helper()
	done := make(chan result, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		if stdin == nil {
			stdin = strings.NewReader("")
		}
		e := &command.Env{
			Args:   append([]string{"vastguard"}, args...),
			Getenv: func(k string) string { return vars[k] },
			Stdin:  stdin,
			Stdout: &stdout, Stderr: &stderr,
			Now:   time.Now,
			Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
		}
		err := command.Run(t.Context(), e)
		code := command.ExitCode(err, &stderr)
		done <- result{stdout.String(), stderr.String(), code}
	}()
	select {
	case r := <-done:
		return r
	case <-time.After(d):
		t.Fatalf("vastguard %s still running after %s", strings.Join(args, " "), d)
	}
	return result{}
}

// oneLine checks a failure: exit 1 and one line on stderr that contains
// each of want.
func oneLine(t *testing.T, res result, want ...string) {
	t.Helper()
	if res.code != 1 || strings.Count(res.stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want exit 1 and one line", res.code, res.stderr)
		return
	}
	for _, w := range want {
		if !strings.Contains(res.stderr, w) {
			t.Errorf("stderr %q does not say %q", res.stderr, w)
		}
	}
}

// found checks that the scan reported key n (exit 2 or 3).
func found(t *testing.T, res result, n int) {
	t.Helper()
	if res.code != 2 && res.code != 3 {
		t.Errorf("exit %d, want findings:\n%s%s", res.code, res.stdout, res.stderr)
		return
	}
	if !strings.Contains(res.stdout, keyHash(n)) {
		t.Errorf("key %d (sha256 %s) is not reported:\n%s", n, keyHash(n)[:16], res.stdout)
	}
}

// TestAttackCloneHidesKeys: keys a hostile clone keeps where `git log`
// does not look, or hides behind what git would show instead (replace
// refs, grafts, notes, the stash, refs/original from filter-branch,
// objects no ref reaches, a tag only an unrelated ref reaches, a commit
// message's body). The whole-history scan reads every object, so each is
// reported.
func TestAttackCloneHidesKeys(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("init", scantest.Files{"README.md": "gpu jobs on vast.ai\n"})
	leak := r.Commit("config", scantest.Files{"deploy.env": "VAST_API_KEY=" + scantest.Key(31) + "\n"})
	// A clean replacement for the leaking commit, from a branch that is
	// then deleted: refs/replace makes git show it instead.
	r.Branch("clean")
	r.Commit("config", scantest.Files{"deploy.env": scantest.Delete, "deploy.txt": "nothing\n"})
	repl := r.Head()
	r.Checkout("main")
	r.DeleteBranch("clean")
	r.Commit("body", scantest.Files{"b.txt": "b\n"})
	r.Commit("fix typo\n\nThe old line was\n    vastai set api-key "+scantest.Key(32)+"\nwhich is gone now.\n", scantest.Files{"c.txt": "c\n"})
	r.Note(r.Head(), "deployed with VAST_API_KEY="+scantest.Key(33)+"\n")
	r.Stash("wip", scantest.Files{"wip.env": "VAST_API_KEY=" + scantest.Key(34) + "\n"})
	// refs/original, as git filter-branch leaves it, keeps a rewritten
	// history; a tag only an unrelated orphan ref reaches.
	r.Branch("orig")
	r.Commit("pre-rewrite", scantest.Files{"old.env": "VAST_API_KEY=" + scantest.Key(35) + "\n"})
	orig := r.Head()
	r.Checkout("main")
	r.DeleteBranch("orig")
	r.Branch("side")
	side := r.Commit("side", scantest.Files{"side.txt": "s\n"})
	r.Tag("v0-side", side, "release notes\n\nexport VAST_API_KEY="+scantest.Key(36)+"\n")
	r.Checkout("main")
	r.DeleteBranch("side")
	// Dangling: a commit no ref reaches.
	r.Branch("gone")
	r.Commit("gone", scantest.Files{"gone.env": "VAST_API_KEY=" + scantest.Key(37) + "\n"})
	r.Checkout("main")
	r.DeleteBranch("gone")
	r.CheckoutWorktree()
	gd := filepath.Join(r.Dir, ".git")
	write := func(name, body string) {
		p := filepath.Join(gd, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("refs/replace/"+leak.String(), repl.String()+"\n")
	write("refs/original/refs/heads/main", orig.String()+"\n")
	write("refs/heads/unrelated", side.String()+"\n")
	// Grafts that cut the history before the leak.
	write("info/grafts", r.Head().String()+"\n")
	for _, packed := range []bool{false, true} {
		if packed {
			r.Pack()
		}
		res := runCLI(t, nil, "scan", r.Dir, "--format", "json")
		for n := 31; n <= 37; n++ {
			found(t, res, n)
		}
	}
}

// TestAttackCloneGitFiles: a hostile clone's git files point elsewhere:
// alternates at /etc, at another repository, at themselves (a loop), a
// packed-refs that is another file, a shallow file of garbage, a .git that
// is a link. The scan ends within a minute with findings or one line.
func TestAttackCloneGitFiles(t *testing.T) {
	t.Parallel()
	build := func(t *testing.T) *scantest.Repo {
		r := scantest.New(t)
		r.Commit("config", scantest.Files{"deploy.env": "VAST_API_KEY=" + scantest.Key(41) + "\n"})
		r.CheckoutWorktree()
		return r
	}
	other := scantest.New(t)
	other.Commit("other", scantest.Files{"x.env": "VAST_API_KEY=" + scantest.Key(42) + "\n"})
	otherObjects := filepath.Join(other.Dir, ".git", "objects")
	tests := []struct {
		name  string
		file  string // under .git
		body  string
		check func(t *testing.T, res result)
	}{
		{"alternates at /etc", "objects/info/alternates", "/etc\n/proc/self\n/dev\n", func(t *testing.T, res result) { found(t, res, 41) }},
		{"alternates at another repository", "objects/info/alternates", otherObjects + "\n", func(t *testing.T, res result) { found(t, res, 41) }},
		{"alternates at itself", "objects/info/alternates", ".\n../objects\n", func(t *testing.T, res result) { found(t, res, 41) }},
		{"alternates 1000 lines", "objects/info/alternates", strings.Repeat(otherObjects+"\n", 1000), func(t *testing.T, res result) { found(t, res, 41) }},
		{"packed-refs is /etc/passwd", "packed-refs", "@link:/etc/passwd", func(t *testing.T, res result) {
			if res.code == 0 {
				t.Errorf("exit 0: %s", res.stderr)
			}
		}},
		{"shallow of garbage", "shallow", "not a hash\n\x00\xff\n", func(t *testing.T, res result) {
			if res.code != 1 {
				t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
		}},
		{"an empty shallow file", "shallow", "", func(t *testing.T, res result) { found(t, res, 41) }},
		{"config with 100,000 sections", "config", strings.Repeat("[remote \"x\"]\n\turl = /etc\n", 100_000), func(t *testing.T, res result) { found(t, res, 41) }},
		{"config includes /dev/zero", "config", "[include]\n\tpath = /dev/zero\n[includeIf \"gitdir:/\"]\n\tpath = /dev/zero\n", func(t *testing.T, res result) { found(t, res, 41) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := build(t)
			p := filepath.Join(r.Dir, ".git", filepath.FromSlash(tt.file))
			os.MkdirAll(filepath.Dir(p), 0o755)
			if target, ok := strings.CutPrefix(tt.body, "@link:"); ok {
				os.Remove(p)
				if err := os.Symlink(target, p); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(p, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			res := runCLIWithin(t, time.Minute, nil, nil, "scan", r.Dir, "--format", "json")
			tt.check(t, res)
			if res.code == 1 && strings.Count(res.stderr, "\n") != 1 {
				t.Errorf("stderr %q: want one line", res.stderr)
			}
		})
	}
	t.Run("alternates loop between two repositories", func(t *testing.T) {
		t.Parallel()
		a, b := build(t), build(t)
		ao, bo := filepath.Join(a.Dir, ".git", "objects"), filepath.Join(b.Dir, ".git", "objects")
		os.WriteFile(filepath.Join(ao, "info", "alternates"), []byte(bo+"\n"), 0o644)
		os.WriteFile(filepath.Join(bo, "info", "alternates"), []byte(ao+"\n"), 0o644)
		res := runCLIWithin(t, time.Minute, nil, nil, "scan", a.Dir, "--format", "json")
		found(t, res, 41)
	})
	t.Run("alternates a FIFO", func(t *testing.T) {
		t.Parallel()
		r := build(t)
		p := filepath.Join(r.Dir, ".git", "objects", "info", "alternates")
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skip(err)
		}
		res := runCLIWithin(t, time.Minute, nil, nil, "scan", r.Dir)
		oneLine(t, res, "alternates", "FIFO")
	})
	t.Run(".vastguard.yaml and its baseline as links", func(t *testing.T) {
		t.Parallel()
		r := build(t)
		outside := filepath.Join(t.TempDir(), "cfg.yaml")
		os.WriteFile(outside, []byte("exclude-paths: [\"**\"]\n"), 0o644)
		os.Symlink(outside, filepath.Join(r.Dir, ".vastguard.yaml"))
		res := runCLIWithin(t, time.Minute, nil, nil, "scan", r.Dir)
		oneLine(t, res, ".vastguard.yaml", "link")
		os.Remove(filepath.Join(r.Dir, ".vastguard.yaml"))
		os.WriteFile(filepath.Join(r.Dir, ".vastguard.yaml"), []byte("baseline: b.txt\n"), 0o644)
		bl := filepath.Join(t.TempDir(), "b.txt")
		os.WriteFile(bl, []byte("sha256:"+keyHash(41)+"\n"), 0o644)
		os.Symlink(bl, filepath.Join(r.Dir, "b.txt"))
		res = runCLIWithin(t, time.Minute, nil, nil, "scan", r.Dir)
		oneLine(t, res, "b.txt", "link")
	})
	t.Run("a clone's baseline names the user's key file", func(t *testing.T) {
		t.Parallel()
		// The clone cannot climb out of itself: baseline paths are
		// relative and inside it.
		r := build(t)
		os.WriteFile(filepath.Join(r.Dir, ".vastguard.yaml"), []byte("baseline: ../../../../../../root/.config/vastai/vast_api_key\n"), 0o644)
		res := runCLIWithin(t, time.Minute, nil, nil, "scan", r.Dir)
		oneLine(t, res, "leaves the repository")
	})
}

// TestAttackPackDisagrees: packs whose index and content disagree: two
// packs hold the same id with different content, the key in the copy git
// itself reads (the newest pack), in the pack whose name sorts last. The
// scan must not pass over the copy that git shows. (A loose object that
// shares a packed one's id is never read by git, which looks in packs
// first; the scan does the same.)
func TestAttackPackDisagrees(t *testing.T) {
	t.Parallel()
	for _, where := range []string{"a second pack"} {
		t.Run(where, func(t *testing.T) {
			t.Parallel()
			r := scantest.New(t)
			r.Commit("init", scantest.Files{"README": "deploy notes\n"})
			r.Commit("config", scantest.Files{"deploy.env": "placeholder, set VAST_API_KEY in CI\n"})
			r.CheckoutWorktree()
			r.Pack()
			c, _ := r.Git.CommitObject(r.Head())
			tree, _ := c.Tree()
			e, err := tree.FindEntry("deploy.env")
			if err != nil {
				t.Fatal(err)
			}
			evil := []byte("VAST_API_KEY=" + scantest.Key(43) + "\n")
			switch where {
			case "a second pack":
				pr := &packtest.Repo{Dir: r.Dir, GitDir: filepath.Join(r.Dir, ".git")}
				p, err := pr.WritePack(1, func(w *packtest.Writer) error {
					_, err := w.Add(packtest.Object{Type: plumbing.BlobObject, Data: evil, ID: e.Hash})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				// Named to sort after the clean pack, and newer: git reads
				// the newest pack first, whatever the names.
				last := filepath.Join(filepath.Dir(p), "pack-"+strings.Repeat("f", 40))
				for _, ext := range []string{".idx", ".pack"} {
					if err := os.Rename(strings.TrimSuffix(p, ".pack")+ext, last+ext); err != nil {
						t.Fatal(err)
					}
				}
				future := time.Now().Add(time.Hour)
				os.Chtimes(last+".pack", future, future)
			}
			// The full scan reads the packs through gitobj.DB, a range
			// (a pull request's scan) through gitobj.Store: both must read
			// the copy git shows.
			for _, extra := range [][]string{nil, {"--range", "HEAD~1..HEAD"}} {
				args := append([]string{"scan", r.Dir, "--format", "json"}, extra...)
				res := runCLIWithin(t, time.Minute, nil, nil, args...)
				if res.code == 0 {
					t.Errorf("%v: exit 0: the key in the copy git shows passed unseen:\n%s%s", extra, res.stdout, res.stderr)
				}
				if res.code == 1 && (strings.Count(res.stderr, "\n") != 1 || !strings.Contains(res.stderr, e.Hash.String())) {
					t.Errorf("%v: stderr %q: want one line naming the object", extra, res.stderr)
				}
			}
		})
	}
}

// TestAttackNoGitArchives: --no-git over hostile archives: zip slip names,
// tar links, a zip bomb, a gzip that never ends, archives nested 50 deep.
// Nothing is written outside, links are not followed, every budget ends
// the work in bounded time, and what was not read is said.
func TestAttackNoGitArchives(t *testing.T) {
	t.Parallel()
	key := "VAST_API_KEY=" + scantest.Key(51) + "\n"
	t.Run("zip slip", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		tree := filepath.Join(dir, "a", "b", "tree")
		os.MkdirAll(tree, 0o755)
		writeZip(t, filepath.Join(tree, "release.zip"), map[string]string{"../../../evil.env": key, "/abs/evil.env": key, "..\\..\\win.env": key})
		res := runCLIWithin(t, time.Minute, nil, nil, "scan", "--no-git", tree)
		found(t, res, 51)
		for _, p := range []string{filepath.Join(dir, "evil.env"), filepath.Join(dir, "a", "evil.env"), "/abs/evil.env"} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s was written", p)
			}
		}
		if strings.Contains(res.stdout, "../") {
			t.Errorf("a displayed path climbs out:\n%s", res.stdout)
		}
	})
	t.Run("tar links", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		tw.WriteHeader(&tar.Header{Name: "etc-link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"})
		tw.WriteHeader(&tar.Header{Name: "shadow", Typeflag: tar.TypeLink, Linkname: "/etc/shadow"})
		tw.WriteHeader(&tar.Header{Name: "dir-link", Typeflag: tar.TypeSymlink, Linkname: "../../../../"})
		tw.WriteHeader(&tar.Header{Name: "dir-link/escaped.env", Typeflag: tar.TypeReg, Size: int64(len(key)), Mode: 0o644})
		tw.Write([]byte(key))
		tw.WriteHeader(&tar.Header{Name: "fifo", Typeflag: tar.TypeFifo})
		tw.WriteHeader(&tar.Header{Name: "dev", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 5})
		tw.Close()
		os.WriteFile(filepath.Join(dir, "r.tar"), b.Bytes(), 0o644)
		res := runCLIWithin(t, time.Minute, nil, nil, "scan", "--no-git", dir, "--format", "json")
		found(t, res, 51)
		if !strings.Contains(res.stdout, `"skipped_links": 3`) {
			t.Errorf("links not counted:\n%s", res.stdout)
		}
	})
	t.Run("nested 50 deep", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		data := []byte(key)
		name := "deep.env"
		for i := range 50 {
			var b bytes.Buffer
			zw := zip.NewWriter(&b)
			w, _ := zw.Create(name)
			w.Write(data)
			zw.Close()
			data, name = b.Bytes(), fmt.Sprintf("l%d.zip", i)
		}
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
		res := runCLIWithin(t, time.Minute, nil, nil, "scan", "--no-git", dir)
		if res.code != 0 || !strings.Contains(res.stdout, "nested deeper than 3 levels was not opened") {
			t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		res = runCLIWithin(t, time.Minute, nil, nil, "scan", "--no-git", dir, "--max-archive-depth", "16")
		if !strings.Contains(res.stdout, "nested deeper than 16 levels") {
			t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
	})
	t.Run("a gzip stream that never ends on standard input", func(t *testing.T) {
		t.Parallel()
		pr, pw := io.Pipe()
		go func() {
			zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
			zero := make([]byte, 1<<20)
			for {
				if _, err := zw.Write(zero); err != nil {
					return
				}
			}
		}()
		defer pr.Close()
		start := time.Now()
		res := runCLIWithin(t, 5*time.Minute, nil, pr, "scan", "-")
		if res.code != 0 || !strings.Contains(res.stdout, "decompression budget") {
			t.Errorf("exit %d after %s\n%s%s", res.code, time.Since(start), res.stdout, res.stderr)
		}
	})
	t.Run("--max-archive-depth 0 on standard input", func(t *testing.T) {
		t.Parallel()
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(key))
		zw.Close()
		res := runCLIWithin(t, time.Minute, nil, &b, "scan", "-", "--max-archive-depth", "0")
		if res.code != 0 {
			t.Errorf("--max-archive-depth 0 opened the gzip on standard input: exit %d\n%s", res.code, res.stdout)
		}
	})
	t.Run("special files and link loops in the tree", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "a.env"), []byte(key), 0o644)
		syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644)
		os.Symlink("/dev/zero", filepath.Join(dir, "zero"))
		os.Symlink("loop", filepath.Join(dir, "loop"))
		os.Symlink(".", filepath.Join(dir, "self"))
		os.Symlink("/", filepath.Join(dir, "root"))
		res := runCLIWithin(t, time.Minute, nil, nil, "scan", "--no-git", dir)
		found(t, res, 51)
	})
}

// TestAttackStdinLongLine: one line of 256 MiB on standard input, the key
// at its end: found, memory bounded (the reader streams; see
// bench/attack.sh for the 10 GiB run's peak RSS).
func TestAttackStdinLongLine(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("reads 256 MiB")
	}
	r := io.MultiReader(io.LimitReader(zeroText{}, 256<<20), strings.NewReader(" VAST_API_KEY="+scantest.Key(52)+"\n"))
	res := runCLIWithin(t, 3*time.Minute, nil, r, "scan", "-", "--format", "json")
	found(t, res, 52)
}

// zeroText is an endless run of 'a'.
type zeroText struct{}

func (zeroText) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func writeZip(t *testing.T, path string, files map[string]string) {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBudgetFlags: the scanner's budgets and safe.bareRepository from the
// command line. Over a budget the scan fails with one line that names the
// flag (and the Action input) to raise it; raised, the scan goes through.
// A bare layout under the path is refused naming --allow-bare-repository,
// and scanned with it.
func TestBudgetFlags(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 2<<20) + "\nVAST_API_KEY=" + scantest.Key(71) + "\n"
	r := scantest.New(t)
	r.Commit("big", scantest.Files{"big.env": big})
	r.CheckoutWorktree()
	res := runCLI(t, nil, "scan", r.Dir, "--max-object-size", "1MiB")
	oneLine(t, res, "over the 1.0 MiB limit (MaxObjectSize)", "--max-object-size SIZE", "Action input max-object-size")
	found(t, runCLI(t, nil, "scan", r.Dir, "--max-object-size", "3MiB"), 71)

	// A delta whose base is 2 MiB: the base must be held whole.
	pr, err := packtest.Init(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	base := []byte(big)
	if _, err := pr.WritePack(2, func(w *packtest.Writer) error {
		if _, err := w.Add(packtest.Object{Type: plumbing.BlobObject, Data: base}); err != nil {
			return err
		}
		d := packtest.NewDelta(uint64(len(base)), uint64(len(base))+1).Copy(0, uint64(len(base))).Insert([]byte("\n"))
		_, err := w.Add(packtest.Object{Type: plumbing.OFSDeltaObject, Data: d.Bytes(), Base: 0})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	res = runCLI(t, nil, "scan", pr.Dir, "--max-delta-size", "1MiB")
	oneLine(t, res, "(MaxDeltaSize)", "--max-delta-size SIZE", "Action input max-delta-size")
	res = runCLI(t, nil, "scan", pr.Dir, "--max-delta-size", "4MiB", "--max-memory", "4MiB", "--format", "json")
	if res.code != 0 && res.code != 2 {
		t.Errorf("raised: exit %d %s", res.code, res.stderr)
	}

	// safe.bareRepository.
	decoy := scantest.New(t)
	decoy.Commit("decoy", scantest.Files{"inside.env": "VAST_API_KEY=" + scantest.Key(72) + "\n"})
	outer := scantest.New(t)
	outer.Commit("outer", scantest.Files{"README": "x\n"})
	outer.CheckoutWorktree()
	sub := filepath.Join(outer.Dir, "sub")
	if err := os.CopyFS(sub, os.DirFS(filepath.Join(decoy.Dir, ".git"))); err != nil {
		t.Fatal(err)
	}
	res = runCLI(t, nil, "scan", sub)
	oneLine(t, res, "bare repository layout inside the work tree", "--allow-bare-repository", "Action input allow-bare-repository")
	found(t, runCLI(t, nil, "scan", sub, "--allow-bare-repository"), 72)
}

// TestScannerPanic: a bug that panics in one of the scanner's worker
// goroutines (here the clock the progress line reads, which the workers
// call) ends as exit code 1 and one line saying where, as any panic does;
// it used to kill the process with Go's exit status 2, "findings".
func TestScannerPanic(t *testing.T) {
	t.Parallel()
	repo := leakRepo(t, scantest.Key(73))
	var stdout, stderr bytes.Buffer
	var calls atomic.Int32
	e := &command.Env{
		Args:   []string{"vastguard", "scan", repo, "--workers", "2"},
		Getenv: func(k string) string { return map[string]string{"GITHUB_ACTIONS": "true"}[k] },
		Stdin:  strings.NewReader(""),
		Stdout: &stdout, Stderr: &stderr,
		Now: func() time.Time {
			if calls.Add(1) > 1 {
				panic("clock bug")
			}
			return time.Now()
		},
	}
	code := command.ExitCode(command.Run(t.Context(), e), &stderr)
	if code != 1 || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), "internal error, a bug in vastguard") ||
		!strings.Contains(stderr.String(), "clock bug (in a worker goroutine, at") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestAttackIndexFile: GIT_INDEX_FILE (which --staged reads, as git sets it
// for a hook) that is a FIFO or a device is refused at once.
func TestAttackIndexFile(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("c", scantest.Files{"a.txt": "a\n"})
	r.CheckoutWorktree()
	fifo := filepath.Join(t.TempDir(), "index")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	for _, p := range []string{fifo, "/dev/zero"} {
		res := runCLIWithin(t, time.Minute, map[string]string{"GIT_INDEX_FILE": p}, nil, "scan", r.Dir, "--staged")
		oneLine(t, res, p)
	}
}
