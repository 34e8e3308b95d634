// Command heldout builds the held-out detection corpus (scan/corpus/heldout)
// as one git repository per case, and prints the per-case table of what
// vastguard and gitleaks reported on them (bench/corpus.sh drives it).
//
//	go run ./bench/heldout -build -out DIR -manifest FILE [-seed S]
//	go run ./bench/heldout -table -manifest FILE -reports DIR
//
// The manifest holds each value's SHA-256, never the value. Reports are
// DIR/TOOL/ID.json: vastguard's JSON report, or gitleaks' JSON array (its
// Secret and Match are read for 64-hex runs, hashed, and the file is left
// as gitleaks wrote it: the values are random test values).
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/vastguard/vastguard/scan/corpus/heldout"
)

type entry struct {
	ID     string   `json:"id"`
	Values string   `json:"values"`
	Hashes []string `json:"hashes"`
}

// tb is the part of testing.TB scantest needs, for a program.
type tb struct{ dir string }

func (tb) Helper()           {}
func (t tb) TempDir() string { return t.dir }
func (tb) Fatalf(f string, args ...any) {
	fmt.Fprintf(os.Stderr, "heldout: "+f+"\n", args...)
	os.Exit(1)
}

func main() {
	build := flag.Bool("build", false, "build the repositories")
	table := flag.Bool("table", false, "print the table")
	out := flag.String("out", "", "directory for the repositories (-build)")
	manifest := flag.String("manifest", "", "manifest file")
	reports := flag.String("reports", "", "directory of TOOL/ID.json reports (-table)")
	seed := flag.String("seed", "", "seed for the values (empty: crypto/rand)")
	flag.Parse()
	var err error
	switch {
	case *build && *out != "" && *manifest != "":
		err = doBuild(*out, *manifest, *seed)
	case *table && *manifest != "" && *reports != "":
		err = doTable(*manifest, *reports)
	default:
		err = errors.New("use -build -out DIR -manifest FILE, or -table -manifest FILE -reports DIR")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "heldout:", err)
		os.Exit(1)
	}
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func doBuild(out, manifest, seed string) error {
	var m []entry
	for _, c := range heldout.Cases() {
		dir := filepath.Join(out, c.ID)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		v := c.NewValues(seed)
		heldout.Build(tb{dir}, c, v)
		e := entry{ID: c.ID, Values: c.Values}
		for _, s := range v {
			e.Hashes = append(e.Hashes, hash(s))
		}
		m = append(m, e)
	}
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(manifest, b, 0o644)
}

var hex64 = regexp.MustCompile(`[0-9a-f]{64}`)

// read returns hash -> rule for one tool's report of one case.
func read(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var vg struct {
		Findings []struct {
			Rule      string `json:"rule"`
			KeySHA256 string `json:"key_sha256"`
		} `json:"findings"`
	}
	if json.Unmarshal(b, &vg) == nil && vg.Findings != nil {
		for _, f := range vg.Findings {
			out[f.KeySHA256] = f.Rule
		}
		return out, nil
	}
	var gl []struct {
		RuleID string `json:"RuleID"`
		Secret string `json:"Secret"`
		Match  string `json:"Match"`
	}
	if err := json.Unmarshal(b, &gl); err != nil {
		if len(b) == 0 || string(b) == "null" {
			return out, nil
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, f := range gl {
		for _, s := range hex64.FindAllString(f.Secret+" "+f.Match, -1) {
			out[hash(s)] = f.RuleID
		}
	}
	return out, nil
}

func doTable(manifest, reports string) error {
	b, err := os.ReadFile(manifest)
	if err != nil {
		return err
	}
	var m []entry
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	byID := map[string]heldout.Case{}
	for _, c := range heldout.Cases() {
		byID[c.ID] = c
	}
	tools := []string{"vastguard", "gitleaks", "gitleaks-vast"}
	var runs [][]heldout.Result
	for _, tool := range tools {
		var rs []heldout.Result
		for _, e := range m {
			c, ok := byID[e.ID]
			if !ok {
				return fmt.Errorf("manifest names case %s, which the corpus does not have", e.ID)
			}
			found, err := read(filepath.Join(reports, tool, e.ID+".json"))
			rs = append(rs, judge(c, e.Hashes, found, err))
		}
		runs = append(runs, rs)
	}
	heldout.Table(os.Stdout, tools, runs)
	return nil
}

// judge is heldout.Judge for values known only by their hashes.
func judge(c heldout.Case, hashes []string, found map[string]string, err error) heldout.Result {
	res := heldout.Result{Case: c, Found: make([]bool, len(hashes)), Rules: make([]string, len(hashes))}
	if err != nil {
		res.Errors = err.Error()
		return res
	}
	mine := map[string]bool{}
	for i, h := range hashes {
		mine[h] = true
		if rule, ok := found[h]; ok {
			res.Found[i], res.Rules[i] = true, rule
		}
	}
	for h := range found {
		if !mine[h] {
			res.Extra++
		}
	}
	return res
}
