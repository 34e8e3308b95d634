package gitobj

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// DB is a repository's object database on disk: its packs and loose
// objects, alternates included, read without go-git's per-object lookups so
// that every object can be inflated exactly once, in parallel.
type DB struct {
	dirs   []string
	packs  []*pack
	loose  []looseObject
	limits Limits
	// external returns an object that no pack or loose file here holds
	// whole: the base of a REF_DELTA from another pack.
	external Resolver
	// For random access: Get's Reader, the loose objects by id (built
	// once, by the first Reader that needs them), and the lock that keeps
	// Readers from entering the external resolver at once.
	reader      *Reader
	looseOnce   sync.Once
	looseByHash map[plumbing.Hash]string
	extMu       sync.Mutex
}

// Resolver reads one object by id from somewhere else than the DB.
type Resolver func(plumbing.Hash) (plumbing.ObjectType, []byte, error)

// Options configures Open.
type Options struct {
	// External reads objects the DB does not hold whole: the base of a
	// REF_DELTA held by no pack here (a thin pack's), and any object Get
	// finds nowhere else. Nil means such objects are missing.
	External Resolver
	// Limits are the budgets the repository's content must fit in.
	Limits Limits
}

// maxAlternates is the largest objects/info/alternates file read.
const maxAlternates = 1 << 20

// ErrNotFound is returned by Get, wrapped, for an object the DB and the
// external resolver do not have.
var ErrNotFound = errors.New("object not found")

type looseObject struct {
	path string
	hash plumbing.Hash
}

// Open opens the object directory objDir (a repository's .git/objects) and
// its alternates, reads every pack index and every object header, and
// lists the loose objects. It inflates nothing yet. Close releases the
// packs' mappings.
func Open(objDir string, opts Options) (*DB, error) {
	db := &DB{external: opts.External, limits: opts.Limits.WithDefaults()}
	if db.external == nil {
		db.external = func(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
			return 0, nil, fmt.Errorf("%s: %w", h, ErrNotFound)
		}
	}
	dirs, err := objectDirs(objDir)
	if err != nil {
		return nil, err
	}
	db.dirs = dirs
	for _, dir := range db.dirs {
		idxs, err := packIndexes(dir)
		if err != nil {
			return nil, err
		}
		for _, idx := range idxs {
			p, err := openPack(idx)
			if err != nil {
				db.Close()
				return nil, err
			}
			db.packs = append(db.packs, p)
		}
		if err := db.listLoose(dir); err != nil {
			db.Close()
			return nil, err
		}
	}
	for _, p := range db.packs {
		if err := p.parseHeaders(db.limits); err != nil {
			db.Close()
			return nil, err
		}
	}
	db.dedupe()
	return db, nil
}

// Close releases the packs. The DB must not be used after.
func (db *DB) Close() {
	for _, p := range db.packs {
		p.close()
	}
}

func (db *DB) listLoose(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		name := e.Name()
		if !e.IsDir() || len(name) != 2 || !isHex([]byte(name)) {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		for _, f := range files {
			rest := f.Name()
			if len(rest) != 38 || !isHex([]byte(rest)) {
				continue
			}
			db.loose = append(db.loose, looseObject{filepath.Join(dir, name, rest), plumbing.NewHash(name + rest)})
		}
	}
	return nil
}

// dedupe marks objects that an earlier pack already holds, and drops loose
// objects that a pack holds, so each object is visited once.
func (db *DB) dedupe() {
	for j := 1; j < len(db.packs); j++ {
		pj := db.packs[j]
		for i := 0; i < pj.count(); i++ {
			h := pj.hash(int32(i))
			for _, earlier := range db.packs[:j] {
				if earlier.find(h) >= 0 {
					if pj.dup == nil {
						pj.dup = make([]bool, pj.count())
					}
					pj.dup[i] = true
					break
				}
			}
		}
	}
	if len(db.loose) == 0 {
		return
	}
	keep := db.loose[:0]
	seen := map[plumbing.Hash]bool{}
	for _, l := range db.loose {
		if seen[l.hash] || db.packed(l.hash) {
			continue
		}
		seen[l.hash] = true
		keep = append(keep, l)
	}
	db.loose = keep
}

// limitError is a LimitError about object i of p.
// (nil p: a loose object).
func (db *DB) limitError(p *pack, i int32, need string, size, limit int64, knob string) error {
	what := "a loose object"
	if p != nil {
		what = fmt.Sprintf("%s: object %s", p.name(), p.hash(i))
	}
	return &LimitError{What: what, Need: need, Size: size, Limit: limit, Knob: knob}
}

func (db *DB) packed(h plumbing.Hash) bool {
	for _, p := range db.packs {
		if p.find(h) >= 0 {
			return true
		}
	}
	return false
}

// objectDirs returns objDir and the alternates it borrows from, depth
// first, each once (at most five levels deep, as git allows). Each
// info/alternates is read only if it is a regular file within
// maxAlternates (ReadRegular): a FIFO there is refused, not waited on.
func objectDirs(objDir string) ([]string, error) {
	var dirs []string
	seen := map[string]bool{}
	var add func(dir string, depth int) error
	add = func(dir string, depth int) error {
		dir = filepath.Clean(dir)
		if seen[dir] || depth > 5 {
			return nil
		}
		seen[dir] = true
		dirs = append(dirs, dir)
		b, err := ReadRegular(filepath.Join(dir, "info", "alternates"), maxAlternates)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		for line := range bytes.Lines(b) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 || line[0] == '#' {
				continue
			}
			alt := string(line)
			if !filepath.IsAbs(alt) {
				alt = filepath.Join(dir, alt)
			}
			if err := add(alt, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return dirs, add(objDir, 0)
}

// packIndexes returns the pack indexes in the object directory dir whose
// packs are there (an index without its pack is a fetch in progress),
// newest pack first, as git reads them (packfile.c, sort_pack: local before
// alternates, then by the .pack's mtime, younger first): of an object
// several packs hold, the copy read is the one git shows. Two copies of one
// id differ only in a corrupt or hostile repository, which can name its
// packs at will, so the name is no order.
func packIndexes(dir string) ([]string, error) {
	idxs, err := filepath.Glob(filepath.Join(dir, "pack", "pack-*.idx"))
	if err != nil {
		return nil, err
	}
	mtime := map[string]int64{}
	present := idxs[:0]
	for _, idx := range idxs {
		if fi, err := os.Stat(idx[:len(idx)-4] + ".pack"); err == nil {
			mtime[idx] = fi.ModTime().UnixNano()
			present = append(present, idx)
		}
	}
	sort.SliceStable(present, func(i, j int) bool {
		if mtime[present[i]] != mtime[present[j]] {
			return mtime[present[i]] > mtime[present[j]]
		}
		return present[i] < present[j]
	})
	return present, nil
}
