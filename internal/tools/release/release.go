package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var commands = map[string]func(args []string, stdout io.Writer) error{
	"pin-image": cmdPinImage,
	"notes":     cmdNotes,
	"changelog": cmdChangelog,
	"pin-uses":  cmdPinUses,
}

// flags parses args: flags, then exactly one file.
func flags(name string, args []string, define func(fs *flag.FlagSet)) (string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	define(fs)
	if err := fs.Parse(args); err != nil {
		return "", fmt.Errorf("%s: %v", name, err)
	}
	if fs.NArg() != 1 {
		return "", fmt.Errorf("%s: want one file, got %d arguments", name, fs.NArg())
	}
	return fs.Arg(0), nil
}

// edit applies f to the file's contents and writes the result back with
// the file's permissions; on error the file is untouched.
func edit(file string, f func([]byte) ([]byte, error)) error {
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	in, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	out, err := f(in)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return os.WriteFile(file, out, fi.Mode().Perm())
}

var (
	// imageRef is a registry image pinned by digest, as the runner pulls
	// it: lowercase repository path, optional tag, sha256 digest.
	imageRef = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)+(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?@sha256:[0-9a-f]{64}$`)
	// semverTag is a release tag: vMAJOR.MINOR.PATCH, optionally -PRERELEASE.
	semverTag = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)
	commitSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

func cmdPinImage(args []string, _ io.Writer) error {
	var image string
	file, err := flags("pin-image", args, func(fs *flag.FlagSet) {
		fs.StringVar(&image, "image", "", "the image to pin, REPOSITORY[:TAG]@sha256:DIGEST")
	})
	if err != nil {
		return err
	}
	return edit(file, func(b []byte) ([]byte, error) { return pinImage(b, image) })
}

// pinImage rewrites the value of runs.image, which must be Dockerfile, to
// docker://image, on its own line and keeping the line's indentation and
// any comment, then checks that nothing else changed and that the result
// is valid metadata for a Docker container action.
func pinImage(src []byte, image string) ([]byte, error) {
	if !imageRef.MatchString(image) {
		return nil, fmt.Errorf("-image %q: want REPOSITORY[:TAG]@sha256:<64 hex digits>", image)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	node := lookup(&doc, "runs", "image")
	if node == nil || node.Kind != yaml.ScalarNode {
		return nil, errors.New("no runs.image")
	}
	if node.Value != "Dockerfile" {
		return nil, fmt.Errorf("runs.image is %q, want Dockerfile (is this already a release commit?)", node.Value)
	}
	lines := bytes.SplitAfter(src, []byte("\n"))
	i := node.Line - 1
	if i < 0 || i >= len(lines) {
		return nil, errors.New("runs.image: line out of range")
	}
	line := string(lines[i])
	col := node.Column - 1
	if col < 0 || col+len("Dockerfile") > len(line) || line[col:col+len("Dockerfile")] != "Dockerfile" {
		return nil, errors.New("runs.image: write it as a plain scalar, image: Dockerfile")
	}
	lines[i] = []byte(line[:col] + "docker://" + image + line[col+len("Dockerfile"):])
	out := bytes.Join(lines, nil)

	// Nothing but runs.image changed, and the result is what the runner
	// accepts.
	var before, after yaml.Node
	if err := yaml.Unmarshal(src, &before); err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(out, &after); err != nil {
		return nil, fmt.Errorf("the rewritten file is not YAML: %w", err)
	}
	lookup(&before, "runs", "image").Value = "docker://" + image
	if a, b := dump(&before), dump(&after); a != b {
		return nil, errors.New("the rewrite changed more than runs.image")
	}
	if err := checkDockerAction(out); err != nil {
		return nil, fmt.Errorf("the rewritten file: %w", err)
	}
	return out, nil
}

// lookup follows mapping keys from a document node.
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for _, k := range keys {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// dump is a node tree's structure and values, without positions.
func dump(n *yaml.Node) string {
	var b strings.Builder
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		fmt.Fprintf(&b, "%*s%d %s %q %q\n", depth, "", n.Kind, n.Tag, n.Value, n.HeadComment+n.LineComment+n.FootComment)
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// actionMetadata is action.yml as the runner reads it for a Docker action
// (actions/runner ActionManifestManager).
type actionMetadata struct {
	Name        string                    `yaml:"name"`
	Description string                    `yaml:"description"`
	Inputs      map[string]map[string]any `yaml:"inputs"`
	Outputs     map[string]map[string]any `yaml:"outputs"`
	Runs        map[string]any            `yaml:"runs"`
}

// runsKeys are the runs keys the runner reads for using: docker.
var runsKeys = map[string]bool{"using": true, "image": true, "args": true, "entrypoint": true, "env": true, "pre-entrypoint": true, "pre-if": true, "post-entrypoint": true, "post-if": true}

// checkDockerAction checks action metadata for a Docker container action
// the way the runner loads it: name and description, runs.using docker,
// runs.image a docker:// reference or a Dockerfile path, string
// entrypoints, args a list, env a map, and no runs key the runner ignores.
func checkDockerAction(src []byte) error {
	var m actionMetadata
	if err := yaml.Unmarshal(src, &m); err != nil {
		return err
	}
	if m.Name == "" || m.Description == "" {
		return errors.New("name and description are required")
	}
	if m.Runs == nil {
		return errors.New("no runs section")
	}
	for k := range m.Runs {
		if !runsKeys[k] {
			return fmt.Errorf("runs.%s: not a key the runner reads for a Docker action", k)
		}
	}
	if m.Runs["using"] != "docker" {
		return fmt.Errorf("runs.using is %v, want docker", m.Runs["using"])
	}
	image, _ := m.Runs["image"].(string)
	switch {
	case len(image) > len("docker://") && strings.EqualFold(image[:len("docker://")], "docker://"):
		if !imageRef.MatchString(image[len("docker://"):]) {
			return fmt.Errorf("runs.image %q: not an image pinned by digest", image)
		}
	case isDockerfile(image):
	default:
		return fmt.Errorf("runs.image %q: should be either '[path]/Dockerfile' or 'docker://image[:tag]'", image)
	}
	for _, k := range []string{"entrypoint", "pre-entrypoint", "post-entrypoint", "pre-if", "post-if"} {
		if v, ok := m.Runs[k]; ok {
			if _, isString := v.(string); !isString {
				return fmt.Errorf("runs.%s: want a string", k)
			}
		}
	}
	if v, ok := m.Runs["args"]; ok {
		if _, isList := v.([]any); !isList {
			return errors.New("runs.args: want a list")
		}
	}
	if v, ok := m.Runs["env"]; ok {
		if _, isMap := v.(map[string]any); !isMap {
			return errors.New("runs.env: want a mapping")
		}
	}
	return nil
}

// isDockerfile is the runner's DockerUtil.IsDockerfile: the last path
// element is Dockerfile or starts with Dockerfile.
func isDockerfile(image string) bool {
	base := image[strings.LastIndex(image, "/")+1:]
	return base == "Dockerfile" || strings.HasPrefix(base, "Dockerfile.")
}

func cmdNotes(args []string, stdout io.Writer) error {
	file, err := flags("notes", args, func(*flag.FlagSet) {})
	if err != nil {
		return err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	_, body, _, err := unreleased(b)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	_, err = stdout.Write(body)
	return err
}

// unreleasedHeading is Keep a Changelog's heading for what is not released.
var unreleasedHeading = regexp.MustCompile(`(?mi)^## \[?Unreleased\]?[ \t]*\n`)

// unreleased splits a Keep a Changelog file around its Unreleased
// section's body (trimmed, ending in one newline), which must not be empty.
func unreleased(b []byte) (head, body, tail []byte, err error) {
	loc := unreleasedHeading.FindIndex(b)
	if loc == nil {
		return nil, nil, nil, errors.New("no ## [Unreleased] section")
	}
	rest := b[loc[1]:]
	end := len(rest)
	if m := regexp.MustCompile(`(?m)^(## |\[[^\]]+\]: )`).FindIndex(rest); m != nil {
		end = m[0]
	}
	body = bytes.TrimSpace(rest[:end])
	if len(body) == 0 {
		return nil, nil, nil, errors.New("the Unreleased section is empty: write the release notes there first")
	}
	return b[:loc[0]], append(body, '\n'), rest[end:], nil
}

func cmdChangelog(args []string, _ io.Writer) error {
	var version, date, repo string
	file, err := flags("changelog", args, func(fs *flag.FlagSet) {
		fs.StringVar(&version, "version", "", "the release's tag, vX.Y.Z")
		fs.StringVar(&date, "date", "", "the release date, YYYY-MM-DD")
		fs.StringVar(&repo, "repo", "https://github.com/vastguard/vastguard", "the repository's URL, for the compare links")
	})
	if err != nil {
		return err
	}
	return edit(file, func(b []byte) ([]byte, error) { return datedChangelog(b, version, date, repo) })
}

// linkDef is a Markdown link reference definition at the end of the file.
var linkDef = regexp.MustCompile(`(?m)^\[([^\]]+)\]: \S+\n?`)

// datedChangelog turns the Unreleased section into "## [X.Y.Z] - date"
// under a new, empty Unreleased, and rewrites the link definitions at the
// end: [Unreleased] compares the tag with HEAD, [X.Y.Z] the previous
// release with the tag.
func datedChangelog(b []byte, version, date, repo string) ([]byte, error) {
	if !semverTag.MatchString(version) {
		return nil, fmt.Errorf("-version %q: want vMAJOR.MINOR.PATCH", version)
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return nil, fmt.Errorf("-date %q: want YYYY-MM-DD", date)
	}
	plain := strings.TrimPrefix(version, "v")
	var links [][]byte
	text := linkDef.ReplaceAllFunc(b, func(m []byte) []byte {
		name := string(linkDef.FindSubmatch(m)[1])
		if !strings.EqualFold(name, "unreleased") && name != plain {
			links = append(links, bytes.TrimRight(m, "\n"))
		}
		return nil
	})
	head, body, tail, err := unreleased(text)
	if err != nil {
		return nil, err
	}
	if regexp.MustCompile(`(?m)^## \[?` + regexp.QuoteMeta(plain) + `\]?`).Match(text) {
		return nil, fmt.Errorf("the changelog already has a section for %s", plain)
	}
	// The previous release is the first dated section after Unreleased.
	prev := ""
	if m := regexp.MustCompile(`(?m)^## \[?(\d+\.\d+\.\d+[^\]\s]*)\]?`).FindSubmatch(tail); m != nil {
		prev = "v" + string(m[1])
	}
	var out bytes.Buffer
	out.Write(head)
	fmt.Fprintf(&out, "## [Unreleased]\n\n## [%s] - %s\n\n", plain, date)
	out.Write(body)
	if rest := bytes.TrimSpace(tail); len(rest) > 0 {
		out.WriteString("\n")
		out.Write(rest)
		out.WriteString("\n")
	}
	fmt.Fprintf(&out, "\n[Unreleased]: %s/compare/%s...HEAD\n", repo, version)
	if prev != "" {
		fmt.Fprintf(&out, "[%s]: %s/compare/%s...%s\n", plain, repo, prev, version)
	} else {
		fmt.Fprintf(&out, "[%s]: %s/releases/tag/%s\n", plain, repo, version)
	}
	for _, l := range links {
		out.Write(l)
		out.WriteString("\n")
	}
	return out.Bytes(), nil
}

func cmdPinUses(args []string, _ io.Writer) error {
	var sha, version string
	file, err := flags("pin-uses", args, func(fs *flag.FlagSet) {
		fs.StringVar(&sha, "sha", "", "the release commit, 40 hex digits")
		fs.StringVar(&version, "version", "", "the release's tag, vX.Y.Z")
	})
	if err != nil {
		return err
	}
	return edit(file, func(b []byte) ([]byte, error) { return pinUses(b, sha, version) })
}

var (
	// usesLine is a workflow step using this action from its repository,
	// at any ref, with an optional comment.
	usesLine = regexp.MustCompile(`(?m)^([ \t]*(?:- )?uses:[ \t]*vastguard/vastguard)@[^\s#]+(?:[ \t]+#[^\n]*)?$`)
	// preCommitRev is the rev: line right after this repository in a
	// .pre-commit-config.yaml snippet.
	preCommitRev = regexp.MustCompile(`(?m)^([ \t]*- repo: https://github\.com/vastguard/vastguard\n[ \t]*rev:[ \t]*)\S+([ \t]*#[^\n]*)?$`)
)

// pinUses points every uses: vastguard/vastguard@... line at sha with
// "# version", and the pre-commit rev at the tag (pre-commit installs the
// hook from it). It refuses a file with no such line.
func pinUses(b []byte, sha, version string) ([]byte, error) {
	if !commitSHA.MatchString(sha) {
		return nil, fmt.Errorf("-sha %q: want the release commit's 40 hex digits", sha)
	}
	if !semverTag.MatchString(version) {
		return nil, fmt.Errorf("-version %q: want vMAJOR.MINOR.PATCH", version)
	}
	if !usesLine.Match(b) {
		return nil, errors.New("no uses: vastguard/vastguard@... line")
	}
	out := usesLine.ReplaceAll(b, []byte("${1}@"+sha+" # "+version))
	out = preCommitRev.ReplaceAll(out, []byte("${1}"+version))
	return out, nil
}
