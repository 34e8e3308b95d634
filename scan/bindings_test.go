package scan

import (
	"strings"
	"testing"
)

// TestBindingFamilies covers the binding families the held-out corpus
// (scan/corpus/heldout) found missing or wrong, each with a look-alike in
// the same shape: "" as rule means no finding.
func TestBindingFamilies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string // @K@ is a fresh key
		rule       string
	}{
		// A keyword argument named by the setting its call declares.
		{"argparse default", "parser.add_argument(\"--vast-api-key\", default=\"@K@\", help=\"Vast.ai API key\")", "vast-name-value"},
		{"click envvar sibling", "@click.option(\"--api-key\", envvar=\"VAST_API_KEY\", default=\"@K@\")", "vast-name-value"},
		{"pydantic assigned name", "vast_ai_api_key: str | None = Field(default=\"@K@\", alias=\"VAST_AI_API_KEY\")", "vast-name-value"},
		{"default_value sibling env_name", "cfg(\n    env_name=\"VAST_API_KEY\",\n    default_value=\"@K@\",\n)", "vast-name-value-next-line"},
		{"argparse default of a digest flag", "parser.add_argument(\"--vast-image-sha256\", default=\"@K@\")", ""},
		{"pydantic jupyter token", "jupyter_token: str = Field(default=\"@K@\")  # vast instance", ""},
		// Property lists: <key>NAME</key><string>VALUE</string>.
		{"plist", "<dict>\n\t<key>VastAPIKey</key>\n\t<string>@K@</string>\n</dict>", "vast-assignment-next-line"},
		{"plist other key", "<dict>\n\t<key>JupyterToken</key>\n\t<string>@K@</string>\n</dict>\n<!-- vast -->", ""},
		// .netrc: the password of a vast.ai machine.
		{"netrc", "machine console.vast.ai\n  login me@example.com\n  password @K@\n", "vast-host-credential"},
		{"netrc one line", "machine console.vast.ai login me password @K@", "vast-host-credential"},
		{"netrc other host", "machine api.example.com login me password @K@\n# vast", ""},
		// CSV cells named by their column.
		{"password manager csv", "name,url,username,password\nVast.ai,https://cloud.vast.ai/,me@example.com,@K@\n", "vast-host-credential"},
		{"service column", "service,api_key,notes\nvast,@K@,gpu farm\n", "vast-section-key"},
		{"other service row", "service,api_key,notes\nrunpod,@K@,old\n# vast later\n", ""},
		{"digest column", "file,sha256\nvastai-0.3.1.whl,@K@\n", ""},
		{"password for another site", "name,url,username,password\nGitHub,https://github.com/,me,@K@\n# vast", ""},
		// Piped into a secrets tool under a Vast name.
		{"gcloud secret from stdin", "echo -n \"@K@\" | gcloud secrets versions add vast-api-key --data-file=-", "vast-secret-cli"},
		{"gh secret from stdin", "printf %s @K@ | gh secret set VAST_API_KEY", "vast-secret-cli"},
		{"piped to a checksum", "echo @K@ | sha256sum > vast_api_key.sha256", ""},
		// Written through a file object opened on the key file.
		{"pathlib write_text", "p = Path(\"~/.config/vastai/vast_api_key\").expanduser()\np.write_text(\"@K@\")", "vast-key-file-write"},
		{"open as f", "with open(os.path.expanduser(\"~/.vast_api_key\"), \"w\") as f:\n    f.write(\"@K@\")", "vast-key-file-write"},
		{"write to another file", "p = Path(\"~/.jupyter/token\")\np.write_text(\"@K@\")  # for the vast box", ""},
		// Prose up to eight words before the value, within one sentence.
		{"long phrase", "here's the vast.ai key for the render farm: @K@", "vast-key-phrase"},
		{"phrase across a sentence", "Get a vast.ai key first. Then the farm code is @K@", ""},
		// A compared or assigned call result is the call's.
		{"hash of the key compared", "vast_key = os.environ[\"VAST_API_KEY\"]\nassert key_hash(vast_key) == \"@K@\"", ""},
		{"getenv compared", "assert os.getenv(\"VAST_API_KEY\") == \"@K@\"", "vast-env-assignment"},
		// A generic key in a block whose URL is another server's.
		{"client block of another host", "{\"mybox\": {\"baseUrl\": \"http://93.91.156.86:44050/v1\", \"apiKey\": \"@K@\"}}\n// Qwen on Vast", ""},
		{"yaml client block of another host", "mybox:\n  base_url: http://93.91.156.86:44050/v1\n  api_key: @K@\n# on a Vast.ai box", ""},
		{"client block of vast", "{\"client\": {\"base_url\": \"https://console.vast.ai/api/v0\", \"api_key\": \"@K@\"}}\n# vast", "generic-key-in-vast-file"},
		{"vast section, another host's endpoint", "vast:\n  endpoint: http://93.91.156.86:8000/v1\n  api_key: @K@\n", ""},
		{"vast section, a local proxy", "vast:\n  base_url: http://localhost:8080/api/v0\n  api_key: @K@\n", "vast-section-key"},
		{"callback url is not the client's", "{\"api_key\": \"@K@\", \"callback_url\": \"https://hooks.example.com/x\"}\n# vast", "generic-key-in-vast-file"},
		// VAST Data is another company.
		{"vastdata provider", "provider \"vastdata\" {\n  host      = var.vast_host\n  api_token = \"@K@\"\n}\n", ""},
		// Printed from the key file.
		{"transcript cat", "$ cat ~/.config/vastai/vast_api_key\n@K@\n$ vastai show user\n", "vast-key-file-output"},
		{"notebook cat output", "   \"outputs\": [\n    {\n     \"name\": \"stdout\",\n     \"output_type\": \"stream\",\n     \"text\": [\n      \"@K@\\n\"\n     ]\n    }\n   ],\n   \"source\": [\n    \"!cat ~/.vast_api_key\"\n   ]\n", "vast-key-file-output"},
		{"transcript cat of another file", "$ cat ~/.jupyter/token\n@K@\n$ vastai show user\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := newKey(t)
			text := strings.ReplaceAll(tt.text, "@K@", key)
			ms := settled(Detect([]byte(text), Detectors))
			got := ""
			if len(ms) > 0 {
				got = ms[0].Detector.ID
				if ms[0].Key != key {
					t.Errorf("matched another value")
				}
			}
			if got != tt.rule || len(ms) > 1 {
				why := ""
				if len(ms) > 0 {
					why = ms[0].Why.String()
				}
				t.Errorf("%q: rule %q (%d matches, %s), want %q", tt.text, got, len(ms), why, tt.rule)
			}
		})
	}
}

// TestPathFamilies: a bare key under the host daemon's directory is the
// account key only where the file says so; a bare key named for a key is
// held by code next to it that reads it.
func TestPathFamilies(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	for p, want := range map[string]bool{
		"backup/var/lib/vastai_kaalia/api_key":    true,
		"backup/var/lib/vastai_kaalia/machine_id": false,
		"vastai_kaalia/checksums/api_key.sha256":  false,
		"secrets/vast_jupyter_token":              false,
	} {
		got := WholeFileDetector(p, Detectors) != nil && BareKey([]byte(key+"\n")) != ""
		if got != want {
			t.Errorf("%s: whole-file key %v, want %v", p, got, want)
		}
	}
	ms := Detect([]byte(key+"\n"), Detectors)
	if len(ms) != 1 || !ms[0].Pending {
		t.Fatalf("bare key: %+v, want one pending match", ms)
	}
	reader := func() (string, bool) { return "vast_manager.py", true }
	for p, want := range map[string]string{
		"api_key.txt": "generic-key-read-by-vast-code",
		"token":       "generic-key-read-by-vast-code",
		"notes.txt":   "",
		"sha.txt":     "",
	} {
		m := ms[0]
		got := ""
		if ResolvePending(&m, p, Detectors, reader) {
			got = m.Detector.ID
		}
		if got != want {
			t.Errorf("%s read by Vast code: %q, want %q", p, got, want)
		}
	}
}

// TestBinaryNameAfter: marshalled constants come before their names (a
// .pyc); the name right after a value binds it there, and only a name for
// Vast's key does.
func TestBinaryNameAfter(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	pyc := func(name string) []byte {
		return []byte("\xa7\x0d\x0d\x0a\x00\x00\xe3\x00\xa9\x03\xfa@" + key + "\xfa\x1ehttps://console.vast.ai/api/v0N\xa9\x02\xda\x0e" + name + "\xda\x0fVASTAI_API_BASE)\x00")
	}
	if ms := DetectBinary(pyc("VASTAI_API_KEY"), Detectors); len(ms) != 1 || ms[0].Key != key || !strings.Contains(ms[0].Why.String(), "name-after") {
		t.Errorf("pyc constant: %+v", ms)
	}
	if ms := DetectBinary(pyc("JUPYTER_TOKEN_"), Detectors); len(ms) != 0 {
		t.Errorf("a jupyter token's constant matched: %s", ms[0].Why)
	}
}
