// Package gitobj reads a git repository's object database straight from
// disk: pack indexes (versions 1 and 2), packfiles (versions 2 and 3,
// mapped into memory), their OFS_DELTA and REF_DELTA chains, loose
// objects, and the alternates they borrow from; and it parses the three
// object kinds a history is made of (commits, tags, trees).
//
// Contract. Open reads every index and every object header up front and
// inflates nothing. DB.ForEach then visits every object exactly once, in
// parallel, resolving each delta chain depth first from its root so that
// each object is inflated once and only the chain being walked is held in
// memory; objects too large to hold are handed over as a stream. DB.Get
// reads one object by id, for the sequential walks that follow; a Reader
// (DB.NewReader) does the same for each of several goroutines. Every
// length, offset and size read from disk is checked against the bytes
// that hold it: a corrupt or hostile repository yields an error naming the
// file and object, never a panic or an out-of-bounds read.
//
// Hostile input. What a repository can make the reader hold is bounded by
// Limits: the size of any object, of any object held whole (a delta, what
// it rebuilds, its base), and of everything ForEach holds at once; an
// object over a budget is refused with a *LimitError (errors.Is ErrLimit)
// from its header, before anything is allocated. Delta chains are rebuilt
// without recursion, however deep. Every file is opened with OpenRegular:
// a FIFO, a device or a directory where git expects a file is refused
// (ErrNotRegular) without blocking or reading.
//
// Inflating. An object held whole is inflated straight into its buffer by
// the package's own whole-buffer decoder (inflate.go says why); streams go
// through klauspost/compress. A stream that makes more or fewer bytes than
// its header says is corrupt, as git holds it. The CRC-32 a version 2 pack
// index keeps for each object is checked before it is inflated, or as it
// streams for an object read as a stream, so every path refuses the same
// objects (it catches
// a pack damaged on disk, as zlib's Adler-32 would, at a hundredth of the
// cost); Adler-32 is checked where there is no CRC-32 (version 1 indexes,
// loose objects, streams). Neither defends against a hostile repository,
// which writes what checksums it likes: the bounds checks do.
//
// The package knows nothing of what its caller looks for in the objects:
// it has no notion of detection, findings, keys or Vast, and it must not
// import the scan package or anything under it. Its only dependencies are
// go-git's plumbing types (object ids, object types, file modes) and a
// zlib implementation.
//
// Neither it nor go-git writes anything: the repository is only read.
package gitobj
