package scan

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math"
	"regexp"
	"unicode/utf16"
)

// Confidence says how sure a detector is that a 64-hex value is a Vast key.
type Confidence string

const (
	// High: a Vast-specific context (VAST_API_KEY=, vastai set api-key,
	// VastAI(api_key=...), a vast.ai URL, the vastai key file).
	High Confidence = "high"
	// Medium: a generic key context (api_key=, token:, Bearer) in a file
	// that mentions Vast.
	Medium Confidence = "medium"
)

// KeyLength is the length of a Vast API key: 64 lowercase hex characters.
const KeyLength = 64

// Detector is one way Vast keys leak, as data. A candidate is a run of
// exactly KeyLength lowercase hex characters not joined to other letters or
// digits; a detector accepts it when all of its conditions hold.
type Detector struct {
	ID          string // stable; the JSON "rule" and the SARIF ruleId
	Name        string // short title
	Description string // one sentence: what leaked and where
	Confidence  Confidence

	// Before must match the text just before the key on its line (at most
	// contextWindow bytes), so patterns end in `$`.
	Before *regexp.Regexp
	// Above, if set, must match the end of the (up to three) lines above
	// the key's line: a name on one line and its value on the next, as
	// YAML, HCL and Kubernetes write them. Patterns end in `$`.
	Above *regexp.Regexp
	// After, if set, must match the text just after the key on its line
	// (patterns start with `^`).
	After *regexp.Regexp
	// Base64 detectors look at base64 tokens that decode to a key right
	// after a Vast key name (base64Assignment), instead of at hex runs;
	// Before is not used.
	Base64 bool
	// Near, if set, must match within nearWindow bytes on either side.
	Near *regexp.Regexp
	// MentionsVast requires the blob to mention "vast" somewhere (any case).
	MentionsVast bool
	// WholeFile detectors accept a blob that holds nothing but the key (and
	// whitespace); Path then decides, by the file's path, whether it counts.
	WholeFile bool
	Path      *regexp.Regexp
}

const (
	contextWindow = 256
	nearWindow    = 1024
)

// Detectors are the rules, most specific first; the first that accepts a
// candidate names it.
var Detectors = []Detector{
	{
		ID: "vast-cli-set-api-key", Name: "vastai set api-key", Confidence: High,
		Description: "A Vast API key passed to `vastai set api-key`, which stores it for the vastai CLI.",
		Before:      regexp.MustCompile(`(?i)\bvastai\s+set\s+api[-_]key\s+["']?$`),
	},
	{
		ID: "vast-cli-set-api-key-stdin", Name: "piped to vastai set api-key", Confidence: High,
		Description: "A Vast API key piped into `vastai set api-key -`.",
		Before:      regexp.MustCompile(`(?i)(?:echo|printf)\s+(?:-[a-z]+\s+)?(?:'[^']*'\s+|"[^"]*"\s+)?["']?$`),
		After:       regexp.MustCompile(`(?i)^["']?\s*\|\s*vastai\s+set\s+api[-_]key`),
	},
	{
		ID: "vast-cli-flag", Name: "vastai --api-key", Confidence: High,
		Description: "A Vast API key passed to the vastai CLI with --api-key.",
		Before:      regexp.MustCompile(`(?i)\bvast(?:ai|\.py)?\b[^\n]*?\s--api[-_]key(?:\s+|=)["']?$`),
	},
	{
		ID: "vast-sdk-constructor", Name: "VastAI(api_key=...)", Confidence: High,
		Description: "A Vast API key given to the vastai Python SDK's VastAI constructor.",
		Before:      regexp.MustCompile(`(?i)\bvastai\s*\(\s*(?:api_key\s*=\s*)?\\?["']$`),
	},
	{
		ID: "vast-url-api-key", Name: "Vast API URL with api_key", Confidence: High,
		Description: "A Vast API key in a vast.ai URL's api_key parameter, as vastai CLIs before 2026-08 put it in every request URL.",
		Before:      regexp.MustCompile(`(?i)vast\.ai[^\s"'<>]*(?:[?&]|%3f|%26)(?:api_?key|key)(?:=|%3d)$`),
	},
	{
		ID: "vast-env-assignment", Name: "VAST_API_KEY assignment", Confidence: High,
		Description: "A Vast API key assigned to a variable or setting named for Vast (VAST_API_KEY=, vast_api_key:, vastApiKey =, ${VAST_API_KEY:-...}, in env, shell, YAML, JSON, TOML, HCL, properties or code).",
		Before:      regexp.MustCompile(`(?i)(?:^|[^a-z0-9])vast(?:ai)?[a-z0-9_.\-]{0,40}?(?:key|token|secret)[\]"'\\)]*\s*(?::=|=>|:-|[:=,]|\s)\s*[("'\\]*$`),
	},
	{
		ID: "vast-name-value", Name: "name/value pair named for Vast", Confidence: High,
		Description: "A Vast API key as the value of a name/value pair whose name is Vast's key: Kubernetes and ECS env entries, .NET appSettings, Terraform variable defaults, on one line or the next.",
		Before:      regexp.MustCompile(`(?i)vast(?:ai)?[a-z0-9_.\-]{0,40}?(?:key|token|secret)["'\\]*\s*(?:[,}]|\s)\s*(?:\{\s*)?["'\\]*(?:value|default)["'\\]*\s*[:=]\s*["'\\]*$`),
	},
	{
		ID: "vast-name-value-next-line", Name: "name, then value on the next line", Confidence: High,
		Description: "A Vast API key as the value of a name/value pair whose name is Vast's key: Kubernetes and ECS env entries, .NET appSettings, Terraform variable defaults, on one line or the next.",
		Above:       regexp.MustCompile(`(?i)(?:name["']?\s*[:=]\s*["']?vast(?:ai)?[a-z0-9_.\-]{0,40}?(?:key|token|secret)["']?|variable\s+"vast(?:ai)?[a-z0-9_.\-]{0,40}?(?:key|token|secret)"\s*\{)[^\n]*(?:\n[^\n]*){0,2}\n$`),
		Before:      regexp.MustCompile(`(?i)^\s*-?\s*["']?(?:value|default)["']?\s*[:=]\s*["'\\]*$`),
	},
	{
		ID: "vast-assignment-next-line", Name: "Vast key name, value on the next line", Confidence: High,
		Description: "A Vast API key on the line after an assignment to a name for Vast's key (VAST_API_KEY = (\\n 'KEY' \\n), a heredoc into the vastai key file).",
		Above:       regexp.MustCompile(`(?i)(?:vast(?:ai)?[a-z0-9_.\-]{0,40}?(?:key|token|secret)["'\]]*\s*(?::=|=|:)\s*[(\[{]?|>\s*\S*vast_?api_?key\s*<<-?\s*['"]?\w+['"]?)\s*\n$`),
		Before:      regexp.MustCompile(`^\s*["']?$`),
	},
	{
		ID: "vast-block-scalar", Name: "YAML block under a Vast key name", Confidence: High,
		Description: "A Vast API key on its own line under a YAML block scalar (vast_api_key: |) or HCL heredoc named for Vast.",
		Above:       regexp.MustCompile(`(?i)vast(?:ai)?[a-z0-9_.\-]{0,40}?(?:key|token|secret)["']?\s*(?:[:=]\s*[|>][-+]?[0-9]?|=\s*<<-?[A-Z_]+)\s*\n$`),
		Before:      regexp.MustCompile(`^\s*$`),
	},
	{
		ID: "vast-secret-cli", Name: "secret stored under a Vast name", Confidence: High,
		Description: "A Vast API key handed to a secrets tool under a Vast name (gh secret set VAST_API_KEY --body ..., vault kv put ... vast_api_key=...).",
		Before:      regexp.MustCompile(`(?i)\bvast(?:ai)?[a-z0-9_]{0,40}?(?:key|token|secret)\b[^\n]*?--(?:body|value|data|secret-string)(?:\s+|=)["']?$`),
	},
	{
		ID: "vast-key-file-write", Name: "written to the vastai key file", Confidence: High,
		Description: "A Vast API key written into the vastai CLI's key file (echo KEY > ~/.vast_api_key).",
		Before:      regexp.MustCompile(`(?i)(?:echo|printf)\s+(?:-[a-z]+\s+)?["']?$`),
		After:       regexp.MustCompile(`(?i)^["']?\s*(?:\|\s*tee\s+(?:-a\s+)?|>>?\s*)\S*vast_?api_?key`),
	},
	{
		ID: "vast-cli-flag-continued", Name: "vastai --api-key on a continued line", Confidence: High,
		Description: "A Vast API key passed to the vastai CLI with --api-key.",
		Above:       regexp.MustCompile(`(?i)\bvast(?:ai|\.py)?\b[^\n]*\\\s*\n(?:[^\n]*\\\s*\n){0,2}$`),
		Before:      regexp.MustCompile(`(?i)^[^\n]*?--api[-_]key(?:\s+|=)["']?$`),
	},
	{
		ID: "vast-base64-secret", Name: "base64 under a Vast key name", Confidence: High,
		Description: "A Vast API key base64-encoded under a Vast name, as Kubernetes Secret data holds it (VAST_API_KEY: <base64>).",
		Base64:      true, // matched by base64Assignment, from the name on
	},
	{
		ID: "vast-bearer", Name: "Bearer token to the Vast API", Confidence: High,
		Description: "A Vast API key sent as an Authorization: Bearer token next to a vast.ai URL.",
		Before:      regexp.MustCompile(`(?i)\bbearer\s+$`),
		Near:        regexp.MustCompile(`(?i)vast\.ai`),
	},
	{
		ID: "vast-key-file", Name: "vastai key file", Confidence: High,
		Description: "The vastai CLI's key file (vast_api_key, .vast_api_key), whose whole content is the key.",
		WholeFile:   true,
		Path:        regexp.MustCompile(`(?i)(?:^|/)\.?vast_?api_?key(?:\.txt)?$`),
	},
	{
		ID: "vast-named-key-file", Name: "key file named for Vast", Confidence: Medium,
		Description: "A file whose whole content is a 64-hex key, whose path mentions Vast and whose name says key, token, secret or credential.",
		WholeFile:   true,
		Path:        regexp.MustCompile(`(?i)vast[^/]*/(?:[^/]*/)*[^/]*(?:key|token|secret|cred)[^/]*$|/?[^/]*vast[^/]*(?:key|token|secret|cred)[^/]*$|/?[^/]*(?:key|token|secret|cred)[^/]*vast[^/]*$`),
	},
	{
		ID: "generic-key-in-vast-file", Name: "generic key in a Vast file", Confidence: Medium,
		Description:  "A 64-hex value assigned to an api key, token, secret or Bearer header in a file that mentions Vast.",
		Before:       regexp.MustCompile(`(?i)(?:(?:key|token|secret|password|passwd|auth|credential)s?[\]"'\\)]*\s*(?::=|=>|[:=,])\s*[("'\\]*|\bbearer\s+|[?&](?:api_?key|key|token)=|--api[-_]key(?:\s+|=)["']?|<(?:api_?key|apikey|token|secret)>\s*|"key"\s*:\s*"(?:token|api_?key|apikey)"\s*,\s*"value"\s*:\s*")$`),
		MentionsVast: true,
	},
	{
		ID: "generic-key-block-in-vast-file", Name: "generic key block in a Vast file", Confidence: Medium,
		Description:  "A 64-hex value on its own line under a YAML block for an api key, token or secret, in a file that mentions Vast.",
		Above:        regexp.MustCompile(`(?i)(?:key|token|secret)s?["']?\s*:\s*[|>][-+]?[0-9]?\s*\n$`),
		Before:       regexp.MustCompile(`^\s*$`),
		MentionsVast: true,
	},
}

// notAKey matches contexts that hold 64-hex values which are not keys:
// image digests, hash pins and checksums, lock-file integrity fields, LFS
// pointers, commit and object ids.
var notAKey = regexp.MustCompile(`(?i)(?:sha-?(?:1|224|256|384|512)|blake2[bs]?|md5|digest|checksum|integrity|hash(?:es)?|oid|fingerprint|commit|revision|\brev\b|nonce|salt|seed|etag)[\]"'\\)]*\s*(?:[:=@,]|:=|=>|\s)?\s*[("'\\]*(?:sha256[:=])?$`)

// hashIdent matches an assignment whose variable names a hash, even if it
// also says key (vast_key_sha256: ..., hash_key = ...).
var hashIdent = regexp.MustCompile(`(?i)[a-z0-9_.\-]*(?:sha-?(?:1|256|512)|hash|digest|checksum|fingerprint|salt|nonce)[a-z0-9_.\-]*[\]"'\\)]*\s*(?::=|=>|[:=,]|\s)\s*[("'\\]*$`)

// otherSecret matches assignments to secrets that belong to something
// else (a webhook, a JWT, another provider): in a file that mentions Vast,
// the generic rules must not take them for Vast keys.
var otherSecret = regexp.MustCompile(`(?i)(?:webhook|jwt|session|signing|hmac|encrypt|cookie|csrf|aws|stripe|github|gitlab|openai|anthropic|slack|twilio|sendgrid|google|gcp|azure|database|db_|postgres|mysql|redis|mongo|smtp|mail|oauth|client_secret|private_key|ssh|gpg|pgp|hf_|huggingface|wandb|docker|npm|pypi)[a-z0-9_.\-]*["'\]]*\s*(?::=|=>|[:=,])\s*[("'\\]*$`)

// Match is one key found in a piece of text.
type Match struct {
	Detector *Detector
	Key      string // the key itself; callers must not print it
	Offset   int    // byte offset of the key
	Line     int    // 1-based line
	Column   int    // 1-based byte column
	Allowed  bool   // the line carries "vastguard:allow"
}

// AllowMarker on the same line as a key suppresses its finding.
const AllowMarker = "vastguard:allow"

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
		if isWord(c) && !(s >= 3 && text[s-3] == '%') && !(s >= 6 && text[s-6] == '\\' && text[s-5] == 'u') {
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

// mentionsVast reports whether text says "vast", "Vast" or "VAST".
func mentionsVast(text []byte) bool { return indexVast(text) >= 0 }

// Detect finds the keys in text (a blob or a message). WholeFile detectors
// are not consulted: whether a bare key file counts depends on its path,
// which a blob does not have; see BareKey.
func Detect(text []byte, detectors []Detector) []Match {
	return detect(text, detectors, -1)
}

// detect is Detect with what is known of whether text mentions Vast: -1
// unknown (look), 0 no, 1 yes.
func detect(text []byte, detectors []Detector, vast int) []Match {
	if vast < 0 {
		// Both the base64 rule and the generic rules need to know; look
		// once.
		vast = 0
		if mentionsVast(text) {
			vast = 1
		}
	}
	cands := Candidates(text)
	out := detectBase64(text, detectors, vast)
	if len(cands) == 0 {
		return out
	}
	for _, off := range cands {
		key := string(text[off : off+KeyLength])
		if Placeholder(key) {
			continue
		}
		lineStart := bytes.LastIndexByte(text[:off], '\n') + 1
		bs := max(lineStart, off-contextWindow)
		before := unescapeQuote(text[bs:off])
		if notAKey.Match(before) || hashIdent.Match(before) {
			continue
		}
		var above, after []byte
		for i := range detectors {
			d := &detectors[i]
			if d.WholeFile || d.Base64 || d.Before == nil || !d.Before.Match(before) {
				continue
			}
			if d.Above != nil {
				if above == nil {
					above = linesAbove(text, lineStart, 3)
				}
				if !d.Above.Match(above) {
					continue
				}
			}
			if d.After != nil {
				if after == nil {
					end := off + KeyLength
					nl := bytes.IndexByte(text[end:min(len(text), end+contextWindow)], '\n')
					if nl < 0 {
						nl = min(len(text), end+contextWindow) - end
					}
					after = text[end : end+nl]
				}
				if !d.After.Match(after) {
					continue
				}
			}
			if d.Near != nil && !d.Near.Match(text[max(0, off-nearWindow):min(len(text), off+KeyLength+nearWindow)]) {
				continue
			}
			if d.Confidence == Medium && otherSecret.Match(before) {
				continue
			}
			if d.MentionsVast && vast == 0 {
				continue
			}
			lineEnd := bytes.IndexByte(text[off:], '\n')
			if lineEnd < 0 {
				lineEnd = len(text)
			} else {
				lineEnd += off
			}
			out = append(out, Match{
				Detector: d,
				Key:      key,
				Offset:   off,
				Line:     bytes.Count(text[:off], []byte{'\n'}) + 1,
				Column:   off - lineStart + 1,
				Allowed:  bytes.Contains(text[lineStart:lineEnd], []byte(AllowMarker)),
			})
			break
		}
	}
	return out
}

// base64Assignment matches a Vast key name assigned a base64 token long
// enough to hold a key (64 bytes, or 65 with a newline), from the name on.
var base64Assignment = regexp.MustCompile(`^(?i:vast(?:ai)?[a-z0-9_.\-]{0,40}?(?:key|token|secret)["']?\s*[:=]\s*["']?)([A-Za-z0-9+/]{86,88}={0,2})`)

// detectBase64 finds keys that are base64-encoded right after a Vast name,
// as Kubernetes Secret data holds them. It looks only where "vast" occurs,
// so it costs nothing on text without it.
func detectBase64(text []byte, detectors []Detector, vast int) []Match {
	var d *Detector
	for i := range detectors {
		if detectors[i].Base64 {
			d = &detectors[i]
			break
		}
	}
	if d == nil || vast == 0 {
		return nil
	}
	var out []Match
	for from := 0; ; {
		i := indexVast(text[from:])
		if i < 0 {
			break
		}
		start := from + i
		from = start + 4
		if start > 0 && isWord(text[start-1]) && text[start-1] != '_' {
			continue // inside another word
		}
		m := base64Assignment.FindSubmatchIndex(text[start:min(len(text), start+contextWindow+96)])
		if m == nil {
			continue
		}
		off, end := start+m[2], start+m[3]
		if end < len(text) && isBase64Char(text[end]) {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(string(text[off:end]))
		if err != nil {
			continue
		}
		key := string(bytes.TrimSpace(raw))
		if len(key) != KeyLength || !isHexString(key) || Placeholder(key) {
			continue
		}
		lineStart := bytes.LastIndexByte(text[:off], '\n') + 1
		lineEnd := bytes.IndexByte(text[off:], '\n')
		if lineEnd < 0 {
			lineEnd = len(text)
		} else {
			lineEnd += off
		}
		out = append(out, Match{Detector: d, Key: key, Offset: off, Line: bytes.Count(text[:off], []byte{'\n'}) + 1,
			Column: off - lineStart + 1, Allowed: bytes.Contains(text[lineStart:lineEnd], []byte(AllowMarker))})
	}
	return out
}

// indexVast returns the index of the first "vast", "Vast" or "VAST", or
// -1. Three vectorised searches cost far less than a byte loop; other
// mixes of case ("vAsT") are not looked for.
func indexVast(text []byte) int {
	best := -1
	for _, w := range [][]byte{[]byte("vast"), []byte("Vast"), []byte("VAST")} {
		hay := text
		if best >= 0 {
			hay = text[:best]
		}
		if i := bytes.Index(hay, w); i >= 0 {
			best = i
		}
	}
	return best
}

func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
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

// linesAbove returns up to n lines before the line starting at lineStart,
// each cut to contextWindow bytes, ending with a newline; empty at the top.
func linesAbove(text []byte, lineStart, n int) []byte {
	start := lineStart
	for i := 0; i < n && start > 0; i++ {
		start = bytes.LastIndexByte(text[:start-1], '\n') + 1
	}
	if start >= lineStart {
		return []byte{}
	}
	chunk := text[max(start, lineStart-n*contextWindow):lineStart]
	return bytes.ReplaceAll(chunk, []byte("\r\n"), []byte("\n"))
}

// escapedQuotes are quote characters as escapes leave them in JSON, HTML
// and URLs.
var escapedQuotes = [][]byte{[]byte(`\u0022`), []byte(`\u0027`), []byte("&quot;"), []byte("&#34;"), []byte("&#39;"), []byte("%22"), []byte("%27")}

// unescapeQuote turns an escaped quote at the end of before into a plain
// one, so `KEY=\u0022<key>` reads like `KEY="<key>`.
func unescapeQuote(before []byte) []byte {
	for _, q := range escapedQuotes {
		if len(before) >= len(q) && bytes.EqualFold(before[len(before)-len(q):], q) {
			out := make([]byte, 0, len(before))
			out = append(out, before[:len(before)-len(q)]...)
			return append(out, '"')
		}
	}
	return before
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
		if d.WholeFile && d.Path != nil && d.Path.MatchString(path) {
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
