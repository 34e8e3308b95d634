// Package scan finds Vast.ai API keys committed anywhere in a git
// repository's history.
//
// What is scanned. Every object the repository holds is read exactly once,
// straight from its packfiles and loose objects, in parallel: every unique
// blob (so content that only a merge resolution introduced is seen, and a
// file edited 500 times costs 500 blobs, not 500 diffs), every commit
// message and every annotated tag message. That covers every ref by
// construction: local and remote branches, lightweight and annotated tags,
// notes and the stash (its reflog included). Binary blobs (a NUL byte in the
// first 8000 bytes, as git decides) are skipped and counted.
//
// Attribution. Only blobs with a finding need a commit and path. For them
// the commits reachable from the refs are walked oldest first (parents
// before children, then by commit time), descending only into trees not
// seen before at that path, so each unique tree is read once; a finding is
// reported at the first commit that introduced its blob at that path, with
// the line, author and date. There are no per-commit diffs and no git
// subprocess.
//
// Ranges and staged changes. Options.Range ("A..B") and Options.Since
// ("REV", meaning REV..HEAD) scan only what the commits in the range
// introduced: the blobs reachable from them and not from A, and their
// messages. The range's commits are found as git rev-list finds them (a
// newest-first walk from both ends that stops once every commit left is
// reachable from A), each is compared with its parents tree by tree, and a
// blob with a key is checked against A's history only then; so a range
// costs what it introduces, not what the history holds. Options.Staged
// scans the blobs staged in the index that differ from HEAD at their path:
// the index is read by hand (bounded, never through a symbolic link), the
// tree each directory would have is computed from it and compared with
// HEAD's from the root down, so only HEAD's trees on changed paths are
// read and never a HEAD blob (a blobless partial clone has none).
//
// Incremental scans. With Options.Cache, a history scan keeps in that
// directory, per repository, the ids of the objects it read, the commit
// graph and where keys first were (ids and tree-entry positions only,
// authenticated with an HMAC under Options.CacheKey), and the next scan
// reads only the objects not listed plus the blobs with keys, with the
// same findings as a full scan. DetectorVersion invalidates it.
//
// Refusals. A shallow clone, or a range whose end is missing, is an error
// (ErrShallow, ErrMissingRevision) that says to fetch the whole history: a
// scan never passes silently over history it cannot see. A partial clone
// (objects left on the server) is an error unless Options.AllowPartial.
//
// Detection is data: Detectors lists each way a key leaks (an env
// assignment, `vastai set api-key`, `VastAI(api_key=...)`, a Bearer header
// to the Vast API, an api_key= URL parameter, the vastai key file, generic
// key assignments in files that mention Vast) with the contexts that are
// known not to be keys (digests, checksums, lock-file hashes, halves of
// longer hex runs, placeholders).
//
// Reading. The git objects themselves (pack indexes, packfiles, deltas,
// loose objects, alternates, commit, tag and tree parsing) come from package
// scan/gitobj, which knows nothing of detection; this package decides what
// to read and what the objects mean.
//
// Secrets. A Finding carries the key's SHA-256 and a redacted form; the key
// itself is kept in an unexported field for verification and is never
// written by any encoder in this package.
//
// The package does not log; it returns a Report and errors.
package scan
