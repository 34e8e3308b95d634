// Package scantest builds git repositories for tests: real repositories on
// disk (loose objects, or packed with deltas), with fixed authors and dates
// so object ids, and the golden files keyed on them, never change.
//
// Keys are generated at run time by Key, deterministically from a number, so
// no key-shaped value is ever committed to this repository.
package scantest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage"
)

// TB is the part of testing.TB the builder needs.
type TB interface {
	Helper()
	TempDir() string
	Fatalf(format string, args ...any)
}

// Key returns the n-th test key: 64 lowercase hex characters derived from
// n, the same on every run.
func Key(n int) string {
	s := sha256.Sum256([]byte(fmt.Sprintf("vastguard test key %d", n)))
	return hex.EncodeToString(s[:])
}

// Epoch is the date of the first commit; each commit is an hour later.
var Epoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// Repo is a repository under construction.
type Repo struct {
	tb       TB
	Dir      string // the work tree (or the bare repository)
	Git      *git.Repository
	st       storage.Storer
	clock    time.Time
	branches map[string]*branch
	current  string
}

type branch struct {
	head  plumbing.Hash
	files map[string]string
}

// Author is the fixed author of every commit unless a commit names another.
var Author = object.Signature{Name: "Ada Lovelace", Email: "ada@example.com"}

// New creates an empty repository with a work tree in a fresh temporary
// directory, on branch main.
func New(tb TB) *Repo {
	tb.Helper()
	dir := tb.TempDir()
	g, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}})
	if err != nil {
		tb.Fatalf("init: %v", err)
	}
	return &Repo{tb: tb, Dir: dir, Git: g, st: g.Storer, clock: Epoch, branches: map[string]*branch{"main": {files: map[string]string{}}}, current: "main"}
}

// Files maps paths to contents. A nil-valued entry (see Delete) removes the
// file.
type Files map[string]string

// Delete marks a path for removal in a Files map.
const Delete = "\x00delete"

// Symlink is a Files value that commits a symbolic link to target (mode
// 120000), as a repository can hold one; CheckoutWorktree makes the link.
func Symlink(target string) string { return "\x00link\x00" + target }

// Gitlink is a Files value that commits a submodule entry (mode 160000)
// naming commit h, which the repository need not hold.
func Gitlink(h plumbing.Hash) string { return "\x00gitlink\x00" + h.String() }

// Commit records a commit on the current branch that applies files, and
// returns its id.
func (r *Repo) Commit(msg string, files Files) plumbing.Hash {
	r.tb.Helper()
	b := r.branches[r.current]
	var parents []plumbing.Hash
	if !b.head.IsZero() {
		parents = []plumbing.Hash{b.head}
	}
	return r.commitOn(r.current, msg, files, parents, Author)
}

// CommitAs is Commit with another author.
func (r *Repo) CommitAs(author object.Signature, msg string, files Files) plumbing.Hash {
	r.tb.Helper()
	b := r.branches[r.current]
	var parents []plumbing.Hash
	if !b.head.IsZero() {
		parents = []plumbing.Hash{b.head}
	}
	return r.commitOn(r.current, msg, files, parents, author)
}

func (r *Repo) commitOn(name, msg string, files Files, parents []plumbing.Hash, author object.Signature) plumbing.Hash {
	r.tb.Helper()
	b := r.branches[name]
	for p, c := range files {
		if c == Delete {
			delete(b.files, p)
		} else {
			b.files[p] = c
		}
	}
	tree := r.writeTree(b.files)
	r.clock = r.clock.Add(time.Hour)
	sig := author
	sig.When = r.clock
	c := &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: tree, ParentHashes: parents}
	h := r.store(c)
	b.head = h
	r.setRef(plumbing.NewBranchReferenceName(name), h)
	return h
}

// Branch creates branch name at the current branch's head and switches to
// it.
func (r *Repo) Branch(name string) {
	cur := r.branches[r.current]
	files := make(map[string]string, len(cur.files))
	for k, v := range cur.files {
		files[k] = v
	}
	r.branches[name] = &branch{head: cur.head, files: files}
	r.current = name
	if !cur.head.IsZero() {
		r.setRef(plumbing.NewBranchReferenceName(name), cur.head)
	}
}

// Checkout switches to an existing branch.
func (r *Repo) Checkout(name string) {
	r.tb.Helper()
	if _, ok := r.branches[name]; !ok {
		r.tb.Fatalf("no branch %q", name)
	}
	r.current = name
}

// Merge makes a merge commit on the current branch with other as second
// parent. The merged tree is the current branch's files, then other's,
// then resolution (a conflict resolution: content only the merge has).
func (r *Repo) Merge(other, msg string, resolution Files) plumbing.Hash {
	r.tb.Helper()
	b := r.branches[r.current]
	o := r.branches[other]
	for p, c := range o.files {
		if _, ok := b.files[p]; !ok {
			b.files[p] = c
		}
	}
	return r.commitOn(r.current, msg, resolution, []plumbing.Hash{b.head, o.head}, Author)
}

// SetClock sets the time the next commit is made at, less the hour each
// commit adds: a test makes a skewed clock with it.
func (r *Repo) SetClock(t time.Time) { r.clock = t.Add(-time.Hour) }

// Head returns the current branch's head.
func (r *Repo) Head() plumbing.Hash { return r.branches[r.current].head }

// DeleteBranch removes a branch ref (its commits become unreachable unless
// something else reaches them).
func (r *Repo) DeleteBranch(name string) {
	r.tb.Helper()
	if err := r.st.RemoveReference(plumbing.NewBranchReferenceName(name)); err != nil {
		r.tb.Fatalf("delete branch: %v", err)
	}
	delete(r.branches, name)
}

// Tag creates a lightweight tag, or an annotated one when msg is not empty.
func (r *Repo) Tag(name string, target plumbing.Hash, msg string) {
	r.tb.Helper()
	if msg == "" {
		r.setRef(plumbing.NewTagReferenceName(name), target)
		return
	}
	r.clock = r.clock.Add(time.Hour)
	tg := &object.Tag{Name: name, Tagger: object.Signature{Name: Author.Name, Email: Author.Email, When: r.clock}, Message: msg, TargetType: plumbing.CommitObject, Target: target}
	r.setRef(plumbing.NewTagReferenceName(name), r.store(tg))
}

// TagTree makes an annotated tag that names a tree holding files directly,
// not a commit (git allows it; such a tree is in every clone).
func (r *Repo) TagTree(name string, files Files) {
	r.tb.Helper()
	m := map[string]string{}
	for k, v := range files {
		m[k] = v
	}
	tree := r.writeTree(m)
	r.clock = r.clock.Add(time.Hour)
	tg := &object.Tag{Name: name, Tagger: object.Signature{Name: Author.Name, Email: Author.Email, When: r.clock}, Message: "a tree\n", TargetType: plumbing.TreeObject, Target: tree}
	r.setRef(plumbing.NewTagReferenceName(name), r.store(tg))
}

// Note attaches a git note to target under refs/notes/commits.
func (r *Repo) Note(target plumbing.Hash, text string) {
	r.tb.Helper()
	name := plumbing.ReferenceName("refs/notes/commits")
	files := map[string]string{}
	var parents []plumbing.Hash
	if ref, err := r.st.Reference(name); err == nil {
		parents = append(parents, ref.Hash())
	}
	files[target.String()] = text
	tree := r.writeTree(files)
	r.clock = r.clock.Add(time.Hour)
	sig := Author
	sig.When = r.clock
	h := r.store(&object.Commit{Author: sig, Committer: sig, Message: "Notes added by 'git notes add'", TreeHash: tree, ParentHashes: parents})
	r.setRef(name, h)
}

// Stash records a stash entry holding files on top of the current head, as
// `git stash` does: a commit whose parents are HEAD and an index commit,
// named by refs/stash and logged in logs/refs/stash.
func (r *Repo) Stash(msg string, files Files) plumbing.Hash {
	r.tb.Helper()
	b := r.branches[r.current]
	all := map[string]string{}
	for k, v := range b.files {
		all[k] = v
	}
	for k, v := range files {
		all[k] = v
	}
	tree := r.writeTree(all)
	r.clock = r.clock.Add(time.Hour)
	sig := Author
	sig.When = r.clock
	index := r.store(&object.Commit{Author: sig, Committer: sig, Message: "index on " + r.current, TreeHash: tree, ParentHashes: []plumbing.Hash{b.head}})
	h := r.store(&object.Commit{Author: sig, Committer: sig, Message: "On " + r.current + ": " + msg, TreeHash: tree, ParentHashes: []plumbing.Hash{b.head, index}})
	old := plumbing.ZeroHash
	if ref, err := r.st.Reference("refs/stash"); err == nil {
		old = ref.Hash()
	}
	r.setRef("refs/stash", h)
	logDir := filepath.Join(r.gitDir(), "logs", "refs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		r.tb.Fatalf("stash log: %v", err)
	}
	f, err := os.OpenFile(filepath.Join(logDir, "stash"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		r.tb.Fatalf("stash log: %v", err)
	}
	fmt.Fprintf(f, "%s %s %s <%s> %d +0000\tOn %s: %s\n", old, h, Author.Name, Author.Email, r.clock.Unix(), r.current, msg)
	f.Close()
	return h
}

func (r *Repo) gitDir() string {
	if _, err := os.Stat(filepath.Join(r.Dir, ".git")); err == nil {
		return filepath.Join(r.Dir, ".git")
	}
	return r.Dir
}

func (r *Repo) setRef(name plumbing.ReferenceName, h plumbing.Hash) {
	r.tb.Helper()
	if err := r.st.SetReference(plumbing.NewHashReference(name, h)); err != nil {
		r.tb.Fatalf("set %s: %v", name, err)
	}
}

type encoder interface {
	Encode(plumbing.EncodedObject) error
}

func (r *Repo) store(o encoder) plumbing.Hash {
	r.tb.Helper()
	obj := r.st.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		r.tb.Fatalf("encode: %v", err)
	}
	h, err := r.st.SetEncodedObject(obj)
	if err != nil {
		r.tb.Fatalf("store: %v", err)
	}
	return h
}

func (r *Repo) blob(content string) plumbing.Hash {
	r.tb.Helper()
	obj := r.st.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, _ := obj.Writer()
	w.Write([]byte(content))
	w.Close()
	h, err := r.st.SetEncodedObject(obj)
	if err != nil {
		r.tb.Fatalf("store blob: %v", err)
	}
	return h
}

// writeTree stores the nested trees for a flat path -> content map.
func (r *Repo) writeTree(files map[string]string) plumbing.Hash {
	r.tb.Helper()
	type dir struct {
		files map[string]string
		dirs  map[string]*dir
	}
	root := &dir{files: map[string]string{}, dirs: map[string]*dir{}}
	for p, c := range files {
		parts := strings.Split(p, "/")
		d := root
		for _, part := range parts[:len(parts)-1] {
			if d.dirs[part] == nil {
				d.dirs[part] = &dir{files: map[string]string{}, dirs: map[string]*dir{}}
			}
			d = d.dirs[part]
		}
		d.files[parts[len(parts)-1]] = c
	}
	var write func(d *dir) plumbing.Hash
	write = func(d *dir) plumbing.Hash {
		var entries []object.TreeEntry
		for name, c := range d.files {
			mode := filemode.Regular
			switch {
			case strings.HasPrefix(c, "\x00exec\x00"):
				mode, c = filemode.Executable, strings.TrimPrefix(c, "\x00exec\x00")
			case strings.HasPrefix(c, "\x00link\x00"):
				mode, c = filemode.Symlink, strings.TrimPrefix(c, "\x00link\x00")
			case strings.HasPrefix(c, "\x00gitlink\x00"):
				entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Submodule, Hash: plumbing.NewHash(strings.TrimPrefix(c, "\x00gitlink\x00"))})
				continue
			}
			entries = append(entries, object.TreeEntry{Name: name, Mode: mode, Hash: r.blob(c)})
		}
		for name, sub := range d.dirs {
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: write(sub)})
		}
		sort.Slice(entries, func(i, j int) bool {
			a, b := entries[i].Name, entries[j].Name
			if entries[i].Mode == filemode.Dir {
				a += "/"
			}
			if entries[j].Mode == filemode.Dir {
				b += "/"
			}
			return a < b
		})
		return r.store(&object.Tree{Entries: entries})
	}
	return write(root)
}

// Pack moves every loose object into one packfile with deltas, as git gc
// does, so tests cover the packed path.
func (r *Repo) Pack() {
	r.tb.Helper()
	if err := r.Git.RepackObjects(&git.RepackConfig{}); err != nil {
		r.tb.Fatalf("repack: %v", err)
	}
}

// Checkout writes the current branch's files into the work tree and points
// HEAD at the branch, so the directory looks like a normal clone.
func (r *Repo) CheckoutWorktree() {
	r.tb.Helper()
	if err := r.st.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName(r.current))); err != nil {
		r.tb.Fatalf("HEAD: %v", err)
	}
	wt, err := r.Git.Worktree()
	if err != nil {
		r.tb.Fatalf("worktree: %v", err)
	}
	if err := wt.Reset(&git.ResetOptions{Mode: git.HardReset, Commit: r.Head()}); err != nil {
		r.tb.Fatalf("reset: %v", err)
	}
}

// Stage writes files into the work tree and stages them (git add).
func (r *Repo) Stage(files Files) {
	r.tb.Helper()
	wt, err := r.Git.Worktree()
	if err != nil {
		r.tb.Fatalf("worktree: %v", err)
	}
	for p, c := range files {
		full := filepath.Join(r.Dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.tb.Fatalf("stage: %v", err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			r.tb.Fatalf("stage: %v", err)
		}
		if _, err := wt.Add(p); err != nil {
			r.tb.Fatalf("git add %s: %v", p, err)
		}
	}
}

// MakeShallow marks commit as a shallow boundary, as a depth-limited clone
// records it.
func (r *Repo) MakeShallow(commits ...plumbing.Hash) {
	r.tb.Helper()
	if err := r.st.SetShallow(commits); err != nil {
		r.tb.Fatalf("shallow: %v", err)
	}
}

// SetConfig sets a raw config option, e.g. extensions.partialClone.
func (r *Repo) SetConfig(section, option, value string) {
	r.tb.Helper()
	cfg, err := r.Git.Config()
	if err != nil {
		r.tb.Fatalf("config: %v", err)
	}
	cfg.Raw.Section(section).SetOption(option, value)
	if section == "extensions" {
		cfg.Core.RepositoryFormatVersion = "1"
	}
	if err := r.st.SetConfig(cfg); err != nil {
		r.tb.Fatalf("config: %v", err)
	}
}
