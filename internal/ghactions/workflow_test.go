package ghactions

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAnnotationCap: whatever mix of calls, no more than MaxAnnotations of
// a kind are issued through AnnotateEach, the last one shown points at the
// summary, and Annotate still reaches the log past the cap but says the
// runner will not show it.
func TestAnnotationCap(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	w := New(&out, func(string) string { return "" })
	if !w.Annotate("error", "first", "one") {
		t.Error("the first annotation is not shown")
	}
	var anns []Annotation
	for i := range 12 {
		anns = append(anns, Annotation{Title: "t", File: fmt.Sprintf("f%d", i), Line: i + 1, Message: fmt.Sprint(i)})
	}
	w.AnnotateEach("error", anns)
	w.AnnotateAll("warning", "w", []string{"a", "b"})
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := []string{"::error title=first::one"}
	for i := range 8 {
		want = append(want, fmt.Sprintf("::error file=f%d,line=%d,title=t::%d", i, i+1, i))
	}
	want = append(want, "::error file=f8,line=9,title=t::8 (and 3 more: see the job summary)", "::warning title=w::a", "::warning title=w::b")
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if w.Annotate("error", "late", "past the cap") {
		t.Error("an 11th error annotation is said to be shown")
	}
	w.AnnotateEach("error", anns)
	if n := strings.Count(out.String(), "::error"); n != MaxAnnotations+1 {
		t.Errorf("%d error lines, want %d (the cap, and the one Annotate wrote past it)", n, MaxAnnotations+1)
	}
}

func TestUntrustedTextCannotIssueCommands(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	w := New(&out, func(string) string { return "" })
	w.Untrusted("::add-mask::x\n::error::y")
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	tok, ok := strings.CutPrefix(lines[0], "::stop-commands::")
	if !ok || len(lines) != 4 || lines[3] != "::"+tok+"::" || len(tok) != 32 {
		t.Errorf("not wrapped in stop-commands with a fresh token:\n%s", out.String())
	}
}

// TestSinksSanitise: whatever a caller passes, an annotation, a log line,
// an untrusted block and the job summary hold no escape sequence, no
// control character and no line the runner reads as a command; an
// annotation's file is left out when it is not a path the runner can
// point at. (The mask's value is never touched: it must match exactly.)
func TestSinksSanitise(t *testing.T) {
	t.Parallel()
	summary := t.TempDir() + "/summary"
	var out strings.Builder
	w := New(&out, func(k string) string { return map[string]string{"GITHUB_STEP_SUMMARY": summary}[k] })
	evil := "a\x1b[2Jb\n::error title=PWNED::c\r\n##[add-mask]d\u202e"
	w.Mask("k3y-value")
	w.AnnotateEach("error", []Annotation{{Title: "t" + evil, File: "x\n.env", Line: 3, Message: "m" + evil}, {Title: "ok", File: "dir/a b.env", Line: 2, Message: "m"}})
	w.Logf("name %s", evil)
	w.Untrusted(evil)
	w.Summary("| cell |\n|---|\n| " + evil + " |")
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := []string{
		"::add-mask::k3y-value",
		"::error title=tab %3A%3Aerror title=PWNED%3A%3Ac # #[add-mask]d::mab ::error title=PWNED::c # #[add-mask]d",
		"::error file=dir/a b.env,line=2,title=ok::m",
		"vastguard: name ab ::error title=PWNED::c # #[add-mask]d",
	}
	if diff := cmp.Diff(want, got[:4]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if block := strings.Join(got[5:len(got)-1], "\n"); block != "ab\n: :error title=PWNED::c\n# #[add-mask]d" {
		t.Errorf("untrusted block = %q", block)
	}
	b, _ := os.ReadFile(summary)
	if strings.ContainsAny(string(b), "\x1b\r\u202e") || strings.Contains(string(b), "##[") {
		t.Errorf("summary = %q", b)
	}
}
