// Package safetext makes text that came from outside vastguard (API
// answers, key names, repository content, event payloads, error messages
// that may quote any of them) safe to print: on one line, with no control
// characters, with anything shaped like a Vast API key redacted, and, for
// the job summary, escaped for a Markdown table.
//
// It is a leaf: it imports only the standard library, so every other
// package (ghactions included, which knows nothing of Vast) may use it.
package safetext

import (
	"html"
	"regexp"
	"strings"
	"unicode"
)

// keyInText is a Vast key standing alone: 64 lowercase hex characters.
var keyInText = regexp.MustCompile(`\b[0-9a-f]{64}\b`)

// OneLine keeps a message on a single line whatever wrapped it, and
// redacts anything shaped like a Vast key (64 lowercase hex characters
// standing alone): a last guard, should an input or an answer carry a key
// into a message. Commit ids (40) and hash prefixes are left alone.
func OneLine(s string) string {
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\r", " ")), " ")
	return keyInText.ReplaceAllStringFunc(s, Redact)
}

// Redact is a secret's redacted form, the same as vast.Secret's: "..."
// and the last four characters, or "..." alone for a value too short to
// show any part of.
func Redact(secret string) string {
	if len(secret) < 12 {
		return "..."
	}
	return "..." + secret[len(secret)-4:]
}

// Printable strips control characters from s (a key name from the API, an
// event name), so it cannot move the cursor, break a line or start a
// workflow command; empty is returned for a value that is empty after that.
func Printable(s, empty string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return empty
	}
	return s
}

// MarkdownCell makes text from outside safe inside a Markdown table cell
// of a job summary: HTML escaped (the summary renders HTML), pipes,
// backticks and emphasis neutralised, no line breaks, control characters
// dropped; "-" for an empty value.
func MarkdownCell(s string) string {
	s = Printable(s, "")
	s = html.EscapeString(s)
	s = strings.NewReplacer("|", `\|`, "`", "&#96;", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`).Replace(s)
	if s == "" {
		return "-"
	}
	return s
}

// MarkdownCode shows s as inline code in a table cell. s should come from
// vastguard's own alphabet (key names it minted, ids, dates); anything
// that could break out of the code span is shown as MarkdownCell instead.
func MarkdownCode(s string) string {
	if strings.ContainsAny(s, "`|<>&\n\r") {
		return MarkdownCell(s)
	}
	return "`" + s + "`"
}
