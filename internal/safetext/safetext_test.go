package safetext

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/vast"
)

// key is a key-shaped value made at run time (no 64-hex literal in the
// repository).
var key = strings.Repeat("a1", 16) + strings.Repeat("0f", 16)

func TestOneLine(t *testing.T) {
	t.Parallel()
	commit := strings.Repeat("c", 40)
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"two\nlines\r\nand\ttabs  spaces", "two lines and tabs spaces"},
		{"key " + key + " here", "key " + vast.Secret(key).Redacted() + " here"},
		{"key=" + key, "key=" + vast.Secret(key).Redacted()},
		{"commit " + commit, "commit " + commit},
		{"sha256 " + key[:16] + " stays", "sha256 " + key[:16] + " stays"},
		{"longer hex " + key + "0", "longer hex [redacted]"},
		{"upper " + strings.ToUpper(key), "upper " + strings.ToUpper(key)},
		{"red \x1b[31mtext\x1b[0m", "red text"},
		{"::error::x", ": :error::x"},
		{"  ::add-mask::x", ": :add-mask::x"},
		{"a ##[error]b", "a # #[error]b"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, OneLine(tt.in)); diff != "" {
			t.Errorf("OneLine(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestOutside is the sanitiser on hostile fields: what an API, a
// repository or an event payload could send.
func TestOutside(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain", "prod-scaler", "prod-scaler"},
		{"CSI colour and clear screen", "a\x1b[2Jb\x1b[31mc\x1b[0m", "abc"},
		{"CSI with intermediates", "a\x1b[?25lb", "ab"},
		{"OSC title, BEL", "a\x1b]0;owned\x07b", "ab"},
		{"OSC 8 hyperlink, ST", "\x1b]8;;https://evil.test\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"DCS", "a\x1bPq#0;2;0;0;0\x1b\\b", "ab"},
		{"charset and reset", "a\x1b(Bb\x1bcc", "abc"},
		{"lone ESC at the end", "ab\x1b", "ab"},
		{"8-bit CSI", "a\u009b31mb", "ab"},
		{"8-bit OSC", "a\u009d0;t\u009cb", "ab"},
		{"C0 and DEL", "a\x00b\x07c\x08d\x7fe", "abcde"},
		{"NEL and line separators", "a\u0085b\u2028c\u2029d", "a b c d"},
		{"bidi override", "user\u202edmin\u202c", "userdmin"},
		{"isolates", "a\u2066b\u2069", "ab"},
		{"not UTF-8", "a\xff\xfeb", "a\ufffdb"},
		{"newline into a workflow command", "read-only\n::add-mask::x\n::error::pwned", "read-only ::add-mask::x ::error::pwned"},
		{"leading workflow command", "::error title=x::pwned", ": :error title=x::pwned"},
		{"leading after spaces and escapes", "\x1b[0m  \t::set-output name=x::y", ": :set-output name=x::y"},
		{"old command syntax", "x ##[add-mask]y", "x # #[add-mask]y"},
		{"old command syntax, doubled", "###[error]", "## #[error]"},
		{"whole key", "key " + key, "key " + Redact(key)},
		{"16 hex", "part " + key[:16] + " end", "part [redacted] end"},
		{"32 hex glued to a word", "Bearer" + key[:32], "Bearer[redacted]"},
		{"65 hex", key + "0", "[redacted]"},
		{"dashed groups", "id " + key[:8] + "-" + key[8:12] + "-" + key[12:16] + "-" + key[16:20] + "-" + key[20:32], "id [redacted]"},
		{"split by spaces", key[:8] + " " + key[8:16] + " " + key[16:24], "[redacted]"},
		{"split by quotes", `"` + key[:10] + `" + "` + key[10:20] + `"`, `"[redacted]"`},
		{"split by escaped quotes", `\"` + key[:8] + `\", \"` + key[8:16] + `\"`, `\"[redacted]\"`},
		{"split over lines", key[:12] + "\n" + key[12:24], "[redacted]"},
		{"short hex stays", "commit abc1234 and key 42", "commit abc1234 and key 42"},
		{"a number stays", "at 1733070000000000000 ns", "at 1733070000000000000 ns"},
		{"a date stays", "2026-11-26 18:00:00", "2026-11-26 18:00:00"},
		{"words stay", "a bad dead cafe", "a bad dead cafe"},
		{"minted key names stay", "vastguard:acme/gpu:run-98-1:train:vast:exp-20261126T180000Z:ab12cd", "vastguard:acme/gpu:run-98-1:train:vast:exp-20261126T180000Z:ab12cd"},
		{"long", strings.Repeat("x", 600), strings.Repeat("x", MaxField-1) + "…"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Outside(tt.in)); diff != "" {
			t.Errorf("%s: Outside(%q) (-want +got):\n%s", tt.name, tt.in, diff)
		}
	}
	if got := OutsideOr("\x1b[2J\n", "(none)"); got != "(none)" {
		t.Errorf("OutsideOr of escapes only = %q", got)
	}
	if got := Path("dist/app." + key[:20] + ".js"); got != "dist/app."+key[:20]+".js" {
		t.Errorf("Path redacted a content hash: %q", got)
	}
	if got := Path("env/" + key + "\x1b[2J.txt"); got != "env/"+Redact(key)+".txt" {
		t.Errorf("Path = %q", got)
	}
	if got := Message(strings.Repeat("y", 3000)); len([]rune(got)) != MaxMessage {
		t.Errorf("Message is %d runes, want %d", len([]rune(got)), MaxMessage)
	}
}

func TestBlock(t *testing.T) {
	t.Parallel()
	in := "Key ...1234  sha256 " + key[:16] + "\n  a\x1b[2J.env:1\tabc\r\n::error::x\n##[error]y\n\n" + key + "\n"
	want := "Key ...1234  sha256 " + key[:16] + "\n  a.env:1\tabc\n: :error::x\n# #[error]y\n\n" + Redact(key) + "\n"
	if diff := cmp.Diff(want, Block(in)); diff != "" {
		t.Errorf("Block (-want +got):\n%s", diff)
	}
}

// TestRedactIsVastSecrets: the last guard redacts exactly as vast.Secret
// does, so a key looks the same wherever it is shown.
func TestRedactIsVastSecrets(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "abc", "12345678901", "123456789012", key} {
		if got, want := Redact(s), vast.Secret(s).Redacted(); got != want {
			t.Errorf("Redact(%q) = %q, vast.Secret says %q", s, got, want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, cell, code string }{
		{"vastguard:a/b:run-1-1:j:s:exp-20261126T180000Z:abcdef", `vastguard:a/b:run-1-1:j:s:exp-20261126T180000Z:abcdef`, "`vastguard:a/b:run-1-1:j:s:exp-20261126T180000Z:abcdef`"},
		{"x|<b>y</b>", `x\|&lt;b&gt;y&lt;/b&gt;`, `x\|&lt;b&gt;y&lt;/b&gt;`},
		{"a_b*c[d]`e`", "a\\_b\\*c\\[d\\]&#96;e&#96;", "a\\_b\\*c\\[d\\]&#96;e&#96;"},
		{"line\nbreak", "line break", "line break"},
		{"\x1b[31mred", "red", "red"},
		{key[:16], `\[redacted\]`, "`" + key[:16] + "`"}, // a cell is outside text; a code span is vastguard's (a sha256 prefix)
		{"", "-", "``"},
	}
	if got := MarkdownPath("dist/app." + key[:20] + ".js|x"); got != `dist/app.`+key[:20]+`.js\|x` {
		t.Errorf("MarkdownPath = %q", got)
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

func TestJSON(t *testing.T) {
	t.Parallel()
	v := map[string]string{"path": "a\u009b31m\x7fb\u202ec\x1b[0m ##[error]x ###[y"}
	doc, _ := json.Marshal(v)
	out := JSON(doc)
	if strings.ContainsFunc(string(out), func(r rune) bool { return unicode.IsControl(r) || isBidi(r) }) || strings.Contains(string(out), "##[") {
		t.Errorf("JSON left a control character: %q", out)
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil || back["path"] != v["path"] {
		t.Errorf("JSON changed the data: %q, %v", back["path"], err)
	}
	if plain := []byte(`{"a":"b"}`); string(JSON(plain)) != string(plain) {
		t.Error("JSON changed a plain document")
	}
}

// safe checks what every cleaned line promises.
func safe(t *testing.T, what, in, out string, multiLine bool) {
	t.Helper()
	if strings.ContainsFunc(out, func(r rune) bool {
		return (unicode.IsControl(r) && !(multiLine && (r == '\n' || r == '\t'))) || isBidi(r)
	}) {
		t.Fatalf("%s(%q) = %q holds a control character", what, in, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimLeftFunc(l, unicode.IsSpace), "::") || strings.Contains(l, "##[") {
			t.Fatalf("%s(%q) = %q holds a workflow command", what, in, out)
		}
	}
	if strings.Contains(out, key) {
		t.Fatalf("%s(%q) = %q shows the key", what, in, out)
	}
}

func FuzzOutside(f *testing.F) {
	f.Add("a\nb " + key)
	f.Add("\x1b]0;x\x07::error::y ##[z]")
	f.Add(key[:10] + "-" + key[10:30] + `" "` + key[30:])
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range []struct {
			name string
			fn   func(string) string
		}{{"Outside", Outside}, {"Message", Message}, {"Path", Path}, {"OneLine", OneLine}} {
			out := c.fn(s)
			safe(t, c.name, s, out, false)
			if strings.ContainsAny(out, "\r\n") {
				t.Fatalf("%s(%q) = %q has a line break", c.name, s, out)
			}
			if c.fn(out) != out {
				t.Fatalf("%s is not idempotent on %q: %q then %q", c.name, s, out, c.fn(out))
			}
		}
		safe(t, "Block", s, Block(s), true)
		for _, p := range []string{key[:16], key[16:40]} {
			if strings.Contains(Outside(s+" "+p+" "), p) {
				t.Fatalf("Outside shows the key piece %q of %q", p, s)
			}
		}
	})
}

// BenchmarkOutside: a key name, and the worst a 64 KiB answer can do
// (every byte starting an escape, or a chain of hex groups).
func BenchmarkOutside(b *testing.B) {
	for _, c := range []struct{ name, in string }{
		{"name", "vastguard:acme/gpu-tests:run-9876543210-1:train:vast:exp-20261126T180000Z:ab12cd"},
		{"escapes-64KiB", strings.Repeat("\x1b[", 32<<10)},
		{"hex-groups-64KiB", strings.Repeat("a1b2-", 13<<10)},
		{"digit-groups-64KiB", strings.Repeat("1234-", 13<<10)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.in)))
			for b.Loop() {
				Outside(c.in)
			}
		})
	}
}
