package scan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
	"github.com/vastguard/vastguard/scan/gitobj"
)

// Errors callers branch on. Each is wrapped with a message that says what
// to do.
var (
	ErrNotRepository   = errors.New("not a git repository")
	ErrShallow         = errors.New("shallow clone")
	ErrPartial         = errors.New("partial clone")
	ErrMissingRevision = errors.New("revision not in the clone")
	ErrBadRange        = errors.New("bad range")
	// ErrLimit is matched by errors about content over a budget (see
	// Options.MaxObjectSize); the error is a *gitobj.LimitError.
	ErrLimit = gitobj.ErrLimit
	// ErrNotRegular is matched by errors about a FIFO, device, socket or
	// directory where git expects a regular file.
	ErrNotRegular = gitobj.ErrNotRegular
	// ErrBareInWorkTree is matched by the error about a bare repository
	// layout found inside a work tree (see Options.AllowBareInWorkTree).
	ErrBareInWorkTree = errors.New("bare repository inside a work tree")
)

// fetchHint is appended to every error about history the clone lacks.
const fetchHint = "check out with fetch-depth: 0 (actions/checkout) or run `git fetch --unshallow`"

// repo is an opened repository.
type repo struct {
	git        *git.Repository
	gitDir     string
	objDir     string
	extensions map[string]string        // [extensions] of the config, lower-cased
	packed     map[string]plumbing.Hash // packed-refs, once read
	limits     gitobj.Limits            // with defaults filled in
}

func openRepo(path string, opts Options) (*repo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist", path)
		}
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is a file, not a git repository: %w", path, ErrNotRepository)
	}
	gitDir, workTree, err := locate(path, opts.AllowBareInWorkTree)
	if err != nil {
		return nil, err
	}
	common := gitDir
	b, err := gitobj.ReadRegular(filepath.Join(gitDir, "commondir"), maxGitFile)
	switch {
	case err == nil:
		c := strings.TrimSpace(string(b))
		if !filepath.IsAbs(c) {
			c = filepath.Join(gitDir, c)
		}
		common = filepath.Clean(c)
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	// go-git reports any failure to read HEAD as "no HEAD": a HEAD that
	// is a FIFO or a device gets its own error first.
	if _, err := gitobj.ReadRegular(filepath.Join(gitDir, "HEAD"), maxGitFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var fs billy.Filesystem = guardFS{osfs.New(gitDir)}
	if common != gitDir {
		fs = dotgit.NewRepositoryFilesystem(fs, guardFS{osfs.New(common)})
	}
	st := filesystem.NewStorage(fs, cache.NewObjectLRUDefault())
	cfg, err := st.Config()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the git config: %w", path, err)
	}
	r := &repo{gitDir: gitDir, objDir: filepath.Join(common, "objects"), extensions: map[string]string{}, limits: opts.limits()}
	if cfg.Raw != nil && cfg.Raw.HasSection("extensions") {
		for _, o := range cfg.Raw.Section("extensions").Options {
			r.extensions[strings.ToLower(o.Key)] = strings.ToLower(o.Value)
		}
	}
	if f := r.extensions["objectformat"]; f != "" && f != "sha1" {
		return nil, fmt.Errorf("%s uses %s object ids, which vastguard cannot read yet", path, f)
	}
	if f := r.extensions["refstorage"]; f != "" && f != "files" {
		return nil, fmt.Errorf("%s keeps its refs in %s storage, which vastguard cannot read yet (so it would see no history); convert it with `git refs migrate --ref-format=files`", path, f)
	}
	var wt billy.Filesystem
	if workTree != "" {
		wt = osfs.New(workTree)
	}
	// go-git refuses repositories with extensions it does not implement
	// (worktreeConfig from sparse checkouts, partialClone); reading history
	// needs none of them, so it sees the config without them.
	g, err := git.Open(extensionBlind{st}, wt)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%s is not a git repository (it has no HEAD): %w", path, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	r.git = g
	return r, nil
}

// extensionBlind is a storage whose config has no [extensions] section.
type extensionBlind struct{ *filesystem.Storage }

func (e extensionBlind) Config() (*config.Config, error) {
	cfg, err := e.Storage.Config()
	if err != nil || cfg.Raw == nil || !cfg.Raw.HasSection("extensions") {
		return cfg, err
	}
	c := *cfg
	raw := *cfg.Raw
	raw.Sections = nil
	for _, s := range cfg.Raw.Sections {
		if !strings.EqualFold(s.Name, "extensions") {
			raw.Sections = append(raw.Sections, s)
		}
	}
	c.Raw = &raw
	return &c, nil
}

// locate finds the git directory for path: path itself if it is a bare
// repository, path/.git (a directory, or a file naming one, as in linked
// work trees and submodules), or the same in a parent directory. Like git
// with safe.bareRepository=explicit, it refuses a bare layout found inside
// a work tree (a decoy a repository can commit) unless allowBare.
func locate(path string, allowBare bool) (gitDir, workTree string, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", "", err
	}
	for dir := abs; ; dir = filepath.Dir(dir) {
		dotGit := filepath.Join(dir, ".git")
		if fi, err := os.Stat(dotGit); err == nil {
			if fi.IsDir() {
				return dotGit, dir, nil
			}
			// A .git file, as git reads one: a regular file of at most
			// 1 MiB (a FIFO or /dev/zero is refused, not read).
			b, err := gitobj.ReadRegular(dotGit, maxGitFile)
			if err != nil {
				return "", "", err
			}
			target, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir:")
			if !ok {
				return "", "", fmt.Errorf("%s: not a gitdir file: %w", dotGit, ErrNotRepository)
			}
			target = strings.TrimSpace(target)
			if !filepath.IsAbs(target) {
				target = filepath.Join(dir, target)
			}
			return filepath.Clean(target), dir, nil
		}
		if isGitDir(dir) {
			if wt := enclosingWorkTree(dir); wt != "" && !allowBare {
				return "", "", fmt.Errorf("%s holds a bare repository layout inside the work tree %s, where a repository can commit a decoy to be scanned instead; scan %s instead, or, if this one is yours, allow a bare repository inside a work tree (as git's safe.bareRepository=all does): scan.Options.AllowBareInWorkTree, or vastguard scan --allow-bare-repository (Action input allow-bare-repository: true): %w", dir, wt, wt, ErrBareInWorkTree)
			}
			return dir, "", nil
		}
		if filepath.Dir(dir) == dir {
			return "", "", fmt.Errorf("%s is not a git repository (no .git in it or its parents): %w", path, ErrNotRepository)
		}
	}
}

// enclosingWorkTree returns the work tree that dir, a bare repository
// layout, lies inside, or "" if none does. Inside a git directory (a .git,
// or the submodule repositories under .git/modules) is not inside a work
// tree.
func enclosingWorkTree(dir string) string {
	for a := filepath.Dir(dir); ; a = filepath.Dir(a) {
		if exists(filepath.Join(a, ".git")) {
			gd := filepath.Join(a, ".git")
			if dir == gd || strings.HasPrefix(dir, gd+string(filepath.Separator)) {
				return ""
			}
			return a
		}
		if filepath.Dir(a) == a {
			return ""
		}
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// isGitDir reports whether dir looks like a git directory (a bare
// repository): HEAD, objects and refs.
func isGitDir(dir string) bool {
	return exists(filepath.Join(dir, "HEAD")) && exists(filepath.Join(dir, "objects")) && exists(filepath.Join(dir, "refs"))
}

// commonDir is the directory that holds refs, logs and objects.
func (r *repo) commonDir() string { return filepath.Dir(r.objDir) }

// shallowCount returns how many shallow boundary commits the clone has.
func (r *repo) shallowCount() (int, error) {
	s, err := r.git.Storer.Shallow()
	if err != nil {
		return 0, err
	}
	return len(s), nil
}

// partial reports whether the clone is a partial clone: objects left on the
// server (promisor packs, or extensions.partialClone).
func (r *repo) partial() bool {
	if m, _ := filepath.Glob(filepath.Join(r.objDir, "pack", "*.promisor")); len(m) > 0 {
		return true
	}
	return r.extensions["partialclone"] != ""
}

// readObject reads one object through go-git, for random access outside
// the parallel pass.
func (r *repo) readObject(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	o, err := r.git.Storer.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return 0, nil, err
	}
	if max := r.limits.MaxDeltaSize; o.Size() > max {
		return 0, nil, &gitobj.LimitError{What: "object " + h.String(), Need: "an object held whole", Size: o.Size(), Limit: max, Knob: "MaxDeltaSize"}
	}
	rd, err := o.Reader()
	if err != nil {
		return 0, nil, err
	}
	defer rd.Close()
	data, err := io.ReadAll(io.LimitReader(rd, o.Size()+1))
	if err != nil {
		return 0, nil, err
	}
	if int64(len(data)) != o.Size() {
		return 0, nil, fmt.Errorf("object %s: %d bytes, its header says %d", h, len(data), o.Size())
	}
	switch t := o.Type(); t {
	case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject, plumbing.TagObject:
		return t, data, nil
	default:
		return 0, nil, fmt.Errorf("object %s: unexpected type %s", h, t)
	}
}

// ref is a starting point of the history: a branch, tag, remote branch,
// note, stash entry or detached HEAD.
type ref struct {
	name string
	hash plumbing.Hash
	rank int // lower is preferred when naming where a finding is reachable from
}

func refRank(name string) int {
	switch {
	case name == "HEAD":
		return 0
	case strings.HasPrefix(name, "refs/heads/"):
		return 1
	case strings.HasPrefix(name, "refs/tags/"):
		return 2
	case strings.HasPrefix(name, "refs/remotes/"):
		return 3
	case strings.HasPrefix(name, "refs/stash"), strings.HasPrefix(name, "stash@"):
		return 4
	case strings.HasPrefix(name, "refs/notes/"):
		return 5
	}
	return 6
}

// refs lists every ref, HEAD when it is detached or names a branch with no
// ref of its own, and every stash entry from the stash's reflog (refs/stash
// names only the newest).
func (r *repo) refs() ([]ref, error) {
	var out []ref
	seen := map[string]bool{}
	it, err := r.git.References()
	if err != nil {
		return nil, fmt.Errorf("reading refs: %w", err)
	}
	err = it.ForEach(func(rf *plumbing.Reference) error {
		if rf.Type() != plumbing.HashReference {
			return nil
		}
		name := rf.Name().String()
		if seen[name] {
			return nil
		}
		seen[name] = true
		out = append(out, ref{name: name, hash: rf.Hash(), rank: refRank(name)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading refs: %w", err)
	}
	if head, err := r.git.Reference(plumbing.HEAD, true); err == nil && !seen["HEAD"] {
		out = append(out, ref{name: "HEAD", hash: head.Hash(), rank: 0})
	}
	stash, err := r.stashEntries()
	if err != nil {
		return nil, err
	}
	out = append(out, stash...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].rank != out[j].rank {
			return out[i].rank < out[j].rank
		}
		return out[i].name < out[j].name
	})
	return out, nil
}

// stashEntries reads logs/refs/stash: one line per stash entry, newest
// last, "<old> <new> <who> <when> <tz>\t<message>".
func (r *repo) stashEntries() ([]ref, error) {
	b, err := gitobj.ReadRegular(filepath.Join(r.commonDir(), "logs", "refs", "stash"), maxMetadata)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var hashes []plumbing.Hash
	for line := range bytes.Lines(b) {
		fields := bytes.Fields(line)
		var h plumbing.Hash
		if len(fields) >= 2 && gitobj.ParseHash(fields[1], &h) && !h.IsZero() {
			hashes = append(hashes, h)
		}
	}
	out := make([]ref, 0, len(hashes))
	for i := len(hashes) - 1; i >= 0; i-- {
		out = append(out, ref{name: fmt.Sprintf("stash@{%d}", len(hashes)-1-i), hash: hashes[i], rank: 4})
	}
	return out, nil
}
