package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	githubactions "github.com/sethvargo/go-githubactions"
)

// workflow is how a step speaks to the runner: workflow commands on stdout
// (masks, annotations, plain log lines) and file commands (outputs,
// environment, state, job summary). It returns errors instead of panicking
// as go-githubactions does, and writes file commands with random heredoc
// delimiters (see fileCommandWriter).
type workflow struct {
	out    io.Writer
	getenv func(string) string
	files  fileCommandWriter
	shown  map[string]int // annotations issued, by kind
}

func newWorkflow(e *env) *workflow {
	return &workflow{out: e.stdout, getenv: e.getenv, files: fileCommandWriter{getenv: e.getenv}, shown: map[string]int{}}
}

// maxAnnotations is how many annotations of one kind (error, warning,
// notice) the runner shows per step; later ones only reach the log. The job
// summary carries the full picture.
const maxAnnotations = 10

// command writes one workflow command line, escaped by go-githubactions.
func (w *workflow) command(name, msg string, props map[string]string) error {
	c := githubactions.Command{Name: name, Message: msg, Properties: props}
	_, err := io.WriteString(w.out, c.String()+"\n")
	return err
}

// mask registers value with the runner's secret masker: one "::add-mask::"
// line, before the value can appear anywhere else.
func (w *workflow) mask(value string) error {
	if err := w.command("add-mask", value, nil); err != nil {
		return fmt.Errorf("masking the key: %w", err)
	}
	return nil
}

// annotate issues an error, warning or notice annotation titled title. It
// reports whether the runner will show it (see maxAnnotations); past the
// limit the line still reaches the log.
func (w *workflow) annotate(kind, title, msg string) bool {
	w.shown[kind]++
	props := map[string]string{}
	if title != "" {
		props["title"] = title
	}
	w.command(kind, msg, props)
	return w.shown[kind] <= maxAnnotations
}

// annotateAll issues one annotation per message, but at most
// maxAnnotations of kind in all: the last one shown says how many more
// there are and that the job summary lists them.
func (w *workflow) annotateAll(kind, title string, msgs []string) {
	room := maxAnnotations - w.shown[kind]
	for i, m := range msgs {
		if room <= 0 {
			return
		}
		if room == 1 && i < len(msgs)-1 {
			w.annotate(kind, title, fmt.Sprintf("%s (and %d more: see the job summary)", m, len(msgs)-1-i))
			return
		}
		w.annotate(kind, title, m)
		room--
	}
}

// logf writes a plain log line. Lines start with "vastguard" so they can
// never be read as a workflow command.
func (w *workflow) logf(format string, args ...any) {
	fmt.Fprintf(w.out, "vastguard: "+format+"\n", args...)
}

// untrusted writes text that came from the API (key names) to the log with
// workflow commands switched off around it, so a key named "::error::..."
// or "::add-mask::..." is only text.
func (w *workflow) untrusted(text string) {
	token := strings.TrimPrefix(newDelimiter(), "ghadelimiter_")
	fmt.Fprintf(w.out, "::stop-commands::%s\n%s", token, text)
	if !strings.HasSuffix(text, "\n") {
		io.WriteString(w.out, "\n")
	}
	fmt.Fprintf(w.out, "::%s::\n", token)
}

// summary appends Markdown to the job summary (GITHUB_STEP_SUMMARY). Where
// the runner gave no summary file it does nothing.
func (w *workflow) summary(markdown string) error {
	path := w.getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
	}
	_, err = io.WriteString(f, strings.TrimRight(markdown, "\n")+"\n\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
	}
	return nil
}
