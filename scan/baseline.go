package scan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// Baseline is a set of accepted keys, by SHA-256: findings of those keys
// are suppressed. It is read from a file of key_sha256 values (one per line;
// blank lines, # comments and anything after the hash on its line are
// ignored, so WriteBaseline's output reads back), from a JSON list of them,
// or from an earlier JSON report.
type Baseline struct {
	hashes map[string]bool
}

// BaselineInfo reports what a baseline did to a scan.
type BaselineInfo struct {
	Suppressed int `json:"suppressed"`
	// Stale lists the first 16 characters of each baseline entry that
	// matched nothing (keys since removed from history, or entries to
	// delete): enough to find the line, and never a whole value, since a
	// baseline may hold a raw key by mistake.
	Stale []string `json:"stale"`
	// RawKeys counts entries that were keys themselves rather than their
	// SHA-256: the baseline file is leaking them.
	RawKeys int `json:"raw_keys,omitempty"`
}

// ParseBaseline reads a baseline. Every entry must be 64 hex characters;
// the error names the first line that is not.
func ParseBaseline(r io.Reader) (*Baseline, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBaseline+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxBaseline {
		return nil, fmt.Errorf("baseline: more than %d MiB; a baseline holds one 64-character line per key", maxBaseline>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	b := &Baseline{hashes: map[string]bool{}}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		var rep struct {
			Findings []struct {
				KeySHA256 string `json:"key_sha256"`
			} `json:"findings"`
		}
		var list []string
		if trimmed[0] == '[' {
			if err := json.Unmarshal(trimmed, &list); err != nil {
				return nil, fmt.Errorf("baseline: a JSON list of key_sha256 strings expected: %v", err)
			}
		} else {
			if err := json.Unmarshal(trimmed, &rep); err != nil {
				return nil, fmt.Errorf("baseline: not a vastguard JSON report: %v", err)
			}
			for _, f := range rep.Findings {
				list = append(list, f.KeySHA256)
			}
		}
		for i, h := range list {
			if !validHash(h) {
				return nil, fmt.Errorf("baseline: entry %d %s", i+1, notAHash(h))
			}
			b.hashes[strings.ToLower(h)] = true
		}
		return b, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		h := strings.Fields(line)[0]
		// "sha256:HASH", as the job summary shows a key's hash.
		h = strings.TrimPrefix(strings.TrimPrefix(h, "sha256:"), "SHA256:")
		if !validHash(h) {
			return nil, fmt.Errorf("baseline: line %d %s", n, notAHash(h))
		}
		b.hashes[strings.ToLower(h)] = true
	}
	return b, sc.Err()
}

// maxBaseline bounds a baseline file: a million keys.
const maxBaseline = 128 << 20

// notAHash says what is wrong with a baseline entry, without repeating it
// (a baseline may hold a raw key by mistake).
func notAHash(h string) string {
	if len(h) < 64 && len(h) >= 8 && isHexString(strings.ToLower(h)) {
		return fmt.Sprintf("holds %d hex characters, not the 64 of a key_sha256: an older report showed only a prefix; write the baseline with vastguard scan --write-baseline FILE", len(h))
	}
	return "is not a 64-character hex key_sha256"
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i] | 0x20
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Len returns the number of entries.
func (b *Baseline) Len() int { return len(b.hashes) }

// Apply removes the findings whose key the baseline accepts and records
// what it did in r.Baseline.
func (b *Baseline) Apply(r *Report) {
	info := &BaselineInfo{Stale: []string{}}
	used := map[string]bool{}
	raw := map[string]bool{}
	keep := r.Findings[:0]
	for _, f := range r.Findings {
		switch {
		case b.hashes[f.KeySHA256]:
			used[f.KeySHA256] = true
			info.Suppressed++
		case f.secret != "" && b.hashes[f.secret]:
			used[f.secret] = true
			raw[f.secret] = true
			info.Suppressed++
		default:
			keep = append(keep, f)
		}
	}
	r.Findings = keep
	info.RawKeys = len(raw)
	for h := range b.hashes {
		if !used[h] {
			info.Stale = append(info.Stale, h[:16])
		}
	}
	sort.Strings(info.Stale)
	r.Baseline = info
}

// WriteBaseline writes a baseline accepting every key in findings: one line
// per key, its key_sha256 and, after a #, where it was first found (path and
// line, commit, date, rule) and how many more places hold it. ParseBaseline
// reads only the hash; the comment is for the people who review the file.
// Nothing in it is a key, so it can be committed.
func WriteBaseline(w io.Writer, findings []Finding) error {
	findings = (&Report{Findings: findings}).masked().Findings
	type entry struct {
		f    Finding
		more int
	}
	var order []string
	by := map[string]*entry{}
	for _, f := range findings {
		if e, ok := by[f.KeySHA256]; ok {
			e.more++
			continue
		}
		by[f.KeySHA256] = &entry{f: f}
		order = append(order, f.KeySHA256)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# vastguard baseline: %s accepted, one key's SHA-256 a line (vastguard scan --baseline FILE).\n", count(len(order), "key"))
	fmt.Fprintln(bw, "# Only the hash counts; the rest of a line says where the key was found. Revoke a key before accepting it.")
	for _, h := range order {
		e := by[h]
		// Labelled, as the job summary shows it: a bare 64-hex line is
		// what a key looks like, to a reader and to other scanners.
		fmt.Fprintf(bw, "sha256:%s  # %s", h, baselineComment(e.f))
		if e.more > 0 {
			fmt.Fprintf(bw, " (+%s)", count(e.more, "more place"))
		}
		fmt.Fprintln(bw)
	}
	return bw.Flush()
}

// baselineComment is where a finding is, on one line of printable text: a
// path from the repository cannot start a new line (and with it a new
// entry) in the baseline.
func baselineComment(f Finding) string {
	var parts []string
	where := Location(f)
	if f.Line > 0 {
		where += fmt.Sprintf(":%d", f.Line)
	}
	parts = append(parts, where)
	if f.Commit != "" {
		parts = append(parts, "commit "+short(f.Commit))
	}
	if !f.Date.IsZero() {
		parts = append(parts, f.Date.UTC().Format("2006-01-02"))
	}
	parts = append(parts, f.Rule)
	if f.Verification != "" && f.Verification != Unchecked {
		parts = append(parts, f.Verification)
	}
	return printableLine(strings.Join(parts, " "), 300)
}

// printableLine replaces control characters (newlines, escapes) with '?'
// and cuts s to at most n bytes.
func printableLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}
