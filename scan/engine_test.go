package scan

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWhy checks the machine-readable reason of a few findings: the rule,
// the name the key is bound to, how, and the evidence.
func TestWhy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want Why
	}{
		{"VAST_API_KEY=@K@", Why{Rule: "vast-env-assignment", BoundTo: "VAST_API_KEY", Via: ViaAssign}},
		{"./vast set api-key @K@", Why{Rule: "vast-cli-set-api-key", BoundTo: "set api-key", Via: ViaSetAPIKey, Evidence: []string{"program:vast"}}},
		{"curl 'https://console.vast.ai/api/v0/instances/?api_key=@K@'", Why{Rule: "vast-url-api-key", BoundTo: "api_key", Via: ViaQuery, Evidence: []string{"url:console.vast.ai"}}},
		{"backends:\n  - type: vastai\n    creds:\n      api_key: @K@\n", Why{Rule: "vast-section-key", BoundTo: "api_key", Via: ViaAssign, Evidence: []string{"section:- type: vastai"}}},
		{"env:\n- name: VAST_API_KEY\n  value: @K@\n", Why{Rule: "vast-name-value-next-line", BoundTo: "VAST_API_KEY", Via: ViaNameValue, Evidence: []string{"line-above"}}},
		{"old vast key was @K@", Why{Rule: "vast-key-phrase", BoundTo: "old vast key", Via: ViaPhrase}},
		// A name that looks like a secret itself is not repeated.
		{"vast_api_key_0123456789abcdef0123456789abcdef = @K@", Why{Rule: "vast-env-assignment", BoundTo: "<redacted>", Via: ViaAssign}},
	}
	for _, tt := range tests {
		key := newKey(t)
		ms := settled(Detect([]byte(strings.ReplaceAll(tt.text, "@K@", key)), Detectors))
		if len(ms) != 1 {
			t.Errorf("%q: %d matches", tt.text, len(ms))
			continue
		}
		if diff := cmp.Diff(tt.want, ms[0].Why); diff != "" {
			t.Errorf("%q: why (-want +got):\n%s", tt.text, diff)
		}
	}
}

// TestPendingResolvesByPath: a generic key in a file that does not mention
// Vast holds only where the path, or code next to it, says Vast.
func TestPendingResolvesByPath(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	ms := Detect([]byte(`{"api_key": "`+key+`"}`), Detectors)
	if len(ms) != 1 || !ms[0].Pending {
		t.Fatalf("matches = %+v, want one pending", ms)
	}
	for path, want := range map[string]string{
		"vast_config.json":             "generic-key-in-vast-path",
		"deploy/vastai/settings.json":  "generic-key-in-vast-path",
		"config.json":                  "",
		"vast.sha256":                  "",
		"var/lib/vastai_kaalia/config": "",
	} {
		m := ms[0]
		got := ""
		if ResolvePending(&m, path, Detectors, nil) {
			got = m.Detector.ID
		}
		if got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	m := ms[0]
	if !ResolvePending(&m, "config.json", Detectors, func() (string, bool) { return "run.py", true }) || m.Detector.ID != "generic-key-read-by-vast-code" {
		t.Errorf("read by Vast code next to it: %+v", m.Detector)
	}
	if !strings.Contains(m.Why.String(), "reader:run.py") {
		t.Errorf("why = %s", m.Why)
	}
}

// TestBinaryText: keys in the printable text of binary blobs are found,
// glued to their names as records store them; digests there are not; and
// the work on one blob is bounded.
func TestBinaryText(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	for name, data := range map[string]string{
		"glued record":     "\x00\x05\x25\x81\x0dvast_api_key" + key + "\x00\x00",
		"pickle":           "\x80\x04\x95\x00}\x94\x8c\x0cVAST_API_KEY\x94\x8c@" + key + "\x94s.",
		"text in a binary": "\x00\x01junk\nVAST_API_KEY=" + key + "\n",
	} {
		ms := DetectBinary([]byte(data), Detectors)
		if len(ms) != 1 || ms[0].Key != key || !strings.Contains(ms[0].Why.String(), "binary") {
			t.Errorf("%s: %+v", name, ms)
		}
	}
	if ms := DetectBinary([]byte("\x00\x05checksum"+key+"\x00"), Detectors); len(ms) != 0 {
		t.Errorf("a checksum column matched: %s", ms[0].Why)
	}
	var b strings.Builder
	b.WriteString("\x00vast_api_key=")
	for b.Len() < 2*maxBinaryCandidates*(KeyLength+1) {
		b.WriteString(newKey(t))
		b.WriteByte(0)
	}
	if n := len(binaryCandidates([]byte(b.String()), maxBinaryCandidates)); n != maxBinaryCandidates {
		t.Errorf("%d candidates, want the cap %d", n, maxBinaryCandidates)
	}
}

func TestConfidence(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Confidence{"": Medium, "medium": Medium, "high": High, "HIGH": High} {
		if got, ok := ParseConfidence(in); !ok || got != want {
			t.Errorf("ParseConfidence(%q) = %q %v", in, got, ok)
		}
	}
	if _, ok := ParseConfidence("low"); ok {
		t.Error("low accepted")
	}
	if !High.AtLeast(Medium) || Medium.AtLeast(High) || !Medium.AtLeast("") {
		t.Error("AtLeast")
	}
}

// TestIndexVastWord: words that name Vast, and words that only contain it.
func TestIndexVastWord(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"vast": true, "Vast.ai": true, "VAST_API_KEY": true, "vastai": true, "VastAI(": true, "vastApiKey": true,
		"myVastKey": true, "VASTAPIKEY": true, "console.vast.ai": true, "@vastai/sdk": true,
		"vastly": false, "devastating": false, "canvas": false, "Vaster": false, "VASTNESS": false, "": false,
		"a vast number of formats": false, "the vast majority": false, "Vast amounts of data": false,
		"rent on vast and runpod": true, "Vast API": true,
	} {
		if got := indexVastWord([]byte(s)) >= 0; got != want {
			t.Errorf("indexVastWord(%q) = %v", s, got)
		}
	}
}

// TestBase64Nested: a key inside base64-encoded text (an .env file in a
// Secret, wrapped at 76 columns as base64(1) writes) is found at the token.
func TestBase64Nested(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	env := "DEBUG=1\nVAST_API_KEY=" + key + "\nREGION=eu\n"
	enc := base64.StdEncoding.EncodeToString([]byte(env))
	wrapped := enc[:76] + "\n" + enc[76:]
	for name, text := range map[string]string{
		"one line": "data:\n  app.env: " + enc + "\n",
		"wrapped":  "data:\n  app.env: |\n    " + strings.ReplaceAll(wrapped, "\n", "\n    ") + "\n",
		"raw":      wrapped + "\n",
	} {
		ms := settled(Detect([]byte(text), Detectors))
		if len(ms) != 1 || ms[0].Key != key || !strings.Contains(ms[0].Why.String(), "encoding:base64") {
			t.Errorf("%s: %+v", name, ms)
		}
	}
	// Base64 of random bytes (an image, a digest) is not decoded further.
	if ms := Detect([]byte("img: "+base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x00\xff\x10", 60)))), Detectors); len(ms) != 0 {
		t.Errorf("random base64: %+v", ms)
	}
}
