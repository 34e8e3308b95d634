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
// first 8000 bytes, as git decides) are not skipped: their printable text
// is scanned (DetectBinary), within a bounded cost.
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
// read and no HEAD blob (a blobless partial clone has none), but for the
// files beside a generic key that only the code next to it can decide.
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
// A repository that tries to exhaust the scanner fails it with an error
// naming what it tried: content over a budget (Options.MaxObjectSize,
// MaxDeltaSize, MaxMemory; ErrLimit), a FIFO or device where git expects a
// file (ErrNotRegular), and a bare repository layout inside a work tree, a
// decoy a pull request can commit under the scanned path
// (ErrBareInWorkTree, unless Options.AllowBareInWorkTree).
//
// Detection. For each 64-hex value (and each base64 token that decodes to
// one) the engine works out what it is bound to: the name, key, flag,
// header, URL parameter or phrase that introduces it, across the operators,
// type annotations, quotes, escapes and line breaks languages and formats
// put between a name and its value, and the section, block, command line
// or request around it (bind.go, context.go). Detectors, as data, say which
// bindings they accept, what the bound name must say (words.go holds the
// vocabulary: Vast, key, neutral, negative and other services' words) and
// what other evidence they need: a Vast CLI, a vast.ai host, a section for
// Vast, a mention of Vast in the file, the file's path, or code next to the
// file that reads it (the last two are decided once the path is known:
// ResolvePending). Each match carries Why: the rule, the bound name
// (redacted if it looks secret), the binding and the evidence. Values that
// are digests, ids, instance or daemon tokens, self-made secrets or other
// services' keys are rejected by what they are bound to.
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
