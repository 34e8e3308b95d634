package scan

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/vastguard/vastguard/scan/corpus"
	"github.com/vastguard/vastguard/scan/scantest"
)

// fuzzSeeds adds the corpus's texts (values made at run time) and a few
// hand-made edge cases to a fuzz target.
func fuzzSeeds(f *testing.F) {
	key := scantest.Key(1)
	for _, c := range corpus.Cases("fuzz") {
		f.Add([]byte(c.Content))
	}
	f.Add([]byte("VAST_API_KEY=" + strings.Repeat("0123456789abcdef", 4)))
	f.Add([]byte("vastai set api-key " + key + "\r\n"))
	f.Add([]byte(`{"source": ["VastAI(api_key=\"` + key + `\")"]}`))
	f.Add([]byte("https://console.vast.ai/api/v0/?api_key%3D" + key + "&x=1"))
	f.Add([]byte("%3d\\u003d" + strings.Repeat("a1", 40)))
	f.Add([]byte("VAST_API_KEY: " + base64.StdEncoding.EncodeToString([]byte(key))))
	f.Add([]byte("\x00\x01vast_api_key" + key + "\x00"))
	f.Add([]byte("a:\n  - " + key + "\n  - " + key + "\n"))
	f.Add([]byte("x = [" + key + ", " + key + "]"))
	f.Add([]byte("\\\\\\\"\\u00\\x2%&#;&quot" + key))
	// The held-out corpus' families (scan/corpus/heldout).
	f.Add([]byte("machine console.vast.ai\n  login me\n  password " + key + "\n"))
	f.Add([]byte("name,url,username,password\nVast.ai,https://cloud.vast.ai/,me," + key + "\n"))
	f.Add([]byte("echo -n \"" + key + "\" | gcloud secrets versions add vast-api-key --data-file=-"))
	f.Add([]byte("<key>VastAPIKey</key>\n<string>" + key + "</string>"))
	f.Add([]byte("p = Path(\"~/.vast_api_key\")\np.write_text(\"" + key + "\")"))
	f.Add([]byte("\"text\": [\"" + key + "\\n\"]}], \"source\": [\"!cat ~/.config/vastai/vast_api_key\"]"))
	f.Add([]byte("\xfa@" + key + "\xda\x0eVASTAI_API_KEY)\x00"))
	f.Add([]byte("parser.add_argument(\"--vast-api-key\", default=\"" + key + "\")"))
	f.Add([]byte("{\"baseUrl\": \"http://1.2.3.4:8000/v1\", \"apiKey\": \"" + key + "\"} vast"))
}

// checkMatches holds for every match of every detector: it covers a
// 64-hex run (or a base64 token that decodes to one), says why in a form
// that carries no secret, and has a sane position.
func checkMatches(t *testing.T, data []byte, ms []Match) {
	t.Helper()
	for _, m := range ms {
		if len(m.Key) != KeyLength || !allHex(m.Key) {
			t.Fatalf("match key %q is not 64 lowercase hex", m.Key)
		}
		if m.Offset < 0 || m.Length < KeyLength || m.Offset+m.Length > len(data) {
			t.Fatalf("match %+v out of range", m)
		}
		enc := data[m.Offset : m.Offset+m.Length]
		if m.Length == KeyLength {
			if string(enc) != m.Key {
				t.Fatalf("match does not cover its key")
			}
		} else if got := decodeB64Key(bytes.TrimRight(enc, "=")); got != m.Key && decodeB64Key(joinWrapped(enc)) != m.Key {
			raw, _ := base64.RawStdEncoding.DecodeString(strings.NewReplacer("-", "+", "_", "/").Replace(string(joinWrapped(enc)[:len(joinWrapped(enc))/4*4])))
			if !bytes.Contains(raw, []byte(m.Key)) {
				t.Fatalf("base64 match does not decode to its key or to text holding it")
			}
		}
		if m.Detector == nil || m.Why.Rule != m.Detector.ID {
			t.Fatalf("match without its rule: %+v", m.Why)
		}
		if m.Line < 1 || m.Column < 1 {
			t.Fatalf("bad position %d:%d", m.Line, m.Column)
		}
		why := m.Why.String()
		if strings.Contains(why, m.Key) || len(m.Why.BoundTo) > 48 {
			t.Fatalf("why carries the key or is too long: %q", why)
		}
		for i := 0; i < len(why); i++ {
			if why[i] < 0x20 || why[i] >= 0x7f {
				t.Fatalf("why holds a control or non-ASCII byte: %q", why)
			}
		}
	}
}

func joinWrapped(enc []byte) []byte {
	return bytes.TrimRight(bytes.ReplaceAll(enc, []byte("\n"), nil), "=")
}

func FuzzDetect(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkMatches(t, data, Detect(data, Detectors))
		for _, off := range Candidates(data) {
			if off+KeyLength > len(data) {
				t.Fatalf("candidate %d out of range", off)
			}
		}
		BareKey(data)
	})
}

func FuzzDetectBinary(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ms := DetectBinary(data, Detectors)
		checkMatches(t, data, ms)
		if len(ms) > maxBinaryCandidates {
			t.Fatalf("%d matches in one binary blob", len(ms))
		}
	})
}

// FuzzBind runs the tokenizer and binder on any text before a value: no
// panic, and the name bound is text the window holds.
func FuzzBind(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, q := range []bool{false, true} {
			toks := tokenize(normalize(nil, data), nil)
			bd := binder{toks: toks}
			b := bd.bind(q)
			if b.name != "" && !strings.HasPrefix(b.name, "set ") {
				found := false
				for _, tk := range toks {
					if tk.text == b.name {
						found = true
						break
					}
				}
				if !found {
					t.Fatalf("bound to %q, which is not a token", b.name)
				}
			}
		}
		contexts(data, len(data), bytes.LastIndexByte(data, '\n')+1)
		hostNear(data, len(data)/2, 64)
		parentKey(data, len(data))
		blockHost(data, len(data)/2)
		if len(data) >= KeyLength {
			off := len(data) - KeyLength
			(&engine{text: data, det: Detectors}).csvCell(off, KeyLength)
			keyFileRead(data, off, KeyLength)
			aloneOnLine(data, off, KeyLength)
			e := engine{text: data, det: Detectors, binary: true}
			e.binaryNameAfter(len(data) / 2)
		}
	})
}

// FuzzResolvePending: any path, with or without a reader, decides a
// pending match without panicking, and never to a rule that is not a path
// or reader rule.
func FuzzResolvePending(f *testing.F) {
	f.Add("secrets/vast.txt", true)
	f.Add("config.json", false)
	f.Add("", true)
	f.Add("var/lib/vastai_kaalia/machine_id", true)
	f.Fuzz(func(t *testing.T, path string, bare bool) {
		via := ViaAssign
		if bare {
			via = ViaBare
		}
		m := Match{Pending: true, Why: Why{Via: via, Evidence: []string{"path"}}}
		reader := func() (string, bool) { return "run.py", len(path)%2 == 0 }
		if ResolvePending(&m, path, Detectors, reader) {
			if m.Detector == nil || m.Pending || (m.Detector.Scope != ScopePath && m.Detector.Scope != ScopeReader && m.Detector.Scope != ScopeBareLine) {
				t.Fatalf("resolved to %+v", m.Detector)
			}
		}
	})
}
