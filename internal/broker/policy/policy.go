// Package policy is the broker's deny-by-default policy: which workflows may
// have which Vast keys. A policy is a YAML file of rules; each rule matches
// claims of a GitHub Actions OIDC token with globs and grants permissions
// (a preset or a permissions object, as vast.ParsePermissions reads them), a
// maximum TTL and a maximum number of live keys per repository.
//
//	rules:
//	  - name: gpu-tests
//	    match:
//	      repository: acme/gpu-tests
//	      ref: [refs/heads/main, "refs/tags/v*"]
//	      event_name: [push, workflow_dispatch]
//	    permissions: instance-management
//	    max_ttl: 2h
//	    max_live_keys: 4
//
// A token is granted only by a rule that matches every condition it lists;
// a claim the token lacks matches nothing. A request is granted by the first
// matching rule that covers it (its permissions and TTL); a request for more
// than every matching rule grants is refused, never trimmed. Every rule must
// pin the repository owner with no wildcard, because GitHub signs tokens for
// every repository on GitHub with the same key: a rule that matched any owner
// would hand keys to strangers.
//
// The policy is validated whole when parsed; each error is one line naming
// the file, line and field. policy imports vast (permissions) and nothing
// else of the project's.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"

	"github.com/vastguard/vastguard/internal/broker/wire"
	"github.com/vastguard/vastguard/internal/broker/yamlfile"
	"github.com/vastguard/vastguard/vast"
)

// Bounds on a rule's TTLs: the Action's own bounds for a minted key.
const (
	MinTTL = 5 * time.Minute
	MaxTTL = 168 * time.Hour
)

// DefaultMaxLiveKeys applies to a rule that sets no max_live_keys.
const DefaultMaxLiveKeys = 10

// Claims are a verified token's string claims by name.
type Claims map[string]string

// claimKinds lists the claims a rule may match, with how: fold compares
// case-insensitively (GitHub owner and repository names are
// case-insensitive), exact as written.
var claimKinds = map[string]bool{
	"repository":            true,
	"repository_owner":      true,
	"repository_id":         false,
	"repository_owner_id":   false,
	"repository_visibility": false,
	"ref":                   false,
	"ref_type":              false,
	"ref_protected":         false,
	"base_ref":              false,
	"head_ref":              false,
	"environment":           false,
	"job_workflow_ref":      false,
	"workflow_ref":          false,
	"workflow":              false,
	"event_name":            false,
	"runner_environment":    false,
	"actor":                 false,
	"actor_id":              false,
	"sub":                   false,
}

func claimNames() []string {
	names := make([]string, 0, len(claimKinds))
	for n := range claimKinds {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Options are what parsing needs from the broker's config.
type Options struct {
	// Issuers the broker trusts. A rule's issuer must be one of them; a rule
	// may omit it only when there is exactly one.
	Issuers []string
}

// Policy is a parsed, validated policy. It is immutable and safe for
// concurrent use.
type Policy struct {
	rules []*Rule
}

// Rule is one validated rule.
type Rule struct {
	Name        string
	Issuer      string
	Permissions vast.Permissions
	MaxTTL      time.Duration
	DefaultTTL  time.Duration
	MaxLiveKeys int
	match       []condition
}

type condition struct {
	claim    string
	fold     bool
	patterns []string
}

// Rules returns the rules in order.
func (p *Policy) Rules() []*Rule { return slices.Clone(p.rules) }

type fileRule struct {
	Name        string               `yaml:"name"`
	Issuer      string               `yaml:"issuer"`
	Match       map[string]yaml.Node `yaml:"match"`
	Permissions yaml.Node            `yaml:"permissions"`
	MaxTTL      string               `yaml:"max_ttl"`
	DefaultTTL  string               `yaml:"default_ttl"`
	MaxLiveKeys *int                 `yaml:"max_live_keys"`
}

type filePolicy struct {
	Version *int       `yaml:"version"`
	Rules   []fileRule `yaml:"rules"`
}

// Load reads and parses the policy file at path.
func Load(path string, opts Options) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return Parse(path, data, opts)
}

var ruleName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Parse parses and validates a policy; file names it in errors.
func Parse(file string, data []byte, opts Options) (*Policy, error) {
	var fp filePolicy
	if err := yamlfile.Decode(file, data, &fp); err != nil {
		return nil, err
	}
	bad := func(line int, path, format string, args ...any) error {
		return &yamlfile.Error{File: file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)}
	}
	if fp.Version != nil && *fp.Version != 1 {
		return nil, bad(0, "version", "must be 1")
	}
	var lines ruleLines
	lines.read(data)
	p := &Policy{}
	seen := map[string]bool{}
	for i, fr := range fp.Rules {
		at := fmt.Sprintf("rules[%d]", i)
		line := lines.rule(i)
		r := &Rule{Name: fr.Name, Issuer: fr.Issuer}
		switch {
		case fr.Name == "":
			return nil, bad(line, at+".name", "is required (letters, digits, '.', '_', '-'; at most 64)")
		case !ruleName.MatchString(fr.Name):
			return nil, bad(line, at+".name", "%q: use only letters, digits, '.', '_', '-' (at most 64)", fr.Name)
		case seen[fr.Name]:
			return nil, bad(line, at+".name", "%q is used by an earlier rule; names must be unique", fr.Name)
		}
		seen[fr.Name] = true
		at = fmt.Sprintf("rules[%d] (%s)", i, fr.Name)
		switch {
		case r.Issuer == "" && len(opts.Issuers) == 1:
			r.Issuer = opts.Issuers[0]
		case r.Issuer == "":
			return nil, bad(line, at+".issuer", "is required when the broker trusts several issuers (%s)", strings.Join(opts.Issuers, ", "))
		case !slices.Contains(opts.Issuers, strings.TrimSuffix(r.Issuer, "/")):
			return nil, bad(line, at+".issuer", "%q is not one of the broker's issuers (%s)", r.Issuer, strings.Join(opts.Issuers, ", "))
		}
		r.Issuer = strings.TrimSuffix(r.Issuer, "/")

		if len(fr.Match) == 0 {
			return nil, bad(line, at+".match", "is required and must pin the repository owner, e.g. repository: acme/gpu-tests")
		}
		for _, claim := range sortedKeys(fr.Match) {
			node := fr.Match[claim]
			path := at + ".match." + claim
			fold, ok := claimKinds[claim]
			if !ok {
				return nil, bad(node.Line, path, "unknown claim; rules can match %s", strings.Join(claimNames(), ", "))
			}
			pats, err := patterns(&node)
			if err != nil {
				return nil, bad(node.Line, path, "%s", err)
			}
			for _, pat := range pats {
				if !doublestar.ValidatePattern(pat) {
					return nil, bad(node.Line, path, "%q is not a valid glob", pat)
				}
				if partialGlobstar(pat) {
					return nil, bad(node.Line, path, "%q: ** crosses '/' only as a whole segment (refs/**, a/**/b); inside a segment it would act like *", pat)
				}
			}
			r.match = append(r.match, condition{claim: claim, fold: fold, patterns: pats})
		}
		if err := r.checkPinned(); err != nil {
			return nil, bad(line, at+".match", "%s", err)
		}

		perms, err := permissions(&fr.Permissions)
		if err != nil {
			l := fr.Permissions.Line
			if l == 0 {
				l = line
			}
			return nil, bad(l, at+".permissions", "%s", err)
		}
		r.Permissions = perms

		if fr.MaxTTL == "" {
			return nil, bad(line, at+".max_ttl", "is required, e.g. max_ttl: 2h (from %s to %s)", MinTTL, MaxTTL)
		}
		if r.MaxTTL, err = ttl(fr.MaxTTL); err != nil {
			return nil, bad(line, at+".max_ttl", "%s", err)
		}
		r.DefaultTTL = r.MaxTTL
		if fr.DefaultTTL != "" {
			if r.DefaultTTL, err = ttl(fr.DefaultTTL); err != nil {
				return nil, bad(line, at+".default_ttl", "%s", err)
			}
			if r.DefaultTTL > r.MaxTTL {
				return nil, bad(line, at+".default_ttl", "%s is longer than max_ttl %s", r.DefaultTTL, r.MaxTTL)
			}
		}
		r.MaxLiveKeys = DefaultMaxLiveKeys
		if fr.MaxLiveKeys != nil {
			if *fr.MaxLiveKeys < 1 || *fr.MaxLiveKeys > 10000 {
				return nil, bad(line, at+".max_live_keys", "must be from 1 to 10000")
			}
			r.MaxLiveKeys = *fr.MaxLiveKeys
		}
		p.rules = append(p.rules, r)
	}
	return p, nil
}

// patterns reads a match value: one glob or a list of them.
func patterns(n *yaml.Node) ([]string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" || n.Value == "" {
			return nil, errors.New("is empty; give a glob or a list of globs")
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, errors.New("is an empty list; give at least one glob")
		}
		var out []string
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode || c.Tag == "!!null" || c.Value == "" {
				return nil, errors.New("must be a glob or a list of non-empty globs")
			}
			out = append(out, c.Value)
		}
		return out, nil
	}
	return nil, errors.New("must be a glob or a list of globs")
}

const globChars = `*?[]{}\`

// partialGlobstar reports a "**" that is not a whole path segment, which
// doublestar treats as "*": "x@**" would silently not cross a "/".
func partialGlobstar(pat string) bool {
	for i := strings.Index(pat, "**"); i >= 0; {
		end := i + 2
		for end < len(pat) && pat[end] == '*' {
			end++
		}
		if (i > 0 && pat[i-1] != '/') || (end < len(pat) && pat[end] != '/') {
			return true
		}
		j := strings.Index(pat[end:], "**")
		if j < 0 {
			break
		}
		i = end + j
	}
	return false
}

// checkPinned refuses a rule that could match a repository of any owner.
func (r *Rule) checkPinned() error {
	for _, c := range r.match {
		switch c.claim {
		case "repository_owner", "repository_owner_id", "repository_id":
			if !slices.ContainsFunc(c.patterns, func(p string) bool { return strings.ContainsAny(p, globChars) }) {
				return nil
			}
		case "repository":
			pinned := true
			for _, p := range c.patterns {
				owner, _, ok := strings.Cut(p, "/")
				if !ok || owner == "" || strings.ContainsAny(owner, globChars) {
					pinned = false
				}
			}
			if pinned {
				return nil
			}
		}
	}
	return errors.New("must pin the repository owner with no wildcard (repository: OWNER/..., repository_owner, repository_owner_id or repository_id): GitHub signs tokens for every repository with the same key")
}

// permissions reads a rule's grant: a preset name, a JSON object as a
// string, or the object written as YAML.
func permissions(n *yaml.Node) (vast.Permissions, error) {
	var spec string
	switch n.Kind {
	case 0:
		return vast.Permissions{}, fmt.Errorf("is required: a preset (%s) or a permissions object {api: {...}}", strings.Join(grantablePresets(), ", "))
	case yaml.ScalarNode:
		spec = n.Value
	case yaml.MappingNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return vast.Permissions{}, fmt.Errorf("cannot be read: %s", strings.Join(strings.Fields(err.Error()), " "))
		}
		b, err := json.Marshal(v)
		if err != nil {
			return vast.Permissions{}, fmt.Errorf("cannot be read as JSON: %s", err)
		}
		spec = string(b)
	default:
		return vast.Permissions{}, errors.New("must be a preset name or a permissions object")
	}
	p, err := vast.ParsePermissions(spec, false)
	if errors.Is(err, vast.ErrFullAccess) {
		return vast.Permissions{}, errors.New("grants full access; the broker never mints such a key")
	}
	if err != nil {
		return vast.Permissions{}, errors.New(strings.TrimPrefix(err.Error(), "permissions: "))
	}
	if p.Has("user_write") {
		return vast.Permissions{}, errors.New("grants user_write, which would let a minted key create keys that never expire; the broker never mints it")
	}
	return p, nil
}

func grantablePresets() []string {
	return slices.DeleteFunc(slices.Clone(vast.PresetNames), func(s string) bool { return s == "full" })
}

func ttl(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 30m or 2h", s)
	}
	if d < MinTTL || d > MaxTTL {
		return 0, fmt.Errorf("%s is outside %s to %s", d, MinTTL, MaxTTL)
	}
	return d, nil
}

// ruleLines finds the line of each rule for messages about a rule as a
// whole.
type ruleLines []int

func (rl *ruleLines) read(data []byte) {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 {
		return
	}
	doc := root.Content[0]
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == "rules" {
			for _, c := range doc.Content[i+1].Content {
				*rl = append(*rl, c.Line)
			}
		}
	}
}

func (rl ruleLines) rule(i int) int {
	if i < len(rl) {
		return rl[i]
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Request is what a workflow asks for.
type Request struct {
	Permissions vast.Permissions // zero: what the rule grants
	TTL         time.Duration    // 0: the rule's default_ttl
}

// Grant is a decision to mint.
type Grant struct {
	Rule        string
	Permissions vast.Permissions
	TTL         time.Duration
	MaxLiveKeys int
}

// Denial is a decision not to mint. Code is one of the wire codes
// policy_denied, permissions_not_granted or ttl_too_long.
type Denial struct {
	Code    string
	Rule    string // the rule whose limits the request exceeded; empty for policy_denied
	Message string
}

func (d *Denial) Error() string { return d.Message }

// Decide grants req to a token of issuer with claims c, or returns a
// *Denial.
func (p *Policy) Decide(issuer string, c Claims, req Request) (Grant, error) {
	var first *Denial
	matched := false
	for _, r := range p.rules {
		if !r.Matches(issuer, c) {
			continue
		}
		matched = true
		g, d := r.grant(req)
		if d == nil {
			return g, nil
		}
		if first == nil {
			first = d
		}
	}
	if !matched {
		return Grant{}, &Denial{Code: wire.CodePolicyDenied, Message: "no policy rule matches this token (" + describe(c) + ")"}
	}
	return Grant{}, first
}

// describe names the claims people write rules on, for a denial message.
// Claims are verified but still outside text: quoted.
func describe(c Claims) string {
	var parts []string
	for _, k := range []string{"repository", "ref", "event_name", "environment", "job_workflow_ref"} {
		if v, ok := c[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %q", k, v))
		}
	}
	if len(parts) == 0 {
		return "no matchable claims"
	}
	return strings.Join(parts, ", ")
}

// Matches reports whether the rule applies to a token of issuer with claims
// c: every condition must match, and a missing claim matches nothing.
func (r *Rule) Matches(issuer string, c Claims) bool {
	if strings.TrimSuffix(issuer, "/") != r.Issuer {
		return false
	}
	for _, cond := range r.match {
		v, ok := c[cond.claim]
		if !ok || v == "" {
			return false
		}
		if cond.fold {
			v = strings.ToLower(v)
		}
		hit := false
		for _, pat := range cond.patterns {
			if cond.fold {
				pat = strings.ToLower(pat)
			}
			if ok, _ := doublestar.Match(pat, v); ok {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

func (r *Rule) grant(req Request) (Grant, *Denial) {
	g := Grant{Rule: r.Name, Permissions: r.Permissions, TTL: r.DefaultTTL, MaxLiveKeys: r.MaxLiveKeys}
	if req.TTL != 0 {
		if req.TTL > r.MaxTTL {
			return Grant{}, &Denial{Code: wire.CodeTTLTooLong, Rule: r.Name, Message: fmt.Sprintf("ttl %s is longer than rule %s allows (max_ttl %s)", req.TTL, r.Name, r.MaxTTL)}
		}
		g.TTL = req.TTL
	}
	if !req.Permissions.IsZero() {
		if why := Covers(r.Permissions, req.Permissions); why != "" {
			return Grant{}, &Denial{Code: wire.CodePermissionsNotGranted, Rule: r.Name, Message: fmt.Sprintf("rule %s does not grant these permissions: %s (it grants %s)", r.Name, why, r.Permissions)}
		}
		g.Permissions = req.Permissions
	}
	return g, nil
}

// Covers returns "" if grant allows everything req asks for, else what it
// does not allow. A category granted whole ({}) covers any request in it; a
// category granted with constraints covers only a request for exactly those
// constraints (narrowing them is not attempted: the API's semantics of
// operations within a category are not documented well enough to compare).
func Covers(grant, req vast.Permissions) string {
	g, gerr := categories(grant)
	q, qerr := categories(req)
	if gerr != nil || qerr != nil {
		return "the permissions cannot be compared"
	}
	var missing []string
	for _, c := range req.Categories() {
		gc, ok := g[c]
		switch {
		case !ok:
			missing = append(missing, c)
		case grant.Constrained(c) && !reflect.DeepEqual(gc, q[c]):
			missing = append(missing, c+" beyond the rule's constraints")
		}
	}
	return strings.Join(missing, ", ")
}

func categories(p vast.Permissions) (map[string]any, error) {
	b, err := p.MarshalJSON()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var top struct {
		API map[string]any `json:"api"`
	}
	if err := dec.Decode(&top); err != nil {
		return nil, err
	}
	return top.API, nil
}
