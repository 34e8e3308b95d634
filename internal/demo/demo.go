// Package demo is `vastguard demo`: the product's story, chapter by
// chapter, run for real against vasttest, an in-process fake of the Vast
// API (no account, no network beyond loopback), with the Action's steps
// run under runnertest's model of the runner. It is a demonstration, not a
// test, and the only production package that may import a fake (vasttest,
// scantest, runnertest).
//
// It may not import internal/command (which runs it): the program, its
// exit codes and its client constructor come in through Config.
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/vastguard/vastguard/vast"
	"github.com/vastguard/vastguard/vast/vasttest"
)

// Config is what the demo needs from the program that runs it.
type Config struct {
	Out     io.Writer // the user's stdout
	Now     func() time.Time
	Version string
	// ActionDefaults are the Action's inputs and their defaults, as
	// action.yml declares them: the runner model sets them for each step.
	ActionDefaults map[string]string
	// Run runs the program in this process once, as main does.
	Run func(ctx context.Context, inv Invocation) error
	// ExitCode is the program's: it prints err's one line to w and returns
	// the exit code.
	ExitCode func(err error, w io.Writer) int
	// Client builds a Vast client with the program's one constructor,
	// talking to baseURL through hc.
	Client func(ctx context.Context, key, baseURL string, hc *http.Client) (*vast.Client, error)
	// Fake is the Vast API fake to run against; nil: the demo starts its
	// own and closes it at the end. A test passes one to look into it.
	Fake *vasttest.Server
}

// Invocation is one run of the program: its arguments (the program name
// first), environment, output and HTTP client.
type Invocation struct {
	Args   []string
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	HTTP   *http.Client
}

// The program's exit codes the demo looks for.
const (
	exitFindings = 2
	exitLive     = 3
)

// demo is one run of the demo.
type demo struct {
	cfg      Config
	out      io.Writer
	srv      *vasttest.Server
	adminKey string   // the fake account's full-access key
	dir      string   // scratch directory, removed at the end
	repoKeys []string // keys committed to the demo's repositories
}

// chapter is one part of the demo.
type chapter struct {
	title string
	run   func(context.Context, *demo) error
}

// chapters is the story, in order. Each part of the product adds its
// chapter here.
var chapters = []chapter{
	{"API keys: create a scoped key, list, delete", demoKeys},
	{"The GitHub Action: mint a key for a job, hand it on, delete it in the post step", demoAction},
	{"Backstop and hygiene: sweep expired keys, audit the account", demoSweepAudit},
	{"Leaked keys: scan a repository's whole history", demoScan},
	{"Incident response: verify leaked keys (one confirmed, one a scoped key's 403), revoke them, see them dead", demoRespond},
	{"The broker (a demo): a job mints with its OIDC token, its runner dies, the key dies at its TTL", demoBroker},
}

// Run runs the demo, printing to cfg.Out.
func Run(ctx context.Context, cfg Config) error {
	srv := cfg.Fake
	if srv == nil {
		srv = vasttest.New()
		srv.Start()
		defer srv.Close()
	}
	_, admin := srv.AddAccount("demo@example.com")
	dir, err := os.MkdirTemp("", "vastguard-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	d := &demo{cfg: cfg, out: cfg.Out, srv: srv, adminKey: admin, dir: dir}
	fmt.Fprintf(d.out, "vastguard %s demo: every command below runs for real against an in-process fake of the\nVast API at %s (no account, no network). Key values are shown redacted; $DEMO is a\nscratch directory removed at the end.\n", cfg.Version, srv.URL)
	for i, ch := range chapters {
		fmt.Fprintf(d.out, "\n== %d. %s ==\n", i+1, ch.title)
		if err := ch.run(ctx, d); err != nil {
			return fmt.Errorf("demo chapter %q: %w", ch.title, err)
		}
	}
	fmt.Fprintln(d.out, "\nDemo finished: every step above ran the same code as the real commands.")
	return nil
}

// say prints narration.
func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, format+"\n", args...)
}

// vastguard runs the program with args in the demo's environment
// (VAST_API_KEY and VAST_URL point at the fake), prints the command line and
// its output with key values redacted, and returns the redacted stdout.
func (d *demo) vastguard(ctx context.Context, extraEnv map[string]string, args ...string) (string, error) {
	fmt.Fprintf(d.out, "$ vastguard %s\n", strings.ReplaceAll(strings.Join(args, " "), d.dir, "$DEMO"))
	var stdout, stderr bytes.Buffer
	err := d.cfg.Run(ctx, Invocation{Args: append([]string{"vastguard"}, args...), Getenv: d.getenv(extraEnv),
		Stdout: &stdout, Stderr: &stderr, HTTP: d.srv.Client()})
	var msg bytes.Buffer
	code := d.cfg.ExitCode(err, &msg)
	out := d.redact(stdout.String())
	io.WriteString(d.out, indent(strings.ReplaceAll(out, d.dir, "$DEMO")))
	io.WriteString(d.out, indent(strings.ReplaceAll(d.redact(stderr.String()+msg.String()), d.dir, "$DEMO")))
	if code != 0 {
		fmt.Fprintf(d.out, "  (exit code %d)\n", code)
	}
	return out, err
}

// getenv is the demo's environment: VAST_API_KEY and VAST_URL point at the
// fake, HOME at the scratch directory, plus extra.
func (d *demo) getenv(extra map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := extra[k]; ok {
			return v
		}
		switch k {
		case "VAST_API_KEY":
			return d.adminKey
		case "VAST_URL":
			return d.srv.URL
		case "HOME":
			return d.dir
		}
		return ""
	}
}

var keyShaped = regexp.MustCompile(`[0-9a-f]{64}`)

// redact replaces every key the demo knows (the fake's keys, the demo
// repositories' keys) with its redacted form. Other 64-hex values, such as
// a key's SHA-256, are left alone.
func (d *demo) redact(s string) string {
	known := map[string]bool{}
	for _, k := range d.srv.Keys() {
		known[k.Value] = true
	}
	for _, k := range d.repoKeys {
		known[k] = true
	}
	return keyShaped.ReplaceAllStringFunc(s, func(k string) string {
		if known[k] {
			return vast.Secret(k).Redacted()
		}
		return k
	})
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

// quiet runs the program like vastguard but returns its stdout (keys
// redacted) without printing it.
func (d *demo) quiet(ctx context.Context, args ...string) (string, error) {
	fmt.Fprintf(d.out, "$ vastguard %s\n", strings.ReplaceAll(strings.Join(args, " "), d.dir, "$DEMO"))
	return d.silent(ctx, args...)
}

// silent runs the program and returns its stdout (keys redacted), printing
// nothing, not even the command line.
func (d *demo) silent(ctx context.Context, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	err := d.cfg.Run(ctx, Invocation{Args: append([]string{"vastguard"}, args...), Getenv: d.getenv(nil),
		Stdout: &stdout, Stderr: &stderr, HTTP: d.srv.Client()})
	return strings.ReplaceAll(d.redact(stdout.String()), d.dir, "$DEMO"), err
}

// client is a Vast client of the fake's, with key.
func (d *demo) client(ctx context.Context, key string) (*vast.Client, error) {
	return d.cfg.Client(ctx, key, d.srv.URL, d.srv.Client())
}

// exitCode is the program's exit code for err, with its message dropped.
func (d *demo) exitCode(err error) int { return d.cfg.ExitCode(err, io.Discard) }

// exec is a runnertest.ExecFunc that runs the program in this process
// against the fake, as the runner would start it.
func (d *demo) exec(ctx context.Context, program string, args []string, vars map[string]string, stdout, stderr io.Writer) int {
	err := d.cfg.Run(ctx, Invocation{Args: append([]string{program}, args...), Getenv: func(k string) string { return vars[k] },
		Stdout: stdout, Stderr: stderr, HTTP: d.srv.Client()})
	return d.cfg.ExitCode(err, stderr)
}

func demoKeys(ctx context.Context, d *demo) error {
	d.say("The account starts with the full-access key the Vast console hands out.")
	if _, err := d.vastguard(ctx, nil, "keys", "list"); err != nil {
		return err
	}
	d.say("\nMint a key that may only run instances, written to a 0600 file instead of the terminal:")
	keyFile := d.dir + "/ci-key"
	out, err := d.vastguard(ctx, nil, "keys", "create", "--name", "demo-ci", "--permissions", "instance-management", "--output", keyFile)
	if err != nil {
		return err
	}
	id := strings.TrimSpace(out)
	if _, err := d.vastguard(ctx, nil, "keys", "list"); err != nil {
		return err
	}
	raw, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	ci, err := d.client(ctx, string(raw))
	if err != nil {
		return err
	}
	_, err = ci.ListKeys(ctx)
	d.say("\nThe scoped key cannot manage keys; listing them with it gets: %s", briefAPIError(err))
	if _, err := d.vastguard(ctx, nil, "keys", "delete", id); err != nil {
		return err
	}
	_, err = ci.CurrentUser(ctx)
	d.say("Once deleted, the key is dead at once; the API now answers it with: %s", briefAPIError(err))
	return nil
}

// briefAPIError is "401 Invalid user key" for an API error, or the error.
func briefAPIError(err error) string {
	if err == nil {
		return "success"
	}
	var ve *vast.Error
	if errors.As(err, &ve) {
		return ve.Brief()
	}
	return err.Error()
}
