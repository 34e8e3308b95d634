// Corpus builds the leak-shape corpus (scan/corpus) into a git repository
// and, given the tools' reports, prints the per-case table; bench/corpus.sh
// drives it. Values are made at run time from -seed; the manifest it
// writes holds their SHA-256, never the values.
//
//	go run ./bench/corpus -out DIR -manifest M.json
//	go run ./bench/corpus -table -manifest M.json -vastguard V.json -gitleaks G.json [-gitleaks-vast GV.json]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/vastguard/vastguard/scan/corpus"
	"github.com/vastguard/vastguard/scan/scantest"
)

// tb lets scantest build a repository outside a test.
type tb struct{ dir string }

func (t tb) Helper()         {}
func (t tb) TempDir() string { return t.dir }
func (t tb) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "corpus: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	seed := flag.String("seed", "bench", "seed the values are made from")
	out := flag.String("out", "", "build the corpus repository in this (new or empty) directory")
	manifest := flag.String("manifest", "", "the manifest to write (with -out) or read (with -table)")
	table := flag.Bool("table", false, "print the per-case table from the reports")
	vg := flag.String("vastguard", "", "vastguard JSON report")
	gl := flag.String("gitleaks", "", "gitleaks JSON report (default rules)")
	glv := flag.String("gitleaks-vast", "", "gitleaks JSON report (Vast-only rule)")
	flag.Parse()
	if *manifest == "" || (*out == "") == !*table {
		fmt.Fprintln(os.Stderr, "corpus: give -out DIR -manifest FILE, or -table -manifest FILE and the reports")
		os.Exit(1)
	}
	if *out != "" {
		if err := build(*seed, *out, *manifest); err != nil {
			fmt.Fprintln(os.Stderr, "corpus:", err)
			os.Exit(1)
		}
		return
	}
	if err := printTable(os.Stdout, *manifest, *vg, *gl, *glv); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
}

func build(seed, dir, manifest string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cases := corpus.Cases(seed)
	r := scantest.New(tb{dir})
	corpus.Build(r, cases)
	b, err := json.MarshalIndent(corpus.Manifest(cases), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(manifest, append(b, '\n'), 0o644)
}

func printTable(w io.Writer, manifest, vg, gl, glv string) error {
	b, err := os.ReadFile(manifest)
	if err != nil {
		return err
	}
	var m []corpus.ManifestEntry
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("reading %s: %w", manifest, err)
	}
	var tools []string
	var results []corpus.Result
	add := func(name, path string, read func([]corpus.ManifestEntry, io.Reader) (corpus.Result, error)) error {
		if path == "" {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r, err := read(m, f)
		if err != nil {
			return err
		}
		tools = append(tools, name)
		results = append(results, r)
		return nil
	}
	if err := add("vastguard", vg, corpus.VastguardResult); err != nil {
		return err
	}
	if err := add("gitleaks (default rules)", gl, corpus.GitleaksResult); err != nil {
		return err
	}
	if err := add("gitleaks (Vast rule)", glv, corpus.GitleaksResult); err != nil {
		return err
	}
	corpus.Table(w, m, tools, results)
	fmt.Fprintln(w, "\nShape families and their public sources:")
	seen := map[string]bool{}
	for _, e := range m {
		if !seen[e.Family] {
			seen[e.Family] = true
			fmt.Fprintf(w, "  %s %s: %s\n", e.ID, e.Family, e.Source)
		}
	}
	return nil
}
