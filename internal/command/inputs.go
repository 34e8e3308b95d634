package command

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/internal/ghactions"
	"github.com/vastguard/vastguard/internal/respond"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/vast"
)

// actionInput is one input of action.yml. actionInputs is the single source
// of the inputs' names, defaults and descriptions: a test checks action.yml
// against it, the README's Inputs table is generated from it, and the demo
// feeds the defaults to the step as the runner would.
type actionInput struct {
	name, def, desc string
	// For the README's Inputs table: the default as shown ("" for the
	// default in backticks, or "(none)"), and what the input means.
	readmeDefault, readme string
}

// actionInputs is set up with the command table (see init in
// commands.go): the command input's text names the Action's commands.
var actionInputs []actionInput

func inputTable() []actionInput {
	return []actionInput{
		{"command", "mint", commandInputDesc(), "", commandInputReadme()},
		{"api-key", "", "Vast.ai management key (user_read and user_write), from a secret such as secrets.VAST_API_KEY. Secrets are not passed to pull requests from forks or to Dependabot runs. Not needed to scan (only to revoke or reset) or for repos.", "",
			"the management key, from a secret; needs `user_read` and `user_write` (to scan, only for `on-leak: revoke` or `reset`)"},
		{"api-url", vast.DefaultBaseURL, "Vast API URL. https only (http is allowed for 127.0.0.1, ::1 and localhost, for a local fake).", "",
			"the Vast API; `https://` only (`http://` only to 127.0.0.1, ::1 or localhost)"},
		{"broker-url", "", "For mint: the URL of a vastguard broker, which mints the key for this job's OIDC token instead of api-key (the job needs permissions: id-token: write). https only (http only to a loopback address).", "",
			"`mint` only: a [broker](#the-broker-no-management-key-in-github) to mint through with the job's OIDC token, instead of `api-key`; the job needs `permissions: id-token: write`"},
		{"broker-audience", "", "With broker-url: the audience of the job's OIDC token, as the broker's config names it. Default: broker-url, without a trailing slash.", "`broker-url`",
			"the audience the broker expects in the job's OIDC token"},
		{"permissions", "", "Permissions of the minted key: read-only, instance-management, autoscaler, full (needs allow-full-access), or a JSON object {\"api\": {...}}. Default: read-only; with broker-url, what the broker's policy rule grants.", "`read-only` (with `broker-url`: the rule's grant)",
			"a preset (`read-only`, `instance-management`, `autoscaler`, `full`) or a JSON object `{\"api\": {...}}`"},
		{"allow-full-access", "false", "Allow minting a key with every permission (the full preset). true or false.", "",
			"required for `permissions: full`"},
		{"key-name", "", "A label for the minted key (letters, digits, '.', '_', '-'; at most 64), shown inside its name in the Vast console. Default: the step's id.", "the step's id",
			"a label (1–64 of `A-Za-z0-9._-`) placed inside the key's name"},
		{"ttl", "", "How long the minted key may live, as a Go duration (5m to 168h). The post step deletes it at the end of the job; sweep deletes it once this has passed if the post step never ran. Default: 6h; with broker-url, the policy rule's default_ttl, and the broker deletes the key when it has passed.", "`6h` (with `broker-url`: the rule's `default_ttl`)",
			"how long the key may live (Go duration, `5m` to `168h`); `sweep` (or the broker) deletes it after that"},
		{"export-env", "true", "Also set VAST_API_KEY for the later steps of the job. true or false.", "",
			"also set `VAST_API_KEY` for the later steps of the job"},
		{"cleanup-timeout", "2m", "How long the post step keeps retrying the delete (rate limits, outages), as a Go duration (1s to 30m).", "",
			"how long the post step keeps retrying the delete (`1s` to `30m`)"},
		{"dry-run", "false", "For sweep: list the expired keys without deleting them. true or false.", "",
			"`sweep` only: list the expired keys without deleting them"},
		{"path", ".", "For scan: the repository to scan, relative to the workspace. Check it out with fetch-depth: 0: a shallow clone is refused.", "",
			"`scan` only: the repository, relative to the workspace"},
		{"range", "", "For scan: scan only what the commits in BASE..HEAD introduced. Default: the pull request's commits for pull_request events, else the whole history.", "",
			"`scan` only: scan what `BASE..HEAD` introduced; default: the pull request's commits on `pull_request` events, else the whole history"},
		{"baseline", "", "For scan: a file (in the workspace) of accepted keys' key_sha256 values, or an earlier JSON report; those findings are suppressed. On pull_request events a file tracked in the repository is read from the base branch.", "",
			"`scan` only: a file of accepted keys' `key_sha256` (or an earlier JSON report)"},
		{"config", "", "For scan: the scanner's configuration file, relative to the workspace (default: .vastguard.yaml at the repository's root, if there is one). On pull_request events a file tracked in the repository is read from the base branch, so a pull request cannot change what it is scanned with.", "",
			"`scan` only: the configuration (default `.vastguard.yaml` at the repository's root); on pull requests read from the base branch (see [Configuration](#configuration))"},
		{"sarif-file", "", "For scan: write a SARIF 2.1.0 report to this path in the workspace (for github/codeql-action/upload-sarif).", "",
			"`scan` only: write a SARIF 2.1.0 report there (in the workspace)"},
		{"min-confidence", "medium", "For scan: report only findings at least this sure: medium (the default: every finding) or high (only keys bound to a Vast name, flag or URL).", "",
			"`scan` only: `medium` (every finding) or `high` (only the surest)"},
		{"allow-partial", "false", "For scan: scan a partial clone's present objects (actions/checkout with filter:) instead of refusing it. true or false.", "",
			"`scan` only: scan a partial clone's present objects instead of refusing it"},
		{"allow-bare-repository", "false", "For scan: scan a bare repository layout found inside the work tree (at path or above it) instead of refusing it, as git's safe.bareRepository=all does. A pull request can commit such a layout as a decoy that scans clean, so set it only for a repository you trust. true or false.", "",
			"`scan` only: scan a bare repository layout found inside the work tree (git's `safe.bareRepository=all`) instead of refusing it; a pull request can commit one as a decoy"},
		{"max-object-size", "", "For scan: the largest git object read at all, as a size such as 16GiB. Default 8 GiB; a repository over it is corrupt or hostile.", "`8GiB`",
			"`scan` only: the largest git object read at all (a size: `16GiB`)"},
		{"max-delta-size", "", "For scan: the largest object held whole in memory (a delta, what it rebuilds, its base), as a size such as 2GiB. Default 1 GiB (git never deltifies files over 512 MiB).", "`1GiB`",
			"`scan` only: the largest object held whole in memory (a size: `2GiB`)"},
		{"max-memory", "", "For scan: the most memory the objects held at once may take beyond 32 MiB per worker, as a size such as 6GiB. Default 3 × max-delta-size.", "3 × `max-delta-size`",
			"`scan` only: the memory for objects held at once beyond 32 MiB per worker (a size: `6GiB`)"},
		{"cache", "false", "For scan: keep what a whole-history scan read (object ids, never content or keys) in $RUNNER_TEMP/vastguard-cache (runner.temp/vastguard-cache on the host), so the next scan reads only what is new; restore and save that directory with actions/cache (see the README). Needs cache-key. Not used for pull requests' ranges. true or false.", "",
			"`scan` only: an [incremental scan](#incremental-scans-in-a-workflow) through `${{ runner.temp }}/vastguard-cache`, which `actions/cache` restores and saves; needs `cache-key`"},
		{"cache-key", "", "For cache: the key that authenticates the cache (HMAC), at least 16 characters, from a secret such as secrets.VASTGUARD_CACHE_KEY; a cache altered without it costs a full scan, never a finding. Without it the cache is not used.", "",
			"`cache` only: the cache's HMAC key, from a secret (at least 16 characters)"},
		{"verify", "false", "For scan: ask the Vast API whether each found key is live (GET /users/current/ with the key as Bearer token); a live key fails the step with exit code 3. true or false.", "",
			"`scan` only: ask the Vast API whether each found key is live; a live key makes exit code 3"},
		{"on-leak", "report", "For scan: what to do about a live key: report (nothing more), revoke (delete it, with api-key or the key itself), or reset (revoke it and store a replacement with the same permissions in the secret rotate-secret). revoke and reset imply verify.", "",
			"`scan` only: `report`, `revoke` (delete live keys) or `reset` (revoke, then store a replacement in `rotate-secret`); both imply `verify`"},
		{"replacement-permissions", "", "For on-leak: reset: the replacement's permissions, when the leaked key's cannot be read from the key list.", "",
			"`reset` only: the replacement's permissions when the key list does not show the leaked key's"},
		{"rotate-secret", "", "For on-leak: reset: the repository secret (e.g. VAST_API_KEY) that receives the replacement key. Writing secrets needs github-token to be a PAT or GitHub App token with Secrets: write; the built-in GITHUB_TOKEN cannot.", "",
			"`reset` only: the repository secret that receives the replacement (e.g. `VAST_API_KEY`)"},
		{"upload-sarif", "false", "For scan: upload the findings to GitHub code scanning (needs github-token with security-events: write). true or false.", "",
			"`scan` only: upload the findings to GitHub code scanning"},
		{"github-token", "${{ github.token }}", "GitHub token: for upload-sarif (security-events: write), for on-leak: reset (Secrets: write: a PAT or App token), and for repos (Metadata: read on the organisation's repositories).", "",
			"for `upload-sarif` (`security-events: write`), `reset` (a PAT or App token with Secrets: write) and `repos` (Metadata: read)"},
		{"org", "", "For repos: the organisation whose repositories to list as a matrix (output matrix).", "",
			"`repos` only: the organisation to list"},
	}
}

// inputsMarkdown is the README's Inputs table.
func inputsMarkdown() string {
	var b strings.Builder
	b.WriteString("| input | default | meaning |\n| --- | --- | --- |\n")
	for _, in := range actionInputs {
		def := in.readmeDefault
		switch {
		case def != "":
		case in.def == "":
			def = "(none)"
		default:
			def = "`" + in.def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", in.name, def, in.readme)
	}
	return b.String()
}

// actionOutputs are the outputs of action.yml, checked against it by a test.
var actionOutputs = []struct{ name, desc string }{
	{"api-key", "The minted key (masked in logs). mint only."},
	{"key-id", "The minted key's id. mint only."},
	{"key-name", "The minted key's name. mint only."},
	{"expires-at", "When sweep may delete the minted key (RFC 3339, UTC). mint only."},
	{"swept", "How many expired keys sweep deleted (or would delete, with dry-run)."},
	{"flagged", "How many keys audit flagged."},
	{"findings", "How many findings scan reported (after the baseline)."},
	{"sarif-file", "The SARIF report's path relative to the workspace, when sarif-file was given."},
	{"sarif-id", "The code scanning upload's id, with upload-sarif."},
	{"matrix", "For repos: the organisation's repositories as {\"repository\": [...]}, for strategy.matrix with fromJSON."},
}

// Bounds of the duration inputs.
const (
	minTTL            = 5 * time.Minute
	maxTTL            = 168 * time.Hour
	minCleanupTimeout = time.Second
	maxCleanupTimeout = 30 * time.Minute
	// createGrace is how long a create already sent may still run after
	// the job is cancelled, so its id can be saved and the post step delete
	// it by id. The runner sends SIGINT, then SIGTERM 7.5 s later, and kills
	// the container 2.5 s after that.
	createGrace = 5 * time.Second
)

// Defaults of the permissions and ttl inputs when they are not given. They
// are not action.yml's defaults: with broker-url, an input not given leaves
// the choice to the broker's policy rule.
const (
	defaultPermissions = "read-only"
	defaultTTL         = 6 * time.Hour
)

// actionConfig is the validated inputs.
type actionConfig struct {
	command        string
	apiKey         string
	apiURL         string
	broker         brokerInputs // with broker-url
	perms          vast.Permissions
	permSpec       string // the permissions input as given; "" if not
	ttlGiven       bool
	label          string // the key-name input; "" means the step id
	ttl            time.Duration
	exportEnv      bool
	cleanupTimeout time.Duration
	dryRun         bool
	verify         bool
	onLeak         string
	replPerms      *vast.Permissions
	allowFull      bool
	rotateSecret   string
	allowPartial   bool
	allowBare      bool
	maxObjectSize  int64 // 0: the scanner's default
	maxDeltaSize   int64
	maxMemory      int64
	cache          bool   // the cache input
	cacheKey       string // the cache-key input
	minConfidence  string
	uploadSARIF    bool
	githubToken    string
	org            string
}

// input returns an input's value, trimmed; empty means its default.
func input(getenv func(string) string, name string) string {
	v := ghactions.Input(getenv, name)
	if v != "" {
		return v
	}
	for _, in := range actionInputs {
		if in.name == name {
			return in.def
		}
	}
	return ""
}

// inputError is a bad input: one line naming it.
func inputError(name, format string, args ...any) error {
	return fmt.Errorf("input %s: %s", name, fmt.Sprintf(format, args...))
}

// parseBoolInput accepts the YAML 1.2 core schema's booleans, as the
// actions toolkit's getBooleanInput does.
func parseBoolInput(getenv func(string) string, name string) (bool, error) {
	switch v := input(getenv, name); v {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	default:
		return false, inputError(name, "%q is not a boolean; use true or false", v)
	}
}

func parseDurationInput(getenv func(string) string, name string, lo, hi time.Duration) (time.Duration, error) {
	v := input(getenv, name)
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, inputError(name, "%q is not a duration; write it as Go does, e.g. 90s, 30m, 6h or 1h30m", v)
	}
	if d < lo || d > hi {
		return 0, inputError(name, "%s is out of range; use %s to %s", v, fmtDuration(lo), fmtDuration(hi))
	}
	return d, nil
}

// fmtDuration prints 6h0m0s as 6h and 5m0s as 5m.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

var labelInput = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// parseActionInputs validates every input before anything is called, so a
// mistake costs no API call and gets one line naming the input. Every
// input's own rules apply whatever the command (a bad ttl is refused for a
// scan too); then the command's own rules (its row's Check) apply.
func parseActionInputs(getenv func(string) string) (actionConfig, error) {
	var c actionConfig
	c.command = input(getenv, "command")
	cmd := actionCommandNamed(c.command)
	if cmd == nil {
		return c, inputError("command", "%q is not a command; use %s", c.command, actionCommandList(" or "))
	}
	c.apiKey = input(getenv, "api-key")
	switch {
	case input(getenv, "broker-url") != "":
		if err := c.parseBrokerInputs(getenv, cmd); err != nil {
			return c, err
		}
	case c.apiKey == "" && !cmd.Action.NeedsKey:
		// A scan needs no Vast key (only to revoke or reset), repos none.
	case c.apiKey == "":
		msg := "input api-key is empty: the secret holding the Vast management key (user_read and user_write) is missing; store it as a repository or organization secret and pass it as api-key: ${{ secrets.VAST_API_KEY }}. If it is set, note that secrets are not passed to workflows run for pull requests from forks or by Dependabot"
		if cmd.Action.Broker {
			msg += ". Or mint through a vastguard broker with broker-url, and keep no key in GitHub"
		}
		return c, errors.New(msg)
	default:
		if _, err := vast.New(c.apiKey); err != nil {
			return c, inputError("api-key", "%v", err)
		}
	}
	if err := c.parseShared(getenv); err != nil {
		return c, err
	}
	if cmd.Action.Check != nil {
		if err := cmd.Action.Check(c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// inputParser reads inputs in order and keeps the first error: after it,
// every read is a no-op.
type inputParser struct {
	getenv func(string) string
	err    error
}

func (p *inputParser) bool(name string) bool {
	if p.err != nil {
		return false
	}
	v, err := parseBoolInput(p.getenv, name)
	p.err = err
	return v
}

func (p *inputParser) duration(name string, lo, hi time.Duration) time.Duration {
	if p.err != nil {
		return 0
	}
	d, err := parseDurationInput(p.getenv, name, lo, hi)
	p.err = err
	return d
}

// size reads a size input ("" is 0: the default).
func (p *inputParser) size(name string) int64 {
	v := input(p.getenv, name)
	if p.err != nil || v == "" {
		return 0
	}
	n, err := parseSize(v)
	if err != nil {
		p.err = inputError(name, "%v", err)
	}
	return n
}

// check runs f unless an input before it was bad.
func (p *inputParser) check(f func() error) {
	if p.err == nil {
		p.err = f()
	}
}

// parseShared checks each input's own rules, in a fixed order (the first
// bad input is the one reported).
func (c *actionConfig) parseShared(getenv func(string) string) error {
	p := &inputParser{getenv: getenv}
	c.apiURL = input(getenv, "api-url")
	p.check(func() error {
		if err := checkAPIURL(c.apiURL); err != nil {
			return inputError("api-url", "%v", err)
		}
		return nil
	})
	c.exportEnv = p.bool("export-env")
	c.allowFull = p.bool("allow-full-access")
	c.permSpec = input(getenv, "permissions")
	p.check(func() (err error) {
		spec := c.permSpec
		if spec == "" {
			spec = defaultPermissions
		}
		if c.perms, err = vast.ParsePermissions(spec, c.allowFull); err != nil {
			return fmt.Errorf("input %w", err)
		}
		return nil
	})
	c.label = input(getenv, "key-name")
	p.check(func() error {
		if c.label != "" && !labelInput.MatchString(c.label) {
			return inputError("key-name", "use 1 to 64 letters, digits, '.', '_' or '-' (it becomes part of the key's name, which must also say where and until when the key lives)")
		}
		return nil
	})
	c.ttl, c.ttlGiven = defaultTTL, input(getenv, "ttl") != ""
	if c.ttlGiven {
		c.ttl = p.duration("ttl", minTTL, maxTTL)
	}
	c.cleanupTimeout = p.duration("cleanup-timeout", minCleanupTimeout, maxCleanupTimeout)
	c.dryRun = p.bool("dry-run")
	c.verify = p.bool("verify")
	c.onLeak = input(getenv, "on-leak")
	p.check(func() error {
		switch c.onLeak {
		case respond.ActionReport:
		case respond.ActionRevoke, respond.ActionReset:
			c.verify = true
		default:
			return inputError("on-leak", "%q: use report, revoke or reset", c.onLeak)
		}
		return nil
	})
	p.check(func() error {
		v := input(getenv, "replacement-permissions")
		if v == "" {
			return nil
		}
		perms, err := vast.ParsePermissions(v, c.allowFull)
		if err != nil {
			return inputError("replacement-permissions", "%v", strings.TrimPrefix(err.Error(), "permissions: "))
		}
		c.replPerms = &perms
		return nil
	})
	c.uploadSARIF = p.bool("upload-sarif")
	c.allowPartial = p.bool("allow-partial")
	c.allowBare = p.bool("allow-bare-repository")
	c.maxObjectSize = p.size("max-object-size")
	c.maxDeltaSize = p.size("max-delta-size")
	c.maxMemory = p.size("max-memory")
	c.cache = p.bool("cache")
	c.cacheKey = input(getenv, "cache-key")
	p.check(func() error {
		if c.cacheKey != "" && len(c.cacheKey) < minCacheKey {
			return inputError("cache-key", "is %d characters; use a secret of at least %d (e.g. the output of `openssl rand -base64 32`)", len(c.cacheKey), minCacheKey)
		}
		return nil
	})
	c.minConfidence = input(getenv, "min-confidence")
	p.check(func() error {
		if _, ok := scan.ParseConfidence(c.minConfidence); !ok {
			return inputError("min-confidence", "%q: use high or medium", c.minConfidence)
		}
		return nil
	})
	c.githubToken = input(getenv, "github-token")
	if strings.HasPrefix(c.githubToken, "${{") {
		c.githubToken = "" // not evaluated: no runner filled it in
	}
	c.rotateSecret = input(getenv, "rotate-secret")
	p.check(func() error {
		if c.rotateSecret == "" {
			return nil
		}
		if err := ghapi.ValidateSecretName(c.rotateSecret); err != nil {
			return inputError("rotate-secret", "%v", err)
		}
		return nil
	})
	c.org = input(getenv, "org")
	return p.err
}
