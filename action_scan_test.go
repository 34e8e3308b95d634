package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vastguard/vastguard/scan/scantest"
)

func TestActionScanHistory(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			x := newE2E(t, mode)
			r := workspaceRepo(x)
			files := scantest.Files{"README.md": "vast.ai jobs\n"}
			for i := 1; i <= 12; i++ {
				files[fmt.Sprintf("env/%02d.env", i)] = "VAST_API_KEY=" + scantest.Key(i) + "\n"
			}
			r.Commit("twelve keys", files)
			r.Commit("remove one", scantest.Files{"env/01.env": scantest.Delete})
			r.CheckoutWorktree()
			s := x.step("scan", map[string]string{"command": "scan", "api-key": "", "sarif-file": "reports/vastguard.sarif"})
			if s.Code != 2 {
				t.Fatalf("exit %d, want 2\n%s", s.Code, s.Stdout)
			}
			if n := strings.Count(s.Stdout, "::error "); n != 10 {
				t.Errorf("%d error annotations, want 10 (the runner shows no more)", n)
			}
			if !strings.Contains(s.Stdout, "file=env/01.env,line=1,title=Vast.ai API key (vast-env-assignment)::Vast.ai API key ...") {
				t.Errorf("no annotation on env/01.env:\n%s", s.Stdout)
			}
			if !strings.Contains(s.Stdout, "(and 2 more: see the job summary)") {
				t.Error("the last annotation does not point at the summary")
			}
			if got := strings.Count(s.Summary, "| `..."); got != 12 {
				t.Errorf("summary lists %d findings, want 12:\n%s", got, s.Summary)
			}
			if s.Outputs["findings"] != "12" || !strings.HasSuffix(s.Outputs["sarif-file"], "reports/vastguard.sarif") {
				t.Errorf("outputs = %v", s.Outputs)
			}
			sarif := filepath.Join(x.job.Env["GITHUB_WORKSPACE"], "reports", "vastguard.sarif")
			var log struct {
				Runs []struct{ Results []any } `json:"runs"`
			}
			if b, err := os.ReadFile(sarif); err != nil || json.Unmarshal(b, &log) != nil || len(log.Runs[0].Results) != 12 {
				t.Errorf("SARIF file: %v", err)
			}
			assertNoScanLeak(t, s, sarif)
			// Nothing was minted: the post step has nothing to do.
			for _, p := range x.posts() {
				if p.Code != 0 || len(x.srv.Requests()) != 0 {
					t.Errorf("post = %d, %d API calls", p.Code, len(x.srv.Requests()))
				}
			}
		})
	}
}

func TestActionScanPullRequest(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			x := newE2E(t, mode)
			r := workspaceRepo(x)
			r.Commit("old leak", scantest.Files{"old.env": "VAST_API_KEY=" + scantest.Key(1) + "\n"})
			base := r.Head()
			r.Branch("pr")
			r.Commit("pr adds a key", scantest.Files{"new.py": "VastAI(api_key='" + scantest.Key(2) + "')\n"})
			head := r.Head()
			r.CheckoutWorktree()
			event := fmt.Sprintf(`{"number": 7, "pull_request": {"number": 7, "base": {"sha": %q}, "head": {"sha": %q}}}`, base, head)
			if err := os.WriteFile(x.job.Env["GITHUB_EVENT_PATH"], []byte(event), 0o644); err != nil {
				t.Fatal(err)
			}
			x.job.Env["GITHUB_EVENT_NAME"] = "pull_request"
			s := x.step("scan", map[string]string{"command": "scan", "api-key": ""})
			if s.Code != 2 || s.Outputs["findings"] != "1" {
				t.Fatalf("exit %d, outputs %v\n%s", s.Code, s.Outputs, s.Stdout)
			}
			if !strings.Contains(s.Stdout, "file=new.py,line=1") || strings.Contains(s.Stdout, "old.env") {
				t.Errorf("annotations are not the pull request's:\n%s", s.Stdout)
			}
			if !strings.Contains(s.Summary, "the commits of the pull request #7") {
				t.Errorf("summary = %s", s.Summary)
			}
			assertNoScanLeak(t, s)

			// The base commit is missing from the clone (a shallow or
			// single-branch checkout): a clear error, never a pass.
			event = fmt.Sprintf(`{"pull_request": {"base": {"sha": %q}, "head": {"sha": %q}}}`, strings.Repeat("1", 40), head)
			os.WriteFile(x.job.Env["GITHUB_EVENT_PATH"], []byte(event), 0o644)
			s = x.step("scan2", map[string]string{"command": "scan", "api-key": ""})
			if s.Code != 1 || !strings.Contains(s.Stdout, "is not in the clone") || !strings.Contains(s.Stdout, "fetch-depth: 0") {
				t.Errorf("missing base: exit %d\n%s", s.Code, s.Stdout)
			}
			// A payload that names no commits.
			os.WriteFile(x.job.Env["GITHUB_EVENT_PATH"], []byte(`{"pull_request": {}}`), 0o644)
			s = x.step("scan3", map[string]string{"command": "scan", "api-key": ""})
			if s.Code != 1 || !strings.Contains(s.Stdout, "does not name the base and head commits") {
				t.Errorf("bad payload: exit %d\n%s", s.Code, s.Stdout)
			}
		})
	}
}

func TestActionScanCleanAndShallow(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	r := workspaceRepo(x)
	r.Commit("one", scantest.Files{"a.txt": "hello vast\n"})
	c := r.Commit("two", scantest.Files{"a.txt": "hello again\n"})
	r.CheckoutWorktree()
	s := x.step("scan", map[string]string{"command": "scan", "api-key": ""})
	if s.Code != 0 || s.Outputs["findings"] != "0" || !strings.Contains(s.Summary, "no Vast.ai API keys") || strings.Contains(s.Stdout, "::error") {
		t.Errorf("clean: exit %d, outputs %v\n%s\n%s", s.Code, s.Outputs, s.Stdout, s.Summary)
	}
	r.MakeShallow(c)
	s = x.step("scan2", map[string]string{"command": "scan", "api-key": ""})
	if s.Code != 1 || !strings.Contains(s.Stdout, "is a shallow clone") || !strings.Contains(s.Stdout, "fetch-depth: 0") || strings.Count(s.Stdout, "\n") != 1 {
		t.Errorf("shallow: exit %d\n%s", s.Code, s.Stdout)
	}
}

func TestActionScanRevoke(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			x := newE2E(t, mode)
			uid := x.srv.Keys()[0].UserID
			leakID, leaked := x.srv.AddKey(uid, "prod-scaler", `{"api":{"user_read":{},"instance_read":{},"instance_write":{}}}`)
			r := workspaceRepo(x)
			r.Commit("oops", scantest.Files{"deploy/.env": "VAST_API_KEY=" + leaked + "\n", "notes.md": "old: VAST_API_KEY=" + scantest.Key(7) + "\n"})
			r.CheckoutWorktree()
			s := x.step("scan", map[string]string{"command": "scan", "on-leak": "revoke"})
			if s.Code != 3 {
				t.Fatalf("exit %d, want 3 (a live key)\n%s", s.Code, s.Stdout)
			}
			if k, _ := x.srv.Key(leakID); !k.Deleted {
				t.Error("the live key was not revoked")
			}
			for _, want := range []string{"#### Response to the leaked keys", "| revoke | revoked | confirmed by listing that key " + fmt.Sprint(leakID) + " is in the account", "; deleted with the management key; confirmed dead |",
				"#### What leaked key `..." + leaked[len(leaked)-4:] + "` did before it was revoked (audit log)", "| /api/v0/users/current/ | 1 |", "live: key " + fmt.Sprint(leakID)} {
				if !strings.Contains(s.Summary, want) {
					t.Errorf("summary lacks %q:\n%s", want, s.Summary)
				}
			}
			if !strings.Contains(s.Stdout, "::warning title=vastguard response::leaked key ...") {
				t.Errorf("no response annotation:\n%s", s.Stdout)
			}
			texts := s.Stdout + s.Stderr
			for _, f := range s.Files {
				texts += string(f)
			}
			assertNoSecret(t, "step", texts, leaked, x.admin, scantest.Key(7))
		})
	}
}

func TestActionScanPartialClone(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	r := workspaceRepo(x)
	r.Commit("k", scantest.Files{"a.env": "VAST_API_KEY=" + scantest.Key(9) + "\n"})
	r.SetConfig("extensions", "partialclone", "origin")
	s := x.step("scan", map[string]string{"command": "scan", "api-key": ""})
	if s.Code != 1 || !strings.Contains(s.Stdout, "is a partial clone") || !strings.Contains(s.Stdout, "set allow-partial: true") || strings.Contains(s.Stdout, "--allow-partial") {
		t.Errorf("exit %d\n%s", s.Code, s.Stdout)
	}
	s = x.step("scan2", map[string]string{"command": "scan", "api-key": "", "allow-partial": "true"})
	if s.Code != 2 || !strings.Contains(s.Summary, "partial clone: objects left on the server were not scanned") {
		t.Errorf("allow-partial: exit %d\n%s\n%s", s.Code, s.Stdout, s.Summary)
	}
}
