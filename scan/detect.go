package scan

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math"
	"path"
	"regexp"
	"strings"
	"unicode/utf16"
)

// KeyLength is the length of a Vast API key: 64 lowercase hex characters.
const KeyLength = 64

// Match is one key found in a piece of text.
type Match struct {
	Detector *Detector
	Key      string // the key itself; callers must not print it
	Offset   int    // byte offset of the key (of its encoded form, for base64)
	Length   int    // bytes the key takes in the text: KeyLength, or its base64 form's length
	Line     int    // 1-based line
	Column   int    // 1-based byte column
	Allowed  bool   // the line carries "vastguard:allow"
	// Why says why the detector fired: what the key is bound to and the
	// evidence besides.
	Why Why
	// Pending matches hold only if the path of the file the text came from
	// names Vast, or code next to that file that mentions Vast reads it:
	// the caller decides (see ResolvePending) once it knows the path.
	Pending bool
	// fileScoped: accepted on the text's mention of Vast, which a caller
	// that scans in chunks must confirm over the whole text.
	fileScoped bool
}

// Why is the machine-readable reason a finding fired: the rule, the name,
// key, flag, header, parameter or phrase the value is bound to (redacted
// if it looks like a secret itself), how it is bound, and the evidence
// besides the name, as short stable tokens ("program:vastai",
// "url:console.vast.ai", "section:[vast]", "file-mentions-vast", "path",
// "reader:run.py", "callee:VastAI", "encoding:base64", "binary").
type Why struct {
	Rule     string   `json:"rule"`
	BoundTo  string   `json:"bound_to,omitempty"`
	Via      Via      `json:"via"`
	Evidence []string `json:"evidence,omitempty"`
}

// String is the one-line form: rule(via bound_to; evidence, ...).
func (w Why) String() string {
	var b strings.Builder
	b.WriteString(w.Rule)
	b.WriteString(" (")
	b.WriteString(string(w.Via))
	if w.BoundTo != "" {
		b.WriteString(" ")
		b.WriteString(w.BoundTo)
	}
	if len(w.Evidence) > 0 {
		b.WriteString("; ")
		b.WriteString(strings.Join(w.Evidence, ", "))
	}
	b.WriteString(")")
	return b.String()
}

// AllowMarker on the same line as a key suppresses its finding.
const AllowMarker = "vastguard:allow"

// Detect finds the keys in text (a blob or a message). WholeFile detectors
// are not consulted: whether a bare key file counts depends on its path,
// which a blob does not have; see BareKey. Matches that depend on the path
// are Pending.
func Detect(text []byte, detectors []Detector) []Match {
	e := engine{text: text, det: detectors, vast: -1}
	return e.run()
}

// DetectBinary finds keys in the printable text of a binary blob (a
// committed SQLite file, a pickle, an executable): 64-hex runs there may be
// glued to the bytes around them, and the printable runs before a key
// (three bytes or more) are read as its context, separated as fields.
func DetectBinary(data []byte, detectors []Detector) []Match {
	e := engine{text: data, det: detectors, vast: -1, binary: true}
	return e.run()
}

// maxBinaryCandidates bounds the work on one binary blob.
const maxBinaryCandidates = 4096

// engine judges the candidates of one text.
type engine struct {
	text   []byte
	det    []Detector
	vast   int8 // whether text mentions Vast: -1 not yet known
	binary bool
	toks   []token
	buf    []byte
	win    []byte
	ncands int // 64-hex candidates in text
	depth  int // base64 decoding depth: nested text is not decoded again
	csv    *csvHeader
	lineAt int // lineOf's position and the line breaks before it
	lines  int
}

func (e *engine) mentions() bool {
	if e.vast < 0 {
		e.vast = 0
		if mentionsVast(e.text) {
			e.vast = 1
		}
	}
	return e.vast == 1
}

func (e *engine) run() []Match {
	var out []Match
	var cands []int
	if e.binary {
		cands = binaryCandidates(e.text, maxBinaryCandidates)
	} else {
		cands = Candidates(e.text)
	}
	e.ncands = len(cands)
	for _, off := range cands {
		key := string(e.text[off : off+KeyLength])
		if Placeholder(key) {
			continue
		}
		if m, ok := e.judge(off, KeyLength, key, false); ok {
			out = append(out, m)
		}
	}
	if !e.binary && e.depth == 0 {
		for _, c := range base64Candidates(e.text) {
			if c.nested != nil {
				out = append(out, e.nested(c)...)
				continue
			}
			if m, ok := e.judge(c.off, c.n, c.key, true); ok {
				out = append(out, m)
			}
		}
		if len(out) > 1 {
			sortMatches(out)
		}
	}
	return out
}

// nested finds the keys in base64-encoded text (an .env file in a
// Kubernetes Secret, a config in a CI variable): the decoded text is judged
// on its own, without decoding further, and its matches are placed at the
// encoded token.
func (e *engine) nested(c b64) []Match {
	inner := engine{text: c.nested, det: e.det, vast: -1, depth: e.depth + 1}
	if e.depth > 0 {
		return nil
	}
	var out []Match
	pos := e.match(c.off, c.n, "")
	for _, m := range inner.run() {
		if m.Pending && e.mentions() {
			continue // the outer text names Vast, the inner does not: too far to bind
		}
		m.Offset, m.Length, m.Line, m.Column, m.Allowed = pos.Offset, pos.Length, pos.Line, pos.Column, pos.Allowed
		m.Why.Evidence = append(m.Why.Evidence, "encoding:base64")
		out = append(out, m)
	}
	return out
}

func sortMatches(ms []Match) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].Offset < ms[j-1].Offset; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// hashPrefixes directly before a value mark a digest: sha256:…, sha512-….
var hashPrefixes = [][]byte{[]byte("sha256:"), []byte("sha256="), []byte("sha256-"), []byte("sha512:"),
	[]byte("sha1:"), []byte("sha384:"), []byte("md5:"), []byte("blake2b:"), []byte("blake3:"), []byte("zh:"),
	[]byte("h1:"), []byte("sha256 "), []byte("sha3:"), []byte("sha256/"), []byte("keccak256:")}

// glued reports whether the value at off..off+n is part of a larger token:
// joined by '.', '-', '/' or '+' to letters or digits (a.b.KEY, KEY.tar.gz,
// containerd://KEY) or right after a digest's algorithm (sha256:KEY).
func (e *engine) glued(off, n int) bool {
	t := e.text
	if off >= 2 {
		switch t[off-1] {
		case '.', '-', '+', '/', '@', '#', '|':
			if isWord(t[off-2]) && !e.binary {
				return true
			}
		}
	}
	if end := off + n; end+1 < len(t) {
		switch t[end] {
		case '.', '-', '/', '@':
			if isWord(t[end+1]) && !e.binary {
				return true
			}
		}
	}
	lo := max(0, off-10)
	before := t[lo:off]
	for _, p := range hashPrefixes {
		if len(before) >= len(p) && asciiEqualFold(before[len(before)-len(p):], p) {
			return true
		}
	}
	return false
}

func asciiEqualFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i]|0x20 != b[i]|0x20 {
			return false
		}
	}
	return true
}

// window returns the normalized text of up to windowLines lines (and
// windowBytes bytes) before off, and whether a quote mark sits right
// before the value.
func (e *engine) window(off int) ([]byte, bool) {
	t := e.text
	lo := max(0, off-windowBytes)
	s, found := off, 0
	for found < windowLines {
		i := bytes.LastIndexByte(t[lo:s], '\n')
		if i < 0 {
			break
		}
		s = lo + i
		found++
	}
	start := lo
	if found == windowLines {
		start = s + 1
	}
	raw := t[start:off]
	if e.binary {
		e.win = printableFields(raw, e.win[:0])
		raw = e.win
	}
	e.buf = normalize(e.buf[:0], raw)
	q := false
	for i := len(e.buf) - 1; i >= 0; i-- {
		c := e.buf[i]
		if c == '"' || c == '\'' || c == '`' {
			q = true
			break
		}
		if c != ' ' && c != '(' && c != '[' && c != '{' {
			break
		}
	}
	return e.buf, q
}

// after returns the normalized rest of the value's line, up to 256 bytes.
func (e *engine) after(end int) []byte {
	t := e.text
	hi := min(len(t), end+256)
	if i := bytes.IndexByte(t[end:hi], '\n'); i >= 0 {
		hi = end + i
	}
	return normalize(nil, t[end:hi])
}

// judge works out what the value at off (n bytes; key is the key) is bound
// to and returns the match the first accepting detector makes.
func (e *engine) judge(off, n int, key string, encoded bool) (Match, bool) {
	if e.glued(off, n) {
		return Match{}, false
	}
	win, q := e.window(off)
	e.toks = tokenize(win, e.toks[:0])
	bd := binder{toks: e.toks}
	b := bd.bind(q)
	e.refine(&b, off, n)
	c := classify(b.words)
	if c.negative {
		return Match{}, false
	}
	nameAfter := false
	if e.binary && !c.key && !c.vast {
		// Nothing before the value names it: marshalled code (a .pyc)
		// writes a module's constants before the names they are assigned
		// to, so the name may follow.
		if name := e.binaryNameAfter(off + n); name != "" {
			b = binding{via: ViaRecord, name: name, words: splitWords(name)}
			c = classify(b.words)
			nameAfter = true
		}
	}
	var pc nameClass
	if len(b.phrase) > len(b.words) {
		pc = classify(b.phrase)
	}
	j := judgement{e: e, b: &b, off: off, n: n}
	for i := range e.det {
		d := &e.det[i]
		if d.WholeFile || d.Base64 || !d.acceptsVia(b.via) || !d.acceptsLines(b.above) {
			continue
		}
		if !j.nameOK(d, c, pc) {
			continue
		}
		ev, pending, ok := j.scopeOK(d, c)
		if !ok {
			continue
		}
		if encoded {
			if bd := e.base64Detector(); bd != nil && d.Confidence == High {
				d = bd
			}
			ev = append(ev, "encoding:base64")
		}
		if e.binary {
			ev = append(ev, "binary")
		}
		if nameAfter {
			ev = append(ev, "name-after")
		}
		if b.above {
			ev = append(ev, "line-above")
		}
		m := e.match(off, n, key)
		m.Detector = d
		m.Pending = pending
		m.fileScoped = d.Scope == ScopeFile
		bound := b.name
		if d.Bound == NamePhrase {
			bound = strings.Join(b.phrase, " ")
		}
		m.Why = Why{Rule: d.ID, BoundTo: redactName(bound), Via: b.via, Evidence: ev}
		return m, true
	}
	return Match{}, false
}

func (e *engine) base64Detector() *Detector {
	for i := range e.det {
		if e.det[i].Base64 {
			return &e.det[i]
		}
	}
	return nil
}

// lineOf returns the 1-based line of off, counting on from the previous
// call when off is past it (candidates come in order), so a text dense
// with keys costs one pass, not one per key.
func (e *engine) lineOf(off int) int {
	if off < e.lineAt {
		e.lineAt, e.lines = 0, 0
	}
	e.lines += bytes.Count(e.text[e.lineAt:off], []byte{'\n'})
	e.lineAt = off
	return e.lines + 1
}

func (e *engine) match(off, n int, key string) Match {
	t := e.text
	lineStart := bytes.LastIndexByte(t[:off], '\n') + 1
	lineEnd := bytes.IndexByte(t[off:], '\n')
	if lineEnd < 0 {
		lineEnd = len(t)
	} else {
		lineEnd += off
	}
	return Match{
		Key:     key,
		Offset:  off,
		Length:  n,
		Line:    e.lineOf(off),
		Column:  off - lineStart + 1,
		Allowed: bytes.Contains(t[lineStart:lineEnd], []byte(AllowMarker)),
	}
}

// writeCommands put their input into a file or a Vast CLI: echo KEY >
// FILE, | tee FILE, | vastai set api-key.
var writeCommands = wordSet("echo", "printf", "print", "write-output", "write-host", "cat", "puts", "println")

// refine completes a binding with what follows the value (a pipe or a
// redirection) and, for list items and block values, the parent key.
func (e *engine) refine(b *binding, off, n int) {
	if b.via == ViaArgument || b.via == ViaBare || b.via == ViaSpace || b.via == ViaList {
		if cb, ok := e.csvCell(off, n); ok {
			*b = cb
			return
		}
	}
	if b.via == ViaBare || (b.via == ViaSpace || b.via == ViaFlag) && (writeCommands[strings.ToLower(lastSegment(b.name))] || writeCommands[strings.ToLower(b.program)]) || b.via == ViaArgument && writeCommands[strings.ToLower(lastSegment(b.callee))] {
		after := e.after(off + n)
		toks := tokenize(after, nil)
		ad := binder{toks: toks}
		if w, ok := ad.writeTarget(); ok {
			*b = w
			return
		}
	}
	if b.via == ViaArgument && writeMethods[strings.ToLower(lastSegment(b.callee))] {
		// p.write_text("KEY") after p = Path("~/.config/vastai/vast_api_key"),
		// f.write("KEY") in with open(os.path.expanduser("~/.vast_api_key"), "w") as f.
		if p := receiverPath(e.toks, b.callee); p != "" {
			*b = binding{via: ViaFileWrite, name: p, words: splitWords(p)}
			return
		}
	}
	if (b.via == ViaList || b.via == ViaBlock) && b.name == "" {
		if name, line := parentKey(e.text, off); name != "" {
			b.name = name
			b.words = splitWords(name)
			b.above = line
		}
	}
}

// binaryNameAfter returns the first identifier among the printable runs
// within 128 bytes after a value in a binary blob, if it names a Vast key
// (VASTAI_API_KEY in a .pyc's names after its constants), stopping at
// another 64-hex run; else "".
func (e *engine) binaryNameAfter(end int) string {
	t := e.text[end:min(len(e.text), end+128)]
	for i := 0; i < len(t); {
		if !printable(t[i]) {
			i++
			continue
		}
		j := i
		for j < len(t) && printable(t[j]) {
			j++
		}
		run := t[i:j]
		if len(Candidates(run)) > 0 {
			return ""
		}
		if len(run) >= 3 && isIdentifier(run) {
			if w := splitWords(string(run)); classify(w).vastKeyName() {
				return string(run)
			}
		}
		i = j
	}
	return ""
}

func isIdentifier(b []byte) bool {
	for _, c := range b {
		if !isWord(c) {
			return false
		}
	}
	return true
}

// outputWords name a command's output in a transcript or a notebook.
var outputWords = wordSet("text", "stdout", "output", "outputs", "data", "result", "plain", "out")

// readCommands print a file: cat FILE, type FILE, Get-Content FILE.
var readCommands = wordSet("cat", "type", "get-content", "gc", "more", "less", "head", "tail", "bat", "batcat")

// keyReadSpan bounds how far from a value the command that printed it is
// looked for (before it in a transcript, after it in a notebook cell,
// whose source follows its outputs).
const keyReadSpan = 512

// keyFileRead returns the path of Vast's key file read by a command
// (cat ~/.config/vastai/vast_api_key) within keyReadSpan of the value, or "".
func keyFileRead(text []byte, off, n int) string {
	lo, hi := max(0, off-keyReadSpan), min(len(text), off+n+keyReadSpan)
	span := text[lo:hi]
	for i := 0; i < len(span); {
		k := indexFold(span[i:], "vast_api_key")
		if k < 0 {
			return ""
		}
		at := i + k
		i = at + 1
		s, e := at, at+len("vast_api_key")
		for s > 0 && pathByte(span[s-1]) {
			s--
		}
		for e < len(span) && pathByte(span[e]) {
			e++
		}
		p := string(span[s:e])
		if !isVastKeyFilePath(p) {
			continue
		}
		// The word before the path on its line is a read command.
		ls := bytes.LastIndexByte(span[:s], '\n') + 1
		before := strings.Fields(strings.Map(func(r rune) rune {
			if r == '"' || r == '\'' || r == '!' || r == '$' || r == '[' || r == ',' {
				return ' '
			}
			return r
		}, string(span[ls:s])))
		if len(before) > 0 && readCommands[strings.ToLower(before[len(before)-1])] {
			return p
		}
	}
	return ""
}

func pathByte(c byte) bool {
	return isWord(c) || c == '.' || c == '/' || c == '~' || c == '-' || c == '$' || c == '{' || c == '}'
}

func indexFold(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if asciiEqualFold(b[i:i+len(s)], []byte(s)) {
			return i
		}
	}
	return -1
}

// aloneOnLine: nothing but quotes, brackets, commas and escaped line ends
// shares the value's line (a transcript's output line, a notebook's
// "KEY\n" stream text).
func aloneOnLine(text []byte, off, n int) bool {
	ls := bytes.LastIndexByte(text[:off], '\n') + 1
	le := bytes.IndexByte(text[off+n:], '\n')
	if le < 0 {
		le = len(text)
	} else {
		le += off + n
	}
	rest := string(text[ls:off]) + " " + string(text[off+n:le])
	rest = strings.NewReplacer("\\n", "", "\\r", "").Replace(rest)
	return strings.Trim(rest, " \t\r\"',[]{}") == ""
}

// writeMethods write their argument into the file their receiver is.
var writeMethods = wordSet("write_text", "write", "writelines", "write_bytes", "writestring", "writealltext",
	"writefile", "writefilesync")

// receiverPath returns the path a write method's receiver was opened on or
// made from, in the lines before the call (p = Path("…"), open("…") as f,
// f = open("…")), when it names Vast's key file, or "".
func receiverPath(toks []token, callee string) string {
	i := strings.LastIndexByte(callee, '.')
	if i <= 0 {
		return ""
	}
	recv := callee[:i]
	for k := len(toks) - 1; k >= 0; k-- {
		t := toks[k]
		if t.kind != tWord || t.text != recv {
			continue
		}
		bound := k+1 < len(toks) && toks[k+1].kind == tOp && toks[k+1].text == "=" ||
			k > 0 && toks[k-1].kind == tWord && toks[k-1].text == "as"
		if !bound {
			continue
		}
		for m := k - 1; m >= 0 && toks[m].line == t.line; m-- {
			if toks[m].kind == tWord && isVastKeyFilePath(toks[m].text) {
				return toks[m].text
			}
		}
		for m := k + 1; m < len(toks) && toks[m].line == t.line; m++ {
			if toks[m].kind == tWord && isVastKeyFilePath(toks[m].text) {
				return toks[m].text
			}
		}
	}
	return ""
}

// isVastKeyFilePath: a path (or its last part) that names Vast's key file:
// ~/.vast_api_key, ~/.config/vastai/vast_api_key.
func isVastKeyFilePath(w string) bool {
	return vastKeyFileName.MatchString(w) || strings.ContainsAny(w, "/~") && vastKeyPath(w)
}

// writeTarget reads the tokens after a value: "| vastai set api-key",
// "> ~/.vast_api_key", "| tee -a FILE", "| Out-File FILE".
func (ad *binder) writeTarget() (binding, bool) {
	i := 0
	for i < len(ad.toks) && ad.isOp(i, ")", ";") {
		i++
	}
	switch {
	case ad.isOp(i, ">", ">>"):
		if ad.isWord(i + 1) {
			p := ad.toks[i+1].text
			return binding{via: ViaFileWrite, name: p, words: splitWords(p)}, true
		}
	case ad.isOp(i, "|"):
		k := i + 1
		if !ad.isWord(k) {
			return binding{}, false
		}
		prog := ad.toks[k].text
		lp := strings.ToLower(prog)
		switch {
		case isVastProgram(prog) || (lp == "python" || lp == "python3") && ad.isWord(k+1) && isVastProgram(ad.toks[k+1].text):
			if lp == "python" || lp == "python3" {
				k++
				prog = ad.toks[k].text
			}
			if ad.isWord(k+2) && strings.EqualFold(ad.toks[k+1].text, "set") && setKeyVerbs[strings.ToLower(ad.toks[k+2].text)] {
				return binding{via: ViaPipe, name: "set " + ad.toks[k+2].text, words: []string{"api", "key"}, program: prog, pipe: true}, true
			}
		case lp == "tee" || lp == "out-file" || lp == "set-content" || lp == "add-content" || lp == "sudo" && ad.isWord(k+1) && strings.EqualFold(ad.toks[k+1].text, "tee"):
			for m := k + 1; m < len(ad.toks); m++ {
				if ad.isWord(m) && !strings.HasPrefix(ad.toks[m].text, "-") && !strings.EqualFold(ad.toks[m].text, "tee") {
					p := ad.toks[m].text
					return binding{via: ViaFileWrite, name: p, words: splitWords(p)}, true
				}
			}
		default:
			// A secrets tool reading the value from stdin under a Vast
			// name: | gcloud secrets versions add vast-api-key --data-file=-,
			// | gh secret set VAST_API_KEY, | docker secret create vast_api_key -.
			for m := k + 1; m < len(ad.toks) && !ad.isOp(m, "|", ";", "&&", "||", ">", ">>"); m++ {
				if !ad.isWord(m) || strings.HasPrefix(ad.toks[m].text, "-") {
					continue
				}
				w := splitWords(ad.toks[m].text)
				if classify(w).vastKeyName() {
					return binding{via: ViaSecretCLI, name: ad.toks[m].text, words: w, program: prog, pipe: true}, true
				}
			}
		}
	}
	return binding{}, false
}

// parentKey returns the key of the line that a list item or block value at
// off sits under (the nearest line above with less indentation, ending in
// a key), and whether it is on a line above (always, when found).
func parentKey(text []byte, off int) (string, bool) {
	lineStart := bytes.LastIndexByte(text[:off], '\n') + 1
	ind := indentOf(text[lineStart:])
	end := lineStart
	for n := 0; n < 12 && end > 0; n++ {
		s := bytes.LastIndexByte(text[:end-1], '\n') + 1
		line := text[s : end-1]
		end = s
		t := bytes.TrimSpace(line)
		if len(t) == 0 || isCommentLine(t) {
			continue
		}
		if indentOf(line) < ind || indentOf(line) == ind && !bytes.HasPrefix(t, []byte("-")) {
			t = bytes.TrimPrefix(t, []byte("- "))
			if i := bytes.IndexAny(t, ":="); i > 0 {
				return strings.Trim(string(bytes.TrimSpace(t[:i])), "\"'"), true
			}
			return "", false
		}
	}
	return "", false
}

// judgement evaluates detectors' conditions for one binding, computing
// the costlier evidence (section, host, mention of Vast) once, on demand.
type judgement struct {
	e       *engine
	b       *binding
	off, n  int
	sect    verdict
	label   string
	sectSet bool
	host    string
	hostSet bool
}

func (j *judgement) section() (verdict, string) {
	if !j.sectSet {
		j.sectSet = true
		if j.b.via == ViaColumn {
			// A CSV row: its other cells say whose the value is
			// (vast,KEY under service,api_key).
			if v := judgeWords(j.b.row); v != neutral {
				j.sect, j.label = v, "row"
				return j.sect, j.label
			}
		}
		j.sect, j.label = section(j.e.text, j.off)
	}
	return j.sect, j.label
}

// requestHost is the host the value is sent to, for query parameters and
// headers: the URL the parameter is in, else the nearest URL.
func (j *judgement) requestHost() string {
	if !j.hostSet {
		j.host = j.b.host
		if j.host == "" && j.b.via != ViaNetrc && j.b.via != ViaColumn {
			// A record's host is the record's own (machine, login_uri).
			j.host = hostNear(j.e.text, j.off, 1024)
		}
		j.hostSet = true
	}
	return j.host
}

func (j *judgement) nameOK(d *Detector, c, pc nameClass) bool {
	b := j.b
	switch d.Bound {
	case NameVast:
		return c.vastKeyName()
	case NamePhrase:
		return !c.vastKeyName() && pc.vastKeyName()
	case NameGeneric:
		switch b.via {
		case ViaBearer, ViaSetAPIKey, ViaPipe:
			return true
		}
		if c.genericKeyName() {
			return true
		}
		// A key file written by path: ~/.config/vastai/vast_api_key.
		return false
	case NameKeyFlag:
		return keyFlags[strings.ToLower(strings.TrimLeft(b.name, "-"))] && !c.other
	case NameOutput:
		for _, w := range b.words {
			if !outputWords[w] {
				return false
			}
		}
		return true
	}
	return !c.other
}

// scopeOK checks a detector's scope and returns the evidence, and whether
// the match waits for the path.
func (j *judgement) scopeOK(d *Detector, c nameClass) ([]string, bool, bool) {
	b := j.b
	switch d.Scope {
	case ScopeNone:
		return nil, false, true
	case ScopeProgram:
		if isVastProgram(b.program) {
			return []string{"program:" + lastSegment(b.program)}, false, true
		}
	case ScopeInstaller:
		if j.installer() {
			return []string{"program:vast-host-installer"}, false, true
		}
	case ScopeCall:
		if b.callee != "" {
			if cc := classify(splitWords(b.callee)); cc.vast && !cc.negative && !cc.other {
				return []string{"callee:" + clipName(b.callee)}, false, true
			}
		}
	case ScopeURL:
		if h := j.requestHost(); isVastHost(h) {
			return []string{"url:" + h}, false, true
		}
		if b.via == ViaQuery && j.b.host == "" && bytes.Contains(j.e.text[max(0, j.off-256):j.off], []byte("/api/v0/")) {
			// A request line without its host (GET /api/v0/...?api_key=),
			// in a text that names vast.ai.
			if bytes.Contains(j.e.text[max(0, j.off-1024):min(len(j.e.text), j.off+1024)], []byte("vast.ai")) {
				return []string{"url:vast.ai"}, false, true
			}
		}
	case ScopeSection:
		if b.via == ViaQuery {
			return nil, false, false // only vast.ai URLs carry Vast keys as parameters
		}
		if b.header {
			return nil, false, false // the Vast API takes keys only as Bearer tokens and api_key parameters
		}
		if b.via == ViaBearer {
			if h := j.requestHost(); h != "" && !isVastHost(h) && !isLocalHost(h) {
				return nil, false, false
			}
		}
		if h := blockHost(j.e.text, j.off); h != "" && !isVastHost(h) && !isLocalHost(h) {
			return nil, false, false // the block configures a client of another server
		}
		if v, l := j.section(); v == forVast {
			return []string{"section:" + clipName(l)}, false, true
		}
	case ScopeFile, ScopePath, ScopeReader, ScopeBareLine:
		if h := blockHost(j.e.text, j.off); h != "" && !isVastHost(h) && !isLocalHost(h) {
			// {"baseUrl": "http://1.2.3.4:8000/v1", "apiKey": …}: the block
			// configures a client of another server.
			return nil, false, false
		}
		if v, _ := j.section(); v == forOther {
			return nil, false, false
		}
		if b.header {
			return nil, false, false // the Vast API takes keys only as Bearer tokens and api_key parameters
		}
		if b.via == ViaBearer {
			if h := j.requestHost(); h != "" && !isVastHost(h) && !isLocalHost(h) {
				return nil, false, false // a key for another service's API
			}
		}
		if b.via == ViaQuery {
			return nil, false, false // only vast.ai URLs carry Vast keys as parameters
		}
		switch d.Scope {
		case ScopeFile:
			if j.e.mentions() {
				return []string{"file-mentions-vast"}, false, true
			}
		case ScopePath, ScopeReader:
			// Only a name that says API key or token outright waits for the
			// path: a bare "key" is too common in code to hold every such
			// blob for attribution.
			if !j.e.mentions() && (c.apiCredentialName() || b.via == ViaBearer || j.e.smallConfig()) {
				return []string{"path"}, true, true
			}
		case ScopeBareLine:
			// A small file holding a value alone on its line (a key file with
			// a comment); not a listing or a large data file.
			if len(j.e.text) <= bareLineMaxText && j.bareLine() {
				return []string{"path"}, true, true
			}
		}
	case ScopeKeyFile:
		if vastKeyPath(b.name) || classify(b.words).vastKeyName() {
			return []string{"file:" + clipName(b.name)}, false, true
		}
	case ScopeKeyRead:
		if aloneOnLine(j.e.text, j.off, j.n) {
			if p := keyFileRead(j.e.text, j.off, j.n); p != "" {
				return []string{"read:" + clipName(p)}, false, true
			}
		}
	}
	return nil, false, false
}

func isLocalHost(h string) bool {
	return h == "localhost" || strings.HasPrefix(h, "127.") || h == "0.0.0.0"
}

// installer: the value follows the Vast host installer, fetched from
// console.vast.ai/install on this line or the lines just above
// (wget https://console.vast.ai/install -O install; sudo python3 install KEY).
func (j *judgement) installer() bool {
	t := j.e.text
	lo := max(0, j.off-400)
	w := bytes.ToLower(t[lo:j.off])
	if !bytes.Contains(w, []byte("vast.ai/install")) && !bytes.Contains(w, []byte("vast_host_installer")) {
		return false
	}
	// The value is the installer's first argument.
	name := strings.ToLower(j.b.name)
	if i := strings.LastIndexAny(name, "/\\"); i >= 0 {
		name = name[i+1:]
	}
	return strings.Contains(name, "install")
}

// smallConfig: the text is small and holds few candidates, as a config
// file or a recorded response does ({"key": …} from the Vast API); a test
// table of digests is neither.
func (e *engine) smallConfig() bool { return len(e.text) <= 8<<10 && e.ncands <= 4 }

// bareLineMaxText bounds the files whose bare values wait for their path.
const bareLineMaxText = 2048

// bareLine: the value is alone on its line (comments aside), and is not a
// digest listing (KEY  file.tar.gz).
func (j *judgement) bareLine() bool {
	t := j.e.text
	ls := bytes.LastIndexByte(t[:j.off], '\n') + 1
	if len(bytes.TrimSpace(t[ls:j.off])) > 0 {
		return false
	}
	rest := j.e.after(j.off + j.n)
	r := bytes.TrimSpace(rest)
	return len(r) == 0 || r[0] == '#'
}

func clipName(s string) string {
	s = sanitizeName(s)
	if len(s) > 48 {
		s = s[:48]
	}
	return s
}

// sanitizeName keeps printable ASCII, so a name never carries control
// bytes to a terminal or an annotation.
func sanitizeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 80; i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// redactName returns a bound name fit for a report: sanitized, clipped, and
// "<redacted>" if it looks like a secret itself (a long run of letters and
// digits, or a hex run).
func redactName(s string) string {
	s = clipName(s)
	if looksSecret(s) {
		return "<redacted>"
	}
	return s
}

func looksSecret(s string) bool {
	run, hex, digits, letters := 0, 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			run++
			digits++
			hex++
		case c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			run++
			letters++
			hex++
		case isLetter(c):
			run++
			letters++
			hex = 0
		default:
			if run >= 20 && digits >= 4 && letters >= 4 {
				return true
			}
			run, digits, letters, hex = 0, 0, 0, 0
			continue
		}
		if hex >= 16 {
			return true
		}
	}
	return run >= 20 && digits >= 4 && letters >= 4
}

// ResolvePending decides a pending match once the path of its file is
// known: it holds, under the first path rule of detectors that fits, when
// the path names Vast (vastPath) or a Vast key (for bare values), or when
// readByVast (may be nil) reports that code next to the file that mentions
// Vast reads it. It returns false when the match does not hold.
func ResolvePending(m *Match, path string, detectors []Detector, readByVast func() (string, bool)) bool {
	if !m.Pending {
		return true
	}
	var pathRule, readerRule *Detector
	for i := range detectors {
		d := &detectors[i]
		switch {
		case d.Scope == ScopePath && pathRule == nil && m.Why.Via != ViaBare:
			pathRule = d
		case d.Scope == ScopeBareLine && pathRule == nil && m.Why.Via == ViaBare:
			pathRule = d
		case d.Scope == ScopeReader && readerRule == nil && (m.Why.Via != ViaBare || keyFileName(path)):
			// A bare value counts only in a file named for a key
			// (api_key.txt, token), which the code next to it reads.
			readerRule = d
		}
	}
	ok := vastPath(path)
	if m.Why.Via == ViaBare {
		ok = vastKeyPath(path)
	}
	if ok && pathRule != nil {
		m.Detector, m.Pending = pathRule, false
		m.Why.Rule = pathRule.ID
		m.Why.Evidence = replaceEvidence(m.Why.Evidence, "path", "path:"+clipName(path))
		return true
	}
	if readerRule != nil && readByVast != nil {
		if reader, ok := readByVast(); ok {
			m.Detector, m.Pending = readerRule, false
			m.Why.Rule = readerRule.ID
			m.Why.Evidence = replaceEvidence(m.Why.Evidence, "path", "reader:"+clipName(reader))
			return true
		}
	}
	return false
}

// keyFileName: a path whose file name says key or token and nothing
// negative or another service's (api_key.txt, token, .apikey).
func keyFileName(p string) bool {
	c := classify(pathWords(path.Base(p)))
	return c.key && !c.secret && !c.negative && !c.other
}

func replaceEvidence(ev []string, old, new string) []string {
	out := make([]string, 0, len(ev))
	for _, e := range ev {
		if e == old {
			e = new
		}
		out = append(out, e)
	}
	return out
}

// printableFields maps a binary region to text: printable runs of three
// bytes or more are kept, everything between them becomes one field
// separator (0x1f), which binds like an assignment (a record's name field
// then its value field). A run glued to the end of the region (the bytes
// right before a key) is split from the key by a separator.
func printableFields(raw, dst []byte) []byte {
	i := 0
	for i < len(raw) {
		j := i
		for j < len(raw) && printable(raw[j]) {
			j++
		}
		if j-i >= 3 || j == len(raw) && j-i >= 3 {
			dst = append(dst, raw[i:j]...)
		}
		if j == len(raw) {
			break
		}
		for j < len(raw) && !printable(raw[j]) {
			j++
		}
		if len(dst) > 0 && dst[len(dst)-1] != 0x1f {
			dst = append(dst, 0x1f)
		}
		i = j
	}
	// The key itself follows: if the last kept run ends in a word byte, the
	// key was glued to it (a SQLite record's name and value columns).
	if n := len(dst); n > 0 && dst[n-1] != 0x1f && isWord(dst[n-1]) {
		dst = append(dst, 0x1f)
	}
	return dst
}

func printable(c byte) bool { return c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' || c == '\r' }

// binaryCandidates returns the offsets of runs of exactly KeyLength
// lowercase hex characters, whatever bytes surround them, at most limit.
func binaryCandidates(data []byte, limit int) []int {
	var out []int
	n := len(data)
	start := 0
	for start+KeyLength <= n && len(out) < limit {
		p := start + KeyLength - 1
		if !isHex(data[p]) {
			start = p + 1
			continue
		}
		q := p - 1
		for q >= start && isHex(data[q]) {
			q--
		}
		if q >= start {
			start = q + 1
			continue
		}
		runStart := start
		for runStart > 0 && isHex(data[runStart-1]) {
			runStart--
		}
		runEnd := p + 1
		for runEnd < n && isHex(data[runEnd]) {
			runEnd++
		}
		if runEnd-runStart == KeyLength {
			out = append(out, runStart)
		}
		start = runEnd + 1
	}
	return out
}

// b64 is one base64 token that decodes to a key, or to text that holds
// one (a base64-encoded .env file).
type b64 struct {
	off, n int
	key    string
	nested []byte // the decoded text, when it is not itself the key
}

var b64Table [256]bool

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		b64Table[c] = b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '-' || b == '_'
	}
}

// maxNested bounds the base64 text decoded to look inside it.
const maxNested = 64 << 10

// base64Candidates finds base64 tokens (standard or URL alphabet, padded
// or not, or wrapped at 76 columns as base64(1) writes) that decode to a
// key-shaped value (optionally with a trailing newline), or to text that
// holds one. A key's base64 is 86 or 87 characters before padding.
func base64Candidates(text []byte) []b64 {
	const minRun = 76
	var out []b64
	n := len(text)
	start := 0
	for start+minRun <= n {
		p := start + minRun - 1
		if !b64Table[text[p]] {
			start = p + 1
			continue
		}
		q := p - 1
		for q >= start && b64Table[text[q]] {
			q--
		}
		if q >= start {
			start = q + 1
			continue
		}
		runStart := start
		for runStart > 0 && b64Table[text[runStart-1]] {
			runStart--
		}
		runEnd := p + 1
		for runEnd < n && b64Table[text[runEnd]] {
			runEnd++
		}
		start = runEnd + 1
		if runStart > 0 && isWord(text[runStart-1]) && text[runStart-1] != '_' {
			continue
		}
		enc := text[runStart:runEnd]
		end := runEnd
		// base64(1) wraps at 76 columns: join the lines that follow.
		for line := runEnd - runStart; line == 76 && end < n && text[end] == '\n' && len(enc) < maxNested; {
			k := end + 1
			for k < n && (text[k] == ' ' || text[k] == '\t') {
				k++ // an indented block (YAML |)
			}
			m := k
			for m < n && b64Table[text[m]] {
				m++
			}
			if m == k {
				break
			}
			enc = append(append([]byte{}, enc...), text[k:m]...)
			line, end = m-k, m
			start = m + 1
		}
		for end < n && text[end] == '=' {
			end++
		}
		switch {
		case len(enc) == 86 || len(enc) == 87:
			// Each group of four starts with M, N, O, Y or Z when it
			// encodes hex.
			if !b64HexLead(enc[0]) || !b64HexLead(enc[4]) || !b64HexLead(enc[8]) {
				continue
			}
			if key := decodeB64Key(enc); key != "" && !Placeholder(key) {
				out = append(out, b64{off: runStart, n: end - runStart, key: key})
			}
		case len(enc) > 87 && len(enc) <= maxNested:
			if t := decodeB64Text(enc); t != nil {
				out = append(out, b64{off: runStart, n: end - runStart, nested: t})
			}
		}
	}
	return out
}

// decodeB64Text decodes base64 that encodes mostly printable text holding
// a 64-hex candidate, or returns nil. The first bytes are checked before
// the rest is decoded: random binary (images, digests) fails at once.
func decodeB64Text(enc []byte) []byte {
	r := b64URL
	head, err := base64.RawStdEncoding.DecodeString(r.Replace(string(enc[:16])))
	if err != nil || !mostlyPrintable(head) {
		return nil
	}
	raw, err := base64.RawStdEncoding.DecodeString(r.Replace(string(enc[:len(enc)/4*4])))
	if err != nil || !mostlyPrintable(raw) || len(Candidates(raw)) == 0 {
		return nil
	}
	return raw
}

func mostlyPrintable(b []byte) bool {
	bad := 0
	for _, c := range b {
		if !printable(c) {
			bad++
		}
	}
	return bad*20 <= len(b)
}

// b64URL maps base64url's two letters onto standard base64's. It is built
// once: building a Replacer cost more than the decoding it serves (a
// tenth of a full scan's allocations), and one is safe for concurrent use.
var b64URL = strings.NewReplacer("-", "+", "_", "/")

func decodeB64Key(enc []byte) string {
	s := b64URL.Replace(string(enc))
	raw, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return ""
	}
	k := string(bytes.TrimRight(raw, "\r\n"))
	if len(k) != KeyLength || !allHex(k) {
		return ""
	}
	return k
}

// allHex reports whether s is all lowercase hex.
func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func b64HexLead(c byte) bool { return c == 'M' || c == 'N' || c == 'O' || c == 'Y' || c == 'Z' }

// Candidates returns the byte offsets of every run of exactly KeyLength
// lowercase hex characters in text that stands alone: not part of a longer
// hex run (half of a SHA-512, say) and not glued to letters, digits or an
// underscore. A run that follows a \uXXXX or %XX escape is accepted after
// the escape.
func Candidates(text []byte) []int {
	var out []int
	n := len(text)
	// Skip ahead: a run of 64 must cover position start+63. If that byte is
	// not hex, no run can start at or before it.
	start := 0
	for start+KeyLength <= n {
		p := start + KeyLength - 1
		if !isHex(text[p]) {
			start = p + 1
			continue
		}
		q := p - 1
		for q >= start && isHex(text[q]) {
			q--
		}
		if q >= start {
			start = q + 1
			continue
		}
		// text[start:p+1] is hex; find the whole run.
		runStart := start
		for runStart > 0 && isHex(text[runStart-1]) {
			runStart--
		}
		runEnd := p + 1
		for runEnd < n && isHex(text[runEnd]) {
			runEnd++
		}
		if off, ok := standalone(text, runStart, runEnd); ok {
			out = append(out, off)
		}
		start = runEnd + 1
	}
	return out
}

// standalone decides whether the hex run text[s:e] is a key-shaped token and
// returns where the key starts.
func standalone(text []byte, s, e int) (int, bool) {
	switch {
	case e-s == KeyLength:
	case e-s == KeyLength+4 && s >= 2 && text[s-2] == '\\' && text[s-1] == 'u':
		s += 4 // "\u003d" + key in an escaped string
	case e-s == KeyLength+2 && s >= 1 && text[s-1] == '%':
		s += 2 // "%3d" + key in a URL
	case e-s == KeyLength+1 && s >= 2 && text[s-2] == '%':
		s++ // "%3" is split by the run: "%3D"-style escapes end in a hex digit
	default:
		return 0, false
	}
	if s == e-KeyLength && s > 0 {
		c := text[s-1]
		// %3D (URL) and =3D (quoted-printable, as mail and .eml files
		// encode "=") end in a letter glued to the key.
		if isWord(c) && !(s >= 3 && text[s-3] == '%') && !(s >= 3 && text[s-3] == '=' && text[s-2] == '3' && c == 'D') && !(s >= 6 && text[s-6] == '\\' && text[s-5] == 'u') {
			return 0, false
		}
	}
	if e < len(text) && isWord(text[e]) {
		return 0, false
	}
	return s, true
}

var hexTable, wordTable [256]bool

func init() {
	for c := '0'; c <= '9'; c++ {
		hexTable[c], wordTable[c] = true, true
	}
	for c := 'a'; c <= 'f'; c++ {
		hexTable[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		wordTable[c], wordTable[c-'a'+'A'] = true, true
	}
	wordTable['_'] = true
}

func isHex(c byte) bool  { return hexTable[c] }
func isWord(c byte) bool { return wordTable[c] }

// Placeholder reports whether a 64-hex value is a placeholder rather than a
// random key: too few distinct characters, digits or letters, a repeating
// pattern, or low Shannon entropy. A random key passes with overwhelming
// probability (see the tests).
func Placeholder(key string) bool {
	if len(key) != KeyLength {
		return true
	}
	var counts [256]int
	digits := 0
	for i := 0; i < len(key); i++ {
		counts[key[i]]++
		if key[i] <= '9' {
			digits++
		}
	}
	distinct := 0
	ent := 0.0
	for _, c := range counts {
		if c > 0 {
			distinct++
			p := float64(c) / KeyLength
			ent -= p * math.Log2(p)
		}
	}
	if distinct < 10 || digits < 8 || KeyLength-digits < 4 || ent < 3.0 {
		return true
	}
	// A repeating pattern: deadbeef x8, 0123456789abcdef x4, or two equal
	// halves.
	for period := 1; period <= KeyLength/2; period++ {
		if key[period:] == key[:KeyLength-period] {
			return true
		}
	}
	// Runs of one character (000000... inside) or an ascending alphabet.
	run := 1
	asc := 1
	for i := 1; i < len(key); i++ {
		if key[i] == key[i-1] {
			run++
			if run >= 8 {
				return true
			}
		} else {
			run = 1
		}
		if hexValue(key[i]) == hexValue(key[i-1])+1 {
			asc++
			if asc >= 12 {
				return true
			}
		} else {
			asc = 1
		}
	}
	return false
}

func hexValue(c byte) int {
	if c <= '9' {
		return int(c - '0')
	}
	return int(c-'a') + 10
}

// Text returns a blob's bytes as text to scan: UTF-16 with a byte-order
// mark (Windows PowerShell 5 writes files so) is converted to UTF-8;
// anything else is returned as it is.
func Text(data []byte) []byte {
	var order binary.ByteOrder
	switch {
	case len(data) >= 2 && data[0] == 0xff && data[1] == 0xfe:
		order = binary.LittleEndian
	case len(data) >= 2 && data[0] == 0xfe && data[1] == 0xff:
		order = binary.BigEndian
	default:
		return data
	}
	u := make([]uint16, 0, len(data)/2)
	for i := 2; i+1 < len(data); i += 2 {
		u = append(u, order.Uint16(data[i:]))
	}
	return []byte(string(utf16.Decode(u)))
}

// BareKey returns the key if text is nothing but one key-shaped value and
// whitespace (how `vastai set api-key` writes its key file), else "".
func BareKey(text []byte) string {
	if len(text) > KeyLength+8 {
		return ""
	}
	t := bytes.TrimSpace(bytes.TrimPrefix(text, []byte("\xef\xbb\xbf")))
	if len(t) != KeyLength {
		return ""
	}
	for _, c := range t {
		if !isHex(c) {
			return ""
		}
	}
	if Placeholder(string(t)) {
		return ""
	}
	return string(t)
}

// hashFile matches files that hold digests: a lone 64-hex value there is a
// checksum, whatever the directory is called.
var hashFile = regexp.MustCompile(`(?i)(?:\.(?:sha256|sha256sum|sha512|sha1|md5|digest|sum|sig|asc|hash)|baseline[^/]*|sums?)$`)

// WholeFileDetector returns the first WholeFile detector whose Path
// accepts path, or nil.
func WholeFileDetector(path string, detectors []Detector) *Detector {
	if hashFile.MatchString(path) {
		return nil
	}
	for i := range detectors {
		d := &detectors[i]
		if d.WholeFile && (d.Path != nil && d.Path.MatchString(path) || d.Path == nil && d.PathRule && vastKeyPath(path)) {
			return d
		}
	}
	return nil
}

// isBinary reports whether git would treat data as binary: a NUL byte in
// its first 8000 bytes.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}

// lockFile matches paths of dependency lock files, whose 64-hex values are
// hashes; medium-confidence findings there are dropped.
var lockFile = regexp.MustCompile(`(?i)(?:^|/)(?:[^/]*\.lock|package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|go\.sum|requirements[^/]*\.txt|[^/]*\.sum)$`)

// IsLockFile reports whether path is a dependency lock file.
func IsLockFile(path string) bool { return lockFile.MatchString(path) }
