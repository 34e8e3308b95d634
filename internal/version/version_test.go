package version

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	const rev = "0123456789abcdef0123456789abcdef01234567"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "-trimpath", Value: "true"}, {Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name               string
		injVersion, injCom string
		bi                 *debug.BuildInfo
		want               info
	}{
		{"no build info", "", "", nil, info{version: Dev}},
		{"go run or go build without VCS", "", "", &debug.BuildInfo{Main: debug.Module{Path: "github.com/vastguard/vastguard", Version: "(devel)"}}, info{version: Dev}},
		{"go install @v1.2.3 from the proxy", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, info{version: "v1.2.3"}},
		{"go install @commit: a pseudo-version", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.4-0.20260901120000-0123456789ab"}}, info{version: "v1.2.4-0.20260901120000-0123456789ab"}},
		{"go build in a clean checkout", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("false")}, info{version: Dev, commit: rev}},
		{"go build in a dirty checkout", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("true")}, info{version: Dev, commit: rev, modified: true}},
		{"release build: injected values win", "v2.0.0", "fedcba9876543210fedcba9876543210fedcba98", &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}, Settings: vcs("true")}, info{version: "v2.0.0", commit: "fedcba9876543210fedcba9876543210fedcba98"}},
		{"injected version only keeps the VCS commit", " v2.0.0 ", "", &debug.BuildInfo{Settings: vcs("false")}, info{version: "v2.0.0", commit: rev}},
		{"blank injection is ignored", "  ", " ", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, info{version: "v1.2.3"}},
	}
	for _, tt := range tests {
		got := resolve(tt.injVersion, tt.injCom, tt.bi)
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(info{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestSemantic(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"v1.2.3":                               "1.2.3",
		"v0.1.0-rc.1":                          "0.1.0-rc.1",
		"v1.2.3+build.5":                       "1.2.3+build.5",
		"v1.2.4-0.20260901120000-0123456789ab": "1.2.4-0.20260901120000-0123456789ab",
		"1.2.3":                                "", // a tag without its v is not one of ours
		"v1.2":                                 "",
		"v01.2.3":                              "",
		Dev:                                    "",
		"":                                     "",
	}
	for in, want := range tests {
		if got := semantic(in); got != want {
			t.Errorf("semantic(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   info
		want string
	}{
		{info{version: "v1.2.3", commit: "abc"}, "v1.2.3 (commit abc, go1.26.8, linux/arm64)"},
		{info{version: Dev, commit: "abc", modified: true}, "dev (commit abc-dirty, go1.26.8, linux/arm64)"},
		{info{version: "v1.2.3"}, "v1.2.3 (go1.26.8, linux/arm64)"},
	}
	for _, tt := range tests {
		if got := format(tt.in, "go1.26.8", "linux/arm64"); got != tt.want {
			t.Errorf("format(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// buildPrinter builds testdata/printversion with the given -ldflags and
// returns its output lines.
func buildPrinter(t *testing.T, ldflags string) []string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "printversion")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", bin, "./testdata/printversion")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// TestLinkerInjection builds a program the way release builds do (the
// Dockerfile and .goreleaser.yaml pass these -X flags) and checks that the
// variables they name exist and win.
func TestLinkerInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	t.Parallel()
	const rev = "fedcba9876543210fedcba9876543210fedcba98"
	got := buildPrinter(t, "-s -w -X github.com/vastguard/vastguard/internal/version.version=v1.4.0 -X github.com/vastguard/vastguard/internal/version.commit="+rev)
	platform := runtime.GOOS + "/" + runtime.GOARCH
	want := []string{"v1.4.0", rev, "1.4.0", "v1.4.0 (commit " + rev + ", " + runtime.Version() + ", " + platform + ")", "vastguard/v1.4.0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("injected build (-want +got):\n%s", diff)
	}

	got = buildPrinter(t, "-s -w")
	want = []string{Dev, "", "", Dev + " (" + runtime.Version() + ", " + platform + ")", "vastguard/" + Dev}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plain build (-want +got):\n%s", diff)
	}
}

func TestNoVastguardImports(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/vastguard/vastguard/internal/version" {
			t.Errorf("package version depends on %s: it may import only the standard library", p)
		}
	}
}
