package scan_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/config"
	"github.com/google/go-cmp/cmp"

	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

// TestWriteBaselineReadsBack: a written baseline accepts every key it was
// written from, one line per key with where it was first found, and the
// old forms (bare hashes, a JSON report, a JSON list) still read.
func TestWriteBaselineReadsBack(t *testing.T) {
	t.Parallel()
	r := story(t)
	rep, err := scan.Scan(t.Context(), r.Dir, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A hostile path cannot add an entry through its comment.
	rep.Findings[0].Path = "evil\n" + scan.KeyHash(scantest.Key(99)) + "\r\x1b[2J.env"
	var b bytes.Buffer
	if err := scan.WriteBaseline(&b, rep.Findings); err != nil {
		t.Fatal(err)
	}
	golden(t, "story.baseline", b.Bytes())
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	keys := map[string]bool{}
	for _, f := range rep.Findings {
		keys[f.KeySHA256] = true
	}
	if len(lines) != 2+len(keys) {
		t.Errorf("%d lines for %d keys:\n%s", len(lines), len(keys), b.String())
	}
	for _, l := range lines[2:] {
		h, comment, ok := strings.Cut(l, "  # ")
		h, labelled := strings.CutPrefix(h, "sha256:")
		if !ok || !labelled || !keys[h] || comment == "" {
			t.Errorf("line %q: want sha256: and a found key's hash, and a comment", l)
		}
	}
	if ok, _ := regexp.MatchString("(?m)^(sha256:)?"+scan.KeyHash(scantest.Key(99)), b.String()); ok || strings.ContainsAny(strings.Join(lines[2:], ""), "\r\x1b") {
		t.Error("a path's text became an entry, or reached the file raw")
	}
	parsed, err := scan.ParseBaseline(&b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := scan.Scan(t.Context(), r.Dir, scan.Options{})
	parsed.Apply(again)
	if len(again.Findings) != 0 || again.Baseline.Suppressed != len(rep.Findings) || len(again.Baseline.Stale) != 0 {
		t.Errorf("the written baseline left %d findings, %+v", len(again.Findings), again.Baseline)
	}
	// With a byte order mark and CRLF, as Windows editors save it.
	crlf := "\ufeff# accepted\r\n\r\n" + scan.KeyHash(scantest.Key(1)) + "  # app/.env:2\r\n"
	if b, err := scan.ParseBaseline(strings.NewReader(crlf)); err != nil || b.Len() != 1 {
		t.Errorf("BOM and CRLF: %v", err)
	}
	// The 16-character prefix older reports showed gets an error that says
	// how to make a real baseline.
	_, err = scan.ParseBaseline(strings.NewReader("# old\n" + scan.KeyHash(scantest.Key(1))[:16] + "\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2 holds 16 hex characters") || !strings.Contains(err.Error(), "--write-baseline") {
		t.Errorf("a hash prefix: %v", err)
	}
}

// TestFilter: excludes by glob (files, archive entries and the archive),
// rules off, min-confidence, and examples kept but not failing.
func TestFilter(t *testing.T) {
	t.Parallel()
	findings := []scan.Finding{
		{Rule: "vast-env-assignment", KeySHA256: scan.KeyHash(scantest.Key(1)), Path: "testdata/fixture.env", Source: scan.SourceFile, Confidence: scan.High, Verification: scan.Unchecked},
		{Rule: "vast-env-assignment", KeySHA256: scan.KeyHash(scantest.Key(2)), Path: "docs/guide.md", Source: scan.SourceFile, Confidence: scan.High, Verification: scan.Unchecked},
		{Rule: "generic-key-in-vast-file", KeySHA256: scan.KeyHash(scantest.Key(3)), Path: "client/vast.go", Source: scan.SourceFile, Confidence: scan.Medium, Verification: scan.Unchecked},
		{Rule: "vast-bearer", KeySHA256: scan.KeyHash(scantest.Key(4)), Path: "ops/curl.sh", Source: scan.SourceFile, Confidence: scan.High, Verification: scan.Unchecked},
		{Rule: "vast-env-assignment", KeySHA256: scan.KeyHash(scantest.Key(5)), Path: "dist/app.zip!.env", Archive: "dist/app.zip", Source: scan.SourceDirectory, Confidence: scan.High, Verification: scan.Unchecked},
		{Rule: "vast-env-assignment", KeySHA256: scan.KeyHash(scantest.Key(6)), Path: "", Source: scan.SourceCommitMessage, Confidence: scan.High, Verification: scan.Unchecked},
		{Rule: "vast-env-assignment", KeySHA256: scan.KeyHash(scantest.Key(7)), Path: "README.md", Source: scan.SourceFile, Confidence: scan.High, Verification: scan.Unchecked},
		{Rule: "vast-env-assignment", KeySHA256: scan.KeyHash(scantest.Key(8)), Path: "README.md", Source: scan.SourceFile, Confidence: scan.High, Verification: scan.Live},
	}
	f, err := scan.NewFilter(scan.Filter{
		ExcludePaths:  []string{"testdata/**", "**/*.md", "dist/*.zip"},
		DisableRules:  []string{"vast-bearer"},
		MinConfidence: scan.High,
		Examples:      map[string]string{scan.KeyHash(scantest.Key(6)): "the docs' example", strings.ToUpper(scan.KeyHash(scantest.Key(9))): ""},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := &scan.Report{Findings: findings}
	f.Apply(rep)
	var got []string
	for _, x := range rep.Findings {
		got = append(got, fmt.Sprintf("%s %s %q", x.Source, x.Path, x.Example))
	}
	want := []string{`commit-message  "the docs' example"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if st := rep.Stats; st.Excluded != 5 || st.Disabled != 1 || st.BelowConfidence != 1 || st.Examples != 1 {
		t.Errorf("stats %+v", st)
	}
	if n := len(scan.Failing(rep)); n != 0 {
		t.Errorf("%d failing findings, want none (an example)", n)
	}
	rep.Findings[0].Verification = scan.Live
	if n := len(scan.Failing(rep)); n != 1 {
		t.Errorf("a live example does not fail the scan")
	}
	for _, tt := range []struct {
		f    scan.Filter
		want string
	}{
		{scan.Filter{ExcludePaths: []string{"ok/**", "[abc"}}, `exclude-paths[1]: "[abc" is not a valid glob`},
		{scan.Filter{ExcludePaths: []string{"/etc/*"}}, "exclude-paths[0]: \"/etc/*\": paths are relative to the repository root"},
		{scan.Filter{ExcludePaths: []string{"../x/**"}}, "cannot leave the repository"},
		{scan.Filter{ExcludePaths: []string{" "}}, "exclude-paths[0]: an empty pattern"},
		{scan.Filter{DisableRules: []string{"vast-env"}}, `disable-rules[0]: "vast-env" is not a rule (rules: vast-cli-set-api-key,`},
		{scan.Filter{MinConfidence: "low"}, `min-confidence: "low": use high or medium`},
		{scan.Filter{Examples: map[string]string{"abc": ""}}, `examples: "abc" is not a 64-character hex key_sha256`},
	} {
		if _, err := scan.NewFilter(tt.f, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewFilter(%+v) = %v, want %q", tt.f, err, tt.want)
		}
	}
	if f.ExcludesPath("testdata") != true || f.ExcludesPath("src/testdata/x") || !f.ExcludesPath("a/b/c.md") {
		t.Error("ExcludesPath")
	}
	dir, _ := scan.NewFilter(scan.Filter{ExcludePaths: []string{"vendor/"}}, nil)
	if !dir.ExcludesPath("vendor/a/b.go") || dir.ExcludesPath("vendored/x") {
		t.Error("a directory name excludes its tree")
	}
}

func TestRemoteURI(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://github.com/acme/gpu.git":                     "https://github.com/acme/gpu.git",
		"https://x-access-token:ghs_abc@github.com/acme/gpu":  "https://github.com/acme/gpu",
		"https://user@ghe.example.com:8443/acme/gpu?x=1#frag": "https://ghe.example.com:8443/acme/gpu",
		"git@github.com:acme/gpu.git":                         "ssh://github.com/acme/gpu.git",
		"ssh://git@github.com:22/acme/gpu.git":                "ssh://github.com:22/acme/gpu.git",
		"/srv/git/gpu.git":                                    "file:///srv/git/gpu.git",
		"../relative":                                         "",
		"ext::sh -c touch% /tmp/pwned":                        "",
		"":                                                    "",
	} {
		if got := scan.RemoteURI(raw); got != want {
			t.Errorf("RemoteURI(%q) = %q, want %q", raw, got, want)
		}
	}
	r := story(t)
	if _, err := r.Git.CreateRemote(remoteConfig("origin", "https://x-access-token:ghs_secret@github.com/acme/gpu.git")); err != nil {
		t.Fatal(err)
	}
	repo, err := scan.RepositoryOf(r.Dir, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := &scan.Repository{URI: "https://github.com/acme/gpu.git", Revision: r.Head().String(), Branch: "refs/heads/main"}
	if diff := cmp.Diff(want, repo); diff != "" {
		t.Errorf("RepositoryOf (-want +got):\n%s", diff)
	}
}

// TestTextReportManyFindings: a report of 200 findings ends with the
// count, the places per rule and per path (the most first, 15 paths and a
// line for the rest) and what to do for each kind of place.
func TestTextReportManyFindings(t *testing.T) {
	t.Parallel()
	rules := []string{"vast-env-assignment", "vast-cli-flag", "vast-url-api-key", "generic-key-in-vast-file"}
	var fs []scan.Finding
	for i := range 200 {
		key := scantest.Key(i % 60)
		f := scan.Finding{
			Rule: rules[i%len(rules)], KeySHA256: scan.KeyHash(key), Redacted: scan.Redact(key),
			Commit: strings.Repeat(fmt.Sprintf("%02x", 0x30+i), 20), Path: fmt.Sprintf("services/svc%02d/config.env", i%23), Line: 1 + i%7,
			Author: "Ada Lovelace <ada@example.com>", Date: scantest.Epoch, Confidence: scan.High, Verification: scan.Unchecked, Source: scan.SourceFile,
		}
		switch {
		case i%60 == 1:
			f.Verification, f.VerificationDetail = scan.Live, "account 7, key 42"
		case i%60 == 2:
			f.Verification = scan.Invalid
		case i%60 == 3:
			f.Verification, f.VerificationDetail = scan.Unknown, "403: a scoped key"
		case i%60 == 4:
			f.Example = "the quickstart's example"
		}
		switch i % 50 {
		case 10:
			f.Source, f.Path = scan.SourceCommitMessage, ""
		case 20:
			f.Source, f.Commit = scan.SourceStaged, ""
		case 30:
			f.Source, f.Commit, f.Path, f.Archive = scan.SourceDirectory, "", "dist/app.zip!.env", "dist/app.zip"
		case 40:
			f.Source, f.Commit, f.Path = scan.SourceActionsLog, "", "build/2_Print.txt"
			f.Log = &scan.LogPlace{RunID: 9001, Workflow: "ci", Job: "build", Step: "Print", StepNumber: 2}
		}
		if i%60 == 5 {
			f.Confidence = scan.Medium
		}
		fs = append(fs, f)
	}
	rep := &scan.Report{Version: 1, Findings: fs, Stats: scan.Stats{Mode: "history", Commits: 4000, Blobs: 90000, Bytes: 3 << 30, Seconds: 12.5, Allowed: 2}}
	rep.Baseline = &scan.BaselineInfo{Suppressed: 3, Stale: []string{"0123456789abcdef"}}
	var b bytes.Buffer
	if err := scan.WriteText(&b, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "many.txt", b.Bytes())
	out := b.String()
	tail := out[strings.LastIndex(out, "In all:"):]
	for _, want := range []string{
		"In all: 60 keys in 200 places (1 live, 1 unknown, 1 invalid, 57 unchecked, 1 known example).",
		"By rule:\n     50  generic-key-in-vast-file\n",
		"By path:\n",
		"... and 11 more paths (71 places)",
		"What to do about the 4 staged keys: they are not committed, so they never left this machine.",
		"What to do about the 57 committed keys",
		"What to do about the 4 keys in files",
		"What to do about the 4 keys in logs",
		"1 key is no longer valid",
		"1 key is a known example value",
		"1 of these keys is LIVE right now.",
	} {
		if !strings.Contains(tail, want) {
			t.Errorf("the report's end lacks %q:\n%s", want, tail)
		}
	}
	for n := range 60 {
		if strings.Contains(out, scantest.Key(n)) {
			t.Fatalf("the report shows key %d", n)
		}
	}
}

func remoteConfig(name, url string) *config.RemoteConfig {
	return &config.RemoteConfig{Name: name, URLs: []string{url}}
}
