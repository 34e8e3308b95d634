package scan

import (
	"regexp"
	"slices"
)

// Confidence says how sure a detector is that a 64-hex value is a Vast key.
type Confidence string

const (
	// High: the value is bound to something that names Vast: a Vast key
	// name, a Vast CLI, SDK or URL, a section or block for Vast, the
	// vastai key file.
	High Confidence = "high"
	// Medium: the value is bound to a generic key name (api_key, token,
	// Bearer) and only the file, its path or the code next to it says
	// Vast.
	Medium Confidence = "medium"
)

// rank orders confidences: an unknown value ranks as Medium.
func (c Confidence) rank() int {
	if c == High {
		return 2
	}
	return 1
}

// AtLeast reports whether c is min or surer. An empty min means Medium.
func (c Confidence) AtLeast(min Confidence) bool { return c.rank() >= min.rank() }

// ParseConfidence reads "high" or "medium" (any case); "" is Medium.
func ParseConfidence(s string) (Confidence, bool) {
	switch s {
	case "", "medium", "Medium", "MEDIUM":
		return Medium, true
	case "high", "High", "HIGH":
		return High, true
	}
	return "", false
}

// NameRule says what the bound name must be for a detector to accept it.
type NameRule string

const (
	NameAny     NameRule = ""        // no condition on the name
	NameVast    NameRule = "vast"    // names Vast and a key: VAST_API_KEY, vastai_token, "old vast key"
	NameGeneric NameRule = "generic" // a key word alone: api_key, token, apiKey, Bearer
	NameKeyFlag NameRule = "flag"    // a key flag: --api-key, --token
	// NamePhrase: the words before the value in prose name Vast and a key
	// ("old vast key was", "Vast API key:") though the name alone does not.
	NamePhrase NameRule = "phrase"
	// NameOutput: no name, or one that only says output (a notebook's
	// "text" of a stream output, stdout).
	NameOutput NameRule = "output"
)

// Scope is the evidence besides the name that a value is Vast's.
type Scope string

const (
	ScopeNone      Scope = ""               // the name is enough
	ScopeProgram   Scope = "vast-program"   // the command line runs a Vast CLI (vastai, vast, vast.py)
	ScopeInstaller Scope = "vast-installer" // the Vast host installer (console.vast.ai/install)
	ScopeCall      Scope = "vast-call"      // an argument of a call named for Vast (VastAI(…))
	ScopeURL       Scope = "vast-url"       // a request to *.vast.ai
	ScopeSection   Scope = "vast-section"   // the enclosing section or block names Vast
	ScopeFile      Scope = "vast-file"      // the text mentions Vast and nothing nearer names another service
	ScopePath      Scope = "vast-path"      // the file's path names Vast (decided when the path is known)
	ScopeReader    Scope = "vast-reader"    // code next to the file that mentions Vast reads it
	ScopeKeyFile   Scope = "vast-key-file"  // the value is written into a file named for Vast's key
	ScopeBareLine  Scope = "vast-path-bare" // a value alone on its line in a file whose path names a Vast key
	ScopeKeyRead   Scope = "vast-key-read"  // the value alone on its line is what reading Vast's key file printed
)

// Lines says where the name may be relative to the value.
type Lines int8

const (
	AnyLine   Lines = iota
	SameLine        // name and value on one line
	LineAbove       // the name on a line above (YAML, Kubernetes, continued commands)
)

// Detector is one way Vast keys leak, as data: the bindings it accepts,
// what the bound name must say and what other evidence it needs. The first
// detector (in Detectors order) that accepts a candidate names its finding.
type Detector struct {
	ID          string // stable; the JSON "rule" and the SARIF ruleId
	Name        string // short title
	Description string // one sentence: what leaked and where
	Confidence  Confidence

	// Via lists the bindings accepted; empty accepts any.
	Via []Via
	// Lines says where the bound name must be.
	Lines Lines
	// Bound is the condition on the bound name.
	Bound NameRule
	// Scope is the evidence the detector needs besides the name.
	Scope Scope
	// Base64 detectors accept keys that are base64-encoded where a key
	// would be (Kubernetes Secret data): the other fields are checked on
	// the encoded value's binding.
	Base64 bool
	// WholeFile detectors accept a blob that holds nothing but the key (and
	// whitespace); Path then decides, by the file's path, whether it counts.
	WholeFile bool
	Path      *regexp.Regexp
	// PathRule, for WholeFile detectors without Path: the path must name a
	// Vast key (vastKeyPath).
	PathRule bool
}

// vastKeyFileName matches the vastai CLI's key file: vast_api_key,
// ~/.vast_api_key, ~/.config/vastai/vast_api_key.
var vastKeyFileName = regexp.MustCompile(`(?i)(?:^|/)\.?vast_?api_?key(?:\.txt)?$`)

var assignLike = []Via{ViaAssign, ViaDefault, ViaArgument, ViaSpace, ViaRecord, ViaTable, ViaElement, ViaQuery, ViaColumn}

// Detectors are the rules, most specific first.
var Detectors = []Detector{
	{
		ID: "vast-cli-set-api-key", Name: "vastai set api-key", Confidence: High,
		Description: "A Vast API key passed to `set api-key` of a Vast CLI (vastai, vast, vast.py, python3 vast.py; typed or in an argv list), which stores it for the CLI.",
		Via:         []Via{ViaSetAPIKey}, Scope: ScopeProgram,
	},
	{
		ID: "vast-cli-set-api-key-stdin", Name: "piped to vastai set api-key", Confidence: High,
		Description: "A Vast API key piped into `set api-key` of a Vast CLI (echo KEY | vastai set api-key -).",
		Via:         []Via{ViaPipe}, Scope: ScopeProgram,
	},
	{
		ID: "vast-cli-flag", Name: "vastai --api-key", Confidence: High,
		Description: "A Vast API key passed to a Vast CLI with --api-key.",
		Via:         []Via{ViaFlag}, Lines: SameLine, Bound: NameKeyFlag, Scope: ScopeProgram,
	},
	{
		ID: "vast-cli-flag-continued", Name: "vastai --api-key on a continued line", Confidence: High,
		Description: "A Vast API key passed to a Vast CLI with --api-key, on a continuation line of the command.",
		Via:         []Via{ViaFlag}, Lines: LineAbove, Bound: NameKeyFlag, Scope: ScopeProgram,
	},
	{
		ID: "vast-host-installer", Name: "Vast host installer key", Confidence: High,
		Description: "A Vast API key given to the Vast host installer fetched from console.vast.ai/install (sudo python3 install KEY).",
		Via:         []Via{ViaSpace}, Scope: ScopeInstaller,
	},
	{
		ID: "vast-sdk-constructor", Name: "VastAI(api_key=...)", Confidence: High,
		Description: "A Vast API key given to a call named for Vast: the vastai SDK's VastAI constructor, a Vast client class.",
		Via:         []Via{ViaArgument, ViaAssign}, Scope: ScopeCall,
	},
	{
		ID: "vast-url-api-key", Name: "Vast API URL with api_key", Confidence: High,
		Description: "A Vast API key in a vast.ai URL's api_key parameter, as vastai CLIs before 2026-08 put it in every request URL (and logs and error messages repeat it).",
		Via:         []Via{ViaQuery}, Bound: NameGeneric, Scope: ScopeURL,
	},
	{
		ID: "vast-bearer", Name: "Bearer token to the Vast API", Confidence: High,
		Description: "A Vast API key sent as an Authorization: Bearer token in a request to vast.ai (curl, code, HTTP recordings, Postman and HAR files).",
		Via:         []Via{ViaBearer}, Scope: ScopeURL,
	},
	{
		ID: "vast-host-credential", Name: "credential for a vast.ai host", Confidence: High,
		Description: "A 64-hex credential recorded for a vast.ai host: a .netrc entry (machine console.vast.ai ... password KEY), a row of a password manager's CSV export whose URL is cloud.vast.ai.",
		Via:         []Via{ViaNetrc, ViaColumn}, Scope: ScopeURL,
	},
	{
		ID: "vast-env-assignment", Name: "VAST_API_KEY assignment", Confidence: High,
		Description: "A Vast API key bound to a name for Vast's key (VAST_API_KEY=, vast_api_key:, const VAST_API_KEY: string =, os.getenv(\"VAST_API_KEY\") or \"…\", ${VAST_API_KEY:-…}, setx VAST_API_KEY, --vast-api-key), in env, shell, YAML, JSON, TOML, HCL, properties or code.",
		Via:         append([]Via{ViaFlag, ViaPhrase}, assignLike...), Lines: SameLine, Bound: NameVast,
	},
	{
		ID: "vast-name-value", Name: "name/value pair named for Vast", Confidence: High,
		Description: "A Vast API key as the value of a name/value pair whose name is Vast's key: Kubernetes and ECS env entries, .NET appSettings, Postman variables, Terraform variable defaults.",
		Via:         []Via{ViaNameValue}, Lines: SameLine, Bound: NameVast,
	},
	{
		ID: "vast-name-value-next-line", Name: "name, then value on the next line", Confidence: High,
		Description: "A Vast API key as the value of a name/value pair whose name, on a line above, is Vast's key: Kubernetes and ECS env entries, Terraform variable blocks.",
		Via:         []Via{ViaNameValue}, Lines: LineAbove, Bound: NameVast,
	},
	{
		ID: "vast-assignment-next-line", Name: "Vast key name, value on the next line", Confidence: High,
		Description: "A Vast API key on a line after the name for Vast's key that it is assigned to (VAST_API_KEY = (\\n 'KEY' \\n), process.env.VAST_API_KEY ||\\n 'KEY').",
		Via:         append([]Via{ViaFlag, ViaPhrase}, assignLike...), Lines: LineAbove, Bound: NameVast,
	},
	{
		ID: "vast-block-scalar", Name: "YAML block under a Vast key name", Confidence: High,
		Description: "A Vast API key on its own line under a YAML block scalar (vast_api_key: |), a list, or an HCL heredoc named for Vast.",
		Via:         []Via{ViaBlock, ViaList}, Bound: NameVast,
	},
	{
		ID: "vast-secret-cli", Name: "secret stored under a Vast name", Confidence: High,
		Description: "A Vast API key handed to a secrets tool under a Vast name (gh secret set VAST_API_KEY --body ..., aws secretsmanager --name vast-api-key --secret-string ...).",
		Via:         []Via{ViaSecretCLI}, Bound: NameVast,
	},
	{
		ID: "vast-key-file-write", Name: "written to the vastai key file", Confidence: High,
		Description: "A Vast API key written into a file named for Vast's key (echo KEY > ~/.vast_api_key, | tee ~/.config/vastai/vast_api_key, a heredoc).",
		Via:         []Via{ViaFileWrite}, Scope: ScopeKeyFile,
	},
	{
		ID: "vast-key-file-output", Name: "printed from the vastai key file", Confidence: High,
		Description: "A Vast API key alone on its line right where a command printed the vastai key file (cat ~/.config/vastai/vast_api_key in a terminal transcript, or in a notebook cell whose output holds the key).",
		Via:         []Via{ViaBare, ViaList, ViaAssign, ViaBlock}, Bound: NameOutput, Scope: ScopeKeyRead,
	},
	{
		ID: "vast-key-phrase", Name: "Vast key named in prose", Confidence: High,
		Description: "A Vast API key after a phrase that names it (\"old vast key was KEY\", \"Vast API key: KEY\") in a commit or tag message, a note, docs or comments.",
		Via:         []Via{ViaPhrase, ViaAssign, ViaSpace, ViaDefault}, Bound: NamePhrase,
	},
	{
		ID: "vast-base64-secret", Name: "base64 under a Vast key name", Confidence: High,
		Description: "A Vast API key base64-encoded under a Vast name or in a block for Vast, as Kubernetes Secret data holds it (VAST_API_KEY: <base64>).",
		Base64:      true,
	},
	{
		ID: "vast-section-key", Name: "key in a section for Vast", Confidence: High,
		Description: "A 64-hex value bound to a generic key name (api_key, token, apiKey) inside a section or block for Vast: [vast] in TOML or INI, vast: in YAML, provider \"vastai\" in HCL, a dstack backend of type vastai, \"vast\": { in JSON.",
		Via:         append([]Via{ViaNameValue, ViaBlock, ViaList, ViaFlag}, assignLike...), Bound: NameGeneric, Scope: ScopeSection,
	},
	{
		ID: "vast-key-file", Name: "vastai key file", Confidence: High,
		Description: "The vastai CLI's key file (vast_api_key, .vast_api_key), whose whole content is the key.",
		WholeFile:   true,
		Path:        vastKeyFileName,
	},
	{
		ID: "vast-named-key-file", Name: "key file named for Vast", Confidence: Medium,
		Description: "A file whose whole content is a 64-hex key and whose path names Vast and a key, token, secret or credential, or is a plain key or env file (secrets/vast.txt, vast-token, vastai.env).",
		WholeFile:   true, PathRule: true,
	},
	{
		ID: "generic-key-in-vast-file", Name: "generic key in a Vast file", Confidence: Medium,
		Description: "A 64-hex value bound to an api key, token or Bearer header in a file that mentions Vast, when nothing nearer names another service.",
		Via:         append([]Via{ViaNameValue, ViaFlag, ViaBearer, ViaPhrase, ViaSecretCLI}, assignLike...), Lines: SameLine, Bound: NameGeneric, Scope: ScopeFile,
	},
	{
		ID: "generic-key-block-in-vast-file", Name: "generic key block in a Vast file", Confidence: Medium,
		Description: "A 64-hex value on a line under a generic key name (a YAML block or list for an api key or token, a name on the line above) in a file that mentions Vast.",
		Via:         append([]Via{ViaNameValue, ViaBlock, ViaList, ViaFlag, ViaBearer}, assignLike...), Lines: LineAbove, Bound: NameGeneric, Scope: ScopeFile,
	},
	{
		ID: "generic-key-in-vast-path", Name: "generic key in a file named for Vast", Confidence: Medium,
		Description: "A 64-hex value bound to a generic key name in a file whose path names Vast (vast_config.json, vastai.env, .vast/credentials).",
		Via:         append([]Via{ViaNameValue, ViaBlock, ViaList, ViaFlag, ViaBearer, ViaPhrase}, assignLike...), Bound: NameGeneric, Scope: ScopePath,
	},
	{
		ID: "vast-path-bare-value", Name: "value alone in a file named for a Vast key", Confidence: Medium,
		Description: "A 64-hex value alone on its line in a file whose path names Vast and a key (secrets/vast.txt with comments, vast_keys.txt).",
		Via:         []Via{ViaBare}, Scope: ScopeBareLine,
	},
	{
		ID: "generic-key-read-by-vast-code", Name: "generic key in a file Vast code reads", Confidence: Medium,
		Description: "A 64-hex value bound to a generic key name in a file, or alone in a file named for a key (api_key.txt, token), that code next to it, which talks to Vast, opens by name (with open(\"config.json\") beside a VastAI client).",
		Via:         append([]Via{ViaNameValue, ViaBlock, ViaList, ViaFlag, ViaBearer}, assignLike...), Bound: NameGeneric, Scope: ScopeReader,
	},
}

func (d *Detector) acceptsVia(v Via) bool { return len(d.Via) == 0 || slices.Contains(d.Via, v) }

func (d *Detector) acceptsLines(above bool) bool {
	switch d.Lines {
	case SameLine:
		return !above
	case LineAbove:
		return above
	}
	return true
}
