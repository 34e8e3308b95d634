package scan_test

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/scan/gitobj"
	"github.com/vastguard/vastguard/scan/scantest"
)

// recovered runs f and returns the *gitobj.WorkerPanic it panicked with in
// this goroutine, failing the test otherwise. Before, a panic in a scan's
// worker goroutine ended the process with Go's exit status 2, which no
// caller could recover and vastguard's exit codes read as "findings".
func recovered(t *testing.T, f func()) *gitobj.WorkerPanic {
	t.Helper()
	var p any
	func() {
		defer func() { p = recover() }()
		f()
	}()
	wp, ok := p.(*gitobj.WorkerPanic)
	if !ok {
		t.Fatalf("recovered %v (%T), want a *gitobj.WorkerPanic", p, p)
	}
	return wp
}

// TestWorkerPanicsReachTheCaller: a panic in a history scan's worker (in
// the Progress callback, which the workers call) and in a directory scan's
// worker (in Skip, called for archive entries) is raised again in the
// caller's goroutine, saying where it happened.
func TestWorkerPanicsReachTheCaller(t *testing.T) {
	t.Parallel()
	r := scantest.New(t)
	r.Commit("c", scantest.Files{"a.env": "VAST_API_KEY=" + scantest.Key(1) + "\n"})
	r.Pack()
	wp := recovered(t, func() {
		scan.Scan(t.Context(), r.Dir, scan.Options{Workers: 2, Progress: func(scan.Progress) { panic("progress bug") }})
	})
	if wp.Value != "progress bug" || !strings.Contains(wp.Where, "TestWorkerPanicsReachTheCaller") {
		t.Errorf("history scan: %v", wp)
	}

	dir := t.TempDir()
	f, _ := os.Create(filepath.Join(dir, "r.zip"))
	zw := zip.NewWriter(f)
	w, _ := zw.Create("inner.env")
	w.Write([]byte("x\n"))
	zw.Close()
	f.Close()
	wp = recovered(t, func() {
		scan.ScanDir(t.Context(), dir, scan.DirOptions{Workers: 2, Skip: func(p string) bool {
			if strings.Contains(p, "!") {
				panic("skip bug")
			}
			return false
		}})
	})
	if wp.Value != "skip bug" || !strings.Contains(wp.Where, "TestWorkerPanicsReachTheCaller") {
		t.Errorf("directory scan: %v", wp)
	}
}
