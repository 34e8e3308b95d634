package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"github.com/vastguard/vastguard/internal/respond"
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
	if f.rng != "" && !strings.Contains(f.rng, "..") {
		return nil, usagef("scan: --range %q: write it as BASE..HEAD, e.g. origin/main..HEAD", f.rng)
	}
	var baseline *scan.Baseline
	if f.baseline != "" {
		b, err := os.Open(f.baseline)
		if err != nil {
			return nil, fmt.Errorf("--baseline: %w", err)
		}
		baseline, err = scan.ParseBaseline(b)
		b.Close()
		if err != nil {
			return nil, fmt.Errorf("--baseline %s: %w", f.baseline, err)
		}
	}
	if f.output != "" {
		// Fail before a long scan if the report cannot be written.
		out, err := os.OpenFile(f.output, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("--output: %w", err)
		}
		out.Close()
	}
	rep, err := scan.Scan(ctx, path, scan.Options{
		Range:        f.rng,
		Since:        f.since,
		Staged:       f.staged,
		AllowPartial: f.allowPartial,
		Workers:      f.workers,
	})
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
	if err := os.WriteFile(f.output, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	if f.format != "text" {
		if err := scan.WriteText(e.Stdout, rep); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "%s report written to %s\n", strings.ToUpper(f.format), f.output)
	}
	return nil
}

func encodeReport(w io.Writer, rep *scan.Report, format string) error {
	switch format {
	case "json":
		return scan.WriteJSON(w, rep)
	case "sarif":
		return scan.WriteSARIF(w, rep, sarifTool(), nil)
	}
	return scan.WriteText(w, rep)
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
