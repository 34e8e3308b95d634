package heldout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/vastguard/vastguard/scan/scantest"
)

// Result is what a scanner said about one case.
type Result struct {
	Case   Case
	Found  []bool   // per value: a finding holds it
	Extra  int      // findings of values that are not the case's
	Rules  []string // rules of the findings, per value ("" when none)
	Errors string   // the scan failed
}

// Scanner scans one repository and returns the SHA-256 (hex) of each value
// it reported, with the rule that reported it.
type Scanner func(ctx context.Context, dir string) (map[string]string, error)

// Build builds the case's repository and returns its directory.
func Build(tb scantest.TB, c Case, v []string) string {
	r := scantest.New(tb)
	c.Build(r, v)
	return r.Dir
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Judge turns a scanner's findings for one case into a Result.
func Judge(c Case, v []string, found map[string]string, err error) Result {
	res := Result{Case: c, Found: make([]bool, len(v)), Rules: make([]string, len(v))}
	if err != nil {
		res.Errors = err.Error()
		return res
	}
	mine := map[string]bool{}
	for i, val := range v {
		h := hash(val)
		mine[h] = true
		if rule, ok := found[h]; ok {
			res.Found[i] = true
			res.Rules[i] = rule
		}
	}
	for h := range found {
		if !mine[h] {
			res.Extra++
		}
	}
	return res
}

// Score is the totals over results: planted keys found, look-alikes
// flagged (a finding of a D value, or any finding that is none of the
// case's values).
type Score struct {
	Found, Planted, Flagged, Decoys int
}

// Tally sums results.
func Tally(rs []Result) Score {
	var s Score
	for _, r := range rs {
		for i, kind := range r.Case.Values {
			switch kind {
			case 'K':
				s.Planted++
				if r.Found[i] {
					s.Found++
				}
			case 'D':
				s.Decoys++
				if r.Found[i] {
					s.Flagged++
				}
			}
		}
		s.Flagged += r.Extra
	}
	return s
}

// Table writes one line per value: the case, its family, what it is, and
// what each scanner said (columns in the order of names).
func Table(w io.Writer, names []string, runs [][]Result) {
	fmt.Fprintf(w, "%-40s %-9s %-4s", "case", "family", "kind")
	for _, n := range names {
		fmt.Fprintf(w, " %-34s", n)
	}
	fmt.Fprintln(w)
	if len(runs) == 0 {
		return
	}
	for ci := range runs[0] {
		c := runs[0][ci].Case
		for vi, kind := range c.Values {
			k := "key"
			if kind == 'D' {
				k = "fake"
			}
			id := c.ID
			if len(c.Values) > 1 {
				id = fmt.Sprintf("%s#%d", c.ID, vi+1)
			}
			fmt.Fprintf(w, "%-40s %-9s %-4s", id, c.Family, k)
			for _, run := range runs {
				r := run[ci]
				cell := verdict(kind, r.Found[vi])
				if r.Rules[vi] != "" {
					cell += " " + r.Rules[vi]
				}
				if r.Extra > 0 && vi == len(c.Values)-1 {
					cell += fmt.Sprintf(" +%d other", r.Extra)
				}
				if r.Errors != "" {
					cell = "error: " + r.Errors
				}
				fmt.Fprintf(w, " %-34s", cell)
			}
			fmt.Fprintln(w)
		}
	}
	for i, run := range runs {
		s := Tally(run)
		fmt.Fprintf(w, "%s: found %d/%d planted keys, flagged %d/%d look-alikes\n", names[i], s.Found, s.Planted, s.Flagged, s.Decoys)
	}
}

func verdict(kind rune, found bool) string {
	switch {
	case kind == 'K' && found:
		return "found"
	case kind == 'K':
		return "MISSED"
	case found:
		return "FLAGGED"
	}
	return "clean"
}

// Families lists the families present, sorted.
func Families(cases []Case) []string {
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.Family] = true
	}
	var out []string
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Misses lists, for a failing report, the cases a scanner got wrong.
func Misses(rs []Result) []string {
	var out []string
	for _, r := range rs {
		var bad []string
		for i, kind := range r.Case.Values {
			if (kind == 'K') != r.Found[i] {
				bad = append(bad, fmt.Sprintf("value %d %s", i+1, verdict(kind, r.Found[i])))
			}
		}
		if r.Extra > 0 {
			bad = append(bad, fmt.Sprintf("%d other findings", r.Extra))
		}
		if r.Errors != "" {
			bad = append(bad, r.Errors)
		}
		if len(bad) > 0 {
			out = append(out, r.Case.ID+": "+strings.Join(bad, ", "))
		}
	}
	return out
}
