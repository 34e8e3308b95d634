package scan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

func paths(rep *scan.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.Source+":"+f.Path)
	}
	return out
}

func TestRange(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	k := scantest.Key
	r.Commit("base", scantest.Files{"a.env": "VAST_API_KEY=" + k(1) + "\n"})
	base := r.Head()
	r.Branch("pr")
	r.Commit("pr 1", scantest.Files{"b.env": "VAST_API_KEY=" + k(2) + "\n", "copy.env": "VAST_API_KEY=" + k(1) + "\n"})
	r.Commit("pr 2\n\nVAST_API_KEY="+k(3), scantest.Files{"c.txt": "vastai set api-key " + k(4) + "\n"})
	r.Checkout("main")
	r.Commit("main moves on", scantest.Files{"d.env": "VAST_API_KEY=" + k(5) + "\n"})
	r.Checkout("pr")
	r.Merge("main", "merge main into pr", scantest.Files{"e.env": "VAST_API_KEY=" + k(6) + "\n"})
	r.CheckoutWorktree()

	tests := []struct {
		name string
		opts scan.Options
		want []string
	}{
		{"pull request range", scan.Options{Range: "main..pr"}, []string{"file:b.env", "commit-message:", "file:c.txt", "file:e.env"}},
		{"range from a commit id", scan.Options{Range: base.String() + "..pr"}, []string{"file:b.env", "commit-message:", "file:c.txt", "file:d.env", "file:e.env"}},
		{"since", scan.Options{Since: "HEAD~1"}, []string{"file:d.env", "file:e.env"}},
		{"empty range", scan.Options{Range: "pr..main"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep, err := scan.Scan(t.Context(), r.Dir, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, paths(rep)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if rep.Stats.Mode != "range" {
				t.Errorf("mode = %q", rep.Stats.Mode)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	first := r.Commit("one", scantest.Files{"a": "a"})
	r.Commit("two", scantest.Files{"a": "b"})
	r.CheckoutWorktree()

	shallow := scantest.New(t)
	shallow.Commit("one", scantest.Files{"a": "a"})
	c := shallow.Commit("two", scantest.Files{"a": "b"})
	shallow.MakeShallow(c)

	partial := scantest.New(t)
	partial.Commit("one", scantest.Files{"a.env": "VAST_API_KEY=" + scantest.Key(1)})
	partial.SetConfig("extensions", "partialclone", "origin")

	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("x"), 0o644)

	tests := []struct {
		name     string
		dir      string
		opts     scan.Options
		want     error
		contains string
	}{
		{"not a repository", t.TempDir(), scan.Options{}, scan.ErrNotRepository, "is not a git repository"},
		{"missing path", filepath.Join(t.TempDir(), "nope"), scan.Options{}, nil, "does not exist"},
		{"a file", file, scan.Options{}, scan.ErrNotRepository, "is a file"},
		{"shallow history", shallow.Dir, scan.Options{}, scan.ErrShallow, "fetch-depth: 0"},
		{"shallow range", shallow.Dir, scan.Options{Range: "HEAD~1..HEAD"}, scan.ErrShallow, "fetch-depth: 0"},
		{"partial clone", partial.Dir, scan.Options{}, scan.ErrPartial, "--allow-partial"},
		{"base not in the clone", r.Dir, scan.Options{Range: strings.Repeat("1", 40) + "..HEAD"}, scan.ErrMissingRevision, "fetch-depth: 0"},
		{"unknown branch", r.Dir, scan.Options{Range: "origin/main..HEAD"}, scan.ErrMissingRevision, `"origin/main" is not in the clone`},
		{"range without dots", r.Dir, scan.Options{Range: first.String()}, scan.ErrBadRange, "BASE..HEAD"},
		{"three dots", r.Dir, scan.Options{Range: "a...b"}, scan.ErrBadRange, "BASE..HEAD"},
		{"two modes", r.Dir, scan.Options{Range: "a..b", Staged: true}, scan.ErrBadRange, "choose one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := scan.Scan(t.Context(), tt.dir, tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.contains) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %q, want one line containing %q", err, tt.contains)
			}
		})
	}
	rep, err := scan.Scan(t.Context(), partial.Dir, scan.Options{AllowPartial: true})
	if err != nil || !rep.Stats.Partial || len(rep.Findings) != 1 {
		t.Errorf("AllowPartial: %v, %+v", err, rep)
	}
}

func TestEmptyRepository(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 0 || rep.Stats.Commits != 0 || rep.Findings == nil {
		t.Errorf("report = %+v", rep)
	}
	var b bytes.Buffer
	scan.WriteJSON(&b, rep)
	if !strings.Contains(b.String(), `"findings": []`) {
		t.Errorf("JSON = %s", b.String())
	}
}

func TestStaged(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("one", scantest.Files{"old.env": "VAST_API_KEY=" + scantest.Key(1) + "\n"})
	r.CheckoutWorktree()
	r.Stage(scantest.Files{"new.env": "VAST_API_KEY=" + scantest.Key(2) + "\n", "clean.txt": "hello\n"})
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"staged:new.env"}, paths(rep)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if rep.Stats.Blobs != 2 || rep.Findings[0].Commit != "" {
		t.Errorf("stats %+v, finding %+v", rep.Stats, rep.Findings[0])
	}
	// A fresh repository with no commit yet.
	fresh := scantest.New(t)
	fresh.Stage(scantest.Files{".vast_api_key": scantest.Key(3) + "\n"})
	rep, err = scan.Scan(t.Context(), fresh.Dir, scan.Options{Staged: true})
	if err != nil || len(rep.Findings) != 1 || rep.Findings[0].Rule != "vast-key-file" {
		t.Errorf("fresh repo: %v %+v", err, rep)
	}
}

// TestStagedIndexFile: `git commit -a` (and `git commit PATH`) stage the
// commit in a temporary index and hand the hook its name in
// GIT_INDEX_FILE, leaving .git/index as it was; Options.IndexFile reads
// that one.
func TestStagedIndexFile(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("one", scantest.Files{"app.env": "DEBUG=0\n"})
	r.CheckoutWorktree()
	index := filepath.Join(r.Dir, ".git", "index")
	clean, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	r.Stage(scantest.Files{"app.env": "VAST_API_KEY=" + scantest.Key(1) + "\n"})
	lock := filepath.Join(r.Dir, ".git", "index.lock")
	if err := os.Rename(index, lock); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(index, clean, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true})
	if err != nil || len(rep.Findings) != 0 {
		t.Fatalf("the repository's own index: %v %+v", err, rep)
	}
	rep, err = scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true, IndexFile: lock})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"staged:app.env"}, paths(rep)); diff != "" {
		t.Errorf("the temporary index (-want +got):\n%s", diff)
	}
	if _, err := scan.Scan(t.Context(), r.Dir, scan.Options{Staged: true, IndexFile: filepath.Join(r.Dir, "missing")}); err == nil {
		t.Error("a missing index file is not an error")
	}
}

func TestBaseline(t *testing.T) {
	t.Parallel()
	r := story(t)
	full, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	scan.WriteJSON(&js, full)
	stale := strings.Repeat("ab", 32)
	tests := []struct {
		name           string
		file           string
		wantSuppressed int
		wantStale      []string
		wantRaw        int
	}{
		{"hash list with comments", "# accepted\n" + scan.KeyHash(scantest.Key(1)) + "  # test key\n\n" + stale + "\n", 1, []string{stale[:16]}, 0},
		{"a raw key that matches nothing is not echoed", scantest.Key(40) + "\n", 0, []string{scantest.Key(40)[:16]}, 0},
		{"earlier JSON report", js.String(), len(full.Findings), []string{}, 0},
		{"JSON list", `["` + scan.KeyHash(scantest.Key(4)) + `"]`, 2, []string{}, 0},
		{"raw key by mistake", scantest.Key(12) + "\n", 1, []string{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := scan.ParseBaseline(strings.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			b.Apply(rep)
			if rep.Baseline.Suppressed != tt.wantSuppressed || len(rep.Findings) != len(full.Findings)-tt.wantSuppressed || rep.Baseline.RawKeys != tt.wantRaw {
				t.Errorf("baseline = %+v, %d findings left", rep.Baseline, len(rep.Findings))
			}
			if diff := cmp.Diff(tt.wantStale, rep.Baseline.Stale); diff != "" {
				t.Errorf("stale (-want +got):\n%s", diff)
			}
			var out bytes.Buffer
			scan.WriteText(&out, rep)
			scan.WriteJSON(&out, rep)
			if bytes.Contains(out.Bytes(), []byte(scantest.Key(12))) {
				t.Error("output shows a raw key from the baseline")
			}
		})
	}
	for _, bad := range []string{"not-a-hash\n", `{"findings": [{"key_sha256": "x"}]}`, `[1]`, "{"} {
		if _, err := scan.ParseBaseline(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseBaseline(%q) accepted it", bad)
		}
	}
}

func TestCancelledScan(t *testing.T) {
	t.Parallel()
	r := story(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := scan.Scan(ctx, r.Dir, scan.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestSARIFForGitHub checks the log against what GitHub code scanning
// requires (docs: SARIF support for code scanning) and SARIF 2.1.0's types.
func TestSARIFForGitHub(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("odd paths", scantest.Files{
		"dir with space/a#b?.env": "VAST_API_KEY=" + scantest.Key(1) + "\n",
		"ünï/çødé.env":            "VAST_API_KEY=" + scantest.Key(2) + "\n",
	})
	r.Commit("msg\n\nVAST_API_KEY="+scantest.Key(3), scantest.Files{"x": "y"})
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := scan.SARIF(rep, scan.Tool{Name: "vastguard", Version: "v1.2.3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if problems := validateSARIF(b); len(problems) > 0 {
		t.Errorf("invalid SARIF:\n%s", strings.Join(problems, "\n"))
	}
	var log struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	json.Unmarshal(b, &log)
	var uris []string
	for _, res := range log.Runs[0].Results {
		uris = append(uris, res.Locations[0].PhysicalLocation.ArtifactLocation.URI)
	}
	want := []string{"dir%20with%20space/a%23b%3F.env", "%C3%BCn%C3%AF/%C3%A7%C3%B8d%C3%A9.env", scan.NoFileURI}
	if diff := cmp.Diff(want, uris); diff != "" {
		t.Errorf("URIs (-want +got):\n%s", diff)
	}
	for n := 1; n <= 3; n++ {
		if bytes.Contains(b, []byte(scantest.Key(n))) {
			t.Errorf("SARIF contains key %d", n)
		}
	}
	// An empty report is still a valid log with an empty results list.
	empty, _ := scan.SARIF(&scan.Report{Version: 1, Findings: []scan.Finding{}}, scan.Tool{Name: "vastguard"}, nil)
	if problems := validateSARIF(empty); len(problems) > 0 {
		t.Errorf("empty SARIF invalid: %v", problems)
	}
}

// validateSARIF checks the properties GitHub code scanning requires and the
// JSON types SARIF 2.1.0 gives them.
func validateSARIF(b []byte) []string {
	var problems []string
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	str := func(m map[string]any, k, where string) string {
		s, ok := m[k].(string)
		if !ok || s == "" {
			bad("%s.%s: a non-empty string is required", where, k)
		}
		return s
	}
	obj := func(m map[string]any, k, where string) map[string]any {
		o, ok := m[k].(map[string]any)
		if !ok {
			bad("%s.%s: an object is required", where, k)
			return map[string]any{}
		}
		return o
	}
	arr := func(m map[string]any, k, where string) []any {
		a, ok := m[k].([]any)
		if !ok {
			bad("%s.%s: an array is required", where, k)
		}
		return a
	}
	str(doc, "$schema", "log")
	if doc["version"] != "2.1.0" {
		bad("log.version must be 2.1.0")
	}
	runs := arr(doc, "runs", "log")
	if len(runs) != 1 {
		bad("one run per tool and category is required, got %d", len(runs))
	}
	for _, rr := range runs {
		run := rr.(map[string]any)
		driver := obj(obj(run, "tool", "run"), "driver", "run.tool")
		str(driver, "name", "driver")
		rules := arr(driver, "rules", "driver")
		ids := map[string]int{}
		for i, ru := range rules {
			rule := ru.(map[string]any)
			id := str(rule, "id", "rule")
			ids[id] = i
			for _, k := range []string{"shortDescription", "fullDescription", "help"} {
				txt := str(obj(rule, k, "rule "+id), "text", "rule "+id+"."+k)
				if len(txt) > 1024 && k != "help" {
					bad("rule %s.%s longer than 1024", id, k)
				}
			}
			props := obj(rule, "properties", "rule "+id)
			if s, _ := props["security-severity"].(string); s == "" {
				bad("rule %s has no security-severity", id)
			}
		}
		str(obj(run, "automationDetails", "run"), "id", "run.automationDetails")
		for i, re := range arr(run, "results", "run") {
			res := re.(map[string]any)
			where := fmt.Sprintf("result %d", i)
			id := str(res, "ruleId", where)
			if idx, ok := res["ruleIndex"].(float64); !ok || ids[id] != int(idx) {
				bad("%s: ruleIndex does not point at rule %s", where, id)
			}
			str(obj(res, "message", where), "text", where+".message")
			locs := arr(res, "locations", where)
			if len(locs) == 0 {
				bad("%s: no location", where)
				continue
			}
			pl := obj(locs[0].(map[string]any), "physicalLocation", where)
			uri := str(obj(pl, "artifactLocation", where), "uri", where+".artifactLocation")
			if strings.HasPrefix(uri, "/") || strings.Contains(uri, "://") || strings.ContainsAny(uri, " #?") {
				bad("%s: uri %q is not a repository-relative URI reference", where, uri)
			}
			region := obj(pl, "region", where)
			for _, k := range []string{"startLine", "startColumn", "endColumn"} {
				if v, ok := region[k].(float64); !ok || v < 1 {
					bad("%s: region.%s must be a positive integer", where, k)
				}
			}
			fp := obj(res, "partialFingerprints", where)
			if s, _ := fp["primaryLocationLineHash"].(string); s == "" {
				bad("%s: no primaryLocationLineHash", where)
			}
			switch res["level"] {
			case "error", "warning", "note", "none":
			default:
				bad("%s: level %v", where, res["level"])
			}
		}
	}
	return problems
}

// TestLargeBlobIsStreamed scans a blob larger than the stream threshold:
// its keys are found, across chunk boundaries, with the right lines.
func TestLargeBlobIsStreamed(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	var b strings.Builder
	line := strings.Repeat("x", 99) + "\n"
	for b.Len() < 40<<20 {
		b.WriteString(line)
	}
	text := b.String()
	// One key right across the 4 MiB chunk edge, one near the end, and a
	// file-wide "vast" mention only at the very end for a medium key.
	k1, k2, k3 := scantest.Key(1), scantest.Key(2), scantest.Key(3)
	cut := 4<<20 - 30
	text = text[:cut] + "VAST_API_KEY=" + k1 + "\n" + text[cut:]
	text += "api_key = " + k3 + "\nVAST_API_KEY=" + k2 + "\n"
	r.Commit("big", scantest.Files{"big.txt": text})
	r.Pack()
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, f := range rep.Findings {
		got[f.Secret()] = f.Line
	}
	wantLine := func(k string) int { return strings.Count(text[:strings.Index(text, k)], "\n") + 1 }
	want := map[string]int{k1: wantLine(k1), k2: wantLine(k2), k3: wantLine(k3)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys -> lines (-want +got):\n%s", diff)
	}
	_ = plumbing.ZeroHash
}

func TestOpensEveryLayout(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("one", scantest.Files{"sub/dir/a.env": "VAST_API_KEY=" + scantest.Key(1) + "\n"})
	r.CheckoutWorktree()
	sparse := scantest.New(t)
	sparse.Commit("one", scantest.Files{"a.env": "VAST_API_KEY=" + scantest.Key(1) + "\n"})
	sparse.SetConfig("extensions", "worktreeconfig", "true")
	dirs := map[string]string{
		"work tree":                r.Dir,
		"directory inside it":      filepath.Join(r.Dir, "sub", "dir"),
		"the .git directory":       filepath.Join(r.Dir, ".git"),
		"worktreeConfig extension": sparse.Dir,
	}
	if _, err := exec.LookPath("git"); err == nil {
		bare := filepath.Join(t.TempDir(), "bare.git")
		runGit(t, "", "clone", "--quiet", "--bare", r.Dir, bare)
		dirs["bare clone"] = bare
		linked := filepath.Join(t.TempDir(), "linked")
		runGit(t, r.Dir, "worktree", "add", "--quiet", "-b", "side", linked)
		dirs["linked work tree"] = linked
	}
	for name, dir := range dirs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rep, err := scan.Scan(t.Context(), dir, scan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != 1 {
				t.Errorf("%d findings, want 1", len(rep.Findings))
			}
		})
	}
}

func runGit(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestNothingEscapesAttribution(t *testing.T) {
	t.Parallel()
	k := scantest.Key
	r := scantest.New(t)
	r.Commit("base", scantest.Files{"README": "vast jobs\n"})
	// A key on a branch that was deleted: its objects stay until git gc.
	r.Branch("gone")
	r.Commit("oops", scantest.Files{"gone.env": "VAST_API_KEY=" + k(1) + "\n"})
	r.Checkout("main")
	r.DeleteBranch("gone")
	// A key in a tree a tag names directly.
	r.TagTree("config-snapshot", scantest.Files{"snap/.env": "VAST_API_KEY=" + k(2) + "\n"})
	r.CheckoutWorktree()
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		got[f.Secret()] = f.Source + " " + f.Path + " " + f.Ref
	}
	want := map[string]string{
		k(1): "unreachable  ",
		k(2): "file snap/.env refs/tags/config-snapshot",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if rep.Stats.Unreachable != 1 {
		t.Errorf("unreachable = %d", rep.Stats.Unreachable)
	}
	b, _ := scan.SARIF(rep, scan.Tool{Name: "vastguard"}, nil)
	if problems := validateSARIF(b); len(problems) > 0 {
		t.Errorf("SARIF: %v", problems)
	}
}

func TestAlternatesWithLooseObjects(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	origin := scantest.New(t)
	origin.Commit("key", scantest.Files{"a.env": "VAST_API_KEY=" + scantest.Key(1) + "\n"})
	clone := filepath.Join(t.TempDir(), "clone")
	runGit(t, "", "clone", "--quiet", "--shared", origin.Dir, clone)
	// The clone holds nothing itself: every object, loose, is the origin's.
	rep, err := scan.Scan(t.Context(), clone, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Source != scan.SourceFile || rep.Findings[0].Commit == "" {
		t.Errorf("findings = %+v", rep.Findings)
	}
}

func TestRefusesReftable(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("one", scantest.Files{"a": "a"})
	r.SetConfig("extensions", "refstorage", "reftable")
	_, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
	if err == nil || !strings.Contains(err.Error(), "keeps its refs in reftable storage") {
		t.Errorf("err = %v", err)
	}
}

// TestMinConfidence: Options.MinConfidence High keeps the high-confidence
// findings and counts the others; a bad value is an error.
func TestMinConfidence(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("keys", scantest.Files{
		"a.env":     "VAST_API_KEY=" + scantest.Key(1) + "\n",
		"client.py": "from vastai import VastAI\nAPI_KEY = \"" + scantest.Key(2) + "\"\n",
	})
	all, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
	if err != nil || len(all.Findings) != 2 {
		t.Fatalf("default: %v, %d findings", err, len(all.Findings))
	}
	high, err := scan.Scan(t.Context(), r.Dir, scan.Options{MinConfidence: scan.High})
	if err != nil || len(high.Findings) != 1 || high.Findings[0].Confidence != scan.High || high.Stats.BelowConfidence != 1 {
		t.Fatalf("high: %v, %+v, stats %+v", err, high.Findings, high.Stats)
	}
	if _, err := scan.Scan(t.Context(), r.Dir, scan.Options{MinConfidence: "low"}); err == nil || !strings.Contains(err.Error(), "high or medium") {
		t.Errorf("low: %v", err)
	}
}

// TestMessagesHaveNoPath: a generic key in a commit message that does not
// mention Vast would wait for a path; a message has none, so it is not a
// finding. The same message naming Vast is one.
func TestMessagesHaveNoPath(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("ci: set api_key = "+scantest.Key(1), scantest.Files{"a": "1\n"})
	r.Commit("ci: vast api_key = "+scantest.Key(2), scantest.Files{"a": "2\n"})
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Secret() != scantest.Key(2) || rep.Stats.Unreachable != 0 {
		t.Fatalf("findings %+v, stats %+v", rep.Findings, rep.Stats)
	}
}
