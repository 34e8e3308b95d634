package scan

import (
	"crypto/sha256"
	"encoding/hex"
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
	// Verification is Unchecked, Live, Invalid or Unknown.
	Verification string `json:"verification"`
	// VerificationDetail says why a check gave Unknown, or what a live key
	// belongs to; never the key.
	VerificationDetail string `json:"verification_detail,omitempty"`
	Source             string `json:"source"`
	Blob               string `json:"blob,omitempty"` // the blob holding the key
	Ref                string `json:"ref,omitempty"`  // a ref the commit is reachable from
	Tag                string `json:"tag,omitempty"`  // for tag messages

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
	Mode            string  `json:"mode"` // "history", "range", "staged"
	Refs            int     `json:"refs"`
	Commits         int     `json:"commits"`
	Blobs           int     `json:"blobs"`
	Bytes           int64   `json:"bytes"`
	SkippedBinaries int     `json:"skipped_binaries"`
	Trees           int     `json:"trees"` // trees read for attribution
	Seconds         float64 `json:"seconds"`
	// Allowed counts keys suppressed by an inline vastguard:allow.
	Allowed int `json:"allowed"`
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
}

// Report is the result of a scan: the JSON document vastguard writes.
type Report struct {
	Version  int           `json:"version"`
	Findings []Finding     `json:"findings"`
	Stats    Stats         `json:"stats"`
	Baseline *BaselineInfo `json:"baseline,omitempty"`
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
