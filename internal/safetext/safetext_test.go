package safetext

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/vast"
)

func TestOneLine(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("a1", 32)
	commit := strings.Repeat("c", 40)
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"two\nlines\r\nand\ttabs  spaces", "two lines and tabs spaces"},
		{"key " + key + " here", "key " + vast.Secret(key).Redacted() + " here"},
		{"key=" + key, "key=" + vast.Secret(key).Redacted()},
		{"commit " + commit, "commit " + commit},
		{"longer hex " + key + "0 stays", "longer hex " + key + "0 stays"},
		{"upper " + strings.ToUpper(key), "upper " + strings.ToUpper(key)},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, OneLine(tt.in)); diff != "" {
			t.Errorf("OneLine(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestRedactIsVastSecrets: the last guard redacts exactly as vast.Secret
// does, so a key looks the same wherever it is shown.
func TestRedactIsVastSecrets(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "abc", "12345678901", "123456789012", strings.Repeat("f0", 32)} {
		if got, want := Redact(s), vast.Secret(s).Redacted(); got != want {
			t.Errorf("Redact(%q) = %q, vast.Secret says %q", s, got, want)
		}
	}
}

func TestPrintableAndMarkdown(t *testing.T) {
	t.Parallel()
	if got := Printable("a\x1b[2Jb\nc\u0085", "-"); got != "a[2Jbc" {
		t.Errorf("Printable = %q", got)
	}
	if got := Printable("\n\t", "(none)"); got != "(none)" {
		t.Errorf("Printable of control characters only = %q", got)
	}
	tests := []struct{ in, cell, code string }{
		{"vastguard:a/b:run-1-1:j:s:exp-20261126T180000Z:abcdef", `vastguard:a/b:run-1-1:j:s:exp-20261126T180000Z:abcdef`, "`vastguard:a/b:run-1-1:j:s:exp-20261126T180000Z:abcdef`"},
		{"x|<b>y</b>", `x\|&lt;b&gt;y&lt;/b&gt;`, `x\|&lt;b&gt;y&lt;/b&gt;`},
		{"a_b*c[d]`e`", "a\\_b\\*c\\[d\\]&#96;e&#96;", "a\\_b\\*c\\[d\\]&#96;e&#96;"},
		{"line\nbreak", "linebreak", "linebreak"},
		{"", "-", "``"},
	}
	for _, tt := range tests {
		if got := MarkdownCell(tt.in); got != tt.cell {
			t.Errorf("MarkdownCell(%q) = %q, want %q", tt.in, got, tt.cell)
		}
		if got := MarkdownCode(tt.in); got != tt.code {
			t.Errorf("MarkdownCode(%q) = %q, want %q", tt.in, got, tt.code)
		}
	}
}

func FuzzOneLine(f *testing.F) {
	f.Add("a\nb " + strings.Repeat("0", 64))
	f.Fuzz(func(t *testing.T, s string) {
		out := OneLine(s)
		if strings.ContainsAny(out, "\r\n") {
			t.Fatalf("OneLine(%q) = %q has a line break", s, out)
		}
		if keyInText.MatchString(out) {
			t.Fatalf("OneLine(%q) = %q shows a key", s, out)
		}
	})
}
