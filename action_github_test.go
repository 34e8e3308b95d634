package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/vastguard/vastguard/ghapi/ghtest"
	"github.com/vastguard/vastguard/scan/scantest"
)

func TestActionUploadSARIF(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	gh := withGitHub(t, x)
	token := gh.AddActionsToken()
	r := workspaceRepo(x)
	r.Commit("leak", scantest.Files{"a.env": "VAST_API_KEY=" + scantest.Key(3) + "\n"})
	s := x.step("scan", map[string]string{"command": "scan", "api-key": "", "upload-sarif": "true", "github-token": token})
	if s.Code != 2 {
		t.Fatalf("exit %d\n%s", s.Code, s.Stdout)
	}
	ups := gh.Uploads()
	if len(ups) != 1 || s.Outputs["sarif-id"] != ups[0].ID {
		t.Fatalf("uploads %d, output sarif-id %q", len(ups), s.Outputs["sarif-id"])
	}
	u := ups[0]
	if u.CommitSHA != strings.Repeat("c", 40) || u.Ref != "refs/heads/main" || u.ToolName != "vastguard" {
		t.Errorf("upload = commit %s ref %s tool %s", u.CommitSHA, u.Ref, u.ToolName)
	}
	if !bytes.Contains(u.SARIF, []byte(`"ruleId": "vast-env-assignment"`)) || bytes.Contains(u.SARIF, []byte(scantest.Key(3))) {
		t.Errorf("the SARIF uploaded lacks the finding or holds the key")
	}
	if !strings.Contains(s.Summary, "uploaded to code scanning") || !strings.Contains(s.Summary, "does not make its key safe") {
		t.Errorf("summary = %s", s.Summary)
	}
	assertNoScanLeak(t, s)

	// A token without security-events: write: the upload fails, the
	// findings' exit code stands, and an error annotation says why.
	weak := "ghp_weak0123456789abcdefghijklmnopqrstu"
	gh.AddToken(weak, ghtest.PermMetadata)
	s = x.step("scan2", map[string]string{"command": "scan", "api-key": "", "upload-sarif": "true", "github-token": weak})
	if s.Code != 2 || !strings.Contains(s.Stdout, "::error title=vastguard::upload-sarif:") || strings.Contains(s.Stdout, weak) {
		t.Errorf("weak token: exit %d\n%s", s.Code, s.Stdout)
	}
}

func TestActionReset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		token       func(gh *ghtest.Server) string
		wantStored  bool
		wantOutcome string
	}{
		{"a token that may write secrets", func(gh *ghtest.Server) string { return gh.Token }, true, "revoked and replaced"},
		{"the built-in GITHUB_TOKEN cannot", func(gh *ghtest.Server) string { return gh.AddActionsToken() }, false, "the replacement key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := newE2E(t, "in-process")
			gh := withGitHub(t, x)
			uid := x.srv.Keys()[0].UserID
			leakID, leaked := x.srv.AddKey(uid, "prod", `{"api":{"user_read":{},"instance_read":{},"instance_write":{},"misc":{}}}`)
			r := workspaceRepo(x)
			r.Commit("leak", scantest.Files{"deploy.env": "VAST_API_KEY=" + leaked + "\n"})
			s := x.step("scan", map[string]string{"command": "scan", "on-leak": "reset", "rotate-secret": "VAST_API_KEY", "github-token": tt.token(gh)})
			if s.Code != 3 {
				t.Fatalf("exit %d\n%s", s.Code, s.Stdout)
			}
			if k, _ := x.srv.Key(leakID); !k.Deleted {
				t.Error("the leaked key is alive")
			}
			var repl []string
			for _, k := range x.srv.Keys() {
				if strings.HasPrefix(k.Name, "vastguard-replacement-of-") {
					repl = append(repl, fmt.Sprintf("%v", k.Deleted))
					if !k.Deleted && strings.Join(k.Scopes(), ",") != "instance_read,instance_write,misc,user_read" {
						t.Errorf("replacement scopes %v", k.Scopes())
					}
					sec, ok := gh.Secret("acme", "gpu-tests", "VAST_API_KEY")
					if tt.wantStored && (!ok || sec.Value != k.Value) {
						t.Error("the secret does not decrypt to the replacement key")
					}
					if !tt.wantStored && k.Deleted != true {
						t.Error("the replacement was left live after the secret write failed")
					}
					if n := strings.Count(s.Stdout, "::add-mask::"+k.Value+"\n"); n != 1 || !strings.HasPrefix(s.Stdout, "::add-mask::") {
						t.Errorf("the replacement is masked %d times, or not first", n)
					}
					if strings.Count(s.Stdout+s.Stderr+string(s.Files["GITHUB_STEP_SUMMARY"])+string(s.Files["GITHUB_OUTPUT"]), k.Value) != 1 {
						t.Error("the replacement appears beyond its mask line")
					}
				}
			}
			if len(repl) != 1 {
				t.Fatalf("%d replacements", len(repl))
			}
			if !strings.Contains(s.Summary, tt.wantOutcome) {
				t.Errorf("summary lacks %q:\n%s", tt.wantOutcome, s.Summary)
			}
			if !tt.wantStored && !strings.Contains(s.Summary, "was deleted again") {
				t.Errorf("summary does not say the replacement was deleted:\n%s", s.Summary)
			}
			if !tt.wantStored && !strings.Contains(s.Summary, `GITHUB\_TOKEN cannot write secrets; the token came from the github-token input`) {
				t.Errorf("summary does not say the built-in token cannot write secrets:\n%s", s.Summary)
			}
			assertNoSecret(t, "summary", s.Summary, leaked, x.admin)
		})
	}
}

func TestActionRepos(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	gh := withGitHub(t, x)
	for _, n := range []string{"web", "api", "old"} {
		gh.AddRepo(ghtest.Repo{Owner: "acme", Name: n, Archived: n == "old"})
	}
	s := x.step("repos", map[string]string{"command": "repos", "api-key": "", "org": "acme", "github-token": gh.Token})
	if s.Code != 0 || s.Outputs["matrix"] != `{"repository":["acme/api","acme/gpu-tests","acme/web"]}` {
		t.Errorf("exit %d, matrix %q\n%s", s.Code, s.Outputs["matrix"], s.Stdout)
	}
	if strings.Contains(s.Stdout+s.Stderr+s.Summary, gh.Token) {
		t.Error("the token is shown")
	}
}
