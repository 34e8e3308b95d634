package scan

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/vastguard/vastguard/scan/gitobj"
)

// Revisions and refs are read here rather than through go-git's
// ResolveRevision, which loads every pack index into memory before it
// answers (a fifth of a second on a 46,000-commit repository, more than the
// whole of a pre-commit check may take). Refs are read from their files and
// packed-refs, objects through the Store.

// errNoRef is returned, wrapped, for a ref that does not exist.
var errNoRef = errors.New("no such ref")

// refFile caps the size of a loose ref file; packedRefsLimit that of
// packed-refs.
const (
	refFileLimit    = 4096
	packedRefsLimit = 512 << 20
)

// readRef returns what ref name points at, following symbolic refs.
func (r *repo) readRef(name string) (plumbing.Hash, error) {
	for range 10 {
		if !validRefName(name) {
			return plumbing.ZeroHash, fmt.Errorf("%q: %w", name, errNoRef)
		}
		b, err := readRegularFile(r.refPath(name), refFileLimit)
		if err == nil {
			line := string(bytes.TrimSpace(b))
			if target, ok := strings.CutPrefix(line, "ref:"); ok {
				name = strings.TrimSpace(target)
				continue
			}
			var h plumbing.Hash
			// FETCH_HEAD and its kin: "<id>\t<what>" lines, the first wins.
			if len(line) >= 40 && gitobj.ParseHash([]byte(line[:40]), &h) {
				return h, nil
			}
			return plumbing.ZeroHash, fmt.Errorf("ref %s does not hold an object id", sanitizePath(name))
		}
		if !errors.Is(err, os.ErrNotExist) && !isDir(r.refPath(name)) {
			return plumbing.ZeroHash, err
		}
		packed, err := r.packedRefs()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if h, ok := packed[name]; ok {
			return h, nil
		}
		return plumbing.ZeroHash, fmt.Errorf("%s: %w", sanitizePath(name), errNoRef)
	}
	return plumbing.ZeroHash, fmt.Errorf("%s: symbolic refs nest too deep", sanitizePath(name))
}

// refPath is where a loose ref lives: HEAD and the other pseudo-refs, and
// the per-worktree refs, in the work tree's own git directory; the rest in
// the common directory.
func (r *repo) refPath(name string) string {
	dir := r.commonDir()
	if !strings.HasPrefix(name, "refs/") || strings.HasPrefix(name, "refs/bisect/") || strings.HasPrefix(name, "refs/worktree/") || strings.HasPrefix(name, "refs/rewritten/") {
		dir = r.gitDir
	}
	return filepath.Join(dir, filepath.FromSlash(name))
}

// packedRefs parses packed-refs once: "<id> <name>" lines; "^<id>" lines
// (the peeled target of the tag above) and comments are skipped.
func (r *repo) packedRefs() (map[string]plumbing.Hash, error) {
	if r.packed != nil {
		return r.packed, nil
	}
	r.packed = map[string]plumbing.Hash{}
	b, err := readRegularFile(filepath.Join(r.commonDir(), "packed-refs"), packedRefsLimit)
	if errors.Is(err, os.ErrNotExist) {
		return r.packed, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading packed-refs: %w", err)
	}
	for len(b) > 0 {
		line := b
		if nl := bytes.IndexByte(b, '\n'); nl >= 0 {
			line, b = b[:nl], b[nl+1:]
		} else {
			b = nil
		}
		var h plumbing.Hash
		if len(line) > 41 && line[40] == ' ' && gitobj.ParseHash(line[:40], &h) {
			r.packed[string(bytes.TrimRight(line[41:], "\r"))] = h
		}
	}
	return r.packed, nil
}

func isDir(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.IsDir()
}

// validRefName is a conservative check_refname_format: no empty, "." or
// ".lock" components, no "..", no control characters or any of ` ~^:?*[\`.
// It keeps a revision from naming a file outside the refs.
func validRefName(name string) bool {
	if name == "" || name == "@" || strings.HasSuffix(name, "/") || strings.Contains(name, "..") || strings.Contains(name, "@{") {
		return false
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f || strings.ContainsRune(" ~^:?*[\\", c) {
			return false
		}
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return false
		}
	}
	return true
}

// resolveRev turns a revision into a commit id, as git's rev-parse does
// for the forms a range is written with: a ref, by git's lookup rules
// (NAME, refs/NAME, refs/tags/NAME, refs/heads/NAME, refs/remotes/NAME,
// refs/remotes/NAME/HEAD), HEAD or @, a full or abbreviated object id, and
// any run of ~N, ^N and ^{} or ^{commit} after it. Annotated tags are
// peeled. Anything else goes to go-git's ResolveRevision.
func (s *scanner) resolveRev(rev string) (plumbing.Hash, error) {
	notFound := fmt.Errorf("revision %q is not in the clone; %s: %w", sanitizePath(rev), fetchHint, ErrMissingRevision)
	base, ops := rev, ""
	if i := strings.IndexAny(rev, "~^"); i >= 0 {
		base, ops = rev[:i], rev[i:]
	}
	st, err := s.store()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	h, ok, err := s.resolveBase(st, base)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if !ok {
		return s.resolveGoGit(rev)
	}
	if h, err = peelToCommit(st, h); err != nil {
		if errors.Is(err, ErrBadRange) {
			// A tree or blob id where a commit belongs (a forged event
			// payload): fetching more history would not fix it.
			return plumbing.ZeroHash, fmt.Errorf("revision %q: %w", sanitizePath(rev), err)
		}
		return plumbing.ZeroHash, notFound
	}
	for ops != "" {
		var n int
		switch {
		case strings.HasPrefix(ops, "^{}") || strings.HasPrefix(ops, "^{commit}"):
			ops = ops[strings.IndexByte(ops, '}')+1:]
			continue
		case ops[0] == '~' || ops[0] == '^':
			op := ops[0]
			j := 1
			for j < len(ops) && ops[j] >= '0' && ops[j] <= '9' {
				j++
			}
			n = 1
			if j > 1 {
				v, err := strconv.Atoi(ops[1:j])
				if err != nil || v > 1_000_000 {
					return s.resolveGoGit(rev)
				}
				n = v
			}
			ops = ops[j:]
			if op == '^' {
				if n == 0 {
					continue
				}
				ps, err := commitParents(st, h)
				if err != nil || n > len(ps) {
					return plumbing.ZeroHash, notFound
				}
				h = ps[n-1]
				continue
			}
			for range n {
				ps, err := commitParents(st, h)
				if err != nil || len(ps) == 0 {
					return plumbing.ZeroHash, notFound
				}
				h = ps[0]
			}
		default:
			return s.resolveGoGit(rev)
		}
	}
	return h, nil
}

// resolveBase resolves the part of a revision before any ~ or ^. It
// reports false for a form it does not read.
func (s *scanner) resolveBase(st *gitobj.Store, base string) (plumbing.Hash, bool, error) {
	if base == "@" || base == "" {
		base = "HEAD"
	}
	var h plumbing.Hash
	if len(base) == 40 && gitobj.ParseHash([]byte(base), &h) {
		return h, true, nil
	}
	if validRefName(base) {
		for _, name := range []string{base, "refs/" + base, "refs/tags/" + base, "refs/heads/" + base, "refs/remotes/" + base, "refs/remotes/" + base + "/HEAD"} {
			if !strings.HasPrefix(name, "refs/") && name != "HEAD" && strings.ToUpper(name) != name {
				continue // only pseudo-refs (HEAD, FETCH_HEAD, ...) live at the top
			}
			h, err := s.repo.readRef(name)
			if err == nil {
				return h, true, nil
			}
			if !errors.Is(err, errNoRef) {
				return plumbing.ZeroHash, false, err
			}
		}
	}
	if len(base) >= 4 && len(base) < 40 && isHexString(base) {
		h, err := abbreviated(st, base)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		return h, !h.IsZero(), nil
	}
	return plumbing.ZeroHash, false, nil
}

// abbreviated finds the one object whose id starts with prefix; zero if
// none does.
func abbreviated(st *gitobj.Store, prefix string) (plumbing.Hash, error) {
	var found []plumbing.Hash
	err := st.SortedIDs(func(ids []byte) error {
		n := len(ids) / 20
		lo, hi := 0, n
		for lo < hi {
			m := (lo + hi) / 2
			if hexPrefixCompare(ids[20*m:20*m+20], prefix) < 0 {
				lo = m + 1
			} else {
				hi = m
			}
		}
		for i := lo; i < n && hexPrefixCompare(ids[20*i:20*i+20], prefix) == 0; i++ {
			var h plumbing.Hash
			copy(h[:], ids[20*i:])
			found = appendUnique(found, h)
		}
		return nil
	})
	if err != nil {
		return plumbing.ZeroHash, err
	}
	loose, err := st.LooseIDs()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	for _, h := range loose {
		if strings.HasPrefix(h.String(), prefix) {
			found = appendUnique(found, h)
		}
	}
	switch len(found) {
	case 0:
		return plumbing.ZeroHash, nil
	case 1:
		return found[0], nil
	}
	return plumbing.ZeroHash, fmt.Errorf("revision %s is ambiguous (%d objects start with it); give more of the id: %w", prefix, len(found), ErrBadRange)
}

func appendUnique(hs []plumbing.Hash, h plumbing.Hash) []plumbing.Hash {
	for _, x := range hs {
		if x == h {
			return hs
		}
	}
	return append(hs, h)
}

// hexPrefixCompare compares the hex form of id with prefix over prefix's
// length.
func hexPrefixCompare(id []byte, prefix string) int {
	const digits = "0123456789abcdef"
	for i := 0; i < len(prefix); i++ {
		b := id[i/2]
		var c byte
		if i%2 == 0 {
			c = digits[b>>4]
		} else {
			c = digits[b&15]
		}
		if c != prefix[i] {
			if c < prefix[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// peelToCommit follows annotated tags from h to the commit they name.
func peelToCommit(st *gitobj.Store, h plumbing.Hash) (plumbing.Hash, error) {
	for range 100 {
		typ, data, err := st.Get(h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		switch typ {
		case plumbing.CommitObject:
			return h, nil
		case plumbing.TagObject:
			t, err := gitobj.ParseTag(h, data)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			h = t.Target
		default:
			return plumbing.ZeroHash, fmt.Errorf("%s is a %s, not a commit: %w", h, typ, ErrBadRange)
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("%s: tags nest too deep", h)
}

func commitParents(st *gitobj.Store, h plumbing.Hash) ([]plumbing.Hash, error) {
	typ, data, err := st.Get(h)
	if err != nil {
		return nil, err
	}
	if typ != plumbing.CommitObject {
		return nil, fmt.Errorf("%s is a %s, not a commit", h, typ)
	}
	c, err := gitobj.ParseCommit(h, data)
	if err != nil {
		return nil, err
	}
	return c.Parents, nil
}

// goGitMisreads returns what in rev go-git's ResolveRevision would skip
// or misread, or "" if it reads all of rev. Its parser knows the reflog,
// upstream and push forms (main@{1}, @{u}), ^{tree} and paths (main:f),
// but the resolver skips them and answers with the ref they start from:
// a range HEAD@{1}..HEAD would be HEAD..HEAD, and pass as empty. It also
// takes ^3 and beyond for the second parent.
func goGitMisreads(rev string) string {
	// A message search's text (^{/fix: typo}) may hold anything; what
	// follows the first one is left to go-git.
	rev, _, _ = strings.Cut(rev, "^{/")
	switch {
	case strings.Contains(rev, "@{"):
		return "reflog, upstream and push forms (@{...})"
	case strings.ContainsRune(rev, ':'):
		return "paths and message searches (REV:PATH, :/TEXT)"
	}
	for i := 0; i < len(rev); i++ {
		if rev[i] != '^' || i+1 == len(rev) {
			continue
		}
		rest := rev[i+1:]
		switch {
		case rest[0] == '{':
			if !strings.HasPrefix(rest, "{}") && !strings.HasPrefix(rest, "{commit}") {
				return "object types other than commits (^{tree}, ^{blob}, ^{tag})"
			}
		case rest[0] == '!' || rest[0] == '@' || rest[0] == '-':
			return "the ^! ^@ and ^- shorthands"
		case rest[0] >= '0' && rest[0] <= '9':
			j := 0
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				j++
			}
			if n, err := strconv.Atoi(rest[:j]); err != nil || n > 2 {
				return "a third or later parent (^3) after a form it resolves through go-git"
			}
		}
	}
	return ""
}

// resolveGoGit is the fallback for revision forms resolveRev does not read.
// Forms go-git would misread are refused (see goGitMisreads).
func (s *scanner) resolveGoGit(rev string) (plumbing.Hash, error) {
	if what := goGitMisreads(rev); what != "" {
		return plumbing.ZeroHash, fmt.Errorf("revision %q: vastguard does not resolve %s; give the commit itself (git rev-parse --verify 'REV^{commit}'): %w", sanitizePath(rev), what, ErrBadRange)
	}
	h, err := s.repo.git.ResolveRevision(plumbing.Revision(rev))
	if err != nil || h == nil {
		return plumbing.ZeroHash, fmt.Errorf("revision %q is not in the clone; %s: %w", sanitizePath(rev), fetchHint, ErrMissingRevision)
	}
	st, err := s.store()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	c, err := peelToCommit(st, *h)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("revision %q is not in the clone; %s: %w", sanitizePath(rev), fetchHint, ErrMissingRevision)
	}
	return c, nil
}
