package scan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Baseline is a set of accepted keys, by SHA-256: findings of those keys
// are suppressed. It is read from a file of key_sha256 values (one per line,
// # comments allowed) or from an earlier JSON report.
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
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, err
	}
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
				return nil, fmt.Errorf("baseline: entry %d is not a 64-character hex key_sha256", i+1)
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
		if !validHash(h) {
			return nil, fmt.Errorf("baseline: line %d is not a 64-character hex key_sha256", n)
		}
		b.hashes[strings.ToLower(h)] = true
	}
	return b, sc.Err()
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
