package scan

import (
	"crypto/sha256"
	"fmt"
	"io"
	"regexp"
)

// DetectorVersion names what the detection code does, beyond the rules in
// Detectors that cacheVersion already hashes: the candidate search, the
// context checks (notAKey, placeholders, entropy), Text, BareKey and
// isBinary. Whoever changes any of them bumps it, so that an incremental
// scan's cache (Options.Cache), which remembers which blobs were clean,
// is thrown away and every blob is scanned again under the new code.
var DetectorVersion = "2026-07-1"

// cacheFormat changes whenever the cache file's layout or meaning does.
const cacheFormat = "vastguard scan cache 1"

// cacheVersion identifies what a cache entry's "scanned clean" means: the
// cache format, DetectorVersion and every field of every detector used.
func cacheVersion(det []Detector) [32]byte {
	h := sha256.New()
	io.WriteString(h, cacheFormat+"\x00"+DetectorVersion+"\x00")
	re := func(r *regexp.Regexp) string {
		if r == nil {
			return ""
		}
		return r.String()
	}
	for _, d := range det {
		before, above, after, near, path := re(d.Before), re(d.Above), re(d.After), re(d.Near), re(d.Path)
		fmt.Fprintf(h, "%q %q %q %q %q %q %q %v %v %v\x00", d.ID, d.Confidence, before, above, after, near, path, d.Base64, d.MentionsVast, d.WholeFile)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}
