package scan

import (
	"strings"
	"testing"
)

// FuzzParseBaseline: no input panics, and every accepted entry is a
// 64-character hex hash.
func FuzzParseBaseline(f *testing.F) {
	f.Add("# c\n" + strings.Repeat("ab", 32) + "  # x\n")
	f.Add(`{"findings": [{"key_sha256": "` + strings.Repeat("0", 64) + `"}]}`)
	f.Add(`["` + strings.Repeat("f", 64) + `"]`)
	f.Fuzz(func(t *testing.T, data string) {
		b, err := ParseBaseline(strings.NewReader(data))
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		for h := range b.hashes {
			if !validHash(h) || strings.ToLower(h) != h {
				t.Fatalf("accepted %q", h)
			}
		}
	})
}
