package heldout_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/corpus/heldout"
)

func vastguard(ctx context.Context, dir string) (map[string]string, error) {
	rep, err := scan.Scan(ctx, dir, scan.Options{Workers: 1})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range rep.Findings {
		out[f.KeySHA256] = f.Rule
	}
	return out, nil
}

// TestHeldout scans every case of the held-out corpus, each in a git
// repository of its own, and prints the per-case table (go test -v). Every
// planted key must be found and no look-alike flagged.
func TestHeldout(t *testing.T) {
	cases := heldout.Cases()
	ids := map[string]bool{}
	for _, c := range cases {
		if ids[c.ID] {
			t.Fatalf("duplicate case id %s", c.ID)
		}
		ids[c.ID] = true
		if c.Source == "" || c.Values == "" || strings.Trim(c.Values, "KD") != "" {
			t.Fatalf("case %s: needs a source and values of K and D", c.ID)
		}
	}
	k, d := heldout.Planted(cases)
	if os.Getenv("HELDOUT_CASES") == "" && (k < 60 || d < 40) {
		t.Fatalf("corpus has %d planted keys and %d look-alikes; want at least 60 and 40", k, d)
	}
	seed := os.Getenv("HELDOUT_SEED")                   // empty: crypto/rand
	if only := os.Getenv("HELDOUT_CASES"); only != "" { // a comma-separated list, while debugging
		var keep []heldout.Case
		for _, c := range cases {
			if strings.Contains(","+only+",", ","+c.ID+",") {
				keep = append(keep, c)
			}
		}
		cases = keep
	}
	results := make([]heldout.Result, len(cases))
	for i, c := range cases {
		v := c.NewValues(seed)
		dir := heldout.Build(t, c, v)
		found, err := vastguard(context.Background(), dir)
		results[i] = heldout.Judge(c, v, found, err)
	}
	var b strings.Builder
	heldout.Table(&b, []string{"vastguard"}, [][]heldout.Result{results})
	t.Log("\n" + b.String())
	if bad := heldout.Misses(results); len(bad) > 0 {
		t.Errorf("held-out corpus: %d cases wrong:\n%s", len(bad), strings.Join(bad, "\n"))
	}
}
