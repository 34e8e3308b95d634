// Package safetext makes text that came from outside vastguard safe to
// print: API answers (key names, permission names, error bodies), a
// repository's content (paths, author names, tag and ref names), event
// payloads, and error messages that may quote any of them. It is the one
// sanitiser every such string goes through before a log line, an
// annotation, a table, a job summary or a terminal.
//
// What it guarantees, whatever the input:
//   - no terminal escape sequence (CSI, OSC, DCS and the rest, in their
//     7-bit ESC form and their 8-bit C1 form) and no control character
//     survives; bidirectional overrides, which reorder what a reader sees,
//     are dropped; bytes that are not UTF-8 become U+FFFD;
//   - a field is one line, and a line cannot be read by the Actions runner
//     as a workflow command: "::" where a line starts (after spaces) and
//     "##[" anywhere (the runner's older syntax) are broken up;
//   - anything shaped like a Vast key is redacted: a whole key (64
//     lowercase hex characters) as "..." and its last four, a run of more
//     as "[redacted]", and, in a field
//     (Outside, Message), a key in pieces: a run of 16 or more hex
//     characters, or hex groups joined by dashes, spaces, quotes or similar
//     that add up to 16 or more (a key split for display or by a quoting
//     layer);
//   - a field is bounded in length.
//
// The functions differ in what they are given: Outside is one field,
// Message an error message that quotes a service's answer, Path a
// repository path (whose names often hold content hashes, so only whole
// keys are redacted), OneLine a message of vastguard's own that is about
// to be printed (the last guard at the sink), Block multi-line text for a
// log or a terminal, MarkdownCell and MarkdownCode text for a job summary's
// tables (MarkdownPath for a path), JSON an encoded JSON document.
//
// It is a leaf: it imports only the standard library, so every other
// package (ghactions included, which knows nothing of Vast) may use it.
package safetext

import (
	"bytes"
	"fmt"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on what is printed.
const (
	// MaxField is the most runes of one field (a key name, a path, an
	// author): far past any real one, short enough for a table.
	MaxField = 512
	// MaxMessage is the most runes of an error message.
	MaxMessage = 2048
	// maxInput is what is looked at at all: a longer input is cut first,
	// so the time spent on one string is bounded.
	maxInput = 64 << 10
)

// rules say how a string is cleaned.
type rules struct {
	multiLine bool // keep line breaks (Block)
	pieces    bool // redact keys in pieces, not only whole ones
	max       int  // runes; 0 for no bound
}

var (
	fieldRules   = rules{pieces: true, max: MaxField}
	messageRules = rules{pieces: true, max: MaxMessage}
	pathRules    = rules{max: MaxField}
	lineRules    = rules{max: 4 * MaxMessage}
	blockRules   = rules{multiLine: true}
)

// Outside makes one field of text from outside safe to print on one line:
// escapes and control characters gone, whitespace runs made one space,
// workflow commands broken up, keys (whole or in pieces) redacted, at most
// MaxField runes.
func Outside(s string) string { return clean(s, fieldRules) }

// OutsideOr is Outside, or empty for a field that is empty after it.
func OutsideOr(s, empty string) string {
	if s = Outside(s); s == "" {
		return empty
	}
	return s
}

// Message is Outside for an error message that quotes a service's answer
// (an API error body): the same rules, bounded at MaxMessage runes.
func Message(s string) string { return clean(s, messageRules) }

// Path is Outside for a repository path: the same rules, except that only
// whole keys are redacted (file names often hold content hashes, such as
// app.3f2a9c1b5d7e8f90.js, that a reader needs to see).
func Path(s string) string { return clean(s, pathRules) }

// OneLine keeps a message of vastguard's own on one line whatever wrapped
// it: escapes and control characters gone, workflow commands broken up,
// whole keys redacted. It is the last guard at a sink; text from outside
// in the message should already have gone through Outside. Commit ids
// (40) and hash prefixes are left alone.
func OneLine(s string) string { return clean(s, lineRules) }

// Block makes multi-line text safe for a log or a terminal: each line as
// OneLine makes it (tabs kept), line breaks kept.
func Block(s string) string { return clean(s, blockRules) }

// Redact is a secret's redacted form, the same as vast.Secret's: "..."
// and the last four characters, or "..." alone for a value too short to
// show any part of.
func Redact(secret string) string {
	if len(secret) < 12 {
		return "..."
	}
	return "..." + secret[len(secret)-4:]
}

func clean(s string, r rules) string {
	if len(s) > maxInput {
		s = s[:maxInput]
	}
	s = strip(s, r.multiLine)
	if r.multiLine {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			lines[i] = neutralise(redact(l, false))
		}
		return strings.Join(lines, "\n")
	}
	s = strings.Join(strings.Fields(s), " ")
	s = neutralise(redact(s, r.pieces))
	return bound(s, r.max)
}

// strip drops escape sequences and control characters, and bidirectional
// controls; line breaks become "\n" (multiLine) or a space, tabs stay in
// multiLine text and become a space otherwise.
func strip(s string, multiLine bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b: // ESC
			i += escapeLen(s[i:])
			continue
		case r == 0x9b: // CSI, 8-bit
			i += size + csiLen(s[i+size:])
			continue
		case r == 0x90 || r == 0x98 || r == 0x9d || r == 0x9e || r == 0x9f: // DCS, SOS, OSC, PM, APC
			i += size + stringLen(s[i+size:])
			continue
		case r == '\n' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029 || r == '\v' || r == '\f':
			if multiLine {
				if r == '\r' && i+1 < len(s) && s[i+1] == '\n' {
					break // the "\n" that follows is the break
				}
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		case r == '\t':
			if multiLine {
				b.WriteByte('\t')
			} else {
				b.WriteByte(' ')
			}
		case unicode.IsControl(r) || isBidi(r):
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isBidi reports the characters that reorder text as it is displayed
// (the "Trojan Source" characters) and the invisible marks among them.
func isBidi(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// escapeLen is the length of the escape sequence at the start of s (which
// starts with ESC), as ECMA-48 defines them; an unterminated one runs to
// the end of s.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch c := s[1]; {
	case c == '[':
		return 2 + csiLen(s[2:])
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		return 2 + stringLen(s[2:])
	case c >= 0x20 && c <= 0x2f: // intermediates, then a final byte
		n := 1
		for n < len(s) && s[n] >= 0x20 && s[n] <= 0x2f {
			n++
		}
		if n < len(s) && s[n] >= 0x30 && s[n] <= 0x7e {
			n++
		}
		return n
	case c >= 0x30 && c <= 0x7e:
		return 2
	}
	return 1 // a lone ESC
}

// csiLen is the length of a control sequence's parameters, intermediates
// and final byte.
func csiLen(s string) int {
	n := 0
	for n < len(s) && s[n] >= 0x20 && s[n] <= 0x3f {
		n++
	}
	if n < len(s) && s[n] >= 0x40 && s[n] <= 0x7e {
		n++
	}
	return n
}

// stringLen is the length of a control string up to and including its
// terminator (BEL, ESC \ or ST); unterminated, all of s.
func stringLen(s string) int {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case s[i] == 0xc2 && i+1 < len(s) && s[i+1] == 0x9c: // ST as UTF-8
			return i + 2
		}
	}
	return len(s)
}

// neutralise breaks up what the runner would read as a workflow command:
// "::" at the start of the line (the runner trims leading whitespace
// first), and "##[" anywhere.
func neutralise(s string) string {
	for strings.Contains(s, "##[") {
		s = strings.ReplaceAll(s, "##[", "# #[")
	}
	t := strings.TrimLeftFunc(s, unicode.IsSpace)
	if strings.HasPrefix(t, "::") {
		s = s[:len(s)-len(t)] + ": :" + t[2:]
	}
	return s
}

// bound cuts s to max runes, marking the cut.
func bound(s string, max int) string {
	if max <= 0 || utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }
func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isJoiner reports the characters that may stand between the pieces of a
// key split for display or by a quoting layer.
func isJoiner(c byte) bool { return strings.IndexByte(" \t'\"`\\-+,.:;_|/", c) >= 0 }

// Redaction thresholds: a run of minPiece hex characters is a key's piece
// by itself; groups of at least minGroup joined by up to maxJoin joiner
// characters are one when they add up to minPiece.
const (
	minPiece = 16
	minGroup = 4
	maxJoin  = 8
	keyLen   = 64
)

// run is a maximal run of lowercase hex characters in a string.
type run struct {
	start, end int
	alone      bool // not touching a letter or digit on either side
	letters    bool // holds a-f (a run of digits alone is a number)
}

// redact replaces whole keys with their redacted form and, with pieces,
// keys in pieces with "[redacted]".
func redact(s string, pieces bool) string {
	var runs []run
	for i := 0; i < len(s); {
		if !isHex(s[i]) {
			i++
			continue
		}
		r := run{start: i}
		for i < len(s) && isHex(s[i]) {
			if s[i] >= 'a' {
				r.letters = true
			}
			i++
		}
		r.end = i
		r.alone = (r.start == 0 || !isAlnum(s[r.start-1])) && (r.end == len(s) || !isAlnum(s[r.end]))
		runs = append(runs, r)
	}
	if len(runs) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	replace := func(start, end int, with string) {
		b.WriteString(s[last:start])
		b.WriteString(with)
		last = end
	}
	for i := 0; i < len(runs); i++ {
		r := runs[i]
		if r.alone && r.end-r.start == keyLen {
			// vastguard labels a key's SHA-256 "sha256 " (or "sha256:")
			// in its own text, for baselines: a digest, not a key, kept in
			// the text of vastguard's own lines (OneLine, Block), never in
			// a field from outside (which is cleaned with pieces first).
			if !pieces && hashLabelled(s, r.start) {
				continue
			}
			replace(r.start, r.end, Redact(s[r.start:r.end]))
			continue
		}
		if !pieces {
			if r.end-r.start >= keyLen { // a key inside a longer run
				replace(r.start, r.end, "[redacted]")
			}
			continue
		}
		// The longest chain of groups from here.
		j, total, letters := i, r.end-r.start, r.letters
		if r.alone && total >= minGroup {
			for j+1 < len(runs) {
				n := runs[j+1]
				gap := s[runs[j].end:n.start]
				if !n.alone || n.end-n.start < minGroup || len(gap) > maxJoin || !allJoiners(gap) {
					break
				}
				j++
				total += n.end - n.start
				letters = letters || n.letters
			}
		}
		switch {
		case j > i && total >= minPiece && letters:
			replace(r.start, runs[j].end, "[redacted]")
		case r.end-r.start >= minPiece && r.letters:
			replace(r.start, r.end, "[redacted]")
		}
		// A chain that fails fails from each of its groups too (fewer hex
		// characters, no more letters), and none of them is a piece
		// alone: go on after it, which keeps this linear.
		i = j
	}
	b.WriteString(s[last:])
	return b.String()
}

// hashLabelled reports whether the hex run at start follows the label
// vastguard puts before a key's SHA-256.
func hashLabelled(s string, start int) bool {
	return strings.HasSuffix(s[:start], "sha256 ") || strings.HasSuffix(s[:start], "sha256:")
}

func allJoiners(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isJoiner(s[i]) {
			return false
		}
	}
	return true
}

// MarkdownCell makes text from outside safe inside a Markdown table cell
// of a job summary: Outside, then HTML escaped (the summary renders HTML),
// pipes, backticks and emphasis neutralised; "-" for an empty value.
func MarkdownCell(s string) string { return markdown(Outside(s)) }

// MarkdownMessage is MarkdownCell for a message (see Message): a longer
// bound, for a cell that holds a sentence of ours around outside text.
func MarkdownMessage(s string) string { return markdown(Message(s)) }

// MarkdownPath is MarkdownCell for a repository path (see Path).
func MarkdownPath(s string) string { return markdown(Path(s)) }

func markdown(s string) string {
	s = html.EscapeString(s)
	s = strings.NewReplacer("|", `\|`, "`", "&#96;", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`).Replace(s)
	if s == "" {
		return "-"
	}
	return s
}

// MarkdownCode shows s as inline code in a table cell. s should come from
// vastguard's own alphabet (key names it minted, ids, dates); anything
// that could break out of the code span, or that OneLine would change, is
// shown as MarkdownCell instead.
func MarkdownCode(s string) string {
	if strings.ContainsAny(s, "`|<>&") || OneLine(s) != s {
		return MarkdownCell(s)
	}
	return "`" + s + "`"
}

// JSON escapes, in an encoded JSON document, what encoding/json writes
// raw but a terminal or the Actions runner may act on: DEL, the C1
// controls (U+0080 to U+009F: 8-bit CSI and OSC among them), the
// bidirectional controls, and the "#" that starts "##[" (the runner reads
// that anywhere in a line as a workflow command). They can only stand
// inside strings there, where \uXXXX means the same, so the document's
// data is unchanged.
func JSON(doc []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(doc); {
		r, size := utf8.DecodeRune(doc[i:])
		if r == 0x7f || (r >= 0x80 && r <= 0x9f) || isBidi(r) || (r == '#' && bytes.HasPrefix(doc[i+1:], []byte("#["))) {
			if out == nil {
				out = make([]byte, 0, len(doc)+16)
			}
			out = append(out, doc[last:i]...)
			out = fmt.Appendf(out, `\u%04x`, r)
			last = i + size
		}
		i += size
	}
	if out == nil {
		return doc
	}
	return append(out, doc[last:]...)
}
