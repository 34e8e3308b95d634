package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"github.com/vastguard/vastguard/internal/respond"
	"github.com/vastguard/vastguard/internal/safefile"
	"github.com/vastguard/vastguard/internal/safetext"
	"github.com/vastguard/vastguard/scan"
	"github.com/vastguard/vastguard/vast"
)

// scanFlags are the options of `vastguard scan`.
type scanFlags struct {
	since, rng   string
	staged       bool
	format       string
	output       string
	baseline     string
	allowPartial bool
	workers      int
	verify       bool
	apiURL       string
	quiet        bool
	progress     *progressLine // nil: none

	// root, when set, is the directory baseline and output are names
	// beneath (the Action's workspace); else they are paths as typed.
	// Either way no link is followed on the way to them.
	root *safefile.Root
}

// openBaseline opens the baseline without following links.
func (f *scanFlags) openBaseline() (*os.File, error) {
	if f.root != nil {
		return f.root.Open(f.baseline)
	}
	return safefile.OpenPath(f.baseline)
}

// createOutput prepares the report file without following links; see
// safefile.File.
func (f *scanFlags) createOutput() (*safefile.File, error) {
	return safefile.CreatePath(f.output, safefile.Options{Perm: 0o644})
}

func (f *scanFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.since, "since", "", "scan only what the commits after `REV` introduced (REV..HEAD)")
	fs.StringVar(&f.rng, "range", "", "scan only what the commits in `A..B` introduced (a pull request: origin/main..HEAD)")
	fs.BoolVar(&f.staged, "staged", false, "scan the changes staged for commit (a pre-commit hook)")
	fs.StringVarP(&f.format, "format", "f", "text", "report `FORMAT`: text, json or sarif")
	fs.StringVarP(&f.output, "output", "o", "", "write the report to `FILE` instead of stdout (the text summary still goes to stdout)")
	fs.StringVarP(&f.baseline, "baseline", "b", "", "accept the keys listed in `FILE` (key_sha256 values, or an earlier JSON report)")
	fs.BoolVar(&f.allowPartial, "allow-partial", false, "scan a partial clone's present objects instead of refusing it")
	fs.IntVar(&f.workers, "workers", 0, "scan `N` objects in parallel (default: the number of CPUs)")
	fs.BoolVar(&f.verify, "verify", false, "ask the Vast API whether each found key is live (exit code 3 if one is)")
	fs.StringVar(&f.apiURL, "api-url", "", "Vast API `URL` for --verify (default $VAST_URL, then "+vast.DefaultBaseURL+")")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "show no progress on stderr (shown only on a terminal, and every 10 s in a GitHub Actions log)")
	enumFlag(fs, "format", "text", "json", "sarif")
	fileFlag(fs, "output", "baseline")
}

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
		rep, err := scanRepo(ctx, path, f)
		if err != nil {
			return err
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
		return findingsExit(rep)
	}
}

// maxWorkers caps --workers: each worker holds inflate and scan buffers,
// and past the machine's cores more only cost memory. A count above it is
// refused (rather than quietly clamped) so a typo is seen.
const maxWorkers = 256

// isRange reports whether r is written BASE..HEAD: one "..", since no
// revision name holds one ("a..b..c" is no range).
func isRange(r string) bool { return strings.Count(r, "..") == 1 }

// scanRepo validates the flags, runs the scan and applies the baseline.
func scanRepo(ctx context.Context, path string, f scanFlags) (*scan.Report, error) {
	switch f.format {
	case "text", "json", "sarif":
	default:
		return nil, usagef("scan: --format %q: use text, json or sarif", f.format)
	}
	if f.workers < 0 {
		return nil, usagef("scan: --workers must be positive")
	}
	if f.workers > maxWorkers {
		return nil, usagef("scan: --workers %d is more than %d; leave it out to use one per CPU", f.workers, maxWorkers)
	}
	if f.rng != "" && !isRange(f.rng) {
		return nil, usagef("scan: --range %q: write it as BASE..HEAD, e.g. origin/main..HEAD", f.rng)
	}
	var baseline *scan.Baseline
	if f.baseline != "" {
		b, err := f.openBaseline()
		if err != nil {
			return nil, pathFlagError("--baseline", f.baseline, err)
		}
		baseline, err = scan.ParseBaseline(b)
		b.Close()
		if err != nil {
			return nil, fmt.Errorf("--baseline %s: %w", f.baseline, err)
		}
	}
	if f.output != "" {
		// Fail before a long scan if the report cannot be written (a link
		// or a directory at the name, a missing directory).
		out, err := f.createOutput()
		if err != nil {
			return nil, pathFlagError("--output", f.output, err)
		}
		out.Abort()
	}
	rep, err := scan.Scan(ctx, path, scan.Options{
		Range:        f.rng,
		Since:        f.since,
		Staged:       f.staged,
		AllowPartial: f.allowPartial,
		Workers:      f.workers,
		Progress:     f.progress.callback(),
	})
	f.progress.end()
	if err != nil {
		if errors.Is(err, scan.ErrBadRange) {
			return nil, usagef("scan: %v", err)
		}
		return nil, fmt.Errorf("scan: %w", err)
	}
	if baseline != nil {
		baseline.Apply(rep)
	}
	return rep, nil
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
// from the repository (paths, author names, tag and ref names) or from an
// API (verification details, responses) through the sanitiser, so a file
// named with a newline and "::error::", or an author name with escape
// sequences, cannot break a line, issue a workflow command or reach a
// terminal. rep itself is left as it is (the JSON and SARIF reports carry
// the real values).
func printable(rep *scan.Report) *scan.Report {
	out := *rep
	out.Findings = slices.Clone(rep.Findings)
	for i := range out.Findings {
		f := &out.Findings[i]
		f.Path = safetext.Path(f.Path)
		f.Author = safetext.Outside(f.Author)
		f.Tag = safetext.Outside(f.Tag)
		f.Ref = safetext.Outside(f.Ref)
		f.VerificationDetail = safetext.Message(f.VerificationDetail)
	}
	out.Responses = slices.Clone(rep.Responses)
	for i := range out.Responses {
		x := &out.Responses[i]
		x.Outcome = safetext.Message(x.Outcome)
		x.Detail = safetext.Message(x.Detail)
	}
	return &out
}

func sarifTool() scan.Tool {
	return scan.Tool{Name: "vastguard", Version: version(), InformationURI: "https://github.com/vastguard/vastguard"}
}

// findingsExit is the exit status for a report: 3 if any key is verified
// live, 2 for other findings, nil when clean.
func findingsExit(rep *scan.Report) error {
	if len(rep.Findings) == 0 {
		return nil
	}
	for _, f := range rep.Findings {
		if f.Verification == scan.Live {
			return &exitError{code: exitLive}
		}
	}
	return &exitError{code: exitFindings}
}
