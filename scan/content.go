package scan

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"sync/atomic"
)

// Limits bound what a directory, reader or log scan reads out of archives,
// so that a zip bomb, an archive nested in itself or a million-entry tarball
// costs a bounded amount of time and memory. What a limit keeps from being
// read is listed in Stats.Unscanned, never passed over in silence.
type Limits struct {
	// Depth is how many levels of archives are opened: 0 opens none, 1
	// opens the archives in the tree but not archives inside them. A
	// compressed tarball (.tar.gz, .tgz, .tar.bz2) is one level.
	Depth int
	// Entries bounds the archive entries read in the whole scan.
	Entries int
	// Bytes bounds the bytes decompressed out of archives in the whole
	// scan.
	Bytes int64
}

// DefaultLimits are the limits a zero Limits means: three levels of
// archives, 100,000 entries, 4 GiB decompressed.
var DefaultLimits = Limits{Depth: 3, Entries: 100_000, Bytes: 4 << 30}

// MaxArchiveDepth is the deepest Limits.Depth accepted.
const MaxArchiveDepth = 16

func (l Limits) orDefault() Limits {
	if l.Entries <= 0 {
		l.Entries = DefaultLimits.Entries
	}
	if l.Bytes <= 0 {
		l.Bytes = DefaultLimits.Bytes
	}
	return l
}

// inMemory is the largest piece of content held whole; larger content is
// streamed (detectStream), as the history scan does with large blobs.
const inMemory = 32 << 20

// sniffLen is how much of the content decides whether it is an archive:
// enough for tar's magic at offset 257.
const sniffLen = 512

// archiveKind is what the first bytes of content say it is.
type archiveKind int

const (
	notArchive archiveKind = iota
	zipArchive
	tarArchive
	gzipStream
	bzip2Stream
)

func (k archiveKind) String() string {
	return [...]string{"file", "zip", "tar", "gzip", "bzip2"}[k]
}

// sniff tells an archive by its magic bytes, never by its name: a .jar, a
// .whl, an .apk and a .docx are zip files, and a misnamed archive is still
// opened.
func sniff(head []byte) archiveKind {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return zipArchive
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return gzipStream
	case bytes.HasPrefix(head, []byte("BZh")) && len(head) > 3 && head[3] >= '1' && head[3] <= '9':
		return bzip2Stream
	case len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar")):
		return tarArchive
	}
	return notArchive
}

// errBudget stops every archive walk once Limits.Bytes is spent.
var errBudget = errors.New("decompression budget spent")

// contents scans named contents (files, archive entries, a stream) into one
// report, with limits shared by every worker.
type contents struct {
	det    []Detector
	limits Limits
	// skip, if set, leaves out a path (a file, an entry, a directory) by
	// its display name.
	skip   func(name string) bool
	source string

	entries atomic.Int64
	bytes   atomic.Int64

	mu       sync.Mutex
	stats    Stats
	b        *builder
	archives map[string]string // display name -> the archive file holding it
}

func newContents(det []Detector, limits Limits, source string) *contents {
	c := &contents{det: det, limits: limits.orDefault(), source: source, archives: map[string]string{}}
	c.b = newBuilder(det, &c.stats)
	return c
}

// report returns the findings and stats gathered, by path and line.
func (c *contents) report(mode string) *Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	rep := &Report{Version: 1, Stats: c.stats}
	rep.Stats.Mode = mode
	rep.Findings = c.b.findings()
	for i := range rep.Findings {
		f := &rep.Findings[i]
		f.Source = c.source
		f.Blob = ""
		f.Archive = c.archives[f.Path]
	}
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	return rep
}

// record adds what detection found in one piece of content.
func (c *contents) record(name, archive string, size int64, ms []Match, bare string, binary bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if binary {
		c.stats.BinaryBlobs++
	}
	c.stats.Blobs++
	c.stats.Bytes += size
	if len(ms) == 0 && bare == "" {
		return
	}
	if archive != "" {
		c.archives[name] = archive
	}
	// One order for all: findings come out by path and line, however
	// the workers raced.
	c.b.blob(&blobHit{matches: ms, bare: bare}, name, nil, 0, "")
}

func (c *contents) note(f func(st *Stats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.stats)
}

func (c *contents) unscanned(name, reason string) {
	c.note(func(st *Stats) { st.unscanned(name, reason) })
}

// detectContent runs the detectors over a whole piece of content, as the
// history scan does over a blob: text decoded (UTF-16), and of binary
// content (a NUL in the first 8000 bytes, as git decides) the printable
// text.
func detectContent(data []byte, det []Detector) (ms []Match, bare string, binary bool) {
	data = Text(data)
	n := 0
	ms, bare = detectBlob(data, det, &n)
	return ms, bare, n > 0
}

// data scans content held in memory: an archive is opened (below depth),
// anything else goes to the detectors.
func (c *contents) data(ctx context.Context, name, archive string, data []byte, depth int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if kind := sniff(data[:min(len(data), sniffLen)]); kind != notArchive {
		if depth < c.limits.Depth {
			br := bytes.NewReader(data)
			return c.open(ctx, name, archive, kind, br, br, int64(len(data)), depth)
		}
		if c.limits.Depth > 0 {
			c.unscanned(name, fmt.Sprintf("a %s archive nested deeper than %d levels was not opened", kind, c.limits.Depth))
		}
	}
	ms, bare, binary := detectContent(data, c.det)
	c.record(name, archive, int64(len(data)), ms, bare, binary)
	return nil
}

// stream scans content read from r, of size bytes if known (-1 if not). ra,
// if not nil, reads the same content at random, which a zip needs.
func (c *contents) stream(ctx context.Context, name, archive string, r io.Reader, ra io.ReaderAt, size int64, depth int) error {
	counted := &countingReader{r: r}
	br := bufio.NewReaderSize(counted, 64<<10)
	head, _ := br.Peek(sniffLen)
	if kind := sniff(head); kind != notArchive {
		switch {
		case depth >= c.limits.Depth:
			if c.limits.Depth > 0 {
				c.unscanned(name, fmt.Sprintf("a %s archive nested deeper than %d levels was not opened", kind, c.limits.Depth))
			}
		case kind == zipArchive && ra == nil:
			c.unscanned(name, fmt.Sprintf("a zip archive read as a stream (standard input, or more than %d MiB inside another archive) was not opened: a zip needs random access; give it as a file", inMemory>>20))
		default:
			return c.open(ctx, name, archive, kind, br, ra, size, depth)
		}
	}
	ms, binary, err := detectStream(br, c.det)
	if err != nil {
		if errors.Is(err, errBudget) {
			return err
		}
		c.unscanned(name, "read error: "+err.Error())
		return nil
	}
	if size < 0 {
		size = counted.n
	}
	c.record(name, archive, size, ms, "", binary)
	return nil
}

// countingReader counts what is read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// open walks an archive whose entries are at depth+1: a zip through ra, a
// tarball or compressed stream through r.
func (c *contents) open(ctx context.Context, name, archive string, kind archiveKind, r io.Reader, ra io.ReaderAt, size int64, depth int) error {
	if archive == "" {
		archive = name
	}
	c.note(func(st *Stats) { st.Archives++ })
	var err error
	switch kind {
	case zipArchive:
		err = c.walkZip(ctx, name, archive, ra, size, depth+1)
	case tarArchive:
		err = c.walkTar(ctx, name, archive, r, depth+1)
	case gzipStream, bzip2Stream:
		err = c.decompress(ctx, name, archive, kind, r, depth+1)
	}
	if errors.Is(err, errBudget) {
		return err
	}
	if err != nil && ctx.Err() == nil {
		c.unscanned(name, fmt.Sprintf("not a readable %s archive: %v", kind, err))
		return nil
	}
	return err
}

// entryName makes an archive entry's name safe to show and to match: slash
// separated, cleaned, relative. An entry named "../../etc/passwd" or
// "/abs" is read (it may hold a key) but shown as "etc/passwd" and "abs":
// nothing here writes entries to disk, so a name cannot escape anywhere,
// and a displayed name never climbs out of its archive.
func entryName(n string) string {
	n = strings.ReplaceAll(n, "\\", "/")
	n = path.Clean("/" + n)
	n = strings.TrimPrefix(n, "/")
	if n == "" || n == "." {
		n = "(unnamed entry)"
	}
	return n
}

// take counts one entry against Limits.Entries; false once it is spent.
func (c *contents) take(name string) bool {
	if c.entries.Add(1) > int64(c.limits.Entries) {
		if c.entries.Load() == int64(c.limits.Entries)+1 {
			c.unscanned(name, fmt.Sprintf("the limit of %d archive entries was reached; the rest were not read", c.limits.Entries))
		}
		return false
	}
	c.note(func(st *Stats) { st.ArchiveEntries++ })
	return true
}

// budget wraps an entry's reader so that every byte decompressed counts
// against Limits.Bytes.
func (c *contents) budget(r io.Reader) io.Reader { return &budgetReader{r: r, c: c} }

type budgetReader struct {
	r io.Reader
	c *contents
}

func (b *budgetReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if b.c.bytes.Add(int64(n)) > b.c.limits.Bytes {
		return n, errBudget
	}
	return n, err
}

// budgetSpent records, once, that the decompression budget ran out.
func (c *contents) budgetSpent(name string) {
	c.note(func(st *Stats) {
		for _, u := range st.Unscanned {
			if strings.HasPrefix(u.Reason, "the decompression budget") {
				return
			}
		}
		st.unscanned(name, fmt.Sprintf("the decompression budget of %s was spent here (a zip bomb?); no further archive content was read", humanBytes(c.limits.Bytes)))
	})
}

// entry scans one archive entry's content from r (size bytes, -1 if
// unknown). The bytes a decompressor produces are counted against the
// budget where it is made (walkZip, decompress), not here: a tarball is
// framing, and its entries were counted as its stream was inflated.
func (c *contents) entry(ctx context.Context, name, archive string, r io.Reader, size int64, depth int) error {
	if size >= 0 && size <= inMemory {
		data, err := io.ReadAll(io.LimitReader(r, inMemory+1))
		if err != nil {
			if errors.Is(err, errBudget) {
				c.budgetSpent(name)
				return err
			}
			c.unscanned(name, "read error: "+err.Error())
			return nil
		}
		if len(data) <= inMemory {
			return c.data(ctx, name, archive, data, depth)
		}
		// The header lied about the size: stream the rest.
		r = io.MultiReader(bytes.NewReader(data), r)
	}
	err := c.stream(ctx, name, archive, r, nil, size, depth)
	if errors.Is(err, errBudget) {
		c.budgetSpent(name)
	}
	return err
}

func (c *contents) walkZip(ctx context.Context, name, archive string, ra io.ReaderAt, size int64, depth int) error {
	z, err := zip.NewReader(ra, size)
	if err != nil {
		return err
	}
	for _, f := range z.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		inner := name + "!" + entryName(f.Name)
		mode := f.Mode()
		switch {
		case mode.IsDir():
			continue
		case mode&0o170000 == 0o120000, mode.Type()&(1<<27) != 0: // a symbolic link
			c.note(func(st *Stats) { st.SkippedLinks++ })
			continue
		case !mode.IsRegular():
			c.note(func(st *Stats) { st.SkippedSpecial++ })
			continue
		}
		if c.skip != nil && c.skip(inner) {
			continue
		}
		if !c.take(inner) {
			return nil
		}
		if f.Flags&0x1 != 0 {
			c.unscanned(inner, "encrypted entry")
			continue
		}
		if f.UncompressedSize64 > uint64(c.limits.Bytes) {
			c.unscanned(inner, fmt.Sprintf("declares %d bytes, more than the decompression budget of %s", f.UncompressedSize64, humanBytes(c.limits.Bytes)))
			continue
		}
		rc, err := f.Open()
		if err != nil {
			c.unscanned(inner, err.Error())
			continue
		}
		err = c.entry(ctx, inner, archive, c.budget(rc), int64(f.UncompressedSize64), depth)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *contents) walkTar(ctx context.Context, name, archive string, r io.Reader, depth int) error {
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		inner := name + "!" + entryName(h.Name)
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		case tar.TypeDir:
			continue
		case tar.TypeSymlink, tar.TypeLink:
			c.note(func(st *Stats) { st.SkippedLinks++ })
			continue
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			c.note(func(st *Stats) { st.SkippedSpecial++ })
			continue
		default:
			continue // pax/GNU headers tar.Reader did not fold in, volume labels
		}
		if c.skip != nil && c.skip(inner) {
			continue
		}
		if !c.take(inner) {
			return nil
		}
		if err := c.entry(ctx, inner, archive, tr, h.Size, depth); err != nil {
			return err
		}
	}
}

// decompress scans a gzip or bzip2 stream's content: a tarball's entries
// at depth (a .tar.gz is one level), anything else as one entry.
func (c *contents) decompress(ctx context.Context, name, archive string, kind archiveKind, r io.Reader, depth int) error {
	var inner io.Reader
	innerName := strings.TrimSuffix(strings.TrimSuffix(path.Base(name), ".gz"), ".bz2")
	switch kind {
	case gzipStream:
		gz, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		defer gz.Close()
		if gz.Name != "" {
			innerName = path.Base(entryName(gz.Name))
		}
		inner = gz
	case bzip2Stream:
		inner = bzip2.NewReader(r)
	}
	if strings.HasSuffix(innerName, ".tgz") {
		innerName = strings.TrimSuffix(innerName, ".tgz") + ".tar"
	}
	br := bufio.NewReaderSize(c.budget(inner), 64<<10)
	head, err := br.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		if errors.Is(err, errBudget) {
			c.budgetSpent(name)
		}
		return err
	}
	if sniff(head) == tarArchive {
		err := c.walkTar(ctx, name, archive, br, depth)
		if errors.Is(err, errBudget) {
			c.budgetSpent(name)
		}
		return err
	}
	if !c.take(name + "!" + innerName) {
		return nil
	}
	return c.entry(ctx, name+"!"+innerName, archive, br, -1, depth)
}
