package command

import (
	"fmt"
	"strings"
	"testing"
)

func TestReadKeys(t *testing.T) {
	t.Parallel()
	k := strings.Repeat("ab", 32)
	for _, line := range []string{k, `"` + k + `"`, "'" + k + "'", "VAST_API_KEY=" + k, `export VAST_API_KEY="` + k + `"`, "  " + k + "  "} {
		got, err := readKeys(strings.NewReader("# c\n" + line + "\n"))
		if err != nil || len(got) != 1 || got[0] != k {
			t.Errorf("readKeys(%q) = %v, %v", line, got, err)
		}
	}
	for _, line := range []string{"two words", `"` + k, "A=B=C"} {
		if _, err := readKeys(strings.NewReader(line + "\n")); err == nil {
			t.Errorf("readKeys(%q) accepted it", line)
		}
	}
}

// TestReadKeysReadsEverything: the whole input is read however long it is
// (a key after megabytes of comments is still found), and what cannot be
// taken is refused, never cut.
func TestReadKeysReadsEverything(t *testing.T) {
	t.Parallel()
	k1, k2 := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	pad := strings.Repeat("# "+strings.Repeat("x", 1000)+"\n", 3000) // 3 MB of comments
	got, err := readKeys(strings.NewReader("\ufeff" + k1 + "\r\n" + pad + "\n\n" + k2))
	if err != nil || len(got) != 2 || got[0] != k1 || got[1] != k2 {
		t.Errorf("readKeys = %d keys, %v; want both keys", len(got), err)
	}
	if _, err := readKeys(strings.NewReader(k1 + "\n" + strings.Repeat("a", 70<<10) + "\n")); err == nil || !strings.Contains(err.Error(), "line 2 is longer than 64 KiB") {
		t.Errorf("a 70 KiB line: %v", err)
	}
	var many strings.Builder
	for i := range maxRevokeKeys + 1 {
		fmt.Fprintf(&many, "key-%d\n", i)
	}
	if _, err := readKeys(strings.NewReader(many.String())); err == nil || !strings.Contains(err.Error(), "more than 10000 keys") {
		t.Errorf("10001 keys: %v", err)
	}
	// The same key many times is one key.
	if got, err := readKeys(strings.NewReader(strings.Repeat(k1+"\n", maxRevokeKeys+5))); err != nil || len(got) != 1 {
		t.Errorf("one key repeated: %d keys, %v", len(got), err)
	}
}
