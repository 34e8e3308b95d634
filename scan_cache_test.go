package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

// cacheRepo is a history with keys of several shapes: one named for Vast,
// a generic key that only the code beside it decides, one in a binary
// file's printable text, a bare key file, one in a commit message, and
// one removed again.
func cacheRepo(t *testing.T) *scantest.Repo {
	t.Helper()
	k := scantest.Key
	r := scantest.New(t)
	r.Commit("start", scantest.Files{"README.md": "vast jobs\n", "a.env": "VAST_API_KEY=" + k(1) + "\n"})
	r.Commit("app", scantest.Files{
		"app/config.json": `{"api_key": "` + k(2) + `"}` + "\n",
		"app/run.py":      "from vastai import VastAI\nclient = VastAI(open(\"config.json\").read())\n",
	})
	r.Commit("data", scantest.Files{"data/model.bin": "\x00\x01bin\x00VAST_API_KEY=" + k(3) + "\x00", ".vast_api_key": k(4) + "\n"})
	r.Commit("rotate\n\nold vast key was "+k(5), scantest.Files{"a.env": "VAST_API_KEY=\n"})
	r.CheckoutWorktree()
	return r
}

// scanJSON runs `vastguard scan ARGS --format json` and decodes the report.
func scanJSON(t *testing.T, vars map[string]string, args ...string) (*scan.Report, result) {
	t.Helper()
	res := runCLI(t, vars, append(append([]string{"scan"}, args...), "--format", "json", "--quiet")...)
	if res.code != 2 && res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var rep scan.Report
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("the report: %v\n%s", err, res.stdout)
	}
	return &rep, res
}

func sameReportFindings(t *testing.T, what string, want, got *scan.Report) {
	t.Helper()
	if diff := cmp.Diff(want.Findings, got.Findings, cmpopts.IgnoreUnexported(scan.Finding{})); diff != "" {
		t.Errorf("%s: findings differ from a scan without the cache (-full +cached):\n%s", what, diff)
	}
}

// TestScanCacheWholeProgram: `vastguard scan --cache DIR` twice gives the
// findings a scan without the cache gives, and the second reads only what
// the cache does not vouch for (its stats say so); the key file is made
// once, 0600, outside DIR, and holds no hex; an altered cache file, a
// cache made under another key and another repository's cache each cost
// a full scan and never hide a finding.
func TestScanCacheWholeProgram(t *testing.T) {
	t.Parallel()
	r := cacheRepo(t)
	home := t.TempDir()
	vars := map[string]string{"HOME": home}
	full, _ := scanJSON(t, vars, r.Dir)
	if len(full.Findings) < 5 {
		t.Fatalf("the full scan found %d, want at least 5", len(full.Findings))
	}
	cache := filepath.Join(t.TempDir(), "cache")
	first, _ := scanJSON(t, vars, r.Dir, "--cache", cache)
	sameReportFindings(t, "first", full, first)
	if first.Stats.Cache != scan.CacheAbsent {
		t.Errorf("first scan: cache %q, want %q", first.Stats.Cache, scan.CacheAbsent)
	}
	keyFile := filepath.Join(home, ".config", "vastguard", "cache.key")
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	second, res := scanJSON(t, vars, r.Dir, "--cache", cache)
	sameReportFindings(t, "second", full, second)
	if second.Stats.Cache != scan.CacheUsed || second.Stats.Cached == 0 || second.Stats.Blobs >= full.Stats.Blobs {
		t.Errorf("second scan: cache %q, %d objects from the cache, %d blobs read (a full scan reads %d)", second.Stats.Cache, second.Stats.Cached, second.Stats.Blobs, full.Stats.Blobs)
	}
	text := runCLI(t, vars, "scan", r.Dir, "--cache", cache, "--quiet")
	if !strings.Contains(text.stdout, "incremental: ") || !strings.Contains(text.stdout, "known from the cache not read again") {
		t.Errorf("the text report does not say the cache was used:\n%s", text.stdout)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "*.vgcache"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	data, _ := os.ReadFile(files[0])
	for n := 0; n < 10; n++ {
		if strings.Contains(string(data), scantest.Key(n)) {
			t.Errorf("the cache holds key %d", n)
		}
	}
	assertNoSecret(t, "the scan's output", res.all())

	// An altered cache: one byte flipped in the middle.
	altered := append([]byte(nil), data...)
	altered[len(altered)/2] ^= 1
	os.WriteFile(files[0], altered, 0o600)
	rep, _ := scanJSON(t, vars, r.Dir, "--cache", cache)
	sameReportFindings(t, "altered", full, rep)
	if rep.Stats.Cache != scan.CacheInvalid {
		t.Errorf("altered cache: %q, want %q", rep.Stats.Cache, scan.CacheInvalid)
	}

	// Another key (VASTGUARD_CACHE_KEY over the key file): the cache
	// written under the file's key fails its MAC.
	other := map[string]string{"HOME": home, "VASTGUARD_CACHE_KEY": "another key, long enough"}
	rep, _ = scanJSON(t, other, r.Dir, "--cache", cache)
	sameReportFindings(t, "another key", full, rep)
	if rep.Stats.Cache != scan.CacheInvalid {
		t.Errorf("another key: %q, want %q", rep.Stats.Cache, scan.CacheInvalid)
	}

	// A clean repository's cache, valid under the same key, put in this
	// one's place: what it does not list is read, so every key is found.
	clean := scantest.New(t)
	clean.Commit("clean", scantest.Files{"README.md": "nothing here\n"})
	cleanCache := filepath.Join(t.TempDir(), "clean")
	scanJSON(t, vars, clean.Dir, "--cache", cleanCache)
	cleanFiles, _ := filepath.Glob(filepath.Join(cleanCache, "*.vgcache"))
	if len(cleanFiles) != 1 {
		t.Fatalf("clean cache files %v", cleanFiles)
	}
	swapped, _ := os.ReadFile(cleanFiles[0])
	os.WriteFile(files[0], swapped, 0o600)
	rep, _ = scanJSON(t, vars, r.Dir, "--cache", cache)
	sameReportFindings(t, "another repository's cache", full, rep)
}

// TestScanCacheFlags: --cache with what reads only part of the history is
// refused on one line, and so is a cache that would hold its own key.
func TestScanCacheFlags(t *testing.T) {
	t.Parallel()
	r := cacheRepo(t)
	home := t.TempDir()
	vars := map[string]string{"HOME": home}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--range", "HEAD~1..HEAD"}, "scan: --cache speeds up whole-history scans; --range reads only what it names already, so leave --cache out"},
		{[]string{"--since", "HEAD~1"}, "scan: --cache speeds up whole-history scans; --since reads only what it names already"},
		{[]string{"--staged"}, "scan: --cache speeds up whole-history scans; --staged reads only what it names already"},
	} {
		res := runCLI(t, vars, append([]string{"scan", r.Dir, "--cache", t.TempDir()}, tt.args...)...)
		if res.code != 1 || !strings.HasPrefix(res.stderr, "vastguard: "+tt.want) || strings.Count(res.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", tt.args, res.code, res.stderr)
		}
	}
	res := runCLI(t, vars, "scan", r.Dir, "--cache", filepath.Join(home, ".config"))
	if res.code != 1 || !strings.Contains(res.stderr, "holds the cache's key file") {
		t.Errorf("a cache around its key: exit %d, %q", res.code, res.stderr)
	}
	res = runCLI(t, vars, "scan", "--no-git", r.Dir, "--cache", t.TempDir())
	if res.code != 1 || !strings.HasPrefix(res.stderr, "vastguard: scan: --cache reads git history; it does not go with --no-git") {
		t.Errorf("--no-git: exit %d, %q", res.code, res.stderr)
	}
}

// TestScanStagedIndexFile: `vastguard scan --staged` reads the index git
// names in GIT_INDEX_FILE (git commit -a and git commit PATH run the
// pre-commit hook with a temporary one), a relative name against the work
// tree's top as git reads it.
func TestScanStagedIndexFile(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r := scantest.New(t)
	r.Commit("one", scantest.Files{"README.md": "vast jobs\n"})
	r.CheckoutWorktree()
	os.WriteFile(filepath.Join(r.Dir, "new.env"), []byte("VAST_API_KEY="+scantest.Key(7)+"\n"), 0o644)
	// A second index holding HEAD's tree and new.env, as git commit -a
	// builds one; the repository's own index is left as it was.
	for _, args := range [][]string{{"read-tree", "HEAD"}, {"add", "new.env"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = r.Dir
		cmd.Env = append(os.Environ(), "GIT_INDEX_FILE=.git/next-index.lock", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if res := runCLI(t, map[string]string{"HOME": t.TempDir()}, "scan", r.Dir, "--staged", "--quiet"); res.code != 0 {
		t.Errorf("the repository's own index: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res := runCLI(t, map[string]string{"HOME": t.TempDir(), "GIT_INDEX_FILE": ".git/next-index.lock"}, "scan", r.Dir, "--staged", "--quiet")
	if res.code != 2 || !strings.Contains(res.stdout, "new.env") {
		t.Errorf("GIT_INDEX_FILE: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// TestActionScanCache: with cache and cache-key the Action keeps its cache
// in RUNNER_TEMP/vastguard-cache, the next run reads it, both give the same
// findings, and (run as root) the directory and its file are handed to the
// workspace's owner for actions/cache/save; without a key it says so and
// scans in full.
func TestActionScanCache(t *testing.T) {
	t.Parallel()
	x := newE2E(t, "in-process")
	ws := x.job.Env["GITHUB_WORKSPACE"]
	r := workspaceRepo(x)
	r.Commit("leak", scantest.Files{"a.env": "VAST_API_KEY=" + scantest.Key(1) + "\n", "README.md": "vast\n"})
	r.Commit("more", scantest.Files{"b.env": "VAST_API_KEY=" + scantest.Key(2) + "\n"})
	r.CheckoutWorktree()
	const uid, gid = 4321, 8765
	root := os.Geteuid() == 0
	if root {
		if err := os.Chown(ws, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	with := map[string]string{"command": "scan", "api-key": "", "cache": "true", "cache-key": "a cache key from a secret"}
	first := x.step("scan1", with)
	if first.Code != 2 || !strings.Contains(first.Stdout, "no cache yet: scanned in full") {
		t.Fatalf("first: exit %d\n%s", first.Code, first.Stdout)
	}
	dir := filepath.Join(x.job.Env["RUNNER_TEMP"], "vastguard-cache")
	files, _ := filepath.Glob(filepath.Join(dir, "*.vgcache"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	if root {
		for _, p := range []string{dir, files[0]} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st := fi.Sys().(*syscall.Stat_t); st.Uid != uid || st.Gid != gid {
				t.Errorf("%s owned by %d:%d, want the workspace's %d:%d", p, st.Uid, st.Gid, uid, gid)
			}
		}
	}
	second := x.step("scan2", with)
	if second.Code != 2 || !strings.Contains(second.Stdout, "incremental: ") || !strings.Contains(second.Summary, "incremental: ") {
		t.Errorf("second: exit %d\n%s\n%s", second.Code, second.Stdout, second.Summary)
	}
	if first.Outputs["findings"] != "2" || second.Outputs["findings"] != "2" {
		t.Errorf("findings %q then %q, want 2 and 2", first.Outputs["findings"], second.Outputs["findings"])
	}
	assertNoScanLeak(t, second, files[0])
	noKey := x.step("scan3", map[string]string{"command": "scan", "api-key": "", "cache": "true"})
	if noKey.Code != 2 || !strings.Contains(noKey.Stdout, "vastguard: cache: true, but cache-key is empty, so this scan reads the whole history without the cache") || strings.Contains(noKey.Stdout, "incremental: ") {
		t.Errorf("no key: exit %d\n%s", noKey.Code, noKey.Stdout)
	}
	for _, p := range x.posts() {
		if p.Code != 0 {
			t.Errorf("post = %d", p.Code)
		}
	}
}

// TestREADMECacheSnippetRuns: the README's incremental-scan workflow
// restores and saves the directory the Action writes, under one key per
// run, the save running even when the scan step failed; its scan step, run
// twice as written (the restore between them a no-op: the job keeps its
// temp directory), reads the cache the second time.
func TestREADMECacheSnippetRuns(t *testing.T) {
	t.Parallel()
	_, steps := readmeStep(t, func(wf *workflow, s wfStep) bool {
		return wf.block.heading == "Incremental scans in a workflow" && s.With["cache"] == "true"
	})
	var scanStep, restore, save *wfStep
	for i := range steps {
		s := &steps[i]
		switch {
		case strings.HasPrefix(s.Uses, actionRef):
			scanStep = s
		case strings.HasPrefix(s.Uses, "actions/cache/restore@"):
			restore = s
		case strings.HasPrefix(s.Uses, "actions/cache/save@"):
			save = s
		}
	}
	if scanStep == nil || restore == nil || save == nil {
		t.Fatalf("the snippet needs actions/cache/restore, the scan and actions/cache/save: %+v", steps)
	}
	const path = "${{ runner.temp }}/vastguard-cache"
	if restore.With["path"] != path || save.With["path"] != path {
		t.Errorf("cache paths %q and %q, want %q (where the Action keeps it)", restore.With["path"], save.With["path"], path)
	}
	key := restore.With["key"]
	if key != save.With["key"] || !strings.Contains(key, "${{ github.run_id }}") || !strings.HasPrefix(key, restore.With["restore-keys"]) || restore.With["restore-keys"] == "" {
		t.Errorf("keys: restore %q (restore-keys %q), save %q: one per run, restored by prefix", key, restore.With["restore-keys"], save.With["key"])
	}
	if save.If != "always()" {
		t.Errorf("the save step's if: %q; exit code 2 from the scan would skip it", save.If)
	}
	x := newE2E(t, "in-process")
	r := workspaceRepo(x)
	r.Commit("init", scantest.Files{"deploy/.env": "VAST_API_KEY=" + scantest.Key(7) + "\n"})
	r.CheckoutWorktree()
	with := inputs(t, *scanStep, map[string]string{"VASTGUARD_CACHE_KEY": "a key from the repository's secrets"})
	for i, want := range []string{"no cache yet", "incremental: "} {
		st, err := x.job.RunStep(t.Context(), fmt.Sprintf("scan%d", i), with)
		if err != nil {
			t.Fatal(err)
		}
		if st.Code != 2 || !strings.Contains(st.Stdout, want) {
			t.Errorf("run %d: exit %d, want 2 and %q\n%s", i+1, st.Code, want, st.Stdout)
		}
	}
	dir := filepath.Join(x.job.Env["RUNNER_TEMP"], strings.TrimPrefix(path, "${{ runner.temp }}/"))
	if files, _ := filepath.Glob(filepath.Join(dir, "*.vgcache")); len(files) != 1 {
		t.Errorf("%s holds %v, want one cache file", dir, files)
	}
}
