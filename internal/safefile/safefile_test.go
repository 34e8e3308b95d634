//go:build unix

package safefile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/internal/safefile"
)

// hostile is a workspace next to a directory outside it that holds a file
// an attacker wants overwritten (as event.json sits beside a container
// action's workspace).
type hostile struct {
	ws, outside, victim string
}

const victimText = "the runner's event payload\n"

func newHostile(t *testing.T) hostile {
	t.Helper()
	d := t.TempDir()
	h := hostile{ws: filepath.Join(d, "workspace"), outside: filepath.Join(d, "workflow")}
	h.victim = filepath.Join(h.outside, "event.json")
	for _, dir := range []string{h.ws, h.outside} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(h.victim, []byte(victimText), 0o644); err != nil {
		t.Fatal(err)
	}
	return h
}

// untouched fails unless the outside directory holds exactly the victim,
// unchanged.
func (h hostile) untouched(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(h.victim)
	if err != nil || string(b) != victimText {
		t.Errorf("the file outside was changed: %q, %v", b, err)
	}
	ents, _ := os.ReadDir(h.outside)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("the directory outside holds %v, want only event.json", names)
	}
}

// noTemp fails if a temporary file was left in dir.
func noTemp(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".vastguard-tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func root(t *testing.T, dir string) *safefile.Root {
	t.Helper()
	r, err := safefile.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestWriteRefusesHostileLayouts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		layout func(t *testing.T, h hostile)
		path   string
		want   error // nil: written, and only inside the workspace
		shown  string
	}{
		{"a plain new file", func(*testing.T, hostile) {}, "out.sarif", nil, ""},
		{"new directories on the way", func(*testing.T, hostile) {}, "reports/deep/out.sarif", nil, ""},
		{"the file is a symbolic link out", func(t *testing.T, h hostile) {
			must(t, os.Symlink(h.victim, filepath.Join(h.ws, "out.sarif")))
		}, "out.sarif", safefile.ErrSymlink, "out.sarif is a symbolic link"},
		{"the file is a relative link out", func(t *testing.T, h hostile) {
			must(t, os.Symlink("../workflow/event.json", filepath.Join(h.ws, "out.sarif")))
		}, "out.sarif", safefile.ErrSymlink, "out.sarif is a symbolic link"},
		{"a link to a file inside", func(t *testing.T, h hostile) {
			must(t, os.WriteFile(filepath.Join(h.ws, "config"), []byte("x"), 0o644))
			must(t, os.Symlink("config", filepath.Join(h.ws, "out.sarif")))
		}, "out.sarif", safefile.ErrSymlink, "out.sarif is a symbolic link"},
		{"a dangling link", func(t *testing.T, h hostile) {
			must(t, os.Symlink(filepath.Join(h.outside, "new.json"), filepath.Join(h.ws, "out.sarif")))
		}, "out.sarif", safefile.ErrSymlink, "out.sarif is a symbolic link"},
		{"a directory on the way is a link out", func(t *testing.T, h hostile) {
			must(t, os.Symlink(h.outside, filepath.Join(h.ws, "reports")))
		}, "reports/event.json", safefile.ErrSymlink, "reports is a symbolic link"},
		{"a deeper directory is a link out", func(t *testing.T, h hostile) {
			must(t, os.Mkdir(filepath.Join(h.ws, "a"), 0o755))
			must(t, os.Symlink("../../workflow", filepath.Join(h.ws, "a", "b")))
		}, "a/b/event.json", safefile.ErrSymlink, "a/b is a symbolic link"},
		{"a link on the way, with directories to make", func(t *testing.T, h hostile) {
			must(t, os.Symlink(h.outside, filepath.Join(h.ws, "reports")))
		}, "reports/new/out.sarif", safefile.ErrSymlink, "reports is a symbolic link"},
		{"a directory where the file should be", func(t *testing.T, h hostile) {
			must(t, os.Mkdir(filepath.Join(h.ws, "out.sarif"), 0o755))
		}, "out.sarif", safefile.ErrIsDir, "out.sarif is a directory; name a file"},
		{"a file where a directory should be", func(t *testing.T, h hostile) {
			must(t, os.WriteFile(filepath.Join(h.ws, "reports"), nil, 0o644))
		}, "reports/out.sarif", safefile.ErrNotDir, "reports is not a directory"},
		{"a FIFO at the name", func(t *testing.T, h hostile) {
			must(t, syscall.Mkfifo(filepath.Join(h.ws, "out.sarif"), 0o644))
		}, "out.sarif", safefile.ErrNotRegular, "out.sarif is not a regular file"},
		{"climbing out", func(*testing.T, hostile) {}, "../workflow/event.json", safefile.ErrOutside, "../workflow/event.json leaves"},
		{"climbing out after going in", func(*testing.T, hostile) {}, "a/../../workflow/event.json", safefile.ErrOutside, "a/../../workflow/event.json leaves"},
		{"absolute", func(*testing.T, hostile) {}, "/etc/passwd", safefile.ErrOutside, "/etc/passwd leaves"},
		{"the root itself", func(*testing.T, hostile) {}, ".", safefile.ErrIsDir, ". is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHostile(t)
			tt.layout(t, h)
			r := root(t, h.ws)
			err := r.WriteFile(tt.path, []byte("report\n"), safefile.Options{Perm: 0o644, MakeDirs: true})
			h.untouched(t)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("WriteFile: %v", err)
				}
				b, err := os.ReadFile(filepath.Join(h.ws, tt.path))
				if err != nil || string(b) != "report\n" {
					t.Errorf("written: %q, %v", b, err)
				}
				noTemp(t, filepath.Dir(filepath.Join(h.ws, tt.path)))
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("WriteFile = %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.shown) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line starting %q", err, tt.shown)
			}
			noTemp(t, h.ws)
		})
	}
}

// TestWriteReplacesNeverWritesThrough: a name that is a hard link to a file
// elsewhere gets a new inode; the other name keeps its content.
func TestWriteReplacesNeverWritesThrough(t *testing.T) {
	t.Parallel()
	h := newHostile(t)
	name := filepath.Join(h.ws, "out.sarif")
	if err := os.Link(h.victim, name); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	before, _ := os.Stat(name)
	r := root(t, h.ws)
	if err := r.WriteFile("out.sarif", []byte("report\n"), safefile.Options{Perm: 0o644}); err != nil {
		t.Fatal(err)
	}
	h.untouched(t)
	after, _ := os.Stat(name)
	if os.SameFile(before, after) {
		t.Error("the file was written in place, not replaced")
	}
	if b, _ := os.ReadFile(name); string(b) != "report\n" {
		t.Errorf("content = %q", b)
	}
	// An ordinary file is replaced too: a reader holding the old one open
	// keeps reading the old content.
	old, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := r.WriteFile("out.sarif", []byte("second\n"), safefile.Options{Perm: 0o644}); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	n, _ := old.Read(b)
	if string(b[:n]) != "report\n" {
		t.Errorf("the open file now reads %q: it was truncated in place", b[:n])
	}
}

// TestCreateThenSwap: a link or directory that appears at the name or on
// the way after Create is not written through; Commit refuses it or
// replaces the link itself.
func TestCreateThenSwap(t *testing.T) {
	t.Parallel()
	h := newHostile(t)
	must(t, os.Mkdir(filepath.Join(h.ws, "reports"), 0o755))
	r := root(t, h.ws)

	f, err := r.Create("reports/out.sarif", safefile.Options{Perm: 0o644})
	if err != nil {
		t.Fatal(err)
	}
	// The directory is swapped for a link out after Create: the file lands
	// in the directory Create opened (now moved aside), never outside.
	must(t, os.Rename(filepath.Join(h.ws, "reports"), filepath.Join(h.ws, "moved")))
	must(t, os.Symlink(h.outside, filepath.Join(h.ws, "reports")))
	f.Write([]byte("report\n"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	h.untouched(t)
	if b, _ := os.ReadFile(filepath.Join(h.ws, "moved", "out.sarif")); string(b) != "report\n" {
		t.Errorf("moved/out.sarif = %q", b)
	}

	// A link appears at the name after Create.
	f, err = r.Create("x.sarif", safefile.Options{Perm: 0o644})
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.Symlink(h.victim, filepath.Join(h.ws, "x.sarif")))
	f.Write([]byte("report\n"))
	if err := f.Commit(); !errors.Is(err, safefile.ErrSymlink) {
		t.Errorf("Commit over a new link = %v", err)
	}
	// A directory appears at the name after Create.
	f, err = r.Create("y.sarif", safefile.Options{Perm: 0o644})
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.Mkdir(filepath.Join(h.ws, "y.sarif"), 0o755))
	if err := f.Commit(); !errors.Is(err, safefile.ErrIsDir) {
		t.Errorf("Commit over a new directory = %v", err)
	}
	h.untouched(t)
	noTemp(t, h.ws)
}

// TestSwapRace flips a directory between a real one and a link out while
// files are written beneath it: whatever the interleaving, nothing lands
// outside.
func TestSwapRace(t *testing.T) {
	t.Parallel()
	h := newHostile(t)
	r := root(t, h.ws)
	d := filepath.Join(h.ws, "d")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		aside := filepath.Join(h.ws, "aside")
		os.Mkdir(aside, 0o755)
		for {
			select {
			case <-stop:
				return
			default:
			}
			os.Remove(d)
			os.Symlink(h.outside, d)
			os.Remove(d)
			os.Rename(aside, d)
			os.Rename(d, aside)
		}
	}()
	for range 300 {
		r.WriteFile("d/event.json", []byte("pwned\n"), safefile.Options{Perm: 0o644})
	}
	close(stop)
	<-done
	h.untouched(t)
}

func TestPermAndAbort(t *testing.T) {
	t.Parallel()
	h := newHostile(t)
	r := root(t, h.ws)
	f, err := r.Create("key", safefile.Options{Perm: 0o600})
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("secret"))
	f.Abort()
	if _, err := os.Lstat(filepath.Join(h.ws, "key")); !os.IsNotExist(err) {
		t.Errorf("an aborted file exists: %v", err)
	}
	noTemp(t, h.ws)
	if err := r.WriteFile("key", []byte("secret"), safefile.Options{Perm: 0o600}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(h.ws, "key")); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestOpenAndCheckDir(t *testing.T) {
	t.Parallel()
	h := newHostile(t)
	must(t, os.WriteFile(filepath.Join(h.ws, "baseline.txt"), []byte("base\n"), 0o644))
	must(t, os.Symlink(h.victim, filepath.Join(h.ws, "link.txt")))
	must(t, os.Symlink(h.outside, filepath.Join(h.ws, "linkdir")))
	must(t, os.MkdirAll(filepath.Join(h.ws, "sub", "repo"), 0o755))
	must(t, syscall.Mkfifo(filepath.Join(h.ws, "fifo"), 0o644))
	r := root(t, h.ws)

	f, err := r.Open("baseline.txt")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 16)
	n, _ := f.Read(b)
	f.Close()
	if string(b[:n]) != "base\n" {
		t.Errorf("read %q", b[:n])
	}
	got := map[string]string{}
	for _, name := range []string{"link.txt", "linkdir/event.json", "fifo", "sub", "../workflow/event.json", "/etc/hostname", "missing"} {
		_, err := r.Open(name)
		got[name] = errText(err)
	}
	for _, name := range []string{".", "sub", "sub/repo", "linkdir", "baseline.txt", "sub/../..", "/tmp"} {
		got["dir "+name] = errText(r.CheckDir(name))
	}
	want := map[string]string{
		"link.txt":               "link.txt is a symbolic link, which vastguard does not follow",
		"linkdir/event.json":     "linkdir is a symbolic link, which vastguard does not follow",
		"fifo":                   "fifo is not a regular file",
		"sub":                    "sub is a directory; name a file",
		"../workflow/event.json": "../workflow/event.json leaves the directory it must stay in",
		"/etc/hostname":          "/etc/hostname leaves the directory it must stay in",
		"missing":                "missing: no such file or directory",
		"dir .":                  "",
		"dir sub":                "",
		"dir sub/repo":           "",
		"dir linkdir":            "linkdir is a symbolic link, which vastguard does not follow",
		"dir baseline.txt":       "baseline.txt is not a directory",
		"dir sub/../..":          "sub/../.. leaves the directory it must stay in",
		"dir /tmp":               "/tmp leaves the directory it must stay in",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestUserPaths: a path a user typed is walked from "/" or the current
// directory, with no link anywhere on it.
func TestUserPaths(t *testing.T) {
	h := newHostile(t)
	must(t, os.Symlink(h.outside, filepath.Join(h.ws, "linkdir")))
	must(t, os.Symlink(h.victim, filepath.Join(h.ws, "link.json")))

	f, err := safefile.CreatePath(filepath.Join(h.ws, "report.json"), safefile.Options{Perm: 0o644})
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("{}\n"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(h.ws, "linkdir", "event.json"), filepath.Join(h.ws, "link.json")} {
		_, err := safefile.CreatePath(p, safefile.Options{Perm: 0o644})
		if !errors.Is(err, safefile.ErrSymlink) {
			t.Errorf("CreatePath(%s) = %v, want a refused link", p, err)
		}
		if _, err := safefile.OpenPath(p); !errors.Is(err, safefile.ErrSymlink) {
			t.Errorf("OpenPath(%s) = %v, want a refused link", p, err)
		}
	}
	_, err = safefile.CreatePath(filepath.Join(h.ws, "no", "such", "dir", "k"), safefile.Options{Perm: 0o600})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing directory = %v (CreatePath never makes one)", err)
	}

	// Relative to the current directory; ".." climbs to its real parent.
	t.Chdir(h.ws)
	if _, err := safefile.CreatePath("linkdir/event.json", safefile.Options{Perm: 0o644}); !errors.Is(err, safefile.ErrSymlink) || !strings.HasPrefix(err.Error(), "linkdir is a symbolic link") {
		t.Errorf("relative link = %v", err)
	}
	f, err = safefile.CreatePath("../up.txt", safefile.Options{Perm: 0o644})
	if err != nil {
		t.Fatal(err)
	}
	must(t, f.Commit())
	if _, err := os.Stat(filepath.Join(filepath.Dir(h.ws), "up.txt")); err != nil {
		t.Errorf("../up.txt: %v", err)
	}
	h.untouched(t)
}

// TestChownOnTheDescriptor: run as root, the file and the directories made
// for it get the root directory's owner, and a link's target never does.
func TestChownOnTheDescriptor(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files away")
	}
	h := newHostile(t)
	const uid, gid = 4321, 8765
	must(t, os.Chown(h.ws, uid, gid))
	must(t, os.Symlink(h.victim, filepath.Join(h.ws, "link.sarif")))
	r := root(t, h.ws)
	if err := r.WriteFile("reports/out.sarif", []byte("x"), safefile.Options{Perm: 0o644, MakeDirs: true, Chown: true}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"reports", "reports/out.sarif"} {
		fi, _ := os.Stat(filepath.Join(h.ws, p))
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != uid || st.Gid != gid {
			t.Errorf("%s owned by %d:%d, want %d:%d", p, st.Uid, st.Gid, uid, gid)
		}
	}
	r.WriteFile("link.sarif", []byte("x"), safefile.Options{Perm: 0o644, Chown: true})
	fi, _ := os.Stat(h.victim)
	if st := fi.Sys().(*syscall.Stat_t); st.Uid == uid {
		t.Error("the link's target was given away")
	}
	h.untouched(t)
}

// TestChownDir: run as root, a directory outside the root (a cache in the
// runner's temp directory) and its files get the root's owner; a link in
// it is passed over and its target keeps its owner; a link in place of
// the directory is refused.
func TestChownDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files away")
	}
	h := newHostile(t)
	const uid, gid = 4321, 8765
	must(t, os.Chown(h.ws, uid, gid))
	cache := filepath.Join(filepath.Dir(h.ws), "runner_temp", "vastguard-cache")
	must(t, os.MkdirAll(filepath.Join(cache, "sub"), 0o700))
	must(t, os.WriteFile(filepath.Join(cache, "scan-1.vgcache"), []byte("c"), 0o600))
	must(t, os.Symlink(h.victim, filepath.Join(cache, "link.vgcache")))
	r := root(t, h.ws)
	if err := r.ChownDir(cache); err != nil {
		t.Fatal(err)
	}
	owner := func(p string) (uint32, uint32) {
		fi, err := os.Lstat(p)
		must(t, err)
		st := fi.Sys().(*syscall.Stat_t)
		return st.Uid, st.Gid
	}
	for _, p := range []string{cache, filepath.Join(cache, "scan-1.vgcache")} {
		if u, g := owner(p); u != uid || g != gid {
			t.Errorf("%s owned by %d:%d, want %d:%d", p, u, g, uid, gid)
		}
	}
	if u, _ := owner(h.victim); u == uid {
		t.Error("a link's target was given away")
	}
	if u, _ := owner(filepath.Join(cache, "sub")); u == uid {
		t.Error("a subdirectory was given away")
	}
	linked := filepath.Join(filepath.Dir(h.ws), "linked-cache")
	must(t, os.Symlink(h.outside, linked))
	if err := r.ChownDir(linked); !errors.Is(err, safefile.ErrSymlink) {
		t.Errorf("a link in place of the directory: %v, want ErrSymlink", err)
	}
	if u, _ := owner(h.outside); u == uid {
		t.Error("the directory a link names was given away")
	}
	h.untouched(t)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
