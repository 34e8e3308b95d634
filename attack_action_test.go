package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/vastguard/vastguard/internal/command"
	"github.com/vastguard/vastguard/internal/ghactions/runnertest"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

// The outside team's attacks on the Action (issue 15): hostile pull
// requests, event payloads and runner files, each run as the runner runs
// the step (runnertest) against a repository a generator builds at run
// time. Each test states the safe outcome; the closing note of the issue
// lists what each did before it was fixed.

// prEvent writes a pull_request (or pull_request_target) payload for base
// and head, with extra fields merged into pull_request, and sets the event.
func prEvent(t *testing.T, x *e2e, name string, base, head plumbing.Hash, extra map[string]any) {
	t.Helper()
	pr := map[string]any{"number": 12, "base": map[string]any{"sha": base.String(), "ref": "main"}, "head": map[string]any{"sha": head.String(), "ref": "feature"}}
	for k, v := range extra {
		pr[k] = v
	}
	b, err := json.Marshal(map[string]any{"action": "synchronize", "number": 12, "pull_request": pr})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(x.job.Env["GITHUB_EVENT_PATH"], b, 0o644); err != nil {
		t.Fatal(err)
	}
	x.job.Env["GITHUB_EVENT_NAME"] = name
}

// stepWithin runs a step and fails the test if it has not ended within d:
// what it guards against is a step that blocks forever.
func stepWithin(t *testing.T, x *e2e, d time.Duration, id string, with map[string]string) *runnertest.Step {
	t.Helper()
	done := make(chan *runnertest.Step, 1)
	errc := make(chan error, 1)
	go func() {
		s, err := x.job.RunStep(x.t.Context(), id, x.with(with))
		if err != nil {
			errc <- err
			return
		}
		done <- s
	}()
	select {
	case s := <-done:
		return s
	case err := <-errc:
		t.Fatalf("step %s: %v", id, err)
	case <-time.After(d):
		t.Fatalf("step %s still running after %s: it blocks", id, d)
	}
	return nil
}

var scanStep = map[string]string{"command": "scan", "api-key": ""}

// prWithKey builds, in the job's workspace, a base commit and a pull
// request on top of it whose commit adds a key (plus files), and checks
// the pull request's head out.
func prWithKey(x *e2e, files scantest.Files) (r *scantest.Repo, base, head plumbing.Hash) {
	r = workspaceRepo(x)
	r.Commit("base", scantest.Files{"README.md": "gpu jobs on vast.ai\n"})
	base = r.Head()
	r.Branch("pr")
	all := scantest.Files{"deploy.env": "VAST_API_KEY=" + scantest.Key(21) + "\n"}
	for k, v := range files {
		all[k] = v
	}
	head = r.Commit("add deploy settings", all)
	r.CheckoutWorktree()
	return r, base, head
}

// TestAttackPRHidesItsKey: a pull request that tries to hide the key it
// adds from the scan with what it controls in its own commits. git and
// the scanner read none of .gitattributes, .mailmap, .gitmodules for
// scanning; a .vastguard.yaml the pull request adds, or links to a file
// of its own, is not used. Each one still reports the key.
func TestAttackPRHidesItsKey(t *testing.T) {
	t.Parallel()
	for _, event := range []string{"pull_request", "pull_request_target"} {
		tests := []struct {
			name  string
			files scantest.Files
		}{
			{".gitattributes marks it binary, LFS, linguist-generated", scantest.Files{".gitattributes": "*.env binary -diff -text filter=lfs diff=lfs merge=lfs linguist-generated=true linguist-vendored=true\n"}},
			{".mailmap rewrites the author", scantest.Files{".mailmap": "Nobody <nobody@example.com> Ada Lovelace <ada@example.com>\n"}},
			{".gitmodules claims the path is a submodule", scantest.Files{".gitmodules": "[submodule \"deploy.env\"]\n\tpath = deploy.env\n\turl = ../../../etc\n"}},
			{"a .vastguard.yaml that excludes everything", scantest.Files{".vastguard.yaml": "exclude-paths: [\"**\"]\ndisable-rules: [vast-env-assignment]\nmin-confidence: high\n"}},
			{"a .vastguard.yaml linked to a config of its own", scantest.Files{".vastguard.yaml": scantest.Symlink("ci/vastguard.yaml"), "ci/vastguard.yaml": "exclude-paths: [\"**\"]\n"}},
			{"a baseline of its own, named by its own config", scantest.Files{".vastguard.yaml": "baseline: ok.txt\n", "ok.txt": "sha256:" + keyHash(21) + "\n"}},
		}
		for _, tt := range tests {
			t.Run(event+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				x := newE2E(t, "in-process")
				_, base, head := prWithKey(x, tt.files)
				prEvent(t, x, event, base, head, nil)
				s := x.step("scan", scanStep)
				if s.Code != 2 || s.Outputs["findings"] != "1" {
					t.Fatalf("the pull request hid its key: exit %d, outputs %v\n%s\n%s", s.Code, s.Outputs, s.Stdout, s.Summary)
				}
				assertNoScanLeak(t, s)
			})
		}
	}
}

// TestAttackPRBuildWritesConfig: an earlier step that runs the pull
// request's code (npm ci, make test) can write files into the checkout
// that git does not track. On a pull request the scan must not take its
// configuration or baseline from such a file: one the base commit tracks
// is read from the base commit (even when the pull request deletes it),
// and an untracked .vastguard.yaml is not read at all.
func TestAttackPRBuildWritesConfig(t *testing.T) {
	t.Parallel()
	permissive := "exclude-paths: [\"**\"]\n"
	tests := []struct {
		name     string
		baseHas  scantest.Files // tracked on the base branch
		prFiles  scantest.Files // the pull request's commit
		written  map[string]string
		withCfg  string // the config input
		wantNote string
	}{
		{
			name:     "an untracked .vastguard.yaml",
			written:  map[string]string{".vastguard.yaml": permissive},
			wantNote: "not tracked",
		},
		{
			name:     "the pull request deletes the tracked .vastguard.yaml and its build writes another",
			baseHas:  scantest.Files{".vastguard.yaml": "min-confidence: medium\n"},
			prFiles:  scantest.Files{".vastguard.yaml": scantest.Delete},
			written:  map[string]string{".vastguard.yaml": permissive},
			wantNote: "read from the base branch",
		},
		{
			name:     "the pull request deletes the tracked config input and its build writes another",
			baseHas:  scantest.Files{".ci/vastguard.yaml": "min-confidence: medium\n"},
			prFiles:  scantest.Files{".ci/vastguard.yaml": scantest.Delete},
			written:  map[string]string{".ci/vastguard.yaml": permissive},
			withCfg:  ".ci/vastguard.yaml",
			wantNote: "read from the base branch",
		},
		{
			name:     "the base config names a baseline the pull request deletes and its build writes",
			baseHas:  scantest.Files{".vastguard.yaml": "baseline: .vastguard-baseline\n", ".vastguard-baseline": "# none yet\n"},
			prFiles:  scantest.Files{".vastguard-baseline": scantest.Delete},
			written:  map[string]string{".vastguard-baseline": "sha256:" + keyHash(21) + "\n"},
			wantNote: "read from the base branch",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := newE2E(t, "in-process")
			r := workspaceRepo(x)
			files := scantest.Files{"README.md": "gpu jobs\n"}
			for k, v := range tt.baseHas {
				files[k] = v
			}
			base := r.Commit("base", files)
			r.Branch("pr")
			pr := scantest.Files{"deploy.env": "VAST_API_KEY=" + scantest.Key(21) + "\n"}
			for k, v := range tt.prFiles {
				pr[k] = v
			}
			head := r.Commit("pr", pr)
			r.CheckoutWorktree()
			ws := x.job.Env["GITHUB_WORKSPACE"]
			for name, content := range tt.written {
				os.MkdirAll(filepath.Dir(filepath.Join(ws, name)), 0o755)
				if err := os.WriteFile(filepath.Join(ws, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			prEvent(t, x, "pull_request", base, head, nil)
			with := map[string]string{"command": "scan", "api-key": "", "config": tt.withCfg}
			s := x.step("scan", with)
			if s.Code != 2 || s.Outputs["findings"] != "1" {
				t.Fatalf("a file the pull request's build wrote hid the key: exit %d, outputs %v\n%s\n%s", s.Code, s.Outputs, s.Stdout, s.Summary)
			}
			if !strings.Contains(s.Summary, tt.wantNote) {
				t.Errorf("the summary does not say where the configuration came from (%q):\n%s", tt.wantNote, s.Summary)
			}
		})
	}
}

// TestAttackEventPayload: the event payload is the runner's, but its
// content comes from the pull request (title, branch names, body) and an
// earlier step can swap the file. A payload that is not a regular file, or
// is huge, fails at once with one line; commits that are not in the clone
// or not related fail or scan as git would; workflow commands in the
// title, branch or body never reach the log.
func TestAttackEventPayload(t *testing.T) {
	t.Parallel()
	t.Run("a FIFO", func(t *testing.T) {
		t.Parallel()
		x := newE2E(t, "in-process")
		prWithKey(x, nil)
		p := filepath.Join(t.TempDir(), "event.json")
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skip(err)
		}
		x.job.Env["GITHUB_EVENT_PATH"], x.job.Env["GITHUB_EVENT_NAME"] = p, "pull_request"
		s := stepWithin(t, x, 20*time.Second, "scan", scanStep)
		if s.Code != 1 || !strings.Contains(s.Stdout, "GITHUB_EVENT_PATH") || strings.Count(s.Stdout, "\n") != 1 {
			t.Errorf("exit %d\n%s", s.Code, s.Stdout)
		}
	})
	t.Run("a link to /dev/zero", func(t *testing.T) {
		t.Parallel()
		x := newE2E(t, "in-process")
		prWithKey(x, nil)
		p := filepath.Join(t.TempDir(), "event.json")
		if err := os.Symlink("/dev/zero", p); err != nil {
			t.Skip(err)
		}
		x.job.Env["GITHUB_EVENT_PATH"], x.job.Env["GITHUB_EVENT_NAME"] = p, "pull_request"
		s := stepWithin(t, x, 20*time.Second, "scan", scanStep)
		if s.Code != 1 || !strings.Contains(s.Stdout, "GITHUB_EVENT_PATH") || strings.Count(s.Stdout, "\n") != 1 {
			t.Errorf("exit %d\n%s", s.Code, s.Stdout)
		}
	})
	t.Run("a 200 MiB payload", func(t *testing.T) {
		t.Parallel()
		x := newE2E(t, "in-process")
		_, base, head := prWithKey(x, nil)
		f, err := os.Create(x.job.Env["GITHUB_EVENT_PATH"])
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, `{"pull_request": {"base": {"sha": %q}, "head": {"sha": %q}, "body": "`, base, head)
		chunk := strings.Repeat("x", 1<<20)
		for range 200 {
			f.WriteString(chunk)
		}
		f.WriteString(`"}}`)
		f.Close()
		x.job.Env["GITHUB_EVENT_NAME"] = "pull_request"
		s := stepWithin(t, x, 60*time.Second, "scan", scanStep)
		if s.Code != 1 || !strings.Contains(s.Stdout, "GITHUB_EVENT_PATH") || strings.Count(s.Stdout, "\n") != 1 {
			t.Errorf("exit %d\n%.300s", s.Code, s.Stdout)
		}
	})
	t.Run("workflow commands in the title, branch and body", func(t *testing.T) {
		t.Parallel()
		x := newE2E(t, "in-process")
		_, base, head := prWithKey(x, nil)
		h := hostile("pr") + " %0A::error::encoded ::set-output name=findings::0"
		prEvent(t, x, "pull_request_target", base, head, map[string]any{
			"title": h, "body": h,
			"head": map[string]any{"sha": head.String(), "ref": h, "label": h, "repo": map[string]any{"fork": true, "full_name": "mallory/" + h}},
			"user": map[string]any{"login": h},
		})
		s := x.step("scan", scanStep)
		if s.Code != 2 || s.Outputs["findings"] != "1" {
			t.Fatalf("exit %d, outputs %v\n%s", s.Code, s.Outputs, s.Stdout)
		}
		harmless(t, "log", s.Stdout+s.Stderr)
		harmlessSummary(t, "summary", s.Summary)
		for _, out := range []string{s.Stdout, s.Summary} {
			if strings.Contains(out, "xpr") || strings.Contains(out, "encoded") {
				t.Errorf("text from the payload reached the step's output:\n%s", out)
			}
		}
	})
	t.Run("a base that is not an ancestor of the head", func(t *testing.T) {
		t.Parallel()
		x := newE2E(t, "in-process")
		r := workspaceRepo(x)
		r.Commit("root", scantest.Files{"README.md": "gpu jobs\n"})
		r.Branch("other")
		other := r.Commit("unrelated", scantest.Files{"other.txt": "x\n"})
		r.Checkout("main")
		r.Branch("pr")
		head := r.Commit("pr", scantest.Files{"deploy.env": "VAST_API_KEY=" + scantest.Key(21) + "\n"})
		r.CheckoutWorktree()
		prEvent(t, x, "pull_request", other, head, nil)
		s := x.step("scan", scanStep)
		if s.Code != 2 || s.Outputs["findings"] != "1" {
			t.Errorf("exit %d, outputs %v\n%s", s.Code, s.Outputs, s.Stdout)
		}
	})
	t.Run("a forged base the clone lacks", func(t *testing.T) {
		t.Parallel()
		x := newE2E(t, "in-process")
		_, _, head := prWithKey(x, nil)
		prEvent(t, x, "pull_request", plumbing.NewHash(strings.Repeat("ab", 20)), head, nil)
		s := x.step("scan", scanStep)
		if s.Code != 1 || !strings.Contains(s.Stdout, "fetch-depth: 0") || strings.Count(s.Stdout, "\n") != 1 {
			t.Errorf("exit %d\n%s", s.Code, s.Stdout)
		}
	})
	t.Run("a head that is a blob, a base that is a tree", func(t *testing.T) {
		t.Parallel()
		x := newE2E(t, "in-process")
		r, base, head := prWithKey(x, nil)
		c, err := r.Git.CommitObject(head)
		if err != nil {
			t.Fatal(err)
		}
		prEvent(t, x, "pull_request", c.TreeHash, base, nil)
		s := x.step("scan", scanStep)
		if s.Code != 1 || strings.Count(s.Stdout, "\n") != 1 || !strings.Contains(s.Stdout, "not a commit") {
			t.Errorf("exit %d\n%s", s.Code, s.Stdout)
		}
	})
	t.Run("a commits list of 200,000 entries", func(t *testing.T) {
		t.Parallel()
		x := newE2E(t, "in-process")
		_, base, head := prWithKey(x, nil)
		commits := make([]map[string]any, 200_000)
		for i := range commits {
			commits[i] = map[string]any{"id": strings.Repeat("0", 40), "message": "m"}
		}
		b, _ := json.Marshal(map[string]any{"pull_request": map[string]any{"base": map[string]any{"sha": base.String()}, "head": map[string]any{"sha": head.String()}}, "commits": commits})
		os.WriteFile(x.job.Env["GITHUB_EVENT_PATH"], b, 0o644)
		x.job.Env["GITHUB_EVENT_NAME"] = "pull_request"
		s := x.step("scan", scanStep)
		if s.Code != 2 {
			t.Errorf("exit %d\n%s", s.Code, s.Stdout)
		}
	})
}

// TestAttackRunnerFiles: GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE and
// GITHUB_STEP_SUMMARY are the runner's, but a malicious earlier step can
// swap them for a FIFO (the step would block forever) or a link (the step
// would write where the link points: the checkout's .git/config, say). The
// step never blocks and never writes through a link.
func TestAttackRunnerFiles(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		for _, kind := range []string{"fifo", "symlink"} {
			t.Run(v+" "+kind, func(t *testing.T) {
				t.Parallel()
				x := newE2E(t, "in-process")
				prWithKey(x, nil)
				target := filepath.Join(x.job.Env["GITHUB_WORKSPACE"], ".git", "config")
				before, _ := os.ReadFile(target)
				p := filepath.Join(t.TempDir(), "file")
				switch kind {
				case "fifo":
					if err := syscall.Mkfifo(p, 0o644); err != nil {
						t.Skip(err)
					}
				case "symlink":
					os.Symlink(target, p)
				}
				// The runner model makes fresh files per step: point the
				// step at ours through a wrapper exec.
				s := stepWithSwappedFile(t, x, v, p)
				if kind == "symlink" {
					if after, _ := os.ReadFile(target); string(after) != string(before) {
						t.Errorf("%s: the step wrote through the link into .git/config:\n%s", v, after)
					}
				}
				if s.code == 0 {
					t.Errorf("exit 0 though %s could not be written", v)
				}
				if v == "GITHUB_OUTPUT" && (s.code != 1 || !strings.Contains(s.stdout, v)) {
					t.Errorf("exit %d; want 1 and an error naming %s:\n%s", s.code, v, s.stdout)
				}
			})
		}
	}
}

// stepWithSwappedFile runs the scan step in-process with variable v
// pointing at p, within 20 seconds.
func stepWithSwappedFile(t *testing.T, x *e2e, v, p string) result {
	t.Helper()
	env := map[string]string{}
	for k, val := range x.job.Env {
		env[k] = val
	}
	for name, def := range manifest(t).inputDefaults() {
		env["INPUT_"+strings.ToUpper(name)] = def
	}
	env["INPUT_COMMAND"], env["INPUT_API-KEY"], env["INPUT_GITHUB-TOKEN"] = "scan", "", ""
	for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"} {
		env[f] = filepath.Join(t.TempDir(), f)
		os.WriteFile(env[f], nil, 0o644)
	}
	env[v] = p
	done := make(chan result, 1)
	go func() {
		var stdout, stderr strings.Builder
		code := inProcess(commandEnvNow())(t.Context(), "/vastguard", []string{"action"}, env, &stdout, &stderr)
		done <- result{stdout.String(), stderr.String(), code}
	}()
	select {
	case r := <-done:
		return r
	case <-time.After(20 * time.Second):
		t.Fatalf("the step blocks on %s", v)
	}
	return result{}
}

// TestAttackGitEnvironment: GIT_DIR and its kin, exported by an earlier
// step through GITHUB_ENV, point git elsewhere. The scanner reads the
// workspace's repository whatever they say.
func TestAttackGitEnvironment(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	prWithKey(x, nil)
	decoy := scantest.New(t)
	decoy.Commit("clean", scantest.Files{"README": "nothing\n"})
	decoy.CheckoutWorktree()
	for k, v := range map[string]string{
		"GIT_DIR":                          filepath.Join(decoy.Dir, ".git"),
		"GIT_WORK_TREE":                    decoy.Dir,
		"GIT_OBJECT_DIRECTORY":             filepath.Join(decoy.Dir, ".git", "objects"),
		"GIT_ALTERNATE_OBJECT_DIRECTORIES": filepath.Join(decoy.Dir, ".git", "objects"),
		"GIT_COMMON_DIR":                   filepath.Join(decoy.Dir, ".git"),
		"GIT_CEILING_DIRECTORIES":          x.job.Env["GITHUB_WORKSPACE"],
		"GIT_CONFIG_GLOBAL":                "/dev/zero",
		"GIT_CONFIG_SYSTEM":                "/dev/zero",
		"GIT_NAMESPACE":                    "decoy",
		"GIT_REPLACE_REF_BASE":             "refs/decoy/",
		"GIT_GRAFT_FILE":                   "/dev/zero",
		"GIT_SHALLOW_FILE":                 "/dev/zero",
	} {
		x.job.Env[k] = v
	}
	s := stepWithin(t, x, time.Minute, "scan", scanStep)
	if s.Code != 2 || s.Outputs["findings"] != "1" {
		t.Errorf("exit %d, outputs %v\n%s", s.Code, s.Outputs, s.Stdout)
	}
}

// TestAttackSummaryTable: a path and an author with "|", line breaks and
// Markdown cannot add or shift a column of the job summary's table.
func TestAttackSummaryTable(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	r := workspaceRepo(x)
	r.Commit("base", scantest.Files{"README.md": "x\n"})
	author := object.Signature{Name: "a | b |\n| c | `d` <b>", Email: "m|x@example.com"}
	r.CommitAs(author, "add", scantest.Files{"a | b |\n| c |.env": "VAST_API_KEY=" + scantest.Key(22) + "\n", "x\\|y`|`.env": "VAST_API_KEY=" + scantest.Key(23) + "\n"})
	// No checkout: git would not write a path with a line break, but the
	// history holds it and the scan reads the history.
	s := x.step("scan", scanStep)
	if s.Code != 2 {
		t.Fatalf("exit %d\n%s", s.Code, s.Stdout)
	}
	rows := 0
	for _, l := range strings.Split(s.Summary, "\n") {
		if !strings.HasPrefix(l, "| `...") {
			continue
		}
		rows++
		if n := cells(l); n != 9 {
			t.Errorf("a row with %d cells, want 9: %q", n, l)
		}
	}
	if rows != 2 {
		t.Errorf("%d rows, want 2:\n%s", rows, s.Summary)
	}
	harmlessSummary(t, "summary", s.Summary)
}

// cells counts a Markdown table row's cells as GitHub's renderer
// (cmark-gfm's table extension) splits it: every "|" not right after a
// backslash ends a cell, inside code spans too.
func cells(row string) int {
	n := 0
	for i := 0; i < len(row); i++ {
		if row[i] == '|' && (i == 0 || row[i-1] != '\\') {
			n++
		}
	}
	return n - 1
}

// TestAttackInputsWithLineBreaks: inputs are the workflow author's, but
// they are often built from the event (${{ github.head_ref }}). An input
// with a line break and a workflow command stays one line in the error.
func TestAttackInputsWithLineBreaks(t *testing.T) {
	t.Parallel()
	for _, input := range []string{"path", "range", "baseline", "config", "sarif-file", "min-confidence", "on-leak"} {
		t.Run(input, func(t *testing.T) {
			t.Parallel()
			x := newE2E(t, "in-process")
			prWithKey(x, nil)
			with := map[string]string{"command": "scan", "api-key": "", input: "a\n::error title=PWNED::pwned\r\n::add-mask::pwned %0A::set-output name=x::y\x1b[2J"}
			s := x.step("scan", with)
			if s.Code != 1 || strings.Count(s.Stdout, "\n") != 1 {
				t.Errorf("exit %d, want 1 and one line:\n%s", s.Code, s.Stdout)
			}
			harmless(t, "log", s.Stdout+s.Stderr)
			if len(s.Outputs) != 0 {
				t.Errorf("outputs %v", s.Outputs)
			}
		})
	}
}

// TestAttackSubmoduleAndDecoys: a pull request's submodule that points at
// a local path, and a bare repository layout committed under the scanned
// path (git's safe.bareRepository), neither redirect the scan.
func TestAttackSubmoduleAndDecoys(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	r, base, head := prWithKey(x, scantest.Files{
		".gitmodules": "[submodule \"vendor/lib\"]\n\tpath = vendor/lib\n\turl = /etc\n[submodule \"sub\"]\n\tpath = sub\n\turl = ../../../../\n",
		"vendor/lib":  scantest.Gitlink(plumbing.NewHash(strings.Repeat("1", 40))),
	})
	_ = r
	prEvent(t, x, "pull_request", base, head, nil)
	s := x.step("scan", scanStep)
	if s.Code != 2 || s.Outputs["findings"] != "1" {
		t.Errorf("exit %d, outputs %v\n%s", s.Code, s.Outputs, s.Stdout)
	}
}

// TestActionBareDecoyUnderPath: a decoy bare repository committed under
// sub/ with `path: sub` is refused (it would scan clean while the real
// history holds a key), with an error naming the allow-bare-repository
// input; with the input set the decoy itself is scanned.
func TestActionBareDecoyUnderPath(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	decoy := scantest.New(t)
	decoy.Commit("decoy", scantest.Files{"README": "nothing to see\n", "inside.env": "VAST_API_KEY=" + scantest.Key(25) + "\n"})
	files := scantest.Files{"deploy.env": "VAST_API_KEY=" + scantest.Key(24) + "\n"}
	gd := filepath.Join(decoy.Dir, ".git")
	filepath.Walk(gd, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(gd, p)
		files["sub/"+filepath.ToSlash(rel)] = string(b)
		return nil
	})
	r := workspaceRepo(x)
	r.Commit("the decoy and a key", files)
	r.CheckoutWorktree()
	s := x.step("scan", map[string]string{"command": "scan", "api-key": "", "path": "sub"})
	if s.Code != 1 || !strings.Contains(s.Stdout, "bare repository") || !strings.Contains(s.Stdout, "allow-bare-repository") || strings.Count(s.Stdout, "\n") != 1 {
		t.Errorf("decoy: exit %d; want 1 and one line naming the allow-bare-repository input:\n%s", s.Code, s.Stdout)
	}
	s = x.step("scan-allowed", map[string]string{"command": "scan", "api-key": "", "path": "sub", "allow-bare-repository": "true"})
	if s.Code != 2 || s.Outputs["findings"] != "1" || !strings.Contains(s.Summary, "inside.env") {
		t.Errorf("allowed: exit %d, outputs %v\n%s\n%s", s.Code, s.Outputs, s.Stdout, s.Summary)
	}
}

// keyHash is the key_sha256 of test key n.
func keyHash(n int) string { return scan.KeyHash(scantest.Key(n)) }

// commandEnvNow is an in-process environment with the real clock.
func commandEnvNow() command.Env { return command.Env{Now: time.Now} }
