package scan

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"
)

// newKey returns a random key-shaped value, made at test time so no
// key-shaped string is committed to the repository.
func newKey(t testing.TB) string {
	t.Helper()
	for {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			t.Fatal(err)
		}
		k := hex.EncodeToString(b[:])
		if !Placeholder(k) {
			return k
		}
	}
}

func TestDetectLeakShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string // @K@ stands for a fresh key
		rule       string
		conf       Confidence
		line       int
	}{
		{"env file", "FOO=1\nVAST_API_KEY=@K@\n", "vast-env-assignment", High, 2},
		{"env file quoted", `VAST_API_KEY="@K@"`, "vast-env-assignment", High, 1},
		{"env export", "export VASTAI_API_KEY='@K@'", "vast-env-assignment", High, 1},
		{"dockerfile ENV", "ENV VAST_API_KEY @K@", "vast-env-assignment", High, 1},
		{"crlf", "A=b\r\nVAST_API_KEY=@K@\r\nC=d\r\n", "vast-env-assignment", High, 2},
		{"yaml", "env:\n  VAST_API_KEY: @K@\n", "vast-env-assignment", High, 2},
		{"json", `{"vast_api_key": "@K@"}`, "vast-env-assignment", High, 1},
		{"toml", "[vast]\nvast_api_key = \"@K@\"", "vast-env-assignment", High, 2},
		{"properties", "vast.api.key=@K@", "vast-env-assignment", High, 1},
		{"hcl", "variable \"x\" {}\nvastai_token = \"@K@\"", "vast-env-assignment", High, 2},
		{"js camel case", "const vastApiKey = '@K@';", "vast-env-assignment", High, 1},
		{"python environ", `os.environ["VAST_API_KEY"] = "@K@"`, "vast-env-assignment", High, 1},
		{"python setdefault", `os.environ.setdefault("VAST_API_KEY", "@K@")`, "vast-env-assignment", High, 1},
		{"go map", `"VAST_API_KEY": "@K@",`, "vast-env-assignment", High, 1},
		{"vastai set api-key", "pip install vastai\nvastai set api-key @K@\n", "vast-cli-set-api-key", High, 2},
		{"vastai set api_key", "!vastai set api_key @K@", "vast-cli-set-api-key", High, 1},
		{"vastai --api-key", "vastai search offers --api-key @K@ 'gpu_name=RTX_4090'", "vast-cli-flag", High, 1},
		{"vast.py --api-key=", "./vast.py show instances --api-key=@K@", "vast-cli-flag", High, 1},
		{"sdk", `vast = VastAI(api_key="@K@")`, "vast-sdk-constructor", High, 1},
		{"sdk positional", `VastAI('@K@')`, "vast-sdk-constructor", High, 1},
		{"url", "curl 'https://console.vast.ai/api/v0/instances/?owner=me&api_key=@K@'", "vast-url-api-key", High, 1},
		{"url encoded", "https://console.vast.ai/api/v0/users/current/?api_key%3D@K@", "vast-url-api-key", High, 1},
		{"log line with url", "DEBUG GET https://console.vast.ai/api/v0/bundles?q=x&api_key=@K@ HTTP/1.1 200", "vast-url-api-key", High, 1},
		{"bearer curl", "curl -H 'Authorization: Bearer @K@' https://console.vast.ai/api/v0/users/current/", "vast-bearer", High, 1},
		{"bearer nearby url", "URL = 'https://console.vast.ai/api/v0/instances/'\nheaders = {'Authorization': 'Bearer @K@'}", "vast-bearer", High, 2},
		{"notebook escaped", `{"source": ["import os\n", "os.environ[\"VAST_API_KEY\"] = \"@K@\"\n"]}`, "vast-env-assignment", High, 1},
		{"notebook unicode escape", `"VAST_API_KEY=\u0022@K@\u0022"`, "vast-env-assignment", High, 1},
		{"minified bundle", `var a=1;const cfg={vastKey:"@K@",b:2};function x(){}`, "vast-env-assignment", High, 1},
		{"generic api_key in vast file", "from vastai import VastAI\nAPI_KEY = \"@K@\"\n", "generic-key-in-vast-file", Medium, 2},
		{"generic bearer in vast file", "# talks to vast\nh = {'Authorization': 'Bearer @K@'}", "generic-key-in-vast-file", Medium, 2},
		// The sibling provider: vast.ai names the block's service: the
		// engine binds the token to it (this case expected a medium generic
		// finding when detection had no notion of blocks).
		{"generic token in vast file", "provider: vast.ai\ntoken: @K@", "vast-section-key", High, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := newKey(t)
			text := strings.ReplaceAll(tt.text, "@K@", key)
			ms := settled(Detect([]byte(text), Detectors))
			if len(ms) != 1 {
				t.Fatalf("%d matches, want 1 in %q", len(ms), tt.text)
			}
			m := ms[0]
			if m.Key != key || m.Detector.ID != tt.rule || m.Detector.Confidence != tt.conf || m.Line != tt.line {
				t.Errorf("match = rule %s conf %s line %d key ok %v; want %s %s %d", m.Detector.ID, m.Detector.Confidence, m.Line, m.Key == key, tt.rule, tt.conf, tt.line)
			}
			if text[m.Offset:m.Offset+KeyLength] != key {
				t.Error("offset does not point at the key")
			}
		})
	}
}

func TestDetectLookAlikes(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text string }{
		{"image digest", "image: vastai/pytorch@sha256:@K@"},
		{"docker FROM digest", "FROM vastai/base-image@sha256:@K@ # vast"},
		{"requirements hash pin", "vastai==0.2.6 --hash=sha256:@K@"},
		{"poetry lock", "name = \"vastai\"\nfiles = [\n    {file = \"vastai-0.2.6.tar.gz\", hash = \"sha256:@K@\"},\n]"},
		{"cargo checksum", "name = \"vast\"\nchecksum = \"@K@\""},
		{"lfs pointer", "version https://git-lfs.github.com/spec/v1\noid sha256:@K@\nsize 123 # vast"},
		{"sha256sum output", "@K@  vastai-linux-amd64.tar.gz"},
		{"vast key sha256 field", "vast_api_key_sha256: @K@"},
		{"vast hash key", "VAST_HASH_KEY=@K@"},
		{"sha512 hex is one run", "VAST_API_KEY=KEYKEY"},
		{"longer run", "VAST_API_KEY=KEYab"},
		{"0x prefixed", "VAST_API_KEY=0xKEY"},
		{"glued to a word", "VAST_API_KEY=keyKEY"},
		{"underscore suffix", "VAST_API_KEY=KEY_old"},
		{"uppercase hex", "VAST_API_KEY=@U@"},
		{"no context", "x = \"@K@\""},
		{"generic key without vast", "API_KEY = \"@K@\""},
		{"bearer without vast", "Authorization: Bearer @K@"},
		{"git commit id context", "vast commit: @K@"},
		{"integrity", "\"vast\": {\"integrity\": \"@K@\"}"},
		{"all zeros", "VAST_API_KEY=" + strings.Repeat("0", 64)},
		{"all f", "VAST_API_KEY=" + strings.Repeat("f", 64)},
		{"deadbeef", "VAST_API_KEY=" + strings.Repeat("deadbeef", 8)},
		{"alphabet repeated", "VAST_API_KEY=" + strings.Repeat("0123456789abcdef", 4)},
		{"two halves", "VAST_API_KEY=@H@@H@"},
		{"mostly zeros", "VAST_API_KEY=" + strings.Repeat("0", 40) + "1234567890abcdef12345678"},
		{"no digits", "VAST_API_KEY=" + strings.Repeat("abcdefedcbafeadcbe", 4)[:64]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := newKey(t)
			text := strings.ReplaceAll(tt.text, "@K@", key)
			text = strings.ReplaceAll(text, "@U@", strings.ToUpper(key))
			text = strings.ReplaceAll(text, "@H@", key[:32])
			if ms := settled(Detect([]byte(text), Detectors)); len(ms) != 0 {
				t.Errorf("%q: matched %s", tt.text, ms[0].Why)
			}
		})
	}
}

// settled drops the matches that wait for a path (Pending): without one
// they are not findings.
func settled(ms []Match) []Match {
	var out []Match
	for _, m := range ms {
		if !m.Pending {
			out = append(out, m)
		}
	}
	return out
}

func TestPlaceholderNeverRejectsRandomKeys(t *testing.T) {
	t.Parallel()
	n := 200000
	if testing.Short() {
		n = 20000
	}
	rejected := 0
	var b [32]byte
	for range n {
		rand.Read(b[:])
		if Placeholder(hex.EncodeToString(b[:])) {
			rejected++
		}
	}
	// A random key has ~40 digits, ~3.8 bits of entropy per character and
	// no structure; the thresholds sit far below that.
	if rejected > n/10000 {
		t.Errorf("%d of %d random keys taken for placeholders", rejected, n)
	}
}

func TestAllowMarker(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	ms := Detect([]byte("VAST_API_KEY="+key+" # vastguard:allow (test fixture)\nVAST_API_KEY="+newKey(t)), Detectors)
	if len(ms) != 2 || !ms[0].Allowed || ms[1].Allowed {
		t.Fatalf("matches = %+v", ms)
	}
}

func TestCandidates(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	tests := []struct {
		text string
		want []int
	}{
		{key, []int{0}},
		{"=" + key + "\n", []int{1}},
		{key + key, nil},
		{"a" + key, nil},
		{key + "_", nil},
		{"-" + key + "-", []int{1}},
		{`\u003d` + key, []int{6}},
		{"%3d" + key, []int{3}},
		{"%3D" + key, []int{3}},
		{strings.Repeat(" ", 63) + key + strings.Repeat(" ", 100) + key, []int{63, 63 + 64 + 100}},
		{key[:63], nil},
	}
	for i, tt := range tests {
		got := Candidates([]byte(tt.text))
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("case %d: Candidates = %v, want %v", i, got, tt.want)
		}
	}
}

func TestBareKey(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	for _, text := range []string{key, key + "\n", "  " + key + "\r\n", "\xef\xbb\xbf" + key} {
		if BareKey([]byte(text)) != key {
			t.Errorf("BareKey(%q...) missed the key", text[:4])
		}
	}
	for _, text := range []string{"x" + key, key + key, strings.Repeat("0", 64), key[:63]} {
		if BareKey([]byte(text)) != "" {
			t.Errorf("BareKey accepted %q...", text[:4])
		}
	}
	for path, want := range map[string]string{
		".vast_api_key":                    "vast-key-file",
		"home/.config/vastai/vast_api_key": "vast-key-file",
		"secrets/vastapikey.txt":           "vast-key-file",
		"deploy/vast-token":                "vast-named-key-file",
		"notes/key.txt":                    "",
	} {
		d := WholeFileDetector(path, Detectors)
		got := ""
		if d != nil {
			got = d.ID
		}
		if got != want {
			t.Errorf("WholeFileDetector(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestDetectorIDsAreUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, d := range Detectors {
		if seen[d.ID] {
			t.Errorf("two detectors named %s", d.ID)
		}
		seen[d.ID] = true
	}
}

// TestDetectLayouts covers forms where the name and the key are apart:
// next lines, after the key, other encodings.
func TestDetectLayouts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, rule string
	}{
		{"kubernetes env", "env:\n  - name: VAST_API_KEY\n    value: \"@K@\"\n", "vast-name-value-next-line"},
		{"kubernetes env, name then image", "        - name: VAST_API_KEY\n          value: @K@\n", "vast-name-value-next-line"},
		{"ecs one line", `[{"name":"VAST_API_KEY","value":"@K@"}]`, "vast-name-value"},
		{"dotnet appSettings", `<add key="VastApiKey" value="@K@" />`, "vast-name-value"},
		{"terraform one line", `variable "vast_api_key" { default = "@K@" }`, "vast-name-value"},
		{"terraform block", "variable \"vast_api_key\" {\n  type    = string\n  default = \"@K@\"\n}\n", "vast-name-value-next-line"},
		{"yaml block scalar", "vast_api_key: |\n  @K@\n", "vast-block-scalar"},
		{"shell default", "KEY=${VAST_API_KEY:-@K@}", "vast-env-assignment"},
		{"gh secret set", "gh secret set VAST_API_KEY --body @K@", "vast-secret-cli"},
		{"echo into the key file", "echo @K@ > ~/.vast_api_key", "vast-key-file-write"},
		{"tee into the key file", "echo '@K@' | tee ~/.config/vastai/vast_api_key", "vast-key-file-write"},
		{"continued vastai line", "vastai create instance 123 \\\n  --image pytorch \\\n  --api-key @K@\n", "vast-cli-flag-continued"},
		{"fully url-encoded", "https%3A%2F%2Fconsole.vast.ai%2Fapi%2Fv0%2Finstances%2F%3Fapi_key%3D@K@", "vast-url-api-key"},
		{"generic --api-key in a vast file", "# deploy to vast\n./run.sh --api-key @K@\n", "generic-key-in-vast-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := newKey(t)
			ms := settled(Detect([]byte(strings.ReplaceAll(tt.text, "@K@", key)), Detectors))
			if len(ms) != 1 || ms[0].Key != key || ms[0].Detector.ID != tt.rule {
				var got []string
				for _, m := range ms {
					got = append(got, m.Detector.ID)
				}
				t.Errorf("matches %v, want one %s", got, tt.rule)
			}
		})
	}
	// Next-line forms still need the name: a value under another name is
	// not a key.
	for _, text := range []string{
		"env:\n  - name: IMAGE_DIGEST\n    value: \"@K@\"\n",
		"vast_image_sha: |\n  @K@\n",
		"echo @K@ > checksum.txt # vast",
		"variable \"vast_region\" {\n  default = \"@K@\"\n}\n",
	} {
		if ms := settled(Detect([]byte(strings.ReplaceAll(text, "@K@", newKey(t))), Detectors)); len(ms) != 0 {
			t.Errorf("%q: matched %s", text, ms[0].Why)
		}
	}
}

func TestDetectEncodings(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	b64 := base64.StdEncoding.EncodeToString([]byte(key))
	secret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: vast\ndata:\n  VAST_API_KEY: " + b64 + "\n"
	ms := Detect([]byte(secret), Detectors)
	if len(ms) != 1 || ms[0].Key != key || ms[0].Detector.ID != "vast-base64-secret" || ms[0].Line != 6 {
		t.Errorf("k8s secret: %+v", ms)
	}
	withNL := base64.StdEncoding.EncodeToString([]byte(key + "\n"))
	if ms := Detect([]byte("VAST_API_KEY: "+withNL), Detectors); len(ms) != 1 || ms[0].Key != key {
		t.Errorf("base64 with a newline: %+v", ms)
	}
	if ms := Detect([]byte("image_pull_secret: "+b64), Detectors); len(ms) != 0 {
		t.Errorf("base64 under another name matched")
	}
	// UTF-16 with a byte-order mark, as PowerShell 5 writes .env files.
	u := utf16.Encode([]rune("VAST_API_KEY=" + key + "\r\n"))
	le := []byte{0xff, 0xfe}
	for _, c := range u {
		le = append(le, byte(c), byte(c>>8))
	}
	text := Text(le)
	if isBinary(text) {
		t.Fatal("UTF-16 text taken for binary")
	}
	if ms := Detect(text, Detectors); len(ms) != 1 || ms[0].Key != key {
		t.Errorf("UTF-16: %+v", ms)
	}
}

// TestDetectMoreShapes is a second set of shapes, written after the
// corpus to check that the binding generalises: other languages' syntax,
// prompts, lists, prose operators, scoped callees, front-end env prefixes;
// and look-alikes bound to hashes, Jupyter and other services.
func TestDetectMoreShapes(t *testing.T) {
	t.Parallel()
	yes := []string{
		"export VAST_API_KEY='@K@'",
		"VAST_API_KEY = \"@K@\"",
		"\"VAST_API_KEY\": \"@K@\"",
		"vast_api_key = '@K@'",
		"{\"vastai\": {\"apiKey\": \"@K@\"}}",
		"vastai set api-key \"@K@\"",
		"vastai set api-key '@K@'",
		"$ vastai set api-key @K@",
		"> vastai set api-key @K@",
		"sudo vastai set api-key @K@",
		"vastai --api-key=@K@ show instances",
		"client = VastAI(api_key = \"@K@\")",
		"vast_sdk = VastAI(\n    api_key=\"@K@\",\n)",
		"client = VastAI(\n  \"@K@\"\n)",
		"headers = {\n  \"Authorization\": \"Bearer @K@\"\n}\nrequests.get(\"https://console.vast.ai/api/v0/instances/\", headers=headers)",
		"wget \"https://console.vast.ai/api/v0/instances?api_key=@K@\" -O out.json",
		"import vastai\nrequests.get(\"https://console.vast.ai/api/v0/instances/\", params={\"api_key\": \"@K@\"})",
		"axios.get('https://console.vast.ai/api/v0/instances', { headers: { Authorization: `Bearer @K@` } })",
		"req, _ := http.NewRequest(\"GET\", \"https://console.vast.ai/api/v0/instances/\", nil)\nreq.Header.Set(\"Authorization\", \"Bearer @K@\")",
		"const (\n\tvastAPIKey = \"@K@\"\n)",
		"ENV VAST_API_KEY=\"@K@\"",
		"ARG VAST_API_KEY=@K@",
		"docker build --build-arg VAST_API_KEY=@K@ .",
		"kubectl create secret generic vast --from-literal=VAST_API_KEY=@K@",
		"kubectl create secret generic vastai --from-literal=api-key=@K@",
		"      - run: echo \"VAST_API_KEY=@K@\" >> $GITHUB_ENV",
		"CONFIG = {\"vast\": {\"key\": \"@K@\"}}",
		"%env VAST_API_KEY=@K@",
		"os.environ['VAST_API_KEY']='@K@'",
		"alias vast='vastai --api-key @K@'",
		"Set VAST_API_KEY to @K@ before running",
		"the key for vast is @K@",
		"here's the vast api key: @K@",
		"vast key -> @K@",
		"\"vast_api_keys\": [\"@H@\", \"@K@\"]",
		"vast_keys:\n  - @H@\n  - @K@",
		"vast_keys = [\n  \"@H@\",\n  \"@K@\",\n]",
		"vastai create instance 123 --env '-e VAST_API_KEY=@K@ -p 8080:8080'",
		"locals {\n  vast_api_key = \"@K@\"\n}",
		"config:\n  myproj:vastApiKey: @K@",
		"config :app, vast_api_key: \"@K@\"",
		"local vast_api_key = \"@K@\"",
		"vast_key <- \"@K@\"",
		"const String vastApiKey = '@K@';",
		"my $vast_api_key = '@K@';",
		"environment {\n    VAST_API_KEY = '@K@'\n}",
		"$_ENV['VAST_API_KEY'] = '@K@';",
		"putenv(\"VAST_API_KEY=@K@\");",
		"let headers = [\"Authorization\": \"Bearer @K@\"]\nlet url = URL(string: \"https://console.vast.ai/api/v0/instances/\")",
		"GET https://console.vast.ai/api/v0/users/current/\nAuthorization: Bearer @K@",
		"<vastApiKey>@K@</vastApiKey>",
		"vast:\n  api-key: @K@",
		"vast.api-key: @K@",
		"client = VastClient(key=\"@K@\")",
		"vastai.api_key = \"@K@\"",
		"client = Vast::Client.new(api_key: \"@K@\")",
		"cfg := vast.Config{APIKey: \"@K@\"}",
		"let c = VastClient::new(\"@K@\");",
		"var c = new VastClient(\"@K@\");",
		"$headers = @{ Authorization = \"Bearer @K@\" }\nInvoke-RestMethod -Uri https://console.vast.ai/api/v0/instances/ -Headers $headers",
		"Invoke-RestMethod -Uri \"https://console.vast.ai/api/v0/instances/?api_key=@K@\"",
		"NEXT_PUBLIC_VAST_API_KEY=@K@",
		"VITE_VAST_API_KEY=@K@",
		"VAST_KEY=@K@",
		"VASTKEY=@K@",
		"vast-api-key: @K@",
		"VastApiKey: @K@",
		"vast.ai 的 API key：@K@",
		"helm install w ./chart --set vast.apiKey=@K@",
		"terraform apply -var vast_api_key=@K@",
		"terraform apply -var=\"vast_api_key=@K@\"",
		"VAST_KEYS=(@H@ @K@)",
		"vast_token: \"@K@\"",
		"{\n  \"vast\": {\n    \"credentials\": {\n      \"api_key\": \"@K@\"\n    }\n  }\n}",
		"[vast.ai]\napi_key = @K@",
		"[profile vast]\ntoken: @K@",
		"VAST_API_KEY:\n  @K@",
	}
	no := []string{
		"docker pull vastai/base@sha256:@K@",
		"# vast release\n\"sha256\": \"@K@\"",
		"vastai-0.2.6-py3-none-any.whl#sha256=@K@",
		"vast checksum: @K@",
		"jupyter lab --NotebookApp.token=@K@ # vast",
		"jupyter lab --ServerApp.token=@K@ # vast instance",
		"# vast template\nWEB_PASSWORD=@K@",
		"# vastai\napi_secret: @K@",
		"from vastai import VastAI\nBINANCE_API_KEY = \"@K@\"",
		"vast instance_id=@K@",
		"vast bundle_hash: @K@",
		"VAST_SSH_KEY_FINGERPRINT=@K@",
		"VAST_PUBLIC_KEY=@K@",
		"# vast.ai\nADMIN_API_KEY=@K@",
		"# vast.ai\nOPENAI_API_KEY=@K@",
		"# vast.ai gpu\ncurl -H 'X-Api-Key: @K@' https://api.example.com/v1/run",
		"vast_image_digest: @K@",
		"vast: {commit: @K@}",
		"# vast\nSIGNING_KEY=@K@",
		"# vast\nMASTER_KEY=@K@",
		"vast:\n  jupyter:\n    token: @K@\n",
		"[vast.webhook]\nkey = @K@\n",
	}
	for i, s := range yes {
		k := newKey(t)
		h := newKey(t)
		text := strings.NewReplacer("@K@", k, "@H@", h).Replace(s)
		found := false
		for _, m := range settled(Detect([]byte(text), Detectors)) {
			if m.Key == k {
				found = true
			}
		}
		if !found {
			t.Errorf("shape %d missed: %q", i, s)
		}
	}
	for i, s := range no {
		k := newKey(t)
		text := strings.ReplaceAll(s, "@K@", k)
		if ms := settled(Detect([]byte(text), Detectors)); len(ms) > 0 {
			t.Errorf("look-alike %d flagged: %q by %s", i, s, ms[0].Why)
		}
	}
}

func TestPipedSetAPIKey(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	ms := settled(Detect([]byte("printf '%s' '"+key+"' | vastai set api-key -\n"), Detectors))
	if len(ms) != 1 || ms[0].Detector.ID != "vast-cli-set-api-key-stdin" {
		t.Fatalf("matches = %+v", ms)
	}
}
