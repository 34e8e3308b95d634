//go:build linux

package scan_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hostileTool builds the scan/internal/hostile command, without the race
// detector whatever this test runs under: its memory is what is measured.
func hostileTool(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not installed")
	}
	bin := filepath.Join(t.TempDir(), "hostile")
	cmd := exec.Command(goTool, "build", "-o", bin, "./internal/hostile")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// hostileResult is what `hostile scan` prints.
type hostileResult struct {
	Err        string `json:"err"`
	Limit      bool   `json:"limit"`
	NotRegular bool   `json:"not_regular"`
	Blobs      int    `json:"blobs"`
	PeakRSS    int64  `json:"peak_rss_kib"`
}

// scanHostile writes a repository of class and scans it in a process of
// its own, returning the result and the scan's peak resident memory in
// MiB (as the process itself reads it). A crash (a stack overflow) fails
// the test.
func scanHostile(t *testing.T, bin, class string, flags ...string) (hostileResult, float64) {
	t.Helper()
	out, err := exec.Command(bin, "gen", class, t.TempDir()).Output()
	if err != nil {
		t.Fatalf("hostile gen %s: %v", class, err)
	}
	dir := strings.TrimSpace(string(out))
	cmd := exec.Command(bin, append(append([]string{"scan", "-workers", "2"}, flags...), dir)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("hostile scan %s: %v\n%.3000s", class, err, stderr.String())
	}
	var res hostileResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("hostile scan %s: %v: %q", class, err, stdout.String())
	}
	if res.PeakRSS <= 0 {
		t.Skip("no /proc/self/status to read the peak memory from")
	}
	return res, float64(res.PeakRSS) / 1024
}

// TestHostilePacksStayWithinMemory scans crafted packs, each in a process
// of its own, and holds each scan's peak resident memory to a ceiling
// above that of scanning a small repository: a delta bomb over the default
// budget is refused from its first header; one within lowered budgets is
// rebuilt within MaxMemory; a comb (every link of a chain also the base of
// a leaf) holds a few links at a time, not the whole spine; a chain 1.5
// million deltas deep is walked without recursion (the old walker crashed).
func TestHostilePacksStayWithinMemory(t *testing.T) {
	t.Parallel()
	bin := hostileTool(t)
	_, floor := scanHostile(t, bin, "fifo-alternates") // a small repository, refused at once
	const MiB = 1 << 20
	tests := []struct {
		class  string
		flags  []string
		limit  bool    // the scan must fail with ErrLimit
		blobs  int     // else it must see this many blobs
		margin float64 // MiB allowed above the floor
	}{
		{class: "bomb", limit: true, margin: 32},
		{class: "bomb-small", flags: []string{"-max-delta-size", fmt.Sprint(24 * MiB), "-max-memory", fmt.Sprint(64 * MiB)}, blobs: 14, margin: 2 * 64},
		{class: "bomb-small", flags: []string{"-max-delta-size", fmt.Sprint(24 * MiB), "-max-memory", fmt.Sprint(40 * MiB)}, limit: true, margin: 2 * 40},
		// The whole spine would be 384 MiB; each of two workers holds a
		// link, its base, and detection's working copy of 8 MiB blobs.
		{class: "comb", blobs: 96, margin: 144},
		{class: "chain", blobs: 1_500_001, margin: 512},
		{class: "huge-commit", limit: true, margin: 32},
	}
	for _, tt := range tests {
		t.Run(tt.class+strings.Join(tt.flags, " "), func(t *testing.T) {
			res, peak := scanHostile(t, bin, tt.class, tt.flags...)
			t.Logf("peak RSS %.0f MiB (floor %.0f MiB): %+v", peak, floor, res)
			switch {
			case tt.limit && !res.Limit:
				t.Errorf("scan = %+v, want an ErrLimit error", res)
			case !tt.limit && (res.Err != "" || res.Blobs != tt.blobs):
				t.Errorf("scan = %+v, want %d blobs", res, tt.blobs)
			}
			if ceiling := floor + tt.margin; peak > ceiling {
				t.Errorf("peak RSS %.0f MiB, over the ceiling of %.0f MiB", peak, ceiling)
			}
		})
	}
}
