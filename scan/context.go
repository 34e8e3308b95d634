package scan

import (
	"bytes"
	"path"
	"strings"
)

// This file weighs what surrounds a binding: whether the text mentions
// Vast, which section or block encloses the value, which host a request
// goes to, and what a path says.

// indexVastWord returns the index of the first word that names Vast
// (vast, Vast, VAST, vastai, VastAI, vast.ai, VAST_API_KEY, vastApiKey,
// myVastKey), or -1. "vastly", "vastness" and "devastate" do not count.
// One pass: each 'v' or 'V' is checked where it stands.
func indexVastWord(text []byte) int {
	from := 0
	for from+4 <= len(text) {
		lo := bytes.IndexByte(text[from:], 'v')
		up := bytes.IndexByte(text[from:], 'V')
		i := lo
		if i < 0 || up >= 0 && up < i {
			i = up
		}
		if i < 0 {
			return -1
		}
		p := from + i
		if isVastAt(text, p) {
			return p
		}
		from = p + 1
	}
	return -1
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isLower(c byte) bool  { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool  { return c >= 'A' && c <= 'Z' }

func isVastAt(t []byte, p int) bool {
	if p+4 > len(t) || t[p+1]|0x20 != 'a' || t[p+2]|0x20 != 's' || t[p+3]|0x20 != 't' {
		return false
	}
	if p > 0 && isLetter(t[p-1]) && !(isLower(t[p-1]) && isUpper(t[p])) {
		return false // devastate; but myVastKey is a camel boundary
	}
	q := p + 4
	if q == len(t) || !isLetter(t[q]) {
		return !englishVast(t, p, q)
	}
	if q+1 < len(t) && t[q]|0x20 == 'a' && t[q+1]|0x20 == 'i' && (q+2 == len(t) || !isLower(t[q+2]) || t[q] == 'A') {
		return true // vastai, VastAI, VASTAI_
	}
	allCaps := isUpper(t[p+1])
	if isUpper(t[q]) {
		if !allCaps {
			return true // vastApiKey, VastClient
		}
		rest := t[q:min(len(t), q+5)]
		return bytes.HasPrefix(rest, []byte("API")) || bytes.HasPrefix(rest, []byte("KEY")) || bytes.HasPrefix(rest, []byte("TOKEN"))
	}
	return false
}

// englishNouns follow the English adjective "vast" ("a vast number of",
// "the vast majority"): such a "vast" names nothing.
var englishNouns = [][]byte{[]byte("majority"), []byte("amount"), []byte("number"), []byte("array"), []byte("range"),
	[]byte("improvement"), []byte("collection"), []byte("quantit"), []byte("expanse"), []byte("scale"),
	[]byte("difference"), []byte("variety"), []byte("sum"), []byte("library"), []byte("world"), []byte("space"),
	[]byte("area"), []byte("ecosystem"), []byte("knowledge"), []byte("experience"), []byte("potential"),
	[]byte("data")}

// englishVast reports whether the "vast" at t[p:q] is the English
// adjective: lower-case (or starting a sentence) and followed by a space
// and one of englishNouns.
func englishVast(t []byte, p, q int) bool {
	if q >= len(t) || t[q] != ' ' || t[p+1] != 'a' {
		return false
	}
	rest := t[q+1 : min(len(t), q+14)]
	for _, n := range englishNouns {
		if bytes.HasPrefix(rest, n) {
			return true
		}
	}
	return false
}

// mentionsVast reports whether text names Vast somewhere.
func mentionsVast(text []byte) bool { return indexVastWord(text) >= 0 }

// verdict is what a piece of context says about whose a value is.
type verdict int8

const (
	neutral verdict = iota
	forVast
	forOther
)

func (v verdict) String() string {
	switch v {
	case forVast:
		return "vast"
	case forOther:
		return "other"
	}
	return "neutral"
}

// sectionNegative name sections whose tokens are not account keys even
// inside a section for Vast (vast: jupyter: token: …).
var sectionNegative = wordSet("jupyter", "notebook", "notebookapp", "openbutton", "portal", "kaalia", "daemon",
	"heartbeat", "webhook", "webhooks", "hmac", "signing", "jwt", "session", "cookie", "csrf", "xsrf", "encryption",
	"ssh", "gpg", "pgp", "password", "admin", "bot")

// judgeWords says whether words name Vast, another service (or a section
// for something that is not an API key: Jupyter, webhooks), or neither.
func judgeWords(words []string) verdict {
	for _, w := range words {
		if sectionNegative[w] {
			return forOther
		}
	}
	other := false
	for _, w := range words {
		if isVastWord(w) {
			return forVast
		}
		if otherProviders[w] {
			other = true
		}
	}
	if other {
		return forOther
	}
	return neutral
}

// contextLines and contextBytes bound how far back block contexts are read.
const (
	contextLines = 80
	contextBytes = 8 << 10
)

// section returns what the blocks enclosing the value at off say, nearest
// first: YAML (and any indented) parents with the discriminating siblings
// of the value's block (- type: vastai), TOML and INI [section] headers,
// JSON, HCL and code objects with their labels (provider "vastai" {,
// "vast": {) and discriminating members ("type": "vastai"). The first
// context that names Vast or another service decides; label is what
// decided, for "why". A comment or heading right above the value counts
// only against Vast (# RunPod above API_KEY=): a comment is not a block.
func section(text []byte, off int) (verdict, string) {
	lineStart := bytes.LastIndexByte(text[:off], '\n') + 1
	for _, c := range contexts(text, off, lineStart) {
		v := judgeWords(splitWords(c))
		if v == forVast && isCommentLine([]byte(c)) {
			continue
		}
		if v != neutral {
			return v, c
		}
	}
	return neutral, ""
}

// contexts lists the context strings for the value at off, nearest first.
func contexts(text []byte, off, lineStart int) []string {
	var out []string
	lo := max(0, off-contextBytes)
	// Indentation: walk up the lines above.
	cur := indentOf(text[lineStart:])
	if t := bytes.TrimLeft(text[lineStart:off], " \t"); bytes.HasPrefix(t, []byte("- ")) {
		cur += 2 // a list item's members sit after "- "
	}
	end := lineStart
	siblings := 0
	commentAbove := true
	for n := 0; n < contextLines && end > lo; n++ {
		s := bytes.LastIndexByte(text[:end-1], '\n') + 1
		line := text[s : end-1]
		end = s
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 {
			commentAbove = false
			continue
		}
		ind := indentOf(line)
		if isCommentLine(trimmed) {
			if commentAbove && ind <= cur {
				out = append(out, string(clip(trimmed, 120)))
			}
			continue
		}
		commentAbove = false
		if isSectionHeader(trimmed) {
			out = append(out, string(trimmed))
			break
		}
		switch {
		case ind < cur:
			out = append(out, string(clip(trimmed, 160)))
			cur = ind
			if t := bytes.TrimLeft(line, " \t"); bytes.HasPrefix(t, []byte("- ")) {
				// The list item's own members are siblings of what we
				// came from; they were read (or follow).
				cur = ind
			}
		case ind == cur && siblings < 8 && isDiscriminator(trimmed):
			out = append(out, string(clip(trimmed, 160)))
			siblings++
		}
		if cur == 0 && ind == 0 {
			// At the top level: keep looking only for a section header.
			for m := 0; m < contextLines && end > lo; m++ {
				s := bytes.LastIndexByte(text[:end-1], '\n') + 1
				l := bytes.TrimSpace(text[s : end-1])
				end = s
				if isSectionHeader(l) {
					out = append(out, string(l))
					break
				}
			}
			break
		}
	}
	// Brackets: walk out of the enclosing objects.
	out = append(out, braceContexts(text, off)...)
	// Siblings that follow the value in its block (type: vastai after
	// creds:), a few lines down.
	out = append(out, followingDiscriminators(text, off)...)
	return out
}

func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func indentOf(line []byte) int {
	n := 0
	for n < len(line) && (line[n] == ' ' || line[n] == '\t') {
		n++
	}
	return n
}

func isCommentLine(t []byte) bool {
	return bytes.HasPrefix(t, []byte("#")) || bytes.HasPrefix(t, []byte("//")) || bytes.HasPrefix(t, []byte(";")) ||
		bytes.HasPrefix(t, []byte("--")) || bytes.HasPrefix(t, []byte("<!--")) || bytes.HasPrefix(t, []byte("REM ")) ||
		bytes.HasPrefix(t, []byte("rem "))
}

// isSectionHeader: [vast], [[providers.vastai]], [profile vast].
func isSectionHeader(t []byte) bool {
	if len(t) < 3 || t[0] != '[' || t[len(t)-1] != ']' {
		return false
	}
	inner := bytes.Trim(t, "[]")
	return len(inner) > 0 && !bytes.ContainsAny(inner, "=,\"'{}()") && len(inner) < 80
}

// isDiscriminator: a "type: vastai"-like line.
func isDiscriminator(t []byte) bool {
	t = bytes.TrimPrefix(t, []byte("- "))
	i := bytes.IndexAny(t, ":=")
	if i <= 0 {
		return false
	}
	k := strings.ToLower(strings.Trim(string(bytes.TrimSpace(t[:i])), "\"'"))
	return discriminatorWords[k]
}

// braceContexts walks out of the objects enclosing off (up to four levels,
// contextBytes back) and returns each one's label and discriminating
// members.
func braceContexts(text []byte, off int) []string {
	var out []string
	lo := max(0, off-contextBytes)
	depth := 0
	segEnd := off
	levels := 0
	for i := off - 1; i >= lo && levels < 4; i-- {
		switch text[i] {
		case '}', ']', ')':
			depth++
		case '{', '[', '(':
			if depth > 0 {
				depth--
				continue
			}
			// The enclosing object: its members before the value, then its
			// label.
			seg := text[i+1 : segEnd]
			if d := discriminators(seg); d != "" {
				out = append(out, d)
			}
			ls := bytes.LastIndexByte(text[lo:i], '\n') + 1 + lo
			label := bytes.TrimSpace(text[max(ls, i-120):i])
			if len(label) > 0 {
				out = append(out, string(label))
			}
			segEnd = i
			levels++
		}
	}
	return out
}

// discriminators returns the "type": "vastai"-like members of an object's
// text at its own depth, joined.
func discriminators(seg []byte) string {
	var parts []string
	depth := 0
	start := 0
	flush := func(end int) {
		m := bytes.TrimSpace(seg[start:end])
		if len(m) > 0 && depth == 0 && isDiscriminator(bytes.ReplaceAll(m, []byte("\n"), []byte(" "))) {
			parts = append(parts, string(clip(m, 120)))
		}
	}
	for i, c := range seg {
		switch c {
		case '{', '[', '(':
			if depth == 0 {
				flush(i)
			}
			depth++
		case '}', ']', ')':
			if depth > 0 {
				depth--
			}
			if depth == 0 {
				start = i + 1
			}
		case ',', '\n', ';':
			if depth == 0 {
				flush(i)
				start = i + 1
			}
		}
	}
	if depth == 0 {
		flush(len(seg))
	}
	return strings.Join(parts, " ")
}

// followingDiscriminators returns discriminator lines that follow the value
// at its own indentation or its parent's, within a few lines, and
// discriminator members that follow it in its object.
func followingDiscriminators(text []byte, off int) []string {
	var out []string
	lineStart := bytes.LastIndexByte(text[:off], '\n') + 1
	ind := indentOf(text[lineStart:])
	p := off
	for n := 0; n < 12; n++ {
		e := bytes.IndexByte(text[p:], '\n')
		if e < 0 {
			break
		}
		p += e + 1
		le := bytes.IndexByte(text[p:], '\n')
		if le < 0 {
			le = len(text) - p
		}
		line := text[p : p+le]
		t := bytes.TrimSpace(line)
		if len(t) == 0 {
			continue
		}
		li := indentOf(line)
		if li < ind-2 || li < ind && !bytes.HasPrefix(t, []byte("- ")) && li < ind-2 {
			break
		}
		if li <= ind && isDiscriminator(t) {
			out = append(out, string(clip(t, 120)))
		}
	}
	// In the same object on the same line: {"api_key": KEY, "type": "vastai"}.
	if e := bytes.IndexByte(text[off:], '\n'); e > 0 {
		rest := text[off+KeyLength : off+e]
		if i := bytes.IndexAny(rest, "}]"); i >= 0 {
			rest = rest[:i]
		}
		if d := discriminators(rest); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// csvCell binds a value that is a cell of a CSV or TSV row to its column's
// header (the text's first line, with as many cells), with the row's other
// cells as context: folder,...,login_uri,login_username,login_password and
// a row ,,login,Vast.ai API,,,0,https://cloud.vast.ai/,me,KEY,. A password
// column counts as a credential for the row's host when that is a vast.ai
// host.
func (e *engine) csvCell(off, n int) (binding, bool) {
	text := e.text
	ls := bytes.LastIndexByte(text[:off], '\n') + 1
	if ls == 0 {
		return binding{}, false // the header itself
	}
	if e.csv == nil {
		e.csv = parseCSVHeader(text)
	}
	if !e.csv.ok {
		return binding{}, false
	}
	le := bytes.IndexByte(text[off:], '\n')
	if le < 0 {
		le = len(text)
	} else {
		le += off
	}
	row := text[ls:le]
	if len(row) > maxCSVLine {
		return binding{}, false // a minified or data line, not a table's
	}
	sep, heads := e.csv.sep, e.csv.cells
	if bytes.Count(row, []byte{sep}) != len(heads)-1 {
		return binding{}, false
	}
	cells := splitCells(row, sep)
	col := bytes.Count(text[ls:off], []byte{sep})
	if len(cells) != len(heads) || col >= len(heads) {
		return binding{}, false
	}
	v := strings.Trim(cells[col], "\"' \r")
	if len(v) != n {
		return binding{}, false // the value is part of a longer cell
	}
	name := heads[col]
	b := binding{via: ViaColumn, name: name, words: splitWords(name)}
	for i, c := range cells {
		if i == col {
			continue
		}
		c = strings.Trim(c, "\"' \r")
		if i := strings.Index(c, "://"); i >= 0 && b.host == "" {
			b.host = hostAt([]byte(c[i+3:]))
		} else if isVastHost(strings.ToLower(c)) && b.host == "" {
			b.host = strings.ToLower(c)
		}
		b.row = append(b.row, splitWords(c)...)
	}
	if isVastHost(b.host) && onlyPasswordNegative(b.words) {
		b.words = nil // the password of a vast.ai login
	}
	return b, true
}

// csvHeader is a text's first line read as a table's header, once per
// text.
type csvHeader struct {
	ok    bool
	sep   byte
	cells []string
}

func parseCSVHeader(text []byte) *csvHeader {
	he := bytes.IndexByte(text, '\n')
	if he < 0 || he > maxCSVLine {
		return &csvHeader{}
	}
	header := bytes.TrimRight(text[:he], "\r")
	sep := byte(',')
	if bytes.Count(header, []byte{'\t'}) >= 2 {
		sep = '\t'
	}
	if n := bytes.Count(header, []byte{sep}); n < 2 || n >= 64 {
		return &csvHeader{}
	}
	cells := splitCells(header, sep)
	for _, h := range cells {
		if !isHeaderCell(h) {
			return &csvHeader{}
		}
	}
	return &csvHeader{ok: true, sep: sep, cells: cells}
}

// maxCSVLine bounds the lines read as a table's header and row.
const maxCSVLine = 4096

func splitCells(row []byte, sep byte) []string {
	var out []string
	inQ := false
	start := 0
	for i, c := range row {
		switch {
		case c == '"':
			inQ = !inQ
		case c == sep && !inQ:
			out = append(out, string(row[start:i]))
			start = i + 1
		}
	}
	return append(out, string(row[start:]))
}

// isHeaderCell: a column name (login_password, api key, Service), or empty.
func isHeaderCell(h string) bool {
	h = strings.Trim(h, "\"' \r")
	if len(h) > 40 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(isLetter(c) || c >= '0' && c <= '9' || c == '_' || c == ' ' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// onlyPasswordNegative: the words' only negative evidence is that they say
// password (login_password, passwd).
func onlyPasswordNegative(words []string) bool {
	pw := false
	for _, w := range words {
		switch {
		case w == "password" || w == "passwd" || w == "pass" || w == "pwd":
			pw = true
		case negativeWords[w] || otherProviders[w]:
			return false
		}
	}
	return pw
}

// blockHost returns the host of a URL that is a member of the block the
// value at off is a member of: the JSON or code object around it (its own
// members, not nested objects'), or the YAML mapping it sits in (the lines
// at its indentation between its parent and the next line that is not
// deeper). "" when the block has no URL member.
func blockHost(text []byte, off int) string {
	if h := objectHost(text, off); h != "" {
		return h
	}
	return mappingHost(text, off)
}

const blockSpan = 2048

func objectHost(text []byte, off int) string {
	lo := max(0, off-blockSpan)
	depth, open := 0, -1
	for i := off - 1; i >= lo; i-- {
		switch text[i] {
		case '}', ']':
			depth++
		case '{', '[':
			if depth == 0 {
				open = i
			} else {
				depth--
			}
		}
		if open >= 0 {
			break
		}
	}
	if open < 0 || text[open] != '{' {
		return ""
	}
	hi := min(len(text), off+blockSpan)
	var seg []byte
	depth = 0
	for i := open + 1; i < hi; i++ {
		c := text[i]
		switch c {
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return urlMemberHost(seg)
			}
			depth--
		}
		if depth == 0 {
			seg = append(seg, c)
		}
	}
	return ""
}

func mappingHost(text []byte, off int) string {
	ls := bytes.LastIndexByte(text[:off], '\n') + 1
	ind := indentOf(text[ls:])
	if ind == 0 {
		return "" // top-level lines of a file are not one client's block
	}
	var seg []byte
	// Up to the parent.
	end := ls
	for n := 0; n < 24 && end > 0; n++ {
		s := bytes.LastIndexByte(text[:end-1], '\n') + 1
		line := text[s : end-1]
		end = s
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		li := indentOf(line)
		if li < ind {
			break
		}
		if li == ind {
			seg = append(append(seg, line...), '\n')
		}
	}
	// Down to the next line that is not deeper.
	p := ls
	for n := 0; n < 24; n++ {
		e := bytes.IndexByte(text[p:], '\n')
		if e < 0 {
			break
		}
		p += e + 1
		le := bytes.IndexByte(text[p:], '\n')
		if le < 0 {
			le = len(text) - p
		}
		line := text[p : p+le]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		li := indentOf(line)
		if li < ind {
			break
		}
		if li == ind {
			seg = append(append(seg, line...), '\n')
		}
	}
	return urlMemberHost(seg)
}

// urlMemberHost returns the host of the first URL in members whose key says
// URL, host or endpoint (baseUrl, base_url, endpoint, api_base), or "".
func urlMemberHost(seg []byte) string {
	for len(seg) > 0 {
		i := bytes.Index(seg, []byte("://"))
		if i < 0 {
			return ""
		}
		// The member's key: the word before the value, on its line.
		ls := bytes.LastIndexAny(seg[:i], "\n,{") + 1
		words := splitWords(string(seg[ls:i]))
		h := hostAt(seg[i+3:])
		seg = seg[i+3:]
		if h != "" && connectKey(words) {
			return h
		}
	}
	return ""
}

// connectKey: a member key that says where a client connects (baseUrl,
// base_url, api_base, endpoint, host), not any URL (callback_url,
// docs_url, homepage).
func connectKey(words []string) bool {
	url := false
	for _, w := range words {
		switch {
		case urlKeyWords[w]:
			url = true
		case w == "api" || neutralWords[w] || w == "http" || w == "https":
		default:
			return false
		}
	}
	return url
}

// urlKeyWords name a member that says where a client connects.
var urlKeyWords = wordSet("url", "baseurl", "base", "endpoint", "host", "server", "apibase", "uri", "address")

// hostNear returns the host of the URL nearest to off within win bytes
// either side (a scheme://host or a Host: header), or "".
func hostNear(text []byte, off, win int) string {
	lo, hi := max(0, off-win), min(len(text), off+KeyLength+win)
	best, dist := "", win*4
	consider := func(at int, h string) {
		d := at - off
		if d < 0 {
			d = -d
		}
		if h != "" && d < dist {
			best, dist = h, d
		}
	}
	for i := lo; i < hi; {
		j := bytes.Index(text[i:hi], []byte("://"))
		if j < 0 {
			break
		}
		at := i + j
		consider(at, hostAt(text[at+3:min(len(text), at+3+255)]))
		i = at + 3
	}
	for i := lo; i < hi; {
		j := bytes.Index(text[i:hi], []byte("Host:"))
		if j < 0 {
			j = bytes.Index(text[i:hi], []byte("host:"))
		}
		if j < 0 {
			break
		}
		at := i + j
		consider(at, hostAt(bytes.TrimLeft(text[at+5:min(len(text), at+5+255)], " \"'")))
		i = at + 5
	}
	return best
}

func hostAt(b []byte) string {
	n := 0
	for n < len(b) && (isLetter(b[n]) || b[n] >= '0' && b[n] <= '9' || b[n] == '.' || b[n] == '-' || b[n] == '%') {
		n++
	}
	return strings.TrimPrefix(strings.ToLower(string(b[:n])), "%2f%2f")
}

// isVastHost: vast.ai and its subdomains (console.vast.ai, cloud.vast.ai,
// run.vast.ai).
func isVastHost(h string) bool { return h == "vast.ai" || strings.HasSuffix(h, ".vast.ai") }

// pathWords splits a repository path into lowercase words.
func pathWords(p string) []string { return splitWords(p) }

// vastPath reports whether a path names Vast (vast_config.json,
// secrets/vast.txt, vastai.env, .vast/credentials) and nothing marks it as
// holding digests or host-daemon state.
func vastPath(p string) bool {
	if p == "" || hashFile.MatchString(p) {
		return false
	}
	c := classify(pathWords(p))
	if !c.vast {
		return false
	}
	if !c.negative {
		return true
	}
	// A negative word in a directory does not outweigh a file name that
	// names a key and nothing negative: the host daemon keeps the
	// account's key in /var/lib/vastai_kaalia/api_key (beside machine_id,
	// its own).
	dir, base := path.Split(p)
	bc := classify(pathWords(base))
	return bc.key && !bc.negative && !bc.other && classify(pathWords(dir)).vast && !hashFile.MatchString(dir)
}

// vastKeyPath: a path that names Vast and says key, token, secret or
// credential, or is a plain key or env file (secrets/vast.txt,
// vast.key, vastai.env).
func vastKeyPath(p string) bool {
	if !vastPath(p) {
		return false
	}
	c := classify(pathWords(p))
	if c.key {
		return true
	}
	switch strings.ToLower(path.Ext(p)) {
	case "", ".txt", ".key", ".env", ".secret", ".token", ".cred":
		return true
	}
	return false
}
