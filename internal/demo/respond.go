package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/vastguard/vastguard/scan/scantest"
)

// demoRespond is the incident as it really goes: two keys committed to a
// repository, made as the README says (one with the instance-management
// preset, one read-only), are found, checked and revoked. The read-only key
// holds user_read, so the API confirms it live and vastguard revokes it;
// the scoped key answers 403 (without user_read a key cannot say whose it
// is), so nobody can confirm it from outside and the responder deletes it
// by hand. Then the findings are accepted with a baseline made from the
// JSON report.
func demoRespond(ctx context.Context, d *demo) error {
	d.say("The production GPU runner's key was made with the instance-management preset (what the README")
	d.say("recommends for CI jobs), the dashboard's with read-only:")
	runnerFile, dashFile := filepath.Join(d.dir, "runner.key"), filepath.Join(d.dir, "dashboard.key")
	runnerOut, err := d.vastguard(ctx, nil, "keys", "create", "--name", "prod-gpu-runner", "--permissions", "instance-management", "--output", runnerFile)
	if err != nil {
		return err
	}
	if _, err := d.vastguard(ctx, nil, "keys", "create", "--name", "dashboard", "--permissions", "read-only", "--output", dashFile); err != nil {
		return err
	}
	runnerKey, err := readKey(runnerFile)
	if err != nil {
		return err
	}
	dashKey, err := readKey(dashFile)
	if err != nil {
		return err
	}
	d.repoKeys = append(d.repoKeys, runnerKey, dashKey)
	r, err := buildRepoWith(filepath.Join(d.dir, "incident"), func(r *scantest.Repo) {
		r.Commit("deploy config", scantest.Files{
			"deploy/prod.env":  "VAST_API_KEY=" + runnerKey + "\n",
			"dashboard/.env":   "VAST_API_KEY=" + dashKey + "\n",
			"deploy/README.md": "Deployed with vast.ai.\n",
		})
		r.CheckoutWorktree()
	})
	if err != nil {
		return err
	}
	d.say("\nBoth were committed. --verify asks the Vast API whether each found key is live (the key only")
	d.say("ever goes in an Authorization header); a live key makes the exit code 3:")
	if _, err := d.vastguard(ctx, nil, "scan", r.Dir, "--verify"); err != nil && d.exitCode(err) != exitLive {
		return err
	}
	d.say("\nThe dashboard key is confirmed live: it holds user_read, so the API says whose it is. The")
	d.say("runner's key answers 403: a key without user_read cannot say who it belongs to, so nothing")
	d.say("outside the account can confirm it. Treat it as live: 403 is what a real scoped key answers.")

	// The revoke input: the files the findings name, at their commit.
	commit := r.Head()
	var leaked strings.Builder
	for _, path := range []string{"deploy/prod.env", "dashboard/.env"} {
		c, err := r.Git.CommitObject(commit)
		if err != nil {
			return err
		}
		f, err := c.File(path)
		if err != nil {
			return err
		}
		text, err := f.Contents()
		if err != nil {
			return err
		}
		leaked.WriteString(text)
	}
	keyFile := filepath.Join(d.dir, "leaked.txt")
	if err := os.WriteFile(keyFile, []byte(leaked.String()), 0o600); err != nil {
		return err
	}
	d.say("\nThe revoke input is the leaked lines themselves: the findings name each file and commit, and")
	d.say("revoke reads NAME=KEY lines as an env file has them (the demo does this with go-git, as git would):")
	fmt.Fprintf(d.out, "$ git -C %s show %s:deploy/prod.env %s:dashboard/.env > %s\n", d.demoPath(r.Dir), short(commit), short(commit), d.demoPath(keyFile))
	d.say("\nThe responder revokes them with the management key (VAST_API_KEY), from the file (never the")
	d.say("command line, where ps would show a key):")
	if _, err := d.vastguard(ctx, nil, "revoke", "--key-file", keyFile); d.exitCode(err) != 1 {
		return fmt.Errorf("revoke of a live and a 403 key: exit code %d, want 1 (one may still be live): %v", d.exitCode(err), err)
	}

	d.say("\nWhat to do about the 403 key: Vast cannot look a key up by its value, so find it as the console")
	d.say("shows it, by name and permissions, and delete it by id:")
	if _, err := d.vastguard(ctx, nil, "keys", "list"); err != nil {
		return err
	}
	runnerID := strings.TrimSpace(runnerOut)
	if _, err := d.vastguard(ctx, nil, "keys", "delete", runnerID); err != nil {
		return err
	}
	d.say("\nScanned again, both keys are still in history, but dead (401: invalid):")
	if _, err := d.vastguard(ctx, nil, "scan", r.Dir, "--verify"); err != nil && d.exitCode(err) != exitFindings {
		return err
	}
	for _, k := range d.srv.Keys() {
		if (k.Value == runnerKey || k.Value == dashKey) && !k.Deleted {
			return fmt.Errorf("the leaked key %d is still live on the fake", k.ID)
		}
	}

	d.say("\nWith both revoked, accept the findings with a baseline: each line a key_sha256 (the full hash,")
	d.say("from the JSON report) and a comment:")
	base := filepath.Join(d.dir, "incident-baseline.txt")
	if err := d.writeBaseline(ctx, r.Dir, base, "", "revoked"); err != nil {
		return err
	}
	if _, err := d.vastguard(ctx, nil, "scan", r.Dir, "--baseline", base); err != nil {
		return err
	}
	return nil
}

// writeBaseline makes a baseline as a person would from the JSON report:
// the key_sha256 of each finding (of the path only, when it is not ""),
// one a line, with comment and where the key was. It prints the command and
// the file.
func (d *demo) writeBaseline(ctx context.Context, repo, path, only, comment string) error {
	out, err := d.silent(ctx, "scan", repo, "--format", "json")
	if err != nil && d.exitCode(err) != exitFindings {
		return err
	}
	var rep struct {
		Findings []struct {
			KeySHA256 string `json:"key_sha256"`
			Path      string `json:"path"`
			Commit    string `json:"commit"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		return fmt.Errorf("the JSON report: %w", err)
	}
	filter := ".findings[]"
	if only != "" {
		filter = fmt.Sprintf(`.findings[] | select(.path == "%s")`, only)
	}
	var lines []string
	for _, f := range rep.Findings {
		if only == "" || f.Path == only {
			lines = append(lines, fmt.Sprintf("%s  # %s: %s at %s", f.KeySHA256, comment, f.Path, short(plumbing.NewHash(f.Commit))))
		}
	}
	if len(lines) == 0 {
		return fmt.Errorf("no finding to accept in %s", repo)
	}
	text := strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "$ vastguard scan %s -f json | jq -r '%s | \"\\(.key_sha256)  # %s: \\(.path) at \\(.commit[:10])\"' > %s\n  (the demo runs the scan and reads its JSON itself, as jq would)\n$ cat %s\n",
		d.demoPath(repo), filter, comment, d.demoPath(path), d.demoPath(path))
	fmt.Fprint(d.out, indent(text))
	return nil
}

// demoPath shows a path under the scratch directory as $DEMO/....
func (d *demo) demoPath(p string) string { return strings.ReplaceAll(p, d.dir, "$DEMO") }

// short is a commit's abbreviation, as the text report shows it.
func short(h plumbing.Hash) string { return h.String()[:10] }

var hexKey = regexp.MustCompile(`^[0-9a-f]{64}$`)

// readKey reads a key file keys create wrote.
func readKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	k := strings.TrimSpace(string(b))
	if !hexKey.MatchString(k) {
		return "", fmt.Errorf("%s does not hold a key", path)
	}
	return k, nil
}

// buildRepoWith builds a repository under dir with scantest, outside a
// test: scantest's failures become an error.
func buildRepoWith(dir string, build func(*scantest.Repo)) (r *scantest.Repo, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, ok := p.(demoFailure)
			if !ok {
				panic(p)
			}
			err = f.err
		}
	}()
	r = scantest.New(&demoTB{dir: dir})
	build(r)
	return r, nil
}
