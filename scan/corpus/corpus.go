// Package corpus generates a corpus of leak shapes and look-alikes for
// Vast.ai API keys, drawn from public code, and builds it into a git
// repository: every planted key and every look-alike value is made at run
// time from a seed, so no key-shaped value is ever committed.
//
// Each Case names the public source of its shape family (a repository and
// path, or the document where the shape is published). The scan package's
// TestCorpus and bench/corpus.sh (beside gitleaks) print a table of what
// each tool finds.
package corpus

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf16"

	"github.com/vastguard/vastguard/scan/scantest"
)

// Where a case's text goes.
const (
	InFile    = ""               // a file at Path
	InMessage = "commit-message" // a commit's message
	InTag     = "tag-message"    // an annotated tag's message
	InNote    = "note"           // a git note on the commit before it
	InStash   = "stash"          // a stash entry pushed down by a newer one (reachable only through the reflog)
)

// Case is one planted key or one look-alike.
type Case struct {
	ID      string // p001…, l001…: never contains "vast"
	Family  string // the shape family
	Source  string // where the shape is seen in public code
	Planted bool   // a Vast key (true) or a look-alike (false)
	Where   string // InFile and the others
	Path    string // for files: the path under the case's own directory
	// Text is the content, with @K@ for the key (planted cases), @H@ and
	// @H2@ for other hex values, @HU@ for @H@ in upper case, @B64@ for the
	// key in base64, @B64ENV@ (@B64ENVWRAP@) for an env file holding the key in
	// base64 (wrapped at 76 columns), @B64RAND@ for base64 of non-text bytes,
	// @Z@ and @P@ for placeholders (64 zeros, the hex alphabet
	// four times), @BIN@ for binary content built by Binary.
	Text string
	// Binary builds the content of binary cases from the key (or @H@).
	Binary func(v string) string
	// UTF16 writes the file as UTF-16LE with a byte-order mark.
	UTF16 bool
	// Extra files next to Path (relative to the case's directory).
	Extra map[string]string

	Key   string // the planted key, or the look-alike value
	Other string // a second hex value, when the text needs one
	// Dir is the case's directory in the repository; FilePath the file's
	// full path (empty for messages).
	Dir, FilePath string
	// Content is Text with every value filled in.
	Content string
	// Line is the 1-based line of the value in Content.
	Line int
}

// value makes the n-th hex value of a case: 64 lowercase hex characters,
// the same for a seed on every run, random-looking.
func value(seed, id string, n int) string {
	for i := 0; ; i++ {
		s := sha256.Sum256([]byte(fmt.Sprintf("vastguard corpus %s %s %d %d", seed, id, n, i)))
		v := hex.EncodeToString(s[:])
		if !lowEntropy(v) {
			return v
		}
	}
}

// lowEntropy mirrors the scanners' placeholder filters loosely: a value
// with too few digits or letters is redrawn so every case is a fair test.
func lowEntropy(v string) bool {
	digits := 0
	for i := 0; i < len(v); i++ {
		if v[i] <= '9' {
			digits++
		}
	}
	return digits < 12 || digits > 52
}

// Cases returns the corpus for seed, every value filled in.
func Cases(seed string) []Case {
	out := make([]Case, 0, len(planted)+len(lookalikes))
	all := append(append([]Case{}, planted...), lookalikes...)
	for i := range planted {
		all[i].Planted = true
	}
	for _, c := range all {
		c.Key = value(seed, c.ID, 0)
		c.Other = value(seed, c.ID, 1)
		c.Dir = c.ID
		r := strings.NewReplacer("@K@", c.Key, "@H@", c.Key, "@H2@", c.Other, "@HU@", strings.ToUpper(c.Key),
			"@B64@", base64.StdEncoding.EncodeToString([]byte(c.Key)),
			"@Z@", strings.Repeat("0", 64), "@P@", strings.Repeat("0123456789abcdef", 4),
			"@B64ENV@", b64env(c.Key, false), "@B64ENVWRAP@", b64env(c.Key, true), "@B64RAND@", b64rand(c.Key))
		c.Content = r.Replace(c.Text)
		if c.Binary != nil {
			c.Content = strings.Replace(c.Content, "@BIN@", c.Binary(c.Key), 1)
		}
		if i := strings.Index(c.Content, c.Key); i >= 0 {
			c.Line = strings.Count(c.Content[:i], "\n") + 1
		} else if i := strings.Index(c.Content, base64.StdEncoding.EncodeToString([]byte(c.Key))[:40]); i >= 0 {
			c.Line = strings.Count(c.Content[:i], "\n") + 1
		}
		if c.Where == InFile {
			c.FilePath = c.Dir + "/" + c.Path
		}
		extra := map[string]string{}
		for p, t := range c.Extra {
			extra[p] = r.Replace(t)
		}
		c.Extra = extra
		out = append(out, c)
	}
	return out
}

// b64env is an env file holding key, base64-encoded; wrapped at 76
// columns as base64(1) writes it.
func b64env(key string, wrap bool) string {
	enc := base64.StdEncoding.EncodeToString([]byte("NODE_ENV=production\nVAST_API_KEY=" + key + "\nREGION=eu-west\n"))
	if !wrap {
		return enc
	}
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	return b.String()
}

// b64rand is base64 of bytes derived from v that are not text (an image).
func b64rand(v string) string {
	var raw []byte
	for i := 0; len(raw) < 300; i++ {
		s := sha256.Sum256([]byte(fmt.Sprintf("%s %d", v, i)))
		raw = append(raw, s[:]...)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// Build writes the cases into r: each file case in its own commit under
// its own directory, each message case as a commit, tag, note or stash.
// It returns the note cases' paths (a note's path is the id of the commit
// it annotates), by case ID.
func Build(r *scantest.Repo, cases []Case) map[string]string {
	notes := map[string]string{}
	r.Commit("corpus: start", scantest.Files{"README.md": "leak shapes and look-alikes, generated\n"})
	for i := range cases {
		c := &cases[i]
		switch c.Where {
		case InMessage:
			r.Commit(c.Content, scantest.Files{c.Dir + "/CHANGELOG": "changed\n"})
		case InTag:
			h := r.Commit("corpus: "+c.ID, scantest.Files{c.Dir + "/CHANGELOG": "tagged\n"})
			r.Tag("t-"+c.ID, h, c.Content)
		case InNote:
			h := r.Commit("corpus: "+c.ID, scantest.Files{c.Dir + "/CHANGELOG": "noted\n"})
			r.Note(h, c.Content)
			notes[c.ID] = h.String()
			c.FilePath = h.String()
		case InStash:
			r.Stash("wip "+c.ID, scantest.Files{c.Dir + "/" + c.Path: c.Content})
			r.Stash("wip "+c.ID+" again", scantest.Files{c.Dir + "/" + c.Path: "nothing here\n"})
			c.FilePath = c.Dir + "/" + c.Path
		}
	}
	// Then every file case in one commit (each has its own directory): a
	// commit per case would rewrite the whole tree each time, so the
	// message cases above come first, on small trees.
	files := scantest.Files{"README.md": "leak shapes and look-alikes, generated\n"}
	for i := range cases {
		c := &cases[i]
		if c.Where == InFile {
			files[c.FilePath] = encode(c)
			for p, t := range c.Extra {
				files[c.Dir+"/"+p] = t
			}
		}
	}
	r.Commit("corpus: files", files)
	return notes
}

func encode(c *Case) string {
	if !c.UTF16 {
		return c.Content
	}
	u := utf16.Encode([]rune(c.Content))
	b := []byte{0xff, 0xfe}
	for _, x := range u {
		b = append(b, byte(x), byte(x>>8))
	}
	return string(b)
}

// ManifestEntry is a case as the bench script sees it: never the value,
// only its SHA-256.
type ManifestEntry struct {
	ID        string `json:"id"`
	Family    string `json:"family"`
	Source    string `json:"source"`
	Planted   bool   `json:"planted"`
	Where     string `json:"where"`
	Path      string `json:"path"`
	Line      int    `json:"line"`
	KeySHA256 string `json:"key_sha256"`
}

// Manifest describes cases for a report: no value appears in it.
func Manifest(cases []Case) []ManifestEntry {
	var out []ManifestEntry
	for _, c := range cases {
		s := sha256.Sum256([]byte(c.Key))
		out = append(out, ManifestEntry{ID: c.ID, Family: c.Family, Source: c.Source, Planted: c.Planted, Where: c.Where,
			Path: c.FilePath, Line: c.Line, KeySHA256: hex.EncodeToString(s[:])})
	}
	return out
}

// Result is what one tool reported for one case: the rule that fired, or
// "" for nothing.
type Result map[string]string

// Table writes the per-case table and the totals: for each tool, planted
// keys found (recall) and look-alikes flagged (false alarms).
func Table(w io.Writer, m []ManifestEntry, tools []string, results []Result) {
	fmt.Fprintf(w, "%-5s %-8s %-30s", "case", "kind", "family")
	for _, t := range tools {
		fmt.Fprintf(w, " %-28s", t)
	}
	fmt.Fprintln(w)
	for _, e := range m {
		kind := "lookalike"
		if e.Planted {
			kind = "planted"
		}
		fmt.Fprintf(w, "%-5s %-8s %-30s", e.ID, kind, clip(e.Family, 30))
		for i := range tools {
			r := results[i][e.ID]
			mark := "-"
			switch {
			case r != "" && e.Planted:
				mark = "found " + r
			case r != "":
				mark = "FALSE " + r
			case e.Planted:
				mark = "MISSED"
			}
			fmt.Fprintf(w, " %-28s", clip(mark, 28))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	np, nl := 0, 0
	for _, e := range m {
		if e.Planted {
			np++
		} else {
			nl++
		}
	}
	for i, t := range tools {
		found, fa := Score(m, results[i])
		fmt.Fprintf(w, "%-28s planted found %3d/%d (%.1f%%)   look-alikes flagged %2d/%d\n", t, found, np, 100*float64(found)/float64(max(np, 1)), fa, nl)
	}
}

// Score counts the planted keys found and the look-alikes flagged.
func Score(m []ManifestEntry, r Result) (found, falseAlarms int) {
	for _, e := range m {
		if r[e.ID] == "" {
			continue
		}
		if e.Planted {
			found++
		} else {
			falseAlarms++
		}
	}
	return found, falseAlarms
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// VastguardResult maps a vastguard JSON report to cases: a finding counts
// for a case if its key is the case's value or it sits in the case's
// directory.
func VastguardResult(m []ManifestEntry, report io.Reader) (Result, error) {
	var rep struct {
		Findings []struct {
			Rule      string `json:"rule"`
			KeySHA256 string `json:"key_sha256"`
			Path      string `json:"path"`
		} `json:"findings"`
	}
	if err := json.NewDecoder(report).Decode(&rep); err != nil {
		return nil, fmt.Errorf("reading the vastguard report: %w", err)
	}
	res := Result{}
	for _, f := range rep.Findings {
		for _, e := range m {
			if f.KeySHA256 == e.KeySHA256 || e.Path != "" && (f.Path == e.Path || strings.HasPrefix(f.Path, e.ID+"/")) {
				if res[e.ID] == "" {
					res[e.ID] = f.Rule
				}
			}
		}
	}
	return res, nil
}

// GitleaksResult maps a gitleaks JSON report to cases by file (and, where
// the case has one, line): gitleaks reports no key hash, and with --redact
// no secret.
func GitleaksResult(m []ManifestEntry, report io.Reader) (Result, error) {
	var rep []struct {
		RuleID    string `json:"RuleID"`
		File      string `json:"File"`
		StartLine int    `json:"StartLine"`
	}
	if err := json.NewDecoder(report).Decode(&rep); err != nil {
		return nil, fmt.Errorf("reading the gitleaks report: %w", err)
	}
	res := Result{}
	for _, f := range rep {
		for _, e := range m {
			if e.Path == "" || !(f.File == e.Path || strings.HasPrefix(f.File, e.ID+"/")) {
				continue
			}
			if e.Line > 0 && f.File == e.Path && f.StartLine != e.Line && e.Where != InNote {
				continue
			}
			if res[e.ID] == "" {
				res[e.ID] = f.RuleID
			}
		}
	}
	return res, nil
}

// Families lists the shape families with their sources, for a report.
func Families(cases []Case) []string {
	seen := map[string]string{}
	for _, c := range cases {
		if _, ok := seen[c.Family]; !ok {
			seen[c.Family] = c.Source
		}
	}
	var out []string
	for f, s := range seen {
		out = append(out, f+": "+s)
	}
	sort.Strings(out)
	return out
}
