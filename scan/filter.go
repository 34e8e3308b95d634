package scan

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Filter is what a configuration file (.vastguard.yaml) asks of a scan's
// findings: paths to leave out, rules turned off, a minimum confidence, and
// known example values to report without failing. The zero Filter keeps
// everything. Build it with NewFilter, which checks every field.
type Filter struct {
	// ExcludePaths are doublestar globs ("testdata/**", "**/*.md")
	// matched against a finding's path: a file's path in the tree, an
	// archive entry's full name ("dist/app.zip!config/.env") and the
	// archive file's own path. Commit and tag messages, standard input and
	// log lines have no path and are never excluded.
	ExcludePaths []string
	// DisableRules are rule ids (Detector.ID) whose findings are dropped.
	DisableRules []string
	// MinConfidence drops findings less sure than it; "" keeps all.
	MinConfidence Confidence
	// Examples maps the key_sha256 of known example values (a key
	// published in documentation on purpose, a test vector) to why it is
	// one. Their findings stay in the report with Finding.Example set, and
	// do not fail a scan unless verification finds the key live.
	Examples map[string]string

	disabled map[string]bool
}

// NewFilter checks f against the rules of detectors (nil: Detectors) and
// returns it ready to use. Each error names the field and the entry.
func NewFilter(f Filter, detectors []Detector) (*Filter, error) {
	if detectors == nil {
		detectors = Detectors
	}
	for i, g := range f.ExcludePaths {
		if err := checkGlob(g); err != nil {
			return nil, fmt.Errorf("exclude-paths[%d]: %w", i, err)
		}
	}
	known := map[string]bool{}
	var ids []string
	for _, d := range detectors {
		known[d.ID] = true
		ids = append(ids, d.ID)
	}
	f.disabled = map[string]bool{}
	for i, id := range f.DisableRules {
		if !known[id] {
			return nil, fmt.Errorf("disable-rules[%d]: %q is not a rule (rules: %s)", i, id, strings.Join(ids, ", "))
		}
		f.disabled[id] = true
	}
	switch f.MinConfidence {
	case "", High, Medium:
	default:
		return nil, fmt.Errorf("min-confidence: %q: use high or medium", f.MinConfidence)
	}
	ex := map[string]string{}
	for h, why := range f.Examples {
		if !validHash(h) {
			return nil, fmt.Errorf("examples: %q is not a 64-character hex key_sha256", short(h))
		}
		ex[strings.ToLower(h)] = why
	}
	f.Examples = ex
	return &f, nil
}

// checkGlob refuses a pattern doublestar cannot use, and patterns that
// could never match a path shown by vastguard (absolute, or with "..").
func checkGlob(g string) error {
	switch {
	case strings.TrimSpace(g) == "":
		return fmt.Errorf("an empty pattern")
	case strings.HasPrefix(g, "/"):
		return fmt.Errorf("%q: paths are relative to the repository root; drop the leading /", g)
	case strings.Contains(g, "\\"):
		return fmt.Errorf("%q: use / between directories", g)
	case g == ".." || strings.HasPrefix(g, "../") || strings.Contains(g, "/../"):
		return fmt.Errorf("%q: a pattern cannot leave the repository", g)
	case !doublestar.ValidatePattern(g):
		return fmt.Errorf("%q is not a valid glob", g)
	}
	return nil
}

// ExcludesPath reports whether the configuration leaves out path (a path
// relative to the root, slash-separated; an archive entry as
// "a.zip!b/c").
func (f *Filter) ExcludesPath(path string) bool {
	if f == nil || path == "" {
		return false
	}
	outer, _, inArchive := strings.Cut(path, "!")
	for _, g := range f.ExcludePaths {
		if doublestar.MatchUnvalidated(g, path) || (inArchive && doublestar.MatchUnvalidated(g, outer)) {
			return true
		}
		// "dir" and "dir/" leave out the whole directory.
		if d := strings.TrimSuffix(g, "/"); d != "" && !strings.ContainsAny(d, "*?[{") && (path == d || strings.HasPrefix(path, d+"/")) {
			return true
		}
	}
	return false
}

// Apply drops the findings f leaves out, marks the examples, and counts
// both in r.Stats.
func (f *Filter) Apply(r *Report) {
	if f == nil {
		return
	}
	keep := r.Findings[:0]
	for _, x := range r.Findings {
		path := x.Path
		if x.Archive != "" && path == "" {
			path = x.Archive
		}
		fileLike := x.Source == SourceFile || x.Source == SourceStaged || x.Source == SourceDirectory
		switch {
		case fileLike && f.ExcludesPath(path):
			r.Stats.Excluded++
			continue
		case f.disabled[x.Rule]:
			r.Stats.Disabled++
			continue
		case f.MinConfidence == High && x.Confidence != High:
			r.Stats.BelowConfidence++
			continue
		}
		if why, ok := f.Examples[x.KeySHA256]; ok {
			if why == "" {
				why = "known example value"
			}
			x.Example = why
			r.Stats.Examples++
		}
		keep = append(keep, x)
	}
	r.Findings = keep
}

// Failing returns the findings that fail a scan: all but known examples,
// unless verification found an example live.
func Failing(r *Report) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Example == "" || f.Verification == Live {
			out = append(out, f)
		}
	}
	return out
}
