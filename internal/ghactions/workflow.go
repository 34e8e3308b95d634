package ghactions

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	githubactions "github.com/sethvargo/go-githubactions"

	"github.com/vastguard/vastguard/internal/safetext"
)

// Workflow is how a step speaks to the runner: workflow commands on stdout
// (masks, annotations, plain log lines) and file commands (outputs,
// environment, state, job summary). It returns errors instead of panicking
// as go-githubactions does, and writes file commands with random heredoc
// delimiters (see FileCommandWriter). A Workflow counts the annotations it
// issues, so the runner's cap (MaxAnnotations) is kept in one place.
type Workflow struct {
	out    io.Writer
	getenv func(string) string
	files  FileCommandWriter
	shown  map[string]int // annotations issued, by kind
}

// New returns the Workflow of a step that writes workflow commands to
// stdout and finds its file-command files with getenv.
func New(stdout io.Writer, getenv func(string) string) *Workflow {
	return &Workflow{out: stdout, getenv: getenv, files: FileCommandWriter{Getenv: getenv}, shown: map[string]int{}}
}

// MaxAnnotations is how many annotations of one kind (error, warning,
// notice) the runner shows per step; later ones only reach the log. The job
// summary carries the full picture.
const MaxAnnotations = 10

// command writes one workflow command line, escaped by go-githubactions.
func (w *Workflow) command(name, msg string, props map[string]string) error {
	c := githubactions.Command{Name: name, Message: msg, Properties: props}
	_, err := io.WriteString(w.out, c.String()+"\n")
	return err
}

// Mask registers value with the runner's secret masker: one "::add-mask::"
// line, before the value can appear anywhere else.
func (w *Workflow) Mask(value string) error {
	if err := w.command("add-mask", value, nil); err != nil {
		return fmt.Errorf("masking the key: %w", err)
	}
	return nil
}

// Annotation is one annotation: a message, a title, and optionally the
// file and line it points at.
type Annotation struct {
	Title   string
	File    string // relative to the repository root; "" for none
	Line    int    // with File; 0 for none
	Message string
}

func (a Annotation) props() map[string]string {
	props := map[string]string{}
	if a.Title != "" {
		props["title"] = safetext.OneLine(a.Title)
	}
	// A path the sanitiser would change (escapes, control characters) is
	// not a path the runner can point at; the message still names it.
	if a.File != "" && safetext.Path(a.File) == a.File {
		props["file"] = a.File
		if a.Line > 0 {
			props["line"] = strconv.Itoa(a.Line)
		}
	}
	return props
}

// Annotate issues an error, warning or notice annotation titled title. It
// reports whether the runner will show it (see MaxAnnotations); past the
// limit the line still reaches the log. The title and message go through
// safetext.OneLine: whatever they quote, they stay one line with no escape
// sequence and no key.
func (w *Workflow) Annotate(kind, title, msg string) bool {
	return w.annotate(kind, Annotation{Title: title, Message: msg})
}

func (w *Workflow) annotate(kind string, a Annotation) bool {
	w.shown[kind]++
	w.command(kind, safetext.OneLine(a.Message), a.props())
	return w.shown[kind] <= MaxAnnotations
}

// AnnotateAll issues one annotation per message, all titled title; see
// AnnotateEach.
func (w *Workflow) AnnotateAll(kind, title string, msgs []string) {
	anns := make([]Annotation, len(msgs))
	for i, m := range msgs {
		anns[i] = Annotation{Title: title, Message: m}
	}
	w.AnnotateEach(kind, anns)
}

// AnnotateEach issues the annotations of kind, but no more than the runner
// will show (MaxAnnotations of a kind, counting those already issued): the
// last one shown says how many more there are and that the job summary
// lists them.
func (w *Workflow) AnnotateEach(kind string, anns []Annotation) {
	room := MaxAnnotations - w.shown[kind]
	for i, a := range anns {
		if room <= 0 {
			return
		}
		if room == 1 && i < len(anns)-1 {
			a.Message = fmt.Sprintf("%s (and %d more: see the job summary)", a.Message, len(anns)-1-i)
			w.annotate(kind, a)
			return
		}
		w.annotate(kind, a)
		room--
	}
}

// Logf writes a plain log line. Lines start with "vastguard" so they can
// never be read as a workflow command, and the line goes through
// safetext.OneLine, so what it quotes cannot break it.
func (w *Workflow) Logf(format string, args ...any) {
	io.WriteString(w.out, "vastguard: "+safetext.OneLine(fmt.Sprintf(format, args...))+"\n")
}

// Untrusted writes text that came from outside (key names from an API, a
// scan's report) to the log with workflow commands switched off around it,
// so a line such as "::error::..." or "::add-mask::..." is only text; the
// text goes through safetext.Block too (no escape sequences, which the log
// viewer would render, and no workflow command even if the runner missed
// the switch).
func (w *Workflow) Untrusted(text string) {
	text = safetext.Block(text)
	token := strings.TrimPrefix(NewDelimiter(), "ghadelimiter_")
	fmt.Fprintf(w.out, "::stop-commands::%s\n%s", token, text)
	if !strings.HasSuffix(text, "\n") {
		io.WriteString(w.out, "\n")
	}
	fmt.Fprintf(w.out, "::%s::\n", token)
}

// SetOutput sets the step's outputs, given as name/value pairs, in one
// write to GITHUB_OUTPUT.
func (w *Workflow) SetOutput(pairs ...string) error {
	return w.files.Write("GITHUB_OUTPUT", pairs...)
}

// SaveState saves name/value pairs for the post step (which gets them as
// STATE_<name>), in one write to GITHUB_STATE.
func (w *Workflow) SaveState(pairs ...string) error {
	return w.files.Write("GITHUB_STATE", pairs...)
}

// ExportEnv sets environment variables for the job's later steps, in one
// write to GITHUB_ENV.
func (w *Workflow) ExportEnv(pairs ...string) error {
	return w.files.Write("GITHUB_ENV", pairs...)
}

// Summary appends Markdown to the job summary (GITHUB_STEP_SUMMARY). Where
// the runner gave no summary file it does nothing. Cells that quote text
// from outside are the caller's to escape (safetext.MarkdownCell); the
// whole goes through safetext.Block as a last guard.
func (w *Workflow) Summary(markdown string) error {
	path := w.getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
	}
	_, err = io.WriteString(f, safetext.Block(strings.TrimRight(markdown, "\n"))+"\n\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
	}
	return nil
}
