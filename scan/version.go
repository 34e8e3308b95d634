package scan

import (
	"crypto/sha256"
	"fmt"
	"io"
)

// cacheFormat changes whenever the cache file's layout or meaning does.
const cacheFormat = "vastguard scan cache 1"

// cacheVersion identifies what a cache entry's "scanned clean" means: the
// cache format, DetectorVersion and every field of every detector used.
func cacheVersion(det []Detector) [32]byte { return versionOf(DetectorVersion, det) }

// versionOf is cacheVersion with detection code version code. Every field
// of Detector that decides what matches is hashed (Name and Description
// only describe); TestCacheVersionCoversDetector fails when Detector gains
// a field this does not know.
func versionOf(code string, det []Detector) [32]byte {
	h := sha256.New()
	io.WriteString(h, cacheFormat+"\x00"+code+"\x00")
	for _, d := range det {
		path := ""
		if d.Path != nil {
			path = d.Path.String()
		}
		fmt.Fprintf(h, "%q %q %q %d %q %q %v %v %q %v\x00", d.ID, d.Confidence, d.Via, d.Lines, d.Bound, d.Scope, d.Base64, d.WholeFile, path, d.PathRule)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}
