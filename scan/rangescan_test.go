package scan_test

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

// randomHistory builds a history of branches, merges (some with a
// resolution of their own), edits, deletions, files moved and content put
// back as it was, from seed. Each key is only ever in one content, so a
// blob and its key identify each other. It returns every commit made.
func randomHistory(t *testing.T, seed int64, steps int, skew bool) (*scantest.Repo, []plumbing.Hash) {
	t.Helper()
	g := newHistoryGen(t, seed)
	g.skew = skew
	g.steps(steps)
	g.r.Checkout("main")
	g.r.CheckoutWorktree()
	return g.r, g.made
}

// historyGen grows a random history, a few steps at a time.
type historyGen struct {
	r    *scantest.Repo
	rng  *rand.Rand
	skew bool
	// rich adds contents new at each step, some with keys seen before:
	// a key then lives in many blobs.
	rich     bool
	made     []plumbing.Hash
	branches []string
	step     int
}

// genPaths are where the generator writes. Besides assignments named for
// Vast, some hold what the detection decides only by path or by the files
// next to them (a generic key in app/config.json, which app/run.py may or
// may not read, or in vast/settings.yaml), a key in a binary blob's
// printable text, and a bare key file.
var genPaths = []string{"a.env", "dir/b.env", "dir/sub/c.env", "dir/sub/d.txt", "e/f/g.env", "e/h.txt", "top.txt",
	"app/config.json", "app/run.py", "vast/settings.yaml", "data/blob.bin", "vast_api_key"}

func newHistoryGen(t *testing.T, seed int64) *historyGen {
	g := &historyGen{r: scantest.New(t), rng: rand.New(rand.NewSource(seed)), branches: []string{"main"}}
	g.made = append(g.made, g.r.Commit("root", scantest.Files{"top.txt": "start\n", "dir/sub/d.txt": "d\n"}))
	return g
}

// content is what the generator writes at path p.
func (g *historyGen) content(p string) string {
	n := g.rng.Intn(12)
	switch p {
	case "app/run.py":
		if n < 8 {
			return "from vastai import VastAI\nclient = VastAI(open(\"config.json\").read())\n"
		}
		return "print(\"no config read here\")\n"
	case "app/config.json", "vast/settings.yaml":
		if n < 8 {
			return "api_key: " + scantest.Key(400+n) + "\n"
		}
		return fmt.Sprintf("api_key: none %d\n", n)
	case "data/blob.bin":
		if n < 6 {
			return "\x00\x01\x02bin\x00VAST_API_KEY=" + scantest.Key(500+n) + "\x00\x03"
		}
		return fmt.Sprintf("\x00\x01\x02bin %d\x00", n)
	case "vast_api_key":
		if n < 6 {
			return scantest.Key(600+n) + "\n"
		}
		return fmt.Sprintf("unset %d\n", n)
	}
	if g.rich && g.rng.Intn(3) == 0 {
		if g.rng.Intn(2) == 0 {
			return fmt.Sprintf("VAST_API_KEY=%s\n# step %d\n", scantest.Key(g.rng.Intn(8)), g.step)
		}
		return fmt.Sprintf("VAST_API_KEY=%s\n", scantest.Key(300+g.step))
	}
	if n < 6 {
		return "VAST_API_KEY=" + scantest.Key(n) + "\n"
	}
	return fmt.Sprintf("clean %d\n", n)
}

func (g *historyGen) steps(n int) {
	r, rng := g.r, g.rng
	for range n {
		i := g.step
		g.step++
		if g.skew && i%9 == 4 {
			// A clock hours behind, then back on time.
			r.SetClock(scantest.Epoch.Add(time.Duration(i-6) * time.Hour))
		}
		b := g.branches[rng.Intn(len(g.branches))]
		r.Checkout(b)
		switch x := rng.Intn(10); {
		case x < 2 && len(g.branches) < 5:
			name := fmt.Sprintf("br%d", i)
			r.Branch(name)
			g.branches = append(g.branches, name)
			p := genPaths[rng.Intn(len(genPaths))]
			g.made = append(g.made, r.Commit(fmt.Sprintf("start %s", name), scantest.Files{p: g.content(p)}))
		case x < 4 && len(g.branches) > 1:
			other := g.branches[rng.Intn(len(g.branches))]
			if other == b {
				continue
			}
			res := scantest.Files{}
			if rng.Intn(2) == 0 {
				p := genPaths[rng.Intn(len(genPaths))]
				res[p] = g.content(p) // content only the merge has
			}
			msg := "merge " + other
			if rng.Intn(4) == 0 {
				msg += "\n\nVAST_API_KEY=" + scantest.Key(100+i)
			}
			g.made = append(g.made, r.Merge(other, msg, res))
		default:
			files := scantest.Files{}
			for range 1 + rng.Intn(3) {
				p := genPaths[rng.Intn(len(genPaths))]
				if rng.Intn(6) == 0 {
					files[p] = scantest.Delete
				} else {
					files[p] = g.content(p)
				}
			}
			msg := fmt.Sprintf("edit %d", i)
			if rng.Intn(6) == 0 {
				msg += "\n\nvastai set api-key " + scantest.Key(200+i)
			}
			g.made = append(g.made, r.Commit(msg, files))
		}
	}
}

// reach returns every commit h reaches, through go-git.
func reach(t *testing.T, g *git.Repository, h plumbing.Hash) map[plumbing.Hash]*object.Commit {
	t.Helper()
	out := map[plumbing.Hash]*object.Commit{}
	stack := []plumbing.Hash{h}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := out[h]; ok {
			continue
		}
		c, err := g.CommitObject(h)
		if err != nil {
			t.Fatal(err)
		}
		out[h] = c
		stack = append(stack, c.ParentHashes...)
	}
	return out
}

// expectedRange is the reference for A..B, the slow way: the commits B
// reaches and A does not, every blob of every tree A reaches, and for each
// finding of a full scan whose blob a commit of the range holds at its
// path (and A's history never holds anywhere), the first such commit.
func expectedRange(t *testing.T, r *scantest.Repo, full *scan.Report, a, b plumbing.Hash) []string {
	t.Helper()
	base := reach(t, r.Git, a)
	all := reach(t, r.Git, b)
	known := map[plumbing.Hash]bool{}
	for _, c := range base {
		tree, _ := c.Tree()
		tree.Files().ForEach(func(f *object.File) error {
			known[f.Hash] = true
			return nil
		})
	}
	var in []*object.Commit
	for h, c := range all {
		if _, ok := base[h]; !ok {
			in = append(in, c)
		}
	}
	// The scan's order: parents before children, then by commit time
	// (then id), as Kahn's algorithm gives it.
	inSet := map[plumbing.Hash]bool{}
	for _, c := range in {
		inSet[c.Hash] = true
	}
	pending := map[plumbing.Hash]int{}
	for _, c := range in {
		for _, p := range c.ParentHashes {
			if inSet[p] {
				pending[c.Hash]++
			}
		}
	}
	var ordered []*object.Commit
	for len(ordered) < len(in) {
		var next *object.Commit
		for _, c := range in {
			if done := inSet[c.Hash]; !done || pending[c.Hash] > 0 {
				continue
			}
			if next == nil || c.Committer.When.Unix() < next.Committer.When.Unix() ||
				(c.Committer.When.Unix() == next.Committer.When.Unix() && c.Hash.String() < next.Hash.String()) {
				next = c
			}
		}
		ordered = append(ordered, next)
		inSet[next.Hash] = false
		for _, c := range in {
			for _, p := range c.ParentHashes {
				if p == next.Hash {
					pending[c.Hash]--
				}
			}
		}
	}
	in = ordered
	first := map[string]plumbing.Hash{} // blob + path -> first commit of the range holding it
	for _, c := range in {
		tree, _ := c.Tree()
		tree.Files().ForEach(func(f *object.File) error {
			k := f.Hash.String() + " " + f.Name
			if _, ok := first[k]; !ok && !known[f.Hash] {
				first[k] = c.Hash
			}
			return nil
		})
	}
	var out []string
	for _, f := range full.Findings {
		switch f.Source {
		case scan.SourceFile:
			if c, ok := first[f.Blob+" "+f.Path]; ok {
				out = append(out, fmt.Sprintf("file %s %s %d:%d %s", f.Path, f.KeySHA256[:8], f.Line, f.Column, c.String()[:8]))
			}
		case scan.SourceCommitMessage:
			h := plumbing.NewHash(f.Commit)
			if _, ok := all[h]; ok {
				if _, inBase := base[h]; !inBase {
					out = append(out, fmt.Sprintf("message %s %d:%d %s", f.KeySHA256[:8], f.Line, f.Column, f.Commit[:8]))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// onlyRef makes a repository that borrows r's objects (through
// objects/info/alternates) and has one ref, main, at b.
func onlyRef(t *testing.T, r *scantest.Repo, b plumbing.Hash) string {
	t.Helper()
	dir := t.TempDir()
	gd := filepath.Join(dir, ".git")
	for _, d := range []string{"objects/info", "objects/pack", "refs/heads", "refs/tags"} {
		if err := os.MkdirAll(filepath.Join(gd, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	abs, err := filepath.Abs(filepath.Join(r.Dir, ".git", "objects"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"HEAD":                    "ref: refs/heads/main\n",
		"refs/heads/main":         b.String() + "\n",
		"config":                  "[core]\n\trepositoryformatversion = 0\n\tbare = false\n",
		"objects/info/alternates": abs + "\n",
	} {
		if err := os.WriteFile(filepath.Join(gd, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// rangeReference is what a range A..B must report, field by field: a full
// scan of B's history alone (so each blob is first placed, and a pending
// match decided, in the first commit of B's history holding it, which for
// a blob A never holds is a commit of the range), less what A holds: blobs
// in any tree of A's history, and A's commits' messages. Refs are left out
// (a range names its end as given).
func rangeReference(t *testing.T, r *scantest.Repo, a, b plumbing.Hash) []scan.Finding {
	t.Helper()
	full, err := scan.Scan(t.Context(), onlyRef(t, r, b), scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base, all := reach(t, r.Git, a), reach(t, r.Git, b)
	known := map[string]bool{}
	for _, c := range base {
		tree, _ := c.Tree()
		tree.Files().ForEach(func(f *object.File) error {
			known[f.Hash.String()] = true
			return nil
		})
	}
	var out []scan.Finding
	for _, f := range full.Findings {
		switch f.Source {
		case scan.SourceFile:
			if known[f.Blob] {
				continue
			}
		case scan.SourceCommitMessage:
			h := plumbing.NewHash(f.Commit)
			if _, ok := base[h]; ok {
				continue
			}
			if _, ok := all[h]; !ok {
				continue // a borrowed commit B does not reach
			}
		default:
			continue // unreachable: the borrowed objects B does not reach
		}
		out = append(out, f)
	}
	return sortedFindings(out)
}

// sortedFindings orders findings by source, path, key, commit and line,
// with Ref cleared.
func sortedFindings(fs []scan.Finding) []scan.Finding {
	out := append([]scan.Finding{}, fs...)
	for i := range out {
		out[i].Ref = ""
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.KeySHA256 != b.KeySHA256 {
			return a.KeySHA256 < b.KeySHA256
		}
		if a.Commit != b.Commit {
			return a.Commit < b.Commit
		}
		return a.Line < b.Line
	})
	return out
}

func rangeLines(rep *scan.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		switch f.Source {
		case scan.SourceFile:
			out = append(out, fmt.Sprintf("file %s %s %d:%d %s", f.Path, f.KeySHA256[:8], f.Line, f.Column, f.Commit[:8]))
		case scan.SourceCommitMessage:
			out = append(out, fmt.Sprintf("message %s %d:%d %s", f.KeySHA256[:8], f.Line, f.Column, f.Commit[:8]))
		}
	}
	sort.Strings(out)
	return out
}

// TestRangeMatchesFullScan checks range scans over random histories
// against the full scan restricted to the objects the range introduced.
func TestRangeMatchesFullScan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		seed int64
		skew bool
	}{{1, false}, {2, false}, {3, false}, {4, true}, {5, true}} {
		t.Run(fmt.Sprintf("seed %d skew %v", tc.seed, tc.skew), func(t *testing.T) {
			t.Parallel()
			r, made := randomHistory(t, tc.seed, 80, tc.skew)
			if tc.seed%2 == 0 {
				r.Pack()
			}
			full, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(tc.seed))
			for range 25 {
				a, b := made[rng.Intn(len(made))], made[rng.Intn(len(made))]
				rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Range: a.String() + ".." + b.String()})
				if err != nil {
					t.Fatal(err)
				}
				want := expectedRange(t, r, full, a, b)
				if diff := cmp.Diff(want, rangeLines(rep)); diff != "" {
					t.Fatalf("range %s..%s (-want +got):\n%s", a.String()[:8], b.String()[:8], diff)
				}
				// Field by field, rule and why included.
				ref := rangeReference(t, r, a, b)
				if diff := cmp.Diff(ref, sortedFindings(rep.Findings), cmpopts.IgnoreUnexported(scan.Finding{})); diff != "" {
					t.Fatalf("range %s..%s against a full scan of its end (-full +range):\n%s", a.String()[:8], b.String()[:8], diff)
				}
			}
		})
	}
}

func TestRangeRevisions(t *testing.T) {
	t.Parallel()
	k := scantest.Key
	r := scantest.New(t)
	r.Commit("one", scantest.Files{"a.env": "x\n"})
	r.Commit("two", scantest.Files{"b.env": "VAST_API_KEY=" + k(1) + "\n"})
	second := r.Head()
	r.Tag("v1", second, "release one")
	r.Tag("light", second, "")
	r.Commit("three", scantest.Files{"c.env": "VAST_API_KEY=" + k(2) + "\n"})
	r.Branch("side")
	r.Commit("four", scantest.Files{"d.env": "VAST_API_KEY=" + k(3) + "\n"})
	r.Checkout("main")
	r.Merge("side", "merge side", nil)
	r.CheckoutWorktree()
	r.Pack()
	tests := []struct {
		rng  string
		want []string
	}{
		{"v1..main", []string{"file:c.env", "file:d.env"}},
		{"light..HEAD", []string{"file:c.env", "file:d.env"}},
		{"refs/tags/v1..refs/heads/main", []string{"file:c.env", "file:d.env"}},
		{"main~2..main", []string{"file:c.env", "file:d.env"}},
		{"main^..main", []string{"file:d.env"}},
		{"main^2..main", nil},
		{"HEAD^2~1..@", []string{"file:d.env"}},
		{"v1^{}..side", []string{"file:c.env", "file:d.env"}},
		{"v1^{commit}~1..v1", []string{"file:b.env"}},
		{second.String()[:7] + "..main", []string{"file:c.env", "file:d.env"}},
	}
	run := func(t *testing.T, dir string) {
		for _, tt := range tests {
			t.Run(tt.rng, func(t *testing.T) {
				rep, err := scan.Scan(t.Context(), dir, scan.Options{Range: tt.rng})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, paths(rep)); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
	}
	t.Run("loose refs", func(t *testing.T) { run(t, r.Dir) })
	if _, err := exec.LookPath("git"); err == nil {
		// The same refs in packed-refs, with their peeled lines, as git
		// pack-refs and every clone write them.
		packed := filepath.Join(t.TempDir(), "packed")
		gitIn(t, "", "clone", "-q", "--mirror", r.Dir, packed)
		gitIn(t, packed, "pack-refs", "--all")
		gitIn(t, packed, "symbolic-ref", "HEAD", "refs/heads/main")
		if _, err := os.Stat(filepath.Join(packed, "refs", "heads", "main")); err == nil {
			t.Fatal("pack-refs left a loose ref")
		}
		t.Run("packed refs", func(t *testing.T) { run(t, packed) })
	}
}
