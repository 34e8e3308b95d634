package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/vastguard/vastguard/internal/golden"
	"github.com/vastguard/vastguard/scan/scantest"
)

// badInput is one entry of the bad-input catalogue: a flag or an Action
// input given a malformed value, and the start of the one-line error that
// must name what to fix. The catalogue drives TestBadInputCatalogue and is
// the README's "Bad input" table (testdata/bad-input.md, rewritten with
// -update).
type badInput struct {
	where string            // "vastguard keys create --name", "input ttl"
	value string            // what was given, as shown in the README
	args  []string          // CLI: the arguments; nil for an Action input
	stdin string            // CLI: standard input
	with  map[string]string // Action: the step's with:
	env   map[string]string // CLI: environment besides the fake API's; Action: the job's environment, over the runner model's
	want  string            // the error line starts with "vastguard: "+want (CLI) or "::error title=vastguard::"+want (Action)
	doc   string            // want as the README shows it, where want holds a temporary path
}

func catalogue(t *testing.T) []badInput {
	notRepo := t.TempDir()
	r := scantest.New(t)
	r.Commit("c", scantest.Files{"a": "a"})
	r.CheckoutWorktree()
	badBaseline := filepath.Join(t.TempDir(), "bad-baseline.txt")
	os.WriteFile(badBaseline, []byte("not a hash\n"), 0o644)
	cfgDir := t.TempDir()
	cacheDir := t.TempDir()
	badConfig := filepath.Join(cfgDir, "bad.yaml")
	os.WriteFile(badConfig, []byte("min-confidence: high\nexclude-paths: testdata/**\n"), 0o644)
	unknownConfig := filepath.Join(cfgDir, "typo.yaml")
	os.WriteFile(unknownConfig, []byte("exclude_paths: [testdata/**]\n"), 0o644)
	// Over 1 MiB of keys: revoke used to read the first MiB and act on it.
	var manyKeys strings.Builder
	for i := range 10001 {
		fmt.Fprintf(&manyKeys, "VAST_API_KEY=leaked-key-%05d-%s\n", i, strings.Repeat("x", 100))
	}
	const dupPerms = `{"api": {"user_read": {}, "user_read": {}}}`
	// A repository with a 2 KiB blob, for the budgets.
	big := scantest.New(t)
	big.Commit("big", scantest.Files{"big.txt": strings.Repeat("x", 2048)})
	big.CheckoutWorktree()
	// A bare repository layout committed under sub/, as a decoy.
	decoyParent := scantest.New(t)
	decoyParent.Commit("c", scantest.Files{"README": "x\n"})
	decoyParent.CheckoutWorktree()
	decoy := scantest.New(t)
	decoy.Commit("decoy", scantest.Files{"README": "nothing\n"})
	if err := os.CopyFS(filepath.Join(decoyParent.Dir, "sub"), os.DirFS(filepath.Join(decoy.Dir, ".git"))); err != nil {
		t.Fatal(err)
	}
	eventFIFO := filepath.Join(t.TempDir(), "event.json")
	if err := syscall.Mkfifo(eventFIFO, 0o644); err != nil {
		t.Fatal(err)
	}
	return []badInput{
		// The CLI.
		{where: "vastguard (no command)", value: "", args: []string{}, want: "no command given (see vastguard help)"},
		{where: "vastguard COMMAND", value: "frobnicate", args: []string{"frobnicate"}, want: `unknown command "frobnicate" (commands: scan, revoke, keys,`},
		{where: "vastguard COMMAND", value: "scna", args: []string{"scna"}, want: `unknown command "scna": did you mean scan?`},
		{where: "vastguard help COMMAND", value: "frobnicate", args: []string{"help", "frobnicate"}, want: `help: unknown command "frobnicate"`},
		{where: "vastguard keys list --api-url", value: "ftp://x", args: []string{"keys", "list", "--api-url", "ftp://x"}, want: `--api-url: API URL "ftp://x" must start with https://`},
		{where: "vastguard keys", value: "rotate", args: []string{"keys", "rotate"}, want: `keys: unknown subcommand "rotate"`},
		{where: "vastguard keys", value: "(nothing)", args: []string{"keys"}, want: "keys: missing subcommand (list, create, delete, reset"},
		{where: "vastguard keys list", value: "--bogus", args: []string{"keys", "list", "--bogus"}, want: "keys list: unknown flag: --bogus (see vastguard keys list --help)"},
		{where: "vastguard scan", value: "-format json (one dash)", args: []string{"scan", "-format", "json"}, want: "scan: -format: a long flag takes two dashes: --format"},
		{where: "vastguard scan --format", value: "(no value)", args: []string{"scan", "--format"}, want: "scan: flag needs an argument: --format"},
		{where: "vastguard scan --workers", value: "many", args: []string{"scan", "--workers", "many"}, want: `scan: invalid argument "many" for "--workers" flag`},
		{where: "vastguard completion SHELL", value: "tcsh", args: []string{"completion", "tcsh"}, want: `completion: unknown subcommand "tcsh" (bash, zsh, fish, powershell)`},
		{where: "vastguard keys create --name", value: "(missing)", args: []string{"keys", "create", "--permissions", "read-only"}, want: "keys create: --name is required, 1 to 255 characters"},
		{where: "vastguard keys create --name", value: "256 characters", args: []string{"keys", "create", "--name", strings.Repeat("n", 256), "--permissions", "read-only"}, want: "keys create: --name is required, 1 to 255 characters"},
		{where: "vastguard keys create --permissions", value: "(missing)", args: []string{"keys", "create", "--name", "x"}, want: "keys create: --permissions is required"},
		{where: "vastguard keys create --permissions", value: "read-write", args: []string{"keys", "create", "--name", "x", "--permissions", "read-write"}, want: `--permissions: unknown preset "read-write"; use one of read-only, instance-management, autoscaler, full`},
		{where: "vastguard keys create --permissions", value: `{"api": {`, args: []string{"keys", "create", "--name", "x", "--permissions", `{"api": {`}, want: "--permissions: not valid JSON"},
		{where: "vastguard keys create --permissions", value: `{"api": {"gpu_write": {}}}`, args: []string{"keys", "create", "--name", "x", "--permissions", `{"api": {"gpu_write": {}}}`}, want: "--permissions: api.gpu_write: unknown category"},
		{where: "vastguard keys create --permissions", value: `{"api": {"misc": {"api.x": {"constraints": {"id": {"ne": 1}}}}}}`, args: []string{"keys", "create", "--name", "x", "--permissions", `{"api": {"misc": {"api.x": {"constraints": {"id": {"ne": 1}}}}}}`}, want: `--permissions: api.misc."api.x".constraints.id.ne: unknown operator; use eq, lte or gte`},
		{where: "vastguard keys create --permissions", value: "full", args: []string{"keys", "create", "--name", "x", "--permissions", "full"}, want: "--permissions: this grants full access"},
		{where: "vastguard keys create --permissions", value: dupPerms, args: []string{"keys", "create", "--name", "x", "--permissions", dupPerms}, want: "--permissions: api.user_read: named twice in one object"},
		{where: "vastguard keys create --output", value: "a missing directory", args: []string{"keys", "create", "--name", "x", "--permissions", "read-only", "--output", filepath.Join(notRepo, "no", "k")}, want: "--output: cannot write in"},
		{where: "vastguard keys reset", value: "without --yes", args: []string{"keys", "reset"}, want: "keys reset replaces the key from VAST_API_KEY with a new value and the old one stops working at once; the Vast API may instead reset the account's main key (unverified); run it again with --yes"},
		{where: "vastguard keys delete ID", value: "abc", args: []string{"keys", "delete", "abc"}, want: `keys delete: "abc" is not a key id`},
		{where: "vastguard keys delete ID", value: "(missing)", args: []string{"keys", "delete"}, want: "keys delete takes one key id"},
		{where: "vastguard keys delete ID", value: "+7", args: []string{"keys", "delete", "+7"}, want: `keys delete: "+7" is not a key id`},
		{where: "vastguard keys delete ID", value: "0x7", args: []string{"keys", "delete", "0x7"}, want: `keys delete: "0x7" is not a key id`},
		{where: "vastguard scan PATH", value: "not a repository", args: []string{"scan", notRepo}, want: "scan: " + notRepo + " is not a git repository", doc: "scan: DIR is not a git repository"},
		{where: "vastguard scan PATH", value: "missing", args: []string{"scan", filepath.Join(notRepo, "x")}, want: "scan: " + filepath.Join(notRepo, "x") + " does not exist", doc: "scan: DIR/x does not exist"},
		{where: "vastguard scan --format", value: "xml", args: []string{"scan", r.Dir, "--format", "xml"}, want: `scan: --format "xml": use text, json or sarif`},
		{where: "vastguard scan --min-confidence", value: "low", args: []string{"scan", r.Dir, "--min-confidence", "low"}, want: `scan: --min-confidence "low": use high or medium`},
		{where: "vastguard scan --range", value: "main", args: []string{"scan", r.Dir, "--range", "main"}, want: `scan: --range "main": write it as BASE..HEAD`},
		{where: "vastguard scan --range", value: "a..b..c", args: []string{"scan", r.Dir, "--range", "a..b..c"}, want: `scan: --range "a..b..c": write it as BASE..HEAD`},
		{where: "vastguard scan --range", value: "origin/main..HEAD (base not fetched)", args: []string{"scan", r.Dir, "--range", "origin/main..HEAD"}, want: `scan: revision "origin/main" is not in the clone; check out with fetch-depth: 0`},
		{where: "vastguard scan --since", value: "v9 (missing)", args: []string{"scan", r.Dir, "--since", "v9"}, want: `scan: revision "v9" is not in the clone`},
		{where: "vastguard scan --staged --range", value: "both", args: []string{"scan", r.Dir, "--staged", "--range", "a..b"}, want: "scan: choose one of a range, --since and --staged"},
		{where: "vastguard scan --baseline", value: "a line that is not a hash", args: []string{"scan", r.Dir, "--baseline", badBaseline}, want: "--baseline " + badBaseline + ": baseline: line 1 is not a 64-character hex key_sha256", doc: "--baseline FILE: baseline: line 1 is not a 64-character hex key_sha256"},
		{where: "vastguard scan --workers", value: "-1", args: []string{"scan", r.Dir, "--workers", "-1"}, want: "scan: --workers must be positive"},
		{where: "vastguard scan --config", value: "a list given as a string", args: []string{"scan", r.Dir, "--config", badConfig}, want: badConfig + ":2: exclude-paths: a list is expected", doc: "FILE:2: exclude-paths: a list is expected"},
		{where: "vastguard scan --config", value: "a misspelt field", args: []string{"scan", r.Dir, "--config", unknownConfig}, want: unknownConfig + `:1: unknown field "exclude_paths" (known: baseline, disable-rules, examples, exclude-paths, min-confidence)`, doc: `FILE:1: unknown field "exclude_paths" (known: baseline, disable-rules, examples, exclude-paths, min-confidence)`},
		{where: "vastguard scan --config", value: "missing", args: []string{"scan", r.Dir, "--config", filepath.Join(cfgDir, "none.yaml")}, want: "--config: lstat " + filepath.Join(cfgDir, "none.yaml") + ": no such file or directory", doc: "--config: lstat DIR/none.yaml: no such file or directory"},
		{where: "vastguard scan --write-baseline", value: "a missing directory", args: []string{"scan", r.Dir, "--write-baseline", filepath.Join(notRepo, "no", "b")}, want: "--write-baseline: cannot write in " + filepath.Join(notRepo, "no") + ": no such file or directory", doc: "--write-baseline: cannot write in DIR/no: no such file or directory"},
		{where: "vastguard scan --write-baseline", value: "a directory", args: []string{"scan", r.Dir, "--write-baseline", notRepo}, want: "--write-baseline " + notRepo + " is a directory; name a file", doc: "--write-baseline DIR is a directory; name a file"},
		{where: "vastguard scan --cache --range", value: "both", args: []string{"scan", r.Dir, "--cache", cacheDir, "--range", "HEAD~1..HEAD"}, want: "scan: --cache speeds up whole-history scans; --range reads only what it names already, so leave --cache out"},
		{where: "vastguard scan --cache --staged", value: "both", args: []string{"scan", r.Dir, "--cache", cacheDir, "--staged"}, want: "scan: --cache speeds up whole-history scans; --staged reads only what it names already, so leave --cache out"},
		{where: "vastguard scan --cache --no-git", value: "both", args: []string{"scan", "--no-git", notRepo, "--cache", cacheDir}, want: "scan: --cache reads git history; it does not go with --no-git"},
		{where: "vastguard scan --cache (VASTGUARD_CACHE_KEY)", value: "short", args: []string{"scan", r.Dir, "--cache", cacheDir}, env: map[string]string{"VASTGUARD_CACHE_KEY": "short"}, want: "scan: VASTGUARD_CACHE_KEY is 5 bytes; use at least 16"},
		{where: "vastguard scan --no-git --range", value: "both", args: []string{"scan", "--no-git", notRepo, "--range", "a..b"}, want: "scan: --range reads git history; it does not go with --no-git"},
		{where: "vastguard scan --no-git --max-archive-depth", value: "17", args: []string{"scan", "--no-git", notRepo, "--max-archive-depth", "17"}, want: "scan: --max-archive-depth 17: use 0 (open no archive) to 16"},
		{where: "vastguard scan --no-git PATH", value: "missing", args: []string{"scan", "--no-git", filepath.Join(notRepo, "x")}, want: "scan: " + filepath.Join(notRepo, "x") + " does not exist", doc: "scan: DIR/x does not exist"},
		{where: "vastguard scan - --since", value: "v1", args: []string{"scan", "-", "--since", "v1"}, want: "scan: --since reads git history; it does not go with - (standard input)"},
		{where: "vastguard scan --github-actions-logs", value: "acme", args: []string{"scan", "--github-actions-logs", "acme"}, want: `scan: --github-actions-logs "acme": give the repository as OWNER/REPO`},
		{where: "vastguard scan --github-actions-logs PATH", value: "a path too", args: []string{"scan", ".", "--github-actions-logs", "acme/gpu"}, want: `scan: --github-actions-logs reads a repository's runs from GitHub; give no PATH (got ".")`},
		{where: "vastguard scan --github-actions-logs --since", value: "yesterday", args: []string{"scan", "--github-actions-logs", "acme/gpu", "--since", "yesterday"}, want: `scan: --since "yesterday": give a date (2026-09-01), an RFC 3339 time, or an age (30d, 12h)`},
		{where: "vastguard scan --github-actions-logs --max-runs", value: "0", args: []string{"scan", "--github-actions-logs", "acme/gpu", "--max-runs", "0"}, want: "scan: --max-runs must be at least 1"},
		{where: "vastguard scan --github-actions-logs", value: "no GitHub token", args: []string{"scan", "--github-actions-logs", "acme/gpu"}, want: "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN), or pass --token"},
		{where: "vastguard scan --workers", value: "1000000000", args: []string{"scan", r.Dir, "--workers", "1000000000"}, want: "scan: --workers 1000000000 is more than 256; leave it out to use one per CPU"},
		{where: "vastguard scan --max-object-size", value: "lots", args: []string{"scan", r.Dir, "--max-object-size", "lots"}, want: `scan: invalid argument "lots" for "--max-object-size" flag: "lots" is not a size; write it as 2GiB, 512MiB or a number of bytes`},
		{where: "vastguard scan --max-delta-size", value: "0", args: []string{"scan", r.Dir, "--max-delta-size", "0"}, want: `scan: invalid argument "0" for "--max-delta-size" flag: "0": a size must be more than 0`},
		{where: "vastguard scan --max-memory", value: "-1GiB", args: []string{"scan", r.Dir, "--max-memory", "-1GiB"}, want: `scan: invalid argument "-1GiB" for "--max-memory" flag: "-1GiB" is not a size`},
		{where: "vastguard scan --max-object-size", value: "1KiB (a 2 KiB blob)", args: []string{"scan", big.Dir, "--max-object-size", "1KiB"}, want: "scan: loose object " + plumbing.ComputeHash(plumbing.BlobObject, []byte(strings.Repeat("x", 2048))).String() + ": a blob of 2.0 KiB is over the 1.0 KiB limit (MaxObjectSize); a real repository stays far below it, so the repository is corrupt or hostile (only if you trust it, raise the limit: scan.Options.MaxObjectSize, or vastguard scan --max-object-size SIZE (Action input max-object-size)"},
		{where: "vastguard scan PATH", value: "a bare layout committed inside a work tree", args: []string{"scan", filepath.Join(decoyParent.Dir, "sub")}, want: "scan: " + filepath.Join(decoyParent.Dir, "sub") + " holds a bare repository layout inside the work tree " + decoyParent.Dir, doc: "scan: DIR/sub holds a bare repository layout inside the work tree DIR, where a repository can commit a decoy to be scanned instead; scan DIR instead, or, if this one is yours, allow a bare repository inside a work tree (as git's safe.bareRepository=all does): scan.Options.AllowBareInWorkTree, or vastguard scan --allow-bare-repository"},
		{where: "vastguard scan --verify --api-url", value: "ftp://x", args: []string{"scan", r.Dir, "--verify", "--api-url", "ftp://x"}, want: `--api-url or VAST_URL: API URL "ftp://x" must start with https://`},
		{where: "vastguard keys list --api-url", value: "https://x.test:99999", args: []string{"keys", "list", "--api-url", "https://x.test:99999"}, want: `--api-url: API URL "https://x.test:99999": port 99999 is not a port (1 to 65535)`},
		{where: "vastguard keys list --api-url", value: "https://x.test:abc", args: []string{"keys", "list", "--api-url", "https://x.test:abc"}, want: `--api-url: API URL "https://x.test:abc" is not a URL`},
		{where: "vastguard keys list --api-url", value: "https://x.test/?", args: []string{"keys", "list", "--api-url", "https://x.test/?"}, want: "--api-url: API URL must not carry a query, fragment or credentials"},
		{where: "vastguard keys list --api-url", value: "https://x.test/#", args: []string{"keys", "list", "--api-url", "https://x.test/#"}, want: "--api-url: API URL must not carry a query, fragment or credentials"},
		{where: "vastguard keys list --api-url", value: "http://console.vast.ai", args: []string{"keys", "list", "--api-url", "http://console.vast.ai"}, want: `--api-url: "http://console.vast.ai": http:// is only for a local fake (127.0.0.1, ::1, localhost); use https://`},
		{where: "vastguard revoke KEY", value: "a key on the command line", args: []string{"revoke", "deadbeef"}, want: "revoke takes no key on the command line (ps would show it)"},
		{where: "vastguard revoke (stdin)", value: "empty", args: []string{"revoke"}, want: "no key in stdin"},
		{where: "vastguard revoke (stdin)", value: "two words", args: []string{"revoke"}, stdin: "two words\n", want: "reading keys from stdin: line 1 is not a single key"},
		{where: "vastguard revoke (stdin)", value: "a 2 MiB line", args: []string{"revoke"}, stdin: strings.Repeat("a", 2<<20) + "\n", want: "reading keys from stdin: line 1 is longer than 64 KiB: not a key"},
		{where: "vastguard revoke (stdin)", value: "10,001 keys (1.2 MiB)", args: []string{"revoke"}, stdin: manyKeys.String(), want: "reading keys from stdin: more than 10000 keys: split them over several runs"},
		{where: "vastguard revoke --replace", value: "without --output", args: []string{"revoke", "--replace"}, stdin: "k\n", want: "revoke --replace needs --output FILE or --rotate-secret NAME --repo OWNER/NAME"},
		{where: "vastguard revoke --rotate-secret", value: "GITHUB_X", args: []string{"revoke", "--replace", "--rotate-secret", "GITHUB_X", "--repo", "a/b"}, stdin: "k\n", want: `--rotate-secret: "GITHUB_X" is not a valid secret name`},
		{where: "vastguard revoke --repo", value: "no-slash", args: []string{"revoke", "--replace", "--rotate-secret", "VAST_API_KEY", "--repo", "no-slash"}, stdin: "k\n", want: `--rotate-secret needs --repo OWNER/NAME (got "no-slash")`},
		{where: "vastguard revoke --replacement-permissions", value: "nope", args: []string{"revoke", "--replace", "--output", "x", "--replacement-permissions", "nope"}, stdin: "k\n", want: `--replacement-permissions: unknown preset "nope"`},
		{where: "vastguard revoke --key-file", value: "/nonexistent", args: []string{"revoke", "--key-file", "/nonexistent"}, want: "--key-file: open /nonexistent"},
		{where: "vastguard repos --github-api-url", value: "http://ghe.example/api/v3", args: []string{"repos", "--org", "acme", "--token", "ghp_x", "--github-api-url", "http://ghe.example/api/v3"}, want: `--github-api-url: GitHub API URL "http://ghe.example/api/v3": http:// is only for a local fake (127.0.0.1, ::1, localhost); use https://`},
		{where: "vastguard repos --github-api-url", value: "https://ghe.example:99999/api/v3", args: []string{"repos", "--org", "acme", "--token", "ghp_x", "--github-api-url", "https://ghe.example:99999/api/v3"}, want: `--github-api-url: GitHub API URL "https://ghe.example:99999/api/v3": port 99999 is not a port (1 to 65535)`},
		{where: "vastguard repos --github-api-url", value: "https://ghe.example/api/v3?", args: []string{"repos", "--org", "acme", "--token", "ghp_x", "--github-api-url", "https://ghe.example/api/v3?"}, want: "--github-api-url: GitHub API URL must not carry credentials, a query or a fragment"},
		{where: "vastguard sweep", value: "an argument", args: []string{"sweep", "now"}, want: `sweep takes no arguments (got "now")`},
		{where: "vastguard audit", value: "an argument", args: []string{"audit", "all"}, want: `audit takes no arguments (got "all")`},
		{where: "vastguard broker --config", value: "(missing)", args: []string{"broker"}, want: "broker: --config FILE is required"},
		{where: "vastguard broker --log-format", value: "xml", args: []string{"broker", "--config", "b.yaml", "--log-format", "xml"}, want: `broker: --log-format "xml": use text or json`},

		// The Action's inputs.
		{where: "input command", value: "rotate", with: map[string]string{"command": "rotate"}, want: `input command: "rotate" is not a command; use mint, scan, sweep, audit or repos`},
		{where: "input on-leak", value: "reset without rotate-secret", with: map[string]string{"command": "scan", "on-leak": "reset"}, want: "input rotate-secret: on-leak: reset needs the name of the repository secret"},
		{where: "input rotate-secret", value: "GITHUB_TOKEN", with: map[string]string{"command": "scan", "on-leak": "reset", "rotate-secret": "GITHUB_TOKEN"}, want: `input rotate-secret: "GITHUB_TOKEN" is not a valid secret name: names starting with GITHUB_ are reserved`},
		{where: "input rotate-secret", value: "VAST KEY", with: map[string]string{"command": "scan", "on-leak": "reset", "rotate-secret": "VAST KEY"}, want: `input rotate-secret: "VAST KEY" is not a valid secret name: use only letters, digits and underscores`},
		{where: "input upload-sarif", value: "please", with: map[string]string{"command": "scan", "upload-sarif": "please"}, want: `input upload-sarif: "please" is not a boolean`},
		{where: "input min-confidence", value: "low", with: map[string]string{"command": "scan", "min-confidence": "low"}, want: `input min-confidence: "low": use high or medium`},
		{where: "input github-token", value: "(empty) with upload-sarif", with: map[string]string{"command": "scan", "upload-sarif": "true", "github-token": ""}, want: "input github-token: is empty: upload-sarif needs a token with security-events: write"},
		{where: "input org", value: "(empty) for repos", with: map[string]string{"command": "repos"}, want: "input org: is empty"},
		{where: "input api-key", value: "(empty)", with: map[string]string{"api-key": ""}, want: "input api-key is empty: the secret holding the Vast management key (user_read and user_write) is missing"},
		{where: "input api-key", value: "abc def", with: map[string]string{"api-key": "abc def"}, want: "input api-key: the API key contains a space"},
		{where: "input api-url", value: "ftp://vast", with: map[string]string{"api-url": "ftp://vast"}, want: `input api-url: API URL "ftp://vast" must start with https://`},
		{where: "input api-url", value: "http://console.vast.ai", with: map[string]string{"api-url": "http://console.vast.ai"}, want: `input api-url: "http://console.vast.ai": http:// is only for a local fake`},
		{where: "input api-url", value: "https://x.test:0", with: map[string]string{"api-url": "https://x.test:0"}, want: `input api-url: API URL "https://x.test:0": port 0 is not a port (1 to 65535)`},
		{where: "input api-url", value: "https://x.test/?", with: map[string]string{"api-url": "https://x.test/?"}, want: "input api-url: API URL must not carry a query"},
		{where: "input api-url", value: "https://x.test/#", with: map[string]string{"api-url": "https://x.test/#"}, want: "input api-url: API URL must not carry a query"},
		{where: "input api-url", value: "https://x.test/?api_key=1", with: map[string]string{"api-url": "https://x.test/?api_key=1"}, want: "input api-url: API URL must not carry a query"},
		{where: "input broker-url", value: "ftp://broker", with: map[string]string{"api-key": "", "broker-url": "ftp://broker"}, want: `input broker-url: "ftp://broker" must start with https:// (http:// only to a loopback address)`},
		{where: "input broker-url", value: "http://broker.example.com", with: map[string]string{"api-key": "", "broker-url": "http://broker.example.com"}, want: `input broker-url: "http://broker.example.com" must start with https://`},
		{where: "input broker-url", value: "https://user:pw@broker.example.com", with: map[string]string{"api-key": "", "broker-url": "https://user:pw@broker.example.com"}, want: "input broker-url: must not carry credentials, a query or a fragment"},
		{where: "input broker-url", value: "with api-key", with: map[string]string{"broker-url": "https://broker.example.com"}, want: "input api-key: leave it out with broker-url"},
		{where: "input broker-url", value: "for command: sweep", with: map[string]string{"command": "sweep", "broker-url": "https://broker.example.com"}, want: "input broker-url: command sweep does not use the broker (only mint does)"},
		{where: "input broker-audience", value: "https://github.com/acme", with: map[string]string{"api-key": "", "broker-url": "https://broker.example.com", "broker-audience": "https://github.com/acme"}, want: `input broker-audience: "https://github.com/acme" is GitHub's default audience`},
		{where: "input broker-audience", value: "two words", with: map[string]string{"api-key": "", "broker-url": "https://broker.example.com", "broker-audience": "two words"}, want: "input broker-audience: must be one word"},
		{where: "input permissions", value: "read-write", with: map[string]string{"permissions": "read-write"}, want: `input permissions: unknown preset "read-write"`},
		{where: "input permissions", value: `{"api": {"gpu_write": {}}}`, with: map[string]string{"permissions": `{"api": {"gpu_write": {}}}`}, want: "input permissions: api.gpu_write: unknown category"},
		{where: "input permissions", value: `{"api": `, with: map[string]string{"permissions": `{"api": `}, want: "input permissions: not valid JSON"},
		{where: "input permissions", value: dupPerms, with: map[string]string{"permissions": dupPerms}, want: "input permissions: api.user_read: named twice in one object"},
		{where: "input permissions", value: "full", with: map[string]string{"permissions": "full"}, want: "input permissions: this grants full access"},
		{where: "input cache", value: "yes", with: map[string]string{"command": "scan", "cache": "yes"}, want: `input cache: "yes" is not a boolean; use true or false`},
		{where: "input cache-key", value: "short", with: map[string]string{"command": "scan", "cache": "true", "cache-key": "short"}, want: "input cache-key: is 5 characters; use a secret of at least 16"},
		{where: "input allow-full-access", value: "yes", with: map[string]string{"allow-full-access": "yes"}, want: `input allow-full-access: "yes" is not a boolean; use true or false`},
		{where: "input key-name", value: "gpu:1", with: map[string]string{"key-name": "gpu:1"}, want: "input key-name: use 1 to 64 letters"},
		{where: "input key-name", value: "65 characters", with: map[string]string{"key-name": strings.Repeat("k", 65)}, want: "input key-name: use 1 to 64 letters"},
		{where: "input ttl", value: "6 hours", with: map[string]string{"ttl": "6 hours"}, want: `input ttl: "6 hours" is not a duration`},
		{where: "input ttl", value: "2d", with: map[string]string{"ttl": "2d"}, want: `input ttl: "2d" is not a duration`},
		{where: "input ttl", value: "1m", with: map[string]string{"ttl": "1m"}, want: "input ttl: 1m is out of range; use 5m to 168h"},
		{where: "input ttl", value: "169h", with: map[string]string{"ttl": "169h"}, want: "input ttl: 169h is out of range; use 5m to 168h"},
		{where: "input ttl", value: "-6h", with: map[string]string{"ttl": "-6h"}, want: "input ttl: -6h is out of range"},
		{where: "input export-env", value: "1", with: map[string]string{"export-env": "1"}, want: `input export-env: "1" is not a boolean`},
		{where: "input cleanup-timeout", value: "0s", with: map[string]string{"cleanup-timeout": "0s"}, want: "input cleanup-timeout: 0s is out of range; use 1s to 30m"},
		{where: "input cleanup-timeout", value: "120", with: map[string]string{"cleanup-timeout": "120"}, want: `input cleanup-timeout: "120" is not a duration`},
		{where: "input dry-run", value: "maybe", with: map[string]string{"dry-run": "maybe"}, want: `input dry-run: "maybe" is not a boolean`},
		{where: "input path", value: "../elsewhere", with: map[string]string{"command": "scan", "path": "../elsewhere"}, want: `input path: "../elsewhere" leaves the workspace`},
		{where: "input path", value: "a workspace with no repository", with: map[string]string{"command": "scan"}, want: "scan: "},
		{where: "input range", value: "main", with: map[string]string{"command": "scan", "range": "main"}, want: `input range: "main": write it as BASE..HEAD`},
		{where: "input range", value: "a..b..c", with: map[string]string{"command": "scan", "range": "a..b..c"}, want: `input range: "a..b..c": write it as BASE..HEAD`},
		{where: "input path", value: "/etc (absolute)", with: map[string]string{"command": "scan", "path": "/etc"}, want: `input path: "/etc" is an absolute path; give a path relative to the workspace`},
		{where: "input baseline", value: "/etc/passwd (absolute)", with: map[string]string{"command": "scan", "baseline": "/etc/passwd"}, want: `input baseline: "/etc/passwd" is an absolute path; give a path relative to the workspace`},
		{where: "input sarif-file", value: "/github/workflow/event.json", with: map[string]string{"command": "scan", "sarif-file": "/github/workflow/event.json"}, want: `input sarif-file: "/github/workflow/event.json" is an absolute path; give a path relative to the workspace`},
		{where: "input baseline", value: "nope.txt (missing)", with: map[string]string{"command": "scan", "baseline": "nope.txt"}, want: "input baseline: nope.txt cannot be read"},
		{where: "input config", value: "nope.yaml (missing)", with: map[string]string{"command": "scan", "config": "nope.yaml"}, want: "input config: nope.yaml cannot be read"},
		{where: "input config", value: "../vastguard.yaml", with: map[string]string{"command": "scan", "config": "../vastguard.yaml"}, want: `input config: "../vastguard.yaml" leaves the workspace`},
		{where: "input sarif-file", value: "../out.sarif", with: map[string]string{"command": "scan", "sarif-file": "../out.sarif"}, want: `input sarif-file: "../out.sarif" leaves the workspace`},
		{where: "input verify", value: "on", with: map[string]string{"command": "scan", "verify": "on"}, want: `input verify: "on" is not a boolean`},
		{where: "input max-object-size", value: "2 gigs", with: map[string]string{"command": "scan", "max-object-size": "2 gigs"}, want: `input max-object-size: "2 gigs" is not a size; write it as 2GiB, 512MiB or a number of bytes`},
		{where: "input max-delta-size", value: "0", with: map[string]string{"command": "scan", "max-delta-size": "0"}, want: `input max-delta-size: "0": a size must be more than 0`},
		{where: "input max-memory", value: "lots", with: map[string]string{"command": "scan", "max-memory": "lots"}, want: `input max-memory: "lots" is not a size`},
		{where: "input allow-bare-repository", value: "yes", with: map[string]string{"command": "scan", "allow-bare-repository": "yes"}, want: `input allow-bare-repository: "yes" is not a boolean; use true or false`},
		{where: "input path", value: `sub\n::set-output name=findings::0`, with: map[string]string{"command": "scan", "path": "sub\n::set-output name=findings::0"}, want: `input path: "sub\n::set-output name=findings::0" holds a line break or another control character; give a plain path`},
		{where: "input sarif-file", value: `x.sarif\n::add-mask::x`, with: map[string]string{"command": "scan", "sarif-file": "x.sarif\n::add-mask::x"}, want: `input sarif-file: "x.sarif\n::add-mask::x" holds a line break or another control character`},
		{where: "GITHUB_EVENT_PATH", value: "a FIFO (pull_request)", with: map[string]string{"command": "scan"}, env: map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": eventFIFO}, want: "reading the pull_request event payload: GITHUB_EVENT_PATH (" + eventFIFO + ") is a FIFO, not a regular file; an earlier step may have replaced it: not used", doc: "reading the pull_request event payload: GITHUB_EVENT_PATH (FILE) is a FIFO, not a regular file; an earlier step may have replaced it: not used"},
		{where: "input on-leak", value: "delete", with: map[string]string{"command": "scan", "on-leak": "delete"}, want: `input on-leak: "delete": use report, revoke or reset`},
		{where: "input replacement-permissions", value: "admin", with: map[string]string{"command": "scan", "replacement-permissions": "admin"}, want: `input replacement-permissions: unknown preset "admin"`},
	}
}

// TestBadInputCatalogue: each entry fails with exit code 1 and one line
// that starts as the catalogue says, makes no API call, and (for the
// Action) writes no file command and leaves the post step nothing to do.
func TestBadInputCatalogue(t *testing.T) {
	t.Parallel()
	cat := catalogue(t)
	for _, tt := range cat {
		t.Run(tt.where+" "+tt.value, func(t *testing.T) {
			t.Parallel()
			if tt.with == nil {
				srv, vars := fakeAPI(t)
				maps.Copy(vars, tt.env)
				res := runCLIStdin(t, vars, tt.stdin, tt.args...)
				want := "vastguard: " + tt.want
				if res.code != 1 || !strings.HasPrefix(res.stderr, want) || strings.Count(res.stderr, "\n") != 1 {
					t.Errorf("exit %d, stderr %q\nwant exit 1 and one line starting %q", res.code, res.stderr, want)
				}
				if res.stdout != "" {
					t.Errorf("stdout = %q, want nothing (it may be a report or $GITHUB_OUTPUT)", res.stdout)
				}
				if n := len(srv.Requests()); n != 0 {
					t.Errorf("%d API calls for bad input", n)
				}
				return
			}
			x := newE2E(t, "in-process")
			for k, v := range tt.env {
				x.job.Env[k] = v
			}
			main := x.step("vast", tt.with)
			want := "::error title=vastguard::" + tt.want
			if main.Code != 1 || !strings.HasPrefix(main.Stdout, want) || strings.Count(main.Stdout, "\n") != 1 || main.Stderr != "" {
				t.Errorf("exit %d, stdout %q, stderr %q\nwant exit 1 and one line starting %q", main.Code, main.Stdout, main.Stderr, want)
			}
			if len(main.State) != 0 || len(main.Outputs) != 0 || len(main.Exported) != 0 || main.Summary != "" {
				t.Errorf("a refused step wrote file commands: state %v outputs %v env %v summary %q", main.State, main.Outputs, main.Exported, main.Summary)
			}
			post := x.posts()[0]
			if post.Code != 0 || !strings.Contains(post.Stdout, "nothing was minted") {
				t.Errorf("post = %d %q", post.Code, post.Stdout)
			}
			if n := len(x.srv.Requests()); n != 0 {
				t.Errorf("%d API calls, want none", n)
			}
			x.assertNoLeak(main, post)
		})
	}
	// The README's table is generated from the catalogue.
	var md bytes.Buffer
	md.WriteString("| where | given | the one-line error starts |\n| --- | --- | --- |\n")
	for _, b := range cat {
		want := b.want
		if b.doc != "" {
			want = b.doc
		}
		if strings.Contains(want, os.TempDir()) {
			t.Errorf("catalogue entry %q shows a temporary path; give it a doc", b.where)
		}
		fmt.Fprintf(&md, "| %s | %s | %s |\n", mdTable(b.where), mdTable(b.value), mdTable(want))
	}
	golden.File(t, filepath.Join("testdata", "bad-input.md"), md.Bytes())
	golden.Section(t, "README.md", "bad-input.md", md.Bytes())
}

func mdTable(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}
