package scan_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

// TestNoKeyInWhereItIs: a file named after its key (keys/<key>.env, as
// tools that store one key a file do) and a branch named after it are
// reported, and no report, SARIF file or baseline holds the key, which is
// redacted in the path and the ref as it is elsewhere.
func TestNoKeyInWhereItIs(t *testing.T) {
	t.Parallel()
	key := scantest.Key(61)
	r := scantest.New(t)
	r.Commit("init", scantest.Files{"README": "keys live in keys/\n"})
	r.Branch(key[:8] + "-" + key)
	r.Commit("store the key", scantest.Files{"keys/" + key + ".env": "VAST_API_KEY=" + key + "\n"})
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) == 0 {
		t.Fatal("the key was not found")
	}
	outputs := map[string]func(*bytes.Buffer) error{
		"json":     func(b *bytes.Buffer) error { return scan.WriteJSON(b, rep) },
		"sarif":    func(b *bytes.Buffer) error { return scan.WriteSARIF(b, rep, scan.Tool{Name: "vastguard"}, nil) },
		"text":     func(b *bytes.Buffer) error { return scan.WriteText(b, rep) },
		"baseline": func(b *bytes.Buffer) error { return scan.WriteBaseline(b, rep.Findings) },
	}
	for name, write := range outputs {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Contains(b.String(), key) {
			t.Errorf("%s holds the key:\n%s", name, b.String())
		}
		if name != "baseline" && !strings.Contains(b.String(), "keys/..."+key[len(key)-4:]+".env") {
			t.Errorf("%s does not name the file with the key redacted:\n%s", name, b.String())
		}
	}
	// The report itself is untouched: callers that act on findings (a
	// baseline match, an exclude) see the real path.
	if !strings.Contains(rep.Findings[0].Path+rep.Findings[len(rep.Findings)-1].Path, key) {
		t.Errorf("the findings' own paths were changed: %q", rep.Findings[0].Path)
	}
}
