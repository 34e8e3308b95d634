package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Where a finding was seen.
const (
	SourceFile          = "file"           // a blob at a path in a commit's tree
	SourceCommitMessage = "commit-message" // a commit's message
	SourceTagMessage    = "tag-message"    // an annotated tag's message
	SourceStaged        = "staged"         // a blob staged in the index
	// SourceUnreachable is a blob no ref reaches (left by a rebase, a reset
	// or a deleted branch, until git gc prunes it), or one the history names
	// but the attribution could not place: no commit or path is known, only
	// the blob's id. Such a key was committed at some point; treat it as
	// leaked.
	SourceUnreachable = "unreachable"
	// SourceDirectory is a file in a plain directory tree (ScanDir), or an
	// entry of an archive found in one; Commit is empty.
	SourceDirectory = "directory"
	// SourceStdin is text read from a reader (ScanReader: standard input,
	// a CI log piped in).
	SourceStdin = "stdin"
	// SourceActionsLog is a line of a GitHub Actions run's log
	// (ScanActionsLog); Log says which run, job and step.
	SourceActionsLog = "actions-log"
)

// Verification values. Scans leave findings Unchecked; a liveness check
// (outside this package) sets the others.
const (
	Unchecked = "unchecked"
	Live      = "live"
	Invalid   = "invalid"
	Unknown   = "unknown"
)

// Finding is one distinct key at one path, at the commit that first
// introduced it there. The key itself is unexported: encoders see only its
// SHA-256 and redacted form.
type Finding struct {
	Rule       string     `json:"rule"`
	KeySHA256  string     `json:"key_sha256"`
	Redacted   string     `json:"redacted"`
	Commit     string     `json:"commit"` // empty for staged changes
	Path       string     `json:"path"`   // empty for commit and tag messages
	Line       int        `json:"line"`
	Column     int        `json:"column"`
	Author     string     `json:"author"`
	Date       time.Time  `json:"date"`
	Confidence Confidence `json:"confidence"`
	// Why says why the rule fired: what the key is bound to (the name,
	// flag, header, parameter or phrase, redacted if it looks secret), how,
	// and the evidence besides the name.
	Why *Why `json:"why,omitempty"`
	// Verification is Unchecked, Live, Invalid or Unknown.
	Verification string `json:"verification"`
	// VerificationDetail says why a check gave Unknown, or what a live key
	// belongs to; never the key.
	VerificationDetail string `json:"verification_detail,omitempty"`
	Source             string `json:"source"`
	Blob               string `json:"blob,omitempty"` // the blob holding the key
	Ref                string `json:"ref,omitempty"`  // a ref the commit is reachable from
	Tag                string `json:"tag,omitempty"`  // for tag messages
	// Archive is the archive file (a path in the scanned directory) that
	// holds the entry at Path ("release.zip!config/.env"), for findings
	// inside archives.
	Archive string `json:"archive,omitempty"`
	// Log says where in a GitHub Actions run's log the key was printed.
	Log *LogPlace `json:"log,omitempty"`
	// Example is set for a key the configuration lists as a known example
	// value (a published placeholder): the reason given, or "known example
	// value". Such findings are reported but do not fail a scan unless the
	// key is verified live.
	Example string `json:"example,omitempty"`

	secret string
	order  int // position of Commit in the oldest-first walk
}

// KeyFinding is a Finding for a key given by hand (to check or revoke it,
// not found in a repository): only its hash, redacted form and key are set.
func KeyFinding(key string) Finding {
	return Finding{KeySHA256: KeyHash(key), Redacted: Redact(key), Verification: Unchecked, secret: key}
}

// Secret returns the key itself, for verification and revocation only.
// Never print it.
func (f Finding) Secret() string { return f.secret }

// KeyHash returns the hex SHA-256 of a key, the identity findings and
// baselines use.
func KeyHash(key string) string {
	s := sha256.Sum256([]byte(key))
	return hex.EncodeToString(s[:])
}

// Redact returns "..." and the key's last four characters, as the vastai
// CLI shows keys.
func Redact(key string) string {
	if len(key) < 12 {
		return "..."
	}
	return "..." + key[len(key)-4:]
}

// Stats describes what a scan covered.
type Stats struct {
	Mode            string `json:"mode"` // "history", "range", "staged", "directory", "stdin", "actions-logs"
	Refs            int    `json:"refs"`
	Commits         int    `json:"commits"`
	Blobs           int    `json:"blobs"`
	Bytes           int64  `json:"bytes"`
	SkippedBinaries int    `json:"skipped_binaries"`
	// BinaryBlobs counts binary blobs (a NUL in the first 8000 bytes, as
	// git decides) whose printable text was scanned; they are in Blobs.
	BinaryBlobs int     `json:"binary_blobs"`
	Trees       int     `json:"trees"` // trees read for attribution
	Seconds     float64 `json:"seconds"`
	// Allowed counts keys suppressed by an inline vastguard:allow.
	Allowed int `json:"allowed"`
	// BelowConfidence counts findings dropped by Options.MinConfidence.
	BelowConfidence int `json:"below_min_confidence,omitempty"`
	// Unreachable counts keys found only in objects no ref reaches; they
	// are reported with source "unreachable".
	Unreachable int `json:"unreachable"`
	// Missing counts objects the history names but the clone lacks.
	Missing int  `json:"missing"`
	Partial bool `json:"partial_clone,omitempty"`
	// Cache says how an incremental scan used its cache (CacheUsed,
	// CacheAbsent, ...); Cached counts the objects it did not read again.
	Cache  string `json:"cache,omitempty"`
	Cached int    `json:"cached_objects,omitempty"`

	// Directory, reader and log scans (Mode "directory", "stdin",
	// "actions-logs"): Blobs and Bytes count the files (and archive
	// entries) read.
	Archives       int `json:"archives,omitempty"`        // archives opened
	ArchiveEntries int `json:"archive_entries,omitempty"` // entries read from them
	SkippedLinks   int `json:"skipped_links,omitempty"`   // symbolic and hard links, never followed
	SkippedSpecial int `json:"skipped_special,omitempty"` // devices, sockets, FIFOs
	// Unscanned lists what a limit or an error kept from being read
	// (an archive nested too deep, a zip bomb, a corrupt entry), at most
	// maxUnscanned entries; UnscannedCount counts them all.
	Unscanned      []Unscanned `json:"unscanned,omitempty"`
	UnscannedCount int         `json:"unscanned_count,omitempty"`
	Runs           int         `json:"runs,omitempty"` // workflow runs whose logs were read

	// Configuration (Filter): findings left out and why.
	Excluded int `json:"excluded,omitempty"` // at a path the configuration excludes
	Disabled int `json:"disabled,omitempty"` // of a rule the configuration turns off
	Examples int `json:"examples,omitempty"` // known example values, reported but not failing
}

// Unscanned is something a scan could not read, and why.
type Unscanned struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// maxUnscanned bounds Stats.Unscanned.
const maxUnscanned = 100

// unscanned records that path was not read.
func (st *Stats) unscanned(path, reason string) {
	st.UnscannedCount++
	if len(st.Unscanned) < maxUnscanned {
		st.Unscanned = append(st.Unscanned, Unscanned{Path: path, Reason: reason})
	}
}

// Report is the result of a scan: the JSON document vastguard writes.
type Report struct {
	Version  int           `json:"version"`
	Findings []Finding     `json:"findings"`
	Stats    Stats         `json:"stats"`
	Baseline *BaselineInfo `json:"baseline,omitempty"`
	// Repository is what was scanned, when known: the repository's URL and
	// the commit checked out (SARIF's versionControlProvenance).
	Repository *Repository `json:"repository,omitempty"`
	// Responses records what was done about live keys (revocation,
	// replacement), one entry per key, when a caller acted on the findings.
	Responses []Response `json:"responses,omitempty"`
}

// Response is what was done about one found key. It never holds a key:
// the replacement's value goes only where the responder was told to put it.
type Response struct {
	KeySHA256 string `json:"key_sha256"`
	Redacted  string `json:"redacted"`
	KeyID     int64  `json:"key_id,omitempty"`
	Action    string `json:"action"`  // "revoke" or "reset"
	Outcome   string `json:"outcome"` // e.g. "revoked", "not revoked", "would revoke (dry run)"
	Detail    string `json:"detail,omitempty"`
	// Replacement is the new key's id, after a reset.
	Replacement int64 `json:"replacement_key_id,omitempty"`
	// Done is true when the leaked key is known to be dead (and, for a
	// reset, the replacement stored).
	Done bool `json:"done"`
	// Activity is what the key did, from the account's audit log, read
	// before it was revoked; nil when the log could not be read, and then
	// ActivityNote says why in one line.
	Activity     *Activity `json:"activity,omitempty"`
	ActivityNote string    `json:"activity_note,omitempty"`
}

// Activity is what a leaked key did, as the Vast account's audit log
// records it. The scan never calls an API: a responder fills it in. Every
// string in it came from the API and was sanitised there.
type Activity struct {
	Summary     string    `json:"summary"` // one line, e.g. "12 calls from 3 IPs (...) between ... and ...; instances created 2"
	Calls       int       `json:"calls"`
	First       time.Time `json:"first_use,omitzero"`
	Last        time.Time `json:"last_use,omitzero"`
	IPs         []Count   `json:"ips"`     // distinct IP addresses, most calls first
	Routes      []Count   `json:"routes"`  // routes, ids as {id}, most calls first
	Actions     []Count   `json:"actions"` // what the calls did: instances created or destroyed, billing reads, ...
	OtherRoutes int       `json:"other_routes,omitempty"`
}

// Count is a name and how often it occurred.
type Count struct {
	Name string `json:"name"`
	N    int    `json:"count"`
}

// isHexString reports whether s is all lowercase hex digits, as a key is.
func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// minConfidence keeps the findings at least as sure as min, counting the
// others in st.BelowConfidence.
func minConfidence(fs []Finding, min Confidence, st *Stats) []Finding {
	if min == "" || min == Medium {
		return fs
	}
	out := fs[:0]
	for _, f := range fs {
		if f.Confidence.AtLeast(min) {
			out = append(out, f)
		} else {
			st.BelowConfidence++
		}
	}
	return out
}

// Repository names the repository and revision a report is about. URI
// never carries credentials (RepositoryOf strips them).
type Repository struct {
	URI      string `json:"uri"`                // https://github.com/owner/name
	Revision string `json:"revision,omitempty"` // the commit checked out
	Branch   string `json:"branch,omitempty"`   // refs/heads/main
}

// maskKeys replaces every run of exactly KeyLength hex characters in s (a
// path, a ref or an author from the repository, which may be named after a
// key: keys/<key>.txt) with Redact of it, so that a report, SARIF file or
// baseline written to disk never holds a key in a field that is not the
// key's. Shorter and longer runs (commit ids, pack names) stay.
func maskKeys(s string) string {
	var b strings.Builder
	start, last := -1, 0
	flush := func(end int) {
		if start >= 0 && end-start == KeyLength {
			if b.Len() == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[last:start])
			b.WriteString(Redact(s[start:end]))
			last = end
		}
		start = -1
	}
	for i := 0; i < len(s); i++ {
		if isHexByte(s[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(s))
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isHexByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// masked is r with maskKeys applied to what each finding says of where it
// is (path, archive, ref, tag, author); r itself when none needs it.
func (r *Report) masked() *Report {
	fields := func(f *Finding) []*string { return []*string{&f.Path, &f.Archive, &f.Ref, &f.Tag, &f.Author} }
	need := false
	for i := range r.Findings {
		for _, p := range fields(&r.Findings[i]) {
			if maskKeys(*p) != *p {
				need = true
			}
		}
	}
	if !need {
		return r
	}
	c := *r
	c.Findings = append([]Finding(nil), r.Findings...)
	for i := range c.Findings {
		for _, p := range fields(&c.Findings[i]) {
			*p = maskKeys(*p)
		}
	}
	return &c
}
