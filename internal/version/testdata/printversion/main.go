// Command printversion prints what package version reports, one value a
// line, for the package's tests (built with and without -ldflags -X).
package main

import (
	"fmt"

	"github.com/vastguard/vastguard/internal/version"
)

func main() {
	fmt.Println(version.Version())
	fmt.Println(version.Commit())
	fmt.Println(version.Semantic())
	fmt.Println(version.String())
	fmt.Println(version.UserAgent("vastguard"))
}
