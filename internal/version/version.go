// Package version is vastguard's one source of truth for what it calls its
// version: the CLI's `vastguard version`, the User-Agent of every API call,
// SARIF's tool.driver.version and semanticVersion, and the image's
// org.opencontainers.image.version label all come from here.
//
// Where the version comes from, first match wins:
//
//  1. A release build injects it with the linker:
//     go build -ldflags "-X github.com/vastguard/vastguard/internal/version.version=v1.2.3
//     -X github.com/vastguard/vastguard/internal/version.commit=<sha>"
//     (GoReleaser's archives and the release image do this).
//  2. Otherwise the module's build info: `go install
//     github.com/vastguard/vastguard@v1.2.3` records v1.2.3 as the main
//     module's version, and a build inside a git checkout records the commit
//     (vcs.revision) unless -buildvcs=false.
//  3. Otherwise "dev".
//
// This package must not import any other vastguard package (every package
// may import it), nor anything outside the standard library, and must not
// do I/O: it is read by code that runs before flags are parsed.
package version

import (
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
)

// Set by release builds with -ldflags -X; empty otherwise.
var (
	version string
	commit  string
)

// Dev is the version of a build that carries none: go run, go build in a
// tree without VCS information, a plain docker build of the Dockerfile.
const Dev = "dev"

type info struct {
	version, commit string
	modified        bool
}

var current = sync.OnceValue(func() info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, commit, bi)
})

// resolve applies the order documented on the package to the injected
// values and the build info (nil when the binary has none).
func resolve(injVersion, injCommit string, bi *debug.BuildInfo) info {
	var in info
	if bi != nil {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			in.version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.commit = s.Value
			case "vcs.modified":
				in.modified = s.Value == "true"
			}
		}
	}
	if v := strings.TrimSpace(injVersion); v != "" {
		in.version = v
	}
	if c := strings.TrimSpace(injCommit); c != "" {
		in.commit, in.modified = c, false
	}
	if in.version == "" {
		in.version = Dev
	}
	return in
}

// Version is the release's version as tagged, with its "v" ("v1.2.3"), a Go
// pseudo-version for a go install of an untagged commit, or Dev.
func Version() string { return current().version }

// Commit is the full commit hash the binary was built from, with "-dirty"
// when the checkout had uncommitted changes, or "" when unknown (a go
// install from the module proxy carries no VCS information).
func Commit() string {
	in := current()
	if in.commit != "" && in.modified {
		return in.commit + "-dirty"
	}
	return in.commit
}

// GoVersion is the Go toolchain that built the binary, e.g. "go1.26.8".
func GoVersion() string { return runtime.Version() }

// semver matches a semantic version 2.0.0 without the leading "v".
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// Semantic is Version without its "v" when it is a semantic version
// ("1.2.3", for SARIF's semanticVersion), else "".
func Semantic() string { return semantic(Version()) }

func semantic(v string) string {
	s := strings.TrimPrefix(v, "v")
	if s == v || !semver.MatchString(s) {
		return ""
	}
	return s
}

// String is what `vastguard version` prints after the program's name:
// "v1.2.3 (commit 0123abc..., go1.26.8, linux/amd64)"; the commit is left
// out when unknown.
func String() string { return format(current(), runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH) }

func format(in info, goVersion, platform string) string {
	parts := make([]string, 0, 3)
	if c := in.commit; c != "" {
		if in.modified {
			c += "-dirty"
		}
		parts = append(parts, "commit "+c)
	}
	parts = append(parts, goVersion, platform)
	return in.version + " (" + strings.Join(parts, ", ") + ")"
}

// UserAgent is the User-Agent header for product ("vastguard",
// "vastguard-action"): "vastguard/v1.2.3". It carries no host, user or
// repository information.
func UserAgent(product string) string { return product + "/" + Version() }
