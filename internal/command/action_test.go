package command

import (
	"testing"

	"github.com/vastguard/vastguard/internal/ghactions"
)

// TestGitHubTokenScoped: every command of the action gets the github-token
// input (its default is the job's token), but only a command that calls
// GitHub with it keeps it; the others see no GitHub token in their inputs
// or their environment.
func TestGitHubTokenScoped(t *testing.T) {
	t.Parallel()
	const tok = "ghs_jobtoken0123456789abcdefghijklmnopq"
	tests := []struct {
		with map[string]string
		want bool
	}{
		{map[string]string{"command": "mint", "api-key": "k"}, false},
		{map[string]string{"command": "sweep", "api-key": "k"}, false},
		{map[string]string{"command": "audit", "api-key": "k"}, false},
		{map[string]string{"command": "scan"}, false},
		{map[string]string{"command": "scan", "on-leak": "revoke"}, false},
		{map[string]string{"command": "scan", "upload-sarif": "true"}, true},
		{map[string]string{"command": "scan", "on-leak": "reset", "rotate-secret": "VAST_API_KEY", "api-key": "k"}, true},
		{map[string]string{"command": "repos", "org": "acme"}, true},
	}
	for _, tt := range tests {
		vars := map[string]string{ghactions.InputEnvName("github-token"): tok, "GITHUB_TOKEN": tok, "GH_TOKEN": tok, "GITHUB_REPOSITORY": "a/b"}
		for k, v := range tt.with {
			vars[ghactions.InputEnvName(k)] = v
		}
		getenv := func(k string) string { return vars[k] }
		cfg, err := parseActionInputs(getenv)
		if err != nil {
			t.Fatalf("%v: %v", tt.with, err)
		}
		e, cfg := scoped(&Env{Getenv: getenv}, cfg)
		seen := map[string]bool{"input": cfg.githubToken == tok}
		for _, v := range gitHubTokenVars {
			seen[v] = e.Getenv(v) == tok
		}
		for where, got := range seen {
			if got != tt.want {
				t.Errorf("%v: token in %s = %v, want %v", tt.with, where, got, tt.want)
			}
		}
		if e.Getenv("GITHUB_REPOSITORY") != "a/b" {
			t.Errorf("%v: the rest of the environment is gone", tt.with)
		}
	}
}
