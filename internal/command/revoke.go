package command

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/pflag"
	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/internal/respond"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/vast"
)

// `vastguard revoke` is incident response at a terminal: read leaked keys
// (from a file or stdin, never argv, where ps would show them), check each,
// and delete the live ones; with --replace, create a replacement with the
// same permissions and write it to a 0600 file or a repository secret.
// As gh does, the flags are parsed and checked into revokeOptions first
// (nothing is read or called for a bad command line), then revokeRun acts.

// revokeOptions are revoke's flags; check fills in the parsed ones.
type revokeOptions struct {
	api       apiFlags
	github    githubFlags
	rotate    string // --rotate-secret
	repo      string // --repo OWNER/NAME
	keyFile   string
	dryRun    bool
	replace   bool
	output    string
	permSpec  string // --replacement-permissions
	allowFull bool

	// Set by check:
	owner, name string            // of --repo
	perms       *vast.Permissions // of --replacement-permissions; nil for the leaked key's own
}

func revokeCommand(fs *pflag.FlagSet) runFunc {
	o := &revokeOptions{}
	o.api.register(fs)
	o.github.register(fs)
	fs.StringVar(&o.rotate, "rotate-secret", "", "with --replace: store the replacement in the GitHub Actions secret `NAME` of --repo (needs a token with Secrets: write)")
	fs.StringVar(&o.repo, "repo", "", "with --rotate-secret: the repository, `OWNER/NAME`")
	fs.StringVar(&o.keyFile, "key-file", "", "read the leaked keys from `FILE`, one per line (default: stdin)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "check the keys and say what would be done, without deleting anything")
	fs.BoolVar(&o.replace, "replace", false, "before revoking a key, create a replacement with its permissions (needs --output or --rotate-secret)")
	fs.StringVarP(&o.output, "output", "o", "", "with --replace: write the replacement key to `FILE` (mode 0600)")
	fs.StringVar(&o.permSpec, "replacement-permissions", "", "with --replace: the replacement's permissions, `PERMS` (default: the leaked key's own)")
	fs.BoolVar(&o.allowFull, "allow-full-access", false, "with --replace: allow a full-access replacement")
	enumFlag(fs, "replacement-permissions", vast.PresetNames...)
	fileFlag(fs, "key-file", "output")
	return func(ctx context.Context, e *Env, pos []string) error {
		if err := o.check(pos); err != nil {
			return err
		}
		return revokeRun(ctx, e, o)
	}
}

// check validates the command line before anything is read or called.
func (o *revokeOptions) check(pos []string) error {
	if len(pos) > 0 {
		return usagef("revoke takes no key on the command line (ps would show it): pipe it in, or use --key-file")
	}
	switch {
	case o.replace && o.output == "" && o.rotate == "":
		return usagef("revoke --replace needs --output FILE or --rotate-secret NAME --repo OWNER/NAME: the replacement is shown nowhere else")
	case o.replace && o.output != "" && o.rotate != "":
		return usagef("revoke --replace takes --output or --rotate-secret, not both")
	case !o.replace && (o.output != "" || o.permSpec != "" || o.rotate != ""):
		return usagef("--output, --rotate-secret and --replacement-permissions go with --replace")
	}
	if o.rotate != "" {
		if err := ghapi.ValidateSecretName(o.rotate); err != nil {
			return usagef("--rotate-secret: %v", err)
		}
		var ok bool
		o.owner, o.name, ok = strings.Cut(o.repo, "/")
		if !ok || o.owner == "" || o.name == "" || strings.Contains(o.name, "/") {
			return usagef("--rotate-secret needs --repo OWNER/NAME (got %q)", o.repo)
		}
	}
	if o.permSpec != "" {
		p, err := vast.ParsePermissions(o.permSpec, o.allowFull)
		if err != nil {
			return fmt.Errorf("--replacement-%w", err)
		}
		o.perms = &p
	}
	return nil
}

// revokeRun reads the keys, checks them, revokes the live ones and prints
// what became of each. It fails (exit code 1) if a key may still be live
// or a revoked one was not replaced.
func revokeRun(ctx context.Context, e *Env, o *revokeOptions) error {
	keys, err := o.readKeys(e)
	if err != nil {
		return err
	}
	if o.output != "" && !o.dryRun {
		// Fail before any key is touched if the replacement cannot be written.
		f, err := openSecretFile(o.output)
		if err != nil {
			return err
		}
		f.abort()
	}
	r, err := o.responder(ctx, e)
	if err != nil {
		return err
	}
	rep := &scan.Report{Version: 1}
	for _, k := range keys {
		rep.Findings = append(rep.Findings, scan.KeyFinding(k))
	}
	checks := r.Verifier.VerifyReport(ctx, rep)
	for _, f := range rep.Findings {
		c := checks[f.KeySHA256]
		fmt.Fprintf(e.Stdout, "%s  sha256 %s  %s: %s\n", f.Redacted, f.KeySHA256[:16], c.Status, safetext.OneLine(c.Detail))
	}
	r.Respond(ctx, rep, checks)
	return printResponses(e.Stdout, rep, len(keys), o.dryRun)
}

// readKeys reads the leaked keys from --key-file or stdin.
func (o *revokeOptions) readKeys(e *Env) ([]string, error) {
	in, src := e.Stdin, "stdin"
	if o.keyFile != "" {
		f, err := os.Open(o.keyFile)
		if err != nil {
			return nil, fmt.Errorf("--key-file: %w", err)
		}
		defer f.Close()
		in, src = f, o.keyFile
	}
	keys, err := readKeys(in)
	if err != nil {
		return nil, fmt.Errorf("reading keys from %s: %w", src, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no key in %s: pipe the leaked key in (vastguard revoke < key.txt) or use --key-file", src)
	}
	return keys, nil
}

// responder wires respond for the terminal: the API from the flags and
// environment, the management key if one is found, and the replacement's
// sink.
func (o *revokeOptions) responder(ctx context.Context, e *Env) (*respond.Responder, error) {
	u, _ := apiURL(e, o.api.url)
	if err := checkAPIURL(u); err != nil {
		return nil, fmt.Errorf("--api-url or VAST_URL: %w", err)
	}
	r := &respond.Responder{Verifier: respond.NewVerifier(leakedKeyDialer(ctx, e, u)), DryRun: o.dryRun,
		Action: respond.ActionRevoke, Perms: o.perms, AllowFull: o.allowFull, Name: replacementName(e)}
	if o.replace {
		r.Action = respond.ActionReset
	}
	if o.output != "" {
		r.Sink = fileSink(o.output)
	}
	if o.rotate != "" {
		g, err := newGitHub(e, o.github.token, "--token", o.github.url)
		if err != nil {
			return nil, err
		}
		r.Sink = repoSecretSink{g: g, owner: o.owner, repo: o.name, secret: o.rotate}
	}
	if cred, err := resolveKey(e, o.api.key); err == nil {
		a, err := newAPIWithKey(ctx, e, cred, o.api.url)
		if err != nil {
			return nil, err
		}
		r.Manager, r.ManagerSHA256 = a, scan.KeyHash(cred.key)
	}
	if note := r.Prepare(ctx); note != "" {
		fmt.Fprintln(e.Stderr, "vastguard: "+safetext.OneLine(note))
	}
	if r.Manager == nil && o.replace {
		return nil, fmt.Errorf("--replace needs a management key (VAST_API_KEY, --api-key or the vastai key file) to create the replacement")
	}
	return r, nil
}

// printResponses prints what became of each live key and fails if one may
// still be live or was revoked without its replacement.
func printResponses(w io.Writer, rep *scan.Report, nkeys int, dryRun bool) error {
	live, unreplaced := 0, 0
	for _, x := range rep.Responses {
		fmt.Fprintf(w, "%s  sha256 %s  %s", x.Redacted, x.KeySHA256[:16], safetext.OneLine(x.Outcome))
		if x.Detail != "" {
			fmt.Fprintf(w, ": %s", safetext.OneLine(x.Detail))
		}
		fmt.Fprintln(w)
		if line := activityLine(x); line != "" {
			fmt.Fprintf(w, "%s  sha256 %s  %s\n", x.Redacted, x.KeySHA256[:16], line)
		}
		switch {
		case dryRun:
		case !respond.Revoked(x):
			live++
		case !x.Done:
			unreplaced++
		}
	}
	var problems []string
	if live > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d keys may still be live", live, nkeys))
	}
	if unreplaced > 0 {
		problems = append(problems, fmt.Sprintf("%d revoked %s not replaced", unreplaced, plural(unreplaced, "key was", "keys were")))
	}
	if len(problems) > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("%s: see above", strings.Join(problems, "; "))}
	}
	return nil
}

// activityLine says in one line what a leaked key did (from the audit
// log), or why that could not be read; "" when nothing was looked up.
func activityLine(x scan.Response) string {
	switch {
	case x.Activity != nil:
		return "what it did (audit log): " + safetext.OneLine(x.Activity.Summary)
	case x.ActivityNote != "":
		return "audit log: " + safetext.OneLine(x.ActivityNote)
	}
	return ""
}

// keyLine matches the ways a responder may paste a key: bare, quoted, or
// as an env line (export VAST_API_KEY="...").
var keyLine = regexp.MustCompile(`^(?:export\s+)?(?:[A-Za-z_][A-Za-z0-9_]*\s*=\s*)?(["']?)([!-~]+?)(["']?)$`)

// Bounds on revoke's input, which is read whole, streaming, before
// anything is called: any number of lines, blank or comments, but no line
// longer than a key line could be and no more keys than one run can
// check (at five checks a second, 10,000 keys take over half an hour).
// Input past a bound is refused, never cut.
const (
	maxKeyLine    = 64 << 10
	maxRevokeKeys = 10000
)

// readKeys reads one key per line; blank lines and # comments are skipped.
// A line may be the key alone, quoted, or NAME=KEY as an env file has it
// (sending the whole line would make a live key look dead). It reads to
// the end of r, however long, and fails on anything it cannot take.
func readKeys(r io.Reader) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	br := bufio.NewReaderSize(r, maxKeyLine)
	for n := 1; ; n++ {
		raw, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("line %d is longer than %d KiB: not a key (one key per line)", n, maxKeyLine>>10)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		line := strings.TrimSpace(string(raw))
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff") // a BOM, as Windows editors write
		}
		if line != "" && !strings.HasPrefix(line, "#") {
			m := keyLine.FindStringSubmatch(line)
			if m == nil || m[1] != m[3] || strings.ContainsAny(m[2], `"'=`) || !isPrintableASCII(m[2]) {
				return nil, fmt.Errorf("line %d is not a single key (a key alone, quoted, or NAME=KEY)", n)
			}
			if k := m[2]; !seen[k] {
				if len(out) == maxRevokeKeys {
					return nil, fmt.Errorf("more than %d keys: split them over several runs", maxRevokeKeys)
				}
				seen[k] = true
				out = append(out, k)
			}
		}
		if err != nil { // io.EOF, after the last line
			return out, nil
		}
	}
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
