package command

import (
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/pflag"
	"github.com/vastguard/vastguard/internal/demo"
	"github.com/vastguard/vastguard/vast"
)

// demoCommand is `vastguard demo`: the product's story against an
// in-process fake of the Vast API, which the demo starts itself.
func demoCommand(*pflag.FlagSet) runFunc {
	return func(ctx context.Context, e *Env, pos []string) error {
		if len(pos) > 0 {
			return usagef("demo takes no arguments")
		}
		return demo.Run(ctx, DemoConfig(e))
	}
}

// DemoConfig is the demo as `vastguard demo` runs it from e: the demo
// runs this program (Run, with the fake's HTTP client and e's clock), and
// builds its clients with the program's one constructor. A test sets the
// result's Fake to look into the fake afterwards.
func DemoConfig(e *Env) demo.Config {
	defaults := map[string]string{}
	for _, in := range actionInputs {
		defaults[in.name] = in.def
	}
	return demo.Config{
		Out:            e.Stdout,
		Now:            e.Now,
		Version:        version(),
		ActionDefaults: defaults,
		Run: func(ctx context.Context, inv demo.Invocation) error {
			return Run(ctx, &Env{Args: inv.Args, Getenv: inv.Getenv, Stdin: strings.NewReader(""),
				Stdout: inv.Stdout, Stderr: inv.Stderr, HTTP: inv.HTTP, Now: e.Now})
		},
		ExitCode: func(err error, w io.Writer) int { return ExitCode(err, w) },
		Client: func(ctx context.Context, key, baseURL string, hc *http.Client) (*vast.Client, error) {
			return newVastClient(ctx, &Env{HTTP: hc, Now: e.Now}, key, baseURL, vast.DefaultRetry)
		},
	}
}
