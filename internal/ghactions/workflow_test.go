package ghactions

import (
	"fmt"
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
