package scan

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sort"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/vastguard/vastguard/scan/gitobj"
)

// Options controls a scan. The zero value scans the whole history for
// every Detector.
type Options struct {
	// Range scans only what the commits in "A..B" introduced (reachable
	// from B, not from A), as a pull request check does.
	Range string
	// Since scans only what the commits after REV introduced: "REV..HEAD".
	Since string
	// Staged scans the blobs staged in the index that differ from HEAD
	// (a pre-commit hook).
	Staged bool
	// IndexFile, with Staged, is the index to read instead of the
	// repository's own: what GIT_INDEX_FILE names in a pre-commit hook,
	// where `git commit -a` and `git commit PATH` stage the commit in a
	// temporary index (.git/index.lock) and leave .git/index as it was.
	IndexFile string
	// Cache is a directory where a history scan keeps what it read (object
	// ids, the commit graph, and where keys were: never content, a path or
	// a key), so that the next scan reads only what is new. One directory
	// can serve many repositories. A scan with Range, Since or Staged does
	// not use it.
	Cache string
	// CacheKey authenticates the cache's file (HMAC-SHA256), so a file
	// someone altered costs a full scan and never hides a finding; at
	// least 16 bytes, kept out of the cache directory. Required with Cache.
	CacheKey []byte
	// AllowPartial scans a partial clone's objects that are present instead
	// of refusing it.
	AllowPartial bool
	// Detectors replaces the default Detectors.
	Detectors []Detector
	// MinConfidence drops findings less sure than it: High keeps only
	// high-confidence findings; "" or Medium keeps all.
	MinConfidence Confidence
	// Workers is the number of objects inflated and scanned in parallel;
	// 0 means GOMAXPROCS, and more than MaxWorkers is refused.
	Workers int
	// MaxObjectSize, MaxDeltaSize and MaxMemory are the budgets the
	// repository's objects must fit in; 0 takes the default (8 GiB, 1 GiB,
	// and 3 × MaxDeltaSize), far above what git writes. MaxObjectSize
	// bounds any object; MaxDeltaSize an object held whole (a delta, the
	// object rebuilt from it, its base); MaxMemory the objects held at once
	// by the whole scan beyond 32 MiB per worker. Content over a budget
	// fails the scan with an error naming the budget that wraps ErrLimit.
	MaxObjectSize int64
	MaxDeltaSize  int64
	MaxMemory     int64
	// AllowBareInWorkTree scans a bare repository layout found inside a
	// work tree (at the path or above it) instead of refusing it with
	// ErrBareInWorkTree: git's safe.bareRepository=all. A repository can
	// commit such a layout as a decoy, so only allow it for one you trust.
	AllowBareInWorkTree bool
	// Now is the clock for timing; nil means time.Now.
	Now func() time.Time
	// Progress, if set, is called while a scan reads its objects: from
	// the scan's workers, one call at a time, at most every 100 ms, and
	// once more with Done when reading ends. It must return quickly. A
	// whole-history scan knows its total from the start; a range scan once
	// its walk has found the commits (which it counts), a staged scan once
	// it has compared the index with HEAD, an incremental one once it has
	// read its cache.
	Progress func(Progress)
}

// MaxWorkers is the most workers a scan runs.
const MaxWorkers = 1024

// limits are the budgets of opts, defaults filled in.
func (opts Options) limits() gitobj.Limits {
	return gitobj.Limits{MaxObjectSize: opts.MaxObjectSize, MaxDeltaSize: opts.MaxDeltaSize, MaxMemory: opts.MaxMemory}.WithDefaults()
}

// Scan scans the repository at path (a work tree, a directory inside one,
// or a bare repository) and returns what it found. Errors name what to fix;
// ErrNotRepository, ErrShallow, ErrPartial, ErrMissingRevision,
// ErrBadRange, ErrLimit, ErrNotRegular and ErrBareInWorkTree can be matched
// with errors.Is.
func Scan(ctx context.Context, path string, opts Options) (*Report, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	if opts.Detectors == nil {
		opts.Detectors = Detectors
	}
	if _, ok := ParseConfidence(string(opts.MinConfidence)); !ok {
		return nil, fmt.Errorf("minimum confidence %q: choose high or medium", opts.MinConfidence)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Workers > MaxWorkers {
		return nil, fmt.Errorf("workers: %d is more than %d, the most a scan runs (more than the machine's %d CPUs gains nothing): %w", opts.Workers, MaxWorkers, runtime.NumCPU(), ErrLimit)
	}
	if opts.MaxObjectSize < 0 || opts.MaxDeltaSize < 0 || opts.MaxMemory < 0 {
		return nil, fmt.Errorf("a size budget cannot be negative: %w", ErrLimit)
	}
	modes := 0
	for _, on := range []bool{opts.Range != "", opts.Since != "", opts.Staged} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return nil, fmt.Errorf("choose one of a range, --since and --staged: %w", ErrBadRange)
	}
	r, err := openRepo(path, opts)
	if err != nil {
		return nil, err
	}
	s := &scanner{repo: r, opts: opts}
	defer s.close()
	var rep *Report
	switch {
	case opts.Staged:
		rep, err = s.staged(ctx)
	default:
		if n, err := r.shallowCount(); err != nil {
			return nil, fmt.Errorf("reading the shallow list: %w", err)
		} else if n > 0 {
			return nil, fmt.Errorf("%s is a shallow clone (history cut at %d commits), so keys in the missing history would pass unseen; %s: %w", path, n, fetchHint, ErrShallow)
		}
		partial := r.partial()
		if partial && !opts.AllowPartial {
			return nil, fmt.Errorf("%s is a partial clone (objects were left on the server and cannot be scanned); clone without --filter, or pass --allow-partial to scan what is present: %w", path, ErrPartial)
		}
		switch {
		case opts.Range != "" || opts.Since != "":
			rep, err = s.rangeScan(ctx)
		case opts.Cache != "":
			rep, err = s.cachedHistory(ctx)
		default:
			rep, err = s.history(ctx)
		}
		if rep != nil {
			rep.Stats.Partial = partial
		}
	}
	if err != nil {
		return nil, err
	}
	rep.Version = 1
	rep.Findings = minConfidence(rep.Findings, opts.MinConfidence, &rep.Stats)
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	rep.Stats.Seconds = now().Sub(start).Seconds()
	return rep, nil
}

type scanner struct {
	repo *repo
	opts Options
	st   *gitobj.Store // opened by store
}

// store opens the repository's objects for random access, once.
func (s *scanner) store() (*gitobj.Store, error) {
	if s.st == nil {
		st, err := openStore(s.repo.objDir, s.repo.limits)
		if err != nil {
			return nil, fmt.Errorf("reading the object database: %w", err)
		}
		s.st = st
	}
	return s.st, nil
}

// openStore opens objDir for random access under the repository's
// limits; blobs stored whole over what the full scan holds
// (gitobj.DefaultStreamAbove, or MaxDeltaSize if smaller) are streamed, as
// the full scan streams them.
func openStore(objDir string, limits gitobj.Limits) (*gitobj.Store, error) {
	return gitobj.OpenStore(objDir, gitobj.StoreOptions{Limits: limits, StreamAbove: min(gitobj.DefaultStreamAbove, limits.MaxDeltaSize)})
}

func (s *scanner) close() {
	if s.st != nil {
		s.st.Close()
	}
}

// blobHit is a blob with at least one key in it.
type blobHit struct {
	hash    plumbing.Hash
	matches []Match
	bare    string         // the key, when the blob is nothing but a key
	first   map[string]int // path -> order of the first commit holding the blob there
}

// commitInfo is what the scanner keeps of a commit: its headers (the
// message is dropped once read) and the keys in its message.
type commitInfo struct {
	gitobj.Commit
	matches []Match
}

// tagInfo is what the scanner keeps of an annotated tag.
type tagInfo struct {
	gitobj.Tag
	matches []Match
}

// pass is one worker's results from the parallel pass.
type pass struct {
	blobs, binaries int
	bytes           int64
	hits            []*blobHit
	commits         []*commitInfo
	tags            []*tagInfo
}

// blob scans a blob held whole.
func (ps *pass) blob(h plumbing.Hash, data []byte, det []Detector) {
	data = Text(data)
	ps.blobs++
	ps.bytes += int64(len(data))
	ms, bare := detectBlob(data, det, &ps.binaries)
	if len(ms) > 0 || bare != "" {
		ps.hits = append(ps.hits, &blobHit{hash: h, matches: ms, bare: bare})
	}
}

// streamedBlob scans a blob too large to hold, from r.
func (ps *pass) streamedBlob(h plumbing.Hash, size int64, r io.Reader, det []Detector) error {
	ms, binary, err := detectStream(r, det)
	if err != nil {
		return fmt.Errorf("blob %s: %w", h, err)
	}
	if binary {
		ps.binaries++
	}
	ps.blobs++
	ps.bytes += size
	if len(ms) > 0 {
		ps.hits = append(ps.hits, &blobHit{hash: h, matches: ms})
	}
	return nil
}

// attributeCache is the cache of inflated trees of each goroutine that
// attributes findings.
const attributeCache = 16 << 20

// history scans every object, then attributes what it found.
func (s *scanner) history(ctx context.Context) (*Report, error) {
	rep, _, err := s.fullHistory(ctx)
	return rep, err
}

// fullHistory is history, returning what it learnt as well.
func (s *scanner) fullHistory(ctx context.Context) (*Report, *scanState, error) {
	db, err := gitobj.Open(s.repo.objDir, gitobj.Options{External: s.repo.readObject, Limits: s.repo.limits})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the object database: %w", err)
	}
	defer db.Close()
	passes := make([]pass, s.opts.Workers)
	det := s.opts.Detectors
	want := func(t plumbing.ObjectType) bool { return t != plumbing.TreeObject }
	var prog *progress
	if s.opts.Progress != nil {
		prog = newProgress(s.opts.Progress, db.Count(want))
	}
	streamAbove := min(gitobj.DefaultStreamAbove, s.repo.limits.MaxDeltaSize)
	v := gitobj.Visitor{
		Want: want,
		Object: func(w int, h plumbing.Hash, t plumbing.ObjectType, data []byte) error {
			prog.add(int64(len(data)))
			ps := &passes[w]
			switch t {
			case plumbing.BlobObject:
				if int64(len(data)) > streamAbove {
					// Rebuilt from a delta, so held; scanned as a streamed
					// blob is, never decoded into a larger copy.
					return ps.streamedBlob(h, int64(len(data)), bytes.NewReader(data), det)
				}
				ps.blob(h, data, det)
			case plumbing.CommitObject:
				c, err := gitobj.ParseCommit(h, data)
				if err != nil {
					return fmt.Errorf("commit %s: %w", h, err)
				}
				ci := &commitInfo{Commit: c, matches: Detect(c.Message, det)}
				ci.Message = nil
				ps.commits = append(ps.commits, ci)
			case plumbing.TagObject:
				tg, err := gitobj.ParseTag(h, data)
				if err != nil {
					return fmt.Errorf("tag %s: %w", h, err)
				}
				ti := &tagInfo{Tag: tg, matches: Detect(tg.Message, det)}
				ti.Message = nil
				ps.tags = append(ps.tags, ti)
			}
			return nil
		},
		Stream: func(w int, h plumbing.Hash, t plumbing.ObjectType, size int64, r io.Reader) error {
			if t != plumbing.BlobObject {
				// Refused unread: a commit, tag or tree this large is not
				// real, and reading it would only cost its size.
				return &gitobj.LimitError{What: t.String() + " " + h.String(), Need: "a " + t.String(), Size: size, Limit: streamAbove, Knob: "the largest commit, tag or tree read"}
			}
			prog.add(size)
			return passes[w].streamedBlob(h, size, r, det)
		},
		StreamAbove: streamAbove,
	}
	if err := db.ForEach(ctx, s.opts.Workers, v); err != nil {
		return nil, nil, err
	}
	prog.done()
	rep := &Report{Stats: Stats{Mode: "history"}}
	commits := map[plumbing.Hash]*commitInfo{}
	tags := map[plumbing.Hash]*tagInfo{}
	hits := map[plumbing.Hash]*blobHit{}
	for i := range passes {
		ps := &passes[i]
		rep.Stats.Blobs += ps.blobs
		rep.Stats.Bytes += ps.bytes
		rep.Stats.BinaryBlobs += ps.binaries
		for _, c := range ps.commits {
			commits[c.Hash] = c
		}
		for _, t := range ps.tags {
			tags[t.Hash] = t
		}
		for _, h := range ps.hits {
			hits[h.hash] = h
		}
	}
	rep, g, err := s.finish(ctx, rep, commits, tags, hits, db.Get, func(g *graph) (int, int, error) {
		gets := make([]getFunc, s.opts.Workers)
		for w := range gets {
			gets[w] = db.NewReader(attributeCache).Get
		}
		return g.attribute(ctx, gets, hits)
	}, nil)
	if err != nil {
		return nil, nil, err
	}
	return rep, &scanState{commits: commits, tags: tags, hits: hits, g: g}, nil
}

// scanState is what a history scan learnt, for the incremental cache.
type scanState struct {
	commits map[plumbing.Hash]*commitInfo
	tags    map[plumbing.Hash]*tagInfo
	hits    map[plumbing.Hash]*blobHit
	g       *graph
}

// finish orders the commits reachable from the refs, has attribute place
// the blobs with keys (setting each hit's first), and turns every match
// into findings, reading objects with read where a pending match needs the
// files next to it. complete, if set, fills in a commit a finding names
// whose author and date were not read.
func (s *scanner) finish(ctx context.Context, rep *Report, commits map[plumbing.Hash]*commitInfo, tags map[plumbing.Hash]*tagInfo, hits map[plumbing.Hash]*blobHit, read func(plumbing.Hash) (plumbing.ObjectType, []byte, error), attribute func(*graph) (trees, missing int, err error), complete func(*commitInfo) error) (*Report, *graph, error) {
	refs, err := s.repo.refs()
	if err != nil {
		return nil, nil, err
	}
	rep.Stats.Refs = len(refs)
	g := buildGraph(commits, tags, refs)
	rep.Stats.Commits = len(g.order)
	rep.Stats.Missing += g.missing
	if len(hits) > 0 {
		trees, missing, err := attribute(g)
		if err != nil {
			return nil, nil, err
		}
		rep.Stats.Trees += trees
		rep.Stats.Missing += missing
	}
	if complete != nil {
		for _, h := range hits {
			for _, order := range h.first {
				if order < len(g.order) {
					if err := complete(g.order[order]); err != nil {
						return nil, nil, err
					}
				}
			}
		}
	}
	det := s.opts.Detectors
	b := newBuilder(det, &rep.Stats)
	b.read = read
	for _, h := range hits {
		for path, order := range h.first {
			if order < len(g.order) {
				b.blob(h, path, g.order[order], order, g.refName(order))
			} else {
				t := g.taggedTrees[order-len(g.order)]
				b.blob(h, path, nil, order, t.name)
			}
		}
		for _, tb := range g.taggedBlobs[h.hash] {
			b.blob(h, tb.name, nil, len(g.order)+len(g.taggedTrees), tb.name)
		}
		if len(h.first) == 0 && len(g.taggedBlobs[h.hash]) == 0 {
			// No commit or tag holds it: still a committed key.
			rep.Stats.Unreachable += b.unreachable(h, 1<<29)
		}
	}
	for order, c := range g.order {
		for _, m := range c.matches {
			b.message(m, c, order, g.refName(order))
		}
	}
	for _, c := range commits {
		if _, ok := g.index[c.Hash]; !ok {
			for _, m := range c.matches {
				if !m.Allowed && !m.Pending {
					rep.Stats.Unreachable++
					b.message(m, c, 1<<29, "")
				}
			}
		}
	}
	reachedTag := make(map[plumbing.Hash]bool, len(g.reachableTags))
	for _, t := range g.reachableTags {
		reachedTag[t.Hash] = true
		for _, m := range t.matches {
			b.tag(m, t, "refs/tags/"+t.Name)
		}
	}
	// A deleted tag's object stays until gc prunes it, its message with it,
	// as an unreachable commit's does.
	for _, t := range tags {
		if reachedTag[t.Hash] {
			continue
		}
		for _, m := range t.matches {
			if !m.Allowed && !m.Pending {
				rep.Stats.Unreachable++
				b.tag(m, t, "")
			}
		}
	}
	rep.Findings = b.findings()
	return rep, g, nil
}

// builder turns matches into findings, one per distinct (key, source, path)
// at its earliest commit.
type builder struct {
	det   []Detector
	stats *Stats
	by    map[string]*Finding
	// read, if set, reads objects so that a pending match can be checked
	// against the files next to it (see readByVastCode).
	read    func(plumbing.Hash) (plumbing.ObjectType, []byte, error)
	readers map[readerKey]readerResult
	// staged, if set with read, lists the directories of the tree the
	// index would commit, for the staged blobs' pending matches.
	staged dirLister
}

func newBuilder(det []Detector, st *Stats) *builder {
	return &builder{det: det, stats: st, by: map[string]*Finding{}}
}

func (b *builder) add(f Finding) {
	k := f.KeySHA256 + "\x00" + f.Source + "\x00" + f.Path
	if old, ok := b.by[k]; ok {
		if f.order > old.order || (f.order == old.order && f.Line >= old.Line) {
			return
		}
	}
	b.by[k] = &f
}

func (b *builder) base(key string, d *Detector, m *Match) Finding {
	f := Finding{
		Rule:         d.ID,
		KeySHA256:    KeyHash(key),
		Redacted:     Redact(key),
		Confidence:   d.Confidence,
		Verification: Unchecked,
		secret:       key,
	}
	if m != nil {
		f.Line, f.Column = m.Line, m.Column
		why := m.Why
		f.Why = &why
	} else {
		f.Why = &Why{Rule: d.ID, Via: ViaBare, Evidence: []string{"whole-file"}}
		f.Line, f.Column = 1, 1
	}
	return f
}

// blob records a blob's keys at path, in commit c (nil for a blob that a
// tag names directly).
func (b *builder) blob(h *blobHit, path string, c *commitInfo, order int, refName string) {
	fill := func(f *Finding) {
		f.Source = SourceFile
		f.Path = path
		f.Blob = h.hash.String()
		f.Ref = refName
		f.order = order
		if c != nil {
			f.Commit = c.Hash.String()
			f.Author = c.Author
			f.Date = c.When
		}
	}
	if h.bare != "" {
		if d := WholeFileDetector(path, b.det); d != nil {
			f := b.base(h.bare, d, nil)
			fill(&f)
			b.add(f)
		}
	}
	for i := range h.matches {
		mv := h.matches[i] // a pending match resolves per path
		m := &mv
		if m.Pending && !ResolvePending(m, path, b.det, b.readerFor(c, path)) {
			continue
		}
		if !m.Allowed && m.Detector.Confidence == Medium && IsLockFile(path) {
			continue
		}
		f, ok := b.fromMatch(m)
		if !ok {
			continue
		}
		fill(&f)
		b.add(f)
	}
}

// unreachable records the keys of a blob that no commit or tag holds, and
// returns how many it recorded. A bare key file cannot be told from other
// content without its path, so only in-text matches count.
func (b *builder) unreachable(h *blobHit, order int) int {
	n := 0
	for i := range h.matches {
		if h.matches[i].Pending {
			continue // no path to decide it by
		}
		f, ok := b.fromMatch(&h.matches[i])
		if !ok {
			continue
		}
		f.Source = SourceUnreachable
		f.Blob = h.hash.String()
		f.Path = ""
		f.order = order
		b.add(f)
		n++
	}
	return n
}

// fromMatch starts the finding for a match, or counts an allowed one and
// reports false.
func (b *builder) fromMatch(m *Match) (Finding, bool) {
	if m.Pending {
		return Finding{}, false // waits for a path, and a message has none
	}
	if m.Allowed {
		b.stats.Allowed++
		return Finding{}, false
	}
	return b.base(m.Key, m.Detector, m), true
}

func (b *builder) message(m Match, c *commitInfo, order int, refName string) {
	f, ok := b.fromMatch(&m)
	if !ok {
		return
	}
	f.Source = SourceCommitMessage
	f.Commit = c.Hash.String()
	f.Author = c.Author
	f.Date = c.When
	f.Ref = refName
	f.order = order
	b.add(f)
}

func (b *builder) tag(m Match, t *tagInfo, refName string) {
	f, ok := b.fromMatch(&m)
	if !ok {
		return
	}
	f.Source = SourceTagMessage
	f.Commit = t.Target.String()
	f.Author = t.Tagger
	f.Date = t.When
	f.Tag = t.Name
	f.Ref = refName
	f.order = 1 << 30
	b.add(f)
}

// findings returns the findings oldest first, then by path and line.
func (b *builder) findings() []Finding {
	out := make([]Finding, 0, len(b.by))
	for _, f := range b.by {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if a.order != c.order {
			return a.order < c.order
		}
		if a.Source != c.Source {
			return a.Source < c.Source
		}
		if a.Path != c.Path {
			return a.Path < c.Path
		}
		if a.Line != c.Line {
			return a.Line < c.Line
		}
		return a.KeySHA256 < c.KeySHA256
	})
	return out
}

// detectBlob runs the detectors over a blob's text, or over the printable
// text of a binary one (counted in binaries), and returns the matches and
// the key if the blob is nothing but one.
func detectBlob(data []byte, det []Detector, binaries *int) ([]Match, string) {
	if isBinary(data) {
		*binaries++
		return DetectBinary(data, det), ""
	}
	return Detect(data, det), BareKey(data)
}

// detectStream runs the detectors over a reader in overlapping chunks, for
// blobs too large to hold. Matches that need the file to mention Vast are
// kept only if some chunk does; if none does, they wait for the path like
// any pending match. It reports whether the blob is binary (then only its
// printable text is read).
func detectStream(r io.Reader, det []Detector) ([]Match, bool, error) {
	const chunk = 4 << 20
	const overlap = 4096
	buf := make([]byte, 0, chunk+overlap)
	var out, fileScoped []Match
	base := 0  // absolute offset of buf[0]
	lines := 0 // newlines before buf[0]
	vast := false
	first := true
	binary := false
	for {
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		last := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !last {
			return nil, false, err
		}
		if first {
			binary = isBinary(buf)
			first = false
		}
		if !vast && mentionsVast(buf) {
			vast = true
		}
		carried := 0
		if base > 0 {
			carried = overlap
		}
		// The chunk is judged as if the whole blob mentions Vast; that is
		// checked over every chunk below.
		e := engine{text: buf, det: det, vast: 1, binary: binary}
		for _, m := range e.run() {
			if m.Offset+m.Length <= carried {
				continue // found in the previous chunk
			}
			m.Offset += base
			m.Line += lines
			if m.fileScoped {
				fileScoped = append(fileScoped, m)
			} else {
				out = append(out, m)
			}
		}
		if last {
			break
		}
		// Keep the last overlap bytes for context and keys across the cut.
		keep := buf[len(buf)-overlap:]
		lines += bytes.Count(buf[:len(buf)-overlap], []byte{'\n'})
		base += len(buf) - overlap
		buf = append(buf[:0], keep...)
	}
	for _, m := range fileScoped {
		if !vast {
			m.Pending = true
			m.Why.Evidence = replaceEvidence(m.Why.Evidence, "file-mentions-vast", "path")
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out, binary, nil
}
