package scan_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/scantest"
)

// writeTree writes files (slash-separated paths) under dir.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// zipOf is a zip archive of files, in name order.
func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: scantest.Epoch})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[n]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tarEntry is one entry of tarOf.
type tarEntry struct {
	name, body, link string
	flag             byte
}

func tarOf(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: e.flag, Linkname: e.link, ModTime: scantest.Epoch, Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipOf(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Name = name
	zw.ModTime = scantest.Epoch
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

func mustReader(t *testing.T, text string) *scan.Report {
	t.Helper()
	rep, err := scan.ScanReader(t.Context(), strings.NewReader(text), scan.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func mustLog(t *testing.T, run int64, files map[string]string) *scan.Report {
	t.Helper()
	z := zipOf(t, files)
	rep, err := scan.ScanActionsLog(t.Context(), bytes.NewReader(z), int64(len(z)), scan.LogRun{ID: run, Attempt: 1, Workflow: "ci", URL: "https://github.com/acme/gpu/actions/runs/77", Actor: "octocat", Created: scantest.Epoch}, scan.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// place is a finding reduced to where it is.
type place struct {
	Key     int
	Path    string
	Archive string
	Line    int
	Rule    string
}

func places(rep *scan.Report) []place {
	num := map[string]int{}
	for n := 0; n <= 200; n++ {
		num[scan.KeyHash(scantest.Key(n))] = n
	}
	var out []place
	for _, f := range rep.Findings {
		out = append(out, place{num[f.KeySHA256], f.Path, f.Archive, f.Line, f.Rule})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func env(n int) string { return "VAST_API_KEY=" + scantest.Key(n) + "\n" }

// TestScanDir: a plain tree with archives of every kind inside, and what
// must not be followed or opened: links out of the tree and inside it,
// FIFOs, .git, entries that climb out of their archive, links in archives.
func TestScanDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outside := t.TempDir()
	writeTree(t, outside, map[string][]byte{"secret.env": []byte(env(90))})
	inner := zipOf(t, map[string]string{"lib/config.properties": "vast.api_key=" + scantest.Key(6) + "\nvast.url=https://console.vast.ai\n"})
	writeTree(t, dir, map[string][]byte{
		"README.md":            []byte("nothing here\n"),
		"app/.env":             []byte("DEBUG=1\n" + env(1)),
		"app/logo.png":         append([]byte("\x89PNG\x00\x00"), env(91)...),
		"dist/release.zip":     zipOf(t, map[string]string{"release/.env": env(2), "../../escape.env": env(3), "docs/readme.txt": "hi\n"}),
		"dist/release.tar.gz":  gzipOf(t, "release.tar", tarOf(t, tarEntry{name: "etc/vast.env", body: env(4)}, tarEntry{name: "link", link: "/etc/passwd", flag: tar.TypeSymlink}, tarEntry{name: "/abs/key.env", body: env(5)})),
		"dist/bundle.tar":      tarOf(t, tarEntry{name: "plugin.jar", body: string(inner)}),
		"dist/notes.txt.gz":    gzipOf(t, "", []byte(env(7))),
		"misnamed.bin":         zipOf(t, map[string]string{"x.env": env(8)}),
		".git/config":          []byte(env(92)),
		"vendor/skipped/a.env": []byte(env(93)),
	})
	os.Symlink(filepath.Join(outside, "secret.env"), filepath.Join(dir, "link-out.env"))
	os.Symlink(outside, filepath.Join(dir, "linked-dir"))
	os.Symlink("app/.env", filepath.Join(dir, "link-in.env"))
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.env"), 0o644); err != nil {
		t.Log("no FIFO:", err)
	}
	rep, err := scan.ScanDir(t.Context(), dir, scan.DirOptions{Skip: func(p string) bool { return p == "vendor/skipped" }})
	if err != nil {
		t.Fatal(err)
	}
	want := []place{
		{1, "app/.env", "", 2, "vast-env-assignment"},
		{91, "app/logo.png", "", 1, "vast-env-assignment"}, // a binary file's printable text
		{3, "dist/release.zip!escape.env", "dist/release.zip", 1, "vast-env-assignment"},
		{2, "dist/release.zip!release/.env", "dist/release.zip", 1, "vast-env-assignment"},
		{5, "dist/release.tar.gz!abs/key.env", "dist/release.tar.gz", 1, "vast-env-assignment"},
		{4, "dist/release.tar.gz!etc/vast.env", "dist/release.tar.gz", 1, "vast-env-assignment"},
		{6, "dist/bundle.tar!plugin.jar!lib/config.properties", "dist/bundle.tar", 1, "vast-env-assignment"},
		{7, "dist/notes.txt.gz!notes.txt", "dist/notes.txt.gz", 1, "vast-env-assignment"},
		{8, "misnamed.bin!x.env", "misnamed.bin", 1, "vast-env-assignment"},
	}
	sort.Slice(want, func(i, j int) bool {
		if want[i].Path != want[j].Path {
			return want[i].Path < want[j].Path
		}
		return want[i].Key < want[j].Key
	})
	if diff := cmp.Diff(want, places(rep)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	st := rep.Stats
	if st.Mode != "directory" || st.SkippedLinks != 4 || st.Archives != 6 || st.BinaryBlobs != 1 {
		t.Errorf("stats = %+v", st)
	}
	if len(st.Unscanned) != 1 || st.Unscanned[0].Path != ".git" {
		t.Errorf("unscanned = %+v, want .git only", st.Unscanned)
	}
	for _, f := range rep.Findings {
		if f.Source != scan.SourceDirectory || f.Commit != "" || f.Blob != "" {
			t.Errorf("%s: source %q commit %q blob %q", f.Path, f.Source, f.Commit, f.Blob)
		}
	}
	// A single file is scanned as the tree of one.
	one, err := scan.ScanDir(t.Context(), filepath.Join(dir, "dist", "release.zip"), scan.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := places(one); len(got) != 2 || got[0].Path != "release.zip!escape.env" {
		t.Errorf("single file: %+v", got)
	}
	if _, err := scan.ScanDir(t.Context(), filepath.Join(dir, "missing"), scan.DirOptions{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing dir: %v", err)
	}
}

// TestScanDirLimits: depth, entry count and the decompression budget stop
// archive bombs, and say so.
func TestScanDirLimits(t *testing.T) {
	t.Parallel()
	// Five zips in each other, the innermost holding a key.
	nested := zipOf(t, map[string]string{"k.env": env(1)})
	for range 4 {
		nested = zipOf(t, map[string]string{"in.zip": string(nested)})
	}
	// 256 MiB of zeros in one entry: a few hundred KiB zipped.
	bomb := zipEntries(t, []zipEntry{{"zeros.txt", 256 << 20, ""}, {"after.env", 0, env(2)}})
	// Four entries of 3 MiB, then a key: an 8 MiB budget is spent on the
	// third.
	spend := zipEntries(t, []zipEntry{{"a", 3 << 20, ""}, {"b", 3 << 20, ""}, {"c", 3 << 20, ""}, {"d", 3 << 20, ""}, {"z.env", 0, env(3)}})
	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprintf("d/%02d.txt", i)] = "x\n"
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{"nested.zip": nested, "bomb.zip": bomb, "many.zip": zipOf(t, many), "spend.zip": spend})

	for _, tt := range []struct {
		name   string
		limits scan.Limits
		keys   []int
		reason string
	}{
		{"default depth stops at three levels", scan.Limits{}, []int{2, 3}, "nested.zip!in.zip!in.zip!in.zip: a zip archive nested deeper than 3 levels was not opened"},
		{"depth 5 reaches the key", scan.Limits{Depth: 5}, []int{1, 2, 3}, ""},
		{"no archives", scan.Limits{Depth: -1}, nil, ""},
		{"a size declared over the budget", scan.Limits{Depth: 5, Bytes: 8 << 20}, []int{1, 2}, "bomb.zip!zeros.txt: declares 268435456 bytes, more than the decompression budget of 8.0 MiB"},
		{"budget spent", scan.Limits{Depth: 5, Bytes: 8 << 20}, []int{1, 2}, "spend.zip!c: the decompression budget of 8.0 MiB was spent here"},
		{"entries", scan.Limits{Depth: 5, Entries: 10}, []int{2}, "the limit of 10 archive entries was reached"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep, err := scan.ScanDir(t.Context(), dir, scan.DirOptions{Limits: tt.limits, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			var keys []int
			for _, p := range places(rep) {
				keys = append(keys, p.Key)
			}
			sort.Ints(keys)
			if diff := cmp.Diff(tt.keys, keys); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			var reasons []string
			for _, u := range rep.Stats.Unscanned {
				reasons = append(reasons, u.Path+": "+u.Reason)
			}
			if tt.reason != "" && !strings.Contains(strings.Join(reasons, "\n"), tt.reason) {
				t.Errorf("unscanned = %q, want a reason with %q", reasons, tt.reason)
			}
		})
	}
}

// zipEntry is an entry of zipEntries: zeros bytes of zeros, or body.
type zipEntry struct {
	name  string
	zeros int
	body  string
}

func zipEntries(t *testing.T, entries []zipEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	zero := make([]byte, 1<<20)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		for n := e.zeros; n > 0; n -= len(zero) {
			w.Write(zero[:min(n, len(zero))])
		}
		w.Write([]byte(e.body))
	}
	zw.Close()
	return b.Bytes()
}

// TestScanReader: standard input streams, in bounded memory, with keys on
// lines of any length and across the read windows.
func TestScanReader(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 9<<20) // one 9 MiB line, then a key on it
	text := "2026-01-01T00:00:00Z step 1\r\n" + env(1) +
		long + " VAST_API_KEY=" + scantest.Key(2) + "\n" +
		strings.Repeat("y\n", (4<<20)/2-20) + "export VAST_API_KEY=" + scantest.Key(3) + "\n"
	rep := mustReader(t, text)
	want := []place{{1, "", "", 2, "vast-env-assignment"}, {2, "", "", 3, "vast-env-assignment"}, {3, "", "", 3 + (4<<20)/2 - 20 + 1, "vast-env-assignment"}}
	sort.Slice(want, func(i, j int) bool { return want[i].Key < want[j].Key })
	got := places(rep)
	sort.Slice(got, func(i, j int) bool { return got[i].Key < got[j].Key })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if rep.Stats.Mode != "stdin" || rep.Findings[0].Source != scan.SourceStdin {
		t.Errorf("mode %q source %q", rep.Stats.Mode, rep.Findings[0].Source)
	}
	// A gzip stream piped in is opened.
	gz := mustReaderBytes(t, gzipOf(t, "ci.log", []byte(env(4))))
	if got := places(gz); len(got) != 1 || got[0].Key != 4 {
		t.Errorf("gzip on stdin: %+v", got)
	}
	// A read error is the scan's error.
	if _, err := scan.ScanReader(t.Context(), iotestErr{}, scan.ReaderOptions{}); err == nil {
		t.Error("a failing reader gave no error")
	}
}

func mustReaderBytes(t *testing.T, b []byte) *scan.Report {
	t.Helper()
	rep, err := scan.ScanReader(t.Context(), bytes.NewReader(b), scan.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, os.ErrDeadlineExceeded }

// TestScanActionsLog reads the run log archive's real layouts: a job's
// whole log at the top (0_build.txt, -N_ for the old service's ids), a
// directory per job with a file per step and the runner's system.txt, or
// (archives since 2026) the whole-job files alone.
func TestScanActionsLog(t *testing.T) {
	t.Parallel()
	ts := "2026-09-07T09:15:20.1234567Z "
	step2 := ts + "##[group]Run cat ~/.config/vastai/vast_api_key\n" + ts + "VAST_API_KEY=" + scantest.Key(1) + "\n" + ts + "##[endgroup]\n"
	rep := mustLog(t, 77, map[string]string{
		"0_build.txt":              "\ufeff" + ts + "Current runner version: '2.328.0'\n" + step2,
		"build/1_Set up job.txt":   ts + "Current runner version: '2.328.0'\n",
		"build/2_Print config.txt": step2,
		"build/system.txt":         ts + "Job is about to start running on the runner\n",
		"1_test (3.12).txt":        ts + "vastai set api-key " + scantest.Key(2) + "\n",
		"-2147483648_old job.txt":  ts + "export VAST_API_KEY=" + scantest.Key(3) + "\n",
	})
	type logRow struct {
		Key        int
		Path       string
		Line       int
		Job, Step  string
		StepNumber int
	}
	num := map[string]int{}
	for n := 0; n < 10; n++ {
		num[scan.KeyHash(scantest.Key(n))] = n
	}
	var got []logRow
	for _, f := range rep.Findings {
		if f.Source != scan.SourceActionsLog || f.Log == nil || f.Log.RunID != 77 || f.Author != "octocat" || !f.Date.Equal(scantest.Epoch) {
			t.Errorf("%s: source %q log %+v author %q date %v", f.Path, f.Source, f.Log, f.Author, f.Date)
			continue
		}
		got = append(got, logRow{num[f.KeySHA256], f.Path, f.Line, f.Log.Job, f.Log.Step, f.Log.StepNumber})
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Key < got[j].Key })
	want := []logRow{
		{1, "build/2_Print config.txt", 2, "build", "Print config", 2}, // not again in 0_build.txt
		{2, "1_test (3.12).txt", 1, "test (3.12)", "", 0},
		{3, "-2147483648_old job.txt", 1, "old job", "", 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if rep.Stats.Runs != 1 || rep.Stats.Blobs != 6 {
		t.Errorf("stats %+v", rep.Stats)
	}
	if _, err := scan.ScanActionsLog(t.Context(), strings.NewReader("<Error>AuthenticationFailed</Error>"), 35, scan.LogRun{ID: 5}, scan.ReaderOptions{}); err == nil || !strings.Contains(err.Error(), "not a zip") {
		t.Errorf("not a zip: %v", err)
	}
	_ = time.Second
}
