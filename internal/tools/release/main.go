// Command release makes the edits of a release commit. The release workflow
// (.github/workflows/release.yml) runs it; nothing else does.
//
//	go run ./internal/tools/release pin-image -image ghcr.io/vastguard/vastguard@sha256:<digest> action.yml
//	go run ./internal/tools/release notes CHANGELOG.md > notes.md
//	go run ./internal/tools/release changelog -version v1.2.3 -date 2026-10-01 CHANGELOG.md
//	go run ./internal/tools/release pin-uses -sha <commit> -version v1.2.3 README.md
//
// pin-image turns action.yml's `image: Dockerfile` into `image:
// docker://<image>@sha256:<digest>` and nothing else, and checks the result
// is action metadata the runner accepts. notes prints the CHANGELOG's
// Unreleased section (the release notes); changelog dates it as the
// version's section under a new, empty Unreleased. pin-uses points every
// `uses: vastguard/vastguard@...` line at the release commit, with the
// version as a comment, and the pre-commit `rev:` at the tag. Each edits
// the file in place, or fails with one line naming what to fix and leaves
// it untouched.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

// run is the program without its process: args without the program name.
func run(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("want a command: pin-image, notes, changelog or pin-uses")
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q: want pin-image, notes, changelog or pin-uses", args[0])
	}
	return cmd(args[1:], stdout)
}
