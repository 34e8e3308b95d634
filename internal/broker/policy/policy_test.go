package policy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vastguard/vastguard/internal/broker/wire"
	"github.com/vastguard/vastguard/vast"
)

const gh = "https://token.actions.githubusercontent.com"

var oneIssuer = Options{Issuers: []string{gh}}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	rule := func(extra string) string {
		return "rules:\n  - name: r\n    match:\n      repository: acme/app\n    permissions: read-only\n    max_ttl: 1h\n" + extra
	}
	tests := []struct {
		name, in, want string
		opts           *Options
	}{
		{"ok", rule(""), "", nil},
		{"no rules is valid", "rules: []\n", "", nil},
		{"unknown top field", "rulez: []\n", `p.yaml:1: unknown field "rulez" (known: rules, version)`, nil},
		{"bad version", "version: 2\nrules: []\n", "p.yaml: version: must be 1", nil},
		{"unknown rule field", rule("    max_tll: 1h\n"), `p.yaml:7: rules[0]: unknown field "max_tll" (known: default_ttl, issuer, match, max_live_keys, max_ttl, name, permissions)`, nil},
		{"no name", "rules:\n  - match: {repository: acme/app}\n    permissions: read-only\n    max_ttl: 1h\n", "p.yaml:2: rules[0].name: is required (letters, digits, '.', '_', '-'; at most 64)", nil},
		{"bad name", strings.Replace(rule(""), "name: r", "name: 'a b'", 1), `p.yaml:2: rules[0].name: "a b": use only letters, digits, '.', '_', '-' (at most 64)`, nil},
		{"duplicate name", rule("  - name: r\n    match: {repository: acme/x}\n    permissions: read-only\n    max_ttl: 1h\n"), `p.yaml:7: rules[1].name: "r" is used by an earlier rule; names must be unique`, nil},
		{"no match", "rules:\n  - name: r\n    permissions: read-only\n    max_ttl: 1h\n", "p.yaml:2: rules[0] (r).match: is required and must pin the repository owner, e.g. repository: acme/gpu-tests", nil},
		{"unknown claim", rule("")[:len("rules:\n  - name: r\n    match:\n")] + "      repo: acme/app\n    permissions: read-only\n    max_ttl: 1h\n", "p.yaml:4: rules[0] (r).match.repo: unknown claim; rules can match actor, actor_id, base_ref, environment, event_name, head_ref, job_workflow_ref, ref, ref_protected, ref_type, repository, repository_id, repository_owner, repository_owner_id, repository_visibility, runner_environment, sub, workflow, workflow_ref", nil},
		{"owner wildcard", strings.Replace(rule(""), "acme/app", "'*/app'", 1), "p.yaml:2: rules[0] (r).match: must pin the repository owner with no wildcard (repository: OWNER/..., repository_owner, repository_owner_id or repository_id): GitHub signs tokens for every repository with the same key", nil},
		{"owner glob", strings.Replace(rule(""), "acme/app", "'acme-*/app'", 1), "p.yaml:2: rules[0] (r).match: must pin the repository owner", nil},
		{"one of the repositories unpinned", strings.Replace(rule(""), "acme/app", "[acme/app, '**']", 1), "p.yaml:2: rules[0] (r).match: must pin", nil},
		{"only ref", strings.Replace(rule(""), "repository: acme/app", "ref: refs/heads/main", 1), "p.yaml:2: rules[0] (r).match: must pin", nil},
		{"owner pinned by owner claim", strings.Replace(rule(""), "repository: acme/app", "repository_owner: acme\n      repository: '*/app'", 1), "", nil},
		{"owner pinned by id", strings.Replace(rule(""), "repository: acme/app", "repository_owner_id: '1234'", 1), "", nil},
		{"bad glob", strings.Replace(rule(""), "acme/app", "'acme/[app'", 1), `p.yaml:4: rules[0] (r).match.repository: "acme/[app" is not a valid glob`, nil},
		{"partial globstar", strings.Replace(rule(""), "acme/app", "'acme/app@**'", 1), `p.yaml:4: rules[0] (r).match.repository: "acme/app@**": ** crosses '/' only as a whole segment (refs/**, a/**/b); inside a segment it would act like *`, nil},
		{"whole globstar", strings.Replace(rule(""), "acme/app", "acme/app\n      ref: 'refs/**'", 1), "", nil},
		{"empty pattern", strings.Replace(rule(""), "acme/app", "''", 1), "p.yaml:4: rules[0] (r).match.repository: is empty; give a glob or a list of globs", nil},
		{"empty list", strings.Replace(rule(""), "acme/app", "[]", 1), "p.yaml:4: rules[0] (r).match.repository: is an empty list; give at least one glob", nil},
		{"mapping as pattern", strings.Replace(rule(""), "acme/app", "{a: b}", 1), "p.yaml:4: rules[0] (r).match.repository: must be a glob or a list of globs", nil},
		{"no permissions", strings.Replace(rule(""), "    permissions: read-only\n", "", 1), "p.yaml:2: rules[0] (r).permissions: is required: a preset (read-only, instance-management, autoscaler) or a permissions object {api: {...}}", nil},
		{"unknown preset", strings.Replace(rule(""), "read-only", "admin", 1), `p.yaml:5: rules[0] (r).permissions: unknown preset "admin"`, nil},
		{"full refused", strings.Replace(rule(""), "read-only", "full", 1), "p.yaml:5: rules[0] (r).permissions: grants full access; the broker never mints such a key", nil},
		{"user_write refused", strings.Replace(rule(""), "read-only", "{api: {user_write: {}}}", 1), "p.yaml:5: rules[0] (r).permissions: grants user_write", nil},
		{"bad category", strings.Replace(rule(""), "read-only", "'{\"api\": {\"gpu\": {}}}'", 1), "p.yaml:5: rules[0] (r).permissions: api.gpu: unknown category", nil},
		{"yaml object", strings.Replace(rule(""), "read-only", "\n      api:\n        instance_read: {}\n        instance_write:\n          api.instance.destroy: {constraints: {id: {eq: 1227}}}", 1), "", nil},
		{"no max_ttl", strings.Replace(rule(""), "    max_ttl: 1h\n", "", 1), "p.yaml:2: rules[0] (r).max_ttl: is required, e.g. max_ttl: 2h (from 5m0s to 168h0m0s)", nil},
		{"bad max_ttl", strings.Replace(rule(""), "max_ttl: 1h", "max_ttl: 1 hour", 1), `p.yaml:2: rules[0] (r).max_ttl: "1 hour" is not a duration such as 30m or 2h`, nil},
		{"max_ttl too long", strings.Replace(rule(""), "max_ttl: 1h", "max_ttl: 200h", 1), "p.yaml:2: rules[0] (r).max_ttl: 200h0m0s is outside 5m0s to 168h0m0s", nil},
		{"default over max", rule("    default_ttl: 2h\n"), "p.yaml:2: rules[0] (r).default_ttl: 2h0m0s is longer than max_ttl 1h0m0s", nil},
		{"max_live_keys zero", rule("    max_live_keys: 0\n"), "p.yaml:2: rules[0] (r).max_live_keys: must be from 1 to 10000", nil},
		{"max_live_keys text", rule("    max_live_keys: many\n"), "p.yaml:7: cannot unmarshal !!str `many` into int", nil},
		{"issuer required with two", rule(""), "p.yaml:2: rules[0] (r).issuer: is required when the broker trusts several issuers (" + gh + ", https://ghe.example.com/_services/token)", &Options{Issuers: []string{gh, "https://ghe.example.com/_services/token"}}},
		{"unknown issuer", rule("    issuer: https://evil.example.com\n"), `p.yaml:2: rules[0] (r).issuer: "https://evil.example.com" is not one of the broker's issuers (` + gh + ")", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := oneIssuer
			if tt.opts != nil {
				opts = *tt.opts
			}
			_, err := Parse("p.yaml", []byte(tt.in), opts)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tt.want == "" && got != "" || tt.want != "" && !strings.HasPrefix(got, tt.want) {
				t.Errorf("Parse error\n got: %s\nwant: %s", got, tt.want)
			}
			if strings.Contains(got, "\n") {
				t.Errorf("error has several lines: %q", got)
			}
		})
	}
}

const testPolicy = `
version: 1
rules:
  - name: main-train
    match:
      repository: Acme/GPU-Tests
      ref: [refs/heads/main, "refs/tags/v*"]
      event_name: [push, workflow_dispatch]
    permissions: instance-management
    max_ttl: 2h
    default_ttl: 1h
    max_live_keys: 3
  - name: acme-read
    match:
      repository_owner: acme
      job_workflow_ref: "acme/*/.github/workflows/*.yml@refs/heads/*"
    permissions: read-only
    max_ttl: 30m
  - name: deploy
    match:
      repository: acme/deploy
      environment: production
      runner_environment: github-hosted
    permissions:
      api:
        instance_read: {}
        instance_write:
          api.instance.destroy: {constraints: {id: {eq: 1227}}}
    max_ttl: 15m
`

func TestDecide(t *testing.T) {
	t.Parallel()
	p, err := Parse("p.yaml", []byte(testPolicy), oneIssuer)
	if err != nil {
		t.Fatal(err)
	}
	mainPush := Claims{"repository": "acme/gpu-tests", "repository_owner": "acme", "ref": "refs/heads/main", "event_name": "push", "job_workflow_ref": "acme/gpu-tests/.github/workflows/ci.yml@refs/heads/main"}
	with := func(c Claims, kv ...string) Claims {
		out := Claims{}
		for k, v := range c {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(out, kv[i])
			} else {
				out[kv[i]] = kv[i+1]
			}
		}
		return out
	}
	perms := func(s string) vast.Permissions { return vast.MustPermissions(s, false) }
	type result struct {
		Rule, Perms, Code string
		TTL               time.Duration
	}
	tests := []struct {
		name   string
		issuer string
		claims Claims
		req    Request
		want   result
	}{
		{"defaults of first rule", gh, mainPush, Request{}, result{Rule: "main-train", Perms: "instance_read, instance_write, misc", TTL: time.Hour}},
		{"case-insensitive repository", gh, with(mainPush, "repository", "ACME/gpu-tests"), Request{}, result{Rule: "main-train", Perms: "instance_read, instance_write, misc", TTL: time.Hour}},
		{"narrower request", gh, mainPush, Request{Permissions: perms(`{"api":{"instance_read":{}}}`), TTL: 30 * time.Minute}, result{Rule: "main-train", Perms: "instance_read", TTL: 30 * time.Minute}},
		{"tag glob", gh, with(mainPush, "ref", "refs/tags/v1.2"), Request{}, result{Rule: "main-train", Perms: "instance_read, instance_write, misc", TTL: time.Hour}},
		{"tag glob does not cross slash", gh, with(mainPush, "ref", "refs/tags/v1/x", "job_workflow_ref", ""), Request{}, result{Code: wire.CodePolicyDenied}},
		{"later rule covers what the first does not", gh, mainPush, Request{Permissions: perms("read-only")}, result{Rule: "acme-read", Perms: "billing_read, instance_read, machine_read, team_read, user_read", TTL: 30 * time.Minute}},
		{"ttl over every matching max", gh, mainPush, Request{TTL: 3 * time.Hour}, result{Code: wire.CodeTTLTooLong}},
		{"more than granted", gh, mainPush, Request{Permissions: perms(`{"api":{"billing_write":{}}}`)}, result{Code: wire.CodePermissionsNotGranted}},
		{"pull_request does not match", gh, with(mainPush, "event_name", "pull_request", "job_workflow_ref", ""), Request{}, result{Code: wire.CodePolicyDenied}},
		{"other owner", gh, Claims{"repository": "evil/gpu-tests", "repository_owner": "evil", "ref": "refs/heads/main", "event_name": "push"}, Request{}, result{Code: wire.CodePolicyDenied}},
		{"owner lookalike", gh, Claims{"repository": "acme-evil/x", "repository_owner": "acme-evil", "job_workflow_ref": "acme/x/.github/workflows/a.yml@refs/heads/main"}, Request{}, result{Code: wire.CodePolicyDenied}},
		{"other issuer", "https://evil.example.com", mainPush, Request{}, result{Code: wire.CodePolicyDenied}},
		{"missing claim matches nothing", gh, Claims{"repository": "acme/deploy", "repository_owner": "acme", "runner_environment": "github-hosted"}, Request{}, result{Code: wire.CodePolicyDenied}},
		{"environment", gh, Claims{"repository": "acme/deploy", "repository_owner": "acme", "environment": "production", "runner_environment": "github-hosted"}, Request{}, result{Rule: "deploy", Perms: "instance_read, instance_write (constrained)", TTL: 15 * time.Minute}},
		{"constrained grant, same constraints", gh, Claims{"repository": "acme/deploy", "repository_owner": "acme", "environment": "production", "runner_environment": "github-hosted"}, Request{Permissions: perms(`{"api":{"instance_write":{"api.instance.destroy":{"constraints":{"id":{"eq":1227}}}}}}`)}, result{Rule: "deploy", Perms: "instance_write (constrained)", TTL: 15 * time.Minute}},
		{"constrained grant, other constraints", gh, Claims{"repository": "acme/deploy", "repository_owner": "acme", "environment": "production", "runner_environment": "github-hosted"}, Request{Permissions: perms(`{"api":{"instance_write":{"api.instance.destroy":{"constraints":{"id":{"eq":1}}}}}}`)}, result{Code: wire.CodePermissionsNotGranted}},
		{"constrained grant, whole category asked", gh, Claims{"repository": "acme/deploy", "repository_owner": "acme", "environment": "production", "runner_environment": "github-hosted"}, Request{Permissions: perms(`{"api":{"instance_write":{}}}`)}, result{Code: wire.CodePermissionsNotGranted}},
		{"self-hosted", gh, Claims{"repository": "acme/deploy", "repository_owner": "acme", "environment": "production", "runner_environment": "self-hosted"}, Request{}, result{Code: wire.CodePolicyDenied}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := p.Decide(tt.issuer, tt.claims, tt.req)
			var got result
			var d *Denial
			switch {
			case errors.As(err, &d):
				got.Code = d.Code
				if strings.Contains(d.Message, "\n") || d.Message == "" {
					t.Errorf("message %q", d.Message)
				}
			case err != nil:
				t.Fatal(err)
			default:
				got = result{Rule: g.Rule, Perms: g.Permissions.String(), TTL: g.TTL}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decide (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDenialMessages(t *testing.T) {
	t.Parallel()
	p, err := Parse("p.yaml", []byte(testPolicy), oneIssuer)
	if err != nil {
		t.Fatal(err)
	}
	c := Claims{"repository": "acme/gpu-tests", "repository_owner": "acme", "ref": "refs/heads/main", "event_name": "push"}
	_, err = p.Decide(gh, c, Request{TTL: 3 * time.Hour})
	if want := "ttl 3h0m0s is longer than rule main-train allows (max_ttl 2h0m0s)"; err == nil || err.Error() != want {
		t.Errorf("ttl denial = %v, want %q", err, want)
	}
	_, err = p.Decide(gh, c, Request{Permissions: vast.MustPermissions(`{"api":{"billing_write":{},"instance_read":{}}}`, false)})
	if want := "rule main-train does not grant these permissions: billing_write (it grants instance_read, instance_write, misc)"; err == nil || err.Error() != want {
		t.Errorf("permissions denial = %v, want %q", err, want)
	}
	_, err = p.Decide(gh, Claims{"repository": "evil/x\nforged", "ref": "refs/heads/main"}, Request{})
	if want := `no policy rule matches this token (repository "evil/x\nforged", ref "refs/heads/main")`; err == nil || err.Error() != want {
		t.Errorf("policy denial = %v, want %q", err, want)
	}
}

func TestRulesDefaults(t *testing.T) {
	t.Parallel()
	p, err := Parse("p.yaml", []byte(testPolicy), oneIssuer)
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		Name, Issuer, Perms string
		MaxTTL, DefaultTTL  time.Duration
		MaxLive             int
	}
	var got []view
	for _, r := range p.Rules() {
		got = append(got, view{r.Name, r.Issuer, r.Permissions.String(), r.MaxTTL, r.DefaultTTL, r.MaxLiveKeys})
	}
	want := []view{
		{"main-train", gh, "instance_read, instance_write, misc", 2 * time.Hour, time.Hour, 3},
		{"acme-read", gh, "billing_read, instance_read, machine_read, team_read, user_read", 30 * time.Minute, 30 * time.Minute, DefaultMaxLiveKeys},
		{"deploy", gh, "instance_read, instance_write (constrained)", 15 * time.Minute, 15 * time.Minute, DefaultMaxLiveKeys},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
}
