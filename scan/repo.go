package scan

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Errors callers branch on. Each is wrapped with a message that says what
// to do.
var (
	ErrNotRepository   = errors.New("not a git repository")
	ErrShallow         = errors.New("shallow clone")
	ErrPartial         = errors.New("partial clone")
	ErrMissingRevision = errors.New("revision not in the clone")
	ErrBadRange        = errors.New("bad range")
)

// fetchHint is appended to every error about history the clone lacks.
const fetchHint = "check out with fetch-depth: 0 (actions/checkout) or run `git fetch --unshallow`"

// repo is an opened repository.
type repo struct {
	git    *git.Repository
	gitDir string
	objDir string
}

func openRepo(path string) (*repo, error) {
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
	// A work tree root or a bare repository opens as it is; a directory
	// inside a work tree opens the repository around it.
	detect := !isGitDir(path) && !exists(filepath.Join(path, ".git"))
	g, err := git.PlainOpenWithOptions(path, &git.PlainOpenOptions{DetectDotGit: detect, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%s is not a git repository (no .git in it or its parents): %w", path, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	st, ok := g.Storer.(*filesystem.Storage)
	if !ok {
		return nil, fmt.Errorf("%s: unsupported repository storage", path)
	}
	r := &repo{git: g, gitDir: st.Filesystem().Root()}
	common := r.gitDir
	if b, err := os.ReadFile(filepath.Join(r.gitDir, "commondir")); err == nil {
		c := strings.TrimSpace(string(b))
		if !filepath.IsAbs(c) {
			c = filepath.Join(r.gitDir, c)
		}
		common = filepath.Clean(c)
	}
	r.objDir = filepath.Join(common, "objects")
	if cfg, err := g.Config(); err == nil && cfg.Raw != nil {
		if f := cfg.Raw.Section("extensions").Option("objectformat"); f != "" && f != "sha1" {
			return nil, fmt.Errorf("%s uses %s object ids, which vastguard does not read yet", path, f)
		}
	}
	return r, nil
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
	if cfg, err := r.git.Config(); err == nil && cfg.Raw != nil {
		if cfg.Raw.Section("extensions").Option("partialclone") != "" {
			return true
		}
	}
	return false
}

// readObject reads one object through go-git, for random access outside
// the parallel pass.
func (r *repo) readObject(h plumbing.Hash) (byte, []byte, error) {
	o, err := r.git.Storer.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return 0, nil, err
	}
	rd, err := o.Reader()
	if err != nil {
		return 0, nil, err
	}
	defer rd.Close()
	data, err := io.ReadAll(rd)
	if err != nil {
		return 0, nil, err
	}
	var t byte
	switch o.Type() {
	case plumbing.CommitObject:
		t = objCommit
	case plumbing.TreeObject:
		t = objTree
	case plumbing.BlobObject:
		t = objBlob
	case plumbing.TagObject:
		t = objTag
	default:
		return 0, nil, fmt.Errorf("object %s: unexpected type %s", h, o.Type())
	}
	return t, data, nil
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
	f, err := os.Open(filepath.Join(r.commonDir(), "logs", "refs", "stash"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var hashes []plumbing.Hash
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := bytes.Fields(sc.Bytes())
		var h plumbing.Hash
		if len(fields) >= 2 && parseHash(fields[1], &h) && !h.IsZero() {
			hashes = append(hashes, h)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	out := make([]ref, 0, len(hashes))
	for i := len(hashes) - 1; i >= 0; i-- {
		out = append(out, ref{name: fmt.Sprintf("stash@{%d}", len(hashes)-1-i), hash: hashes[i], rank: 4})
	}
	return out, nil
}
