package scan_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

// benchRepo builds a packed history of commits editing real source text
// (this Go installation's own sources), with a key planted every 50
// commits.
func benchRepo(b *testing.B, commits int) *scantest.Repo {
	b.Helper()
	var texts []string
	filepath.WalkDir(filepath.Join(runtime.GOROOT(), "src", "net", "http"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && len(texts) < 200 {
			if data, err := os.ReadFile(p); err == nil {
				texts = append(texts, string(data))
			}
		}
		return nil
	})
	if len(texts) == 0 {
		b.Skip("no Go sources to build a history from")
	}
	r := scantest.New(b)
	for i := range commits {
		files := scantest.Files{}
		for j := range 3 {
			t := texts[(i*7+j*13)%len(texts)]
			cut := (i * 131) % len(t)
			files[fmt.Sprintf("src/f%d.go", (i*3+j)%150)] = t[cut:] + t[:cut]
		}
		if i%50 == 25 {
			files[fmt.Sprintf("deploy/%d.env", i)] = "VAST_API_KEY=" + scantest.Key(i) + "\n"
		}
		r.Commit(fmt.Sprintf("commit %d", i), files)
	}
	r.Pack()
	return r
}

// BenchmarkScanHistory measures a whole-history scan (every object once,
// attribution of the planted keys); bench/compare.sh sets it beside git
// cat-file and gitleaks.
func BenchmarkScanHistory(b *testing.B) {
	r := benchRepo(b, 300)
	rep, err := scan.Scan(b.Context(), r.Dir, scan.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if len(rep.Findings) != 6 {
		b.Fatalf("%d findings, want 6", len(rep.Findings))
	}
	b.SetBytes(rep.Stats.Bytes)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := scan.Scan(b.Context(), r.Dir, scan.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanHistoryProgress is BenchmarkScanHistory with a progress
// callback, for the cost of counting (compare the two).
func BenchmarkScanHistoryProgress(b *testing.B) {
	r := benchRepo(b, 300)
	var last scan.Progress
	opts := scan.Options{Progress: func(p scan.Progress) { last = p }}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scan.Scan(b.Context(), r.Dir, opts); err != nil {
			b.Fatal(err)
		}
	}
	if !last.Done {
		b.Fatal("no last progress call")
	}
}

// BenchmarkDetect measures the detectors alone on source text with no key.
func BenchmarkDetect(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src", "net", "http", "server.go"))
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		scan.Detect(data, scan.Detectors)
	}
}

// BenchmarkDetectDense measures the detectors on texts dense with
// key-shaped values in the contexts the binder weighs most (a CSV table, a
// JSON array of objects, notebook outputs, generic keys in a Vast file):
// the cost per candidate stays bounded.
func BenchmarkDetectDense(b *testing.B) {
	var csv, js, nb strings.Builder
	csv.WriteString("service,api_key,notes\n")
	js.WriteString("// vast\n[\n")
	nb.WriteString("!cat ~/.vast_api_key\n")
	for i := range 2000 {
		k := scantest.Key(i)
		fmt.Fprintf(&csv, "vast,%s,n%d\n", k, i)
		fmt.Fprintf(&js, "  {\"baseUrl\": \"http://10.0.0.%d:8000/v1\", \"api_key\": \"%s\"},\n", i%250, k)
		fmt.Fprintf(&nb, "\"%s\\n\",\n", k)
	}
	for name, text := range map[string]string{"csv": csv.String(), "json": js.String() + "]\n", "notebook": nb.String()} {
		b.Run(name, func(b *testing.B) {
			data := []byte(text)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				scan.Detect(data, scan.Detectors)
			}
		})
	}
}
