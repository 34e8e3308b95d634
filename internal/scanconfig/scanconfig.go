// Package scanconfig reads .vastguard.yaml, the scanner's configuration
// file at a repository's root: paths to leave out, rules turned off, a
// minimum confidence, the baseline's path, and known example values. It is
// decoded strictly (an unknown or misspelt field is an error) and every
// field is checked, each error one line naming the file, the line and the
// field. It turns the file into a scan.Filter; reading it from the right
// place (the work tree, or a pull request's base commit) is its caller's
// business.
//
// It imports scan (for the rule ids and the filter) and the broker's
// strict YAML decoder, nothing else of the module.
package scanconfig

import (
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vastguard/vastguard/internal/broker/yamlfile"
	"github.com/vastguard/vastguard/scan"
)

// FileName is the configuration's name at a repository's root.
const FileName = ".vastguard.yaml"

// MaxSize bounds a configuration file.
const MaxSize = 1 << 20

// File is the configuration file's fields.
type File struct {
	// ExcludePaths are doublestar globs of paths to leave out
	// ("testdata/**", "docs/**/*.md"); "dir/" leaves out a directory.
	ExcludePaths []string `yaml:"exclude-paths"`
	// DisableRules are rule ids whose findings are dropped.
	DisableRules []string `yaml:"disable-rules"`
	// MinConfidence is "high" (drop medium-confidence findings) or
	// "medium" (the default: keep all).
	MinConfidence string `yaml:"min-confidence"`
	// Baseline is a baseline file's path, relative to the root.
	Baseline string `yaml:"baseline"`
	// Examples are keys published on purpose (a revoked key in the
	// docs, a test vector), by SHA-256: reported as examples, not
	// failing the scan unless verified live.
	Examples []Example `yaml:"examples"`
}

// Example is a known example value: its key_sha256 and why it is one. In
// the file it is a mapping ({sha256: ..., why: ...}) or the hash alone.
type Example struct {
	SHA256 string `yaml:"sha256"`
	Why    string `yaml:"why"`
}

// UnmarshalYAML takes an example as a mapping or as the bare hash.
func (e *Example) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		e.SHA256 = n.Value
		return nil
	}
	type plain Example
	return n.Decode((*plain)(e))
}

// Config is a checked configuration.
type Config struct {
	File
	// Name is where it was read from, for messages (".vastguard.yaml",
	// ".vastguard.yaml at 1a2b3c4d5e").
	Name   string
	Filter *scan.Filter
}

// Parse decodes and checks a configuration file. name is used in errors;
// detectors (nil: scan.Detectors) are the rules disable-rules may name.
func Parse(name string, data []byte, detectors []scan.Detector) (*Config, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s: more than %d KiB; a configuration is a few lines", name, MaxSize>>10)
	}
	c := &Config{Name: name}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil && (len(root.Content) == 0 || root.Content[0].Tag == "!!null") {
		// An empty file (or comments alone) configures nothing.
		f, _ := scan.NewFilter(scan.Filter{}, detectors)
		c.Filter = f
		return c, nil
	}
	if err := checkShapes(name, &root); err != nil {
		return nil, err
	}
	if err := yamlfile.Decode(name, data, &c.File); err != nil {
		return nil, err
	}
	at := func(field string, i int) error { return lineOf(name, &root, field, i) }

	for i, p := range c.ExcludePaths {
		if _, err := scan.NewFilter(scan.Filter{ExcludePaths: []string{p}}, detectors); err != nil {
			_, msg, _ := strings.Cut(err.Error(), ": ")
			return nil, fmt.Errorf("%v exclude-paths[%d]: %s", at("exclude-paths", i), i, msg)
		}
	}
	for i, id := range c.DisableRules {
		if _, err := scan.NewFilter(scan.Filter{DisableRules: []string{id}}, detectors); err != nil {
			_, msg, _ := strings.Cut(err.Error(), ": ")
			return nil, fmt.Errorf("%v disable-rules[%d]: %s", at("disable-rules", i), i, msg)
		}
	}
	switch c.MinConfidence {
	case "", string(scan.High), string(scan.Medium):
	default:
		return nil, fmt.Errorf("%v min-confidence: %q: use high or medium", at("min-confidence", -1), c.MinConfidence)
	}
	if b := c.Baseline; b != "" {
		clean := path.Clean(strings.ReplaceAll(b, "\\", "/"))
		switch {
		case strings.HasPrefix(b, "/") || (len(b) > 1 && b[1] == ':'):
			return nil, fmt.Errorf("%v baseline: %q: give a path relative to the repository root", at("baseline", -1), b)
		case clean == ".." || strings.HasPrefix(clean, "../"):
			return nil, fmt.Errorf("%v baseline: %q leaves the repository", at("baseline", -1), b)
		case clean == ".":
			return nil, fmt.Errorf("%v baseline: %q is not a file", at("baseline", -1), b)
		}
		c.Baseline = clean
	}
	ex := map[string]string{}
	for i, e := range c.Examples {
		h := strings.TrimSpace(e.SHA256)
		if _, err := scan.NewFilter(scan.Filter{Examples: map[string]string{h: ""}}, detectors); err != nil {
			what := "is not a 64-character hex key_sha256"
			if h == "" {
				what = "is missing: give the key's key_sha256 (vastguard scan shows it)"
			}
			return nil, fmt.Errorf("%v examples[%d].sha256 %s", at("examples", i), i, what)
		}
		why := strings.Join(strings.Fields(e.Why), " ")
		if len(why) > 200 {
			return nil, fmt.Errorf("%v examples[%d].why: at most 200 characters", at("examples", i), i)
		}
		ex[strings.ToLower(h)] = why
	}
	f, err := scan.NewFilter(scan.Filter{
		ExcludePaths:  c.ExcludePaths,
		DisableRules:  c.DisableRules,
		MinConfidence: scan.Confidence(c.MinConfidence),
		Examples:      ex,
	}, detectors)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.Filter = f
	return c, nil
}

// shapes are the fields that hold lists; the others hold one string.
var shapes = map[string]yaml.Kind{"exclude-paths": yaml.SequenceNode, "disable-rules": yaml.SequenceNode, "examples": yaml.SequenceNode,
	"min-confidence": yaml.ScalarNode, "baseline": yaml.ScalarNode}

// checkShapes says, before the decoder does in Go's terms, that a field
// wants a list or a string.
func checkShapes(name string, root *yaml.Node) error {
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil // the decoder explains
	}
	doc := root.Content[0]
	for j := 0; j+1 < len(doc.Content); j += 2 {
		k, v := doc.Content[j], doc.Content[j+1]
		want, ok := shapes[k.Value]
		if !ok || v.Kind == want || v.Tag == "!!null" {
			continue
		}
		if want == yaml.SequenceNode {
			return fmt.Errorf("%s:%d: %s: a list is expected, one entry a line (  - ...), or [a, b]", name, v.Line, k.Value)
		}
		return fmt.Errorf("%s:%d: %s: a single value is expected", name, v.Line, k.Value)
	}
	return nil
}

// place is "file:line:" for a field (and its i-th item), or "file:".
type place string

func (p place) Error() string { return string(p) }

// lineOf finds the line of field (its i-th item when i >= 0) in the
// document, for errors.
func lineOf(name string, root *yaml.Node, field string, i int) error {
	if len(root.Content) == 0 {
		return place(name + ":")
	}
	doc := root.Content[0]
	for j := 0; j+1 < len(doc.Content); j += 2 {
		k, v := doc.Content[j], doc.Content[j+1]
		if k.Value != field {
			continue
		}
		line := k.Line
		if i >= 0 && v.Kind == yaml.SequenceNode && i < len(v.Content) {
			line = v.Content[i].Line
		} else if v.Kind == yaml.ScalarNode {
			line = v.Line
		}
		return place(fmt.Sprintf("%s:%d:", name, line))
	}
	return place(name + ":")
}

// ReadFile reads a configuration file from disk without following a
// symbolic link at its name: a link (a pull request could make
// .vastguard.yaml point at any file on the runner), a directory or a
// special file is an error, and so is more than MaxSize bytes. A missing
// file matches fs.ErrNotExist.
func ReadFile(name string) ([]byte, error) {
	fi, err := os.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (a link or a directory); not read", name)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !os.SameFile(fi, st) {
		return nil, fmt.Errorf("%s changed while it was read", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s: more than %d KiB; a configuration is a few lines", name, MaxSize>>10)
	}
	return data, nil
}
