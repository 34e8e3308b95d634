package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/vastguard/vastguard/ghapi"
	"github.com/vastguard/vastguard/internal/respond"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/vast"
)

// `vastguard revoke` is incident response at a terminal: read leaked keys
// (from a file or stdin, never argv, where ps would show them), check each,
// and delete the live ones; with --replace, create a replacement with the
// same permissions and write it to a 0600 file.
func runRevoke(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "revoke", "vastguard revoke [--key-file FILE] [--dry-run] [--replace (--output FILE | --rotate-secret NAME --repo OWNER/NAME)] < leaked-keys")
	var af apiFlags
	af.register(fs)
	var gf githubFlags
	gf.register(fs)
	rotate := fs.String("rotate-secret", "", "with --replace: store the replacement in this GitHub Actions secret of --repo (needs a token with Secrets: write)")
	repoFlag := fs.String("repo", "", "with --rotate-secret: the repository, OWNER/NAME")
	keyFile := fs.String("key-file", "", "read the leaked keys from FILE, one per line (default: stdin)")
	dryRun := fs.Bool("dry-run", false, "check the keys and say what would be done, without deleting anything")
	replace := fs.Bool("replace", false, "after revoking a key, create a replacement with its permissions (needs --output or --rotate-secret)")
	output := fs.String("output", "", "with --replace: write the replacement key to this file (mode 0600)")
	permSpec := fs.String("replacement-permissions", "", "with --replace: the replacement's permissions (default: the leaked key's own)")
	allowFull := fs.Bool("allow-full-access", false, "with --replace: allow a full-access replacement")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("revoke takes no key on the command line (ps would show it): pipe it in, or use --key-file")
	}
	switch {
	case *replace && *output == "" && *rotate == "":
		return usagef("revoke --replace needs --output FILE or --rotate-secret NAME --repo OWNER/NAME: the replacement is shown nowhere else")
	case *replace && *output != "" && *rotate != "":
		return usagef("revoke --replace takes --output or --rotate-secret, not both")
	case !*replace && (*output != "" || *permSpec != "" || *rotate != ""):
		return usagef("--output, --rotate-secret and --replacement-permissions go with --replace")
	}
	var owner, name string
	if *rotate != "" {
		if err := ghapi.ValidateSecretName(*rotate); err != nil {
			return usagef("--rotate-secret: %v", err)
		}
		var ok bool
		owner, name, ok = strings.Cut(*repoFlag, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return usagef("--rotate-secret needs --repo OWNER/NAME (got %q)", *repoFlag)
		}
	}
	var perms *vast.Permissions
	if *permSpec != "" {
		p, err := vast.ParsePermissions(*permSpec, *allowFull)
		if err != nil {
			return fmt.Errorf("--replacement-%w", err)
		}
		perms = &p
	}
	in := e.stdin
	src := "stdin"
	if *keyFile != "" {
		f, err := os.Open(*keyFile)
		if err != nil {
			return fmt.Errorf("--key-file: %w", err)
		}
		defer f.Close()
		in, src = f, *keyFile
	}
	keys, err := readKeys(in)
	if err != nil {
		return fmt.Errorf("reading keys from %s: %w", src, err)
	}
	if len(keys) == 0 {
		return fmt.Errorf("no key in %s: pipe the leaked key in (vastguard revoke < key.txt) or use --key-file", src)
	}
	if *output != "" && !*dryRun {
		f, err := openSecretFile(*output)
		if err != nil {
			return err
		}
		f.abort()
	}
	apiURL, _ := apiURL(e, af.url)
	if err := checkAPIURL(apiURL); err != nil {
		return fmt.Errorf("--api-url or VAST_URL: %w", err)
	}
	v := respond.NewVerifier(leakedKeyDialer(e, apiURL))
	r := &respond.Responder{Verifier: v, DryRun: *dryRun, Action: respond.ActionRevoke, Perms: perms, AllowFull: *allowFull,
		Name: func(id int64) string { return respond.ReplacementName(e.now(), id) }}
	if *output != "" {
		r.Sink = fileSink(*output)
	}
	if *rotate != "" {
		g, err := newGitHub(e, gf.token, "--token", gf.url)
		if err != nil {
			return err
		}
		r.Sink = repoSecretSink{g: g, owner: owner, repo: name, secret: *rotate}
	}
	if *replace {
		r.Action = respond.ActionReset
	}
	if cred, err := resolveKey(e, af.key); err == nil {
		a, err := newAPIWithKey(e, cred, af.url)
		if err != nil {
			return err
		}
		r.Manager = a
	}
	if note := r.Prepare(ctx); note != "" {
		fmt.Fprintln(e.stderr, "vastguard: "+note)
	}
	if r.Manager == nil && *replace {
		return fmt.Errorf("--replace needs a management key (VAST_API_KEY, --api-key or the vastai key file) to create the replacement")
	}

	rep := &scan.Report{Version: 1}
	for _, k := range keys {
		rep.Findings = append(rep.Findings, scan.KeyFinding(k))
	}
	checks := v.VerifyReport(ctx, rep)
	for _, f := range rep.Findings {
		c := checks[f.KeySHA256]
		fmt.Fprintf(e.stdout, "%s  sha256 %s  %s: %s\n", f.Redacted, f.KeySHA256[:16], c.Status, c.Detail)
	}
	r.Respond(ctx, rep, checks)
	live, unreplaced := 0, 0
	for _, x := range rep.Responses {
		fmt.Fprintf(e.stdout, "%s  sha256 %s  %s", x.Redacted, x.KeySHA256[:16], x.Outcome)
		if x.Detail != "" {
			fmt.Fprintf(e.stdout, ": %s", x.Detail)
		}
		fmt.Fprintln(e.stdout)
		switch {
		case *dryRun:
		case !respond.Revoked(x):
			live++
		case !x.Done:
			unreplaced++
		}
	}
	var problems []string
	if live > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d keys may still be live", live, len(keys)))
	}
	if unreplaced > 0 {
		problems = append(problems, fmt.Sprintf("%d revoked %s not replaced", unreplaced, plural(unreplaced, "key was", "keys were")))
	}
	if len(problems) > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("%s: see above", strings.Join(problems, "; "))}
	}
	return nil
}

// keyLine matches the ways a responder may paste a key: bare, quoted, or
// as an env line (export VAST_API_KEY="...").
var keyLine = regexp.MustCompile(`^(?:export\s+)?(?:[A-Za-z_][A-Za-z0-9_]*\s*=\s*)?(["']?)([!-~]+?)(["']?)$`)

// readKeys reads one key per line; blank lines and # comments are skipped.
// A line may be the key alone, quoted, or NAME=KEY as an env file has it
// (sending the whole line would make a live key look dead).
func readKeys(r io.Reader) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(io.LimitReader(r, 1<<20))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := keyLine.FindStringSubmatch(line)
		if m == nil || m[1] != m[3] || strings.ContainsAny(m[2], `"'=`) || !isPrintableASCII(m[2]) {
			return nil, fmt.Errorf("line %d is not a single key (a key alone, quoted, or NAME=KEY)", n)
		}
		line = m[2]
		if !seen[line] {
			seen[line] = true
			out = append(out, line)
		}
	}
	return out, sc.Err()
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
