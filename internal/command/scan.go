package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"github.com/vastguard/vastguard/internal/respond"
	"github.com/vastguard/vastguard/internal/safefile"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/internal/scanconfig"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/vast"
)

// scanFlags are the options of `vastguard scan`.
type scanFlags struct {
	since, rng    string
	staged        bool
	format        string
	output        string
	baseline      string
	allowPartial  bool
	workers       int
	verify        bool
	apiURL        string
	noGit         bool
	config        string
	writeBaseline string
	actionsLogs   string
	maxRuns       int
	archiveDepth  int
	gh            githubFlags
	minConfidence string
	quiet         bool
	progress      *progressLine // nil: none
	// indexFile is the index --staged reads instead of the repository's:
	// GIT_INDEX_FILE, which git sets for a pre-commit hook (`git commit
	// -a` and `git commit PATH` stage the commit in a temporary index).
	indexFile string

	// root, when set, is the directory baseline and output are names
	// beneath (the Action's workspace); else they are paths as typed.
	// Either way no link is followed on the way to them.
	root *safefile.Root
}

// openBaseline opens a baseline without following links.
func (f *scanFlags) openBaseline(name string) (*os.File, error) {
	if f.root != nil {
		return f.root.Open(name)
	}
	return safefile.OpenPath(name)
}

// createOutput prepares the report file without following links; see
// safefile.File.
func (f *scanFlags) createOutput() (*safefile.File, error) {
	return safefile.CreatePath(f.output, safefile.Options{Perm: 0o644})
}

// createBaseline prepares the --write-baseline file the same way.
func (f *scanFlags) createBaseline() (*safefile.File, error) {
	return safefile.CreatePath(f.writeBaseline, safefile.Options{Perm: 0o644})
}

func (f *scanFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.since, "since", "", "scan only what the commits after `REV` introduced (REV..HEAD); with --github-actions-logs, the runs since a DATE (2026-09-01, RFC 3339, or 30d ago)")
	fs.StringVar(&f.rng, "range", "", "scan only what the commits in `A..B` introduced (a pull request: origin/main..HEAD)")
	fs.BoolVar(&f.staged, "staged", false, "scan the changes staged for commit (a pre-commit hook)")
	fs.StringVarP(&f.format, "format", "f", "text", "report `FORMAT`: text, json or sarif")
	fs.StringVarP(&f.output, "output", "o", "", "write the report to `FILE` instead of stdout (the text summary still goes to stdout)")
	fs.StringVarP(&f.baseline, "baseline", "b", "", "accept the keys listed in `FILE` (key_sha256 values, or an earlier JSON report)")
	fs.StringVar(&f.writeBaseline, "write-baseline", "", "write a baseline of every key found to `FILE` (one key_sha256 a line, with where it was found)")
	fs.StringVarP(&f.config, "config", "c", "", "read the configuration from `FILE` (default: .vastguard.yaml at the root scanned, if there is one)")
	fs.BoolVar(&f.noGit, "no-git", false, "scan PATH as a plain directory tree (or one file), archives in it opened, with no git history")
	fs.IntVar(&f.archiveDepth, "max-archive-depth", scan.DefaultLimits.Depth, "open archives nested up to `N` levels deep (0: open none), with --no-git and -")
	fs.StringVar(&f.actionsLogs, "github-actions-logs", "", "scan the workflow run logs of GitHub repository `OWNER/REPO` (a token with Actions: read)")
	fs.IntVar(&f.maxRuns, "max-runs", 200, "with --github-actions-logs, read at most `N` runs, the newest first")
	fs.StringVar(&f.minConfidence, "min-confidence", "medium", "report only findings at least this sure: `LEVEL` medium (every finding) or high (only keys bound to a Vast name, flag or URL)")
	fs.BoolVar(&f.allowPartial, "allow-partial", false, "scan a partial clone's present objects instead of refusing it")
	fs.IntVar(&f.workers, "workers", 0, "scan `N` objects in parallel (default: the number of CPUs)")
	fs.BoolVar(&f.verify, "verify", false, "ask the Vast API whether each found key is live (exit code 3 if one is)")
	fs.StringVar(&f.apiURL, "api-url", "", "Vast API `URL` for --verify (default $VAST_URL, then "+vast.DefaultBaseURL+")")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "show no progress on stderr (shown only on a terminal, and every 10 s in a GitHub Actions log)")
	f.gh.register(fs)
	enumFlag(fs, "format", "text", "json", "sarif")
	enumFlag(fs, "min-confidence", "medium", "high")
	fileFlag(fs, "output", "baseline", "write-baseline", "config")
}

// scanSentinels are the errors scan wraps under a message that already
// says what they say ("... is a shallow clone (...); fetch ...: shallow
// clone").
var scanSentinels = []error{scan.ErrNotRepository, scan.ErrShallow, scan.ErrPartial, scan.ErrMissingRevision, scan.ErrBareInWorkTree}

// untailed is err's message without a sentinel's text repeated at its end.
func untailed(err error) string {
	msg := err.Error()
	for _, s := range scanSentinels {
		if errors.Is(err, s) {
			msg = strings.TrimSuffix(msg, ": "+s.Error())
		}
	}
	return msg
}

// reworded is err under a message of its own, still matching err with
// errors.Is and errors.As.
type reworded struct {
	msg string
	err error
}

func (r *reworded) Error() string { return r.msg }
func (r *reworded) Unwrap() error { return r.err }

// scanTarget is what a scan reads.
type scanTarget int

const (
	targetGit   scanTarget = iota // a repository's history
	targetDir                     // --no-git: a plain directory tree
	targetStdin                   // "-": standard input
	targetLogs                    // --github-actions-logs OWNER/REPO
)

func scanCommand(fs *pflag.FlagSet) runFunc {
	var f scanFlags
	f.register(fs)
	return func(ctx context.Context, e *Env, pos []string) error {
		path := "."
		switch len(pos) {
		case 0:
		case 1:
			path = pos[0]
		default:
			return usagef("scan takes one repository path (got %d)", len(pos))
		}
		f.progress = newProgressLine(e, f.quiet)
		target, err := f.target(path, len(pos) > 0)
		if err != nil {
			return err
		}
		if idx := e.Getenv("GIT_INDEX_FILE"); f.staged && idx != "" {
			if f.indexFile, err = filepath.Abs(idx); err != nil {
				return fmt.Errorf("GIT_INDEX_FILE: %w", err)
			}
		}
		if f.writeBaseline != "" {
			// Fail before a long scan if the baseline cannot be written.
			out, err := f.createBaseline()
			if err != nil {
				return pathFlagError("--write-baseline", f.writeBaseline, err)
			}
			out.Abort()
		}
		rep, baseline, err := scanWith(ctx, e, target, path, &f, nil)
		if err != nil {
			return err
		}
		if f.writeBaseline != "" {
			// Every key found, those the old baseline accepts included:
			// the new file replaces it.
			if err := writeBaselineFile(&f, rep.Findings); err != nil {
				return pathFlagError("--write-baseline", f.writeBaseline, err)
			}
		}
		if baseline != nil {
			baseline.Apply(rep)
		}
		if f.verify {
			u, _ := apiURL(e, f.apiURL)
			if err := checkAPIURL(u); err != nil {
				return fmt.Errorf("--api-url or VAST_URL: %w", err)
			}
			respond.NewVerifier(leakedKeyDialer(ctx, e, u)).VerifyReport(ctx, rep)
		}
		if err := writeReport(e, rep, f); err != nil {
			return err
		}
		if f.writeBaseline != "" {
			p := safetext.Path(f.writeBaseline)
			fmt.Fprintf(e.Stdout, "Baseline of %s written to %s: review it, commit it, and scan with --baseline %s.\n", countKeys(rep), p, p)
		}
		return findingsExit(rep)
	}
}

// writeBaselineFile writes a baseline of findings to --write-baseline as a
// new file.
func writeBaselineFile(f *scanFlags, findings []scan.Finding) error {
	out, err := f.createBaseline()
	if err != nil {
		return err
	}
	if err := scan.WriteBaseline(out, findings); err != nil {
		out.Abort()
		return err
	}
	return out.Commit()
}

func countKeys(rep *scan.Report) string {
	keys := map[string]bool{}
	for _, f := range rep.Findings {
		keys[f.KeySHA256] = true
	}
	if len(keys) == 1 {
		return "1 key"
	}
	return fmt.Sprintf("%d keys", len(keys))
}

// target checks that the flags fit together and says what to scan.
func (f *scanFlags) target(path string, explicit bool) (scanTarget, error) {
	gitOnly := func(t string) error {
		for _, g := range []struct {
			on   bool
			name string
		}{{f.rng != "", "--range"}, {f.staged, "--staged"}, {f.allowPartial, "--allow-partial"}} {
			if g.on {
				return usagef("scan: %s reads git history; it does not go with %s", g.name, t)
			}
		}
		return nil
	}
	switch {
	case f.actionsLogs != "":
		if explicit {
			return 0, usagef("scan: --github-actions-logs reads a repository's runs from GitHub; give no PATH (got %q)", path)
		}
		if f.noGit {
			return 0, usagef("scan: --no-git and --github-actions-logs are two targets; choose one")
		}
		if err := gitOnly("--github-actions-logs"); err != nil {
			return 0, err
		}
		if owner, repo, ok := strings.Cut(f.actionsLogs, "/"); !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
			return 0, usagef("scan: --github-actions-logs %q: give the repository as OWNER/REPO", f.actionsLogs)
		}
		if f.maxRuns < 1 {
			return 0, usagef("scan: --max-runs must be at least 1")
		}
		return targetLogs, nil
	case path == "-":
		if f.noGit {
			return 0, usagef("scan: - reads standard input; it does not go with --no-git")
		}
		if f.since != "" {
			return 0, usagef("scan: --since reads git history; it does not go with - (standard input)")
		}
		return targetStdin, gitOnly("- (standard input)")
	case f.noGit:
		if f.since != "" {
			return 0, usagef("scan: --since reads git history; it does not go with --no-git")
		}
		return targetDir, gitOnly("--no-git")
	}
	return targetGit, nil
}

// maxWorkers caps --workers: each worker holds inflate and scan buffers,
// and past the machine's cores more only cost memory. A count above it is
// refused (rather than quietly clamped) so a typo is seen.
const maxWorkers = 256

// isRange reports whether r is written BASE..HEAD: one "..", since no
// revision name holds one ("a..b..c" is no range).
func isRange(r string) bool { return strings.Count(r, "..") == 1 }

// checkScanFlags validates what every target shares.
func (f *scanFlags) check() error {
	switch f.format {
	case "text", "json", "sarif":
	default:
		return usagef("scan: --format %q: use text, json or sarif", f.format)
	}
	if _, ok := scan.ParseConfidence(f.minConfidence); !ok {
		return usagef("scan: --min-confidence %q: use high or medium", f.minConfidence)
	}
	if f.workers < 0 {
		return usagef("scan: --workers must be positive")
	}
	if f.workers > maxWorkers {
		return usagef("scan: --workers %d is more than %d; leave it out to use one per CPU", f.workers, maxWorkers)
	}
	if f.rng != "" && !isRange(f.rng) {
		return usagef("scan: --range %q: write it as BASE..HEAD, e.g. origin/main..HEAD", f.rng)
	}
	if f.archiveDepth < 0 || f.archiveDepth > scan.MaxArchiveDepth {
		return usagef("scan: --max-archive-depth %d: use 0 (open no archive) to %d", f.archiveDepth, scan.MaxArchiveDepth)
	}
	return nil
}

// limits are the archive limits the flags ask for.
func (f *scanFlags) limits() scan.Limits {
	l := scan.Limits{Depth: f.archiveDepth}
	if f.archiveDepth == 0 {
		l.Depth = -1
	}
	return l
}

// scanInputs are what a scan is given besides the flags: where the
// configuration and the baseline come from when they are not plain files
// (a pull request's base commit, in the Action), and the repository to
// report.
type scanInputs struct {
	// config and baseline, if set, replace reading --config and
	// --baseline from disk: what the Action read from a trusted place.
	config     *scanconfig.Config
	baseline   *scan.Baseline
	repository *scan.Repository
	// given says config and baseline are all there is: nothing is read
	// from disk, even when they are nil.
	given bool
}

// scanRepo is the Action's scan: a repository's history, the baseline
// applied.
func scanRepo(ctx context.Context, e *Env, path string, f scanFlags, in *scanInputs) (*scan.Report, error) {
	rep, b, err := scanWith(ctx, e, targetGit, path, &f, in)
	if err != nil {
		return nil, err
	}
	if b != nil {
		b.Apply(rep)
	}
	return rep, nil
}

// scanWith validates the flags, reads the configuration and the baseline,
// runs the scan and applies the configuration, and returns the baseline
// for the caller to apply (after writing one from the findings, say).
func scanWith(ctx context.Context, e *Env, target scanTarget, path string, f *scanFlags, in *scanInputs) (*scan.Report, *scan.Baseline, error) {
	if err := f.check(); err != nil {
		return nil, nil, err
	}
	if in == nil {
		in = &scanInputs{}
	}
	cfg := in.config
	if cfg == nil && !in.given {
		var err error
		if cfg, err = loadConfig(target, path, f.config); err != nil {
			return nil, nil, err
		}
	}
	baseline := in.baseline
	if baseline == nil && !in.given {
		name, flag := f.baseline, "--baseline"
		if name == "" && cfg != nil && cfg.Baseline != "" {
			name, flag = filepath.Join(configRoot(target, path, f.config), filepath.FromSlash(cfg.Baseline)), cfg.Name+": baseline"
		}
		if name != "" {
			b, err := f.openBaseline(name)
			if err != nil {
				return nil, nil, pathFlagError(flag, name, err)
			}
			baseline, err = scan.ParseBaseline(b)
			b.Close()
			if err != nil {
				return nil, nil, fmt.Errorf("%s %s: %w", flag, name, err)
			}
		}
	}
	if f.output != "" {
		// Fail before a long scan if the report cannot be written (a link
		// or a directory at the name, a missing directory).
		out, err := f.createOutput()
		if err != nil {
			return nil, nil, pathFlagError("--output", f.output, err)
		}
		out.Abort()
	}
	var rep *scan.Report
	var err error
	switch target {
	case targetDir:
		var skip func(string) bool
		if cfg != nil {
			skip = cfg.Filter.ExcludesPath
		}
		rep, err = scan.ScanDir(ctx, path, scan.DirOptions{Limits: f.limits(), Skip: skip, Workers: f.workers})
	case targetStdin:
		rep, err = scan.ScanReader(ctx, e.Stdin, scan.ReaderOptions{Limits: f.limits()})
		if err != nil {
			err = fmt.Errorf("reading standard input: %w", err)
		}
	case targetLogs:
		// Its errors name what failed (the token, the API, a run).
		if rep, err = scanActionsLogs(ctx, e, f); err != nil {
			return nil, nil, err
		}
	default:
		rep, err = scan.Scan(ctx, path, scan.Options{
			Range:        f.rng,
			Since:        f.since,
			Staged:       f.staged,
			IndexFile:    f.indexFile,
			AllowPartial: f.allowPartial,
			Workers:      f.workers,
			Progress:     f.progress.callback(),
		})
		f.progress.end()
		if err == nil {
			rep.Repository = in.repository
			if rep.Repository == nil {
				rep.Repository, _ = scan.RepositoryOf(path)
			}
		}
	}
	if err != nil {
		switch {
		case errors.Is(err, scan.ErrBadRange):
			return nil, nil, usagef("scan: %v", err)
		case ctx.Err() != nil && errors.Is(err, context.Canceled):
			// Ctrl-C: say so, rather than "context canceled".
			return nil, nil, &reworded{msg: "scan: interrupted before it finished; no report was written", err: err}
		case errors.Is(err, scan.ErrNotRepository) && target == targetGit:
			return nil, nil, &reworded{msg: "scan: " + untailed(err) + "; to scan a plain directory or file instead, add --no-git", err: err}
		}
		return nil, nil, &reworded{msg: "scan: " + untailed(err), err: err}
	}
	if cfg != nil {
		cfg.Filter.Apply(rep)
	}
	if c, _ := scan.ParseConfidence(f.minConfidence); c == scan.High {
		// The flag or input, over what the configuration says.
		mf, _ := scan.NewFilter(scan.Filter{MinConfidence: c}, nil)
		mf.Apply(rep)
	}
	return rep, baseline, nil
}

// configRoot is the directory a configuration's relative paths are read
// from: the --config file's, else the root scanned.
func configRoot(target scanTarget, path, configFlag string) string {
	if configFlag != "" {
		return filepath.Dir(configFlag)
	}
	if target == targetGit {
		if root, err := scan.WorkTree(path); err == nil {
			return root
		}
	}
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		return filepath.Dir(path)
	}
	return path
}

// loadConfig reads --config, or .vastguard.yaml at the root scanned (the
// repository's work tree, the directory) when there is one. Standard
// input and run logs have no root: only --config configures them.
func loadConfig(target scanTarget, path, configFlag string) (*scanconfig.Config, error) {
	name, flag := configFlag, "--config"
	if name == "" {
		if target == targetStdin || target == targetLogs {
			return nil, nil
		}
		name, flag = filepath.Join(configRoot(target, path, ""), scanconfig.FileName), ""
	}
	data, err := scanconfig.ReadFile(name)
	if err != nil {
		if flag == "" && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if flag != "" {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		return nil, err
	}
	display := name
	if flag == "" {
		display = scanconfig.FileName
	}
	return scanconfig.Parse(display, data, nil)
}

// writeReport writes the report in the chosen format to --output or
// stdout; with --output, stdout gets the text summary.
func writeReport(e *Env, rep *scan.Report, f scanFlags) error {
	var buf bytes.Buffer
	if err := encodeReport(&buf, rep, f.format); err != nil {
		return err
	}
	if f.output == "" {
		_, err := e.Stdout.Write(buf.Bytes())
		return err
	}
	if err := writeOutput(f, buf.Bytes()); err != nil {
		// The findings still reach the terminal, then the failure.
		writeText(e.Stdout, rep)
		code := exitFailure
		var ee *exitError
		if errors.As(findingsExit(rep), &ee) {
			code = ee.code
		}
		return &exitError{code: code, err: pathFlagError("--output", f.output, err)}
	}
	if f.format != "text" {
		if err := writeText(e.Stdout, rep); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "%s report written to %s\n", strings.ToUpper(f.format), safetext.Path(f.output))
	}
	return nil
}

// writeOutput writes the report to --output as a new file.
func writeOutput(f scanFlags, report []byte) error {
	out, err := f.createOutput()
	if err != nil {
		return err
	}
	if _, err := out.Write(report); err != nil {
		out.Abort()
		return err
	}
	return out.Commit()
}

// encodeReport writes the report in format. JSON and SARIF carry the
// repository's paths and names as they are (code scanning needs the real
// path), with what a terminal would act on escaped; the text report is
// for people, and shows them sanitised (writeText).
func encodeReport(w io.Writer, rep *scan.Report, format string) error {
	var buf bytes.Buffer
	var err error
	switch format {
	case "json":
		err = scan.WriteJSON(&buf, rep)
	case "sarif":
		err = scan.WriteSARIF(&buf, rep, sarifTool(), nil)
	default:
		return writeText(w, rep)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(safetext.JSON(buf.Bytes()))
	return err
}

// writeText writes the text report of rep's printable form, through
// safetext.Block.
func writeText(w io.Writer, rep *scan.Report) error {
	var b strings.Builder
	if err := scan.WriteText(&b, printable(rep)); err != nil {
		return err
	}
	_, err := io.WriteString(w, safetext.Block(b.String()))
	return err
}

// printable is a copy of rep for people to read: every string that came
// from the repository (paths, author names, tag and ref names, archive
// entry names), from an API (verification details, responses, workflow,
// job and step names) or from the configuration (example reasons) through
// the sanitiser, so a file named with a newline and "::error::", or an
// author name with escape sequences, cannot break a line, issue a workflow
// command or reach a terminal. rep itself is left as it is (the JSON and
// SARIF reports carry the real values).
func printable(rep *scan.Report) *scan.Report {
	out := *rep
	out.Findings = slices.Clone(rep.Findings)
	for i := range out.Findings {
		f := &out.Findings[i]
		f.Path = safetext.Path(f.Path)
		f.Archive = safetext.Path(f.Archive)
		f.Author = safetext.Outside(f.Author)
		f.Tag = safetext.Outside(f.Tag)
		f.Ref = safetext.Outside(f.Ref)
		f.VerificationDetail = safetext.Message(f.VerificationDetail)
		f.Example = safetext.Outside(f.Example)
		if f.Log != nil {
			lp := *f.Log
			lp.Workflow, lp.Job, lp.Step = safetext.Outside(lp.Workflow), safetext.Outside(lp.Job), safetext.Outside(lp.Step)
			f.Log = &lp
		}
	}
	out.Responses = slices.Clone(rep.Responses)
	for i := range out.Responses {
		x := &out.Responses[i]
		x.Outcome = safetext.Message(x.Outcome)
		x.Detail = safetext.Message(x.Detail)
	}
	out.Stats.Unscanned = slices.Clone(rep.Stats.Unscanned)
	for i := range out.Stats.Unscanned {
		u := &out.Stats.Unscanned[i]
		u.Path, u.Reason = safetext.Path(u.Path), safetext.Message(u.Reason)
	}
	return &out
}

func sarifTool() scan.Tool {
	return scan.Tool{Name: "vastguard", Version: version(), InformationURI: "https://github.com/vastguard/vastguard"}
}

// findingsExit is the exit status for a report: 3 if any key is verified
// live, 2 for other findings, nil when clean. Known examples from the
// configuration do not count unless live.
func findingsExit(rep *scan.Report) error {
	failing := scan.Failing(rep)
	if len(failing) == 0 {
		return nil
	}
	for _, f := range failing {
		if f.Verification == scan.Live {
			return &exitError{code: exitLive}
		}
	}
	return &exitError{code: exitFindings}
}
