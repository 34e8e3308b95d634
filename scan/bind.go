package scan

import (
	"bytes"
	"strings"
)

// This file works out what a 64-hex value is bound to: the name, key, flag,
// header, parameter or phrase that introduces it, across the operators,
// types, quotes and line breaks that languages and formats put between a
// name and its value. It does not parse any one language: it reads the few
// lines before the value as words and operators (quotes and escapes are
// transparent) and walks back from the value, so one procedure covers
// `VAST_API_KEY=`, `"vast_api_key": "`, `const VAST_API_KEY: string = "`,
// `os.getenv("VAST_API_KEY") or "`, `vastai set api-key `, `--api-key `,
// `Authorization: Bearer `, `?api_key=` and `old vast key was `.
//
// Written by hand: no library tokenizes "any language" this loosely, and a
// real parser per language would miss the prose, logs and half-written
// snippets where keys leak.

// Via says how a value is bound to its name. The values are stable: they
// appear in findings' "why".
type Via string

// The ways a value is bound.
const (
	ViaAssign    Via = "assignment"  // NAME = value, name: value, NAME => value, name <- value
	ViaDefault   Via = "default"     // getenv("NAME") or value, env.NAME || value, ${NAME:-value}
	ViaArgument  Via = "argument"    // call(NAME, value), Callee(value)
	ViaNameValue Via = "name-value"  // {name: NAME, value: value}, variable "NAME" { default = value }
	ViaSpace     Via = "space"       // ENV NAME value, setx NAME value, a positional CLI argument
	ViaFlag      Via = "flag"        // --api-key value
	ViaSecretCLI Via = "secret-flag" // gh secret set NAME --body value
	ViaSetAPIKey Via = "set-api-key" // vastai set api-key value
	ViaPipe      Via = "pipe"        // echo value | vastai set api-key -
	ViaQuery     Via = "query"       // ?api_key=value
	ViaBearer    Via = "bearer"      // Authorization: Bearer value
	ViaBlock     Via = "block"       // name: |\n  value, heredoc
	ViaList      Via = "list"        // name:\n  - value
	ViaElement   Via = "element"     // <name>value</name>, <string name="NAME">value
	ViaFileWrite Via = "file-write"  // echo value > ~/.vast_api_key
	ViaRecord    Via = "record"      // NAME and value as adjacent fields of a binary record
	ViaPhrase    Via = "phrase"      // prose: "the old vast key was value"
	ViaTable     Via = "table"       // | NAME | value |
	ViaBare      Via = "bare"        // nothing binds it: a value alone on its line
	ViaNetrc     Via = "netrc"       // machine HOST login USER password value (.netrc)
	ViaColumn    Via = "column"      // a CSV or TSV cell, named by its column's header
)

type tokKind uint8

const (
	tWord tokKind = iota
	tOp
	tNL
)

type token struct {
	text  string
	kind  tokKind
	line  int  // line within the window, from 0
	space bool // whitespace (or a quote) separates it from the previous token
	quote bool // a quote mark sits right before it
}

// windowLines and windowBytes bound the text read before a value.
const (
	windowLines = 6
	windowBytes = 768
)

// normalize copies src decoding the escapes that wrap keys in JSON
// (notebooks), HTML, URLs and quoted-printable text, so `\"`, `\u0022`,
// `&quot;` and `%22` all read as a quote and `%3D`, `\u003d` as `=`.
// Backslashes otherwise vanish (a line-ending one is kept: it continues a
// shell command); `\n`, `\t` escapes become spaces.
func normalize(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '\\':
			if i+1 < len(src) {
				n := src[i+1]
				switch {
				case n == 'u' && i+5 < len(src):
					if r, ok := hexByte(src[i+4], src[i+5]); ok && src[i+2] == '0' && src[i+3] == '0' {
						dst = append(dst, decodedByte(r))
						i += 5
						continue
					}
				case n == 'x' && i+3 < len(src):
					if r, ok := hexByte(src[i+2], src[i+3]); ok {
						dst = append(dst, decodedByte(r))
						i += 3
						continue
					}
				case n == 'n' || n == 't' || n == 'r':
					dst = append(dst, ' ')
					i++
					continue
				}
			}
			switch {
			case restIsEOL(src, i+1):
				dst = append(dst, '\\')
			case i+1 < len(src) && i > 0 && wordByte[src[i+1]] && wordByte[src[i-1]] || i+1 < len(src) && src[i+1] == '.':
				dst = append(dst, '/') // a Windows path: $HOME\.config\vastai
			}
		case '%':
			if i+2 < len(src) {
				if r, ok := hexByte(src[i+1], src[i+2]); ok && r >= 0x20 && r < 0x7f {
					dst = append(dst, decodedByte(r))
					i += 2
					continue
				}
			}
			dst = append(dst, c)
		case '&':
			if j := bytes.IndexByte(src[i:min(len(src), i+8)], ';'); j > 0 {
				if r, ok := htmlEntity(src[i+1 : i+j]); ok {
					dst = append(dst, r)
					i += j
					continue
				}
			}
			dst = append(dst, c)
		case '=':
			// Quoted-printable: =3D is "=", =22 a quote.
			if i+2 < len(src) && (src[i+1] == '3' && (src[i+2] == 'D' || src[i+2] == 'd') || src[i+1] == '2' && src[i+2] == '2') {
				if src[i+1] == '3' {
					dst = append(dst, '=')
				} else {
					dst = append(dst, '"')
				}
				i += 2
				continue
			}
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// decodedByte maps a decoded escape to the byte the tokenizer should see:
// quotes stay quotes, control bytes become spaces.
func decodedByte(r byte) byte {
	if r < 0x20 || r >= 0x7f {
		return ' '
	}
	return r
}

func hexByte(a, b byte) (byte, bool) {
	h, ok1 := hexDigit(a)
	l, ok2 := hexDigit(b)
	return h<<4 | l, ok1 && ok2
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func htmlEntity(name []byte) (byte, bool) {
	switch strings.ToLower(string(name)) {
	case "quot", "#34", "#x22", "apos", "#39", "#x27":
		return '"', true
	case "amp", "#38":
		return '&', true
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "#61", "#x3d", "equals":
		return '=', true
	case "colon", "#58":
		return ':', true
	}
	return 0, false
}

func restIsEOL(b []byte, i int) bool {
	for ; i < len(b); i++ {
		switch b[i] {
		case ' ', '\t', '\r':
		case '\n':
			return true
		default:
			return false
		}
	}
	return false
}

// wordByte: letters, digits and the joiners of identifiers, dotted names,
// kebab-case flags, paths and e-mail-like tokens. Bytes outside ASCII are
// word bytes (prose in other scripts stays one word).
var wordByte [256]bool

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		wordByte[c] = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
			b == '_' || b == '$' || b == '.' || b == '-' || b == '/' || b == '~' || b == '@' || b >= 0x80
	}
}

// ops are the operators read as one token, longest first.
var ops = []string{"===", "!==", "<<<", "||=", "&&=", "??=", ":=", "=>", "->", "<-", "||", "&&", "??", "?:",
	"::", ":-", ":?", "==", "!=", "<<", ">>", "+=", "?=", "|=", "**"}

// tokenize reads b as words, operators and line breaks. Quote marks are
// not tokens: they mark the next token (quote) and separate words.
func tokenize(b []byte, toks []token) []token {
	line := 0
	space, quote := true, false
	emit := func(kind tokKind, text string) {
		toks = append(toks, token{text: text, kind: kind, line: line, space: space, quote: quote})
		space, quote = false, false
	}
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '\n':
			emit(tNL, "")
			line++
			i++
			space = true
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
			space = true
		case c == '"' || c == '\'':
			i++
			space, quote = true, true
		case c == '`':
			if restIsEOL(b, i+1) {
				emit(tOp, "`") // PowerShell continues the line
			} else {
				space, quote = true, true
			}
			i++
		case c == '\\':
			emit(tOp, "\\")
			i++
		case c == 0xe2 && i+2 < len(b) && b[i+1] == 0x86 && b[i+2] == 0x92: // →
			emit(tOp, "->")
			i += 3
		case c == 0xef && i+2 < len(b) && b[i+1] == 0xbc && b[i+2] == 0x9a: // ：
			emit(tOp, ":")
			i += 3
		case c == '-' && i+1 < len(b) && b[i+1] == '>':
			emit(tOp, "->")
			i += 2
		case wordByte[c]:
			j := i
			for j < len(b) && wordByte[b[j]] && !(b[j] == 0xe2 && j+2 < len(b) && b[j+1] == 0x86 && b[j+2] == 0x92) {
				j++
			}
			w := string(b[i:j])
			if strings.Trim(w, "-.") == "" {
				emit(tOp, w)
			} else {
				emit(tWord, w)
			}
			i = j
		default:
			op := string(c)
			for _, o := range ops {
				if bytes.HasPrefix(b[i:], []byte(o)) {
					op = o
					break
				}
			}
			emit(tOp, op)
			i += len(op)
		}
	}
	return toks
}

// binding is what a value is bound to.
type binding struct {
	via     Via
	name    string   // the name as written; for a slot, its owner's name
	words   []string // the name's words, lowercase
	phrase  []string // prose: the words of the phrase ending at the name
	above   bool     // the name is on a line above the value's
	slot    string   // the slot (value, default, --body) whose owner named it
	callee  string   // the call the value (or its name) is an argument of
	program string   // the command line's program, for CLI bindings
	host    string   // the URL's host, for query parameters
	pipe    bool     // the value is piped into the binding command
	header  bool     // the name is an HTTP header (X-Api-Key:, -H "Api-Key: …")
	row     []string // a CSV cell's row: the words of its other cells
}

// binder holds the tokens of one window.
type binder struct {
	toks []token
}

func (bd *binder) tok(i int) token {
	if i < 0 || i >= len(bd.toks) {
		return token{kind: tNL}
	}
	return bd.toks[i]
}

func (bd *binder) isOp(i int, ops ...string) bool {
	t := bd.tok(i)
	if t.kind != tOp {
		return false
	}
	for _, o := range ops {
		if t.text == o {
			return true
		}
	}
	return false
}

func (bd *binder) isWord(i int) bool { return i >= 0 && i < len(bd.toks) && bd.toks[i].kind == tWord }

// stringPrefixes are the letters that open a string literal: r"…", b'…',
// f"…", @"…", $"…".
var stringPrefixes = wordSet("r", "b", "f", "u", "rb", "br", "fr", "rf", "R", "B", "F", "U", "L", "@", "$", "E")

var assignOps = wordSet("=", ":=", ":", "=>", "->", "<-", "==", "===", "?=", "+=", "|=", "::", "\x1f")
var defaultOps = wordSet("||", "??", "?:", ":-", "||=", "??=", ":?")
var proseOps = wordSet("is", "was", "are", "were", "equals", "becomes", "to")
var continuationOps = wordSet("=", ":", ":=", "=>", "->", "<-", "(", "[", "{", ",", "||", "??", "?:", "\\", "`",
	"^", "&&", "+", "||=", "??=", "<<")

// bind works out what the value right after the tokens is bound to. keyQuote
// says a quote mark sits right before the value.
func (bd *binder) bind(keyQuote bool) binding { return bd.bindFrom(len(bd.toks)-1, keyQuote) }

// bindFrom binds a value whose preceding token is j.
func (bd *binder) bindFrom(j int, keyQuote bool) binding {
	above := false
	nextQuote := keyQuote
	for {
		// Openers between the operator and the value: brackets, emphasis,
		// string prefixes.
		for j >= 0 {
			t := bd.toks[j]
			if t.kind == tOp && (t.text == "(" || t.text == "[" || t.text == "{" || t.text == "*" || t.text == "**" || t.text == "#" || t.text == "<" || t.text == "!") {
				if t.text == "(" && bd.isWord(j-1) && !t.space {
					// Callee(value): an argument.
					return bd.callArgument(j - 1)
				}
				j--
				nextQuote = false
				continue
			}
			if t.kind == tWord && nextQuote && stringPrefixes[t.text] {
				j--
				nextQuote = false
				continue
			}
			break
		}
		if j < 0 {
			return binding{via: ViaBare}
		}
		if bd.toks[j].kind != tNL {
			break
		}
		// The value begins a line: it continues the line above if that
		// ends in an operator, an opener, a block-scalar or heredoc marker.
		k := j - 1
		for k >= 0 && bd.toks[k].kind == tNL {
			k-- // blank lines
		}
		if k < 0 {
			return binding{via: ViaBare}
		}
		blank := k != j-1
		t := bd.toks[k]
		switch {
		case t.kind == tOp && (t.text == "|" || t.text == ">") && bd.isOp(k-1, ":", "="):
			// name: |   (YAML block scalar)
			return bd.named(bd.nameBefore(k-2), ViaBlock, true)
		case (t.kind == tOp && (t.text == "-" || t.text == "+") || t.kind == tWord && (isNumber(t.text) || t.text == "-" || t.text == "+")) && bd.isOp(k-1, "|", ">") && bd.isOp(k-2, ":", "="):
			return bd.named(bd.nameBefore(k-3), ViaBlock, true)
		case t.kind == tWord && bd.isOp(k-1, "<<", "<<<"):
			// heredoc: NAME = <<EOF, cat > file <<EOF
			return bd.heredoc(k)
		case blank:
			return binding{via: ViaBare}
		case t.kind == tOp && (t.text == "(" || t.text == "[" || t.text == "{"):
			j = k
			above = true
			continue
		case t.kind == tOp && continuationOps[t.text], t.kind == tWord && (t.text == "or" || proseOps[strings.ToLower(t.text)]):
			b := bd.dispatch(k)
			b.above = true
			return b
		}
		return binding{via: ViaBare}
	}
	b := bd.dispatch(j)
	if above {
		b.above = true
	}
	return b
}

// dispatch binds by the token at j, the one right before the value.
func (bd *binder) dispatch(j int) binding {
	t := bd.toks[j]
	var b binding
	switch t.kind {
	case tOp:
		switch {
		case assignOps[t.text]:
			n := bd.nameBefore(j - 1)
			if n >= 0 && t.text == "=" && strings.HasPrefix(bd.toks[n].text, "-") && len(bd.toks[n].text) > 1 {
				return bd.flag(n) // --api-key=value
			}
			if n >= 0 && bd.isOp(n-1, "?", "&", ";") && t.text == "=" {
				b = bd.named(n, ViaQuery, false)
				b.host = bd.urlHost(n - 1)
				return b
			}
			via := ViaAssign
			if t.text == "\x1f" {
				via = ViaRecord
			}
			b = bd.named(n, via, false)
			if c := bd.wrappingCall(n); c != "" {
				// key_hash(vast_key) == "…", sha256(VAST_API_KEY): what is
				// compared or assigned is the call's result, and a call
				// that says hash or digest makes it no key.
				if cw := splitWords(c); classify(cw).negative {
					b.words = append(b.words, cw...)
				}
			}
			if b.via == ViaAssign && len(b.words) > 0 && lowerWord(bd.tok(n)) == "bearer" {
				b.via = ViaBearer
			}
			return b
		case defaultOps[t.text]:
			return bd.named(bd.nameBefore(j-1), ViaDefault, false)
		case t.text == ",":
			return bd.comma(j)
		case t.text == "-":
			if bd.isWord(j-1) && bd.isOp(j-2, "{") && bd.isWord(j-3) && bd.tok(j-3).text == "$" {
				return bd.named(j-1, ViaDefault, false) // ${NAME-value}
			}
			if bd.tok(j-1).kind == tNL || j == 0 {
				return binding{via: ViaList} // - value: the block decides
			}
		case t.text == ">":
			return bd.element(j)
		case t.text == "|":
			// | NAME | value |  (Markdown table)
			if n := bd.nameBefore(j - 1); n >= 0 && bd.isOp(n-1, "|") {
				return bd.named(n, ViaTable, false)
			}
		}
	case tWord:
		lw := strings.ToLower(t.text)
		switch {
		case lw == "or" || proseOps[lw]:
			via := ViaDefault
			if proseOps[lw] {
				via = ViaPhrase
			}
			return bd.named(bd.nameBefore(j-1), via, false)
		case strings.HasPrefix(t.text, "-") && len(t.text) > 1:
			return bd.flag(j)
		case lw == "bearer" || lw == "token" && bd.isOp(j-1, ":") && strings.EqualFold(bd.tok(j-2).text, "authorization"):
			b = binding{via: ViaBearer, name: t.text, words: []string{"bearer"}}
			return b
		case setKeyVerbs[lw] && strings.EqualFold(bd.tok(j-1).text, "set"):
			b = binding{via: ViaSetAPIKey, name: "set " + t.text, words: []string{"api", "key"}}
			b.program = bd.program(j)
			return b
		case (lw == "password" || lw == "passwd") && bd.netrcHost(j) != "":
			// machine console.vast.ai login me password KEY: a credential
			// for the machine's host.
			return binding{via: ViaNetrc, name: t.text, host: bd.netrcHost(j)}
		default:
			if k, ok := bd.listStart(j); ok {
				return bd.bindFrom(k, false) // KEYS=(KEY1 KEY2)
			}
			b = bd.named(j, ViaSpace, false)
			b.program = bd.program(j)
			return b
		}
	}
	return binding{via: ViaBare}
}

// named fills a binding from the name token at n.
func (bd *binder) named(n int, via Via, above bool) binding {
	b := binding{via: via, above: above}
	if n < 0 || !bd.isWord(n) {
		if via == ViaBlock || via == ViaList {
			return b
		}
		return binding{via: ViaBare}
	}
	t := bd.toks[n]
	b.name = t.text
	b.words = splitWords(t.text)
	if lw := strings.ToLower(t.text); strings.HasPrefix(lw, "x-") || bd.isWord(n-1) && (bd.toks[n-1].text == "-H" || bd.toks[n-1].text == "--header") {
		b.header = true
	}
	if last := bd.toks[len(bd.toks)-1]; last.line != t.line {
		b.above = true
	}
	// A slot (value, default, default_value) takes its owner's name.
	if isSlotName(b.words) {
		if o := bd.owner(n); o >= 0 {
			b.slot = strings.Join(b.words, "_")
			b.name = bd.toks[o].text
			b.words = splitWords(b.name)
			if bd.toks[o].line != bd.toks[len(bd.toks)-1].line {
				b.above = true
			} else {
				b.above = false
			}
			if via != ViaBlock {
				b.via = ViaNameValue
			}
		}
	}
	// Prose: "the old vast key was", "Vast API key:".
	if isPlainWord(t.text) {
		k := n - 1
		b.phrase = append(b.phrase, b.words...)
		for k >= 0 && n-k < phraseWords && bd.isWord(k) && bd.toks[k].line == t.line && isPlainWord(bd.toks[k].text) && !endsSentence(bd.toks[k].text) {
			b.phrase = append(splitWords(bd.toks[k].text), b.phrase...)
			k--
		}
	}
	// A keyword argument: VastAI(api_key="…"), new VastAI({ apiKey: "…" }).
	if via == ViaAssign {
		b.callee = bd.enclosingCall(n)
	}
	return b
}

// phraseWords bounds the words of prose read before a value's name: "the
// vast.ai key for the render farm: KEY".
const phraseWords = 8

// endsSentence: a word that closes the sentence before the phrase ("done.",
// "ok!"): the phrase starts after it.
func endsSentence(w string) bool {
	return len(w) > 1 && strings.ContainsRune(".!?", rune(w[len(w)-1]))
}

// isPlainWord: a word of prose, not an identifier (no _ or camel joins):
// "key", "Vast", "vast.ai", "API".
func isPlainWord(w string) bool {
	if strings.ContainsAny(w, "_$/@~") {
		return false
	}
	for i := 1; i < len(w); i++ {
		if w[i] >= 'A' && w[i] <= 'Z' && w[i-1] >= 'a' && w[i-1] <= 'z' {
			return false
		}
	}
	return true
}

func lowerWord(t token) string { return strings.ToLower(t.text) }

// nameBefore returns the index of the name that ends at or before i,
// skipping closing brackets and type annotations, or -1.
func (bd *binder) nameBefore(i int) int {
	for i >= 0 && bd.toks[i].kind == tOp {
		switch bd.toks[i].text {
		case ")":
			if bd.isOp(i-1, "(") {
				i -= 2 // getenv() -> the callee is the name
				continue
			}
			i--
			continue
		case "]", "}", "?", "!", "*", "**", ">":
			i--
			continue
		}
		return -1
	}
	if i < 0 || bd.toks[i].kind != tWord {
		return -1
	}
	// Type annotations: NAME: string =, NAME: &'static str =, var NAME string =.
	if typeWords[strings.ToLower(bd.toks[i].text)] {
		k := i - 1
		for k >= 0 && (bd.isOp(k, "&", "<", ">", "[", "]", "?", "|", "*") || bd.isWord(k) && typeWords[strings.ToLower(bd.toks[k].text)] || bd.isWord(k) && bd.toks[k].text == "static") {
			k--
		}
		switch {
		case bd.isOp(k, ":"):
			k--
			for k >= 0 && bd.isOp(k, "?", "!") {
				k--
			}
			if bd.isWord(k) {
				return k
			}
		case bd.isWord(k) && bd.toks[k].line == bd.toks[i].line && !typeWords[strings.ToLower(bd.toks[k].text)]:
			if lw := strings.ToLower(bd.toks[k].text); lw != "var" && lw != "let" && lw != "val" && lw != "const" && lw != "export" {
				return k
			}
		}
	}
	return i
}

// owner finds the sibling that names a slot at n: {"name": "NAME", "value":
// …}, <add key="NAME" value="…">, - name: NAME\n  value: …, or the label
// of the enclosing block: variable "NAME" { default = … }.
func (bd *binder) owner(n int) int {
	depth := 0
	for k := n - 1; k >= 0 && n-k < 40; k-- {
		t := bd.toks[k]
		if t.kind == tOp {
			switch t.text {
			case "}", "]", ")":
				depth++
			case "{", "[", "(":
				if depth == 0 {
					if t.text == "(" && bd.isWord(k-1) && !t.space {
						// A call's keyword argument (default=…): the
						// setting the call declares names it.
						if o := bd.callOwner(k); o >= 0 {
							return o
						}
					}
					// The block's label: variable "NAME" {, "NAME": {
					l := k - 1
					for l >= 0 && bd.isOp(l, ":", "=") {
						l--
					}
					if bd.isWord(l) && !isOwnerWord(bd.toks[l].text) {
						return l
					}
					return -1
				}
				depth--
			}
			continue
		}
		if t.kind == tWord && depth == 0 && isOwnerWord(t.text) && (bd.isOp(k+1, ":", "=", "=>")) && bd.isWord(k+2) {
			return k + 2
		}
	}
	return -1
}

// wrappingCall returns the callee of the call whose last argument is the
// name at n (hash in `hash(NAME) == …`), or "" when the name is not an
// argument or the call only reads the name (getenv, get, environ).
func (bd *binder) wrappingCall(n int) string {
	if !bd.isOp(n+1, ")") {
		return ""
	}
	depth := 0
	for k := n - 1; k >= 0 && n-k < 20; k-- {
		switch {
		case bd.isOp(k, ")"):
			depth++
		case bd.isOp(k, "("):
			if depth > 0 {
				depth--
				continue
			}
			if !bd.isWord(k - 1) {
				return ""
			}
			c := bd.calleeExpr(k - 1)
			if fallbackCallees[strings.ToLower(lastSegment(c))] {
				return ""
			}
			return c
		}
	}
	return ""
}

// netrcHost returns the host of the .netrc entry the token at j belongs to
// (machine HOST, on its line or the lines above), or "".
func (bd *binder) netrcHost(j int) string {
	for k := j - 1; k >= 0; k-- {
		if !bd.isWord(k) {
			continue
		}
		switch strings.ToLower(bd.toks[k].text) {
		case "machine":
			if bd.isWord(k+1) && k+1 < j {
				return strings.ToLower(bd.toks[k+1].text)
			}
			return ""
		case "default", "macdef":
			return ""
		}
	}
	return ""
}

// isOwnerWord: a sibling key that names what a slot holds (name, key,
// env_name, envvar, alias), however it is cased or joined.
func isOwnerWord(w string) bool {
	return ownerWords[strings.ToLower(w)] || ownerWords[strings.Join(splitWords(w), "")]
}

// isSlotName: a name made only of slot words (value, default, default_value,
// defaultValue): it holds a value whose name is given elsewhere.
func isSlotName(words []string) bool {
	if len(words) == 0 || len(words) > 3 {
		return false
	}
	for _, w := range words {
		if !slotWords[w] {
			return false
		}
	}
	return true
}

// callOwner names the setting a call declares, for a keyword argument of
// the call opened at p: its first positional argument when that is a flag
// or a quoted name (add_argument("--vast-api-key", default=…),
// Setting("VAST_API_KEY", default=…)), else the name the call is assigned
// to (vast_api_key: str = Field(default=…)), or -1.
func (bd *binder) callOwner(p int) int {
	if a := p + 1; bd.isWord(a) && bd.isOp(a+1, ",") && (strings.HasPrefix(bd.toks[a].text, "-") || bd.toks[a].quote) {
		return a
	}
	k := p - 2 // before the callee
	if !bd.isOp(k, "=", ":=") {
		return -1
	}
	// The first token of the callee's line, if it is the assigned name:
	// NAME = Callee(, NAME: type = Callee(.
	line := bd.toks[p].line
	s := k
	for s > 0 && bd.toks[s-1].line == line && bd.toks[s-1].kind != tNL {
		s--
	}
	if bd.isWord(s) && bd.isOp(s+1, "=", ":", ":=") && s < k {
		return s
	}
	return -1
}

// enclosingCall returns the callee of the call whose argument list holds
// token n (VastAI in `VastAI(api_key="…")`), or "".
func (bd *binder) enclosingCall(n int) string {
	depth := 0
	for k := n - 1; k >= 0 && n-k < 40; k-- {
		t := bd.toks[k]
		if t.kind != tOp {
			continue
		}
		switch t.text {
		case ")", "]", "}":
			depth++
		case "(", "[", "{":
			if depth > 0 {
				depth--
				continue
			}
			if t.text == "(" && bd.isWord(k-1) {
				return bd.calleeExpr(k - 1)
			}
			if t.text == "{" && bd.isOp(k-1, "(") && bd.isWord(k-2) {
				return bd.calleeExpr(k - 2) // new VastAI({ apiKey: … })
			}
			if t.text == "{" && bd.isWord(k-1) && !t.space {
				return bd.calleeExpr(k - 1) // vast.Config{APIKey: …}
			}
			if t.text == "{" || t.text == "[" {
				continue // an object inside the call: keep looking
			}
			return ""
		case ";":
			return ""
		}
	}
	return ""
}

// callArgument binds a value that is the first argument of a call at
// callee index c: VastAI("…"), set_api_key("…"), .unwrap_or("…").
func (bd *binder) callArgument(c int) binding {
	callee := bd.calleeExpr(c)
	base := strings.ToLower(lastSegment(callee))
	if wrapperCallees[base] && c > 0 {
		// Some("…"), String::from("…"), SecretStr("…"): the binding is the
		// wrapper's.
		k := c - 1
		for k >= 0 && bd.isOp(k, "::", ".") || bd.isWord(k) && wrapperCallees[strings.ToLower(bd.toks[k].text)] {
			k--
		}
		if k >= 0 && bd.toks[k].kind == tOp {
			return bd.dispatch(k)
		}
	}
	if fallbackCallees[base] && bd.isOp(c-1, "|") {
		// {{ lookup('env', 'NAME') | default('…') }}
		if n := bd.nameBefore(c - 2); n >= 0 {
			b := bd.named(n, ViaDefault, false)
			b.callee = callee
			return b
		}
	}
	if fallbackCallees[base] && bd.isOp(c-1, ")") || fallbackCallees[base] && strings.HasPrefix(callee, ".") {
		// env::var("NAME").unwrap_or("…"), Optional.ofNullable(x).orElse("…")
		if n := bd.nameBefore(c - 1); n >= 0 {
			b := bd.named(n, ViaDefault, false)
			b.callee = callee
			return b
		}
	}
	b := binding{via: ViaArgument, name: callee, words: splitWords(callee), callee: callee}
	if last := bd.toks[len(bd.toks)-1]; last.line != bd.toks[c].line {
		b.above = true
	}
	return b
}

func lastSegment(s string) string {
	if i := strings.LastIndexAny(s, ".:/"); i >= 0 && i+1 < len(s) {
		return s[i+1:]
	}
	return strings.TrimLeft(s, ".:")
}

// wrapperCallees wrap a literal without naming it.
var wrapperCallees = wordSet("some", "ok", "string", "str", "from", "new", "secretstr", "secretstring", "secret",
	"box", "arc", "cow", "owned", "cstr", "text", "bytes", "b", "u", "r", "_", "gettext", "i18n", "sensitive")

// comma binds a value after a comma: an argument after the name it sets
// (setenv("NAME", "…"), getenv("NAME", "…"), define('NAME', '…')), a CLI
// argv list (["vastai", "set", "api-key", "…"]), or a list element.
func (bd *binder) comma(j int) binding {
	p := bd.nameBefore(j - 1)
	if p < 0 {
		return binding{via: ViaBare}
	}
	pw := strings.ToLower(bd.toks[p].text)
	switch {
	case strings.HasPrefix(pw, "-") && len(pw) > 1:
		return bd.flag(p)
	case setKeyVerbs[pw] && bd.isOp(p-1, ",") && strings.EqualFold(bd.tok(p-2).text, "set"):
		b := binding{via: ViaSetAPIKey, name: "set " + bd.toks[p].text, words: []string{"api", "key"}}
		b.program = bd.program(p)
		return b
	}
	if k, ok := bd.listStart(p); ok {
		// ["KEY1", "KEY2"]: the list's binding.
		return bd.bindFrom(k, false)
	}
	// [name, value] pairs and setenv("NAME", value) alike: the name is the
	// argument before.
	b := bd.named(p, ViaArgument, false)
	b.callee = bd.enclosingCall(p)
	return b
}

// isValueWord: a token that is itself a value (another key in a list), not
// a name.
func isValueWord(w string) bool {
	if len(w) < 32 {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// listStart: if token p is a value in a list (KEY1, KEY2 or (KEY1 KEY2)),
// returns the index of the token before the list's opening bracket.
func (bd *binder) listStart(p int) (int, bool) {
	if !bd.isWord(p) || !isValueWord(bd.toks[p].text) {
		return 0, false
	}
	k := p - 1
	for {
		switch {
		case bd.isOp(k, ",") && bd.isWord(k-1) && isValueWord(bd.toks[k-1].text):
			k -= 2
		case bd.isWord(k) && isValueWord(bd.toks[k].text):
			k--
		case bd.tok(k).kind == tNL && k > 0:
			k--
		case bd.isOp(k, "[", "(", "{"):
			return k - 1, k > 0
		default:
			return 0, false
		}
	}
}

// calleeExpr returns the callee ending at token c with the scope it is
// written in: Vast::Client.new, VastClient::new.
func (bd *binder) calleeExpr(c int) string {
	e := bd.toks[c].text
	for k := c - 1; k >= 1 && bd.isOp(k, "::") && bd.isWord(k-1); k -= 2 {
		e = bd.toks[k-1].text + "::" + e
	}
	return e
}

// flag binds a value after a flag at j: --api-key …, -Value …, --body ….
func (bd *binder) flag(j int) binding {
	t := bd.toks[j]
	f := strings.ToLower(strings.TrimLeft(t.text, "-"))
	b := binding{via: ViaFlag, name: t.text, words: splitWords(f)}
	var pl int
	b.program, pl = bd.programLine(j)
	if last := bd.toks[len(bd.toks)-1]; last.line != t.line || pl != t.line {
		b.above = true // the flag, or the command it belongs to, is on a line above
	}
	if slotFlags[f] {
		// gh secret set NAME --body …: the name is another argument.
		for k := j - 1; k >= 0 && bd.tok(k).kind != tNL; k-- {
			if bd.isWord(k) && !strings.HasPrefix(bd.toks[k].text, "-") {
				w := splitWords(bd.toks[k].text)
				if c := classify(w); c.vast || c.key {
					b.via = ViaSecretCLI
					b.slot = f
					b.name = bd.toks[k].text
					b.words = w
					return b
				}
			}
		}
	}
	return b
}

// element binds a value after '>': <NAME>…, <string name="NAME">…, or a
// redirection or quote mark (then nothing binds it).
func (bd *binder) element(j int) binding {
	for k := j - 1; k >= 0 && bd.tok(k).kind != tNL; k-- {
		if bd.isOp(k, "<") && bd.isWord(k+1) {
			tag := bd.toks[k+1].text
			// A generic tag takes its name from an attribute.
			for a := k + 2; a < j; a++ {
				if bd.isWord(a) && isOwnerWord(bd.toks[a].text) && bd.isOp(a+1, "=") && bd.isWord(a+2) {
					return binding{via: ViaElement, name: bd.toks[a+2].text, words: splitWords(bd.toks[a+2].text)}
				}
			}
			if valueTags[strings.ToLower(tag)] {
				if n := bd.keyElementBefore(k - 1); n >= 0 {
					return binding{via: ViaElement, name: bd.toks[n].text, words: splitWords(bd.toks[n].text), above: bd.toks[n].line != bd.toks[j].line}
				}
			}
			return binding{via: ViaElement, name: tag, words: splitWords(tag)}
		}
	}
	return binding{via: ViaBare}
}

// valueTags are XML elements that hold a value named by the element before
// them (a property list's <key>NAME</key><string>VALUE</string>).
var valueTags = wordSet("string", "integer", "real", "data", "value", "date")

// keyElementBefore returns the index of NAME in a <key>NAME</key> (or
// <name>NAME</name>) element that ends at token i, line breaks between
// them aside, or -1.
func (bd *binder) keyElementBefore(i int) int {
	for i >= 0 && bd.tok(i).kind == tNL {
		i--
	}
	if !bd.isOp(i, ">") || !bd.isWord(i-1) || !bd.isOp(i-2, "<") || !bd.isWord(i-3) || !bd.isOp(i-4, ">") || !bd.isWord(i-5) || !bd.isOp(i-6, "<") {
		return -1
	}
	open, close := strings.ToLower(bd.toks[i-5].text), strings.ToLower(bd.toks[i-1].text)
	if (open == "key" || open == "name") && close == "/"+open {
		return i - 3
	}
	return -1
}

// heredoc binds a value on the line after `NAME = <<EOF` or `cat > FILE <<EOF`.
func (bd *binder) heredoc(k int) binding {
	i := k - 1
	for i >= 0 && bd.isOp(i, "<<", "<<-", "<<<") {
		i--
	}
	if bd.isOp(i, "=") || bd.isOp(i, ":") {
		return bd.named(bd.nameBefore(i-1), ViaBlock, true)
	}
	// cat > FILE <<EOF, tee FILE <<EOF
	for ; i >= 0 && bd.tok(i).kind != tNL; i-- {
		if bd.isWord(i) && (bd.isOp(i-1, ">", ">>") || strings.EqualFold(bd.tok(i-1).text, "tee")) {
			return binding{via: ViaFileWrite, name: bd.toks[i].text, words: splitWords(bd.toks[i].text), above: true}
		}
	}
	return binding{via: ViaBlock, above: true}
}

// statementStart returns the index of the first token of the command line
// holding token j: after a line break that does not continue the line, or
// after ; && || | and the like.
func (bd *binder) statementStart(j int) int {
	k := j
	for k > 0 {
		p := bd.toks[k-1]
		if p.kind == tNL {
			if bd.isOp(k-2, "\\", "`", "^", "|", "&&", "||") {
				k -= 2
				continue
			}
			return k
		}
		if p.kind == tOp && (p.text == ";" || p.text == "&&" || p.text == "||" || p.text == "|") {
			return k
		}
		k--
	}
	return 0
}

// program returns the Vast CLI a command line invokes, or the first word of
// the command, for the tokens of the statement holding j.
func (bd *binder) program(j int) string {
	p, _ := bd.programLine(j)
	return p
}

// programLine is program and the line it is on.
func (bd *binder) programLine(j int) (string, int) {
	s := bd.statementStart(j)
	first, line := "", bd.tok(j).line
	for k := s; k < j; k++ {
		if !bd.isWord(k) {
			continue
		}
		w := bd.toks[k].text
		if strings.HasPrefix(w, "-") {
			continue
		}
		if isVastProgram(w) {
			return w, bd.toks[k].line
		}
		if first == "" {
			first, line = w, bd.toks[k].line
		}
	}
	return first, line
}

// isVastProgram: vastai, vast, vast.py, ./vast, /tmp/vast.py,
// ~/.local/bin/vastai.
func isVastProgram(w string) bool {
	base := strings.ToLower(w)
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	return vastPrograms[base]
}

// urlHost returns the host of the URL whose query starts at token q (the
// '?' or '&' before a parameter), or "".
func (bd *binder) urlHost(q int) string {
	for k := q; k >= 0 && q-k < 60; k-- {
		t := bd.tok(k)
		if t.kind == tNL && k < q-1 {
			break
		}
		if t.kind == tWord && strings.HasPrefix(t.text, "//") {
			h := strings.TrimPrefix(t.text, "//")
			if i := strings.IndexAny(h, "/?#"); i >= 0 {
				h = h[:i]
			}
			return strings.ToLower(h)
		}
		if t.kind == tWord && k == q-1 && strings.Contains(t.text, ".") && !strings.HasPrefix(t.text, "/") {
			// host/path?api_key= without a scheme
			h := t.text
			if i := strings.IndexByte(h, '/'); i >= 0 {
				h = h[:i]
			}
			if strings.Contains(h, ".") {
				return strings.ToLower(h)
			}
		}
	}
	return ""
}
