package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/vastguard/vastguard/scan"
)

const root = "../../.."

// testDigest is an image digest made at run time (no 64-hex literal lives
// in the repository).
func testDigest() string {
	s := sha256.Sum256([]byte("vastguard release test image"))
	return "sha256:" + hex.EncodeToString(s[:])
}

// copyToTemp copies a file of the repository to a temporary directory.
func copyToTemp(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(name))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPinImageOnTheRealActionYML runs the release step on this
// repository's action.yml: the result differs from it only in the image
// line, and is valid metadata for a Docker action, which the runner would
// pull instead of build.
func TestPinImageOnTheRealActionYML(t *testing.T) {
	t.Parallel()
	image := "ghcr.io/vastguard/vastguard@" + testDigest()
	path := copyToTemp(t, "action.yml")
	orig, _ := os.ReadFile(path)
	if err := run([]string{"pin-image", "-image", image, path}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)

	// Line by line, only runs.image differs.
	ol, gl := strings.Split(string(orig), "\n"), strings.Split(string(got), "\n")
	if len(ol) != len(gl) {
		t.Fatalf("line count %d -> %d", len(ol), len(gl))
	}
	var changed []string
	for i := range ol {
		if ol[i] != gl[i] {
			changed = append(changed, ol[i]+" -> "+gl[i])
		}
	}
	want := []string{"  image: Dockerfile ->   image: docker://" + image}
	if diff := cmp.Diff(want, changed); diff != "" {
		t.Errorf("changed lines (-want +got):\n%s", diff)
	}

	// As the runner reads it: a docker action that pulls the pinned image,
	// with the same entrypoints, args and post-if as before.
	if err := checkDockerAction(got); err != nil {
		t.Errorf("not valid action metadata: %v", err)
	}
	var before, after actionMetadata
	if err := yaml.Unmarshal(orig, &before); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(got, &after); err != nil {
		t.Fatal(err)
	}
	if after.Runs["image"] != "docker://"+image {
		t.Errorf("runs.image = %v", after.Runs["image"])
	}
	before.Runs["image"] = after.Runs["image"]
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("metadata changed beyond runs.image (-before +after):\n%s", diff)
	}
	for _, k := range []string{"entrypoint", "post-entrypoint", "post-if", "args"} {
		if _, ok := after.Runs[k]; !ok {
			t.Errorf("runs.%s missing", k)
		}
	}

	// The release commit is in the history the project's self-scan job
	// reads: the digest must not be taken for a Vast key.
	if m := scan.Detect(got, scan.Detectors); len(m) > 0 {
		t.Errorf("the scanner finds %d Vast keys in the release commit's action.yml", len(m))
	}
	key := strings.TrimPrefix(testDigest(), "sha256:")
	if m := scan.Detect(append(got, "\nenv:\n  VAST_API_KEY: "+key+"\n"...), scan.Detectors); len(m) == 0 {
		t.Error("control: the scanner misses a key-shaped value in the same file")
	}

	// A second run refuses instead of prefixing again, and leaves the file.
	if err := run([]string{"pin-image", "-image", image, path}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "already a release commit") {
		t.Errorf("second pin-image: %v, want a refusal", err)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, got) {
		t.Error("a refused pin-image changed the file")
	}
}

func TestPinImageRefuses(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	d := testDigest()
	tests := []struct {
		name, image, src, want string
	}{
		{"a tag only", "ghcr.io/vastguard/vastguard:v1.2.3", string(src), "sha256"},
		{"a short digest", "ghcr.io/vastguard/vastguard@sha256:abc", string(src), "sha256"},
		{"docker:// given", "docker://ghcr.io/vastguard/vastguard@" + d, string(src), "REPOSITORY"},
		{"uppercase", "ghcr.io/VastGuard/vastguard@" + d, string(src), "REPOSITORY"},
		{"no runs.image", "ghcr.io/vastguard/vastguard@" + d, "name: x\ndescription: y\nruns:\n  using: docker\n", "no runs.image"},
		{"already pinned", "ghcr.io/vastguard/vastguard@" + d, strings.Replace(string(src), "image: Dockerfile", "image: docker://ghcr.io/vastguard/vastguard@"+d, 1), "already a release commit"},
		{"quoted", "ghcr.io/vastguard/vastguard@" + d, strings.Replace(string(src), "image: Dockerfile", `image: "Dockerfile"`, 1), "plain scalar"},
		{"not docker", "ghcr.io/vastguard/vastguard@" + d, "name: x\ndescription: y\nruns:\n  using: node24\n  image: Dockerfile\n", "want docker"},
		{"unknown runs key", "ghcr.io/vastguard/vastguard@" + d, "name: x\ndescription: y\nruns:\n  using: docker\n  image: Dockerfile\n  main: x.js\n", "runs.main"},
	}
	for _, tt := range tests {
		_, err := pinImage([]byte(tt.src), tt.image)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestCheckDockerAction(t *testing.T) {
	t.Parallel()
	base := "name: x\ndescription: y\nruns:\n  using: docker\n"
	for src, ok := range map[string]bool{
		base + "  image: Dockerfile\n":                                true,
		base + "  image: build/Dockerfile.release\n":                  true,
		base + "  image: DOCKER://ghcr.io/a/b@" + testDigest() + "\n": true,
		base + "  image: docker://ghcr.io/a/b:v1\n":                   false, // not pinned by digest
		base + "  image: ghcr.io/a/b\n":                               false,
		base + "  image: Dockerfile\n  args: action\n":                false,
		base + "  image: Dockerfile\n  env: [a]\n":                    false,
		base + "  image: Dockerfile\n  entrypoint: [a]\n":             false,
		"name: x\nruns:\n  using: docker\n  image: Dockerfile\n":      false,
	} {
		if err := checkDockerAction([]byte(src)); (err == nil) != ok {
			t.Errorf("checkDockerAction(%q) = %v, want ok=%v", src, err, ok)
		}
	}
}

// TestNotesAndChangelogOnTheRealChangelog: the release notes are this
// repository's Unreleased section, and dating it keeps every line of it.
func TestNotesAndChangelogOnTheRealChangelog(t *testing.T) {
	t.Parallel()
	path := copyToTemp(t, "CHANGELOG.md")
	orig, _ := os.ReadFile(path)
	var notes bytes.Buffer
	if err := run([]string{"notes", path}, &notes); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(notes.String(), "### ") || strings.Contains(notes.String(), "Unreleased") {
		t.Errorf("notes start %q: want the Unreleased section's body", notes.String()[:min(60, notes.Len())])
	}
	if err := run([]string{"changelog", "-version", "v1.0.0", "-date", "2026-10-01", path}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Contains(got, []byte("## [Unreleased]\n\n## [1.0.0] - 2026-10-01\n\n"+notes.String())) {
		t.Errorf("dated changelog lacks the new sections:\n%s", got)
	}
	if !bytes.HasSuffix(got, []byte("\n[Unreleased]: https://github.com/vastguard/vastguard/compare/v1.0.0...HEAD\n[1.0.0]: https://github.com/vastguard/vastguard/releases/tag/v1.0.0\n")) {
		t.Errorf("dated changelog's links:\n%s", got[max(0, len(got)-300):])
	}
	if !bytes.HasPrefix(got, orig[:bytes.Index(orig, []byte("## [Unreleased]"))]) {
		t.Error("the text before Unreleased changed")
	}
	// Now Unreleased is empty: a release without notes is refused.
	if err := run([]string{"notes", path}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("notes on an empty Unreleased: %v", err)
	}
}

func TestDatedChangelogSecondRelease(t *testing.T) {
	t.Parallel()
	src := "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- b\n\n## [1.0.0] - 2026-10-01\n\n### Added\n\n- a\n\n" +
		"[Unreleased]: https://github.com/vastguard/vastguard/compare/v1.0.0...HEAD\n[1.0.0]: https://github.com/vastguard/vastguard/releases/tag/v1.0.0\n"
	got, err := datedChangelog([]byte(src), "v1.0.1", "2026-10-08", "https://github.com/vastguard/vastguard")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Changelog\n\n## [Unreleased]\n\n## [1.0.1] - 2026-10-08\n\n### Fixed\n\n- b\n\n## [1.0.0] - 2026-10-01\n\n### Added\n\n- a\n\n" +
		"[Unreleased]: https://github.com/vastguard/vastguard/compare/v1.0.1...HEAD\n" +
		"[1.0.1]: https://github.com/vastguard/vastguard/compare/v1.0.0...v1.0.1\n" +
		"[1.0.0]: https://github.com/vastguard/vastguard/releases/tag/v1.0.0\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := datedChangelog(got, "v1.0.1", "2026-10-08", "x"); err == nil {
		t.Error("dated the same version twice")
	}
	for _, bad := range [][2]string{{"1.0.2", "2026-10-08"}, {"v1.0", "2026-10-08"}, {"v1.0.2", "08/10/2026"}} {
		if _, err := datedChangelog([]byte(src), bad[0], bad[1], "x"); err == nil {
			t.Errorf("accepted -version %s -date %s", bad[0], bad[1])
		}
	}
}

// TestPinUsesOnTheRealReadme: every uses: vastguard/vastguard line of the
// README points at the release commit with the version as a comment, the
// pre-commit rev at the tag, and nothing else changes.
func TestPinUsesOnTheRealReadme(t *testing.T) {
	t.Parallel()
	path := copyToTemp(t, "README.md")
	orig, _ := os.ReadFile(path)
	sha := strings.Repeat("0123456789", 4)
	if err := run([]string{"pin-uses", "-sha", sha, "-version", "v1.4.2", path}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	ol, gl := strings.Split(string(orig), "\n"), strings.Split(string(got), "\n")
	if len(ol) != len(gl) {
		t.Fatalf("line count %d -> %d", len(ol), len(gl))
	}
	uses, revs := 0, 0
	for i := range ol {
		if ol[i] == gl[i] {
			if usesLine.MatchString(ol[i]) {
				t.Errorf("line %d not pinned: %s", i+1, ol[i])
			}
			continue
		}
		switch {
		case strings.HasSuffix(gl[i], "uses: vastguard/vastguard@"+sha+" # v1.4.2"):
			uses++
		case strings.TrimSpace(gl[i]) == "rev: v1.4.2":
			revs++
		default:
			t.Errorf("line %d: %q -> %q", i+1, ol[i], gl[i])
		}
	}
	if uses < 5 || revs != 1 {
		t.Errorf("pinned %d uses lines and %d pre-commit revs; want every quick start and the hook", uses, revs)
	}
	for _, bad := range [][2]string{{"abc", "v1.0.0"}, {sha, "1.0.0"}} {
		if _, err := pinUses(orig, bad[0], bad[1]); err == nil {
			t.Errorf("pin-uses -sha %s -version %s accepted", bad[0], bad[1])
		}
	}
	if _, err := pinUses([]byte("no action here\n"), sha, "v1.0.0"); err == nil {
		t.Error("pin-uses accepted a file without uses lines")
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"tag"}, {"notes"}, {"notes", "a", "b"}, {"pin-image", "-nope", "x"}, {"notes", filepath.Join(t.TempDir(), "missing.md")}} {
		if err := run(args, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
