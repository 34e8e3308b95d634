package command

import (
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
